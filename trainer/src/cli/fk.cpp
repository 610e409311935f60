// neurokin fk: joint angles -> tool poses (or task vectors, ready for `neurokin ik`).
#include <memory>

#include "cli/commands.h"
#include "cli/common.h"
#include "io/atomic_file.h"
#include "neurokin/kinematics.h"

namespace neurokin::cli {
namespace {

struct FkArgs {
  std::string arm;
  InOut io;
  bool task = false;
};

void run_fk(const FkArgs& args) {
  const Arm arm = load_arm(args.arm);
  const io::NumericTable q = read_joints(arm, args.io.in);

  io::CsvWriter out(args.task ? task_columns(arm.task) : pose_columns());
  for (std::size_t i = 0; i < q.rows(); ++i) {
    const Eigen::Isometry3d X_WT = fk(arm, row_vector(q, i));
    if (args.task) {
      add_values(out, task_vector(arm, X_WT));
    } else {
      add_pose(out, X_WT);
    }
    out.end_row();
  }
  io::write_file_atomic(args.io.out, out.text());
}

}  // namespace

void add_fk_command(CLI::App& app) {
  auto args = std::make_shared<FkArgs>();
  CLI::App* cmd = app.add_subcommand("fk", "Forward kinematics: joint angles -> tool poses");
  cmd->footer(
      "Each input row holds one joint angle (rad) per joint, in joint order; the header may\n"
      "name them anything. Output columns: x,y,z,qx,qy,qz,qw (metres; unit quaternion of the\n"
      "tool frame in the world frame, qw >= 0), or with --task the arm's task vector, which\n"
      "`neurokin ik` reads.\n\n"
      "Example: neurokin fk --arm kr6 --in q.csv --out poses.csv");
  cmd->add_option("--arm", args->arm, "arm name (models/arms/NAME.json) or path to an arm file")
      ->required()
      ->type_name("ARM");
  add_in_out(*cmd, args->io, "joint angles", "tool poses");
  cmd->add_flag("--task", args->task,
                "write the arm's task vector (e.g. x,y,z,pitch for omx4) instead of the pose");
  cmd->callback([args] { run_fk(*args); });
}

}  // namespace neurokin::cli
