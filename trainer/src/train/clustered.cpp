#include "train/clustered.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "data/dataset.h"
#include "neurokin/error.h"
#include "neurokin/json_util.h"

namespace neurokin::train {

namespace ju = json_util;
using nlohmann::json;

ClusterConfig cluster_config_from_json(const json& j, const std::string& where) {
  ClusterConfig c;
  ju::Fields f(j, where);
  f.integer("k", c.k, 1, kMaxClusters);
  f.integer("max_iterations", c.max_iterations, 1, 100000);
  if (const json* n = f.get("fit_samples"))
    c.fit_samples = ju::integer(*n, f.at("fit_samples"), 0, 1LL << 40);
  if (const json* s = f.get("seed"))
    c.seed = static_cast<std::uint64_t>(ju::integer(*s, f.at("seed"), 0, 1LL << 53));
  f.number("orientation_weight_m_per_rad", c.orientation_weight, 0, 1e6);
  return c;
}

json cluster_config_to_json(const ClusterConfig& c) {
  return {{"k", c.k},
          {"max_iterations", c.max_iterations},
          {"fit_samples", c.fit_samples},
          {"seed", c.seed},
          {"orientation_weight_m_per_rad", c.orientation_weight}};
}

Clustering cluster_samples(const Samples& data, const ClusterConfig& c) {
  const int dof = data.dof;
  // the rows k-means fits on: the training split, or a seeded draw of fit_samples of it
  std::vector<int> fit_rows = data.train;
  if (c.fit_samples > 0 && static_cast<std::int64_t>(fit_rows.size()) > c.fit_samples) {
    const std::vector<std::uint32_t> perm = data::permutation(
        static_cast<std::int64_t>(fit_rows.size()), data::stream_rng(c.seed, 11, 0));
    std::vector<int> drawn(c.fit_samples);
    for (std::int64_t i = 0; i < c.fit_samples; ++i) drawn[i] = fit_rows[perm[i]];
    std::sort(drawn.begin(), drawn.end());
    fit_rows = std::move(drawn);
  }
  PointsRM points(static_cast<Eigen::Index>(fit_rows.size()), 2 * dof);
  for (std::size_t i = 0; i < fit_rows.size(); ++i)
    angle_features(&data.q[static_cast<std::size_t>(fit_rows[i]) * dof], dof, points.row(i).data());

  Clustering out;
  out.fit = kmeans(points, {c.k, c.max_iterations, 1e-8, c.seed});
  out.label.resize(data.size());
  std::vector<double> f(2 * dof);
  for (std::size_t r = 0; r < data.size(); ++r) {
    angle_features(&data.q[r * dof], dof, f.data());
    out.label[r] = nearest_centroid(out.fit.centroids, f.data());
  }
  for (int k = 0; k < c.k; ++k)
    out.centroid_angles.push_back(feature_angles(out.fit.centroids.row(k).data(), dof));
  return out;
}

Samples cluster_subset(const Samples& data, const std::vector<int>& label, int k) {
  Samples s;
  s.task_size = data.task_size;
  s.dof = data.dof;
  s.branch_names = data.branch_names;
  s.report = data.report;
  std::vector<int> at(data.size(), -1);  // original row -> row in the subset
  for (std::size_t r = 0; r < data.size(); ++r) {
    if (label[r] != k) continue;
    at[r] = static_cast<int>(s.x.size() / s.task_size);
    s.x.insert(s.x.end(), &data.x[r * data.task_size], &data.x[(r + 1) * data.task_size]);
    s.q.insert(s.q.end(), &data.q[r * data.dof], &data.q[(r + 1) * data.dof]);
    if (r < data.branch.size()) s.branch.push_back(data.branch[r]);
  }
  auto keep = [&](const std::vector<int>& rows, std::vector<int>& out) {
    for (int r : rows)
      if (at[r] >= 0) out.push_back(at[r]);
  };
  keep(data.train, s.train);
  keep(data.val, s.val);
  keep(data.test, s.test);
  return s;
}

ClusteredModel train_clustered(const TrainConfig& cfg, const Arm& arm, const Samples& data,
                               const TrainOptions& opt) {
  if (cfg.kind != "ik_clustered")
    throw_expected("config.kind", "\"ik_clustered\" for a clustered model", "\"" + cfg.kind + "\"");
  if (cfg.data.contains("branch_preference") && !cfg.data["branch_preference"].empty())
    throw_expected(
        "config.data.branch_preference",
        "none for kind \"ik_clustered\" (k-means clusters the joints as sampled; a preference "
        "moves them all onto one branch first)",
        ju::describe(cfg.data["branch_preference"]));
  if (!cfg.branches.empty())
    throw_expected("config.network.branches",
                   "none for kind \"ik_clustered\" (each member gives one answer)",
                   ju::describe(json(cfg.branches)));
  const ClusterConfig cc = cluster_config_from_json(cfg.clusters, "config.clusters");
  const auto t0 = std::chrono::steady_clock::now();
  const Clustering cl = cluster_samples(data, cc);
  const double kmeans_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  fmt::print(stderr,
             "k-means: {} clusters of {} training joints in {} iterations ({}), {:.1f} s; sizes",
             cc.k, cl.fit.label.size(), cl.fit.iterations,
             cl.fit.converged ? "converged" : "not converged", kmeans_s);
  for (auto s : cl.fit.sizes) fmt::print(stderr, " {}", s);
  fmt::print(stderr, "\n");

  ClusteredModel m;
  m.arm = arm;
  m.orientation_weight = cc.orientation_weight;
  TrainConfig member = cfg;
  member.kind = "ik";
  member.clusters = json::object();
  json members = json::array();
  for (int k = 0; k < cc.k; ++k) {
    const Samples sub = cluster_subset(data, cl.label, k);
    if (sub.train.empty() || sub.val.empty())
      throw Error(
          fmt::format("cluster {} of {}: {} training and {} validation rows; a member needs both "
                      "(fewer clusters, or more samples)",
                      k, cc.k, sub.train.size(), sub.val.size()));
    fmt::print(
        stderr,
        "cluster {} of {}: {} samples ({} train / {} validation / {} test), centroid [{:.3f}]\n", k,
        cc.k, sub.size(), sub.train.size(), sub.val.size(), sub.test.size(),
        fmt::join(cl.centroid_angles[k].data(), cl.centroid_angles[k].data() + arm.dof(), ", "));
    TrainOptions ok = opt;
    ok.out = opt.out + ".c" + std::to_string(k);
    // --resume: the members that had started continue, the others start
    ok.resume = opt.resume && std::filesystem::exists(ok.out + ".ckpt");
    Cluster c;
    c.centroid = cl.centroid_angles[k];
    c.samples = static_cast<std::int64_t>(sub.train.size());
    c.model = train_model(member, arm, sub, ok);
    c.model.metadata["cluster"] = {{"index", k}, {"of", cc.k}};
    members.push_back({{"index", k},
                       {"samples", sub.size()},
                       {"train", sub.train.size()},
                       {"validation", sub.val.size()},
                       {"test", sub.test.size()},
                       {"metrics", c.model.metadata["metrics"]}});
    m.clusters.push_back(std::move(c));
  }
  m.metadata["config"] = config_to_json(cfg);
  m.metadata["config"]["clusters"] = cluster_config_to_json(cc);
  m.metadata["data"] = data.report;
  m.metadata["kmeans"] = {{"features", "sin, cos of each joint"},
                          {"fit_rows", cl.fit.label.size()},
                          {"iterations", cl.fit.iterations},
                          {"converged", cl.fit.converged},
                          {"inertia", cl.fit.inertia},
                          {"sizes", cl.fit.sizes},
                          {"seconds", kmeans_s}};
  m.metadata["members"] = members;
  m.metadata["metrics"] = {{"validation", to_json(evaluate_clustered(m, data, data.val))},
                           {"test", to_json(evaluate_clustered(m, data, data.test))}};
  return m;
}

int distinct_solutions(const float* q, const std::vector<bool>& good, int k, int dof,
                       double distinct_rad) {
  std::vector<int> kept;
  for (int c = 0; c < k; ++c) {
    if (!good[c]) continue;
    bool same = false;
    for (int o : kept) {
      double far = 0;
      for (int i = 0; i < dof; ++i)
        far = std::max(far, circular_distance(q[c * dof + i], q[o * dof + i]));
      same |= far <= distinct_rad;
    }
    if (!same) kept.push_back(c);
  }
  return static_cast<int>(kept.size());
}

ClusteredStats evaluate_clustered(const ClusteredModel& m, const Samples& d,
                                  const std::vector<int>& rows) {
  ClusteredStats st;
  const int k = m.k(), dof = m.arm.dof();
  st.chosen_share.assign(k, 0.0);
  if (rows.empty()) return st;
  ClusteredWorkspace ws(m);
  std::vector<float> q(static_cast<std::size_t>(k) * dof), answers(rows.size() * dof);
  std::vector<double> pe(k), oe(k);
  std::vector<bool> good(k);
  std::size_t distinct = 0, two = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    int best = 0;
    predict_candidates(m, ws, &d.x[static_cast<std::size_t>(rows[i]) * d.task_size], 1, q.data(),
                       pe.data(), oe.data(), &best);
    std::copy_n(&q[static_cast<std::size_t>(best) * dof], dof, &answers[i * dof]);
    st.chosen_share[best] += 1;
    for (int c = 0; c < k; ++c) good[c] = pe[c] <= st.good_m && oe[c] <= st.good_rad;
    const int n = distinct_solutions(q.data(), good, k, dof, st.distinct_rad);
    distinct += n;
    two += n >= 2;
  }
  const double n = static_cast<double>(rows.size());
  for (double& s : st.chosen_share) s /= n;
  st.distinct_mean = distinct / n;
  st.two_or_more = two / n;
  st.best = answer_errors(m.arm, d, rows, answers);
  return st;
}

json to_json(const ClusteredStats& s) {
  json j = to_json(s.best);
  j["chosen_share_per_cluster"] = s.chosen_share;
  j["distinct_solutions_mean"] = s.distinct_mean;
  j["two_or_more_solutions_share"] = s.two_or_more;
  j["distinct_rule"] =
      fmt::format("position <= {} mm, orientation <= {:.3g} deg, a joint > {} rad from the others",
                  s.good_m * 1e3, s.good_rad * 180 / M_PI, s.distinct_rad);
  return j;
}

}  // namespace neurokin::train
