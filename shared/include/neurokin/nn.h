// Neural-network inference for small MLPs: the same code runs natively and in the browser.
// A Network is immutable after construction; a Workspace holds the buffers one caller
// needs (Pinocchio's Model/Data split), so predict() allocates nothing.
//
// Pipeline per sample (docs/model-format.md):
//   raw input x (input_size) -> encode (raw | polar) -> x_n = (x_e - in_mean) / in_std
//   -> layers -> y = y_n * out_std + out_mean -> decode (angles | sincos | softmax)
#pragma once

#include <Eigen/Core>
#include <cstddef>
#include <string>
#include <vector>

#include "neurokin/error.h"

namespace neurokin {

// limits of the model format, checked before anything is allocated
inline constexpr std::size_t kMaxParameters = 50'000'000;  // weights + biases
inline constexpr int kMaxLayers = 128;
inline constexpr int kMaxWidth = 65536;  // any single dimension (layer width, input, output)

namespace detail {
// the entry of `all` whose name_of() is `name`; else Error listing the valid names
template <class E, std::size_t N>
E enum_from_name(const std::string& name, const std::string& where, const E (&all)[N],
                 const char* (*name_of)(E)) {
  std::string valid;
  for (E e : all) {
    if (name == name_of(e)) return e;
    valid += std::string(valid.empty() ? "" : ", ") + "\"" + name_of(e) + "\"";
  }
  throw_expected(where, "one of " + valid, "\"" + name + "\"");
}
}  // namespace detail

enum class Activation { kIdentity, kRelu, kSilu, kTanh, kSigmoid };
const char* activation_name(Activation a);  // "identity", "relu", "silu", "tanh", "sigmoid"
// throws Error("<where>: expected one of ..., got ...")
Activation activation_from_name(const std::string& name, const std::string& where = "activation");

// row-major weights: W is out x in, y = W x + b (the ONNX Gemm transB = 1 layout)
using MatrixRM = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct Layer {
  enum class Type { kDense, kActivation, kGatedResidual };
  Type type = Type::kDense;
  // kDense: W (out x in), b (out)
  // kGatedResidual (seed 001): y = x + act(W x + b) * sigmoid(Wg x + bg), W and Wg width x
  // width, in = out = width (W, b: the value branch; Wg, bg: the gate)
  // kActivation: no weights, in = out = the width of the previous layer
  MatrixRM W, Wg;
  Eigen::VectorXf b, bg;
  Activation act = Activation::kIdentity;  // kActivation, and the value branch of kGatedResidual
  int in = 0, out = 0;
};
const char* layer_type_name(Layer::Type t);  // "dense", "activation", "gated_residual"

// input encodings: how the raw task vector becomes the network's input features
enum class InputEncoding {
  kRaw,    // the task vector as is
  kPolar,  // task vector, then r_xy = hypot(x, y), sin(phi), cos(phi), phi = atan2(y, x) (seed 001)
  kPolarPitch,  // polar, then sin(pitch), cos(pitch) of the 4th input: an angle input is
                // continuous only on the circle (pitch jumps from pi to -pi between neighbours)
  kPose,  // polar, then the rotation matrix R (row-major R00, R01, ..., R22) of the quaternion
          // (x3, x4, x5, x6) = (qx, qy, qz, qw), normalised (the identity for q = 0): q and -q
          // give the same R, and the wrist centre p + R c is linear in (p, R)
};
// output decodings: what the network's (de-normalised) outputs mean
enum class OutputDecoding {
  kAngles,   // n joint angles (rad)
  kSinCos,   // n (sin, cos) pairs, decoded with atan2 to (-pi, pi] (seed 001)
  kSoftmax,  // class logits, returned as probabilities
};
const char* encoding_name(InputEncoding e);   // "raw", "polar", "polar_pitch", "pose"
const char* decoding_name(OutputDecoding d);  // "angles", "sincos", "softmax"
InputEncoding encoding_from_name(const std::string& name, const std::string& where = "encoding");
OutputDecoding decoding_from_name(const std::string& name, const std::string& where = "decoding");
// raw: n, polar: n + 3, polar_pitch: n + 5, pose: n + 12
int encoded_size(InputEncoding e, int input_size);
// one raw row -> its encoded_size() features, before normalisation (the trainer computes the
// normalisation statistics of exactly what predict() will feed the network)
void encode_features(InputEncoding encoding, int input_size, const float* x, float* features);
// an encoding reads task entries up to its last one (polar 2, polar_pitch 4, pose 7); throws
// Error("<where>: expected at least 7 for encoding \"pose\", got 4") when input_size is smaller
void check_encoding_input(InputEncoding encoding, int input_size, const std::string& where);
int decoded_size(OutputDecoding d, int net_outputs);  // angles: n, sincos: n/2, softmax: n

// A network with branch heads (docs/model-format.md) answers with one of several IK branches:
// its outputs are K blocks, one per branch (each decoded as `decoding` says), then K logits;
// predict() decodes the block whose logit is largest. Each head is a smooth map over the whole
// workspace (its branch, limits aside), so the jump between branches that a single canonical
// map must make is a classification, not a regression across a discontinuity.
inline constexpr int kMaxBranches = 16;

struct Network {
  int input_size = 0;  // raw input width (the task vector, or task + joints)
  InputEncoding encoding = InputEncoding::kRaw;
  Eigen::VectorXf in_mean, in_std;  // per encoded feature; x_n = (x - mean) / std
  std::vector<Layer> layers;
  Eigen::VectorXf out_mean, out_std;  // per network output; y = y_n * std + mean
  OutputDecoding decoding = OutputDecoding::kAngles;
  std::vector<std::string> branches;  // branch heads' names; empty: one answer, no logits
  // the decoded outputs are added to the last output_size() raw inputs: a trajectory model's
  // next joints are its current joints (the input's tail) plus the step the network gives.
  // Needs decoding "angles" and no branch heads; the model's kind sets it (model.h)
  bool residual = false;

