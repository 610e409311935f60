#include "neurokin/ik.h"

#include <Eigen/Cholesky>
#include <chrono>
#include <cmath>

#include "ik_analytic_internal.h"
#include "neurokin/error.h"
#include "neurokin/random.h"

namespace neurokin {

const char* status_name(IkStatus s) {
  switch (s) {
    case IkStatus::kConverged:
      return "converged";
    case IkStatus::kMaxIterations:
      return "max_iterations";
    case IkStatus::kStalled:
      return "stalled";
    case IkStatus::kUnreachable:
      return "unreachable";
  }
  return "?";
}

namespace {

using Clock = std::chrono::steady_clock;
using JointMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, 0, kMaxJoints, kMaxJoints>;

// a joint past a limit is first turned by whole turns when that lands within the limits
// (kr6's a4 and a6 span more than 2 pi), else clamped
void clamp_to_limits(const Arm& arm, JointVec& q) {
  for (int i = 0; i < arm.dof(); ++i) {
    const double lo = arm.joints[i].lower, hi = arm.joints[i].upper;
    if (q[i] > hi && q[i] - 2.0 * M_PI >= lo)
      q[i] -= 2.0 * M_PI;
    else if (q[i] < lo && q[i] + 2.0 * M_PI <= hi)
      q[i] += 2.0 * M_PI;
    q[i] = std::min(std::max(q[i], lo), hi);
  }
}

// the position part of a target, in 3d (planar targets lie in z = the base plane)
Eigen::Vector3d target_position(const Arm& arm, const JointsRef& target) {
  if (arm.task == TaskKind::kPlanarXY) return {target[0], target[1], arm.reach_centre_W.z()};
  return target.head<3>();
}

struct Attempt {
  IkStatus status;
  int iterations;
};

// squared task error with rotation in the same units as position: the tolerances tell how a
// radian compares with a metre
double cost(const TaskError& err, double rot_weight) {
  return err.position_error * err.position_error +
         rot_weight * rot_weight * err.orientation_error * err.orientation_error;
}

bool met(const TaskError& err, const IkOptions& opt) {
  return err.position_error <= opt.tol_pos && err.orientation_error <= opt.tol_rot;
}

// one Levenberg-Marquardt descent from q (in place); Nielsen's damping update
// (H. B. Nielsen, "Damping parameter in Marquardt's method", IMM-REP-1999-05)
Attempt descend(const Arm& arm, const JointsRef& target, const IkOptions& opt,
                Clock::time_point deadline, bool timed, JointVec& q, TaskError& err) {
  const int n = arm.dof(), m = task_dof(arm.task);
  const bool has_rot = arm.task == TaskKind::kPositionPitch || arm.task == TaskKind::kPose;
  const double w = has_rot ? opt.tol_pos / opt.tol_rot : 0.0;  // rotation rows' weight
  TaskJacobian J, J_new;
  JointMat H(n, n);
  JointVec g(n), dq(n), q_new(n);
  ErrVec we(m);
  Eigen::LDLT<JointMat> ldlt(n);

  err = task_error(arm, task_jacobian(arm, q, J), target);
  double c = cost(err, w);
  double lambda = opt.lambda0, nu = 2.0;
  double c_window = c;  // cost 20 iterations ago: detects slow crawls into local minima
  for (int it = 0; it < opt.max_iterations; ++it) {
    if (met(err, opt)) return {IkStatus::kConverged, it};
    if (timed && Clock::now() > deadline) return {IkStatus::kMaxIterations, it};
    // weight the rotation rows so that the normal equations use the cost's metric
    if (has_rot) J.bottomRows(m - 3) *= w;
    we = err.e;
    if (has_rot) we.tail(m - 3) *= w;
    H.noalias() = J.transpose() * J;
    g.noalias() = J.transpose() * we;
    const double scale = std::max(H.diagonal().maxCoeff(), 1e-12);
    for (;;) {
      JointMat A = H;
      A.diagonal().array() += lambda * scale;
      ldlt.compute(A);
      dq = ldlt.solve(g);
      q_new = q + dq;
      clamp_to_limits(arm, q_new);
      // the jacobian walk yields the pose too: an accepted step needs no second pass
      const TaskError err_new = task_error(arm, task_jacobian(arm, q_new, J_new), target);
      const double c_new = cost(err_new, w);
      // gain ratio: actual over predicted decrease of the cost
      const double predicted = dq.dot(lambda * scale * dq + g);
      if (c_new < c) {
        const double rho = predicted > 0 ? (c - c_new) / predicted : 1.0;
        lambda *= std::max(1.0 / 3.0, 1.0 - std::pow(2.0 * rho - 1.0, 3));
        nu = 2.0;
        q = q_new;
        c = c_new;
        err = err_new;
        J = J_new;
        break;
      }
      lambda *= nu;
      nu *= 2.0;
      if (lambda > 1e12 || dq.norm() < 1e-15) return {IkStatus::kStalled, it + 1};
    }
    if (it % 20 == 19) {
      if (c > 0.25 * c_window) return {IkStatus::kStalled, it + 1};
      c_window = c;
    }
  }
  return {met(err, opt) ? IkStatus::kConverged : IkStatus::kMaxIterations, opt.max_iterations};
}

IkResult solve(const Arm& arm, const JointsRef& target, const IkOptions& opt, const JointsRef* q0) {
  check_task_vector(arm, target, "solve_ik target");
  if (q0 && q0->size() != arm.dof()) check_joints(arm, *q0, "solve_ik q0");  // throws: the size
  if (!(opt.tol_pos > 0) || !(opt.tol_rot > 0))
    throw_expected("IkOptions tolerances", "positive numbers",
                   std::to_string(opt.tol_pos) + ", " + std::to_string(opt.tol_rot));
  IkResult best;
  if (q0 && q0->allFinite()) {
    best.q = *q0;
  } else {
    best.q.resize(arm.dof());  // the middle of the limits, without a heap vector
    for (int i = 0; i < arm.dof(); ++i)
      best.q[i] = 0.5 * (arm.joints[i].lower + arm.joints[i].upper);
  }
  clamp_to_limits(arm, best.q);

  // a target outside the ball that holds the workspace is unreachable: say so at once
  const Eigen::Vector3d d = target_position(arm, target) - arm.reach_centre_W;
  const double dist = arm.task == TaskKind::kPlanarXY ? d.head<2>().norm() : d.norm();
  if (dist > arm.reach_radius + opt.tol_pos) {
    const TaskError err = task_error(arm, fk(arm, best.q), target);
    best.status = IkStatus::kUnreachable;
    best.position_error = err.position_error;
    best.orientation_error = err.orientation_error;
    return best;
  }

  const bool timed = opt.time_budget_ms > 0;
  const auto deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double, std::milli>(opt.time_budget_ms));
  Rng rng(opt.seed);
  double best_cost = INFINITY;
  JointVec q = best.q;
  for (int attempt = 0;; ++attempt) {
    TaskError err;
    const Attempt a = descend(arm, target, opt, deadline, timed, q, err);
    best.iterations += a.iterations;
    const double c = err.position_error / opt.tol_pos + err.orientation_error / opt.tol_rot;
    if (c < best_cost) {
      best_cost = c;
      best.q = q;
      best.position_error = err.position_error;
      best.orientation_error = err.orientation_error;
    }
    best.status = a.status;
    if (a.status == IkStatus::kConverged) {
      best.q = q;
      best.position_error = err.position_error;
      best.orientation_error = err.orientation_error;
      break;
    }
    if (attempt >= opt.max_restarts || (timed && Clock::now() > deadline)) {
      if (timed && Clock::now() > deadline) best.status = IkStatus::kMaxIterations;
      break;
    }
    best.restarts = attempt + 1;
    q = sample_joints(arm, rng);
  }
  return best;
}

}  // namespace

