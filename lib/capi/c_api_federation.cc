// The C API of federation (retrace/c.h, docs/federation.md) over the
// public C++ API; the conventions of c_api.cc (capi/c_api_internal.h).
#include <string>
#include <vector>

#include "capi/c_api_internal.h"
#include "retrace/c.h"
#include "retrace/federation.h"
#include "retrace/mirror.h"
#include "retrace/witness.h"

namespace {

using retrace::Result;
using retrace::Status;
using retrace::internal::CapiGuard;

Status Null(const char* name) { return retrace::InvalidArgumentError(std::string(name) + " is NULL"); }

// The receipt of `bundle` in `ledger`, signed by `consignee`, with
// `proof` (or, if `sender_log` is given, the proof read from the tiles the
// sender publishes there).
Status Receive(retrace_ledger* ledger, const retrace_signer* consignee, const uint8_t* bundle,
               size_t bundle_len, std::vector<retrace::Hash> proof, const char* sender_log,
               const char* event_id, uint64_t* out_seq) {
  if (ledger == nullptr) return Null("ledger");
  const retrace::Signer* signer = retrace::internal::CapiSigner(consignee);
  if (signer == nullptr) return Null("consignee");
  if (bundle == nullptr) return Null("bundle");
  const std::string bytes(reinterpret_cast<const char*>(bundle), bundle_len);
  if (sender_log != nullptr) {
    const std::string source = sender_log;
    Result<std::vector<retrace::Hash>> read = retrace::ReceiptConsistencyProof(
        *ledger->impl, bytes,
        [&source](const retrace::Checkpoint& larger,
                  std::uint64_t size) -> Result<std::vector<retrace::Hash>> {
          Result<retrace::PublishedPrefix> p = retrace::ReadPublishedPrefix(source, larger, size);
          if (!p.ok()) return p.status();
          return std::move(p->consistency_proof);
        });
    if (!read.ok()) return read.status().Annotate("sender_log");
    proof = std::move(*read);
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
}

}  // namespace

extern "C" {

int retrace_ledger_receive(retrace_ledger* ledger, const retrace_signer* consignee,
                           const uint8_t* bundle, size_t bundle_len, const char* consistency,
                           size_t consistency_len, const char* event_id, uint64_t* out_seq) {
  return CapiGuard([&]() -> Status {
    std::vector<retrace::Hash> proof;
    if (consistency != nullptr) {
      Result<retrace::AddCheckpointRequest> req =
          retrace::ParseAddCheckpointRequest(std::string_view(consistency, consistency_len));
      if (!req.ok()) return req.status().Annotate("consistency");
      proof = std::move(req->consistency_proof);
    }
    return Receive(ledger, consignee, bundle, bundle_len, std::move(proof), nullptr, event_id,
                   out_seq);
  });
}

int retrace_ledger_receive_published(retrace_ledger* ledger, const retrace_signer* consignee,
                                     const uint8_t* bundle, size_t bundle_len,
                                     const char* sender_log, const char* event_id,
                                     uint64_t* out_seq) {
  return CapiGuard([&]() -> Status {
    if (sender_log == nullptr) return Null("sender_log");
    return Receive(ledger, consignee, bundle, bundle_len, {}, sender_log, event_id, out_seq);
  });
}

int retrace_ledger_compare_checkpoints(const retrace_ledger* ledger, const char* origin,
                                       const char* const* notes, size_t n_notes,
                                       const char* sender_log, char** out_json, size_t* out_len) {
  return CapiGuard([&]() -> Status {
    if (ledger == nullptr) return Null("ledger");
    if (origin == nullptr) return Null("origin");
    if (notes == nullptr && n_notes > 0) return Null("notes");
    if (out_json == nullptr) return Null("out_json");
    std::vector<std::string> theirs;
    for (size_t i = 0; i < n_notes; ++i) {
      if (notes[i] == nullptr) return Null("a note");
      theirs.emplace_back(notes[i]);
    }
    retrace::PrefixRootReader reader;
    if (sender_log != nullptr) {
      reader = [source = std::string(sender_log)](const retrace::Checkpoint& larger,
                                                  std::uint64_t size) -> Result<retrace::Hash> {
        Result<retrace::PublishedPrefix> p = retrace::ReadPublishedPrefix(source, larger, size);
        if (!p.ok()) return p.status();
        return p->root;
      };
    }
    Result<retrace::CheckpointComparison> c =
        retrace::CompareForeignCheckpoints(*ledger->impl, origin, theirs, reader);
    if (!c.ok()) return c.status();
    return retrace::internal::CapiGive(retrace::CheckpointComparisonToJson(*c), out_json, out_len);
  });
}

int retrace_ledger_import_registry(retrace_ledger* ledger, const retrace_ledger* registry,
                                   uint64_t max_records, uint64_t* out_appended) {
  return CapiGuard([&]() -> Status {
    if (ledger == nullptr) return Null("ledger");
    if (registry == nullptr) return Null("registry");
    Result<retrace::RegistryImportResult> r =
        retrace::ImportRegistry(*ledger->impl, *registry->impl, max_records);
    if (!r.ok()) return r.status();
    if (out_appended != nullptr) *out_appended = r->appended;
    return Status::Ok();
  });
}

}  // extern "C"
