// trajectory models (seed 004): the perturbation data, the model file's input layout (target,
// then current joints) and residual output, stepping and path following in the core, and a
// tiny trained planar2 model that stays on its branch along a circle where the stateless
// shipped model jumps to its canonical one
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>

#include "data/trajectory.h"
#include "neurokin/error.h"
#include "neurokin/ik.h"
#include "neurokin/kinematics.h"
#include "neurokin/model.h"
#include "neurokin/trajectory.h"
#include "support/arms.h"
#include "train/trainer.h"

using namespace neurokin;
using Catch::Matchers::Contains;
using neurokin::test::shipped_arm;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

data::TrajectoryConfig small_config() {
  data::TrajectoryConfig c;
  c.n = 400;
  c.per_point = 20;
  c.perturbation = 0.1;
  c.seed = 7;
  c.val_share = c.test_share = 0.1;
  return c;
}

// planar2, raw input (x, y, q1, q2), one dense layer of zero weights and the given bias: the
// network's step is the bias, added to the current joints
Model constant_step_model(const Eigen::Vector2f& step) {
  Model m;
  m.kind = ModelKind::kTrajectory;
  m.arm = shipped_arm("planar2");
  Network& n = m.net;
  n.input_size = 4;
  n.residual = true;
  n.in_mean = Eigen::VectorXf::Zero(4);
  n.in_std = Eigen::VectorXf::Ones(4);
  Layer l;
  l.in = 4;
  l.out = 2;
  l.W = MatrixRM::Zero(2, 4);
  l.b = step;
  n.layers = {l};
  n.out_mean = Eigen::VectorXf::Zero(2);
  n.out_std = Eigen::VectorXf::Ones(2);
  return m;
}

}  // namespace

TEST_CASE(
    "trajectory data: current joints within the perturbation of the next ones, targets their FK") {
  const Arm arm = shipped_arm("puma3");
  const data::TrajectoryConfig c = small_config();
  const data::TrajectoryData d = data::make_trajectory_data(arm, c);
  REQUIRE(d.n == 400);
  REQUIRE(d.targets.size() == 400u * 3);
  REQUIRE(d.current.size() == 400u * 3);
  double largest = 0;
  for (std::int64_t i = 0; i < d.n; ++i) {
    Eigen::VectorXd next(3), current(3);
    for (int j = 0; j < 3; ++j) next[j] = d.next[i * 3 + j], current[j] = d.current[i * 3 + j];
    CHECK(within_limits(arm, next, 1e-6));
    CHECK(within_limits(arm, current, 1e-6));
    largest = std::max(largest, (next - current).cwiseAbs().maxCoeff());
    const TaskVec x = task_vector(arm, fk(arm, next));
    for (int t = 0; t < 3; ++t) CHECK(d.targets[i * 3 + t] == Approx(x[t]).margin(1e-6));
    // every 20 samples share one next configuration (seed 004's points)
    if (i % 20) CHECK(d.next[i * 3] == d.next[(i - 1) * 3]);
  }
  CHECK(largest <= 0.1 + 1e-6);
  CHECK(largest > 0.09);  // the perturbation is used, not just bounded

  SECTION("a function of the config: the same bytes again, others with another seed") {
    const data::TrajectoryData again = data::make_trajectory_data(arm, c);
    CHECK(again.current == d.current);
    CHECK(again.targets == d.targets);
    data::TrajectoryConfig other = c;
    other.seed = 8;
    CHECK(data::make_trajectory_data(arm, other).current != d.current);
  }
  SECTION("perturbation_min: scales log-uniform down to it, so small steps are common") {
    data::TrajectoryConfig lg = c;
    lg.n = 4000;
    lg.perturbation_min = 0.001;
    const data::TrajectoryData e = data::make_trajectory_data(arm, lg);
    std::int64_t small = 0, uniform_small = 0;
    double largest_log = 0;
    const data::TrajectoryData u = data::make_trajectory_data(arm, [&] {
      auto v = lg;
      v.perturbation_min = 0;
      return v;
    }());
    for (std::int64_t i = 0; i < e.n; ++i) {
      double m = 0, mu = 0;
      for (int j = 0; j < 3; ++j) {
        m = std::max(m, double(std::abs(e.next[i * 3 + j] - e.current[i * 3 + j])));
        mu = std::max(mu, double(std::abs(u.next[i * 3 + j] - u.current[i * 3 + j])));
      }
      largest_log = std::max(largest_log, m);
      small += m < 0.01;
      uniform_small += mu < 0.01;
    }
    CHECK(largest_log <= 0.1 + 1e-6);
    // P(scale < 0.01) = 1/2 (log-uniform over two decades): about 2,000 of 4,000 samples and
    // more (joints within larger scales can be small too); uniform within 0.1: 0.1^3 of them
    CHECK(small > 1200);
    CHECK(uniform_small < 20);
    CHECK(e.report["config"]["perturbation_min"] == 0.001);
  }
  SECTION("the split keeps a point's samples together") {
    REQUIRE(d.split.train + d.split.val + d.split.test == d.n);
    CHECK(d.split.val == 40);
    for (std::int64_t k = 0; k < d.n; k += 20)
      for (int j = 1; j < 20; ++j) CHECK(d.split.order[k + j] == d.split.order[k] + j);
  }
  SECTION("samples: the input row is the target, then the current joints") {
    const train::Samples s = train::to_samples(data::make_trajectory_data(arm, c));
    REQUIRE(s.input_size() == 6);
    float row[6];
    s.input_row(21, row);
    for (int t = 0; t < 3; ++t) CHECK(row[t] == d.targets[21 * 3 + t]);
    for (int j = 0; j < 3; ++j) CHECK(row[3 + j] == d.current[21 * 3 + j]);
  }
}

