// Cross-ledger receipts (retrace/federation.h, docs/federation.md).
//
// The receipt is judged inside the receiving ledger's append transaction
// (ledger_internal.h, CrossLedgerAttachment): the policy in force at the
// receipt's position names the sender's log, so the trust anchors are those
// the ledger itself recorded, and the sender's checkpoint is compared with
// the sender checkpoints the same transaction reads.
#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "bundle/cross_ledger.h"
#include "ledger/foreign_store.h"
#include "ledger/ledger_internal.h"
#include "ledger/txn_store.h"
#include "model/proto_convert.h"
#include "model/record.h"
#include "retrace/bundle.h"
#include "retrace/federation.h"
#include "retrace/merkle.h"
#include "retrace/v1/retrace.pb.h"
#include "rules/authority.h"
#include "util/escape.h"
#include "util/hex.h"
#include "util/status_macros.h"
#include "verify/load_authority.h"

namespace retrace {
namespace internal {
namespace {

std::string Str(std::uint64_t v) { return std::to_string(v); }

// The sender checkpoint against the largest one this ledger holds of it.
Status CheckConsistent(const Txn& txn, const ProvenShipment& proven,
                       const std::vector<Hash>& proof) {
  ASSIGN_OR_RETURN(auto held, LatestForeignCheckpoint(txn, proven.log_origin));
  const Checkpoint& now = proven.checkpoint;
  if (!held) {
    if (!proof.empty()) {
      return InvalidArgumentError("a consistency proof was given, but this ledger holds no "
                                  "checkpoint of " + EscapeForDisplay(proven.log_origin));
    }
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(Checkpoint before, ParseSignedCheckpoint(held->note));
  if (before.size == now.size) {
    if (before.root_hash != now.root_hash) {
      return VerificationFailedError(
          "split view: the bundle's checkpoint of " + EscapeForDisplay(proven.log_origin) +
          " at size " + Str(now.size) + " has another root than the one this ledger holds");
    }
    return Status::Ok();
  }
  const bool grows = before.size < now.size;
  merkle::ConsistencyProof p{grows ? before.size : now.size, grows ? now.size : before.size, proof};
  Status st = merkle::VerifyConsistency(grows ? before.root_hash : now.root_hash,
                                        grows ? now.root_hash : before.root_hash, p);
  if (!st.ok()) {
    return VerificationFailedError("the bundle's checkpoint of " +
                                   EscapeForDisplay(proven.log_origin) + " (size " + Str(now.size) +
                                   ") is not proven consistent with the one this ledger holds "
                                   "(size " + Str(before.size) + "): " + st.message() +
                                   " -- a split view, or a missing or wrong consistency proof");
  }
  return Status::Ok();
}

// The root key a ledger's genesis names.
Result<PublicKey> RootKeyOf(const Txn& txn) {
  ASSIGN_OR_RETURN(auto bytes, txn.Get(txn.tables().records, EncodeU64(0)));
  if (!bytes) return CorruptionError("the ledger has no genesis record");
  ASSIGN_OR_RETURN(Record rec, DecodeRecord(*bytes));
  ASSIGN_OR_RETURN(Event ev, DecodeEvent(rec.event_bytes));
  const Genesis* g = std::get_if<Genesis>(&ev.body);
  if (g == nullptr || !g->root_key) return CorruptionError("record 0 is not a genesis record");
  return *g->root_key;
}

}  // namespace
}  // namespace internal

Result<AppendResult> AppendCrossLedgerReceipt(Ledger& ledger, const CrossLedgerReceipt& receipt) {
  using namespace internal;
  // The bundle is verified in the write transaction, against the policy in
  // force there; what it proves is kept for a retried transaction.
  std::optional<ProvenShipment> proven;
  std::string proven_for;  // the trusted-log entry it was verified under
  CrossLedgerAttachment attachment;
  attachment.bundle = receipt.bundle;
  attachment.judge = [&](Txn& txn, std::string_view name, const v1::Event& ev,
                         const Authority& book, std::uint64_t seq) -> Status {
    const std::string& origin = ev.received().origin().log_origin();
    ASSIGN_OR_RETURN(TrustedLogAnchors anchors, AnchorsFor(book.PolicyAt(seq), origin));
    if (!proven || proven_for != anchors.fingerprint) {
      ASSIGN_OR_RETURN(PublicKey root, RootKeyOf(txn));
      ASSIGN_OR_RETURN(ProvenShipment p, ProveShipment(receipt.bundle, root, anchors, name));
      proven = std::move(p);
      proven_for = anchors.fingerprint;
    }
    RETURN_IF_ERROR(MatchReceipt(ev, *proven));
    Violations late;
    CheckReceiptTime(ev, seq, *proven, &late);
    if (!late.empty()) return Refusal(late.front(), seq);
    RETURN_IF_ERROR(CheckConsistent(txn, *proven, receipt.consistency_proof));
    return PutForeignCheckpoint(txn, proven->log_origin, proven->checkpoint.size,
                                proven->checkpoint_note);
  };
  return AppendAttached(ledger, receipt.receipt, attachment);
}

Result<Event> PrepareCrossLedgerReceipt(const Ledger& ledger, std::string_view bundle) {
  using namespace internal;
  std::optional<ProvenShipment> proven;
  std::string ledger_id;
  RETURN_IF_ERROR(ReadLedger(ledger, [&](const Txn& txn, std::string_view name) -> Status {
    ASSIGN_OR_RETURN(Head head, ReadHead(txn));
    TxnRecordStore store(txn, head.size);
    KeyCache keys;
    ASSIGN_OR_RETURN(std::shared_ptr<const Authority> book, LoadAuthority(store, &keys));
    ASSIGN_OR_RETURN(std::string origin, BundleOrigin(bundle));
    ASSIGN_OR_RETURN(TrustedLogAnchors anchors, AnchorsFor(book->PolicyAt(head.size), origin));
    ASSIGN_OR_RETURN(PublicKey root, RootKeyOf(txn));
    ASSIGN_OR_RETURN(ProvenShipment p, ProveShipment(bundle, root, anchors, name));
    proven = std::move(p);
    ledger_id = HexEncode(book->ledger_id());
    return Status::Ok();
  }));
  Event ev;
  ev.ledger_id = ledger_id;
  ev.actor_id = proven->consignee;
  Received r;
  r.lot_id = proven->lot.lot_id;
  r.from_actor_id = proven->sender;
  r.mass_g = proven->mass_g;
  CrossLedgerOrigin o;
  o.log_origin = proven->log_origin;
  o.shipped_seq = proven->shipped_seq;
  o.shipped_record_hash = proven->shipped_hash;
  o.bundle_sha256 = Sha256(bundle);
  o.lot = proven->lot;
  r.origin = std::move(o);
  ev.body = std::move(r);
  FillEventDefaults(&ev);
  return ev;
}

namespace internal {
namespace {

// The cross-ledger receipts of the ledger `txn` reads, as a ReceiptSource.
// A stored bundle that no longer hashes to its name is not given out; it
// is remembered in altered() with the receipt that asked for it.
class TxnReceipts {
 public:
  TxnReceipts(const Txn& txn, std::string_view name) : txn_(txn) {
    source_.ledger_name = std::string(name);
    source_.event_at = [this](std::uint64_t seq) -> Result<v1::Event> {
      asking_ = seq;
      ASSIGN_OR_RETURN(auto bytes, txn_.Get(txn_.tables().records, EncodeU64(seq)));
      if (!bytes) return CorruptionError("record " + std::to_string(seq) + " is missing");
      RecordView view;
      RETURN_IF_ERROR(ParseRecordView(*bytes, &view));
      v1::Event ev;
      RETURN_IF_ERROR(ParseEventBytes(view.event_bytes, &ev));
      return ev;
    };
    source_.policy_at = [this](std::uint64_t seq) -> Result<const Policy*> {
      if (!book_) {
        ASSIGN_OR_RETURN(Head head, ReadHead(txn_));
        TxnRecordStore store(txn_, head.size);
        ASSIGN_OR_RETURN(book_, LoadAuthority(store, &keys_));
      }
      return &book_->PolicyAt(seq);
    };
    source_.bundle_of = [this](const Hash& sha) -> Result<std::optional<std::string_view>> {
      ASSIGN_OR_RETURN(std::optional<std::string_view> bytes, ForeignBundleView(txn_, sha));
      if (bytes && Sha256(*bytes) != sha) {
        altered_.emplace_back(asking_, sha);
        return std::optional<std::string_view>();
      }
      return bytes;
    };
  }
  TxnReceipts(const TxnReceipts&) = delete;
  TxnReceipts& operator=(const TxnReceipts&) = delete;

