#include "rules/rules.h"

#include <cstring>
#include <ctime>
#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <type_traits>
#include <variant>

#include "model/proto_convert.h"
#include "model/reo.h"
#include "util/escape.h"
#include "retrace/verifier.h"

namespace retrace::internal {
namespace {

std::string Mass(std::uint64_t g) { return std::to_string(g) + " g"; }
// A sum over many lots, which may pass 2^64 g.
std::string Mass(unsigned __int128 g) { return GramsString(g) + " g"; }

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
    case LotStatus::kVoid:
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
    case LotStatus::kVoid: return "void";
  }
  return "unknown";
}

StatusCode RefusalCode(const char* code) {
  std::string_view c(code);
  if (c == finding::kSignatureInvalid || c == finding::kRegistryImportInvalid) {
    return StatusCode::kVerificationFailed;
  }
  if (c == finding::kUnknownKey || c == finding::kUnknownActor || c == finding::kLotUnknown) {
    return StatusCode::kNotFound;
  }
  if (c == finding::kLotExists || c == finding::kDuplicateEventId || c == finding::kActorExists ||
      c == finding::kKeyExists) {
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

Policy::Policy(const v1::PolicySet& set) : set_(set) {}

const Policy& Policy::Default() {
  static const Policy* p = [] {
    Event ev;
    ev.body = DefaultPolicy();
    v1::Event pb;
    (void)ToProto(ev, &pb);
    return new Policy(pb.policy_set());
  }();
  return *p;
}

const v1::StageRule* Policy::RuleFor(Role role) const {
  for (const auto& r : set_.rules()) {
    if (r.role() == static_cast<int>(role)) return &r;
  }
  return nullptr;
}

std::uint32_t Policy::TolerancePpm(Role role) const {
  const v1::StageRule* r = RuleFor(role);
  return r ? r->element_tolerance_ppm() : 0;
}

const char* PolicyEventName(v1::Event::BodyCase kind) {
  switch (kind) {
    case v1::Event::kExtracted: return "extracted";
    case v1::Event::kShipped: return "shipped";
    case v1::Event::kReceived: return "received";
    case v1::Event::kTransformed: return "transformed";
    case v1::Event::kExported: return "exported";
    case v1::Event::kRecycled: return "recycled";
    case v1::Event::kImported: return "imported";
    default: return nullptr;
  }
}

bool RoleMayEmit(const Policy& policy, Role role, const v1::Event& ev) {
  switch (ev.body_case()) {
    case v1::Event::kGenesis:
      return false;  // only record 0, checked separately
    case v1::Event::kActorRegistered:
    case v1::Event::kQuotaGranted:
    case v1::Event::kPolicySet:
    case v1::Event::kKeyRevoked:
      return role == Role::kRegulator;
    case v1::Event::kKeyRotated:
      return role == Role::kRegulator || ev.key_rotated().actor_id() == ev.actor_id();
    case v1::Event::kReversed:
      // Any registered actor may state one; CheckReversal requires the
      // reversed record's own actor, or a regulator.
      return role != Role::kUnspecified;
    case v1::Event::BODY_NOT_SET:
      return false;
    default:
      break;
  }
  const char* name = PolicyEventName(ev.body_case());
  const v1::StageRule* rule = policy.RuleFor(role);
  if (name == nullptr || rule == nullptr) return false;
  for (const auto& e : rule->events()) {
    if (e == name) return true;
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
    case v1::Event::kQuotaGranted: return "a quota grant";
    case v1::Event::kPolicySet: return "a stage policy";
    case v1::Event::kRecycled: return "a recycling";
    case v1::Event::kImported: return "an import";
    case v1::Event::kKeyRotated: return "a key rotation for another actor";
    case v1::Event::kKeyRevoked: return "a key revocation";
    case v1::Event::kReversed: return "a reversal";
    default: return "an unknown event";
  }
}

bool Allowed(const google::protobuf::RepeatedField<int>& classes, MaterialClass m) {
  for (int c : classes) {
    if (c == static_cast<int>(m)) return true;
  }
  return false;
}
}  // namespace

void CheckRole(const v1::Event& ev, Role role, const Policy& policy, Violations* out) {
  if (ev.body_case() == v1::Event::kGenesis) return;
  if (!RoleMayEmit(policy, role, ev)) {
    out->push_back({finding::kRoleNotAllowed, "",
                    "actor " + ev.actor_id() + " is registered as " + RoleName(role) +
                        ", which may not record " + KindName(ev.body_case()) + " under the policy \"" +
                        policy.set().name() + "\""});
  }
}

void CheckStage(const v1::Event& ev, Role role, const Policy& policy,
                const std::vector<const LotView*>& inputs, Violations* out) {
  const v1::StageRule* rule = policy.RuleFor(role);
  if (rule == nullptr) return;  // reported by CheckRole
  // Put together only for a finding.
  auto who = [&] { return ev.actor_id() + " (" + RoleName(role) + ")"; };
  // A cross-ledger receipt brings its lot in (the role may receive, which
  // CheckRole judges); it makes nothing.
  const bool brought_in = ev.has_received() && ev.received().has_origin();
  for (const v1::Lot* l : brought_in ? std::vector<const v1::Lot*>() : LotsCreated(ev)) {
    auto m = static_cast<MaterialClass>(l->material());
    if (!Allowed(rule->outputs(), m)) {
      out->push_back({finding::kStageOrderViolated, l->lot_id(),
                      who() + " may not produce " + MaterialClassName(m) + " lot " + l->lot_id() +
                          " under the policy \"" + policy.set().name() + "\""});
    }
  }
  if (ev.has_transformed() || ev.has_exported()) {
    const char* verb = ev.has_exported() ? "export" : "consume";
    for (const LotView* in : inputs) {
      if (in == nullptr) continue;
      if (!Allowed(rule->inputs(), in->material)) {
        out->push_back({finding::kStageOrderViolated, in->lot_id,
                        who() + " may not " + verb + " " + MaterialClassName(in->material) + " lot " +
                            in->lot_id + " under the policy \"" + policy.set().name() + "\""});
      }
    }
  }
}

std::string UtcTimeString(std::int64_t unix_seconds) {
  const std::time_t secs = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  char buf[32];
  if (gmtime_r(&secs, &tm) == nullptr ||
      std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
    return std::to_string(unix_seconds) + " s";
  }
  return buf;
}

std::uint32_t UtcYear(std::int64_t unix_seconds) {
  // Days since 1970-01-01 to civil year (H. Hinnant's algorithm).
  std::int64_t z = unix_seconds / 86400;
  if (unix_seconds % 86400 < 0) --z;
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  std::int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return static_cast<std::uint32_t>(y < 0 ? 0 : y);
}

}  // namespace retrace::internal

