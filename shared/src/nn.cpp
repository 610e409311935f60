#include "neurokin/nn.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <utility>

#include "neurokin/error.h"

namespace neurokin {

namespace {

using Index = Eigen::Index;
using ArrayMap = Eigen::Map<Eigen::ArrayXf>;
constexpr Activation kActivations[] = {Activation::kIdentity, Activation::kRelu, Activation::kSilu,
                                       Activation::kTanh, Activation::kSigmoid};
constexpr InputEncoding kEncodings[] = {InputEncoding::kRaw, InputEncoding::kPolar,
                                        InputEncoding::kPolarPitch, InputEncoding::kPose};
constexpr OutputDecoding kDecodings[] = {OutputDecoding::kAngles, OutputDecoding::kSinCos,
                                         OutputDecoding::kSoftmax};

// what an encoding appends to the task vector, and the task entries it reads: polar reads x0
// and x1, polar_pitch also x3 (the pitch), pose x3..x6 (the quaternion)
struct EncodingShape {
  int appended, inputs_read;
};
EncodingShape encoding_shape(InputEncoding e) {
  switch (e) {
    case InputEncoding::kRaw:
      return {0, 1};
    case InputEncoding::kPolar:
      return {3, 2};
    case InputEncoding::kPolarPitch:
      return {5, 4};
    case InputEncoding::kPose:
      return {12, 7};
  }
  return {0, 1};
}

std::string str(long long v) { return std::to_string(v); }

// a float for messages: "0", "-1.5", "nan", "inf" (9 significant digits identify a float)
std::string show(float v) {
  std::ostringstream s;
  s.precision(9);
  s << v;
  return s.str();
}

// Y = X W^T + 1 b^T, the same kernels natively and in WebAssembly, so both builds give the
// same bits (wasm_vs_native checks it): Eigen 3.4 has no WebAssembly SIMD backend, and its own
// products would sum in another order natively. Written with GCC/Clang vector types, which
// every target lowers to its own SIMD (SSE on x86-64, wasm SIMD128 with -msimd128): each step
// takes 2 rows x 4 outputs and 4 consecutive k as the 4 lanes of a vector; lanes are summed in
// a fixed order at the end, so the result does not depend on the target. Outputs are tiled so
// that a tile of W stays in L1 cache while the chunk's rows stream past it. No target fuses
// the multiply-adds (x86-64 without -mfma; wasm has no fma), which would round differently.
using Float4 = float __attribute__((vector_size(16)));
constexpr Index kTileOutputs = 16;

inline Float4 load4(const float* p) {
  Float4 v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

inline float lane_sum(Float4 v) { return (v[0] + v[1]) + (v[2] + v[3]); }

// e^x in 4 lanes, Cephes' expf (S. Moshier): x = n ln2 + r, |r| <= ln2 / 2, e^r by a degree-5
// polynomial, 2^n through the exponent bits; relative error ~2e-7 on [-87, 88] (clamped there)
inline Float4 exp4(Float4 x) {
  using Int4 = std::int32_t __attribute__((vector_size(16)));
  const Float4 hi = Float4{} + 88.3762626647949f, lo = Float4{} - 87.3365478515625f;
  x = x < hi ? x : hi;
  x = x > lo ? x : lo;
  Float4 fx = x * 1.44269504088896341f + 0.5f;
  // floor(fx): truncate, then one less where truncation went up (negative fx)
  const Float4 t = __builtin_convertvector(__builtin_convertvector(fx, Int4), Float4);
  fx = t > fx ? t - 1.0f : t;
  x = x - fx * 0.693359375f + fx * 2.12194440e-4f;
  Float4 y = Float4{} + 1.9875691500e-4f;
  y = y * x + 1.3981999507e-3f;
  y = y * x + 8.3334519073e-3f;
  y = y * x + 4.1665795894e-2f;
  y = y * x + 1.6666665459e-1f;
  y = y * x + 5.0000001201e-1f;
  y = y * (x * x) + x + 1.0f;
  const Int4 n = (__builtin_convertvector(fx, Int4) + 127) << 23;
  Float4 scale;
  __builtin_memcpy(&scale, &n, sizeof scale);
  return y * scale;
}

// silu, sigmoid and tanh with exp4; false for the others (Eigen's scalar loops are fine there)
bool activate_lanes(Activation act, float* p, Index n) {
  if (act != Activation::kSilu && act != Activation::kSigmoid && act != Activation::kTanh)
    return false;
  const auto apply = [act](Float4 v) {
    if (act == Activation::kSilu) return v / (1.0f + exp4(-v));
    if (act == Activation::kSigmoid) return 1.0f / (1.0f + exp4(-v));
    return 1.0f - 2.0f / (exp4(2.0f * v) + 1.0f);
  };
  Index i = 0;
  for (; i + 4 <= n; i += 4) {
    const Float4 v = apply(load4(p + i));
    __builtin_memcpy(p + i, &v, sizeof v);
  }
  // the last n % 4 values through a padded vector
  Float4 v = {};
  for (Index k = i; k < n; ++k) v[k - i] = p[k];
  v = apply(v);
  for (Index k = i; k < n; ++k) p[k] = v[k - i];
  return true;
}

// R rows (x[r] at x + r * in) x up to 4 outputs starting at o
template <int R>
inline void dense_rows(const float* w, const float* b, const float* x, Index in, Index o, Index no,
                       float* y, Index out) {
  const Index in4 = in & ~Index(3);
  Float4 acc[R][4] = {};
  const float* wr[4];
  for (int j = 0; j < 4; ++j) wr[j] = w + (o + std::min<Index>(j, no - 1)) * in;
  for (Index k = 0; k < in4; k += 4) {
    Float4 a[R];
    for (int r = 0; r < R; ++r) a[r] = load4(x + r * in + k);
    for (int j = 0; j < 4; ++j) {
      const Float4 wj = load4(wr[j] + k);
      for (int r = 0; r < R; ++r) acc[r][j] += a[r] * wj;
    }
  }
  for (int r = 0; r < R; ++r)
    for (Index j = 0; j < no; ++j) {
      float sum = lane_sum(acc[r][j]);
      for (Index k = in4; k < in; ++k) sum += x[r * in + k] * wr[j][k];
      y[r * out + o + j] = sum + b[o + j];
    }
}

void dense(const MatrixRM& W, const Eigen::VectorXf& b, const float* x, Index rows, float* y) {
  const Index in = W.cols(), out = W.rows();
  for (Index t = 0; t < out; t += kTileOutputs) {
    const Index tile_end = std::min(out, t + kTileOutputs);
    Index r = 0;
    for (; r + 2 <= rows; r += 2)
      for (Index o = t; o < tile_end; o += 4)
        dense_rows<2>(W.data(), b.data(), x + r * in, in, o, std::min<Index>(4, tile_end - o),
                      y + r * out, out);
    if (r < rows)
      for (Index o = t; o < tile_end; o += 4)
        dense_rows<1>(W.data(), b.data(), x + r * in, in, o, std::min<Index>(4, tile_end - o),
                      y + r * out, out);
  }
}

// activation functions in place over n contiguous floats (the exp-based ones by activate_lanes,
// the same on every target; relu and identity are exact anyway)
void activate(Activation act, float* p, Index n) {
  if (activate_lanes(act, p, n)) return;
  ArrayMap v(p, n);
  switch (act) {
    case Activation::kIdentity:
      return;
    case Activation::kRelu:
      v = v.max(0.0f);
      return;
    case Activation::kSilu:
      v = v / (1.0f + (-v).exp());
      return;  // x * sigmoid(x)
    case Activation::kTanh:
      v = v.tanh();
      return;
    case Activation::kSigmoid:
      v = 1.0f / (1.0f + (-v).exp());
      return;
  }
}

}  // namespace

void encode_features(InputEncoding encoding, int input_size, const float* x, float* features) {
  std::copy(x, x + input_size, features);
  if (encoding == InputEncoding::kRaw) return;
  // sin/cos of phi = atan2(y, x) as y/r, x/r; atan2(0, 0) = 0 gives (0, 1) at the origin
  const double px = x[0], py = x[1], rho = std::hypot(px, py);
  float* extra = features + input_size;
  extra[0] = static_cast<float>(rho);
  extra[1] = rho > 0 ? static_cast<float>(py / rho) : 0.0f;
  extra[2] = rho > 0 ? static_cast<float>(px / rho) : 1.0f;
  if (encoding == InputEncoding::kPolarPitch) {
    const double pitch = x[3];
    extra[3] = static_cast<float>(std::sin(pitch));
    extra[4] = static_cast<float>(std::cos(pitch));
  }
  if (encoding == InputEncoding::kPose) {
    // R of q / |q| without normalising q: s = 2 / |q|^2 (s = 0, the identity, for q = 0). The
    // operation order is the ONNX export's (onnx_export.cpp encode), so both give the same bits
    const double qx = x[3], qy = x[4], qz = x[5], qw = x[6];
    const double xx = qx * qx, yy = qy * qy, zz = qz * qz, ww = qw * qw;
    const double xy = qx * qy, xz = qx * qz, yz = qy * qz, xw = qx * qw, yw = qy * qw, zw = qz * qw;
    const double norm2 = xx + yy + zz + ww, s = norm2 > 0 ? 2 / norm2 : 0;
    const double R[9] = {1 - s * (yy + zz), s * (xy - zw),     s * (xz + yw),
                         s * (xy + zw),     1 - s * (xx + zz), s * (yz - xw),
                         s * (xz - yw),     s * (yz + xw),     1 - s * (xx + yy)};
    for (int k = 0; k < 9; ++k) extra[3 + k] = static_cast<float>(R[k]);
  }
}

namespace {

// raw rows (rows x input_size) -> encoded, normalised features (rows x encoded_input_size)
void encode(const Network& net, const float* x, Index rows, float* a) {
  const int n = net.input_size, e = net.encoded_input_size();
  for (Index r = 0; r < rows; ++r) {
    float* ar = a + r * e;
    encode_features(net.encoding, n, x + r * n, ar);
    for (int i = 0; i < e; ++i) ar[i] = (ar[i] - net.in_mean[i]) / net.in_std[i];
  }
}

// one head's de-normalised outputs (m of them) decoded into y
void decode_head(OutputDecoding decoding, const float* v, int m, float* y) {
  switch (decoding) {
    case OutputDecoding::kAngles:
      std::copy(v, v + m, y);
      break;
    case OutputDecoding::kSinCos:
      for (int j = 0; j < m / 2; ++j) y[j] = std::atan2(v[2 * j], v[2 * j + 1]);
      break;
    case OutputDecoding::kSoftmax: {
      // subtract the largest logit so exp never overflows
      const float top = *std::max_element(v, v + m);
      float sum = 0;
      for (int i = 0; i < m; ++i) sum += (y[i] = std::exp(v[i] - top));
      for (int i = 0; i < m; ++i) y[i] /= sum;
      break;
    }
  }
}

// network outputs (rows x net_outputs), de-normalised in place, decoded into y: per row the
// head with the largest logit (rows x output_size), or with `all` every head (rows x heads x
// output_size) and their probabilities in p (rows x heads)
enum class Answer { kChosen, kAllHeads, kRaw };

void decode(const Network& net, float* v, Index rows, float* y, Answer answer, float* p) {
  const int m = net.net_outputs(), d = net.output_size(), k = net.heads(), h = net.head_outputs();
  const bool all = answer == Answer::kAllHeads;
  for (Index r = 0; r < rows; ++r) {
    float* vr = v + r * m;
    for (int i = 0; i < m; ++i) vr[i] = vr[i] * net.out_std[i] + net.out_mean[i];
    if (answer == Answer::kRaw) {
      std::copy(vr, vr + m, y + r * m);
      continue;
    }
    const float* logits = vr + k * h;  // after the heads (none without branches)
    if (!all) {
      const int best = k == 1 ? 0 : static_cast<int>(std::max_element(logits, logits + k) - logits);
      decode_head(net.decoding, vr + best * h, h, y + r * d);
      continue;
    }
    for (int j = 0; j < k; ++j) decode_head(net.decoding, vr + j * h, h, y + (r * k + j) * d);
    if (k == 1) p[r] = 1;
    else decode_head(OutputDecoding::kSoftmax, logits, k, p + r * k);
  }
}

// "64 floats" / "4096 floats (64 x 64)"
std::string floats(Index rows, Index cols = -1) {
  if (cols < 0) return str(rows) + " floats";
  return str(rows * cols) + " floats (" + str(rows) + " x " + str(cols) + ")";
}

void check_shape(const MatrixRM& M, int rows, int cols, const std::string& where) {
  if (M.rows() != rows || M.cols() != cols)
    throw_expected(where, floats(rows, cols), floats(M.rows(), M.cols()));
}

void check_size(const Eigen::VectorXf& v, int n, const std::string& where, const std::string& why) {
  if (v.size() != n) throw_expected(where, floats(n) + why, str(v.size()));
}

// every entry finite (and > 0 when positive); the index is the row-major position
void check_values(const float* v, Index n, const std::string& where, bool positive = false) {
  for (Index i = 0; i < n; ++i)
    if (!std::isfinite(v[i]) || (positive && !(v[i] > 0)))
      throw_expected(where + "[" + str(i) + "]",
                     positive ? "a finite positive number" : "a finite number", show(v[i]));
}

void check_dim(int v, const std::string& where) {
  if (v < 1 || v > kMaxWidth)
    throw_expected(where, "an integer in [1, " + str(kMaxWidth) + "]", str(v));
}

}  // namespace

const char* activation_name(Activation a) {
  switch (a) {
    case Activation::kIdentity:
      return "identity";
    case Activation::kRelu:
      return "relu";
    case Activation::kSilu:
      return "silu";
    case Activation::kTanh:
      return "tanh";
    case Activation::kSigmoid:
      return "sigmoid";
  }
  return "?";
}

Activation activation_from_name(const std::string& name, const std::string& where) {
  return detail::enum_from_name(name, where, kActivations, activation_name);
}

const char* layer_type_name(Layer::Type t) {
  switch (t) {
    case Layer::Type::kDense:
      return "dense";
    case Layer::Type::kActivation:
      return "activation";
    case Layer::Type::kGatedResidual:
      return "gated_residual";
  }
  return "?";
}

const char* encoding_name(InputEncoding e) {
  switch (e) {
    case InputEncoding::kRaw: return "raw";
    case InputEncoding::kPolar: return "polar";
    case InputEncoding::kPolarPitch: return "polar_pitch";
    case InputEncoding::kPose: return "pose";
  }
  return "?";
}

const char* decoding_name(OutputDecoding d) {
  switch (d) {
    case OutputDecoding::kAngles:
      return "angles";
    case OutputDecoding::kSinCos:
      return "sincos";
    case OutputDecoding::kSoftmax:
      return "softmax";
  }
  return "?";
}

InputEncoding encoding_from_name(const std::string& name, const std::string& where) {
  return detail::enum_from_name(name, where, kEncodings, encoding_name);
}

OutputDecoding decoding_from_name(const std::string& name, const std::string& where) {
  return detail::enum_from_name(name, where, kDecodings, decoding_name);
}

int encoded_size(InputEncoding e, int input_size) {
  return input_size + encoding_shape(e).appended;
}

void check_encoding_input(InputEncoding encoding, int input_size, const std::string& where) {
  const int needed = encoding_shape(encoding).inputs_read;
  if (input_size < needed)
    throw_expected(where,
                   "at least " + str(needed) + " for encoding \"" + encoding_name(encoding) + "\"",
                   str(input_size));
}

int decoded_size(OutputDecoding d, int net_outputs) {
  return d == OutputDecoding::kSinCos ? net_outputs / 2 : net_outputs;
}

int Network::encoded_input_size() const { return encoded_size(encoding, input_size); }

int Network::net_outputs() const {
  for (auto it = layers.rbegin(); it != layers.rend(); ++it)
    if (it->type != Layer::Type::kActivation) return it->out;
  return encoded_input_size();
}

int Network::head_outputs() const {
  return branches.empty() ? net_outputs() : (net_outputs() - heads()) / heads();
}

int Network::output_size() const { return decoded_size(decoding, head_outputs()); }

int Network::max_width() const {
  int w = encoded_input_size();
  for (const Layer& l : layers) w = std::max({w, l.in, l.out});
  return w;
}

std::size_t Network::parameter_count() const {
  std::size_t n = 0;
  for (const Layer& l : layers)
    n += static_cast<std::size_t>(l.W.size() + l.b.size() + l.Wg.size() + l.bg.size());
  return n;
}

void check_network(const Network& net, const std::string& where) {
  const std::string wl = where + ".layers", wi = where + ".input", wo = where + ".output";
  const int n_layers = static_cast<int>(net.layers.size());
  if (n_layers < 1 || n_layers > kMaxLayers)
    throw_expected(wl, "1 to " + str(kMaxLayers) + " layers", str(n_layers));
  if (net.parameter_count() > kMaxParameters)
    throw_expected(wl, "at most " + str(kMaxParameters) + " parameters",
                   str(static_cast<long long>(net.parameter_count())));

  // input: size, then normalisation per encoded feature
  check_dim(net.input_size, wi + ".size");
  check_encoding_input(net.encoding, net.input_size, wi + ".size");
  const int e = net.encoded_input_size();
  const std::string why = " (the encoded input: " + str(net.input_size) + " values, encoding \"" +
                          encoding_name(net.encoding) + "\")";
  check_size(net.in_mean, e, wi + ".mean", why);
  check_size(net.in_std, e, wi + ".std", why);
  check_values(net.in_mean.data(), e, wi + ".mean");
  check_values(net.in_std.data(), e, wi + ".std", true);

  // layers: each one consumes the width the previous one produced
  int width = e;
  std::string width_from = "the encoded input size", last = wl;  // last: who set the width
  for (int i = 0; i < n_layers; ++i) {
    const Layer& l = net.layers[i];
    const std::string w = wl + "[" + str(i) + "]";
    const std::string expected = str(width) + " (" + width_from + ")";
    switch (l.type) {
      case Layer::Type::kDense:
        if (l.in != width) throw_expected(w + ".in", expected, str(l.in));
        check_dim(l.out, w + ".out");
        check_shape(l.W, l.out, l.in, w + ".weight");
        check_size(l.b, l.out, w + ".bias", "");
        check_values(l.W.data(), l.W.size(), w + ".weight");
        check_values(l.b.data(), l.b.size(), w + ".bias");
        width = l.out;
        last = w + ".out";
        break;
      case Layer::Type::kActivation:
        if (l.in != width || l.out != width)
          throw_expected(w, "in = out = " + expected,
                         "in = " + str(l.in) + ", out = " + str(l.out));
        break;
      case Layer::Type::kGatedResidual:
        if (l.in != width || l.out != width) throw_expected(w + ".width", expected, str(l.in));
        check_shape(l.W, width, width, w + ".weight_value");
        check_size(l.b, width, w + ".bias_value", "");
        check_shape(l.Wg, width, width, w + ".weight_gate");
        check_size(l.bg, width, w + ".bias_gate", "");
        check_values(l.W.data(), l.W.size(), w + ".weight_value");
        check_values(l.b.data(), l.b.size(), w + ".bias_value");
        check_values(l.Wg.data(), l.Wg.size(), w + ".weight_gate");
        check_values(l.bg.data(), l.bg.size(), w + ".bias_gate");
        last = w + ".width";
        break;
    }
    width_from = "the previous layer's output";
  }

  // output: the last width is what gets de-normalised and decoded
  const int m = static_cast<int>(net.out_mean.size());
  check_dim(m, wo + ".size");
  if (width != m) throw_expected(last, str(m) + " (" + wo + ".size)", str(width));
  check_size(net.out_std, m, wo + ".std", " (" + wo + ".size)");
  check_values(net.out_mean.data(), m, wo + ".mean");
  check_values(net.out_std.data(), m, wo + ".std", true);
  const int k = net.heads();
  if (!net.branches.empty()) {
    const std::string wb = wo + ".branches";
    if (k < 2 || k > kMaxBranches) throw_expected(wb, "2 to " + str(kMaxBranches) + " names", str(k));
    if (net.decoding == OutputDecoding::kSoftmax)
      throw_expected(wb, "none for decoding \"softmax\" (branch heads answer with joints)",
                     str(k) + " names");
    for (int i = 0; i < k; ++i) {
      if (net.branches[i].empty()) throw_expected(wb + "[" + str(i) + "]", "a branch name", "\"\"");
      for (int j = 0; j < i; ++j)
        if (net.branches[j] == net.branches[i])
          throw_expected(wb + "[" + str(i) + "]", "a name not given before", "\"" + net.branches[i] + "\"");
    }
    if (m <= k || (m - k) % k != 0)
      throw_expected(wo + ".size", "a multiple of " + str(k) + " plus " + str(k) +
                                       " (a block per branch, then a logit per branch)", str(m));
  }
  if (net.residual) {
    if (net.decoding != OutputDecoding::kAngles || !net.branches.empty())
      throw_expected(wo + ".decoding", "\"angles\" and no branches for a residual network (the step "
                     "added to the input's joints)", "\"" + std::string(decoding_name(net.decoding)) + "\"" +
                     (net.branches.empty() ? "" : " with branches"));
    if (net.output_size() > net.input_size)
      throw_expected(wi + ".size", "at least " + str(net.output_size()) + " (the outputs a residual "
                     "network adds to the input's last entries)", str(net.input_size));
  }
  const int h = net.head_outputs();
  if (net.decoding == OutputDecoding::kSinCos && h % 2 != 0)
    throw_expected(wo + ".size",
                   std::string("an even number") + (k > 1 ? " per head" : "") +
                       " ((sin, cos) pairs for decoding \"sincos\")",
                   str(m));
}

Workspace::Workspace(const Network& net)
    : a(kRows, net.max_width()), b(kRows, net.max_width()), g(kRows, net.max_width()) {}

namespace {

// y (rows x out) += the last `out` entries of each input row (rows x in): a residual network's
// step added to the joints it was given
void add_input_tail(const float* x, std::size_t in, Index rows, std::size_t out, float* y) {
  for (Index r = 0; r < rows; ++r)
    for (std::size_t j = 0; j < out; ++j) y[r * out + j] += x[r * in + in - out + j];
}

// the layers over x in chunks of Workspace::kRows; the decoding as decode() with `all`
void run(const Network& net, Workspace& ws, const float* x, std::size_t n, float* y, Answer answer,
         float* p) {
  const int width = net.max_width();
  if (ws.a.cols() < width)
    throw_expected("predict: workspace",
                   "room for " + str(width) + " features per row (build it from this network)",
                   str(ws.a.cols()));
  const std::size_t in = net.input_size, k = answer == Answer::kAllHeads ? net.heads() : 1;
  const std::size_t out = answer == Answer::kRaw ? net.net_outputs() : k * net.output_size();
  for (std::size_t r0 = 0; r0 < n; r0 += Workspace::kRows) {
    const Index rows = static_cast<Index>(std::min<std::size_t>(Workspace::kRows, n - r0));
    // cur holds the chunk's activations; dense layers write to nxt and swap
    float* cur = ws.a.data();
    float* nxt = ws.b.data();
    float* gate = ws.g.data();
    Index w = net.encoded_input_size();
    encode(net, x + r0 * in, rows, cur);
    for (const Layer& l : net.layers) {
      switch (l.type) {
        case Layer::Type::kDense:
          dense(l.W, l.b, cur, rows, nxt);
          std::swap(cur, nxt);
          w = l.out;
          break;
        case Layer::Type::kActivation:
          activate(l.act, cur, rows * w);
          break;
        case Layer::Type::kGatedResidual:
          // x += act(Wv x + bv) * sigmoid(Wg x + bg)
          dense(l.W, l.b, cur, rows, nxt);
          dense(l.Wg, l.bg, cur, rows, gate);
          activate(l.act, nxt, rows * w);
          activate(Activation::kSigmoid, gate, rows * w);
          ArrayMap(cur, rows * w) += ArrayMap(nxt, rows * w) * ArrayMap(gate, rows * w);
          break;
      }
    }
    decode(net, cur, rows, y + r0 * out, answer, p ? p + r0 * k : nullptr);
    // forward() gives the network's own outputs; the decoded answers add the residual
    if (net.residual && answer != Answer::kRaw) add_input_tail(x + r0 * in, in, rows, out, y + r0 * out);
  }
}

}  // namespace

void predict(const Network& net, Workspace& ws, const float* x, std::size_t n, float* y) {
  run(net, ws, x, n, y, Answer::kChosen, nullptr);
}

void forward(const Network& net, Workspace& ws, const float* x, std::size_t n, float* y) {
  run(net, ws, x, n, y, Answer::kRaw, nullptr);
}

void predict_branches(const Network& net, Workspace& ws, const float* x, std::size_t n, float* y,
                      float* p) {
  run(net, ws, x, n, y, Answer::kAllHeads, p);
}

}  // namespace neurokin
