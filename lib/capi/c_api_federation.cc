// The C API of federation (retrace/c.h, docs/federation.md) over the
// public C++ API; the conventions of c_api.cc (capi/c_api_internal.h).
#include <string>
#include <vector>

#include "capi/c_api_internal.h"
#include "retrace/c.h"
#include "retrace/federation.h"
#include "retrace/witness.h"

namespace {

using retrace::Result;
using retrace::Status;
using retrace::internal::CapiGuard;

Status Null(const char* name) { return retrace::InvalidArgumentError(std::string(name) + " is NULL"); }

}  // namespace

extern "C" {

int retrace_ledger_receive(retrace_ledger* ledger, const retrace_signer* consignee,
                           const uint8_t* bundle, size_t bundle_len, const char* consistency,
                           size_t consistency_len, const char* event_id, uint64_t* out_seq) {
  return CapiGuard([&]() -> Status {
    if (ledger == nullptr) return Null("ledger");
    const retrace::Signer* signer = retrace::internal::CapiSigner(consignee);
    if (signer == nullptr) return Null("consignee");
    if (bundle == nullptr) return Null("bundle");
    const std::string bytes(reinterpret_cast<const char*>(bundle), bundle_len);
    std::vector<retrace::Hash> proof;
    if (consistency != nullptr) {
      Result<retrace::AddCheckpointRequest> req =
          retrace::ParseAddCheckpointRequest(std::string_view(consistency, consistency_len));
      if (!req.ok()) return req.status().Annotate("consistency");
      proof = std::move(req->consistency_proof);
    }
    Result<retrace::Event> ev = retrace::PrepareCrossLedgerReceipt(*ledger->impl, bytes);
    if (!ev.ok()) return ev.status();
    if (event_id != nullptr) ev->event_id = event_id;
    Result<retrace::SignedEvent> se = retrace::SignEvent(*ev, *signer);
    if (!se.ok()) return se.status();
    Result<retrace::AppendResult> at = retrace::AppendCrossLedgerReceipt(
        *ledger->impl, retrace::CrossLedgerReceipt{std::move(*se), bytes, std::move(proof)});
    if (!at.ok()) return at.status();
    if (out_seq != nullptr) *out_seq = at->seq;
    return Status::Ok();
  });
}

}  // extern "C"
