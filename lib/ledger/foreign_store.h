// What a ledger keeps of other ledgers (internal; docs/federation.md): the
// lineage bundles cross-ledger receipts commit to, content-addressed by
// their SHA-256, and the senders' checkpoints those bundles carried.
#ifndef RETRACE_LIB_LEDGER_FOREIGN_STORE_H_
#define RETRACE_LIB_LEDGER_FOREIGN_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "retrace/hash.h"
#include "retrace/status.h"
#include "retrace/verifier.h"
#include "storage/lmdb_env.h"

namespace retrace::internal {

// The stored bundle whose SHA-256 is `sha256`, or nullopt. The bytes are
// returned as stored: a caller that trusts them re-hashes them.
Result<std::optional<std::string>> ForeignBundle(const Txn& txn, const Hash& sha256);
// The same bytes in place, valid until `txn` ends or writes.
Result<std::optional<std::string_view>> ForeignBundleView(const Txn& txn, const Hash& sha256);

// Stores `bytes` under their SHA-256 (`sha256`, which the caller computed);
// a bundle already stored is left as it is.
Status PutForeignBundle(Txn& txn, const Hash& sha256, std::string_view bytes);

// A sender checkpoint as stored: its size and the signed note, verbatim.
struct ForeignCheckpoint {
  std::uint64_t size = 0;
  std::string note;
};

// The largest checkpoint of `origin` this ledger holds, or nullopt.
Result<std::optional<ForeignCheckpoint>> LatestForeignCheckpoint(const Txn& txn,
                                                                 std::string_view origin);

// Every checkpoint of `origin` this ledger holds, by size.
Result<std::vector<ForeignCheckpoint>> ForeignCheckpoints(const Txn& txn, std::string_view origin);

// Stores `note` as the checkpoint of `origin` at `size`, unless one of that
// size is stored already (the first is kept: it is what was judged).
Status PutForeignCheckpoint(Txn& txn, std::string_view origin, std::uint64_t size,
                            std::string_view note);

// The audit's part: every stored bundle must hash to its key
// (foreign_bundle_altered otherwise), and every cross-ledger receipt's
// bundle must be stored (foreign_bundle_missing; `receipts` lists them as
// (seq, bundle SHA-256) pairs). Mirrors hold no bundles: pass no receipts.
Status CheckForeignBundles(const Txn& txn,
                           const std::vector<std::pair<std::uint64_t, Hash>>& receipts,
                           std::vector<Finding>* findings);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_LEDGER_FOREIGN_STORE_H_
