// Arm descriptions: serial chains of revolute joints, loaded from JSON data
// (models/arms/*.json), never compiled in.
//
// Each joint i contributes  T_{i-1,i}(q_i) = A_i * Rot(axis_i, q_i + offset_i) * B_i :
//   - URDF style ("origin": {xyz, rpy}, "axis"):  A = origin, B = I;
//   - standard DH ("dh": {a, alpha, d, theta}):    A = I, axis = z, offset = theta,
//     B = Trans_z(d) Trans_x(a) Rot_x(alpha)     (Denavit & Hartenberg 1955; Craig's
//     "standard", not modified, convention).
// X_WT = X_WB * prod_i T_{i-1,i}(q_i) * X_NT  (world <- base, ..., last link <- tool).
// Units: metres and radians; quaternions (x, y, z, w).
#pragma once

#include <Eigen/Geometry>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace neurokin {

// the largest number of joints any arm may have; lets the solvers use fixed-capacity
// Eigen storage (no heap) for every per-iteration quantity
inline constexpr int kMaxJoints = 12;
// the largest coordinate of any fixed translation (metres): far beyond any arm, far below
// where squared task errors overflow (an arm 1e308 m long gave inf poses and NaN errors)
inline constexpr double kMaxLength = 1e6;

// what part of the tool pose the task controls, hence the task vector and Jacobian rows
enum class TaskKind {
  kPlanarXY,       // (x, y)                          task vector 2, Jacobian 2 x n
  kPosition,       // (x, y, z)                       task vector 3, Jacobian 3 x n
  kPositionPitch,  // (x, y, z, pitch)                task vector 4, Jacobian 4 x n
  kPose,           // (x, y, z, qx, qy, qz, qw)       task vector 7, Jacobian 6 x n
};

// size of the task vector (2, 3, 4, 7) and of the task-space error / Jacobian rows (2, 3, 4, 6)
int task_size(TaskKind kind);
int task_dof(TaskKind kind);
const char* task_name(TaskKind kind);  // "planar_xy", "position", "position_pitch", "pose"
TaskKind task_from_name(const std::string& name);  // throws Error listing the valid names

struct Joint {
  std::string name;
  Eigen::Isometry3d A = Eigen::Isometry3d::Identity();  // fixed transform before the rotation
  Eigen::Vector3d axis = Eigen::Vector3d::UnitZ();      // unit rotation axis, in the frame after A
  double offset = 0.0;                                  // added to q before rotating (DH theta)
  Eigen::Isometry3d B = Eigen::Isometry3d::Identity();  // fixed transform after the rotation
  double lower = 0.0, upper = 0.0;                      // limits on q (rad), lower <= upper
};

// feasibility thresholds on the inverse condition number of the task Jacobian: the 20th and
// 80th percentiles over `samples` uniform joint-space samples drawn with `seed` (seed 002)
struct ConditioningThresholds {
  double p20 = 0.0, p80 = 0.0;
  int samples = 0;
  unsigned seed = 0;
  bool valid() const { return samples > 0; }
};

struct Arm {
  std::string name;
  std::string description;
  TaskKind task = TaskKind::kPosition;
  Eigen::Isometry3d X_WB = Eigen::Isometry3d::Identity();  // world <- base
  std::vector<Joint> joints;
  Eigen::Isometry3d X_NT = Eigen::Isometry3d::Identity();  // last link <- tool
  ConditioningThresholds conditioning;
  std::string analytic;  // closed-form IK solver name ("planar2r", "puma_position") or empty
  std::string source;    // the JSON it was read from (compact), so arm_to_json is exact
  // a ball that contains every reachable tool position (used to call targets unreachable)
  Eigen::Vector3d reach_centre_W = Eigen::Vector3d::Zero();
  double reach_radius = 0.0;

  int dof() const { return static_cast<int>(joints.size()); }
  Eigen::VectorXd lower() const;
  Eigen::VectorXd upper() const;
  Eigen::VectorXd mid() const;  // middle of the limits
};

// parse an arm; throws Error naming the field ("arm.joints[2].axis: expected a non-zero
// 3-vector, got [0,0,0]") on any malformed, missing or out-of-range value (lengths beyond
// kMaxLength included)
Arm arm_from_json(const nlohmann::json& j);
Arm arm_from_json_text(const std::string& text);
nlohmann::json arm_to_json(const Arm& arm);

// the same arm with another task (kr6 positioned only: task kPosition), as if its file said
// so: the source is rewritten, so models embed the arm they were trained for, and the
// conditioning thresholds are dropped (they are the other task Jacobian's). Throws Error as
// arm_from_json does for a task the arm cannot serve ("pose" on fewer than 6 joints).
Arm with_task(const Arm& arm, TaskKind task);

// ARM is a file path, or a name looked up as <dir>/<name>.json in the search path
// (NEUROKIN_ARMS_DIR, then models/arms relative to the working directory and to the
// executable's source tree). Throws Error naming what was tried.
Arm load_arm(const std::string& name_or_path);
// the file load_arm would read (same search), or Error naming what was tried
std::string find_arm_file(const std::string& name_or_path);

// true when q has dof() entries, all finite and within the limits (+ tol)
bool within_limits(const Arm& arm, const Eigen::Ref<const Eigen::VectorXd>& q, double tol = 1e-12);

// turns each joint by whole turns (2 pi: the same pose) into its limits where one fits;
// true when every joint of q is then within its limits
bool wrap_into_limits(const Arm& arm, Eigen::Ref<Eigen::VectorXd> q);

// checks a task vector's size and values (finite; a unit quaternion for kPose, within 1e-6);
// throws Error "<where>: expected ..., got ..."
void check_task_vector(const Arm& arm, const Eigen::Ref<const Eigen::VectorXd>& x,
                       const std::string& where);

}  // namespace neurokin
