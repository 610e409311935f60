// clustered regression (seed 002): k-means with k-means++ seeding (train/kmeans.h), the
// circular distance and angle features, the clustered model file (neurokin/clustered.h) and
// its errors, the FK-consistent choice, and a tiny omx4 clustered model that finds more
// distinct solutions than one network trained on the same samples
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <set>

#include "data/dataset.h"
#include "neurokin/clustered.h"
#include "neurokin/error.h"
#include "neurokin/kinematics.h"
#include "support/arms.h"
#include "support/layers.h"
#include "train/clustered.h"
#include "train/kmeans.h"
#include "train/trainer.h"

using namespace neurokin;
using namespace neurokin::train;
using Catch::Matchers::Contains;
using neurokin::test::shipped_arm;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// three blobs of 100 points around known centres, gaussian noise 0.1
PointsRM three_blobs(std::uint64_t seed, Eigen::MatrixXd& centres) {
  centres.resize(3, 2);
  centres << 0, 0, 5, 5, -5, 5;
  Rng rng(seed);
  PointsRM p(300, 2);
  for (int i = 0; i < 300; ++i)
    for (int d = 0; d < 2; ++d) p(i, d) = centres(i / 100, d) + 0.1 * rng.normal();
  return p;
}

// an omx4 ik model whose answer is the constant q (no weights: the output mean is q)
Model constant_model(const Arm& arm, const Eigen::VectorXd& q) {
  Model m;
  m.arm = arm;
  Network& n = m.net;
  n.input_size = 4;
  n.in_mean = Eigen::VectorXf::Zero(4);
  n.in_std = Eigen::VectorXf::Ones(4);
  n.layers = {test::dense(MatrixRM::Zero(4, 4), Eigen::VectorXf::Zero(4))};
  n.out_mean = q.cast<float>();
  n.out_std = Eigen::VectorXf::Ones(4);
  check_model(m);
  return m;
}

// an omx4 ik model with random weights (4 -> 8 -> tanh -> 4 angles)
Model random_model(const Arm& arm, std::uint64_t seed) {
  Rng rng(seed);
  Model m = constant_model(arm, Eigen::VectorXd::Zero(4));
  m.net.layers = {test::dense(test::glorot(8, 4, rng), test::uniform(8, rng, -0.1, 0.1)),
                  test::activation(Activation::kTanh, 8),
                  test::dense(test::glorot(4, 8, rng), test::uniform(4, rng, -0.1, 0.1))};
  check_model(m);
  return m;
}

ClusteredModel two_random_members() {
  const Arm arm = shipped_arm("omx4");
  ClusteredModel m;
  m.arm = arm;
  m.clusters.push_back({Eigen::Vector4d(0.1, 0.2, 0.3, 0.4), 100, random_model(arm, 1)});
  m.clusters.push_back({Eigen::Vector4d(-1, 0.5, 0, 1), 50, random_model(arm, 2)});
  m.metadata["note"] = "test";
  return m;
}

}  // namespace

TEST_CASE("k-means finds three separated blobs, their centres and an exact partition") {
  Eigen::MatrixXd centres;
  const PointsRM p = three_blobs(11, centres);
  const KMeansResult r = kmeans(p, {3, 100, 1e-10, 7});
  CHECK(r.converged);
  REQUIRE(r.centroids.rows() == 3);
  // every blob one cluster, each cluster one blob
  std::set<int> seen;
  for (int b = 0; b < 3; ++b) {
    const int label = r.label[b * 100];
    for (int i = 0; i < 100; ++i) CHECK(r.label[b * 100 + i] == label);
    seen.insert(label);
    // the centroid is the blob's mean: within 3 sigma / sqrt(100) of the true centre
    CHECK((r.centroids.row(label).transpose() - centres.row(b).transpose()).norm() < 0.05);
    CHECK(r.sizes[label] == 100);
  }
  CHECK(seen.size() == 3);
  CHECK(r.inertia < 300 * 2 * 0.1 * 0.1 * 1.5);
}

TEST_CASE("k-means is deterministic from its seed, and k-means++ spreads its seeds") {
  Eigen::MatrixXd centres;
  const PointsRM p = three_blobs(12, centres);
  const KMeansResult a = kmeans(p, {3, 1, 0, 5}), b = kmeans(p, {3, 1, 0, 5});
  CHECK(a.centroids == b.centroids);
  CHECK(a.label == b.label);
  // k = n distinct points: D^2 sampling never picks a chosen point again, so the seeds (after
  // one Lloyd step, each its own cluster) are the points themselves
  PointsRM four(4, 1);
  four << 0, 1, 10, 11;
  const KMeansResult s = kmeans(four, {4, 1, 0, 3});
  std::set<double> values;
  for (int j = 0; j < 4; ++j) values.insert(s.centroids(j, 0));
  CHECK(values == std::set<double>{0, 1, 10, 11});
  // with two clusters on two pairs, any seed finds the pairs
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const KMeansResult t = kmeans(four, {2, 100, 0, seed});
    CHECK(t.label[0] == t.label[1]);
    CHECK(t.label[2] == t.label[3]);
    CHECK(t.label[0] != t.label[2]);
  }
}

