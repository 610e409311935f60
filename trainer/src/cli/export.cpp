// neurokin export: a model file as ONNX (docs/onnx.md), for ONNX Runtime in node or the browser.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/common.h"
#include "export/onnx_export.h"
#include "io/atomic_file.h"
#include "io/csv.h"
#include "neurokin/model.h"

namespace neurokin::cli {
namespace {

struct ExportArgs {
  std::string model;
  std::string onnx;
  std::string name;
};

// a clustered model: one graph, every cluster's candidate out
void export_clustered(const ExportArgs& args, const std::string& name) {
  const ClusteredModel m = load_clustered_model(args.model);
  const std::string bytes = onnx_export::export_clustered(m, name);
  io::write_file_atomic(args.onnx, bytes);
  if (args.onnx != io::kStdStream)
    std::cout << fmt::format("{}: {} model '{}' for {} ({} clusters), opset {}, {} [{}, {}] -> {} [{}, {}, {}], ",
                             args.onnx, kClusteredKind, name, m.arm.name, m.k(), onnx_export::kOpset,
                             onnx_export::kInputName, onnx_export::kBatchDim, task_size(m.arm.task),
                             onnx_export::kCandidatesName, onnx_export::kBatchDim, m.k(), m.arm.dof())
              << bytes.size() << " bytes\n";
}

void run_export(const ExportArgs& args) {
  // the file's stem names the model unless --name does ("kr6_ik.json" -> "kr6_ik")
  const std::string name =
      args.name.empty() ? std::filesystem::path(args.model).stem().string() : args.name;
  if (is_clustered_file(args.model)) return export_clustered(args, name);
  const Model m = load_model(args.model);
  const std::string bytes = onnx_export::export_model(m, name);
  io::write_file_atomic(args.onnx, bytes);
  // a summary, unless the graph itself went to standard output
  if (args.onnx != io::kStdStream) {
    std::cout << fmt::format("{}: {} model '{}' for {}, opset {}, {} [{}, {}] -> {} [{}, {}], ",
                             args.onnx, model_kind_name(m.kind), name, m.arm.name,
                             onnx_export::kOpset, onnx_export::kInputName, onnx_export::kBatchDim,
                             m.net.input_size, onnx_export::output_name(m.kind),
                             onnx_export::kBatchDim, m.net.output_size())
              << bytes.size() << " bytes\n";
  }
}

}  // namespace

void add_export_command(CLI::App& app) {
  auto args = std::make_shared<ExportArgs>();
  CLI::App* cmd = app.add_subcommand("export", "Write a model as ONNX, for ONNX Runtime");
  cmd->footer(
      "The graph takes the raw task vector as input 'target' [batch, task size] and gives\n"
      "'joints' [batch, dof] in radians (ik) or 'probabilities' [batch, 4] (feasibility):\n"
      "encoding, normalisation and decoding are inside it (docs/onnx.md). A clustered model gives\n"
      "'candidates' [batch, K, dof], every cluster's answer; the caller picks by FK consistency.\n\n"
      "Example: neurokin export --model models/kr6_ik.json --onnx kr6_ik.onnx");
  cmd->add_option("--model", args->model, "model file (neurokin-model JSON)")
      ->required()
      ->type_name("MODEL.json");
  cmd->add_option("--onnx", args->onnx, "output ONNX file ('-': standard output)")
      ->required()
      ->type_name("OUT.onnx");
  cmd->add_option("--name", args->name, "model name in the ONNX metadata (default: file stem)")
      ->type_name("NAME");
  cmd->callback([args] { run_export(*args); });
}

}  // namespace neurokin::cli
