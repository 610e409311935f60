// Errors of the core: bad input at the public API throws neurokin::Error with a message
// naming the field, the expected and the actual value. Solver outcomes are not errors.
#pragma once

#include <stdexcept>
#include <string>

namespace neurokin {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// throws Error("<where>: expected <expected>, got <actual>")
[[noreturn]] void throw_expected(const std::string& where, const std::string& expected,
                                 const std::string& actual);

}  // namespace neurokin
