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
#include "retrace/c.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>

#include "retrace/bundle.h"
#include "retrace/checkpoint.h"
#include "retrace/epcis.h"
#include "retrace/event.h"
#include "retrace/event_batch.h"
#include "retrace/federation.h"
#include "retrace/json.h"
#include "retrace/ledger.h"
#include "retrace/note.h"
#include "retrace/render.h"
#include "retrace/signer.h"
#include "retrace/verifier.h"
#include "retrace/witness.h"
#include "capi/c_api_internal.h"
#include "util/status_macros.h"

#ifndef RETRACE_VERSION_STRING
#define RETRACE_VERSION_STRING "0.0.0"
#endif

struct retrace_options {
  retrace::Options o;
};
// retrace_ledger, retrace_note_signer and retrace_note_verifier are in
// capi/c_api_internal.h (c_api_publish.cc opens them too).
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

namespace {

using retrace::Result;
using retrace::Status;
using retrace::StatusCode;

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

Status NullArg(const char* name) {
  return retrace::InvalidArgumentError(std::string(name) + " is NULL");
}

#define RETRACE_REQUIRE(p)                          \
  do {                                              \
    if ((p) == nullptr) return NullArg(#p);         \
  } while (0)

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

// Parses event JSON and fills what an ERP does not track (c.h "Appending").
Result<retrace::Event> ParseEvent(std::string_view json) {
  Result<retrace::Event> ev = retrace::EventFromJson(json);
  if (!ev.ok()) return ev.status();
  if (ev->actor_id.empty()) {
    return retrace::InvalidArgumentError("the event has no actorId: name the signing actor");
  }
  retrace::FillEventDefaults(&*ev);
  return ev;
}

// Calls fn(line) for each non-blank line of a JSON Lines text, in order, and
// stops at the first error, which it returns annotated with the line number.
template <typename Fn>
Status ForEachJsonLine(std::string_view text, Fn&& fn) {
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    Status st = fn(line);
    if (!st.ok()) return st.Annotate("line " + std::to_string(line_no));
  }
  return Status::Ok();
}

// The events of a JSON Lines text, each linked to `link`'s current state
// (LinkParents) when it is given; kInvalidArgument if the text holds none.
Result<std::vector<retrace::Event>> JsonLinesEvents(std::string_view text,
                                                    const retrace::Ledger* link) {
  std::vector<retrace::Event> events;
  RETURN_IF_ERROR(ForEachJsonLine(text, [&](std::string_view line) {
    Result<retrace::Event> ev = ParseEvent(line);
    Status st = ev.ok() && link != nullptr ? link->LinkParents(&*ev) : ev.status();
    if (st.ok()) events.push_back(std::move(*ev));
    return st;
  }));
  if (events.empty()) return retrace::InvalidArgumentError("no event in the JSON Lines");
  return events;
}

// Hands an append's first sequence number (if any) and count to the caller.
Status GiveAppended(const Result<std::vector<retrace::AppendResult>>& r, uint64_t* out_first_seq,
                    size_t* out_count) {
  if (!r.ok()) return r.status();
  if (out_first_seq != nullptr && !r->empty()) *out_first_seq = r->front().seq;
  if (out_count != nullptr) *out_count = r->size();
  return Status::Ok();
}

Status AppendOne(retrace::Ledger& ledger, const retrace::SignedEvent& se, uint64_t* out_seq,
                 uint8_t out_hash[32]) {
  Result<retrace::AppendResult> at = ledger.Append(se);
  if (!at.ok()) return at.status();
  if (out_seq != nullptr) *out_seq = at->seq;
  CopyHash(at->hash, out_hash);
  return Status::Ok();
}

Result<retrace::VerifyReport> Verify(const retrace_ledger* ledger, const char* lot_id) {
  if (ledger == nullptr) return NullArg("ledger");
  if (lot_id == nullptr) return NullArg("lot_id");
  // Across ledgers, as `retrace verify` (docs/federation.md).
  return retrace::VerifyLotAcrossLedgers(*ledger->impl, lot_id);
}

}  // namespace

namespace retrace::internal {
int CapiGuard(const std::function<Status()>& body) noexcept { return Guard(body); }
Status CapiGive(std::string_view s, char** out, size_t* out_len) { return Give(s, out, out_len); }
const Signer* CapiSigner(const retrace_signer* signer) noexcept {
  return signer != nullptr ? signer->impl.get() : nullptr;
}
}  // namespace retrace::internal

extern "C" {

const char* retrace_strerror(int code) {
  if (code < 0 || code > 9) return "unknown error";
  return retrace::StatusCodeName(static_cast<StatusCode>(code));
}

const char* retrace_last_error(void) { return t_last_error.c_str(); }

void retrace_free(void* ptr) { std::free(ptr); }

const char* retrace_version(void) { return RETRACE_VERSION_STRING; }

// --- keys -------------------------------------------------------------------

int retrace_signer_generate(const char* algorithm, retrace_signer** out_signer) {
  if (out_signer != nullptr) *out_signer = nullptr;
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(algorithm);
    RETRACE_REQUIRE(out_signer);
    Result<retrace::Algorithm> alg = retrace::ParseAlgorithm(algorithm);
    if (!alg.ok()) return alg.status();
    Result<std::unique_ptr<retrace::Signer>> s = retrace::Signer::Generate(*alg);
    if (!s.ok()) return s.status();
    *out_signer = new retrace_signer{std::move(*s)};
    return Status::Ok();
  });
}

