// neurokin eval: a model on fresh random reachable targets (joint samples within the limits
// drawn from --seed, through the FK): its errors alone, after N refinement steps of the core's
// DLS seeded with its prediction, the same DLS from the middle of the limits for comparison,
// and its speed at batch 1 and batch 4096.
#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <numeric>
#include <optional>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/eval_ik.h"
#include "data/dataset.h"
#include "data/feasibility.h"
#include "data/trajectory.h"
#include "neurokin/clustered.h"
#include "neurokin/conditioning.h"
#include "neurokin/ik.h"
#include "neurokin/kinematics.h"
#include "train/clustered.h"
#include "train/trainer.h"

namespace neurokin::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct EvalArgs {
  std::string model;
  long long n = 10000;
  std::uint64_t seed = 20261121;  // not a training seed: fresh targets
  int refine = 0;
  double kd_radius = -1;  // classifiers: the margin of the fresh data (< 0: the training one)
  bool json = false;
  std::string compare;  // clustered models: a single ik model evaluated on the same targets
};

// microseconds per prediction at a batch size, over at least ~0.2 s of calls
double us_per_prediction(const Model& m, const train::Samples& s, int batch) {
  Workspace ws(m.net);
  std::vector<float> x(static_cast<size_t>(batch) * s.task_size), y(static_cast<size_t>(batch) * m.net.output_size());
  for (int k = 0; k < batch; ++k)
    std::copy_n(&s.x[(k % s.size()) * s.task_size], s.task_size, &x[static_cast<size_t>(k) * s.task_size]);
  long calls = 0;
  const auto t0 = Clock::now();
  double el = 0;
  while (el < 0.2 || calls < 3) {
    predict(m.net, ws, x.data(), batch, y.data());
    ++calls;
    el = std::chrono::duration<double>(Clock::now() - t0).count();
  }
  return el * 1e6 / (double(calls) * batch);
}

// a classifier on a fresh feasibility dataset (the training data config with --seed and --n
// poses in the config's ratio): accuracy, confusion matrix, per-class precision and recall,
// and the binary reachable / unreachable accuracy
void eval_classifier(const EvalArgs& args, const Model& m) {
  if (args.refine > 0) throw Error("--refine needs an ik model, got a feasibility model");
  data::FeasibilityConfig fc = training_config(m.metadata, data::feasibility_config_from_json);
  const double share = double(fc.reachable) / double(fc.reachable + fc.unreachable);
  fc.reachable = std::max(1LL, std::llround(args.n * share));
  fc.unreachable = args.n - fc.reachable;
  fc.seed = args.seed;
  fc.val_share = fc.test_share = 0;
  if (args.kd_radius >= 0) fc.kd_radius = args.kd_radius;
  train::Samples s = train::to_samples(data::make_feasibility_data(m.arm, fc));
  s.test = s.train;  // every row is held out: another seed than training's
  const train::ClassStats c = train::evaluate_classifier(m, s, s.test);
  nlohmann::json out = {{"model", args.model}, {"arm", m.arm.name},    {"n", s.size()},
                        {"seed", args.seed},   {"kd_radius", fc.kd_radius}, {"data", s.report},
                        {"network", train::to_json(c)}};
  if (args.json) {
    fmt::print("{}\n", out.dump(2));
    return;
  }
  fmt::print("{} on {} fresh poses of {} (seed {}; {} reachable, {} unreachable, margin kd_radius {})\n",
             args.model, s.size(), m.arm.name, args.seed, fc.reachable, fc.unreachable, fc.kd_radius);
  fmt::print("accuracy {:.4f}%  binary reachable/unreachable accuracy {:.4f}% ({} errors)  cross-entropy {:.4g}\n",
             c.accuracy * 100, c.binary_accuracy * 100, c.binary_errors, c.cross_entropy);
  fmt::print("binary errors: {} of {} reachable, {} of {} unreachable inside the reach ball, {} of {} outside\n",
             c.binary_errors_by_source[0], c.rows_by_source[0], c.binary_errors_by_source[1], c.rows_by_source[1],
             c.binary_errors_by_source[2], c.rows_by_source[2]);
  fmt::print("unreachable poses by distance to the reachable set (kd units):");
  for (std::size_t b = 0; b < c.margin_rows.size(); ++b)
    fmt::print("  [{}, {}) {} errors in {}", train::ClassStats::kMarginEdges[b],
               b + 1 < c.margin_rows.size() ? fmt::format("{}", train::ClassStats::kMarginEdges[b + 1]) : "inf",
               c.margin_errors[b], c.margin_rows[b]);
  fmt::print("\naccuracy against pose labels {:.4f}%, against seed 002's per-sample labels (the class of the "
             "sampled configuration) {:.4f}%; this model learned {} labels\n",
             c.pose_label_accuracy * 100, c.sample_label_accuracy * 100, fc.label);
  fmt::print("{:>20} {:>9} {:>9} | confusion (rows: label, columns: predicted)\n", "class", "precision", "recall");
  for (std::size_t k = 0; k < c.precision.size(); ++k) {
    fmt::print("{:>20} {:>8.2f}% {:>8.2f}% |", feasibility_name(static_cast<Feasibility>(k)), c.precision[k] * 100,
               c.recall[k] * 100);
    for (std::size_t j = 0; j < c.confusion[k].size(); ++j) fmt::print(" {:>8}", c.confusion[k][j]);
    fmt::print("\n");
  }
}

