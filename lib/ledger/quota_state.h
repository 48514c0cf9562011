// The quota tables of a ledger (internal): the quota log (quota key -> the
// seqs of its grants and uses) and the tally of what has counted against
// each key (state.h QuotaTally), read and written inside a transaction.
#ifndef RETRACE_LIB_LEDGER_QUOTA_STATE_H_
#define RETRACE_LIB_LEDGER_QUOTA_STATE_H_

#include <string_view>
#include <vector>

#include "ledger/state.h"
#include "retrace/status.h"
#include "rules/authority.h"
#include "rules/quota_book.h"
#include "storage/lmdb_env.h"

namespace retrace::internal {

// The entry record `seq` (its stored bytes) makes in the log of
// `quota_key` -- a grant, a use, or a reversal releasing an earlier use --
// judged by `book` with the record's own signature taken as verified (the
// ledger verified it on append). kCorruption if the record does not parse
// or makes no entry in that log (a damaged index).
Result<QuotaLogEntry> StoredQuotaEntry(const Txn& txn, const Authority& book, std::uint64_t seq,
                                       std::string_view stored, std::string_view quota_key);

// Every entry of the log of `quota_key`, in log order.
Result<std::vector<QuotaLogEntry>> ReadQuotaLog(const Txn& txn, const Authority& book,
                                                std::string_view quota_key);

// The stored tally of `quota_key`, checked against its quota log (the
// number of entries and the last one): kCorruption if they disagree, so a
// damaged balance never decides a quota rule. An empty tally if the key has
// no entry yet.
Result<QuotaTally> ReadQuotaTally(const Txn& txn, std::string_view quota_key);

// Recomputes the tally of every quota key from its log under `book` and
// stores it (after a revocation changed what counts, or in an upgrade).
Status RecomputeQuotaTallies(Txn& txn, const Authority& book);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_LEDGER_QUOTA_STATE_H_
