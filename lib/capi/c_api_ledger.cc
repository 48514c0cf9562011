// The C API's ledger handle and its options: create, open, the queries and
// actor registration (retrace/c.h).
// Conventions: c_api.cc and capi/c_api_internal.h.
#include "retrace/c.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "retrace/bundle.h"
#include "retrace/checkpoint.h"
#include "retrace/epcis.h"
#include "retrace/event.h"
#include "retrace/event_batch.h"
#include "retrace/json.h"
#include "retrace/ledger.h"
#include "retrace/note.h"
#include "retrace/render.h"
#include "retrace/signer.h"
#include "retrace/verifier.h"
#include "retrace/witness.h"
#include "capi/c_api_internal.h"
#include "util/status_macros.h"

using namespace retrace::internal::capi;  // NOLINT(build/namespaces): the shared conventions

extern "C" {

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
int retrace_options_set_max_clock_skew(retrace_options* options, int64_t seconds) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(options);
    if (seconds < 0) return retrace::InvalidArgumentError("the clock skew must not be negative");
    options->o.max_clock_skew_seconds = seconds;
    return Status::Ok();
  });
}

int retrace_options_set_registry(retrace_options* options, const char* log_key,
                                 const char* const* witnesses, size_t n_witnesses,
                                 uint32_t quorum, const char* ledger_id) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(options);
    RETRACE_REQUIRE(log_key);
    RETRACE_REQUIRE(ledger_id);
    if (n_witnesses != 0 && witnesses == nullptr) {
      return retrace::InvalidArgumentError("witnesses is NULL");
    }
    retrace::RegistryBinding b;
    b.log_key = log_key;
    for (size_t i = 0; i < n_witnesses; ++i) {
      if (witnesses[i] == nullptr) return retrace::InvalidArgumentError("a witness key is NULL");
      b.witnesses.emplace_back(witnesses[i]);
    }
    b.quorum = quorum;
    b.ledger_id = ledger_id;
    options->o.registry = std::move(b);
    return Status::Ok();
  });
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

int retrace_ledger_upgrade(const retrace_options* options, const char* dir) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(dir);
    retrace::Options o = options ? options->o : retrace::Options();
    return retrace::Ledger::Upgrade(o, dir).status();
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

}  // extern "C"
