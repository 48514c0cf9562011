// Lineage bundles: a self-contained, offline-verifiable proof of one lot's
// lineage, for a buyer or a customs officer who has no access to the ledger.
//
// ProveLineage builds one: every record the ledger's lineage
// verifier reads for the lot (its records and those of every lot it came
// from, back to the mines; the genesis record; the registration, rotation
// and revocation records of every signing key; the policy records in force;
// the quota grants and uses of every extraction and separation), each with
// an RFC 6962 inclusion proof in one signed, and optionally witness-cosigned,
// C2SP checkpoint, which the bundle carries.
// Format: proto/retrace/v1/bundle.proto, docs/transparency.md.
//
// VerifyBundle checks, with no ledger: the checkpoint's signature by the log
// key and the witness quorum; every inclusion proof against the checkpoint's
// root; that the genesis record binds the ledger to the given root key and
// names the checkpoint's origin; then every signature and every custody and
// mass rule, by running the ledger's own lineage verifier over the bundle.
// Any change to any byte of a bundle makes it invalid (or unreadable).
//
// What a valid bundle proves, and what it does not:
//   - Every record in it was in the log at the checkpoint's size, at its
//     position, exactly as shown, signed by its actor's registered key.
//   - Each lot's records, from its creation to the last one in the bundle,
//     form an unbroken chain of parent hashes, so none was left out between
//     them; the origins and mass balances follow from them.
//   - It does not prove the absence of records it does not hold: a later
//     record of a lot (after the bundle's last one), or a key revocation, a
//     policy change or a quota use the builder left out, is invisible to it. A lot that ends exported or
//     fully consumed can have no later record, so for such a lot
//     BundleReport::history_closed is true: its history up to the
//     checkpoint is complete.
//   - Inclusion in a checkpoint protects against a log that rewrites
//     history only if the checkpoint is one other parties saw: require
//     witness cosignatures (WitnessPolicy) to rule out a forked log.
//
// Thread safety: plain values and pure functions.
#ifndef RETRACE_BUNDLE_H_
#define RETRACE_BUNDLE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "retrace/checkpoint.h"
#include "retrace/export.h"
#include "retrace/ledger.h"
#include "retrace/note.h"
#include "retrace/signer.h"
#include "retrace/status.h"
#include "retrace/verifier.h"
#include "retrace/witness.h"

