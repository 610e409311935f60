#include "train/trainer.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <numeric>
#include <optional>

#include "io/atomic_file.h"
#include "neurokin/error.h"
#include "neurokin/json_util.h"
#include "neurokin/conditioning.h"
#include "neurokin/kinematics.h"
#include "neurokin/random.h"
#include "train/branches.h"
#include "train/mlp.h"

namespace neurokin::train {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

// ctrl-c ends the run between two batches; the last epoch's checkpoint stays as it was
std::atomic<bool> g_interrupted{false};
extern "C" void on_sigint(int) { g_interrupted = true; }

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// adaptive balancing (seed 001): each active term's weight divided by its running mean, so each
// term counts by its relative change (the gradient of sum_t base_t log MS_t). The task-space
// terms, FK position and orientation, are balanced as one: divided by their configured blend
// base_p MS_p + base_o MS_o (over base_p + base_o), so the two keep the ratio the config gives
// them. Apart, the log form drives the position on towards zero at the cost of the other: omx4
// ended at 0.24 mm but a 10.9 deg pitch, worse than after its first epoch.
void balance(const std::array<double, 4>& base, const std::array<double, 4>& running, LossWeights& w) {
  if (w.joint > 0 && running[0] > 0) w.joint /= running[0];
  if (w.sincos > 0 && running[1] > 0) w.sincos /= running[1];
  const double pos = base[2] > 0 ? base[2] : 0, ori = base[3] > 0 ? base[3] : 0;
  const double task = pos + ori > 0 ? (pos * running[2] + ori * running[3]) / (pos + ori) : 0;
  if (task > 0) w.fk_position /= task, w.fk_orientation /= task;
}

// ---- checkpoint: magic, a JSON header (the trainer's state), the engine's blob ----------

constexpr char kCheckpointMagic[8] = {'N', 'K', 'C', 'K', 'P', 'T', '0', '1'};

void write_checkpoint(const std::string& path, const json& header, const std::string& blob) {
  const std::string h = header.dump();
  std::string out(kCheckpointMagic, 8);
  const auto put_u64 = [&](std::uint64_t v) { out.append(reinterpret_cast<const char*>(&v), 8); };
  put_u64(h.size());
  out += h;
  put_u64(blob.size());
  out += blob;
  io::write_file_atomic(path, out);
}

void read_checkpoint(const std::string& path, json& header, std::string& blob) {
  const std::string data = json_util::read_file(path, "checkpoint", std::size_t(1) << 32);
  const auto fail = [&](const std::string& what) { throw Error("checkpoint '" + path + "': " + what); };
  if (data.size() < 24 || std::memcmp(data.data(), kCheckpointMagic, 8) != 0)
    fail("not a neurokin checkpoint (bad magic)");
  std::uint64_t hn = 0, bn = 0;
  std::memcpy(&hn, data.data() + 8, 8);
  if (hn > data.size() - 24) fail("truncated header");
  header = json_util::parse(data.substr(16, hn), "checkpoint '" + path + "' header");
  std::memcpy(&bn, data.data() + 16 + hn, 8);
  if (bn != data.size() - 24 - hn) fail("truncated (expected " + std::to_string(bn) + " bytes of state)");
  blob = data.substr(24 + hn);
}

// ---- normalisation ------------------------------------------------------------------------

void mean_std(const std::vector<float>& v, int width, const std::vector<int>& rows, Eigen::VectorXf& mean,
              Eigen::VectorXf& std) {
  Eigen::VectorXd s = Eigen::VectorXd::Zero(width), s2 = Eigen::VectorXd::Zero(width);
  for (int r : rows)
    for (int i = 0; i < width; ++i) {
      const double x = v[static_cast<size_t>(r) * width + i];
      s[i] += x;
      s2[i] += x * x;
    }
  const double n = std::max<size_t>(rows.size(), 1);
  mean = (s / n).cast<float>();
  std.resize(width);
  for (int i = 0; i < width; ++i) {
    const double var = std::max(0.0, s2[i] / n - (s[i] / n) * (s[i] / n));
    // a constant feature (planar z, a fixed quaternion sign) is passed through unscaled
    std[i] = var > 1e-12 ? static_cast<float>(std::sqrt(var)) : 1.0f;
  }
}

std::vector<float> encode_all(const Samples& d, InputEncoding enc, const Eigen::VectorXf* mean,
                              const Eigen::VectorXf* std) {
  const int in = d.input_size(), e = encoded_size(enc, in);
  std::vector<float> f(d.size() * e), row(in);
  for (size_t r = 0; r < d.size(); ++r) {
    float* fr = &f[r * e];
    d.input_row(r, row.data());
    encode_features(enc, in, row.data(), fr);
    if (mean)
      for (int i = 0; i < e; ++i) fr[i] = (fr[i] - (*mean)[i]) / (*std)[i];
  }
  return f;
}

// a trajectory dataset's steps, next - current joints (n x dof)
std::vector<float> steps(const Samples& d) {
  std::vector<float> dq(d.q.size());
  for (std::size_t i = 0; i < dq.size(); ++i) dq[i] = d.q[i] - d.q_current[i];
  return dq;
}

json curves_to_json(const std::vector<EpochStats>& log) {
  json c = json::object();
  const auto col = [&](const char* name, auto get) {
    json a = json::array();
    for (const auto& e : log) a.push_back(get(e));
    c[name] = a;
  };
  col("epoch", [](const EpochStats& e) { return e.epoch; });
  col("lr", [](const EpochStats& e) { return e.lr; });
  col("loss", [](const EpochStats& e) { return e.loss; });
  col("joint", [](const EpochStats& e) { return e.terms.joint; });
  col("sincos", [](const EpochStats& e) { return e.terms.sincos; });
  col("fk_position", [](const EpochStats& e) { return e.terms.fk_position; });
  col("fk_orientation", [](const EpochStats& e) { return e.terms.fk_orientation; });
  col("grad_norm", [](const EpochStats& e) { return e.grad_norm; });
  col("val_mean_mm", [](const EpochStats& e) { return e.val_mean_mm; });
  col("val_p95_mm", [](const EpochStats& e) { return e.val_p95_mm; });
  col("val_max_mm", [](const EpochStats& e) { return e.val_max_mm; });
  col("val_rot_mean_deg", [](const EpochStats& e) { return e.val_rot_mean_deg; });
  col("val_accuracy", [](const EpochStats& e) { return e.val_accuracy; });
  col("val_cross_entropy", [](const EpochStats& e) { return e.val_cross_entropy; });
  col("samples_per_s", [](const EpochStats& e) { return e.samples_per_s; });
  col("seconds", [](const EpochStats& e) { return e.seconds; });
  return c;
}

std::vector<EpochStats> curves_from_json(const json& c) {
  std::vector<EpochStats> log(c.at("epoch").size());
  for (size_t i = 0; i < log.size(); ++i) {
    EpochStats& e = log[i];
    e.epoch = c["epoch"][i];
    e.lr = c["lr"][i];
    e.loss = c["loss"][i];
    e.terms = {c["joint"][i], c["sincos"][i], c["fk_position"][i], c["fk_orientation"][i]};
    e.grad_norm = c["grad_norm"][i];
    e.val_mean_mm = c["val_mean_mm"][i];
    e.val_p95_mm = c["val_p95_mm"][i];
    e.val_max_mm = c["val_max_mm"][i];
    e.val_rot_mean_deg = c["val_rot_mean_deg"][i];
    if (c.contains("val_accuracy")) e.val_accuracy = c["val_accuracy"][i], e.val_cross_entropy = c["val_cross_entropy"][i];
    e.samples_per_s = c["samples_per_s"][i];
    e.seconds = c["seconds"][i];
  }
  return log;
}

std::string csv_log(const std::vector<EpochStats>& log) {
  std::string s =
      "epoch,lr,loss,joint,sincos,fk_position,fk_orientation,grad_norm,val_mean_mm,val_p95_mm,"
      "val_max_mm,val_rot_mean_deg,val_accuracy,val_cross_entropy,samples_per_s,seconds\n";
  char line[512];
  for (const auto& e : log) {
    std::snprintf(line, sizeof line, "%d,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.0f,%.3f\n",
                  e.epoch, e.lr, e.loss, e.terms.joint, e.terms.sincos, e.terms.fk_position,
                  e.terms.fk_orientation, e.grad_norm, e.val_mean_mm, e.val_p95_mm, e.val_max_mm,
                  e.val_rot_mean_deg, e.val_accuracy, e.val_cross_entropy, e.samples_per_s, e.seconds);
    s += line;
  }
  return s;
}

std::string clock_text(double s) {
  char b[32];
  const int t = static_cast<int>(s + 0.5);
  if (t >= 3600) std::snprintf(b, sizeof b, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
  else std::snprintf(b, sizeof b, "%d:%02d", t / 60, t % 60);
  return b;
}

}  // namespace

void Samples::input_row(std::size_t r, float* in) const {
  std::copy_n(&x[r * task_size], task_size, in);
  if (!q_current.empty()) std::copy_n(&q_current[r * dof], dof, in + task_size);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(std::ceil(p / 100.0 * v.size())) - (p > 0 ? 1 : 0));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

// the split's rows as the trainer's train / validation / test lists
static void assign_split(const data::Split& split, Samples& s) {
  const auto& o = split.order;
  s.train.assign(o.begin(), o.begin() + split.train);
  s.val.assign(o.begin() + split.train, o.begin() + split.train + split.val);
  s.test.assign(o.begin() + split.train + split.val, o.end());
}

// targets and the joints to learn (n x task_size, n x dof), and the split
static Samples ik_rows(int task_size, int dof, std::vector<float>&& x, std::vector<float>&& q,
                       const data::Split& split) {
  Samples s;
  s.task_size = task_size;
  s.dof = dof;
  s.x = std::move(x);
  s.q = std::move(q);
  assign_split(split, s);
  return s;
}

Samples to_samples(data::Dataset&& d) {
  Samples s = ik_rows(d.task_size, d.dof, std::move(d.targets), std::move(d.joints), d.split);
  s.branch = std::move(d.branch);
  s.branch_names = d.report.branches;
  char hash[20];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(d.hash));
  s.report = {{"config", data::data_config_to_json(d.config)},
              {"hash", hash},
              {"n", d.n},
              {"split", {{"train", d.split.train}, {"validation", d.split.val}, {"test", d.split.test}}},
              {"branches", data::branch_report_to_json(d.report)}};
  return s;
}