TEST_CASE("trajectory data config: defaults, and errors naming the field") {
  const data::TrajectoryConfig c = data::trajectory_config_from_json(json::object(), "config.data");
  CHECK(c.per_point == 20);
  CHECK(c.perturbation == 0.1);
  CHECK(data::trajectory_config_from_json(data::trajectory_config_to_json(small_config()), "d").n ==
        400);
  REQUIRE_THROWS_WITH(data::trajectory_config_from_json(json{{"perturbation", 0}}, "config.data"),
                      Contains("config.data.perturbation"));
  REQUIRE_THROWS_WITH(
      data::trajectory_config_from_json(json{{"perturbation_min", 0.2}}, "config.data"),
      Contains("config.data.perturbation_min: expected 0 or less than perturbation = 0.1"));
  REQUIRE_THROWS_WITH(
      data::trajectory_config_from_json(json{{"perturbation_min", -1}}, "config.data"),
      Contains("config.data.perturbation_min"));
  REQUIRE_THROWS_WITH(data::trajectory_config_from_json(json{{"focus", 1}}, "config.data"),
                      Contains("config.data.focus"));
  REQUIRE_THROWS_WITH(data::trajectory_config_from_json(json{{"n", 5}}, "config.data"),
                      Contains("config.data.n: expected at least per_point = 20 samples, got 5"));
}

