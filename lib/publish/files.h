// Crash-safe file output for a published webroot (internal).
#ifndef RETRACE_LIB_PUBLISH_FILES_H_
#define RETRACE_LIB_PUBLISH_FILES_H_

#include <set>
#include <string>
#include <string_view>

#include "retrace/status.h"

namespace retrace::internal {

// Writes files under one root: each to "<path>.tmp", fsync'd (if `sync`),
// then renamed into place, creating parent directories as needed. The
// directories changed are remembered for SyncDirs.
class AtomicWriter {
 public:
  AtomicWriter(std::string root, bool sync) : root_(std::move(root)), sync_(sync) {}
  // `rel` is relative to the root ("tile/0/000").
  Status Write(const std::string& rel, std::string_view data);
  // Creates the root directory (and its parents) if missing.
  Status MakeRoot() { return MakeDirs(root_); }
  // fsyncs every directory a Write changed (no-op without sync).
  Status SyncDirs();
  std::uint64_t bytes() const { return bytes_; }

 private:
  Status MakeDirs(const std::string& dir);
  std::string root_;
  bool sync_;
  std::set<std::string> dirs_;
  std::uint64_t bytes_ = 0;
};

// Holds an exclusive flock on a file while alive.
class FileLock {
 public:
  static Result<FileLock> Acquire(const std::string& path);
  FileLock(FileLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  FileLock& operator=(FileLock&&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

// Reads a file; std::nullopt-like kNotFound if it does not exist.
Result<std::string> ReadWholeFile(const std::string& path, std::size_t max_bytes);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_PUBLISH_FILES_H_