// a trajectory model on fresh perturbation data made as for training (--seed, --n samples): the
// error of one step, from current joints near the answer; `neurokin track` follows whole paths
void eval_trajectory(const EvalArgs& args, const Model& m) {
  if (args.refine > 0) throw Error("--refine needs an ik model, got a trajectory model (see neurokin track)");
  const double perturbation = training_config(m.metadata, data::trajectory_config_from_json).perturbation;
  const train::Samples s = fresh_steps(m.arm, m.metadata, args.n, args.seed);
  const train::ErrorStats e = train::evaluate(m, s, s.test);
  nlohmann::json out = {{"model", args.model}, {"arm", m.arm.name}, {"n", s.size()}, {"seed", args.seed},
                        {"perturbation_rad", perturbation}, {"network", train::to_json(e)}};
  if (args.json) {
    fmt::print("{}\n", out.dump(2));
    return;
  }
  fmt::print("{} on {} fresh steps of {} (seed {}; current joints within {} rad of an answer)\n", args.model,
             s.size(), m.arm.name, args.seed, perturbation);
  fmt::print("  one step position mm: mean {:.3f}  p95 {:.3f}  p99 {:.3f}  max {:.3f}   joints: MAE {:.3g} rad\n",
             e.mean_m * 1e3, e.p95_m * 1e3, e.p99_m * 1e3, e.max_m * 1e3, e.joint_mae);
}

// microseconds per target of the clustered model: every member and the FK of each candidate
double us_per_clustered_target(const ClusteredModel& m, const train::Samples& s) {
  ClusteredWorkspace ws(m);
  const int k = m.k();
  std::vector<float> q(static_cast<std::size_t>(k) * m.arm.dof());
  std::vector<double> pe(k), oe(k);
  int best = 0;
  long calls = 0;
  const auto t0 = Clock::now();
  double el = 0;
  while (el < 0.2 || calls < 3) {
    predict_candidates(m, ws, &s.x[(calls % s.size()) * s.task_size], 1, q.data(), pe.data(), oe.data(), &best);
    ++calls;
    el = std::chrono::duration<double>(Clock::now() - t0).count();
  }
  return el * 1e6 / double(calls);
}

