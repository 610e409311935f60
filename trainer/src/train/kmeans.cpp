#include "train/kmeans.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "neurokin/error.h"
#include "neurokin/kinematics.h"
#include "neurokin/random.h"

namespace neurokin::train {

namespace {

double squared_distance(const double* a, const double* b, Eigen::Index d) {
  double s = 0;
  for (Eigen::Index i = 0; i < d; ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
  return s;
}

// k-means++: each next centroid drawn with probability D(x)^2 / sum D^2
PointsRM seed_centroids(const PointsRM& p, int k, Rng& rng) {
  const Eigen::Index n = p.rows(), d = p.cols();
  PointsRM c(k, d);
  c.row(0) = p.row(static_cast<Eigen::Index>(rng.uniform() * n));
  std::vector<double> d2(n);
  for (Eigen::Index i = 0; i < n; ++i)
    d2[i] = squared_distance(p.row(i).data(), c.row(0).data(), d);
  for (int j = 1; j < k; ++j) {
    double total = 0;
    for (double v : d2) total += v;
    Eigen::Index pick = n - 1;
    if (total > 0) {
      // the first point whose running sum passes u * total
      const double u = rng.uniform() * total;
      double run = 0;
      for (Eigen::Index i = 0; i < n; ++i)
        if ((run += d2[i]) > u) {
          pick = i;
          break;
        }
    } else {
      pick = static_cast<Eigen::Index>(rng.uniform() * n);  // every point is a centroid already
    }
    c.row(j) = p.row(pick);
    for (Eigen::Index i = 0; i < n; ++i)
      d2[i] = std::min(d2[i], squared_distance(p.row(i).data(), c.row(j).data(), d));
  }
  return c;
}

}  // namespace

int nearest_centroid(const PointsRM& centroids, const double* point) {
  int best = 0;
  double best_d = std::numeric_limits<double>::infinity();
  for (Eigen::Index j = 0; j < centroids.rows(); ++j) {
    const double dj = squared_distance(point, centroids.row(j).data(), centroids.cols());
    if (dj < best_d) best_d = dj, best = static_cast<int>(j);
  }
  return best;
}

KMeansResult kmeans(const PointsRM& points, const KMeansOptions& opt) {
  const Eigen::Index n = points.rows(), d = points.cols();
  if (opt.k < 1 || opt.k > n)
    throw_expected("kmeans: k", "1 to " + std::to_string(n) + " (the number of points)",
                   std::to_string(opt.k));
  if (!points.allFinite())
    throw Error("kmeans: points: expected finite values, got a NaN or infinity");
  Rng rng(opt.seed);
  KMeansResult r;
  r.centroids = seed_centroids(points, opt.k, rng);
  r.label.assign(n, 0);
  std::vector<double> d2(n);
  PointsRM sums(opt.k, d);
  for (r.iterations = 1; r.iterations <= opt.max_iterations; ++r.iterations) {
    // assignment: each point to its nearest centroid
    for (Eigen::Index i = 0; i < n; ++i) {
      r.label[i] = nearest_centroid(r.centroids, points.row(i).data());
      d2[i] = squared_distance(points.row(i).data(), r.centroids.row(r.label[i]).data(), d);
    }
    // update: each centroid to the mean of its points; an empty one to the farthest point
    sums.setZero();
    r.sizes.assign(opt.k, 0);
    for (Eigen::Index i = 0; i < n; ++i) {
      sums.row(r.label[i]) += points.row(i);
      ++r.sizes[r.label[i]];
    }
    double moved = 0;
    for (int j = 0; j < opt.k; ++j) {
      Eigen::RowVectorXd next;
      if (r.sizes[j] > 0) {
        next = sums.row(j) / static_cast<double>(r.sizes[j]);
      } else {
        const Eigen::Index far = std::max_element(d2.begin(), d2.end()) - d2.begin();
        next = points.row(far);
        d2[far] = 0;
      }
      moved = std::max(moved, (next - r.centroids.row(j)).norm());
      r.centroids.row(j) = next;
    }
    if (moved <= opt.tolerance) {
      r.converged = true;
      break;
    }
  }
  r.iterations = std::min(r.iterations, opt.max_iterations);
  // the final assignment, sizes and inertia for the final centroids
  r.inertia = 0;
  r.sizes.assign(opt.k, 0);
  for (Eigen::Index i = 0; i < n; ++i) {
    r.label[i] = nearest_centroid(r.centroids, points.row(i).data());
    r.inertia += squared_distance(points.row(i).data(), r.centroids.row(r.label[i]).data(), d);
    ++r.sizes[r.label[i]];
  }
  return r;
}

double circular_distance(double a, double b) { return std::abs(wrap_angle(a - b)); }

void angle_features(const float* q, int dof, double* features) {
  for (int j = 0; j < dof; ++j) {
    features[2 * j] = std::sin(static_cast<double>(q[j]));
    features[2 * j + 1] = std::cos(static_cast<double>(q[j]));
  }
}

PointsRM angle_features(const float* q, std::size_t n, int dof) {
  PointsRM f(static_cast<Eigen::Index>(n), 2 * dof);
  for (std::size_t i = 0; i < n; ++i)
    angle_features(q + i * dof, dof, f.row(static_cast<Eigen::Index>(i)).data());
  return f;
}

Eigen::VectorXd feature_angles(const double* features, int dof) {
  Eigen::VectorXd q(dof);
  for (int j = 0; j < dof; ++j) q[j] = std::atan2(features[2 * j], features[2 * j + 1]);
  return q;
}

}  // namespace neurokin::train