int retrace_signer_load(const char* path, retrace_signer** out_signer) {
  if (out_signer != nullptr) *out_signer = nullptr;
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(path);
    RETRACE_REQUIRE(out_signer);
    Result<std::unique_ptr<retrace::Signer>> s = retrace::Signer::LoadPrivateKeyFile(path);
    if (!s.ok()) return s.status();
    *out_signer = new retrace_signer{std::move(*s)};
    return Status::Ok();
  });
}

int retrace_signer_from_pem(const char* pem, size_t pem_len, retrace_signer** out_signer) {
  if (out_signer != nullptr) *out_signer = nullptr;
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(pem);
    RETRACE_REQUIRE(out_signer);
    Result<std::unique_ptr<retrace::Signer>> s =
        retrace::Signer::FromPrivateKeyPemSecret(View(pem, pem_len));
    if (!s.ok()) return s.status();
    *out_signer = new retrace_signer{std::move(*s)};
    return Status::Ok();
  });
}

int retrace_signer_save(const retrace_signer* signer, const char* path) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(signer);
    RETRACE_REQUIRE(path);
    return signer->impl->WritePrivateKeyFile(path);
  });
}

int retrace_signer_public_key(const retrace_signer* signer, retrace_public_key** out_key) {
  if (out_key != nullptr) *out_key = nullptr;
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(signer);
    RETRACE_REQUIRE(out_key);
    *out_key = new retrace_public_key{signer->impl->public_key()};
    return Status::Ok();
  });
}

int retrace_signer_sign(const retrace_signer* signer, const uint8_t* message, size_t message_len,
                        uint8_t** out_sig, size_t* out_sig_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(signer);
    if (message == nullptr && message_len != 0) return NullArg("message");
    RETRACE_REQUIRE(out_sig);
    Result<std::string> sig = signer->impl->Sign(
        std::string_view(reinterpret_cast<const char*>(message), message_len));
    if (!sig.ok()) return sig.status();
    return GiveBytes(*sig, out_sig, out_sig_len);
  });
}

void retrace_signer_free(retrace_signer* signer) { delete signer; }

int retrace_public_key_load(const char* path, retrace_public_key** out_key) {
  if (out_key != nullptr) *out_key = nullptr;
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(path);
    RETRACE_REQUIRE(out_key);
    Result<retrace::PublicKey> k = retrace::PublicKey::ReadFile(path);
    if (!k.ok()) return k.status();
    *out_key = new retrace_public_key{std::move(*k)};
    return Status::Ok();
  });
}

int retrace_public_key_from_pem(const char* pem, size_t pem_len, retrace_public_key** out_key) {
  if (out_key != nullptr) *out_key = nullptr;
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(pem);
    RETRACE_REQUIRE(out_key);
    Result<retrace::PublicKey> k = retrace::PublicKey::FromPem(View(pem, pem_len));
    if (!k.ok()) return k.status();
    *out_key = new retrace_public_key{std::move(*k)};
    return Status::Ok();
  });
}

int retrace_public_key_from_der(const uint8_t* der, size_t der_len, retrace_public_key** out_key) {
  if (out_key != nullptr) *out_key = nullptr;
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(der);
    RETRACE_REQUIRE(out_key);
    Result<retrace::PublicKey> k =
        retrace::PublicKey::FromDer(std::string_view(reinterpret_cast<const char*>(der), der_len));
    if (!k.ok()) return k.status();
    *out_key = new retrace_public_key{std::move(*k)};
    return Status::Ok();
  });
}

int retrace_public_key_save(const retrace_public_key* key, const char* path) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(key);
    RETRACE_REQUIRE(path);
    return key->key.WriteFile(path);
  });
}

int retrace_public_key_pem(const retrace_public_key* key, char** out_pem, size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(key);
    RETRACE_REQUIRE(out_pem);
    return Give(key->key.ToPem(), out_pem, out_len);
  });
}

int retrace_public_key_id(const retrace_public_key* key, char out_id[17]) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(key);
    RETRACE_REQUIRE(out_id);
    std::string id = key->key.KeyId();
    std::memset(out_id, 0, 17);
    std::memcpy(out_id, id.data(), std::min<size_t>(id.size(), 16));
    return Status::Ok();
  });
}

const char* retrace_public_key_algorithm(const retrace_public_key* key) {
  if (key == nullptr) return nullptr;
  return retrace::AlgorithmName(key->key.algorithm());
}

int retrace_public_key_verify(const retrace_public_key* key, const uint8_t* message,
                              size_t message_len, const uint8_t* sig, size_t sig_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(key);
    if (message == nullptr && message_len != 0) return NullArg("message");
    if (sig == nullptr && sig_len != 0) return NullArg("sig");
    Result<std::unique_ptr<retrace::Verifier>> v = retrace::Verifier::New(key->key);
    if (!v.ok()) return v.status();
    return (*v)->Verify(std::string_view(reinterpret_cast<const char*>(message), message_len),
                        std::string_view(reinterpret_cast<const char*>(sig), sig_len));
  });
}

void retrace_public_key_free(retrace_public_key* key) { delete key; }

// --- options ------------------------------------------------------------------

