// conditioning: yoshikawa's measure and the inverse condition number by hand, thresholds
// reproducible from their seed, pose classes from the best-conditioned solution
#include <catch2/catch.hpp>
#include <cmath>

#include "neurokin/conditioning.h"
#include "neurokin/error.h"
#include "support/arms.h"

using namespace neurokin;
using neurokin::test::random_target;
using neurokin::test::shipped_arm;

TEST_CASE("planar2: manipulability = L1 L2 |sin q2|, singular when stretched") {
  const Arm arm = shipped_arm("planar2");
  Rng rng(1);
  for (int i = 0; i < 200; ++i) {
    const JointVec q = sample_joints(arm, rng);
    const Conditioning c = conditioning(arm, q);
    CHECK(c.manipulability == Approx(std::abs(std::sin(q[1]))).margin(1e-12));
    // singular values of J for L1 = L2 = 1 from J^T J's eigenvalues, by hand:
    // trace = 1 + (1 + 2 c2 + 1) ... use det and trace of J J^T
    TaskJacobian J;
    task_jacobian(arm, q, J);
    const Eigen::Matrix2d A = J * J.transpose();
    const double t = A.trace(), d = A.determinant(), disc = std::sqrt(std::max(0.0, t * t / 4 - d));
    CHECK(c.inverse_condition == Approx(std::sqrt((t / 2 - disc) / (t / 2 + disc))).margin(1e-9));
  }
  CHECK(conditioning(arm, Eigen::Vector2d(0.4, 0.0)).inverse_condition < 1e-12);
}

TEST_CASE("thresholds are reproducible from the seed stored with the arm") {
  for (const auto& name : test::arm_names()) {
    const Arm arm = shipped_arm(name);
    REQUIRE(arm.conditioning.valid());
    INFO(name);
    const ConditioningThresholds t =
        compute_thresholds(arm, arm.conditioning.samples, arm.conditioning.seed);
    CHECK(t.p20 == Approx(arm.conditioning.p20).epsilon(1e-12));
    CHECK(t.p80 == Approx(arm.conditioning.p80).epsilon(1e-12));
    CHECK(0 < t.p20);
    CHECK(t.p20 < t.p80);
  }
  const Arm arm = shipped_arm("puma3");
  CHECK(compute_thresholds(arm, 1000, 5).p20 != compute_thresholds(arm, 1000, 6).p20);
  CHECK_THROWS_WITH(compute_thresholds(arm, 3, 1),
                    "compute_thresholds samples: expected at least 10, got 3");
}

TEST_CASE("thresholds split uniform samples 20 / 60 / 20") {
  const Arm arm = shipped_arm("kr6");
  Rng rng(99);  // a different stream from the calibration's
  int counts[4] = {0, 0, 0, 0};
  const int n = 20000;
  for (int i = 0; i < n; ++i)
    ++counts[static_cast<int>(
        classify_configuration(arm, conditioning(arm, sample_joints(arm, rng)).inverse_condition))];
  CHECK(counts[0] == 0);
  CHECK(counts[1] / double(n) == Approx(0.2).margin(0.015));
  CHECK(counts[2] / double(n) == Approx(0.6).margin(0.015));
  CHECK(counts[3] / double(n) == Approx(0.2).margin(0.015));
}

TEST_CASE("classify_pose: the best-conditioned solution decides, unreachable is a class") {
  const Arm puma = shipped_arm("puma3");
  Rng rng(8);
  for (int i = 0; i < 200; ++i) {
    const TaskVec x = random_target(puma, rng);
    const PoseFeasibility f = classify_pose(puma, x);
    const AnalyticSolutions s = solve_ik_analytic(puma, x);
    double best = 0;
    for (int k = 0; k < s.count; ++k)
      best = std::max(best, conditioning(puma, s.sol[k].q).inverse_condition);
    CHECK(f.solutions == s.count);
    CHECK(f.inverse_condition == Approx(best));
    CHECK(f.cls == classify_configuration(puma, best));
  }
  CHECK(classify_pose(puma, Eigen::Vector3d(0, 0, 3)).cls == Feasibility::kUnreachable);
  const Arm kr6 = shipped_arm("kr6");
  const PoseFeasibility f = classify_pose(kr6, random_target(kr6, rng));
  CHECK(f.cls != Feasibility::kUnreachable);
  CHECK(f.solutions >= 1);
  Eigen::VectorXd far(7);
  far << 2, 0, 0, 0, 0, 0, 1;
  CHECK(classify_pose(kr6, far).cls == Feasibility::kUnreachable);
}

TEST_CASE("feasibility names and thresholds errors") {
  CHECK(std::string(feasibility_name(Feasibility::kNearSingular)) == "near_singular");
  CHECK(std::string(feasibility_name(Feasibility::kHighManipulability)) == "high_manipulability");
  Arm arm = shipped_arm("planar2");
  arm.conditioning = {};
  CHECK_THROWS_WITH(classify_configuration(arm, 0.5),
                    Catch::Contains("no conditioning thresholds"));
}