// a clustered model on fresh targets: the FK-consistent answer (the best of the K candidates),
// the distinct good solutions among them; and --compare's single model on the same targets
void eval_clustered(const EvalArgs& args) {
  const ClusteredModel m = load_clustered_model(args.model);
  const train::Samples s = fresh_targets(m.arm, m.metadata, args.n, args.seed, false);
  const train::ClusteredStats c = train::evaluate_clustered(m, s, s.test);
  nlohmann::json out = {{"model", args.model}, {"arm", m.arm.name}, {"n", s.size()}, {"seed", args.seed},
                        {"clusters", m.k()}};
  out["clustered"] = train::to_json(c);
  out["clustered"]["us_per_target"] = us_per_clustered_target(m, s);
  out["clustered"]["joints_against"] = "the sampled joints (any branch)";
  std::optional<train::ErrorStats> single;
  if (!args.compare.empty()) {
    const Model sm = load_model(args.compare);
    check_model_arm(sm, args.compare, m.arm);
    single = train::evaluate(sm, s, s.test);
    out["single"] = train::to_json(*single);
    out["single"]["model"] = args.compare;
    out["single"]["us_per_target"] = us_per_prediction(sm, s, 1);
    out["single"]["joints_against"] = "the sampled joints (any branch)";
  }
  if (args.refine > 0) {
    ClusteredWorkspace ws(m);
    const int k = m.k(), dof = m.arm.dof();
    std::vector<float> q(static_cast<std::size_t>(k) * dof);
    std::vector<double> pe(k), oe(k);
    IkOptions opt;  // as `neurokin ik` runs: seeded random restarts within 5 ms
    opt.max_iterations = args.refine;
    const RefineStats r = refine_all(m.arm, s, opt, [&](std::size_t row) {
      int best = 0;
      predict_candidates(m, ws, &s.x[row * s.task_size], 1, q.data(), pe.data(), oe.data(), &best);
      return Eigen::Map<const Eigen::VectorXf>(&q[static_cast<std::size_t>(best) * dof], dof).cast<double>().eval();
    });
    out["refined"] = to_json(r);
    out["refined"]["start"] = "the FK-consistent candidate";
    out["refine_iterations"] = args.refine;
  }
  if (args.json) {
    fmt::print("{}\n", out.dump(2));
    return;
  }
  const train::ErrorStats& b = c.best;
  fmt::print("{} ({} clusters) on {} fresh targets of {} (seed {})\n", args.model, m.k(), s.size(), m.arm.name,
             args.seed);
  fmt::print("{:>26} {:>16} {:>16}\n", "", "clustered", single ? "single" : "");
  auto row = [&](const char* name, double vc, double vs, const char* unit) {
    fmt::print("{:>26} {:>16.3f} {:>16}\n", fmt::format("{} {}", name, unit), vc,
               single ? fmt::format("{:.3f}", vs) : "");
  };
  const train::ErrorStats e = single.value_or(train::ErrorStats{});
  row("position mean", b.mean_m * 1e3, e.mean_m * 1e3, "mm");
  row("position p50", b.p50_m * 1e3, e.p50_m * 1e3, "mm");
  row("position p95", b.p95_m * 1e3, e.p95_m * 1e3, "mm");
  row("position p99", b.p99_m * 1e3, e.p99_m * 1e3, "mm");
  row("position max", b.max_m * 1e3, e.max_m * 1e3, "mm");
  row("within 5 mm", b.within_5mm * 100, e.within_5mm * 100, "%");
  row("orientation mean", b.rot_mean_deg, e.rot_mean_deg, "deg");
  row("orientation p95", b.rot_p95_deg, e.rot_p95_deg, "deg");
  row("outside limits", b.outside_limits * 100, e.outside_limits * 100, "%");
  row("time per target", out["clustered"]["us_per_target"].get<double>(),
      single ? out["single"]["us_per_target"].get<double>() : 0.0, "us");
  fmt::print("  distinct good solutions per target ({}): mean {:.3f}, {:.2f}% of targets have 2 or more\n",
             out["clustered"]["distinct_rule"].get<std::string>(), c.distinct_mean, c.two_or_more * 100);
  fmt::print("  the FK-consistent choice came from cluster:");
  for (std::size_t k = 0; k < c.chosen_share.size(); ++k) fmt::print(" {} {:.1f}%", k, c.chosen_share[k] * 100);
  fmt::print("\n");
  if (args.refine > 0) {
    const auto& r = out["refined"];
    fmt::print("  refined from the chosen candidate, {} iterations an attempt: solved {:.2f}%  position {:.4f} mm\n",
               args.refine, r["success_rate"].get<double>() * 100, r["position_mean_mm"].get<double>());
  }
}

