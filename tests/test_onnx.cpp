// The ONNX exporter (trainer/src/export/onnx_export.h): every export passes the ONNX checker
// and strict shape inference, has the dynamic batch, the right names and shapes, the weights
// in Gemm's transB layout, and the ops of each layer, encoding and decoding; the metadata; the
// error paths; `neurokin export`. The hidden case [write_cases] writes the models, inputs and
// core outputs that tests/onnx/ort_agrees.mjs runs in ONNX Runtime (ctest runs both).
#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/onnx-ml.pb.h>
#include <onnx/shape_inference/implementation.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>
#include <vector>

#include "export/onnx_export.h"
#include "neurokin/clustered.h"
#include "neurokin/error.h"
#include "neurokin/kinematics.h"
#include "neurokin/model.h"
#include "neurokin/random.h"
#include "support/layers.h"

namespace fs = std::filesystem;

namespace neurokin {
namespace {

using Catch::Contains;
using Type = Layer::Type;
using test::activation;
using test::dense;
using test::gated;
using test::glorot;
using test::uniform;
using Counts = std::map<std::string, int>;

const std::string kSource = NEUROKIN_SOURCE_DIR;
const std::string kFixture = kSource + "/models/fixtures/tiny_planar2.json";

// ---- models built in the test: small, seeded ----

Layer gated_layer(int width, Activation act, Rng& rng) {
  const MatrixRM Wv = glorot(width, width, rng);
  const Eigen::VectorXf bv = uniform(width, rng, -0.1, 0.1);
  const MatrixRM Wg = glorot(width, width, rng);
  return gated(Wv, bv, Wg, uniform(width, rng, -0.1, 0.1), act);
}

// what a test model is: its arm, kind, encoding, decoding and activations
struct Spec {
  std::string arm;
  ModelKind kind;
  InputEncoding encoding;
  OutputDecoding decoding;
  Activation act;        // after the first dense layer
  Activation gated_act;  // the value branch of the gated residual block
  int branches = 0;      // branch heads (0: none)
  std::string name() const {
    return arm + "_" + model_kind_name(kind) + "_" + encoding_name(encoding) + "_" +
           decoding_name(decoding) + "_" + activation_name(act) + "_gated_" +
           activation_name(gated_act) + (branches ? "_heads" + std::to_string(branches) : "");
  }
};

// the model's arm, kind and codings with no layers and no normalisation yet
Model empty_model(const std::string& arm, ModelKind kind, InputEncoding encoding,
                  OutputDecoding decoding) {
  Model m;
  m.kind = kind;
  m.arm = load_arm(kSource + "/models/arms/" + arm + ".json");
  // a trajectory model reads the current joints after the target and adds its step to them
  const bool trajectory = kind == ModelKind::kTrajectory;
  m.net.input_size = task_size(m.arm.task) + (trajectory ? m.arm.dof() : 0);
  m.net.residual = trajectory;
  m.net.encoding = encoding;
  m.net.decoding = decoding;
  return m;
}

// network outputs the kind and decoding need
int net_outputs(const Model& m) {
  if (m.kind == ModelKind::kFeasibility) return kFeasibilityClasses;
  const int k = m.net.heads();
  return k * (m.net.decoding == OutputDecoding::kSinCos ? 2 * m.arm.dof() : m.arm.dof()) +
         (k > 1 ? k : 0);
}

// dense(e -> 12), act, gated_residual(12, gated_act), dense(12 -> outputs), random statistics
Model make_model(const Spec& s, std::uint64_t seed) {
  constexpr int kWidth = 12;
  Rng rng(seed);
  Model m = empty_model(s.arm, s.kind, s.encoding, s.decoding);
  Network& net = m.net;
  for (int k = 0; k < s.branches; ++k) net.branches.push_back("branch_" + std::to_string(k));
  const int e = net.encoded_input_size(), out = net_outputs(m);
  net.in_mean = uniform(e, rng, -0.3, 0.3);
  net.in_std = uniform(e, rng, 0.5, 1.5);
  net.layers = {dense(glorot(kWidth, e, rng), uniform(kWidth, rng, -0.1, 0.1)),
                activation(s.act, kWidth), gated_layer(kWidth, s.gated_act, rng),
                dense(glorot(out, kWidth, rng), uniform(out, rng, -0.1, 0.1))};
  net.out_mean = uniform(out, rng, -0.2, 0.2);
  net.out_std = uniform(out, rng, 0.5, 1.5);
  if (s.decoding == OutputDecoding::kSinCos) {
    // (sin, cos) pairs of norm about 2 around a random direction, as a trained network gives
    // them: near norm 0, atan2 turns float rounding e into e / norm in any implementation
    for (int j = 0; j < net.heads() * net.head_outputs() / 2; ++j) {
      const double a = rng.uniform(-M_PI, M_PI);
      net.out_mean.segment(2 * j, 2) << float(2 * std::sin(a)), float(2 * std::cos(a));
    }
    net.out_std = uniform(out, rng, 0.3, 0.6);
  }
  check_model(m);
  return m;
}

// one dense layer whose output k is encoded feature pick[k]; no normalisation. Exposes the
// encoding (outputs = sin, cos of the azimuth, entries of R) or the decoding (sincos pairs = raw
// inputs). An ik model of the arm: pick has its dof entries (or twice as many for sincos)
Model selector_model(const std::string& arm, InputEncoding encoding, OutputDecoding decoding,
                     const std::vector<int>& pick) {
  Model m = empty_model(arm, ModelKind::kIk, encoding, decoding);
  const int e = m.net.encoded_input_size(), out = int(pick.size());
  MatrixRM W = MatrixRM::Zero(out, e);
  for (int k = 0; k < out; ++k) W(k, pick[k]) = 1.0f;
  m.net.in_mean = Eigen::VectorXf::Zero(e);
  m.net.in_std = Eigen::VectorXf::Ones(e);
  m.net.layers = {dense(W, Eigen::VectorXf::Zero(out))};
  m.net.out_mean = Eigen::VectorXf::Zero(out);
  m.net.out_std = Eigen::VectorXf::Ones(out);
  check_model(m);
  return m;
}

// raw/polar x angles/sincos x relu/silu/tanh with a gated block, over the four arms, then
// feasibility (softmax) models that also use sigmoid and an identity value branch, then
// polar_pitch (omx4) and pose (kr6) with both decodings
std::vector<Spec> all_specs() {
  const char* arms[] = {"planar2", "puma3", "omx4", "kr6"};
  std::vector<Spec> specs;
  for (InputEncoding enc : {InputEncoding::kRaw, InputEncoding::kPolar})
    for (OutputDecoding dec : {OutputDecoding::kAngles, OutputDecoding::kSinCos})
      for (Activation act : {Activation::kRelu, Activation::kSilu, Activation::kTanh})
        specs.push_back({arms[specs.size() % 4], ModelKind::kIk, enc, dec, act, act});
  specs.push_back({"kr6", ModelKind::kFeasibility, InputEncoding::kRaw, OutputDecoding::kSoftmax,
                   Activation::kSigmoid, Activation::kIdentity});
  specs.push_back({"puma3", ModelKind::kFeasibility, InputEncoding::kPolar,
                   OutputDecoding::kSoftmax, Activation::kRelu, Activation::kSilu});
  // polar_pitch on the arm with a pitch: both decodings
  specs.push_back({"omx4", ModelKind::kIk, InputEncoding::kPolarPitch, OutputDecoding::kSinCos,
                   Activation::kSilu, Activation::kSilu});
  specs.push_back({"omx4", ModelKind::kIk, InputEncoding::kPolarPitch, OutputDecoding::kAngles,
                   Activation::kTanh, Activation::kRelu});
  // pose on the arm with a quaternion: both decodings
  specs.push_back({"kr6", ModelKind::kIk, InputEncoding::kPose, OutputDecoding::kSinCos,
                   Activation::kSilu, Activation::kTanh});
  specs.push_back({"kr6", ModelKind::kIk, InputEncoding::kPose, OutputDecoding::kAngles,
                   Activation::kRelu, Activation::kSilu});
  // branch heads: the answer of the head with the largest logit
  specs.push_back({"omx4", ModelKind::kIk, InputEncoding::kPolarPitch, OutputDecoding::kSinCos,
                   Activation::kSilu, Activation::kSilu, 2});
  specs.push_back({"kr6", ModelKind::kIk, InputEncoding::kPose, OutputDecoding::kAngles,
                   Activation::kTanh, Activation::kRelu, 3});
  // trajectory models: the current joints a second input, the step added to them
  specs.push_back({"planar2", ModelKind::kTrajectory, InputEncoding::kPolar, OutputDecoding::kAngles,
                   Activation::kSilu, Activation::kSilu});
  specs.push_back({"puma3", ModelKind::kTrajectory, InputEncoding::kRaw, OutputDecoding::kAngles,
                   Activation::kRelu, Activation::kTanh});
  return specs;
}

// ---- reading an export back ----

onnx::ModelProto parse(const std::string& bytes) {
  onnx::ModelProto p;
  REQUIRE(p.ParseFromString(bytes));
  return p;
}

Counts op_counts(const onnx::ModelProto& p) {
  Counts c;
  for (const onnx::NodeProto& n : p.graph().node()) ++c[n.op_type()];
  return c;
}

int total(const Counts& c) {
  int n = 0;
  for (const auto& [op, k] : c) n += k;
  return n;
}

std::map<std::string, std::string> properties(const onnx::ModelProto& p) {
  std::map<std::string, std::string> props;
  for (const auto& e : p.metadata_props()) props[e.key()] = e.value();
  return props;
}

std::vector<float> initializer(const onnx::ModelProto& p, const std::string& name,
                               std::vector<std::int64_t>* dims = nullptr) {
  for (const onnx::TensorProto& t : p.graph().initializer()) {
    if (t.name() != name) continue;
    if (dims) dims->assign(t.dims().begin(), t.dims().end());
    return {t.float_data().begin(), t.float_data().end()};
  }
  FAIL("no initializer " << name);
  return {};
}

// float32 [batch, width], batch being the dim_param
void check_batch_tensor(const onnx::ValueInfoProto& v, const std::string& name, int width) {
  INFO(v.DebugString());
  CHECK(v.name() == name);
  const auto& t = v.type().tensor_type();
  CHECK(t.elem_type() == onnx::TensorProto::FLOAT);
  REQUIRE(t.shape().dim_size() == 2);
  CHECK(t.shape().dim(0).dim_param() == "batch");
  CHECK_FALSE(t.shape().dim(0).has_dim_value());
  CHECK(t.shape().dim(1).dim_value() == width);
}

// what every export must be: checked, opset 17, one input and one output with the batch dim,
// and every intermediate tensor still carrying the symbolic batch (nothing fixes it)
void check_export(const onnx::ModelProto& p, const Model& m) {
  CHECK_NOTHROW(onnx::checker::check_model(p));
  onnx::ModelProto inferred = p;
  CHECK_NOTHROW(onnx::shape_inference::InferShapes(inferred, onnx::OpSchemaRegistry::Instance(),
                                                   onnx::ShapeInferenceOptions(true, 1, false)));
  REQUIRE(p.opset_import_size() == 1);
  CHECK(p.opset_import(0).domain().empty());
  CHECK(p.opset_import(0).version() == 17);
  // a trajectory model has a second input, the current joints
  const bool trajectory = m.kind == ModelKind::kTrajectory;
  REQUIRE(p.graph().input_size() == (trajectory ? 2 : 1));
  REQUIRE(p.graph().output_size() == 1);
  check_batch_tensor(p.graph().input(0), "target", task_size(m.arm.task));
  if (trajectory) check_batch_tensor(p.graph().input(1), "current_joints", m.arm.dof());
  const bool joints = m.kind != ModelKind::kFeasibility;
  check_batch_tensor(p.graph().output(0), joints ? "joints" : "probabilities",
                     joints ? m.arm.dof() : kFeasibilityClasses);
  CHECK(inferred.graph().value_info_size() > 0);
  for (const onnx::ValueInfoProto& v : inferred.graph().value_info()) {
    INFO(v.name());
    REQUIRE(v.type().tensor_type().shape().dim_size() >= 1);
    CHECK(v.type().tensor_type().shape().dim(0).dim_param() == "batch");
  }
}

// each weight and bias of the network is an initializer with the file's layout (out x in)
void check_weights(const onnx::ModelProto& p, const Network& net) {
  auto same = [&](const std::string& name, const float* v, std::vector<std::int64_t> dims) {
    INFO(name);
    std::vector<std::int64_t> got_dims;
    const std::vector<float> got = initializer(p, name, &got_dims);
    CHECK(got_dims == dims);
    CHECK(std::vector<float>(v, v + got.size()) == got);
  };
  same("input.mean", net.in_mean.data(), {net.in_mean.size()});
  same("input.std", net.in_std.data(), {net.in_std.size()});
  same("output.mean", net.out_mean.data(), {net.out_mean.size()});
  same("output.std", net.out_std.data(), {net.out_std.size()});
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const Layer& l = net.layers[i];
    const std::string s = "layers." + std::to_string(i);
    if (l.type == Type::kDense) {
      same(s + ".weight", l.W.data(), {l.out, l.in});
      same(s + ".bias", l.b.data(), {l.out});
    } else if (l.type == Type::kGatedResidual) {
      same(s + ".weight_value", l.W.data(), {l.out, l.in});
      same(s + ".bias_value", l.b.data(), {l.out});
      same(s + ".weight_gate", l.Wg.data(), {l.out, l.in});
      same(s + ".bias_gate", l.bg.data(), {l.out});
    }
  }
}

// ---- the fixture: a hand count of its graph ----

TEST_CASE("the fixture exports to a checked graph with a dynamic batch") {
  const Model m = load_model(kFixture);
  const onnx::ModelProto p = parse(onnx_export::export_model(m));
  check_export(p, m);
  check_weights(p, m.net);

  // polar encoding (17 nodes), normalisation (2), dense + tanh + gated silu + dense (10),
  // de-normalisation (2), sincos decoding (14)
  const Counts expected = {{"Add", 4},   {"Atan", 1},    {"Cast", 3}, {"Concat", 2},  {"Div", 4},
                           {"Equal", 1}, {"Gather", 4},  {"Gemm", 4}, {"Greater", 1}, {"Less", 2},
                           {"Mul", 6},   {"Sigmoid", 2}, {"Sign", 1}, {"Sqrt", 1},    {"Sub", 1},
                           {"Tanh", 1},  {"Where", 7}};
  CHECK(op_counts(p) == expected);
  CHECK(total(op_counts(p)) == 45);
  // Gemm computes x W^T + b
  for (const onnx::NodeProto& n : p.graph().node()) {
    if (n.op_type() != "Gemm") continue;
    REQUIRE(n.attribute_size() == 1);
    CHECK(n.attribute(0).name() == "transB");
    CHECK(n.attribute(0).i() == 1);
  }
  CHECK(p.graph().node(p.graph().node_size() - 1).output(0) == "joints");
  CHECK(p.producer_name() == "neurokin");
}

// ---- every layer type, activation, encoding and decoding ----

// the ops a network needs, counted from its layers the way nn.cpp runs them
Counts layer_ops(const Network& net) {
  Counts c;
  auto act = [&](Activation a) {
    if (a == Activation::kRelu) ++c["Relu"];
    if (a == Activation::kTanh) ++c["Tanh"];
    if (a == Activation::kSigmoid || a == Activation::kSilu) ++c["Sigmoid"];
  };
  for (const Layer& l : net.layers) {
    if (l.type == Type::kDense) ++c["Gemm"];
    if (l.type == Type::kActivation) act(l.act);
    if (l.type == Type::kGatedResidual) {
      c["Gemm"] += 2;
      act(l.act);
      ++c["Sigmoid"];  // the gate
    }
  }
  return c;
}

TEST_CASE("every layer, activation, encoding and decoding exports with its ops") {
  const auto specs = all_specs();
  const std::size_t i = GENERATE_COPY(range(std::size_t(0), specs.size()));
  const Spec& s = specs[i];
  INFO(s.name());
  const Model m = make_model(s, 100 + i);
  const onnx::ModelProto p = parse(onnx_export::export_model(m));
  check_export(p, m);
  check_weights(p, m.net);

  Counts ops = op_counts(p), want = layer_ops(m.net);
  for (const char* op : {"Gemm", "Relu", "Tanh", "Sigmoid"}) CHECK(ops[op] == want[op]);
  const bool polar = s.encoding != InputEncoding::kRaw;
  const bool pitch = s.encoding == InputEncoding::kPolarPitch;
  const bool pose = s.encoding == InputEncoding::kPose;
  CHECK(ops["Sqrt"] == (polar ? 1 : 0));
  const bool trajectory = s.kind == ModelKind::kTrajectory;
  CHECK(ops["Concat"] == (polar ? 2 : 0) + (trajectory ? 1 : 0));  // target and current joints
  // x and y, the pitch or the 4 quaternion entries to double, the features back to float
  CHECK(ops["Cast"] == (polar ? 3 : 0) + (pitch ? 1 : 0) + (pose ? 4 : 0));
  // r > 0, and |q|^2 > 0 for pose
  CHECK(ops["Greater"] == (polar ? 1 : 0) + (pose ? 1 : 0));
  CHECK(ops["Sin"] == (pitch ? 1 : 0));
  CHECK(ops["Cos"] == (pitch ? 1 : 0));
  CHECK(ops["Atan"] == (s.decoding == OutputDecoding::kSinCos ? 1 : 0));
  CHECK(ops["Softmax"] == (s.decoding == OutputDecoding::kSoftmax ? 1 : 0));
  // branch heads: the likeliest head's block picked by one ArgMax
  CHECK(ops["ArgMax"] == (s.branches ? 1 : 0));
}

TEST_CASE("identity activations add no node") {
  Model m = make_model({"planar2", ModelKind::kIk, InputEncoding::kRaw, OutputDecoding::kAngles,
                        Activation::kIdentity, Activation::kIdentity},
                       7);
  const onnx::ModelProto p = parse(onnx_export::export_model(m));
  check_export(p, m);
  // 2 normalisation, 1 + 4 gated (Gemm, Gemm, Sigmoid, Mul, Add) + 1 dense, 2 de-normalisation
  CHECK(op_counts(p) ==
        Counts{{"Add", 2}, {"Div", 1}, {"Gemm", 4}, {"Mul", 2}, {"Sigmoid", 1}, {"Sub", 1}});
}

// ---- metadata ----

TEST_CASE("metadata_props carry the name, arm, kind, columns and key metrics") {
  Model m = make_model({"kr6", ModelKind::kFeasibility, InputEncoding::kRaw,
                        OutputDecoding::kSoftmax, Activation::kRelu, Activation::kSilu},
                       3);
  SECTION("without a name: <arm>_<kind>, no metrics") {
    const auto props = properties(parse(onnx_export::export_model(m)));
    CHECK(props.at("name") == "kr6_feasibility");
    CHECK(props.at("arm") == "kr6");
    CHECK(props.at("kind") == "feasibility");
    CHECK(props.at("task") == "pose");
    CHECK(props.at("encoding") == "raw");
    CHECK(props.at("decoding") == "softmax");
    CHECK(props.at("output_columns") == "unreachable,near_singular,adequate,high_manipulability");
    CHECK(props.count("metrics") == 0);
  }
  SECTION("the metadata's name and its metrics' scalars; an explicit name wins") {
    m.metadata = {{"name", "kr6_cls"},
                  {"config", {{"seed", 1}}},
                  {"metrics",
                   {{"accuracy", 0.94},
                    {"fk_mm", {{"mean", 25.1}, {"p95", 49}, {"per_epoch", {1, 2}}}},
                    {"curve", {0.5, 0.25}},
                    {"note", "x"}}}};
    auto props = properties(parse(onnx_export::export_model(m)));
    CHECK(props.at("name") == "kr6_cls");
    CHECK(props.at("metrics") == R"({"accuracy":0.94,"fk_mm":{"mean":25.1,"p95":49},"note":"x"})");
    const onnx::ModelProto p = parse(onnx_export::export_model(m, "given"));
    CHECK(properties(p).at("name") == "given");
    CHECK(p.graph().name() == "given");
  }
  SECTION("ik models list the joints") {
    const Model ik = load_model(kFixture);
    CHECK(properties(parse(onnx_export::export_model(ik))).at("output_columns") == "joint1,joint2");
  }
}

// ---- errors ----

TEST_CASE("a model that fails check_model is not exported") {
  Model m = load_model(kFixture);
  SECTION("a zero std") {
    m.net.in_std[1] = 0.0f;
    CHECK_THROWS_WITH(onnx_export::export_model(m),
                      "onnx export: model.input.std[1]: expected a finite positive number, got 0");
  }
  SECTION("a decoding the kind does not allow") {
    m.kind = ModelKind::kFeasibility;
    CHECK_THROWS_WITH(onnx_export::export_model(m),
                      Contains("onnx export: model.output.decoding: expected \"softmax\""));
  }
  SECTION("a layer that does not chain") {
    m.net.layers[0].in = 4;
    CHECK_THROWS_AS(onnx_export::export_model(m), Error);
  }
}

// a fresh directory per test, removed afterwards
struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("neurokin_test_onnx_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  fs::path operator/(const std::string& name) const { return path / name; }
};

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

TEST_CASE("write_onnx writes the export, or throws naming the path") {
  TempDir dir;
  const Model m = load_model(kFixture);
  onnx_export::write_onnx((dir / "m.onnx").string(), m, "m");
  CHECK(slurp(dir / "m.onnx") == onnx_export::export_model(m, "m"));
  const std::string bad = (dir / "missing" / "m.onnx").string();
  CHECK_THROWS_WITH(onnx_export::write_onnx(bad, m), Contains(bad));
}

// ---- the command ----

struct Run {
  int code = -1;
  std::string out, err;
};

Run run_cli(const TempDir& dir, const std::string& args) {
  const std::string cmd =
      "cd '" + dir.path.string() + "' && '" NEUROKIN_CLI "' " + args + " > .stdout 2> .stderr";
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(dir / ".stdout"),
          slurp(dir / ".stderr")};
}

