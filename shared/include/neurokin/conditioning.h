// Conditioning of the task Jacobian and the four feasibility classes (PRODUCT.md, seed 002).
#pragma once

#include "neurokin/arm.h"
#include "neurokin/ik.h"
#include "neurokin/kinematics.h"

namespace neurokin {

struct Conditioning {
  double manipulability = 0;     // Yoshikawa (1985): sqrt(det(J J^T))
  double inverse_condition = 0;  // sigma_min / sigma_max of J, in [0, 1]
};
Conditioning conditioning(const Arm& arm, const JointsRef& q);

// class indices are part of the model format: 0 unreachable, 1 near-singular, 2 adequate,
// 3 high manipulability
enum class Feasibility {
  kUnreachable = 0,
  kNearSingular = 1,
  kAdequate = 2,
  kHighManipulability = 3
};
const char* feasibility_name(Feasibility f);  // "unreachable", "near_singular", ...

// class of a reachable configuration from its inverse condition number and the arm's
// thresholds (throws Error when the arm has none)
Feasibility classify_configuration(const Arm& arm, double inverse_condition);

// 20th / 80th percentiles of the inverse condition number over `samples` uniform joint samples
ConditioningThresholds compute_thresholds(const Arm& arm, int samples, std::uint64_t seed);

// a pose's class is the class of its best-conditioned IK solution within limits: analytic
// branches where the arm has them, else `starts` DLS attempts from random starts
struct PoseFeasibility {
  Feasibility cls = Feasibility::kUnreachable;
  double inverse_condition = 0;  // of the best solution (0 when unreachable)
  JointVec q;                    // the best solution
  int solutions = 0;             // distinct converged solutions found
};
PoseFeasibility classify_pose(const Arm& arm, const JointsRef& target, int starts = 8,
                              const IkOptions& opt = {});

}  // namespace neurokin
