// The tlog-witness add-checkpoint endpoint's answers, status by status, as
// `retrace witness serve` sends them (HandleAddCheckpoint), on a real state
// file; every refusal leaves the state unchanged.
#include <catch2/catch.hpp>

#include "retrace/checkpoint.h"
#include "retrace/witness.h"
#include "retrace/witness_http.h"
#include "testing/files.h"
#include "testing/test_chain.h"

namespace retrace {
namespace {

using testing::FiveStage;
using testing::TempDir;
using testing::TestChain;

using testing::ReadFile;

std::string Request(Ledger& l, std::uint64_t old_size) {
  AddCheckpointRequest req;
  req.old_size = old_size;
  req.checkpoint = *l.LatestCheckpoint();
  auto cp = ParseSignedCheckpoint(req.checkpoint);
  REQUIRE(cp.ok());
  if (old_size > 0 && old_size < cp->size) {
    auto p = l.ProveConsistency(old_size, cp->size);
    REQUIRE(p.ok());
    req.consistency_proof = p->hashes;
  }
  return FormatAddCheckpointRequest(req);
}

TEST_CASE("add-checkpoint answers with tlog-witness's status codes", "[witness][http]") {
  TestChain c;
  FiveStage::Build(c);
  auto log = NoteSigner::Generate("test-ledger", NoteKeyType::kEd25519);
  auto witness = NoteSigner::Generate("witness.example", NoteKeyType::kCosignatureV1);
  REQUIRE(log.ok());
  REQUIRE(witness.ok());
  TempDir d;
  const std::string state = d.Sub("w.json");
  REQUIRE(UpdateWitnessStateFile(state, [&](WitnessState* s) {
            return s->AddLog("test-ledger", (*log)->verifier());
          }).ok());
  REQUIRE(c.ledger().SignCheckpoint(**log).ok());
  const std::uint64_t size1 = c.ledger().Info()->size;

  // 200: the cosignature line, which verifies.
  WitnessHttpResponse ok = HandleAddCheckpoint(state, **witness, Request(c.ledger(), 0), 1790000000);
  REQUIRE(ok.status == 200);
  auto opened = OpenNote(*c.ledger().LatestCheckpoint() + ok.body, {(*witness)->verifier()});
  REQUIRE(opened.ok());
  CHECK(opened->verified.size() == 1);
  const std::string after_ok = ReadFile(state);

  // 400: malformed, or an old size above the checkpoint's.
  CHECK(HandleAddCheckpoint(state, **witness, "old x\n\nnothing", 1).status == 400);
  CHECK(HandleAddCheckpoint(state, **witness, Request(c.ledger(), 0).replace(4, 1, "999"), 1).status ==
        400);
  // 409 with the size last cosigned, as text/x.tlog.size: a stale old size.
  REQUIRE(c.Do("mine-1", Extracted{testing::OreLot("ORE-W"), "pit"}).ok());
  REQUIRE(c.ledger().SignCheckpoint(**log).ok());
  WitnessHttpResponse stale = HandleAddCheckpoint(state, **witness, Request(c.ledger(), 0), 2);
  CHECK(stale.status == 409);
  CHECK(stale.content_type == "text/x.tlog.size");
  CHECK(stale.body == std::to_string(size1) + "\n");
  // 422: a consistency proof that does not verify.
  std::string bad = Request(c.ledger(), size1);
  const std::size_t nl = bad.find('\n');
  bad[nl + 1] = bad[nl + 1] == 'A' ? 'B' : 'A';
  CHECK(HandleAddCheckpoint(state, **witness, bad, 3).status == 422);
  // 403: not signed by a key the witness trusts for the origin.
  auto stranger = NoteSigner::Generate("test-ledger", NoteKeyType::kEd25519);
  REQUIRE(stranger.ok());
  AddCheckpointRequest unsigned_req;
  unsigned_req.old_size = 0;
  Checkpoint cp{"test-ledger", 1, merkle::EmptyRoot(), {}};
  unsigned_req.checkpoint = *SignCheckpoint(cp, **stranger);
  CHECK(HandleAddCheckpoint(state, **witness, FormatAddCheckpointRequest(unsigned_req), 4).status ==
        403);
  // 404: an origin it does not follow.
  Checkpoint other{"other-log", 1, merkle::EmptyRoot(), {}};
  AddCheckpointRequest other_req;
  other_req.checkpoint = *SignCheckpoint(other, **log);
  CHECK(HandleAddCheckpoint(state, **witness, FormatAddCheckpointRequest(other_req), 5).status ==
        404);
  // 409: the same size with another root (a split view).
  Checkpoint forked{"test-ledger", size1, merkle::EmptyRoot(), {}};
  AddCheckpointRequest fork_req;
  fork_req.old_size = size1;
  fork_req.checkpoint = *SignCheckpoint(forked, **log);
  WitnessHttpResponse split = HandleAddCheckpoint(state, **witness, FormatAddCheckpointRequest(fork_req), 6);
  CHECK(split.status == 409);
  CHECK(split.content_type != "text/x.tlog.size");
  // Every refusal left the state as the 200 made it.
  CHECK(ReadFile(state) == after_ok);
  // And the right request is cosigned.
  CHECK(HandleAddCheckpoint(state, **witness, Request(c.ledger(), size1), 7).status == 200);
  CHECK(ReadFile(state) != after_ok);
  // 500: a state file that cannot be read; nothing is cosigned.
  CHECK(HandleAddCheckpoint(d.Sub("missing/dir/w.json"), **witness, Request(c.ledger(), 0), 8)
            .status == 500);
}

}  // namespace
}  // namespace retrace
