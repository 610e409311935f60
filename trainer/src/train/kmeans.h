// k-means (Lloyd 1982) with k-means++ seeding (Arthur & Vassilvitskii 2007), deterministic
// from a seed, and the joint-space features it clusters for clustered regression (seed 002).
//
// Joint angles live on circles: q = pi - 0.01 and q = -pi + 0.01 are 0.02 rad apart, not
// 2 pi - 0.02. So the points clustered are (sin q_j, cos q_j) per joint: their squared
// Euclidean distance is sum_j 2 - 2 cos(a_j - b_j), the chordal distance, which grows with
// the circular one; a centroid's angles are the circular means atan2(mean sin, mean cos).
//
// Written here rather than taken from a library: Debian 12 has no mlpack (only an R binding),
// and dlib or OpenCV would bring a large dependency into the trainer for ~100 lines.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <vector>

namespace neurokin::train {

using PointsRM = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct KMeansOptions {
  int k = 4;
  int max_iterations = 100;
  double tolerance = 1e-8;  // stop when no centroid moves more than this (Euclidean)
  std::uint64_t seed = 1;
};

struct KMeansResult {
  PointsRM centroids;               // k x d
  std::vector<int> label;           // per point: its nearest centroid
  std::vector<std::int64_t> sizes;  // points per cluster
  double inertia = 0;               // sum of squared distances to the nearest centroid
  int iterations = 0;
  bool converged = false;
};

// clusters the rows of points (n x d, n >= k >= 1). Seeding: the first centroid a uniform
// draw, each next one drawn with probability proportional to D(x)^2, the squared distance to
// the nearest chosen centroid. Then Lloyd iterations; a cluster left empty takes the point
// farthest from its centroid. The same points and seed give the same result, bit for bit.
// Throws Error when k is out of range or a point is not finite.
KMeansResult kmeans(const PointsRM& points, const KMeansOptions& opt);

// the index of the row of centroids nearest to point (squared Euclidean; first of equal ones)
int nearest_centroid(const PointsRM& centroids, const double* point);

// |a - b| around the circle, in [0, pi]
double circular_distance(double a, double b);

// n x dof angles (row-major float, radians) -> n x 2 dof features (sin q_j, cos q_j)
PointsRM angle_features(const float* q, std::size_t n, int dof);
void angle_features(const float* q, int dof, double* features);  // one row

// a row of angle features -> dof angles, atan2(sin, cos) per joint (the circular mean of a
// centroid's members)
Eigen::VectorXd feature_angles(const double* features, int dof);

}  // namespace neurokin::train
