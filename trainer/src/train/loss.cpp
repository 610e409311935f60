#include "train/loss.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "neurokin/kinematics.h"

namespace neurokin::train {

namespace {

// the pseudo-Huber form of a squared error e2 at scale d (d = 0: e2 itself), and its slope
// d rho / d e2 = 1 / sqrt(1 + e2 / d^2)
double robust(double e2, double d, double& slope) {
  if (!(d > 0)) return slope = 1, e2;
  const double s = std::sqrt(1 + e2 / (d * d));
  slope = 1 / s;
  return 2 * e2 / (s + 1);  // = 2 d^2 (s - 1), without the cancellation for e2 << d^2
}

}  // namespace

BatchLoss::BatchLoss(const Arm& arm, OutputDecoding decoding, Eigen::VectorXf out_mean,
                     Eigen::VectorXf out_std)
    : arm_(arm),
      decoding_(decoding),
      mean_(std::move(out_mean)),
      std_(std::move(out_std)),
      dof_(arm.dof()),
      outputs_(decoding == OutputDecoding::kSinCos ? 2 * arm.dof() : arm.dof()),
      reach2_(arm.reach_radius * arm.reach_radius) {}

void BatchLoss::decode(const float* y, double* q) const {
  for (int i = 0; i < dof_; ++i) {
    if (decoding_ == OutputDecoding::kSinCos) {
      const double s = y[2 * i] * std_[2 * i] + mean_[2 * i];
      const double c = y[2 * i + 1] * std_[2 * i + 1] + mean_[2 * i + 1];
      q[i] = std::atan2(s, c);
    } else {
      q[i] = y[i] * std_[i] + mean_[i];
    }
  }
}

LossTerms BatchLoss::compute(const float* y_n, const float* x, const float* q_star, int n,
                             const LossWeights& w, float* dy_n, float* position_error,
                             float* orientation_error, const float* q_offset) {
  const int ts = task_size(arm_.task), td = task_dof(arm_.task);
  const int pos_rows = arm_.task == TaskKind::kPlanarXY ? 2 : 3;
  const bool fk = w.fk_position > 0 || w.fk_orientation > 0;
  q_.resize(static_cast<size_t>(n) * dof_);
  dq_.assign(static_cast<size_t>(n) * dof_, 0.0);
  dsc_.assign(decoding_ == OutputDecoding::kSinCos ? 2 * static_cast<size_t>(n) * dof_ : 0, 0.0);
  e_pos_.resize(n);
  e_rot_.resize(n);
  LossTerms terms;

  // every sample's decoded joints and task-space error (the errors are reported always)
  if (errors_.size() < static_cast<size_t>(n)) errors_.resize(n);
  if (fk && jacobians_.size() < static_cast<size_t>(n)) jacobians_.resize(n);
  std::vector<ErrVec>& errors = errors_;
  std::vector<TaskJacobian>& jacobians = jacobians_;
  for (int k = 0; k < n; ++k) {
    double* q = &q_[static_cast<size_t>(k) * dof_];
    decode(y_n + static_cast<size_t>(k) * outputs_, q);
    if (q_offset)
      for (int i = 0; i < dof_; ++i) q[i] += q_offset[static_cast<size_t>(k) * dof_ + i];
    const Eigen::Map<const Eigen::VectorXd> qv(q, dof_);
    TaskVec target(ts);
    for (int i = 0; i < ts; ++i) target[i] = x[static_cast<size_t>(k) * ts + i];
    const Eigen::Isometry3d X = fk ? task_jacobian(arm_, qv, jacobians[k]) : neurokin::fk(arm_, qv);
    const TaskError err = task_error(arm_, X, target);
    errors[k] = err.e;
    e_pos_[k] = err.position_error;
    e_rot_[k] = err.orientation_error;
    position_error[k] = static_cast<float>(err.position_error);
    orientation_error[k] = static_cast<float>(err.orientation_error);
  }

  // joint-space terms: wrapped joint error, and (sin, cos) error, both per joint
  const double inv_nd = 1.0 / (static_cast<double>(n) * dof_);
  for (int k = 0; k < n; ++k) {
    for (int i = 0; i < dof_; ++i) {
      const size_t idx = static_cast<size_t>(k) * dof_ + i;
      const double q = q_[idx], qs = q_star[idx];
      if (w.joint > 0) {
        const double e = wrap_angle(q - qs);
        terms.joint += e * e * inv_nd;
        dq_[idx] += w.joint * 2 * e * inv_nd;
      }
      if (w.sincos > 0 && decoding_ == OutputDecoding::kSinCos) {
        // on the raw (sin, cos) outputs (seed 001): also keeps their norm near 1
        const float* y = y_n + static_cast<size_t>(k) * outputs_;
        const double ds = y[2 * i] * std_[2 * i] + mean_[2 * i] - std::sin(qs);
        const double dc = y[2 * i + 1] * std_[2 * i + 1] + mean_[2 * i + 1] - std::cos(qs);
        terms.sincos += (ds * ds + dc * dc) * inv_nd;
        dsc_[2 * idx] = w.sincos * 2 * ds * inv_nd;
        dsc_[2 * idx + 1] = w.sincos * 2 * dc * inv_nd;
      } else if (w.sincos > 0) {
        // angles decoding: the same error of (sin q, cos q), through q
        const double ds = std::sin(q) - std::sin(qs), dc = std::cos(q) - std::cos(qs);
        terms.sincos += (ds * ds + dc * dc) * inv_nd;
        dq_[idx] += w.sincos * 2 * (ds * std::cos(q) - dc * std::sin(q)) * inv_nd;
      }
    }
  }

  // joint limits: the distance around the circle from q to [lo, hi], for joints whose range
  // is less than a turn (any angle of a wider joint has a representative within its limits)
  if (w.limits > 0) {
    for (int k = 0; k < n; ++k)
      for (int i = 0; i < dof_; ++i) {
        const double lo = arm_.joints[i].lower, hi = arm_.joints[i].upper;
        if (hi - lo >= 2 * M_PI) continue;
        const size_t idx = static_cast<size_t>(k) * dof_ + i;
        const double q = q_[idx];
        const double above = std::fmod(std::fmod(q - hi, 2 * M_PI) + 2 * M_PI, 2 * M_PI);
        const double below = std::fmod(std::fmod(lo - q, 2 * M_PI) + 2 * M_PI, 2 * M_PI);
        if (above + below > 2 * M_PI - (hi - lo) + 1e-12) continue;  // within [lo, hi]
        const double d = std::min(above, below), sign = above < below ? 1.0 : -1.0;
        terms.limits += d * d * inv_nd;
        dq_[idx] += w.limits * 2 * d * sign * inv_nd;
      }
  }

  // fk terms through the exact task jacobian: d|e|^2/dq = -2 J^T e
  if (fk) {
    double mean_pos = 0;
    for (int k = 0; k < n; ++k) mean_pos += e_pos_[k] / n;
    for (int k = 0; k < n; ++k) {
      const double wk = w.hard_alpha > 0 && mean_pos > 0 ? 1 + w.hard_alpha * e_pos_[k] / mean_pos : 1.0;
      const ErrVec& e = errors[k];
      const TaskJacobian& J = jacobians[k];
      Eigen::Map<Eigen::VectorXd> g(&dq_[static_cast<size_t>(k) * dof_], dof_);
      double slope = 1;  // d rho / d(e^2)
      terms.fk_position += robust(e.head(pos_rows).squaredNorm(), w.huber_position, slope) / (n * reach2_);
      if (w.fk_position > 0)
        g -= (w.fk_position * wk * slope * 2.0 / (n * reach2_)) * J.topRows(pos_rows).transpose() * e.head(pos_rows);
      if (td > pos_rows) {
        const int r = td - pos_rows;
        terms.fk_orientation += robust(e.tail(r).squaredNorm(), w.huber_orientation, slope) / n;
        if (w.fk_orientation > 0)
          g -= (w.fk_orientation * wk * slope * 2.0 / n) * J.bottomRows(r).transpose() * e.tail(r);
      }
    }
  }

  // back through the decoding and the de-normalisation to the network's outputs
  for (int k = 0; k < n; ++k) {
    const float* y = y_n + static_cast<size_t>(k) * outputs_;
    float* dy = dy_n + static_cast<size_t>(k) * outputs_;
    for (int i = 0; i < dof_; ++i) {
      const double g = dq_[static_cast<size_t>(k) * dof_ + i];
      if (decoding_ == OutputDecoding::kSinCos) {
        // q = atan2(s, c): dq/ds = c / (s^2 + c^2), dq/dc = -s / (s^2 + c^2)
        const double s = y[2 * i] * std_[2 * i] + mean_[2 * i];
        const double c = y[2 * i + 1] * std_[2 * i + 1] + mean_[2 * i + 1];
        const double r2 = std::max(s * s + c * c, 1e-12);
        const size_t idx = static_cast<size_t>(k) * dof_ + i;
        dy[2 * i] = static_cast<float>((g * c / r2 + dsc_[2 * idx]) * std_[2 * i]);
        dy[2 * i + 1] = static_cast<float>((-g * s / r2 + dsc_[2 * idx + 1]) * std_[2 * i + 1]);
      } else {
        dy[i] = static_cast<float>(g * std_[i]);
      }
    }
  }
  return terms;
}

double cross_entropy(const float* y, const std::int8_t* labels, int n, int classes, float* dy,
                     float* sample_loss, double reachability) {
  double total = 0;
  const double inv_n = 1.0 / n;
  for (int r = 0; r < n; ++r) {
    const float* z = y + static_cast<std::size_t>(r) * classes;
    float* g = dy + static_cast<std::size_t>(r) * classes;
    const int label = labels[r];
    assert(label >= 0 && label < classes);
    // log-sum-exp shifted by the largest logit: no overflow
    const double zmax = *std::max_element(z, z + classes);
    double sum = 0;
    for (int k = 0; k < classes; ++k) sum += std::exp(z[k] - zmax);
    const double log_sum = std::log(sum) + zmax;
    double loss = log_sum - z[label];
    double p_set = 1.0;  // P(S), the probability of the label's side (reachable or not)
    if (reachability > 0) {
      double in_set = 0;
      for (int k = 0; k < classes; ++k)
        if ((k == 0) == (label == 0)) in_set += std::exp(z[k] - zmax);
      p_set = in_set / sum;
      loss += reachability * (log_sum - zmax - std::log(in_set));
    }
    for (int k = 0; k < classes; ++k) {
      const double p = std::exp(z[k] - log_sum);
      double grad = p - (k == label ? 1.0 : 0.0);
      if (reachability > 0) grad += reachability * (p - ((k == 0) == (label == 0) ? p / p_set : 0.0));
      g[k] = static_cast<float>(grad * inv_n);
    }
    if (sample_loss) sample_loss[r] = static_cast<float>(loss);
    total += loss;
  }
  return total * inv_n;
}

}  // namespace neurokin::train