retrace_options* retrace_options_new(void) { return new (std::nothrow) retrace_options(); }
void retrace_options_free(retrace_options* options) { delete options; }
void retrace_options_set_sync(retrace_options* options, int sync) {
  if (options != nullptr) options->o.sync = sync != 0;
}
void retrace_options_set_read_only(retrace_options* options, int read_only) {
  if (options != nullptr) options->o.read_only = read_only != 0;
}
void retrace_options_set_map_size(retrace_options* options, uint64_t initial_bytes,
                                  uint64_t max_bytes) {
  if (options == nullptr) return;
  options->o.initial_map_size = initial_bytes;
  options->o.max_map_size = max_bytes;
}
void retrace_options_set_max_event_bytes(retrace_options* options, size_t bytes) {
  if (options != nullptr) options->o.max_event_bytes = bytes;
}
int retrace_options_set_regulatory_mode(retrace_options* options, int mode) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(options);
    switch (mode) {
      case RETRACE_REGULATORY_REJECT:
        options->o.regulatory_violations = retrace::RegulatoryMode::kReject;
        return Status::Ok();
      case RETRACE_REGULATORY_FLAG:
        options->o.regulatory_violations = retrace::RegulatoryMode::kRecordAndFlag;
        return Status::Ok();
    }
    return retrace::InvalidArgumentError(
        "unknown regulatory mode " + std::to_string(mode) +
        " (RETRACE_REGULATORY_REJECT 0 or RETRACE_REGULATORY_FLAG 1); the options are unchanged");
  });
}

// --- ledger -------------------------------------------------------------------

int retrace_ledger_create(const retrace_options* options, const char* dir, const char* name,
                          const retrace_signer* root, const char* root_actor_id,
                          retrace_ledger** out_ledger) {
  if (out_ledger != nullptr) *out_ledger = nullptr;
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(dir);
    RETRACE_REQUIRE(name);
    RETRACE_REQUIRE(root);
    RETRACE_REQUIRE(out_ledger);
    retrace::Options o = options ? options->o : retrace::Options();
    Result<std::unique_ptr<retrace::Ledger>> l = retrace::Ledger::Create(
        o, dir, name, *root->impl, root_actor_id ? root_actor_id : "regulator");
    if (!l.ok()) return l.status();
    *out_ledger = new retrace_ledger{std::move(*l)};
    return Status::Ok();
  });
}

int retrace_ledger_open(const retrace_options* options, const char* dir,
                        retrace_ledger** out_ledger) {
  if (out_ledger != nullptr) *out_ledger = nullptr;
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(dir);
    RETRACE_REQUIRE(out_ledger);
    retrace::Options o = options ? options->o : retrace::Options();
    Result<std::unique_ptr<retrace::Ledger>> l = retrace::Ledger::Open(o, dir);
    if (!l.ok()) return l.status();
    *out_ledger = new retrace_ledger{std::move(*l)};
    return Status::Ok();
  });
}

void retrace_ledger_close(retrace_ledger* ledger) { delete ledger; }

int retrace_ledger_info_json(const retrace_ledger* ledger, char** out_json, size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(ledger);
    RETRACE_REQUIRE(out_json);
    Result<retrace::LedgerInfo> info = ledger->impl->Info();
    if (!info.ok()) return info.status();
    Result<retrace::Hash> root = ledger->impl->RootAt(info->size);
    if (!root.ok()) return root.status();
    return Give(retrace::LedgerInfoToJson(*info, *root), out_json, out_len);
  });
}

int retrace_ledger_size(const retrace_ledger* ledger, uint64_t* out_size,
                        uint8_t out_head_hash[32]) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(ledger);
    RETRACE_REQUIRE(out_size);
    Result<retrace::LedgerInfo> info = ledger->impl->Info();
    if (!info.ok()) return info.status();
    *out_size = info->size;
    CopyHash(info->head_hash, out_head_hash);
    return Status::Ok();
  });
}

int retrace_ledger_root_hash(const retrace_ledger* ledger, uint64_t tree_size,
                             uint8_t out_root_hash[32]) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(ledger);
    RETRACE_REQUIRE(out_root_hash);
    Result<retrace::Hash> root = ledger->impl->RootAt(tree_size);
    if (!root.ok()) return root.status();
    CopyHash(*root, out_root_hash);
    return Status::Ok();
  });
}

int retrace_ledger_record_json(const retrace_ledger* ledger, uint64_t seq, char** out_json,
                               size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(ledger);
    RETRACE_REQUIRE(out_json);
    Result<retrace::Record> rec = ledger->impl->ReadRecord(seq);
    if (!rec.ok()) return rec.status();
    return Give(retrace::RecordToJson(*rec), out_json, out_len);
  });
}

int retrace_ledger_lot_json(const retrace_ledger* ledger, const char* lot_id, char** out_json,
                            size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(ledger);
    RETRACE_REQUIRE(lot_id);
    RETRACE_REQUIRE(out_json);
    Result<retrace::LotInfo> lot = ledger->impl->GetLot(lot_id);
    if (!lot.ok()) return lot.status();
    return Give(retrace::LotInfoToJson(*lot), out_json, out_len);
  });
}

int retrace_ledger_quota_json(const retrace_ledger* ledger, uint32_t year, const char* actor_id,
                              char** out_json, size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(ledger);
    RETRACE_REQUIRE(out_json);
    Result<std::vector<retrace::QuotaUsage>> q =
        ledger->impl->Quotas(year, actor_id ? std::string_view(actor_id) : std::string_view());
    if (!q.ok()) return q.status();
    return Give(retrace::QuotasToJson(*q), out_json, out_len);
  });
}

