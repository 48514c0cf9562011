#include "model/event_keys.h"

#include "model/wire_reader.h"
#include "retrace/v1/retrace.pb.h"

namespace retrace::internal {
namespace {

constexpr std::uint32_t kVarint = 0;
constexpr std::uint32_t kLen = 2;
// protobuf's default recursion budget, for skipping unknown groups.
constexpr int kDepth = 100;

constexpr std::uint32_t FieldOf(std::uint32_t tag) { return tag >> 3; }
constexpr std::uint32_t WireOf(std::uint32_t tag) { return tag & 7; }

// A message whose only field of interest is a singular string or message
// field 1 (Lot.lot_id, Shipped.lot_id, TransformInput.lot_id, ...): reads
// it, or the empty default when absent. False if the field repeats, has
// another wire type, or the bytes are not wire format.
bool FieldOne(std::string_view msg, std::string_view* out) {
  WireReader in(msg);
  bool seen = false;
  *out = {};
  while (!in.done()) {
    std::uint32_t tag = 0;
    if (!in.Tag(&tag)) return false;
    if (FieldOf(tag) == 1) {
      if (seen || WireOf(tag) != kLen || !in.Bytes(out)) return false;
      seen = true;
    } else if (!in.SkipField(tag, kDepth)) {
      return false;
    }
  }
  return true;
}

// Extracted, Recycled and Imported: the created Lot in field 1; Extracted
// also its quota kind (field 4).
bool CreatingBody(std::string_view msg, bool extracted, EventKeys* out) {
  WireReader in(msg);
  bool lot_seen = false, kind_seen = false;
  std::string_view lot;
  while (!in.done()) {
    std::uint32_t tag = 0;
    if (!in.Tag(&tag)) return false;
    const std::uint32_t field = FieldOf(tag);
    if (field == 1) {
      if (lot_seen || WireOf(tag) != kLen || !in.Bytes(&lot)) return false;
      lot_seen = true;
    } else if (extracted && field == 4) {
      std::uint64_t v = 0;
      if (kind_seen || WireOf(tag) != kVarint || !in.Varint(&v, 10)) return false;
      kind_seen = true;
      out->quota_kind = static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
    } else if (!in.SkipField(tag, kDepth)) {
      return false;
    }
  }
  std::string_view id;
  if (!FieldOne(lot, &id)) return false;
  out->lots.push_back(id);
  return true;
}

// Transformed: inputs (field 1, TransformInput) are moved, outputs (field
// 2, Lot) are created; inputs are listed first, each list in wire order.
bool TransformedBody(std::string_view msg, EventKeys* out) {
  WireReader in(msg);
  std::size_t& outputs_at = out->moved;
  while (!in.done()) {
    std::uint32_t tag = 0;
    if (!in.Tag(&tag)) return false;
    const std::uint32_t field = FieldOf(tag);
    if (field == 1 || field == 2) {
      std::string_view sub, id;
      if (WireOf(tag) != kLen || !in.Bytes(&sub) || !FieldOne(sub, &id)) return false;
      if (field == 1) {
        out->lots.insert(out->lots.begin() + static_cast<std::ptrdiff_t>(outputs_at++), id);
      } else {
        out->lots.push_back(id);
      }
    } else if (!in.SkipField(tag, kDepth)) {
      return false;
    }
  }
  return true;
}

bool TimeSeconds(std::string_view msg, std::int64_t* out) {
  WireReader in(msg);
  bool seen = false;
  while (!in.done()) {
    std::uint32_t tag = 0;
    if (!in.Tag(&tag)) return false;
    if (FieldOf(tag) == 1) {
      std::uint64_t v = 0;
      if (seen || WireOf(tag) != kVarint || !in.Varint(&v, 10)) return false;
      seen = true;
      *out = static_cast<std::int64_t>(v);
    } else if (!in.SkipField(tag, kDepth)) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool ScanEventKeys(std::string_view event_bytes, EventKeys* out) {
  *out = EventKeys{{}, {}, {}, 0, 0, 0, std::move(out->lots), 0};
  out->lots.clear();
  WireReader in(event_bytes);
  std::uint32_t seen = 0;  // bit per singular field 1..4
  std::string_view body;
  while (!in.done()) {
    std::uint32_t tag = 0;
    if (!in.Tag(&tag)) return false;
    const std::uint32_t field = FieldOf(tag);
    if (field >= 1 && field <= 4) {
      if ((seen & (1u << field)) != 0 || WireOf(tag) != kLen) return false;
      seen |= 1u << field;
      std::string_view v;
      if (!in.Bytes(&v)) return false;
      if (field == 1) out->ledger_id = v;
      if (field == 2) out->event_id = v;
      if (field == 3) out->actor_id = v;
      if (field == 4 && !TimeSeconds(v, &out->time_seconds)) return false;
    } else if (field == 5) {
      std::string_view skipped;
      if (WireOf(tag) != kLen || !in.Bytes(&skipped)) return false;
    } else if (field >= 10 && field <= 22) {
      if (out->body != 0 || WireOf(tag) != kLen || !in.Bytes(&body)) return false;
      out->body = field;
    } else if (!in.SkipField(tag, kDepth)) {
      return false;
    }
  }
  switch (out->body) {
    case v1::Event::kExtracted: return CreatingBody(body, true, out);
    case v1::Event::kRecycled:
    case v1::Event::kImported: return CreatingBody(body, false, out);
    case v1::Event::kShipped:
    case v1::Event::kReceived:
    case v1::Event::kExported: {
      std::string_view id;
      if (!FieldOne(body, &id)) return false;
      out->lots.push_back(id);
      out->moved = 1;
      return true;
    }
    case v1::Event::kTransformed: return TransformedBody(body, out);
    default: return false;  // no body, or one with key or regulatory state
  }
}

void EventKeysOf(const v1::Event& ev, EventKeys* out) {
  *out = EventKeys{ev.ledger_id(), ev.event_id(), ev.actor_id(), ev.time().seconds(),
                   static_cast<std::uint32_t>(ev.body_case()),
                   ev.has_extracted() ? ev.extracted().quota_kind() : 0, std::move(out->lots), 0};
  out->lots.clear();
  switch (ev.body_case()) {
    case v1::Event::kExtracted: out->lots.push_back(ev.extracted().lot().lot_id()); break;
    case v1::Event::kRecycled: out->lots.push_back(ev.recycled().lot().lot_id()); break;
    case v1::Event::kImported: out->lots.push_back(ev.imported().lot().lot_id()); break;
    case v1::Event::kShipped:
      out->lots.push_back(ev.shipped().lot_id());
      out->moved = 1;
      break;
    case v1::Event::kReceived:
      out->lots.push_back(ev.received().lot_id());
      out->moved = 1;
      break;
    case v1::Event::kExported:
      out->lots.push_back(ev.exported().lot_id());
      out->moved = 1;
      break;
    case v1::Event::kTransformed:
      for (const auto& in : ev.transformed().inputs()) out->lots.push_back(in.lot_id());
      out->moved = out->lots.size();
      for (const auto& o : ev.transformed().outputs()) out->lots.push_back(o.lot_id());
      break;
    default: break;
  }
}

}  // namespace retrace::internal
