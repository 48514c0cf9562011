// Verification reports: what `verify LOT` and `audit` found.
//
// This header holds the reports of ledger verification, not a class: the
// signature Verifier (one public key, Verify(message, signature)) is a
// primitive beside Signer and lives in retrace/signer.h. The header keeps
// its name, which hosts already include.
//
// A report is the answer to "checked, and is it right?". A verifier that
// could not check (the ledger would not open, a read failed) returns an
// error Status instead; it never returns a report that claims validity for
// something it did not check.
//
// Every finding has a stable code (docs/verification.md lists them with what
// they mean and what a compliance officer should do), the record sequence
// number and lot it concerns, and a sentence meant for a person.
//
// Thread safety: plain values.
#ifndef RETRACE_VERIFIER_H_
#define RETRACE_VERIFIER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "retrace/event.h"
#include "retrace/export.h"
#include "retrace/hash.h"

namespace retrace {

// Stable finding codes. Never renumbered or reworded once released.
namespace finding {
inline constexpr const char kRecordUnreadable[] = "record_unreadable";
inline constexpr const char kSequenceMismatch[] = "sequence_mismatch";
inline constexpr const char kChainLinkBroken[] = "chain_link_broken";
inline constexpr const char kIndexInconsistent[] = "index_inconsistent";
inline constexpr const char kGenesisInvalid[] = "genesis_invalid";
inline constexpr const char kLedgerMismatch[] = "ledger_mismatch";
inline constexpr const char kEventMalformed[] = "event_malformed";
inline constexpr const char kDuplicateEventId[] = "duplicate_event_id";
inline constexpr const char kUnknownKey[] = "unknown_key";
inline constexpr const char kKeyActorMismatch[] = "key_actor_mismatch";
inline constexpr const char kSignatureInvalid[] = "signature_invalid";
inline constexpr const char kUnknownActor[] = "unknown_actor";
inline constexpr const char kRoleNotAllowed[] = "role_not_allowed";
inline constexpr const char kLotUnknown[] = "lot_unknown";
inline constexpr const char kLotExists[] = "lot_exists";
inline constexpr const char kParentLinkBroken[] = "parent_link_broken";
inline constexpr const char kNotCustodian[] = "not_custodian";
inline constexpr const char kLotInTransit[] = "lot_in_transit";
inline constexpr const char kLotNotAvailable[] = "lot_not_available";
inline constexpr const char kOverConsumed[] = "over_consumed";
inline constexpr const char kMassMismatch[] = "mass_mismatch";
inline constexpr const char kReceiptMismatch[] = "receipt_mismatch";
inline constexpr const char kContentExceedsMass[] = "content_exceeds_mass";
inline constexpr const char kElementBalanceViolated[] = "element_balance_violated";
inline constexpr const char kGrossBalanceViolated[] = "gross_balance_violated";
inline constexpr const char kStageOrderViolated[] = "stage_order_violated";
inline constexpr const char kQuotaExceeded[] = "quota_exceeded";
inline constexpr const char kUnlicensedExtraction[] = "unlicensed_extraction";
inline constexpr const char kUnknownOrigin[] = "unknown_origin";
inline constexpr const char kKeyRevoked[] = "key_revoked";
inline constexpr const char kKeyRetired[] = "key_retired";
inline constexpr const char kActorExists[] = "actor_exists";
inline constexpr const char kKeyExists[] = "key_exists";
inline constexpr const char kTimeReversed[] = "time_reversed";
inline constexpr const char kTimeInFuture[] = "time_in_future";
// An imported registry record that the registry binding does not prove
// (docs/federation.md, "The registry").
inline constexpr const char kRegistryImportInvalid[] = "registry_import_invalid";
}  // namespace finding

struct Finding {
  std::string code;        // one of retrace::finding::k*
  std::uint64_t seq = 0;   // the record concerned
  std::string lot_id;      // the lot concerned, if any
  std::string message;     // a sentence for a compliance officer
};

// One lot in a lineage.
struct LineageLot {
  std::string lot_id;
  MaterialClass material = MaterialClass::kUnspecified;
  std::uint64_t mass_g = 0;
  std::uint64_t rare_earth_g = 0;
  std::vector<ElementMass> content;
  std::uint64_t created_seq = 0;
  std::string created_by;        // actor id of the creating record's signer
  Role creator_role = Role::kUnspecified;
  std::string custodian;         // after the last record of the lot
  std::string status;            // "held", "in_transit", "exported", "consumed"
  std::uint64_t remaining_g = 0;
  bool is_origin = false;        // created by extraction, recycling or import
  std::string origin_kind;       // "mine", "recycled", "imported" (origins only)
  std::vector<std::uint64_t> record_seqs;  // every record of the lot, in order
};

// A consumption edge: `consumed_g` of `input_lot` went into `output_lot`.
struct LineageEdge {
  std::string input_lot;
  std::string output_lot;
  std::uint64_t consumed_g = 0;
  std::uint64_t seq = 0;  // the transformation record
};

// The share of the verified lot's rare-earth mass that traces back to one
// extracted lot. Attribution is proportional to rare-earth mass at every
// transformation (docs/verification.md). Shares are reported, not enforced,
// and are rounded (grams down, ppm to nearest); they need not sum exactly.
struct OriginShare {
  std::string origin_lot;    // the extracted, recycled or imported lot
  std::string kind;          // "mine", "recycled" or "imported"
  std::string actor_id;      // the mine, recycler or importer
  std::string site;          // mine site / scrap source / origin country
  std::string licence;       // mining licence / customs declaration
  // False if any finding concerns this origin's creation record (e.g. an
  // extraction over quota, unlicensed, or not validly signed).
  bool compliant = true;
  std::vector<std::string> issues;  // the finding codes that made it so
  std::uint64_t extracted_seq = 0;
  std::uint64_t rare_earth_g = 0;  // grams of the verified lot attributable
  std::uint32_t share_ppm = 0;     // parts per million of its rare earths
  // The ledger (log origin) whose record extracted_seq is: empty for the
  // verified ledger itself, the sender's for an origin found upstream
  // across a ledger boundary (docs/federation.md).
  std::string ledger;
};

// A ledger boundary a lineage crossed (docs/federation.md): a cross-ledger
// receipt brought a lot in, proven by the sender's lineage bundle.
// The registry checkpoint a judgment relied on (docs/federation.md, "The
// registry"): in a ledger bound to the regulator's registry, the checkpoint
// of the last registry record imported at or before the position judged.
// Imports are complete and in order, so a ledger that imported registry
// records 1..imported has applied every revocation among them.
struct RegistryCheckpointInfo {
  std::string origin;            // the registry's checkpoint origin
  std::uint64_t size = 0;        // that checkpoint's tree size
  Hash root_hash{};
  std::uint64_t imported = 0;    // registry records imported (registry positions 1..imported)
  std::uint64_t import_seq = 0;  // the local record of the last import
};

struct LedgerCrossing {
  std::string origin;                  // the sender's log (checkpoint origin)
  std::uint64_t checkpoint_size = 0;   // of the bundle's checkpoint
  Hash root_hash{};
  std::vector<std::string> witnesses;  // whose cosignatures verified
  std::string lot_id;                  // the lot that crossed
  std::string received_in;             // the receiving ledger
  std::uint64_t receipt_seq = 0;       // the receipt's record there
  Hash bundle_sha256{};
  // The registry checkpoint the sender's ledger relied on, as the bundle's
  // book holds it (unset unless the sender is bound to a registry).
  std::optional<RegistryCheckpointInfo> registry;
};

struct VerifyReport {
  std::string lot_id;
  bool valid = false;                 // true iff findings is empty
  std::vector<LineageLot> lots;       // the target first, then by creation
  std::vector<LineageEdge> edges;
  std::vector<OriginShare> origins;
  // Parts per million of the lot's rare earths from non-compliant origins.
  std::uint32_t non_compliant_share_ppm = 0;
  std::vector<Finding> findings;
  std::uint64_t records_checked = 0;  // distinct records, each checked once
  std::uint64_t signatures_checked = 0;
  std::uint64_t tree_size = 0;        // ledger size when verified
  Hash head_hash{};                   // hash of the last record then
  // Every ledger boundary the walk crossed, nearest first (empty unless the
  // lineage reaches a cross-ledger receipt and was verified across ledgers:
  // VerifyLotAcrossLedgers, VerifyBundle).
  std::vector<LedgerCrossing> ledgers_crossed;
  // The registry checkpoint this ledger's judgment relied on; unset unless
  // the ledger is bound to a registry and has imported from it.
  std::optional<RegistryCheckpointInfo> registry;
};

struct AuditReport {
  bool valid = false;
  std::uint64_t records_checked = 0;
  std::uint64_t signatures_checked = 0;
  std::uint64_t lots = 0;
  std::uint64_t actors = 0;
  std::vector<Finding> findings;
  std::uint64_t tree_size = 0;
  Hash head_hash{};
  Hash root_hash{};                   // RFC 6962 root recomputed by the audit
  // AuditScope::kIntegrity ran: signatures and rules were not checked, and
  // `actors` counts registrations rather than validly registered actors.
  bool integrity_only = false;
  // As VerifyReport::registry, at the last record (full scope only).
  std::optional<RegistryCheckpointInfo> registry;
  // The cross-ledger receipts whose bundles the ledger holds (full scope;
  // a mirror holds none), and how many distinct bundles AuditAcrossLedgers
  // (retrace/federation.h) verified again judging them, the bundles they
  // carry included, each once; Ledger::Audit only re-hashes them.
  std::vector<std::uint64_t> cross_ledger_receipts;
  std::uint64_t bundles_verified = 0;
};

// Machine-readable forms (schema "retrace.verify/v1", "retrace.audit/v1";
// docs/cli.md). Stable key names.
RETRACE_EXPORT std::string VerifyReportToJson(const VerifyReport& report);
RETRACE_EXPORT std::string AuditReportToJson(const AuditReport& report);

}  // namespace retrace

#endif  // RETRACE_VERIFIER_H_
