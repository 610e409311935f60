// Training a clustered regression model (seed 002; the model: neurokin/clustered.h): k-means
// with k-means++ seeding on the training joints' (sin, cos) features (train/kmeans.h), every
// sample labelled by its nearest centroid, then one ik network per cluster trained by
// train_model on that cluster's samples (its train / validation / test rows), all with the
// config's network, losses and schedule.
#pragma once

#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "neurokin/clustered.h"
#include "train/config.h"
#include "train/kmeans.h"
#include "train/trainer.h"

namespace neurokin::train {

struct ClusterConfig {
  int k = 4;
  int max_iterations = 100;
  std::int64_t fit_samples = 100000;  // training rows k-means fits on (a seeded draw); 0: all
  std::uint64_t seed = 1;
  double orientation_weight = 0.1;  // m/rad, the FK-consistency score (clustered.h)
};

// {"k": 4, "max_iterations": 100, "fit_samples": 100000, "seed": 1,
//  "orientation_weight_m_per_rad": 0.1}; every field optional, unknown fields are errors
// naming the path under `where` ("config.clusters.k: expected an integer in [1, 32], got 0")
ClusterConfig cluster_config_from_json(const nlohmann::json& j, const std::string& where);
nlohmann::json cluster_config_to_json(const ClusterConfig& c);

// the k-means fit on the training rows and every row's cluster (train, validation, test)
struct Clustering {
  KMeansResult fit;
  std::vector<int> label;                        // per sample of the data
  std::vector<Eigen::VectorXd> centroid_angles;  // per cluster: the circular mean, rad
};
Clustering cluster_samples(const Samples& data, const ClusterConfig& c);

// the rows of data in cluster k, with their split (train / validation / test) kept
Samples cluster_subset(const Samples& data, const std::vector<int>& label, int k);

// k-means, then one network per cluster (opt.out + ".c<k>": each member's log and checkpoint).
// cfg.kind is "ik_clustered"; each member trains as kind "ik". Throws Error for a cluster with
// no training or validation rows (fewer clusters or more samples), and for
// data.branch_preference, which would move every sample onto one branch before clustering.
ClusteredModel train_clustered(const TrainConfig& cfg, const Arm& arm, const Samples& data,
                               const TrainOptions& opt);

// a clustered model on rows of data: the FK-consistent answer's errors, how often each cluster
// gave it, and how many distinct good solutions the candidates hold per target (good: position
// error <= good_m and orientation error <= good_rad; distinct: some joint more than
// distinct_rad apart around the circle from every other good one)
struct ClusteredStats {
  ErrorStats best;
  std::vector<double> chosen_share;  // per cluster
  double distinct_mean = 0;          // distinct good solutions per target
  double two_or_more = 0;            // share of targets with at least 2 of them
  double good_m = 5e-3, good_rad = 2.0 * M_PI / 180.0, distinct_rad = 0.1;
};
ClusteredStats evaluate_clustered(const ClusteredModel& m, const Samples& data,
                                  const std::vector<int>& rows);
nlohmann::json to_json(const ClusteredStats& s);

// the number of distinct good candidates among k (q: k x dof; good per candidate)
int distinct_solutions(const float* q, const std::vector<bool>& good, int k, int dof,
                       double distinct_rad);

}  // namespace neurokin::train
