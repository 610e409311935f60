// Training data for learned IK: joint configurations within the limits (uniform, or a Latin
// hypercube: McKay, Beckman & Conover 1979; seed 002), their targets through the FK, and the
// one-to-many problem handled before any network sees it. A target reached by several IK
// branches (seed 003's elbow up / down) would make the network learn their average; so each
// sample's joints are replaced by the closed-form solution on the first preferred branch that
// reaches its target within the limits, and the learned map target -> joints is a function.
// Optional extra samples near a circle in the workspace (seed 001's focus path).
//
// Everything is a function of the arm and the config: the same seed gives the same bytes,
// whatever the number of threads. Datasets are cached in a small binary file that carries
// the hash of the arm and config it was made from, so a changed config is never reused.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "neurokin/arm.h"
#include "neurokin/kinematics.h"
#include "neurokin/random.h"
#include "neurokin/types.h"

namespace neurokin::data {

enum class Sampling {
  kUniform,  // each joint uniform within its limits, independently
  kLhs,      // Latin hypercube: each of n equal strata per joint holds exactly one sample
};
const char* sampling_name(Sampling s);  // "uniform", "lhs"

// extra samples whose targets lie near a circle (seed 001: the path the arm must follow
// best). Each draws a point on the circle, offsets it by gaussian noise of `jitter` metres
// per axis (in the plane for planar arms), takes the orientation part of the target (pitch,
// quaternion) from a random configuration within limits, and solves IK on the preferred
// branch (closed form; DLS for arms without one); unreachable draws are drawn again.
struct FocusCircle {
  Eigen::Vector3d centre_W = Eigen::Vector3d::Zero();   // metres, world frame
  double radius = 0.1;                                  // metres, > 0
  Eigen::Vector3d normal_W = Eigen::Vector3d::UnitZ();  // the circle's axis (normalised)
  double share = 0.1;                                   // of the n samples, in (0, 1)
  double jitter = 0.005;                                // metres, >= 0
};

struct DataConfig {
  std::int64_t n = 100000;  // samples in all, focus samples included
  std::uint64_t seed = 1;
  Sampling sampling = Sampling::kUniform;
  // branch names of the arm's closed-form solver (neurokin/ik_analytic.h), most preferred
  // first; branches not listed follow in the solver's order. Empty: joints as sampled.
  std::vector<std::string> branch_preference;
  std::optional<FocusCircle> focus;
  double val_share = 0.1, test_share = 0.1;  // of n; the rest trains
};

// {"n": 1000000, "seed": 1, "sampling": "lhs", "branch_preference": ["elbow_up"],
//  "focus": {"centre": [x, y, z], "radius": r, "normal": [0, 0, 1], "share": 0.1,
//            "jitter": 0.005}, "val_share": 0.1, "test_share": 0.1}; every field optional.
// Throws Error naming the field under `where` ("config.data.focus.radius: expected a number
// > 0, got -1"); unknown fields are errors.
DataConfig data_config_from_json(const nlohmann::json& j, const std::string& where);
nlohmann::json data_config_to_json(const DataConfig& c);

// the identity of a dataset: a 64-bit hash (FNV-1a) of the arm's kinematics and the config
std::uint64_t dataset_hash(const Arm& arm, const DataConfig& c);

// which IK branch reaches what (over the uniform / lhs samples, not the focus ones): the
// share of the sampled workspace each branch covers, and where canonicalisation put them
struct BranchReport {
  std::vector<std::string> branches;    // analytic_branch_names(arm); empty: no solver
  std::int64_t samples = 0;             // the samples counted below
  std::vector<std::int64_t> reachable;  // per branch: targets it reaches within the limits
  std::vector<std::int64_t> assigned;   // per branch: samples whose joints are on it
  std::vector<std::int64_t> solutions;  // [k]: targets with k solutions within the limits
  // [m]: targets reached by exactly the set of branches m (bit b: branch b); any preference
  // order's coverage follows from these (2^branches entries)
  std::vector<std::int64_t> reach_sets;
  std::int64_t moved = 0;      // samples canonicalisation moved to another branch
  std::int64_t unmatched = 0;  // samples no closed-form solution matched (kept as sampled)