Samples to_samples(data::FeasibilityData&& d) {
  Samples s;
  s.task_size = d.task_size;
  s.x = std::move(d.targets);
  s.label = d.learned();
  s.pose_label = std::move(d.label);
  s.sample_label = std::move(d.sample_label);
  s.source.resize(d.source.size());
  std::transform(d.source.begin(), d.source.end(), s.source.begin(),
                 [](data::PoseSource p) { return static_cast<std::uint8_t>(p); });
  s.margin = std::move(d.margin);
  assign_split(d.split, s);
  s.report = std::move(d.report);
  return s;
}

Samples to_samples(data::TrajectoryData&& d) {
  Samples s = ik_rows(d.task_size, d.dof, std::move(d.targets), std::move(d.next), d.split);
  s.q_current = std::move(d.current);
  s.report = std::move(d.report);
  return s;
}

ClassStats evaluate_classifier(const Model& model, const Samples& d, const std::vector<int>& rows) {
  ClassStats st;
  const int classes = model.net.output_size();
  st.n = rows.size();
  st.confusion.assign(classes, std::vector<std::size_t>(classes, 0));
  st.precision.assign(classes, 0.0);
  st.recall.assign(classes, 0.0);
  if (rows.empty()) return st;
  Workspace ws(model.net);
  std::vector<float> p(classes);
  double ce = 0;
  const bool sourced = d.source.size() == d.label.size() && d.sample_label.size() == d.label.size() &&
                       d.pose_label.size() == d.label.size();
  const bool margined = d.margin.size() == d.label.size();
  constexpr int kBuckets = std::size(ClassStats::kMarginEdges);
  if (sourced) st.binary_errors_by_source.assign(3, 0), st.rows_by_source.assign(3, 0);
  if (margined) st.margin_rows.assign(kBuckets, 0), st.margin_errors.assign(kBuckets, 0);
  std::size_t sample_right = 0, pose_right = 0;
  for (int r : rows) {
    predict(model.net, ws, &d.x[static_cast<size_t>(r) * d.task_size], 1, p.data());
    const int label = d.label[r];
    const int cls = static_cast<int>(std::max_element(p.begin(), p.end()) - p.begin());
    ++st.confusion[label][cls];
    ce -= std::log(std::max(p[label], 1e-30f));
    const bool wrong = (label == 0) != (cls == 0);
    st.binary_errors += wrong;
    if (sourced) {
      ++st.rows_by_source[d.source[r]];
      st.binary_errors_by_source[d.source[r]] += wrong;
      sample_right += cls == d.sample_label[r];
      pose_right += cls == d.pose_label[r];
    }
    if (margined && label == 0) {
      int b = kBuckets - 1;
      while (b > 0 && d.margin[r] < ClassStats::kMarginEdges[b]) --b;
      ++st.margin_rows[b];
      st.margin_errors[b] += wrong;
    }
  }
  st.sample_label_accuracy = sourced ? double(sample_right) / rows.size() : 0.0;
  st.pose_label_accuracy = sourced ? double(pose_right) / rows.size() : 0.0;
  std::size_t right = 0;
  for (int k = 0; k < classes; ++k) {
    std::size_t row = 0, col = 0;
    for (int j = 0; j < classes; ++j) row += st.confusion[k][j], col += st.confusion[j][k];
    right += st.confusion[k][k];
    st.recall[k] = row ? double(st.confusion[k][k]) / row : 0.0;
    st.precision[k] = col ? double(st.confusion[k][k]) / col : 0.0;
  }
  const double n = static_cast<double>(rows.size());
  st.accuracy = right / n;
  st.binary_accuracy = 1.0 - st.binary_errors / n;
  st.cross_entropy = ce / n;
  return st;
}

