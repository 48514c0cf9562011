#include "ledger/txn_store.h"

#include <cstring>

#include "retrace/v1/state.pb.h"
#include "util/status_macros.h"

namespace retrace::internal {

Result<std::optional<std::string>> TxnRecordStore::RecordBytes(std::uint64_t seq) const {
  ASSIGN_OR_RETURN(auto v, txn_.Get(txn_.tables().records, EncodeU64(seq)));
  if (!v) return std::optional<std::string>();
  return std::optional<std::string>(std::string(*v));
}

Result<std::vector<std::uint64_t>> TxnRecordStore::LotSeqs(std::string_view lot_id) const {
  std::vector<std::uint64_t> out;
  if (lot_id.empty() || lot_id.size() > 511) return out;  // LMDB key limit
  ASSIGN_OR_RETURN(auto dups, txn_.GetDups(txn_.tables().lot_index, lot_id));
  for (const auto& d : dups) {
    auto v = DecodeU64(d);
    if (!v) return CorruptionError("lot index entry for " + std::string(lot_id) + " is damaged");
    out.push_back(*v);
  }
  return out;
}

Result<std::optional<Hash>> TxnRecordStore::CommittedLeaf(std::uint64_t seq) const {
  ASSIGN_OR_RETURN(auto v, txn_.Get(txn_.tables().tree, TreeKey(0, seq)));
  if (!v || v->size() != 32) return std::optional<Hash>();
  Hash h;
  std::memcpy(h.data(), v->data(), 32);
  return std::optional<Hash>(h);
}

Result<std::optional<std::uint64_t>> TxnRecordStore::KeyRegistration(
    std::string_view key_id) const {
  if (key_id.empty() || key_id.size() > 511) return std::optional<std::uint64_t>();
  ASSIGN_OR_RETURN(auto v, txn_.Get(txn_.tables().keys, key_id));
  if (!v) return std::optional<std::uint64_t>();
  v1::state::KeyState ks;
  if (!ks.ParseFromArray(v->data(), static_cast<int>(v->size()))) {
    return CorruptionError("key index entry for " + std::string(key_id) + " is damaged");
  }
  return std::optional<std::uint64_t>(ks.registered_seq());
}

Result<std::optional<std::uint64_t>> TxnRecordStore::ActorRegistration(
    std::string_view actor_id) const {
  if (actor_id.empty() || actor_id.size() > 511) return std::optional<std::uint64_t>();
  ASSIGN_OR_RETURN(auto v, txn_.Get(txn_.tables().actors, actor_id));
  if (!v) return std::optional<std::uint64_t>();
  v1::state::ActorState as;
  if (!as.ParseFromArray(v->data(), static_cast<int>(v->size()))) {
    return CorruptionError("actor index entry for " + std::string(actor_id) + " is damaged");
  }
  return std::optional<std::uint64_t>(as.registered_seq());
}

Result<Hash> TxnNodeSource::PerfectNode(unsigned level, std::uint64_t index) const {
  ASSIGN_OR_RETURN(auto v, txn_.Get(txn_.tables().tree, TreeKey(level, index)));
  if (!v) {
    return CorruptionError("Merkle tree node (level " + std::to_string(level) + ", index " +
                           std::to_string(index) + ") is missing");
  }
  if (v->size() != 32) {
    return CorruptionError("Merkle tree node (level " + std::to_string(level) + ", index " +
                           std::to_string(index) + ") is damaged");
  }
  Hash h;
  std::memcpy(h.data(), v->data(), 32);
  return h;
}

Result<Head> ReadHead(const Txn& txn) {
  ASSIGN_OR_RETURN(auto v, txn.Get(txn.tables().meta, kMetaHead));
  if (!v) return CorruptionError("the ledger has no head entry");
  if (v->size() != 40) return CorruptionError("the ledger head entry is damaged");
  Head h;
  h.size = *DecodeU64(v->substr(0, 8));
  std::memcpy(h.hash.data(), v->data() + 8, 32);
  return h;
}

std::string EncodeHead(const Head& h) {
  std::string out = EncodeU64(h.size);
  out.append(reinterpret_cast<const char*>(h.hash.data()), h.hash.size());
  return out;
}

}  // namespace retrace::internal
