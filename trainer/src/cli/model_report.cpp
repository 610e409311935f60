#include "cli/model_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "cli/eval_ik.h"
#include "data/feasibility.h"
#include "neurokin/conditioning.h"
#include "neurokin/kinematics.h"
#include "report/plot.h"

namespace neurokin::cli {
namespace {

using nlohmann::json;

constexpr int kGrid = 24;           // heatmap cells per side
constexpr int kMinPerCell = 5;      // fewer samples: the cell is left blank (null)
constexpr int kBinsPerDecade = 10;  // error histograms: log-spaced bins
constexpr int kProbabilityBins = 20;
constexpr int kClasses = 4;

// 4 significant digits: the report is for reading and plotting, and stays small
double round4(double v) { return std::isfinite(v) ? std::stod(fmt::format("{:.4g}", v)) : v; }

json rounded(const std::vector<double>& v) {
  json a = json::array();
  for (double x : v) a.push_back(std::isfinite(x) ? json(round4(x)) : json(nullptr));
  return a;
}

// log-spaced bins from a power of ten below the smallest positive value (at most 6 decades
// below the largest) to one above the largest; values below the first edge count in the first bin
json log_histogram(const std::string& name, const std::string& label,
                   const std::vector<double>& v) {
  double lo = INFINITY, hi = 0;
  for (double x : v)
    if (x > 0 && std::isfinite(x)) lo = std::min(lo, x), hi = std::max(hi, x);
  if (!(hi > 0)) lo = hi = 1;
  const int top = static_cast<int>(std::ceil(std::log10(hi) + 1e-12));
  const int bottom = std::max(static_cast<int>(std::floor(std::log10(lo))), top - 6);
  const int bins = std::max(1, (top - bottom) * kBinsPerDecade);
  std::vector<double> edges(bins + 1), counts(bins, 0.0);
  for (int b = 0; b <= bins; ++b)
    edges[b] = round4(std::pow(10.0, bottom + double(b) / kBinsPerDecade));
  for (double x : v) {
    if (!std::isfinite(x)) continue;
    const int b =
        x > 0 ? static_cast<int>(std::floor((std::log10(x) - bottom) * kBinsPerDecade)) : 0;
    counts[std::clamp(b, 0, bins - 1)] += 1;
  }
  return {{"name", name},
          {"label", label},
          {"log_x", true},
          {"edges", edges},
          {"series", json::array({{{"name", "all targets"}, {"counts", counts}}})}};
}

// the plane a heatmap projects the workspace onto: planar arms their own x-y plane; others
// the vertical half-plane through the base, r = hypot(x, y) against z (every base angle folded in)
struct Projection {
  bool planar;
  std::pair<double, double> of(const float* x) const {
    return planar ? std::pair<double, double>{x[0], x[1]}
                  : std::pair<double, double>{std::hypot(x[0], x[1]), x[2]};
  }
};

// the mean of value per grid cell over the projected rows; bounds: the data's, on 0.05 m steps
json grid_mean(const Projection& pr, const std::vector<float>& x, int task_size,
               const std::vector<double>& value, const std::string& value_label) {
  const std::size_t n = value.size();
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (std::size_t k = 0; k < n; ++k) {
    const auto [u, w] = pr.of(&x[k * task_size]);
    x0 = std::min(x0, u), x1 = std::max(x1, u), y0 = std::min(y0, w), y1 = std::max(y1, w);
  }
  const auto down = [](double v) { return std::floor(v / 0.05) * 0.05; };
  const auto up = [](double v) { return std::ceil(v / 0.05) * 0.05; };
  x0 = round4(down(x0)), x1 = round4(std::max(up(x1), x0 + 0.05));
  y0 = round4(down(y0)), y1 = round4(std::max(up(y1), y0 + 0.05));
  std::vector<double> sum(kGrid * kGrid, 0.0), count(kGrid * kGrid, 0.0);
  for (std::size_t k = 0; k < n; ++k) {
    const auto [u, w] = pr.of(&x[k * task_size]);
    const int i = std::clamp(static_cast<int>((u - x0) / (x1 - x0) * kGrid), 0, kGrid - 1);
    const int j = std::clamp(static_cast<int>((w - y0) / (y1 - y0) * kGrid), 0, kGrid - 1);
    sum[j * kGrid + i] += value[k], count[j * kGrid + i] += 1;
  }
  std::vector<double> mean(kGrid * kGrid, NAN);
  for (int c = 0; c < kGrid * kGrid; ++c)
    if (count[c] >= kMinPerCell) mean[c] = sum[c] / count[c];
  return {
      {"value", value_label},
      {"projection", pr.planar ? "x-y plane" : "r-z half-plane through the base, all base angles"},
      {"x_label", pr.planar ? "x (m)" : "r = distance from the base's z axis (m)"},
      {"y_label", pr.planar ? "y (m)" : "z (m)"},
      {"x", {x0, x1}},
      {"y", {y0, y1}},
      {"nx", kGrid},
      {"ny", kGrid},
      {"min_count", kMinPerCell},
      {"values", rounded(mean)}};
}

// the report of the joints q (n x dof) a model answered to the targets of s (`source` says
// which): histograms of the position (and orientation) error, the mean error over the workspace
json answers_report(const Model& m, const train::Samples& s, const std::vector<float>& q, const char* source) {
  const Arm& arm = m.arm;
  std::vector<double> pos(s.size()), rot(s.size());
  for (std::size_t k = 0; k < s.size(); ++k) {
    const Eigen::VectorXd qd =
        Eigen::Map<const Eigen::VectorXf>(&q[k * arm.dof()], arm.dof()).cast<double>();
    const Eigen::VectorXd target =
        Eigen::Map<const Eigen::VectorXf>(&s.x[k * s.task_size], s.task_size).cast<double>();
    const TaskError e = task_error(arm, fk(arm, qd), target);
    pos[k] = e.position_error * 1e3;
    rot[k] = e.orientation_error * 180.0 / M_PI;
  }
  json r = {{"version", 1}, {"source", source}, {"n", s.size()}, {"seed", kReportSeed}};
  r["histograms"] = json::array({log_histogram("position_error_mm", "position error (mm)", pos)});
  if (arm.task == TaskKind::kPositionPitch || arm.task == TaskKind::kPose)
    r["histograms"].push_back(log_histogram(
        "orientation_error_deg",
        arm.task == TaskKind::kPose ? "orientation error (deg)" : "pitch error (deg)", rot));
  r["heatmap"] = grid_mean({arm.task == TaskKind::kPlanarXY}, s.x, s.task_size, pos,
                           "mean position error (mm)");
  return r;
}

json ik_report(const Model& m, int threads) {
  const long long n = std::min<long long>(kReportTargets, training_data_config(m.metadata).n);
  const train::Samples s = fresh_targets(m.arm, m.metadata, n, kReportSeed, false, threads);
  std::vector<float> q(s.size() * m.arm.dof());
  Workspace ws(m.net);
  predict(m.net, ws, s.x.data(), s.size(), q.data());
  return answers_report(m, s, q, "fresh targets");
}

// a trajectory model: one step each on fresh samples of its training data (the report's seed)
json trajectory_report(const Model& m) {
  const long long n =
      std::min<long long>(kReportTargets, training_config(m.metadata, data::trajectory_config_from_json).n);
  const train::Samples s = fresh_steps(m.arm, m.metadata, n, kReportSeed);
  std::vector<float> x(s.size() * s.input_size()), q(s.size() * m.arm.dof());
  for (std::size_t r = 0; r < s.size(); ++r) s.input_row(r, &x[r * s.input_size()]);
  Workspace ws(m.net);
  predict(m.net, ws, x.data(), s.size(), q.data());
  return answers_report(m, s, q, "fresh trajectory steps (current joints near the answer)");
}

json classifier_report(const Model& m, int threads) {
  const auto& cfg = m.metadata.value("config", json::object());
  data::FeasibilityConfig fc = cfg.contains("data") ? data::feasibility_config_from_json(
                                                          cfg["data"], "model.metadata.config.data")
                                                    : data::FeasibilityConfig{};
  // the training data's ratio of reachable to unreachable poses, fresh from the report's seed
  const long long total = fc.reachable + fc.unreachable,
                  n = std::min<long long>(kReportPoses, total);
  fc.reachable = std::max(1LL, std::llround(double(n) * double(fc.reachable) / double(total)));
  fc.unreachable = n - fc.reachable;
  fc.seed = kReportSeed;
  fc.val_share = fc.test_share = 0;
  const train::Samples s = train::to_samples(data::make_feasibility_data(m.arm, fc, threads));
  std::vector<float> p(s.size() * kClasses);
  Workspace ws(m.net);
  predict(m.net, ws, s.x.data(), s.size(), p.data());
  std::vector<std::vector<double>> confusion(kClasses, std::vector<double>(kClasses, 0.0));
  std::vector<std::vector<double>> p_true(kClasses, std::vector<double>(kProbabilityBins, 0.0));
  std::vector<double> right(s.size());
  for (std::size_t k = 0; k < s.size(); ++k) {
    const float* pk = &p[k * kClasses];
    const int predicted = static_cast<int>(std::max_element(pk, pk + kClasses) - pk),
              label = s.label[k];
    confusion[label][predicted] += 1;
    p_true[label][std::clamp(static_cast<int>(pk[label] * kProbabilityBins), 0,
                             kProbabilityBins - 1)] += 1;
    right[k] = predicted == label;
  }
  json classes = json::array(), series = json::array();
  std::vector<double> edges;
  for (int b = 0; b <= kProbabilityBins; ++b) edges.push_back(round4(double(b) / kProbabilityBins));
  for (int c = 0; c < kClasses; ++c) {
    classes.push_back(feasibility_name(static_cast<Feasibility>(c)));
    series.push_back({{"name", classes.back()}, {"counts", p_true[c]}});
  }
  json r = {{"version", 1},        {"source", "fresh poses"}, {"n", s.size()},
            {"seed", kReportSeed}, {"classes", classes},      {"confusion", confusion}};
  r["histograms"] = json::array({{{"name", "p_true_class"},
                                  {"label", "predicted probability of the true class"},
                                  {"log_x", false},
                                  {"edges", edges},
                                  {"series", series}}});
  r["heatmap"] =
      grid_mean({m.arm.task == TaskKind::kPlanarXY}, s.x, s.task_size, right, "accuracy");
  return r;
}

std::vector<double> numbers(const json& a) {
  std::vector<double> v;
  for (const auto& x : a) v.push_back(x.is_number() ? x.get<double>() : NAN);
  return v;
}

// a per-epoch series of the curves, when it has a non-zero value
void add_curve(report::LinePanel& p, const json& curves, const char* key, const std::string& name,
               double scale = 1, bool dashed = false) {
  if (!curves.contains(key) || !curves.contains("epoch")) return;
  std::vector<double> y = numbers(curves[key]);
  if (std::none_of(y.begin(), y.end(), [](double v) { return std::isfinite(v) && v != 0; })) return;
  for (double& v : y) v *= scale;
  p.series.push_back({name, numbers(curves["epoch"]), y, dashed});
}

report::Figure curves_figure(const Model& m, const std::string& name) {
  const json& c = m.metadata.at("curves");
  report::Figure f{name + ": training curves", {}, 560, 420};
  report::LinePanel loss{
      "training loss terms (unweighted means)", "epoch", "loss", false, true, {}};
  add_curve(loss, c, "loss",
            m.kind == ModelKind::kFeasibility ? "cross-entropy (training)" : "loss (weighted sum)");
  add_curve(loss, c, "joint", "joint MSE");
  add_curve(loss, c, "sincos", "sin/cos MSE");
  add_curve(loss, c, "fk_position", "FK position");
  add_curve(loss, c, "fk_orientation", "FK orientation");
  if (m.kind == ModelKind::kFeasibility)
    add_curve(loss, c, "val_cross_entropy", "cross-entropy (validation)", 1, true);
  f.panels.push_back(report::panel(loss));
  if (m.kind == ModelKind::kFeasibility) {
    report::LinePanel acc{"validation accuracy", "epoch", "accuracy (%)", false, false, {},
                          "bottom right"};
    add_curve(acc, c, "val_accuracy", "accuracy", 100);
    f.panels.push_back(report::panel(acc));
    return f;
  }
  report::LinePanel fk{"validation FK position error", "epoch", "error (mm)", false, true, {}};
  add_curve(fk, c, "val_mean_mm", "mean");
  add_curve(fk, c, "val_p95_mm", "p95");
  add_curve(fk, c, "val_max_mm", "max", 1, true);
  f.panels.push_back(report::panel(fk));
  report::LinePanel rot{
      "validation orientation error", "epoch", "mean error (deg)", false, true, {}};
  add_curve(rot, c, "val_rot_mean_deg", "mean");
  if (!rot.series.empty()) f.panels.push_back(report::panel(rot));
  return f;
}

report::HeatmapPanel heatmap_panel(const json& h, const std::string& title, double scale) {
  report::HeatmapPanel p;
  p.title = title;
  p.x_label = h.at("x_label"), p.y_label = h.at("y_label");
  p.x0 = h.at("x")[0], p.x1 = h.at("x")[1], p.y0 = h.at("y")[0], p.y1 = h.at("y")[1];
  p.nx = h.at("nx"), p.ny = h.at("ny");
  p.values = numbers(h.at("values"));
  for (double& v : p.values) v *= scale;
  p.equal_axes = true;
  return p;
}

report::Figure errors_figure(const Model& m, const std::string& name, const json& r) {
  report::Figure f{
      fmt::format("{}: {} ({} {}, seed {})", name,
                  m.kind == ModelKind::kFeasibility ? "classifier errors" : "error distribution",
                  r.at("n").get<long long>(), r.at("source").get<std::string>(),
                  r.at("seed").get<std::uint64_t>()),
      {},
      560,
      420};
  for (const auto& h : r.at("histograms")) {
    report::HistogramPanel p;
    p.title = h.at("label");
    p.x_label = h.at("label").get<std::string>() + (h.value("log_x", false) ? ", log bins" : "");
    p.y_label = m.kind == ModelKind::kFeasibility ? "poses (log scale)" : "targets per bin";
    p.log_x = h.value("log_x", false);
    p.log_y = m.kind == ModelKind::kFeasibility;
    p.edges = numbers(h.at("edges"));
    for (const auto& s : h.at("series"))
      p.names.push_back(s.at("name")), p.counts.push_back(numbers(s.at("counts")));
    f.panels.push_back(report::panel(p));
  }
  if (r.contains("confusion")) {
    // rows: true class (y, first at the top), columns: predicted; cell: share of the true class
    const json& c = r["confusion"];
    report::HeatmapPanel p;
    p.title = "confusion matrix (share of each true class)";
    p.x_label = "predicted class", p.y_label = "true class",
    p.value_label = "share of the true class (%)";
    p.x0 = 0, p.x1 = kClasses, p.y0 = 0, p.y1 = kClasses, p.nx = kClasses, p.ny = kClasses;
    p.values.assign(kClasses * kClasses, NAN);
    for (int t = 0; t < kClasses; ++t) {
      double row = 0;
      for (int k = 0; k < kClasses; ++k) row += c[t][k].get<double>();
      for (int k = 0; k < kClasses; ++k)
        p.values[(kClasses - 1 - t) * kClasses + k] =
            row > 0 ? 100 * c[t][k].get<double>() / row : NAN;
    }
    p.labels = true;
    p.v_min = 0, p.v_max = 100;
    for (int k = 0; k < kClasses; ++k) p.x_names.push_back(r["classes"][k]);
    for (int k = kClasses - 1; k >= 0; --k) p.y_names.push_back(r["classes"][k]);
    f.panels.push_back(report::panel(p));
  }
  return f;
}

}  // namespace

json compute_report(const Model& m, int threads) {
  switch (m.kind) {
    case ModelKind::kFeasibility: return classifier_report(m, threads);
    case ModelKind::kTrajectory: return trajectory_report(m);
    case ModelKind::kIk: break;
  }
  return ik_report(m, threads);
}

std::vector<std::string> write_report_plots(const Model& m, const std::string& prefix) {
  const std::string name =
      fmt::format("{} {}", m.arm.name, model_kind_name(m.kind));
  std::vector<std::pair<std::string, report::Figure>> figures;
  if (m.metadata.contains("curves"))
    figures.emplace_back(prefix + ".curves.svg", curves_figure(m, name));
  if (m.metadata.contains("report")) {
    const json& r = m.metadata["report"];
    figures.emplace_back(prefix + ".errors.svg", errors_figure(m, name, r));
    const bool classifier = m.kind == ModelKind::kFeasibility;
    report::HeatmapPanel h = heatmap_panel(
        r.at("heatmap"),
        classifier ? "accuracy over the workspace" : "mean position error over the workspace",
        classifier ? 100 : 1);
    h.value_label = classifier ? "accuracy (%)" : "mean position error (mm)";
    const std::string title =
        fmt::format("{}: {} ({})", name, h.title, r["heatmap"].value("projection", ""));
    h.title.clear();  // the figure's title says it
    figures.emplace_back(prefix + ".heatmap.svg",
                         report::Figure{title, {report::panel(h)}, 640, 560});
  }
  std::vector<std::string> written;
  for (const auto& [path, figure] : figures) {
    if (!report::write_svg(path, figure)) return {};
    written.push_back(path);
  }
  return written;
}

}  // namespace neurokin::cli
