// What the layers above the ledger (lineage bundles, publishing) may reach
// of an open ledger besides its public API (internal).
#ifndef RETRACE_LIB_LEDGER_LEDGER_INTERNAL_H_
#define RETRACE_LIB_LEDGER_LEDGER_INTERNAL_H_

#include <functional>
#include <string_view>

#include "retrace/ledger.h"
#include "retrace/status.h"
#include "storage/lmdb_env.h"

namespace retrace::v1 {
class Event;
}  // namespace retrace::v1

namespace retrace::internal {

class Authority;

// Runs `fn` in one read transaction of `ledger`'s LMDB environment, with the
// ledger's name (the origin of its checkpoints). Returns fn's status;
// kInvalidArgument if `ledger` is not a ledger Ledger::Open or
// Ledger::Create returned (a host's own subclass).
Status ReadLedger(const Ledger& ledger,
                  const std::function<Status(const Txn& txn, std::string_view name)>& fn);

// A cross-ledger receipt's proof (docs/federation.md): the sender's bundle,
// stored in the append's write transaction once `judge` accepted it.
struct CrossLedgerAttachment {
  std::string_view bundle;
  // Judges the receipt `ev` about to be appended at `seq`, with the book of
  // authority in force there, in the append's write transaction (which it
  // may write to: the sender's checkpoint). `name` is the ledger's name.
  // Any error refuses the append, and the transaction is not committed.
  std::function<Status(Txn& txn, std::string_view name, const v1::Event& ev,
                       const Authority& book, std::uint64_t seq)>
      judge;
};

// Appends `event`, a cross-ledger receipt, with `attachment` (the only way
// one is appended: Ledger::Append refuses it). kInvalidArgument if `ledger`
// is not one Ledger::Open or Ledger::Create returned.
Result<AppendResult> AppendAttached(Ledger& ledger, const SignedEvent& event,
                                    const CrossLedgerAttachment& attachment);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_LEDGER_LEDGER_INTERNAL_H_
