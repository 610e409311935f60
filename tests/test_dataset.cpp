// training data: determinism, canonical branches, latin hypercube strata, the split, the
// cache file and its refusals, focus samples, the branch report, config errors
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numeric>
#include <set>
#include <thread>

#include "data/dataset.h"
#include "neurokin/error.h"
#include "neurokin/ik.h"
#include "neurokin/ik_analytic.h"
#include "support/arms.h"

using namespace neurokin;
using namespace neurokin::data;
using neurokin::test::shipped_arm;
namespace fs = std::filesystem;

namespace {

// a scratch directory for cache files, removed at exit
struct TempDir {
  fs::path path = fs::temp_directory_path() / ("neurokin_test_dataset_" + std::to_string(getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

std::string bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

JointVec joints_of(const Dataset& d, std::int64_t i) {
  JointVec q(d.dof);
  for (int j = 0; j < d.dof; ++j) q[j] = d.joint(i)[j];
  return q;
}

TaskVec target_of(const Dataset& d, std::int64_t i) {
  TaskVec x(d.task_size);
  for (int k = 0; k < d.task_size; ++k) x[k] = d.target(i)[k];
  return x;
}

double turn_distance(const JointVec& a, const JointVec& b) {
  double m = 0;
  for (int i = 0; i < a.size(); ++i) m = std::max(m, std::abs(wrap_angle(a[i] - b[i])));
  return m;
}

Arm without_solver(const std::string& name) {
  nlohmann::json j = arm_to_json(shipped_arm(name));
  j.erase("analytic");
  return arm_from_json(j);
}

// a config with every feature on: lhs, a preference, a focus circle
DataConfig full_config(const Arm& arm, std::int64_t n) {
  DataConfig c;
  c.n = n;
  c.seed = 7;
  c.sampling = Sampling::kLhs;
  const std::vector<std::string> names = analytic_branch_names(arm);
  c.branch_preference = {names.rbegin(), names.rend()};  // not the solver's own order
  FocusCircle f;
  f.centre_W = arm.name == "kr6" ? Eigen::Vector3d(0.5, 0, 0.5) : Eigen::Vector3d(0.2, 0, 0.15);
  f.radius = 0.05;
  f.share = 0.2;
  f.jitter = 0.002;
  c.focus = f;
  return c;
}

double distance_to_circle(const Eigen::Vector3d& p, const FocusCircle& f) {
  const Eigen::Vector3d v = p - f.centre_W;
  const double h = v.dot(f.normal_W);
  return std::hypot(h, (v - h * f.normal_W).norm() - f.radius);
}

}  // namespace

TEST_CASE("determinism: the same seed gives the same bytes, whatever the threads") {
  TempDir tmp;
  for (const char* name : {"puma3", "kr6"}) {
    const Arm arm = shipped_arm(name);
    DataConfig c = full_config(arm, 12000);
    save_dataset(make_dataset(arm, c, 1), tmp.file("a.nkd"));
    save_dataset(make_dataset(arm, c, 3), tmp.file("b.nkd"));
    const std::string a = bytes_of(tmp.file("a.nkd"));
    CHECK(a.size() > 12000u * 4);
    CHECK(a == bytes_of(tmp.file("b.nkd")));
    c.seed = 8;
    save_dataset(make_dataset(arm, c, 2), tmp.file("c.nkd"));
    CHECK(a != bytes_of(tmp.file("c.nkd")));
  }
}

TEST_CASE("canonicalisation: the chosen solution reproduces the target to 1e-9") {
  for (const auto& name : test::arm_names()) {
    const Arm arm = shipped_arm(name);
    const std::vector<std::string> names = analytic_branch_names(arm);
    const Canonicaliser canon(arm, {names.back()});
    Rng rng(3);
    int moved = 0;
    for (int trial = 0; trial < 2000; ++trial) {
      const JointVec q = sample_joints(arm, rng);
      const TaskVec x = task_vector(arm, fk(arm, q));
      const Canonicaliser::Result r = canon.canonicalise(q);
      INFO(name << " q " << q.transpose());
      REQUIRE(r.branch >= 0);
      CHECK(r.own_branch >= 0);
      const TaskError e = task_error(arm, fk(arm, r.q), x);
      CHECK(e.position_error < 1e-9);
      CHECK(e.orientation_error < 1e-9);
      CHECK(within_limits(arm, r.q));
      // the last branch when it reaches the target, else the solver's first that does
      const bool last = (r.reachable >> (names.size() - 1)) & 1u;
      int first = 0;
      while (!((r.reachable >> first) & 1u)) ++first;
      CHECK(r.branch == (last ? static_cast<int>(names.size()) - 1 : first));
      moved += r.branch != r.own_branch;
    }
    CHECK(moved > 0);
  }
}

TEST_CASE("dataset: every canonical sample is on the preferred branch that reaches it") {
  for (const auto& name : test::arm_names()) {
    const Arm arm = shipped_arm(name);
    const DataConfig c = full_config(arm, 10000);
    const Dataset d = make_dataset(arm, c, 2);
    const Canonicaliser canon(arm, c.branch_preference);
    INFO(name);
    int on_preferred = 0, focus = 0;
    for (std::int64_t i = 0; i < d.n; ++i) {
      const JointVec q = joints_of(d, i);
      REQUIRE(within_limits(arm, q));
      // joints and target agree to float rounding
      const TaskError e = task_error(arm, fk(arm, q), target_of(d, i));
      CHECK(e.position_error < 2e-6);
      CHECK(e.orientation_error < 2e-6);
      // the target's preferred branch is the sample's, and the sample is that solution
      const Canonicaliser::Result r = canon.canonicalise(q);
      on_preferred += r.branch == d.branch[i] && turn_distance(r.q, q) < 1e-5;
      focus += d.focus[i];
    }
    CHECK(on_preferred == d.n);
    CHECK(focus == 2000);
  }
}

TEST_CASE("latin hypercube: each of n strata per joint holds exactly one sample") {
  const Arm arm = shipped_arm("kr6");
  const std::int64_t n = 1000;
  const JointSampler lhs(arm, Sampling::kLhs, n, 5), uniform(arm, Sampling::kUniform, n, 5);
  for (int j = 0; j < arm.dof(); ++j) {
    std::set<std::int64_t> strata_lhs, strata_uniform;
    const double lo = arm.joints[j].lower, span = arm.joints[j].upper - lo;
    for (std::int64_t i = 0; i < n; ++i) {
      strata_lhs.insert(static_cast<std::int64_t>(std::floor((lhs(i)[j] - lo) / span * n)));
      strata_uniform.insert(static_cast<std::int64_t>(std::floor((uniform(i)[j] - lo) / span * n)));
    }
    CHECK(strata_lhs.size() == static_cast<size_t>(n));
    CHECK(*strata_lhs.begin() == 0);
    CHECK(*strata_lhs.rbegin() == n - 1);
    CHECK(strata_uniform.size() < static_cast<size_t>(n) * 0.7);  // about 1 - 1/e of them
  }
  // without canonicalisation the dataset's joints are the sampler's (puma3 wraps nothing)
  const Arm puma = shipped_arm("puma3");
  DataConfig c;
  c.n = 3000;
  c.sampling = Sampling::kLhs;
  const Dataset d = make_dataset(puma, c, 2);
  const JointSampler s(puma, Sampling::kLhs, c.n, c.seed);
  int same = 0;
  for (std::int64_t i = 0; i < d.n; ++i)
    same += (joints_of(d, i) - s(i).cast<float>().cast<double>()).norm() == 0;
  CHECK(same == c.n);
}

TEST_CASE("the split: sizes from the shares, disjoint, covering, from the seed") {
  const Arm arm = shipped_arm("planar2");
  DataConfig c;
  c.n = 10001;
  c.val_share = 0.1;
  c.test_share = 0.2;
  const Dataset d = make_dataset(arm, c, 2);
  CHECK(d.split.val == 1000);
  CHECK(d.split.test == 2000);
  CHECK(d.split.train == 7001);
  std::vector<int> seen(d.n, 0);
  for (std::uint32_t k : d.split.order) ++seen[k];
  CHECK(std::count(seen.begin(), seen.end(), 1) == d.n);
  // not the identity, and another seed gives another order
  CHECK(!std::is_sorted(d.split.order.begin(), d.split.order.end()));
  c.seed = 2;
  CHECK(make_dataset(arm, c, 2).split.order != d.split.order);
  // focus samples come last in the arrays; the split spreads them over all three parts
  const Arm omx = shipped_arm("omx4");
  const Dataset f = make_dataset(omx, full_config(omx, 5000), 2);
  std::int64_t in_train = 0;
  for (std::int64_t k = 0; k < f.split.train; ++k) in_train += f.focus[f.split.order[k]];
  CHECK(in_train == Approx(0.8 * 1000).margin(60));
}

TEST_CASE("cache: round trip, and stale, corrupt or foreign files are refused by name") {
  TempDir tmp;
  const Arm arm = shipped_arm("omx4");
  const DataConfig c = full_config(arm, 4000);
  const Dataset d = make_dataset(arm, c, 2);
  const std::string path = tmp.file("omx4.nkd");
  save_dataset(d, path);
  const Dataset e = load_dataset(path, dataset_hash(arm, c));
  CHECK(e.arm == "omx4");
  CHECK(e.task == TaskKind::kPositionPitch);
  CHECK(e.n == d.n);
  CHECK(e.targets == d.targets);
  CHECK(e.joints == d.joints);
  CHECK(e.branch == d.branch);
  CHECK(e.focus == d.focus);
  CHECK(e.split.order == d.split.order);
  CHECK(e.split.train == d.split.train);
  CHECK(branch_report_to_json(e.report) == branch_report_to_json(d.report));
  CHECK(data_config_to_json(e.config) == data_config_to_json(c));

  // a changed config or arm has another hash
  DataConfig other = c;
  other.focus->radius = 0.06;
  CHECK(dataset_hash(arm, other) != dataset_hash(arm, c));
  CHECK(dataset_hash(shipped_arm("kr6"), c) != dataset_hash(arm, c));
  CHECK_THROWS_WITH(load_dataset(path, dataset_hash(arm, other)),
                    Catch::StartsWith(path + ": made for another arm or data config (hash 0x"));

  const std::string good = bytes_of(path);
  std::string bad = good;
  bad[bad.size() / 2] ^= 0x10;
  write_bytes(path, bad);
  CHECK_THROWS_WITH(load_dataset(path, d.hash), path + ": corrupt (checksum mismatch)");
  write_bytes(path, good.substr(0, good.size() - 100));
  CHECK_THROWS_WITH(load_dataset(path, d.hash), Catch::StartsWith(path + ": truncated: expected"));
  write_bytes(path, good + "x");
  CHECK_THROWS_WITH(load_dataset(path, d.hash), Catch::StartsWith(path + ": too long"));
  write_bytes(path, "NKDATA");
  CHECK_THROWS_WITH(load_dataset(path, d.hash), path + ": truncated (ends inside the magic)");
  write_bytes(path, "GGUF" + good.substr(4));
  CHECK_THROWS_WITH(load_dataset(path, d.hash), path + ": not a neurokin dataset (bad magic)");
  bad = good;
  bad[8] = 2;
  write_bytes(path, bad);
  CHECK_THROWS_WITH(load_dataset(path, d.hash),
                    path + ": dataset format version 2, this build reads version 1");
  CHECK_THROWS_WITH(load_dataset(tmp.file("missing.nkd"), d.hash),
                    Catch::StartsWith(tmp.file("missing.nkd") + ": cannot read the dataset"));

  // a header claiming 2^31 - 1 samples over the arrays of a few: refused by the file's size
  // before the arrays are allocated (found by tests/fuzz/fuzz_dataset_cache)
  Dataset lie = d;
  lie.n = lie.config.n = 0x7fffffff;
  lie.split.train = lie.n - lie.split.val - lie.split.test;
  save_dataset(lie, path);
  // 38 bytes a sample for omx4 (4 + 4 float32, branch, focus, split index) x (2^31 - 1)
  CHECK_THROWS_WITH(load_dataset(path, d.hash), Catch::StartsWith(path + ": truncated: expected 81604"));

  // load_or_make: made when missing or stale, loaded when current
  std::string made;
  const std::string cache = tmp.file("cache.nkd");
  CHECK(load_or_make_dataset(arm, c, cache, 2, &made).joints == d.joints);
  CHECK(made == cache + ": no cached dataset");
  CHECK(load_or_make_dataset(arm, c, cache, 2, &made).joints == d.joints);
  CHECK(made.empty());
  const Dataset o = load_or_make_dataset(arm, other, cache, 2, &made);
  CHECK_THAT(made, Catch::Contains("made for another arm or data config"));
  CHECK(o.hash == dataset_hash(arm, other));
  CHECK(load_dataset(cache, o.hash).joints == o.joints);
}

TEST_CASE("focus: the focus samples lie near the circle, on the preferred branch") {
  for (const char* name : {"planar2", "puma3", "omx4", "kr6"}) {
    const Arm arm = shipped_arm(name);
    DataConfig c = full_config(arm, 3000);
    if (arm.task == TaskKind::kPlanarXY) c.focus->centre_W = Eigen::Vector3d(1.0, 0.5, 0);
    if (std::string(name) == "puma3") c.focus->centre_W = Eigen::Vector3d(0.5, 0.2, 0.6);
    for (double jitter : {0.0, 0.002}) {
      c.focus->jitter = jitter;
      const Dataset d = make_dataset(arm, c, 2);
      double worst = 0, sum2 = 0;
      int count = 0;
      for (std::int64_t i = 0; i < d.n; ++i) {
        if (!d.focus[i]) continue;
        const Eigen::Vector3d p = fk(arm, joints_of(d, i)).translation();
        const double dist = distance_to_circle(p, *c.focus);
        worst = std::max(worst, dist);
        sum2 += dist * dist;
        ++count;
      }
      INFO(name << " jitter " << jitter);
      CHECK(count == 600);
      if (jitter == 0) {
        CHECK(worst < 2e-6);
      } else {
        // gaussian jitter per axis; the one along the circle moves no farther from it, so the
        // rms distance is sigma sqrt(2) in space, sigma in the plane (planar2)
        CHECK(worst < 8 * jitter);
        const double axes = arm.task == TaskKind::kPlanarXY ? 1.0 : 2.0;
        CHECK(std::sqrt(sum2 / count) == Approx(jitter * std::sqrt(axes)).epsilon(0.1));
      }
    }
  }
}

TEST_CASE("focus: arms without a closed-form solver use damped least squares") {
  const Arm arm = without_solver("omx4");
  DataConfig c = full_config(shipped_arm("omx4"), 600);
  c.branch_preference.clear();
  const Dataset d = make_dataset(arm, c, 2);
  CHECK(d.report.branches.empty());
  int focus = 0;
  for (std::int64_t i = 0; i < d.n; ++i) {
    CHECK(d.branch[i] == -1);
    if (!d.focus[i]) continue;
    ++focus;
    CHECK(distance_to_circle(fk(arm, joints_of(d, i)).translation(), *c.focus) < 8 * 0.002);
  }
  CHECK(focus == 120);
}

TEST_CASE("branch report: shares that add up") {
  for (const auto& name : test::arm_names()) {
    const Arm arm = shipped_arm(name);
    DataConfig c;
    c.n = 20000;
    const std::vector<std::string> names = analytic_branch_names(arm);
    for (bool canonical : {false, true}) {
      c.branch_preference.clear();
      if (canonical) c.branch_preference = {names[1]};
      const BranchReport r = make_dataset(arm, c, 2).report;
      INFO(name << (canonical ? " canonical\n" : " as sampled\n") << format_branch_report(r));
      REQUIRE(r.branches == names);
      CHECK(r.samples == c.n);
      std::int64_t total_solutions = 0, weighted = 0, reachable = 0, assigned = 0;
      for (size_t k = 0; k < r.solutions.size(); ++k) {
        total_solutions += r.solutions[k];
        weighted += static_cast<std::int64_t>(k) * r.solutions[k];
      }
      for (size_t b = 0; b < names.size(); ++b) {
        CHECK(r.assigned[b] <= r.reachable[b]);
        CHECK(r.reachable[b] <= r.samples);
        reachable += r.reachable[b];
        assigned += r.assigned[b];
      }
      CHECK(total_solutions == r.samples);  // every target counted once
      CHECK(weighted == reachable);         // and each of its solutions once
      // the reach sets partition the targets; the targets of branch b are the sets with b
      REQUIRE(r.reach_sets.size() == size_t(1) << names.size());
      CHECK(std::accumulate(r.reach_sets.begin(), r.reach_sets.end(), std::int64_t(0)) ==
            r.samples);
      CHECK(r.reach_sets[0] == 0);
      for (size_t b = 0; b < names.size(); ++b) {
        std::int64_t with_b = 0;
        for (size_t m = 0; m < r.reach_sets.size(); ++m)
          with_b += ((m >> b) & 1u) * r.reach_sets[m];
        CHECK(with_b == r.reachable[b]);
      }
      CHECK(r.solutions[0] == 0);  // sampled within limits: at least its own branch
      CHECK(r.unmatched == 0);
      CHECK(assigned == r.samples);  // every sample on exactly one branch
      if (canonical) {
        // every target the preferred branch reaches goes to it
        CHECK(r.assigned[1] == r.reachable[1]);
        CHECK(r.moved > 0);
      } else {
        CHECK(r.moved == 0);
      }
    }
  }
}

TEST_CASE("branch report: the greedy order is what canonicalisation on it assigns") {
  for (const auto& name : test::arm_names()) {
    const Arm arm = shipped_arm(name);
    DataConfig c;
    c.n = 20000;
    const std::vector<std::pair<std::string, double>> greedy =
        greedy_branch_order(make_dataset(arm, c, 2).report);
    INFO(name);
    REQUIRE(greedy.size() == analytic_branch_names(arm).size());
    for (const auto& [branch, covered] : greedy) c.branch_preference.push_back(branch);
    const BranchReport r = make_dataset(arm, c, 2).report;
    // the first is the branch that reaches most; each next one gets what it adds
    const auto most = std::max_element(r.reachable.begin(), r.reachable.end());
    CHECK(greedy[0].first == r.branches[most - r.reachable.begin()]);
    double before = 0;
    for (const auto& [branch, covered] : greedy) {
      const size_t b = std::find(r.branches.begin(), r.branches.end(), branch) - r.branches.begin();
      CHECK(r.share(r.assigned[b]) == Approx(covered - before).margin(1e-12));
      CHECK(covered >= before);
      before = covered;
    }
    CHECK(before == Approx(1.0));  // every sampled target has a branch
  }
}

TEST_CASE("whole turns: joints spanning more than 2 pi take the representative nearest 0") {
  const Arm arm = shipped_arm("kr6");
  const double deg = M_PI / 180;
  JointVec q(6);
  q << 0.1, -0.5, 0.7, 170 * deg, 0.6, 300 * deg;
  wrap_to_nearest_zero(arm, q);
  CHECK(q[3] == Approx(170 * deg));
  CHECK(q[5] == Approx(-60 * deg));
  q[5] = -200 * deg;
  wrap_to_nearest_zero(arm, q);
  CHECK(q[5] == Approx(160 * deg));
  CHECK(q[0] == 0.1);
  // in the dataset, with and without canonicalisation
  DataConfig c;
  c.n = 5000;
  for (bool canonical : {false, true}) {
    if (canonical) c.branch_preference = {"shoulder_front_elbow_up_wrist_noflip"};
    const Dataset d = make_dataset(arm, c, 2);
    float widest = 0;
    for (std::int64_t i = 0; i < d.n; ++i)
      widest = std::max({widest, std::abs(d.joint(i)[3]), std::abs(d.joint(i)[5])});
    CHECK(widest <= static_cast<float>(M_PI));
    CHECK(widest > 3.1f);
  }
}

TEST_CASE("config: JSON round trip and errors that name the field") {
  const nlohmann::json j = nlohmann::json::parse(R"({
    "n": 5000, "seed": 3, "sampling": "lhs", "branch_preference": ["elbow_up"],
    "focus": {"centre": [1, 0.5, 0], "radius": 0.2, "normal": [0, 0, 2], "share": 0.3,
              "jitter": 0.01},
    "val_share": 0.05, "test_share": 0.15})");
  const DataConfig c = data_config_from_json(j, "config.data");
  CHECK(c.n == 5000);
  CHECK(c.sampling == Sampling::kLhs);
  CHECK(c.focus->normal_W == Eigen::Vector3d(0, 0, 1));
  CHECK(data_config_to_json(data_config_from_json(data_config_to_json(c), "x")) ==
        data_config_to_json(c));
  CHECK(data_config_to_json(data_config_from_json(nlohmann::json::object(), "x")) ==
        data_config_to_json(DataConfig{}));

  const auto error_of = [](const std::string& text) {
    try {
      data_config_from_json(nlohmann::json::parse(text), "config.data");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  CHECK(error_of(R"({"nn": 3})") ==
        "config.data.nn: unknown field (expected n, seed, sampling, branch_preference, focus, "
        "val_share, test_share)");
  CHECK(error_of(R"({"n": 0})") == "config.data.n: expected an integer in [1, 2147483647], got 0");
  CHECK(error_of(R"({"sampling": "sobol"})") ==
        "config.data.sampling: expected \"uniform\" or \"lhs\", got \"sobol\"");
  CHECK(error_of(R"({"branch_preference": "elbow_up"})") ==
        "config.data.branch_preference: expected an array of branch names, got \"elbow_up\"");
  CHECK(error_of(R"({"branch_preference": ["elbow_up", "elbow_up"]})") ==
        "config.data.branch_preference[1]: expected a branch not listed before, got "
        "\"elbow_up\" again");
  CHECK(error_of(R"({"val_share": 0.5, "test_share": 0.5})") ==
        "config.data.val_share + test_share: expected less than 1 (some data must train), got 1.0");
  CHECK(error_of(R"({"focus": {"radius": 0.1}})") ==
        "config.data.focus.centre: missing (required)");
  CHECK(error_of(R"({"focus": {"centre": [0, 0, 0], "radius": -1}})") ==
        "config.data.focus.radius: expected a number in (0, inf), got -1");
  CHECK(error_of(R"({"focus": {"centre": [0, 0, 0], "kind": "line"}})") ==
        "config.data.focus.kind: expected \"circle\", got \"line\"");
  CHECK(error_of(R"({"focus": {"centre": [0, 0, 0], "share": 1}})") ==
        "config.data.focus.share: expected a number in (0, 1), got 1");
  CHECK(error_of(R"({"focus": {"centre": [0, 0, 0], "normal": [0, 0, 0]}})") ==
        "config.data.focus.normal: expected a non-zero 3-vector, got array [0,0,0]");
}

TEST_CASE("positions_in: where each name is in another list") {
  CHECK(positions_in({"b", "x", "a", "b"}, {"a", "b", "c"}) == std::vector<int>{1, -1, 0, 1});
  CHECK(positions_in({"a"}, {}) == std::vector<int>{-1});
  CHECK(positions_in({}, {"a"}).empty());
}

TEST_CASE("make_dataset: configs the arm cannot serve are errors naming the arm") {
  DataConfig c;
  c.n = 100;
  c.branch_preference = {"elbow_up"};
  CHECK_THROWS_WITH(make_dataset(without_solver("planar2"), c),
                    "branch_preference: arm 'planar2' has no closed-form IK solver, so its "
                    "samples cannot be put on one branch (arm.analytic is empty)");
  CHECK_THROWS_WITH(make_dataset(shipped_arm("puma3"), c),
                    "branch_preference[0]: expected a branch of puma3 (shoulder_front_elbow_up, "
                    "shoulder_front_elbow_down, shoulder_back_elbow_up, shoulder_back_elbow_down), "
                    "got \"elbow_up\"");
  c.branch_preference.clear();
  c.focus = FocusCircle{};
  c.focus->centre_W = Eigen::Vector3d(5, 0, 0);
  CHECK_THROWS_WITH(make_dataset(shipped_arm("omx4"), c),
                    Catch::StartsWith("make_dataset focus: no reachable target near the circle "
                                      "(centre [5.0,0.0,0.0], radius 0.1) of arm 'omx4'"));
  c.focus->normal_W = Eigen::Vector3d(1, 0, 0);
  CHECK_THROWS_WITH(make_dataset(shipped_arm("planar2"), c),
                    "make_dataset focus.normal: expected (0, 0, 1): arm 'planar2' moves in the xy "
                    "plane, got [1.0,0.0,0.0]");
}

// the coverage table of each shipped arm over 1,000,000 samples (not run by default):
//   test_dataset "[.coverage]"        or one arm:   test_dataset "coverage: kr6"
namespace {
void coverage(const std::string& name) {
  const Arm arm = shipped_arm(name);
  DataConfig c;
  c.n = 1000000;
  c.branch_preference = {analytic_branch_names(arm).front()};
  const auto start = std::chrono::steady_clock::now();
  const Dataset d = make_dataset(arm, c, 0);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << name << ": " << d.n << " samples in " << seconds << " s ("
            << std::thread::hardware_concurrency() << " threads), "
            << (d.targets.size() + d.joints.size()) * 4 / 1e6 << " MB of floats\n"
            << format_branch_report(d.report) << "\n";
  CHECK(d.report.unmatched == 0);
}
}  // namespace

TEST_CASE("coverage: planar2", "[.coverage]") { coverage("planar2"); }
TEST_CASE("coverage: puma3", "[.coverage]") { coverage("puma3"); }
TEST_CASE("coverage: omx4", "[.coverage]") { coverage("omx4"); }
TEST_CASE("coverage: kr6", "[.coverage]") { coverage("kr6"); }
