// The model file (model.h, docs/model-format.md): base64 float32 against coreutils' base64,
// bit-exact round trips, the committed fixture, and every loader error with its message.
#include <catch2/catch.hpp>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <vector>

#include "neurokin/error.h"
#include "neurokin/model.h"
#include "neurokin/random.h"
#include "support/model_json.h"

namespace neurokin {
namespace {

using Catch::Contains;
using Catch::StartsWith;
using Catch::Detail::Approx;
using nlohmann::json;
using test::model_json;
using test::zeros_b64;

const std::string kSource = NEUROKIN_SOURCE_DIR;
const std::string kFixture = kSource + "/models/fixtures/tiny_planar2.json";

// the committed fixture: 2 -> polar 5 -> 16 -> tanh -> gated 16 -> 4 (sincos), planar2
json tiny_planar2_json() {
  return model_json(
      "planar2", "ik", "polar", "sincos", 16, 2024,
      {{"generator", "tests/test_model.cpp tiny_planar2_json()"},
       {"seed", 2024},
       {"trained", false},
       {"note", "random weights for tests and the CLI; the predictions mean nothing"}});
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string temp_file(const std::string& name, const std::string& text) {
  const std::string path = (std::filesystem::temp_directory_path() / name).string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// ---- bitwise comparison of what was read ----

template <class M>
bool same_bits(const M& a, const M& b) {
  // an empty matrix has no data(): memcmp of null is undefined even for 0 bytes (UBSan)
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         (a.size() == 0 || std::memcmp(a.data(), b.data(), sizeof(float) * a.size()) == 0);
}

void require_same(const Model& a, const Model& b) {
  REQUIRE(a.kind == b.kind);
  REQUIRE(arm_to_json(a.arm) == arm_to_json(b.arm));
  REQUIRE(a.metadata == b.metadata);
  const Network &x = a.net, &y = b.net;
  REQUIRE(x.input_size == y.input_size);
  REQUIRE(x.encoding == y.encoding);
  REQUIRE(x.decoding == y.decoding);
  REQUIRE(same_bits(x.in_mean, y.in_mean));
  REQUIRE(same_bits(x.in_std, y.in_std));
  REQUIRE(same_bits(x.out_mean, y.out_mean));
  REQUIRE(same_bits(x.out_std, y.out_std));
  REQUIRE(x.layers.size() == y.layers.size());
  for (std::size_t i = 0; i < x.layers.size(); ++i) {
    const Layer &l = x.layers[i], &m = y.layers[i];
    REQUIRE((l.type == m.type && l.act == m.act && l.in == m.in && l.out == m.out));
    REQUIRE((same_bits(l.W, m.W) && same_bits(l.b, m.b)));
    REQUIRE((same_bits(l.Wg, m.Wg) && same_bits(l.bg, m.bg)));
  }
}

}  // namespace

TEST_CASE("base64 float32 matches coreutils base64 of the little-endian bytes") {
  // expected strings: printf '\x00\x00\x80\x3f...' | base64
  const float one = 1.0f, one_two[] = {1.0f, 2.0f}, three[] = {1.0f, 2.0f, 3.0f};
  const float edge[] = {-1.0f, std::numeric_limits<float>::denorm_min(), FLT_MAX};
  CHECK(encode_floats(nullptr, 0) == "");
  CHECK(encode_floats(&one, 1) == "AACAPw==");
  CHECK(encode_floats(one_two, 2) == "AACAPwAAAEA=");
  CHECK(encode_floats(three, 3) == "AACAPwAAAEAAAEBA");
  CHECK(encode_floats(edge, 3) == "AACAvwEAAAD//39/");
  CHECK(decode_floats("", "w").empty());
  CHECK(decode_floats("AACAPwAAAEA=", "w") == std::vector<float>{1.0f, 2.0f});
  const std::vector<float> back = decode_floats("AACAvwEAAAD//39/", "w");
  REQUIRE(back.size() == 3);
  CHECK(std::memcmp(back.data(), edge, sizeof edge) == 0);

  SECTION("random values of every length round trip bit for bit (all padding cases)") {
    Rng rng(3);
    for (std::size_t n = 0; n < 40; ++n) {
      std::vector<std::uint32_t> bits(n);
      for (auto& b : bits) b = static_cast<std::uint32_t>(rng.next()) & 0x7f7fffffu;  // finite
      std::vector<float> v(n);
      if (n > 0) std::memcpy(v.data(), bits.data(), 4 * n);  // n = 0: null pointers (UBSan)
      const std::string s = encode_floats(v.data(), n);
      CHECK(s.size() == (4 * n + 2) / 3 * 4);
      const std::vector<float> w = decode_floats(s, "w");
      REQUIRE(w.size() == n);
      CHECK((n == 0 || std::memcmp(v.data(), w.data(), 4 * n) == 0));
    }
  }
  SECTION("malformed base64 is refused, naming the place") {
    REQUIRE_THROWS_WITH(decode_floats("AACAPw=", "x.weight"),
                        "x.weight: expected base64 with padding (a length that is a multiple of "
                        "4), got a string of 7 characters");
    REQUIRE_THROWS_WITH(
        decode_floats("AAAA", "x"),
        "x: expected a whole number of float32 (a multiple of 4 bytes), got 3 bytes");
    REQUIRE_THROWS_WITH(decode_floats("AAC*Pw==", "x"),
                        "x: expected base64 characters (A-Z a-z 0-9 + /, = only as final "
                        "padding), got '*' at offset 3");
    REQUIRE_THROWS_WITH(decode_floats("AACAPwAAAEAAAE-_", "x"), Contains("got '-' at offset 14"));
    REQUIRE_THROWS_WITH(decode_floats("AA\nAPw==", "x"), Contains("got byte 10 at offset 2"));
    REQUIRE_THROWS_WITH(decode_floats("AAAA====", "x"), Contains("got '=' at offset 4"));
    REQUIRE_THROWS_WITH(decode_floats("AA=APw==", "x"), Contains("got '=' at offset 2"));
  }
}

TEST_CASE("the fixture models/fixtures/tiny_planar2.json is what its generator makes") {
  // regenerate with: NEUROKIN_UPDATE_FIXTURES=1 build/<dir>/bin/test_model
  const json want = tiny_planar2_json();
  if (std::getenv("NEUROKIN_UPDATE_FIXTURES")) {
    std::ofstream(kFixture, std::ios::binary) << want.dump(2) << "\n";
    WARN("rewrote " << kFixture);
  }
  // the embedded arm is a snapshot: the fixture stays valid when models/arms changes
  json have = json::parse(read_text(kFixture)), made = want;
  CHECK(have["arm"]["name"] == "planar2");
  have.erase("arm");
  made.erase("arm");
  CHECK(have == made);
}

TEST_CASE("the fixture loads and predicts planar2 joint angles") {
  const Model m = load_model(kFixture);
  CHECK(m.kind == ModelKind::kIk);
  CHECK(m.arm.name == "planar2");
  CHECK(m.net.input_size == 2);
  CHECK(m.net.encoding == InputEncoding::kPolar);
  CHECK(m.net.output_size() == 2);
  CHECK(m.net.parameter_count() == (5 * 16 + 16) + 2 * (16 * 16 + 16) + (16 * 4 + 4));
  CHECK(m.metadata.at("seed") == 2024);
  Workspace ws(m.net);
  const Eigen::VectorXd q = predict_one(m, ws, Eigen::Vector2d(1.0, 1.0));
  REQUIRE(q.size() == 2);
  for (int i = 0; i < 2; ++i) CHECK((-M_PI <= q[i] && q[i] <= M_PI));
}

TEST_CASE("model_to_json writes what model_from_json reads, bit for bit") {
  struct Config {
    const char *arm, *kind, *encoding, *decoding;
  };
  const Config configs[] = {{"planar2", "ik", "polar", "sincos"},
                            {"puma3", "ik", "raw", "angles"},
                            {"omx4", "ik", "polar", "angles"},
                            {"kr6", "feasibility", "raw", "softmax"},
                            {"puma3", "feasibility", "polar", "softmax"},
                            {"kr6", "ik", "pose", "sincos"}};
  std::uint64_t seed = 40;
  for (const Config& c : configs) {
    INFO(c.arm << " " << c.kind << " " << c.encoding << " " << c.decoding);
    const json j = model_json(c.arm, c.kind, c.encoding, c.decoding, 24, ++seed,
                              {{"curve", {1.5, 0.25, 0.125}}, {"config", {{"lr", 1e-3}}}});
    const Model m = model_from_json(j);
    const json written = model_to_json(m);
    CHECK(written == j);
    const Model again = model_from_json_text(written.dump());
    require_same(m, again);
    CHECK(model_to_json(again).dump() == written.dump());
  }

  SECTION("signed zeros, subnormals and extremes survive in weights and statistics") {
    Model m = model_from_json(tiny_planar2_json());
    const float denorm = std::numeric_limits<float>::denorm_min();
    m.net.layers[0].W.row(0).head(5) << -0.0f, denorm, FLT_MAX, -FLT_MIN, 1e-40f;
    m.net.in_mean.head(3) << -0.0f, 1e-40f, -FLT_MAX;
    m.net.out_std[0] = denorm;
    m.net.out_mean[1] = 0.1f;
    const Model back = model_from_json_text(model_to_json(m).dump());
    require_same(m, back);
    CHECK(std::signbit(back.net.in_mean[0]));
  }
  SECTION("weights may be plain number arrays") {
    json j = tiny_planar2_json();
    const Model m = model_from_json(j);
    json weights = json::array();
    for (float w : decode_floats(j["layers"][0]["weight"], "w")) weights.push_back(double(w));
    j["layers"][0]["weight"] = weights;
    require_same(model_from_json(j), m);
  }
  SECTION("metadata is optional") {
    json j = tiny_planar2_json();
    j.erase("metadata");
    CHECK(model_from_json(j).metadata == json::object());
  }
}

TEST_CASE("predictions are the same after a round trip, and predict_one checks its input") {
  const Model m = load_model(kFixture);
  const Model back = model_from_json(model_to_json(m));
  Workspace ws(m.net);
  const Eigen::Vector2d x(0.3, -1.2);
  CHECK(predict_one(m, ws, x) == predict_one(back, ws, x));
  REQUIRE_THROWS_WITH(predict_one(m, ws, Eigen::Vector3d(1, 2, 3)),
                      "predict_one: x: expected 2 values (the model's input.size), got 3");
  REQUIRE_THROWS_WITH(predict_one(m, ws, Eigen::Vector2d(1, NAN)),
                      Contains("predict_one: x[1]: expected a finite float32, got nan"));
  REQUIRE_THROWS_WITH(predict_one(m, ws, Eigen::Vector2d(1e300, 0)),
                      "predict_one: x[0]: expected a finite float32, got 1e+300");
}

TEST_CASE("model_to_json refuses an inconsistent model") {
  Model m = load_model(kFixture);
  m.net.layers[3].W(1, 1) = NAN;
  REQUIRE_THROWS_WITH(model_to_json(m),
                      "model.layers[3].weight[17]: expected a finite number, got nan");
  m = load_model(kFixture);
  m.kind = ModelKind::kFeasibility;
  REQUIRE_THROWS_WITH(model_to_json(m),
                      "model.output.decoding: expected \"softmax\" for kind "
                      "\"feasibility\", got \"sincos\"");
}

TEST_CASE("every malformed model is refused with the field, the expected and the actual value") {
  // base: layers [0] dense 5 -> 16, [1] tanh, [2] gated_residual 16, [3] dense 16 -> 4
  const json base = tiny_planar2_json();
  REQUIRE_NOTHROW(model_from_json(base));
  const std::string b64_chars =
      "expected base64 characters (A-Z a-z 0-9 + /, = only as final padding), got ";
  const std::string ik_activations =
      "expected one of \"identity\", \"relu\", \"silu\", \"tanh\", \"sigmoid\", got ";
  // a weight of n floats with `bad` at index i
  const auto with = [](std::size_t n, std::size_t i, float bad) {
    std::vector<float> v(n, 0.5f);
    v[i] = bad;
    return encode_floats(v.data(), n);
  };
  const auto with_char = [&](std::size_t offset, char c) {
    std::string s = base["layers"][0]["weight"];
    s[offset] = c;
    return s;
  };
  struct Case {
    std::function<void(json&)> mutate;
    std::string message;
  };
  const Case cases[] = {
      // the document and its header
      {[](json& j) {
         j = json::array({1, 2});
       },
       "model: expected an object, got array [1,2]"},
      {[](json& j) { j.erase("format"); }, "model.format: missing (required)"},
      {[](json& j) { j["format"] = "foo"; },
       "model.format: expected \"neurokin-model\", got \"foo\""},
      {[](json& j) { j["format"] = 5; }, "model.format: expected a string, got 5"},
      {[](json& j) { j.erase("version"); }, "model.version: missing (required)"},
      {[](json& j) { j["version"] = 7; }, "model.version: expected 1, got 7"},
      {[](json& j) { j["version"] = "1"; }, "model.version: expected 1, got \"1\""},
      {[](json& j) { j["weights"] = 1; },
       "model.weights: unknown field (expected format, version, kind, arm, task, input, output, "
       "layers, metadata)"},
      {[](json& j) { j["kind"] = "regression"; },
       "model.kind: expected one of \"ik\", \"feasibility\", \"trajectory\", got \"regression\""},
      {[](json& j) { j.erase("kind"); }, "model.kind: missing (required)"},
      // the arm and its task
      {[](json& j) { j.erase("arm"); }, "model.arm: missing (required)"},
      {[](json& j) { j["arm"]["joints"] = json::array(); },
       "model.arm.joints: expected an array of 1 to 12 joints"},
      {[](json& j) { j["arm"]["format"] = "urdf"; },
       "model.arm.format: expected \"neurokin-arm\", got \"urdf\""},
      {[](json& j) { j["arm"]["task"] = "orbit"; }, "model.arm: task: expected one of"},
      {[](json& j) { j["task"] = "position"; },
       "model.task: expected \"planar_xy\" (the arm's task), got \"position\""},
      {[](json& j) { j.erase("task"); }, "model.task: missing (required)"},
      // input
      {[](json& j) { j.erase("input"); }, "model.input: missing (required)"},
      {[](json& j) { j["input"] = 5; }, "model.input: expected an object, got 5"},
      {[](json& j) { j["input"]["scale"] = 1; },
       "model.input.scale: unknown field (expected size, encoding, mean, std)"},
      {[](json& j) { j["input"]["size"] = 0; },
       "model.input.size: expected an integer in [1, 65536], got 0"},
      {[](json& j) { j["input"]["size"] = 1000000000; },
       "model.input.size: expected an integer in [1, 65536], got 1000000000"},
      {[](json& j) { j["input"]["size"] = 2.5; }, "model.input.size: expected an integer, got 2.5"},
      {[](json& j) {
         // consistent in itself (3 + 3 polar features, a 16 x 6 first layer), wrong for the task
         j["input"]["size"] = 3;
         j["input"]["mean"] = json::array({0, 0, 0, 0, 0, 0});
         j["input"]["std"] = json::array({1, 1, 1, 1, 1, 1});
         j["layers"][0]["in"] = 6;
         j["layers"][0]["weight"] = zeros_b64(96);
       },
       "model.input.size: expected 2 (the size of task \"planar_xy\"), got 3"},
      {[](json& j) { j["input"]["encoding"] = "cartesian"; },
       "model.input.encoding: expected one of \"raw\", \"polar\", \"polar_pitch\", \"pose\", got "
       "\"cartesian\""},
      {[](json& j) { j["input"]["encoding"] = "raw"; },
       "model.input.mean: expected 2 numbers (one per encoded input feature), got 5"},
      {[](json& j) { j["input"].erase("std"); }, "model.input.std: missing (required)"},
      {[](json& j) { j["input"]["mean"][1] = "x"; },
       "model.input.mean[1]: expected a number, got \"x\""},
      {[](json& j) { j["input"]["mean"][0] = 1e300; },
       "model.input.mean[0]: expected a finite float32, got 1e+300"},
      {[](json& j) { j["input"]["mean"] = "oops"; },
       "model.input.mean: expected 5 numbers (one per encoded input feature) = 20 bytes of "
       "float32, got 3 bytes"},
      {[](json& j) { j["input"]["mean"] = json::object(); },
       "model.input.mean: expected 5 numbers (one per encoded input feature) (base64 float32 or "
       "an array of numbers), got object {}"},
      {[](json& j) { j["input"]["std"][2] = 0; },
       "model.input.std[2]: expected a finite positive number, got 0"},
      {[](json& j) { j["input"]["std"][4] = -1; },
       "model.input.std[4]: expected a finite positive number, got -1"},
      // output, decoding and kind
      {[](json& j) { j["output"]["decoding"] = "angles"; },
       "model.output.size: expected 2 (2 joint angles, decoding \"angles\"), got 4"},
      {[](json& j) { j["output"]["decoding"] = "softmax"; },
       "model.output.decoding: expected \"angles\" or \"sincos\" for kind \"ik\", got \"softmax\""},
      {[](json& j) { j["output"]["decoding"] = "logits"; },
       "model.output.decoding: expected one of \"angles\", \"sincos\", \"softmax\", got "
       "\"logits\""},
      {[](json& j) { j["kind"] = "feasibility"; },
       "model.output.decoding: expected \"softmax\" for kind \"feasibility\", got \"sincos\""},
      {[](json& j) {
         // a 2-output network cannot give the 4 feasibility classes
         j = model_json("planar2", "ik", "raw", "angles", 8, 1);
         j["kind"] = "feasibility";
         j["output"]["decoding"] = "softmax";
       },
       "model.output.size: expected 4 (the feasibility classes, decoding \"softmax\"), got 2"},
      {[](json& j) { j["output"].erase("decoding"); }, "model.output.decoding: missing (required)"},
      {[](json& j) {
         j["output"]["size"] = 6;
         j["output"]["mean"] = json::array({0, 0, 0, 0, 0, 0});
         j["output"]["std"] = json::array({1, 1, 1, 1, 1, 1});
       },
       "model.layers[3].out: expected 6 (model.output.size), got 4"},
      {[](json& j) {
         j["output"]["size"] = 3;
         j["output"]["mean"] = json::array({0, 0, 0});
         j["output"]["std"] = json::array({1, 1, 1});
         j["layers"][3]["out"] = 3;
         j["layers"][3]["weight"] = zeros_b64(48);
         j["layers"][3]["bias"] = zeros_b64(3);
       },
       "model.output.size: expected an even number ((sin, cos) pairs for decoding \"sincos\"), "
       "got 3"},
      {[](json& j) { j["output"]["std"][3] = 0; },
       "model.output.std[3]: expected a finite positive number, got 0"},
      {[](json& j) {
         j["output"]["mean"] = json::array({0, 0, 0});
       },
       "model.output.mean: expected 4 numbers (one per network output), got 3"},
      // the list of layers
      {[](json& j) { j["layers"] = json::object(); },
       "model.layers: expected an array of layers, got object {}"},
      {[](json& j) { j["layers"] = json::array(); },
       "model.layers: expected 1 to 128 layers, got 0"},
      {[](json& j) {
         for (int i = 0; i < 125; ++i) j["layers"].push_back(j["layers"][1]);
       },
       "model.layers: expected 1 to 128 layers, got 129"},
      {[](json& j) { j["layers"][2]["width"] = 8000; },
       "model.layers: expected at most 50000000 parameters, got 128016164 (declared by their in, "
       "out, width)"},
      {[](json& j) {
         // 4.3e9 declared parameters: refused before any weight is allocated
         j["layers"][0]["in"] = j["layers"][0]["out"] = 65536;
       },
       "model.layers: expected at most 50000000 parameters, got 4295033444"},
      // one layer
      {[](json& j) { j["layers"][1] = 5; }, "model.layers[1]: expected an object, got 5"},
      {[](json& j) { j["layers"][1]["type"] = "conv"; },
       "model.layers[1].type: expected one of \"dense\", \"activation\", \"gated_residual\", got "
       "\"conv\""},
      {[](json& j) { j["layers"][1].erase("type"); }, "model.layers[1].type: missing (required)"},
      {[](json& j) { j["layers"][0]["weights"] = ""; },
       "model.layers[0].weights: unknown field (expected type, in, out, weight, bias)"},
      {[](json& j) { j["layers"][1]["width"] = 16; },
       "model.layers[1].width: unknown field (expected type, function)"},
      {[](json& j) { j["layers"][2]["in"] = 16; },
       "model.layers[2].in: unknown field (expected type, width, activation, weight_value, "
       "bias_value, weight_gate, bias_gate)"},
      {[](json& j) { j["layers"][1]["function"] = "gelu"; },
       "model.layers[1].function: " + ik_activations + "\"gelu\""},
      {[](json& j) { j["layers"][2]["activation"] = "swish"; },
       "model.layers[2].activation: " + ik_activations + "\"swish\""},
      {[](json& j) { j["layers"][0]["in"] = 0; },
       "model.layers[0].in: expected an integer in [1, 65536], got 0"},
      {[](json& j) { j["layers"][0]["out"] = 70000; },
       "model.layers[0].out: expected an integer in [1, 65536], got 70000"},
      {[](json& j) { j["layers"][2]["width"] = -1; },
       "model.layers[2].width: expected an integer in [1, 65536], got -1"},
      {[](json& j) { j["layers"][0].erase("out"); }, "model.layers[0].out: missing (required)"},
      // widths chain from the encoded input to the output
      {[](json& j) {
         j["layers"][0]["in"] = 2;
         j["layers"][0]["weight"] = zeros_b64(32);
       },
       "model.layers[0].in: expected 5 (the encoded input size), got 2"},
      {[](json& j) {
         j["layers"][3]["in"] = 8;
         j["layers"][3]["weight"] = zeros_b64(32);
       },
       "model.layers[3].in: expected 16 (the previous layer's output), got 8"},
      {[](json& j) {
         for (const char* k : {"weight_value", "weight_gate"}) j["layers"][2][k] = zeros_b64(64);
         for (const char* k : {"bias_value", "bias_gate"}) j["layers"][2][k] = zeros_b64(8);
         j["layers"][2]["width"] = 8;
       },
       "model.layers[2].width: expected 16 (the previous layer's output), got 8"},
      // weights: count, encoding, values
      {[](json& j) { j["layers"][0]["weight"] = zeros_b64(79); },
       "model.layers[0].weight: expected 80 floats (16 x 5), got 79"},
      {[](json& j) { j["layers"][3]["bias"] = zeros_b64(5); },
       "model.layers[3].bias: expected 4 floats, got 5"},
      {[](json& j) { j["layers"][2]["weight_gate"] = zeros_b64(255); },
       "model.layers[2].weight_gate: expected 256 floats (16 x 16), got 255"},
      {[](json& j) {
         j["layers"][2]["bias_gate"] = json::array({1, 2});
       },
       "model.layers[2].bias_gate: expected 16 floats, got 2"},
      {[](json& j) { j["layers"][2].erase("bias_value"); },
       "model.layers[2].bias_value: missing (required)"},
      {[](json& j) { j["layers"][0]["weight"] = 5; },
       "model.layers[0].weight: expected 80 floats (16 x 5) (base64 float32 or an array of "
       "numbers), got 5"},
      {[](json& j) { j["layers"][0]["bias"] = "AAAA"; },
       "model.layers[0].bias: expected 16 floats = 64 bytes of float32, got 3 bytes"},
      {[&](json& j) { j["layers"][0]["weight"] = with_char(10, '*'); },
       "model.layers[0].weight: " + b64_chars + "'*' at offset 10"},
      {[&](json& j) { j["layers"][0]["weight"] = with_char(0, '\n'); },
       "model.layers[0].weight: " + b64_chars + "byte 10 at offset 0"},
      {[&](json& j) { j["layers"][0]["weight"] = with_char(8, '='); },
       "model.layers[0].weight: " + b64_chars + "'=' at offset 8"},
      {[](json& j) {
         std::string s = j["layers"][0]["weight"];
         j["layers"][0]["weight"] = s.substr(0, s.size() - 1);
       },
       "model.layers[0].weight: expected base64 with padding (a length that is a multiple of "
       "4), got a string of 427 characters"},
      {[&](json& j) { j["layers"][0]["weight"] = with(80, 5, NAN); },
       "model.layers[0].weight[5]: expected a finite number, got nan"},
      {[&](json& j) { j["layers"][3]["bias"] = with(4, 2, INFINITY); },
       "model.layers[3].bias[2]: expected a finite number, got inf"},
      {[&](json& j) { j["layers"][2]["weight_value"] = with(256, 17, NAN); },
       "model.layers[2].weight_value[17]: expected a finite number, got nan"},
      {[&](json& j) { j["layers"][2]["bias_gate"] = with(16, 15, -INFINITY); },
       "model.layers[2].bias_gate[15]: expected a finite number, got -inf"},
      {[](json& j) {
         j["layers"][0]["weight"] = json::array({1, 2});
       },
       "model.layers[0].weight: expected 80 floats (16 x 5), got 2"},
      // metadata
      {[](json& j) { j["metadata"] = 5; }, "model.metadata: expected an object, got 5"},
  };
  for (const Case& c : cases) {
    json j = base;
    c.mutate(j);
    INFO("expecting: " << c.message);
    CHECK_THROWS_AS(model_from_json(j), Error);
    CHECK_THROWS_WITH(model_from_json(j), StartsWith(c.message));
  }
}

TEST_CASE("model text and files: bad JSON, missing files and errors inside a file") {
  REQUIRE_THROWS_WITH(model_from_json_text("{\"format\": "), Contains("model: not valid JSON"));
  // found by tests/fuzz/fuzz_model: a number beyond a double escaped as nlohmann's out_of_range
  REQUIRE_THROWS_WITH(model_from_json_text("{\"x\": 0.1E5005}"),
                      "model: not valid JSON: [json.exception.out_of_range.406] number overflow "
                      "parsing '0.1E5005'");
  REQUIRE_THROWS_WITH(load_model("/nonexistent/dir/m.json"),
                      "model file '/nonexistent/dir/m.json': cannot open (missing or unreadable)");
  json j = tiny_planar2_json();
  j["version"] = 2;
  const std::string path = temp_file("neurokin_test_model_v2.json", j.dump());
  REQUIRE_THROWS_WITH(load_model(path),
                      "model file '" + path + "': model.version: expected 1, got 2");
  const std::string garbage = temp_file("neurokin_test_model_garbage.json", "neurokin");
  REQUIRE_THROWS_WITH(load_model(garbage),
                      Contains("model file '" + garbage + "': model: not valid JSON"));
  std::remove(path.c_str());
  std::remove(garbage.c_str());
}

TEST_CASE("the example in docs/model-format.md loads and computes q = 2 tanh(x, y)") {
  const std::string doc = read_text(kSource + "/docs/model-format.md");
  const std::size_t begin = doc.find("```json\n"), end = doc.find("\n```", begin + 1);
  REQUIRE((begin != std::string::npos && end != std::string::npos));
  const Model m = model_from_json_text(doc.substr(begin + 8, end - begin - 8));
  Workspace ws(m.net);
  const Eigen::VectorXd q = predict_one(m, ws, Eigen::Vector2d(0.5, -1.0));
  CHECK(q[0] == Approx(2 * std::tanh(0.5)).margin(1e-6));
  CHECK(q[1] == Approx(2 * std::tanh(-1.0)).margin(1e-6));
}

TEST_CASE("kind names") {
  CHECK(model_kind_from_name("feasibility") == ModelKind::kFeasibility);
  CHECK(std::string(model_kind_name(ModelKind::kIk)) == "ik");
  REQUIRE_THROWS_WITH(model_kind_from_name("IK", "k"),
                      "k: expected one of \"ik\", \"feasibility\", \"trajectory\", got \"IK\"");
}

}  // namespace neurokin
