// Inference (nn.h): golden values worked out by hand, random networks against a plain
// double-precision loop reference, batch vs single rows, zero allocations, check_network.
#include <catch2/catch.hpp>
#include <Eigen/Geometry>
#include <cmath>
#include <cstdlib>
#include <new>
#include <vector>

#include "neurokin/error.h"
#include "neurokin/nn.h"
#include "neurokin/random.h"

// ---- allocation counting: every operator new, and on glibc every malloc (Eigen's heap) ----

#include "support/alloc_counter.h"
#include "support/layers.h"

using neurokin::test::AllocationCounter;
using neurokin::test::g_sink;

namespace neurokin {
namespace {

using Catch::Contains;
using Catch::Detail::Approx;
using Type = Layer::Type;
using test::activation;
using test::dense;
using test::gated;
using test::glorot;
using test::uniform;

constexpr Activation kAllActivations[] = {Activation::kIdentity, Activation::kRelu,
                                          Activation::kSilu, Activation::kTanh,
                                          Activation::kSigmoid};

// ---- building networks ----

// identity normalisation (mean 0, std 1) on both ends
Network make_net(int input_size, InputEncoding enc, std::vector<Layer> layers, OutputDecoding dec) {
  Network net;
  net.input_size = input_size;
  net.encoding = enc;
  net.layers = std::move(layers);
  net.decoding = dec;
  const int e = net.encoded_input_size(), m = net.net_outputs();
  net.in_mean = Eigen::VectorXf::Zero(e);
  net.in_std = Eigen::VectorXf::Ones(e);
  net.out_mean = Eigen::VectorXf::Zero(m);
  net.out_std = Eigen::VectorXf::Ones(m);
  return net;
}

// dense(e -> width), act, gated(width, act), dense(width -> width), act, dense(-> outputs),
// with random normalisation statistics
Network random_net(int input_size, InputEncoding enc, int width, Activation act, int outputs,
                   OutputDecoding dec, std::uint64_t seed) {
  Rng rng(seed);
  const int e = encoded_size(enc, input_size);
  std::vector<Layer> layers;
  layers.push_back(dense(glorot(width, e, rng), uniform(width, rng, -0.1, 0.1)));
  layers.push_back(activation(act, width));
  layers.push_back(gated(glorot(width, width, rng), uniform(width, rng, -0.1, 0.1),
                         glorot(width, width, rng), uniform(width, rng, -0.1, 0.1), act));
  layers.push_back(dense(glorot(width, width, rng), uniform(width, rng, -0.1, 0.1)));
  layers.push_back(activation(act, width));
  layers.push_back(dense(glorot(outputs, width, rng), uniform(outputs, rng, -0.1, 0.1)));
  Network net = make_net(input_size, enc, std::move(layers), dec);
  net.in_mean = uniform(e, rng, -0.5, 0.5);
  net.in_std = uniform(e, rng, 0.5, 2.0);
  net.out_mean = uniform(outputs, rng, -0.5, 0.5);
  net.out_std = uniform(outputs, rng, 0.5, 2.0);
  return net;
}

std::vector<float> run(const Network& net, const std::vector<float>& x) {
  Workspace ws(net);
  const std::size_t n = x.size() / net.input_size;
  std::vector<float> y(n * net.output_size());
  predict(net, ws, x.data(), n, y.data());
  return y;
}

std::vector<float> random_inputs(std::size_t rows, int size, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<float> x(rows * size);
  for (float& v : x) v = static_cast<float>(rng.uniform(-2.0, 2.0));
  return x;
}

// ---- the reference: the documented formulas, one sample, plain loops in double ----

double act_ref(Activation a, double x) {
  switch (a) {
    case Activation::kIdentity:
      return x;
    case Activation::kRelu:
      return x > 0 ? x : 0;
    case Activation::kSilu:
      return x / (1 + std::exp(-x));
    case Activation::kTanh:
      return std::tanh(x);
    case Activation::kSigmoid:
      return 1 / (1 + std::exp(-x));
  }
  return 0;
}

std::vector<double> affine_ref(const MatrixRM& W, const Eigen::VectorXf& b,
                               const std::vector<double>& x) {
  std::vector<double> y(W.rows());
  for (Eigen::Index o = 0; o < W.rows(); ++o) {
    y[o] = b[o];
    for (Eigen::Index i = 0; i < W.cols(); ++i) y[o] += double(W(o, i)) * x[i];
  }
  return y;
}

std::vector<double> reference(const Network& net, const float* x) {
  std::vector<double> a(x, x + net.input_size);
  if (net.encoding == InputEncoding::kPolar) {
    const double phi = std::atan2(a[1], a[0]);
    a.insert(a.end(), {std::hypot(a[0], a[1]), std::sin(phi), std::cos(phi)});
  }
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = (a[i] - net.in_mean[i]) / net.in_std[i];
  for (const Layer& l : net.layers) {
    if (l.type == Type::kDense) a = affine_ref(l.W, l.b, a);
    if (l.type == Type::kActivation)
      for (double& v : a) v = act_ref(l.act, v);
    if (l.type == Type::kGatedResidual) {
      const std::vector<double> v = affine_ref(l.W, l.b, a), g = affine_ref(l.Wg, l.bg, a);
      for (std::size_t i = 0; i < a.size(); ++i)
        a[i] += act_ref(l.act, v[i]) * act_ref(Activation::kSigmoid, g[i]);
    }
  }
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = a[i] * net.out_std[i] + net.out_mean[i];
  std::vector<double> y;
  if (net.decoding == OutputDecoding::kAngles) y = a;
  if (net.decoding == OutputDecoding::kSinCos)
    for (std::size_t j = 0; j < a.size() / 2; ++j) y.push_back(std::atan2(a[2 * j], a[2 * j + 1]));
  if (net.decoding == OutputDecoding::kSoftmax) {
    double sum = 0;
    for (double v : a) sum += std::exp(v);
    for (double v : a) y.push_back(std::exp(v) / sum);
  }
  return y;
}

MatrixRM mat(int rows, int cols, std::initializer_list<float> v) {
  MatrixRM M(rows, cols);
  std::copy(v.begin(), v.end(), M.data());
  return M;
}
Eigen::VectorXf vec(std::initializer_list<float> v) {
  Eigen::VectorXf x(static_cast<Eigen::Index>(v.size()));
  std::copy(v.begin(), v.end(), x.data());
  return x;
}

}  // namespace

TEST_CASE("names of activations, encodings and decodings round trip") {
  for (Activation a : kAllActivations) CHECK(activation_from_name(activation_name(a)) == a);
  CHECK(encoding_from_name("polar") == InputEncoding::kPolar);
  CHECK(decoding_from_name("sincos") == OutputDecoding::kSinCos);
  CHECK(std::string(layer_type_name(Type::kGatedResidual)) == "gated_residual");
  REQUIRE_THROWS_WITH(activation_from_name("gelu", "model.layers[1].function"),
                      "model.layers[1].function: expected one of \"identity\", \"relu\", "
                      "\"silu\", \"tanh\", \"sigmoid\", got \"gelu\"");
  REQUIRE_THROWS_WITH(encoding_from_name("cartesian"),
                      "encoding: expected one of \"raw\", \"polar\", \"polar_pitch\", \"pose\", "
                      "got \"cartesian\"");
  REQUIRE_THROWS_WITH(decoding_from_name("Angles"), Contains("got \"Angles\""));
}

TEST_CASE("encoded and decoded sizes") {
  CHECK(encoded_size(InputEncoding::kRaw, 3) == 3);
  CHECK(encoded_size(InputEncoding::kPolar, 3) == 6);  // seed 001: xyz, r, sin, cos
  CHECK(decoded_size(OutputDecoding::kAngles, 4) == 4);
  CHECK(decoded_size(OutputDecoding::kSinCos, 6) == 3);
  CHECK(decoded_size(OutputDecoding::kSoftmax, 4) == 4);
  const Network net =
      random_net(3, InputEncoding::kPolar, 8, Activation::kRelu, 6, OutputDecoding::kSinCos, 1);
  CHECK(net.encoded_input_size() == 6);
  CHECK(net.net_outputs() == 6);
  CHECK(net.output_size() == 3);
  CHECK(net.max_width() == 8);
  CHECK(net.parameter_count() == (6 * 8 + 8) + 2 * (8 * 8 + 8) + (8 * 8 + 8) + (8 * 6 + 6));
}

TEST_CASE("golden: dense layer then relu, by hand") {
  // W = [1 2; 3 4], b = (0.5, -1): (2, 1) -> (4.5, 9); (1, -1) -> (-0.5, -2) -> relu (0, 0)
  const Network net =
      make_net(2, InputEncoding::kRaw,
               {dense(mat(2, 2, {1, 2, 3, 4}), vec({0.5f, -1})), activation(Activation::kRelu, 2)},
               OutputDecoding::kAngles);
  CHECK(run(net, {2, 1, 1, -1}) == std::vector<float>{4.5f, 9, 0, 0});
}

TEST_CASE("golden: each activation, by hand") {
  // 1 -> 1 identity dense, then the activation: exact values at ln 2, ln 3
  const float ln2 = std::log(2.0f), ln3 = std::log(3.0f);
  struct Case {
    Activation act;
    float x, y;
  };
  const Case cases[] = {
      {Activation::kIdentity, -1.5f, -1.5f},
      {Activation::kRelu, -1, 0},
      {Activation::kRelu, 2, 2},
      {Activation::kSigmoid, 0, 0.5f},
      {Activation::kSigmoid, ln3, 0.75f},  // 1 / (1 + 1/3)
      {Activation::kTanh, ln2, 0.6f},      // (2 - 1/2) / (2 + 1/2)
      {Activation::kTanh, -ln2, -0.6f},
      {Activation::kSilu, 0, 0},
      {Activation::kSilu, ln3, 0.75f * ln3},    // ln 3 * sigmoid(ln 3)
      {Activation::kSilu, -ln3, -0.25f * ln3},  // -ln 3 * (1 - 0.75)
  };
  for (const Case& c : cases) {
    INFO(activation_name(c.act) << "(" << c.x << ")");
    const Network net =
        make_net(1, InputEncoding::kRaw, {dense(mat(1, 1, {1}), vec({0})), activation(c.act, 1)},
                 OutputDecoding::kAngles);
    CHECK(run(net, {c.x})[0] == Approx(c.y).margin(1e-6));
  }
}

TEST_CASE("golden: gated residual block, by hand") {
  // x = (ln 3, 0); value tanh(x + (0, ln 2)) = (0.8, 0.6); gate sigmoid((ln 3, ln 3 - ln 3))
  // = (0.75, 0.5); y = x + value * gate = (ln 3 + 0.6, 0.3)
  const float ln2 = std::log(2.0f), ln3 = std::log(3.0f);
  const Network net = make_net(2, InputEncoding::kRaw,
                               {gated(mat(2, 2, {1, 0, 0, 1}), vec({0, ln2}),
                                      mat(2, 2, {1, 0, 1, 0}), vec({0, -ln3}), Activation::kTanh)},
                               OutputDecoding::kAngles);
  const std::vector<float> y = run(net, {ln3, 0});
  CHECK(y[0] == Approx(ln3 + 0.6f).margin(1e-6));
  CHECK(y[1] == Approx(0.3f).margin(1e-6));
}

TEST_CASE("golden: polar encoding and both normalisations, by hand") {
  // (3, 4) -> (3, 4, r 5, sin 0.8, cos 0.6); normalised by mean (1, 0, 0, 0, 0), std (2, 1, ...)
  // -> (1, 4, 5, 0.8, 0.6); identity layer; de-normalised by std (1, 1, 2, 1, 1), mean
  // (0, 0, 0, 0, 1) -> (1, 4, 10, 0.8, 1.6). The origin encodes as (0, 0, 0, 0, 1).
  Network net = make_net(2, InputEncoding::kPolar,
                         {dense(MatrixRM::Identity(5, 5), Eigen::VectorXf::Zero(5))},
                         OutputDecoding::kAngles);
  net.in_mean = vec({1, 0, 0, 0, 0});
  net.in_std = vec({2, 1, 1, 1, 1});
  net.out_mean = vec({0, 0, 0, 0, 1});
  net.out_std = vec({1, 1, 2, 1, 1});
  const std::vector<float> y = run(net, {3, 4, 0, 0});
  const float expected[] = {1, 4, 10, 0.8f, 1.6f, -0.5f, 0, 0, 0, 2};
  for (int i = 0; i < 10; ++i) CHECK(y[i] == Approx(expected[i]).margin(1e-6));
}

TEST_CASE("golden: sincos and softmax decodings, by hand") {
  // zero weights: the output is the bias, whatever the input
  const auto constant = [](const Eigen::VectorXf& b, OutputDecoding dec) {
    return make_net(1, InputEncoding::kRaw, {dense(MatrixRM::Zero(b.size(), 1), b)}, dec);
  };
  SECTION("sincos: (1, 0) -> pi/2, (0, -1) -> pi, (-0.5, sqrt(3)/2) -> -pi/6") {
    // the last pair goes through out_std 0.5: (-1, sqrt 3) * 0.5
    Network net = constant(vec({1, 0, 0, -1, -1, std::sqrt(3.0f)}), OutputDecoding::kSinCos);
    net.out_std = vec({1, 1, 1, 1, 0.5f, 0.5f});
    const std::vector<float> y = run(net, {0.3f});
    REQUIRE(y.size() == 3);
    CHECK(y[0] == Approx(M_PI / 2).margin(1e-6));
    CHECK(y[1] == Approx(M_PI).margin(1e-6));
    CHECK(y[2] == Approx(-M_PI / 6).margin(1e-6));
  }
  SECTION("softmax: logits (0, ln 2, ln 3) -> (1/6, 1/3, 1/2), also shifted by 1000") {
    const float ln2 = std::log(2.0f), ln3 = std::log(3.0f);
    for (float shift : {0.0f, 1000.0f}) {
      Network net = constant(vec({0, ln2, ln3}), OutputDecoding::kSoftmax);
      net.out_mean.setConstant(shift);  // exp(1000) overflows unless the max is subtracted
      const std::vector<float> y = run(net, {0.3f});
      // float logits near 1000 are 6e-5 apart, which bounds the agreement there
      const double tol = shift > 0 ? 1e-4 : 1e-6;
      CHECK(y[0] == Approx(1.0 / 6).margin(tol));
      CHECK(y[1] == Approx(1.0 / 3).margin(tol));
      CHECK(y[2] == Approx(1.0 / 2).margin(tol));
    }
  }
}

TEST_CASE("random networks agree with a double-precision loop reference") {
  // 150 rows: two full chunks of Workspace::kRows and a partial one; width 160 crosses the
  // 128-column product panels
  const std::size_t rows = 150;
  struct Shape {
    int input;
    InputEncoding enc;
    int outputs;
    OutputDecoding dec;
  };
  const Shape shapes[] = {{2, InputEncoding::kRaw, 2, OutputDecoding::kAngles},
                          {3, InputEncoding::kPolar, 6, OutputDecoding::kSinCos},
                          {7, InputEncoding::kRaw, 4, OutputDecoding::kSoftmax},
                          {4, InputEncoding::kPolar, 4, OutputDecoding::kSoftmax}};
  std::uint64_t seed = 100;
  for (const Shape& s : shapes) {
    for (Activation act : kAllActivations) {
      for (int width : {16, 160}) {
        INFO("input " << s.input << " " << encoding_name(s.enc) << ", " << activation_name(act)
                      << " width " << width << ", " << decoding_name(s.dec));
        const Network net = random_net(s.input, s.enc, width, act, s.outputs, s.dec, ++seed);
        check_network(net);
        const std::vector<float> x = random_inputs(rows, s.input, seed);
        const std::vector<float> y = run(net, x);
        const int m = net.output_size();
        double worst = 0;
        for (std::size_t r = 0; r < rows; ++r) {
          const std::vector<double> ref = reference(net, x.data() + r * s.input);
          for (int j = 0; j < m; ++j) worst = std::max(worst, std::abs(y[r * m + j] - ref[j]));
        }
        CHECK(worst < 2e-5);
      }
    }
  }
}

TEST_CASE("batch and single-sample predictions agree") {
  const Network net =
      random_net(3, InputEncoding::kPolar, 96, Activation::kSilu, 6, OutputDecoding::kSinCos, 7);
  const std::size_t rows = 130;
  const std::vector<float> x = random_inputs(rows, 3, 8);
  const std::vector<float> batch = run(net, x);
  Workspace ws(net);
  float single[3];
  double worst = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    predict(net, ws, x.data() + 3 * r, 1, single);
    for (int j = 0; j < 3; ++j)
      worst = std::max(worst, double(std::abs(single[j] - batch[3 * r + j])));
  }
  // each row's sums run in the same order whatever the batch (dense in nn.cpp): the same bits
  CHECK(worst == 0);
  // n = 0 writes nothing
  float untouched = 42;
  predict(net, ws, x.data(), 0, &untouched);
  CHECK(untouched == 42);
}

