#include "report/plot.h"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/atomic_file.h"
#include "neurokin/error.h"

namespace neurokin::report {
namespace {

namespace fs = std::filesystem;

// a colour-blind-safe cycle (Okabe & Ito 2008), then black
constexpr const char* kColours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                    "#E69F00", "#56B4E9", "#F0E442", "#000000"};
// viridis (perceptually uniform, colour-blind safe) at five stops; gnuplot 5.4 has no name for it
constexpr const char* kPalette =
    "set palette defined (0 '#440154', 0.25 '#3b528b', 0.5 '#21918c', 0.75 '#5ec962', 1 "
    "'#fde725')\n";

// text as a gnuplot single-quoted string: nothing is substituted inside one (no backquote
// commands, no macros, no escapes) except '' for a quote; control characters become spaces
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "''";
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      out += ' ';
    else
      out += c;
  }
  return out + "'";
}

std::string number(double v) { return std::isfinite(v) ? fmt::format("{:.9g}", v) : "NaN"; }

// the axis' settings of a panel, reset from the previous panel's
std::string axes(const std::string& title, const std::string& x_label, const std::string& y_label,
                 bool log_x, bool log_y) {
  return fmt::format(
      "set title {}\nset xlabel {}\nset ylabel {}\n{}\n{}\nset autoscale\nset grid lc rgb "
      "'#dddddd'\n"
      "set key top right\nset size noratio\nunset colorbox\nunset cblabel\nset xtics auto\nset "
      "ytics auto\nset xtics nomirror\n"
      "set ytics nomirror\nset format x '%g'\nset format y '%g'\n",
      quoted(title), quoted(x_label), quoted(y_label),
      log_x ? "set logscale x" : "unset logscale x", log_y ? "set logscale y" : "unset logscale y");
}

// a drawable point on the axes: finite, and positive on a log axis
bool drawable(double x, double y, bool log_x, bool log_y) {
  return std::isfinite(x) && std::isfinite(y) && (!log_x || x > 0) && (!log_y || y > 0);
}

void lines(std::string& data, std::string& draw, const LinePanel& p, int index) {
  std::vector<std::string> plots;
  bool any = false;
  for (std::size_t k = 0; k < p.series.size(); ++k) {
    const Series& s = p.series[k];
    if (s.x.size() != s.y.size())
      throw Error(
          fmt::format("plot '{}', series '{}': expected as many y as x values, got {} and {}",
                      p.title, s.name, s.y.size(), s.x.size()));
    const std::string block = fmt::format("$L{}_{}", index, k);
    data += block + " << EOD\n";
    bool gap = false;
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (drawable(s.x[i], s.y[i], p.log_x, p.log_y)) {
        data += number(s.x[i]) + " " + number(s.y[i]) + "\n";
        any = true, gap = false;
      } else if (!gap) {
        data += "\n";  // a blank line breaks the line
        gap = true;
      }
    }
    data += "EOD\n";
    plots.push_back(fmt::format("{} using 1:2 with lines lw 2 lc rgb '{}' dt {} title {}", block,
                                kColours[k % std::size(kColours)], s.dashed ? 2 : 1,
                                quoted(s.name)));
  }
  if (!any) throw Error(fmt::format("plot '{}': no drawable point", p.title));
  draw += axes(p.title, p.x_label, p.y_label, p.log_x, p.log_y);
  draw += "set key " + p.key + "\n";
  std::string all;
  for (const auto& s : plots) all += (all.empty() ? "" : ", ") + s;
  draw += "plot " + all + "\n";
}

