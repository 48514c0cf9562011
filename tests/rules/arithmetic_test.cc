// Arithmetic that must not wrap (issue 17 item 4). A lot holds at most 2^53
// g, but one event may name 10,000 lots, so sums over an event's lots -- the
// REO equivalent a separation counts against its quota, the content and
// mass its outputs add up to, a recycling's declared scrap -- can pass 2^64
// g. Each is computed exactly (128 bits) or saturated, and an amount past
// the limits is a refusal or a finding, never a few grams after a wrap.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "model/reo.h"
#include "retrace/ledger.h"
#include "rules/rules.h"
#include "testing/test_chain.h"

namespace retrace {
namespace {

using testing::MakeLot;
using testing::TestChain;
using u128 = unsigned __int128;
constexpr std::uint64_t k2p53 = std::uint64_t{1} << 53;
const u128 k2p64 = u128{1} << 64;

// The REO equivalent of `g` grams of Nd in milligrams, rounded down, from
// docs/verification.md's factor for Nd2O3: (2 x 144.242 + 3 x 15.999) /
// (2 x 144.242) = 336481 / 288484. A reference apart from lib/model/reo.cc.
u128 NdOxideMg(std::uint64_t g) { return u128{g} * 1000 * 336481 / 288484; }

// Content of n lots of 2^53 g of Nd, then one of `last` g: chosen so that
// the REO of all of it is just past 2^64 g (its low 64 bits a few grams).
struct WrapContent {
  std::uint64_t full = 0;  // lots of 2^53 g Nd
  std::uint64_t last = 0;  // grams of Nd in the last lot
  u128 reo_g = 0;          // the exact REO equivalent
};
WrapContent JustPast2p64() {
  WrapContent w;
  const u128 per_lot = NdOxideMg(k2p53);
  const u128 target_mg = k2p64 * 1000;
  w.full = static_cast<std::uint64_t>(target_mg / per_lot);
  const u128 have = per_lot * w.full;
  // The fewest grams of Nd that bring the total to 2^64 g REO or more.
  std::uint64_t g = static_cast<std::uint64_t>((target_mg - have) * 288484 / (u128{1000} * 336481));
  while ((have + NdOxideMg(g)) / 1000 < k2p64) ++g;
  w.last = g;
  w.reo_g = (have + NdOxideMg(g)) / 1000;
  return w;
}

std::vector<ElementMass> Content(const WrapContent& w) {
  std::vector<ElementMass> c(w.full, ElementMass{Element::kNd, k2p53});
  c.push_back({Element::kNd, w.last});
  return c;
}

TEST_CASE("The REO equivalent of content past 2^64 g is exact inside, saturated outside",
          "[arithmetic][quota]") {
  const WrapContent w = JustPast2p64();
  INFO(w.full << " lots of 2^53 g Nd and one of " << w.last << " g");
  REQUIRE(w.full > 1700);
  REQUIRE(w.full < 1800);
  REQUIRE(w.last <= k2p53);
  REQUIRE(w.reo_g >= k2p64);
  REQUIRE(w.reo_g - k2p64 < 1000);  // a 64-bit narrowing would leave < 1,000 g
  const std::vector<ElementMass> content = Content(w);
  CHECK(internal::ReoEquivalentGramsExact(content) == w.reo_g);
  CHECK(ReoEquivalentGrams(content) == std::numeric_limits<std::uint64_t>::max());
  // Below the limit the two agree to the gram.
  std::vector<ElementMass> below(content.begin(), content.end() - 2);
  u128 mg = 0;
  for (const auto& c : below) mg += NdOxideMg(c.grams);
  CHECK(ReoEquivalentGrams(below) == static_cast<std::uint64_t>(mg / 1000));
  CHECK(internal::ReoEquivalentGramsExact(below) == mg / 1000);
}

TEST_CASE("A separation's quota use is its outputs' exact REO, however many", "[arithmetic][quota]") {
  const WrapContent w = JustPast2p64();
  v1::Event ev;
  ev.set_actor_id("sep-1");
  ev.mutable_time()->set_seconds(1790000000);
  auto* t = ev.mutable_transformed();
  const std::vector<ElementMass> content = Content(w);
  for (std::size_t i = 0; i < content.size(); ++i) {
    auto* o = t->add_outputs();
    o->set_lot_id("OX-" + std::to_string(i));
    o->set_material(v1::MATERIAL_SEPARATED_OXIDE);
    o->set_mass_g(k2p53);
    auto* c = o->add_content();
    c->set_element(v1::ELEMENT_ND);
    c->set_grams(content[i].grams);
  }
  auto use = internal::QuotaUseOf(ev, Role::kSeparator);
  REQUIRE(use.has_value());
  CHECK(use->reo_g == w.reo_g);
  CHECK(use->kind == QuotaKind::kSmeltingSeparation);
  CHECK(use->year == 2026);
}

TEST_CASE("A recycling's declared scrap past 2^64 g is not wrapped below its lot",
          "[arithmetic][model]") {
  // 2,048 scrap entries of 2^53 g sum to exactly 2^64 g: a 64-bit sum reads
  // 0 g and refuses the lot as heavier than its scrap.
  Event ev;
  ev.ledger_id = std::string(32, 'a');
  ev.event_id = "ev-1";
  ev.actor_id = "rec-1";
  ev.time = {1790000000, 0};
  Recycled r;
  r.lot = MakeLot("SEC-1", MaterialClass::kMixedCompound, 1000, {{Element::kNd, 100}});
  r.scrap.assign(2048, Additive{"magnet swarf", k2p53});
  r.source = "collection";
  ev.body = r;
  auto bytes = EncodeEvent(ev);
  INFO(bytes.status().ToString());
  CHECK(bytes.ok());
  // And still refused when the scrap truly weighs less than the lot.
  std::get<Recycled>(ev.body).scrap.assign(1, Additive{"magnet swarf", 999});
  auto light = EncodeEvent(ev);
  REQUIRE_FALSE(light.ok());
  CHECK_THAT(light.status().message(), Catch::Contains("weighs more than the declared scrap"));
}

// The issue's attack, end to end: an importer brings in ~1,760 lots of 2^53
// g of Nd, a separator merges them into as many oxide lots, whose REO
// together is 2^64 g and a few grams. Narrowed to 64 bits, that use is a few
// grams and passes a 1,000 g quota; counted exactly it is far over.
TEST_CASE("A separation whose REO passes 2^64 g is over quota, not a few grams",
          "[arithmetic][quota][ledger]") {
  const WrapContent w = JustPast2p64();
  const std::uint64_t n = w.full + 1;
  TestChain c;
  c.Register("imp-1", Role::kImporter);
  c.Register("sep-1", Role::kSeparator, Algorithm::kEd25519, "", /*grant_quota=*/false);
  c.Grant("sep-1", QuotaKind::kSmeltingSeparation, 1000);
  auto run = [&](const std::string& actor, std::vector<Event> events) {
    SignAndAppendOptions o;
    o.batch_signature = true;
    auto r = c.ledger().SignAndAppend(events, c.key(actor), o);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
  };
  std::vector<Event> imports, ships, receipts;
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::string id = "IMP-" + std::to_string(i);
    imports.push_back(c.MakeEvent(
        "imp-1", Imported{MakeLot(id, MaterialClass::kOreConcentrate, k2p53, {{Element::kNd, k2p53}}),
                          "CUS-" + std::to_string(i), "MY"}));
    ships.push_back(c.MakeEvent("imp-1", Shipped{id, std::nullopt, "sep-1", k2p53}));
    receipts.push_back(c.MakeEvent("sep-1", Received{id, std::nullopt, "imp-1", k2p53}));
  }
  run("imp-1", std::move(imports));
  run("imp-1", std::move(ships));
  run("sep-1", std::move(receipts));