TEST_CASE("forward gives the outputs that predict decodes") {
  const Network net =
      random_net(3, InputEncoding::kPolar, 64, Activation::kSilu, 6, OutputDecoding::kSinCos, 11);
  const std::size_t rows = 70;  // more than one chunk
  const std::vector<float> x = random_inputs(rows, 3, 12);
  const std::vector<float> q = run(net, x);
  Workspace ws(net);
  std::vector<float> raw(rows * net.net_outputs());
  forward(net, ws, x.data(), rows, raw.data());
  REQUIRE(net.net_outputs() == 6);
  for (std::size_t r = 0; r < rows; ++r)
    for (int j = 0; j < 3; ++j) CHECK(q[3 * r + j] == std::atan2(raw[6 * r + 2 * j], raw[6 * r + 2 * j + 1]));
}

TEST_CASE("predict allocates nothing once the workspace exists") {
  SECTION("the counter sees operator new and Eigen's heap (so this test can fail)") {
    AllocationCounter count;
    auto* v = new std::vector<float>(100);
    g_sink = v->data();
    delete v;
    CHECK(count.stop() >= 2);
#if defined(__GLIBC__)
    AllocationCounter count_eigen;
    Eigen::VectorXf e(1000);
    g_sink = e.data();
    CHECK(count_eigen.stop() >= 1);
#endif
  }
  SECTION("tiny, 160-wide and 1024-wide networks, 1 to 200 rows") {
    for (int width : {16, 160, 1024}) {
      const Network net = random_net(3, InputEncoding::kPolar, width, Activation::kSilu, 6,
                                     OutputDecoding::kSinCos, 11);
      Workspace ws(net);
      const std::vector<float> x = random_inputs(200, 3, 12);
      std::vector<float> y(200 * 3);
      for (std::size_t n : {1, 2, 64, 200}) {
        INFO("width " << width << ", " << n << " rows");
        AllocationCounter count;
        predict(net, ws, x.data(), n, y.data());
        CHECK(count.stop() == 0);
      }
    }
  }
}

