// networks with branch heads (nn.h): the closed-form solver with the limits ignored, the core's
// choice of head and its checks, the model file, the training targets, the loss's gradients
// against finite differences, and a tiny omx4 model that learns to choose its branch
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <set>

#include "data/dataset.h"
#include "neurokin/error.h"
#include "neurokin/ik.h"
#include "neurokin/ik_analytic.h"
#include "neurokin/model.h"
#include "support/arms.h"
#include "train/branches.h"
#include "train/trainer.h"

using namespace neurokin;
using namespace neurokin::train;
using Catch::Matchers::Contains;
using neurokin::test::random_target;
using neurokin::test::shipped_arm;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// planar2, raw input (x, y), angles out, two heads: head 0 answers (x, y), head 1 (2x, 2y);
// the logits are (x, y), so head 0 answers when x > y
Model two_head_planar2() {
  Model m;
  m.arm = shipped_arm("planar2");
  Network& n = m.net;
  n.input_size = 2;
  n.in_mean = Eigen::VectorXf::Zero(2);
  n.in_std = Eigen::VectorXf::Ones(2);
  n.branches = {"elbow_up", "elbow_down"};
  Layer l;
  l.in = 2;
  l.out = 6;
  l.W = MatrixRM::Zero(6, 2);
  l.W(0, 0) = 1, l.W(1, 1) = 1, l.W(2, 0) = 2, l.W(3, 1) = 2, l.W(4, 0) = 1, l.W(5, 1) = 1;
  l.b = Eigen::VectorXf::Zero(6);
  n.layers = {l};
  n.out_mean = Eigen::VectorXf::Zero(6);
  n.out_std = Eigen::VectorXf::Ones(6);
  check_model(m);
  return m;
}

Samples omx4_samples(std::int64_t n, std::uint64_t seed) {
  data::DataConfig dc;
  dc.n = n;
  dc.seed = seed;
  dc.branch_preference = {"base_front_elbow_up", "base_back_elbow_down"};
  return to_samples(data::make_dataset(shipped_arm("omx4"), dc, 1));
}

const std::vector<std::string> kOmxHeads = {"base_front_elbow_up", "base_back_elbow_down"};

}  // namespace

TEST_CASE("analytic IK with the limits ignored: every branch, each reaching the target") {
  for (const char* name : {"planar2", "puma3", "omx4", "kr6"}) {
    INFO(name);
    const Arm arm = shipped_arm(name);
    Rng rng(11);
    std::set<std::string> seen;
    for (int k = 0; k < 500; ++k) {
      const TaskVec x = random_target(arm, rng);
      const AnalyticSolutions in = solve_ik_analytic(arm, x), all = solve_ik_analytic(arm, x, false);
      REQUIRE(all.count >= in.count);
      // the ones within the limits are among them, on the same branches
      for (int i = 0; i < in.count; ++i) {
        bool found = false;
        for (int j = 0; j < all.count; ++j)
          found |= std::string(in.sol[i].branch) == all.sol[j].branch &&
                   (in.sol[i].q - all.sol[j].q).unaryExpr([](double d) { return wrap_angle(d); }).norm() < 1e-9;
        CHECK(found);
      }
      for (int j = 0; j < all.count; ++j) {
        seen.insert(all.sol[j].branch);
        const TaskError e = task_error(arm, fk(arm, all.sol[j].q), x);
        CHECK(e.position_error < 1e-9);
        CHECK(e.orientation_error < 1e-7);
      }
    }
    // every branch of the solver shows up once the limits are ignored (omx4's limits admit 2)
    CHECK(seen.size() == analytic_branch_names(arm).size());
  }
}

TEST_CASE("branch heads: predict answers with the head whose logit is largest") {
  const Model m = two_head_planar2();
  CHECK(m.net.heads() == 2);
  CHECK(m.net.head_outputs() == 2);
  CHECK(m.net.output_size() == 2);
  Workspace ws(m.net);
  const float x[] = {0.5f, 0.25f, 0.25f, 0.5f, 0.3f, 0.3f};  // x > y, x < y, a tie
  float y[6], all[12], p[6];
  predict(m.net, ws, x, 3, y);
  CHECK(std::vector<float>(y, y + 6) == std::vector<float>{0.5f, 0.25f, 0.5f, 1.0f, 0.3f, 0.3f});
  predict_branches(m.net, ws, x, 3, all, p);
  CHECK(std::vector<float>(all, all + 4) == std::vector<float>{0.5f, 0.25f, 1.0f, 0.5f});
  CHECK(p[0] == Approx(1 / (1 + std::exp(-0.25))));
  CHECK(p[0] + p[1] == Approx(1));
  CHECK(p[4] == Approx(0.5));  // the tie goes to the first head, as ONNX ArgMax
}

