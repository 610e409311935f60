#include "neurokin/json_util.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "neurokin/error.h"

namespace neurokin::json_util {

using nlohmann::json;

std::string describe(const json& v) {
  std::string s = v.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  const char* type = v.type_name();
  return v.is_primitive() ? s : std::string(type) + " " + s;
}

const json& field(const json& obj, const char* key, const std::string& where) {
  require_object(obj, where);
  auto it = obj.find(key);
  if (it == obj.end()) throw Error(where + "." + key + ": missing (required)");
  return *it;
}

const json* optional_field(const json& obj, const char* key, const std::string& where) {
  require_object(obj, where);
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

void require_object(const json& v, const std::string& where) {
  if (!v.is_object()) throw_expected(where, "an object", describe(v));
}

double number(const json& v, const std::string& where) {
  if (!v.is_number()) throw_expected(where, "a number", describe(v));
  const double x = v.get<double>();
  if (!std::isfinite(x)) throw_expected(where, "a finite number", describe(v));
  return x;
}

long long integer(const json& v, const std::string& where, long long lo, long long hi) {
  if (!v.is_number_integer() && !v.is_number_unsigned())
    throw_expected(where, "an integer", describe(v));
  // nlohmann parses non-negative integers as unsigned: check both bounds either way
  const bool in_range =
      v.is_number_unsigned()
          ? (lo <= 0 || v.get<unsigned long long>() >= static_cast<unsigned long long>(lo)) &&
                v.get<unsigned long long>() <= static_cast<unsigned long long>(hi)
          : (v.get<long long>() >= lo && v.get<long long>() <= hi);
  if (!in_range)
    throw_expected(where, "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]",
                   describe(v));
  return v.get<long long>();
}

std::string string(const json& v, const std::string& where) {
  if (!v.is_string()) throw_expected(where, "a string", describe(v));
  return v.get<std::string>();
}

Eigen::Vector3d vector3(const json& v, const std::string& where) {
  if (!v.is_array() || v.size() != 3) throw_expected(where, "an array of 3 numbers", describe(v));
  Eigen::Vector3d x;
  for (int i = 0; i < 3; ++i) x[i] = number(v[i], where + "[" + std::to_string(i) + "]");
  return x;
}

Eigen::Isometry3d transform(const json& v, const std::string& where) {
  require_object(v, where);
  Eigen::Isometry3d X = Eigen::Isometry3d::Identity();
  if (const json* xyz = optional_field(v, "xyz", where))
    X.translation() = vector3(*xyz, where + ".xyz");
  if (const json* rpy = optional_field(v, "rpy", where)) {
    const Eigen::Vector3d r = vector3(*rpy, where + ".rpy");
    X.linear() = (Eigen::AngleAxisd(r[2], Eigen::Vector3d::UnitZ()) *
                  Eigen::AngleAxisd(r[1], Eigen::Vector3d::UnitY()) *
                  Eigen::AngleAxisd(r[0], Eigen::Vector3d::UnitX()))
                     .toRotationMatrix();
  }
  refuse_unknown(v, where, {"xyz", "rpy"});
  return X;
}

json transform_to_json(const Eigen::Isometry3d& X) {
  const Eigen::Matrix3d R = X.linear();
  // urdf rpy from R = Rz(y) Ry(p) Rx(r)
  const double pitch = std::atan2(-R(2, 0), std::hypot(R(0, 0), R(1, 0)));
  const double roll = std::atan2(R(2, 1), R(2, 2));
  const double yaw = std::atan2(R(1, 0), R(0, 0));
  const Eigen::Vector3d t = X.translation();
  return json{{"xyz", {t.x(), t.y(), t.z()}}, {"rpy", {roll, pitch, yaw}}};
}

json parse(const std::string& text, const std::string& what) {
  try {
    // depth is bounded by nlohmann's recursive parser; reject absurd nesting first
    int depth = 0, max_depth = 0;
    bool in_string = false, escaped = false;
    for (char c : text) {
      if (in_string) {
        if (escaped)
          escaped = false;
        else if (c == '\\')
          escaped = true;
        else if (c == '"')
          in_string = false;
      } else if (c == '"') {
        in_string = true;
      } else if (c == '[' || c == '{') {
        max_depth = std::max(max_depth, ++depth);
      } else if (c == ']' || c == '}') {
        --depth;
      }
    }
    if (max_depth > 64)
      throw_expected(what, "JSON nested at most 64 deep", std::to_string(max_depth) + " levels");
    return json::parse(text);
  } catch (const json::exception& e) {
    // parse_error, and out_of_range for a number beyond a double ("1E5005", found by
    // tests/fuzz/fuzz_model): both are bad text, not a bug of ours
    throw Error(what + ": not valid JSON: " + e.what());
  }
}

void refuse_unknown(const json& obj, const std::string& where, const std::vector<std::string>& known) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (std::find(known.begin(), known.end(), it.key()) != known.end()) continue;
    std::string list;
    for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
    throw Error(where + "." + it.key() + ": unknown field (expected " + list + ")");
  }
}

Fields::Fields(const json& obj, std::string where) : obj_(obj), where_(std::move(where)) {
  require_object(obj_, where_);
}

Fields::~Fields() noexcept(false) {
  if (!std::uncaught_exceptions()) refuse_unknown(obj_, where_, asked_);
}

const json* Fields::get(const char* key) {
  if (std::find(asked_.begin(), asked_.end(), key) == asked_.end()) asked_.push_back(key);
  return optional_field(obj_, key, where_);
}

const json& Fields::required(const char* key) {
  get(key);
  return field(obj_, key, where_);
}

void Fields::number(const char* key, double& v, double lo, double hi, bool open_lo, bool open_hi) {
  const json* x = get(key);
  if (!x) return;
  const double d = json_util::number(*x, at(key));
  if ((open_lo ? d <= lo : d < lo) || (open_hi ? d >= hi : d > hi)) {
    std::ostringstream range;
    range << "a number in " << (open_lo ? "(" : "[") << lo << ", " << hi << (open_hi ? ")" : "]");
    throw_expected(at(key), range.str(), describe(*x));
  }
  v = d;
}

void Fields::number(const char* key, float& v, double lo, double hi) {
  double d = v;
  number(key, d, lo, hi);
  v = static_cast<float>(d);
}

void Fields::integer(const char* key, int& v, long long lo, long long hi) {
  if (const json* x = get(key)) v = static_cast<int>(json_util::integer(*x, at(key), lo, hi));
}

void Fields::boolean(const char* key, bool& v) {
  if (const json* x = get(key)) {
    if (!x->is_boolean()) throw_expected(at(key), "true or false", describe(*x));
    v = x->get<bool>();
  }
}

void Fields::string(const char* key, std::string& v) {
  if (const json* x = get(key)) v = json_util::string(*x, at(key));
}

}  // namespace neurokin::json_util
