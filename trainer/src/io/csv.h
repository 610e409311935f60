// Numeric CSV files for the command-line tools: a header row, then one sample per line.
// Reading checks every cell and names the file, line and column of the first bad one;
// writing prints numbers with 17 significant digits so a value survives the round trip.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
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

// reads a numeric CSV file ("-": standard input) a chunk of rows at a time, so memory stays
// bounded whatever the file's size: the same rules and messages as parse_numeric_csv, and lines
// of at most kMaxLineBytes ("<source>:<line>: expected a line of at most ... bytes")
class NumericCsvReader {
 public:
  static constexpr std::size_t kMaxLineBytes = 1 << 20;

  // opens path; throws Error naming it and the reason
  NumericCsvReader(const std::string& path, const std::vector<std::string>& columns);
  ~NumericCsvReader();

  // replaces chunk by the next rows of the file, up to max_rows (with the header, the source and
  // the file's line numbers); false when no row is left. Throws Error at the first bad line, and
  // at the end of an empty file (no header)
  bool read(NumericTable& chunk, std::size_t max_rows);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

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
  // the text so far, leaving the writer empty (for writing a file a chunk of rows at a time)
  std::string take_text() { return std::exchange(text_, {}); }
  std::size_t rows() const { return rows_; }

 private:
  void separator();

  std::vector<std::string> header_;
  std::string text_;
  std::size_t cells_ = 0;  // cells in the row being built
  std::size_t rows_ = 0;
};

}  // namespace neurokin::io
