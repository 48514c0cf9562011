// Order of durability: a file's data is fsync'd before its rename, and the
// directories holding new names are fsync'd (SyncDirs) before the caller
// renames the checkpoint that refers to them; so after a power loss a
// published checkpoint never names a tile that is missing.
#include "publish/files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "util/posix_file.h"

namespace retrace::internal {

Status AtomicWriter::MakeDirs(const std::string& dir) {
  if (dir.empty() || dirs_.count(dir)) return Status::Ok();
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return IoError(dir + " exists and is not a directory");
    return Status::Ok();
  }
  const std::size_t slash = dir.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    const std::string parent = dir.substr(0, slash);
    if (Status s = MakeDirs(parent); !s.ok()) return s;
    if (sync_) dirs_.insert(parent);  // gains an entry
  }
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return IoError("cannot create " + dir + ": " + ErrnoMessage(errno));
  }
  return Status::Ok();
}

Status AtomicWriter::Write(const std::string& rel, std::string_view data) {
  const std::string path = root_ + "/" + rel;
  const std::string dir = path.substr(0, path.find_last_of('/'));
  if (Status s = MakeDirs(dir); !s.ok()) return s;
  const std::string tmp = path + ".tmp";
  ScopedFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) return IoError("cannot create " + tmp + ": " + ErrnoMessage(errno));
  Status st = WriteAll(fd.get(), data);
  if (st.ok() && sync_ && ::fdatasync(fd.get()) != 0) st = IoError(ErrnoMessage(errno));
  if (fd.Close() != 0 && st.ok()) st = IoError(ErrnoMessage(errno));
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    st = IoError("cannot rename " + tmp + ": " + ErrnoMessage(errno));
  }
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return IoError("writing " + path + " failed: " + st.message());
  }
  if (sync_) dirs_.insert(dir);
  bytes_ += data.size();
  return Status::Ok();
}

Status AtomicWriter::SyncDirs() {
  for (const std::string& d : dirs_) {
    ScopedFd fd(::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0 || ::fsync(fd.get()) != 0) {
      return IoError("cannot sync the directory " + d + ": " + ErrnoMessage(errno));
    }
  }
  dirs_.clear();
  return Status::Ok();
}

Result<FileLock> FileLock::Acquire(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("cannot open the lock file " + path + ": " + ErrnoMessage(errno));
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno != EINTR) {
      const int err = errno;
      ::close(fd);
      return IoError("cannot lock " + path + ": " + ErrnoMessage(err));
    }
  }
  return FileLock(fd);
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::string> ReadWholeFile(const std::string& path, std::size_t max_bytes) {
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return NotFoundError(path + " does not exist");
    return IoError("cannot open " + path + ": " + ErrnoMessage(errno));
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return IoError("cannot stat " + path + ": " + ErrnoMessage(errno));
  if (!S_ISREG(st.st_mode)) return NotFoundError(path + " is not a regular file");
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("cannot read " + path + ": " + ErrnoMessage(errno));
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
      return ResourceExhaustedError(path + " is larger than " + std::to_string(max_bytes) +
                                    " bytes");
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace retrace::internal
