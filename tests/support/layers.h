// Building small networks in tests: layers from given weights, and seeded random weights.
#pragma once

#include <cmath>

#include "neurokin/nn.h"
#include "neurokin/random.h"

namespace neurokin::test {

inline Layer dense(const MatrixRM& W, const Eigen::VectorXf& b) {
  Layer l;
  l.type = Layer::Type::kDense;
  l.W = W;
  l.b = b;
  l.in = static_cast<int>(W.cols());
  l.out = static_cast<int>(W.rows());
  return l;
}

inline Layer activation(Activation a, int width) {
  Layer l;
  l.type = Layer::Type::kActivation;
  l.act = a;
  l.in = l.out = width;
  return l;
}

// y = x + act(Wv x + bv) * sigmoid(Wg x + bg)
inline Layer gated(const MatrixRM& Wv, const Eigen::VectorXf& bv, const MatrixRM& Wg,
                   const Eigen::VectorXf& bg, Activation a) {
  Layer l = dense(Wv, bv);
  l.type = Layer::Type::kGatedResidual;
  l.Wg = Wg;
  l.bg = bg;
  l.act = a;
  return l;
}

inline Eigen::VectorXf uniform(Eigen::Index n, Rng& rng, double lo, double hi) {
  Eigen::VectorXf v(n);
  for (float& x : v) x = static_cast<float>(rng.uniform(lo, hi));
  return v;
}

// Glorot & Bengio (2010) uniform initialisation: weights in +-sqrt(6 / (in + out)), so
// outputs stay O(1) through the layers
inline MatrixRM glorot(int out, int in, Rng& rng) {
  const double s = std::sqrt(6.0 / (in + out));
  return Eigen::Map<MatrixRM>(uniform(Eigen::Index(out) * in, rng, -s, s).data(), out, in);
}

}  // namespace neurokin::test