void run_eval(const EvalArgs& args) {
  if (is_clustered_file(args.model)) return eval_clustered(args);
  if (!args.compare.empty())
    throw Error("--compare: needs a clustered model (kind \"ik_clustered\") as --model, got " + args.model);
  const Model m = load_model(args.model);
  if (m.kind == ModelKind::kFeasibility) return eval_classifier(args, m);
  if (m.kind == ModelKind::kTrajectory) return eval_trajectory(args, m);
  const train::Samples s = fresh_targets(m.arm, m.metadata, args.n, args.seed, false);
  const train::ErrorStats e = train::evaluate(m, s, s.test);
  nlohmann::json out = {{"model", args.model}, {"arm", m.arm.name}, {"n", s.size()}, {"seed", args.seed}};
  out["network"] = train::to_json(e);
  std::optional<train::ErrorStats> focus;
  if (training_data_config(m.metadata).focus) {
    const train::Samples f = fresh_targets(m.arm, m.metadata, std::max<long long>(args.n / 10, 100), args.seed + 1, true);
    focus = train::evaluate(m, f, f.test);
    out["focus_path"] = train::to_json(*focus);
  }
  out["network"]["position_mean_share_of_reach"] = e.mean_m / m.arm.reach_radius;
  out["network"]["position_max_share_of_reach"] = e.max_m / m.arm.reach_radius;
  out["us_per_prediction"] = {{"batch_1", us_per_prediction(m, s, 1)},
                              {"batch_4096", us_per_prediction(m, s, 4096)}};
  RefineStats seeded, fixed;
  if (args.refine > 0) {
    Workspace ws(m.net);
    IkOptions opt;  // as `neurokin ik` runs: seeded random restarts within 5 ms
    opt.max_iterations = args.refine;
    seeded = refine_all(m.arm, s, opt, [&](size_t k) { return network_start(m, ws, s, k); });
    fixed = refine_all(m.arm, s, opt, [&](size_t) { return m.arm.mid(); });
    out["refined"] = to_json(seeded);
    out["refined"]["start"] = "the network's prediction";
    out["dls_from_mid"] = to_json(fixed);
    out["dls_from_mid"]["start"] = "the middle of the joint limits";
    out["refine_iterations"] = args.refine;
  }
  if (args.json) {
    fmt::print("{}\n", out.dump(2));
    return;
  }
  fmt::print("{} on {} fresh targets of {} (seed {})\n", args.model, s.size(), m.arm.name, args.seed);
  fmt::print("  network  position mm: mean {:.3f}  std {:.3f}  p50 {:.3f}  p95 {:.3f}  p99 {:.3f}  max {:.3f}  rmse {:.3f}\n",
             e.mean_m * 1e3, e.std_m * 1e3, e.p50_m * 1e3, e.p95_m * 1e3, e.p99_m * 1e3, e.max_m * 1e3, e.rmse_m * 1e3);
  fmt::print("           orientation deg: mean {:.3f}  p95 {:.3f}  max {:.3f}   joints: MSE {:.3g} rad^2  MAE {:.3g} rad\n",
             e.rot_mean_deg, e.rot_p95_deg, e.rot_max_deg, e.joint_mse, e.joint_mae);
  fmt::print("           {:.2f}% of predictions have a joint outside its limits\n", e.outside_limits * 100);
  if (focus)
    fmt::print("  focus path ({} targets near the training circle): mean {:.3f} mm  rmse {:.3f} mm  max {:.3f} mm\n",
               focus->n, focus->mean_m * 1e3, focus->rmse_m * 1e3, focus->max_m * 1e3);
  fmt::print("           {:.2f} us per prediction at batch 1, {:.3f} us at batch 4096\n",
             out["us_per_prediction"]["batch_1"].get<double>(), out["us_per_prediction"]["batch_4096"].get<double>());
  if (args.refine > 0)
    for (const auto& [name, r] : {std::pair{"refined (network start)", seeded}, std::pair{"DLS from mid-limits", fixed}})
      fmt::print("  {:<24} {} iterations an attempt: solved {:.2f}%  mean {:.1f} iterations  {:.1f} us  position {:.4f} mm\n", name,
                 args.refine, r.success * 100, r.mean_iterations, r.mean_us, r.mean_pos_mm);
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand("eval", "Evaluate an IK model on fresh random reachable targets, or a classifier");
  cmd->footer(
      "Targets are the FK of joint samples uniform within the limits (--seed); joint errors are\n"
      "against their canonical form on the model's branch preference. --refine N also runs the\n"
      "core's DLS with N iterations per attempt (then seeded random restarts, 5 ms budget, as\n"
      "`neurokin ik` does) from the network's prediction, and from the middle of the limits.\n\n"
      "Feasibility models are evaluated on a fresh held-out dataset made as for training (--seed,\n"
      "--n poses in the training ratio of reachable to unreachable): accuracy, confusion matrix,\n"
      "per-class precision and recall, binary reachable/unreachable accuracy (and its errors by\n"
      "where the pose came from and, for unreachable poses, by their distance to the reachable set),\n"
      "and the accuracy against seed 002's per-sample labels. --kd-radius 0 evaluates on unreachable\n"
      "poses without the training margin (arbitrarily close to reachable ones).\n\n"
      "Trajectory models are evaluated on one step from fresh perturbation data made as for training\n"
      "(--seed, --n samples); `neurokin track` follows a circle and a line with them.\n\n"
      "Clustered models (kind ik_clustered): the candidate chosen by FK consistency (the best of the K),\n"
      "the share within 5 mm, and how many distinct good solutions the candidates hold per target;\n"
      "--compare MODEL evaluates a single ik model on the same targets beside it.\n\n"
      "Example: neurokin eval --model models/kr6/ik.json --n 10000 --refine 20 --json\n"
      "         neurokin eval --model models/omx4/ik-clustered.json --n 10000 --compare models/omx4/ik.json\n"
      "         neurokin eval --model models/kr6/feasibility.json --n 80000");
  cmd->add_option("--model", args->model, "model file (JSON)")->required()->type_name("FILE");
  cmd->add_option("--n", args->n, "targets")->check(CLI::Range(1LL, 100'000'000LL))->capture_default_str();
  cmd->add_option("--seed", args->seed, "seed of the targets")->capture_default_str();
  cmd->add_option("--refine", args->refine, "DLS iterations after the prediction (0: none)")
      ->check(CLI::Range(0, 100000));
  cmd->add_option("--kd-radius", args->kd_radius,
                  "classifiers: margin of the fresh unreachable poses (kd units; 0: none; default: the training one)")
      ->check(CLI::Range(0.0, 10.0));
  cmd->add_option("--compare", args->compare,
                  "clustered models: also evaluate this single ik model on the same targets, side by side")
      ->type_name("MODEL.json");
  cmd->add_flag("--json", args->json, "print one JSON object");
  cmd->callback([args] { run_eval(*args); });
}

}  // namespace neurokin::cli
