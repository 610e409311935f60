// inverse kinematics: closed-form branches, damped least squares round trips, outcomes as
// results, and no allocation in the solver
#include <catch2/catch.hpp>
#include <set>

#include "neurokin/error.h"
#include "neurokin/ik.h"
#include "support/alloc_counter.h"
#include "support/arms.h"

using namespace neurokin;
using neurokin::test::random_target;
using neurokin::test::shipped_arm;

TEST_CASE("analytic planar2: both elbow branches reproduce the target") {
  const Arm arm = shipped_arm("planar2");
  REQUIRE(has_analytic_ik(arm));
  Rng rng(11);
  int both = 0;
  for (int trial = 0; trial < 1000; ++trial) {
    JointVec q;
    const TaskVec x = random_target(arm, rng, &q);
    const AnalyticSolutions s = solve_ik_analytic(arm, x);
    REQUIRE(s.reachable);
    REQUIRE(s.count >= 1);
    bool found_original = false;
    std::set<std::string> branches;
    for (int k = 0; k < s.count; ++k) {
      CHECK(within_limits(arm, s.sol[k].q));
      CHECK((task_vector(arm, fk(arm, s.sol[k].q)) - x).norm() < 1e-12);
      found_original |= (s.sol[k].q - q).norm() < 1e-9;
      branches.insert(s.sol[k].branch);
    }
    CHECK(found_original);
    CHECK(branches.size() == static_cast<size_t>(s.count));
    both += s.count == 2;
  }
  CHECK(both == 1000);  // away from the boundary, both elbows always fit [-pi, pi]
}

TEST_CASE("analytic planar2: the elbow sign names the branch") {
  const Arm arm = shipped_arm("planar2");
  Eigen::Vector2d x(1, 1);
  const AnalyticSolutions s = solve_ik_analytic(arm, x);
  REQUIRE(s.count == 2);
  for (int k = 0; k < 2; ++k)
    CHECK(std::string(s.sol[k].branch) == (s.sol[k].q[1] < 0 ? "elbow_up" : "elbow_down"));
}

TEST_CASE("analytic puma3: all four branches, each within limits, reproduce the target") {
  const Arm arm = shipped_arm("puma3");
  REQUIRE(has_analytic_ik(arm));
  Rng rng(12);
  std::set<std::string> seen;
  int counts[5] = {0, 0, 0, 0, 0};
  for (int trial = 0; trial < 2000; ++trial) {
    JointVec q;
    const TaskVec x = random_target(arm, rng, &q);
    const AnalyticSolutions s = solve_ik_analytic(arm, x);
    REQUIRE(s.reachable);
    REQUIRE(s.count >= 1);
    REQUIRE(s.count <= 4);
    ++counts[s.count];
    bool found_original = false;
    for (int k = 0; k < s.count; ++k) {
      CHECK(within_limits(arm, s.sol[k].q));
      CHECK((task_vector(arm, fk(arm, s.sol[k].q)) - x).norm() < 1e-11);
      found_original |= (s.sol[k].q - q).norm() < 1e-8;
      seen.insert(s.sol[k].branch);
    }
    CHECK(found_original);
  }
  CHECK(seen == std::set<std::string>{"shoulder_front_elbow_up", "shoulder_front_elbow_down",
                                      "shoulder_back_elbow_up", "shoulder_back_elbow_down"});
  CHECK(counts[4] > 0);  // all four branches fit the limits for part of the workspace
}