json to_json(const ClassStats& s) {
  json classes = json::array();
  for (std::size_t k = 0; k < s.precision.size(); ++k)
    classes.push_back({{"class", k},
                       {"name", s.precision.size() == kFeasibilityClasses ? feasibility_name(static_cast<Feasibility>(k)) : "-"},
                       {"precision", s.precision[k]},
                       {"recall", s.recall[k]}});
  json j{{"n", s.n},
         {"accuracy", s.accuracy},
         {"binary_accuracy", s.binary_accuracy},
         {"binary_errors", s.binary_errors},
         {"cross_entropy", s.cross_entropy},
         {"confusion", s.confusion},
         {"classes", classes}};
  if (!s.rows_by_source.empty()) {
    json by = json::object();
    const char* names[3] = {"reachable", "unreachable_inside", "unreachable_outside"};
    for (int k = 0; k < 3; ++k)
      by[names[k]] = {{"rows", s.rows_by_source[k]}, {"binary_errors", s.binary_errors_by_source[k]}};
    j["binary_errors_by_source"] = by;
    j["pose_label_accuracy"] = s.pose_label_accuracy;
    j["sample_label_accuracy"] = s.sample_label_accuracy;
  }
  if (!s.margin_rows.empty()) {
    json by = json::array();
    for (std::size_t b = 0; b < s.margin_rows.size(); ++b)
      by.push_back({{"from", ClassStats::kMarginEdges[b]},
                    {"to", b + 1 < s.margin_rows.size() ? json(ClassStats::kMarginEdges[b + 1]) : json(nullptr)},
                    {"rows", s.margin_rows[b]},
                    {"binary_errors", s.margin_errors[b]}});
    j["unreachable_by_distance"] = by;
  }
  return j;
}

