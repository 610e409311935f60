// Training data for the feasibility classifier (PRODUCT.md, seed 002): reachable poses from
// joint-space samples, and unreachable poses, half inside the arm's reach ball and half
// outside it. "Unreachable" is a checked fact with a margin: every unreachable pose lies at
// least `kd_radius` (in kd_point space) from every reachable pose, so the two sets are
// separable and a binary accuracy of 99.99% is a well-posed goal. An inside candidate is kept
// only when
//   1. no reachable sample lies within kd_radius of it (a KD-tree, nanoflann),
//   2. the IK finds no solution within the limits (closed form where the arm has one, else
//      multi-start DLS), and
//   3. the margin holds: DLS run from the closed-form branches ignoring the limits (clamped
//      into them) and from the joints of its `margin_starts` nearest reachable samples (the
//      KD-tree's answer), minimising the pose error within the limits in the kd_point metric,
//      ends farther than kd_radius from it every time (kr6, kd_radius 0.05: 1 pose in 20,000
//      then still has a reachable pose within 0.9 kd_radius among 32 random neighbours; 4
//      starts: 6 in 4,000).
// Step 1 alone cannot give the margin: 400,000 samples of a 6-dimensional pose set lie
// ~0.1 apart (kd_point units), so a radius below that rejects almost nothing (kr6 at 0.02: 1
// of 176,618 candidates) and a radius above it rejects reachable-looking holes. The distance
// to the reachable *set* needs step 3. Outside poses start at 1 + kd_radius reach radii, which
// is as far from every reachable position.
//
// Labels, class indices as in the model format (conditioning.h): 0 unreachable, 1
// near_singular, 2 adequate, 3 high_manipulability, from the arm's p20 / p80 thresholds of the
// inverse condition number. A pose's label is the class of its best-conditioned IK solution
// within the limits (the sampled configuration included), so it is a function of the pose;
// seed 002's per-sample label (the class of the sampled configuration itself) is kept beside
// it for the report. Everything is a function of the arm and the config: the same seed gives
// the same data whatever the number of threads.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "neurokin/arm.h"

namespace neurokin::data {

struct FeasibilityConfig {
  std::int64_t reachable = 400000;    // poses from joint samples (seed 002: 400,000 for kr6)
  std::int64_t unreachable = 160000;  // confirmed unreachable poses (seed 002: 160,000)
  double inside_share = 0.5;          // of the unreachable ones: inside the reach ball
  std::uint64_t seed = 1;
  int ik_starts = 8;         // DLS starts per pose for arms without a closed-form solver
  double kd_radius = 0.02;   // margin (kd_point units) between unreachable and reachable poses
  int margin_starts = 8;     // nearest reachable samples whose joints start the margin DLS
  double outside_max = 1.5;  // outside poses: distance from the reach centre in [1 + kd_radius, this] radii
  double val_share = 0.1, test_share = 0.1;
  // what a network learns: "pose" (the class of the pose's best-conditioned solution) or
  // "sample" (seed 002: the class of the sampled configuration, not a function of the pose;
  // for comparison)
  std::string label = "pose";
};

// {"reachable": 400000, "unreachable": 160000, "inside_share": 0.5, "seed": 1,
//  "ik_starts": 8, "kd_radius": 0.02, "margin_starts": 8, "outside_max": 1.5, "val_share": 0.1,
//  "test_share": 0.1, "label": "pose"}; every field optional, unknown fields are errors naming the path;
// outside_max must exceed 1 + kd_radius
FeasibilityConfig feasibility_config_from_json(const nlohmann::json& j, const std::string& where);
nlohmann::json feasibility_config_to_json(const FeasibilityConfig& c);

enum class PoseSource : std::uint8_t { kReachable = 0, kInside = 1, kOutside = 2 };

struct FeasibilityData {
  std::string arm;
  int task_size = 0;
  std::int64_t n = 0;
  FeasibilityConfig config;
  std::vector<float> targets;             // n x task_size, row-major (quaternion w >= 0)
  std::vector<std::int8_t> label;         // the pose label (class index)
  std::vector<std::int8_t> sample_label;  // seed 002's per-sample label (0 for unreachable)
  // the labels a network learns from these data: config.label's
  const std::vector<std::int8_t>& learned() const {
    return config.label == "sample" ? sample_label : label;
  }
  std::vector<PoseSource> source;
  std::vector<float> margin;  // per pose: unreachable ones, the margin DLS's distance to the
                              // reachable set found (kd units; outside: r - 1); reachable: 0
  Split split;
  nlohmann::json report = nlohmann::json::object();  // counts, class shares, agreement

  const float* target(std::int64_t i) const { return targets.data() + i * task_size; }
};

// the pose label of a target and, through `q_known`, a configuration known to reach it
// (considered with the IK solutions; nullptr: none). Class 0 when no solution is found.
int pose_label(const Arm& arm, const Eigen::Ref<const Eigen::VectorXd>& target, int ik_starts,
               const JointVec* q_known = nullptr);

// the point a pose occupies in the KD-tree: position / reach radius, then the orientation part
// (pitch / pi, or the quaternion); 2 to 7 coordinates. A pose has other images that are the
// same pose (the quaternion -q, the pitch +-2 pi): kd_distance takes the nearest
std::vector<float> kd_point(const Arm& arm, const float* target);

// the distance of two task vectors in kd_point space, over the images of the second: for a
// pose, sqrt(|dp|^2 / R^2 + min(|q1 - q2|, |q1 + q2|)^2), |q1 - q2| = 2 sin(angle / 4)
double kd_distance(const Arm& arm, const float* a, const float* b);

// which of `queries` (row-major task vectors) lie farther than `radius` (kd_distance) from
// every one of `reference`; threads <= 0: one per hardware thread
std::vector<std::uint8_t> far_from(const Arm& arm, const std::vector<float>& reference,
                                   const std::vector<float>& queries, double radius,
                                   int threads = 0);

// throws Error for an arm without conditioning thresholds
FeasibilityData make_feasibility_data(const Arm& arm, const FeasibilityConfig& c, int threads = 0);

}  // namespace neurokin::data