TEST_CASE("neurokin export writes what export_model gives, named after the file") {
  TempDir dir;
  const Model m = load_model(kFixture);
  SECTION("the fixture") {
    const Run r = run_cli(dir, "export --model '" + kFixture + "' --onnx tiny.onnx");
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(slurp(dir / "tiny.onnx") == onnx_export::export_model(m, "tiny_planar2"));
    CHECK(r.out ==
          "tiny.onnx: ik model 'tiny_planar2' for planar2, opset 17, target [batch, 2] "
          "-> joints [batch, 2], " +
              std::to_string(fs::file_size(dir / "tiny.onnx")) + " bytes\n");
  }
  SECTION("--name, and '-' for standard output") {
    const Run r = run_cli(dir, "export --model '" + kFixture + "' --onnx - --name demo");
    REQUIRE(r.code == 0);
    CHECK(r.out == onnx_export::export_model(m, "demo"));
  }
  SECTION("errors") {
    Run r = run_cli(dir, "export --model nope.json --onnx x.onnx");
    CHECK(r.code == 1);
    CHECK(r.err == "neurokin: model file 'nope.json': cannot open (missing or unreadable)\n");
    r = run_cli(dir, "export --model '" + kFixture + "' --onnx no/such/dir/x.onnx");
    CHECK(r.code == 1);
    CHECK_THAT(r.err, Contains("no/such/dir/x.onnx"));
    r = run_cli(dir, "export --model '" + kFixture + "'");
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Contains("--onnx is required"));
    CHECK_FALSE(fs::exists(dir / "x.onnx"));
  }
}

