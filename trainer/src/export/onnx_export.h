// ONNX export of a model (docs/onnx.md): one self-contained graph that takes the raw task
// vector and computes exactly what neurokin::predict computes (encoding, normalisation,
// layers, de-normalisation, decoding), so ONNX Runtime (node, web) needs nothing else.
//
//   input  "target"         float32 [batch, task size]   the arm's raw task vector
//          "current_joints" float32 [batch, dof]         trajectory models only, radians
//   output "joints"         float32 [batch, dof]         ik models, radians (trajectory models:
//                                                        the next joints, current + step)
//          "probabilities"  float32 [batch, 4]           feasibility models, class order
//          "candidates"     float32 [batch, K, dof]      clustered models (neurokin/clustered.h):
//                                                        every cluster's answer, radians
//
// The graph is built with libonnx's protobuf classes, then checked with the ONNX checker and
// strict shape inference. The ONNX headers stay inside the implementation.
#pragma once

#include <string>

#include "neurokin/clustered.h"
#include "neurokin/model.h"

namespace neurokin::onnx_export {

// opset 17 of the default domain: the newest ONNX 1.12 knows; ONNX Runtime 1.30 runs it
inline constexpr int kOpset = 17;
inline constexpr const char* kInputName = "target";
inline constexpr const char* kJointsInputName = "current_joints";  // trajectory models
inline constexpr const char* kCandidatesName = "candidates";
inline constexpr const char* kBatchDim = "batch";  // the dynamic first dimension (dim_param)

const char* output_name(ModelKind kind);  // "joints" (ik) or "probabilities" (feasibility)

// the serialized ONNX ModelProto of m. `name` goes into the graph name and metadata_props
// (empty: m.metadata["name"] when it is a string, else "<arm>_<kind>"). Throws Error when m
// fails check_model, or when the ONNX checker or shape inference rejects the graph.
std::string export_model(const Model& m, const std::string& name = "");

// export_model, written atomically to path (the trainer writes NAME.onnx beside NAME.json);
// throws Error naming the path when the write fails
void write_onnx(const std::string& path, const Model& m, const std::string& name = "");

// a clustered model as one graph: each member's pipeline under "cluster<k>/", their answers
// stacked into "candidates" [batch, K, dof]. The FK-consistent choice needs the arm's FK, which
// the graph does not hold: the caller computes each candidate's FK error (the core's fk(), or
// the page's wasm core) and takes the smallest. Errors as export_model's.
std::string export_clustered(const ClusteredModel& m, const std::string& name = "");
void write_clustered_onnx(const std::string& path, const ClusteredModel& m, const std::string& name = "");

}  // namespace neurokin::onnx_export
