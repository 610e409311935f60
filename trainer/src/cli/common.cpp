#include "cli/common.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

#include "neurokin/clustered.h"
#include "neurokin/error.h"
#include "neurokin/json_util.h"
#include "neurokin/kinematics.h"

namespace neurokin::cli {

void add_in_out(CLI::App& cmd, InOut& io, const std::string& in_what, const std::string& out_what) {
  cmd.add_option("--in", io.in, in_what + " (CSV with a header row; -: standard input)")
      ->required()
      ->type_name("FILE");
  cmd.add_option("--out", io.out,
                 out_what + " (CSV, written atomically; default -: standard output)")
      ->type_name("FILE");
}

namespace {

CLI::Validator lower_bound(bool allow_zero) {
  const char* bound = allow_zero ? ">= 0" : "> 0";
  return CLI::Validator(
      [allow_zero, bound](std::string& text) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        const bool number = !text.empty() && *end == '\0' && std::isfinite(v);
        if (number && (allow_zero ? v >= 0 : v > 0)) return "";
        return fmt::format("expected a number {}, got \"{}\"", bound, text);
      },
      allow_zero ? "NONNEGATIVE" : "POSITIVE");
}

}  // namespace

CLI::Validator positive() { return lower_bound(false); }
CLI::Validator non_negative() { return lower_bound(true); }

std::vector<std::string> task_columns(TaskKind kind) {
  switch (kind) {
    case TaskKind::kPlanarXY:
      return {"x", "y"};
    case TaskKind::kPosition:
      return {"x", "y", "z"};
    case TaskKind::kPositionPitch:
      return {"x", "y", "z", "pitch"};
    case TaskKind::kPose:
      return pose_columns();
  }
  return {};
}

std::vector<std::string> joint_columns(const Arm& arm) {
  std::vector<std::string> names;
  for (const auto& j : arm.joints) names.push_back(j.name);
  return names;
}

const std::vector<std::string>& pose_columns() {
  static const std::vector<std::string> names = {"x", "y", "z", "qx", "qy", "qz", "qw"};
  return names;
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

io::NumericTable read_joints(const Arm& arm, const std::string& path) {
  return io::read_numeric_csv(path, joint_columns(arm));
}

io::NumericTable read_targets(const Arm& arm, const std::string& path) {
  io::NumericTable t = io::read_numeric_csv(path, task_columns(arm.task));
  check_targets(arm, t);
  return t;
}

void check_targets(const Arm& arm, const io::NumericTable& t) {
  // "targets.csv:3: target quaternion (qx, qy, qz, qw): expected unit norm ..."
  for (std::size_t i = 0; i < t.rows(); ++i) {
    check_task_vector(arm, row_vector(t, i), row_where(t, i) + ": target");
  }
}

void check_targets_and_joints(const Arm& arm, const io::NumericTable& t) {
  const int ts = task_size(arm.task);
  for (std::size_t i = 0; i < t.rows(); ++i) {
    check_task_vector(arm, row_vector(t, i).head(ts), row_where(t, i) + ": target");
    check_joints(arm, row_vector(t, i).tail(arm.dof()), row_where(t, i) + ": current joints");
  }
}

void check_network_inputs(const Model& model, const io::NumericTable& t) {
  for (std::size_t i = 0; i < t.rows(); ++i)
    check_network_input(model, row_vector(t, i), row_where(t, i) + ": target");
}

Eigen::Map<const Eigen::VectorXd> row_vector(const io::NumericTable& t, std::size_t i) {
  return Eigen::Map<const Eigen::VectorXd>(t.row(i), t.cols);
}

std::string row_where(const io::NumericTable& t, std::size_t i) {
  return fmt::format("{}:{}", t.source, t.lines[i]);
}

void add_values(io::CsvWriter& w, const Eigen::Ref<const Eigen::VectorXd>& v) {
  for (Eigen::Index k = 0; k < v.size(); ++k) w.add(v[k]);
}

void add_pose(io::CsvWriter& w, const Eigen::Isometry3d& X_WT) {
  const Eigen::Quaterniond q_WT = canonical_quaternion(X_WT.linear());
  add_values(w, X_WT.translation());
  add_values(w, q_WT.coeffs());  // Eigen stores (x, y, z, w), our file order
}

bool is_clustered_file(const std::string& path) {
  try {
    return is_clustered_model(json_util::parse(json_util::read_file(path, "model file"), "model file"));
  } catch (const Error&) {
    return false;
  }
}

void check_model_arm(const Model& model, const std::string& model_path, const Arm& arm) {
  if (model.kind != ModelKind::kIk) {
    throw Error(fmt::format("{}: expected an ik model, got a {} model", model_path,
                            model_kind_name(model.kind)));
  }
  if (model.arm.name != arm.name || model.arm.dof() != arm.dof() || model.arm.task != arm.task) {
    throw Error(
        fmt::format("{}: the model is for arm '{}' ({} joints, task {}), not '{}' ({} "
                    "joints, task {})",
                    model_path, model.arm.name, model.arm.dof(), task_name(model.arm.task),
                    arm.name, arm.dof(), task_name(arm.task)));
  }
}

}  // namespace neurokin::cli
