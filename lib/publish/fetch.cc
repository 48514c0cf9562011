#include "publish/fetch.h"

#include <chrono>
#include <thread>

#include "net/http_client.h"
#include "publish/files.h"

namespace retrace::internal {

Fetcher::Fetcher(std::string source, FetchOptions options)
    : source_(std::move(source)), options_(options), http_(IsHttpUrl(source_)) {
  while (source_.size() > 1 && source_.back() == '/') source_.pop_back();
}

Result<std::string> Fetcher::Get(const std::string& path, std::size_t max_bytes) {
  const std::string where = source_ + "/" + path;
  if (!http_) {
    Result<std::string> r = ReadWholeFile(where, max_bytes);
    if (r.ok()) bytes_ += r->size();
    return r;
  }
  HttpRequestOptions o;
  o.connect_timeout_ms = options_.connect_timeout_ms;
  o.timeout_ms = options_.timeout_ms;
  o.max_bytes = max_bytes;
  const unsigned attempts = options_.attempts == 0 ? 1 : options_.attempts;
  Status last;
  for (unsigned a = 0; a < attempts; ++a) {
    if (a > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100u << (a - 1)));
    Result<HttpResponse> r = HttpGet(where, o);
    if (!r.ok()) {
      if (r.status().code() != StatusCode::kIoError) return r.status();
      last = r.status();
      continue;
    }
    bytes_ += r->body.size();
    if (r->status == 200) return std::move(r->body);
    if (r->status == 404 || r->status == 410) return NotFoundError(where + ": HTTP " + std::to_string(r->status));
    last = IoError(where + ": HTTP " + std::to_string(r->status));
    if (r->status < 500) return last;  // a client error is not retried
  }
  return IoError(last.message() + " (after " + std::to_string(attempts) + " attempts)");
}

}  // namespace retrace::internal