int retrace_ledger_register_actor(retrace_ledger* ledger, const retrace_signer* root,
                                  const char* root_actor_id, const char* actor_id,
                                  const char* role, const char* legal_name,
                                  const retrace_public_key* actor_key, const char* licence,
                                  const char* jurisdiction, uint64_t* out_seq) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(ledger);
    RETRACE_REQUIRE(root);
    RETRACE_REQUIRE(actor_id);
    RETRACE_REQUIRE(role);
    RETRACE_REQUIRE(legal_name);
    RETRACE_REQUIRE(actor_key);
    Result<retrace::Role> parsed = retrace::ParseRole(role);
    if (!parsed.ok()) return parsed.status();
    retrace::ActorRegistered reg;
    reg.role = *parsed;
    reg.actor_id = actor_id;
    reg.legal_name = legal_name;
    reg.key = actor_key->key;
    if (licence != nullptr) reg.licence = licence;
    if (jurisdiction != nullptr) reg.jurisdiction = jurisdiction;
    Result<retrace::AppendResult> at = retrace::RegisterActor(
        *ledger->impl, *root->impl, std::move(reg),
        root_actor_id != nullptr ? std::string_view(root_actor_id) : std::string_view());
    if (!at.ok()) return at.status();
    if (out_seq != nullptr) *out_seq = at->seq;
    return Status::Ok();
  });
}

// --- appending ----------------------------------------------------------------

int retrace_ledger_append_json(retrace_ledger* ledger, const retrace_signer* signer,
                               const char* event_json, size_t json_len, uint64_t* out_seq,
                               uint8_t out_hash[32]) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(ledger);
    RETRACE_REQUIRE(signer);
    RETRACE_REQUIRE(event_json);
    Result<retrace::Event> ev = ParseEvent(View(event_json, json_len));
    if (!ev.ok()) return ev.status();
    if (Status st = ledger->impl->LinkParents(&*ev); !st.ok()) return st;
    Result<retrace::SignedEvent> se = retrace::SignEvent(*ev, *signer->impl);
    if (!se.ok()) return se.status();
    return AppendOne(*ledger->impl, *se, out_seq, out_hash);
  });
}

int retrace_ledger_prepare_json(const retrace_ledger* ledger, const char* event_json,
                                size_t json_len, uint8_t** out_event, size_t* out_event_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(ledger);
    RETRACE_REQUIRE(event_json);
    RETRACE_REQUIRE(out_event);
    Result<retrace::Event> ev = ParseEvent(View(event_json, json_len));
    if (!ev.ok()) return ev.status();
    if (Status st = ledger->impl->LinkParents(&*ev); !st.ok()) return st;
    Result<std::string> bytes = retrace::EncodeEvent(*ev);
    if (!bytes.ok()) return bytes.status();
    return GiveBytes(*bytes, out_event, out_event_len);
  });
}

int retrace_event_signing_input(const uint8_t* event, size_t event_len, uint8_t** out_input,
                                size_t* out_input_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(event);
    RETRACE_REQUIRE(out_input);
    return GiveBytes(retrace::EventSigningInput(
                         std::string_view(reinterpret_cast<const char*>(event), event_len)),
                     out_input, out_input_len);
  });
}

int retrace_ledger_append_signed(retrace_ledger* ledger, const uint8_t* event, size_t event_len,
                                 const char* key_id, const uint8_t* sig, size_t sig_len,
                                 uint64_t* out_seq, uint8_t out_hash[32]) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(ledger);
    RETRACE_REQUIRE(event);
    RETRACE_REQUIRE(key_id);
    RETRACE_REQUIRE(sig);
    retrace::SignedEvent se;
    se.event_bytes.assign(reinterpret_cast<const char*>(event), event_len);
    se.key_id = key_id;
    se.signature.assign(reinterpret_cast<const char*>(sig), sig_len);
    return AppendOne(*ledger->impl, se, out_seq, out_hash);
  });
}

int retrace_ledger_append_jsonl_batch_signed(retrace_ledger* ledger, const retrace_signer* signer,
                                             const char* jsonl, size_t jsonl_len,
                                             uint64_t* out_first_seq, size_t* out_count) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(ledger);
    RETRACE_REQUIRE(signer);
    RETRACE_REQUIRE(jsonl);
    ASSIGN_OR_RETURN(std::vector<retrace::Event> events,
                     JsonLinesEvents(View(jsonl, jsonl_len), ledger->impl.get()));
    Result<std::vector<retrace::SignedEvent>> signed_events =
        retrace::SignEventBatch(events, *signer->impl);
    if (!signed_events.ok()) return signed_events.status();
    return GiveAppended(ledger->impl->AppendBatch(*signed_events), out_first_seq, out_count);
  });
}

int retrace_ledger_sign_and_append_jsonl(retrace_ledger* ledger, const retrace_signer* signer,
                                         const char* jsonl, size_t jsonl_len, int batch_signature,
                                         uint64_t* out_first_seq, size_t* out_count) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(ledger);
    RETRACE_REQUIRE(signer);
    RETRACE_REQUIRE(jsonl);
    ASSIGN_OR_RETURN(std::vector<retrace::Event> events,
                     JsonLinesEvents(View(jsonl, jsonl_len), nullptr));
    retrace::SignAndAppendOptions options;
    options.batch_signature = batch_signature != 0;
    return GiveAppended(ledger->impl->SignAndAppend(events, *signer->impl, options),
                        out_first_seq, out_count);
  });
}

int retrace_batch_new(retrace_ledger* ledger, retrace_batch** out_batch) {
  if (out_batch != nullptr) *out_batch = nullptr;
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(ledger);
    RETRACE_REQUIRE(out_batch);
    *out_batch = new retrace_batch(*ledger->impl);
    return Status::Ok();
  });
}