TEST_CASE("branch heads: malformed ones are refused, naming the field") {
  SECTION("outputs that are not a block per head plus a logit per head") {
    Model m = two_head_planar2();
    m.net.branches.push_back("third");
    REQUIRE_THROWS_WITH(check_model(m), Contains("model.output.size: expected 9 (2 joint angles for each of 3 "
                                                 "branches, then 3 logits"));
    m.net.layers[0].out = 7;  // and the network alone: 7 is no K h + K
    m.net.layers[0].W = MatrixRM::Zero(7, 2);
    m.net.layers[0].b = m.net.out_mean = Eigen::VectorXf::Zero(7);
    m.net.out_std = Eigen::VectorXf::Ones(7);
    REQUIRE_THROWS_WITH(check_network(m.net), Contains("model.output.size: expected a multiple of 3 plus 3"));
  }
  SECTION("a softmax with heads, one head, a repeated or empty name") {
    Model m = two_head_planar2();
    m.net.branches = {"a"};
    REQUIRE_THROWS_WITH(check_model(m), "model.output.branches: expected 2 to 16 names, got 1");
    m.net.branches = {"a", "a"};
    REQUIRE_THROWS_WITH(check_model(m), "model.output.branches[1]: expected a name not given before, got \"a\"");
    m.net.branches = {"a", ""};
    REQUIRE_THROWS_WITH(check_model(m), "model.output.branches[1]: expected a branch name, got \"\"");
  }
  SECTION("the model file") {
    const Model m = two_head_planar2();
    json j = model_to_json(m);
    CHECK(j["output"]["branches"] == json{"elbow_up", "elbow_down"});
    const Model back = model_from_json(j);
    CHECK(back.net.branches == m.net.branches);
    CHECK(model_to_json(back) == j);
    j["output"]["branches"] = "elbow_up";
    REQUIRE_THROWS_WITH(model_from_json(j),
                        Contains("model.output.branches: expected an array of 2 to 16 branch names, got"));
    j["output"]["branches"] = json{"elbow_up", 3};
    REQUIRE_THROWS_WITH(model_from_json(j), Contains("model.output.branches[1]: expected a string"));
    j["output"].erase("branches");
    REQUIRE_THROWS_WITH(model_from_json(j), Contains("model.output.size: expected 2 (2 joint angles"));
  }
}

TEST_CASE("branch targets: each head's branch solution, the canonical branch its label") {
  const Arm arm = shipped_arm("omx4");
  const Samples s = omx4_samples(2000, 3);
  const BranchTargets t = branch_targets(arm, s, kOmxHeads);
  REQUIRE(t.heads == 2);
  std::int64_t labelled = 0;
  for (std::size_t r = 0; r < s.size(); ++r) {
    const Eigen::Map<const Eigen::VectorXf> x(&s.x[r * 4], 4);
    for (int k = 0; k < 2; ++k) {
      if (!t.valid[r * 2 + k]) continue;
      const Eigen::VectorXd q = Eigen::Map<const Eigen::VectorXf>(&t.q[(r * 2 + k) * 4], 4).cast<double>();
      CHECK(task_error(arm, fk(arm, q), x.cast<double>()).position_error < 1e-5);
    }
    const int label = t.label[r];
    REQUIRE(label >= 0);  // omx4's limits admit only these two branches
    ++labelled;
    REQUIRE(t.valid[r * 2 + label]);
    // the label's head answers with the canonical joints themselves (up to whole turns)
    for (int i = 0; i < 4; ++i) CHECK(std::abs(wrap_angle(t.q[(r * 2 + label) * 4 + i] - s.q[r * 4 + i])) < 1e-5);
  }
  CHECK(labelled == t.labelled[0] + t.labelled[1]);
  CHECK(t.unlabelled == 0);
  // the front branch reaches more than it is canonical for: beyond the limits, it still answers
  CHECK(t.reaches[0] > t.labelled[0]);

  REQUIRE_THROWS_WITH(branch_targets(arm, s, {"base_front_elbow_up", "elbow_up"}),
                      Contains("config.network.branches[1]: expected a branch of omx4 (base_front_elbow_up, "));
  REQUIRE_THROWS_WITH(branch_targets(arm, s, {"base_back_elbow_down", "base_back_elbow_down"}),
                      "config.network.branches[1]: expected a branch not listed before, got "
                      "\"base_back_elbow_down\" again");
  Samples unlabelled;  // planar2 data made without a branch preference
  unlabelled.task_size = 2, unlabelled.dof = 2, unlabelled.x = {0.5f, 0.5f}, unlabelled.q = {0.1f, 0.2f};
  REQUIRE_THROWS_WITH(branch_targets(shipped_arm("planar2"), unlabelled, {"elbow_up", "elbow_down"}),
                      Contains("config.network.branches: the training data carry no branch labels"));
}