TEST_CASE("a workspace built for a narrower network is refused") {
  const Network narrow =
      random_net(2, InputEncoding::kRaw, 8, Activation::kRelu, 2, OutputDecoding::kAngles, 3);
  const Network wide =
      random_net(2, InputEncoding::kRaw, 32, Activation::kRelu, 2, OutputDecoding::kAngles, 4);
  Workspace ws(narrow);
  float x[2] = {0, 0}, y[2];
  REQUIRE_THROWS_WITH(predict(wide, ws, x, 1, y),
                      "predict: workspace: expected room for 32 features per row (build it from "
                      "this network), got 8");
}

TEST_CASE("check_network names the field, the expected and the actual value") {
  const auto good = [] {
    return random_net(2, InputEncoding::kPolar, 8, Activation::kTanh, 4, OutputDecoding::kSinCos,
                      5);
  };
  // layers: 0 dense 5->8, 1 act, 2 gated 8, 3 dense 8->8, 4 act, 5 dense 8->4
  REQUIRE_NOTHROW(check_network(good()));
  const auto fails = [&](auto&& mutate, const std::string& message) {
    Network net = good();
    mutate(net);
    REQUIRE_THROWS_WITH(check_network(net), message);
  };
  fails([](Network& n) { n.layers.clear(); }, "model.layers: expected 1 to 128 layers, got 0");
  fails([](Network& n) { n.layers.resize(129, Layer(n.layers[1])); },
        "model.layers: expected 1 to 128 layers, got 129");
  fails([](Network& n) { n.input_size = 0; },
        "model.input.size: expected an integer in [1, 65536], got 0");
  fails([](Network& n) { n.in_mean.resize(2); },
        "model.input.mean: expected 5 floats (the encoded input: 2 values, encoding \"polar\"), "
        "got 2");
  fails([](Network& n) { n.in_mean[3] = NAN; },
        "model.input.mean[3]: expected a finite number, got nan");
  fails([](Network& n) { n.in_std[2] = 0; },
        "model.input.std[2]: expected a finite positive number, got 0");
  fails([](Network& n) { n.in_std[0] = -INFINITY; },
        "model.input.std[0]: expected a finite positive number, got -inf");
  fails([](Network& n) { n.encoding = InputEncoding::kRaw; },
        "model.input.mean: expected 2 floats (the encoded input: 2 values, encoding \"raw\"), "
        "got 5");
  fails([](Network& n) { n.layers[0].in = 4; },
        "model.layers[0].in: expected 5 (the encoded input size), got 4");
  fails([](Network& n) { n.layers[3].in = 16; },
        "model.layers[3].in: expected 8 (the previous layer's output), got 16");
  fails([](Network& n) { n.layers[0].out = 0; },
        "model.layers[0].out: expected an integer in [1, 65536], got 0");
  fails([](Network& n) { n.layers[3].W.resize(4, 16); },
        "model.layers[3].weight: expected 64 floats (8 x 8), got 64 floats (4 x 16)");
  fails([](Network& n) { n.layers[3].b.resize(7); },
        "model.layers[3].bias: expected 8 floats, got 7");
  fails([](Network& n) { n.layers[3].W(1, 2) = INFINITY; },
        "model.layers[3].weight[10]: expected a finite number, got inf");
  fails([](Network& n) { n.layers[5].b[1] = NAN; },
        "model.layers[5].bias[1]: expected a finite number, got nan");
  fails(
      [](Network& n) { n.layers[1].out = 9; },
      "model.layers[1]: expected in = out = 8 (the previous layer's output), got in = 8, out = 9");
  fails([](Network& n) { n.layers[2].in = n.layers[2].out = 9; },
        "model.layers[2].width: expected 8 (the previous layer's output), got 9");
  fails([](Network& n) { n.layers[2].Wg.resize(8, 7); },
        "model.layers[2].weight_gate: expected 64 floats (8 x 8), got 56 floats (8 x 7)");
  fails([](Network& n) { n.layers[2].bg.resize(9); },
        "model.layers[2].bias_gate: expected 8 floats, got 9");
  fails([](Network& n) { n.layers[2].W(0, 0) = NAN; },
        "model.layers[2].weight_value[0]: expected a finite number, got nan");
  fails([](Network& n) { n.layers[2].b[7] = NAN; },
        "model.layers[2].bias_value[7]: expected a finite number, got nan");
  fails([](Network& n) { n.layers[2].Wg(7, 7) = NAN; },
        "model.layers[2].weight_gate[63]: expected a finite number, got nan");
  fails([](Network& n) { n.layers[2].bg[0] = NAN; },
        "model.layers[2].bias_gate[0]: expected a finite number, got nan");
  fails([](Network& n) { n.out_mean.resize(6), n.out_std.resize(6); },
        "model.layers[5].out: expected 6 (model.output.size), got 4");
  fails([](Network& n) { n.out_std.resize(3); },
        "model.output.std: expected 4 floats (model.output.size), got 3");
  fails([](Network& n) { n.out_mean[0] = NAN; },
        "model.output.mean[0]: expected a finite number, got nan");
  fails([](Network& n) { n.out_std[3] = -1; },
        "model.output.std[3]: expected a finite positive number, got -1");
  fails([](Network& n) { n.out_mean.resize(0); },
        "model.output.size: expected an integer in [1, 65536], got 0");
  // an odd output count cannot be (sin, cos) pairs
  Network odd = make_net(1, InputEncoding::kRaw, {dense(MatrixRM::Zero(3, 1), vec({0, 0, 0}))},
                         OutputDecoding::kSinCos);
  REQUIRE_THROWS_WITH(check_network(odd, "net"),
                      "net.output.size: expected an even number ((sin, cos) pairs for decoding "
                      "\"sincos\"), got 3");
}

}  // namespace neurokin

