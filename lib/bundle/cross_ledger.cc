#include "bundle/cross_ledger.h"
#include "bundle/bundle_view.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "model/proto_convert.h"
#include "model/record.h"
#include "retrace/federation.h"
#include "util/escape.h"
#include "util/hex.h"
#include "util/status_macros.h"

namespace retrace::internal {
namespace {



// Nested bundles are strictly smaller than the bundle that carries them, so
// a walk ends; this bounds it for a hostile one built to be deep.
constexpr int kMaxDepth = 64;

Hash HashOf(const std::string& bytes) {
  Result<Hash> h = HashFromBytes(bytes);
  return h.ok() ? *h : Hash{};
}

}  // namespace

Result<TrustedLogAnchors> AnchorsFor(const Policy& policy, std::string_view origin) {
  for (const v1::TrustedLog& t : policy.set().trusted_logs()) {
    if (t.origin() != origin) continue;
    Result<NoteVerifier> key = NoteVerifier::Parse(t.log_key());
    if (!key.ok()) {
      return InvalidArgumentError("the policy's log key of " + EscapeForDisplay(origin) + ": " +
                                  key.status().message());
    }
    if (key->name() != origin || key->type() != NoteKeyType::kEd25519) {
      return InvalidArgumentError("the policy's log key of " + EscapeForDisplay(origin) +
                                  " is not an ed25519 key of that name");
    }
    WitnessPolicy witnesses;
    for (const std::string& w : t.witnesses()) {
      Result<NoteVerifier> v = NoteVerifier::Parse(w);
      if (!v.ok()) {
        return InvalidArgumentError("a witness key the policy names for " +
                                    EscapeForDisplay(origin) + ": " + v.status().message());
      }
      witnesses.witnesses.push_back(v->type() == NoteKeyType::kCosignatureV1
                                        ? *v
                                        : v->WithType(NoteKeyType::kCosignatureV1));
    }
    witnesses.quorum = t.quorum();
    return TrustedLogAnchors{*key, std::move(witnesses), t.SerializeAsString()};
  }
  return FailedPreconditionError("the policy in force (\"" + EscapeForDisplay(policy.set().name()) +
                                 "\") names no trusted log \"" + EscapeForDisplay(origin) +
                                 "\": a regulator records one in PolicySet.trusted_logs");
}

Result<std::string> BundleOrigin(std::string_view bundle) {
  ASSIGN_OR_RETURN(Checkpoint cp, BundleCheckpoint(bundle));
  return cp.origin;
}

Status RequireAcceptable(const BundleReport& report) {
  for (const Finding& f : report.findings) {
    if (IsRegulatory(f.code.c_str())) continue;
    return VerificationFailedError("the sender's bundle does not verify: " +
                                   std::to_string(report.findings.size()) + " finding(s), the first " +
                                   f.code + " at record " + std::to_string(f.seq) + ": " + f.message);
  }
  return Status::Ok();
}

Result<ProvenShipment> ShipmentOf(std::string_view bundle, const BundleReport& report,
                                  std::string_view consignee_log) {
  BundleView b;
  RETURN_IF_ERROR(ReadBundleView(bundle, &b));
  if (report.lineage.lots.empty() || report.lineage.lots.front().lot_id != b.lot_id) {
    return VerificationFailedError("the bundle proves no lineage of its lot");
  }
  const LineageLot& lot = report.lineage.lots.front();
  if (lot.record_seqs.empty()) return VerificationFailedError("the bundle holds no record of its lot");
  ProvenShipment out;
  out.log_origin = report.checkpoint.origin;
  out.checkpoint = report.checkpoint;
  out.checkpoint_note = std::string(b.checkpoint);
  out.shipped_seq = lot.record_seqs.back();
  const std::string_view* bytes = nullptr;
  const std::set<std::uint64_t> lot_seqs(lot.record_seqs.begin(), lot.record_seqs.end());
  for (const BundleRecordView& r : b.records) {
    if (r.seq == out.shipped_seq) bytes = &r.record;
    if (lot_seqs.count(r.seq) == 0) continue;
    // The bundle verified, so each of the lot's records decodes.
    ASSIGN_OR_RETURN(Record lot_rec, DecodeRecord(r.record));
    v1::Event lot_ev;
    if (!lot_ev.ParseFromString(std::string(lot_rec.event_bytes))) {
      return VerificationFailedError("record " + std::to_string(r.seq) +
                                     " of the bundle does not parse");
    }
    out.head_time = std::max<std::int64_t>(out.head_time, lot_ev.time().seconds());
  }
  if (bytes == nullptr) return VerificationFailedError("the bundle lacks its lot's last record");
  ASSIGN_OR_RETURN(Record rec, DecodeRecord(*bytes));
  out.shipped_hash = rec.hash;
  ASSIGN_OR_RETURN(Event ev, DecodeEvent(rec.event_bytes));
  const Shipped* s = std::get_if<Shipped>(&ev.body);
  if (s == nullptr || lot.status != "in_transit") {
    return VerificationFailedError("lot " + EscapeForDisplay(lot.lot_id) + " is " + lot.status +
                                   " at the bundle's checkpoint (its last record, " +
                                   std::to_string(out.shipped_seq) + ", is " + EventKindName(ev.body) +
                                   "), not shipped to another ledger");
  }
  if (s->consignee_log != consignee_log) {
    return VerificationFailedError(
        "lot " + EscapeForDisplay(lot.lot_id) + " was shipped to " +
        (s->consignee_log.empty() ? std::string("an actor of its own ledger")
                                  : "ledger \"" + EscapeForDisplay(s->consignee_log) + "\"") +
        " (record " + std::to_string(out.shipped_seq) + "), not to this ledger (\"" +
        EscapeForDisplay(consignee_log) + "\")");
  }
  out.sender = ev.actor_id;
  out.consignee = s->to_actor_id;
  out.mass_g = s->mass_g;
  out.lot.lot_id = lot.lot_id;
  out.lot.material = lot.material;
  out.lot.mass_g = s->mass_g;
  LotView view;
  view.mass_g = lot.mass_g;
  view.content = lot.content;
  for (const ElementMass& em : lot.content) {
    const std::uint64_t g = ContainedGrams(view, em.element, s->mass_g);
    if (g > 0) out.lot.content.push_back({em.element, g});
  }
  return out;
}

void CheckReceiptTime(const v1::Event& ev, std::uint64_t seq, const ProvenShipment& proven,
                      Violations* out) {
  CheckTimeOrder(ev.time().seconds(), proven.head_time, seq, ev.received().lot_id(),
                 "in " + EscapeForDisplay(proven.log_origin), out);
}

Status MatchReceipt(const v1::Event& ev, const ProvenShipment& proven) {
  const auto& r = ev.received();
  const auto& o = r.origin();
  auto fail = [](std::string why) { return VerificationFailedError(std::move(why)); };
  if (o.log_origin() != proven.log_origin) {
    return fail("the receipt names log \"" + EscapeForDisplay(o.log_origin()) +
                "\", but the bundle is of log \"" + EscapeForDisplay(proven.log_origin) + "\"");
  }
  if (r.lot_id() != proven.lot.lot_id) {
    return fail("the receipt is of lot " + EscapeForDisplay(r.lot_id()) + ", the bundle of lot " +
                EscapeForDisplay(proven.lot.lot_id));
  }
  if (o.shipped_seq() != proven.shipped_seq ||
      o.shipped_record_hash() != HashBytes(proven.shipped_hash)) {
    return fail("the receipt names shipment record " + std::to_string(o.shipped_seq()) +
                ", but the lot's last record in the bundle is record " + std::to_string(proven.shipped_seq) +
                " (hash " + HexEncode(HashBytes(proven.shipped_hash)) + ")");
  }
  if (ev.actor_id() != proven.consignee) {
    return fail("the lot was shipped to " + EscapeForDisplay(proven.consignee) + ", not to " +
                EscapeForDisplay(ev.actor_id()));
  }
  if (r.from_actor_id() != proven.sender) {
    return fail("the lot was shipped by " + EscapeForDisplay(proven.sender) + ", not by " +
                EscapeForDisplay(r.from_actor_id()));
  }
  if (r.mass_g() != proven.mass_g) {
    return fail("the receipt states " + std::to_string(r.mass_g()) + " g, the shipment " +
                std::to_string(proven.mass_g) + " g");
  }
  v1::Lot want;
  LotToProto(proven.lot, &want);
  const v1::Lot& got = o.lot();
  bool same = got.lot_id() == want.lot_id() && got.material() == want.material() &&
              got.mass_g() == want.mass_g() && got.content_size() == want.content_size();
  for (int i = 0; same && i < got.content_size(); ++i) {
    same = got.content(i).element() == want.content(i).element() &&
           got.content(i).grams() == want.content(i).grams();
  }
  if (!same) {
    return fail("the receipt's lot (material, mass or content) is not the lot the bundle proves "
                "was shipped");
  }
  return Status::Ok();
}

Result<ProvenShipment> ProveShipment(std::string_view bundle, const PublicKey& root,
                                     const TrustedLogAnchors& anchors,
                                     std::string_view consignee_log) {
  ForeignWalk walk;
  Result<BundleReport> verified =
      VerifyBundleIn(bundle, root, anchors.log_key, anchors.witnesses, &walk);
  if (!verified.ok()) {
    return Status(verified.status().code(), "the sender's bundle: " + verified.status().message());
  }
  RETURN_IF_ERROR(RequireAcceptable(*verified));
  return ShipmentOf(bundle, *verified, consignee_log);
}

Result<std::optional<Hash>> ReceiptBundleOf(std::string_view stored_record) {
  RecordView view;
  RETURN_IF_ERROR(ParseRecordView(stored_record, &view));
  v1::Event ev;
  if (!ParseEventBytes(view.event_bytes, &ev).ok()) {
    return CorruptionError("a record's event does not parse");
  }
  if (!ev.has_received() || !ev.received().has_origin()) return std::optional<Hash>();
  return std::optional<Hash>(HashOf(ev.received().origin().bundle_sha256()));
}

std::string BundleBehind(std::string_view origin, std::string_view lot_id) {
  return "the bundle of " + EscapeForDisplay(origin) + " behind the receipt of lot " +
         EscapeForDisplay(lot_id);
}

Result<Crossing> Cross(const v1::Event& ev, std::string_view bundle, const Hash& sha256,
                       const Policy& policy, const ReceiptSource& source, ForeignWalk* walk) {
  const std::string& origin = ev.received().origin().log_origin();
  auto finding = [](std::string why) { return VerificationFailedError(std::move(why)); };
  Result<TrustedLogAnchors> anchors = AnchorsFor(policy, origin);
  if (!anchors.ok()) return finding(": " + anchors.status().message());
  auto cached = walk->verified.find(sha256);
  if (cached == walk->verified.end()) {
    if (walk->depth >= kMaxDepth) {
      return finding(" nests more than " + std::to_string(kMaxDepth) + " ledgers deep");
    }
    ++walk->depth;
    Result<BundleReport> r =
        VerifyBundleIn(bundle, *source.root_key, anchors->log_key, anchors->witnesses, walk);
    --walk->depth;
    if (!r.ok()) return finding(" is not a bundle: " + r.status().message());
    cached = walk->verified.emplace(sha256, std::move(*r)).first;
  }
  Crossing out;
  out.upstream = &cached->second;
  Result<ProvenShipment> shipment = ShipmentOf(bundle, cached->second, source.ledger_name);
  Status matched = shipment.ok() ? MatchReceipt(ev, *shipment) : shipment.status();
  if (!matched.ok()) return finding(" does not prove the receipt: " + matched.message());
  out.shipment = std::move(*shipment);
  return out;
}

Status ExtendAcrossLedgers(VerifyReport* report, const ReceiptSource& source, ForeignWalk* walk) {
  bool any = false;
  for (const OriginShare& s : report->origins) any = any || s.kind == "cross_ledger";
  if (!any) return Status::Ok();
  std::vector<OriginShare> merged;
  std::vector<Finding> found;
  for (OriginShare& share : report->origins) {
    if (share.kind != "cross_ledger") {
      merged.push_back(std::move(share));
      continue;
    }
    const std::uint64_t seq = share.extracted_seq;
    auto keep = [&](const char* code, std::string why) {
      found.push_back({code, seq, share.origin_lot, std::move(why)});
      share.compliant = false;
      if (std::find(share.issues.begin(), share.issues.end(), code) == share.issues.end()) {
        share.issues.push_back(code);
      }
      merged.push_back(share);
    };
    ASSIGN_OR_RETURN(v1::Event ev, source.event_at(seq));
    if (!ev.has_received() || !ev.received().has_origin()) {
      return InternalError("record " + std::to_string(seq) + " is not the cross-ledger receipt it was");
    }
    const auto& o = ev.received().origin();
    LedgerCrossing crossing;
    crossing.origin = o.log_origin();
    crossing.lot_id = share.origin_lot;
    crossing.received_in = source.ledger_name;
    crossing.receipt_seq = seq;
    crossing.bundle_sha256 = HashOf(o.bundle_sha256());
    const std::string from = BundleBehind(o.log_origin(), share.origin_lot);
    ASSIGN_OR_RETURN(std::optional<std::string_view> bytes, source.bundle_of(crossing.bundle_sha256));
    if (!bytes) {
      keep(finding::kForeignBundleMissing, from + " (" + HexEncode(o.bundle_sha256()) +
                                               ") is not held, so its lineage cannot be checked");
      continue;
    }
    ASSIGN_OR_RETURN(const Policy* policy, source.policy_at(seq));
    Result<Crossing> crossed = Cross(ev, *bytes, crossing.bundle_sha256, *policy, source, walk);
    if (!crossed.ok()) {
      keep(finding::kForeignBundleInvalid, from + crossed.status().message());
      continue;
    }
    const BundleReport& up = *crossed->upstream;
    const ProvenShipment* shipment = &crossed->shipment;
    Violations late;
    CheckReceiptTime(ev, seq, *shipment, &late);
    for (const Violation& v : late) found.push_back({v.code, seq, v.lot_id, v.message});
    crossing.checkpoint_size = up.checkpoint.size;
    crossing.root_hash = up.checkpoint.root_hash;
    for (const auto& c : up.cosignatures) crossing.witnesses.push_back(c.name);
    crossing.registry = up.lineage.registry;
    report->ledgers_crossed.push_back(crossing);
    for (const auto& c : up.lineage.ledgers_crossed) report->ledgers_crossed.push_back(c);
    for (const Finding& f : up.findings) {
      found.push_back({f.code, seq, f.lot_id,
                       "upstream in " + EscapeForDisplay(o.log_origin()) + " (its record " +
                           std::to_string(f.seq) + "): " + f.message});
    }
    // The upstream origins, each with its part of this origin's share.
    const double part = share.share_ppm / 1e6;
    for (const OriginShare& u : up.lineage.origins) {
      OriginShare m = u;
      if (m.ledger.empty()) m.ledger = o.log_origin();
      m.share_ppm = static_cast<std::uint32_t>(std::llround(part * u.share_ppm));
      m.rare_earth_g = static_cast<std::uint64_t>(
          std::floor(static_cast<double>(share.rare_earth_g) * (u.share_ppm / 1e6)));
      if (!share.compliant) {
        m.compliant = false;
        for (const auto& i : share.issues) {
          if (std::find(m.issues.begin(), m.issues.end(), i) == m.issues.end()) m.issues.push_back(i);
        }
      }
      merged.push_back(std::move(m));
    }
    if (!up.valid && up.lineage.origins.empty()) {
      keep(finding::kForeignBundleInvalid, from + " proves no origin");
    }
  }
  report->origins = std::move(merged);
  std::stable_sort(report->origins.begin(), report->origins.end(),
                   [](const OriginShare& a, const OriginShare& b) { return a.share_ppm > b.share_ppm; });
  double bad = 0;
  for (const OriginShare& s : report->origins) {
    if (!s.compliant) bad += s.share_ppm / 1e6;
  }
  report->non_compliant_share_ppm = static_cast<std::uint32_t>(std::llround(bad * 1e6));
  report->findings.insert(report->findings.end(), found.begin(), found.end());
  std::stable_sort(report->findings.begin(), report->findings.end(),
                   [](const Finding& a, const Finding& b) { return a.seq < b.seq; });
  report->valid = report->findings.empty();
  return Status::Ok();
}

}  // namespace retrace::internal

namespace retrace {

Result<Checkpoint> BundleCheckpoint(std::string_view bundle) {
  internal::BundleView b;
  RETURN_IF_ERROR(internal::ReadBundleView(bundle, &b));
  Result<Checkpoint> cp = ParseSignedCheckpoint(b.checkpoint);
  if (!cp.ok()) return InvalidArgumentError("the bundle's checkpoint: " + cp.status().message());
  return cp;
}

}  // namespace retrace
