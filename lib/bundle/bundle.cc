// Lineage bundles and single-record tlog proofs (docs/transparency.md).
//
// One verifier for ledger and bundle: both the builder and VerifyBundle run
// VerifyLineage (lib/verify/lineage.h) -- the builder over a RecordingStore
// on the ledger, the verifier over a BundleRecordStore on the bundle -- so a
// bundle is checked by exactly the rules the ledger applies, and the builder
// learns what to include by watching the verifier read.
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <utility>

#include "bundle/bundle_builder.h"
#include "bundle/bundle_store.h"
#include "bundle/bundle_view.h"
#include "bundle/cross_ledger.h"
#include "ledger/foreign_store.h"
#include "ledger/checkpoint_log.h"
#include "ledger/ledger_internal.h"
#include "ledger/txn_store.h"
#include "merkle/inclusion_set.h"
#include "model/proto_convert.h"
#include "retrace/bundle.h"
#include "retrace/event.h"
#include "retrace/hash.h"
#include "retrace/merkle.h"
#include "retrace/tlog_proof.h"
#include "retrace/v1/bundle.pb.h"
#include "transparency/text.h"
#include "util/escape.h"
#include "util/hex.h"
#include "util/status_macros.h"
#include "verify/lineage.h"
#include "verify/load_authority.h"

