#include "ledger/txn_store.h"

#include <cstring>

#include "retrace/v1/state.pb.h"
#include "util/status_macros.h"

namespace retrace::internal {

Result<std::optional<std::string>> TxnRecordStore::RecordBytes(std::uint64_t seq) const {
  ASSIGN_OR_RETURN(auto v, RecordBytesView(seq));
  if (!v) return std::optional<std::string>();
  return std::optional<std::string>(std::string(*v));
}

Result<std::optional<std::string_view>> TxnRecordStore::CursorGet(Cursor* cur,
                                                                  std::string_view key) const {
  std::string_view k = key, v;
  ASSIGN_OR_RETURN(bool found, cur->Get(MDB_SET_KEY, &k, &v, "read"));
  if (!found) return std::optional<std::string_view>();
  return std::optional<std::string_view>(v);
}

Result<std::optional<std::string_view>> TxnRecordStore::RecordBytesView(std::uint64_t seq) const {
  return CursorGet(&records_cur_, EncodeU64(seq));
}

Result<std::vector<std::uint64_t>> TxnRecordStore::LotSeqs(std::string_view lot_id) const {
  return SeqDups(&lot_index_cur_, lot_id, "lot_index");
}

Result<std::optional<Hash>> TxnRecordStore::CommittedLeaf(std::uint64_t seq) const {
  ASSIGN_OR_RETURN(auto v, CursorGet(&tree_cur_, TreeKey(0, seq)));
  if (!v || v->size() != 32) return std::optional<Hash>();
  Hash h;
  std::memcpy(h.data(), v->data(), 32);
  return std::optional<Hash>(h);
}

// Decodes in place (Txn::GetDups would copy every value into a string):
// the verifier asks this for every lot of a lineage.
Result<std::vector<std::uint64_t>> TxnRecordStore::SeqDups(Cursor* cur, std::string_view key,
                                                           const char* table) const {
  std::vector<std::uint64_t> out;
  if (key.empty() || key.size() > kMaxTableKey) return out;
  std::string_view k = key, v;
  ASSIGN_OR_RETURN(bool on, cur->Get(MDB_SET_KEY, &k, &v, "read duplicates"));
  while (on) {
    ASSIGN_OR_RETURN(const std::uint64_t seq, DecodeStoredU64(v, table, key));
    out.push_back(seq);
    ASSIGN_OR_RETURN(on, cur->Get(MDB_NEXT_DUP, &k, &v, "read duplicates"));
  }
  return out;
}

Result<std::vector<std::uint64_t>> TxnRecordStore::QuotaLog(std::string_view quota_key) const {
  return SeqDups(&quota_log_cur_, quota_key, "quota_log");
}

Result<std::vector<std::uint64_t>> TxnRecordStore::AuthoritySeqs() const {
  std::vector<std::uint64_t> out;
  if (!txn_.tables().authority_present) return out;
  Status bad;
  RETURN_IF_ERROR(txn_.ForEach(txn_.tables().authority, [&](std::string_view k, std::string_view) {
    Result<std::uint64_t> seq = DecodeU64Key("authority", k);
    if (!seq.ok()) {
      bad = seq.status();
      return false;
    }
    if (*seq < size_) out.push_back(*seq);
    return true;
  }));
  RETURN_IF_ERROR(bad);
  return out;
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
  ASSIGN_OR_RETURN(h.size, DecodeStoredU64(v->substr(0, 8), "meta", kMetaHead));
  std::memcpy(h.hash.data(), v->data() + 8, 32);
  return h;
}

std::string EncodeHead(const Head& h) {
  std::string out = EncodeU64(h.size);
  out.append(reinterpret_cast<const char*>(h.hash.data()), h.hash.size());
  return out;
}

}  // namespace retrace::internal