TEST_CASE("polar_pitch appends sin and cos of the pitch, encodings need their inputs") {
  using namespace neurokin;
  const float x[4] = {0.3f, -0.4f, 0.1f, 3.0f};
  float f[9];
  encode_features(InputEncoding::kPolarPitch, 4, x, f);
  CHECK(encoded_size(InputEncoding::kPolarPitch, 4) == 9);
  CHECK(f[3] == 3.0f);
  CHECK(f[4] == Approx(0.5));
  CHECK(f[5] == Approx(-0.8));
  CHECK(f[6] == Approx(0.6));
  CHECK(f[7] == Approx(std::sin(3.0)));
  CHECK(f[8] == Approx(std::cos(3.0)));
  // pitch pi and -pi are neighbours: their features agree but for the raw column
  const float a[4] = {0.3f, -0.4f, 0.1f, 3.14159f}, b[4] = {0.3f, -0.4f, 0.1f, -3.14159f};
  float fa[9], fb[9];
  encode_features(InputEncoding::kPolarPitch, 4, a, fa);
  encode_features(InputEncoding::kPolarPitch, 4, b, fb);
  CHECK(fa[8] == Approx(fb[8]));
  CHECK(std::abs(fa[7] - fb[7]) < 1e-5);
  CHECK(encoding_from_name("polar_pitch") == InputEncoding::kPolarPitch);

  Network net;
  net.input_size = 3;
  net.encoding = InputEncoding::kPolarPitch;
  net.layers.resize(1);
  CHECK_THROWS_WITH(check_network(net), "model.input.size: expected at least 4 for encoding \"polar_pitch\", got 3");
  net.input_size = 1;
  net.encoding = InputEncoding::kPolar;
  CHECK_THROWS_WITH(check_network(net), "model.input.size: expected at least 2 for encoding \"polar\", got 1");
}

