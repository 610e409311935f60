// The model file: JSON with format "neurokin-model", documented in docs/model-format.md.
// A model carries everything needed to use it: the arm (embedded), task, encodings,
// normalisation, layers and weights (base64 little-endian float32), and metadata.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "neurokin/arm.h"
#include "neurokin/nn.h"

namespace neurokin {

inline constexpr const char* kModelFormat = "neurokin-model";
inline constexpr int kModelVersion = 1;
// kMaxParameters, kMaxLayers, kMaxWidth: see nn.h
inline constexpr int kFeasibilityClasses = 4;  // conditioning.h: Feasibility, in class order

// what the network computes; the input is the arm's raw task vector, for trajectory models
// followed by the arm's current joints
enum class ModelKind {
  kIk,           // task vector -> joint angles (output decoding "angles" or "sincos")
  kFeasibility,  // task vector -> kFeasibilityClasses probabilities (decoding "softmax")
  kTrajectory,   // (task vector, current joints) -> next joints (seed 004): decoding "angles",
                 // a residual network (nn.h): next = current + the step, so the answer stays
                 // on the branch of the current joints (trajectory.h steps along a path)
};
const char* model_kind_name(ModelKind k);  // "ik", "feasibility", "trajectory"
ModelKind model_kind_from_name(const std::string& name, const std::string& where = "kind");

struct Model {
  ModelKind kind = ModelKind::kIk;
  Arm arm;  // the task is arm.task
  Network net;
  nlohmann::json metadata = nlohmann::json::object();  // config, metrics, curves: free-form
};

// check_network(m.net, "model") plus what the kind requires of the arm: input.size equals the
// task size (trajectory: task size + dof), output size and decoding match the dof (ik,
// trajectory) or the classes (feasibility), residual exactly for trajectory models
void check_model(const Model& m);

// parse and check a model; throws Error naming the field, expected and actual value
// ("model.layers[3].weight: expected 4096 floats (64 x 64), got 4000"); refuses more than
// kMaxLayers layers, kMaxParameters parameters or kMaxWidth-wide layers before allocating
Model model_from_json(const nlohmann::json& j);
Model model_from_json_text(const std::string& text);
Model load_model(const std::string& path);  // errors are prefixed with "model file '<path>'"
// check_model(m), then the JSON model_from_json reads back bit-exactly
nlohmann::json model_to_json(const Model& m);

// base64 (RFC 4648, standard alphabet, padded) of little-endian float32
std::string encode_floats(const float* v, std::size_t n);
std::vector<float> decode_floats(const std::string& b64, const std::string& where);

// one raw input row for the network: input_size values, each a finite float32 (the network
// computes in float32, where 1e300 has no value); throws Error "<where>: expected 2 values
// (the model's input.size), got 3" or "<where>[0]: expected a finite float32, got 1e+300"
void check_network_input(const Model& m, const Eigen::Ref<const Eigen::VectorXd>& x,
                         const std::string& where);

// convenience over predict() for one sample, double in and out (decoded: angles or
// probabilities); x is the model's whole input (trajectory: target, then current joints).
// Throws Error when x has the wrong size or a non-finite entry
Eigen::VectorXd predict_one(const Model& m, Workspace& ws,
                            const Eigen::Ref<const Eigen::VectorXd>& x);

}  // namespace neurokin
