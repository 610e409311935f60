#include "io/atomic_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "io/csv.h"
#include "neurokin/error.h"

namespace neurokin::io {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what, int err) {
  throw Error(fmt::format("{}: {}: {}", path, what, std::strerror(err)));
}

// write(2) may write less than asked, or be interrupted by a signal
bool write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

// the mode a newly created file would get (0666 less the umask), or the existing file's
mode_t target_mode(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) return st.st_mode & 07777;
  const mode_t mask = ::umask(0);
  ::umask(mask);
  return 0666 & ~mask;
}

}  // namespace

AtomicFile::AtomicFile(const std::string& path) : path_(path) {
  if (path == kStdStream) {
    stdout_ = true;
    return;
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (fs::is_directory(st)) throw Error(fmt::format("{}: is a directory", path));
  if (fs::exists(st) && !fs::is_regular_file(st)) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd_ < 0) fail(path, "cannot open", errno);
    return;
  }

  // the temporary file lives beside the target so that rename() stays on one file system
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  tmp_ = (dir / ("." + target.filename().string() + ".XXXXXX.tmp")).string();
  fd_ = ::mkstemps(tmp_.data(), 4);
  if (fd_ < 0) fail(path, fmt::format("cannot create a file in {}", dir.string()), errno);
  if (::fchmod(fd_, target_mode(path)) != 0) {
    const int err = errno;
    ::close(fd_);
    ::unlink(tmp_.c_str());
    fail(path, "cannot set permissions", err);
  }
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !tmp_.empty()) ::unlink(tmp_.c_str());
}

void AtomicFile::write(std::string_view data) {
  if (stdout_) {
    if (std::fwrite(data.data(), 1, data.size(), stdout) != data.size())
      fail("<stdout>", "write failed", errno);
    return;
  }
  if (!write_all(fd_, data.data(), data.size())) fail(path_, "write failed", errno);
}

void AtomicFile::commit() {
  if (stdout_) {
    if (std::fflush(stdout) != 0) fail("<stdout>", "write failed", errno);
    committed_ = true;
    return;
  }
  const int fd = fd_;
  fd_ = -1;
  if (tmp_.empty()) {
    // in place (a device, a FIFO): nothing to flush to a disk, nothing to rename
    if (::close(fd) != 0) fail(path_, "write failed", errno);
    committed_ = true;
    return;
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    fail(path_, "write failed", err);
  }
  if (::close(fd) != 0) fail(path_, "write failed", errno);
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) fail(path_, "cannot replace", errno);
  committed_ = true;

  // make the rename itself durable; failure here loses nothing already written
  const std::filesystem::path target(path_);
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

void write_file_atomic(const std::string& path, const std::string& content) {
  AtomicFile file(path);
  file.write(content);
  file.commit();
}

void check_writable(const std::string& path) { AtomicFile probe(path); }

}  // namespace neurokin::io
