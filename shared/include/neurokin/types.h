// Fixed-capacity Eigen types: dynamic size up to a compile-time bound, storage inline, so
// the solvers allocate nothing per call (Pinocchio's Model/Data idea at small scale).
#pragma once

#include <Eigen/Core>

#include "neurokin/arm.h"

namespace neurokin {

using JointVec = Eigen::Matrix<double, Eigen::Dynamic, 1, 0, kMaxJoints, 1>;
using TaskVec = Eigen::Matrix<double, Eigen::Dynamic, 1, 0, 7, 1>;  // task vector (<= 7)
using ErrVec = Eigen::Matrix<double, Eigen::Dynamic, 1, 0, 6, 1>;   // task-space error (<= 6)
using Jacobian6 = Eigen::Matrix<double, 6, Eigen::Dynamic, 0, 6, kMaxJoints>;
using TaskJacobian = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, 0, 6, kMaxJoints>;

}  // namespace neurokin
