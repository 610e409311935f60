// Reference models of the four arms as Orocos KDL chains, typed by hand from the numbers in
// PRODUCT.md ("The arms") and never read from models/arms/*.json: comparing them with the core
// (tests/test_fk_reference.cpp) and solving on them (bench/ik_vs_kdl.cpp) is then an
// independent check of the arm files and of neurokin::fk / jacobian.
//
// URDF joints become a fixed segment (the joint origin; rpy = 0 for every arm here) followed
// by a segment rotating about the joint axis; DH joints become Rot_z(q) * Frame::DH(a, alpha,
// d, 0), KDL's standard (Denavit & Hartenberg 1955) convention, the one the puma3 numbers use.
// Header-only so that the test and the benchmark share it without a library of their own.
#pragma once

#include <Eigen/Geometry>
#include <cmath>
#include <kdl/chain.hpp>
#include <kdl/frames.hpp>
#include <kdl/jntarray.hpp>
#include <kdl/joint.hpp>
#include <kdl/segment.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace neurokin::reference {

struct KdlArm {
  std::string name;
  KDL::Chain chain;
  KDL::JntArray lower, upper;  // joint limits (rad)
};

namespace detail {

constexpr double kPi = 3.14159265358979323846;
constexpr double kDeg = kPi / 180.0;

// a URDF revolute joint: fixed origin translation, then a rotation about the unit axis
inline void add_urdf_joint(KDL::Chain& chain, const KDL::Vector& origin, const KDL::Vector& axis) {
  chain.addSegment(KDL::Segment(KDL::Joint(KDL::Joint::Fixed), KDL::Frame(origin)));
  chain.addSegment(KDL::Segment(KDL::Joint(KDL::Vector::Zero(), axis, KDL::Joint::RotAxis)));
}

// a standard-DH revolute joint: Rot_z(q) Trans_z(d) Trans_x(a) Rot_x(alpha)
inline void add_dh_joint(KDL::Chain& chain, double a, double alpha, double d) {
  chain.addSegment(KDL::Segment(KDL::Joint(KDL::Joint::RotZ), KDL::Frame::DH(a, alpha, d, 0.0)));
}

inline void add_tool(KDL::Chain& chain, const KDL::Frame& X_NT) {
  chain.addSegment(KDL::Segment(KDL::Joint(KDL::Joint::Fixed), X_NT));
}

inline KdlArm with_limits(std::string name, KDL::Chain chain, const std::vector<double>& lower,
                          const std::vector<double>& upper) {
  KdlArm arm{std::move(name), std::move(chain), KDL::JntArray(lower.size()),
             KDL::JntArray(upper.size())};
  for (size_t i = 0; i < lower.size(); ++i) {
    arm.lower(i) = lower[i];
    arm.upper(i) = upper[i];
  }
  return arm;
}

}  // namespace detail

inline const std::vector<std::string>& kdl_arm_names() {
  static const std::vector<std::string> names = {"planar2", "puma3", "omx4", "kr6"};
  return names;
}

