#include "neurokin/error.h"

namespace neurokin {

void throw_expected(const std::string& where, const std::string& expected,
                    const std::string& actual) {
  throw Error(where + ": expected " + expected + ", got " + actual);
}

}  // namespace neurokin
