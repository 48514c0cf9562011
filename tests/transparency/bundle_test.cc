// Lineage bundles: built from a real ledger, verified with no ledger, and
// attacked: every byte of a small bundle, omitted records, wrong trust
// anchors.
#include "retrace/bundle.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <set>
#include <string>

#include "retrace/ledger.h"
#include "retrace/v1/bundle.pb.h"
#include "testing/test_chain.h"

namespace retrace {
namespace {

using testing::FiveStage;
using testing::MakeLot;
using testing::TestChain;

struct Proven {
  std::unique_ptr<NoteSigner> log;
  std::string bundle;
};

Proven Prove(TestChain& c, const std::string& lot) {
  Proven p;
  p.log = std::move(NoteSigner::Generate("test-ledger", NoteKeyType::kEd25519)).value();
  REQUIRE(c.ledger().SignCheckpoint(*p.log).ok());
  auto b = ProveLineage(c.ledger(), lot);
  REQUIRE(b.ok());
  p.bundle = std::move(b).value();
  return p;
}

v1::Bundle Parse(const std::string& bytes) {
  v1::Bundle b;
  REQUIRE(b.ParseFromString(bytes));
  return b;
}

std::string Serialize(const v1::Bundle& b) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  REQUIRE(b.SerializeToCodedStream(&coded));
  coded.Trim();
  return out;
}

bool HasCode(const BundleReport& r, const char* code) {
  for (const Finding& f : r.findings) {
    if (f.code == code) return true;
  }
  return false;
}

TEST_CASE("A bundle of an exported magnet verifies offline back to its mine", "[bundle]") {
  TestChain c;
  FiveStage::Build(c);
  Proven p = Prove(c, "MAG-1");
  auto report = VerifyBundle(p.bundle, c.root().public_key(), p.log->verifier());
  REQUIRE(report.ok());
  INFO(BundleReportToJson(*report));
  CHECK(report->valid);
  CHECK(report->findings.empty());
  CHECK(report->checkpoint_verified);
  CHECK(report->quorum_met);
  CHECK(report->history_closed);
  CHECK(report->records == report->proofs_verified);
  CHECK(report->checkpoint.size == c.ledger().Info()->size);
  // The same lineage the ledger reports, by the same verifier.
  auto direct = c.ledger().VerifyLot("MAG-1");
  REQUIRE(direct.ok());
  REQUIRE(report->lineage.origins.size() == direct->origins.size());
  CHECK(report->lineage.origins[0].origin_lot == "ORE-1");
  CHECK(report->lineage.origins[0].share_ppm == direct->origins[0].share_ppm);
  CHECK(report->lineage.lots.size() == direct->lots.size());
  CHECK(report->lineage.records_checked == direct->records_checked);
  CHECK(report->lineage.signatures_checked == direct->signatures_checked);
  // Building is deterministic.
  CHECK(*ProveLineage(c.ledger(), "MAG-1") == p.bundle);
  WARN("MAG-1 bundle: " << p.bundle.size() << " bytes, " << report->records << " records");
}

TEST_CASE("A bundle holds the lineage's records and every authority record, nothing else",
          "[bundle]") {
  TestChain c;
  FiveStage::Build(c);
  c.Register("mine-2", Role::kMine);
  REQUIRE(c.Do("mine-2", Extracted{MakeLot("ORE-2", MaterialClass::kOreConcentrate, 5, {}), "p",
                                   ""})
              .ok());
  REQUIRE(c.Do("mine-2", Extracted{MakeLot("ORE-3", MaterialClass::kOreConcentrate, 5, {}), "p",
                                   ""})
              .ok());
  Proven p = Prove(c, "DY-1");
  v1::Bundle b = Parse(p.bundle);
  std::set<std::uint64_t> seqs;
  for (const auto& r : b.records()) seqs.insert(r.seq());
  auto direct = c.ledger().VerifyLot("DY-1");
  REQUIRE(direct.ok());
  for (const auto& lot : direct->lots) {
    for (auto s : lot.record_seqs) CHECK(seqs.count(s));
  }
  CHECK(seqs.count(0));  // genesis
  // Every authority record -- the unrelated mine's registration too: the
  // book of authority travels whole -- and the last record at the
  // checkpoint, for the head hash; but not the unrelated mine's first
  // extraction.
  const std::uint64_t size = c.ledger().Info()->size;
  CHECK(seqs.count(size - 1));
  CHECK_FALSE(seqs.count(size - 2));
  CHECK(seqs.count(size - 3));
  for (std::uint64_t seq = 0; seq < size; ++seq) {
    auto rec = c.ledger().ReadRecord(seq);
    REQUIRE(rec.ok());
    auto ev = DecodeEvent(rec->event_bytes);
    REQUIRE(ev.ok());
    const bool authority = std::holds_alternative<Genesis>(ev->body) ||
                           std::holds_alternative<ActorRegistered>(ev->body) ||
                           std::holds_alternative<KeyRotated>(ev->body) ||
                           std::holds_alternative<KeyRevoked>(ev->body) ||
                           std::holds_alternative<QuotaGranted>(ev->body) ||
                           std::holds_alternative<PolicySet>(ev->body);
    if (authority) CHECK(seqs.count(seq));
  }
  auto report = VerifyBundle(p.bundle, c.root().public_key(), p.log->verifier());
  REQUIRE(report.ok());
  CHECK(report->valid);
  CHECK(report->lineage.head_hash == c.ledger().Info()->head_hash);
  // DY-1 went into the alloy, fully consumed: its history is closed too.
  CHECK(report->history_closed);
}

TEST_CASE("A mine's later extractions do not spoil a bundle of its earlier lot", "[bundle]") {
  // The verifier reads the mine's quota log only up to the extraction it
  // checks; the bundle carries that prefix, not the later uses (found by
  // the C API test: "the bundle's quota index names record N, which it
  // lacks").
  TestChain c;
  FiveStage::Build(c);
  REQUIRE(c.Do("mine-1", Extracted{MakeLot("ORE-LATER", MaterialClass::kOreConcentrate, 1000,
                                           {{Element::kNd, 10}}),
                                   "pit", ""})
              .ok());
  const std::uint64_t later = c.ledger().Info()->size - 1;
  c.Register("mine-2", Role::kMine);  // so the later extraction is not the head
  Proven p = Prove(c, "MAG-1");
  auto report = VerifyBundle(p.bundle, c.root().public_key(), p.log->verifier());
  REQUIRE(report.ok());
  INFO(BundleReportToJson(*report));
  CHECK(report->valid);
  const v1::Bundle b = Parse(p.bundle);
  for (const auto& a : b.index()) {
    for (auto s : a.seqs()) CHECK(s != later);
  }
  for (const auto& r : b.records()) CHECK(r.seq() != later);
}

TEST_CASE("Proving needs a checkpoint covering the lot, and a valid lineage", "[bundle]") {
  TestChain c;
  FiveStage::Build(c);
  CHECK(ProveLineage(c.ledger(), "MAG-1").status().code() == StatusCode::kFailedPrecondition);
  auto log = NoteSigner::Generate("test-ledger", NoteKeyType::kEd25519);
  REQUIRE(c.ledger().SignCheckpoint(**log).ok());
  CHECK(ProveLineage(c.ledger(), "NOPE").status().code() == StatusCode::kNotFound);
  c.Register("mine-2", Role::kMine);
  REQUIRE(c.Do("mine-2", Extracted{MakeLot("ORE-2", MaterialClass::kOreConcentrate, 5, {}), "p",
                                   ""})
              .ok());
  auto late = ProveLineage(c.ledger(), "ORE-2");
  CHECK(late.status().code() == StatusCode::kFailedPrecondition);
  CHECK(late.status().message().find("newer than the latest checkpoint") != std::string::npos);
  REQUIRE(c.ledger().SignCheckpoint(**log).ok());
  CHECK(ProveLineage(c.ledger(), "ORE-2").ok());
}

TEST_CASE("A bundle checked against the wrong trust anchors is invalid", "[bundle]") {
  TestChain c;
  FiveStage::Build(c);
  Proven p = Prove(c, "MAG-1");
  auto other_root = Signer::Generate(Algorithm::kEd25519);
  auto r1 = VerifyBundle(p.bundle, (*other_root)->public_key(), p.log->verifier());
  REQUIRE(r1.ok());
  CHECK_FALSE(r1->valid);
  CHECK(HasCode(*r1, finding::kRootKeyMismatch));

  auto other_log = NoteSigner::Generate("test-ledger", NoteKeyType::kEd25519);
  auto r2 = VerifyBundle(p.bundle, c.root().public_key(), (*other_log)->verifier());
  REQUIRE(r2.ok());
  CHECK_FALSE(r2->valid);
  CHECK_FALSE(r2->checkpoint_verified);
  CHECK(HasCode(*r2, finding::kCheckpointSignatureInvalid));

  auto w = NoteSigner::Generate("w1", NoteKeyType::kCosignatureV1);
  auto r3 = VerifyBundle(p.bundle, c.root().public_key(), p.log->verifier(),
                         WitnessPolicy{{(*w)->verifier()}, 1});
  REQUIRE(r3.ok());
  CHECK_FALSE(r3->valid);
  CHECK(HasCode(*r3, finding::kWitnessQuorumNotMet));

  auto cosigner = NoteSigner::Generate("w1", NoteKeyType::kCosignatureV1);
  CHECK(VerifyBundle(p.bundle, c.root().public_key(), (*cosigner)->verifier()).status().code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("A witness-cosigned bundle meets a quorum policy", "[bundle][witness]") {
  TestChain c;
  FiveStage::Build(c);
  auto log = NoteSigner::Generate("test-ledger", NoteKeyType::kEd25519);
  auto w1 = NoteSigner::Generate("w1.example", NoteKeyType::kCosignatureV1);
  auto w2 = NoteSigner::Generate("w2.example", NoteKeyType::kCosignatureV1);
  auto note = c.ledger().SignCheckpoint(**log);
  REQUIRE(note.ok());
  WitnessState s1, s2;
  REQUIRE(s1.AddLog("test-ledger", (*log)->verifier()).ok());
  REQUIRE(s2.AddLog("test-ledger", (*log)->verifier()).ok());
  auto l1 = WitnessAddCheckpoint(&s1, **w1, AddCheckpointRequest{0, {}, *note}, 10);
  auto l2 = WitnessAddCheckpoint(&s2, **w2, AddCheckpointRequest{0, {}, *note}, 11);
  REQUIRE((l1.ok() && l2.ok()));
  REQUIRE(c.ledger().AddCosignatures(*l1 + *l2, {(*w1)->verifier(), (*w2)->verifier()}).ok());
  auto bundle = ProveLineage(c.ledger(), "MAG-1");
  REQUIRE(bundle.ok());
  WitnessPolicy policy{{(*w1)->verifier(), (*w2)->verifier()}, 2};
  auto r = VerifyBundle(*bundle, c.root().public_key(), (*log)->verifier(), policy);
  REQUIRE(r.ok());
  CHECK(r->valid);
  CHECK(r->cosignatures.size() == 2);
}

// Every byte of a small bundle (genesis, two registrations, an extraction and
// a shipment) is flipped two ways; each change must make the bundle
// unreadable (an error) or invalid (findings). Also every truncation.
TEST_CASE("Every byte of a small bundle is protected", "[bundle][tamper]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("sep-1", Role::kSeparator);
  REQUIRE(c.Do("mine-1", Extracted{MakeLot("ORE-1", MaterialClass::kOreConcentrate, 1000,
                                           {{Element::kNd, 50}}),
                                   "pit 3", ""})
              .ok());
  REQUIRE(c.Do("mine-1", Shipped{"ORE-1", std::nullopt, "sep-1", 1000}).ok());
  Proven p = Prove(c, "ORE-1");
  const PublicKey root = c.root().public_key();
  const NoteVerifier log = p.log->verifier();
  auto clean = VerifyBundle(p.bundle, root, log);
  REQUIRE(clean.ok());
  REQUIRE(clean->valid);
  CHECK_FALSE(clean->history_closed);  // in transit: later records may follow

  // Damaged records make protobuf log about invalid UTF-8; expected here.
  google::protobuf::LogSilencer quiet;
  const auto start = std::chrono::steady_clock::now();
  int unreadable = 0, invalid = 0, trials = 0;
  for (std::size_t i = 0; i < p.bundle.size(); ++i) {
    // The low bit changes every byte's value; the high bit every varint's
    // length structure.
    for (unsigned char flip : {0x01, 0x80}) {
      std::string bad = p.bundle;
      bad[i] = static_cast<char>(bad[i] ^ flip);
      auto r = VerifyBundle(bad, root, log);
      ++trials;
      INFO("byte " << i << " of " << p.bundle.size() << " xor " << int(flip));
      if (!r.ok()) {
        CHECK(r.status().code() == StatusCode::kInvalidArgument);
        ++unreadable;
      } else {
        CHECK_FALSE(r->valid);
        CHECK_FALSE(r->findings.empty());
        ++invalid;
      }
    }
  }
  for (std::size_t n = 0; n < p.bundle.size(); ++n) {
    auto r = VerifyBundle(p.bundle.substr(0, n), root, log);
    INFO("truncated to " << n);
    CHECK((!r.ok() || !r->valid));
  }
  CHECK_FALSE(VerifyBundle(p.bundle + std::string(1, '\0'), root, log).ok());
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  WARN("bundle tamper: " << p.bundle.size() << " bytes, " << trials << " flips: " << unreadable
                         << " unreadable, " << invalid << " invalid; " << p.bundle.size()
                         << " truncations; " << secs << " s");
}

TEST_CASE("A record left out of a bundle is detected; a cut-off tail leaves the history open",
          "[bundle][tamper]") {
  TestChain c;
  FiveStage::Build(c);
  Proven p = Prove(c, "NDPR-1");
  const PublicKey root = c.root().public_key();
  const NoteVerifier log = p.log->verifier();
  auto seqs = c.ledger().VerifyLot("NDPR-1")->lots.front().record_seqs;
  REQUIRE(seqs.size() >= 4);  // created, shipped, received, consumed

  // Drop a middle record of the lot, from the records and the lot index:
  // the next record's parent hash no longer matches.
  auto drop = [&](std::uint64_t seq) {
    v1::Bundle b = Parse(p.bundle);
    v1::Bundle out = b;
    out.clear_records();
    for (const auto& r : b.records()) {
      if (r.seq() != seq) *out.add_records() = r;
    }
    for (auto& a : *out.mutable_index()) {
      if (a.index() != "lot") continue;
      auto* s = a.mutable_seqs();
      s->erase(std::remove(s->begin(), s->end(), seq), s->end());
    }
    return Serialize(out);
  };
  auto middle = VerifyBundle(drop(seqs[1]), root, log);
  REQUIRE(middle.ok());
  CHECK_FALSE(middle->valid);
  CHECK(HasCode(*middle, finding::kParentLinkBroken));

  // Drop only the record, keeping the index: it is missing.
  v1::Bundle b = Parse(p.bundle);
  v1::Bundle only = b;
  only.clear_records();
  for (const auto& r : b.records()) {
    if (r.seq() != seqs[2]) *only.add_records() = r;
  }
  auto missing = VerifyBundle(Serialize(only), root, log);
  REQUIRE(missing.ok());
  CHECK(HasCode(*missing, finding::kRecordUnreadable));

  // Cut the lot's last record (its consumption): the rest is a valid prefix,
  // so the bundle verifies -- but its history is no longer closed.
  auto cut = VerifyBundle(drop(seqs.back()), root, log);
  REQUIRE(cut.ok());
  CHECK(cut->valid);
  CHECK_FALSE(cut->history_closed);
  CHECK(VerifyBundle(p.bundle, root, log)->history_closed);
}

TEST_CASE("A record or index answer spliced in from another bundle is detected",
          "[bundle][tamper]") {
  TestChain c;
  FiveStage::Build(c);
  Proven p = Prove(c, "DY-1");
  auto other = ProveLineage(c.ledger(), "MAG-1");
  REQUIRE(other.ok());
  const PublicKey root = c.root().public_key();
  v1::Bundle dy = Parse(p.bundle), mag = Parse(*other);
  std::set<std::uint64_t> in_dy;
  for (const auto& r : dy.records()) in_dy.insert(r.seq());
  // A record of the magnet's lineage, with its valid inclusion proof.
  v1::Bundle with_record = dy;
  with_record.clear_records();
  const v1::BundleRecord* extra = nullptr;
  for (const auto& r : mag.records()) {
    if (!in_dy.count(r.seq())) extra = extra ? extra : &r;
  }
  REQUIRE(extra != nullptr);
  std::map<std::uint64_t, v1::BundleRecord> merged;
  for (const auto& r : dy.records()) merged[r.seq()] = r;
  merged[extra->seq()] = *extra;
  for (const auto& [seq, r] : merged) *with_record.add_records() = r;
  auto r1 = VerifyBundle(Serialize(with_record), root, p.log->verifier());
  REQUIRE(r1.ok());
  CHECK_FALSE(r1->valid);
  CHECK(HasCode(*r1, finding::kIndexAnswerInvalid));
  // An index answer of the magnet's lineage that DY-1's never asks for.
  v1::Bundle with_answer = dy;
  with_answer.clear_index();
  std::map<std::pair<std::string, std::string>, v1::IndexAnswer> answers;
  for (const auto& a : dy.index()) answers[{a.index(), a.key()}] = a;
  for (const auto& a : mag.index()) {
    if (a.index() == "lot" && a.key() == "MAG-1") answers[{a.index(), a.key()}] = a;
  }
  for (const auto& [k, a] : answers) *with_answer.add_index() = a;
  auto r2 = VerifyBundle(Serialize(with_answer), root, p.log->verifier());
  REQUIRE(r2.ok());
  CHECK_FALSE(r2->valid);
  CHECK(HasCode(*r2, finding::kIndexAnswerInvalid));
}

TEST_CASE("Input that is not a bundle is an error, not a report", "[bundle]") {
  TestChain c;
  FiveStage::Build(c);
  Proven p = Prove(c, "ORE-1");
  const PublicKey root = c.root().public_key();
  CHECK(VerifyBundle("", root, p.log->verifier()).status().code() == StatusCode::kInvalidArgument);
  CHECK(VerifyBundle("hello", root, p.log->verifier()).status().code() ==
        StatusCode::kInvalidArgument);
  v1::Bundle b = Parse(p.bundle);
  b.set_format("retrace-bundle/v3");
  CHECK(VerifyBundle(Serialize(b), root, p.log->verifier()).status().code() ==
        StatusCode::kInvalidArgument);
  // A bundle of the format before the book of authority travelled whole is
  // refused by name.
  b.set_format("retrace-bundle/v1");
  auto v1_refused = VerifyBundle(Serialize(b), root, p.log->verifier());
  CHECK(v1_refused.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(v1_refused.status().message(), Catch::Contains("retrace-bundle/v1"));
  // An unknown field appended is refused, though protobuf would skip it.
  std::string extra = p.bundle + std::string("\xa0\x06\x01", 3);  // field 100, varint 1
  CHECK(VerifyBundle(extra, root, p.log->verifier()).status().code() ==
        StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace retrace