void histogram(std::string& data, std::string& draw, const HistogramPanel& p, int index) {
  const std::size_t bins = p.edges.size() < 2 ? 0 : p.edges.size() - 1;
  if (bins == 0)
    throw Error(fmt::format("histogram '{}': expected at least 2 bin edges, got {}", p.title,
                            p.edges.size()));
  if (p.counts.empty() || p.counts.size() != p.names.size())
    throw Error(
        fmt::format("histogram '{}': expected a name per count row, got {} names and {} rows",
                    p.title, p.names.size(), p.counts.size()));
  std::vector<std::string> plots;
  const double floor = p.log_y ? 0.5 : 0;  // bars start below the smallest count on a log axis
  const bool filled = p.counts.size() == 1;
  for (std::size_t k = 0; k < p.counts.size(); ++k) {
    if (p.counts[k].size() != bins)
      throw Error(fmt::format("histogram '{}', '{}': expected {} counts (one per bin), got {}",
                              p.title, p.names[k], bins, p.counts[k].size()));
    const std::string block = fmt::format("$H{}_{}", index, k);
    data += block + " << EOD\n";
    if (filled) {
      // each bin a box: centre, count, left, right, bottom, top
      for (std::size_t b = 0; b < bins; ++b)
        if (drawable(p.edges[b], p.counts[k][b], p.log_x, p.log_y))
          data += fmt::format("{} {} {} {} {} {}\n", number(0.5 * (p.edges[b] + p.edges[b + 1])),
                              number(p.counts[k][b]), number(p.edges[b]), number(p.edges[b + 1]),
                              number(floor), number(p.counts[k][b]));
      plots.push_back(
          fmt::format("{} using 1:2:3:4:5:6 with boxxyerror fc rgb '{}' fs solid 0.6 border lc rgb "
                      "'{}' title {}",
                      block, kColours[k % std::size(kColours)], kColours[k % std::size(kColours)],
                      quoted(p.names[k])));
    } else {
      // the outline of the bars as a step line, down to the floor at both ends
      const auto y = [&](double c) { return p.log_y && c <= 0 ? floor : c; };
      data += fmt::format("{} {}\n", number(p.edges[0]), number(std::max(floor, 1e-300)));
      for (std::size_t b = 0; b < bins; ++b)
        data += fmt::format("{} {}\n{} {}\n", number(p.edges[b]), number(y(p.counts[k][b])),
                            number(p.edges[b + 1]), number(y(p.counts[k][b])));
      data += fmt::format("{} {}\n", number(p.edges[bins]), number(std::max(floor, 1e-300)));
      plots.push_back(fmt::format("{} using 1:2 with lines lw 2 lc rgb '{}' title {}", block,
                                  kColours[k % std::size(kColours)], quoted(p.names[k])));
    }
    data += "EOD\n";
  }
  draw += axes(p.title, p.x_label, p.y_label, p.log_x, p.log_y);
  if (!filled) draw += "set key top left\n";
  // the x range: from the first bin that holds anything to the last
  std::size_t first = bins, last = 0;
  for (const auto& c : p.counts)
    for (std::size_t b = 0; b < bins; ++b)
      if (c[b] > 0) first = std::min(first, b), last = std::max(last, b);
  if (first > last) first = 0, last = bins - 1;
  draw += fmt::format("set xrange [{}:{}]\n", number(p.edges[first]), number(p.edges[last + 1]));
  if (!p.log_y) draw += "set yrange [0:*]\n";
  std::string all;
  for (const auto& s : plots) all += (all.empty() ? "" : ", ") + s;
  draw += "plot " + all + "\n";
}

void heatmap(std::string& data, std::string& draw, const HeatmapPanel& p, int index) {
  if (p.nx < 1 || p.ny < 1 || p.values.size() != static_cast<std::size_t>(p.nx) * p.ny)
    throw Error(fmt::format("heatmap '{}': expected {} x {} values, got {}", p.title, p.nx, p.ny,
                            p.values.size()));
  if (!(p.x1 > p.x0) || !(p.y1 > p.y0))
    throw Error(fmt::format("heatmap '{}': expected x1 > x0 and y1 > y0, got [{}, {}] x [{}, {}]",
                            p.title, p.x0, p.x1, p.y0, p.y1));
  double lo = INFINITY, hi = -INFINITY;
  for (double v : p.values)
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  if (!std::isfinite(lo)) throw Error(fmt::format("heatmap '{}': no finite value", p.title));
  lo = p.v_min.value_or(lo), hi = p.v_max.value_or(hi);
  if (!(hi > lo)) hi = lo + 1;
  const double dx = (p.x1 - p.x0) / p.nx, dy = (p.y1 - p.y0) / p.ny;
  // each cell a filled box coloured by its value (vector output, no embedded image)
  const std::string cells = fmt::format("$C{}", index), dark = fmt::format("$T{}d", index),
                    light = fmt::format("$T{}l", index);
  std::string on_dark, on_light;
  data += cells + " << EOD\n";
  for (int j = 0; j < p.ny; ++j)
    for (int i = 0; i < p.nx; ++i) {
      const double v = p.values[static_cast<std::size_t>(j) * p.nx + i];
      if (!std::isfinite(v)) continue;
      const double x = p.x0 + (i + 0.5) * dx, y = p.y0 + (j + 0.5) * dy;
      data += fmt::format("{} {} {} {} {} {} {}\n", number(x), number(y), number(x - dx / 2),
                          number(x + dx / 2), number(y - dy / 2), number(y + dy / 2), number(v));
      // a number in double quotes: a string column of the datablock
      (((v - lo) / (hi - lo) < 0.6) ? on_dark : on_light) +=
          fmt::format("{} {} \"{:.3g}\"\n", number(x), number(y), v);
    }
  data += "EOD\n";
  data += dark + " << EOD\n" + on_dark + "EOD\n" + light + " << EOD\n" + on_light + "EOD\n";
  draw += axes(p.title, p.x_label, p.y_label, false, false);
  draw += "unset grid\nset colorbox\n" + std::string(kPalette);
  draw +=
      fmt::format("set cblabel {}\nset cbrange [{}:{}]\nset xrange [{}:{}]\nset yrange [{}:{}]\n",
                  quoted(p.value_label), number(lo), number(hi), number(p.x0), number(p.x1),
                  number(p.y0), number(p.y1));
  // category names on the cells' centres
  const auto names = [&](const char* axis, const std::vector<std::string>& n, double o, double d) {
    std::string t;
    for (std::size_t k = 0; k < n.size(); ++k)
      t += fmt::format("{}{} {}", t.empty() ? "" : ", ", quoted(n[k]), number(o + (k + 0.5) * d));
    if (!t.empty())
      draw += fmt::format("set {}tics ({}){}\n", axis, t, axis[0] == 'x' ? " rotate by -20" : "");
  };
  if (p.equal_axes) draw += "set size ratio -1\n";
  names("x", p.x_names, p.x0, dx);
  names("y", p.y_names, p.y0, dy);
  draw += fmt::format(
      "plot {} using 1:2:3:4:5:6:7 with boxxyerror fs solid 1.0 noborder lc palette notitle",
      cells);
  if (p.labels) {
    if (!on_dark.empty())
      draw += fmt::format(", {} using 1:2:3 with labels tc rgb 'white' notitle", dark);
    if (!on_light.empty())
      draw += fmt::format(", {} using 1:2:3 with labels tc rgb 'black' notitle", light);
  }
  draw += "\n";
}

