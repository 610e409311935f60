// The arm loader (arm_from_json_text: `neurokin ... --arm FILE`, `neurokin info`, the arm
// embedded in every model, the web page's `new Arm(text)`). An accepted arm must round trip
// through arm_to_json and survive what the CLI and the page do with it: FK, Jacobians,
// conditioning, closed-form and iterative IK, sampling and wrapping into its limits.
#include <nlohmann/json.hpp>

#include "fuzz_check.h"
#include "neurokin/arm.h"
#include "neurokin/conditioning.h"
#include "neurokin/error.h"
#include "neurokin/ik.h"
#include "neurokin/ik_analytic.h"
#include "neurokin/kinematics.h"
#include "neurokin/random.h"

using namespace neurokin;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Arm arm;
  try {
    arm = arm_from_json_text(fuzz::as_text(data, size));
  } catch (const Error&) {
    return 0;
  }
  FUZZ_CHECK(arm.dof() >= 1 && arm.dof() <= kMaxJoints);
  const Arm back = arm_from_json(arm_to_json(arm));
  FUZZ_CHECK(back.dof() == arm.dof() && back.task == arm.task);
  for (int i = 0; i < arm.dof(); ++i)
    FUZZ_CHECK(back.joints[i].lower == arm.joints[i].lower &&
               back.joints[i].upper == arm.joints[i].upper);

  // the configurations a user reaches first: the middle of the limits, then random ones
  Rng rng(1);
  const JointVec q_mid = arm.mid(), q_rand = sample_joints(arm, rng);
  FUZZ_CHECK(q_rand.size() == arm.dof());
  JointVec q_wrapped = q_rand.array() + 7.0;
  wrap_into_limits(arm, q_wrapped);
  std::vector<Eigen::Isometry3d> frames;
  fk_frames(arm, q_mid, frames);
  FUZZ_CHECK(static_cast<int>(frames.size()) == arm.dof() + 2);
  TaskJacobian J;
  const TaskVec target = task_vector(arm, task_jacobian(arm, q_rand, J));
  conditioning(arm, q_mid);
  analytic_branch_names(arm);

  // solvers on a target the arm reaches, bounded by iterations (not the clock): reproducible
  IkOptions opt;
  opt.max_iterations = 10;
  opt.max_restarts = 2;
  opt.time_budget_ms = 0;
  try {
    check_task_vector(arm, target, "target");
  } catch (const Error&) {
    return 0;  // fk gave a non-finite pose (an arm with absurd lengths): nothing to solve
  }
  if (has_analytic_ik(arm)) solve_ik_analytic(arm, target);
  const IkResult r = solve_ik(arm, target, opt, q_mid);
  FUZZ_CHECK(within_limits(arm, r.q, 1e-9) || !r.q.allFinite());
  if (arm.conditioning.valid()) classify_pose(arm, target, 1, opt);
  return 0;
}
