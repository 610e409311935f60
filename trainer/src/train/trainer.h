// The training loop: epochs of shuffled mini-batches through the oneDNN engine, the losses of
// loss.h, a learning-rate schedule, validation through the core's own inference, a CSV log,
// a progress line, and atomic checkpoints from which --resume continues bit-identically.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/feasibility.h"
#include "data/trajectory.h"
#include "neurokin/arm.h"
#include "neurokin/model.h"
#include "train/config.h"
#include "train/loss.h"

namespace neurokin::train {

// what training reads: targets and canonical joints, row-major float32, and the split
struct Samples {
  int task_size = 0, dof = 0;
  std::vector<float> x;  // n x task_size
  std::vector<float> q;  // n x dof (trajectory models: the next joints)
  std::vector<float> q_current;  // trajectory models: n x dof, the input after the target
  std::vector<std::int8_t> label;  // classifiers: n class indices (q stays empty, dof 0)
  std::vector<std::int8_t> pose_label, sample_label;  // classifiers: both labellings (label is
                                                      // one of them, config.data.label's)
  std::vector<std::uint8_t> source;       // classifiers: data::PoseSource of each row
  std::vector<float> margin;              // classifiers: distance to the other side (kd units)
  std::vector<std::int8_t> branch;        // ik: each sample's canonical branch, -1: none
  std::vector<std::string> branch_names;  // what branch indexes (the arm's solver's names)
  std::vector<int> train, val, test;
  nlohmann::json report = nlohmann::json::object();  // the dataset's own report (branches)
  std::size_t size() const { return !label.empty() ? label.size() : dof ? q.size() / dof : 0; }
  // the width of a model input row: the target, then the current joints when there are any
  int input_size() const { return task_size + (q_current.empty() ? 0 : dof); }
  // row r's model input (input_size() floats) into `in`
  void input_row(std::size_t r, float* in) const;
};

// a dataset's rows and split as the trainer reads them (moves the arrays); the report keeps
// the data config, hash, split sizes and branch coverage
Samples to_samples(data::Dataset&& d);
// a feasibility dataset's poses, pose labels and split (the report: counts, label agreement)
Samples to_samples(data::FeasibilityData&& d);
// a trajectory dataset: targets, current joints (q_current) and next joints (q)
Samples to_samples(data::TrajectoryData&& d);

// one epoch's line of the log
struct EpochStats {
  int epoch = 0;  // 1-based
  double lr = 0;
  LossTerms terms;   // training means, unweighted
  double loss = 0;   // training mean of the weighted sum
  double grad_norm = 0;
  double val_mean_mm = 0, val_p95_mm = 0, val_max_mm = 0, val_rot_mean_deg = 0;
  double val_accuracy = 0, val_cross_entropy = 0;  // classifiers
  double samples_per_s = 0, seconds = 0;
};

struct TrainOptions {
  std::string out;       // models/ARM/NAME: writes NAME.json, NAME.log.csv, NAME.ckpt
  bool resume = false;   // continue from NAME.ckpt
  bool progress = true;  // a live progress line (else one plain line per epoch)
  int stop_after_epoch = 0;  // tests: stop (as if killed) after this epoch; 0: run to the end
};

// trains and returns the model (EMA weights when enabled), its metadata holding the config,
// the data report, the per-epoch curves and the final validation metrics. Throws Error on
// bad input and when the loss or gradients become non-finite (the last checkpoint is kept).
Model train_model(const TrainConfig& cfg, const Arm& arm, const Samples& data,
                  const TrainOptions& opt);

// the p-th percentile (0 to 100) of v, the nearest-rank value; 0 for an empty v
double percentile(std::vector<double> v, double p);

// position / orientation errors of a model on rows `rows` of data, through the core's
// predict: the same code the browser runs
struct ErrorStats {
  double mean_m = 0, std_m = 0, p50_m = 0, p95_m = 0, p99_m = 0, max_m = 0, rmse_m = 0;
  double within_5mm = 0;  // share of rows whose position error is at most 5 mm
  double rot_mean_deg = 0, rot_p95_deg = 0, rot_max_deg = 0;
  double joint_mse = 0, joint_mae = 0;  // wrapped, rad^2 / rad, against the canonical joints
  double outside_limits = 0;  // share of predictions with a joint outside its limits (by any turn)
  double branch_agreement = -1;  // networks with branch heads: share answered on the canonical
                                 // branch's head (-1: no heads)
  std::size_t n = 0;
};
// position_error_m, when given, receives each row's position error (m), in the order of rows
ErrorStats evaluate(const Model& model, const Samples& data, const std::vector<int>& rows,
                    std::vector<double>* position_error_m = nullptr);
// the errors of given answers (rows.size() x dof joint angles, float32) on rows of data
ErrorStats answer_errors(const Arm& arm, const Samples& data, const std::vector<int>& rows,
                         const std::vector<float>& answers, std::vector<double>* position_error_m = nullptr);
// the position (m) and orientation (deg) statistics of ErrorStats from per-row errors (n too)
void summarise_errors(const std::vector<double>& pos, const std::vector<double>& rot_deg, ErrorStats& st);
nlohmann::json to_json(const ErrorStats& s);

// a classifier on rows `rows` of data, through the core's predict (the most probable class)
struct ClassStats {
  std::size_t n = 0;
  double accuracy = 0;         // share of rows whose most probable class is the label
  double binary_accuracy = 0;  // reachable (classes 1-3) versus unreachable (class 0)
  std::size_t binary_errors = 0;
  double cross_entropy = 0;    // mean -log p(label)
  std::vector<std::vector<std::size_t>> confusion;  // [label][predicted]
  std::vector<double> precision, recall;            // per class (0 when undefined)
  // with the data's sources (else empty / 0): binary errors on reachable, inside and outside
  // poses, and the accuracy against either labelling (pose labels; seed 002's per-sample labels)
  std::vector<std::size_t> binary_errors_by_source, rows_by_source;
  double pose_label_accuracy = 0, sample_label_accuracy = 0;
  // unreachable rows by their distance to the reachable set (kd units, ClassStats::kMarginEdges)
  static constexpr double kMarginEdges[] = {0.0, 0.01, 0.02, 0.05, 0.1, 0.2};
  std::vector<std::size_t> margin_rows, margin_errors;
};
ClassStats evaluate_classifier(const Model& model, const Samples& data, const std::vector<int>& rows);
nlohmann::json to_json(const ClassStats& s);

}  // namespace neurokin::train
