#include "export/onnx_export.h"

#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/onnx-ml.pb.h>
#include <onnx/shape_inference/implementation.h>

#include <cassert>
#include <cmath>
#include <cstdint>
#include <exception>
#include <map>
#include <utility>
#include <vector>

#include "io/atomic_file.h"
#include "neurokin/conditioning.h"
#include "neurokin/error.h"

namespace neurokin::onnx_export {
namespace {

using Dims = std::vector<std::int64_t>;
using Attrs = std::vector<std::pair<std::string, std::int64_t>>;

constexpr float kPi = static_cast<float>(M_PI);

// a graph under construction: constants become initializers, and every node has one output
// named after the node ("layers.2/Gemm"), so a viewer shows where each value comes from
class Graph {
 public:
  // prefix: put before every initializer and node name (a clustered model's members share a graph)
  explicit Graph(onnx::GraphProto* g, std::string prefix = "") : g_(g), prefix_(std::move(prefix)) {}

  std::string floats(const std::string& name, const float* v, const Dims& dims) {
    onnx::TensorProto* t = tensor(name, onnx::TensorProto::FLOAT, dims);
    std::int64_t n = 1;
    for (std::int64_t d : dims) n *= d;
    t->mutable_float_data()->Add(v, v + n);
    return prefix_ + name;
  }
  std::string vector(const std::string& name, const Eigen::VectorXf& v) {
    return floats(name, v.data(), {v.size()});
  }
  std::string matrix(const std::string& name, const MatrixRM& m) {
    return floats(name, m.data(), {m.rows(), m.cols()});
  }
  std::string scalar(const std::string& name, float v) { return floats(name, &v, {}); }
  std::string scalar_double(const std::string& name, double v) {
    tensor(name, onnx::TensorProto::DOUBLE, {})->add_double_data(v);
    return prefix_ + name;
  }
  std::string int64s(const std::string& name, const Dims& v) {
    onnx::TensorProto* t = tensor(name, onnx::TensorProto::INT64, {Dims::value_type(v.size())});
    for (std::int64_t i : v) t->add_int64_data(i);
    return prefix_ + name;
  }

  // op_type(inputs) with integer attributes; returns its output "<scope>/<op_type>[_k]"
  std::string op(const std::string& op_type, const std::vector<std::string>& inputs,
                 const std::string& scope, const Attrs& attrs = {}) {
    std::string name = prefix_ + scope + "/" + op_type;
    const int k = uses_[name]++;
    if (k > 0) name += "_" + std::to_string(k);
    onnx::NodeProto* n = g_->add_node();
    n->set_name(name);
    n->set_op_type(op_type);
    for (const std::string& in : inputs) n->add_input(in);
    n->add_output(name);
    for (const auto& [key, value] : attrs) {
      onnx::AttributeProto* a = n->add_attribute();
      a->set_name(key);
      a->set_type(onnx::AttributeProto::INT);
      a->set_i(value);
    }
    return name;
  }

  // the value `name` becomes the graph output `output`: the last node writes it directly
  void rename_last_output(const std::string& name, const std::string& output) {
    onnx::NodeProto* last = g_->mutable_node(g_->node_size() - 1);
    assert(last->output(0) == name);
    (void)name;
    last->set_output(0, output);
  }

 private:
  onnx::TensorProto* tensor(const std::string& name, int type, const Dims& dims) {
    onnx::TensorProto* t = g_->add_initializer();
    t->set_name(prefix_ + name);
    t->set_data_type(type);
    for (std::int64_t d : dims) t->add_dims(d);
    return t;
  }