  double share(std::int64_t count) const { return samples ? double(count) / samples : 0.0; }
};
nlohmann::json branch_report_to_json(const BranchReport& r);
// a text table, one row per branch, then the greedy order below
std::string format_branch_report(const BranchReport& r);

// the preference order that covers the most targets first: each step takes the branch that
// reaches the most targets no earlier branch reaches; with the cumulative share covered
std::vector<std::pair<std::string, double>> greedy_branch_order(const BranchReport& r);

// the train / validation / test split: a permutation of the sample indices from the seed;
// order[0, train) trains, the next `val` validate, the last `test` test
struct Split {
  std::vector<std::uint32_t> order;
  std::int64_t train = 0, val = 0, test = 0;
};

// the split of n samples from the seed (the permutation's own random stream)
Split make_split(std::int64_t n, std::uint64_t seed, double val_share, double test_share);

// independent random streams: a generator per (seed, stream, index), so that data do not
// depend on the order or the thread that makes them (streams 1-4 are the IK dataset's)
Rng stream_rng(std::uint64_t seed, std::uint64_t stream, std::uint64_t index);
// a random permutation of 0..n-1 (Fisher & Yates; Knuth's algorithm P)
std::vector<std::uint32_t> permutation(std::int64_t n, Rng rng);

struct Dataset {
  std::string arm;  // the arm's name
  TaskKind task = TaskKind::kPosition;
  int task_size = 0, dof = 0;
  std::int64_t n = 0;
  DataConfig config;
  std::uint64_t hash = 0;      // dataset_hash(arm, config)
  std::vector<float> targets;  // n x task_size, row-major: task vectors (m, rad, quaternion w>=0)
  std::vector<float> joints;   // n x dof, row-major, radians, within limits
  std::vector<std::int8_t> branch;  // per sample: index into report.branches, -1: none
  std::vector<std::uint8_t> focus;  // per sample: 1 when drawn near the focus circle
  Split split;
  BranchReport report;

  const float* target(std::int64_t i) const { return targets.data() + i * task_size; }
  const float* joint(std::int64_t i) const { return joints.data() + i * dof; }
};

// sample i of the uniform / lhs design as a pure function of (seed, i): the dataset's raw
// joints before canonicalisation, reproducible alone (tests, and resampling one sample)
class JointSampler {
 public:
  JointSampler(const Arm& arm, Sampling sampling, std::int64_t n, std::uint64_t seed);
  JointVec operator()(std::int64_t i) const;

 private:
  Eigen::VectorXd lower_, span_;
  Sampling sampling_;
  std::int64_t n_;
  std::uint64_t seed_;
  std::vector<std::vector<std::uint32_t>> strata_;  // lhs: per joint, sample -> stratum
};

// The index of each of `names` among the arm's closed-form branches (analytic_branch_names).
// Throws Error naming `where` when the arm has no closed-form solver, and `where`[k] for a
// name that is not one of its branches (listing them) or that repeats an earlier name.
std::vector<int> branch_indices(const Arm& arm, const std::vector<std::string>& names,
                                const std::string& where);

// for each name of `from`, its position in `to`; -1 where it is not there
std::vector<int> positions_in(const std::vector<std::string>& from, const std::vector<std::string>& to);

// the canonical form of configurations: the closed-form solution on the most preferred
// branch that reaches the configuration's target within the limits
class Canonicaliser {
 public:
  // throws Error naming the arm when it has no closed-form solver, and any preferred name
  // that is not one of its branches (listing them)
  Canonicaliser(const Arm& arm, const std::vector<std::string>& preference);

  struct Result {
    JointVec q;                   // the canonical joints (q as given when no solution matched it)
    int branch = -1;              // index into branches() of q's canonical branch
    int own_branch = -1;          // index of the branch q itself is on (-1: no solution matched)
    std::uint32_t reachable = 0;  // bit b: branch b reaches the target within the limits
    int solutions = 0;
  };
  // q within the limits; its target is task_vector(fk(q))
  Result canonicalise(const JointsRef& q) const;
  // the preferred solution of a target (own_branch = -1); solutions = 0: none within limits
  Result solve(const JointsRef& target) const;

  const std::vector<std::string>& branches() const { return branches_; }
  int branch_index(const char* name) const;  // -1 when not one of branches()

 private:
  Result pick(const JointsRef& target, const JointsRef* q) const;
  Arm arm_;
  std::vector<std::string> branches_;
  std::vector<int> rank_;  // per branch: its place in the preference order
};

// every joint spanning more than 2 pi (kr6's a4, a6) turned by whole turns to the
// representative within its limits nearest 0 (both are the same pose)
void wrap_to_nearest_zero(const Arm& arm, JointVec& q);

// builds the dataset; threads <= 0: one per hardware thread. Throws Error for a config the
// arm cannot serve (branch_preference without a closed-form solver, a focus circle no
// target near which is reachable, a planar arm's circle off its plane).
Dataset make_dataset(const Arm& arm, const DataConfig& c, int threads = 0);

// binary cache, little-endian: magic "NKDATA\0\0", u32 version, u64 hash, u32 header length,
// JSON header (arm, task, sizes, config, split, report), the arrays (targets f32, joints f32,
// branch i8, focus u8, split order u32), u64 checksum of everything before it. Written
// atomically (temporary file + rename). Errors name the file and what is wrong.
void save_dataset(const Dataset& d, const std::string& path);
// refuses a file whose hash differs from expected_hash (made for another arm or config)
Dataset load_dataset(const std::string& path, std::uint64_t expected_hash);
// the cached dataset when `path` holds this arm and config's, else made (and cached; a stale
// or unreadable cache is replaced). `made`, when given, says why it was made ("" if loaded).
Dataset load_or_make_dataset(const Arm& arm, const DataConfig& c, const std::string& path,
                             int threads = 0, std::string* made = nullptr);

}  // namespace neurokin::data
