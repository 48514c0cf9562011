// Importing the registry (retrace/federation.h, docs/federation.md, "The
// registry"). This file only reads a local copy of the registry and builds
// the import records; the book of authority judges them, in the ledger's
// write transaction, through rules/registry.h -- the same judgment verify,
// audit and bundles make.
#include "ledger/ledger_internal.h"
#include "retrace/checkpoint.h"
#include "retrace/federation.h"
#include "rules/authority.h"
#include "util/escape.h"
#include "util/hex.h"
#include "util/status_macros.h"

namespace retrace {

Result<std::optional<RegistryCheckpointInfo>> RegistryCheckpointOf(const Ledger& ledger) {
  ASSIGN_OR_RETURN(std::shared_ptr<const internal::Authority> book, internal::LedgerBook(ledger));
  if (book->registry_imports().empty()) return std::optional<RegistryCheckpointInfo>();
  return std::optional<RegistryCheckpointInfo>(
      internal::InfoOf(book->registry_imports().back()));
}

Result<RegistryImportResult> ImportRegistry(Ledger& ledger, const Ledger& registry,
                                            std::uint64_t max_records) {
  ASSIGN_OR_RETURN(std::shared_ptr<const internal::Authority> book, internal::LedgerBook(ledger));
  const internal::RegistryAnchors* anchors = book->registry();
  if (anchors == nullptr) {
    return FailedPreconditionError("this ledger is bound to no registry (its genesis names none: "
                                   "Options::registry, `retrace init --registry-key`)");
  }
  ASSIGN_OR_RETURN(LedgerInfo reg_info, registry.Info());
  if (reg_info.ledger_id != internal::HexEncode(anchors->ledger_id)) {
    return InvalidArgumentError("the registry given is ledger " + reg_info.ledger_id +
                                "; this ledger is bound to registry " +
                                internal::HexEncode(anchors->ledger_id));
  }
  Result<std::string> note = registry.LatestCheckpoint();
  if (!note.ok()) {
    if (note.status().code() == StatusCode::kNotFound) {
      return FailedPreconditionError("the registry holds no signed checkpoint to prove its "
                                     "records against (sign and witness one, or mirror it)");
    }
    return note.status();
  }
  ASSIGN_OR_RETURN(Checkpoint cp, ParseSignedCheckpoint(*note));
  const internal::RegistryImport* previous =
      book->registry_imports().empty() ? nullptr : &book->registry_imports().back();
  RegistryImportResult result;
  if (previous != nullptr) result.checkpoint = internal::InfoOf(*previous);
  const std::uint64_t next = previous == nullptr ? 1 : previous->index + 1;
  if (cp.size <= next) {
    // Nothing new; but a registry checkpoint of the size held with another
    // root is a fork, said now rather than at the next import.
    if (previous != nullptr && cp.size == previous->checkpoint.size &&
        cp.root_hash != previous->checkpoint.root_hash) {
      return VerificationFailedError(
          "the registry's checkpoint has the size of the one this ledger holds (" +
          std::to_string(cp.size) + ") and another root: the registry forked (split view)");
    }
    return result;
  }
  std::uint64_t end = cp.size;
  if (max_records != 0 && end - next > max_records) end = next + max_records;
  std::vector<internal::RegistryImportInput> inputs;
  inputs.reserve(end - next);
  for (std::uint64_t i = next; i < end; ++i) {
    internal::RegistryImportInput in;
    ASSIGN_OR_RETURN(Record rec, registry.ReadRecord(i));
    in.registry_record = std::move(rec.stored);
    ASSIGN_OR_RETURN(merkle::InclusionProof inc, registry.ProveInclusion(i, cp.size));
    in.proof.set_index(i);
    in.proof.set_checkpoint(*note);
    for (const Hash& h : inc.hashes) in.proof.add_inclusion(h.data(), h.size());
    if (i == next && previous != nullptr && previous->checkpoint.size < cp.size) {
      // A proof from the checkpoint held, as the registry's tree has it; a
      // forked registry cannot give one that verifies.
      Result<merkle::ConsistencyProof> cons =
          registry.ProveConsistency(previous->checkpoint.size, cp.size);
      if (cons.ok()) {
        for (const Hash& h : cons->hashes) in.proof.add_consistency(h.data(), h.size());
      }
    }
    inputs.push_back(std::move(in));
  }
  ASSIGN_OR_RETURN(std::vector<AppendResult> appended,
                   internal::AppendRegistryImports(ledger, inputs));
  result.appended = appended.size();
  result.first_seq = appended.empty() ? 0 : appended.front().seq;
  ASSIGN_OR_RETURN(result.checkpoint, RegistryCheckpointOf(ledger));
  return result;
}

}  // namespace retrace
