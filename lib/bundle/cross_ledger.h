// Cross-ledger proofs (internal; docs/federation.md): the trust anchors a
// ledger's policy names for a foreign log, what a sender's lineage bundle
// proves about a shipment to another ledger, and verification that walks
// on through the bundles cross-ledger receipts commit to.
//
// One verdict: AppendCrossLedgerReceipt (federation/), VerifyLotAcrossLedgers
// and VerifyBundle all judge a receipt's bundle here: VerifyBundleIn, then
// ShipmentOf and MatchReceipt.
#ifndef RETRACE_LIB_BUNDLE_CROSS_LEDGER_H_
#define RETRACE_LIB_BUNDLE_CROSS_LEDGER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "retrace/bundle.h"
#include "retrace/checkpoint.h"
#include "retrace/event.h"
#include "retrace/note.h"
#include "retrace/signer.h"
#include "retrace/status.h"
#include "retrace/v1/retrace.pb.h"
#include "retrace/witness.h"
#include "rules/rules.h"

namespace retrace::internal {

// A trusted foreign log as a policy names it (PolicySet.trusted_logs).
struct TrustedLogAnchors {
  NoteVerifier log_key;
  WitnessPolicy witnesses;
  std::string fingerprint;  // the entry's bytes, to tell two entries apart
};

// The anchors `policy` names for the log `origin`. kFailedPrecondition if
// it names none; kInvalidArgument if its keys do not parse.
Result<TrustedLogAnchors> AnchorsFor(const Policy& policy, std::string_view origin);

// The origin of a bundle's checkpoint, read without verifying anything.
// kInvalidArgument if `bundle` is not a bundle.
Result<std::string> BundleOrigin(std::string_view bundle);

// One verification walk across ledgers: each bundle is verified once (by
// its SHA-256), however often the lineage reaches it.
struct ForeignWalk {
  std::map<Hash, BundleReport> verified;
  int depth = 0;  // nesting of the bundle being verified
};

// VerifyBundle (bundle.h) within `walk`.
Result<BundleReport> VerifyBundleIn(std::string_view bundle, const PublicKey& root_key,
                                    const NoteVerifier& log_key, const WitnessPolicy& witnesses,
                                    ForeignWalk* walk);

// What a verified bundle proves about the shipment its lot ends with.
struct ProvenShipment {
  std::string log_origin;       // the sender's log
  Checkpoint checkpoint;        // the bundle's checkpoint
  std::string checkpoint_note;  // verbatim
  std::uint64_t shipped_seq = 0;
  Hash shipped_hash{};
  std::string sender;     // the shipment's actor
  std::string consignee;  // its to_actor_id
  std::uint64_t mass_g = 0;
  Lot lot;  // the lot as it arrives: the shipped mass and its content
  // The latest time (Unix seconds) of the lot's records in the bundle: a
  // receipt dated more than kMaxTimeReversalSeconds before it is
  // time_reversed, as any record of a lot in one ledger (CheckReceiptTime).
  std::int64_t head_time = 0;
};

// The shipment `report` (VerifyBundleIn's, of `bundle`) proves, if the
// lot's last record in the bundle is a shipment to the ledger
// `consignee_log` and the lot is in transit at the checkpoint;
// kVerificationFailed naming what does not hold.
Result<ProvenShipment> ShipmentOf(std::string_view bundle, const BundleReport& report,
                                  std::string_view consignee_log);

// OK if every finding of `report` is regulatory (a quota or licence
// finding, which the sender's ledger recorded and flagged: it travels with
// the lot and shows in its origins' shares); kVerificationFailed naming
// the first other finding.
Status RequireAcceptable(const BundleReport& report);

// The cross-ledger receipt `ev` against what its bundle proves:
// kVerificationFailed naming the first difference.
Status MatchReceipt(const v1::Event& ev, const ProvenShipment& proven);

// The receipt `ev`, recorded at `seq`, against the times of the lot's
// records in the sender's ledger (rules.h, CheckTimeOrder): appended to
// `out` if it is dated more than kMaxTimeReversalSeconds before the latest.
void CheckReceiptTime(const v1::Event& ev, std::uint64_t seq, const ProvenShipment& proven,
                      Violations* out);

// VerifyBundleIn, RequireAcceptable and ShipmentOf: what AppendCrossLedger-
// Receipt requires of a bundle. kInvalidArgument if `bundle` is not one.
Result<ProvenShipment> ProveShipment(std::string_view bundle, const PublicKey& root,
                                     const TrustedLogAnchors& anchors,
                                     std::string_view consignee_log);

// Where a lineage's cross-ledger receipts are read from: a ledger or a
// bundle.
struct ReceiptSource {
  std::string ledger_name;  // the receiving ledger
  std::optional<PublicKey> root_key;  // its root (the regulator's) key
  // The event of record `seq` (a receipt the lineage walk reached).
  std::function<Result<v1::Event>(std::uint64_t seq)> event_at;
  // The policy in force at `seq`, as the receiving ledger's book has it.
  std::function<Result<const Policy*>(std::uint64_t seq)> policy_at;
  // The bundle whose SHA-256 is `sha256` (nullopt: not held). The bytes
  // must hash to it; a source that cannot vouch for that returns nullopt.
  // They are read in place: they must stay valid, unchanged, until
  // ExtendAcrossLedgers returns (a read transaction's, or the outer
  // bundle's).
  std::function<Result<std::optional<std::string_view>>(const Hash& sha256)> bundle_of;
};

// "the bundle of ORIGIN behind the receipt of lot LOT" (escaped): the
// subject every finding about a crossing begins with.
std::string BundleBehind(std::string_view origin, std::string_view lot_id);

// A cross-ledger receipt `ev` judged against `bundle` (whose SHA-256 the
// receipt names), as its append judged it: verified (once per walk) under
// the log key and witnesses `policy` -- the policy in force at the receipt --
// names for the sender's log, with the source's root key, and proving the
// shipment the receipt states. Any failure is kVerificationFailed, its
// message the rest of a sentence that BundleBehind begins. The upstream
// report may hold findings; RequireAcceptable tells whether the append
// would have taken it.
struct Crossing {
  const BundleReport* upstream = nullptr;  // in walk->verified
  ProvenShipment shipment;
};
Result<Crossing> Cross(const v1::Event& ev, std::string_view bundle, const Hash& sha256,
                       const Policy& policy, const ReceiptSource& source, ForeignWalk* walk);

// Replaces every origin of `report` of kind "cross_ledger" by the origins
// its receipt's bundle proves upstream (shares multiplied through; an
// origin upstream keeps its compliance and issues), appends the bundle's
// findings (as findings of the receipt record, naming the upstream log)
// and the crossing to report->ledgers_crossed, and recomputes the
// non-compliant share and validity. A bundle that is missing, does not
// verify or does not prove the receipt is a finding (foreign_bundle_missing,
// foreign_bundle_invalid) and leaves the origin as it was, non-compliant.
// Errors only if the source cannot be read.
Status ExtendAcrossLedgers(VerifyReport* report, const ReceiptSource& source, ForeignWalk* walk);

// The bundle SHA-256 a stored record's cross-ledger receipt commits to, or
// nullopt for any other record. kCorruption if the record does not parse.
Result<std::optional<Hash>> ReceiptBundleOf(std::string_view stored_record);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_BUNDLE_CROSS_LEDGER_H_
