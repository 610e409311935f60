#include "neurokin/model.h"

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <sstream>

#include "neurokin/error.h"
#include "neurokin/json_util.h"

namespace neurokin {

namespace ju = json_util;
using nlohmann::json;

namespace {

constexpr ModelKind kKinds[] = {ModelKind::kIk, ModelKind::kFeasibility, ModelKind::kTrajectory};
constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string str(long long v) { return std::to_string(v); }
std::string quoted(const std::string& s) { return "\"" + s + "\""; }
// a double for messages, short and exact: "1e+300", "nan", "0.25"
std::string show(double v) {
  std::ostringstream s;
  s.precision(15);  // digits10: no "1.0000000000000001e+300"
  s << v;
  return s.str();
}
std::string item(const std::string& where, std::size_t i) {
  return where + "[" + std::to_string(i) + "]";
}

// the 6-bit value of a base64 character, or -1
int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// bytes a padded base64 string decodes to, from its length and padding alone (RFC 4648 s.4)
std::size_t base64_bytes(const std::string& s, const std::string& where) {
  if (s.size() % 4 != 0)
    throw_expected(where, "base64 with padding (a length that is a multiple of 4)",
                   "a string of " + str(s.size()) + " characters");
  std::size_t pad = 0;
  while (pad < 2 && pad < s.size() && s[s.size() - 1 - pad] == '=') ++pad;
  return s.size() / 4 * 3 - pad;
}

// decodes a padded base64 string into its little-endian float32 values (bytes / 4 of them)
void base64_to_floats(const std::string& s, const std::string& where, float* out) {
  const std::size_t n_bytes = base64_bytes(s, where);
  const std::size_t first_pad = s.size() - (s.size() / 4 * 3 - n_bytes);
  std::uint32_t word = 0;
  std::size_t byte = 0;
  for (std::size_t i = 0; i < s.size(); i += 4) {
    std::uint32_t group = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const char c = s[i + k];
      const int v = i + k >= first_pad ? 0 : sextet(c);
      if (v < 0) {
        const unsigned char u = static_cast<unsigned char>(c);
        throw_expected(where, "base64 characters (A-Z a-z 0-9 + /, = only as final padding)",
                       (u >= 0x20 && u < 0x7f ? "'" + std::string(1, c) + "'" : "byte " + str(u)) +
                           " at offset " + str(i + k));
      }
      group = group << 6 | static_cast<std::uint32_t>(v);
    }
    // three bytes per group, gathered little-endian into float32 words
    for (int k = 2; k >= 0 && byte < n_bytes; --k, ++byte) {
      word |= ((group >> (8 * k)) & 0xffu) << (8 * (byte % 4));
      if (byte % 4 == 3) {
        std::memcpy(out + byte / 4, &word, sizeof word);
        word = 0;
      }
    }
  }
}

// checks that v holds n floats (base64 float32 or an array of numbers) before anything is
// allocated for them; `shape` says what was expected ("4096 floats (64 x 64)")
void check_float_count(const json& v, const std::string& where, const std::string& shape,
                       std::size_t n) {
  if (v.is_string()) {
    const std::size_t bytes = base64_bytes(v.get_ref<const std::string&>(), where);
    if (bytes % 4 != 0)
      throw_expected(where, shape + " = " + str(4 * n) + " bytes of float32",
                     str(bytes) + " bytes");
    if (bytes / 4 != n) throw_expected(where, shape, str(bytes / 4));
  } else if (v.is_array()) {
    if (v.size() != n) throw_expected(where, shape, str(v.size()));
  } else {
    throw_expected(where, shape + " (base64 float32 or an array of numbers)", ju::describe(v));
  }
}

// the floats of a value check_float_count() accepted
void read_floats(const json& v, const std::string& where, float* out) {
  if (v.is_string()) return base64_to_floats(v.get_ref<const std::string&>(), where, out);
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double d = ju::number(v[i], item(where, i));
    if (std::abs(d) > FLT_MAX)
      throw_expected(item(where, i), "a finite float32", ju::describe(v[i]));
    out[i] = static_cast<float>(d);
  }
}

