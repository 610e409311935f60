// Following a path with a trajectory model (seed 004): each step moves the asked-for target to
// within max_step metres of where the end effector is, then the model gives the next joints
// from the current ones, so the motion stays on the branch it started on. A stateless ik model
// run on the same path answers each point alone (on its canonical branch) and is tracked the
// same way for comparison: tracking error, and the largest joint jump between two steps.
#pragma once

#include <Eigen/Geometry>
#include <vector>

#include "neurokin/kinematics.h"
#include "neurokin/model.h"
#include "neurokin/types.h"

namespace neurokin {

// the target to ask for next: `target`'s position moved along the line from X_WT's position to
// at most max_step metres from it (planar arms: in the plane); the rest of the task vector
// (pitch, orientation) as target has it. max_step <= 0: target as it is
TaskVec clamp_step(const Arm& arm, const Eigen::Isometry3d& X_WT, const JointsRef& target,
                   double max_step);

// the next joints of a trajectory model from q towards target (clamp_step first); joints turned
// by whole turns into their limits where one fits (wrap_into_limits). Throws Error when m is not
// a trajectory model, or q / target have the wrong size or a non-finite entry
JointVec trajectory_step(const Model& m, Workspace& ws, const JointsRef& q, const JointsRef& target,
                         double max_step);

struct TrackOptions {
  int substeps = 1;        // trajectory models: steps towards each path point
  double max_step = 0.05;  // metres per step (clamp_step); <= 0: no clamping
};

struct TrackResult {
  std::vector<JointVec> q;      // the joints after each path point
  std::vector<double> error_m;  // position error at each path point, metres
  double mean_error_m = 0, max_error_m = 0;
  double max_jump_rad = 0;  // largest joint change (wrapped) between two consecutive points,
                            // q0 to the first one included
  int max_jump_point = -1;  // the path point it happened at
};

// follows `path` (task vectors) from q0: a trajectory model takes opt.substeps steps towards
// each point; an ik model predicts each point alone. Throws Error for a feasibility model, a
// q0 or path entry of the wrong size or not finite, substeps < 1
TrackResult track_path(const Model& m, const std::vector<TaskVec>& path, const JointsRef& q0,
                       const TrackOptions& opt = {});

// n points of a closed circle (centre_W, radius, axis normal_W, first point at the start of the
// circle's in-plane basis) and of a straight line from a_W to b_W (both ends included), as task
// vectors of the arm: positions from the path, the rest (pitch, orientation) from `like`.
// Planar arms use x, y (the normal must be z). Throws Error for n < 2, radius <= 0, a zero
// normal, a non-finite value, a `like` of the wrong size
std::vector<TaskVec> circle_path(const Arm& arm, const Eigen::Vector3d& centre_W, double radius,
                                 const Eigen::Vector3d& normal_W, int n, const JointsRef& like);
std::vector<TaskVec> line_path(const Arm& arm, const Eigen::Vector3d& a_W,
                               const Eigen::Vector3d& b_W, int n, const JointsRef& like);

}  // namespace neurokin
