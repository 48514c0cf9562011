// Lineage verification over any RecordStore (internal).
#ifndef RETRACE_LIB_VERIFY_LINEAGE_H_
#define RETRACE_LIB_VERIFY_LINEAGE_H_

#include <string_view>

#include "retrace/ledger.h"
#include "retrace/verifier.h"
#include "crypto/key_cache.h"
#include "rules/authority.h"
#include "verify/record_store.h"

namespace retrace::internal {

// Walks backward from `lot_id` through every input edge to the extraction
// records, checking every record reached once (record_checker.h) and
// replaying the custody rules (ledger/rules.h) along every lot's own chain.
// kNotFound if the store has no record of `lot_id`.
//
// The walk collects the lineage's records first (reading, hashing, linking
// and replaying the rules sequentially), then checks all their signatures at
// once on options.threads threads. The report does not depend on the
// thread count. `keys` (optional) caches parsed keys across calls. `book`
// (optional) is the store's book of authority, if the caller has it built
// for this very store (a ledger keeps its own); it is loaded from the store
// otherwise. `book_findings` (optional, with `book`) are the findings
// LoadAuthority reported building that book: the report has them as if
// the walk had loaded it.
Result<VerifyReport> VerifyLineage(const RecordStore& store, std::string_view lot_id,
                                   const VerifyOptions& options = VerifyOptions(),
                                   KeyCache* keys = nullptr,
                                   std::shared_ptr<const Authority> book = nullptr,
                                   const std::vector<Finding>* book_findings = nullptr);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_VERIFY_LINEAGE_H_