TEST_CASE("k-means refuses a bad k and non-finite points, naming them") {
  PointsRM p(2, 1);
  p << 0, 1;
  REQUIRE_THROWS_WITH(kmeans(p, {3, 10, 0, 1}),
                      Contains("kmeans: k: expected 1 to 2 (the number of points), got 3"));
  REQUIRE_THROWS_WITH(kmeans(p, {0, 10, 0, 1}), Contains("got 0"));
  p(1, 0) = NAN;
  REQUIRE_THROWS_WITH(kmeans(p, {1, 10, 0, 1}), Contains("kmeans: points: expected finite values"));
}

TEST_CASE("circular distance and angle features: pi and -pi are neighbours") {
  CHECK(circular_distance(M_PI - 0.01, -M_PI + 0.01) == Approx(0.02).margin(1e-12));
  CHECK(circular_distance(0, 3) == Approx(3));
  CHECK(circular_distance(1, 1 + 4 * M_PI) == Approx(0).margin(1e-12));
  CHECK(circular_distance(-2, 2) == Approx(2 * M_PI - 4));

  // angles either side of +-pi and around 0: the wrap-straddling ones are one cluster
  const std::vector<float> q = {3.10f, -3.10f, 3.05f, -3.05f, 0.05f, -0.05f, 0.0f, 0.1f};
  const PointsRM f = angle_features(q.data(), q.size(), 1);
  const KMeansResult r = kmeans(f, {2, 100, 1e-12, 1});
  for (int i = 1; i < 4; ++i) CHECK(r.label[i] == r.label[0]);
  for (int i = 5; i < 8; ++i) CHECK(r.label[i] == r.label[4]);
  CHECK(r.label[0] != r.label[4]);
  // the centroids' angles are circular means: pi (not 0, the plain mean of the first four)
  const Eigen::VectorXd at_pi = feature_angles(r.centroids.row(r.label[0]).data(), 1);
  CHECK(circular_distance(at_pi[0], M_PI) < 1e-6);
  const Eigen::VectorXd at_0 = feature_angles(r.centroids.row(r.label[4]).data(), 1);
  CHECK(circular_distance(at_0[0], 0.025) < 1e-6);
}

TEST_CASE("clustered model file: round trip, bit-exact candidates") {
  const ClusteredModel m = two_random_members();
  const json j = clustered_model_to_json(m);
  CHECK(is_clustered_model(j));
  CHECK(j["kind"] == "ik_clustered");
  const ClusteredModel back = clustered_model_from_json_text(j.dump());
  CHECK(clustered_model_to_json(back) == j);
  REQUIRE(back.k() == 2);
  CHECK(back.clusters[1].samples == 50);
  CHECK(back.clusters[0].centroid == m.clusters[0].centroid);
  // a member is a complete model file of its own
  CHECK(model_to_json(model_from_json(j["clusters"][1]["model"])) == j["clusters"][1]["model"]);

  ClusteredWorkspace wa(m), wb(back);
  Rng rng(3);
  for (int t = 0; t < 20; ++t) {
    const TaskVec x = test::random_target(m.arm, rng);
    const ClusteredAnswer a = predict_all(m, wa, x), b = predict_all(back, wb, x);
    CHECK(a.best == b.best);
    for (int c = 0; c < 2; ++c) {
      CHECK(a.candidates[c].q == b.candidates[c].q);
      CHECK(a.candidates[c].position_error == b.candidates[c].position_error);
    }
  }
}

