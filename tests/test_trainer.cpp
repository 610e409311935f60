// the training loop: a resumed run is bit-identical to an uninterrupted one, divergence stops
// with a message and keeps the checkpoint, configs name their bad fields, schedules by hand
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "data/dataset.h"
#include "neurokin/error.h"
#include "support/arms.h"
#include "train/trainer.h"

using namespace neurokin;
using namespace neurokin::train;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("neurokin_test_trainer_" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

// every feature of the loop at once, on a tiny planar2 problem
TrainConfig tiny_config() {
  return config_from_json(json::parse(R"({
    "arm": "planar2",
    "network": {"hidden": [16, 16], "activation": "silu", "gated_blocks": 1, "encoding": "polar",
                "decoding": "sincos", "dropout": 0.05},
    "loss": {"sincos": 1, "fk_position": 1, "hard_alpha": 1, "adaptive": true, "hard_mining": 0.1,
             "curriculum": true},
    "optimizer": {"weight_decay": 1e-4, "clip_norm": 1, "ema_decay": 0.99},
    "schedule": {"kind": "plateau", "lr": 3e-3, "patience": 1, "gamma": 0.5},
    "epochs": 4, "batch": 64, "seed": 5, "threads": 1})"));
}

// options that write <dir>/<name>.* and print no progress
TrainOptions quiet_options(const TempDir& dir, const char* name) {
  TrainOptions opt;
  opt.out = (dir.path / name).string();
  opt.progress = false;
  return opt;
}

Samples tiny_samples(const Arm& arm) {
  data::DataConfig dc;
  dc.n = 3000;
  dc.seed = 2;
  dc.branch_preference = {"elbow_up"};
  return to_samples(data::make_dataset(arm, dc, 1));
}

// the parts of a model that must match exactly (timings may not)
json weights_and_curves(const Model& m) {
  json j = model_to_json(m);
  json c = m.metadata["curves"];
  c.erase("seconds");
  c.erase("samples_per_s");
  return json{{"layers", j["layers"]}, {"input", j["input"]}, {"output", j["output"]}, {"curves", c}};
}

}  // namespace

TEST_CASE("training learns: the tiny planar2 model gets well below the untrained error") {
  const Arm arm = test::shipped_arm("planar2");
  const Samples s = tiny_samples(arm);
  TempDir dir;
  TrainOptions opt = quiet_options(dir, "m");
  TrainConfig cfg = tiny_config();
  cfg.epochs = 1;
  const double first = train_model(cfg, arm, s, opt).metadata["curves"]["val_mean_mm"][0];
  cfg.epochs = 12;
  const Model m = train_model(cfg, arm, s, opt);
  const double last = m.metadata["curves"]["val_mean_mm"].back();
  INFO("validation mean after 1 epoch " << first << " mm, after 12: " << last << " mm");
  CHECK(last < 0.5 * first);
  CHECK(m.metadata["metrics"]["test"]["n"] == s.test.size());
  CHECK(fs::exists(opt.out + ".log.csv"));
  // the log has a header and one line per epoch
  const std::string log = slurp(opt.out + ".log.csv");
  CHECK(std::count(log.begin(), log.end(), '\n') == 13);
}

TEST_CASE("a run stopped after an epoch and resumed is bit-identical to an uninterrupted one") {
  const Arm arm = test::shipped_arm("planar2");
  const Samples s = tiny_samples(arm);
  const TrainConfig cfg = tiny_config();
  TempDir dir;
  TrainOptions whole;
  whole.out = (dir.path / "whole").string();
  whole.progress = false;
  const Model a = train_model(cfg, arm, s, whole);

  TrainOptions part = whole;
  part.out = (dir.path / "part").string();
  part.stop_after_epoch = 2;
  CHECK_THROWS_WITH(train_model(cfg, arm, s, part), "stopped after epoch 2 (as asked)");
  part.stop_after_epoch = 0;
  part.resume = true;
  const Model b = train_model(cfg, arm, s, part);
  CHECK(weights_and_curves(a) == weights_and_curves(b));

  // a different config refuses the checkpoint instead of mixing two runs
  TrainConfig other = cfg;
  other.schedule.lr = 1e-3;
  CHECK_THROWS_WITH(train_model(other, arm, s, part), Catch::Contains("written with another configuration"));
}

