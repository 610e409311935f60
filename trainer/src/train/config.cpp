#include "train/config.h"

#include <cmath>

#include "neurokin/error.h"
#include "neurokin/json_util.h"

namespace neurokin::train {

namespace ju = json_util;
using nlohmann::json;

namespace {

using json_util::Fields;

template <class Enum, class NameOf>
Enum enum_field(Fields& f, const char* key, Enum current, std::initializer_list<Enum> all, NameOf name_of) {
  std::string name = name_of(current);
  f.string(key, name);
  std::string valid;
  for (Enum e : all) {
    if (name == name_of(e)) return e;
    valid += std::string(valid.empty() ? "" : ", ") + name_of(e);
  }
  throw_expected(f.at(key), "one of " + valid, "\"" + name + "\"");
}

}  // namespace

TrainConfig config_from_json(const json& j) {
  TrainConfig c;
  Fields top(j, "config");
  if (const json* a = top.get("arm")) c.arm = ju::string(*a, top.at("arm"));
  else throw Error("config.arm: missing (required: an arm name or path)");
  top.string("task", c.task);
  if (!c.task.empty()) {
    try {
      task_from_name(c.task);
    } catch (const Error&) {
      throw_expected(top.at("task"), "one of planar_xy, position, position_pitch, pose", "\"" + c.task + "\"");
    }
  }
  top.string("kind", c.kind);
  if (c.kind != "ik" && c.kind != "feasibility" && c.kind != "ik_clustered" && c.kind != "trajectory")
    throw_expected(top.at("kind"), "\"ik\", \"feasibility\", \"ik_clustered\" or \"trajectory\"", "\"" + c.kind + "\"");
  // clustered regression: the k-means settings, read by train/clustered.h
  if (const json* cl = top.get("clusters")) {
    if (c.kind != "ik_clustered")
      throw_expected(top.at("clusters"), "no clusters for kind \"" + c.kind + "\" (set \"kind\": \"ik_clustered\")",
                     ju::describe(*cl));
    ju::require_object(*cl, top.at("clusters"));
    c.clusters = *cl;
  }
  // a trajectory model's step is added to the current joints: angles, one head
  const bool trajectory = c.kind == "trajectory";
  // a classifier decodes class probabilities
  const bool classifier = c.kind == "feasibility";
  if (classifier) c.decoding = OutputDecoding::kSoftmax;
  if (const json* d = top.get("data")) {
    ju::require_object(*d, top.at("data"));
    c.data = *d;
  }
  if (const json* n = top.get("network")) {
    Fields f(*n, top.at("network"));
    if (const json* h = f.get("hidden")) {
      if (!h->is_array() || h->empty() || h->size() > 64)
        throw_expected(f.at("hidden"), "an array of 1 to 64 layer widths", ju::describe(*h));
      c.arch.hidden.clear();
      for (size_t i = 0; i < h->size(); ++i)
        c.arch.hidden.push_back(static_cast<int>(
            ju::integer((*h)[i], f.at("hidden") + "[" + std::to_string(i) + "]", 1, kMaxWidth)));
    }
    c.arch.activation = enum_field(f, "activation", c.arch.activation,
                                   {Activation::kRelu, Activation::kSilu, Activation::kTanh},
                                   activation_name);
    f.integer("gated_blocks", c.arch.gated_blocks, 0, 64);
    c.arch.gated_activation = enum_field(f, "gated_activation", c.arch.gated_activation,
                                         {Activation::kRelu, Activation::kSilu, Activation::kTanh},
                                         activation_name);
    c.encoding = enum_field(f, "encoding", c.encoding,
                            {InputEncoding::kRaw, InputEncoding::kPolar, InputEncoding::kPolarPitch,
                             InputEncoding::kPose},
                            encoding_name);
    c.decoding = classifier   ? enum_field(f, "decoding", c.decoding, {OutputDecoding::kSoftmax}, decoding_name)
                 : trajectory ? enum_field(f, "decoding", c.decoding, {OutputDecoding::kAngles}, decoding_name)
                              : enum_field(f, "decoding", c.decoding,
                                           {OutputDecoding::kAngles, OutputDecoding::kSinCos}, decoding_name);
    f.number("dropout", c.dropout, 0.0, 0.9);
    if (const json* b = f.get("branches")) {
      if (classifier || trajectory || !b->is_array() || b->size() < 2 || b->size() > static_cast<size_t>(kMaxBranches))
        throw_expected(f.at("branches"),
                       classifier || trajectory ? "no branches for kind \"" + c.kind + "\""
                                  : "an array of 2 to " + std::to_string(kMaxBranches) + " branch names",
                       ju::describe(*b));
      for (size_t i = 0; i < b->size(); ++i)
        c.branches.push_back(ju::string((*b)[i], f.at("branches") + "[" + std::to_string(i) + "]"));
    }
  }
  if (const json* l = top.get("loss")) {
    Fields f(*l, top.at("loss"));
    f.number("joint_mse", c.loss.joint_mse, 0, 1e6);
    f.number("sincos", c.loss.sincos, 0, 1e6);
    f.number("fk_position", c.loss.fk_position, 0, 1e6);
    f.number("fk_orientation", c.loss.fk_orientation, 0, 1e6);
    f.number("hard_alpha", c.loss.hard_alpha, 0, 1e3);
    f.boolean("curriculum", c.loss.curriculum);
    f.boolean("adaptive", c.loss.adaptive);
    f.number("hard_mining", c.loss.hard_mining, 0, 0.9);
    f.number("limits", c.loss.limits, 0, 1e6);
    f.number("huber_position", c.loss.huber_position, 0, 1e3);
    f.number("huber_orientation", c.loss.huber_orientation, 0, 10);
    f.number("branch", c.loss.branch, 0, 1e6);
    f.number("reachability", c.loss.reachability, 0, 1e3);
    if (c.loss.joint_mse + c.loss.sincos + c.loss.fk_position + c.loss.fk_orientation <= 0)
      throw_expected(top.at("loss"), "at least one loss term with a weight > 0", "none");
  }
  if (const json* o = top.get("optimizer")) {
    Fields f(*o, top.at("optimizer"));
    f.number("beta1", c.optimizer.beta1, 0, 0.9999);
    f.number("beta2", c.optimizer.beta2, 0, 0.999999);
    f.number("eps", c.optimizer.eps, 1e-12, 1);
    f.number("weight_decay", c.optimizer.weight_decay, 0, 1);
    f.number("clip_norm", c.optimizer.clip_norm, 0, 1e6);
    f.number("ema_decay", c.optimizer.ema_decay, 0, 0.999999);
  }
  if (const json* s = top.get("schedule")) {
    Fields f(*s, top.at("schedule"));
    f.string("kind", c.schedule.kind);
    if (c.schedule.kind != "constant" && c.schedule.kind != "step" && c.schedule.kind != "cosine" &&
        c.schedule.kind != "plateau")
      throw_expected(f.at("kind"), "one of constant, step, cosine, plateau",
                     "\"" + c.schedule.kind + "\"");
    f.number("lr", c.schedule.lr, 1e-9, 10);
    f.number("min_lr", c.schedule.min_lr, 0, 10);
    f.integer("warmup_epochs", c.schedule.warmup_epochs, 0, 100000);
    f.integer("step_epochs", c.schedule.step_epochs, 1, 100000);
    f.number("gamma", c.schedule.gamma, 1e-6, 1);
    f.integer("patience", c.schedule.patience, 1, 100000);
  }
  top.integer("epochs", c.epochs, 1, 1000000);
  top.integer("batch", c.batch, 1, 1 << 20);
  if (const json* s = top.get("seed")) c.seed = static_cast<std::uint64_t>(ju::integer(*s, top.at("seed"), 0, 1LL << 53));
  top.integer("threads", c.threads, 0, 1024);
  top.string("init", c.init);
  return c;
}

json config_to_json(const TrainConfig& c) {
  json j{
      {"arm", c.arm},
      {"kind", c.kind},
      {"data", c.data},
      {"network",
       {{"hidden", c.arch.hidden},
        {"activation", activation_name(c.arch.activation)},
        {"gated_blocks", c.arch.gated_blocks},
        {"gated_activation", activation_name(c.arch.gated_activation)},
        {"encoding", encoding_name(c.encoding)},
        {"decoding", decoding_name(c.decoding)},
        {"dropout", c.dropout}}},
      {"loss",
       {{"joint_mse", c.loss.joint_mse},
        {"sincos", c.loss.sincos},
        {"fk_position", c.loss.fk_position},
        {"fk_orientation", c.loss.fk_orientation},
        {"hard_alpha", c.loss.hard_alpha},
        {"curriculum", c.loss.curriculum},
        {"adaptive", c.loss.adaptive},
        {"hard_mining", c.loss.hard_mining},
        {"limits", c.loss.limits},
        {"huber_position", c.loss.huber_position},
        {"huber_orientation", c.loss.huber_orientation}}},
      {"optimizer",
       {{"beta1", c.optimizer.beta1},
        {"beta2", c.optimizer.beta2},
        {"eps", c.optimizer.eps},
        {"weight_decay", c.optimizer.weight_decay},
        {"clip_norm", c.optimizer.clip_norm},
        {"ema_decay", c.optimizer.ema_decay}}},
      {"schedule",
       {{"kind", c.schedule.kind},
        {"lr", c.schedule.lr},
        {"min_lr", c.schedule.min_lr},
        {"warmup_epochs", c.schedule.warmup_epochs},
        {"step_epochs", c.schedule.step_epochs},
        {"gamma", c.schedule.gamma},
        {"patience", c.schedule.patience}}},
      {"epochs", c.epochs},
      {"batch", c.batch},
      {"seed", c.seed},
      {"threads", c.threads}};
  // only when used, so that configs (and checkpoints) from before read the same
  if (!c.task.empty()) j["task"] = c.task;
  if (!c.branches.empty()) {
    j["network"]["branches"] = c.branches;
    j["loss"]["branch"] = c.loss.branch;
  }
  if (c.loss.reachability > 0) j["loss"]["reachability"] = c.loss.reachability;
  if (c.kind == "ik_clustered") j["clusters"] = c.clusters;
  if (!c.init.empty()) j["init"] = c.init;
  return j;
}

Arm config_arm(const TrainConfig& c) {
  const Arm arm = load_arm(c.arm);
  return c.task.empty() ? arm : with_task(arm, task_from_name(c.task));
}

void apply_override(json& j, const std::string& assignment) {
  const size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw_expected("--set", "KEY.PATH=VALUE", "\"" + assignment + "\"");
  const std::string path = assignment.substr(0, eq), text = assignment.substr(eq + 1);
  json value;
  try {
    value = json::parse(text);
  } catch (const json::parse_error&) {
    value = text;  // a bare word is a string: --set schedule.kind=cosine
  }
  json* node = &j;
  size_t start = 0;
  for (;;) {
    const size_t dot = path.find('.', start);
    const std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (key.empty()) throw_expected("--set " + path, "a dotted path of field names", "an empty name");
    if (!node->is_object()) throw Error("--set " + path + ": '" + key + "' is inside a non-object");
    if (dot == std::string::npos) {
      (*node)[key] = value;
      return;
    }
    node = &(*node)[key];
    if (node->is_null()) *node = json::object();
    start = dot + 1;
  }
}

double scheduled_lr(const ScheduleConfig& s, int epoch, int epochs) {
  if (epoch < s.warmup_epochs) return s.lr * (epoch + 1) / (s.warmup_epochs + 1);
  if (s.kind == "step") return s.lr * std::pow(s.gamma, (epoch - s.warmup_epochs) / s.step_epochs);
  if (s.kind == "cosine") {
    // cosine annealing (Loshchilov & Hutter 2017) from lr to min_lr over the remaining epochs
    const double span = std::max(1, epochs - s.warmup_epochs - 1);
    const double t = std::min(1.0, (epoch - s.warmup_epochs) / span);
    return s.min_lr + 0.5 * (s.lr - s.min_lr) * (1 + std::cos(M_PI * t));
  }
  return s.lr;  // constant; plateau starts here and is lowered by the trainer
}

}  // namespace neurokin::train
