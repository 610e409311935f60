// The training engine (trainer/src/train/mlp.h): gradients of every layer type and activation
// against central differences, forward against the core's predict, Adam / AdamW / clipping /
// EMA against hand-computed updates, dropout, bit-identical resume, partial batches, a fit
// that converges, and every error path.
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "neurokin/error.h"
#include "neurokin/nn.h"
#include "neurokin/random.h"
#include "train/mlp.h"

namespace neurokin::train {
namespace {

using Catch::Contains;
using Catch::Detail::Approx;
using Type = Layer::Type;

constexpr Activation kAllActivations[] = {Activation::kIdentity, Activation::kRelu,
                                          Activation::kSilu, Activation::kTanh,
                                          Activation::kSigmoid};
constexpr int kThreads = 1;  // tiny networks: one thread is fastest and tests run side by side

// ---- helpers ----

std::vector<float> uniform(std::size_t n, Rng& rng, double lo = -1.0, double hi = 1.0) {
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(rng.uniform(lo, hi));
  return v;
}

// make_layers with small random biases, so bias paths carry signal
std::vector<Layer> random_layers(const Architecture& arch, int in, int out, std::uint64_t seed) {
  std::vector<Layer> layers = make_layers(arch, in, out, seed);
  Rng rng(seed + 1000);
  for (Layer& l : layers) {
    for (float& b : l.b) b = static_cast<float>(rng.uniform(-0.3, 0.3));
    for (float& b : l.bg) b = static_cast<float>(rng.uniform(-0.3, 0.3));
  }
  return layers;
}

Architecture arch(std::vector<int> hidden, Activation act, int gated = 0,
                  Activation gated_act = Activation::kSilu) {
  Architecture a;
  a.hidden = std::move(hidden);
  a.activation = act;
  a.gated_blocks = gated;
  a.gated_activation = gated_act;
  return a;
}

// the core's inference on the layers, identity normalisation on both ends
std::vector<float> predict_rows(const std::vector<Layer>& layers, const std::vector<float>& x,
                                int n) {
  Network net;
  net.input_size = layers.front().in;
  net.layers = layers;
  net.in_mean = Eigen::VectorXf::Zero(net.input_size);
  net.in_std = Eigen::VectorXf::Ones(net.input_size);
  net.out_mean = Eigen::VectorXf::Zero(net.net_outputs());
  net.out_std = Eigen::VectorXf::Ones(net.net_outputs());
  Workspace ws(net);
  std::vector<float> y(static_cast<std::size_t>(n) * net.net_outputs());
  predict(net, ws, x.data(), n, y.data());
  return y;
}

// every parameter of the layers: all weights (W, Wg) layer by layer, then all biases
std::vector<float*> parameters_of(std::vector<Layer>& layers) {
  std::vector<float*> p;
  for (Layer& l : layers)
    for (auto* m : {&l.W, &l.Wg})
      for (Eigen::Index i = 0; i < m->size(); ++i) p.push_back(m->data() + i);
  for (Layer& l : layers)
    for (auto* v : {&l.b, &l.bg})
      for (Eigen::Index i = 0; i < v->size(); ++i) p.push_back(v->data() + i);
  return p;
}

std::vector<double> values(std::vector<Layer> layers) {
  std::vector<double> v;
  for (float* p : parameters_of(layers)) v.push_back(*p);
  return v;
}

// sum(r .* y) in double: a fixed random linear function of the outputs, dL/dy = r
double linear_loss(const float* y, const std::vector<float>& r) {
  double s = 0;
  for (std::size_t i = 0; i < r.size(); ++i) s += static_cast<double>(r[i]) * y[i];
  return s;
}

// dL/dtheta by central differences, h ~ 1e-3; loss(layers) evaluates the perturbed network.
// The step actually taken is (p + h) - (p - h) in float, not 2h
template <class Loss>
std::vector<double> numeric_gradient(const std::vector<Layer>& layers, Loss loss, double h,
                                     std::size_t stride = 1) {
  std::vector<Layer> work = layers;
  const std::vector<float*> p = parameters_of(work);
  std::vector<double> g(p.size(), std::numeric_limits<double>::quiet_NaN());
  for (std::size_t i = 0; i < p.size(); i += stride) {
    const float saved = *p[i];
    const float up = static_cast<float>(saved + h), down = static_cast<float>(saved - h);
    *p[i] = up;
    const double l_up = loss(work);
    *p[i] = down;
    const double l_down = loss(work);
    *p[i] = saved;
    g[i] = (l_up - l_down) / (static_cast<double>(up) - down);
  }
  return g;
}

// analytic vs numeric: relative 1e-2, floored at 10% of the largest entry (f32 noise on the
// smallest entries), and the norm of the difference within 1e-2 of the norm
void check_gradient(const std::vector<double>& analytic, const std::vector<double>& numeric) {
  REQUIRE(analytic.size() == numeric.size());
  double largest = 0, diff2 = 0, norm2 = 0;
  for (double v : numeric)
    if (!std::isnan(v)) largest = std::max(largest, std::abs(v));
  REQUIRE(largest > 1e-3);  // the loss must depend on the parameters
  for (std::size_t i = 0; i < numeric.size(); ++i) {
    if (std::isnan(numeric[i])) continue;
    INFO("parameter " << i << ": analytic " << analytic[i] << ", numeric " << numeric[i]);
    CHECK(std::abs(analytic[i] - numeric[i]) <=
          1e-2 * std::max(std::abs(numeric[i]), 0.1 * largest));
    diff2 += (analytic[i] - numeric[i]) * (analytic[i] - numeric[i]);
    norm2 += numeric[i] * numeric[i];
  }
  CHECK(std::sqrt(diff2) <= 1e-2 * std::sqrt(norm2));
}

// the engine's gradient of sum(r .* y) over n rows (a training forward, then backward(r))
std::vector<double> engine_gradient(Mlp& mlp, const std::vector<Layer>& layers,
                                    const std::vector<float>& x, const std::vector<float>& r,
                                    int n) {
  mlp.forward(x.data(), n, true);
  mlp.backward(r.data());
  std::vector<Layer> grads = layers;
  mlp.write_gradients(grads);
  return values(grads);
}

// the gradient check through the core's predict (no dropout): n rows out of max_batch
void check_against_predict(const std::vector<Layer>& layers, int n, int max_batch,
                           std::uint64_t seed) {
  Rng rng(seed);
  const int in = layers.front().in, out = layers.back().out;
  const std::vector<float> x = uniform(static_cast<std::size_t>(n) * in, rng, -1.5, 1.5);
  const std::vector<float> r = uniform(static_cast<std::size_t>(n) * out, rng);
  Mlp mlp(layers, max_batch, 0.0f, seed, kThreads);
  const std::vector<double> analytic = engine_gradient(mlp, layers, x, r, n);
  const auto loss = [&](const std::vector<Layer>& l) {
    return linear_loss(predict_rows(l, x, n).data(), r);
  };
  check_gradient(analytic, numeric_gradient(layers, loss, 1e-3));
}

bool same_bits(const std::vector<Layer>& a, const std::vector<Layer>& b) {
  std::vector<Layer> ca = a, cb = b;
  const std::vector<float*> pa = parameters_of(ca), pb = parameters_of(cb);
  if (pa.size() != pb.size()) return false;
  for (std::size_t i = 0; i < pa.size(); ++i)
    if (std::memcmp(pa[i], pb[i], sizeof(float)) != 0) return false;
  return true;
}

// ---- make_layers ----

TEST_CASE("make_layers: shapes and zero biases and He / Glorot bounds from a seed") {
  const auto layers = make_layers(arch({32, 16}, Activation::kRelu, 2, Activation::kTanh), 5, 3, 7);
  REQUIRE(layers.size() == 2 * 2 + 2 + 1);
  CHECK(layers[0].type == Type::kDense);
  CHECK(layers[0].in == 5);
  CHECK(layers[0].out == 32);
  CHECK(layers[1].type == Type::kActivation);
  CHECK(layers[1].act == Activation::kRelu);
  CHECK(layers[4].type == Type::kGatedResidual);
  CHECK(layers[4].act == Activation::kTanh);
  CHECK(layers[4].in == 16);
  CHECK(layers[4].Wg.rows() == 16);
  CHECK(layers[6].out == 3);
  for (const Layer& l : layers) {
    CHECK(l.b.isZero(0));
    CHECK(l.bg.isZero(0));
  }

  // U(-a, a): every entry within a, and the spread of a uniform (std a / sqrt 3)
  const auto check_bound = [](const MatrixRM& W, double a) {
    CHECK(W.cwiseAbs().maxCoeff() <= a);
    const double std = std::sqrt(W.cwiseProduct(W).mean());
    CHECK(std == Approx(a / std::sqrt(3.0)).epsilon(0.1));
  };
  check_bound(layers[0].W, std::sqrt(6.0 / 5));           // He, relu
  check_bound(layers[2].W, std::sqrt(6.0 / 32));          // He, relu
  check_bound(layers[4].W, std::sqrt(6.0 / (16 + 16)));   // Glorot, tanh value branch
  check_bound(layers[4].Wg, std::sqrt(6.0 / (16 + 16)));  // Glorot, sigmoid gate
  check_bound(layers[6].W, std::sqrt(6.0 / (16 + 3)));    // Glorot, linear output

  const auto again = make_layers(arch({32, 16}, Activation::kRelu, 2, Activation::kTanh), 5, 3, 7);
  const auto other = make_layers(arch({32, 16}, Activation::kRelu, 2, Activation::kTanh), 5, 3, 8);
  CHECK(same_bits(layers, again));
  CHECK_FALSE(same_bits(layers, other));
}

TEST_CASE("make_layers: bad shapes throw naming the field") {
  CHECK_THROWS_WITH(make_layers(arch({8}, Activation::kRelu), 0, 2, 1),
                    Contains("make_layers: in"));
  CHECK_THROWS_WITH(make_layers(arch({8, 0}, Activation::kRelu), 3, 2, 1),
                    Contains("make_layers: hidden[1]"));
  CHECK_THROWS_WITH(make_layers(arch({8}, Activation::kRelu, -1), 3, 2, 1),
                    Contains("gated_blocks"));
}

// ---- forward ----

TEST_CASE("forward(training = false) matches neurokin::predict on full and partial batches") {
  const auto layers =
      random_layers(arch({24, 24}, Activation::kSilu, 2, Activation::kTanh), 6, 4, 11);
  Mlp mlp(layers, 32, 0.3f, 11, kThreads);  // dropout must not touch inference
  CHECK(mlp.input_width() == 6);
  CHECK(mlp.output_width() == 4);
  CHECK(mlp.max_batch() == 32);
  Network net;
  net.layers = layers;
  CHECK(mlp.parameter_count() == net.parameter_count());
  Rng rng(3);
  for (int n : {32, 7, 1, 32}) {
    const std::vector<float> x = uniform(static_cast<std::size_t>(n) * 6, rng, -2, 2);
    const float* y = mlp.forward(x.data(), n, false);
    const std::vector<float> ref = predict_rows(layers, x, n);
    for (std::size_t i = 0; i < ref.size(); ++i) {
      INFO("n " << n << " output " << i);
      CHECK(y[i] == Approx(ref[i]).epsilon(1e-5).margin(1e-6));
    }
  }
}

TEST_CASE("write_weights after training gives layers that predict agrees with") {
  const auto layers = random_layers(arch({16}, Activation::kRelu, 1), 3, 2, 5);
  Mlp mlp(layers, 16, 0.0f, 5, kThreads);
  Rng rng(5);
  const std::vector<float> x = uniform(16 * 3, rng), r = uniform(16 * 2, rng);
  for (int s = 0; s < 3; ++s) {
    mlp.forward(x.data(), 16, true);
    mlp.backward(r.data());
    mlp.step(OptimizerConfig{}, 1e-2f);
  }
  std::vector<Layer> trained = layers;
  mlp.write_weights(trained, false);
  CHECK_FALSE(same_bits(trained, layers));
  const float* y = mlp.forward(x.data(), 16, false);
  const std::vector<float> ref = predict_rows(trained, x, 16);
  for (std::size_t i = 0; i < ref.size(); ++i)
    CHECK(y[i] == Approx(ref[i]).epsilon(1e-5).margin(1e-6));
}

// ---- gradients ----

TEST_CASE("gradients of dense + each activation against central differences") {
  for (Activation a : kAllActivations) {
    INFO("activation " << activation_name(a));
    for (int n : {5, 1}) check_against_predict(random_layers(arch({6, 5}, a), 3, 2, 21), n, 8, 21);
  }
}

TEST_CASE("gradients of the gated residual block with each activation") {
  for (Activation a : kAllActivations) {
    INFO("gated activation " << activation_name(a));
    check_against_predict(random_layers(arch({5}, Activation::kTanh, 2, a), 3, 2, 31), 6, 8, 31);
  }
}

TEST_CASE("gradients of a gated block as the first layer (no dL/dx needed)") {
  Layer g = random_layers(arch({}, Activation::kTanh, 1), 4, 2, 41)[0];
  REQUIRE(g.type == Type::kGatedResidual);
  const auto rest = random_layers(arch({}, Activation::kTanh), 4, 2, 42);
  check_against_predict({g, rest[0]}, 3, 4, 41);
}

TEST_CASE("gradients with dropout: central differences under the same masks") {
  // a fresh Mlp with the same seed draws the same masks in its first training forward
  // silu runs as its own eltwise primitive, tanh as a post-op of the dense layer before it
  const float p = 0.3f;
  for (int gated : {0, 1})
    for (Activation a : {Activation::kSilu, Activation::kTanh}) {
      INFO("gated blocks " << gated << ", activation " << activation_name(a));
      const auto layers = random_layers(arch({6}, a, gated, Activation::kTanh), 3, 2, 51);
      const int n = 5;
      Rng rng(51);
      const std::vector<float> x = uniform(n * 3, rng, -1.5, 1.5), r = uniform(n * 2, rng);
      Mlp mlp(layers, 8, p, 99, kThreads);
      const std::vector<double> analytic = engine_gradient(mlp, layers, x, r, n);
      const auto loss = [&](const std::vector<Layer>& l) {
        Mlp fresh(l, 8, p, 99, kThreads);
        return linear_loss(fresh.forward(x.data(), n, true), r);
      };
      // the masks matter: the training loss differs from the inference loss
      CHECK(loss(layers) != Approx(linear_loss(predict_rows(layers, x, n).data(), r)));
      check_gradient(analytic, numeric_gradient(layers, loss, 1e-3, 3));
    }
}

TEST_CASE("backward accumulates until step and an evaluation in between changes nothing") {
  const auto layers = random_layers(arch({8}, Activation::kTanh, 1), 3, 2, 61);
  Mlp mlp(layers, 8, 0.2f, 61, kThreads);
  Rng rng(61);
  const std::vector<float> x = uniform(8 * 3, rng), r = uniform(8 * 2, rng);
  const std::vector<double> once = engine_gradient(mlp, layers, x, r, 8);
  // an inference forward on other rows between the training forward and a second backward
  const std::vector<float> other = uniform(4 * 3, rng);
  mlp.forward(other.data(), 4, false);
  mlp.backward(r.data());
  std::vector<Layer> grads = layers;
  mlp.write_gradients(grads);
  const std::vector<double> twice = values(grads);
  for (std::size_t i = 0; i < once.size(); ++i) CHECK(twice[i] == 2 * once[i]);
  mlp.step(OptimizerConfig{}, 1e-3f);
  mlp.write_gradients(grads);
  for (double g : values(grads)) CHECK(g == 0.0);
}

// ---- dropout ----

TEST_CASE("dropout: off in inference and in training zero with probability p or scaled") {
  // dense(4 -> 64), relu, dense(64 -> 64) = identity: the output is the dropped activation
  const float p = 0.25f;
  std::vector<Layer> layers = random_layers(arch({64}, Activation::kRelu), 4, 64, 71);
  layers[2].W = MatrixRM::Identity(64, 64);
  layers[2].b.setZero();
  Mlp mlp(layers, 32, p, 71, kThreads);
  Rng rng(71);
  const std::vector<float> x = uniform(32 * 4, rng);
  const std::vector<float> plain = predict_rows(layers, x, 32);
  const float* y_eval = mlp.forward(x.data(), 32, false);
  for (std::size_t i = 0; i < plain.size(); ++i) CHECK(y_eval[i] == Approx(plain[i]).margin(1e-6));

  const float* y_first = mlp.forward(x.data(), 32, true);
  const std::vector<float> first(y_first, y_first + plain.size());
  const float* y = mlp.forward(x.data(), 32, true);
  int active = 0, dropped = 0, changed = 0;
  for (std::size_t i = 0; i < plain.size(); ++i) {
    if (plain[i] <= 1e-6f) continue;
    ++active;
    if (y[i] == 0.0f) {
      ++dropped;
    } else {
      CHECK(y[i] == Approx(plain[i] / (1 - p)).epsilon(1e-5).margin(1e-6));
    }
  }
  // the masks change from one training forward to the next
  const std::vector<float> second(y, y + plain.size());
  for (std::size_t i = 0; i < plain.size(); ++i) changed += (first[i] == 0) != (second[i] == 0);
  REQUIRE(active > 500);
  CHECK(static_cast<double>(dropped) / active == Approx(p).margin(0.05));
  CHECK(changed > 100);
}

TEST_CASE("dropout on the gated block's branch and not on the residual") {
  const float p = 0.5f;
  const std::vector<Layer> layers = {random_layers(arch({}, Activation::kTanh, 1), 16, 16, 81)[0]};
  Mlp mlp(layers, 32, p, 81, kThreads);
  Rng rng(81);
  const std::vector<float> x = uniform(32 * 16, rng);
  const std::vector<float> plain = predict_rows(layers, x, 32);
  const float* y = mlp.forward(x.data(), 32, true);
  int dropped = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const float branch = plain[i] - x[i], got = y[i] - x[i];
    if (got == 0.0f) {
      ++dropped;
    } else {
      CHECK(got == Approx(branch / (1 - p)).epsilon(1e-4).margin(1e-6));
    }
  }
  CHECK(static_cast<double>(dropped) / x.size() == Approx(p).margin(0.05));
}

// ---- the optimiser ----

// dense(2 -> 1) with L = sum r y: the gradient is (sum r x, sum r), the same at every step
struct LinearProblem {
  std::vector<Layer> layers = make_layers(arch({}, Activation::kIdentity), 2, 1, 91);
  std::vector<float> x = {0.5f, -1.0f, 2.0f, 0.25f, -0.75f, 1.5f};
  std::vector<float> r = {0.3f, -0.2f, 0.7f};
  LinearProblem() { layers[0].b[0] = 0.4f; }
  std::vector<double> gradient() const {
    std::vector<double> g(3, 0.0);
    for (int i = 0; i < 3; ++i) {
      g[0] += r[i] * x[2 * i];
      g[1] += r[i] * x[2 * i + 1];
      g[2] += r[i];
    }
    return g;
  }
  void accumulate(Mlp& mlp) const {
    mlp.forward(x.data(), 3, true);
    mlp.backward(r.data());
  }
};

std::vector<double> weights_of(const Mlp& mlp, std::vector<Layer> layers, bool ema = false) {
  mlp.write_weights(layers, ema);
  return values(layers);
}

TEST_CASE("Adam: the first step moves each weight by lr sign(g) and three steps match the paper") {
  LinearProblem lp;
  Mlp mlp(lp.layers, 4, 0.0f, 1, kThreads);
  OptimizerConfig opt;
  const float lr = 0.01f;
  const std::vector<double> g = lp.gradient(), p0 = values(lp.layers);

  // step 1: m = (1 - b1) g, v = (1 - b2) g^2, bias-corrected m / sqrt(v) = sign(g)
  lp.accumulate(mlp);
  const float norm = mlp.step(opt, lr);
  CHECK(norm == Approx(std::sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2])).epsilon(1e-6));
  std::vector<double> p = weights_of(mlp, lp.layers);
  for (int i = 0; i < 3; ++i) CHECK(p[i] == Approx(p0[i] - lr * (g[i] > 0 ? 1 : -1)).epsilon(1e-5));

  // steps 2 and 3 against Kingma & Ba's algorithm 1 in double
  std::vector<double> ref = p0, m(3, 0.0), v(3, 0.0);
  for (int t = 1; t <= 3; ++t) {
    for (int i = 0; i < 3; ++i) {
      m[i] = 0.9 * m[i] + 0.1 * g[i];
      v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
      const double mhat = m[i] / (1 - std::pow(0.9, t)), vhat = v[i] / (1 - std::pow(0.999, t));
      ref[i] -= lr * mhat / (std::sqrt(vhat) + 1e-8);
    }
    if (t == 1) continue;
    lp.accumulate(mlp);
    mlp.step(opt, lr);
  }
  p = weights_of(mlp, lp.layers);
  for (int i = 0; i < 3; ++i) CHECK(p[i] == Approx(ref[i]).epsilon(1e-5));
  CHECK(mlp.steps() == 3);
}

