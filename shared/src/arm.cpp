#include "neurokin/arm.h"

#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "neurokin/error.h"
#include "neurokin/json_util.h"

namespace neurokin {

namespace ju = json_util;
using nlohmann::json;

int task_size(TaskKind kind) {
  switch (kind) {
    case TaskKind::kPlanarXY:
      return 2;
    case TaskKind::kPosition:
      return 3;
    case TaskKind::kPositionPitch:
      return 4;
    case TaskKind::kPose:
      return 7;
  }
  return 0;
}

int task_dof(TaskKind kind) { return kind == TaskKind::kPose ? 6 : task_size(kind); }

const char* task_name(TaskKind kind) {
  switch (kind) {
    case TaskKind::kPlanarXY:
      return "planar_xy";
    case TaskKind::kPosition:
      return "position";
    case TaskKind::kPositionPitch:
      return "position_pitch";
    case TaskKind::kPose:
      return "pose";
  }
  return "?";
}

TaskKind task_from_name(const std::string& name) {
  for (TaskKind k :
       {TaskKind::kPlanarXY, TaskKind::kPosition, TaskKind::kPositionPitch, TaskKind::kPose})
    if (name == task_name(k)) return k;
  throw_expected("task", "one of planar_xy, position, position_pitch, pose", "\"" + name + "\"");
}

Eigen::VectorXd Arm::lower() const {
  Eigen::VectorXd v(dof());
  for (int i = 0; i < dof(); ++i) v[i] = joints[i].lower;
  return v;
}

Eigen::VectorXd Arm::upper() const {
  Eigen::VectorXd v(dof());
  for (int i = 0; i < dof(); ++i) v[i] = joints[i].upper;
  return v;
}

Eigen::VectorXd Arm::mid() const { return 0.5 * (lower() + upper()); }

namespace {

Eigen::Isometry3d translate(double x, double y, double z) {
  Eigen::Isometry3d X = Eigen::Isometry3d::Identity();
  X.translation() = Eigen::Vector3d(x, y, z);
  return X;
}

// a length of the arm's geometry (DH a, d), within +-kMaxLength
double length(const json& dh, const char* key, const std::string& where) {
  const std::string w = where + "." + key;
  const json& v = ju::field(dh, key, where);
  const double x = ju::number(v, w);
  if (!(std::abs(x) <= kMaxLength)) throw_expected(w, "a length within +-1e6 m", ju::describe(v));
  return x;
}

// a fixed transform (URDF origin, base, tool) whose translation is within +-kMaxLength
Eigen::Isometry3d placement(const json& v, const std::string& where) {
  const Eigen::Isometry3d X = ju::transform(v, where);
  if (!(X.translation().cwiseAbs().maxCoeff() <= kMaxLength))
    throw_expected(where + ".xyz", "coordinates within +-1e6 m", ju::describe(v.at("xyz")));
  return X;
}

// limits in one of three spellings: radians, degrees, or multiples of pi (all exact as typed)
void read_limits(const json& jj, const std::string& where, Joint& joint) {
  struct Spelling {
    const char* key;
    double scale;
  };
  const Spelling spellings[] = {{"limits", 1.0}, {"limits_deg", M_PI / 180.0}, {"limits_pi", M_PI}};
  int found = 0;
  for (const auto& s : spellings) {
    const json* v = ju::optional_field(jj, s.key, where);
    if (!v) continue;
    ++found;
    const std::string w = where + "." + s.key;
    if (!v->is_array() || v->size() != 2) throw_expected(w, "[lower, upper]", ju::describe(*v));
    joint.lower = ju::number((*v)[0], w + "[0]") * s.scale;
    joint.upper = ju::number((*v)[1], w + "[1]") * s.scale;
    if (joint.lower > joint.upper) throw_expected(w, "lower <= upper", ju::describe(*v));
  }
  if (found != 1)
    throw_expected(where, "exactly one of limits (rad), limits_deg, limits_pi",
                   std::to_string(found) + " of them");
}

Joint read_joint(const json& jj, const std::string& where) {
  ju::require_object(jj, where);
  Joint joint;
  if (const json* n = ju::optional_field(jj, "name", where))
    joint.name = ju::string(*n, where + ".name");
  if (const json* t = ju::optional_field(jj, "type", where)) {
    const std::string type = ju::string(*t, where + ".type");
    if (type != "revolute") throw_expected(where + ".type", "\"revolute\"", "\"" + type + "\"");
  }
  const json* dh = ju::optional_field(jj, "dh", where);
  const json* origin = ju::optional_field(jj, "origin", where);
  if ((dh != nullptr) == (origin != nullptr))
    throw_expected(where, "exactly one of dh {a, alpha, d, theta} or origin {xyz, rpy} + axis",
                   dh ? "both" : "neither");
  if (dh) {
    // standard dh: Rot_z(theta + q) Trans_z(d) Trans_x(a) Rot_x(alpha)
    const std::string w = where + ".dh";
    const double a = length(*dh, "a", w);
    const double alpha = ju::number(ju::field(*dh, "alpha", w), w + ".alpha");
    const double d = length(*dh, "d", w);
    const json* theta = ju::optional_field(*dh, "theta", w);
    joint.offset = theta ? ju::number(*theta, w + ".theta") : 0.0;
    joint.axis = Eigen::Vector3d::UnitZ();
    joint.B = translate(0, 0, d) * translate(a, 0, 0) *
              Eigen::AngleAxisd(alpha, Eigen::Vector3d::UnitX());
    if (ju::optional_field(jj, "axis", where))
      throw Error(where + ".axis: not allowed with dh (the dh axis is z)");
  } else {
    joint.A = placement(*origin, where + ".origin");
    const Eigen::Vector3d axis = ju::vector3(ju::field(jj, "axis", where), where + ".axis");
    if (axis.norm() < 1e-9)
      throw_expected(where + ".axis", "a non-zero 3-vector", ju::describe(jj["axis"]));
    joint.axis = axis.normalized();
  }
  read_limits(jj, where, joint);
  return joint;
}

// a ball around the first joint's origin containing every tool position: the sum of the
// lengths of every fixed translation after the first rotation
void compute_reach(Arm& arm) {
  const Joint& j0 = arm.joints.front();
  arm.reach_centre_W = (arm.X_WB * j0.A).translation();
  double r = j0.B.translation().norm();
  for (size_t i = 1; i < arm.joints.size(); ++i)
    r += arm.joints[i].A.translation().norm() + arm.joints[i].B.translation().norm();
  arm.reach_radius = r + arm.X_NT.translation().norm();
}

}  // namespace

Arm arm_from_json(const json& j) {
  const std::string w = "arm";
  ju::require_object(j, w);
  const std::string format = ju::string(ju::field(j, "format", w), w + ".format");
  if (format != "neurokin-arm")
    throw_expected(w + ".format", "\"neurokin-arm\"", "\"" + format + "\"");
  ju::integer(ju::field(j, "version", w), w + ".version", 1, 1);

  Arm arm;
  arm.name = ju::string(ju::field(j, "name", w), w + ".name");
  if (arm.name.empty()) throw_expected(w + ".name", "a non-empty string", "\"\"");
  if (const json* d = ju::optional_field(j, "description", w))
    arm.description = ju::string(*d, w + ".description");
  arm.task = task_from_name(ju::string(ju::field(j, "task", w), w + ".task"));
  if (const json* b = ju::optional_field(j, "base", w)) arm.X_WB = placement(*b, w + ".base");
  if (const json* t = ju::optional_field(j, "tool", w)) arm.X_NT = placement(*t, w + ".tool");

  const json& joints = ju::field(j, "joints", w);
  if (!joints.is_array() || joints.empty() || joints.size() > static_cast<size_t>(kMaxJoints))
    throw_expected(w + ".joints", "an array of 1 to " + std::to_string(kMaxJoints) + " joints",
                   ju::describe(joints));
  for (size_t i = 0; i < joints.size(); ++i)
    arm.joints.push_back(read_joint(joints[i], w + ".joints[" + std::to_string(i) + "]"));
  if (arm.task == TaskKind::kPose && arm.dof() < 6)
    throw_expected(
        w + ".task",
        "a task with at most dof() = " + std::to_string(arm.dof()) + " controlled dimensions",
        "\"pose\" (6)");

  if (const json* a = ju::optional_field(j, "analytic", w)) {
    arm.analytic = ju::string(*a, w + ".analytic");
    static const char* const kSolvers[] = {"planar2r", "puma_position", "omx_position_pitch",
                                           "spherical_wrist"};
    bool known = arm.analytic.empty();
    std::string valid;
    for (const char* solver : kSolvers) {
      known |= arm.analytic == solver;
      valid += std::string("\"") + solver + "\", ";
    }
    valid.replace(valid.size() - 2, 2, " or \"\"");
    if (!known) throw_expected(w + ".analytic", valid, "\"" + arm.analytic + "\"");
  }
  if (const json* c = ju::optional_field(j, "conditioning", w)) {
    const std::string wc = w + ".conditioning";
    arm.conditioning.p20 = ju::number(ju::field(*c, "p20", wc), wc + ".p20");
    arm.conditioning.p80 = ju::number(ju::field(*c, "p80", wc), wc + ".p80");
    arm.conditioning.samples =
        static_cast<int>(ju::integer(ju::field(*c, "samples", wc), wc + ".samples", 1, 1 << 30));
    arm.conditioning.seed = static_cast<unsigned>(
        ju::integer(ju::field(*c, "seed", wc), wc + ".seed", 0, 0xffffffffLL));
    if (!(0 <= arm.conditioning.p20 && arm.conditioning.p20 <= arm.conditioning.p80 &&
          arm.conditioning.p80 <= 1))
      throw_expected(wc, "0 <= p20 <= p80 <= 1", ju::describe(*c));
  }
  compute_reach(arm);
  arm.source = j.dump();
  return arm;
}

Arm arm_from_json_text(const std::string& text) { return arm_from_json(ju::parse(text, "arm")); }

json arm_to_json(const Arm& arm) {
  // the source is what the arm was read from: writing it back is exact, DH rows stay DH rows
  if (arm.source.empty())
    throw Error("arm_to_json: arm '" + arm.name +
                "' has no JSON source (build arms with arm_from_json)");
  json j = json::parse(arm.source);
  if (arm.conditioning.valid())
    j["conditioning"] = {{"p20", arm.conditioning.p20},
                         {"p80", arm.conditioning.p80},
                         {"samples", arm.conditioning.samples},
                         {"seed", arm.conditioning.seed}};
  return j;
}

Arm with_task(const Arm& arm, TaskKind task) {
  if (task == arm.task) return arm;
  json j = arm_to_json(arm);
  j["task"] = task_name(task);
  j.erase("conditioning");
  return arm_from_json(j);
}

bool within_limits(const Arm& arm, const Eigen::Ref<const Eigen::VectorXd>& q, double tol) {
  if (q.size() != arm.dof()) return false;
  for (int i = 0; i < arm.dof(); ++i)
    if (!std::isfinite(q[i]) || q[i] < arm.joints[i].lower - tol ||
        q[i] > arm.joints[i].upper + tol)
      return false;
  return true;
}

bool wrap_into_limits(const Arm& arm, Eigen::Ref<Eigen::VectorXd> q) {
  bool all = q.size() == arm.dof();
  for (int i = 0; all && i < arm.dof(); ++i) {
    const double lo = arm.joints[i].lower, hi = arm.joints[i].upper;
    const double turned = lo + std::fmod(std::fmod(q[i] - lo, 2 * M_PI) + 2 * M_PI, 2 * M_PI);
    if (q[i] >= lo && q[i] <= hi) continue;
    if (turned <= hi) q[i] = turned;
    else all = false;
  }
  return all;
}

void check_task_vector(const Arm& arm, const Eigen::Ref<const Eigen::VectorXd>& x,
                       const std::string& where) {
  const int n = task_size(arm.task);
  if (x.size() != n)
    throw_expected(
        where, std::to_string(n) + " values (" + task_name(arm.task) + " task of " + arm.name + ")",
        std::to_string(x.size()));
  for (int i = 0; i < n; ++i)
    if (!std::isfinite(x[i]))
      throw_expected(where + "[" + std::to_string(i) + "]", "a finite number",
                     std::to_string(x[i]));
  if (arm.task == TaskKind::kPose) {
    const double norm = x.tail<4>().norm();
    if (std::abs(norm - 1.0) > 1e-3)
      throw_expected(where + " quaternion (qx, qy, qz, qw)", "unit norm (within 1e-3)",
                     "norm " + std::to_string(norm));
  }
}

}  // namespace neurokin
