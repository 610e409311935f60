// the feasibility classifier: pose labels on hand-checkable poses, the KD-tree filter, the
// dataset (counts, determinism, every unreachable pose really unreachable), the cross-entropy
// gradient, and a tiny classifier that trains above chance in seconds
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>

#include "data/feasibility.h"
#include "neurokin/conditioning.h"
#include "neurokin/error.h"
#include "neurokin/ik.h"
#include "neurokin/kinematics.h"
#include "neurokin/random.h"
#include "support/arms.h"
#include "train/loss.h"
#include "train/trainer.h"

using namespace neurokin;
using namespace neurokin::data;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

Eigen::VectorXd vec(std::initializer_list<double> v) {
  Eigen::VectorXd x(v.size());
  int i = 0;
  for (double e : v) x[i++] = e;
  return x;
}

// a pose at kd distance `dist` from x in a random direction of kd space: the position moved by
// dist_p * R, the orientation turned by an angle whose kd measure (2 sin(angle / 4) for a
// quaternion, angle / pi for a pitch) is dist_r, dist_p^2 + dist_r^2 = dist^2
Eigen::VectorXd perturbed(const Arm& arm, const Eigen::VectorXd& x, double dist, Rng& rng) {
  Eigen::VectorXd y = x;
  const int ps = arm.task == TaskKind::kPlanarXY ? 2 : 3;
  const bool rot = arm.task == TaskKind::kPose || arm.task == TaskKind::kPositionPitch;
  const double share = rot ? rng.uniform() : 1.0;  // of dist^2 on the position
  const double dp = dist * std::sqrt(share), dr = dist * std::sqrt(1 - share);
  Eigen::Vector3d dir = Eigen::Vector3d::Zero();
  for (int i = 0; i < ps; ++i) dir[i] = rng.normal();
  y.head(ps) += dp * arm.reach_radius * dir.head(ps).normalized();
  if (arm.task == TaskKind::kPositionPitch) y[3] += (rng.uniform() < 0.5 ? -1 : 1) * dr * M_PI;
  if (arm.task == TaskKind::kPose) {
    const Eigen::Vector3d axis(rng.normal(), rng.normal(), rng.normal());
    const Eigen::Quaterniond q(x[6], x[3], x[4], x[5]);
    const double angle = 4 * std::asin(std::min(1.0, dr / 2));
    Eigen::Quaterniond r = q * Eigen::Quaterniond(Eigen::AngleAxisd(angle, axis.normalized()));
    if (r.w() < 0) r.coeffs() = -r.coeffs();
    y.segment<4>(3) << r.x(), r.y(), r.z(), r.w();
  }
  return y;
}

FeasibilityConfig small_config() {
  FeasibilityConfig c;
  c.reachable = 2000;
  c.unreachable = 800;
  c.seed = 3;
  return c;
}

}  // namespace

