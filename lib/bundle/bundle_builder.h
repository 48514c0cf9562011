// Building lineage bundles and tlog proofs from a ledger transaction
// (internal; ProveLineage and ProveRecord of bundle.h).
#ifndef RETRACE_LIB_BUNDLE_BUNDLE_BUILDER_H_
#define RETRACE_LIB_BUNDLE_BUNDLE_BUILDER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "retrace/status.h"
#include "storage/lmdb_env.h"

namespace retrace::internal {

// ProveLineage within one read transaction. `origin` is the ledger
// name (every stored checkpoint's origin).
Result<std::string> BuildBundle(const Txn& txn, std::string_view origin, std::string_view lot_id);

// ProveRecord within one read transaction.
Result<std::string> BuildTlogProof(const Txn& txn, std::string_view origin, std::uint64_t seq);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_BUNDLE_BUNDLE_BUILDER_H_