  int encoded_input_size() const;  // encoded_size(encoding, input_size)
  int net_outputs() const;         // width after the last layer, before decoding
  int heads() const { return branches.empty() ? 1 : static_cast<int>(branches.size()); }
  int head_outputs() const;        // network outputs per head (all of them without heads)
  int output_size() const;         // decoded width: what predict() writes per row (one head)
  int max_width() const;           // widest activation, for the workspace
  std::size_t parameter_count() const;
};

// checks a network's shapes and values: layer widths chain from the encoded input to the
// outputs, every weight, bias and mean is finite, every std finite and positive, at most
// kMaxLayers layers and kMaxParameters parameters. Throws Error naming the field with the
// model file's paths under `where` ("model.layers[2].in: expected 64 (the previous layer's
// output), got 32", "model.input.std[1]: expected a finite positive number, got 0").
void check_network(const Network& net, const std::string& where = "model");

struct Workspace {
  static constexpr int kRows = 64;  // rows processed per chunk
  explicit Workspace(const Network& net);
  MatrixRM a, b, g;  // kRows x max_width each: activations (ping-pong) and the gate branch
};

// y[n x output_size] = net(x[n x input_size]) (+ the input's last output_size entries when
// residual); row-major, contiguous float buffers.
// Allocates nothing. Assumes net passed check_network(); non-finite inputs give non-finite
// outputs. Throws Error only when ws was built for a narrower network.
void predict(const Network& net, Workspace& ws, const float* x, std::size_t n, float* y);

// the network's outputs before decoding: y[n x net_outputs()], de-normalised (sin/cos pairs,
// angles or logits, then the heads' logits). What two builds of the core are compared on.
void forward(const Network& net, Workspace& ws, const float* x, std::size_t n, float* y);

// every head's answer: y[n x heads() x output_size] and p[n x heads()], the softmax of the
// logits (1 without heads). predict() returns, per row, the head with the largest p.
void predict_branches(const Network& net, Workspace& ws, const float* x, std::size_t n, float* y,
                      float* p);

}  // namespace neurokin