TEST_CASE("pose labels on hand-checkable poses") {
  const Arm planar2 = test::shipped_arm("planar2");
  // outside the reach circle (radius 2): unreachable
  CHECK(pose_label(planar2, vec({2.5, 0.0}), 8) == 0);
  CHECK(pose_label(planar2, vec({0.0, -3.0}), 8) == 0);
  // the arm stretched out (q2 = 0): the Jacobian is singular, near-singular
  CHECK(pose_label(planar2, vec({2.0, 0.0}), 8) == int(Feasibility::kNearSingular));
  // at q1 = 0, J = [[-s2, -s2], [1 + c2, c2]]: sigma1^2 + sigma2^2 = 3 + 2 c2, sigma1 sigma2 =
  // |s2|. q2 = pi/2 (target (1, 1)): kappa = sqrt(0.382 / 2.618) = 0.382, between planar2's p20 and
  // p80: adequate. q2 = 2 pi / 3 (target (0.5, 0.866)): kappa = sqrt(0.5 / 1.5) = 0.577, above
  // p80 = 0.522: high manipulability (both elbows alike)
  REQUIRE(conditioning(planar2, vec({0.0, M_PI / 2})).inverse_condition ==
          Approx(0.381966).epsilon(1e-5));
  REQUIRE(conditioning(planar2, vec({0.0, 2 * M_PI / 3})).inverse_condition ==
          Approx(0.577350).epsilon(1e-5));
  CHECK(pose_label(planar2, vec({1.0, 1.0}), 8) == int(Feasibility::kAdequate));
  CHECK(pose_label(planar2, vec({0.5, std::sqrt(0.75)}), 8) ==
        int(Feasibility::kHighManipulability));
  // a configuration's own class never beats its pose's (the pose takes the best solution)
  const Arm kr6 = test::shipped_arm("kr6");
  Rng rng(7);
  for (int i = 0; i < 200; ++i) {
    const JointVec qs = sample_joints(kr6, rng);
    const TaskVec x = task_vector(kr6, fk(kr6, qs));
    const int own = int(classify_configuration(kr6, conditioning(kr6, qs).inverse_condition));
    const int pose = pose_label(kr6, x, 8, &qs);
    CHECK(pose >= own);
    CHECK(pose > 0);
  }
  // planar2's two elbows are mirror images with the same conditioning: both labels agree
  for (int i = 0; i < 100; ++i) {
    const JointVec qs = sample_joints(planar2, rng);
    const TaskVec x = task_vector(planar2, fk(planar2, qs));
    CHECK(pose_label(planar2, x, 8) ==
          int(classify_configuration(planar2, conditioning(planar2, qs).inverse_condition)));
  }
}

TEST_CASE("the KD-tree filter keeps exactly the queries farther than the radius") {
  const Arm planar2 = test::shipped_arm("planar2");  // kd points: positions / reach radius 2
  const std::vector<float> reference = {0.0f, 0.0f, 1.0f, 0.0f, 0.0f, 1.0f};
  // scaled distances to the nearest reference point: 0.05, 0.15, 0.0, 0.5
  const std::vector<float> queries = {0.1f, 0.0f, 1.0f, 0.3f, 0.0f, 1.0f, -1.0f, 0.0f};
  const auto far = far_from(planar2, reference, queries, 0.1, 2);
  CHECK(far == std::vector<std::uint8_t>{0, 1, 0, 1});
  CHECK(far_from(planar2, {}, queries, 0.1, 1) == std::vector<std::uint8_t>{1, 1, 1, 1});
  // a pose has other names: the quaternion -q (kr6, near w = 0 where w >= 0 flips the sign of
  // the rest) and the pitch +- 2 pi (omx4) are the same pose, at distance 0
  const Arm omx4 = test::shipped_arm("omx4");
  const std::vector<float> pitch_ref = {0.2f, 0.0f, 0.1f, float(M_PI) - 0.01f};
  const std::vector<float> pitch_q = {0.2f, 0.0f, 0.1f, -float(M_PI) + 0.01f};
  CHECK(kd_distance(omx4, pitch_q.data(), pitch_ref.data()) == Approx(0.02 / M_PI).margin(1e-6));
  CHECK(far_from(omx4, pitch_ref, pitch_q, 0.01, 1) == std::vector<std::uint8_t>{0});
  const float s2 = float(std::sqrt(0.5));
  const std::vector<float> quat_ref = {0.5f, 0.0f, 0.4f, s2, 0.0f, s2, 0.001f};
  const std::vector<float> quat_q = {0.5f, 0.0f, 0.4f, -s2, 0.0f, -s2, 0.001f};
  CHECK(kd_distance(test::shipped_arm("kr6"), quat_q.data(), quat_ref.data()) ==
        Approx(0.002).margin(1e-5));
  CHECK(far_from(test::shipped_arm("kr6"), quat_ref, quat_q, 0.01, 1) == std::vector<std::uint8_t>{0});
  // the same as a brute-force search on random points, on a 7-entry pose task
  const Arm kr6 = test::shipped_arm("kr6");
  Rng rng(1);
  std::vector<float> ref, q;
  for (int i = 0; i < 300; ++i)
    for (double v : task_vector(kr6, fk(kr6, sample_joints(kr6, rng)))) ref.push_back(float(v));
  for (int i = 0; i < 100; ++i)
    for (double v : task_vector(kr6, fk(kr6, sample_joints(kr6, rng)))) q.push_back(float(v));
  const auto got = far_from(kr6, ref, q, 0.5, 2);
  for (int i = 0; i < 100; ++i) {
    const auto a = kd_point(kr6, &q[i * 7]);
    double best = INFINITY;
    for (int j = 0; j < 300; ++j) {
      const auto b = kd_point(kr6, &ref[j * 7]);
      double d2 = 0;
      double d2m = 0;
      for (int k = 0; k < 7; ++k) {
        d2 += (a[k] - b[k]) * (a[k] - b[k]);
        d2m += k < 3 ? (a[k] - b[k]) * (a[k] - b[k]) : (a[k] + b[k]) * (a[k] + b[k]);
      }
      best = std::min({best, d2, d2m});
    }
    if (std::abs(best - 0.25) > 1e-5) CHECK(got[i] == (best > 0.25));
  }
}

