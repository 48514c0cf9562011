// The custody rules, as pure functions over plain state (internal).
//
// One implementation serves both sides: Append applies them to the state in
// LMDB and refuses the event on any violation; the verifier replays them
// over the records and reports every violation as a finding. Keeping them in
// one place means the ledger can never accept what the verifier rejects.
// docs/verification.md lists every rule with its finding code.
#ifndef RETRACE_LIB_LEDGER_RULES_H_
#define RETRACE_LIB_LEDGER_RULES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "retrace/event.h"
#include "retrace/hash.h"
#include "retrace/v1/retrace.pb.h"

namespace retrace::internal {

enum class LotStatus { kHeld = 1, kInTransit = 2, kExported = 3, kConsumed = 4 };
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
};

struct Violation {
  const char* code;  // a retrace::finding::k* constant
  std::string lot_id;
  std::string message;
};
using Violations = std::vector<Violation>;

// Maps a finding code to the Status code an append refusal carries.
StatusCode RefusalCode(const char* finding_code);
// The Status for refusing an append because of `v` (message says the ledger
// is unchanged).
Status Refusal(const Violation& v, std::uint64_t ledger_size);

// Whether an actor of `role` may state an event of this body kind.
bool RoleMayEmit(Role role, v1::Event::BodyCase kind);
// Violations of the role rule for the signer (`role` as registered).
void CheckRole(const v1::Event& ev, Role role, Violations* out);

// The lot ids an event touches that already exist (inputs, shipped, ...).
std::vector<std::string> ExistingLotsTouched(const v1::Event& ev);
// The lots an event creates (extraction, transformation outputs).
std::vector<const v1::Lot*> LotsCreated(const v1::Event& ev);

// Creates the state of a new lot held by `actor` at record `seq`/`hash`.
LotView NewLot(const v1::Lot& lot, const std::string& actor, std::uint64_t seq, const Hash& hash);

// Applies `ev` (signed by `actor`, stored at `seq` with record hash `hash`)
// to `lot`, an existing lot the event touches, appending any violation.
// `lot` is advanced even when a rule is broken, so a replay can go on and
// report later problems too.
void ApplyToLot(const v1::Event& ev, const std::string& actor, std::uint64_t seq,
                const Hash& hash, LotView* lot, Violations* out);

// Per-element and gross mass balance of a transformation, given the input
// lots' states just before it (same order as ev.inputs()).
void CheckTransformBalance(const v1::Transformed& t, const std::vector<const LotView*>& inputs,
                           std::uint64_t seq, Violations* out);

// Rare-earth grams of `element` contained in `consumed_g` grams of `lot`,
// rounded down: content * consumed / mass in exact 128-bit arithmetic.
std::uint64_t ContainedGrams(const LotView& lot, Element element, std::uint64_t consumed_g);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_LEDGER_RULES_H_
