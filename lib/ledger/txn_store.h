// RecordStore and merkle::NodeSource over one LMDB transaction (internal).
// Valid only while the transaction is.
#ifndef RETRACE_LIB_LEDGER_TXN_STORE_H_
#define RETRACE_LIB_LEDGER_TXN_STORE_H_

#include "ledger/state.h"
#include "retrace/merkle.h"
#include "storage/lmdb_env.h"
#include "verify/record_store.h"

namespace retrace::internal {

// Thread safety: like its transaction, one thread at a time (it keeps LMDB
// cursors: a walk reads neighbouring records, and a positioned cursor finds
// a key on its current page without searching the tree from the root).
class TxnRecordStore : public RecordStore {
 public:
  TxnRecordStore(const Txn& txn, std::uint64_t size)
      : txn_(txn),
        size_(size),
        records_cur_(txn, txn.tables().records),
        tree_cur_(txn, txn.tables().tree),
        lot_index_cur_(txn, txn.tables().lot_index),
        quota_log_cur_(txn, txn.tables().quota_log) {}
  TxnRecordStore(const TxnRecordStore&) = delete;
  TxnRecordStore& operator=(const TxnRecordStore&) = delete;
  std::uint64_t Size() const override { return size_; }
  Result<std::optional<std::string>> RecordBytes(std::uint64_t seq) const override;
  // Views into LMDB's map: valid for the transaction (which must be
  // read-only: a write would move them).
  bool LendsRecords() const override { return true; }
  Result<std::optional<std::string_view>> RecordBytesView(std::uint64_t seq) const override;
  Result<std::vector<std::uint64_t>> LotSeqs(std::string_view lot_id) const override;
  Result<std::optional<Hash>> CommittedLeaf(std::uint64_t seq) const override;
  Result<std::vector<std::uint64_t>> QuotaLog(std::string_view quota_key) const override;
  Result<std::vector<std::uint64_t>> AuthoritySeqs() const override;

 private:
  // Get through `cur`.
  Result<std::optional<std::string_view>> CursorGet(Cursor* cur, std::string_view key) const;
  // The values of `key` in the dupsort table of `cur` (named `table` in
  // errors), decoded as seqs.
  Result<std::vector<std::uint64_t>> SeqDups(Cursor* cur, std::string_view key,
                                             const char* table) const;
  const Txn& txn_;
  std::uint64_t size_;
  // Kept for the store's life: a lineage walk asks the lot index once per
  // lot, and opening a cursor (two allocations for a dupsort table) cost as
  // much as the lookup.
  mutable Cursor records_cur_;
  mutable Cursor tree_cur_;
  mutable Cursor lot_index_cur_;
  mutable Cursor quota_log_cur_;
};

class TxnNodeSource : public merkle::NodeSource {
 public:
  explicit TxnNodeSource(const Txn& txn) : txn_(txn) {}
  Result<Hash> PerfectNode(unsigned level, std::uint64_t index) const override;

 private:
  const Txn& txn_;
};

// The head (size, hash of the last record) from the meta table.
struct Head {
  std::uint64_t size = 0;
  Hash hash{};
};
Result<Head> ReadHead(const Txn& txn);
std::string EncodeHead(const Head& h);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_LEDGER_TXN_STORE_H_