  onnx::GraphProto* g_;
  std::string prefix_;
  std::map<std::string, int> uses_;
};

// a float32 [batch, dims...] graph input or output
void declare(onnx::ValueInfoProto* v, const std::string& name, const Dims& dims) {
  v->set_name(name);
  onnx::TypeProto_Tensor* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  t->mutable_shape()->add_dim()->set_dim_param(kBatchDim);
  for (std::int64_t d : dims) t->mutable_shape()->add_dim()->set_dim_value(d);
}

// the rotation matrix of the quaternion in the double columns qx, qy, qz, qw, row-major (R00,
// R01, ..., R22): s = 2 / |q|^2 and R00 = 1 - s (qy^2 + qz^2), R01 = s (qx qy - qz qw), ...,
// with s = 0 (the identity) where |q|^2 is not > 0. The core's operations in its order (nn.cpp
// encode_features), so the features are bit-identical to predict(). zero, one: double scalars
std::vector<std::string> rotation(Graph& g, const std::string& qx, const std::string& qy,
                                  const std::string& qz, const std::string& qw,
                                  const std::string& zero, const std::string& one) {
  const std::string s = "encode";
  auto mul = [&](const std::string& a, const std::string& b) { return g.op("Mul", {a, b}, s); };
  auto add = [&](const std::string& a, const std::string& b) { return g.op("Add", {a, b}, s); };
  auto sub = [&](const std::string& a, const std::string& b) { return g.op("Sub", {a, b}, s); };
  const std::string xx = mul(qx, qx), yy = mul(qy, qy), zz = mul(qz, qz), ww = mul(qw, qw);
  const std::string xy = mul(qx, qy), xz = mul(qx, qz), yz = mul(qy, qz);
  const std::string xw = mul(qx, qw), yw = mul(qy, qw), zw = mul(qz, qw);
  // s = 2 / |q|^2, 0 for the zero quaternion (divides by 1 there, never by 0)
  const std::string norm2 = add(add(add(xx, yy), zz), ww);
  const std::string positive = g.op("Greater", {norm2, zero}, s);
  const std::string norm2_safe = g.op("Where", {positive, norm2, one}, s);
  const std::string scale =
      g.op("Where",
           {positive, g.op("Div", {g.scalar_double("encode.two", 2.0), norm2_safe}, s), zero}, s);
  // diagonal 1 - s (a + b), off-diagonal s (a +- b)
  auto diagonal = [&](const std::string& a, const std::string& b) {
    return sub(one, mul(scale, add(a, b)));
  };
  auto plus = [&](const std::string& a, const std::string& b) { return mul(scale, add(a, b)); };
  auto minus = [&](const std::string& a, const std::string& b) { return mul(scale, sub(a, b)); };
  return {diagonal(yy, zz), minus(xy, zw),    plus(xz, yw),       // R00 R01 R02
          plus(xy, zw),     diagonal(xx, zz), minus(yz, xw),      // R10 R11 R12
          minus(xz, yw),    plus(yz, xw),     diagonal(xx, yy)};  // R20 R21 R22
}

// the encodings other than raw: the task vector, then r, sin(phi), cos(phi) of its first two
// entries, and for polar_pitch sin, cos of the 4th, for pose the rotation matrix of the
// quaternion x3..x6. In double like the core (nn.cpp encode_features): y/r and x/r, and (0, 1)
// where r is not > 0
std::string encode(Graph& g, const std::string& target, InputEncoding encoding) {
  const std::string s = "encode";
  // task entry k as a double column [batch, 1]
  auto column = [&](const char* name, std::int64_t k) {
    const std::string v = g.op("Gather", {target, g.int64s(name, {k})}, s, {{"axis", 1}});
    return g.op("Cast", {v}, s, {{"to", onnx::TensorProto::DOUBLE}});
  };
  const std::string x = column("encode.x", 0), y = column("encode.y", 1);
  const std::string r =
      g.op("Sqrt", {g.op("Add", {g.op("Mul", {x, x}, s), g.op("Mul", {y, y}, s)}, s)}, s);
  const std::string zero = g.scalar_double("encode.zero", 0.0);
  const std::string one = g.scalar_double("encode.one", 1.0);
  const std::string positive = g.op("Greater", {r, zero}, s);
  const std::string r_safe = g.op("Where", {positive, r, one}, s);
  const std::string sin = g.op("Where", {positive, g.op("Div", {y, r_safe}, s), zero}, s);
  const std::string cos = g.op("Where", {positive, g.op("Div", {x, r_safe}, s), one}, s);
  std::vector<std::string> features = {r, sin, cos};
  if (encoding == InputEncoding::kPolarPitch) {
    // polar_pitch: sin and cos of the 4th input, in double like the core
    const std::string p = column("encode.pitch", 3);
    features.push_back(g.op("Sin", {p}, s));
    features.push_back(g.op("Cos", {p}, s));
  }
  if (encoding == InputEncoding::kPose) {
    const std::vector<std::string> R =
        rotation(g, column("encode.qx", 3), column("encode.qy", 4), column("encode.qz", 5),
                 column("encode.qw", 6), zero, one);
    features.insert(features.end(), R.begin(), R.end());
  }
  const std::string extra = g.op("Concat", features, s, {{"axis", 1}});
  return g.op("Concat", {target, g.op("Cast", {extra}, s, {{"to", onnx::TensorProto::FLOAT}})}, s,
              {{"axis", 1}});
}

// an activation function in place of its value; identity adds nothing
std::string activate(Graph& g, Activation act, const std::string& x, const std::string& scope) {
  switch (act) {
    case Activation::kIdentity:
      return x;
    case Activation::kRelu:
      return g.op("Relu", {x}, scope);
    case Activation::kSilu:
      return g.op("Mul", {x, g.op("Sigmoid", {x}, scope)}, scope);  // x * sigmoid(x)
    case Activation::kTanh:
      return g.op("Tanh", {x}, scope);
    case Activation::kSigmoid:
      return g.op("Sigmoid", {x}, scope);
  }
  throw Error("onnx export: unknown activation");
}

// y = x W^T + b: W is stored out x in, which is Gemm's B with transB = 1
std::string dense(Graph& g, const MatrixRM& W, const Eigen::VectorXf& b, const std::string& x,
                  const std::string& scope, const std::string& what) {
  return g.op("Gemm",
              {x, g.matrix(scope + ".weight" + what, W), g.vector(scope + ".bias" + what, b)},
              scope, {{"transB", 1}});
}

std::string layer(Graph& g, const Layer& l, const std::string& x, const std::string& scope) {
  switch (l.type) {
    case Layer::Type::kDense:
      return dense(g, l.W, l.b, x, scope, "");
    case Layer::Type::kActivation:
      return activate(g, l.act, x, scope);
    case Layer::Type::kGatedResidual: {
      // x + act(Wv x + bv) * sigmoid(Wg x + bg)
      const std::string value = activate(g, l.act, dense(g, l.W, l.b, x, scope, "_value"), scope);
      const std::string gate = g.op("Sigmoid", {dense(g, l.Wg, l.bg, x, scope, "_gate")}, scope);
      return g.op("Add", {x, g.op("Mul", {value, gate}, scope)}, scope);
    }
  }
  throw Error("onnx export: unknown layer type");
}

// atan2(s, c) element-wise from Atan of s / c, shifted by +-pi where c < 0; where c = 0 it is
// +-pi/2 by the sign of s (0 at the origin). Matches std::atan2 to float precision in all four
// quadrants, giving pi (not -pi) for s = -0, c < 0: the range is (-pi, pi]
std::string atan2(Graph& g, const std::string& s, const std::string& c) {
  const std::string scope = "decode";
  const std::string zero = g.scalar("decode.zero", 0.0f);
  const std::string c_zero = g.op("Equal", {c, zero}, scope);
  const std::string c_safe = g.op("Where", {c_zero, g.scalar("decode.one", 1.0f), c}, scope);
  const std::string t = g.op("Atan", {g.op("Div", {s, c_safe}, scope)}, scope);
  // the half turn carries the sign of s, with s = 0 counted as positive
  const std::string half_turn =
      g.op("Where",
           {g.op("Less", {s, zero}, scope), g.scalar("decode.minus_pi", -kPi),
            g.scalar("decode.pi", kPi)},
           scope);
  const std::string shift = g.op("Where", {g.op("Less", {c, zero}, scope), half_turn, zero}, scope);
  const std::string quadrant = g.op("Add", {t, shift}, scope);
  const std::string axis =
      g.op("Mul", {g.op("Sign", {s}, scope), g.scalar("decode.half_pi", kPi / 2)}, scope);
  return g.op("Where", {c_zero, axis, quadrant}, scope);
}

// de-normalised network outputs -> angles (as they are), sincos pairs -> atan2, softmax
std::string decode(Graph& g, const Network& net, const std::string& y) {
  switch (net.decoding) {
    case OutputDecoding::kAngles:
      return y;
    case OutputDecoding::kSinCos: {
      Dims sin_at, cos_at;
      for (int j = 0; j < net.output_size(); ++j) {
        sin_at.push_back(2 * j);
        cos_at.push_back(2 * j + 1);
      }
      const std::string s =
          g.op("Gather", {y, g.int64s("decode.sin", sin_at)}, "decode", {{"axis", 1}});
      const std::string c =
          g.op("Gather", {y, g.int64s("decode.cos", cos_at)}, "decode", {{"axis", 1}});
      return atan2(g, s, c);
    }
    case OutputDecoding::kSoftmax:
      return g.op("Softmax", {y}, "decode", {{"axis", 1}});
  }
  throw Error("onnx export: unknown decoding");
}

// a network with branch heads: the block of the head whose logit is largest (ArgMax takes the
// first of equal ones, as the core's max_element), [N, K h + K] -> [N, h]. Selected by a chain
// of Where on ArgMax == k (exact: no arithmetic on the values; shapes keep the batch axis)
std::string select_head(Graph& g, const Network& net, const std::string& y) {
  const int k = net.heads(), h = net.head_outputs();
  const std::string scope = "branches";
  const auto block = [&](const std::string& name, std::int64_t first, std::int64_t size) {
    Dims at;
    for (std::int64_t i = 0; i < size; ++i) at.push_back(first + i);
    return g.op("Gather", {y, g.int64s(name, at)}, scope, {{"axis", 1}});
  };
  const std::string best =
      g.op("ArgMax", {block("branches.logits", std::int64_t(k) * h, k)}, scope, {{"axis", 1}, {"keepdims", 1}});
  std::string picked = block("branches.head0", 0, h);
  for (int j = 1; j < k; ++j) {
    const std::string is_j = g.op("Equal", {best, g.int64s("branches.index" + std::to_string(j), {j})}, scope);
    picked = g.op("Where", {is_j, block("branches.head" + std::to_string(j), std::int64_t(j) * h, h), picked}, scope);
  }
  return picked;
}

// the whole pipeline of nn.h predict(), as nodes of g from the graph input(s): the decoded answer.
// A residual (trajectory) network reads the current joints as a second input and adds them
std::string network_nodes(Graph& g, const Network& net) {
  const bool joints = net.residual;
  std::string x = kInputName;
  if (joints) x = g.op("Concat", {kInputName, kJointsInputName}, "input", {{"axis", 1}});
  if (net.encoding != InputEncoding::kRaw) x = encode(g, x, net.encoding);
  // (x - mean) / std, the same float operations as the core
  x = g.op("Sub", {x, g.vector("input.mean", net.in_mean)}, "normalise");
  x = g.op("Div", {x, g.vector("input.std", net.in_std)}, "normalise");
  for (std::size_t i = 0; i < net.layers.size(); ++i)
    x = layer(g, net.layers[i], x, "layers." + std::to_string(i));
  x = g.op("Mul", {x, g.vector("output.std", net.out_std)}, "denormalise");
  x = g.op("Add", {x, g.vector("output.mean", net.out_mean)}, "denormalise");
  if (net.heads() > 1) x = select_head(g, net, x);
  x = decode(g, net, x);
  return joints ? g.op("Add", {x, kJointsInputName}, "residual") : x;
}

void build_graph(const Network& net, const std::string& output, onnx::GraphProto* gp) {
  Graph g(gp);
  const int joints = net.residual ? net.output_size() : 0;
  declare(gp->add_input(), kInputName, {net.input_size - joints});
  if (joints) declare(gp->add_input(), kJointsInputName, {joints});
  declare(gp->add_output(), output, {net.output_size()});
  g.rename_last_output(network_nodes(g, net), output);
}

// every member under "cluster<k>/", each answer [N, dof] unsqueezed to [N, 1, dof], then
// concatenated along axis 1: [N, K, dof] (the FK-consistent choice is the caller's: docs/onnx.md)
void build_clustered_graph(const ClusteredModel& m, onnx::GraphProto* gp) {
  declare(gp->add_input(), kInputName, {task_size(m.arm.task)});
  declare(gp->add_output(), kCandidatesName, {m.k(), m.arm.dof()});
  std::vector<std::string> answers;
  for (int k = 0; k < m.k(); ++k) {
    Graph gk(gp, "cluster" + std::to_string(k) + "/");
    const std::string q = network_nodes(gk, m.clusters[k].model.net);
    answers.push_back(gk.op("Unsqueeze", {q, gk.int64s("candidates.axis", {1})}, "candidates"));
  }
  Graph g(gp);
  g.rename_last_output(g.op("Concat", answers, "candidates", {{"axis", 1}}), kCandidatesName);
}

// the scalar entries of a metrics object (nested objects kept, arrays such as curves dropped)
nlohmann::json key_metrics(const nlohmann::json& j) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, value] : j.items()) {
    if (value.is_object()) {
      nlohmann::json sub = key_metrics(value);
      if (!sub.empty()) out[key] = std::move(sub);
    } else if (value.is_primitive() && !value.is_null()) {
      out[key] = value;
    }
  }
  return out;
}

