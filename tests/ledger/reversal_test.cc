// Reversals (ERP corrections): a record voided from here on by a later
// record of its actor or of a regulator, with exact custody and quota
// semantics, applied identically by append, verify, audit, bundles and the
// quota report (docs/data-model.md, "Reversals").
#include <catch2/catch.hpp>

#include "retrace/bundle.h"
#include "retrace/ledger.h"
#include "retrace/note.h"
#include "testing/test_chain.h"

namespace retrace {
namespace {

using testing::FiveStage;
using testing::MakeLot;
using testing::OreLot;
using testing::TestChain;

std::uint64_t Seq(const Result<AppendResult>& r) {
  REQUIRE(r.ok());
  return r->seq;
}

// Reverses record `seq` as `actor` (the ledger fills the hash and the lots).
Result<AppendResult> Reverse(TestChain& c, const std::string& actor, std::uint64_t seq,
                             const Signer* signer = nullptr) {
  return c.AppendAs(actor, signer ? *signer : c.key(actor), Reversed{seq, std::nullopt, {}, "posted in error"});
}

void RequireValidEverywhere(TestChain& c, const std::vector<std::string>& lots) {
  auto audit = c.ledger().Audit();
  REQUIRE(audit.ok());
  INFO(AuditReportToJson(*audit));
  CHECK(audit->valid);
  for (const std::string& lot : lots) {
    auto v = c.ledger().VerifyLot(lot);
    REQUIRE(v.ok());
    INFO(VerifyReportToJson(*v));
    CHECK(v->valid);
  }
}

TEST_CASE("A reversed shipment returns the lot to its sender, who may ship it elsewhere",
          "[reversal]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("sep-1", Role::kSeparator);
  c.Register("sep-2", Role::kSeparator);
  REQUIRE(c.Do("mine-1", Extracted{OreLot("ORE-1"), "pit"}).ok());
  const std::uint64_t shipped = Seq(c.Do("mine-1", Shipped{"ORE-1", std::nullopt, "sep-1", 1000}));
  CHECK(c.ledger().GetLot("ORE-1")->status == "in_transit");
  REQUIRE(Reverse(c, "mine-1", shipped).ok());
  auto lot = c.ledger().GetLot("ORE-1");
  REQUIRE(lot.ok());
  CHECK(lot->status == "held");
  CHECK(lot->custodian == "mine-1");
  CHECK(lot->in_transit_to.empty());
  // sep-1 can no longer receive it; sep-2 can, once shipped there.
  CHECK_FALSE(c.Do("sep-1", Received{"ORE-1", std::nullopt, "mine-1", 1000}).ok());
  c.Move("ORE-1", "mine-1", "sep-2");
  RequireValidEverywhere(c, {"ORE-1"});
}

TEST_CASE("A reversed receipt puts the lot back in transit; then the shipment can be reversed",
          "[reversal]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("sep-1", Role::kSeparator);
  REQUIRE(c.Do("mine-1", Extracted{OreLot("ORE-1"), "pit"}).ok());
  const std::uint64_t shipped = Seq(c.Do("mine-1", Shipped{"ORE-1", std::nullopt, "sep-1", 1000}));
  const std::uint64_t received = Seq(c.Do("sep-1", Received{"ORE-1", std::nullopt, "mine-1", 1000}));
  // The shipment is not the lot's latest record: reverse the receipt first.
  auto early = Reverse(c, "mine-1", shipped);
  REQUIRE_FALSE(early.ok());
  CHECK_THAT(early.status().message(), Catch::Contains("reverse the later records first"));
  REQUIRE(Reverse(c, "sep-1", received).ok());
  auto lot = c.ledger().GetLot("ORE-1");
  CHECK(lot->status == "in_transit");
  CHECK(lot->custodian == "mine-1");
  CHECK(lot->in_transit_to == "sep-1");
  REQUIRE(Reverse(c, "mine-1", shipped).ok());
  CHECK(c.ledger().GetLot("ORE-1")->status == "held");
  RequireValidEverywhere(c, {"ORE-1"});
}

TEST_CASE("A reversed extraction voids its lot and frees its quota from then on", "[reversal]") {
  TestChain c;
  c.Register("mine-1", Role::kMine, Algorithm::kEd25519, "", /*grant_quota=*/false);
  // Ore of 1,000 g with 50 g Nd counts 58 g REO (Nd2O3): room for two.
  c.Grant("mine-1", QuotaKind::kMiningRock, 117);
  const std::uint64_t first = Seq(c.Do("mine-1", Extracted{OreLot("ORE-1"), "pit"}));
  REQUIRE(c.Do("mine-1", Extracted{OreLot("ORE-2"), "pit"}).ok());
  auto over = c.Do("mine-1", Extracted{OreLot("ORE-3"), "pit"});
  REQUIRE_FALSE(over.ok());
  CHECK_THAT(over.status().message(), Catch::Contains("quota_exceeded"));
  REQUIRE(Reverse(c, "mine-1", first).ok());
  CHECK(c.ledger().GetLot("ORE-1")->status == "void");
  REQUIRE(c.Do("mine-1", Extracted{OreLot("ORE-3"), "pit"}).ok());
  auto quotas = c.ledger().Quotas(2026, "mine-1");
  REQUIRE(quotas.ok());
  REQUIRE(quotas->size() == 1);
  const QuotaUsage& q = quotas->front();
  CHECK(q.used_reo_g == 116);
  bool released = false;
  for (const auto& e : q.entries) released = released || (e.release && e.releases == first && e.reo_g == 58);
  CHECK(released);
  // A void lot moves no more.
  auto ship = c.Do("mine-1", Shipped{"ORE-1", std::nullopt, "mine-1x", 1000});
  CHECK_FALSE(ship.ok());
  RequireValidEverywhere(c, {"ORE-1", "ORE-2", "ORE-3"});
}

TEST_CASE("A reversed transformation restores its inputs, voids its outputs, frees its quota",
          "[reversal]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("sep-1", Role::kSeparator);
  REQUIRE(c.Do("mine-1", Extracted{OreLot("ORE-1", 1000000), "pit"}).ok());
  c.Move("ORE-1", "mine-1", "sep-1");
  Transformed t;
  t.inputs = {{"ORE-1", 600000, std::nullopt}};
  t.outputs = {MakeLot("OX-1", MaterialClass::kSeparatedOxide, 30000, {{Element::kNd, 25000}})};
  t.declared_loss_g = 570000;
  const std::uint64_t sep = Seq(c.Do("sep-1", t));
  CHECK(c.ledger().GetLot("ORE-1")->remaining_g == 400000);
  REQUIRE(Reverse(c, "sep-1", sep).ok());
  CHECK(c.ledger().GetLot("ORE-1")->remaining_g == 1000000);
  CHECK(c.ledger().GetLot("ORE-1")->status == "held");
  CHECK(c.ledger().GetLot("OX-1")->status == "void");
  auto q = c.ledger().Quotas(2026, "sep-1");
  REQUIRE(q.ok());
  REQUIRE(q->size() == 1);
  CHECK(q->front().used_reo_g == 0);
  // The whole input may now be consumed again.
  t.inputs = {{"ORE-1", 1000000, std::nullopt}};
  t.outputs = {MakeLot("OX-2", MaterialClass::kSeparatedOxide, 50000, {{Element::kNd, 45000}})};
  t.declared_loss_g = 950000;
  REQUIRE(c.Do("sep-1", t).ok());
  RequireValidEverywhere(c, {"ORE-1", "OX-1", "OX-2"});
}

TEST_CASE("A transformation whose output moved on cannot be reversed", "[reversal]") {
  TestChain c;
  FiveStage::Build(c);
  // The separation at the start of the chain: its outputs went on.
  auto records = c.ledger().LotRecords("NDPR-1");
  REQUIRE(records.ok());
  const std::uint64_t sep = records->front().seq;
  const LedgerInfo before = *c.ledger().Info();
  auto r = Reverse(c, "sep-1", sep);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kFailedPrecondition);
  CHECK_THAT(r.status().message(), Catch::Contains("reverse the later records first"));
  CHECK(c.ledger().Info()->size == before.size);
  CHECK(c.ledger().Info()->head_hash == before.head_hash);
}

TEST_CASE("Only the reversed record's actor or a regulator may reverse it", "[reversal]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("mine-2", Role::kMine);
  const std::uint64_t x = Seq(c.Do("mine-1", Extracted{OreLot("ORE-1"), "pit"}));
  auto other = Reverse(c, "mine-2", x);
  REQUIRE_FALSE(other.ok());
  CHECK_THAT(other.status().message(), Catch::Contains("role_not_allowed"));
  REQUIRE(c.AppendAs("regulator", c.root(), Reversed{x, std::nullopt, {}, "void by order"}).ok());
  CHECK(c.ledger().GetLot("ORE-1")->status == "void");
  RequireValidEverywhere(c, {"ORE-1"});
}

TEST_CASE("A reversal of an authority record, of nothing, or twice is refused", "[reversal]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  const std::uint64_t x = Seq(c.Do("mine-1", Extracted{OreLot("ORE-1"), "pit"}));
  // Record 1 registers mine-1: not custody.
  auto reg = c.AppendAs("regulator", c.root(), Reversed{1, std::nullopt, {"ORE-1"}, ""});
  CHECK_FALSE(reg.ok());
  auto nothing = Reverse(c, "mine-1", 1000);
  CHECK(nothing.status().code() == StatusCode::kNotFound);
  REQUIRE(Reverse(c, "mine-1", x).ok());
  auto twice = Reverse(c, "mine-1", x);
  CHECK_FALSE(twice.ok());
  RequireValidEverywhere(c, {"ORE-1"});
}

TEST_CASE("A reversed export brings the lot back; a bundle of it verifies offline",
          "[reversal][bundle]") {
  TestChain c;
  FiveStage::Build(c);
  auto records = c.ledger().LotRecords("MAG-1");
  REQUIRE(records.ok());
  const std::uint64_t exported = records->back().seq;
  REQUIRE(Reverse(c, "exp-1", exported).ok());
  auto lot = c.ledger().GetLot("MAG-1");
  CHECK(lot->status == "held");
  CHECK(lot->remaining_g == 85000);
  RequireValidEverywhere(c, {"MAG-1"});
  auto log = NoteSigner::Generate("example.org/reversals", NoteKeyType::kEd25519);
  REQUIRE(log.ok());
  REQUIRE(c.ledger().SignCheckpoint(**log).ok());
  auto bundle = ProveLineage(c.ledger(), "MAG-1");
  REQUIRE(bundle.ok());
  auto report = VerifyBundle(*bundle, c.root().public_key(), (*log)->verifier());
  REQUIRE(report.ok());
  CHECK(report->valid);
  CHECK_FALSE(report->history_closed);  // held again: later records may come
}

TEST_CASE("A reversal that names other lots than its record moved is refused", "[reversal]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("sep-1", Role::kSeparator);
  REQUIRE(c.Do("mine-1", Extracted{OreLot("ORE-1"), "pit"}).ok());
  REQUIRE(c.Do("mine-1", Extracted{OreLot("ORE-2"), "pit"}).ok());
  const std::uint64_t shipped = Seq(c.Do("mine-1", Shipped{"ORE-1", std::nullopt, "sep-1", 1000}));
  auto wrong = c.Do("mine-1", Reversed{shipped, std::nullopt, {"ORE-2"}, ""});
  CHECK_FALSE(wrong.ok());
  CHECK(c.ledger().GetLot("ORE-1")->status == "in_transit");
}

}  // namespace
}  // namespace retrace
