// What the fuzz targets share. A target feeds its input to one reader; the reader may refuse
// it only with neurokin::Error (any other exception escapes, and libFuzzer reports it as a
// crash). What a reader accepts must then keep the API's promises, checked with FUZZ_CHECK,
// which aborts with the broken promise so libFuzzer saves the input as a finding.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#define FUZZ_CHECK(cond)                                                                      \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      std::fprintf(stderr, "%s:%d: accepted input broke a promise: %s\n", __FILE__, __LINE__, \
                   #cond);                                                                    \
      std::abort();                                                                           \
    }                                                                                         \
  } while (0)

namespace neurokin::fuzz {

inline std::string as_text(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

}  // namespace neurokin::fuzz
