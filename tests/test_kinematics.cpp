// forward kinematics against hand-computed poses, Jacobians against finite differences
#include <catch2/catch.hpp>
#include <cmath>

#include "neurokin/error.h"
#include "neurokin/kinematics.h"
#include "support/arms.h"

using namespace neurokin;
using neurokin::test::shipped_arm;

namespace {

Eigen::Vector3d position(const Arm& arm, std::initializer_list<double> q) {
  Eigen::VectorXd v(q.size());
  int i = 0;
  for (double x : q) v[i++] = x;
  return fk(arm, v).translation();
}

void check_close(const Eigen::Vector3d& a, const Eigen::Vector3d& b, double tol = 1e-12) {
  INFO("got " << a.transpose() << ", expected " << b.transpose());
  CHECK((a - b).norm() < tol);
}

}  // namespace

TEST_CASE("planar2 fk: hand-computed poses (L1 = L2 = 1)") {
  const Arm arm = shipped_arm("planar2");
  check_close(position(arm, {0, 0}), {2, 0, 0});
  check_close(position(arm, {M_PI / 2, -M_PI / 2}), {1, 1, 0});
  check_close(position(arm, {M_PI, 0}), {-2, 0, 0});
  // x = c1 + c12, y = s1 + s12
  check_close(position(arm, {0.3, 0.4}),
              {std::cos(0.3) + std::cos(0.7), std::sin(0.3) + std::sin(0.7), 0});
}

TEST_CASE("puma3 fk: the wrist centre from the dh table by hand") {
  const Arm arm = shipped_arm("puma3");
  // q = 0: (a2 + a3, -d3, d1 + d4)
  check_close(position(arm, {0, 0, 0}), {0.4318 + 0.0203, -0.15005, 0.6718 + 0.4318});
  // q1 = pi/2 turns the arm about z: (d3, a2 + a3, d1 + d4)
  check_close(position(arm, {M_PI / 2, 0, 0}), {0.15005, 0.4521, 1.1036});
  // q2 = pi/2 raises the upper arm: x = -d4 ... in the arm plane (x1, y1) = (-d4, a2 + a3)
  check_close(position(arm, {0, M_PI / 2, 0}), {-0.4318, -0.15005, 0.6718 + 0.4318 + 0.0203});
}

TEST_CASE("omx4 fk: urdf origins by hand, pitch = q2 + q3 + q4") {
  const Arm arm = shipped_arm("omx4");
  check_close(position(arm, {0, 0, 0, 0}),
              {0.012 + 0.024 + 0.124 + 0.126, 0, 0.017 + 0.0595 + 0.128});
  Eigen::VectorXd q(4);
  q << 0.2, 0.3, 0.25, -0.1;
  const TaskVec x = task_vector(arm, fk(arm, q));
  CHECK(x[3] == Approx(0.45).margin(1e-12));
  // joint4 = pi/2 points the last link straight down
  check_close(position(arm, {0, 0, 0, M_PI / 2}), {0.012 + 0.024 + 0.124, 0, 0.2045 - 0.126});
}

TEST_CASE("kr6 fk: tool0 at q = 0 is (0.980, 0, 0.435), z pointing forward") {
  const Arm arm = shipped_arm("kr6");
  const Eigen::Isometry3d X_WT = fk(arm, Eigen::VectorXd::Zero(6));
  check_close(X_WT.translation(), {0.980, 0, 0.435});
  // tool0 = link_6 rotated +90 deg about y: its z axis is world +x, its x axis world -z
  check_close(X_WT.linear().col(2), {1, 0, 0});
  check_close(X_WT.linear().col(0), {0, 0, -1});
  // a1 turns about -z: +90 deg swings the arm to -y
  check_close(position(arm, {M_PI / 2, 0, 0, 0, 0, 0}), {0, -0.980, 0.435});
  // a2 about +y by -90 deg stands the arm up: the 0.955 m of links go to +z, the 0.035 m
  // elbow offset (along z before) to -x
  check_close(position(arm, {0, -M_PI / 2, 0, 0, 0, 0}),
              {0.025 - 0.035, 0, 0.4 + 0.455 + 0.420 + 0.080});
}

