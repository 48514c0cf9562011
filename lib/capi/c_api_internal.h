// What the C API's files share (internal): the handles, and the conventions
// of every entry point (lib/capi/c_api.cc states them).
#ifndef RETRACE_LIB_CAPI_C_API_INTERNAL_H_
#define RETRACE_LIB_CAPI_C_API_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "retrace/bundle.h"
#include "retrace/c.h"
#include "retrace/event_batch.h"
#include "retrace/hash.h"
#include "retrace/ledger.h"
#include "retrace/note.h"
#include "retrace/signer.h"
#include "retrace/status.h"
#include "retrace/verifier.h"

struct retrace_ledger {
  std::unique_ptr<retrace::Ledger> impl;
};
struct retrace_note_signer {
  std::unique_ptr<retrace::NoteSigner> impl;
};
struct retrace_note_verifier {
  retrace::NoteVerifier impl;
};
struct retrace_options {
  retrace::Options o;
};
struct retrace_signer {
  std::unique_ptr<retrace::Signer> impl;
};
struct retrace_public_key {
  retrace::PublicKey key;
};
struct retrace_batch {
  explicit retrace_batch(retrace::Ledger& l) : batch(l) {}
  retrace::EventBatch batch;
};
struct retrace_report {
  bool audit = false;
  bool bundle = false;                // verify is then the bundle's lineage
  retrace::VerifyReport verify;
  retrace::AuditReport audit_report;
  retrace::BundleReport bundle_report;  // lineage moved out into verify
  const std::vector<retrace::Finding>& findings() const {
    if (bundle) return bundle_report.findings;
    return audit ? audit_report.findings : verify.findings;
  }
};

namespace retrace::internal {

// Runs `body` as every entry point does: nothing thrown escapes, the
// thread's last error is set ("" on success), the Status becomes the code.
int CapiGuard(const std::function<Status()>& body) noexcept;

// The signer behind a retrace_signer handle (nullptr for NULL).
const retrace::Signer* CapiSigner(const retrace_signer* signer) noexcept;

// Copies `s` into a malloc'd NUL-terminated buffer (*out_len, if given,
// without the NUL), released with retrace_free.
Status CapiGive(std::string_view s, char** out, size_t* out_len);

}  // namespace retrace::internal

// The conventions of every entry point (c_api.cc), shared by the files of
// the handle families.
namespace retrace::internal::capi {

using retrace::Result;
using retrace::Status;
using retrace::StatusCode;

// The calling thread's last error message (retrace_last_error).
extern thread_local std::string t_last_error;

void SetMessage(std::string_view m) noexcept;
int Fail(const Status& st) noexcept;
int Fail(StatusCode code, std::string_view message) noexcept;

template <typename F>
int Guard(F&& body) noexcept {
  try {
    Status st = body();
    if (st.ok()) {
      t_last_error.clear();
      return RETRACE_OK;
    }
    return Fail(st);
  } catch (const std::bad_alloc&) {
    return Fail(StatusCode::kResourceExhausted, "out of memory");
  } catch (const std::exception& e) {
    std::string m = "internal error: ";
    return Fail(StatusCode::kInternal, m + e.what());
  } catch (...) {
    return Fail(StatusCode::kInternal, "internal error: unknown exception");
  }
}

Status NullArg(const char* name);

#define RETRACE_REQUIRE(p)                          \
  do {                                              \
    if ((p) == nullptr) return NullArg(#p);         \
  } while (0)

// Copies `s` into a malloc'd NUL-terminated buffer.
Status Give(std::string_view s, char** out, size_t* out_len);
Status GiveBytes(std::string_view s, uint8_t** out, size_t* out_len);
void CopyHash(const retrace::Hash& h, uint8_t out[32]);
std::string_view View(const char* p, size_t len);

}  // namespace retrace::internal::capi

#endif  // RETRACE_LIB_CAPI_C_API_INTERNAL_H_
