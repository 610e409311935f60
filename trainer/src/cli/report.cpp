// neurokin report: an existing model's report without training it again: metadata.report
// (cli/model_report.h, on fresh targets from a fixed seed) written into the model file
// atomically, weights untouched, and the SVG plots of its curves, errors and heatmap beside it.
#include <fmt/format.h>

#include <memory>

#include "cli/commands.h"
#include "cli/model_report.h"
#include "io/atomic_file.h"
#include "report/plot.h"

namespace neurokin::cli {
namespace {

struct ReportArgs {
  std::string model;
  int threads = 0;
  bool plots_only = false;
};

// the prefix the trainer wrote the model under: the path without ".json"
std::string prefix_of(const std::string& path) {
  const std::string ext = ".json";
  return path.size() > ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0
             ? path.substr(0, path.size() - ext.size())
             : path;
}

void run_report(const ReportArgs& args) {
  Model m = load_model(args.model);
  if (!args.plots_only) {
    m.metadata["report"] = compute_report(m, args.threads);
    io::write_file_atomic(args.model, model_to_json(m).dump() + "\n");
    fmt::print("{}: metadata.report on {} {} (seed {}), {} bytes\n", args.model,
               m.metadata["report"]["n"].get<long long>(),
               m.metadata["report"]["source"].get<std::string>(), kReportSeed,
               m.metadata["report"].dump().size());
  }
  const std::vector<std::string> svgs = write_report_plots(m, prefix_of(args.model));
  if (svgs.empty()) fmt::print("{}\n", report::gnuplot_missing_note());
  for (const auto& s : svgs) fmt::print("wrote {}\n", s);
}

}  // namespace

void add_report_command(CLI::App& app) {
  auto args = std::make_shared<ReportArgs>();
  CLI::App* cmd =
      app.add_subcommand("report", "Compute a trained model's report and plot it (no training)");
  cmd->footer(
      "Adds metadata.report to MODEL.json (error histograms and a workspace heatmap for ik "
      "models;\n"
      "the confusion matrix, probability histograms and an accuracy heatmap for classifiers; on\n"
      "fresh targets, seed 20261121: the block `neurokin train` writes) and writes "
      "MODEL.curves.svg,\n"
      "MODEL.errors.svg and MODEL.heatmap.svg with gnuplot. The weights are not changed.\n\n"
      "Example: neurokin report --model models/puma3/ik.json");
  cmd->add_option("--model", args->model, "model file (JSON), rewritten in place")
      ->required()
      ->type_name("FILE");
  cmd->add_option("--threads", args->threads,
                  "threads for the fresh data (0: all; the result does not depend on it)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  cmd->add_flag("--plots-only", args->plots_only,
                "only draw the plots of the model's metadata as it is");
  cmd->callback([args] { run_report(*args); });
}

}  // namespace neurokin::cli
