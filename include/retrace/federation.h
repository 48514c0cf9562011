// Federation: every enterprise keeps its own ledger, and a lot crosses from
// one ledger to the next with the proof of its lineage (docs/federation.md).
//
// Every ledger of a federation has the regulator's key as its root key, so
// a sender's lineage bundle (bundle.h) verifies in the consignee's ledger
// against that root key plus the sender's checkpoint key and witnesses,
// which the consignee's stage policy names (PolicySet::trusted_logs, signed
// by a regulator in the consignee's ledger).
//
// The hand-over: the sender ships the lot with Shipped::consignee_log set to
// the consignee ledger's name, signs a checkpoint, has it cosigned, and
// gives the consignee ProveLineage(sender, lot). The consignee appends a
// Received with CrossLedgerOrigin (PrepareCrossLedgerReceipt builds it)
// through AppendCrossLedgerReceipt, which stores the bundle with it. The
// receipt creates the lot in the consignee's ledger, held by the consignee,
// with the mass and content the bundle proves.
//
// Thread safety: as Ledger (these functions call its public API and its
// write transaction).
#ifndef RETRACE_FEDERATION_H_
#define RETRACE_FEDERATION_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "retrace/checkpoint.h"
#include "retrace/event.h"
#include "retrace/export.h"
#include "retrace/hash.h"
#include "retrace/ledger.h"
#include "retrace/status.h"
#include "retrace/verifier.h"

