// Lineage verification over any RecordStore (internal).
#ifndef RETRACE_LIB_VERIFY_LINEAGE_H_
#define RETRACE_LIB_VERIFY_LINEAGE_H_

#include <string_view>

#include "retrace/verifier.h"
#include "verify/record_store.h"

namespace retrace::internal {

// Walks backward from `lot_id` through every input edge to the extraction
// records, checking every record reached once (record_checker.h) and
// replaying the custody rules (ledger/rules.h) along every lot's own chain.
// kNotFound if the store has no record of `lot_id`.
Result<VerifyReport> VerifyLineage(const RecordStore& store, std::string_view lot_id);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_VERIFY_LINEAGE_H_