namespace {

// one arm's data: counts, sources, labels, and the same bytes on 1 and 2 threads (one test
// case per arm, so that ctest runs them side by side: under the sanitizers each takes minutes)
void check_feasibility_data(const char* name) {
  {
    INFO(name);
    const Arm arm = test::shipped_arm(name);
    FeasibilityConfig c = small_config();
    c.kd_radius = 0.03;
    const FeasibilityData d = make_feasibility_data(arm, c, 2);
    REQUIRE(d.n == 2800);
    CHECK(d.split.train + d.split.val + d.split.test == d.n);
    int inside = 0, outside = 0, neighbours_reachable = 0;
    IkOptions dls;
    dls.time_budget_ms = 0;
    dls.max_restarts = 15;
    Rng rng(5);
    for (std::int64_t i = 0; i < d.n; ++i) {
      const Eigen::VectorXd x =
          Eigen::Map<const Eigen::VectorXf>(d.target(i), d.task_size).cast<double>();
      Eigen::Vector3d p = Eigen::Vector3d::Zero();
      p.head(arm.task == TaskKind::kPlanarXY ? 2 : 3) =
          x.head(arm.task == TaskKind::kPlanarXY ? 2 : 3);
      const double r = (p - arm.reach_centre_W).norm() / arm.reach_radius;
      switch (d.source[i]) {
        case PoseSource::kReachable:
          CHECK(d.label[i] > 0);
          CHECK(d.label[i] >= d.sample_label[i]);
          break;
        case PoseSource::kInside:
          ++inside;
          CHECK(r <= 1.0 + 1e-6);
          CHECK(d.label[i] == 0);
          CHECK(d.margin[i] > c.kd_radius);
          // the closed form found no solution; DLS with random restarts (another method) agrees
          CHECK(solve_ik(arm, x, dls).status != IkStatus::kConverged);
          // the margin: poses closer than kd_radius are unreachable too (the closed form, which
          // the margin's DLS never used, on random neighbours at 0.9 kd_radius)
          for (int k = 0; k < 8; ++k) {
            const Eigen::VectorXd y = perturbed(arm, x, 0.9 * c.kd_radius, rng);
            REQUIRE(kd_distance(arm, std::vector<float>(y.data(), y.data() + d.task_size).data(),
                                d.target(i)) == Approx(0.9 * c.kd_radius).epsilon(1e-3));
            const AnalyticSolutions sols = solve_ik_analytic(arm, y);
            neighbours_reachable += sols.count > 0;
          }
          break;
        case PoseSource::kOutside:
          ++outside;
          CHECK(r >= 1.0 + c.kd_radius - 1e-6);  // every reachable pose has r <= 1
          CHECK(d.label[i] == 0);
          CHECK(d.margin[i] == Approx(r - 1).margin(1e-5));
          break;
      }
    }
    // planar2 reaches its whole disc: no pose inside it is unreachable
    CHECK(inside == (arm.name == "planar2" ? 0 : 400));
    CHECK(inside + outside == 800);
    CHECK(neighbours_reachable == 0);
    CHECK(d.report["inside_shortfall"] == 400 - inside);
    const json& cand = d.report["inside_candidates"];
    CHECK(cand["checked"].get<long>() == inside + cand["rejected_by_kd_tree"].get<long>() +
                                             cand["rejected_by_ik"].get<long>() +
                                             cand["rejected_by_margin"].get<long>());
    // the margin is what keeps the sets apart: on these arms it turns candidates away
    if (arm.name != "planar2") CHECK(cand["rejected_by_margin"].get<long>() > 0);
    CHECK(d.report["label_agreement"].get<double>() > 0.5);
    const FeasibilityData d1 = make_feasibility_data(arm, c, 1);
    CHECK(d1.targets == d.targets);
    CHECK(d1.label == d.label);
    CHECK(d1.split.order == d.split.order);
  }
}

}  // namespace

