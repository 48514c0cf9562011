#include "util/posix_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace retrace::internal {

ScopedFd::~ScopedFd() {
  if (fd_ >= 0) ::close(fd_);
}

void ScopedFd::Reset(int fd) {
  if (fd_ >= 0 && fd_ != fd) ::close(fd_);
  fd_ = fd;
}

int ScopedFd::Close() {
  const int rc = ::close(fd_);
  fd_ = -1;
  return rc;
}

std::string ErrnoMessage(int err) { return std::strerror(err); }

Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError(ErrnoMessage(errno));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::Ok();
}

}  // namespace retrace::internal