  Transformed t;
  const std::vector<ElementMass> content = Content(w);
  for (std::uint64_t i = 0; i < n; ++i) {
    t.inputs.push_back({"IMP-" + std::to_string(i), k2p53, std::nullopt});
    t.outputs.push_back(MakeLot("OX-" + std::to_string(i), MaterialClass::kSeparatedOxide, k2p53,
                                {content[i]}));
  }
  t.process = "solvent extraction";
  auto signed_event = c.Sign("sep-1", t);
  REQUIRE(signed_event.ok());
  auto before = c.ledger().Info();
  REQUIRE(before.ok());

  // Reject mode: refused with the exact figures, nothing written.
  auto refused = c.ledger().Append(*signed_event);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == StatusCode::kFailedPrecondition);
  CHECK_THAT(refused.status().message(), Catch::Contains("quota_exceeded"));
  CHECK_THAT(refused.status().message(),
             Catch::Contains("this record adds " + internal::GramsString(w.reo_g) + " g"));
  auto after = c.ledger().Info();
  REQUIRE(after.ok());
  CHECK(after->size == before->size);
  CHECK(after->head_hash == before->head_hash);

  // Flag mode: recorded and flagged, and every reader says it is over.
  c.Close();
  Options flag;
  flag.sync = false;
  flag.regulatory_violations = RegulatoryMode::kRecordAndFlag;
  auto opened = Ledger::Open(flag, c.path());
  REQUIRE(opened.ok());
  Ledger& ledger = **opened;
  auto appended = ledger.Append(*signed_event);
  INFO(appended.status().ToString());
  REQUIRE(appended.ok());
  REQUIRE(appended->flagged.size() == 1);
  CHECK(appended->flagged[0].code == finding::kQuotaExceeded);
  const std::uint64_t seq = appended->seq;

