// Clustered regression (seed 002): K ik networks, each trained on the samples of one k-means
// cluster in joint space (one family of IK solutions, e.g. elbow up or down). Every member
// answers every target; the answer is the candidate whose FK lands closest to the target
// (FK consistency), and all K candidates with their FK errors are the "all solutions".
//
// The file is a model document of kind "ik_clustered" (docs/model-format.md): the arm, the
// choice rule, and per cluster its joint-space centroid, sample count and a complete ik model
// (so `jq .clusters[0].model` is itself a working model file). Unlike branch heads (nn.h: one
// network, K output blocks and K logits), the members are separate networks and nothing is
// learned about the choice: the FK decides.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "neurokin/arm.h"
#include "neurokin/model.h"
#include "neurokin/nn.h"

namespace neurokin {

inline constexpr const char* kClusteredKind = "ik_clustered";
inline constexpr int kMaxClusters = 32;

struct Cluster {
  Eigen::VectorXd centroid;  // dof joint angles (rad): the circular mean of the cluster
  std::int64_t samples = 0;  // training samples in the cluster
  Model model;               // kind ik, for the same arm
};

struct ClusteredModel {
  Arm arm;
  std::vector<Cluster> clusters;  // 1 to kMaxClusters
  // the FK-consistency score of a candidate: position error (m) + this times the orientation
  // error (rad); 0.1 m/rad weighs 1 degree like 1.7 mm
  double orientation_weight = 0.1;
  nlohmann::json metadata = nlohmann::json::object();

  int k() const { return static_cast<int>(clusters.size()); }
};

// true when j is a model document of kind "ik_clustered" (what to load it with)
bool is_clustered_model(const nlohmann::json& j);

// every member passes check_model, is kind ik with one answer (no branch heads), has the same
// arm and reads the raw task vector; centroids have dof finite entries. Throws Error naming
// the field ("model.clusters[1].model.arm: expected the clustered model's arm 'omx4', got 'kr6'")
void check_clustered_model(const ClusteredModel& m);

// parse and check; errors as model_from_json's, members' under "model.clusters[k].model"
ClusteredModel clustered_model_from_json(const nlohmann::json& j);
ClusteredModel clustered_model_from_json_text(const std::string& text);
ClusteredModel load_clustered_model(
    const std::string& path);  // errors prefixed "model file '<path>'"
nlohmann::json clustered_model_to_json(
    const ClusteredModel& m);  // check, then what the reader reads back bit-exactly

// one workspace per member; predict_candidates allocates nothing else per row
struct ClusteredWorkspace {
  explicit ClusteredWorkspace(const ClusteredModel& m);
  std::vector<Workspace> members;
};

// the index of the candidate with the smallest score position + weight * orientation (the
// first of equal ones; a NaN score never wins unless every score is NaN: then 0)
int fk_consistent_choice(const double* position_error, const double* orientation_error, int k,
                         double orientation_weight);

// every member's answer for n rows of x (n x task size, float32):
//   q[n x K x dof] radians (turned by whole turns into the limits where that fits),
//   position_error[n x K] metres and orientation_error[n x K] radians of each through the FK,
//   best[n] the FK-consistent choice. Assumes m passed check_clustered_model.
void predict_candidates(const ClusteredModel& m, ClusteredWorkspace& ws, const float* x,
                        std::size_t n, float* q, double* position_error, double* orientation_error,
                        int* best);

// one target, checked (size, finite, unit quaternion): every candidate and the choice
struct Candidate {
  Eigen::VectorXd q;  // radians
  double position_error = 0, orientation_error = 0;
  bool within_limits = false;
};
struct ClusteredAnswer {
  std::vector<Candidate> candidates;  // one per cluster, in cluster order
  int best = 0;
};
ClusteredAnswer predict_all(const ClusteredModel& m, ClusteredWorkspace& ws,
                            const Eigen::Ref<const Eigen::VectorXd>& target);

}  // namespace neurokin
