// The dataset cache reader (data::load_dataset: `neurokin train --cache FILE`), a binary file
// that a crashed run, a full disk or another build may have left. The input is written to a
// file and read back; the hash the caller expects is taken from the file's own hash field
// (bytes 12..19), so the fuzzer gets past that gate and into the header and the arrays.
#include <unistd.h>

#include <cstring>
#include <fstream>

#include "data/dataset.h"
#include "fuzz_check.h"
#include "neurokin/error.h"

using namespace neurokin;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path =
      (std::getenv("TMPDIR") ? std::string(std::getenv("TMPDIR")) : std::string("/tmp")) +
      "/neurokin_fuzz_dataset_" + std::to_string(getpid()) + ".bin";
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  std::uint64_t hash = 0;
  if (size >= 20) std::memcpy(&hash, data + 12, 8);
  try {
    const data::Dataset d = data::load_dataset(path, hash);
    const auto n = static_cast<std::size_t>(d.n);
    FUZZ_CHECK(d.targets.size() == n * d.task_size && d.joints.size() == n * d.dof);
    FUZZ_CHECK(d.split.order.size() == n && d.split.train + d.split.val + d.split.test == d.n);
  } catch (const Error&) {
  }
  return 0;
}
