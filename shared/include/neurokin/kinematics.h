// Forward kinematics, Jacobians and task-space quantities of an Arm.
// Frames in names (Drake style): X_WT is the tool frame T seen from world W; p_WT its
// position; J_W a Jacobian whose rows are world-frame velocities [v; w] of the tool point.
#pragma once

#include <Eigen/Geometry>
#include <vector>

#include "neurokin/arm.h"
#include "neurokin/types.h"

namespace neurokin {

using JointsRef = Eigen::Ref<const Eigen::VectorXd>;

// X_WT, the tool pose; q has arm.dof() entries (asserted, not checked: see check_joints)
Eigen::Isometry3d fk(const Arm& arm, const JointsRef& q);

// every frame for drawing: [X_WB, X_W1, ..., X_Wn, X_WT] (n + 2 frames); X_Wi is the frame
// after joint i (after B_i), so for DH arms it is the DH frame i
void fk_frames(const Arm& arm, const JointsRef& q, std::vector<Eigen::Isometry3d>& X_W);

// the unit quaternion of a rotation with w >= 0: q and -q are the same rotation, so every
// output (pose files, the task vector, the browser) uses this one
Eigen::Quaterniond canonical_quaternion(const Eigen::Matrix3d& R);

// the task vector of a tool pose: (x,y) | (x,y,z) | (x,y,z,pitch) | (x,y,z,qx,qy,qz,qw);
// pitch = atan2(-R(2,0), R(2,2)), the rotation about the base-yawed y axis (omx4: q2+q3+q4);
// quaternions are returned with w >= 0
TaskVec task_vector(const Arm& arm, const Eigen::Isometry3d& X_WT);

// geometric Jacobian 6 x n of the tool point, world frame, rows [v; w]; returns X_WT (same pass)
Eigen::Isometry3d jacobian(const Arm& arm, const JointsRef& q, Jacobian6& J_W);

// task Jacobian task_dof x n: rows of J_W for xy / xyz / xyz + d(pitch)/dq / [v; w]
// returns X_WT, computed in the same pass
Eigen::Isometry3d task_jacobian(const Arm& arm, const JointsRef& q, TaskJacobian& J);

// task-space error target - current, task_dof entries: position difference, then the
// orientation error (pitch difference wrapped to (-pi, pi], or the rotation vector
// log(R_target * R^T) in world frame); the two norms are returned too
struct TaskError {
  ErrVec e;
  double position_error = 0.0;     // metres
  double orientation_error = 0.0;  // radians (0 for planar_xy / position tasks)
};
TaskError task_error(const Arm& arm, const Eigen::Isometry3d& X_WT, const JointsRef& target);

// throws Error "<where>: expected N joint angles, got M" / "...: entry k is NaN"
void check_joints(const Arm& arm, const JointsRef& q, const std::string& where);

// wraps an angle to (-pi, pi]
double wrap_angle(double a);

}  // namespace neurokin
