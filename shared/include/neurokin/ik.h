// Inverse kinematics: closed-form solutions where the arm's structure has one, and a damped
// least-squares / Levenberg-Marquardt solver for every arm. Outcomes are results, not
// exceptions: only malformed input (wrong size, NaN) throws Error.
#pragma once

#include <array>
#include <string>

#include "neurokin/arm.h"
#include "neurokin/kinematics.h"
#include "neurokin/types.h"

namespace neurokin {

enum class IkStatus {
  kConverged,      // both tolerances met
  kMaxIterations,  // iteration or time budget used up before the tolerances were met
  kStalled,        // no further progress possible (local minimum, joint limits)
  kUnreachable,    // the target lies outside the arm's workspace
};
const char* status_name(IkStatus s);  // "converged", "max_iterations", "stalled", "unreachable"

struct IkOptions {
  double tol_pos = 1e-5;        // metres
  double tol_rot = 1e-4;        // radians
  int max_iterations = 200;     // per attempt (start or restart)
  double time_budget_ms = 5.0;  // wall-clock budget for all attempts; <= 0: none
  int max_restarts = 1000000;   // random restarts after the first attempt (0: none)
  std::uint64_t seed = 0;       // restarts are drawn from this seed: reproducible
  double lambda0 = 1e-2;        // initial damping (squared, on the normal equations)
};

struct IkResult {
  JointVec q;  // best configuration found (within limits)
  IkStatus status = IkStatus::kStalled;
  double position_error = 0;     // metres, at q
  double orientation_error = 0;  // radians, at q
  int iterations = 0;            // over all attempts
  int restarts = 0;
};

// Levenberg-Marquardt (Levenberg 1944, Marquardt 1963; damping adapted as in Nielsen 1999)
// on the task error, with joints clamped to their limits. Starts from q0 when given (e.g. a
// network's prediction), else from the middle of the limits, then random restarts until
// the budget is spent. A q0 with a non-finite entry (what a network answers for a target far
// outside what it learned, 1e37 m away) is no guess: the middle of the limits is used, so
// such a target gets its status (unreachable) as it would without q0. Throws Error for a
// malformed target or a q0 of the wrong size. Allocates nothing.
IkResult solve_ik(const Arm& arm, const JointsRef& target, const IkOptions& opt = {});
IkResult solve_ik(const Arm& arm, const JointsRef& target, const IkOptions& opt,
                  const JointsRef& q0);

// closed-form IK: every branch whose joints fit the limits (or every branch, limits ignored)
struct AnalyticSolution {
  JointVec q;
  const char* branch = "";  // "elbow_up", "shoulder_left_elbow_down", ...
};
struct AnalyticSolutions {
  std::array<AnalyticSolution, 8> sol;
  int count = 0;
  bool reachable = false;  // the target is in the workspace ignoring joint limits
  bool within_limits = true;  // as asked: only branches whose joints fit the limits
};

// true when arm.analytic names a solver ("planar2r", "puma_position") that fits its geometry
bool has_analytic_ik(const Arm& arm);
// within_limits = false: every branch that reaches the target geometrically, joints wrapped to
// (-pi, pi] (or, for a joint spanning more than 2 pi, the representative nearest 0) whether or
// not they fit the limits: a learned per-branch map is smooth only over the whole workspace
AnalyticSolutions solve_ik_analytic(const Arm& arm, const JointsRef& target,
                                    bool within_limits = true);

}  // namespace neurokin