void read_vector(const json& obj, const char* key, const std::string& where,
                 const std::string& shape, Eigen::Index n, Eigen::VectorXf& out) {
  const json& v = ju::field(obj, key, where);
  check_float_count(v, where + "." + key, shape, n);
  out.resize(n);
  read_floats(v, where + "." + key, out.data());
}

void read_matrix(const json& obj, const char* key, const std::string& where, Eigen::Index rows,
                 Eigen::Index cols, MatrixRM& out) {
  const json& v = ju::field(obj, key, where);
  check_float_count(v, where + "." + key,
                    str(rows * cols) + " floats (" + str(rows) + " x " + str(cols) + ")",
                    rows * cols);
  out.resize(rows, cols);
  read_floats(v, where + "." + key, out.data());
}

json floats_to_json(const Eigen::VectorXf& v) {
  json a = json::array();
  for (float x : v) a.push_back(static_cast<double>(x));  // exact: every float is a double
  return a;
}

int read_dim(const json& obj, const char* key, const std::string& where) {
  return static_cast<int>(ju::integer(ju::field(obj, key, where), where + "." + key, 1, kMaxWidth));
}

std::string read_name(const json& obj, const char* key, const std::string& where) {
  return ju::string(ju::field(obj, key, where), where + "." + key);
}

// "input" / "output": size, encoding or decoding, then mean and std over `features(size)`
template <class Coding, class FromName>
void read_io(const json& j, const char* key, const char* coding_key, FromName from_name, int& size,
             Coding& coding, Eigen::VectorXf& mean, Eigen::VectorXf& std_dev,
             int (*features)(Coding, int), const char* what) {
  const std::string w = std::string("model.") + key;
  const json& io = ju::field(j, key, "model");
  ju::require_object(io, w);
  if (std::string(key) == "output")  // the output may name branch heads (read by the caller)
    ju::refuse_unknown(io, w, {"size", coding_key, "mean", "std", "branches"});
  else
    ju::refuse_unknown(io, w, {"size", coding_key, "mean", "std"});
  size = read_dim(io, "size", w);
  coding = from_name(read_name(io, coding_key, w), w + "." + coding_key);
  const int n = features(coding, size);
  const std::string shape = str(n) + " numbers (" + what + ")";
  read_vector(io, "mean", w, shape, n, mean);
  read_vector(io, "std", w, shape, n, std_dev);
}