TEST_CASE("AdamW: decoupled weight decay shrinks the weights and never the biases") {
  LinearProblem lp;
  Mlp mlp(lp.layers, 4, 0.0f, 1, kThreads);
  OptimizerConfig opt;
  opt.weight_decay = 0.5f;
  const std::vector<double> p0 = values(lp.layers);
  // zero gradient: the adaptive step is 0 / (0 + eps), only the decay acts
  const std::vector<float> zero(3, 0.0f);
  mlp.forward(lp.x.data(), 3, true);
  mlp.backward(zero.data());
  CHECK(mlp.step(opt, 0.1f) == 0.0f);
  const std::vector<double> p = weights_of(mlp, lp.layers);
  CHECK(p[0] == Approx(p0[0] * (1 - 0.1 * 0.5)).epsilon(1e-6));
  CHECK(p[1] == Approx(p0[1] * (1 - 0.1 * 0.5)).epsilon(1e-6));
  CHECK(p[2] == p0[2]);  // the bias
}

TEST_CASE("global-norm clipping scales the gradient and step returns the norm before it") {
  LinearProblem lp;
  Mlp mlp(lp.layers, 4, 0.0f, 1, kThreads);
  OptimizerConfig opt;
  opt.eps = 1.0f;  // with a large eps the first step depends on the gradient's size
  opt.clip_norm = 0.1f;
  const std::vector<double> g = lp.gradient(), p0 = values(lp.layers);
  const double norm = std::sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]);
  REQUIRE(norm > 0.5);
  lp.accumulate(mlp);
  CHECK(mlp.step(opt, 0.01f) == Approx(norm).epsilon(1e-6));
  const std::vector<double> p = weights_of(mlp, lp.layers);
  for (int i = 0; i < 3; ++i) {
    const double gc = g[i] * opt.clip_norm / norm;  // bias-corrected m = gc, sqrt(v) = |gc|
    CHECK(p[i] == Approx(p0[i] - 0.01 * gc / (std::abs(gc) + 1.0)).epsilon(1e-5));
  }
}

