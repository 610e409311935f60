// Numeric CSV files for the command-line tools: a header row, then one sample per line.
// Reading checks every cell and names the file, line and column of the first bad one;
// writing prints numbers with 17 significant digits so a value survives the round trip.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace neurokin::io {

// "-" reads standard input; any other string is a file path
inline constexpr const char* kStdStream = "-";

// a table of finite numbers, row-major; lines[i] is the 1-based line number of row i
struct NumericTable {
  std::string source;  // the file name used in messages ("<stdin>" for "-")
  std::vector<std::string> header;
  std::vector<double> values;
  std::vector<int> lines;
  int cols = 0;

  std::size_t rows() const { return lines.size(); }
  const double* row(std::size_t i) const { return values.data() + i * cols; }
};

// splits one CSV line on commas; surrounding blanks and one pair of double quotes are
// removed from each field (quoted fields may not contain commas)
std::vector<std::string> split_csv_line(std::string_view line);

// parses CSV text whose rows have exactly columns.size() numeric columns (the names are used
// in messages only; the header may name them differently). Throws Error
// "<source>:<line>: column <k> (<name>): expected a number, got \"abc\"" for the first bad
// cell, "<source>:<line>: expected 3 columns (x,y,z), got 2" for a short or long row, and
// refuses NaN / infinity and a first line that holds numbers instead of a header.
NumericTable parse_numeric_csv(std::string_view text, const std::string& source,
                               const std::vector<std::string>& columns);

// reads a whole file ("-": standard input); throws Error naming the path and the reason
std::string read_text(const std::string& path);

// read_text + parse_numeric_csv, with the file name in messages
NumericTable read_numeric_csv(const std::string& path, const std::vector<std::string>& columns);

// the text of a number in our files: 17 significant digits (%.17g), exact round trip
std::string format_number(double v);

// builds CSV text in memory, so nothing is written until every row has been computed
class CsvWriter {
 public:
  explicit CsvWriter(std::vector<std::string> header);

  CsvWriter& add(double v);                      // 17 significant digits
  CsvWriter& add_fixed(double v, int decimals);  // measurements such as timings
  CsvWriter& add(std::int64_t v);
  CsvWriter& add(int v) { return add(static_cast<std::int64_t>(v)); }
  CsvWriter& add(std::string_view s);  // a plain token (no commas or quotes)
  CsvWriter& add(const char* s) { return add(std::string_view(s)); }
  void end_row();  // asserts the row has header().size() cells

  const std::vector<std::string>& header() const { return header_; }
  const std::string& text() const { return text_; }
  std::size_t rows() const { return rows_; }

 private:
  void separator();

  std::vector<std::string> header_;
  std::string text_;
  std::size_t cells_ = 0;  // cells in the row being built
  std::size_t rows_ = 0;
};

}  // namespace neurokin::io