TEST_CASE("feasibility data, planar2: counts, sources, labels, the same bytes on any thread count") {
  check_feasibility_data("planar2");
}
TEST_CASE("feasibility data, omx4: counts, sources, labels, the same bytes on any thread count") {
  check_feasibility_data("omx4");
}
TEST_CASE("feasibility data, kr6: counts, sources, labels, the same bytes on any thread count") {
  check_feasibility_data("kr6");
}

TEST_CASE("feasibility data config: unknown and out-of-range fields are named") {
  CHECK_THROWS_WITH(
      feasibility_config_from_json(json{{"reachable", 10}, {"kd_radus", 1}}, "config.data"),
      Catch::Contains("config.data.kd_radus: unknown field"));
  CHECK_THROWS_WITH(feasibility_config_from_json(json{{"inside_share", 2}}, "config.data"),
                    Catch::StartsWith("config.data.inside_share"));
  CHECK_THROWS_WITH(
      feasibility_config_from_json(json{{"kd_radius", 0.6}, {"outside_max", 1.5}}, "config.data"),
      Catch::StartsWith("config.data.outside_max: expected more than 1 + kd_radius"));
  CHECK_THROWS_WITH(feasibility_config_from_json(json{{"margin_starts", 0}}, "config.data"),
                    Catch::StartsWith("config.data.margin_starts"));
  CHECK(feasibility_config_from_json(feasibility_config_to_json(small_config()), "c").seed == 3);
  CHECK_THROWS_WITH(feasibility_config_from_json(json{{"label", "config"}}, "config.data"),
                    Catch::StartsWith("config.data.label: expected \"pose\" or \"sample\""));
  // seed 002's labelling, for comparison: the network then learns the per-sample labels
  FeasibilityConfig cs = small_config();
  cs.label = "sample";
  const FeasibilityData ds = make_feasibility_data(test::shipped_arm("omx4"), cs, 1);
  CHECK(&ds.learned() == &ds.sample_label);
  CHECK(ds.learned() != ds.label);  // omx4's two branches differ in conditioning
  const train::Samples ss = train::to_samples(FeasibilityData(ds));
  CHECK(ss.label == ds.sample_label);
  CHECK(ss.pose_label == ds.label);
}

// dy (of two rows of four logits y) against central finite differences of the batch loss
static void check_cross_entropy_gradient(const float* y, const std::int8_t* labels, const float* dy,
                                         double reachability) {
  const double h = 1e-3;
  for (int k = 0; k < 8; ++k) {
    float yp[8], ym[8], g[8];
    std::copy(y, y + 8, yp);
    std::copy(y, y + 8, ym);
    yp[k] += float(h);
    ym[k] -= float(h);
    const double fd = (train::cross_entropy(yp, labels, 2, 4, g, nullptr, reachability) -
                       train::cross_entropy(ym, labels, 2, 4, g, nullptr, reachability)) /
                      (2 * h);
    CHECK(dy[k] == Approx(fd).margin(std::sqrt(h) * 1e-2));
  }
}