int retrace_batch_add_json(retrace_batch* batch, const retrace_signer* signer,
                           const char* event_json, size_t json_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(batch);
    RETRACE_REQUIRE(signer);
    RETRACE_REQUIRE(event_json);
    Result<retrace::Event> ev = ParseEvent(View(event_json, json_len));
    if (!ev.ok()) return ev.status();
    return batch->batch.Add(std::move(*ev), *signer->impl);
  });
}

int retrace_batch_add_jsonl(retrace_batch* batch, const retrace_signer* signer, const char* jsonl,
                            size_t jsonl_len, size_t* out_added) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(batch);
    RETRACE_REQUIRE(signer);
    RETRACE_REQUIRE(jsonl);
    const size_t before = batch->batch.size();
    size_t added = 0;
    Status st = ForEachJsonLine(View(jsonl, jsonl_len), [&](std::string_view line) {
      Result<retrace::Event> ev = ParseEvent(line);
      if (!ev.ok()) return ev.status();
      RETURN_IF_ERROR(batch->batch.Add(std::move(*ev), *signer->impl));
      ++added;
      return Status::Ok();
    });
    if (!st.ok()) {
      batch->batch.Truncate(before);
      return st;
    }
    if (out_added != nullptr) *out_added = added;
    return Status::Ok();
  });
}

size_t retrace_batch_size(const retrace_batch* batch) {
  return batch == nullptr ? 0 : batch->batch.size();
}

int retrace_batch_commit(retrace_batch* batch, uint64_t* out_first_seq, size_t* out_count) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(batch);
    return GiveAppended(batch->batch.Commit(), out_first_seq, out_count);
  });
}

int retrace_batch_check(const retrace_batch* batch, uint64_t* out_first_seq, size_t* out_count) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(batch);
    return GiveAppended(batch->batch.Check(), out_first_seq, out_count);
  });
}

void retrace_batch_free(retrace_batch* batch) { delete batch; }

// --- lineage, verification, audit --------------------------------------------

int retrace_ledger_lineage_json(const retrace_ledger* ledger, const char* lot_id, char** out_json,
                                size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(out_json);
    Result<retrace::VerifyReport> r = Verify(ledger, lot_id);
    if (!r.ok()) return r.status();
    return Give(retrace::LineageToJson(*r), out_json, out_len);
  });
}

int retrace_ledger_lineage_dot(const retrace_ledger* ledger, const char* lot_id, char** out_dot,
                               size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(out_dot);
    Result<retrace::VerifyReport> r = Verify(ledger, lot_id);
    if (!r.ok()) return r.status();
    return Give(retrace::LineageToDot(*r), out_dot, out_len);
  });
}

int retrace_ledger_lineage_svg(const retrace_ledger* ledger, const char* lot_id, char** out_svg,
                               size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(out_svg);
    Result<retrace::VerifyReport> r = Verify(ledger, lot_id);
    if (!r.ok()) return r.status();
    return Give(retrace::LineageToSvg(*r), out_svg, out_len);
  });
}

int retrace_ledger_report_html(const retrace_ledger* ledger, const char* lot_id, char** out_html,
                               size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(out_html);
    Result<retrace::VerifyReport> r = Verify(ledger, lot_id);
    if (!r.ok()) return r.status();
    Result<std::vector<retrace::CustodyStep>> timeline = retrace::CustodyTimeline(*ledger->impl, *r);
    if (!timeline.ok()) return timeline.status();
    Result<retrace::LedgerInfo> info = ledger->impl->Info();
    if (!info.ok()) return info.status();
    retrace::HtmlReportOptions options;
    Result<std::vector<retrace::QuotaUsage>> quotas = retrace::CustodyQuotas(*ledger->impl, *r);
    if (!quotas.ok()) return quotas.status();
    options.quotas = std::move(*quotas);
    return Give(retrace::RenderHtmlReport(*r, *timeline, *info, options), out_html, out_len);
  });
}

int retrace_ledger_verify(const retrace_ledger* ledger, const char* lot_id,
                          retrace_report** out_report) {
  if (out_report != nullptr) *out_report = nullptr;
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(out_report);
    Result<retrace::VerifyReport> r = Verify(ledger, lot_id);
    if (!r.ok()) return r.status();
    auto* rep = new retrace_report();
    rep->verify = std::move(*r);
    *out_report = rep;
    return Status::Ok();
  });
}

namespace {
int AuditWith(const retrace_ledger* ledger, retrace::AuditScope scope, retrace_progress_fn progress,
              void* progress_ctx, retrace_report** out_report) {
  if (out_report != nullptr) *out_report = nullptr;
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(ledger);
    RETRACE_REQUIRE(out_report);
    retrace::AuditOptions options;
    options.scope = scope;
    if (progress != nullptr) {
      options.progress = [progress, progress_ctx](uint64_t done, uint64_t total) {
        progress(progress_ctx, done, total);
      };
    }
    Result<retrace::AuditReport> a = ledger->impl->Audit(options);
    if (!a.ok()) return a.status();
    auto* rep = new retrace_report();
    rep->audit = true;
    rep->audit_report = std::move(*a);
    *out_report = rep;
    return Status::Ok();
  });
}
}  // namespace

int retrace_ledger_audit(const retrace_ledger* ledger, retrace_progress_fn progress,
                         void* progress_ctx, retrace_report** out_report) {
  return AuditWith(ledger, retrace::AuditScope::kFull, progress, progress_ctx, out_report);
}