IkResult solve_ik(const Arm& arm, const JointsRef& target, const IkOptions& opt) {
  return solve(arm, target, opt, nullptr);
}

IkResult solve_ik(const Arm& arm, const JointsRef& target, const IkOptions& opt,
                  const JointsRef& q0) {
  return solve(arm, target, opt, &q0);
}

// ---- closed-form solutions ---------------------------------------------------------------

// shared with the solvers in ik_analytic.cpp
namespace detail {

bool is_identity(const Eigen::Isometry3d& X, double tol) { return X.matrix().isIdentity(tol); }

namespace {

// brings an angle into [lo, hi] by whole turns when possible
bool fit_limits(double& a, double lo, double hi) {
  for (double k : {0.0, -2.0 * M_PI, 2.0 * M_PI}) {
    if (a + k >= lo - 1e-12 && a + k <= hi + 1e-12) {
      a = std::min(std::max(a + k, lo), hi);
      return true;
    }
  }
  return false;
}

}  // namespace

void add_if_within_limits(const Arm& arm, JointVec q, const char* branch, AnalyticSolutions& out) {
  for (int i = 0; i < arm.dof(); ++i) {
    // wrapped first, so a joint spanning more than 2 pi gets the representative nearest 0
    q[i] = wrap_angle(q[i] - arm.joints[i].offset);
    if (!fit_limits(q[i], arm.joints[i].lower, arm.joints[i].upper) && out.within_limits) return;
  }
  for (int k = 0; k < out.count; ++k)
    if ((out.sol[k].q - q).cwiseAbs().maxCoeff() < 1e-12) return;  // a double root
  out.sol[out.count++] = {q, branch};
}

}  // namespace detail