TEST_CASE("analytic ik: unreachable targets are results, wrong sizes are errors") {
  const Arm planar = shipped_arm("planar2");
  const AnalyticSolutions s = solve_ik_analytic(planar, Eigen::Vector2d(2.5, 0));
  CHECK_FALSE(s.reachable);
  CHECK(s.count == 0);
  CHECK(solve_ik_analytic(shipped_arm("puma3"), Eigen::Vector3d(0, 0, 3)).count == 0);
  CHECK_THROWS_WITH(
      solve_ik_analytic(planar, Eigen::Vector3d(1, 1, 0)),
      "solve_ik_analytic target: expected 2 values (planar_xy task of planar2), got 3");
  // an arm whose file names no solver, and one whose named solver does not fit its geometry
  Arm plain = shipped_arm("omx4");
  plain.analytic.clear();
  CHECK_THROWS_WITH(solve_ik_analytic(plain, Eigen::Vector4d(0.2, 0, 0.1, 0)),
                    Catch::Contains("has no closed-form solver (arm.analytic is empty)"));
  Arm bent = shipped_arm("kr6");
  bent.joints[5].A.translation().y() = 0.01;  // a6's axis no longer passes the wrist centre
  Eigen::VectorXd pose(7);
  pose << 0.5, 0, 0.5, 0, 0, 0, 1;
  CHECK_THROWS_WITH(solve_ik_analytic(bent, pose),
                    Catch::Contains("'spherical_wrist' does not fit its geometry"));
}

TEST_CASE("dls round trips: 1,000 random reachable targets per arm") {
  IkOptions opt;
  opt.time_budget_ms = 0;  // deterministic: bounded by restarts, not by the clock
  opt.max_restarts = 3000;
  for (const auto& name : test::arm_names()) {
    const Arm arm = shipped_arm(name);
    Rng rng(2024);
    int converged = 0;
    for (int trial = 0; trial < 1000; ++trial) {
      const TaskVec x = random_target(arm, rng);
      opt.seed = trial;
      const IkResult r = solve_ik(arm, x, opt);
      INFO(name << " target " << x.transpose() << " status " << status_name(r.status));
      REQUIRE(r.status != IkStatus::kUnreachable);
      CHECK(within_limits(arm, r.q));
      if (r.status != IkStatus::kConverged) continue;
      ++converged;
      const TaskError e = task_error(arm, fk(arm, r.q), x);
      CHECK(e.position_error <= opt.tol_pos);
      CHECK(e.orientation_error <= opt.tol_rot);
      CHECK(e.position_error == Approx(r.position_error).margin(1e-15));
    }
    INFO(name << ": " << converged << " / 1000 converged");
    CHECK(converged >= 999);
  }
}

TEST_CASE("dls from a good initial guess converges in a few iterations") {
  const Arm arm = shipped_arm("kr6");
  Rng rng(5);
  for (int trial = 0; trial < 100; ++trial) {
    JointVec q;
    const TaskVec x = random_target(arm, rng, &q);
    JointVec q0 = q;
    for (int i = 0; i < q0.size(); ++i) q0[i] += 0.01 * rng.normal();
    IkOptions opt;
    opt.max_restarts = 0;
    // the claim is about iterations: the default 5 ms budget failed it under the sanitizers
    // on a loaded machine (kr6, max_iterations after a few iterations)
    opt.time_budget_ms = 0;
    const IkResult r = solve_ik(arm, x, opt, q0);
    CHECK(r.status == IkStatus::kConverged);
    CHECK(r.iterations <= 10);
    CHECK(r.restarts == 0);
  }
}

TEST_CASE("dls: unreachable targets give a status, not an exception") {
  const Arm kr6 = shipped_arm("kr6");
  Eigen::VectorXd far(7);
  far << 3, 0, 0.5, 0, 0, 0, 1;
  IkResult r;
  REQUIRE_NOTHROW(r = solve_ik(kr6, far));
  CHECK(r.status == IkStatus::kUnreachable);
  CHECK(r.position_error > 1.5);
  const IkResult p = solve_ik(shipped_arm("planar2"), Eigen::Vector2d(0, 2.2));
  CHECK(p.status == IkStatus::kUnreachable);
  // inside the reach ball but out of the workspace: puma3's wrist never reaches its own J1
  // axis (the 0.15 m shoulder offset); no solution, but a status and the best effort
  const Arm puma = shipped_arm("puma3");
  IkOptions opt;
  opt.max_restarts = 5;
  const IkResult b = solve_ik(puma, Eigen::Vector3d(0, 0, 1.0), opt);
  CHECK((b.status == IkStatus::kStalled || b.status == IkStatus::kMaxIterations));
  CHECK(b.position_error > 0.1);
  CHECK(within_limits(puma, b.q));
}

