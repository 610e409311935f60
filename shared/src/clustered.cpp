#include "neurokin/clustered.h"

#include <cmath>
#include <limits>

#include "neurokin/error.h"
#include "neurokin/json_util.h"
#include "neurokin/kinematics.h"

namespace neurokin {

namespace ju = json_util;
using nlohmann::json;

namespace {

std::string str(long long v) { return std::to_string(v); }
std::string quoted(const std::string& s) { return "\"" + s + "\""; }
std::string cluster_path(std::size_t k) {
  return "model.clusters[" + str(static_cast<long long>(k)) + "]";
}

// a member's own error ("model.layers[3]...") placed under its cluster
Error member_error(std::size_t k, const Error& e) {
  const std::string what = e.what();
  const std::string at = cluster_path(k) + ".model";
  return Error(what.rfind("model", 0) == 0 ? at + what.substr(5) : at + ": " + what);
}

Cluster read_cluster(const json& jc, std::size_t k, int dof) {
  const std::string w = cluster_path(k);
  ju::require_object(jc, w);
  ju::refuse_unknown(jc, w, {"centroid", "samples", "model"});
  Cluster c;
  const json& jcen = ju::field(jc, "centroid", w);
  if (!jcen.is_array() || jcen.size() != static_cast<std::size_t>(dof))
    throw_expected(w + ".centroid", str(dof) + " joint angles (rad)", ju::describe(jcen));
  c.centroid.resize(dof);
  for (int i = 0; i < dof; ++i)
    c.centroid[i] = ju::number(jcen[i], w + ".centroid[" + str(i) + "]");
  c.samples = ju::integer(ju::field(jc, "samples", w), w + ".samples", 0, 1LL << 53);
  try {
    c.model = model_from_json(ju::field(jc, "model", w));
  } catch (const Error& e) {
    throw member_error(k, e);
  }
  return c;
}

ClusteredModel parse(const json& j) {
  const std::string w = "model";
  ju::require_object(j, w);
  const std::string format = ju::string(ju::field(j, "format", w), w + ".format");
  if (format != kModelFormat) throw_expected(w + ".format", quoted(kModelFormat), quoted(format));
  const json& version = ju::field(j, "version", w);
  if (!version.is_number_integer() || version.get<long long>() != kModelVersion)
    throw_expected(w + ".version", str(kModelVersion), ju::describe(version));
  ju::refuse_unknown(
      j, w, {"format", "version", "kind", "arm", "task", "selection", "clusters", "metadata"});
  const std::string kind = ju::string(ju::field(j, "kind", w), w + ".kind");
  if (kind != kClusteredKind) throw_expected(w + ".kind", quoted(kClusteredKind), quoted(kind));

  ClusteredModel m;
  try {
    m.arm = arm_from_json(ju::field(j, "arm", w));
  } catch (const Error& e) {
    const std::string what = e.what();
    throw Error(what.rfind("arm", 0) == 0 ? "model." + what : "model.arm: " + what);
  }
  const std::string task = ju::string(ju::field(j, "task", w), w + ".task");
  if (task != task_name(m.arm.task))
    throw_expected(w + ".task", quoted(task_name(m.arm.task)) + " (the arm's task)", quoted(task));

  // the choice rule: FK consistency is the only one, its weight the only parameter
  const json& js = ju::field(j, "selection", w);
  ju::require_object(js, w + ".selection");
  ju::refuse_unknown(js, w + ".selection", {"rule", "orientation_weight_m_per_rad"});
  const std::string rule =
      ju::string(ju::field(js, "rule", w + ".selection"), w + ".selection.rule");
  if (rule != "fk_consistency")
    throw_expected(w + ".selection.rule", "\"fk_consistency\"", quoted(rule));
  const std::string ww = w + ".selection.orientation_weight_m_per_rad";
  m.orientation_weight =
      ju::number(ju::field(js, "orientation_weight_m_per_rad", w + ".selection"), ww);
  if (m.orientation_weight < 0)
    throw_expected(ww, "a number >= 0", ju::describe(js["orientation_weight_m_per_rad"]));

  const json& jcl = ju::field(j, "clusters", w);
  if (!jcl.is_array() || jcl.empty() || jcl.size() > static_cast<std::size_t>(kMaxClusters))
    throw_expected(w + ".clusters", "an array of 1 to " + str(kMaxClusters) + " clusters",
                   ju::describe(jcl));
  for (std::size_t k = 0; k < jcl.size(); ++k)
    m.clusters.push_back(read_cluster(jcl[k], k, m.arm.dof()));

  if (const json* md = ju::optional_field(j, "metadata", w)) {
    ju::require_object(*md, w + ".metadata");
    m.metadata = *md;
  }
  check_clustered_model(m);
  return m;
}

// a score that never lets NaN win: NaN compares false with everything
double score(double position, double orientation, double weight) {
  const double s = position + weight * orientation;
  return std::isnan(s) ? std::numeric_limits<double>::infinity() : s;
}

}  // namespace

bool is_clustered_model(const json& j) {
  return j.is_object() && j.contains("kind") && j["kind"].is_string() &&
         j["kind"] == kClusteredKind;
}

void check_clustered_model(const ClusteredModel& m) {
  if (m.clusters.empty() || m.k() > kMaxClusters)
    throw_expected("model.clusters", "1 to " + str(kMaxClusters) + " clusters", str(m.k()));
  if (!(m.orientation_weight >= 0) || !std::isfinite(m.orientation_weight))
    throw_expected("model.selection.orientation_weight_m_per_rad", "a finite number >= 0",
                   std::to_string(m.orientation_weight));
  const json arm = arm_to_json(m.arm);
  for (std::size_t k = 0; k < m.clusters.size(); ++k) {
    const Cluster& c = m.clusters[k];
    const std::string w = cluster_path(k);
    if (c.centroid.size() != m.arm.dof() || !c.centroid.allFinite())
      throw_expected(w + ".centroid", str(m.arm.dof()) + " finite joint angles (rad)",
                     str(c.centroid.size()) +
                         (c.centroid.allFinite() ? " values" : " values, not all finite"));
    try {
      check_model(c.model);
    } catch (const Error& e) {
      throw member_error(k, e);
    }
    if (c.model.kind != ModelKind::kIk)
      throw_expected(w + ".model.kind", "\"ik\"", quoted(model_kind_name(c.model.kind)));
    if (c.model.net.heads() != 1)
      throw_expected(w + ".model.output.branches", "none (a member gives one answer)",
                     str(c.model.net.heads()) + " branch heads");
    if (arm_to_json(c.model.arm) != arm)
      throw_expected(w + ".model.arm", "the clustered model's arm '" + m.arm.name + "'",
                     "'" + c.model.arm.name + "'" +
                         (c.model.arm.name == m.arm.name ? " (with other numbers)" : ""));
  }
}

ClusteredModel clustered_model_from_json(const json& j) {
  try {
    return parse(j);
  } catch (const json::exception& e) {
    throw Error(std::string("model: ") + e.what());
  }
}

ClusteredModel clustered_model_from_json_text(const std::string& text) {
  return clustered_model_from_json(ju::parse(text, "model"));
}

ClusteredModel load_clustered_model(const std::string& path) {
  const std::string text = ju::read_file(path, "model file");
  try {
    return clustered_model_from_json_text(text);
  } catch (const Error& e) {
    throw Error("model file '" + path + "': " + e.what());
  }
}

json clustered_model_to_json(const ClusteredModel& m) {
  check_clustered_model(m);
  json clusters = json::array();
  for (const Cluster& c : m.clusters)
    clusters.push_back({{"centroid", std::vector<double>(c.centroid.data(),
                                                         c.centroid.data() + c.centroid.size())},
                        {"samples", c.samples},
                        {"model", model_to_json(c.model)}});
  return {{"format", kModelFormat},
          {"version", kModelVersion},
          {"kind", kClusteredKind},
          {"arm", arm_to_json(m.arm)},
          {"task", task_name(m.arm.task)},
          {"selection",
           {{"rule", "fk_consistency"}, {"orientation_weight_m_per_rad", m.orientation_weight}}},
          {"clusters", std::move(clusters)},
          {"metadata", m.metadata}};
}

ClusteredWorkspace::ClusteredWorkspace(const ClusteredModel& m) {
  members.reserve(m.clusters.size());
  for (const Cluster& c : m.clusters) members.emplace_back(c.model.net);
}

int fk_consistent_choice(const double* position_error, const double* orientation_error, int k,
                         double orientation_weight) {
  int best = 0;
  double best_score = score(position_error[0], orientation_error[0], orientation_weight);
  for (int i = 1; i < k; ++i) {
    const double s = score(position_error[i], orientation_error[i], orientation_weight);
    if (s < best_score) best = i, best_score = s;
  }
  return best;
}

void predict_candidates(const ClusteredModel& m, ClusteredWorkspace& ws, const float* x,
                        std::size_t n, float* q, double* position_error, double* orientation_error,
                        int* best) {
  const int k = m.k(), dof = m.arm.dof(), ts = task_size(m.arm.task);
  if (static_cast<int>(ws.members.size()) != k)
    throw_expected("predict_candidates: workspace", str(k) + " member workspaces",
                   str(ws.members.size()));
  Eigen::VectorXd qd(dof), target(ts);
  std::vector<float> y(dof);
  for (std::size_t r = 0; r < n; ++r) {
    for (int i = 0; i < ts; ++i) target[i] = x[r * ts + i];
    for (int c = 0; c < k; ++c) {
      const std::size_t rc = r * k + c;
      predict(m.clusters[c].model.net, ws.members[c], x + r * ts, 1, y.data());
      for (int i = 0; i < dof; ++i) qd[i] = y[i];
      wrap_into_limits(m.arm, qd);
      const TaskError e = task_error(m.arm, fk(m.arm, qd), target);
      for (int i = 0; i < dof; ++i) q[rc * dof + i] = static_cast<float>(qd[i]);
      position_error[rc] = e.position_error;
      orientation_error[rc] = e.orientation_error;
    }
    best[r] = fk_consistent_choice(position_error + r * k, orientation_error + r * k, k,
                                   m.orientation_weight);
  }
}

ClusteredAnswer predict_all(const ClusteredModel& m, ClusteredWorkspace& ws,
                            const Eigen::Ref<const Eigen::VectorXd>& target) {
  check_task_vector(m.arm, target, "predict_all: target");
  const int k = m.k(), dof = m.arm.dof();
  const Eigen::VectorXf xf = target.cast<float>();
  std::vector<float> q(static_cast<std::size_t>(k) * dof);
  std::vector<double> pe(k), oe(k);
  ClusteredAnswer a;
  predict_candidates(m, ws, xf.data(), 1, q.data(), pe.data(), oe.data(), &a.best);
  for (int c = 0; c < k; ++c) {
    Candidate cand;
    cand.q = Eigen::Map<const Eigen::VectorXf>(&q[static_cast<std::size_t>(c) * dof], dof)
                 .cast<double>();
    cand.position_error = pe[c];
    cand.orientation_error = oe[c];
    cand.within_limits = within_limits(m.arm, cand.q, 1e-6);  // float32 rounding at a limit
    a.candidates.push_back(std::move(cand));
  }
  return a;
}

}  // namespace neurokin
