// Pieces the closed-form solvers share between ik.cpp (planar2r, puma_position) and
// ik_analytic.cpp (omx_position_pitch, spherical_wrist). Not part of the public API.
#pragma once

#include "neurokin/ik.h"

namespace neurokin::detail {

bool is_identity(const Eigen::Isometry3d& X, double tol = 1e-12);

// subtracts the joint offsets, brings each angle within its limits by whole turns (the
// representative nearest 0 first) and adds the configuration unless a joint cannot fit or it
// repeats one already found (a double root)
void add_if_within_limits(const Arm& arm, JointVec q, const char* branch, AnalyticSolutions& out);

bool omx_fits(const Arm& arm);
void solve_omx(const Arm& arm, const JointsRef& target, AnalyticSolutions& out);

bool spherical_wrist_fits(const Arm& arm);
void solve_spherical_wrist(const Arm& arm, const JointsRef& target, AnalyticSolutions& out);

}  // namespace neurokin::detail