// layers in two passes: shapes and the parameter budget first, weights only once both pass
std::vector<Layer> read_layers(const json& j, int input_width) {
  const std::string wl = "model.layers";
  const json& jl = ju::field(j, "layers", "model");
  if (!jl.is_array()) throw_expected(wl, "an array of layers", ju::describe(jl));
  if (jl.empty() || jl.size() > static_cast<std::size_t>(kMaxLayers))
    throw_expected(wl, "1 to " + str(kMaxLayers) + " layers", str(jl.size()));

  std::vector<Layer> layers(jl.size());
  std::uint64_t parameters = 0;  // each term < 2 * kMaxWidth^2: no overflow over 128 layers
  int width = input_width;
  for (std::size_t i = 0; i < jl.size(); ++i) {
    const std::string w = item(wl, i);
    const json& jj = jl[i];
    Layer& l = layers[i];
    ju::require_object(jj, w);
    const std::string type = read_name(jj, "type", w);
    if (type == "dense") {
      ju::refuse_unknown(jj, w, {"type", "in", "out", "weight", "bias"});
      l.type = Layer::Type::kDense;
      l.in = read_dim(jj, "in", w);
      l.out = read_dim(jj, "out", w);
      parameters += std::uint64_t(l.in) * l.out + l.out;
      width = l.out;
    } else if (type == "activation") {
      ju::refuse_unknown(jj, w, {"type", "function"});
      l.type = Layer::Type::kActivation;
      l.act = activation_from_name(read_name(jj, "function", w), w + ".function");
      l.in = l.out = width;
    } else if (type == "gated_residual") {
      ju::refuse_unknown(jj, w,
                 {"type", "width", "activation", "weight_value", "bias_value", "weight_gate",
                  "bias_gate"});
      l.type = Layer::Type::kGatedResidual;
      l.in = l.out = width = read_dim(jj, "width", w);
      l.act = activation_from_name(read_name(jj, "activation", w), w + ".activation");
      parameters += 2 * (std::uint64_t(width) * width + width);
    } else {
      throw_expected(w + ".type", "one of \"dense\", \"activation\", \"gated_residual\"",
                     quoted(type));
    }
  }
  if (parameters > kMaxParameters)
    throw_expected(wl, "at most " + str(kMaxParameters) + " parameters",
                   str(static_cast<long long>(parameters)) + " (declared by their in, out, width)");

  for (std::size_t i = 0; i < jl.size(); ++i) {
    const std::string w = item(wl, i);
    Layer& l = layers[i];
    if (l.type == Layer::Type::kDense) {
      read_matrix(jl[i], "weight", w, l.out, l.in, l.W);
      read_vector(jl[i], "bias", w, str(l.out) + " floats", l.out, l.b);
    } else if (l.type == Layer::Type::kGatedResidual) {
      const std::string bias = str(l.out) + " floats";
      read_matrix(jl[i], "weight_value", w, l.out, l.in, l.W);
      read_vector(jl[i], "bias_value", w, bias, l.out, l.b);
      read_matrix(jl[i], "weight_gate", w, l.out, l.in, l.Wg);
      read_vector(jl[i], "bias_gate", w, bias, l.out, l.bg);
    }
  }
  return layers;
}

Model parse(const json& j) {
  const std::string w = "model";
  ju::require_object(j, w);
  const std::string format = read_name(j, "format", w);
  if (format != kModelFormat) throw_expected(w + ".format", quoted(kModelFormat), quoted(format));
  const json& version = ju::field(j, "version", w);
  if (!version.is_number_integer() || version.get<long long>() != kModelVersion)
    throw_expected(w + ".version", str(kModelVersion), ju::describe(version));

  Model m;
  const std::string kind = read_name(j, "kind", w);
  if (kind == "ik_clustered")  // clustered.h: several networks, not one
    throw_expected(w + ".kind", "one network (\"ik\" or \"feasibility\"); this file is a clustered model",
                   "\"ik_clustered\" (read it with load_clustered_model)");
  m.kind = model_kind_from_name(kind, w + ".kind");
  ju::refuse_unknown(j, w,
             {"format", "version", "kind", "arm", "task", "input", "output", "layers", "metadata"});

  const json& arm = ju::field(j, "arm", w);
  try {
    m.arm = arm_from_json(arm);
  } catch (const Error& e) {
    // the arm's paths start with "arm"; place them in the model
    const std::string what = e.what();
    throw Error(what.rfind("arm", 0) == 0 ? "model." + what : "model.arm: " + what);
  }
  const std::string task = read_name(j, "task", w);
  if (task != task_name(m.arm.task))
    throw_expected(w + ".task", quoted(task_name(m.arm.task)) + " (the arm's task)", quoted(task));

  Network& net = m.net;
  int out_size = 0;
  read_io(j, "input", "encoding", encoding_from_name, net.input_size, net.encoding, net.in_mean,
          net.in_std, encoded_size, "one per encoded input feature");
  read_io(
      j, "output", "decoding", decoding_from_name, out_size, net.decoding, net.out_mean,
      net.out_std, +[](OutputDecoding, int n) { return n; }, "one per network output");
  if (const json* jb = ju::optional_field(j.at("output"), "branches", w + ".output")) {
    const std::string wb = w + ".output.branches";
    if (!jb->is_array() || jb->size() < 2 || jb->size() > static_cast<std::size_t>(kMaxBranches))
      throw_expected(wb, "an array of 2 to " + str(kMaxBranches) + " branch names", ju::describe(*jb));
    for (std::size_t i = 0; i < jb->size(); ++i) net.branches.push_back(ju::string((*jb)[i], item(wb, i)));
  }
  net.layers = read_layers(j, net.encoded_input_size());
  net.residual = m.kind == ModelKind::kTrajectory;  // the kind says it; the file has no field

  if (const json* md = ju::optional_field(j, "metadata", w)) {
    ju::require_object(*md, w + ".metadata");
    m.metadata = *md;
  }
  check_model(m);
  return m;
}