namespace retrace {

namespace finding {
// Audit: a stored foreign bundle no longer hashes to its name.
inline constexpr const char kForeignBundleAltered[] = "foreign_bundle_altered";
// Audit, cross-ledger verification: a cross-ledger receipt's bundle is not
// stored (or not carried by the bundle).
inline constexpr const char kForeignBundleMissing[] = "foreign_bundle_missing";
// Cross-ledger verification: a receipt's bundle does not verify against the
// trusted log the policy names, or does not prove the receipt.
inline constexpr const char kForeignBundleInvalid[] = "foreign_bundle_invalid";
}  // namespace finding

// A cross-ledger receipt with what proves it.
struct CrossLedgerReceipt {
  // A Received event with `origin` set, signed by the consignee (an actor
  // of this ledger whose role may record "received").
  SignedEvent receipt;
  // The sender's lineage bundle of the lot, exactly as ProveLineage made it
  // in the sender's ledger; SHA-256(bundle) must be receipt's
  // origin.bundle_sha256.
  std::string bundle;
  // RFC 6962 consistency proof between the largest checkpoint of the sender
  // this ledger holds (LatestForeignCheckpoint) and the bundle's, from the
  // smaller tree to the larger (the sender's Ledger::ProveConsistency).
  // Empty when this ledger holds no checkpoint of the sender or the sizes
  // are equal.
  std::vector<Hash> consistency_proof;
};

// Appends a cross-ledger receipt, with its bundle stored in the same write
// transaction (content-addressed: a bundle already held is not stored
// twice), and the bundle's checkpoint among the sender's checkpoints.
// Refused, the ledger unchanged, unless:
//   - the policy in force names the sender's log (trusted_logs: origin, log
//     key, witnesses and quorum) and the bundle verifies completely with
//     VerifyBundle against this ledger's root key and those keys: every
//     signature, proof and rule, and the witness quorum;
//   - the lot's last record in the bundle is the shipment origin names
//     (seq and record hash), to the receipt's actor, to this ledger
//     (consignee_log), by receipt's from_actor_id, of receipt's mass; the
//     lot is in transit to the consignee at the bundle's checkpoint;
//   - origin.lot is the lot as the bundle proves it arrives (material, mass
//     and per-element content of what was shipped);
//   - the checkpoint is consistent with the checkpoints of that sender this
//     ledger holds (consistency_proof; an equal size needs an equal root);
//   - and every rule of an ordinary append holds (signature, role, a new
//     lot id, a new event id).
// Errors: kVerificationFailed (the bundle, the shipment, the lot or the
// checkpoint does not prove the receipt: the message says which),
// kFailedPrecondition (the sender's log is not trusted; a mirror),
// kInvalidArgument (not a cross-ledger receipt, or not a bundle), and those
// of Ledger::Append. A plain Ledger::Append of a cross-ledger receipt is
// refused: only this path proves one.
RETRACE_EXPORT Result<AppendResult> AppendCrossLedgerReceipt(Ledger& ledger,
                                                             const CrossLedgerReceipt& receipt);

// The receipt event for `bundle` in `ledger`: the lot, mass, shipment and
// bundle hash read from the bundle after it verifies as
// AppendCrossLedgerReceipt would verify it (same errors), stated by the
// shipment's consignee, linked to `ledger` (ledger id). Event id and time
// as FillEventDefaults gives them; set them before signing if needed.
RETRACE_EXPORT Result<Event> PrepareCrossLedgerReceipt(const Ledger& ledger,
                                                       std::string_view bundle);

// The largest checkpoint of the sender `origin` that `ledger` holds (the
// signed note, verbatim), and its tree size; nullopt if none.
struct ForeignCheckpointInfo {
  std::uint64_t size = 0;
  std::string note;
};
RETRACE_EXPORT Result<std::optional<ForeignCheckpointInfo>> LatestForeignCheckpoint(
    const Ledger& ledger, std::string_view origin);

// Ledger::VerifyLot, continued across ledgers: every cross-ledger receipt
// the lineage reaches is followed into the bundle this ledger stored with
// it (and on through the bundles that bundle carries), each verified once
// per walk against the trusted log that the policy in force at the receipt
// names, with this ledger's root key. The origins upstream replace the
// receipt's origin, each with its part of the share, its compliance and
// issues (an over-quota mine upstream stays non-compliant); the upstream
// findings are added as findings of the receipt record; ledgers_crossed
// lists every boundary crossed. A bundle missing, altered, or that does not
// prove its receipt is a finding (foreign_bundle_missing, _altered,
// _invalid). VerifyBundle does the same with the bundles a bundle carries.
// Errors as Ledger::VerifyLot.
RETRACE_EXPORT Result<VerifyReport> VerifyLotAcrossLedgers(
    const Ledger& ledger, std::string_view lot_id, const VerifyOptions& options = VerifyOptions());

// Ledger::Audit, continued across ledgers: with signatures checked in the
// full scope, every cross-ledger receipt's stored bundle is judged again as
// its append judged it -- verified (with the bundles it carries, each once)
// under the log key and witnesses the policy in force at the receipt names,
// free of findings other than regulatory ones upstream, proving the
// shipment the receipt states, and shipped before it was received. A
// receipt that no longer holds is a foreign_bundle_invalid finding (or the
// time-order finding) at the receipt; a bundle missing or altered is
// already Ledger::Audit's finding. Otherwise, and for the integrity scope
// or without signatures, the report is Ledger::Audit's. Errors as
// Ledger::Audit. The CLI's `audit` and the C API's retrace_audit run this.
RETRACE_EXPORT Result<AuditReport> AuditAcrossLedgers(const Ledger& ledger,
                                                      const AuditOptions& options = AuditOptions());

// Split views (docs/federation.md): two parties compare the checkpoints of
// one sender log they hold. Two checkpoints of the log, both validly signed
// by its key, of the same size and different roots prove that the sender
// showed the parties different histories; both signed notes are kept as the
// evidence.
struct SplitView {
  std::string origin;
  std::uint64_t size = 0;        // of ours
  std::uint64_t their_size = 0;  // of theirs: equal to size, or (through a
                                 // PrefixRootReader) larger or smaller
  std::string ours;    // the signed note this ledger holds
  std::string theirs;  // the other party's, signed by the same key
};
struct CheckpointComparison {
  std::string origin;
  std::uint64_t compared = 0;    // of theirs: verified and compared with one of ours
  std::uint64_t unverified = 0;  // of theirs: not validly signed by the log key
  // Of theirs: verified, of a size we do not hold, and not compared (no
  // reader given, or it could not read the larger tree).
  std::uint64_t unproven = 0;
  std::vector<SplitView> split_views;  // empty: no split view found
};

// The root of the first `size` leaves of the tree of `larger`, a verified
// checkpoint of the log, read from a source authenticated against it: e.g.
// ReadPublishedPrefix over the sender's published tiles (retrace/mirror.h).
using PrefixRootReader =
    std::function<Result<Hash>(const Checkpoint& larger, std::uint64_t size)>;

// The consistency proof from the tree of `size` leaves to that of `larger`
// (a checkpoint of the log), read from a source authenticated against
// `larger`: e.g. ReadPublishedPrefix(...).consistency_proof over the
// sender's published tiles (retrace/mirror.h).
using ConsistencyProofReader =
    std::function<Result<std::vector<Hash>>(const Checkpoint& larger, std::uint64_t size)>;

// The CrossLedgerReceipt::consistency_proof that receiving `bundle` in
// `ledger` needs: empty if the ledger holds no checkpoint of the bundle's
// log or one of the same size; else the proof between the largest it holds
// and the bundle's, from `read`. Nothing is verified here: the receipt
// verifies the proof against both signed roots. kInvalidArgument if
// `bundle` is not a bundle; the reader's error otherwise.
RETRACE_EXPORT Result<std::vector<Hash>> ReceiptConsistencyProof(
    const Ledger& ledger, std::string_view bundle, const ConsistencyProofReader& read);

// The checkpoints of the sender `origin` that `ledger` holds (signed notes,
// as the receipts' bundles carried them), by size; empty if none.
RETRACE_EXPORT Result<std::vector<std::string>> ForeignCheckpointNotes(const Ledger& ledger,
                                                                       std::string_view origin);

// Compares `theirs` (another party's checkpoints of `origin`, e.g. its
// ForeignCheckpointNotes) with the checkpoints of `origin` that `ledger`
// holds, under the log key the ledger's policy in force names for `origin`.
// A note of theirs that does not verify under that key, or is of another
// origin, is counted unverified and proves nothing. Only checkpoints of
// equal size are compared: checkpoints of different sizes need the sender's
// consistency proof (AppendCrossLedgerReceipt checks one for every
// checkpoint a ledger takes in). kFailedPrecondition if the policy trusts no
// log `origin`.
RETRACE_EXPORT Result<CheckpointComparison> CompareForeignCheckpoints(
    const Ledger& ledger, std::string_view origin, const std::vector<std::string>& theirs);
// The same, and checkpoints of different sizes are compared too: for each
// of theirs of a size this ledger does not hold, and each of ours, the
// smaller one's root must be the root `prefix_root` reads from the larger
// one's tree at its size, else the pair is a split view (two signed
// histories; a reader authenticated against the larger checkpoint cannot
// forge one). A checkpoint whose pairs all fail to read counts unproven.
RETRACE_EXPORT Result<CheckpointComparison> CompareForeignCheckpoints(
    const Ledger& ledger, std::string_view origin, const std::vector<std::string>& theirs,
    const PrefixRootReader& prefix_root);

// The comparison as JSON, schema "retrace.compare/v1" (docs/cli.md).
RETRACE_EXPORT std::string CheckpointComparisonToJson(const CheckpointComparison& c);

// --- The registry (stage 3; docs/federation.md, "The registry").
//
// The regulator keeps a registry ledger: an ordinary ledger, with its own
// checkpoint key and witnesses, holding only authority records
// (registrations, quota grants, policies, rotations, revocations), signed
// with the regulator's root key. An enterprise ledger created with
// Options::registry is bound to it and imports every registry record, in
// registry order, each with its proof: the registry checkpoint (cosigned by
// a quorum of the bound witnesses) and the record's inclusion proof in it,
// plus a consistency proof from the checkpoint of the previous import.
// Imported records enter the ledger's book of authority at the position of
// their import; a revocation effective from registry record e voids, in
// this ledger, what the key signed from the import of registry record e on.

// What ImportRegistry did.
struct RegistryImportResult {
  std::uint64_t appended = 0;   // import records appended by this call (0: nothing new)
  std::uint64_t first_seq = 0;  // the local position of the first, if any
  // The registry checkpoint the ledger now relies on (unset if it has
  // imported nothing yet).
  std::optional<RegistryCheckpointInfo> checkpoint;
};

// Imports into `ledger` (bound to a registry) the registry records it has
// not imported yet, read from `registry`: a local copy of the registry
// ledger -- a mirror of its published tiles (`retrace mirror`) or the
// registry ledger itself -- proven against `registry`'s latest stored
// checkpoint (LatestCheckpoint, with its cosignatures), in one write
// transaction, all or none; at most `max_records` if not 0. Nothing new
// (the ledger has imported up to that checkpoint) appends nothing.
// Refused, the ledger unchanged, if any import does not verify (the message
// names the registry record and why): a checkpoint not signed by the bound
// log key or below the bound witness quorum, inconsistent with the
// registry checkpoint the ledger holds (a forked registry), a record that
// is not an authority record or not the bound registry's, or whose
// regulator signature or rules fail.
// Errors: kFailedPrecondition (the ledger is bound to no registry, or
// `registry` has no checkpoint); kInvalidArgument (`registry` is not the
// bound registry); kVerificationFailed (a refused import); I/O errors.
RETRACE_EXPORT Result<RegistryImportResult> ImportRegistry(Ledger& ledger, const Ledger& registry,
                                                          std::uint64_t max_records = 0);

// The registry checkpoint `ledger`'s state relies on now (its last import),
// or nullopt if it is bound to no registry or has imported nothing.
RETRACE_EXPORT Result<std::optional<RegistryCheckpointInfo>> RegistryCheckpointOf(
    const Ledger& ledger);

// A stored foreign bundle by its SHA-256; kNotFound if not held.
RETRACE_EXPORT Result<std::string> StoredForeignBundle(const Ledger& ledger, const Hash& sha256);

}  // namespace retrace

#endif  // RETRACE_FEDERATION_H_
