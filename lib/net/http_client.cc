// libcurl easy handles, one per request. curl_global_init is run once
// (std::call_once) before the first handle: it is not thread-safe in every
// libcurl build.
#include "net/http_client.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>

namespace retrace::internal {
namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

struct Sink {
  std::string* body = nullptr;
  std::size_t max_bytes = 0;
  bool too_large = false;
};

std::size_t WriteCb(char* data, std::size_t size, std::size_t n, void* user) {
  Sink* sink = static_cast<Sink*>(user);
  const std::size_t len = size * n;
  if (sink->body->size() + len > sink->max_bytes) {
    sink->too_large = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  sink->body->append(data, len);
  return len;
}

int ProgressCb(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* cancel = static_cast<const std::atomic<bool>*>(user);
  return cancel != nullptr && cancel->load(std::memory_order_relaxed) ? 1 : 0;
}

Result<HttpResponse> Perform(const std::string& url, const std::string* post_body,
                             std::string_view content_type, const HttpRequestOptions& o) {
  if (!IsHttpUrl(url)) return InvalidArgumentError("not an http(s) URL: " + url);
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return InternalError("curl_easy_init failed");
  CURL* c = curl.get();
  HttpResponse resp;
  Sink sink{&resp.body, o.max_bytes, false};
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout_ms));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(o.timeout_ms));
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // gzip, deflate, identity...
  curl_easy_setopt(c, CURLOPT_USERAGENT, "retrace/" "1");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteCb);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  if (o.cancel != nullptr) {
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, ProgressCb);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(o.cancel));
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  }
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  if (post_body != nullptr) {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, post_body->data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(post_body->size()));
    const std::string h = "Content-Type: " + std::string(content_type);
    headers.reset(curl_slist_append(nullptr, h.c_str()));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  }
  const CURLcode rc = curl_easy_perform(c);
  if (sink.too_large) {
    return ResourceExhaustedError("the response of " + url + " exceeds " +
                                  std::to_string(o.max_bytes) + " bytes");
  }
  if (rc != CURLE_OK) {
    std::string why = errbuf[0] != 0 ? errbuf : curl_easy_strerror(rc);
    if (rc == CURLE_ABORTED_BY_CALLBACK) why = "cancelled";
    if (rc == CURLE_OPERATION_TIMEDOUT) why = "timed out (" + why + ")";
    return IoError("HTTP request to " + url + " failed: " + why);
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  char* ct = nullptr;
  if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != nullptr) {
    resp.content_type = ct;
  }
  return resp;
}

}  // namespace

bool IsHttpUrl(std::string_view s) {
  return s.substr(0, 7) == "http://" || s.substr(0, 8) == "https://";
}

Result<HttpResponse> HttpGet(const std::string& url, const HttpRequestOptions& options) {
  return Perform(url, nullptr, {}, options);
}

Result<HttpResponse> HttpPost(const std::string& url, std::string_view body,
                              std::string_view content_type, const HttpRequestOptions& options) {
  const std::string b(body);
  return Perform(url, &b, content_type, options);
}

}  // namespace retrace::internal