json to_json(const ErrorStats& s) {
  json j{{"n", s.n},
              {"position_mean_mm", s.mean_m * 1e3},
              {"position_std_mm", s.std_m * 1e3},
              {"position_rmse_mm", s.rmse_m * 1e3},
              {"position_p50_mm", s.p50_m * 1e3},
              {"position_p95_mm", s.p95_m * 1e3},
              {"position_p99_mm", s.p99_m * 1e3},
              {"position_max_mm", s.max_m * 1e3},
              {"position_within_5mm_share", s.within_5mm},
              {"orientation_mean_deg", s.rot_mean_deg},
              {"orientation_p95_deg", s.rot_p95_deg},
              {"orientation_max_deg", s.rot_max_deg},
              {"joint_mse_rad2", s.joint_mse},
              {"joint_mae_rad", s.joint_mae},
              {"outside_limits_share", s.outside_limits}};
  if (s.branch_agreement >= 0) j["branch_agreement"] = s.branch_agreement;
  return j;
}

void summarise_errors(const std::vector<double>& pos, const std::vector<double>& rot_deg, ErrorStats& st) {
  st.n = pos.size();
  if (pos.empty()) return;
  const double n = static_cast<double>(pos.size());
  st.mean_m = std::accumulate(pos.begin(), pos.end(), 0.0) / n;
  double ss = 0;
  std::size_t within = 0;
  for (double p : pos) ss += p * p, within += p <= 5e-3;
  st.within_5mm = within / n;
  st.rmse_m = std::sqrt(ss / n);
  st.std_m = std::sqrt(std::max(0.0, ss / n - st.mean_m * st.mean_m));
  st.p50_m = percentile(pos, 50);
  st.p95_m = percentile(pos, 95);
  st.p99_m = percentile(pos, 99);
  st.max_m = *std::max_element(pos.begin(), pos.end());
  st.rot_mean_deg = std::accumulate(rot_deg.begin(), rot_deg.end(), 0.0) / n;
  st.rot_p95_deg = percentile(rot_deg, 95);
  st.rot_max_deg = *std::max_element(rot_deg.begin(), rot_deg.end());
}

ErrorStats answer_errors(const Arm& arm, const Samples& d, const std::vector<int>& rows,
                         const std::vector<float>& answers, std::vector<double>* position_error_m) {
  ErrorStats st;
  st.n = rows.size();
  if (rows.empty()) return st;
  std::vector<double> pos(rows.size()), rot(rows.size());
  double jse = 0, jae = 0;
  for (size_t k = 0; k < rows.size(); ++k) {
    const size_t r = rows[k];
    Eigen::VectorXd qd = Eigen::Map<const Eigen::VectorXf>(&answers[k * arm.dof()], arm.dof()).cast<double>();
    st.outside_limits += !wrap_into_limits(arm, qd);
    const Eigen::VectorXd target =
        Eigen::Map<const Eigen::VectorXf>(&d.x[r * d.task_size], d.task_size).cast<double>();
    const TaskError e = task_error(arm, fk(arm, qd), target);
    pos[k] = e.position_error;
    rot[k] = e.orientation_error * 180.0 / M_PI;
    for (int i = 0; i < arm.dof(); ++i) {
      const double dq = wrap_angle(qd[i] - d.q[r * arm.dof() + i]);
      jse += dq * dq;
      jae += std::abs(dq);
    }
  }
  if (position_error_m) *position_error_m = pos;
  const double n = static_cast<double>(rows.size());
  summarise_errors(pos, rot, st);
  st.outside_limits /= n;
  st.joint_mse = jse / (n * arm.dof());
  st.joint_mae = jae / (n * arm.dof());
  return st;
}

ErrorStats evaluate(const Model& model, const Samples& d, const std::vector<int>& rows,
                    std::vector<double>* position_error_m) {
  const Arm& arm = model.arm;
  Workspace ws(model.net);
  std::vector<float> answers(rows.size() * arm.dof());
  // branch heads: which head each dataset branch is, to count answers on the canonical one
  const int heads = model.net.heads();
  const std::vector<int> head_of = data::positions_in(d.branch_names, model.net.branches);
  std::vector<float> qs(static_cast<size_t>(heads) * arm.dof()), ps(heads), x(d.input_size());
  std::size_t agree = 0;
  for (size_t k = 0; k < rows.size(); ++k) {
    const size_t r = rows[k];
    float* q = &answers[k * arm.dof()];
    d.input_row(r, x.data());  // the target, for trajectory models then the current joints
    if (heads > 1) {
      predict_branches(model.net, ws, x.data(), 1, qs.data(), ps.data());
      const int h = static_cast<int>(std::max_element(ps.begin(), ps.end()) - ps.begin());
      std::copy_n(&qs[static_cast<size_t>(h) * arm.dof()], arm.dof(), q);
      const int b = r < d.branch.size() ? d.branch[r] : -1;
      agree += b >= 0 && b < static_cast<int>(head_of.size()) && head_of[b] == h;
    } else {
      predict(model.net, ws, x.data(), 1, q);
    }
  }
  ErrorStats st = answer_errors(arm, d, rows, answers, position_error_m);
  if (heads > 1 && !rows.empty()) st.branch_agreement = agree / static_cast<double>(rows.size());
  return st;
}

