// Whole-ledger audit (internal): every record, every rule, every index.
#ifndef RETRACE_LIB_LEDGER_AUDIT_H_
#define RETRACE_LIB_LEDGER_AUDIT_H_

#include "retrace/ledger.h"
#include "retrace/verifier.h"
#include "storage/lmdb_env.h"

namespace retrace::internal {

// Replays the log from record 0 inside `txn` (a read snapshot): checks each
// record as the lineage verifier does, replays every lot's custody, then
// compares every derived table (hash, event-id and lot indexes, lot, actor
// and key state, Merkle nodes, head) with what the records imply.
// `progress` (may be empty) hears (records done, total) every 256 records
// and at the end.
Result<AuditReport> AuditLedger(const Txn& txn, const Ledger::ProgressCallback& progress);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_LEDGER_AUDIT_H_
