// Evaluating an IK model on fresh targets, shared by `neurokin eval` and `neurokin ablate`:
// the targets, and the core's DLS refinement started from the network's answers.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/trajectory.h"
#include "neurokin/ik.h"
#include "neurokin/model.h"
#include "neurokin/nn.h"
#include "train/trainer.h"

namespace neurokin::cli {

// the data config a model was trained with (metadata.config.data, parsed by from_json), else the
// defaults of its type; ik, feasibility and trajectory models each have their own
template <class Config>
Config training_config(const nlohmann::json& metadata, Config (*from_json)(const nlohmann::json&, const std::string&)) {
  const auto& cfg = metadata.value("config", nlohmann::json::object());
  return cfg.contains("data") ? from_json(cfg["data"], "model.metadata.config.data") : Config{};
}

// the model's ik training data config (branch preference, focus circle), when it has one
data::DataConfig training_data_config(const nlohmann::json& metadata);

// n fresh targets of `arm` (joint samples uniform within the limits from `seed`, through the FK), with
// joints canonicalised on the branch preference of the model's metadata; every row is in .test. With
// `focus`, only the rows drawn near the training focus circle (seed 001's path). threads <= 0:
// one per hardware thread (the targets do not depend on it).
train::Samples fresh_targets(const Arm& arm, const nlohmann::json& metadata, long long n, std::uint64_t seed, bool focus, int threads = 0);

// n fresh samples of a trajectory model's data (its training data config with `seed`, every row
// in .test): one step each, from current joints near the next ones
train::Samples fresh_steps(const Arm& arm, const nlohmann::json& metadata, long long n, std::uint64_t seed);

// the network's answer to row k of s, as the solver's start
Eigen::VectorXd network_start(const Model& m, Workspace& ws, const train::Samples& s, std::size_t k);

struct RefineStats {
  std::size_t solved = 0;  // converged to the tolerances
  double success = 0, mean_iterations = 0, mean_us = 0, mean_pos_mm = 0, mean_rot_deg = 0;
  std::vector<double> position_error_m;  // per row, after the solver
};

// the core's solver (neurokin/ik.h) with `opt` on every row of s, from start(k); opt.seed is
// the row index, so restarts are reproducible
RefineStats refine_all(const Arm& arm, const train::Samples& s, IkOptions opt,
                       const std::function<Eigen::VectorXd(std::size_t)>& start);
nlohmann::json to_json(const RefineStats& r);

}  // namespace neurokin::cli