TEST_CASE("clustered model file: malformed files are refused, naming the field") {
  const json good = clustered_model_to_json(two_random_members());
  auto refused = [&](const std::function<void(json&)>& edit, const std::string& message) {
    json j = good;
    edit(j);
    INFO(message);
    REQUIRE_THROWS_WITH(clustered_model_from_json(j), Contains(message));
  };
  refused([](json& j) { j["clusters"] = json::array(); },
          "model.clusters: expected an array of 1 to 32 clusters");
  refused([](json& j) { j["kind"] = "ik"; }, "model.kind: expected \"ik_clustered\", got \"ik\"");
  refused([](json& j) { j["clusterz"] = 1; }, "model.clusterz: unknown field");
  refused([](json& j) { j["selection"]["rule"] = "vote"; },
          "model.selection.rule: expected \"fk_consistency\", got \"vote\"");
  refused([](json& j) { j["selection"]["orientation_weight_m_per_rad"] = -1; },
          "model.selection.orientation_weight_m_per_rad: expected a number >= 0");
  refused(
      [](json& j) {
        j["clusters"][0]["centroid"] = {1, 2, 3};
      },
      "model.clusters[0].centroid: expected 4 joint angles (rad)");
  refused([](json& j) { j.erase("task"); }, "model.task: missing");
  refused([](json& j) { j["clusters"][1]["model"]["arm"]["name"] = "omx4b"; },
          "model.clusters[1].model.arm: expected the clustered model's arm 'omx4', got 'omx4b'");
  refused([](json& j) { j["clusters"][1]["model"]["layers"][0]["weight"] = "AAAA"; },
          "model.clusters[1].model.layers[0].weight: expected 32 floats (8 x 4)");
  refused([](json& j) { j["clusters"][0]["model"]["kind"] = "feasibility"; },
          "model.clusters[0].model.output.decoding");
  REQUIRE_THROWS_WITH(clustered_model_from_json_text("{"), Contains("model: not valid JSON"));
  REQUIRE_THROWS_WITH(load_clustered_model("/nonexistent/m.json"), Contains("/nonexistent/m.json"));
  // the single-model loader says what the file is
  REQUIRE_THROWS_WITH(model_from_json(good),
                      Contains("model.kind") && Contains("load_clustered_model"));
}

TEST_CASE("the FK-consistent choice: the candidate whose FK is nearest the target") {
  const double pos[] = {0.02, 0.001, 0.001, NAN}, rot[] = {0.0, 0.5, 0.01, 0.0};
  CHECK(fk_consistent_choice(pos, rot, 4, 0.1) == 2);  // 0.001 + 0.001 beats 0.02 and 0.051
  CHECK(fk_consistent_choice(pos, rot, 4, 0.0) == 1);  // the first of equal ones
  const double nan_first[] = {NAN, 0.5}, zero[] = {0, 0};
  CHECK(fk_consistent_choice(nan_first, zero, 2, 0.1) == 1);

  // three members answering fixed configurations: the one whose pose is the target wins
  const Arm arm = shipped_arm("omx4");
  const Eigen::Vector4d qa(0.3, -0.2, 0.4, 0.1), qb(-1.0, 0.6, -0.5, 0.9), qc(2.0, 0.1, 0.1, 0.1);
  ClusteredModel m;
  m.arm = arm;
  for (const Eigen::Vector4d& q : {qa, qb, qc})
    m.clusters.push_back({q, 1, constant_model(arm, q)});
  ClusteredWorkspace ws(m);
  const ClusteredAnswer a = predict_all(m, ws, task_vector(arm, fk(arm, qb)));
  CHECK(a.best == 1);
  REQUIRE(a.candidates.size() == 3);
  CHECK(a.candidates[1].position_error < 1e-6);
  CHECK(a.candidates[0].position_error > 0.01);
  CHECK(a.candidates[1].within_limits);
  CHECK((a.candidates[1].q - qb).norm() < 1e-6);

  // the batch form agrees, row by row
  std::vector<float> x;
  for (const Eigen::Vector4d& q : {qc, qa}) {
    const TaskVec t = task_vector(arm, fk(arm, q));
    for (int i = 0; i < 4; ++i) x.push_back(static_cast<float>(t[i]));
  }
  std::vector<float> q(2 * 3 * 4);
  std::vector<double> pe(6), oe(6);
  int best[2];
  predict_candidates(m, ws, x.data(), 2, q.data(), pe.data(), oe.data(), best);
  CHECK(best[0] == 2);
  CHECK(best[1] == 0);

  SECTION("bad targets are named, not crashed on") {
    REQUIRE_THROWS_WITH(predict_all(m, ws, Eigen::Vector3d(0.1, 0, 0.1)),
                        Contains("predict_all: target"));
    REQUIRE_THROWS_WITH(predict_all(m, ws, Eigen::Vector4d(NAN, 0, 0.1, 0)),
                        Contains("predict_all: target"));
  }
}

