// Writing output files so that a reader never sees a half-written one: the content goes to
// a temporary file in the same directory, is flushed to disk, then renamed over the target
// (rename is atomic within one file system, POSIX.1-2008).
#pragma once

#include <string>
#include <string_view>

namespace neurokin::io {

// an output file written in pieces and published whole. The pieces go to a temporary file beside
// path; commit() flushes it to disk and renames it over path. Destroyed without commit() (an
// error on the way) it removes the temporary file, and an existing file at path is untouched.
// "-" writes straight to standard output, and so does a path that exists and is no regular file
// (/dev/null, a FIFO): those cannot be replaced whole, and replacing a device node would be worse.
// Every failure throws Error naming the path and the OS's reason ("out.csv: write failed: No
// space left on device").
class AtomicFile {
 public:
  explicit AtomicFile(const std::string& path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(std::string_view data);
  void commit();

 private:
  std::string path_;
  std::string tmp_;  // empty when writing in place
  int fd_ = -1;      // -1 for standard output (stdio) and once closed
  bool stdout_ = false;
  bool committed_ = false;
};

// writes content to path as one AtomicFile
void write_file_atomic(const std::string& path, const std::string& content);

// throws the Error the first write to path would: a temporary file is made beside path and
// removed, so a long job fails at its start, not at its end, when its output directory is not
// writable
void check_writable(const std::string& path);

}  // namespace neurokin::io
