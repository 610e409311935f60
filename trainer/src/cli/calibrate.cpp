// neurokin calibrate: the feasibility thresholds of an arm (20th / 80th percentiles of the
// inverse condition number over uniform joint samples, seed 002), reproducible from a seed.
#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "io/atomic_file.h"
#include "neurokin/conditioning.h"

namespace neurokin::cli {
namespace {

struct CalibrateArgs {
  std::string arm;
  int samples = 100000;
  std::uint64_t seed = 1;
  bool write = false;
};

void run_calibrate(const CalibrateArgs& args) {
  const std::string path = find_arm_file(args.arm);
  Arm arm = load_arm(path);
  const ConditioningThresholds stored = arm.conditioning;
  arm.conditioning = compute_thresholds(arm, args.samples, args.seed);
  fmt::print("arm {}: inverse condition number over {} uniform joint samples (seed {})\n", arm.name,
             args.samples, args.seed);
  fmt::print(
      "  p20 {:.17g}   (below: near-singular)\n  p80 {:.17g}   (above: high manipulability)\n",
      arm.conditioning.p20, arm.conditioning.p80);
  if (stored.valid())
    fmt::print("  stored in {}: p20 {:.17g}, p80 {:.17g} ({} samples, seed {})\n", path, stored.p20,
               stored.p80, stored.samples, stored.seed);
  if (args.write) {
    io::write_file_atomic(path, arm_to_json(arm).dump(2) + "\n");
    fmt::print("  written to {}\n", path);
  }
}

}  // namespace

void add_calibrate_command(CLI::App& app) {
  auto args = std::make_shared<CalibrateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "calibrate",
      "Feasibility thresholds of an arm (20th/80th percentiles of sigma_min/sigma_max)");
  cmd->footer(
      "Prints the thresholds computed from --samples uniform joint samples drawn with --seed, "
      "next\n"
      "to the ones stored in the arm file; --write stores the new ones in the file "
      "(atomically).\n\n"
      "Example: neurokin calibrate --arm kr6 --samples 100000 --seed 1");
  cmd->add_option("--arm", args->arm, "arm name (models/arms/NAME.json) or path to an arm file")
      ->required()
      ->type_name("ARM");
  cmd->add_option("--samples", args->samples, "joint samples")
      ->check(CLI::Range(10, 100'000'000))
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "random seed")->capture_default_str();
  cmd->add_flag("--write", args->write, "store the thresholds in the arm file");
  cmd->callback([args] { run_calibrate(*args); });
}

}  // namespace neurokin::cli