namespace retrace {
std::uint32_t QuotaYear(const Timestamp& t) noexcept { return internal::UtcYear(t.seconds); }
}  // namespace retrace

namespace retrace::internal {

std::optional<QuotaUse> QuotaUseOf(const v1::Event& ev, Role signer_role) {
  // ReoEquivalentGramsExact of the content, summed term by term (no vector
  // of it built per record).
  if (ev.has_extracted()) {
    unsigned __int128 mg = 0;
    for (const auto& c : ev.extracted().lot().content()) {
      mg += ReoMilligramsExact(static_cast<Element>(c.element()), c.grams());
    }
    return QuotaUse{ev.actor_id(), UtcYear(ev.time().seconds()),
                    static_cast<QuotaKind>(ev.extracted().quota_kind()), mg / 1000};
  }
  if (ev.has_transformed() && signer_role == Role::kSeparator) {
    unsigned __int128 mg = 0;
    for (const auto& o : ev.transformed().outputs()) {
      for (const auto& c : o.content()) {
        mg += ReoMilligramsExact(static_cast<Element>(c.element()), c.grams());
      }
    }
    return QuotaUse{ev.actor_id(), UtcYear(ev.time().seconds()), QuotaKind::kSmeltingSeparation,
                    mg / 1000};
  }
  return std::nullopt;
}

void AppendQuotaKey(std::string_view actor_id, std::uint32_t year, QuotaKind kind,
                    std::string* out) {
  out->append(actor_id);
  out->push_back('\0');
  for (int shift = 24; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((year >> shift) & 0xff));
  }
  out->push_back(static_cast<char>(kind));
}

