#include "neurokin/kinematics.h"

#include <cmath>

#include "neurokin/error.h"

namespace neurokin {

namespace {

// rotation about a unit axis (Rodrigues); joints are almost always about x, y or z, so this
// is cheaper than AngleAxis + a general matrix product
Eigen::Matrix3d rotation(const Eigen::Vector3d& axis, double angle) {
  return Eigen::AngleAxisd(angle, axis).toRotationMatrix();
}

// one pass down the chain; calls on_joint(i, axis_W, p_W) at each joint's rotation axis and
// on_frame(i, X_W) after each joint, and returns X_WT
template <class OnJoint, class OnFrame>
Eigen::Isometry3d walk(const Arm& arm, const JointsRef& q, OnJoint&& on_joint, OnFrame&& on_frame) {
  eigen_assert(q.size() == arm.dof());
  Eigen::Isometry3d X = arm.X_WB;
  for (int i = 0; i < arm.dof(); ++i) {
    const Joint& joint = arm.joints[i];
    X = X * joint.A;
    on_joint(i, Eigen::Vector3d(X.linear() * joint.axis), Eigen::Vector3d(X.translation()));
    X.linear() = X.linear() * rotation(joint.axis, q[i] + joint.offset);
    X = X * joint.B;
    on_frame(i, X);
  }
  return X * arm.X_NT;
}

struct Nothing {
  template <class... T>
  void operator()(T&&...) const {}
};

}  // namespace

double wrap_angle(double a) {
  a = std::remainder(a, 2.0 * M_PI);  // [-pi, pi]
  return a <= -M_PI ? a + 2.0 * M_PI : a;
}

Eigen::Isometry3d fk(const Arm& arm, const JointsRef& q) {
  return walk(arm, q, Nothing{}, Nothing{});
}

void fk_frames(const Arm& arm, const JointsRef& q, std::vector<Eigen::Isometry3d>& X_W) {
  X_W.resize(arm.dof() + 2);
  X_W[0] = arm.X_WB;
  X_W.back() = walk(arm, q, Nothing{}, [&](int i, const Eigen::Isometry3d& X) { X_W[i + 1] = X; });
}

Eigen::Quaterniond canonical_quaternion(const Eigen::Matrix3d& R) {
  Eigen::Quaterniond q(R);
  q.normalize();
  if (q.w() < 0) q.coeffs() = -q.coeffs();
  return q;
}

TaskVec task_vector(const Arm& arm, const Eigen::Isometry3d& X_WT) {
  TaskVec x(task_size(arm.task));
  const Eigen::Vector3d p = X_WT.translation();
  const Eigen::Matrix3d& R = X_WT.linear();
  switch (arm.task) {
    case TaskKind::kPlanarXY:
      x << p.x(), p.y();
      break;
    case TaskKind::kPosition:
      x << p;
      break;
    case TaskKind::kPositionPitch:
      x << p, std::atan2(-R(2, 0), R(2, 2));
      break;
    case TaskKind::kPose: {
      const Eigen::Quaterniond quat = canonical_quaternion(R);
      x << p, quat.x(), quat.y(), quat.z(), quat.w();
      break;
    }
  }
  return x;
}

Eigen::Isometry3d jacobian(const Arm& arm, const JointsRef& q, Jacobian6& J_W) {
  J_W.resize(6, arm.dof());
  // axes and origins first, then the tool point they act on
  Eigen::Matrix<double, 3, Eigen::Dynamic, 0, 3, kMaxJoints> p_Wi(3, arm.dof());
  const Eigen::Isometry3d X_WT = walk(
      arm, q,
      [&](int i, const Eigen::Vector3d& axis_W, const Eigen::Vector3d& p_W) {
        J_W.block<3, 1>(3, i) = axis_W;
        p_Wi.col(i) = p_W;
      },
      Nothing{});
  const Eigen::Vector3d p_WT = X_WT.translation();
  for (int i = 0; i < arm.dof(); ++i)
    J_W.block<3, 1>(0, i) = J_W.block<3, 1>(3, i).cross(p_WT - p_Wi.col(i));
  return X_WT;
}

namespace {

// task rows from the geometric Jacobian and the tool rotation (shared by task_jacobian and
// the solver, which has both at hand already)
void task_rows(const Arm& arm, const Jacobian6& J_W, const Eigen::Matrix3d& R, TaskJacobian& J) {
  const int n = arm.dof();
  J.resize(task_dof(arm.task), n);
  switch (arm.task) {
    case TaskKind::kPlanarXY:
      J = J_W.topRows<2>();
      break;
    case TaskKind::kPosition:
      J = J_W.topRows<3>();
      break;
    case TaskKind::kPositionPitch: {
      // pitch = atan2(s, c), s = -R20, c = R22; dR = [w]x R gives ds, dc
      J.topRows<3>() = J_W.topRows<3>();
      const double s = -R(2, 0), c = R(2, 2), r2 = std::max(s * s + c * c, 1e-300);
      for (int i = 0; i < n; ++i) {
        const double wx = J_W(3, i), wy = J_W(4, i);
        const double ds = -(wx * R(1, 0) - wy * R(0, 0));
        const double dc = wx * R(1, 2) - wy * R(0, 2);
        J(3, i) = (c * ds - s * dc) / r2;
      }
      break;
    }
    case TaskKind::kPose:
      J = J_W;
      break;
  }
}

}  // namespace

Eigen::Isometry3d task_jacobian(const Arm& arm, const JointsRef& q, TaskJacobian& J) {
  Jacobian6 J_W;
  const Eigen::Isometry3d X_WT = jacobian(arm, q, J_W);
  task_rows(arm, J_W, X_WT.linear(), J);
  return X_WT;
}

TaskError task_error(const Arm& arm, const Eigen::Isometry3d& X_WT, const JointsRef& target) {
  TaskError r;
  r.e.resize(task_dof(arm.task));
  const Eigen::Vector3d p = X_WT.translation();
  switch (arm.task) {
    case TaskKind::kPlanarXY:
      r.e << target[0] - p.x(), target[1] - p.y();
      r.position_error = r.e.norm();
      break;
    case TaskKind::kPosition:
      r.e = target.head<3>() - p;
      r.position_error = r.e.norm();
      break;
    case TaskKind::kPositionPitch: {
      const Eigen::Matrix3d& R = X_WT.linear();
      r.e << target.head<3>() - p, wrap_angle(target[3] - std::atan2(-R(2, 0), R(2, 2)));
      r.position_error = r.e.head<3>().norm();
      r.orientation_error = std::abs(r.e[3]);
      break;
    }
    case TaskKind::kPose: {
      const Eigen::Quaterniond q_target =
          Eigen::Quaterniond(target[6], target[3], target[4], target[5]).normalized();
      const Eigen::AngleAxisd aa(q_target.toRotationMatrix() * X_WT.linear().transpose());
      r.e << target.head<3>() - p, aa.angle() * aa.axis();
      r.position_error = r.e.head<3>().norm();
      r.orientation_error = std::abs(aa.angle());
      break;
    }
  }
  return r;
}

void check_joints(const Arm& arm, const JointsRef& q, const std::string& where) {
  if (q.size() != arm.dof())
    throw_expected(where, std::to_string(arm.dof()) + " joint angles (" + arm.name + ")",
                   std::to_string(q.size()));
  for (int i = 0; i < q.size(); ++i)
    if (!std::isfinite(q[i]))
      throw_expected(where + "[" + std::to_string(i) + "]", "a finite angle (rad)",
                     std::to_string(q[i]));
}

}  // namespace neurokin