// the network output width a kind and decoding require of this arm, and why
std::pair<int, std::string> required_outputs(const Model& m) {
  const int dof = m.arm.dof();
  const std::string dec = std::string(", decoding ") + quoted(decoding_name(m.net.decoding));
  if (m.kind == ModelKind::kFeasibility)
    return {kFeasibilityClasses, "the feasibility classes" + dec};
  const int k = m.net.heads();
  const std::string heads =
      k > 1 ? " for each of " + str(k) + " branches, then " + str(k) + " logits" : "";
  if (m.net.decoding == OutputDecoding::kSinCos)
    return {k * 2 * dof + (k > 1 ? k : 0), str(dof) + " joints as (sin, cos) pairs" + heads + dec};
  return {k * dof + (k > 1 ? k : 0), str(dof) + " joint angles" + heads + dec};
}

}  // namespace

const char* model_kind_name(ModelKind k) {
  switch (k) {
    case ModelKind::kIk: return "ik";
    case ModelKind::kFeasibility: return "feasibility";
    case ModelKind::kTrajectory: return "trajectory";
  }
  return "?";
}

ModelKind model_kind_from_name(const std::string& name, const std::string& where) {
  return detail::enum_from_name(name, where, kKinds, model_kind_name);
}

void check_model(const Model& m) {
  check_network(m.net, "model");
  const std::string kind = quoted(model_kind_name(m.kind));

  // every kind reads the raw task vector; a trajectory model then the current joints
  const int n_task = task_size(m.arm.task);
  const bool trajectory = m.kind == ModelKind::kTrajectory;
  const int n_in = trajectory ? n_task + m.arm.dof() : n_task;
  if (m.net.input_size != n_in)
    throw_expected("model.input.size",
                   str(n_in) + " (the size of task " + quoted(task_name(m.arm.task)) +
                       (trajectory ? ", then " + str(m.arm.dof()) + " current joints for kind " + kind : "") +
                       ")",
                   str(m.net.input_size));
  if (m.net.residual != trajectory)
    throw_expected("model: residual", trajectory ? "true for kind " + kind : "false for kind " + kind,
                   m.net.residual ? "true" : "false");

  // ik decodes angles, feasibility class probabilities
  const bool softmax = m.net.decoding == OutputDecoding::kSoftmax;
  if (softmax != (m.kind == ModelKind::kFeasibility))
    throw_expected(
        "model.output.decoding",
        std::string(softmax ? "\"angles\" or \"sincos\"" : "\"softmax\"") + " for kind " + kind,
        quoted(decoding_name(m.net.decoding)));
  const auto [n_out, why] = required_outputs(m);
  if (m.net.net_outputs() != n_out)
    throw_expected("model.output.size", str(n_out) + " (" + why + ")", str(m.net.net_outputs()));
}

Model model_from_json(const json& j) {
  try {
    return parse(j);
  } catch (const json::exception& e) {
    // every access is type-checked first; this keeps the promise of neurokin::Error only
    throw Error(std::string("model: ") + e.what());
  }
}

Model model_from_json_text(const std::string& text) {
  return model_from_json(ju::parse(text, "model"));
}

Model load_model(const std::string& path) {
  const std::string what = "model file '" + path + "'";
  const std::string text = ju::read_file(path, "model file");
  try {
    return model_from_json_text(text);
  } catch (const Error& e) {
    throw Error(what + ": " + e.what());
  }
}

