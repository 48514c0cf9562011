// Tests for retrace/witness.h: the tlog-witness add-checkpoint checks, one
// scenario per refusal, the k-of-n witness policy, and the state file.
#include "retrace/witness.h"

#include <catch2/catch.hpp>
#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "merkle/reference_tree.h"
#include "retrace/checkpoint.h"
#include "retrace/hash.h"
#include "testing/test_chain.h"

namespace retrace {
namespace {

namespace ref = merkle::reference;

// A log over synthetic leaves whose checkpoints and consistency proofs come
// from the naive reference tree.
class FakeLog {
 public:
  FakeLog() {
    auto k = NoteSigner::Generate("example.com/log", NoteKeyType::kEd25519);
    REQUIRE(k.ok());
    key_ = std::move(k).value();
  }
  void Grow(std::size_t n) {
    while (leaves_.size() < n) leaves_.push_back(Sha256("leaf " + std::to_string(leaves_.size())));
  }
  Checkpoint At(std::size_t n) const {
    Checkpoint c;
    c.origin = "example.com/log";
    c.size = n;
    c.root_hash = ref::Mth(ref::Leaves(leaves_.data(), n));
    return c;
  }
  std::string Signed(std::size_t n) const { return *SignCheckpoint(At(n), *key_); }
  std::vector<Hash> Proof(std::size_t m, std::size_t n) const {
    return ref::Proof(m, ref::Leaves(leaves_.data(), n));
  }
  AddCheckpointRequest Request(std::size_t m, std::size_t n) const {
    return AddCheckpointRequest{m, Proof(m, n), Signed(n)};
  }
  const NoteSigner& key() const { return *key_; }
  std::vector<Hash>& leaves() { return leaves_; }

