// The training engine: an MLP with the core's layer types (dense, activation, gated residual
// block) whose forward and backward passes run on oneDNN primitives (f32, CPU). It trains
// the network part only: encodings, normalisation and decoding stay with the caller, which
// feeds normalised inputs and gets raw network outputs, exactly as neurokin::predict sees them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "neurokin/nn.h"

namespace neurokin::train {

// the shape of a network: dense(in -> hidden[0]), act, ..., dense(-> hidden.back()), act, then
// `gated_blocks` gated residual blocks of width hidden.back() (seed 001), then dense(-> out)
struct Architecture {
  std::vector<int> hidden = {256, 256, 256};
  Activation activation = Activation::kRelu;
  int gated_blocks = 0;
  Activation gated_activation = Activation::kSilu;  // the value branch of the gated blocks
};

// layers with He (relu/silu) or Xavier (tanh/sigmoid) uniform initial weights from a seed;
// the Network's normalisation is left to the caller
std::vector<Layer> make_layers(const Architecture& arch, int in, int out, std::uint64_t seed);

struct OptimizerConfig {
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
  float weight_decay = 0.0f;  // decoupled (AdamW, Loshchilov & Hutter 2019); 0: plain Adam
  float clip_norm = 0.0f;     // clip the global gradient norm to this; 0: off
  float ema_decay = 0.0f;     // moving average of the weights, decay min(this, (1+t)/(10+t)); 0: off
};

class Mlp {
 public:
  // the architecture and initial weights of `layers`; n <= max_batch rows per call; dropout
  // (training only) after each hidden activation and inside gated blocks; threads <= 0: the
  // OpenMP default
  Mlp(const std::vector<Layer>& layers, int max_batch, float dropout, std::uint64_t seed,
      int threads = 0);
  ~Mlp();
  Mlp(const Mlp&) = delete;
  Mlp& operator=(const Mlp&) = delete;

  int input_width() const;
  int output_width() const;
  std::size_t parameter_count() const;
  int max_batch() const;
  std::uint64_t steps() const;  // optimiser steps applied so far (restored by load_state)
  // the matmul flops of one forward + backward on n rows, 2 M N K per GEMM (forward, backward
  // data except for the first layer, backward weights): what `neurokin bench train` counts
  double matmul_flops(int n) const;

  // n rows of normalised inputs (row-major, n x input_width) -> n x output_width raw outputs,
  // valid until the next call. training = true keeps what backward needs and applies dropout
  const float* forward(const float* x, int n, bool training);
  // dL/dy for the rows of the last training forward; accumulates the weight gradients.
  // Throws Error when there was no training forward yet
  void backward(const float* dy);
  // one Adam(W) step with learning rate lr, then zeroes the gradients; returns the global
  // gradient norm before clipping (NaN or Inf when the gradients are not finite: nothing is
  // applied then, and the gradients are zeroed all the same). Throws Error on a bad config
  float step(const OptimizerConfig& opt, float lr);

  // the current weights (or their moving average) into layers of the same shape; throws Error
  // naming the first layer that differs. With ema_decay 0 the moving average is the weights
  void write_weights(std::vector<Layer>& layers, bool ema) const;
  // the gradients accumulated since the last step, in the same layout (for checks and tests)
  void write_gradients(std::vector<Layer>& layers) const;

  // everything needed to resume bit-identically: weights, Adam moments, EMA, step count,
  // dropout generator state
  std::string save_state() const;
  void load_state(const std::string& blob);  // throws Error on a blob of another shape

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// f32 GEMM throughput of oneDNN on this machine (M = N = K = size), for `neurokin bench train`
double peak_gemm_gflops(int size, int threads, int repeats);
// the OpenMP threads a call given `threads` runs on (threads <= 0: the OpenMP default)
int thread_count(int threads);

}  // namespace neurokin::train