TEST_CASE("a trajectory model reads the target then the current joints and adds its step") {
  const Model m = constant_step_model({0.25f, -0.5f});
  REQUIRE_NOTHROW(check_model(m));
  Workspace ws(m.net);
  Eigen::VectorXd x(4);
  x << 1.0, 0.5, 0.3, -1.2;
  const Eigen::VectorXd q = predict_one(m, ws, x);
  CHECK(q[0] == Approx(0.3 + 0.25));
  CHECK(q[1] == Approx(-1.2 - 0.5));

  SECTION(
      "the model file says so: kind trajectory, input size 4, the step added on reading it back") {
    const json j = model_to_json(m);
    CHECK(j["kind"] == "trajectory");
    CHECK(j["input"]["size"] == 4);
    const Model back = model_from_json(j);
    CHECK(back.kind == ModelKind::kTrajectory);
    CHECK(back.net.residual);
    Workspace ws2(back.net);
    CHECK(predict_one(back, ws2, x) == q);
  }
  SECTION("an input without the joints is refused, naming what the layout needs") {
    json j = model_to_json(m);
    j["input"]["size"] = 2;
    j["input"]["mean"] = {0, 0};
    j["input"]["std"] = {1, 1};
    j["layers"][0]["in"] = 2;
    j["layers"][0]["weight"] = {0, 0, 0, 0};
    REQUIRE_THROWS_WITH(
        model_from_json(j),
        Contains("model.input.size: expected 4 (the size of task \"planar_xy\", then 2 "
                 "current joints for kind \"trajectory\"), got 2"));
  }
  SECTION("a decoding other than angles is refused") {
    json j = model_to_json(m);
    j["output"]["decoding"] = "sincos";
    j["output"]["size"] = 2;
    REQUIRE_THROWS_WITH(model_from_json(j), Contains("model.output.decoding: expected \"angles\""));
  }
  SECTION("an ik model's layout is refused for kind trajectory, and residual for kind ik") {
    Model ik = m;
    ik.kind = ModelKind::kIk;
    REQUIRE_THROWS_WITH(check_model(ik), Contains("model.input.size: expected 2"));
    ik.net = constant_step_model({0, 0}).net;
    ik.net.input_size = 2;
    ik.net.in_mean = ik.net.in_std = Eigen::VectorXf::Ones(2);
    ik.net.layers[0].in = 2;
    ik.net.layers[0].W = MatrixRM::Zero(2, 2);
    REQUIRE_THROWS_WITH(check_model(ik),
                        Contains("model: residual: expected false for kind \"ik\""));
  }
  SECTION("a wrong input size or a NaN is an error, not a crash") {
    REQUIRE_THROWS_WITH(predict_one(m, ws, Eigen::VectorXd::Zero(2)),
                        Contains("expected 4 values"));
    Eigen::VectorXd bad = x;
    bad[3] = NAN;
    REQUIRE_THROWS_WITH(predict_one(m, ws, bad), Contains("predict_one: x[3]"));
  }
}

TEST_CASE("clamp_step moves the target to within max_step of the end effector") {
  const Arm arm = shipped_arm("planar2");
  const Eigen::Isometry3d X = fk(arm, Eigen::Vector2d(0, 0));  // (2, 0)
  const TaskVec t = clamp_step(arm, X, Eigen::Vector2d(0, 0), 0.5);
  CHECK(t[0] == Approx(1.5));
  CHECK(t[1] == Approx(0).margin(1e-12));
  CHECK(clamp_step(arm, X, Eigen::Vector2d(1.8, 0), 0.5)[0] == Approx(1.8));  // near enough
  CHECK(clamp_step(arm, X, Eigen::Vector2d(0, 0), 0)[0] == 0);                // no clamping
}

