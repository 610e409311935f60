// A model's report, shared by `neurokin train` (at the end of training) and `neurokin report`
// (for an existing model, without training): `metadata.report` (docs/model-format.md), computed
// on fresh targets from a fixed seed, so both give the same block for the same model, and the
// plots of the model's metadata as SVG files next to it (PREFIX.curves.svg, PREFIX.errors.svg,
// PREFIX.heatmap.svg, drawn by gnuplot: report/plot.h).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "neurokin/model.h"

namespace neurokin::cli {

constexpr std::uint64_t kReportSeed = 20261121;  // `neurokin eval`'s: not a training seed
constexpr long long kReportTargets = 40000;      // ik and trajectory models (fewer when trained on fewer)
constexpr long long kReportPoses = 20000;        // classifiers (fewer when trained on fewer)

// the report block of a model. ik: histograms of the position error (mm) and, with an
// orientation task, of the orientation error (deg), and the mean position error over a grid of
// the workspace (planar: the x-y plane; else the distance from the base's z axis r against z,
// every base angle folded in). Classifiers: the confusion matrix, per true class a histogram of
// the predicted probability of that class, and the accuracy over the same grid. Trajectory
// models: as ik models, for one step each on fresh samples of their training data (current
// joints near the answer). threads <= 0: one per hardware thread (the result does not depend on it).
nlohmann::json compute_report(const Model& m, int threads = 0);

// writes the SVG plots of the model's metadata (curves, report) beside PREFIX.json; returns the
// files written, none when gnuplot is not installed (the caller prints gnuplot_missing_note)
std::vector<std::string> write_report_plots(const Model& m, const std::string& prefix);

}  // namespace neurokin::cli