TEST_CASE("fine-tuning starts from a trained model's weights, and a model of another shape is refused") {
  const Arm arm = test::shipped_arm("planar2");
  const Samples s = tiny_samples(arm);
  TempDir dir;
  const Model trained = train_model(tiny_config(), arm, s, quiet_options(dir, "a"));
  const std::string init = (dir.path / "a.json").string();
  std::ofstream(init) << model_to_json(trained).dump();

  // one epoch at a learning rate too small to move the weights: where the trained model left off
  TrainConfig cfg = tiny_config();
  cfg.init = init;
  cfg.epochs = 1;
  cfg.dropout = 0;
  cfg.schedule.kind = "constant";
  cfg.schedule.lr = 1e-12;
  const double left_off = trained.metadata["curves"]["val_mean_mm"].back();
  const Model tuned = train_model(cfg, arm, s, quiet_options(dir, "b"));
  const double tuned_first = tuned.metadata["curves"]["val_mean_mm"][0];
  CHECK(tuned_first == Approx(left_off).epsilon(1e-3));
  CHECK(tuned.net.in_mean == trained.net.in_mean);
  CHECK(tuned.metadata["config"]["init"] == init);
  // the same epoch from fresh weights is far worse
  cfg.init.clear();
  CHECK(train_model(cfg, arm, s, quiet_options(dir, "c")).metadata["curves"]["val_mean_mm"][0].get<double>() >
        2 * left_off);

  cfg.init = init;
  cfg.arch.hidden = {16, 8};
  CHECK_THROWS_WITH(train_model(cfg, arm, s, quiet_options(dir, "d")),
                    Catch::StartsWith("config.init (" + init + "): layers: expected ") &&
                        Catch::Contains("dense 16->8") && Catch::Contains("(the model)"));
  cfg = tiny_config();
  cfg.init = init;
  cfg.decoding = OutputDecoding::kAngles;
  CHECK_THROWS_WITH(train_model(cfg, arm, s, quiet_options(dir, "e")),
                    "config.init (" + init + "): decoding: expected angles (this config), got sincos (the model)");
  cfg.init = (dir.path / "missing.json").string();
  CHECK_THROWS_WITH(train_model(cfg, arm, s, quiet_options(dir, "f")), Catch::Contains("missing.json"));
}

TEST_CASE("a non-finite loss stops training with a message and keeps the last checkpoint") {
  const Arm arm = test::shipped_arm("planar2");
  Samples s = tiny_samples(arm);
  TrainConfig cfg = tiny_config();
  cfg.epochs = 3;
  TempDir dir;
  TrainOptions opt = quiet_options(dir, "m");
  opt.stop_after_epoch = 2;
  CHECK_THROWS(train_model(cfg, arm, s, opt));
  const std::string ckpt = slurp(opt.out + ".ckpt");
  // a NaN target row poisons epoch 3
  s.x[static_cast<size_t>(s.train[0]) * s.task_size] = NAN;
  opt.stop_after_epoch = 0;
  opt.resume = true;
  CHECK_THROWS_WITH(train_model(cfg, arm, s, opt),
                    Catch::StartsWith("training diverged at epoch 3") && Catch::Contains("keeps epoch 2"));
  CHECK(slurp(opt.out + ".ckpt") == ckpt);
  // and from the start: no checkpoint yet
  opt.resume = false;
  opt.out = (dir.path / "fresh").string();
  CHECK_THROWS_WITH(train_model(cfg, arm, s, opt), Catch::Contains("No checkpoint was written yet"));
  CHECK_FALSE(fs::exists(opt.out + ".ckpt"));
}

TEST_CASE("resume without a checkpoint, or from a damaged one, names the file") {
  const Arm arm = test::shipped_arm("planar2");
  const Samples s = tiny_samples(arm);
  TempDir dir;
  TrainOptions opt;
  opt.out = (dir.path / "none").string();
  opt.resume = true;
  CHECK_THROWS_WITH(train_model(tiny_config(), arm, s, opt), Catch::Contains("none.ckpt"));
  std::ofstream(opt.out + ".ckpt") << "garbage";
  CHECK_THROWS_WITH(train_model(tiny_config(), arm, s, opt), Catch::Contains("not a neurokin checkpoint"));
}

