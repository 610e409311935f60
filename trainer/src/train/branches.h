// Training targets for a network with branch heads (nn.h): for every sample, each head's
// branch solution of the sample's target from the closed-form solver with the limits ignored
// (so that each head learns one smooth map over the whole workspace), and which head the
// canonical branch is (the choice the logits learn).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "neurokin/arm.h"
#include "train/loss.h"

namespace neurokin::train {

struct Samples;

struct BranchTargets {
  int heads = 0, dof = 0;
  std::vector<float> q;              // n x heads x dof, radians; 0 where not valid
  std::vector<std::uint8_t> valid;   // n x heads: the branch reaches the target (limits aside)
  std::vector<std::int8_t> label;    // n: the head of the sample's canonical branch, -1: none
  std::vector<std::int64_t> reaches;  // per head: samples its branch reaches
  std::vector<std::int64_t> labelled; // per head: samples whose canonical branch it is
  std::int64_t unlabelled = 0;        // samples on no head's branch (they train the heads only)
};

// throws Error naming network.branches when the arm has no closed-form solver or a name is
// not one of its branches (listing them), or when the samples carry no branch labels
BranchTargets branch_targets(const Arm& arm, const Samples& data,
                             const std::vector<std::string>& heads);

// the loss of a network with branch heads: each head's terms (loss.h) on the samples its
// branch reaches, against its own branch solution, averaged over the heads; plus `branch`
// times the cross-entropy of the logits against the canonical branch (labelled samples)
class BranchLoss {
 public:
  // out_mean / out_std: the whole output's (heads blocks, then the logits at 0 / 1)
  BranchLoss(const Arm& arm, OutputDecoding decoding, const Eigen::VectorXf& out_mean,
             const Eigen::VectorXf& out_std, int heads);

  // y_n: n x outputs; x: n x task_size targets; rows: each sample's row in t. Writes dy_n
  // and, per sample, the largest position / orientation error over the heads that reach it
  // (what hard mining ranks). The limits term is not applied (heads answer beyond them).
  LossTerms compute(const float* y_n, const float* x, const BranchTargets& t, const int* rows,
                    int n, const LossWeights& w, double branch, float* dy_n,
                    float* position_error, float* orientation_error, double* cross_entropy);

 private:
  std::vector<BatchLoss> heads_;
  int k_, h_, outputs_, ts_, dof_;
  std::vector<float> y_, x_, q_, dy_, pe_, re_, logits_, dlogits_;
  std::vector<std::int8_t> labels_;
  std::vector<int> at_;
};

}  // namespace neurokin::train