namespace {

// fine-tuning: `net` (fresh from the config) takes the weights and normalisation of a trained
// network of the same shape; anything else is an error naming what differs
void start_from(const Model& init, Model& model, const std::string& where) {
  Network& net = model.net;
  const Network& from = init.net;
  const auto differ = [&](const std::string& what, const std::string& want, const std::string& got) {
    throw_expected(where + ": " + what, want + " (this config)", got + " (the model)");
  };
  if (init.kind != model.kind) differ("kind", model_kind_name(model.kind), model_kind_name(init.kind));
  if (init.arm.name != model.arm.name) differ("arm", model.arm.name, init.arm.name);
  if (from.input_size != net.input_size) differ("input size", std::to_string(net.input_size), std::to_string(from.input_size));
  if (from.encoding != net.encoding) differ("encoding", encoding_name(net.encoding), encoding_name(from.encoding));
  if (from.decoding != net.decoding) differ("decoding", decoding_name(net.decoding), decoding_name(from.decoding));
  const auto names = [](const std::vector<std::string>& v) { return fmt::format("[{}]", fmt::join(v, ", ")); };
  if (from.branches != net.branches) differ("branch heads", names(net.branches), names(from.branches));
  const auto shape = [](const std::vector<Layer>& layers) {
    std::string s;
    for (const Layer& l : layers)
      s += std::string(s.empty() ? "" : ", ") + layer_type_name(l.type) +
           (l.type == Layer::Type::kActivation ? std::string(" ") + activation_name(l.act)
                                               : " " + std::to_string(l.in) + "->" + std::to_string(l.out));
    return s;
  };
  if (shape(from.layers) != shape(net.layers)) differ("layers", shape(net.layers), shape(from.layers));
  net.in_mean = from.in_mean, net.in_std = from.in_std;
  net.out_mean = from.out_mean, net.out_std = from.out_std;
  net.layers = from.layers;
}

}  // namespace