TEST_CASE("an encoding that reads past the arm's task is refused before training") {
  const Arm arm = test::shipped_arm("planar2");
  const Samples s = tiny_samples(arm);
  TempDir dir;
  const TrainOptions opt = quiet_options(dir, "m");
  TrainConfig cfg = tiny_config();
  cfg.encoding = InputEncoding::kPose;
  CHECK_THROWS_WITH(train_model(cfg, arm, s, opt),
                    "task size of planar2 (task \"planar_xy\"): expected at least 7 for encoding "
                    "\"pose\", got 2");
  CHECK_FALSE(fs::exists(opt.out + ".ckpt"));
}

TEST_CASE("config: defaults, overrides and every bad field named") {
  json j = {{"arm", "kr6"}};
  TrainConfig c = config_from_json(j);
  CHECK(c.epochs == 50);
  CHECK(c.loss.joint_mse == 1.0);
  apply_override(j, "loss.fk_position=2.5");
  apply_override(j, "schedule.kind=step");
  apply_override(j, "network.hidden=[32,32]");
  c = config_from_json(j);
  CHECK(c.loss.fk_position == 2.5);
  CHECK(c.schedule.kind == "step");
  CHECK(c.arch.hidden == std::vector<int>{32, 32});
  CHECK(config_from_json(config_to_json(c)).loss.fk_position == 2.5);
  CHECK_THROWS_WITH(apply_override(j, "nothing"), Catch::StartsWith("--set: expected KEY.PATH=VALUE"));
  CHECK_THROWS_WITH(config_from_json(json::object()), Catch::StartsWith("config.arm: missing"));
  CHECK_THROWS_WITH(config_from_json({{"arm", "kr6"}, {"epoch", 3}}),
                    Catch::StartsWith("config.epoch: unknown field"));
  CHECK_THROWS_WITH(config_from_json({{"arm", "kr6"}, {"loss", {{"fk", 1}}}}),
                    Catch::StartsWith("config.loss.fk: unknown field"));
  CHECK_THROWS_WITH(config_from_json({{"arm", "kr6"}, {"epochs", 0}}),
                    Catch::StartsWith("config.epochs: expected an integer in [1, 1000000], got 0"));
  CHECK_THROWS_WITH(config_from_json({{"arm", "kr6"}, {"network", {{"activation", "gelu"}}}}),
                    "config.network.activation: expected one of relu, silu, tanh, got \"gelu\"");
  CHECK(config_from_json({{"arm", "kr6"}, {"network", {{"encoding", "pose"}}}}).encoding ==
        InputEncoding::kPose);
  CHECK_THROWS_WITH(config_from_json({{"arm", "kr6"}, {"network", {{"encoding", "quat"}}}}),
                    "config.network.encoding: expected one of raw, polar, polar_pitch, pose, got "
                    "\"quat\"");
  CHECK_THROWS_WITH(config_from_json({{"arm", "kr6"}, {"schedule", {{"lr", -1}}}}),
                    Catch::StartsWith("config.schedule.lr: expected a number in"));
  CHECK_THROWS_WITH(config_from_json({{"arm", "kr6"}, {"loss", {{"joint_mse", 0}}}}),
                    "config.loss: expected at least one loss term with a weight > 0, got none");
}

TEST_CASE("learning-rate schedules by hand") {
  ScheduleConfig s;
  s.lr = 1.0;
  s.min_lr = 0.0;
  s.kind = "constant";
  CHECK(scheduled_lr(s, 7, 10) == 1.0);
  s.kind = "step";
  s.step_epochs = 3;
  s.gamma = 0.5;
  CHECK(scheduled_lr(s, 2, 10) == 1.0);
  CHECK(scheduled_lr(s, 3, 10) == 0.5);
  CHECK(scheduled_lr(s, 6, 10) == 0.25);
  s.kind = "cosine";
  CHECK(scheduled_lr(s, 0, 11) == Approx(1.0));
  CHECK(scheduled_lr(s, 5, 11) == Approx(0.5));
  CHECK(scheduled_lr(s, 10, 11) == Approx(0.0).margin(1e-12));
  s.warmup_epochs = 3;
  CHECK(scheduled_lr(s, 0, 11) == Approx(0.25));
  CHECK(scheduled_lr(s, 2, 11) == Approx(0.75));
}