TEST_CASE("branch loss gradients match finite differences, heads and choice") {
  const Arm arm = shipped_arm("omx4");
  const Samples s = omx4_samples(400, 4);
  const BranchTargets t = branch_targets(arm, s, kOmxHeads);
  // six samples, among them back-branch ones (label 1) and ones only the front head reaches
  std::vector<int> rows;
  for (int r = 0; r < static_cast<int>(s.size()) && rows.size() < 6; ++r)
    if ((rows.size() < 3) == (t.label[r] == 1)) rows.push_back(r);
  REQUIRE(rows.size() == 6);
  const int n = 6, h = 8, outputs = 2 * h + 2;
  Rng rng(9);
  std::vector<float> y(n * outputs), x;
  for (int k = 0; k < n; ++k) {
    for (int head = 0; head < 2; ++head)
      for (int i = 0; i < 4; ++i) {
        const double a = t.q[(rows[k] * 2 + head) * 4 + i] + 0.2 * rng.normal();
        y[k * outputs + head * h + 2 * i] = static_cast<float>(std::sin(a));
        y[k * outputs + head * h + 2 * i + 1] = static_cast<float>(std::cos(a));
      }
    y[k * outputs + 16] = static_cast<float>(rng.normal()), y[k * outputs + 17] = static_cast<float>(rng.normal());
    for (int i = 0; i < 4; ++i) x.push_back(s.x[rows[k] * 4 + i]);
  }
  BranchLoss loss(arm, OutputDecoding::kSinCos, Eigen::VectorXf::Zero(outputs), Eigen::VectorXf::Ones(outputs), 2);
  LossWeights w;
  w.joint = 1, w.sincos = 0.5, w.fk_position = 3, w.fk_orientation = 0.7;
  const double branch = 0.8;
  const auto total = [&](const std::vector<float>& yy, float* dy) {
    std::vector<float> pe(n), re(n);
    double ce = 0;
    const LossTerms lt = loss.compute(yy.data(), x.data(), t, rows.data(), n, w, branch, dy, pe.data(), re.data(), &ce);
    return w.joint * lt.joint + w.sincos * lt.sincos + w.fk_position * lt.fk_position +
           w.fk_orientation * lt.fk_orientation + branch * ce;
  };
  std::vector<float> dy(y.size()), scratch(y.size());
  total(y, dy.data());
  const float eps = 1e-3f;
  for (std::size_t i = 0; i < y.size(); ++i) {
    std::vector<float> yp = y, ym = y;
    yp[i] += eps;
    ym[i] -= eps;
    const double fd = (total(yp, scratch.data()) - total(ym, scratch.data())) / (2 * eps);
    INFO("output " << i << ": analytic " << dy[i] << ", finite difference " << fd);
    CHECK(dy[i] == Approx(fd).epsilon(2e-2).margin(2e-5));
  }
}

TEST_CASE("a tiny omx4 model with branch heads learns which branch to answer on") {
  const Arm arm = shipped_arm("omx4");
  const Samples s = omx4_samples(6000, 5);
  TrainConfig cfg = config_from_json(json::parse(R"({
    "arm": "omx4",
    "network": {"hidden": [48, 48], "activation": "silu", "encoding": "polar_pitch", "decoding": "sincos",
                "branches": ["base_front_elbow_up", "base_back_elbow_down"]},
    "loss": {"sincos": 1, "fk_position": 30, "fk_orientation": 3, "branch": 1},
    "schedule": {"kind": "cosine", "lr": 3e-3}, "epochs": 6, "batch": 128, "seed": 3, "threads": 1})"));
  const fs::path dir = fs::temp_directory_path() / ("neurokin_test_branches_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  TrainOptions opt;
  opt.out = (dir / "m").string();
  opt.progress = false;
  const Model m = train_model(cfg, arm, s, opt);
  fs::remove_all(dir);
  CHECK(m.net.branches == kOmxHeads);
  const json test = m.metadata["metrics"]["test"];
  INFO(test.dump());
  // the base turns round for 14% of omx4's workspace: choosing front always would agree 86%
  CHECK(test["branch_agreement"].get<double>() > 0.9);
  const json curves = m.metadata["curves"];
  CHECK(curves["val_mean_mm"].back().get<double>() < 0.5 * curves["val_mean_mm"][0].get<double>());

  SECTION("limits are refused with heads: each head answers beyond them by design") {
    cfg.loss.limits = 1;
    REQUIRE_THROWS_WITH(train_model(cfg, arm, s, opt), Contains("config.loss.limits: expected 0 with network.branches"));
  }
  SECTION("the config names a bad branches field") {
    REQUIRE_THROWS_WITH(config_from_json(json::parse(R"({"arm": "omx4", "network": {"branches": ["a"]}})")),
                        Contains("config.network.branches: expected an array of 2 to 16 branch names"));
  }
}
