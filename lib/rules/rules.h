// The custody rules, as pure functions over plain state (internal).
//
// One implementation serves both sides: Append applies them to the state in
// LMDB and refuses the event on any violation; the verifier replays them
// over the records and reports every violation as a finding. Keeping them in
// one place means the ledger can never accept what the verifier rejects.
// docs/verification.md lists every rule with its finding code.
#ifndef RETRACE_LIB_RULES_RULES_H_
#define RETRACE_LIB_RULES_RULES_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "retrace/event.h"
#include "retrace/hash.h"
#include "retrace/v1/retrace.pb.h"

namespace retrace::internal {

// (state.proto LotStatus has the same numbers.)
enum class LotStatus { kHeld = 1, kInTransit = 2, kExported = 3, kConsumed = 4, kVoid = 5 };
inline constexpr int kMaxLotStatus = 5;
const char* LotStatusName(LotStatus s);

// The state of one lot between two of its records.
struct LotView {
  std::string lot_id;
  MaterialClass material = MaterialClass::kUnspecified;
  std::uint64_t mass_g = 0;
  std::vector<ElementMass> content;
  std::uint64_t remaining_g = 0;
  std::string custodian;
  std::string in_transit_to;
  std::uint64_t shipped_mass_g = 0;
  LotStatus status = LotStatus::kHeld;
  Hash head_hash{};
  std::uint64_t head_seq = 0;
  std::uint64_t created_seq = 0;
  std::string creator;
  // The latest event time (Unix seconds) of the lot's records so far: a
  // record dated more than kMaxTimeReversalSeconds before it is a finding.
  std::int64_t head_time = 0;
};

// How far a lot's record may be dated before the latest of the lot's earlier
// records: the clocks of two enterprises' hosts may disagree by this much.
// A rule of the record, not an option of the reader, so every ledger and
// verifier judges a lineage alike (docs/verification.md, "Time").
inline constexpr std::int64_t kMaxTimeReversalSeconds = 3600;

struct Violation {
  const char* code;  // a retrace::finding::k* constant
  std::string lot_id;
  std::string message;
};
using Violations = std::vector<Violation>;

// A record dated more than `skew_seconds` after `now` (Unix seconds): an
// appending host refuses it against its clock; a verifier reports it
// against its own (a record accepted at some moment is never later than
// that moment plus the skew, so no verifier finds one an honest append
// accepted).
void CheckEventTime(const v1::Event& ev, std::int64_t now, std::int64_t skew_seconds,
                    Violations* out);

// Record `seq` of lot `lot_id`, dated `time`, against the latest time of the
// lot's earlier records (`head_time`, 0: none): time_reversed if it is dated
// more than kMaxTimeReversalSeconds before. `where` names where the earlier
// records are ("" in the same ledger). ApplyToLot asks it of every record;
// a cross-ledger receipt asks it against the sender's records of the lot.
void CheckTimeOrder(std::int64_t time, std::int64_t head_time, std::uint64_t seq,
                    const std::string& lot_id, std::string_view where, Violations* out);

// Maps a finding code to the Status code an append refusal carries.
StatusCode RefusalCode(const char* finding_code);
// The Status for refusing an append because of `v` (message says the ledger
// is unchanged).
Status Refusal(const Violation& v, std::uint64_t ledger_size);

// A stage policy (a PolicySet record, or the built-in default), indexed.
class Policy {
 public:
  explicit Policy(const v1::PolicySet& set);
  // The built-in default (retrace::DefaultPolicy()).
  static const Policy& Default();

  const v1::PolicySet& set() const { return set_; }
  // The rule for `role`, or nullptr if the policy has none (the role may
  // then record nothing but regulator events, if it is a regulator).
  const v1::StageRule* RuleFor(Role role) const;
  // Element tolerance of `role`'s transformations, in ppm.
  std::uint32_t TolerancePpm(Role role) const;

