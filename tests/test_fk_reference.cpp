// Forward kinematics and the geometric Jacobian of every arm against an independent model:
// Orocos KDL chains built from PRODUCT.md's numbers by hand (tests/support/kdl_chain.h), plus
// golden poses computed by hand from the same numbers.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <kdl/chainfksolverpos_recursive.hpp>
#include <kdl/chainjnttojacsolver.hpp>
#include <kdl/jacobian.hpp>
#include <sstream>
#include <string>

#include "neurokin/arm.h"
#include "neurokin/kinematics.h"
#include "neurokin/random.h"
#include "support/kdl_chain.h"

namespace {

using neurokin::reference::kdl_arm;
using neurokin::reference::kdl_arm_names;
using neurokin::reference::to_isometry;
using neurokin::reference::to_kdl;

constexpr double kPi = 3.14159265358979323846;
constexpr int kSamples = 1000;
constexpr double kTol = 1e-9;

std::string format(const Eigen::MatrixXd& m) {
  std::ostringstream out;
  out.precision(17);
  out << m;
  return out.str();
}

Eigen::Vector3d fk_position(const std::string& arm_name, const Eigen::VectorXd& q) {
  return neurokin::fk(neurokin::load_arm(arm_name), q).translation();
}

Eigen::Isometry3d kdl_fk(const KDL::Chain& chain, const Eigen::VectorXd& q) {
  KDL::ChainFkSolverPos_recursive fk(chain);
  KDL::Frame X_WT;
  REQUIRE(fk.JntToCart(to_kdl(q), X_WT) >= 0);
  return to_isometry(X_WT);
}

}  // namespace

TEST_CASE("fk and jacobian agree with a hand-built KDL chain on random joints", "[fk_reference]") {
  for (const std::string& name : kdl_arm_names()) {
    SECTION(name) {
      const neurokin::Arm arm = neurokin::load_arm(name);
      const neurokin::reference::KdlArm ref = kdl_arm(name);
      REQUIRE(arm.dof() == static_cast<int>(ref.chain.getNrOfJoints()));

      // the limits in the arm file are PRODUCT.md's too
      for (int i = 0; i < arm.dof(); ++i) {
        CHECK(arm.joints[i].lower == Approx(ref.lower(i)).margin(1e-12));
        CHECK(arm.joints[i].upper == Approx(ref.upper(i)).margin(1e-12));
      }

      KDL::ChainFkSolverPos_recursive fk_solver(ref.chain);
      KDL::ChainJntToJacSolver jac_solver(ref.chain);
      KDL::Jacobian J_kdl(ref.chain.getNrOfJoints());
      neurokin::Jacobian6 J_W;

      // keep the worst sample of each quantity so a failure names q and both values
      double worst_p = 0, worst_R = 0, worst_J = 0;
      Eigen::VectorXd q_p, q_R, q_J;
      neurokin::Rng rng(20240601);
      for (int s = 0; s < kSamples; ++s) {
        const Eigen::VectorXd q = neurokin::sample_joints(arm, rng);
        const Eigen::Isometry3d X_WT = neurokin::fk(arm, q);
        KDL::Frame X_kdl;
        REQUIRE(fk_solver.JntToCart(to_kdl(q), X_kdl) >= 0);
        const Eigen::Isometry3d X_ref = to_isometry(X_kdl);
        const double dp = (X_WT.translation() - X_ref.translation()).cwiseAbs().maxCoeff();
        const double dR = (X_WT.linear() - X_ref.linear()).cwiseAbs().maxCoeff();
        if (dp > worst_p) {
          worst_p = dp;
          q_p = q;
        }
        if (dR > worst_R) {
          worst_R = dR;
          q_R = q;
        }

        neurokin::jacobian(arm, q, J_W);
        REQUIRE(jac_solver.JntToJac(to_kdl(q), J_kdl) >= 0);
        const double dJ = (J_W - J_kdl.data).cwiseAbs().maxCoeff();
        if (dJ > worst_J) {
          worst_J = dJ;
          q_J = q;
        }
      }

      INFO("arm " << name);
      if (worst_p > kTol) {
        INFO("q = " << format(q_p.transpose())
                    << "\nneurokin p = " << format(neurokin::fk(arm, q_p).translation().transpose())
                    << "\nKDL p = " << format(kdl_fk(ref.chain, q_p).translation().transpose()));
        CHECK(worst_p <= kTol);
      }
      if (worst_R > kTol) {
        INFO("q = " << format(q_R.transpose()) << "\nneurokin R =\n"
                    << format(neurokin::fk(arm, q_R).linear()) << "\nKDL R =\n"
                    << format(kdl_fk(ref.chain, q_R).linear()));
        CHECK(worst_R <= kTol);
      }
      if (worst_J > kTol) {
        neurokin::jacobian(arm, q_J, J_W);
        REQUIRE(jac_solver.JntToJac(to_kdl(q_J), J_kdl) >= 0);
        INFO("q = " << format(q_J.transpose()) << "\nneurokin J_W =\n"
                    << format(J_W) << "\nKDL J =\n"
                    << format(J_kdl.data));
        CHECK(worst_J <= kTol);
      }
    }
  }
}