  auto v = ledger.VerifyLot("OX-" + std::to_string(n - 1));
  REQUIRE(v.ok());
  std::vector<std::string> at_seq;
  for (const auto& f : v->findings) {
    if (f.seq == seq) at_seq.push_back(f.code);
  }
  CHECK(at_seq == std::vector<std::string>{finding::kQuotaExceeded});
  auto a = ledger.Audit();
  REQUIRE(a.ok());
  std::vector<std::string> audit_codes;
  for (const auto& f : a->findings) audit_codes.push_back(f.code + "@" + std::to_string(f.seq));
  CHECK(audit_codes == std::vector<std::string>{std::string(finding::kQuotaExceeded) + "@" +
                                                std::to_string(seq)});
  auto q = ledger.Quotas(2026, "sep-1");
  REQUIRE(q.ok());
  REQUIRE(q->size() == 1);
  const QuotaUsage& usage = q->front();
  CHECK(usage.granted_reo_g == 1000);
  CHECK(usage.used_reo_g == std::numeric_limits<std::uint64_t>::max());  // saturated
  CHECK(usage.remaining_reo_g == -std::numeric_limits<std::int64_t>::max());
  REQUIRE(usage.entries.size() == 2);
  CHECK(usage.entries[1].exceeded);
  CHECK(usage.entries[1].reo_g == std::numeric_limits<std::uint64_t>::max());
}

TEST_CASE("A quota report's remaining figure can be negated without overflow", "[arithmetic][quota]") {
  // A use far past its grant (flag mode): remaining is clamped to
  // -(2^63 - 1), whose negation, as html and text reports show an overrun,
  // is defined.
  TestChain c([] {
    Options o;
    o.regulatory_violations = RegulatoryMode::kRecordAndFlag;
    return o;
  }());
  c.Register("mine-1", Role::kMine, Algorithm::kEd25519, "", /*grant_quota=*/false);
  c.Grant("mine-1", QuotaKind::kMiningRock, 0);
  // 2,000 extractions of 2^53 g Nd: about 1.05e16 g REO each, 2.1e19 g in
  // all, past both 2^63 and 2^64 g.
  std::vector<Event> events;
  for (int i = 0; i < 2000; ++i) {
    events.push_back(c.MakeEvent(
        "mine-1", Extracted{MakeLot("ORE-" + std::to_string(i), MaterialClass::kOreConcentrate, k2p53,
                                    {{Element::kNd, k2p53}}),
                            "pit"}));
  }
  SignAndAppendOptions o;
  o.batch_signature = true;
  auto r = c.ledger().SignAndAppend(events, c.key("mine-1"), o);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  auto q = c.ledger().Quotas(2026, "mine-1");
  REQUIRE(q.ok());
  REQUIRE(q->size() == 1);
  CHECK(q->front().used_reo_g == std::numeric_limits<std::uint64_t>::max());
  CHECK(q->front().remaining_reo_g == -std::numeric_limits<std::int64_t>::max());
  auto a = c.ledger().Audit();
  REQUIRE(a.ok());
  CHECK(a->findings.size() == 2000);  // every extraction over a quota of 0 g
  for (const auto& f : a->findings) CHECK(f.code == finding::kQuotaExceeded);
}

}  // namespace
}  // namespace retrace