 private:
  v1::PolicySet set_;
};

// The lower-case kind name used in policies ("extracted", ...), or nullptr
// for regulator-only kinds.
const char* PolicyEventName(v1::Event::BodyCase kind);

// Whether an actor of `role` may state an event of this body kind under
// `policy`. Regulator events (registrations, quota grants, policies,
// revocations) are for regulators only, whatever the policy; a key
// rotation may also be stated by the actor whose key it is.
bool RoleMayEmit(const Policy& policy, Role role, const v1::Event& ev);
// Violations of the role rule for the signer (`role` as registered).
void CheckRole(const v1::Event& ev, Role role, const Policy& policy, Violations* out);

// Stage order: the material classes an event creates and (given the input
// lots' states, same order as the event lists them; nullptr if unknown) the
// classes it consumes or exports must be allowed for the signer's role.
void CheckStage(const v1::Event& ev, Role role, const Policy& policy,
                const std::vector<const LotView*>& inputs, Violations* out);

// The quota an event counts against, if any: an extraction against the
// mine's mining quota of its kind, a separator's transformation against its
// smelting/separation quota, for the UTC year of the event's time.
struct QuotaUse {
  std::string actor_id;
  std::uint32_t year = 0;
  QuotaKind kind = QuotaKind::kUnspecified;
  // REO equivalent counted, exact: a separation's outputs together may hold
  // more than 2^64 g (model/reo.h).
  unsigned __int128 reo_g = 0;
};
std::optional<QuotaUse> QuotaUseOf(const v1::Event& ev, Role signer_role);
// UTC calendar year of a Unix time.
std::uint32_t UtcYear(std::int64_t unix_seconds);
// RFC 3339 UTC, to the second (for messages).
std::string UtcTimeString(std::int64_t unix_seconds);
// Key of the quota tables: actor id || 0x00 || u32be year || u8 kind.
std::string QuotaKey(std::string_view actor_id, std::uint32_t year, QuotaKind kind);
// Appends QuotaKey(actor_id, year, kind) to *out (a caller's reused buffer).
void AppendQuotaKey(std::string_view actor_id, std::uint32_t year, QuotaKind kind,
                    std::string* out);
// QuotaKey's parts, or nullopt if `key` is not one (no actor id, a length
// other than the id's + 6, or an unknown kind): a stored key that does not
// parse is a damaged one.
struct QuotaKeyParts {
  std::string actor_id;
  std::uint32_t year = 0;
  QuotaKind kind = QuotaKind::kUnspecified;
};
std::optional<QuotaKeyParts> ParseQuotaKey(std::string_view key);
// A quota key for messages: "mine-1's 2026 mining_rock", or `damaged key
// "<the key, escaped>"` if it does not parse.
std::string QuotaKeyName(std::string_view key);
// Appends unlicensed_extraction unless the extraction names the licence the
// mine was registered with (and it has one).
void CheckLicence(const v1::Event& ev, const std::string& registered_licence, Violations* out);
// Whether a finding code is a regulatory violation (quota, licence) that a
// ledger in record-and-flag mode records instead of refusing.
bool IsRegulatory(const char* code);

// The lot ids an event touches that already exist (inputs, shipped, ...).
std::vector<std::string> ExistingLotsTouched(const v1::Event& ev);
// The same into *out (cleared first), as views into `ev`: for a caller that
// reuses one buffer for every record (the audit's replay).
void ExistingLotsTouched(const v1::Event& ev, std::vector<std::string_view>* out);
// The lots an event creates (extraction, transformation outputs).
std::vector<const v1::Lot*> LotsCreated(const v1::Event& ev);
// The same into *out (cleared first).
void LotsCreated(const v1::Event& ev, std::vector<const v1::Lot*>* out);

// Every lot whose head the record of `ev` becomes (created or moved), in
// the order the event names them.
std::vector<std::string> LotsMoved(const Event& ev);
// Every parent hash slot of `ev` (shipment, receipt, export, transformation
// inputs; a reversal's record hash, under its first lot), with the lot it
// names, in order; set or not.
void ForEachParent(Event* ev,
                   const std::function<void(const std::string& lot_id, std::optional<Hash>*)>& fn);

// Creates the state of a new lot held by `actor` at record `seq`/`hash`.
LotView NewLot(const v1::Lot& lot, const std::string& actor, std::uint64_t seq, const Hash& hash,
              std::int64_t time);

// Applies `ev` (signed by `actor`, stored at `seq` with record hash `hash`)
// to `lot`, an existing lot the event touches, appending any violation.
// `lot` is advanced even when a rule is broken, so a replay can go on and
// report later problems too. For a transformation, `input_index` may say
// where the lot's first line in ev.transformed().inputs() is, if the caller
// knows (a merge of n lots, replayed for each, is otherwise searched n
// times); -1, or an index of another lot's line, and it is searched for.
// For a reversal, `reversible` is the lot's record a reversal may undo now
// (LotUndoStack::Top: its latest record that is neither a reversal nor
// reversed), which the reversal must name and whose effect on the lot it
// undoes; nullptr if the lot has none (a reversal is then a finding, and
// the lot only moves its head).
struct Reversible {
  std::uint64_t seq = 0;
  Hash hash{};
  const v1::Event* event = nullptr;
};
void ApplyToLot(const v1::Event& ev, const std::string& actor, std::uint64_t seq,
                const Hash& hash, LotView* lot, Violations* out, int input_index = -1,
                const Reversible* reversible = nullptr);

// The records of one lot a reversal may still undo, as a stack: a record
// that creates or moves the lot is pushed; a valid reversal pops the record
// it reverses, which must be on top. So reversals undo a lot's records in
// the reverse of their order (a receipt, then its shipment), and a reversed
// record cannot be reversed again.
class LotUndoStack {
 public:
  // Record `seq` (hash `hash`, event `ev`, which must outlive the stack's use
  // of it) of the lot, in log order.
  void Push(std::uint64_t seq, const Hash& hash, const v1::Event* ev) {
    stack_.push_back({seq, hash, ev});
  }
  // A reversal of record `seq`: pops it if it is on top (true), else
  // changes nothing (false).
  bool Pop(std::uint64_t seq) {
    if (stack_.empty() || stack_.back().seq != seq) return false;
    stack_.pop_back();
    return true;
  }
  // The record a reversal may undo now; nullptr if none.
  const Reversible* Top() const { return stack_.empty() ? nullptr : &stack_.back(); }
  // Feeds the lot's next record: a reversal of the top pops it, any other
  // record is pushed.
  // Empties the stack (for the next lot), keeping its capacity.
  void Clear() { stack_.clear(); }
  void Feed(std::uint64_t seq, const Hash& hash, const v1::Event* ev) {
    if (ev->has_reversed()) {
      Pop(ev->reversed().seq());
    } else {
      Push(seq, hash, ev);
    }
  }