// ---- the cases ONNX Runtime runs (tests/onnx/ort_agrees.mjs) ----

// rows of a float table as CSV: 9 significant digits give back the same float32
void write_csv(const fs::path& path, const std::vector<float>& v, int cols, const char* prefix) {
  std::ofstream f(path);
  for (int k = 0; k < cols; ++k) f << (k ? "," : "") << prefix << k;
  f << '\n';
  char cell[32];
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::snprintf(cell, sizeof cell, "%.9g", double(v[i]));
    f << cell << ((i + 1) % cols ? "," : "\n");
  }
  REQUIRE(f.good());
}

// `rows` task vectors: the first ones start with the given (x, y), the rest uniform in +-1.2
std::vector<float> case_inputs(int n, const std::vector<std::pair<float, float>>& firsts, int rows,
                               Rng& rng) {
  std::vector<float> x(std::size_t(rows) * n);
  for (float& v : x) v = float(rng.uniform(-1.2, 1.2));
  for (std::size_t r = 0; r < firsts.size() && r < std::size_t(rows); ++r) {
    x[r * n] = firsts[r].first;
    x[r * n + 1] = firsts[r].second;
  }
  return x;
}

// azimuths at the origin (r = 0 with signed zeros, tiny r) and next to the -x axis
const std::vector<std::pair<float, float>> kPolarEdges = {
    {0.0f, 0.0f},    {-0.0f, 0.0f},   {0.0f, -0.0f},  {-0.0f, -0.0f},  {1e-30f, 0.0f},
    {-1e-30f, 0.0f}, {0.0f, -1e-30f}, {-1.0f, 1e-7f}, {-1.0f, -1e-7f}, {0.0f, -1.0f}};

