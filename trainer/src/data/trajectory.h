// Training data for trajectory models (seed 004): (target, current joints) -> next joints.
// Seed 004 varies the next joints over a grid (step 0.4 rad) and draws 20 current joints
// within +-0.1 rad of each; a grid does not scale past two joints, so here the next joints are
// `points` samples within the limits (uniform or a Latin hypercube, dataset.h's JointSampler)
// and each gets `per_point` current joints, each joint uniform within +-perturbation of the
// next one and clipped to its limits. The target is the FK of the next joints. Within so small
// a neighbourhood the next joints are the one IK solution near the current ones, so the map is
// a function and stays on the current joints' branch: no canonical branch is needed.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "neurokin/arm.h"

namespace neurokin::data {

struct TrajectoryConfig {
  std::int64_t n = 100000;  // samples in all: points x per_point (n rounded down to a multiple)
  std::uint64_t seed = 1;
  Sampling sampling = Sampling::kLhs;  // of the next joints
  int per_point = 20;                  // current joints drawn around each next one (seed 004: 20)
  double perturbation = 0.1;           // rad, each joint's largest offset (seed 004: 0.1)
  // > 0: each sample's offsets are u * s, u uniform in [-1, 1] per joint and the scale s
  // log-uniform in [perturbation_min, perturbation], so small steps (what a path's closed loop asks
  // for once the tool is near the target) are as common as large ones; 0: seed 004's uniform
  // offsets
  double perturbation_min = 0;
  double val_share = 0.05, test_share = 0.05;  // of the points (a point's samples stay together)
};

// {"n": 400000, "seed": 1, "sampling": "lhs", "per_point": 20, "perturbation": 0.1,
//  "perturbation_min": 0, "val_share": 0.05, "test_share": 0.05}; every field optional, unknown
//  fields are errors
// naming the path under `where` ("config.data.perturbation: expected a number in (0, 3.14...]")
TrajectoryConfig trajectory_config_from_json(const nlohmann::json& j, const std::string& where);
nlohmann::json trajectory_config_to_json(const TrajectoryConfig& c);

struct TrajectoryData {
  int task_size = 0, dof = 0;
  std::int64_t n = 0;
  TrajectoryConfig config;
  std::vector<float> targets;  // n x task_size: the FK of the next joints
  std::vector<float> current;  // n x dof: the current joints (within the limits)
  std::vector<float> next;     // n x dof: the next joints (within the limits)
  Split split;                 // over samples; a point's samples all in one part
  nlohmann::json report = nlohmann::json::object();
};

// the dataset of a config: a function of the arm and the config alone (any thread count)
TrajectoryData make_trajectory_data(const Arm& arm, const TrajectoryConfig& c);

}  // namespace neurokin::data
