// Deterministic random numbers that give the same sequence natively and in WebAssembly
// (std:: distributions are implementation-defined, so we do not use them).
#pragma once

#include <cstdint>

#include "neurokin/arm.h"
#include "neurokin/types.h"

namespace neurokin {

// xoshiro256** (Blackman & Vigna 2018), seeded through splitmix64
class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0);
  std::uint64_t next();
  double uniform();                      // [0, 1), 53 random bits
  double uniform(double lo, double hi);  // [lo, hi)
  double normal();                       // standard normal (Box-Muller)

 private:
  std::uint64_t s_[4];
};

// q uniform within the arm's joint limits
JointVec sample_joints(const Arm& arm, Rng& rng);

}  // namespace neurokin
