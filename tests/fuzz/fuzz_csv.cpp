// The CSV reader of the command line (io::parse_numeric_csv: `--in` of fk, ik, predict,
// classify). The first byte picks how many columns the command expects (1 to 8, as the four
// arms' joint and task layouts do); the rest is the file. An accepted table must hold exactly
// rows x columns finite numbers, each row on its own, increasing line.
#include <cmath>

#include "fuzz_check.h"
#include "io/csv.h"
#include "neurokin/error.h"

using namespace neurokin;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::vector<std::string> columns;
  for (int k = 0; k < 1 + data[0] % 8; ++k) columns.push_back("c" + std::to_string(k));
  const std::string text = fuzz::as_text(data + 1, size - 1);
  io::split_csv_line(text);
  io::NumericTable t;
  try {
    t = io::parse_numeric_csv(text, "fuzz.csv", columns);
  } catch (const Error&) {
    return 0;
  }
  FUZZ_CHECK(t.cols == static_cast<int>(columns.size()));
  FUZZ_CHECK(t.header.size() == columns.size());
  FUZZ_CHECK(t.values.size() == t.rows() * columns.size());
  for (double v : t.values) FUZZ_CHECK(std::isfinite(v));
  for (std::size_t i = 1; i < t.rows(); ++i) FUZZ_CHECK(t.lines[i] > t.lines[i - 1]);
  return 0;
}