 private:
  std::vector<Reversible> stack_;
};

// Whether `ev` is a custody event (extraction, shipment, receipt,
// transformation, export, recycling, import): what a reversal may name.
bool IsCustodyEvent(const v1::Event& ev);
// The lots a record's event moves, then those it creates: what a reversal
// of it names, in that order.
std::vector<std::string> LotsOfRecord(const v1::Event& ev);
// The rules of a reversal `ev` stated by an actor of `role`, of the record
// whose event is `reversed` (nullptr: no such record before it) and whose
// record hash is `reversed_hash`: a custody record, of the stating actor or
// stated by a regulator, named by its hash, with the lots it created or
// moved. (That it is still each lot's latest record is ApplyToLot's.)
void CheckReversal(const v1::Event& ev, Role role, const v1::Event* reversed,
                   const Hash& reversed_hash, Violations* out);

// Per-element and gross mass balance of a transformation, given the input
// lots' states just before it (same order as ev.inputs()).
void CheckTransformBalance(const v1::Transformed& t, const std::vector<const LotView*>& inputs,
                           std::uint64_t seq, std::uint32_t tolerance_ppm, Violations* out);

// Decimal form of a 128-bit count of grams (sums of many lots' masses or
// content, which may pass 2^64 g).
std::string GramsString(unsigned __int128 g);

// Rare-earth grams of `element` contained in `consumed_g` grams of `lot`,
// rounded down: content * consumed / mass in exact 128-bit arithmetic.
std::uint64_t ContainedGrams(const LotView& lot, Element element, std::uint64_t consumed_g);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_RULES_RULES_H_