TEST_CASE("distinct solutions: good candidates more than distinct_rad apart in some joint") {
  const std::vector<float> q = {0, 0, 0.05f, 0, 3.1f, 0, -3.1f, 0.05f};  // 4 candidates of 2 joints
  CHECK(distinct_solutions(q.data(), {true, true, true, true}, 4, 2, 0.1) ==
        2);  // +-3.1 are 0.08 apart
  CHECK(distinct_solutions(q.data(), {true, false, false, true}, 4, 2, 0.1) == 2);
  CHECK(distinct_solutions(q.data(), {false, false, false, false}, 4, 2, 0.1) == 0);
  CHECK(distinct_solutions(q.data(), {true, true, true, true}, 4, 2, 0.01) == 4);
}

TEST_CASE("a tiny omx4 clustered model finds more distinct solutions than one network") {
  const Arm arm = shipped_arm("omx4");
  data::DataConfig dc;
  dc.n = 24000;
  dc.seed = 21;
  const Samples s = to_samples(data::make_dataset(arm, dc, 1));
  const json cfg_json = json::parse(R"({
    "arm": "omx4", "kind": "ik_clustered", "clusters": {"k": 4, "seed": 2},
    "network": {"hidden": [96, 96], "activation": "silu", "encoding": "polar_pitch", "decoding": "sincos"},
    "loss": {"sincos": 1, "fk_position": 30, "fk_orientation": 3},
    "schedule": {"kind": "cosine", "lr": 3e-3}, "epochs": 12, "batch": 128, "seed": 3, "threads": 1})");
  const TrainConfig cfg = config_from_json(cfg_json);
  const fs::path dir =
      fs::temp_directory_path() / ("neurokin_test_clustered_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  TrainOptions opt;
  opt.out = (dir / "m").string();
  opt.progress = false;
  const ClusteredModel m = train_clustered(cfg, arm, s, opt);
  TrainConfig single_cfg = cfg;
  single_cfg.kind = "ik";
  const Model single = train_model(single_cfg, arm, s, opt);
  fs::remove_all(dir);
  REQUIRE(m.k() == 4);
  CHECK(clustered_model_from_json(clustered_model_to_json(m)).k() == 4);

  // on fresh targets: distinct candidates within 25 mm and 5 deg (tiny networks), versus the
  // single network's one answer (when it is that good)
  const double good_m = 0.025, good_rad = 5 * M_PI / 180;
  ClusteredWorkspace ws(m);
  Workspace ws1(single.net);
  Rng rng(77);
  double clustered = 0, one = 0, two = 0, best_error = 0, single_error = 0;
  const int n = 400;
  for (int t = 0; t < n; ++t) {
    const TaskVec x = test::random_target(arm, rng);
    const ClusteredAnswer a = predict_all(m, ws, x);
    std::vector<float> q;
    std::vector<bool> good;
    for (const Candidate& c : a.candidates) {
      for (int i = 0; i < 4; ++i) q.push_back(static_cast<float>(c.q[i]));
      good.push_back(c.position_error <= good_m && c.orientation_error <= good_rad);
    }
    const int distinct = distinct_solutions(q.data(), good, m.k(), 4, 0.1);
    clustered += distinct;
    two += distinct >= 2;
    best_error += a.candidates[a.best].position_error / n;
    const Eigen::VectorXd q1 = predict_one(single, ws1, x);
    const TaskError e = task_error(arm, fk(arm, q1), x);
    one += e.position_error <= good_m && e.orientation_error <= good_rad;
    single_error += e.position_error / n;
  }
  INFO("distinct good solutions per target: clustered "
       << clustered / n << " (2 or more for " << two / n << " of the targets), single " << one / n
       << "; mean position error: clustered best " << best_error * 1e3 << " mm, single "
       << single_error * 1e3 << " mm");
  // (seeded and one thread: the same numbers every run; 0.64 against 0.52, 19.7 mm against 24.4 mm)
  CHECK(clustered / n > one / n + 0.05);
  CHECK(two / n > 0.02);  // one network never gives two answers
  // the choice by FK consistency beats a network that averages the branches
  CHECK(best_error < single_error);

  SECTION("a branch preference would put every sample on one branch first: refused") {
    json j = cfg_json;
    j["data"]["branch_preference"] = {"base_front_elbow_up"};
    REQUIRE_THROWS_WITH(
        train_clustered(config_from_json(j), arm, s, opt),
        Contains("config.data.branch_preference: expected none for kind \"ik_clustered\""));
  }
  SECTION("clusters for another kind, and a bad k, are named") {
    json j = cfg_json;
    j["kind"] = "ik";
    REQUIRE_THROWS_WITH(config_from_json(j),
                        Contains("config.clusters: expected no clusters for kind \"ik\""));
    json k = cfg_json;
    k["clusters"]["k"] = 0;
    REQUIRE_THROWS_WITH(train_clustered(config_from_json(k), arm, s, opt),
                        Contains("config.clusters.k: expected an integer in [1, 32]"));
  }
}