Model train_model(const TrainConfig& cfg, const Arm& arm, const Samples& data, const TrainOptions& opt) {
  if (cfg.kind == "ik_clustered")
    throw_expected("config.kind", "\"ik\", \"feasibility\" or \"trajectory\" for one network",
                   "\"ik_clustered\" (several networks: train/clustered.h train_clustered)");
  const bool classifier = cfg.kind == "feasibility", trajectory = cfg.kind == "trajectory";
  if (trajectory != !data.q_current.empty())
    throw_expected("training data", trajectory ? "current joints for kind \"trajectory\"" : "no current joints for kind \"" + cfg.kind + "\"",
                   data.q_current.empty() ? "none" : std::to_string(data.q_current.size() / std::max(data.dof, 1)) + " rows");
  if (data.task_size != task_size(arm.task) || data.dof != (classifier ? 0 : arm.dof()))
    throw_expected("training data", "task size " + std::to_string(task_size(arm.task)) + " and " +
                                        std::to_string(arm.dof()) + " joints (" + arm.name + ")",
                   std::to_string(data.task_size) + " and " + std::to_string(data.dof));
  if (classifier && data.label.size() != data.x.size() / std::max(data.task_size, 1))
    throw_expected("training data labels", std::to_string(data.x.size() / std::max(data.task_size, 1)),
                   std::to_string(data.label.size()));
  if (data.train.empty() || data.val.empty())
    throw Error("training data: the train and validation splits must not be empty");
  // before encode_all reads the entries the encoding needs (pose reads x3..x6)
  check_encoding_input(cfg.encoding, data.task_size,
                       "task size of " + arm.name + " (task \"" + task_name(arm.task) + "\")");

  // the model's fixed parts: encodings and normalisation from the training split
  Model model;
  model.kind = classifier ? ModelKind::kFeasibility : trajectory ? ModelKind::kTrajectory : ModelKind::kIk;
  model.arm = arm;
  Network& net = model.net;
  net.input_size = data.input_size();
  net.residual = trajectory;
  net.encoding = cfg.encoding;
  net.decoding = cfg.decoding;
  net.branches = cfg.branches;
  const int enc = encoded_size(cfg.encoding, net.input_size);
  const int heads = net.heads();
  const int head_outputs = cfg.decoding == OutputDecoding::kSinCos ? 2 * arm.dof() : arm.dof();
  const int outputs = classifier ? kFeasibilityClasses : heads * head_outputs + (heads > 1 ? heads : 0);
  mean_std(encode_all(data, cfg.encoding, nullptr, nullptr), enc, data.train, net.in_mean, net.in_std);
  // sincos pairs and logits as they are; angles scaled by the canonical joints' (every head)
  net.out_mean = Eigen::VectorXf::Zero(outputs);
  net.out_std = Eigen::VectorXf::Ones(outputs);
  if (cfg.decoding == OutputDecoding::kAngles) {
    Eigen::VectorXf mean, std;
    // trajectory models: the step next - current, which the network's output is
    mean_std(trajectory ? steps(data) : data.q, arm.dof(), data.train, mean, std);
    for (int k = 0; k < heads; ++k) net.out_mean.segment(k * head_outputs, head_outputs) = mean,
                                    net.out_std.segment(k * head_outputs, head_outputs) = std;
  }
  std::optional<BranchTargets> targets;  // branch heads: each head's solutions, the labels
  if (heads > 1) {
    if (cfg.loss.limits > 0)
      throw_expected("config.loss.limits", "0 with network.branches (each head answers its branch over "
                     "the whole workspace, limits aside; the choice keeps answers within them)",
                     std::to_string(cfg.loss.limits));
    targets = branch_targets(arm, data, cfg.branches);
    if (opt.progress) {
      std::fprintf(stderr, "branch heads:");
      for (int k = 0; k < heads; ++k)
        std::fprintf(stderr, "%s %s (reaches %.1f%%, canonical for %.1f%%)", k ? "," : "", cfg.branches[k].c_str(),
                     100.0 * targets->reaches[k] / data.size(), 100.0 * targets->labelled[k] / data.size());
      std::fprintf(stderr, "; on no head %.2f%%\n", 100.0 * targets->unlabelled / data.size());
    }
  }
  net.layers = make_layers(cfg.arch, enc, outputs, cfg.seed);
  if (!cfg.init.empty()) start_from(load_model(cfg.init), model, "config.init (" + cfg.init + ")");
  const std::vector<float> features = encode_all(data, cfg.encoding, &net.in_mean, &net.in_std);

  Mlp mlp(net.layers, cfg.batch, cfg.dropout, cfg.seed, cfg.threads);
  std::optional<BatchLoss> loss;  // ik only; classifiers take the cross-entropy
  std::optional<BranchLoss> branch_loss;  // ik with branch heads
  if (targets) branch_loss.emplace(arm, cfg.decoding, net.out_mean, net.out_std, heads);
  else if (!classifier) loss.emplace(arm, cfg.decoding, net.out_mean, net.out_std);

  // the trainer's own state, all of it in the checkpoint so that a resumed run is identical
  std::vector<EpochStats> log;
  std::vector<int> hard;                  // training rows fed again next epoch
  std::array<double, 4> running{0, 0, 0, 0};  // adaptive balancing: running mean of each term
  double lr_scale = 1.0, best_val = INFINITY;
  int since_best = 0, start_epoch = 0;
  const std::string ckpt = opt.out + ".ckpt";
  const json cfg_json = config_to_json(cfg);
  if (opt.resume) {
    json h;
    std::string blob;
    read_checkpoint(ckpt, h, blob);
    if (h.at("config") != cfg_json)
      throw Error("checkpoint '" + ckpt + "': it was written with another configuration (remove it, "
                  "or resume with the same config and flags)");
    mlp.load_state(blob);
    start_epoch = h.at("epoch");
    log = curves_from_json(h.at("curves"));
    hard = h.at("hard").get<std::vector<int>>();
    running = h.at("running").get<std::array<double, 4>>();
    lr_scale = h.at("lr_scale");
    best_val = h.at("best_val");
    since_best = h.at("since_best");
  }

  const int ts = data.task_size, dof = arm.dof();
  std::vector<float> xb(static_cast<size_t>(cfg.batch) * enc), tb(static_cast<size_t>(cfg.batch) * ts),
      qb(static_cast<size_t>(cfg.batch) * dof), cb(trajectory ? static_cast<size_t>(cfg.batch) * dof : 0), dy(static_cast<size_t>(cfg.batch) * outputs),
      pe(cfg.batch), re(cfg.batch);
  std::vector<std::int8_t> lb(cfg.batch);
  std::vector<int> rb(cfg.batch);
  std::vector<float> seen_error(data.size(), 0.0f);
  const bool tty = opt.progress && ::isatty(STDERR_FILENO);
  std::vector<int> val_rows = data.val;
  if (val_rows.size() > 20000) val_rows.resize(20000);  // a fixed, representative slice

  auto previous = std::signal(SIGINT, on_sigint);
  g_interrupted = false;
  const auto t_run = Clock::now();
  for (int epoch = start_epoch; epoch < cfg.epochs; ++epoch) {
    const auto t0 = Clock::now();
    const double lr = scheduled_lr(cfg.schedule, epoch, cfg.epochs) * lr_scale;
    // fk weights grow linearly over the run with the curriculum
    const double fk_scale = cfg.loss.curriculum ? double(epoch + 1) / cfg.epochs : 1.0;
    const std::array<double, 4> base{cfg.loss.joint_mse, cfg.loss.sincos, cfg.loss.fk_position * fk_scale,
                                     cfg.loss.fk_orientation * fk_scale};

    // this epoch's order: every training row, the hard ones once more, shuffled from the seed
    std::vector<int> order = data.train;
    order.insert(order.end(), hard.begin(), hard.end());
    Rng rng(cfg.seed * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(epoch) + 1);
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.next() % i]);

    EpochStats st;
    st.epoch = epoch + 1;
    st.lr = lr;
    double sum_loss = 0, sum_grad = 0;
    size_t batches = 0;
    auto t_print = Clock::now();
    for (size_t b0 = 0; b0 < order.size(); b0 += cfg.batch) {
      if (g_interrupted) {
        std::signal(SIGINT, previous);
        throw Error("interrupted at epoch " + std::to_string(epoch + 1) + "; " +
                    (epoch > 0 ? "'" + ckpt + "' holds epoch " + std::to_string(epoch) + ": continue with --resume"
                               : std::string("no epoch was finished")));
      }
      const int n = static_cast<int>(std::min<size_t>(cfg.batch, order.size() - b0));
      for (int k = 0; k < n; ++k) {
        const size_t r = order[b0 + k];
        rb[k] = static_cast<int>(r);
        std::copy_n(&features[r * enc], enc, &xb[static_cast<size_t>(k) * enc]);
        std::copy_n(&data.x[r * ts], ts, &tb[static_cast<size_t>(k) * ts]);
        if (classifier) lb[k] = data.label[r];
        else std::copy_n(&data.q[r * dof], dof, &qb[static_cast<size_t>(k) * dof]);
        if (trajectory) std::copy_n(&data.q_current[r * dof], dof, &cb[static_cast<size_t>(k) * dof]);
      }
      const float* y = mlp.forward(xb.data(), n, true);
      LossWeights w{base[0], base[1], base[2], base[3], cfg.loss.hard_alpha, cfg.loss.limits,
                    cfg.loss.huber_position, cfg.loss.huber_orientation};
      if (cfg.loss.adaptive) balance(base, running, w);
      // classifiers: the cross-entropy, per sample in pe (hard mining ranks by it)
      const double ce = classifier ? cross_entropy(y, lb.data(), n, outputs, dy.data(), pe.data(), cfg.loss.reachability)
                                  : 0.0;
      double choice = 0;  // branch heads: cross-entropy of the branch choice
      const LossTerms terms =
          classifier ? LossTerms{}
          : branch_loss ? branch_loss->compute(y, tb.data(), *targets, rb.data(), n, w, cfg.loss.branch, dy.data(),
                                               pe.data(), re.data(), &choice)
                        : loss->compute(y, tb.data(), qb.data(), n, w, dy.data(), pe.data(), re.data(),
                                        trajectory ? cb.data() : nullptr);
      const std::array<double, 4> tv{terms.joint, terms.sincos, terms.fk_position, terms.fk_orientation};
      for (int t = 0; t < 4; ++t) running[t] = running[t] == 0 ? tv[t] : 0.99 * running[t] + 0.01 * tv[t];
      for (int k = 0; k < n; ++k) seen_error[order[b0 + k]] = pe[k];
      mlp.backward(dy.data());
      const float gnorm = mlp.step(cfg.optimizer, static_cast<float>(lr));
      // reported with the configured weights (adaptive scaling only steers the gradient)
      const double weighted = classifier ? ce : base[0] * terms.joint + base[1] * terms.sincos + base[2] * terms.fk_position +
                              base[3] * terms.fk_orientation + cfg.loss.branch * choice;
      if (!std::isfinite(gnorm) || !std::isfinite(weighted)) {
        std::signal(SIGINT, previous);
        throw Error("training diverged at epoch " + std::to_string(epoch + 1) + ", batch " +
                    std::to_string(batches + 1) + ": the " + (std::isfinite(weighted) ? "gradient" : "loss") +
                    " is not finite. " + (epoch > 0 ? "'" + ckpt + "' keeps epoch " + std::to_string(epoch)
                                                  : std::string("No checkpoint was written yet")) +
                    "; try a lower schedule.lr or optimizer.clip_norm");
      }
      st.terms.joint += terms.joint * n;
      st.terms.sincos += terms.sincos * n;
      st.terms.fk_position += terms.fk_position * n;
      st.terms.fk_orientation += terms.fk_orientation * n;
      sum_loss += weighted * n;
      sum_grad += gnorm;
      ++batches;
      if (tty && seconds_since(t_print) > 0.25) {
        t_print = Clock::now();
        const double done = double(b0 + n) / order.size(), el = seconds_since(t0);
        const int bar = static_cast<int>(done * 20);
        std::fprintf(stderr, "\r\033[Kepoch %d/%d [%s%s] %3.0f%%  loss %.3g  %.0fk samples/s  epoch ETA %s",
                     epoch + 1, cfg.epochs, std::string(bar, '#').c_str(), std::string(20 - bar, '.').c_str(),
                     done * 100, sum_loss / (b0 + n), (b0 + n) / el / 1e3, clock_text(el / done - el).c_str());
      }
    }
    const double rows_seen = static_cast<double>(order.size());
    st.terms = {st.terms.joint / rows_seen, st.terms.sincos / rows_seen, st.terms.fk_position / rows_seen,
                st.terms.fk_orientation / rows_seen};
    st.loss = sum_loss / rows_seen;
    st.grad_norm = sum_grad / std::max<size_t>(batches, 1);
    st.seconds = seconds_since(t0);
    st.samples_per_s = rows_seen / st.seconds;

    // validation through the core's inference, with the weights the model will ship
    mlp.write_weights(net.layers, cfg.optimizer.ema_decay > 0);
    double val_metric = 0;  // what the plateau schedule watches
    if (classifier) {
      const ClassStats v = evaluate_classifier(model, data, val_rows);
      st.val_accuracy = v.accuracy;
      st.val_cross_entropy = val_metric = v.cross_entropy;
    } else {
      const ErrorStats v = evaluate(model, data, val_rows);
      st.val_mean_mm = v.mean_m * 1e3;
      st.val_p95_mm = v.p95_m * 1e3;
      st.val_max_mm = v.max_m * 1e3;
      st.val_rot_mean_deg = v.rot_mean_deg;
      if (heads > 1) st.val_accuracy = v.branch_agreement;
      val_metric = v.mean_m;
    }
    log.push_back(st);

    // reduce-on-plateau (seed 002) on the validation position error (classifiers: cross-entropy)
    if (val_metric < best_val * (1 - 1e-4)) {
      best_val = val_metric;
      since_best = 0;
    } else if (cfg.schedule.kind == "plateau" && ++since_best >= cfg.schedule.patience) {
      lr_scale = std::max(lr_scale * cfg.schedule.gamma, cfg.schedule.min_lr / cfg.schedule.lr);
      since_best = 0;
    }

    // hard example mining (seed 001): the worst share of this epoch's training rows, again
    hard.clear();
    if (cfg.loss.hard_mining > 0) {
      std::vector<int> rows = data.train;
      const size_t k = static_cast<size_t>(cfg.loss.hard_mining * rows.size());
      std::nth_element(rows.begin(), rows.begin() + k, rows.end(),
                       [&](int a, int b) { return seen_error[a] > seen_error[b] || (seen_error[a] == seen_error[b] && a < b); });
      hard.assign(rows.begin(), rows.begin() + k);
      std::sort(hard.begin(), hard.end());
    }

    const double elapsed = seconds_since(t_run), per_epoch = elapsed / (epoch + 1 - start_epoch);
    if (tty) std::fprintf(stderr, "\r\033[K");
    if (classifier)
      std::fprintf(stderr, "epoch %d/%d  lr %.2e  cross-entropy %.4g  val accuracy %.4f%% (cross-entropy %.4g)  "
                   "%.0fk samples/s  ETA %s\n", st.epoch, cfg.epochs, lr, st.loss, st.val_accuracy * 100,
                   st.val_cross_entropy, st.samples_per_s / 1e3, clock_text(per_epoch * (cfg.epochs - epoch - 1)).c_str());
    else
    std::fprintf(stderr,
                 "epoch %d/%d  lr %.2e  loss %.4g (joint %.3g, sincos %.3g, fk %.3g, rot %.3g)  val %.2f mm "
                 "(p95 %.2f, max %.1f) %.2f deg%s  %.0fk samples/s  ETA %s\n",
                 st.epoch, cfg.epochs, lr, st.loss, st.terms.joint, st.terms.sincos, st.terms.fk_position,
                 st.terms.fk_orientation, st.val_mean_mm, st.val_p95_mm, st.val_max_mm, st.val_rot_mean_deg,
                 heads > 1 ? (", branch " + std::to_string(st.val_accuracy * 100).substr(0, 6) + "%").c_str() : "",
                 st.samples_per_s / 1e3, clock_text(per_epoch * (cfg.epochs - epoch - 1)).c_str());

    // the checkpoint, then the log, each written atomically: the log never shows an epoch the
    // checkpoint does not hold, and a failed write leaves both as they were
    json h{{"epoch", epoch + 1},   {"config", cfg_json},     {"curves", curves_to_json(log)},
           {"hard", hard},         {"running", running},     {"lr_scale", lr_scale},
           {"best_val", best_val}, {"since_best", since_best}};
    write_checkpoint(ckpt, h, mlp.save_state());
    io::write_file_atomic(opt.out + ".log.csv", csv_log(log));
    if (opt.stop_after_epoch > 0 && epoch + 1 == opt.stop_after_epoch) {
      std::signal(SIGINT, previous);
      throw Error("stopped after epoch " + std::to_string(epoch + 1) + " (as asked)");
    }
  }
  std::signal(SIGINT, previous);

  mlp.write_weights(net.layers, cfg.optimizer.ema_decay > 0);
  model.metadata = json{{"config", cfg_json},
                        {"data", data.report},
                        {"curves", curves_to_json(log)},
                        {"metrics", classifier ? json{{"validation", to_json(evaluate_classifier(model, data, data.val))},
                                                      {"test", to_json(evaluate_classifier(model, data, data.test))}}
                                               : json{{"validation", to_json(evaluate(model, data, data.val))},
                                                      {"test", to_json(evaluate(model, data, data.test))}}},
                        {"parameters", net.parameter_count()},
                        {"training_seconds", std::accumulate(log.begin(), log.end(), 0.0,
                                                             [](double s, const EpochStats& e) { return s + e.seconds; })}};
  return model;
}

}  // namespace neurokin::train
