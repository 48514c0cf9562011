// Reading a published log from a directory or an http(s) URL (internal).
#ifndef RETRACE_LIB_PUBLISH_FETCH_H_
#define RETRACE_LIB_PUBLISH_FETCH_H_

#include <cstdint>
#include <string>

#include "retrace/mirror.h"
#include "retrace/status.h"

namespace retrace::internal {

// One source and the bytes read from it so far.
class Fetcher {
 public:
  Fetcher(std::string source, FetchOptions options);
  // kNotFound for a resource the source does not have (404, no file).
  Result<std::string> Get(const std::string& path, std::size_t max_bytes);
  std::uint64_t bytes() const { return bytes_; }
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  FetchOptions options_;
  bool http_;
  std::uint64_t bytes_ = 0;
};

}  // namespace retrace::internal

#endif  // RETRACE_LIB_PUBLISH_FETCH_H_
