// Time bounds (issue 19, item 3): an append refuses an event dated beyond
// the host's clock plus Options::max_clock_skew_seconds; a lot's record
// dated more than kMaxTimeReversalSeconds before an earlier record of the
// lot is refused by append and reported by verify and audit alike.
#include <catch2/catch.hpp>

#include "retrace/ledger.h"
#include "rules/rules.h"
#include "testing/test_chain.h"

namespace retrace {
namespace {

using testing::OreLot;
using testing::TestChain;


bool HasFinding(const std::vector<Finding>& fs, const std::string& code) {
  for (const auto& f : fs) {
    if (f.code == code) return true;
  }
  return false;
}

TEST_CASE("An event dated beyond the clock skew is refused and the ledger is unchanged",
          "[ledger][rules][time]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("sep-1", Role::kSeparator);
  const std::int64_t now = Now().seconds;
  REQUIRE(c.AppendAt("mine-1", Extracted{OreLot("ORE-1"), "pit"}, now).ok());
  const std::uint64_t size = c.ledger().Info()->size;
  // Six minutes ahead: beyond the default five.
  auto late = c.AppendAt("mine-1", Shipped{"ORE-1", std::nullopt, "sep-1", 1000}, now + 360);
  REQUIRE_FALSE(late.ok());
  CHECK(late.status().code() == StatusCode::kFailedPrecondition);
  CHECK_THAT(late.status().message(), Catch::Contains("time_in_future"));
  CHECK_THAT(late.status().message(), Catch::Contains("max_clock_skew_seconds"));
  CHECK(c.ledger().Info()->size == size);
  CHECK(c.ledger().GetLot("ORE-1")->status == "held");
  // The year 2999, the reproduction.
  auto far = c.AppendAt("mine-1", Shipped{"ORE-1", std::nullopt, "sep-1", 1000}, 32472144000);
  REQUIRE_FALSE(far.ok());
  CHECK_THAT(far.status().message(), Catch::Contains("2999-01-01T00:00:00Z"));
  // Within the skew: accepted.
  CHECK(c.AppendAt("mine-1", Shipped{"ORE-1", std::nullopt, "sep-1", 1000}, now + 240).ok());
}

TEST_CASE("Next year's quota cannot be used today", "[ledger][rules][time][regulatory]") {
  TestChain c;
  c.Register("mine-1", Role::kMine, Algorithm::kEd25519, "", /*grant_quota=*/false);
  const std::int64_t now = Now().seconds;
  const std::uint32_t next_year = internal::UtcYear(now) + 1;
  c.Grant("mine-1", QuotaKind::kMiningRock, 1000000, next_year);
  // 1 January of next year, 00:00 UTC: days from the epoch by the civil
  // calendar (the test finds it by stepping, not by formula).
  std::int64_t jan1 = now;
  while (internal::UtcYear(jan1) != next_year) jan1 += 3600;
  auto r = c.AppendAt("mine-1", Extracted{OreLot("ORE-N"), "pit"}, jan1);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("time_in_future"));
  CHECK(c.ledger().GetLot("ORE-N").status().code() == StatusCode::kNotFound);
}

TEST_CASE("A lot's history may not run backward by more than an hour", "[ledger][rules][time]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("sep-1", Role::kSeparator);
  const std::int64_t t = Now().seconds - 86400;
  REQUIRE(c.AppendAt("mine-1", Extracted{OreLot("ORE-1"), "pit"}, t).ok());
  REQUIRE(c.AppendAt("mine-1", Extracted{OreLot("ORE-2"), "pit"}, t).ok());
  const std::uint64_t size = c.ledger().Info()->size;
  // Two hours before the extraction: refused.
  auto back = c.AppendAt("mine-1", Shipped{"ORE-1", std::nullopt, "sep-1", 1000},
                       t - 2 * 3600);
  REQUIRE_FALSE(back.ok());
  CHECK_THAT(back.status().message(), Catch::Contains("time_reversed"));
  CHECK(c.ledger().Info()->size == size);
  // Within the hour: the clocks of two hosts may disagree that much.
  REQUIRE(c.AppendAt("mine-1", Shipped{"ORE-1", std::nullopt, "sep-1", 1000}, t - 1800).ok());
  // The receipt is judged against the latest time of the lot (t), not the
  // shipment's (t - 1800): steps back cannot add up.
  auto receipt = c.AppendAt("sep-1", Received{"ORE-1", std::nullopt, "mine-1", 1000},
                          t - 3601);
  REQUIRE_FALSE(receipt.ok());
  CHECK_THAT(receipt.status().message(), Catch::Contains("time_reversed"));
  REQUIRE(c.AppendAt("sep-1", Received{"ORE-1", std::nullopt, "mine-1", 1000}, t).ok());
  // A transformation is judged against each input lot's latest time.
  Transformed tr;
  tr.inputs = {{"ORE-1", 1000, std::nullopt}};
  tr.outputs = {testing::MakeLot("OX-1", MaterialClass::kSeparatedOxide, 60,
                                 {{Element::kNd, 50}})};
  tr.declared_loss_g = 940;
  auto early = c.AppendAt("sep-1", tr, t - 7200);
  REQUIRE_FALSE(early.ok());
  CHECK_THAT(early.status().message(), Catch::Contains("time_reversed"));
  REQUIRE(c.AppendAt("sep-1", tr, t + 60).ok());
  auto v = c.ledger().VerifyLot("OX-1");
  REQUIRE(v.ok());
  INFO(VerifyReportToJson(*v));
  CHECK(v->valid);
  auto audit = c.ledger().Audit();
  REQUIRE(audit.ok());
  CHECK(audit->valid);
}

TEST_CASE("Verify and audit report a record dated beyond their own clock's skew",
          "[ledger][verify][time]") {
  // A host whose clock ran a day fast (or whose operator lifted the bound)
  // accepted a record; a verifier with a true clock reports it.
  Options lax;
  lax.max_clock_skew_seconds = 7 * 86400;
  TestChain c(lax);
  c.Register("mine-1", Role::kMine);
  const std::int64_t now = Now().seconds;
  REQUIRE(c.AppendAt("mine-1", Extracted{OreLot("ORE-F"), "pit"}, now + 86400).ok());
  auto v = c.ledger().VerifyLot("ORE-F");
  REQUIRE(v.ok());
  CHECK_FALSE(v->valid);
  CHECK(HasFinding(v->findings, finding::kTimeInFuture));
  auto audit = c.ledger().Audit();
  REQUIRE(audit.ok());
  CHECK_FALSE(audit->valid);
  CHECK(HasFinding(audit->findings, finding::kTimeInFuture));
  // A verifier told to allow that skew finds nothing.
  VerifyOptions vo;
  vo.max_clock_skew_seconds = 2 * 86400;
  auto ok = c.ledger().VerifyLot("ORE-F", vo);
  REQUIRE(ok.ok());
  CHECK(ok->valid);
  AuditOptions ao;
  ao.max_clock_skew_seconds = 2 * 86400;
  auto audit_ok = c.ledger().Audit(ao);
  REQUIRE(audit_ok.ok());
  CHECK(audit_ok->valid);
}

TEST_CASE("A misdated transformation is reported once, however many of its lots the walk reaches",
          "[ledger][verify][time]") {
  Options lax;
  lax.max_clock_skew_seconds = 7 * 86400;
  TestChain c(lax);
  c.Register("mine-1", Role::kMine);
  c.Register("sep-1", Role::kSeparator);
  const std::int64_t now = Now().seconds;
  REQUIRE(c.AppendAt("mine-1", Extracted{OreLot("ORE-A"), "pit"}, now).ok());
  REQUIRE(c.AppendAt("mine-1", Extracted{OreLot("ORE-B"), "pit"}, now).ok());
  for (const char* lot : {"ORE-A", "ORE-B"}) {
    REQUIRE(c.AppendAt("mine-1", Shipped{lot, std::nullopt, "sep-1", 1000}, now).ok());
    REQUIRE(c.AppendAt("sep-1", Received{lot, std::nullopt, "mine-1", 1000}, now).ok());
  }
  Transformed sep;
  sep.inputs = {{"ORE-A", 1000, std::nullopt}, {"ORE-B", 1000, std::nullopt}};
  sep.outputs = {testing::MakeLot("OX-AB", MaterialClass::kSeparatedOxide, 90,
                                  {{Element::kNd, 90}})};
  sep.declared_loss_g = 2000 - 90;
  REQUIRE(c.AppendAt("sep-1", sep, now + 86400).ok());
  const std::uint64_t t_seq = c.ledger().Info()->size - 1;
  // The walk reaches the transformation three times: as the creator of
  // OX-AB and as the last record of each input.
  auto v = c.ledger().VerifyLot("OX-AB");
  REQUIRE(v.ok());
  CHECK_FALSE(v->valid);
  int at_t = 0;
  for (const auto& f : v->findings) {
    if (f.code == finding::kTimeInFuture) {
      CHECK(f.seq == t_seq);
      ++at_t;
    }
  }
  CHECK(at_t == 1);
  auto audit = c.ledger().Audit();
  REQUIRE(audit.ok());
  int in_audit = 0;
  for (const auto& f : audit->findings) in_audit += f.code == finding::kTimeInFuture;
  CHECK(in_audit == 1);
}

TEST_CASE("The time rules at their boundaries", "[rules][time]") {
  v1::Event ev;
  ev.mutable_time()->set_seconds(1000 + 300);
  internal::Violations out;
  internal::CheckEventTime(ev, 1000, 300, &out);
  CHECK(out.empty());
  ev.mutable_time()->set_seconds(1000 + 301);
  internal::CheckEventTime(ev, 1000, 300, &out);
  REQUIRE(out.size() == 1);
  CHECK(std::string(out[0].code) == finding::kTimeInFuture);
  out.clear();
  // A negative skew is none; a huge one saturates rather than wraps.
  ev.mutable_time()->set_seconds(1001);
  internal::CheckEventTime(ev, 1000, -5, &out);
  CHECK(out.size() == 1);
  out.clear();
  internal::CheckEventTime(ev, 1000, std::numeric_limits<std::int64_t>::max(), &out);
  CHECK(out.empty());

  internal::LotView lot;
  lot.lot_id = "L";
  lot.head_time = 10000;
  ev.set_actor_id("a");
  ev.mutable_shipped()->set_lot_id("L");
  ev.mutable_time()->set_seconds(10000 - internal::kMaxTimeReversalSeconds);
  internal::Violations vs;
  internal::ApplyToLot(ev, "a", 5, Hash{}, &lot, &vs);
  bool reversed = false;
  for (const auto& v : vs) reversed |= std::string(v.code) == finding::kTimeReversed;
  CHECK_FALSE(reversed);
  CHECK(lot.head_time == 10000);  // the latest time stays
  ev.mutable_time()->set_seconds(10000 - internal::kMaxTimeReversalSeconds - 1);
  vs.clear();
  internal::ApplyToLot(ev, "a", 6, Hash{}, &lot, &vs);
  reversed = false;
  for (const auto& v : vs) reversed |= std::string(v.code) == finding::kTimeReversed;
  CHECK(reversed);
}

}  // namespace
}  // namespace retrace
