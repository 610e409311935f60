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

void write_file_atomic(const std::string& path, const std::string& content) {
  if (path == kStdStream) {
    if (std::fwrite(content.data(), 1, content.size(), stdout) != content.size() ||
        std::fflush(stdout) != 0) {
      fail("<stdout>", "write failed", errno);
    }
    return;
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw Error(fmt::format("{}: is a directory", path));

  // the temporary file lives beside the target so that rename() stays on one file system
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmp = (dir / ("." + target.filename().string() + ".XXXXXX.tmp")).string();
  const int fd = ::mkstemps(tmp.data(), 4);
  if (fd < 0) fail(path, fmt::format("cannot create a file in {}", dir.string()), errno);

  int err = 0;
  const char* step = nullptr;
  if (::fchmod(fd, target_mode(path)) != 0) {
    err = errno, step = "cannot set permissions";
  } else if (!write_all(fd, content.data(), content.size())) {
    err = errno, step = "write failed";
  } else if (::fsync(fd) != 0) {
    err = errno, step = "write failed";
  }
  if (::close(fd) != 0 && !step) err = errno, step = "write failed";
  if (!step && ::rename(tmp.c_str(), path.c_str()) != 0) err = errno, step = "cannot replace";
  if (step) {
    ::unlink(tmp.c_str());
    fail(path, step, err);
  }

  // make the rename itself durable; failure here loses nothing already written
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace neurokin::io
