// Models built as JSON, the way another program would write them: random weights of the
// requested shape for a shipped arm (tests/test_model.cpp, and the fuzzers' seed corpus).
#pragma once

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "neurokin/arm.h"
#include "neurokin/model.h"
#include "neurokin/random.h"

namespace neurokin::test {

inline std::string random_b64(std::size_t n, double scale, Rng& rng) {
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(rng.uniform(-scale, scale));
  return encode_floats(v.data(), n);
}

inline std::string zeros_b64(std::size_t n) {
  const std::vector<float> v(n, 0.0f);
  return encode_floats(v.data(), n);
}

// Glorot & Bengio (2010) uniform weights in +-sqrt(6 / (in + out)), small biases
inline nlohmann::json dense_json(int in, int out, Rng& rng) {
  nlohmann::json l = {{"type", "dense"}, {"in", in}, {"out", out}};
  l["weight"] = random_b64(std::size_t(in) * out, std::sqrt(6.0 / (in + out)), rng);
  l["bias"] = random_b64(out, 0.1, rng);
  return l;
}

inline nlohmann::json gated_json(int width, const char* act, Rng& rng) {
  const double s = std::sqrt(3.0 / width);
  nlohmann::json l = {{"type", "gated_residual"}, {"width", width}, {"activation", act}};
  l["weight_value"] = random_b64(std::size_t(width) * width, s, rng);
  l["bias_value"] = random_b64(width, 0.1, rng);
  l["weight_gate"] = random_b64(std::size_t(width) * width, s, rng);
  l["bias_gate"] = random_b64(width, 0.1, rng);
  return l;
}

// numbers that are exactly float32 values, so the file round trips as written
inline nlohmann::json stats_json(int n, double lo, double hi, Rng& rng) {
  nlohmann::json a = nlohmann::json::array();
  for (int i = 0; i < n; ++i) a.push_back(double(float(rng.uniform(lo, hi))));
  return a;
}

// dense(encoded -> width), tanh, gated_residual(width, silu), dense(width -> outputs), for the
// shipped arm models/arms/<arm_name>.json
inline nlohmann::json model_json(const std::string& arm_name, const std::string& kind,
                                 const std::string& encoding, const std::string& decoding,
                                 int width, std::uint64_t seed,
                                 const nlohmann::json& metadata = nlohmann::json::object()) {
  Rng rng(seed);
  const Arm arm = load_arm(std::string(NEUROKIN_SOURCE_DIR) + "/models/arms/" + arm_name + ".json");
  const int in = task_size(arm.task), encoded = encoded_size(encoding_from_name(encoding), in);
  const int out = kind == "feasibility" ? 4 : decoding == "sincos" ? 2 * arm.dof() : arm.dof();
  nlohmann::json j = {{"format", "neurokin-model"},
                      {"version", 1},
                      {"kind", kind},
                      {"arm", arm_to_json(arm)},
                      {"task", task_name(arm.task)}};
  j["input"] = {{"size", in}, {"encoding", encoding}};
  j["input"]["mean"] = stats_json(encoded, -0.5, 0.5, rng);
  j["input"]["std"] = stats_json(encoded, 0.5, 2.0, rng);
  j["output"] = {{"size", out}, {"decoding", decoding}};
  j["output"]["mean"] = stats_json(out, -0.5, 0.5, rng);
  j["output"]["std"] = stats_json(out, 0.5, 2.0, rng);
  j["layers"] = nlohmann::json::array();
  j["layers"].push_back(dense_json(encoded, width, rng));
  j["layers"].push_back({{"type", "activation"}, {"function", "tanh"}});
  j["layers"].push_back(gated_json(width, "silu", rng));
  j["layers"].push_back(dense_json(width, out, rng));
  j["metadata"] = metadata;
  return j;
}

}  // namespace neurokin::test
