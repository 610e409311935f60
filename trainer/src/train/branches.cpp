#include "train/branches.h"

#include <algorithm>
#include <cstring>

#include "neurokin/error.h"
#include "neurokin/ik.h"
#include "neurokin/ik_analytic.h"
#include "train/trainer.h"

namespace neurokin::train {

BranchTargets branch_targets(const Arm& arm, const Samples& data, const std::vector<std::string>& heads) {
  const std::string where = "config.network.branches";
  data::branch_indices(arm, heads, where);  // throws for a name that is not one of the arm's branches
  const std::size_t n = data.size();
  if (data.branch.size() != n || data.branch_names.empty())
    throw Error(where + ": the training data carry no branch labels (set data.branch_preference)");

  // the dataset's branch index -> head (-1: not a head)
  const std::vector<int> head_of = data::positions_in(data.branch_names, heads);

  BranchTargets t;
  t.heads = static_cast<int>(heads.size());
  t.dof = arm.dof();
  t.q.assign(n * t.heads * t.dof, 0.0f);
  t.valid.assign(n * t.heads, 0);
  t.label.assign(n, -1);
  t.reaches.assign(t.heads, 0);
  t.labelled.assign(t.heads, 0);
  const int ts = data.task_size;
  TaskVec target(ts);
  for (std::size_t r = 0; r < n; ++r) {
    for (int i = 0; i < ts; ++i) target[i] = data.x[r * ts + i];
    const AnalyticSolutions s = solve_ik_analytic(arm, target, /*within_limits=*/false);
    for (int j = 0; j < s.count; ++j)
      for (int k = 0; k < t.heads; ++k) {
        if (std::strcmp(s.sol[j].branch, heads[k].c_str()) != 0) continue;
        const std::size_t hk = r * t.heads + k;
        t.valid[hk] = 1;
        for (int i = 0; i < t.dof; ++i) t.q[hk * t.dof + i] = static_cast<float>(s.sol[j].q[i]);
        ++t.reaches[k];
      }
    const int b = data.branch[r];
    const int k = b >= 0 && b < static_cast<int>(head_of.size()) ? head_of[b] : -1;
    // a canonical branch its head cannot give (a double root merged at a singularity) is no label
    if (k >= 0 && t.valid[r * t.heads + k]) {
      t.label[r] = static_cast<std::int8_t>(k);
      ++t.labelled[k];
    } else {
      ++t.unlabelled;
    }
  }
  return t;
}

BranchLoss::BranchLoss(const Arm& arm, OutputDecoding decoding, const Eigen::VectorXf& out_mean,
                       const Eigen::VectorXf& out_std, int heads)
    : k_(heads),
      h_(decoding == OutputDecoding::kSinCos ? 2 * arm.dof() : arm.dof()),
      outputs_(heads * h_ + heads),
      ts_(task_size(arm.task)),
      dof_(arm.dof()) {
  for (int k = 0; k < k_; ++k)
    heads_.emplace_back(arm, decoding, out_mean.segment(k * h_, h_), out_std.segment(k * h_, h_));
}

LossTerms BranchLoss::compute(const float* y_n, const float* x, const BranchTargets& t, const int* rows,
                              int n, const LossWeights& w, double branch, float* dy_n,
                              float* position_error, float* orientation_error, double* cross_entropy_out) {
  std::fill(dy_n, dy_n + static_cast<std::size_t>(n) * outputs_, 0.0f);
  std::fill(position_error, position_error + n, 0.0f);
  std::fill(orientation_error, orientation_error + n, 0.0f);
  y_.resize(static_cast<std::size_t>(n) * h_);
  dy_.resize(y_.size());
  x_.resize(static_cast<std::size_t>(n) * ts_);
  q_.resize(static_cast<std::size_t>(n) * dof_);
  pe_.resize(n);
  re_.resize(n);
  at_.resize(n);

  // each head on the samples its branch reaches; the heads' terms averaged
  LossWeights wk = w;
  wk.joint /= k_, wk.sincos /= k_, wk.fk_position /= k_, wk.fk_orientation /= k_;
  wk.limits = 0;
  LossTerms terms;
  for (int k = 0; k < k_; ++k) {
    int m = 0;
    for (int s = 0; s < n; ++s) {
      const std::size_t hk = static_cast<std::size_t>(rows[s]) * k_ + k;
      if (!t.valid[hk]) continue;
      std::copy_n(y_n + static_cast<std::size_t>(s) * outputs_ + k * h_, h_, &y_[static_cast<std::size_t>(m) * h_]);
      std::copy_n(x + static_cast<std::size_t>(s) * ts_, ts_, &x_[static_cast<std::size_t>(m) * ts_]);
      std::copy_n(&t.q[hk * dof_], dof_, &q_[static_cast<std::size_t>(m) * dof_]);
      at_[m++] = s;
    }
    if (m == 0) continue;
    const LossTerms tk = heads_[k].compute(y_.data(), x_.data(), q_.data(), m, wk, dy_.data(), pe_.data(), re_.data());
    terms.joint += tk.joint / k_;
    terms.sincos += tk.sincos / k_;
    terms.fk_position += tk.fk_position / k_;
    terms.fk_orientation += tk.fk_orientation / k_;
    for (int j = 0; j < m; ++j) {
      const int s = at_[j];
      std::copy_n(&dy_[static_cast<std::size_t>(j) * h_], h_, dy_n + static_cast<std::size_t>(s) * outputs_ + k * h_);
      position_error[s] = std::max(position_error[s], pe_[j]);
      orientation_error[s] = std::max(orientation_error[s], re_[j]);
    }
  }

  // the choice: cross-entropy of the logits on the labelled samples
  *cross_entropy_out = 0;
  if (branch > 0) {
    logits_.resize(static_cast<std::size_t>(n) * k_);
    dlogits_.resize(logits_.size());
    labels_.resize(n);
    int m = 0;
    for (int s = 0; s < n; ++s) {
      const int label = t.label[rows[s]];
      if (label < 0) continue;
      std::copy_n(y_n + static_cast<std::size_t>(s) * outputs_ + k_ * h_, k_, &logits_[static_cast<std::size_t>(m) * k_]);
      labels_[m] = static_cast<std::int8_t>(label);
      at_[m++] = s;
    }
    if (m > 0) {
      *cross_entropy_out = cross_entropy(logits_.data(), labels_.data(), m, k_, dlogits_.data(), nullptr);
      for (int j = 0; j < m; ++j)
        for (int c = 0; c < k_; ++c)
          dy_n[static_cast<std::size_t>(at_[j]) * outputs_ + k_ * h_ + c] =
              static_cast<float>(branch * dlogits_[static_cast<std::size_t>(j) * k_ + c]);
    }
  }
  return terms;
}

}  // namespace neurokin::train
