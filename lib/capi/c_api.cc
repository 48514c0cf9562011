// The C API (retrace/c.h) over the public C++ API.
//
// Invariants every entry point keeps:
//   - nothing is thrown out: Guard() turns bad_alloc into
//     RETRACE_RESOURCE_EXHAUSTED and anything else into RETRACE_INTERNAL;
//   - the thread's last-error message is set on every int-returning call
//     ("" on success);
//   - out parameters are written only on success (handles are NULLed first,
//     so a caller's cleanup path can free them unconditionally);
//   - every buffer handed out is malloc'd, so retrace_free() is free().
//
// This file holds what every entry point shares (the thread's last error,
// the buffers handed out) and the entry points of no handle: strerror,
// last_error, free, version. Each handle family has its own file:
// c_api_keys.cc, c_api_ledger.cc, c_api_append.cc, c_api_report.cc,
// c_api_transparency.cc, c_api_epcis.cc, c_api_publish.cc.
#include "retrace/c.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>

#include "capi/c_api_internal.h"

#ifndef RETRACE_VERSION_STRING
#define RETRACE_VERSION_STRING "0.0.0"
#endif

namespace retrace::internal::capi {

thread_local std::string t_last_error;

void SetMessage(std::string_view m) noexcept {
  try {
    t_last_error.assign(m);
  } catch (...) {
    t_last_error.clear();  // cannot allocate: an empty message beats none
  }
}

int Fail(const Status& st) noexcept {
  SetMessage(st.message());
  return static_cast<int>(st.code());
}

int Fail(StatusCode code, std::string_view message) noexcept {
  SetMessage(message);
  return static_cast<int>(code);
}

Status NullArg(const char* name) {
  return retrace::InvalidArgumentError(std::string(name) + " is NULL");
}

// Copies `s` into a malloc'd NUL-terminated buffer.
Status Give(std::string_view s, char** out, size_t* out_len) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p == nullptr) return retrace::ResourceExhaustedError("out of memory");
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  *out = p;
  if (out_len != nullptr) *out_len = s.size();
  return Status::Ok();
}

Status GiveBytes(std::string_view s, uint8_t** out, size_t* out_len) {
  char* p = nullptr;
  RETRACE_REQUIRE(out_len);
  Status st = Give(s, &p, out_len);
  if (st.ok()) *out = reinterpret_cast<uint8_t*>(p);
  return st;
}

void CopyHash(const retrace::Hash& h, uint8_t out[32]) {
  if (out != nullptr) std::memcpy(out, h.data(), 32);
}

std::string_view View(const char* p, size_t len) { return std::string_view(p, len); }

}  // namespace retrace::internal::capi

using namespace retrace::internal::capi;  // NOLINT(build/namespaces)

namespace retrace::internal {
int CapiGuard(const std::function<Status()>& body) noexcept { return Guard(body); }
Status CapiGive(std::string_view s, char** out, size_t* out_len) { return Give(s, out, out_len); }
}  // namespace retrace::internal

extern "C" {

const char* retrace_strerror(int code) {
  if (code < 0 || code > 9) return "unknown error";
  return retrace::StatusCodeName(static_cast<StatusCode>(code));
}

const char* retrace_last_error(void) { return t_last_error.c_str(); }

void retrace_free(void* ptr) { std::free(ptr); }

const char* retrace_version(void) { return RETRACE_VERSION_STRING; }

}  // extern "C"
