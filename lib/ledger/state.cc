#include "ledger/state.h"

#include <cstring>

#include "model/proto_convert.h"
#include "storage/lmdb_env.h"

namespace retrace::internal {

std::string EncodeLotState(const LotView& v) {
  v1::state::LotState s;
  s.set_lot_id(v.lot_id);
  s.set_material(static_cast<int>(v.material));
  s.set_mass_g(v.mass_g);
  s.set_remaining_g(v.remaining_g);
  s.set_custodian(v.custodian);
  s.set_in_transit_to(v.in_transit_to);
  s.set_status(static_cast<v1::state::LotStatus>(v.status));
  s.set_head_hash(v.head_hash.data(), v.head_hash.size());
  s.set_head_seq(v.head_seq);
  s.set_created_seq(v.created_seq);
  s.set_shipped_mass_g(v.shipped_mass_g);
  s.set_creator(v.creator);
  for (const auto& c : v.content) {
    auto* e = s.add_content();
    e->set_element(static_cast<int>(c.element));
    e->set_grams(c.grams);
  }
  return SerializeDeterministic(s);
}

Result<LotView> DecodeLotState(std::string_view bytes) {
  v1::state::LotState s;
  if (!s.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
      s.head_hash().size() != 32 || s.status() < 1 || s.status() > 4) {
    return CorruptionError("stored lot state does not parse");
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
  for (const auto& c : s.content()) v.content.push_back({static_cast<Element>(c.element()), c.grams()});
  return v;
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