namespace {

using detail::add_if_within_limits;
using detail::is_identity;

// planar 2R: both joints about z, links along x (seed 003's arm, any lengths)
bool planar2r_fits(const Arm& arm) {
  if (arm.dof() != 2 || arm.task != TaskKind::kPlanarXY || !is_identity(arm.X_WB)) return false;
  for (const Joint& j : arm.joints)
    if ((j.axis - Eigen::Vector3d::UnitZ()).norm() > 1e-12 || !j.A.linear().isIdentity(1e-12) ||
        !is_identity(j.B) || std::abs(j.A.translation().y()) > 1e-12 ||
        std::abs(j.A.translation().z()) > 1e-12)
      return false;
  const Eigen::Vector3d t = arm.X_NT.translation();
  return std::abs(t.y()) < 1e-12 && std::abs(t.z()) < 1e-12 &&
         arm.joints[1].A.translation().x() > 0 && t.x() > 0;
}

void solve_planar2r(const Arm& arm, const JointsRef& target, AnalyticSolutions& out) {
  const double L1 = arm.joints[1].A.translation().x(), L2 = arm.X_NT.translation().x();
  const double x = target[0] - arm.joints[0].A.translation().x();
  const double y = target[1];
  // law of cosines for the elbow, then the shoulder from the two angles (Craig, ch. 4)
  const double D = (x * x + y * y - L1 * L1 - L2 * L2) / (2.0 * L1 * L2);
  if (std::abs(D) > 1.0 + 1e-12) return;
  out.reachable = true;
  const double elbow = std::acos(std::min(1.0, std::max(-1.0, D)));
  for (double q2 : {-elbow, elbow}) {
    JointVec q(2);
    q << std::atan2(y, x) - std::atan2(L2 * std::sin(q2), L1 + L2 * std::cos(q2)), q2;
    add_if_within_limits(arm, q, q2 < 0 ? "elbow_up" : "elbow_down", out);
  }
}

// dh parameters of joint i: B = Trans_z(d) Trans_x(a) Rot_x(alpha)
struct Dh {
  double a, alpha, d;
};
Dh dh_of(const Joint& j) {
  const Eigen::Matrix3d& R = j.B.linear();
  return {j.B.translation().x(), std::atan2(R(2, 1), R(1, 1)), j.B.translation().z()};
}

// the positioning joints of a puma: dh alpha = (+pi/2, 0, -pi/2), a1 = 0, d2 = 0, tool on z3
bool puma_fits(const Arm& arm) {
  if (arm.dof() != 3 || arm.task != TaskKind::kPosition || !is_identity(arm.X_WB)) return false;
  for (const Joint& j : arm.joints)
    if (!is_identity(j.A) || (j.axis - Eigen::Vector3d::UnitZ()).norm() > 1e-12 ||
        std::abs(j.B.translation().y()) > 1e-12)
      return false;
  const Dh d1 = dh_of(arm.joints[0]), d2 = dh_of(arm.joints[1]), d3 = dh_of(arm.joints[2]);
  const Eigen::Vector3d t = arm.X_NT.translation();
  return std::abs(d1.alpha - M_PI / 2) < 1e-12 && std::abs(d1.a) < 1e-12 &&
         std::abs(d2.alpha) < 1e-12 && std::abs(d2.d) < 1e-12 && d2.a > 0 &&
         std::abs(d3.alpha + M_PI / 2) < 1e-12 && std::abs(t.x()) < 1e-12 &&
         std::abs(t.y()) < 1e-12;
}

void solve_puma(const Arm& arm, const JointsRef& target, AnalyticSolutions& out) {
  const Dh j1 = dh_of(arm.joints[0]), j2 = dh_of(arm.joints[1]), j3 = dh_of(arm.joints[2]);
  const double d1 = j1.d, a2 = j2.a, a3 = j3.a, d3 = j3.d, d4 = arm.X_NT.translation().z();
  const double px = target[0], py = target[1], pz = target[2];
  // wrist in frame 0: (c1 x1 + s1 d3, s1 x1 - c1 d3, y1 + d1), with (x1, y1) the wrist in the
  // plane of joints 2-3 and d3 the shoulder offset along their axes
  const double h2 = px * px + py * py - d3 * d3;
  if (h2 < -1e-12) return;
  const double y1 = pz - d1;
  const double rho = std::hypot(a3, d4), phi = std::atan2(d4, a3);
  for (int shoulder : {+1, -1}) {
    const double x1 = shoulder * std::sqrt(std::max(0.0, h2));
    const double q1 = std::atan2(py, px) - std::atan2(-d3, x1);
    // |(a2 + a3 c3 - d4 s3, a3 s3 + d4 c3)|^2 = x1^2 + y1^2  =>  a3 c3 - d4 s3 = K = rho cos(q3 +
    // phi)
    const double K = (x1 * x1 + y1 * y1 - a2 * a2 - a3 * a3 - d4 * d4) / (2.0 * a2);
    if (std::abs(K) > rho * (1.0 + 1e-12)) continue;
    out.reachable = true;
    const double beta = std::acos(std::min(1.0, std::max(-1.0, K / rho)));
    for (int elbow : {+1, -1}) {
      const double q3 = elbow * beta - phi;
      const double u = a2 + a3 * std::cos(q3) - d4 * std::sin(q3);
      const double v = a3 * std::sin(q3) + d4 * std::cos(q3);
      const double q2 = std::atan2(y1, x1) - std::atan2(v, u);
      // elbow up: the elbow lies above the shoulder-wrist line, seen from the arm's side
      const double ex = a2 * std::cos(q2), ey = a2 * std::sin(q2);
      const bool up = (ey * x1 - y1 * ex) * (x1 >= 0 ? 1.0 : -1.0) > 0;
      static const char* names[2][2] = {{"shoulder_back_elbow_down", "shoulder_back_elbow_up"},
                                        {"shoulder_front_elbow_down", "shoulder_front_elbow_up"}};
      JointVec q(3);
      q << q1, q2, q3;
      add_if_within_limits(arm, q, names[shoulder > 0][up], out);
    }
  }
}

}  // namespace