std::string QuotaKey(std::string_view actor_id, std::uint32_t year, QuotaKind kind) {
  std::string k;
  k.reserve(actor_id.size() + 6);
  AppendQuotaKey(actor_id, year, kind, &k);
  return k;
}

std::optional<QuotaKeyParts> ParseQuotaKey(std::string_view key) {
  const std::size_t nul = key.find('\0');
  if (nul == std::string_view::npos || nul == 0 || key.size() != nul + 6) return std::nullopt;
  QuotaKeyParts p;
  p.actor_id = std::string(key.substr(0, nul));
  for (int i = 1; i <= 4; ++i) p.year = (p.year << 8) | static_cast<unsigned char>(key[nul + i]);
  const int kind = static_cast<unsigned char>(key[nul + 5]);
  if (!v1::QuotaKind_IsValid(kind) || kind == v1::QUOTA_KIND_UNSPECIFIED) return std::nullopt;
  p.kind = static_cast<QuotaKind>(kind);
  return p;
}

std::string QuotaKeyName(std::string_view key) {
  std::optional<QuotaKeyParts> p = ParseQuotaKey(key);
  if (!p) return "damaged key \"" + EscapeForDisplay(key) + "\"";
  return EscapeForDisplay(p->actor_id, 64) + "'s " + std::to_string(p->year) + " " +
         QuotaKindName(p->kind);
}

void CheckLicence(const v1::Event& ev, const std::string& registered_licence, Violations* out) {
  if (!ev.has_extracted()) return;
  const auto& x = ev.extracted();
  if (registered_licence.empty()) {
    out->push_back({finding::kUnlicensedExtraction, x.lot().lot_id(),
                    "mine " + ev.actor_id() + " holds no registered mining licence, yet extracted lot " +
                        x.lot().lot_id()});
  } else if (x.licence() != registered_licence) {
    out->push_back({finding::kUnlicensedExtraction, x.lot().lot_id(),
                    "lot " + x.lot().lot_id() + " was extracted under licence \"" + x.licence() +
                        "\", but mine " + ev.actor_id() + " is registered with licence \"" +
                        registered_licence + "\""});
  }
}

bool IsRegulatory(const char* code) {
  std::string_view c(code);
  return c == finding::kQuotaExceeded || c == finding::kUnlicensedExtraction;
}

void ExistingLotsTouched(const v1::Event& ev, std::vector<std::string_view>* out) {
  out->clear();
  switch (ev.body_case()) {
    case v1::Event::kReversed:
      for (const auto& id : ev.reversed().lot_ids()) out->push_back(id);
      return;
    case v1::Event::kShipped: out->push_back(ev.shipped().lot_id()); return;
    case v1::Event::kReceived:
      // A cross-ledger receipt creates its lot here (LotsCreated).
      if (ev.received().has_origin()) return;
      out->push_back(ev.received().lot_id());
      return;
    case v1::Event::kExported: out->push_back(ev.exported().lot_id()); return;
    case v1::Event::kTransformed:
      for (const auto& in : ev.transformed().inputs()) out->push_back(in.lot_id());
      return;
    default: return;
  }
}

std::vector<std::string> ExistingLotsTouched(const v1::Event& ev) {
  std::vector<std::string_view> ids;
  ExistingLotsTouched(ev, &ids);
  return {ids.begin(), ids.end()};
}

void LotsCreated(const v1::Event& ev, std::vector<const v1::Lot*>* out) {
  out->clear();
  switch (ev.body_case()) {
    case v1::Event::kExtracted: out->push_back(&ev.extracted().lot()); return;
    case v1::Event::kRecycled: out->push_back(&ev.recycled().lot()); return;
    case v1::Event::kImported: out->push_back(&ev.imported().lot()); return;
    case v1::Event::kReceived:
      if (ev.received().has_origin()) out->push_back(&ev.received().origin().lot());
      return;
    case v1::Event::kTransformed:
      for (const auto& o : ev.transformed().outputs()) out->push_back(&o);
      return;
    default: return;
  }
}

std::vector<const v1::Lot*> LotsCreated(const v1::Event& ev) {
  std::vector<const v1::Lot*> out;
  LotsCreated(ev, &out);
  return out;
}

LotView NewLot(const v1::Lot& lot, const std::string& actor, std::uint64_t seq, const Hash& hash,
              std::int64_t time) {
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
  v.head_time = time;
  return v;
}

