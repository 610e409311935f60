// CSV parsing and writing, and atomic file output (trainer/src/io).
#include <sys/resource.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "io/atomic_file.h"
#include "io/csv.h"
#include "neurokin/error.h"
#include "neurokin/random.h"

namespace fs = std::filesystem;
using neurokin::Error;
using neurokin::io::AtomicFile;
using neurokin::io::CsvWriter;
using neurokin::io::format_number;
using neurokin::io::NumericCsvReader;
using neurokin::io::NumericTable;
using neurokin::io::parse_numeric_csv;
using neurokin::io::read_numeric_csv;
using neurokin::io::write_file_atomic;

namespace {

const std::vector<std::string> kXyz = {"x", "y", "z"};

// the message of the Error that parsing text throws ("" when it does not throw)
std::string parse_error(const std::string& text) {
  try {
    parse_numeric_csv(text, "targets.csv", kXyz);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// the message parse_numeric_csv gives text read as source
std::string parse_error_in(const std::string& text, const std::string& source) {
  try {
    parse_numeric_csv(text, source, kXyz);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// a fresh directory per test, removed afterwards
struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("neurokin_test_csv_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

}  // namespace

TEST_CASE("csv: parses a header and rows of numbers", "[csv]") {
  const auto t = parse_numeric_csv("x,y,z\n1,2,3\n-1.5e-3, +4 ,\t5\r\n\n", "in.csv", kXyz);
  CHECK(t.header == kXyz);
  REQUIRE(t.rows() == 2);
  CHECK(t.cols == 3);
  CHECK(t.row(0)[0] == 1.0);
  CHECK(t.row(1)[0] == -1.5e-3);
  CHECK(t.row(1)[1] == 4.0);
  CHECK(t.row(1)[2] == 5.0);
  CHECK(t.lines == std::vector<int>{2, 3});
}

TEST_CASE("csv: the header may name the columns differently, quotes are removed", "[csv]") {
  const auto t = parse_numeric_csv("\xEF\xBB\xBF\"a\",\"b\",c\n0,0,0\n", "in.csv", kXyz);
  CHECK(t.header == std::vector<std::string>{"a", "b", "c"});
  CHECK(t.rows() == 1);
}

TEST_CASE("csv: blank lines are skipped and line numbers stay physical", "[csv]") {
  const auto t = parse_numeric_csv("\nx,y,z\n\n1,2,3\n   \n4,5,6", "in.csv", kXyz);
  CHECK(t.lines == std::vector<int>{4, 6});
  CHECK(t.row(1)[2] == 6.0);
}

TEST_CASE("csv: a header alone is an empty table", "[csv]") {
  CHECK(parse_numeric_csv("x,y,z\n", "in.csv", kXyz).rows() == 0);
}

TEST_CASE("csv: a bad cell names the file, line, column and the text", "[csv][errors]") {
  CHECK(parse_error("x,y,z\n1,2,3\n1,2,3\n1,2,3\n1,2,abc\n") ==
        "targets.csv:5: column 3 (z): expected a number, got \"abc\"");
  CHECK(parse_error("x,y,z\n1,,3\n") == "targets.csv:2: column 2 (y): expected a number, got \"\"");
  CHECK(parse_error("x,y,z\n1 2,2,3\n") ==
        "targets.csv:2: column 1 (x): expected a number, got \"1 2\"");
  CHECK(parse_error("x,y,z\n0x10,2,3\n") ==
        "targets.csv:2: column 1 (x): expected a number, got \"0x10\"");
}

TEST_CASE("csv: NaN and infinity are refused with line and column", "[csv][errors]") {
  CHECK(parse_error("x,y,z\n1,nan,3\n") ==
        "targets.csv:2: column 2 (y): expected a finite number, got \"nan\"");
  CHECK(parse_error("x,y,z\n1,2,-inf\n") ==
        "targets.csv:2: column 3 (z): expected a finite number, got \"-inf\"");
  CHECK(parse_error("x,y,z\n1e999,2,3\n") ==
        "targets.csv:2: column 1 (x): expected a finite number, got \"1e999\"");
}

TEST_CASE("csv: a wrong column count names the expected columns", "[csv][errors]") {
  CHECK(parse_error("x,y,z\n1,2\n") == "targets.csv:2: expected 3 columns (x,y,z), got 2");
  CHECK(parse_error("x,y,z\n1,2,3\n1,2,3,4\n") ==
        "targets.csv:3: expected 3 columns (x,y,z), got 4");
  CHECK(parse_error("x,y\n1,2\n") ==
        "targets.csv:1: expected 3 columns (x,y,z) in the header, got 2");
}

TEST_CASE("csv: a missing header or an empty file is an error", "[csv][errors]") {
  CHECK(parse_error("1,2,3\n4,5,6\n")
            .rfind("targets.csv:1: expected a header row (x,y,z), got numbers", 0) == 0);
  CHECK(parse_error("") == "targets.csv: expected a header row (x,y,z), got an empty file");
  CHECK(parse_error("\n \n") == "targets.csv: expected a header row (x,y,z), got an empty file");
}

TEST_CASE("csv: a long bad cell is shortened in the message", "[csv][errors]") {
  const std::string msg = parse_error("x,y,z\n1,2," + std::string(1000, 'a') + "\n");
  CHECK(msg.size() < 120);
  CHECK(msg.find("...\"") != std::string::npos);
}

TEST_CASE("csv: the streaming reader gives the rows in chunks, with the file's line numbers",
          "[csv][stream]") {
  TempDir dir;
  const fs::path p = dir.path / "t.csv";
  std::ofstream(p) << "\xEF\xBB\xBFx,y,z\n1,2,3\n\n4,5,6\n7,8,9\n10,11,12";  // no final newline
  NumericCsvReader reader(p.string(), kXyz);
  NumericTable chunk;
  REQUIRE(reader.read(chunk, 2));
  CHECK(chunk.header == kXyz);
  CHECK(chunk.source == p.string());
  CHECK(chunk.values == std::vector<double>{1, 2, 3, 4, 5, 6});
  CHECK(chunk.lines == std::vector<int>{2, 4});
  REQUIRE(reader.read(chunk, 2));
  CHECK(chunk.values == std::vector<double>{7, 8, 9, 10, 11, 12});
  CHECK(chunk.lines == std::vector<int>{5, 6});
  CHECK_FALSE(reader.read(chunk, 2));
  CHECK(chunk.rows() == 0);
  // the whole file at once agrees with the parser of text
  const NumericTable whole = parse_numeric_csv(slurp(p), p.string(), kXyz);
  NumericCsvReader again(p.string(), kXyz);
  REQUIRE(again.read(chunk, 100));
  CHECK(chunk.values == whole.values);
  CHECK(chunk.lines == whole.lines);
}

TEST_CASE("csv: the streaming reader refuses what the parser refuses, at the right line",
          "[csv][stream][errors]") {
  TempDir dir;
  const fs::path p = dir.path / "t.csv";
  const auto first_error = [&](const std::string& text) {
    std::ofstream(p, std::ios::trunc) << text;
    std::string message;
    try {
      NumericCsvReader reader(p.string(), kXyz);
      NumericTable chunk;
      while (reader.read(chunk, 3)) {
      }
    } catch (const Error& e) {
      message = e.what();
    }
    return message;
  };
  // a bad cell in the third chunk: its file line, as parse_numeric_csv says it
  std::string text = "x,y,z\n";
  for (int i = 0; i < 10; ++i) text += i == 8 ? "1,two,3\n" : "1,2,3\n";
  CHECK(first_error(text) == p.string() + ":10: column 2 (y): expected a number, got \"two\"");
  CHECK(first_error(text) == parse_error_in(text, p.string()));
  CHECK(first_error("") == p.string() + ": expected a header row (x,y,z), got an empty file");
  CHECK(first_error("1,2,3\n").find("expected a header row (x,y,z), got numbers") !=
        std::string::npos);
  // a line longer than the limit (a binary file with no newline) is refused, not read whole
  CHECK(first_error("x,y,z\n" + std::string(NumericCsvReader::kMaxLineBytes + 10, '1')) ==
        p.string() + ":2: expected a line of at most 1048576 bytes");
  CHECK_THROWS_WITH(NumericCsvReader((dir.path / "missing.csv").string(), kXyz),
                    Catch::Contains("missing.csv: cannot open: No such file"));
}

TEST_CASE("csv: numbers round trip exactly through 17 significant digits", "[csv]") {
  neurokin::Rng rng(7);
  std::vector<double> values = {0.0,
                                -0.0,
                                0.1,
                                1.0 / 3.0,
                                M_PI,
                                1e-300,
                                -1e300,
                                std::numeric_limits<double>::denorm_min(),
                                std::numeric_limits<double>::max()};
  for (int i = 0; i < 1000; ++i)
    values.push_back(rng.uniform(-10, 10) * std::pow(10, rng.uniform(-8, 8)));

  CsvWriter w({"v"});
  for (double v : values) w.add(v).end_row();
  CHECK(w.rows() == values.size());
  const auto t = parse_numeric_csv(w.text(), "mem", {"v"});
  REQUIRE(t.rows() == values.size());
  for (std::size_t i = 0; i < values.size(); ++i) CHECK(t.row(i)[0] == values[i]);
  CHECK(format_number(0.1) == "0.10000000000000001");
  CHECK(format_number(2.0) == "2");
}

TEST_CASE("csv: the writer lays out header, numbers, integers and tokens", "[csv]") {
  CsvWriter w({"q", "status", "iterations", "microseconds"});
  w.add(0.5).add("converged").add(12).add_fixed(3.14159, 3).end_row();
  CHECK(w.text() == "q,status,iterations,microseconds\n0.5,converged,12,3.142\n");
  CHECK(neurokin::io::split_csv_line(" a , \"b\" ,c") == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("csv: read_numeric_csv reads a file and names it in messages", "[csv][errors]") {
  TempDir dir;
  const fs::path p = dir.path / "q.csv";
  std::ofstream(p) << "x,y,z\n1,2,3\n4,5\n";
  try {
    read_numeric_csv(p.string(), kXyz);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == p.string() + ":3: expected 3 columns (x,y,z), got 2");
  }
  CHECK_THROWS_WITH(read_numeric_csv((dir.path / "missing.csv").string(), kXyz),
                    Catch::Contains("missing.csv: cannot open: No such file or directory"));
  CHECK_THROWS_WITH(read_numeric_csv(dir.path.string(), kXyz), Catch::Contains("Is a directory"));
}

TEST_CASE("atomic write: creates and replaces a file, leaving no temporary behind",
          "[csv][atomic]") {
  TempDir dir;
  const fs::path p = dir.path / "out.csv";
  write_file_atomic(p.string(), "first\n");
  CHECK(slurp(p) == "first\n");
  write_file_atomic(p.string(), "second\n");
  CHECK(slurp(p) == "second\n");
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

TEST_CASE("atomic write: a failed write leaves the old file intact", "[csv][atomic][errors]") {
  TempDir dir;
  const fs::path p = dir.path / "out.csv";
  write_file_atomic(p.string(), "precious\n");

  // into a directory that does not exist: an error naming the path, nothing created
  const fs::path missing = dir.path / "no_such_dir" / "out.csv";
  CHECK_THROWS_WITH(write_file_atomic(missing.string(), "x"),
                    Catch::Contains(missing.string()) && Catch::Contains("No such file"));
  CHECK_FALSE(fs::exists(dir.path / "no_such_dir"));

  // onto a directory: refused, the directory untouched
  CHECK_THROWS_WITH(write_file_atomic(dir.path.string(), "x"), Catch::Contains("is a directory"));

  // in a directory we may not write to (root ignores permissions, so only check when denied)
  fs::permissions(dir.path, fs::perms::owner_read | fs::perms::owner_exec);
  bool denied = ::access(dir.path.c_str(), W_OK) != 0;
  if (denied) {
    CHECK_THROWS_WITH(write_file_atomic(p.string(), "overwritten\n"),
                      Catch::Contains("Permission denied"));
  }
  fs::permissions(dir.path, fs::perms::owner_all);
  CHECK(slurp(p) == "precious\n");
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

TEST_CASE("atomic write: a write failing half way leaves the old file intact",
          "[csv][atomic][errors]") {
  TempDir dir;
  const fs::path p = dir.path / "out.csv";
  write_file_atomic(p.string(), "precious\n");

  // a file size limit makes write(2) fail with EFBIG after 16 bytes (root included)
  rlimit old_limit;
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_limit) == 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old_limit;
  small.rlim_cur = 16;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  std::string message;
  try {
    write_file_atomic(p.string(), std::string(1000, 'x'));
  } catch (const Error& e) {
    message = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  std::signal(SIGXFSZ, old_handler);

  CHECK(message == p.string() + ": write failed: File too large");
  CHECK(slurp(p) == "precious\n");
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

TEST_CASE("atomic file: written in pieces, published by commit, abandoned without it",
          "[csv][atomic]") {
  TempDir dir;
  const fs::path p = dir.path / "out.csv";
  write_file_atomic(p.string(), "precious\n");
  {
    AtomicFile f(p.string());
    f.write("half ");
    f.write("done");
    CHECK(slurp(p) == "precious\n");  // nothing shows before commit
    // an error on the way: f is destroyed uncommitted
  }
  CHECK(slurp(p) == "precious\n");
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
  AtomicFile f(p.string());
  f.write("new ");
  f.write("content\n");
  f.commit();
  CHECK(slurp(p) == "new content\n");
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

TEST_CASE("atomic file: a device is written in place, never replaced by a file", "[csv][atomic]") {
  // renaming over /dev/null would replace the device for every program (root may do that)
  write_file_atomic("/dev/null", "discarded\n");
  CHECK(fs::is_character_file("/dev/null"));
  // /dev/full fails every write with ENOSPC: a disk that is full
  CHECK_THROWS_WITH(write_file_atomic("/dev/full", "x"),
                    Catch::Equals("/dev/full: write failed: No space left on device"));
  CHECK(fs::is_character_file("/dev/full"));
}
