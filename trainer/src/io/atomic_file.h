// Writing output files so that a reader never sees a half-written one: the content goes to
// a temporary file in the same directory, is flushed to disk, then renamed over the target
// (rename is atomic within one file system, POSIX.1-2008).
#pragma once

#include <string>

namespace neurokin::io {

// writes content to path ("-": standard output). On any failure throws Error naming the
// path and the reason, removes the temporary file and leaves an existing file untouched.
void write_file_atomic(const std::string& path, const std::string& content);

}  // namespace neurokin::io