TEST_CASE("fk_frames: n + 2 frames, base first, tool last") {
  for (const auto& name : test::arm_names()) {
    const Arm arm = shipped_arm(name);
    Rng rng(1);
    const JointVec q = sample_joints(arm, rng);
    std::vector<Eigen::Isometry3d> X_W;
    fk_frames(arm, q, X_W);
    REQUIRE(X_W.size() == static_cast<size_t>(arm.dof() + 2));
    CHECK(X_W.front().isApprox(arm.X_WB));
    CHECK(X_W.back().isApprox(fk(arm, q), 1e-14));
    CHECK(X_W.back().isApprox(X_W[arm.dof()] * arm.X_NT, 1e-14));
  }
}

TEST_CASE("jacobians match central finite differences on every arm") {
  const double h = 1e-6;
  for (const auto& name : test::arm_names()) {
    const Arm arm = shipped_arm(name);
    Rng rng(7);
    for (int trial = 0; trial < 50; ++trial) {
      const JointVec q = sample_joints(arm, rng);
      Jacobian6 J_W;
      TaskJacobian J;
      jacobian(arm, q, J_W);
      task_jacobian(arm, q, J);
      const Eigen::Isometry3d X = fk(arm, q);
      REQUIRE(J.rows() == task_dof(arm.task));
      for (int i = 0; i < arm.dof(); ++i) {
        JointVec qp = q, qm = q;
        qp[i] += h;
        qm[i] -= h;
        const Eigen::Isometry3d Xp = fk(arm, qp), Xm = fk(arm, qm);
        const Eigen::Vector3d v = (Xp.translation() - Xm.translation()) / (2 * h);
        const Eigen::AngleAxisd dR(Xp.linear() * Xm.linear().transpose());
        const Eigen::Vector3d w = dR.angle() * dR.axis() / (2 * h);
        INFO(name << " joint " << i << " q = " << q.transpose());
        CHECK((J_W.col(i).head<3>() - v).norm() < 1e-8);
        CHECK((J_W.col(i).tail<3>() - w).norm() < 1e-8);
        // the task jacobian against the task error's own finite difference
        const TaskVec x = task_vector(arm, X);
        const ErrVec de = task_error(arm, Xm, x).e - task_error(arm, Xp, x).e;
        CHECK((J.col(i) - de / (2 * h)).norm() < 1e-7);
      }
    }
  }
}

TEST_CASE("task_error is zero at the pose itself and measures position and angle") {
  for (const auto& name : test::arm_names()) {
    const Arm arm = shipped_arm(name);
    Rng rng(3);
    const JointVec q = sample_joints(arm, rng);
    const Eigen::Isometry3d X = fk(arm, q);
    const TaskError err = task_error(arm, X, task_vector(arm, X));
    CHECK(err.e.norm() < 1e-12);
  }
  const Arm kr6 = shipped_arm("kr6");
  const Eigen::Isometry3d X = fk(kr6, Eigen::VectorXd::Zero(6));
  TaskVec target = task_vector(kr6, X);
  target[0] += 0.003;
  const Eigen::Quaterniond turned =
      Eigen::Quaterniond(Eigen::AngleAxisd(0.2, Eigen::Vector3d::UnitZ())) *
      Eigen::Quaterniond(X.linear());
  target.tail<4>() << turned.x(), turned.y(), turned.z(), turned.w();
  const TaskError err = task_error(kr6, X, target);
  CHECK(err.position_error == Approx(0.003).epsilon(1e-9));
  CHECK(err.orientation_error == Approx(0.2).epsilon(1e-9));
  CHECK((err.e.tail<3>() - Eigen::Vector3d(0, 0, 0.2)).norm() < 1e-12);
}

TEST_CASE("wrap_angle maps to (-pi, pi]") {
  CHECK(wrap_angle(0.5) == Approx(0.5));
  CHECK(wrap_angle(3 * M_PI) == Approx(M_PI));
  CHECK(wrap_angle(-M_PI) == Approx(M_PI));
  CHECK(wrap_angle(2 * M_PI + 0.1) == Approx(0.1));
  CHECK(wrap_angle(-2 * M_PI - 0.1) == Approx(-0.1));
}

TEST_CASE("check_joints names the count and the bad entry") {
  const Arm arm = shipped_arm("kr6");
  CHECK_THROWS_WITH(check_joints(arm, Eigen::VectorXd::Zero(5), "q"),
                    "q: expected 6 joint angles (kr6), got 5");
  Eigen::VectorXd q = Eigen::VectorXd::Zero(6);
  q[2] = NAN;
  CHECK_THROWS_WITH(check_joints(arm, q, "q"),
                    Catch::StartsWith("q[2]: expected a finite angle (rad), got"));
}
