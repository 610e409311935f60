// make_layers: an Architecture's layers with their initial weights.
#include <cmath>
#include <string>

#include "neurokin/error.h"
#include "neurokin/random.h"
#include "train/mlp.h"

namespace neurokin::train {

namespace {

// the uniform bound that keeps activations' variance through a layer: He et al. 2015 for
// relu-like units (variance 2 / fan_in), Glorot & Bengio 2010 for tanh, sigmoid and linear
// units (variance 2 / (fan_in + fan_out)); U(-a, a) has variance a^2 / 3
double uniform_bound(Activation a, int fan_in, int fan_out) {
  if (a == Activation::kRelu || a == Activation::kSilu) return std::sqrt(6.0 / fan_in);
  return std::sqrt(6.0 / (fan_in + fan_out));
}

MatrixRM uniform_matrix(int rows, int cols, double bound, Rng& rng) {
  MatrixRM W(rows, cols);
  // row-major order, one draw per entry: the same seed gives the same weights everywhere
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) W(r, c) = static_cast<float>(rng.uniform(-bound, bound));
  return W;
}

// dense in -> out, initialised for the activation that follows it
Layer dense_layer(int in, int out, Activation next, Rng& rng) {
  Layer l;
  l.type = Layer::Type::kDense;
  l.in = in;
  l.out = out;
  l.W = uniform_matrix(out, in, uniform_bound(next, in, out), rng);
  l.b = Eigen::VectorXf::Zero(out);
  return l;
}

void check_width(int v, const std::string& where) {
  if (v < 1 || v > kMaxWidth)
    throw_expected(where, "an integer in [1, " + std::to_string(kMaxWidth) + "]",
                   std::to_string(v));
}

}  // namespace

std::vector<Layer> make_layers(const Architecture& arch, int in, int out, std::uint64_t seed) {
  check_width(in, "make_layers: in");
  check_width(out, "make_layers: out");
  for (std::size_t i = 0; i < arch.hidden.size(); ++i)
    check_width(arch.hidden[i], "make_layers: hidden[" + std::to_string(i) + "]");
  const int n_layers = 2 * static_cast<int>(arch.hidden.size()) + arch.gated_blocks + 1;
  if (arch.gated_blocks < 0 || n_layers > kMaxLayers)
    throw_expected("make_layers: gated_blocks",
                   "0 to " + std::to_string(kMaxLayers) + " layers in all",
                   std::to_string(arch.gated_blocks));

  Rng rng(seed);
  std::vector<Layer> layers;
  int width = in;
  for (int h : arch.hidden) {
    layers.push_back(dense_layer(width, h, arch.activation, rng));
    Layer act;
    act.type = Layer::Type::kActivation;
    act.act = arch.activation;
    act.in = act.out = h;
    layers.push_back(act);
    width = h;
  }
  for (int k = 0; k < arch.gated_blocks; ++k) {
    // the value branch as a dense layer before its activation, the gate before a sigmoid
    Layer l = dense_layer(width, width, arch.gated_activation, rng);
    l.type = Layer::Type::kGatedResidual;
    l.act = arch.gated_activation;
    l.Wg = uniform_matrix(width, width, uniform_bound(Activation::kSigmoid, width, width), rng);
    l.bg = Eigen::VectorXf::Zero(width);
    layers.push_back(l);
  }
  // the output layer is linear
  layers.push_back(dense_layer(width, out, Activation::kIdentity, rng));
  return layers;
}

}  // namespace neurokin::train
