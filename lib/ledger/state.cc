#include "ledger/state.h"

#include <cstring>
#include <optional>
#include <vector>

#include "retrace/hash.h"
#include "util/escape.h"
#include "model/proto_convert.h"
#include "model/wire_reader.h"
#include "retrace/v1/state.pb.h"
#include "storage/lmdb_env.h"

namespace retrace::internal {
namespace {

constexpr std::size_t kCheckBytes = 8;

std::string Sealed(std::string bytes) {
  const Hash h = Sha256(bytes);
  bytes.append(reinterpret_cast<const char*>(h.data()), kCheckBytes);
  return bytes;
}

// The protobuf bytes of a sealed value, if its check holds.
std::optional<std::string_view> Unsealed(std::string_view value) {
  if (value.size() < kCheckBytes) return std::nullopt;
  std::string_view body = value.substr(0, value.size() - kCheckBytes);
  const Hash h = Sha256(body);
  if (std::memcmp(h.data(), value.data() + body.size(), kCheckBytes) != 0) return std::nullopt;
  return body;
}

}  // namespace

namespace {

// The message EncodeLotState serialises. Clear() keeps the strings' and the
// repeated field's memory, so a reused message allocates nothing.
void FillLotState(const LotView& v, v1::state::LotState* s) {
  s->Clear();
  s->set_lot_id(v.lot_id);
  s->set_material(static_cast<int>(v.material));
  s->set_mass_g(v.mass_g);
  s->set_remaining_g(v.remaining_g);
  s->set_custodian(v.custodian);
  s->set_in_transit_to(v.in_transit_to);
  s->set_status(static_cast<v1::state::LotStatus>(v.status));
  s->set_head_hash(v.head_hash.data(), v.head_hash.size());
  s->set_head_seq(v.head_seq);
  s->set_created_seq(v.created_seq);
  s->set_shipped_mass_g(v.shipped_mass_g);
  s->set_creator(v.creator);
  s->set_head_time(v.head_time);
  for (const auto& c : v.content) {
    auto* e = s->add_content();
    e->set_element(static_cast<int>(c.element));
    e->set_grams(c.grams);
  }
}

}  // namespace

std::string EncodeLotState(const LotView& v) {
  v1::state::LotState s;
  FillLotState(v, &s);
  return Sealed(SerializeDeterministic(s));
}

bool LotStateEncodes(const LotView& v, std::string_view stored) {
  // One message and one buffer per thread, reused from lot to lot.
  thread_local v1::state::LotState s;
  thread_local std::string body;
  FillLotState(v, &s);
  SerializeDeterministicTo(s, &body);
  if (stored.size() != body.size() + kCheckBytes ||
      std::memcmp(stored.data(), body.data(), body.size()) != 0) {
    return false;
  }
  const Hash h = Sha256(body);
  return std::memcmp(h.data(), stored.data() + body.size(), kCheckBytes) == 0;
}

namespace {

// A lot state's fields as they are stored: the strings point into the value.
struct LotFields {
  std::string_view lot_id, custodian, in_transit_to, creator, head_hash;
  std::int32_t material = 0, status = 0;
  std::uint64_t mass_g = 0, remaining_g = 0, head_seq = 0, created_seq = 0, shipped_mass_g = 0;
  std::int64_t head_time = 0;
};

constexpr std::uint32_t kVarint = 0;
constexpr std::uint32_t kLen = 2;

// Reads the form EncodeLotState writes -- each field at most once, with its
// declared wire type, strings in UTF-8, no field state.proto does not
// declare -- without a message: the element contents go to `content` (if
// not null). False for anything else, which ReadLotState leaves to
// protobuf: so this reader never decides a value protobuf would read
// otherwise (tests/ledger/lot_state_test.cc holds it to that).
bool ReadPlainLotState(std::string_view body, LotFields* f, std::vector<ElementMass>* content) {
  WireReader in(body);
  std::uint32_t seen = 0;  // bit n: field n read
  while (!in.done()) {
    std::uint32_t tag = 0;
    if (!in.Tag(&tag)) return false;
    const std::uint32_t field = tag >> 3, wire = tag & 7;
    if (field == 0 || field > 14) return false;
    if (field != 13) {  // every other field is singular
      if ((seen & (1u << field)) != 0) return false;
      seen |= 1u << field;
    }
    std::uint64_t v = 0;
    std::string_view* text = nullptr;
    switch (field) {
      case 1: text = &f->lot_id; break;
      case 5: text = &f->custodian; break;
      case 6: text = &f->in_transit_to; break;
      case 12: text = &f->creator; break;
      case 8:
        if (wire != kLen || !in.Bytes(&f->head_hash)) return false;
        continue;
      case 13: {
        std::string_view m;
        if (wire != kLen || !in.Bytes(&m)) return false;
        WireReader e(m);
        std::uint64_t element = 0, grams = 0;
        bool have_element = false, have_grams = false;
        while (!e.done()) {
          std::uint32_t t = 0;
          if (!e.Tag(&t)) return false;
          if (t == ((1 << 3) | kVarint) && !have_element) {
            if (!e.Varint(&element, 10)) return false;
            have_element = true;
          } else if (t == ((2 << 3) | kVarint) && !have_grams) {
            if (!e.Varint(&grams, 10)) return false;
            have_grams = true;
          } else {
            return false;
          }
        }
        if (content != nullptr) {
          content->push_back({static_cast<Element>(static_cast<std::int32_t>(element)), grams});
        }
        continue;
      }
      default:  // the varints
        if (wire != kVarint || !in.Varint(&v, 10)) return false;
        switch (field) {
          case 2: f->material = static_cast<std::int32_t>(v); break;
          case 3: f->mass_g = v; break;
          case 4: f->remaining_g = v; break;
          case 7: f->status = static_cast<std::int32_t>(v); break;
          case 9: f->head_seq = v; break;
          case 10: f->created_seq = v; break;
          case 11: f->shipped_mass_g = v; break;
          case 14: f->head_time = static_cast<std::int64_t>(v); break;
        }
        continue;
    }
    if (wire != kLen || !in.Bytes(text) || !ValidUtf8(*text)) return false;
  }
  return true;
}

// The seal, the parse and the checks every reader of a lot state makes.
// The plain form is read in place; any other form protobuf parses, into a
// message kept per thread (its strings' memory reused from lot to lot).
bool ReadLotState(std::string_view bytes, std::string_view lot_id, LotFields* f,
                  std::vector<ElementMass>* content) {
  std::optional<std::string_view> body = Unsealed(bytes);
  if (!body) return false;
  if (!ReadPlainLotState(*body, f, content)) {
    thread_local v1::state::LotState s;
    if (!s.ParseFromArray(body->data(), static_cast<int>(body->size()))) return false;
    f->lot_id = s.lot_id();
    f->custodian = s.custodian();
    f->in_transit_to = s.in_transit_to();
    f->creator = s.creator();
    f->head_hash = s.head_hash();
    f->material = s.material();
    f->status = s.status();
    f->mass_g = s.mass_g();
    f->remaining_g = s.remaining_g();
    f->head_seq = s.head_seq();
    f->created_seq = s.created_seq();
    f->shipped_mass_g = s.shipped_mass_g();
    f->head_time = s.head_time();
    if (content != nullptr) {
      content->clear();
      for (const auto& c : s.content()) {
        content->push_back({static_cast<Element>(c.element()), c.grams()});
      }
    }
  }
  return f->head_hash.size() == 32 && f->status >= 1 && f->status <= kMaxLotStatus &&
         (lot_id.empty() || f->lot_id == lot_id);
}

}  // namespace

bool LotStateIntact(std::string_view bytes, std::string_view lot_id) {
  LotFields f;
  return ReadLotState(bytes, lot_id, &f, nullptr);
}

Result<LotView> DecodeLotState(std::string_view bytes, std::string_view lot_id) {
  LotFields f;
  LotView v;
  if (!ReadLotState(bytes, lot_id, &f, &v.content)) {
    return CorruptionError("the stored state of lot " +
                           (lot_id.empty() ? std::string("?") : EscapeForDisplay(lot_id)) +
                           " is damaged; run `retrace audit` (docs/reliability.md)");
  }
  v.lot_id = f.lot_id;
  v.material = static_cast<MaterialClass>(f.material);
  v.mass_g = f.mass_g;
  v.remaining_g = f.remaining_g;
  v.custodian = f.custodian;
  v.in_transit_to = f.in_transit_to;
  v.status = static_cast<LotStatus>(f.status);
  std::memcpy(v.head_hash.data(), f.head_hash.data(), 32);
  v.head_seq = f.head_seq;
  v.created_seq = f.created_seq;
  v.shipped_mass_g = f.shipped_mass_g;
  v.creator = f.creator;
  v.head_time = f.head_time;
  return v;
}

std::string EncodeQuotaTally(const QuotaTally& q) {
  v1::state::QuotaState s;
  s.set_used_reo_g(static_cast<std::uint64_t>(q.used));
  s.set_used_reo_g_high(static_cast<std::uint64_t>(q.used >> 64));
  s.set_entries(q.entries);
  s.set_last_seq(q.last_seq);
  return Sealed(SerializeDeterministic(s));
}

Result<QuotaTally> DecodeQuotaTally(std::string_view bytes, std::string_view quota_key) {
  std::optional<std::string_view> body = Unsealed(bytes);
  v1::state::QuotaState s;
  if (!body || !s.ParseFromArray(body->data(), static_cast<int>(body->size()))) {
    return CorruptionError("the stored quota balance of " + QuotaKeyName(quota_key) +
                           " is damaged; run `retrace audit`");
  }
  QuotaTally q;
  q.used = (static_cast<unsigned __int128>(s.used_reo_g_high()) << 64) | s.used_reo_g();
  q.entries = s.entries();
  q.last_seq = s.last_seq();
  return q;
}

// Keyed by the node's last leaf first, so that every node an append
// completes sorts after every stored node: the tree table only ever grows at
// its right edge, is written with MDB_APPEND, and its pages fill up
// (keyed by level first, each append inserted into the middle of the table
// and LMDB's half-and-half splits left the pages half empty).
std::string TreeKey(unsigned level, std::uint64_t index) {
  // (index + 1) << level is at most 2^64 for a node of a valid tree; the
  // wrap-around of exactly 2^64 to 0 still gives the right last leaf.
  const std::uint64_t last_leaf = ((index + 1) << level) - 1;
  std::string k = EncodeU64(last_leaf);
  k.push_back(static_cast<char>(level));
  return k;
}

}  // namespace retrace::internal