TEST_CASE("golden tool positions computed by hand from PRODUCT.md", "[fk_reference]") {
  struct Golden {
    const char* arm;
    Eigen::VectorXd q;
    Eigen::Vector3d p_WT;
  };
  const Golden goldens[] = {
      // planar2: both links along x, then link 1 up and link 2 back along x
      {"planar2", Eigen::Vector2d(0, 0), {2.0, 0, 0}},
      {"planar2", Eigen::Vector2d(kPi / 2, -kPi / 2), {1.0, 1.0, 0}},
      // puma3 at q = 0: x = a2 + a3, y = -d3 (z1 = -y0), z = d1 + tool offset (z3 = z0)
      {"puma3", Eigen::Vector3d::Zero(), {0.4318 + 0.0203, -0.15005, 0.6718 + 0.4318}},
      // omx4 at q = 0: sums of the joint origins and the end effector offset
      {"omx4", Eigen::Vector4d::Zero(), {0.012 + 0.024 + 0.124 + 0.126, 0, 0.017 + 0.0595 + 0.128}},
      // kr6 at q = 0: x = 0.025 + 0.455 + 0.420 + 0.080, z = 0.400 + 0.035
      {"kr6", Eigen::VectorXd::Zero(6), {0.980, 0, 0.435}},
  };
  for (const Golden& g : goldens) {
    INFO(g.arm << " q = " << format(g.q.transpose()));
    const Eigen::Vector3d p_core = fk_position(g.arm, g.q);
    const Eigen::Vector3d p_kdl = kdl_fk(kdl_arm(g.arm).chain, g.q).translation();
    INFO("neurokin " << format(p_core.transpose()) << ", KDL " << format(p_kdl.transpose()));
    CHECK((p_core - g.p_WT).norm() < 1e-12);
    CHECK((p_kdl - g.p_WT).norm() < 1e-12);
  }
  // the hand values themselves, spelled out once, so a slip in the sums above shows
  CHECK(goldens[2].p_WT.isApprox(Eigen::Vector3d(0.4521, -0.15005, 1.1036), 1e-15));
  CHECK(goldens[3].p_WT.isApprox(Eigen::Vector3d(0.286, 0, 0.2045), 1e-15));
}

TEST_CASE("kr6 tool0 at q = 0 is link_6 rotated +90 deg about y", "[fk_reference]") {
  const neurokin::Arm arm = neurokin::load_arm("kr6");
  const Eigen::VectorXd q = Eigen::VectorXd::Zero(6);
  // link_6 is aligned with the world at q = 0 (all rpy = 0), so R_WT = Rot_y(+pi/2)
  Eigen::Matrix3d R_expected;
  R_expected << 0, 0, 1, 0, 1, 0, -1, 0, 0;
  const Eigen::Isometry3d X_WT = neurokin::fk(arm, q);
  INFO("neurokin R =\n" << format(X_WT.linear()));
  CHECK((X_WT.linear() - R_expected).cwiseAbs().maxCoeff() < 1e-15);
  CHECK((kdl_fk(kdl_arm("kr6").chain, q).linear() - R_expected).cwiseAbs().maxCoeff() < 1e-15);
  // as a task vector (x, y, z, qx, qy, qz, qw): the half-angle quaternion about y
  const neurokin::TaskVec x = neurokin::task_vector(arm, X_WT);
  REQUIRE(x.size() == 7);
  const double h = std::sqrt(0.5);
  CHECK((x - (Eigen::Matrix<double, 7, 1>() << 0.980, 0, 0.435, 0, h, 0, h).finished())
            .cwiseAbs()
            .maxCoeff() < 1e-12);
}

