// Training data for the feasibility classifier (PRODUCT.md, seed 002): reachable poses from
// joint-space samples, and unreachable poses, half inside the arm's reach ball and half
// outside it. An inside candidate is kept only when no reachable sample lies within
// `kd_radius` of it (a KD-tree, nanoflann) and the IK then finds no solution within the
// limits (closed form where the arm has one, else multi-start DLS): so "unreachable" is a
// checked fact, not a guess.
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
  double kd_radius = 0.02;   // scaled task-space distance (positions / reach radius) kept clear
  double outside_max = 1.5;  // outside poses: distance from the reach centre in (1, this] radii
  double val_share = 0.1, test_share = 0.1;
};

// {"reachable": 400000, "unreachable": 160000, "inside_share": 0.5, "seed": 1,
//  "ik_starts": 8, "kd_radius": 0.02, "outside_max": 1.5, "val_share": 0.1,
//  "test_share": 0.1}; every field optional, unknown fields are errors naming the path
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
  std::vector<PoseSource> source;
  Split split;
  nlohmann::json report = nlohmann::json::object();  // counts, class shares, agreement

  const float* target(std::int64_t i) const { return targets.data() + i * task_size; }
};

// the pose label of a target and, through `q_known`, a configuration known to reach it
// (considered with the IK solutions; nullptr: none). Class 0 when no solution is found.
int pose_label(const Arm& arm, const Eigen::Ref<const Eigen::VectorXd>& target, int ik_starts,
               const JointVec* q_known = nullptr);

// the point a pose occupies in the KD-tree: position / reach radius, then the orientation part
// as it is (pitch / pi, or the quaternion); 2 to 7 coordinates
std::vector<float> kd_point(const Arm& arm, const float* target);

// which of `queries` (row-major task vectors) lie farther than `radius` (in kd_point space)
// from every one of `reference`; threads <= 0: one per hardware thread
std::vector<std::uint8_t> far_from(const Arm& arm, const std::vector<float>& reference,
                                   const std::vector<float>& queries, double radius,
                                   int threads = 0);

// throws Error for an arm without conditioning thresholds
FeasibilityData make_feasibility_data(const Arm& arm, const FeasibilityConfig& c, int threads = 0);

}  // namespace neurokin::data
