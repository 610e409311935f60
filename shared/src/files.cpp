// Reading files: kept apart so the wasm module, which never touches a file system, does
// not link iostreams (about 94 KB of wasm).
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "neurokin/arm.h"
#include "neurokin/error.h"
#include "neurokin/json_util.h"

namespace neurokin {

namespace json_util {

std::string read_file(const std::string& path, const std::string& what, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw Error(what + " '" + path + "': cannot open (missing or unreadable)");
  const std::streamoff size = in.tellg();
  if (size < 0) throw Error(what + " '" + path + "': cannot read (not a regular file?)");
  if (static_cast<std::size_t>(size) > max_bytes)
    throw_expected(what + " '" + path + "'", "at most " + std::to_string(max_bytes) + " bytes",
                   std::to_string(size) + " bytes");
  std::string text(static_cast<std::size_t>(size), '\0');
  in.seekg(0);
  if (!in.read(text.data(), size)) throw Error(what + " '" + path + "': read failed");
  return text;
}

}  // namespace json_util

namespace ju = json_util;

std::string find_arm_file(const std::string& name_or_path) {
  const bool is_path =
      name_or_path.find('/') != std::string::npos ||
      (name_or_path.size() > 5 && name_or_path.compare(name_or_path.size() - 5, 5, ".json") == 0);
  std::vector<std::string> tried;
  if (is_path) {
    tried.push_back(name_or_path);
  } else {
    if (const char* dir = std::getenv("NEUROKIN_ARMS_DIR"))
      tried.push_back(std::string(dir) + "/" + name_or_path + ".json");
    tried.push_back("models/arms/" + name_or_path + ".json");
#ifdef NEUROKIN_SOURCE_DIR
    tried.push_back(std::string(NEUROKIN_SOURCE_DIR) + "/models/arms/" + name_or_path + ".json");
#endif
  }
  for (const std::string& path : tried)
    if (std::ifstream(path)) return path;
  std::string list;
  for (const auto& t : tried) list += (list.empty() ? "" : ", ") + t;
  throw Error("arm '" + name_or_path + "': not found (tried " + list + ")");
}

Arm load_arm(const std::string& name_or_path) {
  const std::string path = find_arm_file(name_or_path);
  // read_file names the file itself; the parser's and the loader's messages get the name here
  const std::string text = ju::read_file(path, "arm file", 16u << 20);
  try {
    return arm_from_json_text(text);
  } catch (const Error& e) {
    throw Error(std::string("arm file '") + path + "': " + e.what());
  }
}

}  // namespace neurokin
