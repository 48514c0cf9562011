// Split views: a sender that forks its log to ship one lot to two
// consignees is caught when the consignees compare the sender checkpoints
// they hold (retrace/federation.h, docs/federation.md).
#include <catch2/catch.hpp>
#include <filesystem>

#include "federation/federation_fixture.h"
#include "retrace/federation.h"

namespace retrace {
namespace {

using testing::Federation;
using testing::ThreeLedgers;

TEST_CASE("A forked sender shipping one lot to two consignees is caught by comparison",
          "[federation][split_view]") {
  Federation f;
  f.AddLedger("mine-ledger");
  f.AddLedger("sep-ledger");
  f.AddLedger("other-ledger");
  f.Register("mine-ledger", "mine-1", Role::kMine);
  f.Register("sep-ledger", "sep-1", Role::kSeparator);
  f.Register("other-ledger", "sep-9", Role::kSeparator);
  // Neither consignee asks for witnesses: the fork is not stopped at the
  // door, only by comparison.
  f.Trust("sep-ledger", {f.TrustEntry("mine-ledger", 0)});
  f.Trust("other-ledger", {f.TrustEntry("mine-ledger", 0)});
  REQUIRE(f.Do("mine-ledger", "mine-1", Extracted{ThreeLedgers::Ore("ORE-1"), "pit 3"}).ok());

  // The fork: the mine ledger copied as it is, then each copy ships ORE-1
  // to a different consignee at the same position.
  f.Close("mine-ledger");
  const std::string fork_dir = f.path("mine-ledger") + "-fork";
  std::filesystem::create_directory(fork_dir);
  std::filesystem::copy_file(f.path("mine-ledger") + "/data.mdb", fork_dir + "/data.mdb");
  f.Reopen("mine-ledger");
  Options o;
  o.sync = false;
  auto fork = Ledger::Open(o, fork_dir);
  REQUIRE(fork.ok());
  REQUIRE(f.Do("mine-ledger", "mine-1",
               Shipped{"ORE-1", std::nullopt, "sep-1", 1000000, "sep-ledger"}).ok());
  f.Publish("mine-ledger", 0);
  REQUIRE(f.Hand("mine-ledger", "ORE-1", "sep-ledger").ok());
  {
    Event ev = f.MakeEvent("mine-1", Shipped{"ORE-1", std::nullopt, "sep-9", 1000000,
                                             "other-ledger"});
    REQUIRE((*fork)->LinkParents(&ev).ok());
    auto se = SignEvent(ev, f.key("mine-1"));
    REQUIRE(se.ok());
    REQUIRE((*fork)->Append(*se).ok());
    REQUIRE((*fork)->SignCheckpoint(f.log("mine-ledger")).ok());
    auto bundle = ProveLineage(**fork, "ORE-1");
    REQUIRE(bundle.ok());
    auto ev2 = PrepareCrossLedgerReceipt(f.ledger("other-ledger"), *bundle);
    REQUIRE(ev2.ok());
    auto se2 = SignEvent(*ev2, f.key("sep-9"));
    REQUIRE(se2.ok());
    // Each consignee alone sees nothing wrong.
    REQUIRE(AppendCrossLedgerReceipt(f.ledger("other-ledger"), CrossLedgerReceipt{*se2, *bundle, {}})
                .ok());
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

}  // namespace
}  // namespace retrace