TEST_CASE("cross-entropy: value by hand and gradient by finite differences") {
  const float y[8] = {0.0f, 0.0f, 0.0f, 0.0f, 1.0f, -2.0f, 0.5f, 3.0f};
  const std::int8_t labels[2] = {2, 3};
  float dy[8], per[2];
  const double l = train::cross_entropy(y, labels, 2, 4, dy, per);
  CHECK(per[0] == Approx(std::log(4.0)));
  const double lse = std::log(std::exp(1.0) + std::exp(-2.0) + std::exp(0.5) + std::exp(3.0));
  CHECK(per[1] == Approx(lse - 3.0));
  CHECK(l == Approx((per[0] + per[1]) / 2));
  check_cross_entropy_gradient(y, labels, dy, 0.0);
}

TEST_CASE("cross-entropy with the reachability term: value by hand and gradient by finite differences") {
  // one unreachable row (label 0) and one reachable (label 2): -log P(S) on top, weighted
  const float y[8] = {0.3f, -1.0f, 2.0f, 0.5f, 1.0f, -2.0f, 0.5f, 3.0f};
  const std::int8_t labels[2] = {0, 2};
  const double w = 2.5;
  float dy[8], per[2];
  const double l = train::cross_entropy(y, labels, 2, 4, dy, per, w);
  double p[8];
  for (int r = 0; r < 2; ++r) {
    double s = 0;
    for (int k = 0; k < 4; ++k) s += std::exp(double(y[4 * r + k]));
    for (int k = 0; k < 4; ++k) p[4 * r + k] = std::exp(double(y[4 * r + k])) / s;
  }
  CHECK(per[0] == Approx(-std::log(p[0]) - w * std::log(p[0])));
  CHECK(per[1] == Approx(-std::log(p[6]) - w * std::log(p[5] + p[6] + p[7])));
  CHECK(l == Approx((per[0] + per[1]) / 2));
  check_cross_entropy_gradient(y, labels, dy, w);
}

TEST_CASE("a tiny feasibility classifier trains above chance in seconds") {
  const Arm arm = test::shipped_arm("planar2");
  FeasibilityConfig c = small_config();
  c.reachable = 3000;
  c.unreachable = 1200;
  const train::Samples s = train::to_samples(make_feasibility_data(arm, c, 1));
  train::TrainConfig cfg = train::config_from_json(json::parse(R"({
    "arm": "planar2", "kind": "feasibility",
    "network": {"hidden": [32, 32], "activation": "relu", "encoding": "polar"},
    "optimizer": {"weight_decay": 1e-4},
    "schedule": {"kind": "plateau", "lr": 1e-2, "patience": 2},
    "epochs": 20, "batch": 64, "seed": 1, "threads": 1})"));
  CHECK(cfg.decoding == OutputDecoding::kSoftmax);
  const fs::path dir =
      fs::temp_directory_path() / ("neurokin_test_feasibility_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  train::TrainOptions opt;
  opt.out = (dir / "f").string();
  opt.progress = false;
  const Model m = train::train_model(cfg, arm, s, opt);
  fs::remove_all(dir);
  CHECK(m.kind == ModelKind::kFeasibility);
  const json& test = m.metadata["metrics"]["test"];
  // the largest class (adequate) is about 43%; the binary task is mostly the reach circle
  CHECK(test["accuracy"].get<double>() > 0.75);
  CHECK(test["binary_accuracy"].get<double>() > 0.9);
  CHECK(test["confusion"].size() == 4);
  CHECK(m.metadata["curves"]["val_accuracy"].size() == 20);
  // a model file reads back as a feasibility model
  CHECK(model_from_json(model_to_json(m)).kind == ModelKind::kFeasibility);
  // decoding other than softmax for a classifier is named
  CHECK_THROWS_WITH(
      train::config_from_json(json::parse(
          R"({"arm": "planar2", "kind": "feasibility", "network": {"decoding": "sincos"}})")),
      Catch::StartsWith("config.network.decoding: expected one of softmax"));
  CHECK_THROWS_WITH(train::config_from_json(json::parse(R"({"arm": "planar2", "kind": "cls"})")),
                    Catch::StartsWith("config.kind: expected \"ik\", \"feasibility\", \"ik_clustered\" or \"trajectory\""));
}