TEST_CASE("omx4 pitch is q2 + q3 + q4 wrapped", "[fk_reference]") {
  const neurokin::Arm arm = neurokin::load_arm("omx4");
  neurokin::Rng rng(7);
  for (int s = 0; s < kSamples; ++s) {
    const Eigen::VectorXd q = neurokin::sample_joints(arm, rng);
    const neurokin::TaskVec x = neurokin::task_vector(arm, neurokin::fk(arm, q));
    REQUIRE(x.size() == 4);
    const double expected = std::remainder(q(1) + q(2) + q(3), 2 * kPi);
    // compare as angles: equal up to a full turn (the wrap point pi may land on either side)
    INFO("q = " << format(q.transpose()) << " pitch " << x(3) << " expected " << expected);
    REQUIRE(std::abs(std::remainder(x(3) - expected, 2 * kPi)) < 1e-12);
  }
}

TEST_CASE("the reference chains reject an unknown arm name", "[fk_reference]") {
  CHECK_THROWS_WITH(kdl_arm("ur5"), Catch::Contains("planar2, puma3, omx4, kr6"));
}

TEST_CASE("the neurokin fk command agrees with the KDL chains to 1e-9", "[fk_reference][cli]") {
  // the command end to end: CSV in, 17-digit CSV out, against the independent model
  const std::string dir = std::string(NEUROKIN_TEST_TMP) + "/fk_reference_cli";
  REQUIRE(std::system(("mkdir -p '" + dir + "'").c_str()) == 0);
  for (const std::string& name : kdl_arm_names()) {
    const neurokin::reference::KdlArm ref = kdl_arm(name);
    const int n = static_cast<int>(ref.chain.getNrOfJoints());
    neurokin::Rng rng(321);
    std::vector<Eigen::VectorXd> qs;
    {
      std::ofstream q_csv(dir + "/q.csv");
      for (int i = 0; i < n; ++i) q_csv << (i ? "," : "") << "q" << i;
      q_csv << "\n";
      q_csv.precision(17);
      for (int s = 0; s < kSamples; ++s) {
        Eigen::VectorXd q(n);
        for (int i = 0; i < n; ++i) q[i] = rng.uniform(ref.lower(i), ref.upper(i));
        for (int i = 0; i < n; ++i) q_csv << (i ? "," : "") << q[i];
        q_csv << "\n";
        qs.push_back(q);
      }
    }
    const std::string cmd = std::string(NEUROKIN_CLI) + " fk --arm " + name + " --in '" + dir +
                            "/q.csv' --out '" + dir + "/poses.csv'";
    REQUIRE(std::system(cmd.c_str()) == 0);
    std::ifstream poses(dir + "/poses.csv");
    std::string line;
    std::getline(poses, line);
    CHECK(line == "x,y,z,qx,qy,qz,qw");
    double worst = 0;
    for (int s = 0; s < kSamples; ++s) {
      REQUIRE(std::getline(poses, line));
      std::istringstream row(line);
      double v[7];
      char comma;
      row >> v[0];
      for (int k = 1; k < 7; ++k) row >> comma >> v[k];
      const Eigen::Isometry3d X = kdl_fk(ref.chain, qs[s]);
      const Eigen::Quaterniond q_ref(X.linear());
      const Eigen::Vector4d quat(v[3], v[4], v[5], v[6]);
      const double sign = quat.dot(q_ref.coeffs()) < 0 ? -1 : 1;
      worst = std::max({worst,
                        (Eigen::Vector3d(v[0], v[1], v[2]) - X.translation()).cwiseAbs().maxCoeff(),
                        (sign * quat - q_ref.coeffs()).cwiseAbs().maxCoeff()});
    }
    INFO(name << ": largest difference " << worst);
    CHECK(worst < kTol);
  }
}