void add_property(onnx::ModelProto& model, const std::string& key, const std::string& value) {
  onnx::StringStringEntryProto* p = model.add_metadata_props();
  p->set_key(key);
  p->set_value(value);
}

// name, arm, kind and what the columns mean, for whoever loads the file without the JSON
void add_properties(onnx::ModelProto& model, const Model& m, const std::string& name) {
  add_property(model, "name", name);
  add_property(model, "arm", m.arm.name);
  add_property(model, "kind", model_kind_name(m.kind));
  add_property(model, "task", task_name(m.arm.task));
  add_property(model, "encoding", encoding_name(m.net.encoding));
  add_property(model, "decoding", decoding_name(m.net.decoding));
  std::string columns;
  for (int k = 0; k < m.net.output_size(); ++k) {
    if (k > 0) columns += ",";
    columns += m.kind == ModelKind::kFeasibility ? feasibility_name(static_cast<Feasibility>(k))
                                                 : m.arm.joints[k].name;
  }
  add_property(model, "output_columns", columns);
  if (!m.net.branches.empty()) {
    std::string branches;
    for (const std::string& b : m.net.branches) branches += (branches.empty() ? "" : ",") + b;
    add_property(model, "branches", branches);  // the graph answers with the likeliest one
  }
  const auto metrics = m.metadata.find("metrics");
  if (metrics != m.metadata.end() && metrics->is_object())
    add_property(model, "metrics", key_metrics(*metrics).dump());
}

