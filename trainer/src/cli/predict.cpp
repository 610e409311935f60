// neurokin predict: a whole batch through a network (ik: joint angles, feasibility: class
// probabilities), with the task-space error of each ik prediction, optionally refined.
#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "cli/commands.h"
#include "cli/common.h"
#include "io/atomic_file.h"
#include "neurokin/clustered.h"
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
  bool all_solutions = false;  // every cluster's (or branch head's) candidate
  bool raw = false;       // the network's outputs before decoding
  bool classify = false;  // `neurokin classify`: feasibility models only
};

// joint angles, then the error they leave at the target (after up to `refine` DLS iterations)
TaskError add_answer(const Arm& arm, const Eigen::Ref<const Eigen::VectorXd>& target, const float* y, int refine,
                     io::CsvWriter& out) {
  Eigen::VectorXd q = Eigen::Map<const Eigen::VectorXf>(y, arm.dof()).cast<double>();
  if (refine > 0) {
    IkOptions opt;
    opt.max_iterations = refine;
    opt.max_restarts = 0;
    opt.time_budget_ms = 0;  // iterations, not the clock, bound the work: reproducible
    q = solve_ik(arm, target, opt, q).q;
  }
  const TaskError err = task_error(arm, fk(arm, q), target);
  add_values(out, q);
  out.add(err.position_error).add(err.orientation_error);
  return err;
}

// joint angles per row, then the error they leave
void write_ik(const Model& m, const io::NumericTable& targets, const std::vector<float>& y,
              int refine, io::CsvWriter& out) {
  for (std::size_t i = 0; i < targets.rows(); ++i) {
    // a trajectory model's rows hold the current joints after the target
    add_answer(m.arm, row_vector(targets, i).head(task_size(m.arm.task)), y.data() + i * m.arm.dof(), refine, out);
    out.end_row();
  }
}

// the columns of candidate lines: one per candidate (row, candidate, joints, errors, chosen),
// or with all = false the chosen one per row (joints, errors, candidate)
std::vector<std::string> candidate_header(const Arm& arm, bool all, const std::string& what) {
  const std::vector<std::string> answer = concat(joint_columns(arm), {"position_error_m", "orientation_error_rad"});
  return all ? concat(concat({"row", what}, answer), {"chosen"}) : concat(answer, {what});
}

// candidates: n x k x dof; chosen: per row; row0: the file row of the chunk's first
void add_candidates(const Arm& arm, const io::NumericTable& targets, std::size_t row0, int k,
                    const std::vector<float>& q, const std::vector<int>& chosen, int refine, bool all,
                    io::CsvWriter& out) {
  for (std::size_t i = 0; i < targets.rows(); ++i)
    for (int c = 0; c < k; ++c) {
      if (!all && c != chosen[i]) continue;
      if (all) out.add(static_cast<std::int64_t>(row0 + i)).add(c);
      add_answer(arm, row_vector(targets, i), &q[(i * k + c) * arm.dof()], refine, out);
      out.add(all ? static_cast<int>(c == chosen[i]) : c);
      out.end_row();
    }
}

// the input streams through `chunk(targets, first row, out)` kChunkRows rows at a time, into a
// temporary file published only once every row is done: memory stays flat whatever the length.
// With current_joints (a trajectory model) each row is the target, then the current joints
template <class Chunk>
void stream_rows(const InOut& io, const Arm& arm, const std::vector<std::string>& header, Chunk&& chunk,
                 bool current_joints = false) {
  const std::vector<std::string> task = task_columns(arm.task);
  io::NumericCsvReader in(io.in, current_joints ? concat(task, joint_columns(arm)) : task);
  io::AtomicFile file(io.out);
  io::CsvWriter out(header);
  io::NumericTable targets;
  std::size_t row0 = 0;
  while (in.read(targets, kChunkRows)) {
    if (current_joints) check_targets_and_joints(arm, targets);
    else check_targets(arm, targets);
    chunk(targets, row0, out);
    row0 += targets.rows();
    file.write(out.take_text());
  }
  file.write(out.take_text());  // the header alone when there is no row
  file.commit();
}