 private:
  std::unique_ptr<NoteSigner> key_;
  std::vector<Hash> leaves_;
};

struct WitnessFixture {
  WitnessFixture() {
    auto w = NoteSigner::Generate("witness.example/w1", NoteKeyType::kCosignatureV1);
    REQUIRE(w.ok());
    witness = std::move(w).value();
    log.Grow(20);
    REQUIRE(state.AddLog("example.com/log", log.key().verifier()).ok());
  }
  Result<std::string> Add(std::size_t m, std::size_t n, std::uint64_t t = 1000) {
    return WitnessAddCheckpoint(&state, *witness, log.Request(m, n), t);
  }
  FakeLog log;
  std::unique_ptr<NoteSigner> witness;
  WitnessState state;
};

TEST_CASE("A witness cosigns a first checkpoint, then only extensions of it", "[witness]") {
  WitnessFixture f;
  auto line = f.Add(0, 5);
  REQUIRE(line.ok());
  CHECK(line->rfind("\xE2\x80\x94 witness.example/w1 ", 0) == 0);
  CHECK(f.state.Find("example.com/log")->size == 5);
  // The cosignature line appended to the checkpoint verifies under the witness key.
  auto cp = OpenCheckpoint(f.log.Signed(5) + *line, {f.log.key().verifier()},
                           {f.witness->verifier()});
  REQUIRE(cp.ok());
  REQUIRE(cp->cosignatures.size() == 1);
  CHECK(cp->cosignatures[0].timestamp == std::optional<std::uint64_t>(1000));
  REQUIRE(f.Add(5, 13, 1001).ok());
  REQUIRE(f.Add(13, 20, 1002).ok());
  const WitnessedLog* log = f.state.Find("example.com/log");
  CHECK(log->size == 20);
  CHECK(log->root_hash == f.log.At(20).root_hash);
  CHECK(log->cosigned_at == 1002);
  // The remembered checkpoint carries the witness's own cosignature.
  CHECK(OpenCheckpoint(log->checkpoint, {f.log.key().verifier()}, {f.witness->verifier()})
            ->cosignatures.size() == 1);
  // The same checkpoint again is cosigned again (the spec's old == size case).
  CHECK(f.Add(20, 20, 1003).ok());
}

TEST_CASE("A witness refuses what tlog-witness says to refuse, changing nothing",
          "[witness][refuse]") {
  WitnessFixture f;
  REQUIRE(f.Add(0, 8).ok());
  const std::string before = f.state.Serialize();

  SECTION("unknown origin") {
    FakeLog other;
    other.Grow(3);
    Checkpoint c = other.At(3);
    c.origin = "example.com/other";
    AddCheckpointRequest req{0, {}, *SignCheckpoint(c, other.key())};
    CHECK(WitnessAddCheckpoint(&f.state, *f.witness, req, 1).status().code() ==
          StatusCode::kNotFound);
  }
  SECTION("a checkpoint not signed by the log's key") {
    auto impostor = NoteSigner::Generate("example.com/log", NoteKeyType::kEd25519);
    AddCheckpointRequest req{8, f.log.Proof(8, 12), *SignCheckpoint(f.log.At(12), **impostor)};
    CHECK(WitnessAddCheckpoint(&f.state, *f.witness, req, 1).status().code() ==
          StatusCode::kVerificationFailed);
  }
  SECTION("an old size that is not the witness's") {
    auto st = f.Add(5, 12);
    CHECK(st.status().code() == StatusCode::kFailedPrecondition);
    CHECK(st.status().message().find("at size 8") != std::string::npos);
  }
  SECTION("an old size above the checkpoint's") {
    AddCheckpointRequest req{12, {}, f.log.Signed(8)};
    CHECK(WitnessAddCheckpoint(&f.state, *f.witness, req, 1).status().code() ==
          StatusCode::kInvalidArgument);
  }
  SECTION("a consistency proof that does not verify") {
    AddCheckpointRequest req = f.log.Request(8, 12);
    req.consistency_proof[0][0] ^= 1;
    CHECK(WitnessAddCheckpoint(&f.state, *f.witness, req, 1).status().code() ==
          StatusCode::kVerificationFailed);
  }
  SECTION("a proof of the wrong length") {
    AddCheckpointRequest req = f.log.Request(8, 12);
    req.consistency_proof.pop_back();
    CHECK(WitnessAddCheckpoint(&f.state, *f.witness, req, 1).status().code() ==
          StatusCode::kInvalidArgument);
  }
  SECTION("a rewritten history: a fork at a larger size") {
    f.log.leaves()[3] = Sha256("rewritten");
    auto st = f.Add(8, 12);
    CHECK(st.status().code() == StatusCode::kVerificationFailed);
  }
  SECTION("a split view at the same size") {
    f.log.leaves()[7] = Sha256("rewritten");
    auto st = f.Add(8, 8);
    CHECK(st.status().code() == StatusCode::kVerificationFailed);
    CHECK(st.status().message().find("split view") != std::string::npos);
  }
  SECTION("a signer that is not a cosigner") {
    auto plain = NoteSigner::Generate("witness.example/w1", NoteKeyType::kEd25519);
    CHECK(WitnessAddCheckpoint(&f.state, **plain, f.log.Request(8, 12), 1).status().code() ==
          StatusCode::kInvalidArgument);
  }
  CHECK(f.state.Serialize() == before);
}

TEST_CASE("A k-of-n witness policy counts distinct trusted cosigners", "[witness][policy]") {
  FakeLog log;
  log.Grow(4);
  std::vector<std::unique_ptr<NoteSigner>> ws;
  WitnessPolicy policy;
  for (int i = 0; i < 3; ++i) {
    ws.push_back(std::move(NoteSigner::Generate("w" + std::to_string(i),
                                                NoteKeyType::kCosignatureV1))
                     .value());
    policy.witnesses.push_back(ws.back()->verifier());
  }
  auto stranger = NoteSigner::Generate("w9", NoteKeyType::kCosignatureV1);
  const std::string note = log.Signed(4);
  auto with = [&](std::vector<const NoteSigner*> signers) {
    auto n = AddNoteSignatures(note, signers, 77);
    REQUIRE(n.ok());
    auto cp = OpenCheckpoint(*n, {log.key().verifier()}, policy.witnesses);
    REQUIRE(cp.ok());
    return *cp;
  };
  policy.quorum = 2;
  CHECK(policy.Check(with({ws[0].get(), ws[2].get()})).ok());
  CHECK(policy.Check(with({ws[1].get(), stranger->get()})).code() ==
        StatusCode::kVerificationFailed);
  policy.quorum = 3;
  CHECK(policy.Check(with({ws[0].get(), ws[1].get(), ws[2].get()})).ok());
  policy.quorum = 0;
  CHECK(policy.Check(with({})).ok());
  policy.quorum = 4;
  CHECK(policy.Check(with({})).code() == StatusCode::kInvalidArgument);
}

TEST_CASE("The add-checkpoint request body round-trips and is parsed strictly",
          "[witness][format]") {
  FakeLog log;
  log.Grow(9);
  AddCheckpointRequest req = log.Request(5, 9);
  const std::string body = FormatAddCheckpointRequest(req);
  CHECK(body.rfind("old 5\n", 0) == 0);
  auto parsed = ParseAddCheckpointRequest(body);
  REQUIRE(parsed.ok());
  CHECK(parsed->old_size == 5);
  CHECK(parsed->consistency_proof == req.consistency_proof);
  CHECK(parsed->checkpoint == req.checkpoint);
  const std::string cp = req.checkpoint;
  for (const std::string& bad : {"old 05\n\n" + cp, "old -1\n\n" + cp, "new 5\n\n" + cp,
                                 "old 5\nAAAA\n\n" + cp, "old 5\n" + cp, std::string("old 5\n\nnot a note\n")}) {
    INFO(bad);
    CHECK(ParseAddCheckpointRequest(bad).status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("Witness state survives a round trip through its file", "[witness][state]") {
  testing::TempDir dir;
  const std::string path = dir.Sub("witness.json");
  WitnessFixture f;
  REQUIRE(f.Add(0, 6).ok());
  REQUIRE(UpdateWitnessStateFile(path, [&](WitnessState* s) {
            *s = f.state;
            return Status::Ok();
          }).ok());
  auto read = ReadWitnessStateFile(path);
  REQUIRE(read.ok());
  CHECK(read->Serialize() == f.state.Serialize());
  // A failing update leaves the file as it was.
  auto st = UpdateWitnessStateFile(path, [&](WitnessState* s) {
    s->logs.clear();
    return FailedPreconditionError("no");
  });
  CHECK(st.code() == StatusCode::kFailedPrecondition);
  CHECK(ReadWitnessStateFile(path)->logs.size() == 1);
  // A state whose size disagrees with its checkpoint is refused.
  std::string text = f.state.Serialize();
  text.replace(text.find("\"size\": 6"), 9, "\"size\": 7");
  CHECK(WitnessState::Parse(text).status().code() == StatusCode::kInvalidArgument);
  CHECK(WitnessState::Parse("{}").status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("Concurrent updates of one state file are serialised", "[witness][state]") {
  testing::TempDir dir;
  const std::string path = dir.Sub("witness.json");
  WitnessFixture f;
  REQUIRE(UpdateWitnessStateFile(path, [&](WitnessState* s) {
            *s = f.state;
            return Status::Ok();
          }).ok());
  // Eight threads each try to extend from what the file says; every one must
  // see its predecessor's result, so all succeed and the sizes chain up.
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      Status st = UpdateWitnessStateFile(path, [&](WitnessState* s) {
        const std::size_t m = s->Find("example.com/log")->size;
        return WitnessAddCheckpoint(s, *f.witness, f.log.Request(m, m + 1), 5).status();
      });
      if (st.ok()) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(ok == 8);
  CHECK(ReadWitnessStateFile(path)->Find("example.com/log")->size == 8);
}

}  // namespace
}  // namespace retrace
