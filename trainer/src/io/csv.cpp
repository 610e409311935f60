#include "io/csv.h"

#include <fmt/format.h>

#include <cassert>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <iterator>
#include <memory>

#include "neurokin/error.h"

namespace neurokin::io {
namespace {

std::string_view trim(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

// a cell quoted for a message, shortened so a binary file does not flood the terminal
std::string quoted(std::string_view cell) {
  constexpr std::size_t kMax = 40;
  std::string s(cell.substr(0, kMax));
  if (cell.size() > kMax) s += "...";
  return "\"" + s + "\"";
}

enum class Parse { kOk, kNotNumber, kNotFinite };

// locale-independent parse of the whole cell (std::strtod follows the C locale)
Parse parse_number(std::string_view cell, double& v) {
  if (!cell.empty() && cell.front() == '+') cell.remove_prefix(1);
  if (cell.empty()) return Parse::kNotNumber;
  const char* end = cell.data() + cell.size();
  const auto [ptr, ec] = std::from_chars(cell.data(), end, v);
  if (ptr != end) return Parse::kNotNumber;
  if (ec == std::errc::result_out_of_range) return Parse::kNotFinite;
  if (ec != std::errc()) return Parse::kNotNumber;
  return std::isfinite(v) ? Parse::kOk : Parse::kNotFinite;
}

std::string where(const std::string& source, int line) {
  return fmt::format("{}:{}", source, line);
}

}  // namespace

std::vector<std::string> split_csv_line(std::string_view line) {
  std::vector<std::string> fields;
  for (;;) {
    const std::size_t comma = line.find(',');
    std::string_view f = trim(line.substr(0, comma));
    if (f.size() >= 2 && f.front() == '"' && f.back() == '"') f = f.substr(1, f.size() - 2);
    fields.emplace_back(f);
    if (comma == std::string_view::npos) break;
    line.remove_prefix(comma + 1);
  }
  return fields;
}

NumericTable parse_numeric_csv(std::string_view text, const std::string& source,
                               const std::vector<std::string>& columns) {
  NumericTable t;
  t.source = source;
  t.cols = static_cast<int>(columns.size());
  const std::string expected = fmt::format("{} columns ({})", columns.size(), join(columns));

  // a UTF-8 byte order mark (spreadsheet exports) is not part of the first header name
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);

  int line_no = 0;
  bool have_header = false;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    // blank lines (a trailing newline, spacing) carry no sample
    if (trim(line).empty()) continue;
    std::vector<std::string> cells = split_csv_line(line);

    if (!have_header) {
      // a file without a header would silently lose its first sample: refuse it
      double unused;
      bool all_numbers = true;
      for (const auto& c : cells)
        all_numbers = all_numbers && parse_number(c, unused) != Parse::kNotNumber;
      if (all_numbers) {
        throw Error(
            fmt::format("{}: expected a header row ({}), got numbers; the first line of "
                        "a CSV file names the columns",
                        where(source, line_no), join(columns)));
      }
      if (cells.size() != columns.size()) {
        throw Error(fmt::format("{}: expected {} in the header, got {}", where(source, line_no),
                                expected, cells.size()));
      }
      t.header = std::move(cells);
      have_header = true;
      continue;
    }

    if (cells.size() != columns.size()) {
      throw Error(
          fmt::format("{}: expected {}, got {}", where(source, line_no), expected, cells.size()));
    }
    for (std::size_t k = 0; k < cells.size(); ++k) {
      double v = 0;
      const Parse p = parse_number(cells[k], v);
      if (p != Parse::kOk) {
        throw Error(fmt::format("{}: column {} ({}): expected a {}number, got {}",
                                where(source, line_no), k + 1, columns[k],
                                p == Parse::kNotFinite ? "finite " : "", quoted(cells[k])));
      }
      t.values.push_back(v);
    }
    t.lines.push_back(line_no);
  }
  if (!have_header) {
    throw Error(
        fmt::format("{}: expected a header row ({}), got an empty file", source, join(columns)));
  }
  return t;
}

std::string read_text(const std::string& path) {
  if (path == kStdStream) {
    std::string s{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
    if (std::cin.bad()) throw Error("<stdin>: read failed");
    return s;
  }
  errno = 0;
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) throw Error(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::string s;
  char buf[1 << 16];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) s.append(buf, n);
  // reading a directory opens fine on Linux and fails here with EISDIR
  if (std::ferror(f.get()))
    throw Error(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  return s;
}

NumericTable read_numeric_csv(const std::string& path, const std::vector<std::string>& columns) {
  return parse_numeric_csv(read_text(path), path == kStdStream ? "<stdin>" : path, columns);
}

std::string format_number(double v) { return fmt::format("{:.17g}", v); }

CsvWriter::CsvWriter(std::vector<std::string> header) : header_(std::move(header)) {
  for (const auto& h : header_) add(std::string_view(h));
  end_row();
  rows_ = 0;  // the header is not a row
}

void CsvWriter::separator() {
  if (cells_++ > 0) text_ += ',';
}

CsvWriter& CsvWriter::add(double v) {
  separator();
  text_ += format_number(v);
  return *this;
}

CsvWriter& CsvWriter::add_fixed(double v, int decimals) {
  separator();
  text_ += fmt::format("{:.{}f}", v, decimals);
  return *this;
}

CsvWriter& CsvWriter::add(std::int64_t v) {
  separator();
  text_ += std::to_string(v);
  return *this;
}

CsvWriter& CsvWriter::add(std::string_view s) {
  assert(s.find_first_of(",\"\n") == std::string_view::npos);
  separator();
  text_ += s;
  return *this;
}

void CsvWriter::end_row() {
  assert(cells_ == header_.size());
  text_ += '\n';
  cells_ = 0;
  ++rows_;
}

}  // namespace neurokin::io
