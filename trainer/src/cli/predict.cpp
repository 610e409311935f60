// neurokin predict: a whole batch through a network (ik: joint angles, feasibility: class
// probabilities), with the task-space error of each ik prediction, optionally refined.
#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "cli/commands.h"
#include "cli/common.h"
#include "io/atomic_file.h"
#include "neurokin/conditioning.h"
#include "neurokin/error.h"
#include "neurokin/ik.h"
#include "neurokin/kinematics.h"
#include "neurokin/model.h"

namespace neurokin::cli {
namespace {

struct PredictArgs {
  std::string model;
  InOut io;
  int refine = 0;
  bool classify = false;  // `neurokin classify`: feasibility models only
};

// joint angles per row, then the error they leave (after up to `refine` DLS iterations)
void write_ik(const Model& m, const io::NumericTable& targets, const std::vector<float>& y,
              int refine, io::CsvWriter& out) {
  const Arm& arm = m.arm;
  IkOptions opt;
  opt.max_iterations = refine;
  opt.max_restarts = 0;
  opt.time_budget_ms = 0;  // iterations, not the clock, bound the work: reproducible
  for (std::size_t i = 0; i < targets.rows(); ++i) {
    // a trajectory model's rows hold the current joints after the target
    const auto target = row_vector(targets, i).head(task_size(arm.task));
    Eigen::VectorXd q =
        Eigen::Map<const Eigen::VectorXf>(y.data() + i * arm.dof(), arm.dof()).cast<double>();
    if (refine > 0) q = solve_ik(arm, target, opt, q).q;
    const TaskError err = task_error(arm, fk(arm, q), target);
    add_values(out, q);
    out.add(err.position_error).add(err.orientation_error);
    out.end_row();
  }
}

// the most probable class, its name, then every probability
void write_feasibility(int classes, const io::NumericTable& targets, const std::vector<float>& y,
                       io::CsvWriter& out) {
  for (std::size_t i = 0; i < targets.rows(); ++i) {
    const float* p = y.data() + i * classes;
    const int cls = static_cast<int>(std::max_element(p, p + classes) - p);
    out.add(cls).add(classes == 4 ? feasibility_name(static_cast<Feasibility>(cls)) : "-");
    for (int k = 0; k < classes; ++k) out.add(static_cast<double>(p[k]));
    out.end_row();
  }
}

void run_predict(const PredictArgs& args) {
  const Model m = load_model(args.model);
  if (args.classify && m.kind != ModelKind::kFeasibility) {
    throw Error(fmt::format("{}: classify needs a feasibility model, got a {} model (use predict)", args.model,
                            model_kind_name(m.kind)));
  }
  const bool joints_out = m.kind != ModelKind::kFeasibility;
  if (args.refine > 0 && !joints_out) {
    throw Error(fmt::format("{}: --refine needs an ik or trajectory model, got a {} model", args.model,
                            model_kind_name(m.kind)));
  }
  const int outputs = m.net.output_size();
  if (joints_out && outputs != m.arm.dof()) {
    throw Error(fmt::format("{}: expected {} network outputs (the joints of {}), got {}",
                            args.model, m.arm.dof(), m.arm.name, outputs));
  }

  // one batched call: the workspace processes it in chunks without allocating (load_model
  // checked that the input is the task vector, for trajectory models then the current joints)
  const io::NumericTable targets = m.kind == ModelKind::kTrajectory ? read_targets_and_joints(m.arm, args.io.in)
                                                                   : read_targets(m.arm, args.io.in);
  const std::vector<float> x(targets.values.begin(), targets.values.end());
  std::vector<float> y(targets.rows() * outputs);
  Workspace ws(m.net);
  predict(m.net, ws, x.data(), targets.rows(), y.data());

  if (joints_out) {
    io::CsvWriter out(concat(joint_columns(m.arm), {"position_error_m", "orientation_error_rad"}));
    write_ik(m, targets, y, args.refine, out);
    io::write_file_atomic(args.io.out, out.text());
  } else {
    std::vector<std::string> header = {"class", "name"};
    for (int k = 0; k < outputs; ++k) header.push_back(fmt::format("p{}", k));
    io::CsvWriter out(header);
    write_feasibility(outputs, targets, y, out);
    io::write_file_atomic(args.io.out, out.text());
  }
}

}  // namespace

void add_predict_command(CLI::App& app) {
  auto args = std::make_shared<PredictArgs>();
  CLI::App* cmd = app.add_subcommand(
      "predict", "Run a network on targets: joint angles or feasibility classes");
  cmd->footer(
      "Input rows are task vectors of the model's arm (see `neurokin info MODEL`).\n"
      "ik models write the joint angles (rad), then position_error_m and\n"
      "orientation_error_rad of those angles (after --refine, of the refined angles).\n"
      "trajectory models read the target, then the current joints (x,y,q1,q2 for planar2) and\n"
      "write the next joints and their errors the same way (`neurokin track` follows paths).\n"
      "feasibility models write class (0 unreachable, 1 near_singular, 2 adequate,\n"
      "3 high_manipulability), its name, and the probabilities p0..p3.\n\n"
      "Example: neurokin predict --model models/kr6_ik.json --in targets.csv --refine 20");
  cmd->add_option("--model", args->model, "model file (neurokin-model JSON)")
      ->required()
      ->type_name("MODEL.json");
  add_in_out(*cmd, args->io, "targets", "predictions");
  cmd->add_option("--refine", args->refine,
                  "refine ik predictions with up to N damped least-squares iterations")
      ->type_name("N")
      ->check(non_negative());
  cmd->callback([args] { run_predict(*args); });
}

void add_classify_command(CLI::App& app) {
  auto args = std::make_shared<PredictArgs>();
  args->classify = true;
  CLI::App* cmd = app.add_subcommand("classify", "Feasibility classes of target poses with a classifier model");
  cmd->footer(
      "Input rows are task vectors of the model's arm. Writes, per row, class (0 unreachable,\n"
      "1 near_singular, 2 adequate, 3 high_manipulability), its name, and the probabilities\n"
      "p0..p3 (as `neurokin predict` does for feasibility models); the output is written atomically.\n\n"
      "Example: neurokin classify --model models/kr6/feasibility.json --in poses.csv --out classes.csv");
  cmd->add_option("--model", args->model, "feasibility model file (neurokin-model JSON)")
      ->required()
      ->type_name("MODEL.json");
  add_in_out(*cmd, args->io, "poses", "classes");
  cmd->callback([args] { run_predict(*args); });
}

}  // namespace neurokin::cli