std::string default_name(const Model& m) {
  const auto name = m.metadata.find("name");
  if (name != m.metadata.end() && name->is_string()) return name->get<std::string>();
  return m.arm.name + "_" + model_kind_name(m.kind);
}

}  // namespace

const char* output_name(ModelKind kind) {
  return kind == ModelKind::kFeasibility ? "probabilities" : "joints";
}

namespace {

// an empty model: producer, opset, the doc string and the graph's name
void start_model(onnx::ModelProto& model, const std::string& model_name, const std::string& doc) {
  model.set_ir_version(onnx::IR_VERSION);
  model.set_producer_name("neurokin");
  model.set_producer_version(NEUROKIN_VERSION);
  model.set_doc_string(doc);
  onnx::OperatorSetIdProto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOpset);
  model.mutable_graph()->set_name(model_name);
}

// the checker and strict shape inference vouch for the graph before anyone runs it
std::string check_and_serialize(onnx::ModelProto& model, const std::string& model_name) {
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    throw Error("onnx export of '" + model_name +
                "': the ONNX checker rejected the graph: " + e.what());
  }
  try {
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(true, 1, false));
  } catch (const std::exception& e) {
    throw Error("onnx export of '" + model_name + "': ONNX shape inference failed: " + e.what());
  }

  std::string bytes;
  if (!model.SerializeToString(&bytes))
    throw Error("onnx export of '" + model_name + "': cannot serialize (" +
                std::to_string(model.ByteSizeLong()) + " bytes; protobuf allows under 2 GiB)");
  return bytes;
}

}  // namespace

