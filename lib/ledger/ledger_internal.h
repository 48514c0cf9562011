// What the layers above the ledger (lineage bundles, publishing) may reach
// of an open ledger besides its public API (internal).
#ifndef RETRACE_LIB_LEDGER_LEDGER_INTERNAL_H_
#define RETRACE_LIB_LEDGER_LEDGER_INTERNAL_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "retrace/ledger.h"
#include "retrace/status.h"
#include "storage/lmdb_env.h"

#include "retrace/v1/retrace.pb.h"

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

// One registry record to import into a ledger bound to the registry
// (docs/federation.md, "The registry").
struct RegistryImportInput {
  std::string registry_record;  // the registry's stored record bytes at proof.index
  v1::RegistryProof proof;
};

// Appends `imports` as import records, in order, in one write transaction:
// each judged by the book of authority as the ledger would hold it with the
// record (rules/registry.h: binding, contiguity, checkpoint, witnesses,
// consistency, inclusion; then the regulator's signature and every rule of
// an authority record), or the whole batch refused and the ledger
// unchanged. kInvalidArgument if `ledger` is not one Ledger::Open or
// Ledger::Create returned, or a registry record does not parse.
// The book of authority of `ledger`'s current state (as an append would
// judge by). kInvalidArgument as ReadLedger.
Result<std::shared_ptr<const Authority>> LedgerBook(const Ledger& ledger);

Result<std::vector<AppendResult>> AppendRegistryImports(
    Ledger& ledger, const std::vector<RegistryImportInput>& imports);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_LEDGER_LEDGER_INTERNAL_H_
