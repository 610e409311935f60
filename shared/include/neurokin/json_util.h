// Reading checked values out of JSON documents: every failure names the field path, what was
// expected and what was found ("arm.joints[2].axis: expected 3 numbers, got 2").
#pragma once

#include <Eigen/Geometry>
#include <nlohmann/json.hpp>
#include <string>

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

// the whole file as text; throws Error naming the path when missing, unreadable or larger
// than max_bytes (checked before reading)
std::string read_file(const std::string& path, const std::string& what,
                      std::size_t max_bytes = std::size_t(1) << 29);
// parse JSON text; a syntax error becomes Error("<what>: not valid JSON: <detail>")
nlohmann::json parse(const std::string& text, const std::string& what);

}  // namespace neurokin::json_util