// the KDL chain base -> tool of a named arm; throws std::invalid_argument listing the names
inline KdlArm kdl_arm(const std::string& name) {
  using detail::kDeg;
  using detail::kPi;
  using KDL::Vector;
  KDL::Chain c;
  // planar2: L1 = L2 = 1 m, both joints about z in [-pi, pi]
  if (name == "planar2") {
    detail::add_urdf_joint(c, Vector(0, 0, 0), Vector(0, 0, 1));
    detail::add_urdf_joint(c, Vector(1.0, 0, 0), Vector(0, 0, 1));
    detail::add_tool(c, KDL::Frame(Vector(1.0, 0, 0)));
    return detail::with_limits(name, c, {-kPi, -kPi}, {kPi, kPi});
  }
  // puma3: PUMA 560 positioning joints, standard DH (a, alpha, d); tool at the wrist centre
  if (name == "puma3") {
    detail::add_dh_joint(c, 0.0, kPi / 2, 0.6718);
    detail::add_dh_joint(c, 0.4318, 0.0, 0.0);
    detail::add_dh_joint(c, 0.0203, -kPi / 2, 0.15005);
    detail::add_tool(c, KDL::Frame(Vector(0, 0, 0.4318)));
    return detail::with_limits(name, c, {-160 * kDeg, -45 * kDeg, -225 * kDeg},
                               {160 * kDeg, 225 * kDeg, 45 * kDeg});
  }
  // omx4: OpenManipulator-X URDF
  if (name == "omx4") {
    detail::add_urdf_joint(c, Vector(0.012, 0, 0.017), Vector(0, 0, 1));
    detail::add_urdf_joint(c, Vector(0, 0, 0.0595), Vector(0, 1, 0));
    detail::add_urdf_joint(c, Vector(0.024, 0, 0.128), Vector(0, 1, 0));
    detail::add_urdf_joint(c, Vector(0.124, 0, 0), Vector(0, 1, 0));
    detail::add_tool(c, KDL::Frame(Vector(0.126, 0, 0)));
    return detail::with_limits(name, c, {-0.9 * kPi, -0.57 * kPi, -0.3 * kPi, -0.57 * kPi},
                               {0.9 * kPi, 0.5 * kPi, 0.44 * kPi, 0.65 * kPi});
  }
  // kr6: KUKA KR6 R900 sixx ROS-Industrial URDF; tool0 = link_6 rotated +90 deg about y
  if (name == "kr6") {
    detail::add_urdf_joint(c, Vector(0, 0, 0.400), Vector(0, 0, -1));
    detail::add_urdf_joint(c, Vector(0.025, 0, 0), Vector(0, 1, 0));
    detail::add_urdf_joint(c, Vector(0.455, 0, 0), Vector(0, 1, 0));
    detail::add_urdf_joint(c, Vector(0, 0, 0.035), Vector(-1, 0, 0));
    detail::add_urdf_joint(c, Vector(0.420, 0, 0), Vector(0, 1, 0));
    detail::add_urdf_joint(c, Vector(0.080, 0, 0), Vector(-1, 0, 0));
    detail::add_tool(c, KDL::Frame(KDL::Rotation::RotY(kPi / 2)));
    return detail::with_limits(
        name, c, {-170 * kDeg, -190 * kDeg, -120 * kDeg, -185 * kDeg, -120 * kDeg, -350 * kDeg},
        {170 * kDeg, 45 * kDeg, 156 * kDeg, 185 * kDeg, 120 * kDeg, 350 * kDeg});
  }
  throw std::invalid_argument("kdl_arm: expected one of planar2, puma3, omx4, kr6, got '" + name +
                              "'");
}

inline KDL::JntArray to_kdl(const Eigen::Ref<const Eigen::VectorXd>& q) {
  KDL::JntArray out(static_cast<unsigned>(q.size()));
  out.data = q;
  return out;
}

inline Eigen::Isometry3d to_isometry(const KDL::Frame& X) {
  Eigen::Isometry3d out = Eigen::Isometry3d::Identity();
  for (int r = 0; r < 3; ++r) {
    out.translation()(r) = X.p(r);
    for (int c = 0; c < 3; ++c) out.linear()(r, c) = X.M(r, c);
  }
  return out;
}

inline KDL::Frame to_kdl(const Eigen::Isometry3d& X) {
  const Eigen::Matrix3d& R = X.linear();
  const Eigen::Vector3d& p = X.translation();
  return KDL::Frame(KDL::Rotation(R(0, 0), R(0, 1), R(0, 2), R(1, 0), R(1, 1), R(1, 2), R(2, 0),
                                  R(2, 1), R(2, 2)),
                    KDL::Vector(p.x(), p.y(), p.z()));
}

}  // namespace neurokin::reference