int retrace_ledger_audit_integrity(const retrace_ledger* ledger, retrace_progress_fn progress,
                                   void* progress_ctx, retrace_report** out_report) {
  return AuditWith(ledger, retrace::AuditScope::kIntegrity, progress, progress_ctx, out_report);
}

int retrace_report_json(const retrace_report* report, char** out_json, size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(report);
    RETRACE_REQUIRE(out_json);
    if (report->bundle) {
      retrace::BundleReport whole = report->bundle_report;
      whole.lineage = report->verify;
      return Give(retrace::BundleReportToJson(whole), out_json, out_len);
    }
    return Give(report->audit ? retrace::AuditReportToJson(report->audit_report)
                              : retrace::VerifyReportToJson(report->verify),
                out_json, out_len);
  });
}

const char* retrace_report_schema(const retrace_report* report) {
  if (report == nullptr) return nullptr;
  if (report->bundle) return "retrace.bundle-report/v1";
  return report->audit ? "retrace.audit/v1" : "retrace.verify/v1";
}

int retrace_report_valid(const retrace_report* report) {
  if (report == nullptr) return 0;
  if (report->bundle) return report->bundle_report.valid ? 1 : 0;
  return (report->audit ? report->audit_report.valid : report->verify.valid) ? 1 : 0;
}

const char* retrace_report_lot_id(const retrace_report* report) {
  if (report == nullptr) return nullptr;
  return report->audit ? "" : report->verify.lot_id.c_str();
}

uint64_t retrace_report_records_checked(const retrace_report* report) {
  if (report == nullptr) return 0;
  return report->audit ? report->audit_report.records_checked : report->verify.records_checked;
}

uint64_t retrace_report_signatures_checked(const retrace_report* report) {
  if (report == nullptr) return 0;
  return report->audit ? report->audit_report.signatures_checked
                       : report->verify.signatures_checked;
}

uint64_t retrace_report_tree_size(const retrace_report* report) {
  if (report == nullptr) return 0;
  return report->audit ? report->audit_report.tree_size : report->verify.tree_size;
}

int retrace_report_head_hash(const retrace_report* report, uint8_t out_hash[32]) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(report);
    RETRACE_REQUIRE(out_hash);
    CopyHash(report->audit ? report->audit_report.head_hash : report->verify.head_hash, out_hash);
    return Status::Ok();
  });
}

size_t retrace_report_finding_count(const retrace_report* report) {
  return report == nullptr ? 0 : report->findings().size();
}

static Status OutOfRange(const char* what, size_t i, size_t n) {
  return retrace::InvalidArgumentError(std::string(what) + " index " + std::to_string(i) +
                                       " is out of range (the report has " + std::to_string(n) +
                                       ")");
}

int retrace_report_finding(const retrace_report* report, size_t i, const char** out_code,
                           uint64_t* out_seq, const char** out_lot_id, const char** out_message) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(report);
    const auto& fs = report->findings();
    if (i >= fs.size()) return OutOfRange("finding", i, fs.size());
    const retrace::Finding& f = fs[i];
    if (out_code != nullptr) *out_code = f.code.c_str();
    if (out_seq != nullptr) *out_seq = f.seq;
    if (out_lot_id != nullptr) *out_lot_id = f.lot_id.c_str();
    if (out_message != nullptr) *out_message = f.message.c_str();
    return Status::Ok();
  });
}

size_t retrace_report_origin_count(const retrace_report* report) {
  return report == nullptr || report->audit ? 0 : report->verify.origins.size();
}

int retrace_report_origin(const retrace_report* report, size_t i, const char** out_origin_lot,
                          const char** out_actor_id, const char** out_site,
                          uint64_t* out_rare_earth_g, uint32_t* out_share_ppm) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(report);
    size_t n = retrace_report_origin_count(report);
    if (i >= n) return OutOfRange("origin", i, n);
    const retrace::OriginShare& o = report->verify.origins[i];
    if (out_origin_lot != nullptr) *out_origin_lot = o.origin_lot.c_str();
    if (out_actor_id != nullptr) *out_actor_id = o.actor_id.c_str();
    if (out_site != nullptr) *out_site = o.site.c_str();
    if (out_rare_earth_g != nullptr) *out_rare_earth_g = o.rare_earth_g;
    if (out_share_ppm != nullptr) *out_share_ppm = o.share_ppm;
    return Status::Ok();
  });
}

size_t retrace_report_lot_count(const retrace_report* report) {
  return report == nullptr || report->audit ? 0 : report->verify.lots.size();
}

int retrace_report_lot(const retrace_report* report, size_t i, const char** out_lot_id,
                       const char** out_material, uint64_t* out_mass_g,
                       uint64_t* out_rare_earth_g, int* out_is_origin) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(report);
    size_t n = retrace_report_lot_count(report);
    if (i >= n) return OutOfRange("lot", i, n);
    const retrace::LineageLot& l = report->verify.lots[i];
    if (out_lot_id != nullptr) *out_lot_id = l.lot_id.c_str();
    if (out_material != nullptr) *out_material = retrace::MaterialClassName(l.material);
    if (out_mass_g != nullptr) *out_mass_g = l.mass_g;
    if (out_rare_earth_g != nullptr) *out_rare_earth_g = l.rare_earth_g;
    if (out_is_origin != nullptr) *out_is_origin = l.is_origin ? 1 : 0;
    return Status::Ok();
  });
}

size_t retrace_report_edge_count(const retrace_report* report) {
  return report == nullptr || report->audit ? 0 : report->verify.edges.size();
}