void CheckEventTime(const v1::Event& ev, std::int64_t now, std::int64_t skew_seconds,
                    Violations* out) {
  const std::int64_t t = ev.time().seconds();
  if (skew_seconds < 0) skew_seconds = 0;
  // now + skew saturates: a skew near INT64_MAX means "no bound".
  const std::int64_t limit =
      skew_seconds > std::numeric_limits<std::int64_t>::max() - now
          ? std::numeric_limits<std::int64_t>::max()
          : now + skew_seconds;
  if (t > limit) {
    out->push_back({finding::kTimeInFuture, "",
                    "the event is dated " + UtcTimeString(t) + ", more than " +
                        std::to_string(skew_seconds) + " s after this host's clock (" +
                        UtcTimeString(now) + ")"});
  }
}

bool IsCustodyEvent(const v1::Event& ev) {
  switch (ev.body_case()) {
    case v1::Event::kExtracted:
    case v1::Event::kShipped:
    case v1::Event::kReceived:
    case v1::Event::kTransformed:
    case v1::Event::kExported:
    case v1::Event::kRecycled:
    case v1::Event::kImported:
      return true;
    default:
      return false;
  }
}

std::vector<std::string> LotsOfRecord(const v1::Event& ev) {
  std::vector<std::string> out = ExistingLotsTouched(ev);
  for (const v1::Lot* l : LotsCreated(ev)) out.push_back(l->lot_id());
  return out;
}

void CheckReversal(const v1::Event& ev, Role role, const v1::Event* reversed,
                   const Hash& reversed_hash, Violations* out) {
  const auto& r = ev.reversed();
  const std::string s = std::to_string(r.seq());
  if (reversed == nullptr) {
    out->push_back({finding::kEventMalformed, "",
                    "the reversal names record " + s + ", which is not in the log before it"});
    return;
  }
  if (!IsCustodyEvent(*reversed)) {
    out->push_back({finding::kEventMalformed, "",
                    "the reversal names record " + s + ", which is " +
                        KindName(reversed->body_case()) + ", not a custody record"});
    return;
  }
  if (ev.actor_id() != reversed->actor_id() && role != Role::kRegulator) {
    out->push_back({finding::kRoleNotAllowed, "",
                    ev.actor_id() + " may not reverse record " + s + ": only its actor (" +
                        reversed->actor_id() + ") or a regulator may"});
  }
  if (ToHash(r.record_hash()) != reversed_hash) {
    out->push_back({finding::kParentLinkBroken, "",
                    "the reversal's record hash is not the hash of record " + s});
  }
  const std::vector<std::string> lots = LotsOfRecord(*reversed);
  if (!std::equal(lots.begin(), lots.end(), r.lot_ids().begin(), r.lot_ids().end())) {
    out->push_back({finding::kEventMalformed, "",
                    "the reversal's lots are not the lots record " + s + " created or moved"});
  }
}

namespace {
// Undoes `reversed` (which created or moved `lot` and is its head) on `lot`.
void Undo(const v1::Event& reversed, LotView* lot) {
  switch (reversed.body_case()) {
    case v1::Event::kExtracted:
    case v1::Event::kRecycled:
    case v1::Event::kImported:
      lot->status = LotStatus::kVoid;
      lot->remaining_g = 0;
      return;
    case v1::Event::kShipped:
      lot->status = LotStatus::kHeld;
      lot->in_transit_to.clear();
      lot->shipped_mass_g = 0;
      return;
    case v1::Event::kReceived: {
      const auto& r = reversed.received();
      if (r.has_origin()) {  // a cross-ledger receipt created the lot
        lot->status = LotStatus::kVoid;
        lot->remaining_g = 0;
        return;
      }
      lot->in_transit_to = lot->custodian;
      lot->custodian = r.from_actor_id();
      lot->shipped_mass_g = r.mass_g();
      lot->status = LotStatus::kInTransit;
      return;
    }
    case v1::Event::kExported:
      lot->status = LotStatus::kHeld;
      lot->remaining_g = reversed.exported().mass_g();
      return;
    case v1::Event::kTransformed: {
      const auto& t = reversed.transformed();
      for (const auto& o : t.outputs()) {
        if (o.lot_id() == lot->lot_id) {
          lot->status = LotStatus::kVoid;
          lot->remaining_g = 0;
          return;
        }
      }
      for (const auto& in : t.inputs()) {
        if (in.lot_id() != lot->lot_id) continue;
        // Restored exactly as far as it was consumed (never past its mass).
        lot->remaining_g = std::min<std::uint64_t>(lot->mass_g, lot->remaining_g + in.consumed_g());
        if (lot->status == LotStatus::kConsumed) lot->status = LotStatus::kHeld;
        return;
      }
      return;
    }
    default:
      return;
  }
}
}  // namespace