TEST_CASE("paths and tracking check their input") {
  const Model m = constant_step_model({0, 0});
  const Arm& arm = m.arm;
  const Eigen::Vector2d like(0, 0);
  const auto circle = circle_path(arm, {1, 0, 0}, 0.5, {0, 0, 1}, 8, like);
  REQUIRE(circle.size() == 8);
  CHECK(circle[0][0] == Approx(1.5));
  CHECK(circle[2][1] == Approx(0.5));  // a quarter turn, counter-clockwise about +z
  const auto line = line_path(arm, {0, 0, 0}, {1, 1, 0}, 3, like);
  CHECK(line[1][0] == Approx(0.5));
  CHECK(line[2][1] == Approx(1.0));
  REQUIRE_THROWS_WITH(circle_path(arm, {1, 0, 0}, -1, {0, 0, 1}, 8, like),
                      Contains("circle_path: radius"));
  REQUIRE_THROWS_WITH(circle_path(arm, {1, 0, 0}, 1, {1, 0, 0}, 8, like),
                      Contains("(0, 0, 1) for a planar arm"));
  REQUIRE_THROWS_WITH(line_path(arm, {NAN, 0, 0}, {1, 1, 0}, 3, like),
                      Contains("line_path: from[0]"));
  REQUIRE_THROWS_WITH(track_path(m, circle, Eigen::VectorXd::Zero(3)), Contains("track_path: q0"));
  TrackOptions opt;
  opt.substeps = 0;
  REQUIRE_THROWS_WITH(track_path(m, circle, Eigen::VectorXd::Zero(2), opt), Contains("substeps"));

  SECTION("a model that never moves: the error is the distance to the path, no jump") {
    const TrackResult r = track_path(m, circle, Eigen::Vector2d(0, 0));  // stays at (2, 0)
    CHECK(r.max_jump_rad == 0);
    CHECK(r.error_m[0] == Approx(0.5));
    CHECK(r.max_error_m == Approx((Eigen::Vector2d(2, 0) - Eigen::Vector2d(0.5, 0)).norm()));
  }
}

// the test that matters: from an elbow configuration the shipped stateless model does not
// answer with, a tiny trained trajectory model follows the circle on that branch; the
// stateless model jumps to its own branch at once
TEST_CASE("a tiny trajectory model stays on its branch where the stateless model jumps") {
  const Arm arm = shipped_arm("planar2");
  train::TrainConfig cfg = train::config_from_json(json::parse(R"({
    "arm": "planar2", "kind": "trajectory",
    "network": {"hidden": [64, 64], "activation": "silu", "encoding": "polar"},
    "loss": {"joint_mse": 1, "fk_position": 1},
    "schedule": {"kind": "cosine", "lr": 3e-3}, "epochs": 20, "batch": 256, "seed": 3, "threads": 1})"));
  data::TrajectoryConfig dc = small_config();
  dc.n = 120000;
  dc.sampling = data::Sampling::kLhs;
  const train::Samples s = train::to_samples(data::make_trajectory_data(arm, dc));
  const fs::path dir =
      fs::temp_directory_path() / ("neurokin_test_trajectory_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  train::TrainOptions opt;
  opt.out = (dir / "m").string();
  opt.progress = false;
  const Model m = train::train_model(cfg, arm, s, opt);
  fs::remove_all(dir);
  REQUIRE(m.kind == ModelKind::kTrajectory);
  INFO(m.metadata["metrics"]["test"].dump());
  CHECK(m.metadata["metrics"]["test"]["position_mean_mm"].get<double>() < 60);

  const Model stateless = load_model(std::string(NEUROKIN_SOURCE_DIR) + "/models/planar2/ik.json");
  const auto circle = circle_path(arm, {1, 0, 0}, 0.5, {0, 0, 1}, 100, Eigen::Vector2d(0, 0));
  const AnalyticSolutions starts = solve_ik_analytic(arm, circle.front());
  REQUIRE(starts.count == 2);
  for (int k = 0; k < starts.count; ++k) {
    INFO("start branch " << starts.sol[k].branch);
    // a tiny model's steps fall short: a few of them a point keep it on the circle
    TrackOptions opt;
    opt.substeps = 5;
    const TrackResult traj = track_path(m, circle, starts.sol[k].q, opt);
    const TrackResult flat = track_path(stateless, circle, starts.sol[k].q);
    CHECK(traj.max_jump_rad < 0.3);   // the elbow never turns over: steps of ~0.1 rad
    CHECK(traj.mean_error_m < 0.05);  // and it follows the circle
    // the stateless model answers its canonical branch whatever the start: from the other one,
    // its first step turns the elbow over (|2 q2| > 1 rad here)
    const bool canonical = std::string(starts.sol[k].branch) == "elbow_up";
    if (!canonical) CHECK(flat.max_jump_rad > 1.0);
    if (!canonical) CHECK(flat.max_jump_point == 0);
  }
}