// quaternions (x3..x6) at zero (signed zeros), tiny (|q|^2 underflows in float, not in double)
// and far from unit, with w = +-0, and a q next to its -q. Not huge: the raw columns feed the
// network too, and outputs of 1e20 would differ by float rounding far above the tolerance
const std::vector<std::array<float, 4>> kQuaternionEdges = {
    {0.0f, 0.0f, 0.0f, 0.0f},    {-0.0f, 0.0f, -0.0f, -0.0f}, {1e-30f, 0.0f, 0.0f, 0.0f},
    {0.0f, 0.0f, 0.0f, -1e-30f}, {8.0f, -8.0f, 0.0f, 1.0f},   {0.5f, -0.5f, 0.5f, 0.0f},
    {-0.5f, 0.5f, -0.5f, -0.0f}, {0.1f, 0.2f, -0.3f, 0.9f},   {-0.1f, -0.2f, 0.3f, -0.9f}};

// `rows` pose task vectors (7): the polar edges in (x, y) and the quaternion edges in x3..x6 of
// the first rows, the rest uniform in +-1.2 (non-unit quaternions of either sign)
std::vector<float> pose_inputs(int rows, Rng& rng) {
  constexpr int n = 7;
  std::vector<float> x = case_inputs(n, kPolarEdges, rows, rng);
  for (std::size_t r = 0; r < kQuaternionEdges.size() && r < std::size_t(rows); ++r)
    std::copy(kQuaternionEdges[r].begin(), kQuaternionEdges[r].end(), &x[r * n + 3]);
  return x;
}

