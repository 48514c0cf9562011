#include "model/event_keys.h"

#include "model/wire_reader.h"
#include "retrace/v1/retrace.pb.h"

namespace retrace::internal {
namespace {

constexpr std::uint32_t kVarint = 0;
constexpr std::uint32_t kLen = 2;
// protobuf's default recursion budget, for skipping unknown groups.
constexpr int kDepth = 100;

// What a field handler of ForEachField did with a field.
enum class Field {
  kTaken,  // read its value
  kSkip,   // not of interest: skipped as protobuf skips an unknown field
  kFail,   // not in the plain form this reader decides (or not wire format)
};

// Calls on_field(field number, wire type, reader) for each field of `msg`
// in wire order. True if every field was taken or skipped.
template <typename OnField>
bool ForEachField(std::string_view msg, OnField&& on_field) {
  WireReader in(msg);
  while (!in.done()) {
    std::uint32_t tag = 0;
    if (!in.Tag(&tag)) return false;
    switch (on_field(tag >> 3, tag & 7, in)) {
      case Field::kTaken: break;
      case Field::kSkip:
        if (!in.SkipField(tag, kDepth)) return false;
        break;
      case Field::kFail: return false;
    }
  }
  return true;
}

// A singular field: taken if it has the declared wire type, has not been
// seen before (protobuf would keep the last, or merge) and read() reads it.
template <typename Read>
Field Once(bool* seen, bool declared_wire, Read&& read) {
  if (*seen || !declared_wire || !read()) return Field::kFail;
  *seen = true;
  return Field::kTaken;
}

// A message whose only field of interest is a singular string or message
// field 1 (Lot.lot_id, Shipped.lot_id, TransformInput.lot_id, ...): reads
// it, or the empty default when absent. False if the field repeats, has
// another wire type, or the bytes are not wire format.
bool FieldOne(std::string_view msg, std::string_view* out) {
  bool seen = false;
  *out = {};
  return ForEachField(msg, [&](std::uint32_t field, std::uint32_t wire, WireReader& in) {
    if (field != 1) return Field::kSkip;
    return Once(&seen, wire == kLen, [&] { return in.Bytes(out); });
  });
}

// Extracted, Recycled and Imported: the created Lot in field 1; Extracted
// also its quota kind (field 4).
bool CreatingBody(std::string_view msg, bool extracted, EventKeys* out) {
  bool lot_seen = false, kind_seen = false;
  std::string_view lot;
  const bool scanned =
      ForEachField(msg, [&](std::uint32_t field, std::uint32_t wire, WireReader& in) {
        if (field == 1) return Once(&lot_seen, wire == kLen, [&] { return in.Bytes(&lot); });
        if (!extracted || field != 4) return Field::kSkip;
        return Once(&kind_seen, wire == kVarint, [&] {
          std::uint64_t v = 0;
          if (!in.Varint(&v, 10)) return false;
          out->quota_kind = static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
          return true;
        });
      });
  std::string_view id;
  if (!scanned || !FieldOne(lot, &id)) return false;
  out->lots.push_back(id);
  return true;
}

// Transformed: inputs (field 1, TransformInput) are moved, outputs (field
// 2, Lot) are created; inputs are listed first, each list in wire order.
bool TransformedBody(std::string_view msg, EventKeys* out) {
  std::size_t& outputs_at = out->moved;
  return ForEachField(msg, [&](std::uint32_t field, std::uint32_t wire, WireReader& in) {
    if (field != 1 && field != 2) return Field::kSkip;
    std::string_view sub, id;
    if (wire != kLen || !in.Bytes(&sub) || !FieldOne(sub, &id)) return Field::kFail;
    if (field == 1) {
      out->lots.insert(out->lots.begin() + static_cast<std::ptrdiff_t>(outputs_at++), id);
    } else {
      out->lots.push_back(id);
    }
    return Field::kTaken;
  });
}

bool TimeSeconds(std::string_view msg, std::int64_t* out) {
  bool seen = false;
  return ForEachField(msg, [&](std::uint32_t field, std::uint32_t wire, WireReader& in) {
    if (field != 1) return Field::kSkip;
    return Once(&seen, wire == kVarint, [&] {
      std::uint64_t v = 0;
      if (!in.Varint(&v, 10)) return false;
      *out = static_cast<std::int64_t>(v);
      return true;
    });
  });
}

}  // namespace

bool ScanEventKeys(std::string_view event_bytes, EventKeys* out) {
  *out = EventKeys{{}, {}, {}, 0, 0, 0, std::move(out->lots), 0};
  out->lots.clear();
  bool seen[5] = {};  // singular fields 1..4
  bool body_seen = false;
  std::string_view body;
  const bool scanned =
      ForEachField(event_bytes, [&](std::uint32_t field, std::uint32_t wire, WireReader& in) {
        std::string_view v;
        if (field >= 1 && field <= 4) {
          return Once(&seen[field], wire == kLen, [&] {
            if (!in.Bytes(&v)) return false;
            if (field == 1) out->ledger_id = v;
            if (field == 2) out->event_id = v;
            if (field == 3) out->actor_id = v;
            return field != 4 || TimeSeconds(v, &out->time_seconds);
          });
        }
        if (field == 5) {  // references: repeated, not read
          return wire == kLen && in.Bytes(&v) ? Field::kTaken : Field::kFail;
        }
        // The body (a oneof: one at most). Every body field must be in this
        // range, or an event naming two bodies would read here otherwise
        // than protobuf reads it (the last one wins there).
        if (field >= 10 && field <= 23) {
          const Field f = Once(&body_seen, wire == kLen, [&] { return in.Bytes(&body); });
          if (f == Field::kTaken) out->body = field;
          return f;
        }
        return Field::kSkip;
      });
  if (!scanned) return false;
  switch (out->body) {
    case v1::Event::kExtracted: return CreatingBody(body, true, out);
    case v1::Event::kRecycled:
    case v1::Event::kImported: return CreatingBody(body, false, out);
    case v1::Event::kReceived: {
      // A cross-ledger receipt (origin, field 5) creates its lot: left to
      // EventKeysOf, which parses the event.
      const bool local = ForEachField(body, [](std::uint32_t field, std::uint32_t, WireReader&) {
        return field == 5 ? Field::kFail : Field::kSkip;
      });
      if (!local) return false;
      std::string_view id;
      if (!FieldOne(body, &id)) return false;
      out->lots.push_back(id);
      out->moved = 1;
      return true;
    }
    case v1::Event::kShipped:
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
      out->moved = ev.received().has_origin() ? 0 : 1;  // a cross-ledger receipt creates it
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
    case v1::Event::kReversed:
      for (const auto& id : ev.reversed().lot_ids()) out->lots.push_back(id);
      out->moved = out->lots.size();
      break;
    default: break;
  }
}

}  // namespace retrace::internal
