// A small HTTP client over libcurl (internal): GET and POST with bounded
// time and size, for fetching published tiles (mirror, monitor) and for
// asking witnesses to cosign (tlog-witness add-checkpoint).
//
// Only http:// and https:// URLs are followed (no file://, no other
// protocol, also not through a redirect); at most 3 redirects. Responses
// are decoded from gzip/deflate if the server compressed them. A response
// body larger than `max_bytes` is refused while it is being read.
//
// Thread safety: every function may be called from many threads at once
// (each call has its own curl handle; global initialisation runs once).
#ifndef RETRACE_LIB_NET_HTTP_CLIENT_H_
#define RETRACE_LIB_NET_HTTP_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "retrace/status.h"

namespace retrace::internal {

struct HttpRequestOptions {
  // Time to establish the connection, and for the whole exchange.
  std::uint32_t connect_timeout_ms = 5000;
  std::uint32_t timeout_ms = 30000;
  // Largest response body accepted (after decompression).
  std::size_t max_bytes = std::size_t{64} << 20;
  // If set and it becomes true, the transfer stops with kIoError ("cancelled").
  const std::atomic<bool>* cancel = nullptr;
};

struct HttpResponse {
  long status = 0;           // HTTP status code
  std::string body;
  std::string content_type;  // as sent (empty if none)
};

// True for an http:// or https:// URL.
bool IsHttpUrl(std::string_view s);

// GET `url`. Any HTTP status is a response (the caller judges it); errors:
// kInvalidArgument for a URL that is not http(s); kIoError for a network
// failure, a timeout or cancellation (naming which); kResourceExhausted for a
// body over max_bytes.
Result<HttpResponse> HttpGet(const std::string& url, const HttpRequestOptions& options);

// POST `body` with `content_type` to `url`. Errors as HttpGet.
Result<HttpResponse> HttpPost(const std::string& url, std::string_view body,
                              std::string_view content_type, const HttpRequestOptions& options);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_NET_HTTP_CLIENT_H_