std::string export_model(const Model& m, const std::string& name) {
  try {
    check_model(m);
  } catch (const Error& e) {
    throw Error(std::string("onnx export: ") + e.what());
  }
  const std::string model_name = name.empty() ? default_name(m) : name;
  onnx::ModelProto model;
  start_model(model, model_name,
              "NeuroKinematics " + std::string(model_kind_name(m.kind)) + " model for arm " + m.arm.name +
                  " (docs/onnx.md)");
  add_properties(model, m, model_name);
  build_graph(m.net, output_name(m.kind), model.mutable_graph());
  return check_and_serialize(model, model_name);
}

std::string export_clustered(const ClusteredModel& m, const std::string& name) {
  try {
    check_clustered_model(m);
  } catch (const Error& e) {
    throw Error(std::string("onnx export: ") + e.what());
  }
  const std::string model_name = name.empty() ? m.arm.name + "_" + kClusteredKind : name;
  onnx::ModelProto model;
  start_model(model, model_name,
              "NeuroKinematics clustered ik model for arm " + m.arm.name + ": every cluster's candidate; choose "
              "the one whose FK is nearest the target (docs/onnx.md)");
  add_property(model, "name", model_name);
  add_property(model, "arm", m.arm.name);
  add_property(model, "kind", kClusteredKind);
  add_property(model, "task", task_name(m.arm.task));
  add_property(model, "clusters", std::to_string(m.k()));
  std::string columns;
  for (const Joint& j : m.arm.joints) columns += (columns.empty() ? "" : ",") + j.name;
  add_property(model, "output_columns", columns);
  add_property(model, "selection", "fk_consistency: the candidate with the smallest position error (m) + " +
                                       std::to_string(m.orientation_weight) + " x orientation error (rad)");
  const auto metrics = m.metadata.find("metrics");
  if (metrics != m.metadata.end() && metrics->is_object())
    add_property(model, "metrics", key_metrics(*metrics).dump());
  build_clustered_graph(m, model.mutable_graph());
  return check_and_serialize(model, model_name);
}

void write_onnx(const std::string& path, const Model& m, const std::string& name) {
  io::write_file_atomic(path, export_model(m, name));
}

void write_clustered_onnx(const std::string& path, const ClusteredModel& m, const std::string& name) {
  io::write_file_atomic(path, export_clustered(m, name));
}

}  // namespace neurokin::onnx_export
