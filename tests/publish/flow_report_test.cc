// The monthly flow report on chains whose figures the test computes
// itself, from the events it appended and the lots' current state.
#include <catch2/catch.hpp>
#include <map>

#include "retrace/flow_report.h"
#include "retrace/note.h"
#include "testing/test_chain.h"

namespace retrace {
namespace {

using testing::FiveStage;
using testing::MakeLot;
using testing::TestChain;

using Key = std::pair<std::string, Element>;  // actor, element

std::uint64_t Reo(Element e, std::uint64_t g) { return ReoEquivalentGrams({ElementMass{e, g}}); }

void Sign(TestChain& c) {
  auto k = NoteSigner::Generate("test-ledger", NoteKeyType::kEd25519);
  REQUIRE(k.ok());
  REQUIRE(c.ledger().SignCheckpoint(**k).ok());
}

std::map<Key, FlowFigures> ByActor(const FlowReport& r, const std::string& origin) {
  std::map<Key, FlowFigures> out;
  for (const FlowRow& row : r.rows) {
    if (row.origin == origin) out[{row.actor_id, row.element}] = row.figures;
  }
  return out;
}

TEST_CASE("The flow report's figures are the month's events in REO, per enterprise and element",
          "[flow]") {
  TestChain c;
  FiveStage::Build(c);  // every event dated 2026-09-21
  // Stock: a lot mine-1 keeps, one it ships that is never received, and a
  // lot in the ledger that an enterprise with a hostile name holds.
  REQUIRE(c.Do("mine-1", Extracted{MakeLot("ORE-2", MaterialClass::kOreConcentrate, 20000,
                                           {{Element::kNd, 1000}, {Element::kLa, 3001}}),
                                   "pit 4"})
              .ok());
  REQUIRE(c.Do("mine-1", Extracted{MakeLot("ORE-3", MaterialClass::kOreConcentrate, 9000,
                                           {{Element::kCe, 700}}),
                                   "pit 5"})
              .ok());
  REQUIRE(c.Do("mine-1", Shipped{"ORE-3", std::nullopt, "sep-1", 9000}).ok());
  Sign(c);

  auto r = ComputeFlowReport({&c.ledger()}, "2026-09");
  REQUIRE(r.ok());
  REQUIRE(r->checkpoints.size() == 1);
  CHECK(r->checkpoints[0].size == c.ledger().Info()->size);
  CHECK(r->checkpoints[0].note == *c.ledger().LatestCheckpoint());
  auto got = ByActor(*r, "test-ledger");

  // Expected, from what was appended (FiveStage's contents).
  std::map<Key, FlowFigures> want;
  auto at = [&](const std::string& a, Element e) -> FlowFigures& { return want[{a, e}]; };
  for (auto [e, g] : {std::pair{Element::kNd, 50000}, {Element::kPr, 15000}, {Element::kDy, 1000}}) {
    at("mine-1", e).extracted += Reo(e, g);
    at("mine-1", e).shipped += Reo(e, g);
    at("sep-1", e).received += Reo(e, g);
  }
  at("mine-1", Element::kNd).extracted += Reo(Element::kNd, 1000);
  at("mine-1", Element::kLa).extracted += Reo(Element::kLa, 3001);
  at("mine-1", Element::kCe).extracted += Reo(Element::kCe, 700);
  at("mine-1", Element::kCe).shipped += Reo(Element::kCe, 700);
  for (auto [e, g] : {std::pair{Element::kNd, 45000}, {Element::kPr, 13000}, {Element::kDy, 900}}) {
    at("sep-1", e).separated += Reo(e, g);
    at("sep-1", e).shipped += Reo(e, g);
    at("smelt-1", e).received += Reo(e, g);
  }
  for (auto [e, g] : {std::pair{Element::kNd, 44000}, {Element::kPr, 12500}, {Element::kDy, 850}}) {
    at("smelt-1", e).smelted += Reo(e, g);
    at("smelt-1", e).shipped += Reo(e, g);
    at("mag-1", e).received += Reo(e, g);
  }
  for (auto [e, g] : {std::pair{Element::kNd, 43000}, {Element::kPr, 12000}, {Element::kDy, 800}}) {
    at("mag-1", e).shipped += Reo(e, g);
    at("exp-1", e).received += Reo(e, g);
    at("exp-1", e).exported += Reo(e, g);
  }
  // Stock, independently: each lot's current state (the month's end is
  // after every record) from the ledger's own lot table.
  auto lots = c.ledger().ListLots();
  REQUIRE(lots.ok());
  for (const std::string& id : *lots) {
    auto l = c.ledger().GetLot(id);
    REQUIRE(l.ok());
    if (l->remaining_g == 0 || l->status == "exported" || l->status == "consumed") continue;
    for (const ElementMass& em : l->lot.content) {
      const std::uint64_t g = static_cast<std::uint64_t>(
          static_cast<unsigned __int128>(em.grams) * l->remaining_g / l->lot.mass_g);
      at(l->custodian, em.element).stock += Reo(em.element, g);
    }
  }
  CHECK(want.at({"mine-1", Element::kLa}).stock == Reo(Element::kLa, 3001));
  CHECK(want.at({"mine-1", Element::kCe}).stock == Reo(Element::kCe, 700));  // in transit
  REQUIRE(got.size() == want.size());
  for (const auto& [k, f] : want) {
    INFO(k.first << " " << ElementSymbol(k.second));
    REQUIRE(got.count(k));
    const FlowFigures& g = got.at(k);
    CHECK(g.extracted == f.extracted);
    CHECK(g.separated == f.separated);
    CHECK(g.smelted == f.smelted);
    CHECK(g.shipped == f.shipped);
    CHECK(g.received == f.received);
    CHECK(g.exported == f.exported);
    CHECK(g.stock == f.stock);
  }
  // Quotas: the book's figures; the month's uses are the month's
  // extractions (whole lots, REO).
  bool rock = false;
  for (const FlowQuota& q : r->quotas) {
    if (q.actor_id == "mine-1" && q.kind == QuotaKind::kMiningRock) {
      rock = true;
      CHECK(q.granted_reo_g == TestChain::kAmpleQuota);
      const std::uint64_t used =
          ReoEquivalentGrams({{Element::kNd, 50000}, {Element::kPr, 15000}, {Element::kDy, 1000}}) +
          ReoEquivalentGrams({{Element::kNd, 1000}, {Element::kLa, 3001}}) +
          ReoEquivalentGrams({{Element::kCe, 700}});
      CHECK(q.used_in_month_reo_g == used);
      CHECK(q.used_reo_g == used);
      CHECK(q.remaining_reo_g == static_cast<std::int64_t>(TestChain::kAmpleQuota - used));
    }
  }
  CHECK(rock);
  // The one hand-over not completed.
  REQUIRE(r->findings.size() == 1);
  CHECK(r->findings[0].code == "shipment_not_received");
  CHECK(r->findings[0].lot_id == "ORE-3");

  // Another month has none of it; the checkpoint is still named.
  auto oct = ComputeFlowReport({&c.ledger()}, "2026-10");
  REQUIRE(oct.ok());
  for (const FlowRow& row : oct->rows) {
    CHECK(row.figures.extracted == 0);
    CHECK(row.figures.shipped == 0);
  }
  CHECK(oct->findings.empty());
  CHECK_FALSE(ComputeFlowReport({&c.ledger()}, "2026-13").ok());
  CHECK_FALSE(ComputeFlowReport({&c.ledger()}, "26-09").ok());
}

TEST_CASE("The flow report names each ledger's checkpoint and reads nothing beyond it", "[flow]") {
  TestChain c;
  FiveStage::Build(c);
  Sign(c);
  const std::uint64_t at_checkpoint = c.ledger().Info()->size;
  // Appended after the checkpoint: not in the report.
  REQUIRE(c.Do("mine-1", Extracted{MakeLot("ORE-LATE", MaterialClass::kOreConcentrate, 5000,
                                           {{Element::kNd, 100}}),
                                   "pit 9"})
              .ok());
  auto r = ComputeFlowReport({&c.ledger()}, "2026-09");
  REQUIRE(r.ok());
  CHECK(r->checkpoints[0].size == at_checkpoint);
  const std::uint64_t nd = ByActor(*r, "test-ledger").at({"mine-1", Element::kNd}).extracted;
  CHECK(nd == Reo(Element::kNd, 50000));
  const std::string json = FlowReportToJson(*r);
  CHECK(json.find("\"schema\": \"retrace.flow-report/v1\"") != std::string::npos);
  CHECK(json.find("\"size\": " + std::to_string(at_checkpoint)) != std::string::npos);
  // A ledger with no checkpoint cannot be reported on.
  TestChain bare;
  CHECK(ComputeFlowReport({&bare.ledger()}, "2026-09").status().code() == StatusCode::kNotFound);
}

TEST_CASE("A signed flow report verifies, and any change to it does not", "[flow]") {
  TestChain c;
  FiveStage::Build(c);
  Sign(c);
  auto r = ComputeFlowReport({&c.ledger()}, "2026-09");
  REQUIRE(r.ok());
  auto monitor = NoteSigner::Generate("monitor.example", NoteKeyType::kEd25519);
  REQUIRE(monitor.ok());
  auto note = SignFlowReport(*r, **monitor);
  REQUIRE(note.ok());
  const std::string json = FlowReportToJson(*r);
  auto month = VerifyFlowReport(*note, json, (*monitor)->verifier());
  REQUIRE(month.ok());
  CHECK(*month == "2026-09");
  std::string altered = json;
  const auto pos = altered.find("\"extracted_reo_g\": ");
  REQUIRE(pos != std::string::npos);
  altered[pos + 19] = altered[pos + 19] == '9' ? '8' : '9';
  CHECK(VerifyFlowReport(*note, altered, (*monitor)->verifier()).status().code() ==
        StatusCode::kVerificationFailed);
  auto other = NoteSigner::Generate("monitor.example", NoteKeyType::kEd25519);
  REQUIRE(other.ok());
  CHECK(VerifyFlowReport(*note, json, (*other)->verifier()).status().code() ==
        StatusCode::kVerificationFailed);
}

TEST_CASE("Hand-overs are matched across ledgers and the renderings escape what they show",
          "[flow]") {
  TestChain a;
  a.Register("mine-1", Role::kMine);
  a.Register("sep-1", Role::kSeparator);
  a.Register("trader<i>", Role::kSmelter);  // a name a page must escape
  REQUIRE(a.Do("mine-1", Extracted{MakeLot("LOT-A", MaterialClass::kOreConcentrate, 1000,
                                           {{Element::kNd, 10}}),
                                   "pit"})
              .ok());
  a.Move("LOT-A", "mine-1", "sep-1");
  a.Move("LOT-A", "sep-1", "trader<i>");
  Sign(a);
  // A second ledger (another origin) in which the same lot id moves between
  // the same parties: its receipt matches its own shipment, not a's.
  Options o;
  auto root = Signer::Generate(Algorithm::kEd25519);
  REQUIRE(root.ok());
  testing::TempDir d;
  auto b = Ledger::Create(o, d.Sub("b"), "ledger-b", **root, "regulator");
  REQUIRE(b.ok());
  auto k = NoteSigner::Generate("ledger-b", NoteKeyType::kEd25519);
  REQUIRE(k.ok());
  REQUIRE((*b)->SignCheckpoint(**k).ok());
  auto r = ComputeFlowReport({&a.ledger(), b->get()}, "2026-09");
  REQUIRE(r.ok());
  CHECK(r->checkpoints.size() == 2);
  CHECK(r->findings.empty());
  const std::string html = FlowReportToHtml(*r);
  CHECK(html.find("trader<i>") == std::string::npos);
  CHECK(html.find("trader&lt;i&gt;") != std::string::npos);
  const std::string csv = FlowReportToCsv(*r);
  CHECK(csv.find("\"trader<i> Co., Ltd.\"") != std::string::npos);  // quoted: it holds a comma
  CHECK(csv.find("finding,") == std::string::npos);  // hand-overs matched
  CHECK(csv.rfind("record,month,origin", 0) == 0);
  const std::string text = FlowReportToText(*r);
  CHECK(text.find("ledger-b") != std::string::npos);
  // The same origin twice is refused.
  CHECK(ComputeFlowReport({&a.ledger(), &a.ledger()}, "2026-09").status().code() ==
        StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace retrace
