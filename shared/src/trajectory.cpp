#include "neurokin/trajectory.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "neurokin/error.h"

namespace neurokin {

namespace {

std::string str(double v) { return std::to_string(v); }

// the position entries of a task vector: x, y for planar arms, else x, y, z
int position_size(const Arm& arm) { return arm.task == TaskKind::kPlanarXY ? 2 : 3; }

void check_finite(const JointsRef& v, const std::string& where) {
  for (Eigen::Index i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i]))
      throw_expected(where + "[" + std::to_string(i) + "]", "a finite number", str(v[i]));
}

void check_size(const JointsRef& v, int n, const std::string& where, const std::string& what) {
  if (v.size() != n)
    throw_expected(where, std::to_string(n) + " values (" + what + ")", std::to_string(v.size()));
  check_finite(v, where);
}

// the task vector `like` with its position replaced by p_W
TaskVec with_position(const Arm& arm, const JointsRef& like, const Eigen::Vector3d& p_W) {
  TaskVec x = like;
  x.head(position_size(arm)) = p_W.head(position_size(arm));
  return x;
}

void check_point(const Eigen::Vector3d& p, const std::string& where) {
  for (int i = 0; i < 3; ++i)
    if (!std::isfinite(p[i]))
      throw_expected(where + "[" + std::to_string(i) + "]", "a finite number", str(p[i]));
}

}  // namespace

TaskVec clamp_step(const Arm& arm, const Eigen::Isometry3d& X_WT, const JointsRef& target,
                   double max_step) {
  check_size(target, task_size(arm.task), "clamp_step: target", "the task vector of " + arm.name);
  TaskVec x = target;
  if (!(max_step > 0)) return x;
  const int p = position_size(arm);
  const Eigen::VectorXd p_W = X_WT.translation().head(p);
  const Eigen::VectorXd d = target.head(p) - p_W;
  const double len = d.norm();
  if (len > max_step) x.head(p) = p_W + d * (max_step / len);
  return x;
}

JointVec trajectory_step(const Model& m, Workspace& ws, const JointsRef& q, const JointsRef& target,
                         double max_step) {
  if (m.kind != ModelKind::kTrajectory)
    throw_expected("trajectory_step: model", "a trajectory model",
                   std::string("a ") + model_kind_name(m.kind) + " model");
  const int dof = m.arm.dof(), ts = task_size(m.arm.task);
  check_size(q, dof, "trajectory_step: q", "the joints of " + m.arm.name);
  check_size(target, ts, "trajectory_step: target", "the task vector of " + m.arm.name);
  // the model's input: the clamped target, then the current joints
  Eigen::VectorXd x(ts + dof);
  x << clamp_step(m.arm, fk(m.arm, q), target, max_step), q;
  Eigen::VectorXd next = predict_one(m, ws, x);
  wrap_into_limits(m.arm, next);
  return next;
}

TrackResult track_path(const Model& m, const std::vector<TaskVec>& path, const JointsRef& q0,
                       const TrackOptions& opt) {
  if (m.kind == ModelKind::kFeasibility)
    throw_expected("track_path: model", "an ik or trajectory model", "a feasibility model");
  if (opt.substeps < 1)
    throw_expected("track_path: substeps", "at least 1", std::to_string(opt.substeps));
  const Arm& arm = m.arm;
  const int ts = task_size(arm.task);
  check_size(q0, arm.dof(), "track_path: q0", "the joints of " + arm.name);
  for (std::size_t i = 0; i < path.size(); ++i)
    check_size(path[i], ts, "track_path: path[" + std::to_string(i) + "]",
               "the task vector of " + arm.name);

  TrackResult r;
  Workspace ws(m.net);
  JointVec q = q0;
  for (std::size_t i = 0; i < path.size(); ++i) {
    JointVec next = q;
    if (m.kind == ModelKind::kTrajectory) {
      for (int s = 0; s < opt.substeps; ++s)
        next = trajectory_step(m, ws, next, path[i], opt.max_step);
    } else {
      next = predict_one(m, ws, path[i]);
    }
    // the largest wrapped change of any joint: a branch flip shows as a jump
    for (int j = 0; j < arm.dof(); ++j) {
      const double jump = std::abs(wrap_angle(next[j] - q[j]));
      if (jump > r.max_jump_rad) r.max_jump_rad = jump, r.max_jump_point = static_cast<int>(i);
    }
    const double e = task_error(arm, fk(arm, next), path[i]).position_error;
    r.error_m.push_back(e);
    r.mean_error_m += e / static_cast<double>(path.size());
    r.max_error_m = std::max(r.max_error_m, e);
    r.q.push_back(next);
    q = next;
  }
  return r;
}

std::vector<TaskVec> circle_path(const Arm& arm, const Eigen::Vector3d& centre_W, double radius,
                                 const Eigen::Vector3d& normal_W, int n, const JointsRef& like) {
  const std::string w = "circle_path";
  if (n < 2) throw_expected(w + ": n", "at least 2 points", std::to_string(n));
  if (!(radius > 0) || !std::isfinite(radius))
    throw_expected(w + ": radius", "a finite number > 0 (metres)", str(radius));
  check_point(centre_W, w + ": centre");
  check_point(normal_W, w + ": normal");
  if (!(normal_W.norm() > 1e-12)) throw_expected(w + ": normal", "a non-zero axis", "(0, 0, 0)");
  const Eigen::Vector3d z = normal_W.normalized();
  if (arm.task == TaskKind::kPlanarXY && std::abs(std::abs(z.z()) - 1) > 1e-9)
    throw_expected(
        w + ": normal", "(0, 0, 1) for a planar arm (the circle lies in its plane)",
        "(" + str(normal_W.x()) + ", " + str(normal_W.y()) + ", " + str(normal_W.z()) + ")");
  check_size(like, task_size(arm.task), w + ": like", "a task vector of " + arm.name);
  // an in-plane basis (u, v) with u along the world axis least aligned with the normal
  Eigen::Index k;
  z.cwiseAbs().minCoeff(&k);
  const Eigen::Vector3d u = (Eigen::Vector3d::Unit(k) - z * z[k]).normalized(), v = z.cross(u);
  std::vector<TaskVec> path;
  for (int i = 0; i < n; ++i) {
    const double t = 2 * M_PI * i / n;
    path.push_back(
        with_position(arm, like, centre_W + radius * (std::cos(t) * u + std::sin(t) * v)));
  }
  return path;
}

std::vector<TaskVec> line_path(const Arm& arm, const Eigen::Vector3d& a_W,
                               const Eigen::Vector3d& b_W, int n, const JointsRef& like) {
  const std::string w = "line_path";
  if (n < 2) throw_expected(w + ": n", "at least 2 points", std::to_string(n));
  check_point(a_W, w + ": from");
  check_point(b_W, w + ": to");
  check_size(like, task_size(arm.task), w + ": like", "a task vector of " + arm.name);
  std::vector<TaskVec> path;
  for (int i = 0; i < n; ++i)
    path.push_back(with_position(arm, like, a_W + (b_W - a_W) * (double(i) / (n - 1))));
  return path;
}

}  // namespace neurokin