void CheckTimeOrder(std::int64_t time, std::int64_t head_time, std::uint64_t seq,
                    const std::string& lot_id, std::string_view where, Violations* out) {
  // Times are validated to years 1..9999, so the subtraction cannot wrap.
  if (time >= head_time - kMaxTimeReversalSeconds) return;
  out->push_back({finding::kTimeReversed, lot_id,
                  "record " + std::to_string(seq) + " of lot " + EscapeForDisplay(lot_id) +
                      " is dated " + UtcTimeString(time) + ", more than " +
                      std::to_string(kMaxTimeReversalSeconds) +
                      " s before an earlier record of the lot" +
                      (where.empty() ? std::string() : " " + std::string(where)) + " (" +
                      UtcTimeString(head_time) + ")"});
}

void ApplyToLot(const v1::Event& ev, const std::string& actor, std::uint64_t seq,
                const Hash& hash, LotView* lot, Violations* out, int input_index,
                const Reversible* reversible) {
  const std::int64_t time = ev.time().seconds();
  CheckTimeOrder(time, lot->head_time, seq, lot->lot_id, "", out);
  lot->head_time = std::max(lot->head_time, time);
  switch (ev.body_case()) {
    case v1::Event::kReversed: {
      const auto& r = ev.reversed();
      if (reversible == nullptr || reversible->seq != r.seq() ||
          reversible->hash != ToHash(r.record_hash()) || reversible->event == nullptr) {
        out->push_back({finding::kParentLinkBroken, lot->lot_id,
                        "record " + std::to_string(r.seq()) + " is not the latest record of lot " +
                            lot->lot_id + " that can be reversed" +
                            (reversible != nullptr
                                 ? " (record " + std::to_string(reversible->seq) + " is)"
                                 : std::string(" (none is)")) +
                            ": reverse the later records first"});
      } else {
        Undo(*reversible->event, lot);
      }
      break;
    }
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
      // caller); find this lot's input line, the first if it is listed twice.
      const auto& inputs = ev.transformed().inputs();
      int from = 0;
      if (input_index >= 0 && input_index < inputs.size() &&
          inputs[input_index].lot_id() == lot->lot_id) {
        from = input_index;  // the caller's word that no line before it is this lot's
      }
      for (int i = from; i < inputs.size(); ++i) {
        const auto& in = inputs[i];
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
      lot->remaining_g = 0;  // nothing of it remains in the ledger's jurisdiction
      break;
    }
    default:
      break;
  }
  lot->head_hash = hash;
  lot->head_seq = seq;
}