TEST_CASE("pose appends polar and the rotation matrix of the normalised quaternion") {
  using namespace neurokin;
  constexpr int n = 7, e = n + 12;
  CHECK(encoded_size(InputEncoding::kPose, n) == e);
  CHECK(encoding_from_name("pose") == InputEncoding::kPose);
  CHECK(std::string(encoding_name(InputEncoding::kPose)) == "pose");

  // R of (x3..x6) = (qx, qy, qz, qw) against Eigen, for unit and non-unit q of any sign; the
  // polar features are the polar encoding's
  Rng rng(17);
  for (int trial = 0; trial < 500; ++trial) {
    const double scale = std::exp(rng.uniform(-20, 20));  // |q| from about 2e-9 to 5e8
    float x[n];
    for (float& v : x) v = float(rng.normal());
    for (int k = 3; k < 7; ++k) x[k] = float(scale * x[k]);
    if (trial % 4 == 0) x[6] = -std::abs(x[6]);  // w < 0
    float f[e], polar[n + 3];
    encode_features(InputEncoding::kPose, n, x, f);
    encode_features(InputEncoding::kPolar, n, x, polar);
    for (int k = 0; k < n + 3; ++k) CHECK(f[k] == polar[k]);
    const Eigen::Matrix3d R_expected =
        Eigen::Quaterniond(x[6], x[3], x[4], x[5]).normalized().toRotationMatrix();
    INFO("trial " << trial << ", |q| " << scale);
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) CHECK(std::abs(f[n + 3 + 3 * i + j] - R_expected(i, j)) < 1e-6);

    // -q is the same rotation: all but the raw quaternion columns are bit-identical
    float x_neg[n], f_neg[e];
    std::copy(x, x + n, x_neg);
    for (int k = 3; k < 7; ++k) x_neg[k] = -x[k];
    encode_features(InputEncoding::kPose, n, x_neg, f_neg);
    for (int k = n; k < e; ++k) CHECK(f_neg[k] == f[k]);
  }

  // a hand-worked q: 90 degrees about z, scaled by 3 (R = [[0, -1, 0], [1, 0, 0], [0, 0, 1]])
  const float h = float(3 * std::sqrt(0.5));
  const float turn[n] = {0.3f, -0.4f, 0.1f, 0, 0, h, h};
  float f[e];
  encode_features(InputEncoding::kPose, n, turn, f);
  const float R_turn[9] = {0, -1, 0, 1, 0, 0, 0, 0, 1};
  for (int k = 0; k < 9; ++k) CHECK(f[n + 3 + k] == Approx(R_turn[k]).margin(1e-7));
  CHECK(f[n] == Approx(0.5));

  // the zero quaternion (with signed zeros) gives the identity, no NaN
  const float zero[n] = {0.3f, -0.4f, 0.1f, 0.0f, -0.0f, 0.0f, -0.0f};
  encode_features(InputEncoding::kPose, n, zero, f);
  const float identity[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  for (int k = 0; k < 9; ++k) CHECK(f[n + 3 + k] == identity[k]);

  // the encoding reads x3..x6
  Network net;
  net.input_size = 4;
  net.encoding = InputEncoding::kPose;
  net.layers.resize(1);
  CHECK_THROWS_WITH(check_network(net),
                    "model.input.size: expected at least 7 for encoding \"pose\", got 4");
  CHECK_THROWS_WITH(check_encoding_input(InputEncoding::kPose, 6, "task"),
                    "task: expected at least 7 for encoding \"pose\", got 6");
  CHECK_NOTHROW(check_encoding_input(InputEncoding::kPose, 7, "task"));
}
