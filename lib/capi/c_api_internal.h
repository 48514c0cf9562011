// What the C API's files share (internal): the handles more than one file
// opens, and the conventions of every entry point (lib/capi/c_api.cc).
#ifndef RETRACE_LIB_CAPI_C_API_INTERNAL_H_
#define RETRACE_LIB_CAPI_C_API_INTERNAL_H_

#include <functional>
#include <memory>
#include <string_view>

#include "retrace/c.h"
#include "retrace/ledger.h"
#include "retrace/note.h"
#include "retrace/signer.h"
#include "retrace/status.h"

struct retrace_ledger {
  std::unique_ptr<retrace::Ledger> impl;
};
struct retrace_note_signer {
  std::unique_ptr<retrace::NoteSigner> impl;
};
struct retrace_note_verifier {
  retrace::NoteVerifier impl;
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

#endif  // RETRACE_LIB_CAPI_C_API_INTERNAL_H_
