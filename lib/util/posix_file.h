// Small POSIX file helpers shared by the key files (lib/crypto/keys.cc), the
// witness state (lib/transparency/witness.cc) and the storage layer: a
// descriptor that closes itself, a write that survives EINTR and short
// writes, and errno text.
#ifndef RETRACE_LIB_UTIL_POSIX_FILE_H_
#define RETRACE_LIB_UTIL_POSIX_FILE_H_

#include <string>
#include <string_view>

#include "retrace/status.h"

namespace retrace::internal {

// Owns a file descriptor (-1 for none) and closes it when destroyed.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd();
  int get() const { return fd_; }
  // Closes now and returns close's result: close can report a deferred
  // write error, which a caller that promises durability must see.
  int Close();
  // Closes the descriptor held, if any, and takes `fd`.
  void Reset(int fd);

 private:
  int fd_;
};

// strerror(err) as a string.
std::string ErrnoMessage(int err);

// Writes all of `data` to `fd`, retrying on EINTR and short writes.
// kIoError (with errno's text) on failure; some bytes may have been written.
Status WriteAll(int fd, std::string_view data);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_UTIL_POSIX_FILE_H_