int retrace_report_edge(const retrace_report* report, size_t i, const char** out_input_lot,
                        const char** out_output_lot, uint64_t* out_consumed_g,
                        uint64_t* out_seq) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(report);
    size_t n = retrace_report_edge_count(report);
    if (i >= n) return OutOfRange("edge", i, n);
    const retrace::LineageEdge& e = report->verify.edges[i];
    if (out_input_lot != nullptr) *out_input_lot = e.input_lot.c_str();
    if (out_output_lot != nullptr) *out_output_lot = e.output_lot.c_str();
    if (out_consumed_g != nullptr) *out_consumed_g = e.consumed_g;
    if (out_seq != nullptr) *out_seq = e.seq;
    return Status::Ok();
  });
}

void retrace_report_free(retrace_report* report) { delete report; }

// --- Transparency ----------------------------------------------------------------

}  // extern "C": the helpers below return C++ types, so they get C++ linkage

namespace {

Result<retrace::NoteKeyType> ParseNoteKeyType(const char* type) {
  const std::string_view t(type);
  if (t == "ed25519") return retrace::NoteKeyType::kEd25519;
  if (t == "cosignature/v1") return retrace::NoteKeyType::kCosignatureV1;
  return retrace::InvalidArgumentError("unknown note key type \"" + std::string(t) +
                                       "\"; expected \"ed25519\" or \"cosignature/v1\"");
}

// The verifiers behind an array of handles; a NULL entry is refused.
Result<std::vector<retrace::NoteVerifier>> Verifiers(const retrace_note_verifier* const* keys,
                                                     size_t n, const char* what) {
  std::vector<retrace::NoteVerifier> out;
  if (n == 0) return out;
  if (keys == nullptr) return NullArg(what);
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (keys[i] == nullptr) {
      return retrace::InvalidArgumentError(std::string(what) + "[" + std::to_string(i) +
                                           "] is NULL");
    }
    out.push_back(keys[i]->impl);
  }
  return out;
}

}  // namespace

extern "C" {

int retrace_note_signer_generate(const char* name, const char* type,
                                 retrace_note_signer** out_signer) {
  if (out_signer != nullptr) *out_signer = nullptr;
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(name);
    RETRACE_REQUIRE(type);
    RETRACE_REQUIRE(out_signer);
    ASSIGN_OR_RETURN(retrace::NoteKeyType t, ParseNoteKeyType(type));
    ASSIGN_OR_RETURN(std::unique_ptr<retrace::NoteSigner> s, retrace::NoteSigner::Generate(name, t));
    *out_signer = new retrace_note_signer{std::move(s)};
    return Status::Ok();
  });
}

int retrace_note_signer_load(const char* path, retrace_note_signer** out_signer) {
  if (out_signer != nullptr) *out_signer = nullptr;
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(path);
    RETRACE_REQUIRE(out_signer);
    ASSIGN_OR_RETURN(std::unique_ptr<retrace::NoteSigner> s,
                     retrace::NoteSigner::LoadSignerKeyFile(path));
    *out_signer = new retrace_note_signer{std::move(s)};
    return Status::Ok();
  });
}

int retrace_note_signer_save(const retrace_note_signer* signer, const char* path) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(signer);
    RETRACE_REQUIRE(path);
    return signer->impl->WriteSignerKeyFile(path);
  });
}

int retrace_note_signer_verifier_key(const retrace_note_signer* signer, char** out_key,
                                     size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(signer);
    RETRACE_REQUIRE(out_key);
    return Give(signer->impl->verifier().ToString(), out_key, out_len);
  });
}

void retrace_note_signer_free(retrace_note_signer* signer) { delete signer; }

int retrace_note_verifier_parse(const char* key, retrace_note_verifier** out_verifier) {
  if (out_verifier != nullptr) *out_verifier = nullptr;
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(key);
    RETRACE_REQUIRE(out_verifier);
    ASSIGN_OR_RETURN(retrace::NoteVerifier v, retrace::NoteVerifier::Parse(key));
    *out_verifier = new retrace_note_verifier{std::move(v)};
    return Status::Ok();
  });
}

void retrace_note_verifier_free(retrace_note_verifier* verifier) { delete verifier; }

int retrace_ledger_checkpoint_sign(retrace_ledger* ledger, const retrace_note_signer* log_key,
                                   char** out_note, size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(ledger);
    RETRACE_REQUIRE(log_key);
    RETRACE_REQUIRE(out_note);
    ASSIGN_OR_RETURN(std::string note, ledger->impl->SignCheckpoint(*log_key->impl));
    return Give(note, out_note, out_len);
  });
}

int retrace_ledger_checkpoint_latest(const retrace_ledger* ledger, char** out_note,
                                     size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(ledger);
    RETRACE_REQUIRE(out_note);
    ASSIGN_OR_RETURN(std::string note, ledger->impl->LatestCheckpoint());
    return Give(note, out_note, out_len);
  });
}

int retrace_ledger_checkpoint_add_cosignatures(retrace_ledger* ledger, const char* cosignatures,
                                               const retrace_note_verifier* const* witnesses,
                                               size_t n_witnesses, char** out_note,
                                               size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(ledger);
    RETRACE_REQUIRE(cosignatures);
    RETRACE_REQUIRE(out_note);
    ASSIGN_OR_RETURN(std::vector<retrace::NoteVerifier> w,
                     Verifiers(witnesses, n_witnesses, "witnesses"));
    ASSIGN_OR_RETURN(std::string note, ledger->impl->AddCosignatures(cosignatures, w));
    return Give(note, out_note, out_len);
  });
}