  Status Open() {
    ASSIGN_OR_RETURN(source_.root_key, RootKeyOf(txn_));
    return Status::Ok();
  }
  const ReceiptSource& source() const { return source_; }
  const std::vector<std::pair<std::uint64_t, Hash>>& altered() const { return altered_; }

 private:
  const Txn& txn_;
  ReceiptSource source_;
  KeyCache keys_;
  std::shared_ptr<const Authority> book_;
  std::uint64_t asking_ = 0;  // the receipt whose bundle is asked for
  std::vector<std::pair<std::uint64_t, Hash>> altered_;
};

}  // namespace
}  // namespace internal

Result<VerifyReport> VerifyLotAcrossLedgers(const Ledger& ledger, std::string_view lot_id,
                                            const VerifyOptions& options) {
  using namespace internal;
  ASSIGN_OR_RETURN(VerifyReport report, ledger.VerifyLot(lot_id, options));
  bool crosses = false;
  for (const OriginShare& o : report.origins) crosses = crosses || o.kind == "cross_ledger";
  if (!crosses) return report;
  RETURN_IF_ERROR(ReadLedger(ledger, [&](const Txn& txn, std::string_view name) -> Status {
    TxnReceipts receipts(txn, name);
    RETURN_IF_ERROR(receipts.Open());
    ForeignWalk walk;
    RETURN_IF_ERROR(ExtendAcrossLedgers(&report, receipts.source(), &walk));
    for (const auto& [seq, sha] : receipts.altered()) {
      report.findings.push_back({finding::kForeignBundleAltered, seq, "",
                                 "the stored bundle " + HexEncode(HashBytes(sha)) +
                                     " no longer hashes to its name: its bytes were changed"});
    }
    report.valid = report.findings.empty();
    return Status::Ok();
  }));
  return report;
}

Result<AuditReport> AuditAcrossLedgers(const Ledger& ledger, const AuditOptions& options) {
  using namespace internal;
  ASSIGN_OR_RETURN(AuditReport report, ledger.Audit(options));
  if (report.integrity_only || !options.check_signatures || report.cross_ledger_receipts.empty()) {
    return report;
  }
  RETURN_IF_ERROR(ReadLedger(ledger, [&](const Txn& txn, std::string_view name) -> Status {
    TxnReceipts receipts(txn, name);
    RETURN_IF_ERROR(receipts.Open());
    const ReceiptSource& source = receipts.source();
    ForeignWalk walk;  // a bundle carried by several is verified once
    for (std::uint64_t seq : report.cross_ledger_receipts) {
      ASSIGN_OR_RETURN(v1::Event ev, source.event_at(seq));
      const auto& o = ev.received().origin();
      Result<Hash> sha = HashFromBytes(o.bundle_sha256());
      if (!sha.ok()) return InternalError("record " + std::to_string(seq) + " names no bundle");
      ASSIGN_OR_RETURN(std::optional<std::string_view> bytes, source.bundle_of(*sha));
      if (!bytes) continue;  // missing or altered: Ledger::Audit's finding
      ASSIGN_OR_RETURN(const Policy* policy, source.policy_at(seq));
      const std::string lot = ev.received().lot_id();
      Result<Crossing> crossed = Cross(ev, *bytes, *sha, *policy, source, &walk);
      Status accepted = crossed.ok() ? RequireAcceptable(*crossed->upstream) : Status::Ok();
      if (!crossed.ok() || !accepted.ok()) {
        report.findings.push_back(
            {finding::kForeignBundleInvalid, seq, lot,
             BundleBehind(o.log_origin(), lot) +
                 (crossed.ok() ? ": " + accepted.message() : crossed.status().message())});
        continue;
      }
      Violations late;
      CheckReceiptTime(ev, seq, crossed->shipment, &late);
      for (const Violation& v : late) report.findings.push_back({v.code, seq, v.lot_id, v.message});
    }
    report.bundles_verified = walk.verified.size();
    return Status::Ok();
  }));
  std::stable_sort(report.findings.begin(), report.findings.end(),
                   [](const Finding& a, const Finding& b) { return a.seq < b.seq; });
  report.valid = report.findings.empty();
  return report;
}

Result<std::optional<ForeignCheckpointInfo>> LatestForeignCheckpoint(const Ledger& ledger,
                                                                     std::string_view origin) {
  std::optional<ForeignCheckpointInfo> out;
  RETURN_IF_ERROR(internal::ReadLedger(ledger, [&](const internal::Txn& txn, std::string_view) {
    ASSIGN_OR_RETURN(auto cp, internal::LatestForeignCheckpoint(txn, origin));
    if (cp) out = ForeignCheckpointInfo{cp->size, std::move(cp->note)};
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<std::string>> ForeignCheckpointNotes(const Ledger& ledger,
                                                        std::string_view origin) {
  std::vector<std::string> out;
  RETURN_IF_ERROR(internal::ReadLedger(ledger, [&](const internal::Txn& txn, std::string_view) {
    ASSIGN_OR_RETURN(auto held, internal::ForeignCheckpoints(txn, origin));
    for (auto& c : held) out.push_back(std::move(c.note));
    return Status::Ok();
  }));
  return out;
}

Result<CheckpointComparison> CompareForeignCheckpoints(const Ledger& ledger,
                                                       std::string_view origin,
                                                       const std::vector<std::string>& theirs) {
  return CompareForeignCheckpoints(ledger, origin, theirs, PrefixRootReader());
}

Result<CheckpointComparison> CompareForeignCheckpoints(const Ledger& ledger,
                                                       std::string_view origin,
                                                       const std::vector<std::string>& theirs,
                                                       const PrefixRootReader& prefix_root) {
  using namespace internal;
  CheckpointComparison out;
  out.origin = std::string(origin);
  std::optional<TrustedLogAnchors> anchors;
  std::vector<ForeignCheckpoint> ours;
  RETURN_IF_ERROR(ReadLedger(ledger, [&](const Txn& txn, std::string_view) -> Status {
    ASSIGN_OR_RETURN(Head head, ReadHead(txn));
    TxnRecordStore store(txn, head.size);
    KeyCache keys;
    ASSIGN_OR_RETURN(std::shared_ptr<const Authority> book, LoadAuthority(store, &keys));
    ASSIGN_OR_RETURN(TrustedLogAnchors a, AnchorsFor(book->PolicyAt(head.size), origin));
    anchors = std::move(a);
    ASSIGN_OR_RETURN(ours, ForeignCheckpoints(txn, origin));
    return Status::Ok();
  }));
  std::map<std::uint64_t, std::pair<Checkpoint, const std::string*>> by_size;
  for (const ForeignCheckpoint& c : ours) {
    Result<Checkpoint> cp = ParseSignedCheckpoint(c.note);
    if (!cp.ok()) return CorruptionError("a stored checkpoint of " + std::string(origin) +
                                         " does not parse: " + cp.status().message());
    by_size.emplace(cp->size, std::make_pair(*cp, &c.note));
  }
  for (const std::string& note : theirs) {
    Result<VerifiedCheckpoint> v = OpenCheckpoint(note, {anchors->log_key});
    if (!v.ok() || v->checkpoint.origin != origin) {
      ++out.unverified;
      continue;
    }
    const Checkpoint& their = v->checkpoint;
    auto it = by_size.find(their.size);
    if (it != by_size.end()) {
      ++out.compared;
      if (it->second.first.root_hash != their.root_hash) {
        out.split_views.push_back({out.origin, their.size, their.size, *it->second.second, note});
      }
      continue;
    }
    // Another size: the smaller tree must be a prefix of the larger.
    bool compared = false;
    if (prefix_root) {
      for (const auto& [size, held] : by_size) {
        const Checkpoint& ours_cp = held.first;
        const Checkpoint& larger = size > their.size ? ours_cp : their;
        const Checkpoint& smaller = size > their.size ? their : ours_cp;
        Result<Hash> root = prefix_root(larger, smaller.size);
        if (!root.ok()) continue;
        compared = true;
        if (*root != smaller.root_hash) {
          out.split_views.push_back({out.origin, size, their.size, *held.second, note});
        }
      }
    }
    ++(compared ? out.compared : out.unproven);
  }
  return out;
}

Result<std::vector<Hash>> ReceiptConsistencyProof(const Ledger& ledger, std::string_view bundle,
                                                  const ConsistencyProofReader& read) {
  ASSIGN_OR_RETURN(Checkpoint theirs, BundleCheckpoint(bundle));
  ASSIGN_OR_RETURN(std::optional<ForeignCheckpointInfo> held,
                   LatestForeignCheckpoint(ledger, theirs.origin));
  if (!held || held->size == theirs.size) return std::vector<Hash>{};
  Result<Checkpoint> ours = ParseSignedCheckpoint(held->note);
  if (!ours.ok()) {
    return CorruptionError("the stored checkpoint of " + theirs.origin +
                           " does not parse: " + ours.status().message());
  }
  const bool ours_larger = ours->size > theirs.size;
  return read(ours_larger ? *ours : theirs, ours_larger ? theirs.size : ours->size);
}

std::string CheckpointComparisonToJson(const CheckpointComparison& c) {
  nlohmann::ordered_json views = nlohmann::ordered_json::array();
  for (const SplitView& v : c.split_views) {
    views.push_back({{"code", "split_view"},
                     {"origin", v.origin},
                     {"size", v.size},
                     {"their_size", v.their_size},
                     {"ours", v.ours},
                     {"theirs", v.theirs}});
  }
  return nlohmann::ordered_json{{"schema", "retrace.compare/v1"},
                                {"origin", c.origin},
                                {"compared", c.compared},
                                {"unverified", c.unverified},
                                {"unproven", c.unproven},
                                {"consistent", c.split_views.empty()},
                                {"split_views", views}}
      .dump(2);
}

Result<std::string> StoredForeignBundle(const Ledger& ledger, const Hash& sha256) {
  std::optional<std::string> out;
  RETURN_IF_ERROR(internal::ReadLedger(ledger, [&](const internal::Txn& txn, std::string_view) {
    ASSIGN_OR_RETURN(out, internal::ForeignBundle(txn, sha256));
    return Status::Ok();
  }));
  if (!out) return NotFoundError("no stored foreign bundle " + internal::HexEncode(HashBytes(sha256)));
  return std::move(*out);
}

}  // namespace retrace