// runs `command`, returning its standard output and exit status
std::string run(const std::string& command, int& status) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) throw Error(fmt::format("cannot run gnuplot ({})", command));
  std::string out;
  char buffer[1 << 16];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
  status = ::pclose(pipe);
  return out;
}

}  // namespace

Panel panel(LinePanel p) {
  Panel out;
  out.kind = Panel::Kind::kLines;
  out.lines = std::move(p);
  return out;
}

Panel panel(HistogramPanel p) {
  Panel out;
  out.kind = Panel::Kind::kHistogram;
  out.histogram = std::move(p);
  return out;
}

Panel panel(HeatmapPanel p) {
  Panel out;
  out.kind = Panel::Kind::kHeatmap;
  out.heatmap = std::move(p);
  return out;
}

std::string gnuplot_script(const Figure& f) {
  if (f.panels.empty())
    throw Error(fmt::format("figure '{}': expected at least one panel, got none", f.title));
  std::string data, draw;
  for (std::size_t k = 0; k < f.panels.size(); ++k) {
    const Panel& p = f.panels[k];
    if (p.kind == Panel::Kind::kLines)
      lines(data, draw, p.lines, static_cast<int>(k));
    else if (p.kind == Panel::Kind::kHistogram)
      histogram(data, draw, p.histogram, static_cast<int>(k));
    else
      heatmap(data, draw, p.heatmap, static_cast<int>(k));
  }
  const int n = static_cast<int>(f.panels.size());
  // noenhanced: names such as val_mean_mm are text, not subscripts
  return fmt::format(
      "set terminal svg size {},{} font 'sans,12' background rgb 'white'\nset termoption "
      "noenhanced\n"
      "set output\nset encoding utf8\n{}set multiplot layout 1,{} title {}\n{}unset multiplot\n",
      f.panel_width * n, f.height, data, n, quoted(f.title), draw);
}

std::optional<std::string> find_gnuplot() {
  if (const char* env = std::getenv("NEUROKIN_GNUPLOT")) {
    if (::access(env, X_OK) == 0) return std::string(env);
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const fs::path exe = fs::path(dir.empty() ? "." : dir) / "gnuplot";
    if (::access(exe.c_str(), X_OK) == 0) return exe.string();
  }
  return std::nullopt;
}

bool write_svg(const std::string& path, const Figure& figure) {
  const std::optional<std::string> exe = find_gnuplot();
  if (!exe) return false;
  const std::string script = gnuplot_script(figure);
  // the script and gnuplot's messages in temporary files (mkstemp: names of safe characters)
  const auto temp = [](const char* what) {
    std::string name =
        (fs::temp_directory_path() / fmt::format("neurokin-{}-XXXXXX", what)).string();
    const int fd = ::mkstemp(name.data());
    if (fd < 0)
      throw Error(fmt::format("plot {}: cannot create a temporary file in {}", what, name));
    ::close(fd);
    return name;
  };
  const std::string script_file = temp("plot"), err_file = temp("gnuplot-err");
  std::ofstream(script_file) << script;
  std::string quoted_exe;
  for (char c : *exe) quoted_exe += c == '\'' ? std::string("'\\''") : std::string(1, c);
  int status = 0;
  const std::string svg =
      run(fmt::format("'{}' '{}' 2>'{}'", quoted_exe, script_file, err_file), status);
  std::stringstream err;
  err << std::ifstream(err_file).rdbuf();
  fs::remove(script_file);
  fs::remove(err_file);
  if (status != 0 || svg.find("</svg>") == std::string::npos)
    throw Error(fmt::format("{}: gnuplot failed (exit status {}): {}", path,
                            WIFEXITED(status) ? WEXITSTATUS(status) : -1, err.str()));
  io::write_file_atomic(path, svg);
  return true;
}

std::string gnuplot_missing_note() {
  return "plots skipped: gnuplot not found (install it: apt-get install gnuplot-nox, or run "
         "scripts/bootstrap.sh)";
}

}  // namespace neurokin::report
