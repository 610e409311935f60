// The trainable state of an Mlp, kept apart from the oneDNN compute: every weight and bias in
// one flat 64-byte-aligned array (so the optimiser is a single vectorised loop and oneDNN reads
// the weights in place), their gradients, the Adam moments, the moving average, and the binary
// blob that save_state / load_state exchange.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "neurokin/nn.h"
#include "train/mlp.h"

namespace neurokin::train {

// n floats, 64-byte aligned (an AVX-512 register and a cache line), zero-initialised
class AlignedFloats {
 public:
  AlignedFloats() = default;
  explicit AlignedFloats(std::size_t n);
  float* data() { return p_.get(); }
  const float* data() const { return p_.get(); }
  std::size_t size() const { return n_; }

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::size_t n_ = 0;
  std::unique_ptr<float, Free> p_;
};

inline constexpr std::size_t kNoParameter = static_cast<std::size_t>(-1);

// where one layer's parameters live in the flat arrays (kNoParameter: the layer has none)
struct LayerOffsets {
  std::size_t w = kNoParameter, b = kNoParameter, wg = kNoParameter, bg = kNoParameter;
};

// what a layer must match to take another network's parameters
struct LayerShape {
  Layer::Type type = Layer::Type::kDense;
  Activation act = Activation::kIdentity;
  int in = 0, out = 0;
};

class Parameters {
 public:
  explicit Parameters(const std::vector<Layer>& layers);  // layout and initial values

  const std::vector<LayerShape>& shapes() const { return shapes_; }
  const LayerOffsets& offsets(std::size_t layer) const { return offsets_[layer]; }
  std::size_t count() const { return count_; }  // real parameters, without alignment padding
  std::uint64_t steps() const { return steps_; }

  float* value() { return value_.data(); }
  float* grad() { return grad_.data(); }

  // value (or the moving average) / the gradients into layers of the same shapes; throws Error
  // naming the first mismatch
  void write(std::vector<Layer>& layers, bool ema) const;
  void write_gradients(std::vector<Layer>& layers) const;

  // Adam (Kingma & Ba 2015, algorithm 1, with bias correction) with decoupled weight decay on
  // the weights only (AdamW, Loshchilov & Hutter 2019), global-norm clipping, then the moving
  // average; zeroes the gradients. Returns the pre-clip norm; nothing applied when not finite.
  float adam_step(const OptimizerConfig& opt, float lr);

  // the blob: magic, version, layer shapes, then step count, dropout stream, values, moments,
  // moving average, and an FNV-1a checksum; load throws Error naming the mismatch
  std::string save(std::uint64_t dropout_key, std::uint64_t dropout_counter) const;
  void load(const std::string& blob, std::uint64_t& dropout_key, std::uint64_t& dropout_counter);

 private:
  // a run of at most kChunk parameters of one kind: the unit of parallel work, fixed so that
  // sums come out the same for every thread count
  struct Chunk {
    std::size_t offset, size;
    bool decay;  // a weight (decayed) or a bias (not)
  };
  void copy_out(const float* flat, std::vector<Layer>& layers, const char* what) const;
  double sum_of_squares();

  std::vector<LayerShape> shapes_;
  std::vector<LayerOffsets> offsets_;
  std::vector<Chunk> chunks_;
  std::vector<double> partial_;  // one sum per chunk
  std::size_t count_ = 0;
  std::uint64_t steps_ = 0;
  AlignedFloats value_, grad_, m_, v_, ema_;
};

}  // namespace neurokin::train
