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

namespace {

// the per-line rules every reader of numeric CSV shares: a byte order mark, blank lines, the
// header, then rows of exactly columns.size() finite numbers
class RowParser {
 public:
  RowParser(std::string source, const std::vector<std::string>& columns)
      : source_(std::move(source)),
        columns_(columns),
        expected_(fmt::format("{} columns ({})", columns.size(), join(columns))) {}

  // takes line (without its newline) as the header, or appends it to t as a row
  void line(std::string_view line, NumericTable& t) {
    ++line_no_;
    // a UTF-8 byte order mark (spreadsheet exports) is not part of the first header name
    if (line_no_ == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
    // blank lines (a trailing newline, spacing) carry no sample
    if (trim(line).empty()) return;
    std::vector<std::string> cells = split_csv_line(line);

    if (!have_header_) {
      // a file without a header would silently lose its first sample: refuse it
      double unused;
      bool all_numbers = true;
      for (const auto& c : cells)
        all_numbers = all_numbers && parse_number(c, unused) != Parse::kNotNumber;
      if (all_numbers) {
        throw Error(
            fmt::format("{}: expected a header row ({}), got numbers; the first line of "
                        "a CSV file names the columns",
                        where(source_, line_no_), join(columns_)));
      }
      if (cells.size() != columns_.size()) {
        throw Error(fmt::format("{}: expected {} in the header, got {}", where(source_, line_no_),
                                expected_, cells.size()));
      }
      header_ = std::move(cells);
      have_header_ = true;
      t.header = header_;
      return;
    }

    if (cells.size() != columns_.size()) {
      throw Error(fmt::format("{}: expected {}, got {}", where(source_, line_no_), expected_,
                              cells.size()));
    }
    for (std::size_t k = 0; k < cells.size(); ++k) {
      double v = 0;
      const Parse p = parse_number(cells[k], v);
      if (p != Parse::kOk) {
        throw Error(fmt::format("{}: column {} ({}): expected a {}number, got {}",
                                where(source_, line_no_), k + 1, columns_[k],
                                p == Parse::kNotFinite ? "finite " : "", quoted(cells[k])));
      }
      t.values.push_back(v);
    }
    t.lines.push_back(line_no_);
  }

  // at the end of the input: an empty file is no table
  void finish() const {
    if (!have_header_) {
      throw Error(fmt::format("{}: expected a header row ({}), got an empty file", source_,
                              join(columns_)));
    }
  }

  // an empty table of this input, with its header once read
  void start(NumericTable& t) const {
    t.source = source_;
    t.cols = static_cast<int>(columns_.size());
    t.header = header_;
    t.values.clear();
    t.lines.clear();
  }

  int line_no() const { return line_no_; }
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::vector<std::string> columns_;
  std::string expected_;
  std::vector<std::string> header_;
  int line_no_ = 0;
  bool have_header_ = false;
};

}  // namespace

NumericTable parse_numeric_csv(std::string_view text, const std::string& source,
                               const std::vector<std::string>& columns) {
  RowParser parser(source, columns);
  NumericTable t;
  parser.start(t);
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    parser.line(text.substr(0, nl), t);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
  parser.finish();
  return t;
}

struct NumericCsvReader::State {
  std::unique_ptr<FILE, int (*)(FILE*)> file{nullptr, &std::fclose};
  FILE* in = nullptr;  // file, or stdin
  RowParser parser;
  std::string pending;  // bytes read past the last whole line
  bool eof = false;

  State(std::string source, const std::vector<std::string>& columns)
      : parser(std::move(source), columns) {}
};

NumericCsvReader::NumericCsvReader(const std::string& path, const std::vector<std::string>& columns)
    : state_(std::make_unique<State>(path == kStdStream ? "<stdin>" : path, columns)) {
  if (path == kStdStream) {
    state_->in = stdin;
  } else {
    errno = 0;
    state_->file.reset(std::fopen(path.c_str(), "rb"));
    if (!state_->file) throw Error(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
    state_->in = state_->file.get();
  }
}

NumericCsvReader::~NumericCsvReader() = default;

bool NumericCsvReader::read(NumericTable& chunk, std::size_t max_rows) {
  State& s = *state_;
  s.parser.start(chunk);
  std::size_t used = 0;  // bytes of s.pending handed to the parser
  char buf[1 << 16];
  while (chunk.rows() < max_rows) {
    const std::size_t nl = s.pending.find('\n', used);
    if (nl != std::string::npos) {
      s.parser.line(std::string_view(s.pending).substr(used, nl - used), chunk);
      used = nl + 1;
      continue;
    }
    // no whole line left: keep the partial one, read more
    s.pending.erase(0, used);
    used = 0;
    if (s.pending.size() > kMaxLineBytes) {
      throw Error(fmt::format("{}:{}: expected a line of at most {} bytes", s.parser.source(),
                              s.parser.line_no() + 1, kMaxLineBytes));
    }
    if (s.eof) {
      if (!s.pending.empty()) s.parser.line(s.pending, chunk);
      s.pending.clear();
      s.parser.finish();
      break;
    }
    const std::size_t n = std::fread(buf, 1, sizeof buf, s.in);
    if (n < sizeof buf) {
      // reading a directory opens fine on Linux and fails here with EISDIR
      if (std::ferror(s.in))
        throw Error(fmt::format("{}: cannot read: {}", s.parser.source(), std::strerror(errno)));
      s.eof = true;
    }
    s.pending.append(buf, n);
  }
  s.pending.erase(0, used);
  return chunk.rows() > 0;
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