std::string GramsString(unsigned __int128 g) {
  if (g == 0) return "0";
  std::string s;
  while (g > 0) {
    s.push_back(static_cast<char>('0' + static_cast<int>(g % 10)));
    g /= 10;
  }
  std::reverse(s.begin(), s.end());
  return s;
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

namespace {
// Grams per element, in element order: a lot declares a handful of
// elements, so a sorted vector (one allocation) rather than a std::map (one
// per element), iterated in the same order.
class ElementSums {
 public:
  void Add(int element, unsigned __int128 grams) {
    auto it = std::lower_bound(sums_.begin(), sums_.end(), element,
                               [](const auto& e, int el) { return e.first < el; });
    if (it == sums_.end() || it->first != element) it = sums_.insert(it, {element, 0});
    it->second += grams;
  }
  unsigned __int128 Get(int element) const {
    auto it = std::lower_bound(sums_.begin(), sums_.end(), element,
                               [](const auto& e, int el) { return e.first < el; });
    return it != sums_.end() && it->first == element ? it->second : 0;
  }
  auto begin() const { return sums_.begin(); }
  auto end() const { return sums_.end(); }

 private:
  std::vector<std::pair<int, unsigned __int128>> sums_;
};
}  // namespace

void CheckTransformBalance(const v1::Transformed& t, const std::vector<const LotView*>& inputs,
                           std::uint64_t seq, std::uint32_t tolerance_ppm, Violations* out) {
  if (t.outputs_size() == 0) return;  // malformed; reported by ValidateEventProto
  // Per element: what the outputs contain may not exceed what the consumed
  // inputs contained. Non-rare-earth additives never add rare earths.
  ElementSums in_g, out_g;
  unsigned __int128 consumed = 0, produced = 0, additives = 0;
  for (int i = 0; i < t.inputs_size() && i < static_cast<int>(inputs.size()); ++i) {
    const LotView* lot = inputs[i];
    if (lot == nullptr) continue;
    std::uint64_t c = std::min<std::uint64_t>(t.inputs(i).consumed_g(), lot->remaining_g);
    consumed += t.inputs(i).consumed_g();
    for (const auto& em : lot->content) {
      in_g.Add(static_cast<int>(em.element), ContainedGrams(*lot, em.element, c));
    }
  }
  for (const auto& o : t.outputs()) {
    produced += o.mass_g();
    for (const auto& em : o.content()) out_g.Add(em.element(), em.grams());
  }
  for (const auto& a : t.additives()) additives += a.mass_g();
  for (const auto& [el, grams] : out_g) {
    unsigned __int128 have = in_g.Get(el);
    // Assay tolerance of the stage (policy): have * (1 + ppm / 10^6).
    unsigned __int128 allowed = have + have * tolerance_ppm / 1000000;
    if (grams > allowed) {
      out->push_back({finding::kElementBalanceViolated, t.outputs(0).lot_id(),
                      std::string("transformation at seq ") + std::to_string(seq) + " puts out " +
                          Mass(grams) + " of " + ElementSymbol(static_cast<Element>(el)) +
                          " but its inputs contained only " + Mass(have)});
    }
  }
  // Gross mass: outputs plus declared loss equal inputs consumed plus
  // additives. Every gram is accounted for.
  unsigned __int128 lhs = produced + t.declared_loss_g();
  unsigned __int128 rhs = consumed + additives;
  if (lhs != rhs) {
    out->push_back({finding::kGrossBalanceViolated, t.outputs(0).lot_id(),
                    "transformation at seq " + std::to_string(seq) + " does not balance: outputs " +
                        Mass(produced) + " + declared loss " + Mass(t.declared_loss_g()) +
                        " != inputs consumed " + Mass(consumed) + " + additives " + Mass(additives)});
  }
}

std::vector<std::string> LotsMoved(const Event& ev) {
  std::vector<std::string> out;
  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, Extracted> || std::is_same_v<T, Recycled> ||
                      std::is_same_v<T, Imported>) {
          out.push_back(b.lot.lot_id);
        } else if constexpr (std::is_same_v<T, Shipped> || std::is_same_v<T, Received> ||
                             std::is_same_v<T, Exported>) {
          out.push_back(b.lot_id);
        } else if constexpr (std::is_same_v<T, Transformed>) {
          for (const auto& in : b.inputs) out.push_back(in.lot_id);
          for (const auto& o : b.outputs) out.push_back(o.lot_id);
        } else if constexpr (std::is_same_v<T, Reversed>) {
          out = b.lot_ids;
        }
      },
      ev.body);
  return out;
}

void ForEachParent(Event* ev,
                   const std::function<void(const std::string& lot_id, std::optional<Hash>*)>& fn) {
  std::visit(
      [&](auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, Shipped> || std::is_same_v<T, Received> ||
                      std::is_same_v<T, Exported>) {
          fn(b.lot_id, &b.parent_hash);
        } else if constexpr (std::is_same_v<T, Transformed>) {
          for (auto& in : b.inputs) fn(in.lot_id, &in.parent_hash);
        } else if constexpr (std::is_same_v<T, Reversed>) {
          // The reversed record is the latest of every lot it names: its
          // hash is their one parent.
          if (!b.lot_ids.empty()) fn(b.lot_ids.front(), &b.record_hash);
        }
      },
      ev->body);
}

}  // namespace retrace::internal
