// The training losses on a batch of network outputs, with their gradient with respect to the
// (normalised) outputs. FK terms go through the core: q = decode(y), X = fk(q), and the exact
// gradient dL/dq = -2 J^T e from the task Jacobian (seed 000 ).
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "neurokin/arm.h"
#include "neurokin/nn.h"
#include "neurokin/types.h"

namespace neurokin::train {

// batch means of each term, before weighting
struct LossTerms {
  double joint = 0, sincos = 0, fk_position = 0, fk_orientation = 0;
  double limits = 0;  // squared distance (rad^2) of decoded angles outside their joint limits
};
// the weight of each term in this step (0: not computed)
struct LossWeights {
  double joint = 0, sincos = 0, fk_position = 0, fk_orientation = 0;
  double hard_alpha = 0;  // FK sample weights w_i = 1 + alpha e_i / mean(e)
  double limits = 0;      // keeps predictions within the joint limits (FK alone does not care)
  // pseudo-Huber scales of the FK terms (0: squared error): a sample's squared error e^2
  // becomes 2 d^2 (sqrt(1 + e^2 / d^2) - 1), the same below d, growing like 2 d |e| above it,
  // so the few samples no network can fit (where the chosen branch jumps) stop steering it
  double huber_position = 0;     // metres
  double huber_orientation = 0;  // radians
};

// softmax cross-entropy of a classifier (seed 002): y are n x classes logits, labels class
// indices in [0, classes). Returns the batch mean of -log p(label); writes dy (n x classes,
// the gradient of that mean: (softmax - one-hot) / n) and, per sample, its loss.
// reachability > 0 adds that weight times the binary cross-entropy of class 0 (unreachable)
// against the rest: -log P(S) with S = {0} for label 0 and {1, ..., classes - 1} otherwise,
// whose gradient is p_k - [k in S] p_k / P(S). It weighs the reachable/unreachable boundary
// apart from the three reachable classes' own, which the 4-class term mixes with it.
double cross_entropy(const float* y, const std::int8_t* labels, int n, int classes, float* dy,
                     float* sample_loss, double reachability = 0.0);

class BatchLoss {
 public:
  // decoding and de-normalisation of the network's outputs, as the model file will hold them
  BatchLoss(const Arm& arm, OutputDecoding decoding, Eigen::VectorXf out_mean,
            Eigen::VectorXf out_std);

  // y_n: n x outputs (normalised network outputs), x: n x task_size targets, q_star: n x dof
  // canonical joints. Writes dy_n (n x outputs, the gradient of the weighted sum) and, per
  // sample, the position (m) and orientation (rad) error of the decoded joints. q_offset
  // (trajectory models, n x dof): the current joints, to which the decoded step is added
  LossTerms compute(const float* y_n, const float* x, const float* q_star, int n,
                    const LossWeights& w, float* dy_n, float* position_error,
                    float* orientation_error, const float* q_offset = nullptr);

  // decoded joint angles of one output row
  void decode(const float* y_n_row, double* q) const;

 private:
  const Arm& arm_;
  OutputDecoding decoding_;
  Eigen::VectorXf mean_, std_;
  int dof_, outputs_;
  double reach2_;
  std::vector<double> q_, dq_, dsc_, e_pos_, e_rot_;  // per-batch scratch, grown once
  std::vector<ErrVec> errors_;
  std::vector<TaskJacobian> jacobians_;
};

}  // namespace neurokin::train