bool has_analytic_ik(const Arm& arm) {
  if (arm.analytic == "planar2r") return planar2r_fits(arm);
  if (arm.analytic == "puma_position") return puma_fits(arm);
  if (arm.analytic == "omx_position_pitch") return detail::omx_fits(arm);
  if (arm.analytic == "spherical_wrist") return detail::spherical_wrist_fits(arm);
  return false;
}

AnalyticSolutions solve_ik_analytic(const Arm& arm, const JointsRef& target, bool within_limits) {
  check_task_vector(arm, target, "solve_ik_analytic target");
  if (!has_analytic_ik(arm))
    throw Error("solve_ik_analytic: arm '" + arm.name + "' has no closed-form solver" +
                (arm.analytic.empty() ? std::string(" (arm.analytic is empty)")
                                      : " ('" + arm.analytic + "' does not fit its geometry)"));
  AnalyticSolutions out;
  out.within_limits = within_limits;
  if (arm.analytic == "planar2r")
    solve_planar2r(arm, target, out);
  else if (arm.analytic == "puma_position")
    solve_puma(arm, target, out);
  else if (arm.analytic == "omx_position_pitch")
    detail::solve_omx(arm, target, out);
  else
    detail::solve_spherical_wrist(arm, target, out);
  return out;
}

}  // namespace neurokin
