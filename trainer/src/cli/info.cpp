// neurokin info: a readable summary of an arm or a model file.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/common.h"
#include "io/csv.h"
#include "neurokin/clustered.h"
#include "neurokin/error.h"
#include "neurokin/ik.h"
#include "neurokin/json_util.h"
#include "neurokin/kinematics.h"
#include "neurokin/model.h"

namespace neurokin::cli {
namespace {

constexpr double kDeg = 180.0 / M_PI;

// rows of cells printed as left-aligned columns two spaces apart, under an underlined header
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string str(const std::string& indent) const {
    std::vector<std::size_t> width(rows_[0].size(), 0);
    for (const auto& r : rows_)
      for (std::size_t k = 0; k < r.size(); ++k) width[k] = std::max(width[k], r[k].size());
    std::string s;
    for (std::size_t i = 0; i < rows_.size(); ++i) {
      std::string line = indent;
      for (std::size_t k = 0; k < rows_[i].size(); ++k) {
        line += fmt::format("{:<{}}", rows_[i][k], k + 1 < width.size() ? width[k] + 2 : 0);
      }
      s += line + '\n';
      if (i == 0) {
        std::string rule = indent;
        for (std::size_t k = 0; k < width.size(); ++k) rule += std::string(width[k], '-') + "  ";
        s += rule.substr(0, rule.size() - 2) + '\n';
      }
    }
    return s;
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

// short number: 6 significant digits, no trailing zeros
std::string num(double v) { return fmt::format("{:.6g}", std::abs(v) < 1e-12 ? 0.0 : v); }

std::string vec3(const Eigen::Vector3d& v) {
  return fmt::format("({}, {}, {})", num(v.x()), num(v.y()), num(v.z()));
}

// "+z" / "-x" for axis-aligned axes, else the vector
std::string axis_text(const Eigen::Vector3d& a) {
  for (int k = 0; k < 3; ++k) {
    if (std::abs(std::abs(a[k]) - 1.0) < 1e-12 && std::abs(a.norm() - 1.0) < 1e-12) {
      return fmt::format("{}{}", a[k] > 0 ? '+' : '-', "xyz"[k]);
    }
  }
  return vec3(a);
}

// URDF roll-pitch-yaw (R = Rz(yaw) Ry(pitch) Rx(roll)), in degrees
Eigen::Vector3d rpy_deg(const Eigen::Matrix3d& R) {
  const double pitch = std::asin(std::clamp(-R(2, 0), -1.0, 1.0));
  // at pitch = +-90 deg roll and yaw are one angle: put it all in yaw
  if (std::abs(std::cos(pitch)) < 1e-9) {
    return Eigen::Vector3d(0, pitch, std::atan2(-R(0, 1), R(1, 1))) * kDeg;
  }
  return Eigen::Vector3d(std::atan2(R(2, 1), R(2, 2)), pitch, std::atan2(R(1, 0), R(0, 0))) * kDeg;
}

std::string transform_text(const Eigen::Isometry3d& X) {
  return fmt::format("xyz {} m, rpy {} deg", vec3(X.translation()), vec3(rpy_deg(X.linear())));
}

// a DH joint rotates about z first (A = I) and carries its link in B; a URDF joint has B = I
std::string joint_geometry(const Joint& j, std::string& type) {
  if (j.B.isApprox(Eigen::Isometry3d::Identity())) {
    type = "urdf";
    const Eigen::Vector3d rpy = rpy_deg(j.A.linear());
    return "origin " + vec3(j.A.translation()) +
           (rpy.isZero(1e-9) ? "" : " rpy " + vec3(rpy) + " deg");
  }
  type = "dh";
  // B = Trans_z(d) Trans_x(a) Rot_x(alpha)
  const Eigen::Matrix3d& R = j.B.linear();
  return fmt::format("a {}  alpha {} deg  d {}  theta {} deg", num(j.B.translation().x()),
                     num(std::atan2(R(2, 1), R(1, 1)) * kDeg), num(j.B.translation().z()),
                     num(j.offset * kDeg));
}

std::string task_text(TaskKind kind) {
  std::string cols;
  for (const auto& c : task_columns(kind)) cols += (cols.empty() ? "" : ", ") + c;
  return fmt::format("{} ({})", task_name(kind), cols);
}

std::string arm_summary(const Arm& arm) {
  std::string s = fmt::format("arm          {}\n", arm.name);
  if (!arm.description.empty()) s += fmt::format("description  {}\n", arm.description);
  s += fmt::format("task         {}\n", task_text(arm.task));
  s += fmt::format("dof          {}\n", arm.dof());
  if (!arm.X_WB.isApprox(Eigen::Isometry3d::Identity())) {
    s += fmt::format("base         {}\n", transform_text(arm.X_WB));
  }
  s += "joints\n";
  Table t({"#", "name", "type", "axis", "min deg", "max deg", "geometry (metres, degrees)"});
  for (int i = 0; i < arm.dof(); ++i) {
    const Joint& j = arm.joints[i];
    std::string type;
    const std::string geometry = joint_geometry(j, type);
    t.add({std::to_string(i + 1), j.name, type, type == "dh" ? "+z" : axis_text(j.axis),
           fmt::format("{:.1f}", j.lower * kDeg), fmt::format("{:.1f}", j.upper * kDeg), geometry});
  }
  s += t.str("  ");
  s += fmt::format("tool         {}\n", transform_text(arm.X_NT));
  const Eigen::VectorXd zero = Eigen::VectorXd::Zero(arm.dof());
  s += fmt::format("tool at q=0  {} m\n", vec3(fk(arm, zero).translation()));
  s += fmt::format("reach        radius {} m around {}\n", num(arm.reach_radius),
                   vec3(arm.reach_centre_W));
  if (arm.analytic.empty()) {
    s += "analytic IK  none (damped least squares only)\n";
  } else {
    s += fmt::format("analytic IK  {}{}\n", arm.analytic,
                     has_analytic_ik(arm) ? "" : " (does not fit this geometry: not used)");
  }
  if (arm.conditioning.valid()) {
    s += fmt::format("conditioning inverse condition number p20 {}, p80 {} ({} samples, seed {})\n",
                     num(arm.conditioning.p20), num(arm.conditioning.p80), arm.conditioning.samples,
                     arm.conditioning.seed);
  } else {
    s += "conditioning not computed (feasibility classes unavailable)\n";
  }
  return s;
}

std::size_t layer_parameters(const Layer& l) {
  return static_cast<std::size_t>(l.W.size() + l.b.size() + l.Wg.size() + l.bg.size());
}

// a JSON value on one short line: numbers and strings as they are, objects by their keys,
// arrays by their length (training curves can hold thousands of values)
std::string short_json(const nlohmann::json& v) {
  if (v.is_number_float()) return num(v.get<double>());
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) return fmt::format("[{} values]", v.size());
  std::string s;
  if (v.is_object()) {
    for (const auto& [k, unused] : v.items()) s += (s.empty() ? "" : ", ") + k;
    s = "{" + s + "}";
  } else {
    s = v.dump();
  }
  return s.size() > 70 ? s.substr(0, 67) + "..." : s;
}

// the model's metadata.metrics as a table ("" when it has none)
std::string metrics_table(const nlohmann::json& metadata) {
  const auto metrics = metadata.find("metrics");
  if (metrics == metadata.end() || !metrics->is_object() || metrics->empty()) return "";
  Table mt({"name", "value"});
  for (const auto& [k, v] : metrics->items()) mt.add({k, short_json(v)});
  return "metrics\n" + mt.str("  ");
}

std::string model_summary(const Model& m, const std::string& path) {
  const Network& net = m.net;
  std::string s = fmt::format("model        {}\n", path);
  s += fmt::format("kind         {}\n", model_kind_name(m.kind));
  s += fmt::format("arm          {} ({} joints; `neurokin info {}` describes it)\n", m.arm.name,
                   m.arm.dof(), m.arm.name);
  s += fmt::format("task         {}\n", task_text(m.arm.task));
  s += fmt::format("input        {} values, encoding {} -> {} features (normalised)\n",
                   net.input_size, encoding_name(net.encoding),
                   encoded_size(net.encoding, net.input_size));
  s += fmt::format("output       {} values, decoding {}\n", net.output_size(),
                   decoding_name(net.decoding));
  if (!net.branches.empty())
    s += fmt::format("branches     {} heads, the likeliest answers: {}\n", net.heads(),
                     fmt::join(net.branches, ", "));
  s += "layers\n";
  Table t({"#", "type", "shape", "activation", "parameters"});
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const Layer& l = net.layers[i];
    const bool has_act = l.type != Layer::Type::kDense;
    t.add({std::to_string(i), layer_type_name(l.type), fmt::format("{} -> {}", l.in, l.out),
           has_act ? activation_name(l.act) : "", std::to_string(layer_parameters(l))});
  }
  s += t.str("  ");
  s += fmt::format("parameters   {}\n", net.parameter_count());

