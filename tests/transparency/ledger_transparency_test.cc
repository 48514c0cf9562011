// Checkpoints, cosignatures and tlog proofs of a real ledger (LMDB, OpenSSL),
// and the attack they exist for: the ledger's owner rewrites history and
// re-links it below the API. Signing, proving and witnessing must all refuse.
#include <catch2/catch.hpp>
#include <string>

#include "retrace/bundle.h"
#include "retrace/checkpoint.h"
#include "retrace/ledger.h"
#include "retrace/tlog_proof.h"
#include "retrace/witness.h"
#include "testing/test_chain.h"
#include "transparency/rewrite.h"

namespace retrace {
namespace {

using testing::FiveStage;
using testing::TestChain;

std::unique_ptr<NoteSigner> LogKey(const char* name = "test-ledger") {
  auto k = NoteSigner::Generate(name, NoteKeyType::kEd25519);
  REQUIRE(k.ok());
  return std::move(k).value();
}

std::unique_ptr<NoteSigner> WitnessKey(const std::string& name) {
  auto k = NoteSigner::Generate(name, NoteKeyType::kCosignatureV1);
  REQUIRE(k.ok());
  return std::move(k).value();
}

// The add-checkpoint request a log sends a witness that last saw `old_size`.
AddCheckpointRequest RequestFrom(Ledger& ledger, std::uint64_t old_size) {
  auto latest = ledger.LatestCheckpoint();
  REQUIRE(latest.ok());
  auto cp = ParseSignedCheckpoint(*latest);
  REQUIRE(cp.ok());
  auto proof = ledger.ProveConsistency(old_size, cp->size);
  REQUIRE(proof.ok());
  return AddCheckpointRequest{old_size, proof->hashes, *latest};
}

TEST_CASE("A ledger signs a C2SP checkpoint of its whole tree and stores it", "[ledger][checkpoint]") {
  TestChain c;
  FiveStage::Build(c);
  auto log = LogKey();
  CHECK(c.ledger().LatestCheckpoint().status().code() == StatusCode::kNotFound);
  const auto before = c.ledger().Info();
  auto note = c.ledger().SignCheckpoint(*log);
  REQUIRE(note.ok());
  auto cp = OpenCheckpoint(*note, {log->verifier()});
  REQUIRE(cp.ok());
  CHECK(cp->checkpoint.origin == "test-ledger");
  CHECK(cp->checkpoint.size == before->size);
  CHECK(cp->checkpoint.root_hash == *c.ledger().RootAt(before->size));
  CHECK(cp->checkpoint.extensions.empty());
  CHECK(*c.ledger().LatestCheckpoint() == *note);
  // Signing appends no record.
  CHECK(c.ledger().Info()->size == before->size);
  CHECK(c.ledger().Info()->head_hash == before->head_hash);
  // It survives a reopen.
  c.Close();
  c.Reopen();
  CHECK(*c.ledger().LatestCheckpoint() == *note);
}

TEST_CASE("Re-signing at an unchanged size adds signatures, never a second checkpoint",
          "[ledger][checkpoint]") {
  TestChain c;
  FiveStage::Build(c);
  auto log = LogKey();
  auto first = c.ledger().SignCheckpoint(*log);
  REQUIRE(first.ok());
  CHECK(*c.ledger().SignCheckpoint(*log) == *first);
  auto rotated = LogKey();
  auto both = c.ledger().SignCheckpoint(*rotated);
  REQUIRE(both.ok());
  CHECK(OpenCheckpoint(*both, {log->verifier(), rotated->verifier()})->log_signatures.size() == 2);
  CHECK(ParseSignedCheckpoint(*both)->size == ParseSignedCheckpoint(*first)->size);
}

TEST_CASE("Successive checkpoints are consistent with each other", "[ledger][checkpoint]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  auto log = LogKey();
  auto first = c.ledger().SignCheckpoint(*log);
  REQUIRE(first.ok());
  REQUIRE(c.Do("mine-1", Extracted{testing::MakeLot("ORE-9", MaterialClass::kOreConcentrate, 10,
                                                     {}),
                                   "pit", ""})
              .ok());
  auto second = c.ledger().SignCheckpoint(*log);
  REQUIRE(second.ok());
  auto a = *ParseSignedCheckpoint(*first);
  auto b = *ParseSignedCheckpoint(*second);
  REQUIRE(b.size == a.size + 1);
  auto proof = c.ledger().ProveConsistency(a.size, b.size);
  REQUIRE(proof.ok());
  CHECK(merkle::VerifyConsistency(a.root_hash, b.root_hash, *proof).ok());
}

TEST_CASE("Signing a checkpoint refuses a cosignature key and a read-only ledger",
          "[ledger][checkpoint]") {
  TestChain c;
  auto w = WitnessKey("w1");
  CHECK(c.ledger().SignCheckpoint(*w).status().code() == StatusCode::kInvalidArgument);
  c.Close();
  Options ro;
  ro.read_only = true;
  auto l = Ledger::Open(ro, c.path());
  REQUIRE(l.ok());
  auto log = LogKey();
  CHECK((*l)->SignCheckpoint(*log).status().code() == StatusCode::kFailedPrecondition);
  CHECK((*l)->LatestCheckpoint().status().code() == StatusCode::kNotFound);
}

TEST_CASE("A ledger from before checkpoints opens read-only, and gains the table when writable",
          "[ledger][checkpoint]") {
  TestChain c;
  c.Close();
  testing::WithLmdb(c.path(), [](MDB_txn* txn, std::map<std::string, MDB_dbi>& t) {
    REQUIRE(mdb_drop(txn, t["checkpoints"], 1) == 0);  // delete the table itself
  });
  Options ro;
  ro.read_only = true;
  {
    auto l = Ledger::Open(ro, c.path());
    REQUIRE(l.ok());
    CHECK((*l)->LatestCheckpoint().status().code() == StatusCode::kNotFound);
    CHECK(ProveRecord(**l, 0).status().code() == StatusCode::kFailedPrecondition);
  }
  c.Reopen();
  auto log = LogKey();
  CHECK(c.ledger().SignCheckpoint(*log).ok());
}

TEST_CASE("A witness's cosignature is stored on the checkpoint it cosigned", "[ledger][witness]") {
  TestChain c;
  FiveStage::Build(c);
  auto log = LogKey();
  auto w1 = WitnessKey("regulator.example/witness");
  auto w2 = WitnessKey("industry.example/witness");
  REQUIRE(c.ledger().SignCheckpoint(*log).ok());
  WitnessState state;
  REQUIRE(state.AddLog("test-ledger", log->verifier()).ok());
  WitnessState state2 = state;
  auto line1 = WitnessAddCheckpoint(&state, *w1, RequestFrom(c.ledger(), 0), 1700000000);
  auto line2 = WitnessAddCheckpoint(&state2, *w2, RequestFrom(c.ledger(), 0), 1700000001);
  REQUIRE((line1.ok() && line2.ok()));

  // A line that does not verify, or by an unknown key, is refused, changing nothing.
  const std::string before = *c.ledger().LatestCheckpoint();
  std::string bad = *line1;
  bad[bad.size() - 5] = bad[bad.size() - 5] == 'A' ? 'B' : 'A';
  CHECK(c.ledger().AddCosignatures(bad, {w1->verifier()}).status().code() ==
        StatusCode::kVerificationFailed);
  CHECK(c.ledger().AddCosignatures(*line1, {w2->verifier()}).status().code() ==
        StatusCode::kVerificationFailed);
  CHECK(c.ledger().AddCosignatures(*line1, {}).status().code() == StatusCode::kInvalidArgument);
  CHECK(*c.ledger().LatestCheckpoint() == before);

  auto stored = c.ledger().AddCosignatures(*line1 + *line2, {w1->verifier(), w2->verifier()});
  REQUIRE(stored.ok());
  CHECK(*c.ledger().LatestCheckpoint() == *stored);
  auto cp = OpenCheckpoint(*stored, {log->verifier()}, {w1->verifier(), w2->verifier()});
  REQUIRE(cp.ok());
  CHECK(cp->cosignatures.size() == 2);
  CHECK(WitnessPolicy{{w1->verifier(), w2->verifier()}, 2}.Check(*cp).ok());
  // Adding the same cosignature again replaces it: still two.
  auto again = c.ledger().AddCosignatures(*line1, {w1->verifier()});
  REQUIRE(again.ok());
  CHECK(ParseNote(*again)->signatures.size() == 3);
}

TEST_CASE("A record's tlog proof verifies offline against the stored checkpoint",
          "[ledger][tlog-proof]") {
  TestChain c;
  FiveStage::Build(c);
  auto log = LogKey();
  CHECK(ProveRecord(c.ledger(), 3).status().code() == StatusCode::kFailedPrecondition);
  REQUIRE(c.ledger().SignCheckpoint(*log).ok());
  const std::uint64_t size = c.ledger().Info()->size;
  for (std::uint64_t seq : {std::uint64_t{0}, std::uint64_t{7}, size - 1}) {
    auto text = ProveRecord(c.ledger(), seq);
    REQUIRE(text.ok());
    auto v = VerifyTlogProof(*text, log->verifier());
    REQUIRE(v.ok());
    CHECK(v->index == seq);
    auto rec = DecodeRecord(v->leaf_bytes);
    REQUIRE(rec.ok());
    CHECK(rec->seq == seq);
    CHECK(rec->hash == c.ledger().ReadRecord(seq)->hash);
  }
  CHECK(ProveRecord(c.ledger(), size).status().code() == StatusCode::kNotFound);
  c.Register("late", Role::kMine);
  CHECK(ProveRecord(c.ledger(), size).status().code() == StatusCode::kFailedPrecondition);
}

// The attack checkpoints exist for. The owner of the ledger file re-signs
// the export with the exporter's key (different destination), re-links every
// later record and rebuilds the tree: the ledger's own verifier cannot tell.
TEST_CASE("A checkpoint signed, then history rewritten under the hood: every later check fails",
          "[ledger][checkpoint][tamper]") {
  TestChain c;
  FiveStage::Build(c);
  c.Register("mine-2", Role::kMine);  // a record after the one rewritten
  auto log = LogKey();
  auto w = WitnessKey("regulator.example/witness");
  auto signed_note = c.ledger().SignCheckpoint(*log);
  REQUIRE(signed_note.ok());
  const Checkpoint old = *ParseSignedCheckpoint(*signed_note);
  WitnessState state;
  REQUIRE(state.AddLog("test-ledger", log->verifier()).ok());
  REQUIRE(WitnessAddCheckpoint(&state, *w, RequestFrom(c.ledger(), 0), 1).ok());

  auto history = c.ledger().LotRecords("MAG-1");
  REQUIRE(history.ok());
  const Record exported = history->back();
  auto ev = DecodeEvent(exported.event_bytes);
  REQUIRE(ev.ok());
  std::get<Exported>(ev->body).destination_country = "KP";
  auto forged = SignEvent(*ev, c.key("exp-1"));
  REQUIRE(forged.ok());
  c.Close();
  testing::RewriteHistory(c.path(), exported.seq, *forged);
  c.Reopen();

  // The rewrite is self-consistent: the lineage verifier sees nothing wrong.
  auto verify = c.ledger().VerifyLot("MAG-1");
  REQUIRE(verify.ok());
  CHECK(verify->valid);
  CHECK(std::get<Exported>(DecodeEvent(c.ledger().ReadRecord(exported.seq)->event_bytes)->body)
            .destination_country == "KP");

  // 1. The ledger refuses to sign a checkpoint inconsistent with the stored one.
  auto resign = c.ledger().SignCheckpoint(*log);
  REQUIRE_FALSE(resign.ok());
  CHECK(resign.status().code() == StatusCode::kCorruption);
  CHECK(*c.ledger().LatestCheckpoint() == *signed_note);
  // 2. Proofs against the stored checkpoint are refused.
  CHECK(ProveLineage(c.ledger(), "MAG-1").status().code() == StatusCode::kCorruption);
  CHECK(ProveRecord(c.ledger(), 0).status().code() == StatusCode::kCorruption);
  // 3. Whoever holds the old checkpoint sees that the log does not extend it.
  auto root = c.ledger().RootAt(old.size);
  REQUIRE(root.ok());
  CHECK(*root != old.root_hash);

  // The attacker deletes the stored checkpoints and signs the forged history.
  c.Close();
  testing::DropCheckpoints(c.path());
  c.Reopen();
  auto forged_cp = c.ledger().SignCheckpoint(*log);
  REQUIRE(forged_cp.ok());
  // 4. The witness, which remembers the old checkpoint, refuses to cosign it.
  const std::string before = state.Serialize();
  auto cosign = WitnessAddCheckpoint(&state, *w, RequestFrom(c.ledger(), old.size), 2);
  REQUIRE_FALSE(cosign.ok());
  CHECK(cosign.status().code() == StatusCode::kVerificationFailed);
  CHECK(state.Serialize() == before);
}

TEST_CASE("A record changed without re-linking is caught before signing", "[ledger][checkpoint][tamper]") {
  TestChain c;
  FiveStage::Build(c);
  auto log = LogKey();
  const std::uint64_t size = c.ledger().Info()->size;
  c.Close();
  // Flip a byte of the last record's signature in the records table only.
  testing::WithLmdb(c.path(), [&](MDB_txn* txn, std::map<std::string, MDB_dbi>& t) {
    std::string key = testing::U64be(size - 1);
    MDB_val k{key.size(), key.data()}, v;
    REQUIRE(mdb_get(txn, t["records"], &k, &v) == 0);
    std::string bytes(testing::View(v));
    bytes.back() ^= 1;
    MDB_val nv{bytes.size(), bytes.data()};
    REQUIRE(mdb_put(txn, t["records"], &k, &nv, 0) == 0);
  });
  c.Reopen();
  auto st = c.ledger().SignCheckpoint(*log);
  CHECK(st.status().code() == StatusCode::kCorruption);
  CHECK(c.ledger().LatestCheckpoint().status().code() == StatusCode::kNotFound);
}

}  // namespace
}  // namespace retrace
