// Whole-ledger audit (internal): every record, every rule, every index.
#ifndef RETRACE_LIB_LEDGER_AUDIT_H_
#define RETRACE_LIB_LEDGER_AUDIT_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "retrace/ledger.h"
#include "retrace/merkle.h"
#include "retrace/verifier.h"
#include "storage/lmdb_env.h"
#include "crypto/key_cache.h"

namespace retrace::internal {

// Replays the log from record 0 inside `txn` (a read snapshot): checks each
// record as the lineage verifier does, replays every lot's custody, then
// compares every derived table (hash, event-id and lot indexes, lot, actor
// and key state, Merkle nodes, head) with what the records imply.
//
// Streaming, with memory bounded independently of the ledger's size: the
// log is read in key order; signatures are checked in chunks on
// options.threads threads while the scan goes on; event-id uniqueness and
// the lot index are checked against the LMDB indexes record by record
// instead of being rebuilt in memory; lot states live in a bounded cache
// (a lot evicted from it is rebuilt from its own earlier records when it is
// next touched); each lot's stored state is compared with the replayed one
// at the lot's last record. Memory grows only with the number of actors and
// keys. The report does not depend on options.threads. options.progress
// hears (records done, total) every 256 records and at the end.
// `keys` (optional) caches parsed keys across calls.
Result<AuditReport> AuditLedger(const Txn& txn, const AuditOptions& options = AuditOptions(),
                                KeyCache* keys = nullptr);

// The integrity-only audit (AuditScope::kIntegrity): the records' hashes,
// sequence and chain links, every stored Merkle node, the head, and the hash,
// event-id, lot, quota-log, key-event and policy indexes -- no signatures, no
// rule replay, no lot, actor, key or quota state. Sequential scans (and,
// with two threads, a few dozen reads where the scan splits): the records
// and the tree table are read in key order side by side, and
// each index table is compared with what the records imply through a
// fingerprint of its entries (count, and sum and xor of a 64-bit hash of
// each entry), so no index is probed at random and memory stays flat. A
// damaged index is named but not the entry that differs; the full audit
// names the record. With `env` (the environment `txn` reads) and more than
// one thread, the index tables are digested on a second thread in a second
// read transaction of the same snapshot (checked by transaction id; if a
// write came in between, this thread digests them and scans alone). `keys`
// as for AuditLedger.
//
// With two threads the record scan itself is split (IntegritySplitPoint):
// the second thread scans the records from the split on, starting from the
// state the stored tree, the record before the split and the authority
// index say the first scan will reach; the report is the one-thread
// report whatever the split finds (integrity_audit.cc, IntegrityAuditor::
// Run). `halves_joined` (for tests) is set to whether the two scans'
// results were joined, false when the first scan went on past the split.
Result<AuditReport> AuditLedgerIntegrity(const Txn& txn, const LmdbEnv* env,
                                         const AuditOptions& options, KeyCache* keys = nullptr,
                                         bool* halves_joined = nullptr);

// Where a two-thread integrity audit of `size` records splits the record
// scan: the second thread scans from this record on (after digesting the
// index tables). 0 when there is nothing to split.
std::uint64_t IntegritySplitPoint(std::uint64_t size);

// Running RFC 6962 root over leaves appended one by one: the perfect
// subtrees of the binary decomposition of the size, O(log n) memory.
class CompactRange {
 public:
  CompactRange() = default;
  // The state after `size` leaves, from the roots of the perfect subtrees
  // of size's binary decomposition, largest (leftmost) first.
  CompactRange(std::uint64_t size, std::vector<Hash> roots)
      : size_(size), stack_(std::move(roots)) {}
  bool operator==(const CompactRange& o) const { return size_ == o.size_ && stack_ == o.stack_; }

  // Appends a leaf and calls completed(level, index, hash) for every
  // perfect subtree above it that the leaf completes: exactly the inner
  // nodes the ledger stores when it appends this leaf.
  template <typename Fn>
  void Append(Hash h, Fn&& completed) {
    std::uint64_t n = size_++;
    unsigned level = 0;
    while (n & 1) {
      h = merkle::NodeHash(stack_.back(), h);
      stack_.pop_back();
      n >>= 1;
      ++level;
      completed(level, n, h);
    }
    stack_.push_back(h);
  }
  Hash Root() const {
    if (stack_.empty()) return merkle::EmptyRoot();
    Hash acc = stack_.back();
    for (auto it = stack_.rbegin() + 1; it != stack_.rend(); ++it) acc = merkle::NodeHash(*it, acc);
    return acc;
  }

 private:
  std::uint64_t size_ = 0;
  std::vector<Hash> stack_;
};

// Lot states kept in memory by the audit at most (tests lower it).
inline constexpr std::size_t kAuditLotCacheSize = 65536;
// Records per chunk of signature checks handed to the thread pool.
inline constexpr std::size_t kAuditChunkRecords = 1024;

// For tests: the same audit with a lot cache of `lot_cache_size` entries.
Result<AuditReport> AuditLedgerWithCache(const Txn& txn, const AuditOptions& options,
                                         std::size_t lot_cache_size, KeyCache* keys = nullptr);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_LEDGER_AUDIT_H_