json model_to_json(const Model& m) {
  check_model(m);
  const Network& net = m.net;
  json layers = json::array();
  for (const Layer& l : net.layers) {
    json jl = {{"type", layer_type_name(l.type)}};
    switch (l.type) {
      case Layer::Type::kDense:
        jl["in"] = l.in;
        jl["out"] = l.out;
        jl["weight"] = encode_floats(l.W.data(), l.W.size());
        jl["bias"] = encode_floats(l.b.data(), l.b.size());
        break;
      case Layer::Type::kActivation:
        jl["function"] = activation_name(l.act);
        break;
      case Layer::Type::kGatedResidual:
        jl["width"] = l.out;
        jl["activation"] = activation_name(l.act);
        jl["weight_value"] = encode_floats(l.W.data(), l.W.size());
        jl["bias_value"] = encode_floats(l.b.data(), l.b.size());
        jl["weight_gate"] = encode_floats(l.Wg.data(), l.Wg.size());
        jl["bias_gate"] = encode_floats(l.bg.data(), l.bg.size());
        break;
    }
    layers.push_back(std::move(jl));
  }
  json output{{"size", net.net_outputs()},
              {"decoding", decoding_name(net.decoding)},
              {"mean", floats_to_json(net.out_mean)},
              {"std", floats_to_json(net.out_std)}};
  if (!net.branches.empty()) output["branches"] = net.branches;
  return {{"format", kModelFormat},
          {"version", kModelVersion},
          {"kind", model_kind_name(m.kind)},
          {"arm", arm_to_json(m.arm)},
          {"task", task_name(m.arm.task)},
          {"input",
           {{"size", net.input_size},
            {"encoding", encoding_name(net.encoding)},
            {"mean", floats_to_json(net.in_mean)},
            {"std", floats_to_json(net.in_std)}}},
          {"output", std::move(output)},
          {"layers", std::move(layers)},
          {"metadata", m.metadata}};
}

std::string encode_floats(const float* v, std::size_t n) {
  std::string s;
  s.reserve((4 * n + 2) / 3 * 4);
  std::uint32_t group = 0;
  int filled = 0;  // bytes in group
  auto flush = [&](int bytes) {
    // bytes of input -> bytes + 1 characters, then '=' up to 4 (RFC 4648 s.4)
    for (int k = 0; k < 4; ++k) s += k <= bytes ? kBase64[(group >> (18 - 6 * k)) & 63] : '=';
  };
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t word;
    std::memcpy(&word, v + i, sizeof word);
    for (int b = 0; b < 4; ++b) {
      // little-endian: lowest byte first, whatever the host order
      group |= ((word >> (8 * b)) & 0xffu) << (16 - 8 * filled);
      if (++filled == 3) {
        flush(3);
        group = 0;
        filled = 0;
      }
    }
  }
  if (filled > 0) flush(filled);
  return s;
}

std::vector<float> decode_floats(const std::string& b64, const std::string& where) {
  const std::size_t bytes = base64_bytes(b64, where);
  if (bytes % 4 != 0)
    throw_expected(where, "a whole number of float32 (a multiple of 4 bytes)",
                   str(bytes) + " bytes");
  std::vector<float> v(bytes / 4);
  base64_to_floats(b64, where, v.data());
  return v;
}

void check_network_input(const Model& m, const Eigen::Ref<const Eigen::VectorXd>& x,
                         const std::string& where) {
  const int n = m.net.input_size;
  if (x.size() != n)
    throw_expected(where, str(n) + " values (the model's input.size)", str(x.size()));
  for (int i = 0; i < n; ++i)
    if (!(std::abs(x[i]) <= FLT_MAX))
      throw_expected(item(where, i), "a finite float32", show(x[i]));
}

Eigen::VectorXd predict_one(const Model& m, Workspace& ws,
                            const Eigen::Ref<const Eigen::VectorXd>& x) {
  check_network_input(m, x, "predict_one: x");
  const Eigen::VectorXf xf = x.cast<float>();
  Eigen::VectorXf yf(m.net.output_size());
  predict(m.net, ws, xf.data(), 1, yf.data());
  return yf.cast<double>();
}

}  // namespace neurokin