// found by tests/fuzz/fuzz_task_vector: omx4's network answers NaN for a target 1.1e37 m away,
// and refining that answer threw instead of saying the target is out of reach
TEST_CASE("dls: a non-finite q0 is no guess: the search starts from the middle of the limits") {
  const Arm omx4 = shipped_arm("omx4");
  const Eigen::VectorXd nan_q0 = Eigen::VectorXd::Constant(4, NAN);
  IkOptions opt;
  opt.time_budget_ms = 0;
  const Eigen::Vector4d far(1.099125421991228e+37, 0.03560844594742338, 0.3422759718029844,
                            -1.3763764028953815);
  IkResult r;
  REQUIRE_NOTHROW(r = solve_ik(omx4, far, opt, nan_q0));
  CHECK(r.status == IkStatus::kUnreachable);
  CHECK(r.q == solve_ik(omx4, far, opt).q);
  CHECK(within_limits(omx4, r.q));
  // a reachable target is solved as it is without q0
  Rng rng(4);
  const TaskVec x = test::random_target(omx4, rng);
  const IkResult a = solve_ik(omx4, x, opt, nan_q0), b = solve_ik(omx4, x, opt);
  CHECK(a.status == IkStatus::kConverged);
  CHECK(a.q == b.q);
}

TEST_CASE("dls: the time budget ends the search") {
  IkOptions opt;
  opt.time_budget_ms = 2;  // with unlimited restarts, only the clock can stop it
  const IkResult r = solve_ik(shipped_arm("puma3"), Eigen::Vector3d(0, 0, 1.0), opt);
  CHECK(r.status == IkStatus::kMaxIterations);
  CHECK(r.restarts > 0);
}

TEST_CASE("dls allocates nothing") {
  const Arm arm = shipped_arm("kr6");
  Rng rng(9);
  const TaskVec x = random_target(arm, rng);
  IkOptions opt;
  opt.time_budget_ms = 0;
  test::AllocationCounter count;
  const IkResult r = solve_ik(arm, x, opt);
  CHECK(count.stop() == 0);
  CHECK(r.status == IkStatus::kConverged);
}

TEST_CASE("dls: malformed input throws with the field named") {
  const Arm arm = shipped_arm("kr6");
  CHECK_THROWS_WITH(solve_ik(arm, Eigen::VectorXd::Zero(3)),
                    "solve_ik target: expected 7 values (pose task of kr6), got 3");
  Eigen::VectorXd x(7);
  x << 0.5, 0, 0.5, 0, 0, 0, 2;
  CHECK_THROWS_WITH(solve_ik(arm, x),
                    Catch::Contains("quaternion (qx, qy, qz, qw): expected unit norm"));
  x[6] = 1;
  x[1] = NAN;
  CHECK_THROWS_WITH(solve_ik(arm, x),
                    Catch::StartsWith("solve_ik target[1]: expected a finite number"));
  x[1] = 0;
  CHECK_THROWS_WITH(solve_ik(arm, x, IkOptions{}, Eigen::VectorXd::Zero(4)),
                    "solve_ik q0: expected 6 joint angles (kr6), got 4");
  IkOptions bad;
  bad.tol_pos = 0;
  CHECK_THROWS_WITH(solve_ik(arm, x, bad),
                    Catch::StartsWith("IkOptions tolerances: expected positive"));
}

TEST_CASE("status names are the documented strings") {
  CHECK(std::string(status_name(IkStatus::kConverged)) == "converged");
  CHECK(std::string(status_name(IkStatus::kMaxIterations)) == "max_iterations");
  CHECK(std::string(status_name(IkStatus::kStalled)) == "stalled");
  CHECK(std::string(status_name(IkStatus::kUnreachable)) == "unreachable");
}
