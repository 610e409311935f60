// neurokin ik: task-space targets -> joint angles with the damped least-squares solver,
// optionally started from a network's prediction; one status row per target.
#include "neurokin/ik.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/commands.h"
#include "cli/common.h"
#include "io/atomic_file.h"
#include "neurokin/error.h"
#include "neurokin/model.h"

namespace neurokin::cli {
namespace {

struct IkArgs {
  std::string arm;
  InOut io;
  std::string model;
  IkOptions opt;
  bool json = false;
};

// nearest-rank percentile of sorted values
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0.0;
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * sorted.size()));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

// microseconds to the nanosecond: the clock's resolution, not 17 digits of noise
double round_us(double us) { return std::round(us * 1000.0) / 1000.0; }

// the --json document: keys in reading order
nlohmann::ordered_json summary(const Arm& arm, const std::vector<IkStatus>& status,
                               std::vector<double> time_us) {
  std::array<int, 4> count{};
  for (IkStatus s : status) ++count[static_cast<int>(s)];
  const auto n = static_cast<int>(status.size());
  const int converged = count[static_cast<int>(IkStatus::kConverged)];
  double mean = 0;
  for (double t : time_us) mean += t;
  std::sort(time_us.begin(), time_us.end());

  nlohmann::ordered_json by_status = nlohmann::ordered_json::object();
  for (int s = 0; s < 4; ++s) by_status[status_name(static_cast<IkStatus>(s))] = count[s];
  nlohmann::ordered_json j;
  j["arm"] = arm.name;
  j["n"] = n;
  j["converged"] = converged;
  j["success_rate"] = n > 0 ? static_cast<double>(converged) / n : 0.0;
  j["status"] = by_status;
  j["time_us"] = {{"mean", round_us(n > 0 ? mean / n : 0.0)},
                  {"p50", round_us(percentile(time_us, 50))},
                  {"p99", round_us(percentile(time_us, 99))}};
  return j;
}

void run_ik(IkArgs args) {
  // the CSV goes to stdout unless --json claims it; two documents cannot share one stream
  if (args.json && args.io.out == io::kStdStream) {
    throw CLI::ValidationError("--out -", "--json prints to standard output; give --out a file");
  }
  if (args.arm.empty() && args.model.empty()) throw CLI::RequiredError("--arm");

  std::optional<Model> model;
  if (!args.model.empty()) model = load_model(args.model);
  const Arm arm = args.arm.empty() ? model->arm : load_arm(args.arm);
  if (model) check_model_arm(*model, args.model, arm);
  std::optional<Workspace> ws;
  if (model) ws.emplace(model->net);

  const io::NumericTable targets = read_targets(arm, args.io.in);
  if (model) check_network_inputs(*model, targets);
  io::CsvWriter out(concat(
      joint_columns(arm),
      {"status", "position_error_m", "orientation_error_rad", "iterations", "microseconds"}));
  std::vector<IkStatus> status;
  std::vector<double> time_us;
  const std::uint64_t base_seed = args.opt.seed;
  for (std::size_t i = 0; i < targets.rows(); ++i) {
    const auto target = row_vector(targets, i);
    // a seed per row: results do not depend on the order or number of rows
    IkOptions opt = args.opt;
    opt.seed = base_seed + i;
    const auto start = std::chrono::steady_clock::now();
    const IkResult r = model ? solve_ik(arm, target, opt, predict_one(*model, *ws, target))
                             : solve_ik(arm, target, opt);
    const std::chrono::duration<double, std::micro> us = std::chrono::steady_clock::now() - start;

    add_values(out, r.q);
    out.add(status_name(r.status)).add(r.position_error).add(r.orientation_error);
    out.add(r.iterations).add_fixed(us.count(), 3);
    out.end_row();
    status.push_back(r.status);
    time_us.push_back(us.count());
  }

  if (!args.json || !args.io.out.empty()) io::write_file_atomic(args.io.out, out.text());
  if (args.json) std::cout << summary(arm, status, std::move(time_us)).dump(2) << '\n';
}

}  // namespace

void add_ik_command(CLI::App& app) {
  auto args = std::make_shared<IkArgs>();
  CLI::App* cmd =
      app.add_subcommand("ik", "Inverse kinematics: task-space targets -> joint angles");
  cmd->footer(
      "Each input row is one target, the arm's task vector: planar2 x,y; puma3 x,y,z;\n"
      "omx4 x,y,z,pitch; kr6 x,y,z,qx,qy,qz,qw (metres, rad, unit quaternion).\n"
      "Each output row: the joint angles (rad), then status (converged | max_iterations |\n"
      "stalled | unreachable), position_error_m, orientation_error_rad, iterations and\n"
      "microseconds (wall time of the solve, with --model the prediction included).\n"
      "Row i uses seed + i, so a row's result does not depend on the other rows.\n"
      "Unreachable targets are results, not errors.\n\n"
      "Examples:\n"
      "  neurokin ik --arm kr6 --in targets.csv --out q.csv\n"
      "  neurokin fk --arm omx4 --in q.csv --task | neurokin ik --arm omx4 --in - --json");
  cmd->add_option("--arm", args->arm,
                  "arm name (models/arms/NAME.json) or path; optional with --model")
      ->type_name("ARM");
  add_in_out(*cmd, args->io, "targets", "");
  cmd->get_option("--out")->description(
      "joint angles and status (CSV, written atomically); default: standard output, none with "
      "--json");
  cmd->add_option("--tol-pos", args->opt.tol_pos, "position tolerance (m)")
      ->capture_default_str()
      ->check(positive());
  cmd->add_option("--tol-rot", args->opt.tol_rot, "orientation tolerance (rad)")
      ->capture_default_str()
      ->check(positive());
  cmd->add_option("--time-ms", args->opt.time_budget_ms,
                  "time budget per target (ms), restarts included; 0: none")
      ->capture_default_str()
      ->check(non_negative());
  cmd->add_option("--max-iterations", args->opt.max_iterations, "iterations per attempt")
      ->capture_default_str()
      ->check(positive());
  cmd->add_option("--seed", args->opt.seed, "base seed of the random restarts")
      ->capture_default_str();
  cmd->add_option("--model", args->model, "ik model whose prediction is the initial guess")
      ->type_name("MODEL.json");
  cmd->add_flag("--json", args->json,
                "print a summary to standard output: n, converged, success_rate, time_us");
  cmd->callback([args, cmd] {
    IkArgs a = *args;
    // without --out, --json replaces the CSV on standard output
    if (a.json && cmd->count("--out") == 0) a.io.out.clear();
    run_ik(std::move(a));
  });
}

}  // namespace neurokin::cli