int retrace_checkpoint_verify(const char* note, const retrace_note_verifier* const* log_keys,
                              size_t n_log_keys, const retrace_note_verifier* const* witnesses,
                              size_t n_witnesses, size_t quorum, uint64_t* out_tree_size,
                              uint8_t out_root_hash[32], size_t* out_cosignatures) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(note);
    ASSIGN_OR_RETURN(std::vector<retrace::NoteVerifier> logs,
                     Verifiers(log_keys, n_log_keys, "log_keys"));
    if (logs.empty()) return retrace::InvalidArgumentError("no log key given");
    retrace::WitnessPolicy policy;
    ASSIGN_OR_RETURN(policy.witnesses, Verifiers(witnesses, n_witnesses, "witnesses"));
    policy.quorum = quorum;
    ASSIGN_OR_RETURN(retrace::VerifiedCheckpoint cp,
                     retrace::OpenCheckpoint(note, logs, policy.witnesses));
    RETURN_IF_ERROR(policy.Check(cp));
    if (out_tree_size != nullptr) *out_tree_size = cp.checkpoint.size;
    CopyHash(cp.checkpoint.root_hash, out_root_hash);
    if (out_cosignatures != nullptr) *out_cosignatures = cp.cosignatures.size();
    return Status::Ok();
  });
}

int retrace_ledger_prove_lot(const retrace_ledger* ledger, const char* lot_id,
                             uint8_t** out_bundle, size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(ledger);
    RETRACE_REQUIRE(lot_id);
    RETRACE_REQUIRE(out_bundle);
    ASSIGN_OR_RETURN(std::string bundle, retrace::ProveLineage(*ledger->impl, lot_id));
    return GiveBytes(bundle, out_bundle, out_len);
  });
}

int retrace_ledger_prove_record(const retrace_ledger* ledger, uint64_t seq, char** out_proof,
                                size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(ledger);
    RETRACE_REQUIRE(out_proof);
    ASSIGN_OR_RETURN(std::string proof, retrace::ProveRecord(*ledger->impl, seq));
    return Give(proof, out_proof, out_len);
  });
}

int retrace_bundle_verify(const uint8_t* bundle, size_t bundle_len,
                          const retrace_public_key* root_key, const retrace_note_verifier* log_key,
                          const retrace_note_verifier* const* witnesses, size_t n_witnesses,
                          size_t quorum, retrace_report** out_report) {
  if (out_report != nullptr) *out_report = nullptr;
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(bundle);
    RETRACE_REQUIRE(root_key);
    RETRACE_REQUIRE(log_key);
    RETRACE_REQUIRE(out_report);
    retrace::WitnessPolicy policy;
    ASSIGN_OR_RETURN(policy.witnesses, Verifiers(witnesses, n_witnesses, "witnesses"));
    policy.quorum = quorum;
    ASSIGN_OR_RETURN(
        retrace::BundleReport r,
        retrace::VerifyBundle(std::string_view(reinterpret_cast<const char*>(bundle), bundle_len),
                              root_key->key, log_key->impl, policy));
    auto rep = std::make_unique<retrace_report>();
    rep->bundle = true;
    rep->verify = std::move(r.lineage);
    r.lineage = retrace::VerifyReport{};
    rep->bundle_report = std::move(r);
    *out_report = rep.release();
    return Status::Ok();
  });
}

// --- EPCIS ----------------------------------------------------------------------

int retrace_ledger_export_epcis_lot(const retrace_ledger* ledger, const char* lot_id,
                                    char** out_json, size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(ledger);
    RETRACE_REQUIRE(lot_id);
    RETRACE_REQUIRE(out_json);
    Result<std::string> doc = retrace::ExportEpcisLot(*ledger->impl, lot_id);
    if (!doc.ok()) return doc.status();
    return Give(*doc, out_json, out_len);
  });
}

int retrace_ledger_export_epcis_range(const retrace_ledger* ledger, uint64_t first_seq,
                                      uint64_t last_seq, char** out_json, size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(ledger);
    RETRACE_REQUIRE(out_json);
    Result<std::string> doc = retrace::ExportEpcisRange(*ledger->impl, first_seq, last_seq);
    if (!doc.ok()) return doc.status();
    return Give(*doc, out_json, out_len);
  });
}

int retrace_batch_add_epcis(retrace_batch* batch, const char* document, size_t document_len,
                            retrace_signer_lookup_fn key_for_actor, void* ctx, size_t* out_added) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(batch);
    RETRACE_REQUIRE(document);
    RETRACE_REQUIRE(key_for_actor);
    Result<retrace::EpcisImport> imported = retrace::ImportEpcis(View(document, document_len));
    if (!imported.ok()) return imported.status();
    const size_t before = batch->batch.size();
    for (retrace::Event& ev : imported->events) {
      const retrace_signer* s = key_for_actor(ctx, ev.actor_id.c_str());
      if (s == nullptr) {
        batch->batch.Truncate(before);
        return retrace::NotFoundError("no key for actor " + ev.actor_id + " (event " +
                                      ev.event_id + "); nothing was queued");
      }
      std::string id = ev.event_id;
      if (Status st = batch->batch.Add(std::move(ev), *s->impl); !st.ok()) {
        batch->batch.Truncate(before);
        return st.Annotate("event " + id);
      }
    }
    if (out_added != nullptr) *out_added = imported->events.size();
    return Status::Ok();
  });
}

}  // extern "C"
