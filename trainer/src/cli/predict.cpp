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

// rows per chunk: large enough for the network's batched kernels, small enough (a few MB of
// text) that the file's length does not matter
constexpr std::size_t kChunkRows = 4096;

struct PredictArgs {
  std::string model;
  InOut io;
  int refine = 0;
  bool raw = false;       // the network's outputs before decoding
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
    const auto target = row_vector(targets, i);
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
  if (args.raw && args.refine > 0)
    throw Error("--raw writes the network's outputs before decoding: there are no joints to --refine");
  const Model m = load_model(args.model);
  if (args.classify && m.kind != ModelKind::kFeasibility) {
    throw Error(fmt::format("{}: classify needs a feasibility model, got a {} model (use predict)", args.model,
                            model_kind_name(m.kind)));
  }
  const int task = task_size(m.arm.task);
  if (m.net.input_size != task) {
    throw Error(
        fmt::format("{}: expected a network reading the {}-entry task vector, got input "
                    "size {}; predict feeds task vectors only",
                    args.model, task, m.net.input_size));
  }
  if (args.refine > 0 && m.kind != ModelKind::kIk) {
    throw Error(fmt::format("{}: --refine needs an ik model, got a {} model", args.model,
                            model_kind_name(m.kind)));
  }
  const int outputs = m.net.output_size();
  if (m.kind == ModelKind::kIk && outputs != m.arm.dof()) {
    throw Error(fmt::format("{}: expected {} network outputs (the joints of {}), got {}",
                            args.model, m.arm.dof(), m.arm.name, outputs));
  }

  // the file streams through in chunks of kChunkRows: memory stays flat whatever its length,
  // and the output goes to a temporary file published only once every row is done
  std::vector<std::string> header;
  if (args.raw) {
    for (int k = 0; k < m.net.net_outputs(); ++k) header.push_back(fmt::format("out{}", k));
  } else if (m.kind == ModelKind::kIk) {
    header = concat(joint_columns(m.arm), {"position_error_m", "orientation_error_rad"});
  } else {
    header = {"class", "name"};
    for (int k = 0; k < outputs; ++k) header.push_back(fmt::format("p{}", k));
  }
  io::NumericCsvReader in(args.io.in, task_columns(m.arm.task));
  io::AtomicFile file(args.io.out);
  io::CsvWriter out(header);
  Workspace ws(m.net);
  io::NumericTable targets;
  std::vector<float> x, y;
  while (in.read(targets, kChunkRows)) {
    check_targets(m.arm, targets);
    check_network_inputs(m, targets);
    x.assign(targets.values.begin(), targets.values.end());
    if (args.raw) {
      const int width = m.net.net_outputs();
      y.resize(targets.rows() * width);
      forward(m.net, ws, x.data(), targets.rows(), y.data());
      for (std::size_t i = 0; i < targets.rows(); ++i) {
        for (int k = 0; k < width; ++k) out.add(static_cast<double>(y[i * width + k]));
        out.end_row();
      }
    } else {
      y.resize(targets.rows() * outputs);
      predict(m.net, ws, x.data(), targets.rows(), y.data());
      if (m.kind == ModelKind::kIk) {
        write_ik(m, targets, y, args.refine, out);
      } else {
        write_feasibility(outputs, targets, y, out);
      }
    }
    file.write(out.take_text());
  }
  file.write(out.take_text());  // the header alone when there is no row
  file.commit();
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
      "feasibility models write class (0 unreachable, 1 near_singular, 2 adequate,\n"
      "3 high_manipulability), its name, and the probabilities p0..p3.\n"
      "--raw writes the network's outputs before decoding instead (out0, out1, ...: sin/cos\n"
      "pairs or angles, then any branch heads' logits; a classifier's logits).\n\n"
      "Example: neurokin predict --model models/kr6_ik.json --in targets.csv --refine 20");
  cmd->add_option("--model", args->model, "model file (neurokin-model JSON)")
      ->required()
      ->type_name("MODEL.json");
  add_in_out(*cmd, args->io, "targets", "predictions");
  cmd->add_option("--refine", args->refine,
                  "refine ik predictions with up to N damped least-squares iterations")
      ->type_name("N")
      ->check(non_negative());
  cmd->add_flag("--raw", args->raw, "write the network's outputs before decoding (out0, out1, ...)");
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
