// Fuzz target: DecodeEvent, which parses the signed event bytes of every
// record and of every event handed to Append.
// Oracle: an event that decodes and re-encodes is a fixed point of
// encode(decode(.)), and its JSON form round-trips to the same bytes.
// Differential: whenever ScanEventKeys (the integrity audit's wire-level
// reader of index keys) answers and protobuf parses the bytes, both give
// the same keys.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz_quiet.h"

#include "model/event_keys.h"
#include "model/proto_convert.h"
#include "retrace/event.h"
#include "retrace/v1/retrace.pb.h"

namespace {

void CheckEventKeys(std::string_view bytes) {
  using namespace retrace::internal;
  EventKeys scanned, parsed;
  if (!ScanEventKeys(bytes, &scanned)) return;
  retrace::v1::Event pb;
  if (!ParseEventBytes(bytes, &pb).ok()) return;  // e.g. bad UTF-8, which the reader does not judge
  EventKeysOf(pb, &parsed);
  if (scanned.ledger_id != parsed.ledger_id || scanned.event_id != parsed.event_id ||
      scanned.actor_id != parsed.actor_id || scanned.time_seconds != parsed.time_seconds ||
      scanned.body != parsed.body || scanned.quota_kind != parsed.quota_kind ||
      scanned.lots != parsed.lots || scanned.moved != parsed.moved) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  retrace::fuzzing::QuietProtobuf();
  using namespace retrace;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckEventKeys(input);
  auto ev = DecodeEvent(input);
  if (!ev.ok()) return 0;
  (void)EventKindName(ev->body);
  auto bytes = EncodeEvent(*ev);
  if (!bytes.ok()) return 0;
  auto back = DecodeEvent(*bytes);
  if (!back.ok()) std::abort();
  auto again = EncodeEvent(*back);
  if (!again.ok() || *again != *bytes) std::abort();
  auto json = EventToJson(*back);
  if (!json.ok()) std::abort();
  auto from_json = EventFromJson(*json);
  if (!from_json.ok()) std::abort();
  auto third = EncodeEvent(*from_json);
  if (!third.ok() || *third != *bytes) std::abort();
  return 0;
}