// a clustered model: every member's candidate, the choice by FK consistency
void run_clustered(const PredictArgs& args) {
  if (args.classify)
    throw Error(fmt::format("{}: classify needs a feasibility model, got a clustered ik model (use predict)", args.model));
  const ClusteredModel m = load_clustered_model(args.model);
  ClusteredWorkspace ws(m);
  std::vector<float> x, q;
  std::vector<double> pe, oe;
  std::vector<int> best;
  stream_rows(args.io, m.arm, candidate_header(m.arm, args.all_solutions, "cluster"),
              [&](const io::NumericTable& targets, std::size_t row0, io::CsvWriter& out) {
                const std::size_t n = targets.rows();
                x.assign(targets.values.begin(), targets.values.end());
                q.resize(n * m.k() * m.arm.dof());
                pe.resize(n * m.k());
                oe.resize(n * m.k());
                best.resize(n);
                predict_candidates(m, ws, x.data(), n, q.data(), pe.data(), oe.data(), best.data());
                add_candidates(m.arm, targets, row0, m.k(), q, best, args.refine, args.all_solutions, out);
              });
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
  if (is_clustered_file(args.model)) {
    if (args.raw) throw Error(args.model + ": --raw needs a model with one network; a clustered model has several");
    return run_clustered(args);
  }
  if (args.raw && args.refine > 0)
    throw Error("--raw writes the network's outputs before decoding: there are no joints to --refine");
  if (args.raw && args.all_solutions)
    throw Error("--raw writes the network's outputs before decoding, heads included: drop --all-solutions");
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
  if (args.all_solutions && m.net.heads() < 2) {
    throw Error(fmt::format("{}: --all-solutions needs a clustered model (kind \"ik_clustered\") or a network "
                            "with branch heads; this {} network gives one answer",
                            args.model, model_kind_name(m.kind)));
  }
  const int outputs = m.net.output_size();
  if (joints_out && outputs != m.arm.dof()) {
    throw Error(fmt::format("{}: expected {} network outputs (the joints of {}), got {}",
                            args.model, m.arm.dof(), m.arm.name, outputs));
  }

  std::vector<std::string> header;
  if (args.raw) {
    for (int k = 0; k < m.net.net_outputs(); ++k) header.push_back(fmt::format("out{}", k));
  } else if (args.all_solutions) {
    header = candidate_header(m.arm, true, "head");
  } else if (joints_out) {
    header = concat(joint_columns(m.arm), {"position_error_m", "orientation_error_rad"});
  } else {
    header = {"class", "name"};
    for (int k = 0; k < outputs; ++k) header.push_back(fmt::format("p{}", k));
  }
  Workspace ws(m.net);
  std::vector<float> x, y, p;
  std::vector<int> chosen;
  stream_rows(args.io, m.arm, header, [&](const io::NumericTable& targets, std::size_t row0, io::CsvWriter& out) {
    check_network_inputs(m, targets);
    const std::size_t n = targets.rows();
    x.assign(targets.values.begin(), targets.values.end());
    if (args.raw) {
      const int width = m.net.net_outputs();
      y.resize(n * width);
      forward(m.net, ws, x.data(), n, y.data());
      for (std::size_t i = 0; i < n; ++i) {
        for (int k = 0; k < width; ++k) out.add(static_cast<double>(y[i * width + k]));
        out.end_row();
      }
    } else if (args.all_solutions) {
      // every branch head's answer, the likeliest chosen (as predict() does)
      const int k = m.net.heads();
      y.resize(n * k * outputs);
      p.resize(n * k);
      chosen.resize(n);
      predict_branches(m.net, ws, x.data(), n, y.data(), p.data());
      for (std::size_t i = 0; i < n; ++i)
        chosen[i] = static_cast<int>(std::max_element(&p[i * k], &p[i * k] + k) - &p[i * k]);
      add_candidates(m.arm, targets, row0, k, y, chosen, args.refine, true, out);
    } else {
      y.resize(n * outputs);
      predict(m.net, ws, x.data(), n, y.data());
      if (joints_out) write_ik(m, targets, y, args.refine, out);
      else write_feasibility(outputs, targets, y, out);
    }
  }, m.kind == ModelKind::kTrajectory);
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
      "3 high_manipulability), its name, and the probabilities p0..p3.\n"
      "Clustered models (kind ik_clustered) write the candidate chosen by FK consistency and its\n"
      "cluster; with --all-solutions one line per cluster: row, cluster, joints, errors, chosen (1/0).\n"
      "Networks with branch heads: --all-solutions writes every head's answer (row, head, ...).\n"
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
  cmd->add_flag("--all-solutions", args->all_solutions,
                "every candidate: each cluster's of a clustered model, each head's of a branch-head network");
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
