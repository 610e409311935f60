#include "ablate/study.h"

#include <algorithm>
#include <cmath>

#include "neurokin/error.h"
#include "train/config.h"

namespace neurokin::ablate {

using nlohmann::json;

namespace {

// seed 000's A-4.3.2 pipeline, the base of its A-4.4: an MLP with ReLU and Adam on joint MSE
// plus the hard-sample weighted FK position loss (lambda_fk = 1, alpha = 1), angles out; here
// on kr6's position only, so that the FK loss and the joints are what the seed compared.
// 100 epochs: the curriculum's length.
Study fk_weight() {
  Study s{"fk-weight", "kr6", "FK loss weight on kr6, position only (seed 000, A-4.4)", "000 A-4.4", json::parse(R"({
    "arm": "kr6", "task": "position",
    "data": {"n": 50000, "seed": 1, "sampling": "uniform", "val_share": 0.1, "test_share": 0.1},
    "network": {"hidden": [256, 256, 256], "activation": "relu", "encoding": "raw", "decoding": "angles"},
    "loss": {"joint_mse": 1, "fk_position": 1, "hard_alpha": 1},
    "schedule": {"kind": "cosine", "lr": 1e-3, "min_lr": 1e-5},
    "epochs": 100, "batch": 512, "seed": 1, "threads": 1})")};
  s.variants = {{"mse-only", "MSE only (A-4.4.1)", {"loss.fk_position=0"}},
                {"fk-only", "FK only (A-4.4.2)", {"loss.joint_mse=0"}}};
  for (const char* lambda : {"5", "2", "1", "0.5", "0.1", "0"}) {
    Variant v{std::string("lambda-") + lambda, std::string("lambda_fk = ") + lambda, {}};
    if (std::string(lambda) != "1") v.overrides.push_back(std::string("loss.fk_position=") + lambda);
    s.variants.push_back(v);
  }
  s.columns = {{"FK mean (mm)", "/result/position_mean_mm"},
               {"FK p95 (mm)", "/result/position_p95_mm"},
               {"FK p99 (mm)", "/result/position_p99_mm"},
               {"FK max (mm)", "/result/position_max_mm"},
               {"joint MSE (rad^2)", "/network/joint_mse_rad2", 3},
               {"outside limits (%)", "/network/outside_limits_share", 1, 100}};
  s.variants.push_back({"curriculum", "curriculum, lambda_max = 1 (A-4.4.4)", {"loss.curriculum=true"}});
  return s;
}

// seed 001's model, at a size one core trains in minutes: polar input features, a projection
// and gated residual blocks (SiLU), sin/cos outputs, Cartesian + angle loss with adaptive
// weights, hard example mining, EMA, focus-path samples, then a few DLS iterations
Study seed001() {
  Study s{"seed001", "puma3", "Seed 001's pieces on puma3", "001", json::parse(R"({
    "arm": "puma3",
    "data": {"n": 120000, "seed": 1, "sampling": "lhs",
             "branch_preference": ["shoulder_front_elbow_up", "shoulder_back_elbow_up", "shoulder_back_elbow_down"],
             "focus": {"centre": [0.45, -0.15, 0.9], "radius": 0.2, "normal": [1, 0, 0], "share": 0.05,
                       "jitter": 0.005},
             "val_share": 0.05, "test_share": 0.05},
    "network": {"hidden": [256], "activation": "silu", "gated_blocks": 4, "gated_activation": "silu",
                "encoding": "polar", "decoding": "sincos"},
    "loss": {"sincos": 1, "fk_position": 1, "adaptive": true, "hard_mining": 0.05, "limits": 10},
    "optimizer": {"weight_decay": 1e-5, "clip_norm": 5, "ema_decay": 0.999},
    "schedule": {"kind": "cosine", "lr": 1e-3, "min_lr": 1e-5, "warmup_epochs": 1},
    "epochs": 15, "batch": 512, "seed": 1, "threads": 1})")};
  s.refine_iterations = 3;
  s.columns = {{"RMSE (mm)", "/result/position_rmse_mm"},
               {"mean (mm)", "/result/position_mean_mm"},
               {"p95 (mm)", "/result/position_p95_mm"},
               {"p99 (mm)", "/result/position_p99_mm"},
               {"max (mm)", "/result/position_max_mm"},
               {"network RMSE (mm)", "/network/position_rmse_mm"},
               {"network joint error (deg)", "/network/joint_mae_rad", 2, 180 / M_PI},
               {"focus path RMSE, network (mm)", "/focus_path/position_rmse_mm"},
               {"parameters", "/parameters", 0}};
  s.variants = {{"full", "all of seed 001's pieces", {}},
                {"no-hard-mining", "without hard mining", {"loss.hard_mining=0"}},
                {"fixed-weights", "fixed instead of adaptive loss weights", {"loss.adaptive=false"}},
                {"no-refinement", "without refinement", {}, false},
                // each gated block replaced by a plain dense layer of the same width
                {"no-gating", "without gating / residuals",
                 {"network.hidden=[256,256,256,256,256]", "network.gated_blocks=0"}}};
  return s;
}

}  // namespace

const std::vector<std::string>& study_names() {
  static const std::vector<std::string> names{"fk-weight", "seed001"};
  return names;
}

Study find_study(const std::string& name, const std::string& arm) {
  Study s;
  if (name == "fk-weight") s = fk_weight();
  else if (name == "seed001") s = seed001();
  else {
    std::string valid;
    for (const auto& n : study_names()) valid += (valid.empty() ? "" : ", ") + n;
    throw_expected("--study", "one of " + valid, "\"" + name + "\"");
  }
  if (!arm.empty() && arm != s.arm)
    throw Error("study '" + name + "' is on arm " + s.arm + ", got --arm " + arm + " (it reproduces seed " +
                s.seed + " on " + s.arm + ")");
  return s;
}

Study scaled(Study s, double scale) {
  if (!(scale > 0 && scale <= 1)) throw_expected("--scale", "a number in (0, 1]", std::to_string(scale));
  if (scale == 1) return s;
  const auto times = [scale](double v, double least) { return std::max(least, std::round(v * scale)); };
  s.base["data"]["n"] = static_cast<long long>(times(s.base["data"]["n"].get<double>(), 200));
  s.base["epochs"] = static_cast<int>(times(s.base["epochs"].get<double>(), 2));
  s.eval_n = static_cast<long long>(times(static_cast<double>(s.eval_n), 50));
  return s;
}

json variant_config(const Study& s, const Variant& v) {
  json j = s.base;
  for (const auto& o : v.overrides) train::apply_override(j, o);
  return j;
}

}  // namespace neurokin::ablate
