// Reading checked values out of JSON documents: every failure names the field path, what was
// expected and what was found ("arm.joints[2].axis: expected 3 numbers, got 2").
#pragma once

#include <Eigen/Geometry>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace neurokin::json_util {

// a short rendering of a JSON value for messages (strings quoted, long values cut)
std::string describe(const nlohmann::json& v);

const nlohmann::json& field(const nlohmann::json& obj, const char* key, const std::string& where);
const nlohmann::json* optional_field(const nlohmann::json& obj, const char* key,
                                     const std::string& where);
void require_object(const nlohmann::json& v, const std::string& where);
double number(const nlohmann::json& v, const std::string& where);  // finite
long long integer(const nlohmann::json& v, const std::string& where, long long lo, long long hi);
std::string string(const nlohmann::json& v, const std::string& where);
Eigen::Vector3d vector3(const nlohmann::json& v, const std::string& where);
// {"xyz": [..], "rpy": [..]} (URDF: R = Rz(yaw) Ry(pitch) Rx(roll)); both keys optional
Eigen::Isometry3d transform(const nlohmann::json& v, const std::string& where);
nlohmann::json transform_to_json(const Eigen::Isometry3d& X);

// every key of obj must be one of `known`; else Error("<where>.<key>: unknown field (expected
// a, b, c)"), so a misspelt field is an error rather than ignored
void refuse_unknown(const nlohmann::json& obj, const std::string& where,
                    const std::vector<std::string>& known);

// Reads the optional fields of one object into defaults, each checked and named in errors, and
// refuses (when it goes out of scope, unless an exception is already on its way) any field
// that nobody asked for, listing the ones asked for in order.
class Fields {
 public:
  Fields(const nlohmann::json& obj, std::string where);
  ~Fields() noexcept(false);
  Fields(const Fields&) = delete;
  Fields& operator=(const Fields&) = delete;

  const nlohmann::json* get(const char* key);  // nullptr when absent or null
  const nlohmann::json& required(const char* key);  // Error "<where>.<key>: missing (required)"
  std::string at(const char* key) const { return where_ + "." + key; }
  // a finite number in [lo, hi] (open_lo / open_hi: ( or ) at that end)
  void number(const char* key, double& v, double lo, double hi, bool open_lo = false, bool open_hi = false);
  void number(const char* key, float& v, double lo, double hi);
  void integer(const char* key, int& v, long long lo, long long hi);
  void boolean(const char* key, bool& v);
  void string(const char* key, std::string& v);

 private:
  const nlohmann::json& obj_;
  std::string where_;
  std::vector<std::string> asked_;
};

// the whole file as text; throws Error naming the path when missing, unreadable or larger
// than max_bytes (checked before reading)
std::string read_file(const std::string& path, const std::string& what,
                      std::size_t max_bytes = std::size_t(1) << 29);
// parse JSON text; a syntax error becomes Error("<what>: not valid JSON: <detail>")
nlohmann::json parse(const std::string& text, const std::string& what);

}  // namespace neurokin::json_util