// every pair of these: atan2 on the axes, at the origin, near +-pi, ratios that overflow
std::vector<std::pair<float, float>> grid() {
  const float v[] = {0.0f, -0.0f, 1e-30f, -1e-30f, 1e-7f, -1e-7f,
                     0.5f, -0.5f, 1.0f,   -1.0f,   1e20f, -1e20f};
  std::vector<std::pair<float, float>> g;
  for (float a : v)
    for (float b : v) g.emplace_back(a, b);
  return g;
}

// per row and joint, the norm of the (sin, cos) pair the answer is decoded from (the head
// predict() answers with): atan2 turns an error e in the pair into e / norm in the angle, so
// where the network leaves an angle undetermined (omx4's base angle for a target on the base
// axis: the pair shrinks towards 0) two float32 implementations differ more in the angle
std::vector<float> pair_norms(const Model& m, const std::vector<float>& x, int rows) {
  Network raw = m.net;  // the same layers, outputs de-normalised but not decoded
  raw.decoding = OutputDecoding::kAngles;
  raw.branches.clear();
  Workspace ws(raw);
  const int outs = raw.net_outputs(), k = m.net.heads(), h = m.net.head_outputs(), d = h / 2;
  std::vector<float> y(std::size_t(rows) * outs), norms;
  predict(raw, ws, x.data(), rows, y.data());
  for (int r = 0; r < rows; ++r) {
    const float* yr = &y[std::size_t(r) * outs];
    const int best = k == 1 ? 0 : int(std::max_element(yr + k * h, yr + k * h + k) - (yr + k * h));
    for (int j = 0; j < d; ++j) norms.push_back(std::hypot(yr[best * h + 2 * j], yr[best * h + 2 * j + 1]));
  }
  return norms;
}