  if (m.metadata.empty()) s += "metadata     (none)\n";
  if (!m.metadata.empty()) {
    s += "metadata\n";
    Table mt({"key", "value"});
    for (const auto& [k, v] : m.metadata.items()) mt.add({k, short_json(v)});
    s += mt.str("  ");
  }
  s += metrics_table(m.metadata);
  return s;
}

// a clustered model: the choice rule, then each cluster's centroid, samples and network size
std::string clustered_summary(const ClusteredModel& m, const std::string& path) {
  std::string s = fmt::format("model        {}\n", path);
  s += fmt::format("kind         {} ({} networks, one per k-means cluster in joint space)\n", kClusteredKind, m.k());
  s += fmt::format("arm          {} ({} joints; `neurokin info {}` describes it)\n", m.arm.name, m.arm.dof(),
                   m.arm.name);
  s += fmt::format("task         {}\n", task_text(m.arm.task));
  s += fmt::format("selection    FK consistency: smallest position error (m) + {} x orientation error (rad)\n",
                   num(m.orientation_weight));
  Table t({"cluster", "centroid (rad)", "samples", "encoding", "layers", "parameters"});
  std::size_t total = 0;
  for (int k = 0; k < m.k(); ++k) {
    const Cluster& c = m.clusters[k];
    std::string centroid;
    for (Eigen::Index i = 0; i < c.centroid.size(); ++i) centroid += (i ? " " : "") + fmt::format("{:.2f}", c.centroid[i]);
    t.add({std::to_string(k), centroid, std::to_string(c.samples), encoding_name(c.model.net.encoding),
           std::to_string(c.model.net.layers.size()), std::to_string(c.model.net.parameter_count())});
    total += c.model.net.parameter_count();
  }
  s += t.str("  ");
  s += fmt::format("parameters   {}\n", total);
  s += metrics_table(m.metadata);
  return s;
}

void run_info(const std::string& what) {
  namespace fs = std::filesystem;
  std::error_code ec;
  // a file is an arm or a model by its "format"; anything else is an arm name
  if (!fs::is_regular_file(what, ec)) {
    std::cout << arm_summary(load_arm(what));
    return;
  }
  // the loaders' own reader: their size limit and nesting depth, messages naming the file
  const nlohmann::json j = json_util::parse(json_util::read_file(what, "file"), what);
  const std::string format =
      j.is_object() && j.contains("format") && j["format"].is_string() ? j["format"] : "";
  // the core's messages name the field; the file name tells which file
  try {
    if (format == kModelFormat && is_clustered_model(j)) {
      std::cout << clustered_summary(clustered_model_from_json(j), what);
      return;
    }
    if (format == kModelFormat) {
      std::cout << model_summary(model_from_json(j), what);
      return;
    }
    if (format == "neurokin-arm") {
      std::cout << arm_summary(arm_from_json(j));
      return;
    }
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", what, e.what()));
  }
  throw Error(
      fmt::format("{}: format: expected \"neurokin-arm\" or \"{}\", got {}", what, kModelFormat,
                  j.is_object() && j.contains("format") ? j["format"].dump() : "no format field"));
}

}  // namespace

void add_info_command(CLI::App& app) {
  auto what = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("info", "Describe an arm or a model file");
  cmd->footer(
      "ARM is a name under models/arms (planar2, puma3, omx4, kr6) or an arm file; MODEL is\n"
      "a model file (recognised by its \"format\" field).\n\n"
      "Examples:\n  neurokin info kr6\n  neurokin info models/fixtures/tiny_planar2.json");
  cmd->add_option("target", *what, "arm name, arm file or model file")
      ->required()
      ->type_name("ARM|MODEL");
  cmd->callback([what] { run_info(*what); });
}

}  // namespace neurokin::cli
