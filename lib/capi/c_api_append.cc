// The C API's appending: single and batch-signed events, SignAndAppend and
// the retrace_batch handle (retrace/c.h, "Appending").
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

namespace {

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

// ParseEvent, linked to `ledger`'s current state (LinkParents).
Result<retrace::Event> ParseLinkedEvent(const retrace::Ledger& ledger, std::string_view json) {
  Result<retrace::Event> ev = ParseEvent(json);
  if (!ev.ok()) return ev;
  if (Status st = ledger.LinkParents(&*ev); !st.ok()) return st;
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

}  // namespace

extern "C" {

// --- appending ----------------------------------------------------------------

int retrace_ledger_append_json(retrace_ledger* ledger, const retrace_signer* signer,
                               const char* event_json, size_t json_len, uint64_t* out_seq,
                               uint8_t out_hash[32]) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(ledger);
    RETRACE_REQUIRE(signer);
    RETRACE_REQUIRE(event_json);
    Result<retrace::Event> ev = ParseLinkedEvent(*ledger->impl, View(event_json, json_len));
    if (!ev.ok()) return ev.status();
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
    Result<retrace::Event> ev = ParseLinkedEvent(*ledger->impl, View(event_json, json_len));
    if (!ev.ok()) return ev.status();
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

}  // extern "C"
