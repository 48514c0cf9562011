#include "ledger/state.h"

#include <cstring>

#include "retrace/hash.h"
#include "util/escape.h"
#include "model/proto_convert.h"
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

// The seal, the parse and the checks every reader of a lot state makes.
bool ParseLotState(std::string_view bytes, std::string_view lot_id, v1::state::LotState* s) {
  std::optional<std::string_view> body = Unsealed(bytes);
  return body && s->ParseFromArray(body->data(), static_cast<int>(body->size())) &&
         s->head_hash().size() == 32 && s->status() >= 1 && s->status() <= kMaxLotStatus &&
         (lot_id.empty() || s->lot_id() == lot_id);
}

}  // namespace

bool LotStateIntact(std::string_view bytes, std::string_view lot_id) {
  // One message per thread, its strings' capacity reused from lot to lot.
  thread_local v1::state::LotState s;
  return ParseLotState(bytes, lot_id, &s);
}

Result<LotView> DecodeLotState(std::string_view bytes, std::string_view lot_id) {
  v1::state::LotState s;
  if (!ParseLotState(bytes, lot_id, &s)) {
    return CorruptionError("the stored state of lot " +
                           (lot_id.empty() ? std::string("?") : EscapeForDisplay(lot_id)) +
                           " is damaged; run `retrace audit` (docs/reliability.md)");
  }
  LotView v;
  v.lot_id = s.lot_id();
  v.material = static_cast<MaterialClass>(s.material());
  v.mass_g = s.mass_g();
  v.remaining_g = s.remaining_g();
  v.custodian = s.custodian();
  v.in_transit_to = s.in_transit_to();
  v.status = static_cast<LotStatus>(s.status());
  std::memcpy(v.head_hash.data(), s.head_hash().data(), 32);
  v.head_seq = s.head_seq();
  v.created_seq = s.created_seq();
  v.shipped_mass_g = s.shipped_mass_g();
  v.creator = s.creator();
  v.head_time = s.head_time();
  for (const auto& c : s.content()) v.content.push_back({static_cast<Element>(c.element()), c.grams()});
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
