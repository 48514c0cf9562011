// Signed checkpoints stored beside the log, in the `checkpoints` table
// (u64be tree size -> signed checkpoint note; docs/transparency.md). Internal.
//
// Invariant: every stored checkpoint is consistent with every earlier one.
// SignAndStoreCheckpoint checks the current tree against the last stored
// checkpoint with a consistency proof before it signs, in the write
// transaction that stores the new one.
#ifndef RETRACE_LIB_LEDGER_CHECKPOINT_LOG_H_
#define RETRACE_LIB_LEDGER_CHECKPOINT_LOG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "retrace/checkpoint.h"
#include "retrace/note.h"
#include "retrace/status.h"
#include "retrace/verifier.h"
#include "storage/lmdb_env.h"

namespace retrace::internal {

struct StoredCheckpoint {
  Checkpoint checkpoint;
  std::string note;  // signed note, with any cosignatures
};

// The latest stored checkpoint, parsed, or nullopt if none. kCorruption if it
// does not parse, is keyed under another size or names another origin.
Result<std::optional<StoredCheckpoint>> LatestStoredCheckpoint(const Txn& txn,
                                                               std::string_view origin);

// Ledger::SignCheckpoint inside a write transaction.
Result<std::string> SignAndStoreCheckpoint(Txn& txn, std::string_view origin,
                                           const NoteSigner& signer);

// Ledger::StoreCheckpoint inside a write transaction: a checkpoint another
// ledger (a mirror's source) signed, checked against this tree.
Result<std::string> StoreForeignCheckpoint(Txn& txn, std::string_view origin, std::string_view note,
                                           const NoteVerifier& log_key);

// Ledger::AddCosignatures inside a write transaction.
Result<std::string> StoreCosignatures(Txn& txn, std::string_view origin, std::string_view input,
                                      const std::vector<NoteVerifier>& witnesses);

// Checks every stored checkpoint against the tree of `tree_size` leaves
// (the records' own, audited separately): it parses, is keyed under its
// size, names `origin`, covers no more than the tree, and its root is the
// tree's root at its size. Each failure is an index_inconsistent finding
// naming the checkpoint's size (signatures are the log key's to check:
// `retrace checkpoint` and the witnesses do). Errors only if the tables
// cannot be read.
Status CheckStoredCheckpoints(const Txn& txn, std::string_view origin, std::uint64_t tree_size,
                              std::vector<Finding>* findings);

// The latest stored checkpoint, checked against the tree: the tree still
// has its root at its size. kFailedPrecondition if none was signed yet;
// kCorruption if the tree no longer matches it.
Result<StoredCheckpoint> CurrentCheckpoint(const Txn& txn, std::string_view origin);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_LEDGER_CHECKPOINT_LOG_H_
