// Plots as SVG files, drawn by gnuplot (Debian gnuplot-nox, installed by scripts/bootstrap.sh)
// run as a child process: a Figure (one or more panels of lines, histograms or a heatmap) is
// turned into a gnuplot script with its data inline (`$D0 << EOD`), gnuplot's `svg` terminal
// writes the document to its standard output, and the file is written atomically. Used for the
// model reports (cli/model_report.h: curves, errors, heatmap) and the ablation studies' charts.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace neurokin::report {

struct Series {
  std::string name;
  std::vector<double> x, y;  // the same length; a non-finite value, or a value <= 0 on a log
                             // axis, breaks the line there
  bool dashed = false;
};

// lines: one per series
struct LinePanel {
  std::string title, x_label, y_label;
  bool log_x = false, log_y = false;
  std::vector<Series> series;
  std::string key = "top right";  // where the legend goes (gnuplot's `set key` position)
};

// histograms over the same bins: edges (bins + 1, increasing), one count row per series; one
// series is drawn as filled bars, several as outlines
struct HistogramPanel {
  std::string title, x_label, y_label;
  bool log_x = false, log_y = false;
  std::vector<double> edges;
  std::vector<std::string> names;
  std::vector<std::vector<double>> counts;  // [series][bin]
};

// a value per cell of a regular grid over [x0, x1] x [y0, y1], with a colour scale; NaN cells
// are left blank. `labels`: the value written in each cell (small grids such as a confusion
// matrix); `tick_names`: category names for the x and y cells instead of numbers
struct HeatmapPanel {
  std::string title, x_label, y_label, value_label;
  double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  int nx = 1, ny = 1;
  std::vector<double> values;  // ny rows of nx, row 0 at y0
  bool labels = false;
  std::vector<std::string> x_names, y_names;
  std::optional<double> v_min, v_max;  // colour range (default: the values')
  bool equal_axes = false;             // one metre is as long on both axes
};

struct Panel {
  enum class Kind { kLines, kHistogram, kHeatmap } kind = Kind::kLines;
  LinePanel lines;
  HistogramPanel histogram;
  HeatmapPanel heatmap;
};
Panel panel(LinePanel p);
Panel panel(HistogramPanel p);
Panel panel(HeatmapPanel p);

// panels side by side, `panel_width` x `height` pixels each
struct Figure {
  std::string title;
  std::vector<Panel> panels;
  int panel_width = 560, height = 420;
};

// the gnuplot script that draws the figure as SVG on standard output. Throws Error when a
// series' x and y differ in length, a histogram's counts do not match its edges, a heatmap's
// values do not fill its grid, or the figure has no panel
std::string gnuplot_script(const Figure& figure);

// the gnuplot executable: $NEUROKIN_GNUPLOT when set (tests point it elsewhere), else
// `gnuplot` on PATH; nothing when there is none
std::optional<std::string> find_gnuplot();

// draws the figure with gnuplot and writes the SVG to path atomically. Returns false, writing
// nothing, when gnuplot is not installed; throws Error when gnuplot fails (with its message)
bool write_svg(const std::string& path, const Figure& figure);

// the one line printed when plots are skipped for want of gnuplot, with how to install it
std::string gnuplot_missing_note();

}  // namespace neurokin::report
