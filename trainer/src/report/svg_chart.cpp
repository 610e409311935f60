#include "report/svg_chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "neurokin/error.h"

namespace neurokin::report {
namespace {

// a colour-blind-safe cycle (Okabe & Ito 2008), then black
constexpr const char* kColours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00",
                                    "#56B4E9", "#F0E442", "#000000"};

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

std::string tick_text(double v) {
  if (v == 0) return "0";
  const double a = std::abs(v);
  if (a >= 1e5 || a < 1e-3) return fmt::format("{:.0e}", v);
  return fmt::format("{:g}", v);
}

// an axis: data range -> pixel range, linear or log10
struct Axis {
  double lo, hi, p0, p1;
  bool log;
  double operator()(double v) const {
    const double t = log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo))
                         : (v - lo) / (hi - lo);
    return p0 + t * (p1 - p0);
  }
};

bool drawable(double v, bool log) { return std::isfinite(v) && (!log || v > 0); }

// the range of x (for_x) or y over the drawable points, widened when flat; {0, 0}: none
std::pair<double, double> range(const LineChart& c, bool for_x) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const Series& s : c.series)
    for (std::size_t i = 0; i < s.x.size(); ++i)
      if (drawable(s.x[i], c.log_x) && drawable(s.y[i], c.log_y)) {
        const double v = for_x ? s.x[i] : s.y[i];
        lo = std::min(lo, v), hi = std::max(hi, v);
      }
  if (!(lo <= hi)) return {0, 0};
  const bool log = for_x ? c.log_x : c.log_y;
  if (lo == hi) return log ? std::pair{lo / 2, hi * 2} : std::pair{lo - 1, hi + 1};
  return {lo, hi};
}

}  // namespace

std::vector<double> axis_ticks(double lo, double hi, bool log) {
  std::vector<double> t;
  if (!(lo < hi)) return t;
  if (log) {
    const int d0 = static_cast<int>(std::floor(std::log10(lo))), d1 = static_cast<int>(std::ceil(std::log10(hi)));
    const bool fine = std::log10(hi / lo) <= 3;  // 2 and 5 between the powers of ten
    for (int d = d0; d <= d1; ++d)
      for (double m : {1.0, 2.0, 5.0}) {
        const double v = m * std::pow(10.0, d);
        if ((m == 1.0 || fine) && v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) t.push_back(v);
      }
    return t;
  }
  const double raw = (hi - lo) / 6, mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double step = mag * (raw / mag < 1.5 ? 1 : raw / mag < 3.5 ? 2 : raw / mag < 7.5 ? 5 : 10);
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    t.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  return t;
}

std::string to_svg(const LineChart& c) {
  for (const Series& s : c.series)
    if (s.x.size() != s.y.size())
      throw Error(fmt::format("chart '{}', series '{}': expected as many y as x values, got {} and {}", c.title,
                              s.name, s.y.size(), s.x.size()));
  const auto [x0, x1] = range(c, true);
  const auto [y0, y1] = range(c, false);
  if (x0 == x1) throw Error("chart '" + c.title + "': no drawable point");
  // the plot area leaves room for the title, tick labels and the legend on the right
  const double left = 70, right = c.width - 190, top = 40, bottom = c.height - 50;
  const Axis ax{x0, x1, left, right, c.log_x}, ay{y0, y1, bottom, top, c.log_y};

  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{2}\" y=\"22\" font-size=\"15\" text-anchor=\"middle\">{3}</text>\n",
      c.width, c.height, (left + right) / 2, escape(c.title));
  // grid and tick labels
  for (double v : axis_ticks(x0, x1, c.log_x))
    s += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#ddd\"/>"
        "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
        ax(v), top, bottom, bottom + 16, tick_text(v));
  for (double v : axis_ticks(y0, y1, c.log_y))
    s += fmt::format(
        "<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"#ddd\"/>"
        "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
        left, ay(v), right, left - 6, ay(v) + 4, tick_text(v));
  s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#444\"/>\n", left, top,
                   right - left, bottom - top);
  s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", (left + right) / 2, c.height - 12,
                   escape(c.x_label));
  s += fmt::format("<text x=\"16\" y=\"{0}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {0})\">{1}</text>\n",
                   (top + bottom) / 2, escape(c.y_label));
  // each series: polylines broken at undrawable points, and its legend entry
  for (std::size_t k = 0; k < c.series.size(); ++k) {
    const Series& ser = c.series[k];
    const char* colour = kColours[k % std::size(kColours)];
    const std::string dash = ser.dashed ? " stroke-dasharray=\"6 4\"" : "";
    std::string points;
    const auto flush = [&] {
      if (!points.empty())
        s += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.6\"{} points=\"{}\"/>\n", colour,
                         dash, points);
      points.clear();
    };
    for (std::size_t i = 0; i < ser.x.size(); ++i) {
      if (!drawable(ser.x[i], c.log_x) || !drawable(ser.y[i], c.log_y)) {
        flush();
        continue;
      }
      points += fmt::format("{}{:.1f},{:.1f}", points.empty() ? "" : " ", ax(ser.x[i]), ay(ser.y[i]));
    }
    flush();
    const double ly = top + 8 + 18 * static_cast<double>(k);
    s += fmt::format(
        "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"{3}\" stroke-width=\"2\"{4}/>"
        "<text x=\"{5}\" y=\"{6}\">{7}</text>\n",
        right + 12, ly, right + 36, colour, dash, right + 42, ly + 4, escape(ser.name));
  }
  return s + "</svg>\n";
}

}  // namespace neurokin::report