TEST_CASE("a non-finite gradient returns NaN / Inf and applies nothing") {
  const auto layers = random_layers(arch({8}, Activation::kRelu), 3, 2, 101);
  Mlp mlp(layers, 4, 0.0f, 101, kThreads);
  Rng rng(101);
  const std::vector<float> x = uniform(4 * 3, rng);
  std::vector<float> r = uniform(4 * 2, rng);
  OptimizerConfig opt;
  opt.ema_decay = 0.5f;
  for (float bad :
       {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    r[3] = bad;
    mlp.forward(x.data(), 4, true);
    mlp.backward(r.data());
    const float norm = mlp.step(opt, 0.1f);
    CHECK_FALSE(std::isfinite(norm));
    std::vector<Layer> now = layers, ema = layers, grads = layers;
    mlp.write_weights(now, false);
    mlp.write_weights(ema, true);
    mlp.write_gradients(grads);
    CHECK(same_bits(now, layers));
    CHECK(same_bits(ema, layers));
    for (double g : values(grads)) CHECK(g == 0.0);
    CHECK(mlp.steps() == 0);
  }
  // a finite gradient afterwards is applied as usual
  r[3] = 0.5f;
  mlp.forward(x.data(), 4, true);
  mlp.backward(r.data());
  CHECK(std::isfinite(mlp.step(opt, 0.1f)));
  CHECK(mlp.steps() == 1);
}

TEST_CASE("EMA of the weights: e = d_t e + (1 - d_t) w, d_t = min(d, (1+t)/(10+t)), off means the weights") {
  const auto layers = random_layers(arch({8}, Activation::kTanh), 3, 2, 111);
  Rng rng(111);
  const std::vector<float> x = uniform(4 * 3, rng), r = uniform(4 * 2, rng);
  for (float d : {0.9f, 0.0f}) {
    Mlp mlp(layers, 4, 0.0f, 111, kThreads);
    OptimizerConfig opt;
    opt.ema_decay = d;
    std::vector<double> ref = values(layers);
    for (int s = 0; s < 3; ++s) {
      mlp.forward(x.data(), 4, true);
      mlp.backward(r.data());
      mlp.step(opt, 0.05f);
      const std::vector<double> w = weights_of(mlp, layers);
      const double dt = std::min<double>(d, (1.0 + (s + 1)) / (10.0 + (s + 1)));
      for (std::size_t i = 0; i < ref.size(); ++i) ref[i] = dt * ref[i] + (1 - dt) * w[i];
    }
    const std::vector<double> e = weights_of(mlp, layers, true);
    for (std::size_t i = 0; i < ref.size(); ++i)
      CHECK(e[i] == Approx(ref[i]).epsilon(1e-5).margin(1e-7));
    if (d == 0.0f) CHECK(e == weights_of(mlp, layers));
  }
}

// ---- state ----

TEST_CASE("save_state / load_state: resumed training is bit-identical") {
  const auto layers = random_layers(arch({12}, Activation::kRelu, 1, Activation::kSilu), 3, 2, 121);
  Rng rng(121);
  const std::vector<float> x = uniform(8 * 3, rng), r = uniform(8 * 2, rng);
  OptimizerConfig opt;
  opt.weight_decay = 0.01f;
  opt.clip_norm = 1.0f;
  opt.ema_decay = 0.9f;
  const auto train = [&](Mlp& mlp, int steps) {
    for (int s = 0; s < steps; ++s) {
      mlp.forward(x.data(), s % 2 ? 5 : 8, true);  // partial batches too
      mlp.backward(r.data());
      mlp.step(opt, 0.01f);
    }
  };
  Mlp a(layers, 8, 0.2f, 5, kThreads);
  train(a, 3);
  const std::string blob = a.save_state();
  train(a, 4);

  // another start and seed: everything comes from the blob
  Mlp b(random_layers(arch({12}, Activation::kRelu, 1, Activation::kSilu), 3, 2, 7), 8, 0.2f, 6,
        kThreads);
  b.load_state(blob);
  CHECK(b.steps() == 3);
  train(b, 4);
  std::vector<Layer> wa = layers, wb = layers, ea = layers, eb = layers;
  a.write_weights(wa, false);
  b.write_weights(wb, false);
  a.write_weights(ea, true);
  b.write_weights(eb, true);
  CHECK_FALSE(same_bits(wa, layers));
  CHECK(same_bits(wa, wb));
  CHECK(same_bits(ea, eb));
  CHECK(a.save_state() == b.save_state());
}

TEST_CASE("load_state rejects another shape or a corrupted or truncated blob and names it") {
  const auto layers = random_layers(arch({12}, Activation::kRelu), 3, 2, 131);
  Mlp mlp(layers, 4, 0.0f, 1, kThreads);
  const std::string blob = mlp.save_state();
  Mlp wider(random_layers(arch({13}, Activation::kRelu), 3, 2, 131), 4, 0.0f, 1, kThreads);
  CHECK_THROWS_WITH(wider.load_state(blob), Contains("load_state: layers[0].out: expected 13"));
  Mlp deeper(random_layers(arch({12, 12}, Activation::kRelu), 3, 2, 131), 4, 0.0f, 1, kThreads);
  CHECK_THROWS_WITH(deeper.load_state(blob), Contains("load_state: layers: expected 5"));
  Mlp tanh(random_layers(arch({12}, Activation::kTanh), 3, 2, 131), 4, 0.0f, 1, kThreads);
  CHECK_THROWS_WITH(tanh.load_state(blob), Contains("layers[1].activation: expected tanh"));

  std::string corrupt = blob;
  corrupt[corrupt.size() / 2] ^= 0x40;
  CHECK_THROWS_WITH(mlp.load_state(corrupt), Contains("checksum"));
  CHECK_THROWS_WITH(mlp.load_state(blob.substr(0, blob.size() - 5)), Contains("blob size"));
  CHECK_THROWS_WITH(mlp.load_state(blob.substr(0, 20)), Contains("truncated"));
  CHECK_THROWS_WITH(mlp.load_state("{\"format\": \"neurokin-model\"}"), Contains("magic"));
  // a failed load leaves the state as it was
  CHECK(mlp.save_state() == blob);
}

// ---- errors ----

TEST_CASE("bad arguments throw Error naming what is wrong") {
  auto layers = random_layers(arch({8}, Activation::kRelu), 3, 2, 141);
  CHECK_THROWS_AS(Mlp(layers, 0, 0.0f, 1), Error);
  CHECK_THROWS_WITH(Mlp(layers, 0, 0.0f, 1), Contains("max_batch"));
  CHECK_THROWS_WITH(Mlp(layers, 4, 1.0f, 1), Contains("dropout"));
  CHECK_THROWS_WITH(Mlp({}, 4, 0.0f, 1), Contains("Mlp.layers"));
  auto broken = layers;
  broken[2].in = 7;
  CHECK_THROWS_WITH(Mlp(broken, 4, 0.0f, 1), Contains("Mlp.layers[2].in"));

  Mlp mlp(layers, 4, 0.0f, 1, kThreads);
  const std::vector<float> x(5 * 3, 0.1f), dy(4 * 2, 1.0f);
  CHECK_THROWS_WITH(mlp.backward(dy.data()), Contains("training forward"));
  CHECK_THROWS_WITH(mlp.forward(x.data(), 5, true), Contains("Mlp::forward: n: expected 1 to 4"));
  CHECK_THROWS_WITH(mlp.forward(x.data(), 0, false), Contains("got 0"));
  OptimizerConfig opt;
  opt.beta1 = 1.0f;
  CHECK_THROWS_WITH(mlp.step(opt, 0.1f), Contains("beta1"));
  CHECK_THROWS_WITH(mlp.step(OptimizerConfig{}, -1.0f), Contains("lr"));
  std::vector<Layer> shorter(layers.begin(), layers.end() - 1);
  CHECK_THROWS_WITH(mlp.write_weights(shorter, false), Contains("expected 3 layers, got 2"));
  auto other = random_layers(arch({9}, Activation::kRelu), 3, 2, 141);
  CHECK_THROWS_WITH(mlp.write_weights(other, false), Contains("layers[0].out: expected 8, got 9"));
}

// ---- learning ----

TEST_CASE("a tiny regression converges: y = sin(x) and the loss / 10 in well under a second") {
  const auto start = std::chrono::steady_clock::now();
  const auto layers = make_layers(arch({32, 32}, Activation::kTanh), 1, 1, 151);
  Mlp mlp(layers, 64, 0.0f, 151, kThreads);
  Rng rng(151);
  // a fixed evaluation grid, fresh random batches for training
  std::vector<float> grid(64), target(64);
  for (int i = 0; i < 64; ++i) {
    grid[i] = -3.0f + 6.0f * i / 63;
    target[i] = std::sin(grid[i]);
  }
  const auto eval_loss = [&] {
    const float* y = mlp.forward(grid.data(), 64, false);
    double s = 0;
    for (int i = 0; i < 64; ++i) s += (y[i] - target[i]) * (y[i] - target[i]);
    return s / 64;
  };
  const double initial = eval_loss();
  std::vector<float> x(64), dy(64);
  OptimizerConfig opt;
  for (int step = 0; step < 500; ++step) {
    for (float& v : x) v = static_cast<float>(rng.uniform(-3, 3));
    const float* y = mlp.forward(x.data(), 64, true);
    for (int i = 0; i < 64; ++i) dy[i] = 2.0f * (y[i] - std::sin(x[i])) / 64;
    mlp.backward(dy.data());
    REQUIRE(std::isfinite(mlp.step(opt, 1e-2f)));
  }
  const double final_loss = eval_loss();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO("loss " << initial << " -> " << final_loss << " in " << seconds << " s");
  CHECK(final_loss < initial / 10);
  CHECK(final_loss < 1e-2);
  CHECK(seconds < 2.0);  // typically ~0.1 s; loose because the machines are shared
}

// ---- bench helpers ----

TEST_CASE("matmul_flops counts forward and backward data (not for the first layer) and weights") {
  const auto layers = make_layers(arch({256, 256, 256, 256}, Activation::kRelu), 7, 6, 1);
  Mlp mlp(layers, 16, 0.0f, 1, kThreads);
  const double n = 1024;
  const double expected = 2 * n * (7 * 256 * 2 + 3 * 256 * 256 * 3 + 256 * 6 * 3);
  CHECK(mlp.matmul_flops(1024) == expected);
  CHECK(peak_gemm_gflops(64, 1, 2) > 0);
  CHECK(thread_count(3) == 3);
  CHECK(thread_count(0) >= 1);
}

}  // namespace
}  // namespace neurokin::train
