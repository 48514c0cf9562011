// The keys a record's event is indexed under (internal), read straight from
// the event's wire bytes. The integrity-only audit uses them to rebuild what
// the hash, event-id, lot and quota indexes must hold without parsing every
// event into a protobuf message.
#ifndef RETRACE_LIB_MODEL_EVENT_KEYS_H_
#define RETRACE_LIB_MODEL_EVENT_KEYS_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace retrace::v1 {
class Event;
}  // namespace retrace::v1

namespace retrace::internal {

struct EventKeys {
  std::string_view ledger_id;
  std::string_view event_id;
  std::string_view actor_id;
  std::int64_t time_seconds = 0;
  // The body's field number in retrace.v1.Event (v1::Event::BodyCase), 0
  // for none.
  std::uint32_t body = 0;
  std::int32_t quota_kind = 0;  // Extracted.quota_kind
  // The lots the event moves (ExistingLotsTouched), then those it creates
  // (LotsCreated): what the ledger lists the record under in the lot index.
  std::vector<std::string_view> lots;
  std::size_t moved = 0;  // lots[0, moved) are moved, the rest created
};

// Fills `out` (views into `event_bytes`) and returns true when the bytes are
// in the plain form this reader decides exactly as protobuf would: each
// singular field at most once, at most one body, known fields with their
// declared wire types, unknown fields skipped as protobuf skips them, and a
// custody body (extracted, shipped, received, transformed, exported,
// recycled, imported). Returns false for anything else -- including every
// genesis, registration, quota grant, policy and key event, which carry key
// and regulatory state -- and the caller parses the event with protobuf and
// takes the keys from EventKeysOf.
//
// The reader does not validate what it skips (references, masses, UTF-8 of
// strings): it answers "under which keys was this event indexed", not "is
// this a valid event"; the ledger refused invalid events at append, and the
// full audit checks each event whole.
bool ScanEventKeys(std::string_view event_bytes, EventKeys* out);

// The same keys from a parsed event; the views point into `ev`.
void EventKeysOf(const v1::Event& ev, EventKeys* out);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_MODEL_EVENT_KEYS_H_
