// Pieces the commands share: the CSV layouts of joint angles, task vectors and poses, and
// the --in / --out options.
#pragma once

#include <CLI/CLI.hpp>
#include <Eigen/Geometry>
#include <string>
#include <vector>

#include "io/csv.h"
#include "neurokin/arm.h"
#include "neurokin/model.h"

namespace neurokin::cli {

// --in (required) and --out (default "-": standard output) of a command
struct InOut {
  std::string in;
  std::string out = io::kStdStream;
};
void add_in_out(CLI::App& cmd, InOut& io, const std::string& in_what, const std::string& out_what);

// option checks with short messages ("--tol-pos: expected a number > 0, got -1"); CLI11's
// own range checks print the whole double range
CLI::Validator positive();      // > 0
CLI::Validator non_negative();  // >= 0

// column names: the task vector of a task ("x,y,z,pitch"), an arm's joints, a pose
std::vector<std::string> task_columns(TaskKind kind);
std::vector<std::string> joint_columns(const Arm& arm);
const std::vector<std::string>& pose_columns();  // x,y,z,qx,qy,qz,qw
std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b);

// reads rows of dof() joint angles / of task vectors, each row checked (check_task_vector:
// a unit quaternion for pose tasks); messages name the file and line
io::NumericTable read_joints(const Arm& arm, const std::string& path);
io::NumericTable read_targets(const Arm& arm, const std::string& path);
void check_targets(const Arm& arm, const io::NumericTable& t);  // the rows read_targets checks
// rows of a task vector then dof() current joints (a trajectory model's input): both checked
void check_targets_and_joints(const Arm& arm, const io::NumericTable& t);
// every row fits the model's float32 input (check_network_input); messages name file and line
void check_network_inputs(const Model& model, const io::NumericTable& t);

// row i as a vector, and "file:line" of row i for messages
Eigen::Map<const Eigen::VectorXd> row_vector(const io::NumericTable& t, std::size_t i);
std::string row_where(const io::NumericTable& t, std::size_t i);

// appends cells: joint angles; a pose (x,y,z, quaternion with w >= 0); a task vector
void add_values(io::CsvWriter& w, const Eigen::Ref<const Eigen::VectorXd>& v);
void add_pose(io::CsvWriter& w, const Eigen::Isometry3d& X_WT);

// true when the model file is a clustered model (kind "ik_clustered"; neurokin/clustered.h);
// false for anything else, a malformed file included (its loader then says what is wrong)
bool is_clustered_file(const std::string& path);

// an ik model usable with this arm, else Error naming both ("model m.json is for arm ...")
void check_model_arm(const Model& model, const std::string& model_path, const Arm& arm);

}  // namespace neurokin::cli
