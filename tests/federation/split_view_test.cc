// Split views: a sender that forks its log to ship one lot to two
// consignees is caught when the consignees compare the sender checkpoints
// they hold (retrace/federation.h, docs/federation.md).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "federation/federation_fixture.h"
#include "retrace/federation.h"
#include "retrace/mirror.h"
#include "retrace/publish.h"

namespace retrace {
namespace {

using testing::Federation;
using testing::ThreeLedgers;

// A mine ledger that has extracted ORE-1 and two consignee ledgers that
// trust it. Neither consignee asks for witnesses: a fork is not stopped at
// the door, only by comparison.
void TwoConsignees(Federation& f) {
  f.AddLedger("mine-ledger");
  f.AddLedger("sep-ledger");
  f.AddLedger("other-ledger");
  f.Register("mine-ledger", "mine-1", Role::kMine);
  f.Register("sep-ledger", "sep-1", Role::kSeparator);
  f.Register("other-ledger", "sep-9", Role::kSeparator);
  f.Trust("sep-ledger", {f.TrustEntry("mine-ledger", 0)});
  f.Trust("other-ledger", {f.TrustEntry("mine-ledger", 0)});
  REQUIRE(f.Do("mine-ledger", "mine-1", Extracted{ThreeLedgers::Ore("ORE-1"), "pit 3"}).ok());
}

TEST_CASE("A forked sender shipping one lot to two consignees is caught by comparison",
          "[federation][split_view]") {
  Federation f;
  TwoConsignees(f);

  // The fork: the mine ledger copied as it is, then each copy ships ORE-1
  // to a different consignee at the same position.
  auto fork = f.Fork("mine-ledger");
  REQUIRE(f.Do("mine-ledger", "mine-1",
               Shipped{"ORE-1", std::nullopt, "sep-1", 1000000, "sep-ledger"}).ok());
  f.Publish("mine-ledger", 0);
  REQUIRE(f.Hand("mine-ledger", "ORE-1", "sep-ledger").ok());
  {
    REQUIRE(f.DoIn(*fork, "mine-1", Shipped{"ORE-1", std::nullopt, "sep-9", 1000000,
                                             "other-ledger"}).ok());
    REQUIRE(fork->SignCheckpoint(f.log("mine-ledger")).ok());
    auto bundle = ProveLineage(*fork, "ORE-1");
    REQUIRE(bundle.ok());
    // Each consignee alone sees nothing wrong.
    REQUIRE(f.Receive("other-ledger", *bundle).ok());
  }

  auto ours = ForeignCheckpointNotes(f.ledger("sep-ledger"), "mine-ledger");
  auto theirs = ForeignCheckpointNotes(f.ledger("other-ledger"), "mine-ledger");
  REQUIRE((ours.ok() && theirs.ok()));
  REQUIRE(ours->size() == 1);
  REQUIRE(theirs->size() == 1);
  auto c = CompareForeignCheckpoints(f.ledger("sep-ledger"), "mine-ledger", *theirs);
  REQUIRE(c.ok());
  CHECK(c->compared == 1);
  REQUIRE(c->split_views.size() == 1);
  const SplitView& v = c->split_views[0];
  CHECK(v.origin == "mine-ledger");
  CHECK(v.ours == (*ours)[0]);
  CHECK(v.theirs == (*theirs)[0]);
  // Both notes are signed by the sender's key: the evidence verifies.
  for (const std::string* note : {&v.ours, &v.theirs}) {
    CHECK(OpenCheckpoint(*note, {f.log("mine-ledger").verifier()}).ok());
  }
  // The other way round too; a party's own checkpoints agree with
  // themselves.
  auto back = CompareForeignCheckpoints(f.ledger("other-ledger"), "mine-ledger", *ours);
  REQUIRE(back.ok());
  CHECK(back->split_views.size() == 1);
  auto self = CompareForeignCheckpoints(f.ledger("sep-ledger"), "mine-ledger", *ours);
  REQUIRE(self.ok());
  CHECK(self->compared == 1);
  CHECK(self->split_views.empty());
}

TEST_CASE("Checkpoints not signed by the trusted log key prove no split view",
          "[federation][split_view]") {
  Federation f;
  ThreeLedgers::Setup(f);
  ThreeLedgers::Mine(f);
  f.Publish("mine-ledger");
  REQUIRE(f.Hand("mine-ledger", "ORE-1", "sep-ledger").ok());
  auto ours = ForeignCheckpointNotes(f.ledger("sep-ledger"), "mine-ledger");
  REQUIRE(ours.ok());
  REQUIRE(ours->size() == 1);
  // A checkpoint of the same size and another root, signed by another key
  // that calls itself mine-ledger.
  auto cp = ParseSignedCheckpoint((*ours)[0]);
  REQUIRE(cp.ok());
  Checkpoint forged = *cp;
  forged.root_hash[0] ^= 1;
  auto impostor = NoteSigner::Generate("mine-ledger", NoteKeyType::kEd25519);
  REQUIRE(impostor.ok());
  auto note = SignCheckpoint(forged, **impostor);
  REQUIRE(note.ok());
  auto c = CompareForeignCheckpoints(f.ledger("sep-ledger"), "mine-ledger", {*note, "junk"});
  REQUIRE(c.ok());
  CHECK(c->unverified == 2);
  CHECK(c->compared == 0);
  CHECK(c->split_views.empty());
  // A log the ledger does not trust cannot be compared.
  auto untrusted = CompareForeignCheckpoints(f.ledger("sep-ledger"), "nobody", {});
  REQUIRE(!untrusted.ok());
  CHECK(untrusted.status().code() == StatusCode::kFailedPrecondition);
}

// The root of `larger`'s tree at `size`, from the tiles published in `webroot`.
PrefixRootReader TilesIn(const std::string& webroot) {
  return [webroot](const Checkpoint& larger, std::uint64_t size) -> Result<Hash> {
    auto p = ReadPublishedPrefix(webroot, larger, size);
    if (!p.ok()) return p.status();
    return p->root;
  };
}

TEST_CASE("Checkpoints of different sizes are compared through the sender's published tiles",
          "[federation][split_view][publish]") {
  Federation f;
  TwoConsignees(f);
  auto fork = f.Fork("mine-ledger");

  // The honest branch ships ORE-1 to sep-ledger, publishes, and goes on.
  REQUIRE(f.Do("mine-ledger", "mine-1",
               Shipped{"ORE-1", std::nullopt, "sep-1", 1000000, "sep-ledger"}).ok());
  f.Publish("mine-ledger", 0);
  REQUIRE(f.Hand("mine-ledger", "ORE-1", "sep-ledger").ok());
  const std::string www = f.path("mine-ledger") + ".www";
  PublishOptions po;
  po.sync = false;
  po.sign_with = &f.log("mine-ledger");
  REQUIRE(f.Do("mine-ledger", "mine-1", Extracted{ThreeLedgers::Ore("ORE-2"), "pit 3"}).ok());
  REQUIRE(Publish(f.ledger("mine-ledger"), www, po).ok());

  // The fork records one more extraction first, then ships ORE-1 to
  // other-ledger: its checkpoint is larger than the one sep-ledger holds.
  const std::string fork_www = f.path("mine-ledger") + "-fork.www";
  {
    REQUIRE(f.DoIn(*fork, "mine-1", Extracted{ThreeLedgers::Ore("ORE-X"), "pit 3", "LIC-mine-1"}).ok());
    REQUIRE(f.DoIn(*fork, "mine-1", Shipped{"ORE-1", std::nullopt, "sep-9", 1000000,
                                             "other-ledger"}).ok());
    REQUIRE(Publish(*fork, fork_www, po).ok());
    auto bundle = ProveLineage(*fork, "ORE-1");
    REQUIRE(bundle.ok());
    REQUIRE(f.Receive("other-ledger", *bundle).ok());
  }
  auto ours = ForeignCheckpointNotes(f.ledger("sep-ledger"), "mine-ledger");
  auto theirs = ForeignCheckpointNotes(f.ledger("other-ledger"), "mine-ledger");
  REQUIRE((ours.ok() && theirs.ok()));
  REQUIRE((ours->size() == 1 && theirs->size() == 1));
  auto our_cp = ParseSignedCheckpoint((*ours)[0]);
  auto their_cp = ParseSignedCheckpoint((*theirs)[0]);
  REQUIRE((our_cp.ok() && their_cp.ok()));
  REQUIRE(our_cp->size < their_cp->size);

  // Of different sizes, nothing is compared without a reader.
  auto blind = CompareForeignCheckpoints(f.ledger("sep-ledger"), "mine-ledger", *theirs);
  REQUIRE(blind.ok());
  CHECK(blind->compared == 0);
  CHECK(blind->unproven == 1);
  CHECK(blind->split_views.empty());

  // Through the fork's own tiles (the larger tree): its prefix at our size
  // is not our root.
  auto c = CompareForeignCheckpoints(f.ledger("sep-ledger"), "mine-ledger", *theirs,
                                     TilesIn(fork_www));
  REQUIRE(c.ok());
  CHECK(c->compared == 1);
  REQUIRE(c->split_views.size() == 1);
  CHECK(c->split_views[0].size == our_cp->size);
  CHECK(c->split_views[0].their_size == their_cp->size);
  CHECK(c->split_views[0].ours == (*ours)[0]);
  CHECK(c->split_views[0].theirs == (*theirs)[0]);

  // The honest branch's tiles cannot stand in for the fork's tree: they do
  // not hash to its root, so the pair stays unproven, never "consistent".
  auto wrong = CompareForeignCheckpoints(f.ledger("sep-ledger"), "mine-ledger", *theirs,
                                         TilesIn(www));
  REQUIRE(wrong.ok());
  CHECK(wrong->compared == 0);
  CHECK(wrong->unproven == 1);
  CHECK(wrong->split_views.empty());

  // The honest branch's later checkpoint is consistent with ours.
  auto later = f.ledger("mine-ledger").LatestCheckpoint();
  REQUIRE(later.ok());
  auto honest = CompareForeignCheckpoints(f.ledger("sep-ledger"), "mine-ledger", {*later},
                                          TilesIn(www));
  REQUIRE(honest.ok());
  CHECK(honest->compared == 1);
  CHECK(honest->split_views.empty());
}

TEST_CASE("ReadPublishedPrefix authenticates the tiles against the checkpoint",
          "[federation][publish]") {
  Federation f;
  f.AddLedger("mine-ledger");
  f.Register("mine-ledger", "mine-1", Role::kMine);
  const std::string www = f.path("mine-ledger") + ".www";
  PublishOptions po;
  po.sync = false;
  po.sign_with = &f.log("mine-ledger");
  auto first = Publish(f.ledger("mine-ledger"), www, po);
  REQUIRE(first.ok());
  auto small = ParseSignedCheckpoint(first->checkpoint);
  REQUIRE(small.ok());
  // Past a full tile, so the proof's nodes come from full tiles too.
  for (int i = 0; i < 300; ++i) {
    REQUIRE(f.Do("mine-ledger", "mine-1",
                 Extracted{ThreeLedgers::Ore("ORE-" + std::to_string(i)), "pit 3"}).ok());
  }
  auto second = Publish(f.ledger("mine-ledger"), www, po);
  REQUIRE(second.ok());
  auto big = ParseSignedCheckpoint(second->checkpoint);
  REQUIRE(big.ok());
  auto p = ReadPublishedPrefix(www, *big, small->size);
  REQUIRE(p.ok());
  CHECK(p->root == small->root_hash);
  CHECK(merkle::VerifyConsistency(small->root_hash, big->root_hash,
                                  {small->size, big->size, p->consistency_proof})
            .ok());
  auto whole = ReadPublishedPrefix(www, *big, big->size);
  REQUIRE(whole.ok());
  CHECK(whole->root == big->root_hash);
  CHECK(whole->consistency_proof.empty());
  CHECK(ReadPublishedPrefix(www, *big, big->size + 1).status().code() ==
        StatusCode::kInvalidArgument);
  // A checkpoint the tiles are not of.
  Checkpoint other = *big;
  other.root_hash[0] ^= 1;
  CHECK(ReadPublishedPrefix(www, other, small->size).status().code() ==
        StatusCode::kVerificationFailed);
  // An altered full tile.
  const std::string tile = www + "/tile/0/000";
  std::string bytes;
  {
    std::ifstream in(tile, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  REQUIRE(bytes.size() == 256 * 32);
  bytes[5 * 32] ^= 1;
  {
    std::ofstream out(tile, std::ios::binary | std::ios::trunc);
    out << bytes;
  }
  auto altered = ReadPublishedPrefix(www, *big, small->size);
  CHECK(altered.status().code() == StatusCode::kVerificationFailed);
}

}  // namespace
}  // namespace retrace
