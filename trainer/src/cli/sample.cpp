// neurokin sample: random joint configurations within the limits, or the reachable targets
// they give; the core's generator, so a seed gives the same rows natively and in the browser.
#include <memory>

#include "cli/commands.h"
#include "cli/common.h"
#include "io/atomic_file.h"
#include "neurokin/kinematics.h"
#include "neurokin/random.h"

namespace neurokin::cli {
namespace {

struct SampleArgs {
  std::string arm;
  std::string out = io::kStdStream;
  long n = 1000;
  std::uint64_t seed = 1;
  bool task = false;
};

void run_sample(const SampleArgs& args) {
  const Arm arm = load_arm(args.arm);
  Rng rng(args.seed);
  io::CsvWriter out(args.task ? task_columns(arm.task) : joint_columns(arm));
  for (long i = 0; i < args.n; ++i) {
    const JointVec q = sample_joints(arm, rng);
    if (args.task)
      add_values(out, task_vector(arm, fk(arm, q)));
    else
      add_values(out, q);
    out.end_row();
  }
  io::write_file_atomic(args.out, out.text());
}

}  // namespace

void add_sample_command(CLI::App& app) {
  auto args = std::make_shared<SampleArgs>();
  CLI::App* cmd = app.add_subcommand(
      "sample", "Random joint angles within the limits, or the reachable targets they give");
  cmd->footer(
      "Joint angles are uniform within each joint's limits (xoshiro256** seeded by --seed).\n"
      "With --task each row is the task vector those angles reach: a reachable IK target.\n\n"
      "Example: neurokin sample --arm kr6 --n 1000 --seed 1 --task | neurokin ik --arm kr6 --in - "
      "--json");
  cmd->add_option("--arm", args->arm, "arm name (models/arms/NAME.json) or path to an arm file")
      ->required()
      ->type_name("ARM");
  cmd->add_option("--n", args->n, "number of rows")
      ->check(CLI::Range(0L, 100'000'000L))
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "random seed")->capture_default_str();
  cmd->add_option("--out", args->out, "output CSV ('-': standard output)")->capture_default_str();
  cmd->add_flag("--task", args->task, "write the reached task vectors instead of the joint angles");
  cmd->callback([args] { run_sample(*args); });
}

}  // namespace neurokin::cli
