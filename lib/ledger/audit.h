// Whole-ledger audit (internal): every record, every rule, every index.
#ifndef RETRACE_LIB_LEDGER_AUDIT_H_
#define RETRACE_LIB_LEDGER_AUDIT_H_

#include "retrace/ledger.h"
#include "retrace/verifier.h"
#include "storage/lmdb_env.h"
#include "verify/key_cache.h"

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

// Lot states kept in memory by the audit at most (tests lower it).
inline constexpr std::size_t kAuditLotCacheSize = 65536;
// Records per chunk of signature checks handed to the thread pool.
inline constexpr std::size_t kAuditChunkRecords = 1024;

// For tests: the same audit with a lot cache of `lot_cache_size` entries.
Result<AuditReport> AuditLedgerWithCache(const Txn& txn, const AuditOptions& options,
                                         std::size_t lot_cache_size, KeyCache* keys = nullptr);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_LEDGER_AUDIT_H_
