// Line charts as standalone SVG text (no dependency; Debian 12 packages no C++ plotting
// library that writes SVG without a runtime such as gnuplot): linear or log axes with "nice"
// ticks, one polyline per series in a fixed colour cycle, a legend. Used for the ablation
// studies' training curves and error distributions (docs/ablations/).
#pragma once

#include <string>
#include <vector>

namespace neurokin::report {

struct Series {
  std::string name;
  std::vector<double> x, y;  // the same length; points with a non-finite value, or a value
                             // <= 0 on a log axis, are left out (the line breaks there)
  bool dashed = false;
};

struct LineChart {
  std::string title, x_label, y_label;
  bool log_x = false, log_y = false;
  int width = 720, height = 420;  // pixels
  std::vector<Series> series;
};

// the chart as an SVG document. Throws Error when a series' x and y differ in length or the
// chart has no drawable point.
std::string to_svg(const LineChart& chart);

// tick values for the range [lo, hi]: 1-2-5 steps on a linear axis, powers of ten on a log
// axis (with 2 and 5 between them when the range spans at most three decades)
std::vector<double> axis_ticks(double lo, double hi, bool log);

}  // namespace neurokin::report
