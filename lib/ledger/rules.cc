#include "ledger/rules.h"

#include <cstring>
#include <map>
#include <set>

#include "retrace/verifier.h"

namespace retrace::internal {
namespace {

std::string Mass(std::uint64_t g) { return std::to_string(g) + " g"; }

Hash ToHash(const std::string& bytes) {
  Hash h{};
  if (bytes.size() == h.size()) std::memcpy(h.data(), bytes.data(), h.size());
  return h;
}

// Common preconditions for an event that moves or consumes a held lot.
void CheckHeldBy(const char* verb, const std::string& actor, const LotView& lot, Violations* out) {
  switch (lot.status) {
    case LotStatus::kHeld:
      break;
    case LotStatus::kInTransit:
      out->push_back({finding::kLotInTransit, lot.lot_id,
                      "lot " + lot.lot_id + " cannot be " + verb + ": it is in transit from " +
                          lot.custodian + " to " + lot.in_transit_to + " and has not been received"});
      return;
    case LotStatus::kExported:
    case LotStatus::kConsumed:
      out->push_back({finding::kLotNotAvailable, lot.lot_id,
                      "lot " + lot.lot_id + " cannot be " + verb + ": it was already " +
                          LotStatusName(lot.status)});
      return;
  }
  if (lot.custodian != actor) {
    out->push_back({finding::kNotCustodian, lot.lot_id,
                    "lot " + lot.lot_id + " was " + verb + " by " + actor +
                        ", but its custodian is " + lot.custodian});
  }
}

void CheckParent(const std::string& parent, const LotView& lot, Violations* out) {
  if (ToHash(parent) != lot.head_hash) {
    out->push_back({finding::kParentLinkBroken, lot.lot_id,
                    "the record does not link to the latest record of lot " + lot.lot_id +
                        " (seq " + std::to_string(lot.head_seq) +
                        "): its parent hash is stale or forged"});
  }
}

}  // namespace

const char* LotStatusName(LotStatus s) {
  switch (s) {
    case LotStatus::kHeld: return "held";
    case LotStatus::kInTransit: return "in_transit";
    case LotStatus::kExported: return "exported";
    case LotStatus::kConsumed: return "consumed";
  }
  return "unknown";
}

StatusCode RefusalCode(const char* code) {
  std::string_view c(code);
  if (c == finding::kSignatureInvalid) return StatusCode::kVerificationFailed;
  if (c == finding::kUnknownKey || c == finding::kUnknownActor || c == finding::kLotUnknown) {
    return StatusCode::kNotFound;
  }
  if (c == finding::kLotExists || c == finding::kDuplicateEventId) {
    return StatusCode::kAlreadyExists;
  }
  if (c == finding::kEventMalformed || c == finding::kLedgerMismatch ||
      c == finding::kContentExceedsMass) {
    return StatusCode::kInvalidArgument;
  }
  return StatusCode::kFailedPrecondition;
}

Status Refusal(const Violation& v, std::uint64_t ledger_size) {
  return Status(RefusalCode(v.code), "append refused (" + std::string(v.code) + "): " + v.message +
                                         "; the ledger is unchanged (size " +
                                         std::to_string(ledger_size) + ")");
}

bool RoleMayEmit(Role role, v1::Event::BodyCase kind) {
  switch (kind) {
    case v1::Event::kGenesis:
      return false;  // only record 0, checked separately
    case v1::Event::kActorRegistered:
      return role == Role::kRegulator;
    case v1::Event::kExtracted:
      return role == Role::kMine;
    case v1::Event::kShipped:
    case v1::Event::kReceived:
      return role != Role::kRegulator && role != Role::kUnspecified;
    case v1::Event::kTransformed:
      return role == Role::kSeparator || role == Role::kSmelter || role == Role::kMagnetMaker ||
             role == Role::kRecycler;
    case v1::Event::kExported:
      return role == Role::kExporter;
    case v1::Event::BODY_NOT_SET:
      return false;
  }
  return false;
}

namespace {
const char* KindName(v1::Event::BodyCase kind) {
  switch (kind) {
    case v1::Event::kGenesis: return "a genesis";
    case v1::Event::kActorRegistered: return "an actor registration";
    case v1::Event::kExtracted: return "an extraction";
    case v1::Event::kShipped: return "a shipment";
    case v1::Event::kReceived: return "a receipt";
    case v1::Event::kTransformed: return "a transformation";
    case v1::Event::kExported: return "an export";
    default: return "an unknown event";
  }
}
}  // namespace

void CheckRole(const v1::Event& ev, Role role, Violations* out) {
  if (ev.body_case() == v1::Event::kGenesis) return;
  if (!RoleMayEmit(role, ev.body_case())) {
    out->push_back({finding::kRoleNotAllowed, "",
                    "actor " + ev.actor_id() + " is registered as " + RoleName(role) +
                        ", which may not record " + KindName(ev.body_case())});
  }
}

std::vector<std::string> ExistingLotsTouched(const v1::Event& ev) {
  switch (ev.body_case()) {
    case v1::Event::kShipped: return {ev.shipped().lot_id()};
    case v1::Event::kReceived: return {ev.received().lot_id()};
    case v1::Event::kExported: return {ev.exported().lot_id()};
    case v1::Event::kTransformed: {
      std::vector<std::string> out;
      for (const auto& in : ev.transformed().inputs()) out.push_back(in.lot_id());
      return out;
    }
    default: return {};
  }
}

std::vector<const v1::Lot*> LotsCreated(const v1::Event& ev) {
  switch (ev.body_case()) {
    case v1::Event::kExtracted: return {&ev.extracted().lot()};
    case v1::Event::kTransformed: {
      std::vector<const v1::Lot*> out;
      for (const auto& o : ev.transformed().outputs()) out.push_back(&o);
      return out;
    }
    default: return {};
  }
}

LotView NewLot(const v1::Lot& lot, const std::string& actor, std::uint64_t seq, const Hash& hash) {
  LotView v;
  v.lot_id = lot.lot_id();
  v.material = static_cast<MaterialClass>(lot.material());
  v.mass_g = lot.mass_g();
  for (const auto& c : lot.content()) v.content.push_back({static_cast<Element>(c.element()), c.grams()});
  v.remaining_g = lot.mass_g();
  v.custodian = actor;
  v.status = LotStatus::kHeld;
  v.head_hash = hash;
  v.head_seq = seq;
  v.created_seq = seq;
  v.creator = actor;
  return v;
}

void ApplyToLot(const v1::Event& ev, const std::string& actor, std::uint64_t seq,
                const Hash& hash, LotView* lot, Violations* out) {
  switch (ev.body_case()) {
    case v1::Event::kShipped: {
      const auto& s = ev.shipped();
      CheckParent(s.parent_hash(), *lot, out);
      CheckHeldBy("shipped", actor, *lot, out);
      if (s.mass_g() != lot->remaining_g) {
        out->push_back({finding::kMassMismatch, lot->lot_id,
                        "shipment of lot " + lot->lot_id + " declares " + Mass(s.mass_g()) +
                            " but " + Mass(lot->remaining_g) + " remain (a lot ships whole)"});
      }
      if (s.to_actor_id() == actor) {
        out->push_back({finding::kEventMalformed, lot->lot_id,
                        "lot " + lot->lot_id + " is shipped by " + actor + " to itself"});
      }
      lot->status = LotStatus::kInTransit;
      lot->in_transit_to = s.to_actor_id();
      lot->shipped_mass_g = s.mass_g();
      break;
    }
    case v1::Event::kReceived: {
      const auto& r = ev.received();
      CheckParent(r.parent_hash(), *lot, out);
      if (lot->status != LotStatus::kInTransit) {
        out->push_back({finding::kReceiptMismatch, lot->lot_id,
                        "lot " + lot->lot_id + " is received by " + actor +
                            " but it is not in transit (it is " + LotStatusName(lot->status) + ")"});
      } else {
        if (lot->in_transit_to != actor) {
          out->push_back({finding::kNotCustodian, lot->lot_id,
                          "lot " + lot->lot_id + " was shipped to " + lot->in_transit_to +
                              " but is received by " + actor});
        }
        if (r.from_actor_id() != lot->custodian) {
          out->push_back({finding::kReceiptMismatch, lot->lot_id,
                          "receipt of lot " + lot->lot_id + " names sender " + r.from_actor_id() +
                              " but it was shipped by " + lot->custodian});
        }
        if (r.mass_g() != lot->shipped_mass_g) {
          out->push_back({finding::kReceiptMismatch, lot->lot_id,
                          "receipt of lot " + lot->lot_id + " declares " + Mass(r.mass_g()) +
                              " but " + Mass(lot->shipped_mass_g) + " were shipped"});
        }
      }
      lot->status = LotStatus::kHeld;
      lot->custodian = actor;
      lot->in_transit_to.clear();
      lot->shipped_mass_g = 0;
      break;
    }
    case v1::Event::kTransformed: {
      // A transformation may list the same lot only once (checked by the
      // caller); find this lot's input line.
      for (const auto& in : ev.transformed().inputs()) {
        if (in.lot_id() != lot->lot_id) continue;
        CheckParent(in.parent_hash(), *lot, out);
        CheckHeldBy("consumed", actor, *lot, out);
        if (in.consumed_g() > lot->remaining_g) {
          out->push_back({finding::kOverConsumed, lot->lot_id,
                          "transformation consumes " + Mass(in.consumed_g()) + " of lot " +
                              lot->lot_id + " but only " + Mass(lot->remaining_g) + " remain"});
          lot->remaining_g = 0;
        } else {
          lot->remaining_g -= in.consumed_g();
        }
        if (lot->remaining_g == 0 && lot->status == LotStatus::kHeld) {
          lot->status = LotStatus::kConsumed;
        }
        break;
      }
      break;
    }
    case v1::Event::kExported: {
      const auto& x = ev.exported();
      CheckParent(x.parent_hash(), *lot, out);
      CheckHeldBy("exported", actor, *lot, out);
      if (x.mass_g() != lot->remaining_g) {
        out->push_back({finding::kMassMismatch, lot->lot_id,
                        "export of lot " + lot->lot_id + " declares " + Mass(x.mass_g()) +
                            " but " + Mass(lot->remaining_g) + " remain (a lot is exported whole)"});
      }
      lot->status = LotStatus::kExported;
      break;
    }
    default:
      break;
  }
  lot->head_hash = hash;
  lot->head_seq = seq;
}

std::uint64_t ContainedGrams(const LotView& lot, Element element, std::uint64_t consumed_g) {
  if (lot.mass_g == 0) return 0;
  for (const auto& c : lot.content) {
    if (c.element != element) continue;
    unsigned __int128 num = static_cast<unsigned __int128>(c.grams) * consumed_g;
    return static_cast<std::uint64_t>(num / lot.mass_g);
  }
  return 0;
}

void CheckTransformBalance(const v1::Transformed& t, const std::vector<const LotView*>& inputs,
                           std::uint64_t seq, Violations* out) {
  if (t.outputs_size() == 0) return;  // malformed; reported by ValidateEventProto
  // Per element: what the outputs contain may not exceed what the consumed
  // inputs contained. Non-rare-earth additives never add rare earths.
  std::map<int, unsigned __int128> in_g, out_g;
  unsigned __int128 consumed = 0, produced = 0, additives = 0;
  for (int i = 0; i < t.inputs_size() && i < static_cast<int>(inputs.size()); ++i) {
    const LotView* lot = inputs[i];
    if (lot == nullptr) continue;
    std::uint64_t c = std::min<std::uint64_t>(t.inputs(i).consumed_g(), lot->remaining_g);
    consumed += t.inputs(i).consumed_g();
    for (const auto& em : lot->content) in_g[static_cast<int>(em.element)] += ContainedGrams(*lot, em.element, c);
  }
  for (const auto& o : t.outputs()) {
    produced += o.mass_g();
    for (const auto& em : o.content()) out_g[em.element()] += em.grams();
  }
  for (const auto& a : t.additives()) additives += a.mass_g();
  for (const auto& [el, grams] : out_g) {
    unsigned __int128 have = in_g.count(el) ? in_g[el] : 0;
    if (grams > have) {
      out->push_back({finding::kElementBalanceViolated, t.outputs(0).lot_id(),
                      std::string("transformation at seq ") + std::to_string(seq) + " puts out " +
                          Mass(static_cast<std::uint64_t>(grams)) + " of " +
                          ElementSymbol(static_cast<Element>(el)) + " but its inputs contained only " +
                          Mass(static_cast<std::uint64_t>(have))});
    }
  }
  // Gross mass: outputs plus declared loss equal inputs consumed plus
  // additives. Every gram is accounted for.
  unsigned __int128 lhs = produced + t.declared_loss_g();
  unsigned __int128 rhs = consumed + additives;
  if (lhs != rhs) {
    out->push_back({finding::kGrossBalanceViolated, t.outputs(0).lot_id(),
                    "transformation at seq " + std::to_string(seq) + " does not balance: outputs " +
                        Mass(static_cast<std::uint64_t>(produced)) + " + declared loss " +
                        Mass(t.declared_loss_g()) + " != inputs consumed " +
                        Mass(static_cast<std::uint64_t>(consumed)) + " + additives " +
                        Mass(static_cast<std::uint64_t>(additives))});
  }
}

}  // namespace retrace::internal
