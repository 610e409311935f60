// Closed-form IK for the omx4-type (position + pitch) and kr6-type (spherical wrist) arms.
// Both reduce to the same pieces: a base joint about z that turns the arm's plane towards the
// target (or away from it), and a planar two-link chain whose links are any vectors in that
// plane (Craig, "Introduction to Robotics", ch. 4). The 6R arm decouples at its wrist centre
// (Pieper 1968): position fixes q1..q3, orientation then fixes q4..q6.
#include "neurokin/ik_analytic.h"

#include <array>
#include <cmath>

#include "ik_analytic_internal.h"

namespace neurokin {

namespace detail {
namespace {

constexpr double kTol = 1e-12;

bool parallel(const Eigen::Vector3d& a, const Eigen::Vector3d& b) {
  return a.cross(b).norm() <= kTol * std::max(1.0, a.norm() * b.norm());
}

// a URDF joint with rpy = 0: a pure translation before the rotation, nothing after it
bool translation_only(const Joint& j) { return j.A.linear().isIdentity(kTol) && is_identity(j.B); }

// the (x, z) components of a vector of the arm's plane (its y component is zero)
Eigen::Vector2d in_plane(const Eigen::Vector3d& v) { return {v.x(), v.z()}; }

bool in_plane_xz(const Eigen::Vector3d& v) { return std::abs(v.y()) <= kTol; }

// counter-clockwise rotation of the (x, z) plane: a rotation by phi about -y in 3d, so a
// joint turning by q about s * y turns the plane by phi = -s q
Eigen::Vector2d rotate(const Eigen::Vector2d& v, double phi) {
  const double c = std::cos(phi), s = std::sin(phi);
  return {c * v.x() - s * v.y(), s * v.x() + c * v.y()};
}

// the base joint (axis s1 * z) turns the arm's plane to the target's azimuth (front) or to the
// opposite one (back, reaching over the shoulder); rho is the target's coordinate along the
// turned plane's x. On the axis itself every q1 serves: q1 = 0 is taken.
struct BaseTurn {
  double q1, rho;
  bool back;
};
std::array<BaseTurn, 2> base_turns(double dx, double dy, double s1) {
  const double r = std::hypot(dx, dy);
  const double azimuth = r > 0 ? std::atan2(dy, dx) : 0.0;
  return {BaseTurn{s1 * azimuth, r, false}, BaseTurn{s1 * (azimuth + M_PI), -r, true}};
}

// planar two-link chain with links l1, l2 given as vectors of the plane: the plane angles
// (phi_a, phi_b) with R(phi_a) (l1 + R(phi_b) l2) = p. The turn from link 1's direction to
// link 2's is +-acos of the law of cosines; elbow = +1 takes the counter-clockwise one.
struct TwoLink {
  double phi_a, phi_b;
};
bool solve_two_link(const Eigen::Vector2d& l1, const Eigen::Vector2d& l2, const Eigen::Vector2d& p,
                    int elbow, TwoLink& out) {
  const double L1 = l1.norm(), L2 = l2.norm();
  const double D = (p.squaredNorm() - L1 * L1 - L2 * L2) / (2.0 * L1 * L2);
  if (std::abs(D) > 1.0 + kTol) return false;
  const double turn = elbow * std::acos(std::min(1.0, std::max(-1.0, D)));
  out.phi_b = turn - std::atan2(l2.y(), l2.x()) + std::atan2(l1.y(), l1.x());
  const Eigen::Vector2d v = l1 + rotate(l2, out.phi_b);
  out.phi_a = std::atan2(p.y(), p.x()) - std::atan2(v.y(), v.x());
  return true;
}

// elbow up: the elbow above the shoulder-wrist line with the target in front. A
// counter-clockwise turn between the links puts the elbow clockwise of that line, which is
// below it when the arm reaches forwards (+x) and above it when it reaches backwards.
bool elbow_up(int elbow, bool back) { return (elbow < 0) != back; }

// ---- spherical_wrist ---------------------------------------------------------------------

// the wrist's axes as an orthonormal frame [u v w]: u = a4 (= +-a6), v = a5, w = u x v
Eigen::Matrix3d wrist_basis(const Arm& arm) {
  Eigen::Matrix3d P;
  P.col(0) = arm.joints[3].axis;
  P.col(1) = arm.joints[4].axis;
  P.col(2) = P.col(0).cross(P.col(1));
  return P;
}

// the wrist centre in frame 3: joint 4's origin plus the link to joint 5 (along a4, so q4
// leaves it in place)
Eigen::Vector3d wrist_centre_in_3(const Arm& arm) {
  return arm.joints[3].A.translation() + arm.joints[4].A.translation();
}

}  // namespace

// ---- omx_position_pitch ------------------------------------------------------------------

// base about +-z, then joints 2-4 about +y in the plane it turns (so pitch = q2 + q3 + q4),
// every fixed link in that plane, a tool translation along it
bool omx_fits(const Arm& arm) {
  if (arm.dof() != 4 || arm.task != TaskKind::kPositionPitch) return false;
  if (!arm.X_WB.linear().isIdentity(kTol) || !arm.X_NT.linear().isIdentity(kTol)) return false;
  for (const Joint& j : arm.joints)
    if (!translation_only(j)) return false;
  if (!parallel(arm.joints[0].axis, Eigen::Vector3d::UnitZ())) return false;
  for (int i = 1; i < 4; ++i)
    if ((arm.joints[i].axis - Eigen::Vector3d::UnitY()).norm() > kTol ||
        !in_plane_xz(arm.joints[i].A.translation()))
      return false;
  return in_plane_xz(arm.X_NT.translation()) &&
         in_plane(arm.joints[2].A.translation()).norm() > kTol &&
         in_plane(arm.joints[3].A.translation()).norm() > kTol;
}

void solve_omx(const Arm& arm, const JointsRef& target, AnalyticSolutions& out) {
  const Joint &j1 = arm.joints[0], &j2 = arm.joints[1], &j3 = arm.joints[2], &j4 = arm.joints[3];
  const Eigen::Vector3d p_W1 = arm.X_WB.translation() + j1.A.translation();
  const Eigen::Vector2d p_12 = in_plane(j2.A.translation());  // shoulder in the turned plane
  const Eigen::Vector2d l1 = in_plane(j3.A.translation()), l2 = in_plane(j4.A.translation());
  const Eigen::Vector2d tool = in_plane(arm.X_NT.translation());
  const double pitch = target[3];
  const Eigen::Vector3d d = target.head<3>() - p_W1;
  for (const BaseTurn& base : base_turns(d.x(), d.y(), j1.axis.z() > 0 ? 1.0 : -1.0)) {
    // the wrist (joint 4) is the tool point less the tool link turned by the pitch
    const Eigen::Vector2d p_wrist = Eigen::Vector2d(base.rho, d.z()) - rotate(tool, -pitch);
    for (int elbow : {+1, -1}) {
      TwoLink t;
      if (!solve_two_link(l1, l2, p_wrist - p_12, elbow, t)) break;
      out.reachable = true;
      static const char* const kNames[2][2] = {{"base_front_elbow_down", "base_front_elbow_up"},
                                               {"base_back_elbow_down", "base_back_elbow_up"}};
      // rotation angles (q + offset: add_if_within_limits takes the offsets off)
      const double th2 = -t.phi_a, th3 = -t.phi_b;
      JointVec q(4);
      q << base.q1, th2, th3, pitch - th2 - th3;
      add_if_within_limits(arm, q, kNames[base.back][elbow_up(elbow, base.back)], out);
    }
  }
}

// base about +-z; shoulder and elbow about +-y with their links in the plane the base turns;
// a wrist whose three axes meet at joint 5's origin, a4 || a6, a4 perpendicular to a5
bool spherical_wrist_fits(const Arm& arm) {
  if (arm.dof() != 6 || arm.task != TaskKind::kPose) return false;
  for (const Joint& j : arm.joints)
    if (!translation_only(j)) return false;
  const Joint &j1 = arm.joints[0], &j2 = arm.joints[1], &j3 = arm.joints[2];
  const Joint &j4 = arm.joints[3], &j5 = arm.joints[4], &j6 = arm.joints[5];
  const Eigen::Vector3d y = Eigen::Vector3d::UnitY();
  return parallel(j1.axis, Eigen::Vector3d::UnitZ()) && parallel(j2.axis, y) &&
         parallel(j3.axis, y) && in_plane_xz(j2.A.translation()) &&
         in_plane_xz(j3.A.translation()) && in_plane_xz(wrist_centre_in_3(arm)) &&
         // joint 5's origin on a4's line, joint 6's on a5's origin's line along a6
         parallel(j5.A.translation(), j4.axis) && parallel(j6.A.translation(), j6.axis) &&
         parallel(j4.axis, j6.axis) && std::abs(j4.axis.dot(j5.axis)) <= kTol &&
         in_plane(j3.A.translation()).norm() > kTol &&
         in_plane(wrist_centre_in_3(arm)).norm() > kTol;
}

void solve_spherical_wrist(const Arm& arm, const JointsRef& target, AnalyticSolutions& out) {
  const Joint &j1 = arm.joints[0], &j2 = arm.joints[1], &j3 = arm.joints[2];
  const Joint &j4 = arm.joints[3], &j6 = arm.joints[5];
  // the target in the base frame
  const Eigen::Quaterniond quat_WT(target[6], target[3], target[4], target[5]);
  Eigen::Isometry3d X_WT = Eigen::Isometry3d::Identity();
  X_WT.linear() = quat_WT.normalized().toRotationMatrix();
  X_WT.translation() = target.head<3>();
  const Eigen::Isometry3d X_BT = arm.X_WB.inverse() * X_WT;
  // wrist centre: the tool point less the link from joint 6's origin to the tool, which is
  // fixed in frame 6 (a6 leaves its own link in place): R_B6 = R_BT R_NT^T
  const Eigen::Matrix3d R_B6 = X_BT.linear() * arm.X_NT.linear().transpose();
  const Eigen::Vector3d p_BC =
      X_BT.translation() - R_B6 * (j6.A.translation() + arm.X_NT.translation());
  const Eigen::Vector3d d = p_BC - j1.A.translation();

  const Eigen::Vector2d p_12 = in_plane(j2.A.translation());  // shoulder in the turned plane
  const Eigen::Vector2d l1 = in_plane(j3.A.translation()), l2 = in_plane(wrist_centre_in_3(arm));
  const double s2 = j2.axis.y() > 0 ? 1.0 : -1.0, s3 = j3.axis.y() > 0 ? 1.0 : -1.0;
  const double s6 = j6.axis.dot(j4.axis) > 0 ? 1.0 : -1.0;
  const Eigen::Matrix3d P = wrist_basis(arm);
  static const char* const kNames[2][2][2] = {
      {{"shoulder_front_elbow_down_wrist_flip", "shoulder_front_elbow_down_wrist_noflip"},
       {"shoulder_front_elbow_up_wrist_flip", "shoulder_front_elbow_up_wrist_noflip"}},
      {{"shoulder_back_elbow_down_wrist_flip", "shoulder_back_elbow_down_wrist_noflip"},
       {"shoulder_back_elbow_up_wrist_flip", "shoulder_back_elbow_up_wrist_noflip"}}};

  for (const BaseTurn& base : base_turns(d.x(), d.y(), j1.axis.z() > 0 ? 1.0 : -1.0)) {
    for (int elbow : {+1, -1}) {
      TwoLink t;
      if (!solve_two_link(l1, l2, Eigen::Vector2d(base.rho, d.z()) - p_12, elbow, t)) break;
      out.reachable = true;
      // rotation angles (q + offset: add_if_within_limits takes the offsets off)
      const double th1 = base.q1, th2 = -s2 * t.phi_a, th3 = -s3 * t.phi_b;
      // R_36 = R_03^T R_06 in the wrist's own axes is Rot_x(a) Rot_y(b) Rot_x(c), x-y-x Euler
      // angles with a = th4, b = th5, c = s6 th6 (Craig, ch. 2, for the z-y-z analogue)
      const Eigen::Matrix3d R_03 =
          (Eigen::AngleAxisd(th1, j1.axis) * Eigen::AngleAxisd(th2, j2.axis) *
           Eigen::AngleAxisd(th3, j3.axis))
              .toRotationMatrix();
      const Eigen::Matrix3d M = P.transpose() * R_03.transpose() * R_B6 * P;
      const double sb = std::hypot(M(0, 1), M(0, 2));
      const bool up = elbow_up(elbow, base.back);
      for (int flip : {+1, -1}) {
        double a, b, c;
        if (sb > kTol) {
          b = std::atan2(flip * sb, M(0, 0));
          a = std::atan2(flip * M(1, 0), -flip * M(2, 0));
          c = std::atan2(flip * M(0, 1), flip * M(0, 2));
        } else {
          // wrist singular: a4 and a6 in line, only a + c (b = 0) or a - c (b = pi) is fixed
          b = M(0, 0) > 0 ? 0.0 : M_PI;
          a = 0.0;
          c = std::atan2(M(2, 1), M(1, 1)) * (M(0, 0) > 0 ? 1.0 : -1.0);
        }
        JointVec q(6);
        q << th1, th2, th3, a, b, s6 * c;
        add_if_within_limits(arm, q, kNames[base.back][up][flip > 0], out);
        if (sb <= kTol) break;  // both flips are one configuration
      }
    }
  }
}

}  // namespace detail

std::vector<std::string> analytic_branch_names(const Arm& arm) {
  if (!has_analytic_ik(arm)) return {};
  if (arm.analytic == "planar2r") return {"elbow_down", "elbow_up"};
  if (arm.analytic == "puma_position")
    return {"shoulder_front_elbow_up", "shoulder_front_elbow_down", "shoulder_back_elbow_up",
            "shoulder_back_elbow_down"};
  std::vector<std::string> names;
  const char* first = arm.analytic == "omx_position_pitch" ? "base_" : "shoulder_";
  for (const char* side : {"front", "back"})
    for (const char* elbow : {"_elbow_up", "_elbow_down"}) {
      const std::string base = first + std::string(side) + elbow;
      if (arm.analytic == "omx_position_pitch")
        names.push_back(base);
      else
        for (const char* wrist : {"_wrist_noflip", "_wrist_flip"}) names.push_back(base + wrist);
    }
  return names;
}

}  // namespace neurokin
