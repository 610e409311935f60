// A training run's configuration: one JSON file names the arm, data, network, losses,
// optimiser and schedule (models/configs/*.json). Every field has a default; unknown fields
// are errors naming the path, so a typo never silently trains the wrong thing.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "neurokin/arm.h"
#include "neurokin/nn.h"
#include "train/mlp.h"

namespace neurokin::train {

struct LossConfig {
  double joint_mse = 1.0;       // joint MSE with angles wrapped to (-pi, pi] (seed 000)
  double sincos = 0.0;          // (sin, cos) squared error against the target's (seed 001)
  double fk_position = 0.0;     // mean squared position error / reach^2 through the FK
  double fk_orientation = 0.0;  // mean squared pitch / geodesic angle (rad^2) through the FK
  double hard_alpha = 0.0;      // FK weights w_i = 1 + alpha e_i / mean(e)
  bool curriculum = false;      // FK weights scaled by epoch / epochs
  bool adaptive = false;        // each term scaled by 1 / its running mean (seed 001)
  double hard_mining = 0.0;     // share of the worst training samples fed again each epoch
  double limits = 0.0;          // squared excursion of predicted joints beyond their limits
  double huber_position = 0.0;     // pseudo-Huber scale of the FK position error, m (0: squared)
  double huber_orientation = 0.0;  // the same for the orientation error, rad
  double branch = 1.0;  // networks with branch heads: cross-entropy of the branch choice
  double reachability = 0.0;  // classifiers: binary cross-entropy, unreachable vs the rest
};

struct ScheduleConfig {
  std::string kind = "cosine";  // constant | step | cosine | plateau
  double lr = 1e-3, min_lr = 1e-6;
  int warmup_epochs = 0;
  int step_epochs = 30;  // step: every step_epochs ...
  double gamma = 0.5;    // ... multiply by gamma; plateau: the factor
  int patience = 5;      // plateau: epochs without a better validation error
};

struct TrainConfig {
  std::string arm;
  std::string task;  // empty: the arm's own; else another task of it ("position": kr6 positioned only)
  std::string kind = "ik";  // "ik", "feasibility", or "ik_clustered" (train/clustered.h)
  nlohmann::json clusters = nlohmann::json::object();  // ik_clustered: the k-means settings
  nlohmann::json data = nlohmann::json::object();  // the dataset's own config (dataset.h)
  Architecture arch;
  InputEncoding encoding = InputEncoding::kRaw;
  OutputDecoding decoding = OutputDecoding::kAngles;
  // branch heads (nn.h): one output block per named branch of the arm's closed-form solver
  // and a logit each; the canonical branch (data.branch_preference) is the choice to learn
  std::vector<std::string> branches;
  float dropout = 0.0f;
  LossConfig loss;
  OptimizerConfig optimizer;
  ScheduleConfig schedule;
  int epochs = 50;
  int batch = 1024;
  std::uint64_t seed = 1;
  int threads = 0;
  // fine-tuning: a trained model file to start from (its weights and normalisation; the same
  // arm, kind, encoding, decoding, heads and layer shapes as this config). "": fresh weights
  std::string init;
};

// parse with defaults; throws Error "config.loss.fk_position: expected a number, got ..."
TrainConfig config_from_json(const nlohmann::json& j);
nlohmann::json config_to_json(const TrainConfig& c);

// the arm the config trains for: load_arm(c.arm), with c.task when set (with_task)
Arm config_arm(const TrainConfig& c);

// "a.b.c=value" overrides (value parsed as JSON, else taken as a string), applied before parsing
void apply_override(nlohmann::json& j, const std::string& assignment);

// learning rate at the start of `epoch` (0-based); plateau handled by the trainer
double scheduled_lr(const ScheduleConfig& s, int epoch, int epochs);

}  // namespace neurokin::train