namespace retrace {

// Bundle-level finding codes, beside the lineage codes of verifier.h.
namespace finding {
inline constexpr const char kCheckpointMalformed[] = "checkpoint_malformed";
inline constexpr const char kCheckpointSignatureInvalid[] = "checkpoint_signature_invalid";
inline constexpr const char kWitnessQuorumNotMet[] = "witness_quorum_not_met";
inline constexpr const char kInclusionProofMalformed[] = "inclusion_proof_malformed";
inline constexpr const char kInclusionProofMismatch[] = "inclusion_proof_mismatch";
inline constexpr const char kRootKeyMismatch[] = "root_key_mismatch";
inline constexpr const char kOriginMismatch[] = "origin_mismatch";
// An index answer names a record the bundle lacks, or a record or answer is
// one the lineage never asks for: the bundle is not as the ledger built it.
inline constexpr const char kIndexAnswerInvalid[] = "index_answer_invalid";
}  // namespace finding

struct BundleReport {
  bool valid = false;            // true iff findings is empty
  std::string lot_id;
  std::uint64_t bundle_bytes = 0;
  Checkpoint checkpoint;         // as the bundle states it
  bool checkpoint_verified = false;                 // signed by the log key
  std::vector<VerifiedNoteSignature> cosignatures;  // by the policy's witnesses
  bool quorum_met = false;
  std::uint64_t records = 0;          // records in the bundle
  std::uint64_t proofs_verified = 0;  // inclusion proofs that lead to the root
  // The lot ends exported or fully consumed in the bundle, so no later
  // record of it can exist: its history is complete up to the checkpoint.
  bool history_closed = false;
  VerifyReport lineage;               // the lineage verifier's report
  // Every finding: the bundle-level ones (codes above), then the lineage's.
  std::vector<Finding> findings;
};

// Verifies a bundle against the trust anchors: the ledger's root (regulator)
// key, the log's checkpoint key and the witness policy.
// Errors (could not check): kInvalidArgument if `bundle` is not a bundle --
// it does not parse, is not in the one canonical encoding, has unknown fields,
// another format tag, records out of order or proof hashes of the wrong
// length -- or `log_key` is not an ed25519 key. Everything else (bad
// signatures, proofs, rules) is a finding in the report.
RETRACE_EXPORT Result<BundleReport> VerifyBundle(std::string_view bundle,
                                                 const PublicKey& root_key,
                                                 const NoteVerifier& log_key,
                                                 const WitnessPolicy& witnesses = {});

// The log key (and witnesses) of a bundle's own ledger, as the policy in
// force at its checkpoint names them (PolicySet.trusted_logs, an entry for
// the checkpoint's origin, docs/federation.md): a regulator-signed policy,
// judged under `root_key`, in a ledger whose genesis names `root_key` and
// the origin. So a verifier needs only the regulator's key. The checkpoint
// is not verified here; VerifyBundle does that with the key found.
// kFailedPrecondition if the checkpoint does not read, the genesis is not
// the trusted root's for that origin, or the policy names no such log;
// kInvalidArgument if `bundle` is not a bundle or the policy's key is
// malformed.
struct TrustedLogKeys {
  NoteVerifier log_key;
  WitnessPolicy witnesses;  // the policy's witnesses and quorum
};
RETRACE_EXPORT Result<TrustedLogKeys> BundleLogKeyFromPolicy(std::string_view bundle,
                                                             const PublicKey& root_key);

// VerifyBundle with the log key BundleLogKeyFromPolicy finds, and the
// witnesses given, or the policy's if none are given. Errors as both.
RETRACE_EXPORT Result<BundleReport> VerifyBundle(std::string_view bundle,
                                                 const PublicKey& root_key,
                                                 const WitnessPolicy& witnesses);

// The checkpoint a bundle carries, read without verifying anything (its
// signatures, cosignatures and proofs are VerifyBundle's). kInvalidArgument
// if `bundle` is not a bundle or its checkpoint does not parse.
RETRACE_EXPORT Result<Checkpoint> BundleCheckpoint(std::string_view bundle);

// Machine-readable report (schema "retrace.bundle-report/v1", docs/cli.md).
RETRACE_EXPORT std::string BundleReportToJson(const BundleReport& report);

// A lineage bundle of `lot_id` in `ledger`: every record the lineage
// verifier reads for it, with an inclusion proof of each in the latest
// stored checkpoint, which it carries. Deterministic for a given ledger
// state. Errors: kNotFound for an unknown lot; kFailedPrecondition if no
// checkpoint was signed yet, the lot is newer than the latest checkpoint,
// or its lineage has findings (the message names the first); kCorruption
// if the tree no longer matches the latest checkpoint; kInvalidArgument if
// `ledger` is not one Ledger::Open or Ledger::Create returned.
RETRACE_EXPORT Result<std::string> ProveLineage(const Ledger& ledger, std::string_view lot_id);

// A C2SP tlog-proof@v1 (tlog_proof.h) of record `seq` of `ledger` in its
// latest stored checkpoint, the stored record bytes as its extra data.
// kNotFound if seq >= size; kFailedPrecondition if no checkpoint covers it
// yet; kCorruption and kInvalidArgument as for ProveLineage.
RETRACE_EXPORT Result<std::string> ProveRecord(const Ledger& ledger, std::uint64_t seq);

}  // namespace retrace

#endif  // RETRACE_BUNDLE_H_