// the names ONNX Runtime feeds, in order, each with its columns of inputs.csv: the target, then
// (trajectory models) the current joints
nlohmann::json onnx_inputs(const Arm& arm, bool residual) {
  nlohmann::json inputs = nlohmann::json::array();
  inputs.push_back(nlohmann::json::array({onnx_export::kInputName, task_size(arm.task)}));
  if (residual) inputs.push_back(nlohmann::json::array({onnx_export::kJointsInputName, arm.dof()}));
  return inputs;
}

TEST_CASE("write the ONNX Runtime agreement cases", "[.][write_cases]") {
  constexpr int kRows = 1000;
  const fs::path root = NEUROKIN_ONNX_CASES;
  fs::remove_all(root);
  fs::create_directories(root);
  nlohmann::json manifest = nlohmann::json::array();

  // the model's ONNX (exported now, or a committed file as it is), inputs, the core's outputs
  // conditioned: angles compared through their (sin, cos) pair's norm (trained models only; the
  // synthetic and edge cases compare angles as they are, atan2's edges included)
  auto write_case_with = [&](const std::string& name, const Model& m, const std::vector<float>& x,
                             const fs::path& onnx_file, bool conditioned = false) {
    const fs::path dir = root / name;
    fs::create_directories(dir);
    if (onnx_file.empty()) onnx_export::write_onnx((dir / "model.onnx").string(), m, name);
    else fs::copy_file(onnx_file, dir / "model.onnx");
    const int n = m.net.input_size, d = m.net.output_size();
    std::vector<float> y(std::size_t(kRows) * d);
    Workspace ws(m.net);
    predict(m.net, ws, x.data(), kRows, y.data());
    write_csv(dir / "inputs.csv", x, n, "x");
    write_csv(dir / "expected.csv", y, d, "y");
    const bool sincos = m.net.decoding == OutputDecoding::kSinCos;
    if (sincos && conditioned) write_csv(dir / "norms.csv", pair_norms(m, x, kRows), d, "norm");
    manifest.push_back({{"name", name},
                        {"inputs", onnx_inputs(m.arm, m.net.residual)},
                        {"output", onnx_export::output_name(m.kind)},
                        {"columns", d},
                        {"angles_wrap", sincos},
                        {"pair_norms", sincos && conditioned}});
  };
  auto write_case = [&](const std::string& name, const Model& m,
                        const std::vector<std::pair<float, float>>& firsts, std::uint64_t seed) {
    Rng rng(seed);
    write_case_with(name, m, case_inputs(m.net.input_size, firsts, kRows, rng), {});
  };

  write_case("fixture_tiny_planar2", load_model(kFixture), kPolarEdges, 1);
  const auto specs = all_specs();
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const Spec& s = specs[i];
    const Model m = make_model(s, 100 + i);
    const int n = m.net.input_size;
    Rng rng(200 + i);
    const std::vector<float> x = s.encoding == InputEncoding::kPose ? pose_inputs(kRows, rng)
                                 : s.encoding == InputEncoding::kRaw
                                     ? case_inputs(n, {}, kRows, rng)
                                     : case_inputs(n, kPolarEdges, kRows, rng);
    write_case_with(s.name(), m, x, {});
  }
  // outputs (atan2(x, y), atan2(y, x)): the decoding on the grid
  write_case("edge_atan2",
             selector_model("planar2", InputEncoding::kRaw, OutputDecoding::kSinCos, {0, 1, 1, 0}),
             grid(), 300);
  // outputs (sin phi, cos phi) of the polar encoding, as they are: r = 0 and the grid
  std::vector<std::pair<float, float>> polar_grid = kPolarEdges;
  for (const auto& g : grid()) polar_grid.push_back(g);
  polar_grid.push_back({-1.4e-45f, 0.0f});  // a denormal: r > 0 in double, so cos = -1
  write_case("edge_polar",
             selector_model("planar2", InputEncoding::kPolar, OutputDecoding::kAngles, {3, 4}),
             polar_grid, 301);
  // the 9 entries of R of the pose encoding (features 10..18 of kr6's 7 + 12), as they are,
  // in two models of 6 outputs: the quaternion edges, then random quaternions
  Rng pose_rng(302);
  const std::vector<float> pose_x = pose_inputs(kRows, pose_rng);
  write_case_with("edge_pose_R0_R1",
                  selector_model("kr6", InputEncoding::kPose, OutputDecoding::kAngles,
                                 {10, 11, 12, 13, 14, 15}),
                  pose_x, {});
  write_case_with(
      "edge_pose_R2_polar",
      selector_model("kr6", InputEncoding::kPose, OutputDecoding::kAngles, {16, 17, 18, 7, 8, 9}),
      pose_x, {});

  // clustered models (one graph, "candidates" [N, K, dof]): every member's predict(), row by row;
  // random omx4 members of both decodings, then the shipped ones' committed files
  auto write_clustered_case = [&](const std::string& name, const ClusteredModel& m, const std::vector<float>& x,
                                  const fs::path& onnx_file, bool conditioned) {
    const fs::path dir = root / name;
    fs::create_directories(dir);
    if (onnx_file.empty()) onnx_export::write_clustered_onnx((dir / "model.onnx").string(), m, name);
    else fs::copy_file(onnx_file, dir / "model.onnx");
    const int k = m.k(), dof = m.arm.dof(), n = task_size(m.arm.task);
    std::vector<float> y(std::size_t(kRows) * k * dof), norms(y.size(), 1.0f), yc(std::size_t(kRows) * dof);
    bool sincos = true;
    for (int c = 0; c < k; ++c) {
      const Model& mc = m.clusters[c].model;
      Workspace ws(mc.net);
      predict(mc.net, ws, x.data(), kRows, yc.data());
      const bool sc = mc.net.decoding == OutputDecoding::kSinCos;
      sincos &= sc;
      const std::vector<float> nc = sc && conditioned ? pair_norms(mc, x, kRows) : std::vector<float>(yc.size(), 1.0f);
      for (int r = 0; r < kRows; ++r)
        for (int j = 0; j < dof; ++j) {
          y[(std::size_t(r) * k + c) * dof + j] = yc[std::size_t(r) * dof + j];
          norms[(std::size_t(r) * k + c) * dof + j] = nc[std::size_t(r) * dof + j];
        }
    }
    write_csv(dir / "inputs.csv", x, n, "x");
    write_csv(dir / "expected.csv", y, k * dof, "y");
    if (conditioned) write_csv(dir / "norms.csv", norms, k * dof, "norm");
    manifest.push_back({{"name", name},
                        {"inputs", onnx_inputs(m.arm, false)},
                        {"output", onnx_export::kCandidatesName},
                        {"columns", k * dof},
                        {"row_dims", {k, dof}},
                        {"angles_wrap", sincos},
                        {"pair_norms", conditioned}});
  };
  {
    ClusteredModel cm;
    cm.arm = load_arm(kSource + "/models/arms/omx4.json");
    const Activation acts[] = {Activation::kSilu, Activation::kTanh, Activation::kRelu};
    for (int c = 0; c < 3; ++c) {
      const Spec s{"omx4", ModelKind::kIk, InputEncoding::kPolarPitch, OutputDecoding::kSinCos, acts[c], acts[c]};
      cm.clusters.push_back({Eigen::VectorXd::Zero(4), 10, make_model(s, 500 + c)});
    }
    Rng rng(501);
    write_clustered_case("clustered_omx4_random", cm, case_inputs(4, kPolarEdges, kRows, rng), {}, false);
  }
  int shipped_clustered = 0;
  for (const char* arm : {"omx4", "kr6"}) {
    const fs::path json = kSource + "/models/" + arm + "/ik-clustered.json",
                   onnx = kSource + "/models/" + arm + "/ik-clustered.onnx";
    if (!fs::exists(json)) continue;
    REQUIRE(fs::exists(onnx));
    const ClusteredModel m = load_clustered_model(json.string());
    Rng rng(450 + shipped_clustered);
    std::vector<float> x;
    for (int r = 0; r < kRows; ++r) {
      const TaskVec t = task_vector(m.arm, fk(m.arm, sample_joints(m.arm, rng)));
      for (Eigen::Index i = 0; i < t.size(); ++i) x.push_back(static_cast<float>(t[i]));
    }
    write_clustered_case(std::string("shipped_") + arm + "_clustered", m, x, onnx, true);
    ++shipped_clustered;
  }

  // the shipped models: their committed .onnx files as they are (not exported again), on
  // reachable targets, against the core running their .json twins
  int shipped = 0;
  // (ik models and feasibility classifiers: reachable targets are the classifier's hard cases)
  for (const char* arm : {"planar2", "puma3", "omx4", "kr6"})
  for (const std::string kind : {"ik", "feasibility", "ik-trajectory"}) {
    const fs::path json = kSource + "/models/" + arm + "/" + kind + ".json",
                   onnx = kSource + "/models/" + arm + "/" + kind + ".onnx";
    if (!fs::exists(json)) continue;
    REQUIRE(fs::exists(onnx));
    const Model m = load_model(json.string());
    Rng rng(400 + shipped);
    std::vector<float> x;
    for (int r = 0; r < kRows; ++r) {
      // trajectory models: a target within 0.1 rad a joint of the current joints, then those
      const JointVec q = sample_joints(m.arm, rng);
      JointVec q_next = q;
      for (int j = 0; j < q.size() && m.kind == ModelKind::kTrajectory; ++j) q_next[j] += rng.uniform(-0.1, 0.1);
      const TaskVec t = task_vector(m.arm, fk(m.arm, q_next));
      for (int i = 0; i < t.size(); ++i) x.push_back(static_cast<float>(t[i]));
      if (m.kind == ModelKind::kTrajectory)
        for (int j = 0; j < q.size(); ++j) x.push_back(static_cast<float>(q[j]));
    }
    write_case_with(std::string("shipped_") + arm + (kind == "ik" ? "" : "_" + kind), m, x, onnx, true);
    ++shipped;
  }

  std::ofstream(root / "cases.json") << manifest.dump(1) << '\n';
  CHECK(manifest.size() == specs.size() + 5 + shipped + 1 + shipped_clustered);
}

}  // namespace
}  // namespace neurokin