namespace retrace {
namespace internal {
namespace {

// v2: the book of authority travels whole (every authority record, one
// "authority" answer) instead of v1's per-key, per-actor and per-policy
// answers; a v1 bundle is refused by name.
constexpr char kBundleFormat[] = "retrace-bundle/v2";
constexpr std::size_t kMaxBundleBytes = std::size_t{1} << 30;

}  // namespace

Result<std::string> BuildBundle(const Txn& txn, std::string_view origin, std::string_view lot_id) {
  ASSIGN_OR_RETURN(StoredCheckpoint cp, CurrentCheckpoint(txn, origin));
  const std::uint64_t size = cp.checkpoint.size;
  TxnRecordStore ledger(txn, size);
  RecordingStore recording(ledger, size);
  Result<VerifyReport> report = VerifyLineage(recording, lot_id);
  if (!report.ok()) {
    if (report.status().code() == StatusCode::kNotFound) {
      ASSIGN_OR_RETURN(std::vector<std::uint64_t> all, ledger.LotSeqs(lot_id));
      if (!all.empty()) {
        return FailedPreconditionError(
            "lot " + std::string(lot_id) + " is newer than the latest checkpoint (size " +
            std::to_string(size) + "); sign a new checkpoint first; no bundle was built");
      }
    }
    return report.status();
  }
  // Regulatory findings (quota, licence) were recorded and flagged by this
  // ledger: the bundle carries them, and its verifier reports them, so a
  // non-compliant origin keeps its share downstream (docs/federation.md).
  // Any other finding means the ledger is damaged: no bundle.
  for (const Finding& f : report->findings) {
    if (IsRegulatory(f.code.c_str())) continue;
    return FailedPreconditionError("the lineage of lot " + std::string(lot_id) + " has " +
                                   std::to_string(report->findings.size()) +
                                   " finding(s), the first " + f.code + " at record " +
                                   std::to_string(f.seq) + ": " + f.message +
                                   "; no bundle was built (see `retrace verify`)");
  }
  // The bundles of the cross-ledger receipts the lineage reaches, carried
  // whole, by SHA-256 (bundle.proto, foreign_bundles).
  std::map<Hash, std::string> foreign;
  for (std::uint64_t seq : recording.served()) {
    ASSIGN_OR_RETURN(std::optional<std::string> bytes, ledger.RecordBytes(seq));
    if (!bytes) return CorruptionError("record " + std::to_string(seq) + " vanished while building a bundle");
    ASSIGN_OR_RETURN(std::optional<Hash> sha, ReceiptBundleOf(*bytes));
    if (!sha || foreign.count(*sha)) continue;
    ASSIGN_OR_RETURN(std::optional<std::string> held, ForeignBundle(txn, *sha));
    if (!held || Sha256(*held) != *sha) {
      return CorruptionError("the bundle behind the cross-ledger receipt at record " + std::to_string(seq) +
                             " is " + (held ? "altered" : "missing") +
                             "; no bundle was built (run `retrace audit`)");
    }
    foreign.emplace(*sha, std::move(*held));
  }
  v1::Bundle b;
  b.set_format(kBundleFormat);
  b.set_lot_id(std::string(lot_id));
  b.set_checkpoint(cp.note);
  TxnNodeSource nodes(txn);
  for (std::uint64_t seq : recording.served()) {
    ASSIGN_OR_RETURN(std::optional<std::string> bytes, ledger.RecordBytes(seq));
    if (!bytes) {
      return CorruptionError("record " + std::to_string(seq) + " vanished while building a bundle");
    }
    ASSIGN_OR_RETURN(merkle::InclusionProof proof, merkle::MakeInclusionProof(nodes, seq, size));
    v1::BundleRecord* r = b.add_records();
    r->set_seq(seq);
    r->set_record(std::move(*bytes));
    for (const Hash& h : proof.hashes) r->add_inclusion_proof(HashBytes(h));
  }
  const std::set<std::uint64_t>& served = recording.served();
  for (const auto& [key, seqs] : recording.answers()) {
    // The verifier reads a quota log only up to the records it checks
    // against it (the balance before each), so a log's later grants and uses
    // are neither read nor carried: the answer is cut to the prefix the
    // verifier read. Every other index is read whole.
    std::size_t n = seqs.size();
    if (key.first == kQuotaIndex) {
      n = 0;
      while (n < seqs.size() && served.count(seqs[n])) ++n;
    }
    if (n == 0) continue;  // absent means empty: one encoding per answer
    v1::IndexAnswer* a = b.add_index();
    a->set_index(key.first);
    a->set_key(key.second);
    for (std::size_t i = 0; i < n; ++i) a->add_seqs(seqs[i]);
  }
  for (auto& [sha, bytes] : foreign) b.add_foreign_bundles(std::move(bytes));
  return SerializeDeterministic(b);
}

Result<std::string> BuildTlogProof(const Txn& txn, std::string_view origin, std::uint64_t seq) {
  ASSIGN_OR_RETURN(Head head, ReadHead(txn));
  if (seq >= head.size) {
    return NotFoundError("record " + std::to_string(seq) + " does not exist (the log holds " +
                         std::to_string(head.size) + ")");
  }
  ASSIGN_OR_RETURN(StoredCheckpoint cp, CurrentCheckpoint(txn, origin));
  if (seq >= cp.checkpoint.size) {
    return FailedPreconditionError(
        "record " + std::to_string(seq) + " is newer than the latest checkpoint (size " +
        std::to_string(cp.checkpoint.size) + "); sign a new checkpoint first");
  }
  ASSIGN_OR_RETURN(auto bytes, txn.Get(txn.tables().records, EncodeU64(seq)));
  if (!bytes) return CorruptionError("record " + std::to_string(seq) + " is missing");
  ASSIGN_OR_RETURN(merkle::InclusionProof proof,
                   merkle::MakeInclusionProof(TxnNodeSource(txn), seq, cp.checkpoint.size));
  if (!merkle::VerifyInclusion(merkle::LeafHash(*bytes), proof, cp.checkpoint.root_hash).ok()) {
    return CorruptionError("record " + std::to_string(seq) +
                           " is not the leaf the checkpoint committed to: it was rewritten");
  }
  TlogProof p;
  p.extra = std::string(*bytes);
  p.index = seq;
  p.inclusion_proof = std::move(proof.hashes);
  p.checkpoint = cp.note;
  return FormatTlogProof(p);
}

namespace {

// Structural checks of a bundle read in place, and the SHA-256 of each
// foreign bundle it carries into *foreign_sha: anything failing here means
// the bytes are not a bundle, not that a bundle is wrong.
Status CheckStructure(std::string_view bytes, BundleView* b, std::vector<Hash>* foreign_sha) {
  if (bytes.size() > kMaxBundleBytes) {
    return InvalidArgumentError("not a retrace bundle: " + std::to_string(bytes.size()) + " bytes");
  }
  RETURN_IF_ERROR(ReadBundleView(bytes, b));
  if (b->format == "retrace-bundle/v1") {
    return InvalidArgumentError(
        "a retrace-bundle/v1 bundle, made before lineage bundles carried every authority record; "
        "this version verifies retrace-bundle/v2 only: ask the ledger for a new bundle");
  }
  if (b->format != kBundleFormat) {
    return InvalidArgumentError("not a retrace bundle: format \"" + EscapeForDisplay(b->format) +
                                "\", expected " + kBundleFormat);
  }
  bool first = true;
  std::uint64_t prev = 0;
  std::vector<Hash> proof;
  for (const BundleRecordView& r : b->records) {
    if (!first && r.seq <= prev) {
      return InvalidArgumentError("malformed bundle: records are not in strictly increasing order");
    }
    first = false;
    prev = r.seq;
    if (!ProofHashes(r, &proof)) {
      return InvalidArgumentError("malformed bundle: an inclusion proof hash of record " +
                                  std::to_string(r.seq) + " is not 32 bytes");
    }
  }
  const IndexAnswerView* last = nullptr;
  for (const IndexAnswerView& a : b->index) {
    const std::string index = EscapeForDisplay(a.index);
    if (a.index != kLotIndex && a.index != kQuotaIndex && a.index != kAuthorityIndex) {
      return InvalidArgumentError("malformed bundle: unknown index \"" + index + "\"");
    }
    if (a.seqs.empty()) {
      return InvalidArgumentError("malformed bundle: an empty " + index + " index answer");
    }
    if (a.index == kAuthorityIndex && !a.key.empty()) {
      return InvalidArgumentError("malformed bundle: an authority index answer with a key");
    }
    for (std::size_t i = 1; i < a.seqs.size(); ++i) {
      if (a.seqs[i] <= a.seqs[i - 1]) {
        return InvalidArgumentError("malformed bundle: a " + index + " index answer is not in log order");
      }
    }
    if (last != nullptr && std::make_pair(last->index, last->key) >= std::make_pair(a.index, a.key)) {
      return InvalidArgumentError("malformed bundle: index answers are not in strictly "
                                  "increasing order");
    }
    last = &a;
  }
  foreign_sha->clear();
  for (std::string_view f : b->foreign_bundles) {
    const Hash sha = Sha256(f);
    if (!foreign_sha->empty() && !(foreign_sha->back() < sha)) {
      return InvalidArgumentError("malformed bundle: foreign bundles are not in strictly "
                                  "increasing order of SHA-256");
    }
    foreign_sha->push_back(sha);
  }
  return Status::Ok();
}

// Every record of `b` by position into *records, and into *proven the
// leaf hash of each whose inclusion proof leads to `cp`'s root; every other
// is told to `failed` (may be empty) as a finding code and message.
void ProveRecords(
    const BundleView& b, const Checkpoint& cp, std::map<std::uint64_t, std::string_view>* records,
    std::map<std::uint64_t, Hash>* proven,
    const std::function<void(const char*, std::uint64_t, std::string)>& failed) {
  merkle::InclusionProof proof{0, cp.size, {}};
  InclusionSet set(cp.size, cp.root_hash);  // the records' paths share their upper nodes
  for (const BundleRecordView& r : b.records) {
    records->emplace_hint(records->end(), r.seq, r.record);
    if (r.seq >= cp.size) {
      if (failed) {
        failed(finding::kInclusionProofMalformed, r.seq,
               "record " + std::to_string(r.seq) + " lies beyond the checkpoint's tree size " +
                   std::to_string(cp.size));
      }
      continue;
    }
    proof.leaf_index = r.seq;
    ProofHashes(r, &proof.hashes);  // CheckStructure found every hash 32 bytes
    const Hash leaf = merkle::LeafHash(r.record);
    Status st = set.Verify(leaf, proof);
    if (st.ok()) {
      proven->emplace_hint(proven->end(), r.seq, leaf);
    } else if (failed) {
      failed(st.code() == StatusCode::kInvalidArgument ? finding::kInclusionProofMalformed
                                                       : finding::kInclusionProofMismatch,
             r.seq, "the inclusion proof of record " + std::to_string(r.seq) + ": " + st.message());
    }
  }
}

// The genesis event of record 0 of `records`, if it is there and reads.
std::optional<Genesis> GenesisOf(const std::map<std::uint64_t, std::string_view>& records) {
  auto genesis = records.find(0);
  if (genesis == records.end()) return std::nullopt;
  Result<Record> rec = DecodeRecord(genesis->second);
  Result<Event> ev = rec.ok() ? DecodeEvent(rec->event_bytes) : Result<Event>(rec.status());
  const Genesis* g = ev.ok() ? std::get_if<Genesis>(&ev->body) : nullptr;
  if (g == nullptr) return std::nullopt;
  return *g;
}

IndexAnswers AnswersOf(const BundleView& b) {
  IndexAnswers answers;
  for (const IndexAnswerView& a : b.index) {
    answers[{std::string(a.index), std::string(a.key)}] = a.seqs;
  }
  return answers;
}

}  // namespace
}  // namespace internal

Result<BundleReport> VerifyBundle(std::string_view bytes, const PublicKey& root_key,
                                  const NoteVerifier& log_key, const WitnessPolicy& witnesses) {
  internal::ForeignWalk walk;
  return internal::VerifyBundleIn(bytes, root_key, log_key, witnesses, &walk);
}

Result<TrustedLogKeys> BundleLogKeyFromPolicy(std::string_view bytes, const PublicKey& root_key) {
  internal::BundleView b;
  std::vector<Hash> foreign_sha;
  RETURN_IF_ERROR(internal::CheckStructure(bytes, &b, &foreign_sha));
  Result<Checkpoint> cp = ParseSignedCheckpoint(b.checkpoint);
  if (!cp.ok()) {
    return FailedPreconditionError("the bundle's checkpoint cannot be read (" +
                                   cp.status().message() + "), so no policy can name its log key");
  }
  // The records the checkpoint's (not yet authenticated) root proves. What
  // makes the answer trustworthy is the regulator's signature on the
  // policy, which the book checks under `root_key`; VerifyBundle then
  // checks the checkpoint's signature with the key found.
  std::map<std::uint64_t, std::string_view> records;
  std::map<std::uint64_t, Hash> proven;
  internal::ProveRecords(b, *cp, &records, &proven, {});
  const std::optional<Genesis> g =
      proven.count(0) ? internal::GenesisOf(records) : std::optional<Genesis>();
  if (!g || !g->root_key || !(*g->root_key == root_key) || g->name != cp->origin) {
    return FailedPreconditionError(
        "the bundle's ledger is not one the trusted root key provisioned for log \"" +
        internal::EscapeForDisplay(cp->origin) + "\" (its genesis is missing, unproven, of another root "
        "key or another name), so its policy cannot name its log key");
  }
  const internal::IndexAnswers answers = internal::AnswersOf(b);
  internal::BundleRecordStore store(cp->size, records, proven, answers);
  internal::KeyCache keys;
  ASSIGN_OR_RETURN(std::shared_ptr<const internal::Authority> book,
                   internal::LoadAuthority(store, &keys));
  // In force after the checkpoint's last record: every policy it holds.
  const internal::Policy& policy = book->PolicyAt(cp->size);
  Result<internal::TrustedLogAnchors> anchors = internal::AnchorsFor(policy, cp->origin);
  if (!anchors.ok()) {
    return Status(anchors.status().code(),
                  "the bundle's own ledger does not name its log key: " +
                      anchors.status().message() + "; give the log key");
  }
  return TrustedLogKeys{anchors->log_key, anchors->witnesses};
}

Result<BundleReport> VerifyBundle(std::string_view bytes, const PublicKey& root_key,
                                  const WitnessPolicy& witnesses) {
  ASSIGN_OR_RETURN(TrustedLogKeys keys, BundleLogKeyFromPolicy(bytes, root_key));
  return VerifyBundle(bytes, root_key, keys.log_key,
                      witnesses.witnesses.empty() ? keys.witnesses : witnesses);
}

namespace internal {

Result<BundleReport> VerifyBundleIn(std::string_view bytes, const PublicKey& root_key,
                                    const NoteVerifier& log_key, const WitnessPolicy& witnesses,
                                    ForeignWalk* walk) {
  if (log_key.type() != NoteKeyType::kEd25519) {
    return InvalidArgumentError("the log key " + log_key.ToString() +
                                " is not an ed25519 signed-note key");
  }
  BundleView b;
  std::vector<Hash> foreign_sha;
  RETURN_IF_ERROR(internal::CheckStructure(bytes, &b, &foreign_sha));
  const std::string lot_id(b.lot_id);

  BundleReport report;
  report.lot_id = lot_id;
  report.bundle_bytes = bytes.size();
  report.records = b.records.size();
  auto add = [&](const char* code, std::uint64_t seq, std::string message) {
    report.findings.push_back(Finding{code, seq, "", std::move(message)});
  };

  // The checkpoint: the trust anchor of every proof.
  Result<Checkpoint> cp = ParseSignedCheckpoint(b.checkpoint);
  if (!cp.ok()) {
    add(finding::kCheckpointMalformed, 0,
        "the bundle's checkpoint cannot be read (" + cp.status().message() +
            "), so none of its proofs can be checked");
    return report;
  }
  report.checkpoint = *cp;
  Result<VerifiedCheckpoint> opened = OpenCheckpoint(b.checkpoint, {log_key}, witnesses.witnesses);
  if (opened.ok()) {
    report.checkpoint_verified = true;
    report.cosignatures = opened->cosignatures;
    Status quorum = witnesses.Check(*opened);
    if (quorum.code() == StatusCode::kInvalidArgument) return quorum;
    report.quorum_met = quorum.ok();
    if (!quorum.ok()) add(finding::kWitnessQuorumNotMet, 0, quorum.message());
  } else if (opened.status().code() == StatusCode::kInvalidArgument) {
    return opened.status();  // the trust anchors given are unusable
  } else {
    add(finding::kCheckpointSignatureInvalid, 0,
        "the checkpoint is not validly signed by the log key " + log_key.ToString() + ": " +
            opened.status().message());
  }

  // Every record's inclusion proof against the checkpoint's root.
  std::map<std::uint64_t, std::string_view> records;
  std::map<std::uint64_t, Hash> proven;
  ProveRecords(b, *cp, &records, &proven, add);
  report.proofs_verified = proven.size();

  // The genesis record ties the records to the root key and to the origin.
  if (records.find(0) == records.end()) {
    add(finding::kRootKeyMismatch, 0,
        "the bundle holds no genesis record, so nothing ties its records to the root key");
  } else {
    const std::optional<Genesis> g = GenesisOf(records);
    if (g) {  // otherwise the lineage verifier reports the damage
      if (!g->root_key || !(*g->root_key == root_key)) {
        add(finding::kRootKeyMismatch, 0,
            "the ledger's genesis record names root key " +
                (g->root_key ? g->root_key->KeyId() : std::string("(none)")) +
                ", not the trusted root key " + root_key.KeyId());
      }
      if (g->name != cp->origin) {
        add(finding::kOriginMismatch, 0,
            "the checkpoint is of the log \"" + cp->origin + "\" but the records are of ledger \"" +
                g->name + "\"");
      }
    }
  }

  // The custody rules, by the ledger's own verifier.
  const internal::IndexAnswers answers = AnswersOf(b);
  // Every record an answer names must be in the bundle (the verifier would
  // otherwise see it as missing from the log, which it is not).
  for (const auto& [key, seqs] : answers) {
    for (std::uint64_t s : seqs) {
      if (!records.count(s)) {
        add(finding::kIndexAnswerInvalid, s,
            "the bundle's " + key.first + " index names record " + std::to_string(s) +
                ", which it lacks");
      }
    }
  }
  internal::BundleRecordStore store(cp->size, records, proven, answers);
  Result<VerifyReport> lineage = internal::VerifyLineage(store, lot_id);
  // Nothing may be left over: a bundle as built holds exactly what the
  // verifier asks for, so an unread record or unconsulted answer was altered.
  if (lineage.ok()) {
    for (const auto& [seq, bytes] : records) {
      if (!store.read().count(seq)) {
        add(finding::kIndexAnswerInvalid, seq,
            "record " + std::to_string(seq) +
                " is in the bundle but no part of the lineage refers to it");
      }
    }
    for (const auto& [key, seqs] : answers) {
      if (!store.consulted().count(key)) {
        add(finding::kIndexAnswerInvalid, seqs.front(),
            "the bundle's " + key.first + " index answer for \"" + key.second +
                "\" is not one the lineage asks for");
      }
    }
  }
  if (lineage.ok()) {
    report.lineage = std::move(lineage).value();
    // Across ledgers: each cross-ledger receipt's bundle, carried in
    // foreign_bundles, verified on its own and merged (cross_ledger.h).
    std::map<Hash, std::string_view> carried;
    for (std::size_t i = 0; i < foreign_sha.size(); ++i) carried.emplace(foreign_sha[i], b.foreign_bundles[i]);
    std::set<Hash> used;
    std::shared_ptr<const Authority> book;
    KeyCache keys;
    ReceiptSource source;
    source.ledger_name = cp->origin;
    source.root_key = root_key;
    source.event_at = [&](std::uint64_t seq) -> Result<v1::Event> {
      auto it = records.find(seq);
      if (it == records.end()) return InternalError("the receipt's record is not in the bundle");
      ASSIGN_OR_RETURN(Record rec, DecodeRecord(it->second));
      v1::Event ev;
      RETURN_IF_ERROR(ParseEventBytes(rec.event_bytes, &ev));
      return ev;
    };
    source.policy_at = [&](std::uint64_t seq) -> Result<const Policy*> {
      if (!book) {
        ASSIGN_OR_RETURN(book, LoadAuthority(store, &keys));
      }
      return &book->PolicyAt(seq);
    };
    source.bundle_of = [&](const Hash& sha) -> Result<std::optional<std::string_view>> {
      auto it = carried.find(sha);
      if (it == carried.end()) return std::optional<std::string_view>();
      used.insert(sha);
      return std::optional<std::string_view>(it->second);
    };
    RETURN_IF_ERROR(ExtendAcrossLedgers(&report.lineage, source, walk));
    for (const auto& [sha, f] : carried) {
      if (!used.count(sha)) {
        add(finding::kIndexAnswerInvalid, 0,
            "the bundle carries a foreign bundle (" + HexEncode(HashBytes(sha)) +
                ") that no cross-ledger receipt of the lineage names");
      }
    }
    report.findings.insert(report.findings.end(), report.lineage.findings.begin(),
                           report.lineage.findings.end());
    const auto& lots = report.lineage.lots;
    report.history_closed = !lots.empty() && lots.front().lot_id == lot_id &&
                            (lots.front().status == "exported" || lots.front().status == "consumed");
  } else if (lineage.status().code() == StatusCode::kNotFound) {
    report.lineage.lot_id = lot_id;
    report.findings.push_back(Finding{finding::kLotUnknown, 0, lot_id,
                                      "the bundle holds no record of lot " + EscapeForDisplay(lot_id)});
  } else {
    return lineage.status();
  }
  report.valid = report.findings.empty();
  return report;
}

}  // namespace internal

std::string BundleReportToJson(const BundleReport& r) {
  using nlohmann::json;
  json cosigs = json::array();
  for (const VerifiedNoteSignature& s : r.cosignatures) {
    char id[9];
    std::snprintf(id, sizeof(id), "%08x", s.key_id);
    cosigs.push_back({{"witness", s.name}, {"key_id", id}, {"timestamp", s.timestamp.value_or(0)}});
  }
  json findings = json::array();
  for (const Finding& f : r.findings) {
    findings.push_back(
        {{"code", f.code}, {"seq", f.seq}, {"lot_id", f.lot_id}, {"message", f.message}});
  }
  json j = {{"schema", "retrace.bundle-report/v1"},
            {"lot_id", r.lot_id},
            {"valid", r.valid},
            {"bundle_bytes", r.bundle_bytes},
            {"checkpoint",
             {{"origin", r.checkpoint.origin},
              {"size", r.checkpoint.size},
              {"root_hash", internal::HashToBase64(r.checkpoint.root_hash)},
              {"verified", r.checkpoint_verified}}},
            {"cosignatures", cosigs},
            {"quorum_met", r.quorum_met},
            {"records", r.records},
            {"proofs_verified", r.proofs_verified},
            {"history_closed", r.history_closed},
            {"findings", findings},
            {"lineage", json::parse(VerifyReportToJson(r.lineage), nullptr, false)}};
  return j.dump(2);
}

Result<std::string> ProveLineage(const Ledger& ledger, std::string_view lot_id) {
  std::string out;
  RETURN_IF_ERROR(internal::ReadLedger(ledger, [&](const internal::Txn& txn, std::string_view name) {
    ASSIGN_OR_RETURN(out, internal::BuildBundle(txn, name, lot_id));
    return Status::Ok();
  }));
  return out;
}

Result<std::string> ProveRecord(const Ledger& ledger, std::uint64_t seq) {
  std::string out;
  RETURN_IF_ERROR(internal::ReadLedger(ledger, [&](const internal::Txn& txn, std::string_view name) {
    ASSIGN_OR_RETURN(out, internal::BuildTlogProof(txn, name, seq));
    return Status::Ok();
  }));
  return out;
}

}  // namespace retrace
