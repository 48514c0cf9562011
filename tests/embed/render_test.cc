// Lineage pictures, custody timeline and the HTML report.
#include "retrace/render.h"

#include <catch2/catch.hpp>
#include <regex>
#include <set>

#include "retrace/json.h"
#include "testing/test_chain.h"

namespace retrace::testing {
namespace {

std::size_t Count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

TEST_CASE("Lineage DOT puts each material class in one rank and labels edges with mass") {
  TestChain c;
  FiveStage::Build(c);
  auto r = c.ledger().VerifyLot("MAG-1");
  REQUIRE(r.ok());
  std::string dot = LineageToDot(*r);
  CHECK(Count(dot, "rank=same") == 4);  // ore, oxide, metal, magnet
  CHECK(dot.find("\"ORE-1\" -> \"NDPR-1\" [label=\"1.000 t\"") != std::string::npos);
  CHECK(dot.find("fillcolor=\"#ecd9a8\"") != std::string::npos);  // the mine's origin
  CHECK(dot.find("#c62828") == std::string::npos);                 // no finding, no red
}

TEST_CASE("Lineage SVG draws every lot and edge, the target highlighted") {
  TestChain c;
  FiveStage::Build(c);
  auto r = c.ledger().VerifyLot("MAG-1");
  REQUIRE(r.ok());
  std::string svg = LineageToSvg(*r);
  CHECK(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0) == 0);
  CHECK(Count(svg, "<g class=\"lot") == r->lots.size());
  CHECK(Count(svg, "<path class=\"edge") == r->edges.size());
  CHECK(svg.find("class=\"lot origin\" data-lot=\"ORE-1\"") != std::string::npos);
  CHECK(svg.find("class=\"lot target\" data-lot=\"MAG-1\"") != std::string::npos);
  CHECK(LineageToSvg(*r) == svg);  // deterministic
}

TEST_CASE("Findings are drawn in red and listed in the HTML report") {
  TestChain c;
  FiveStage::Build(c);
  auto r = c.ledger().VerifyLot("MAG-1");
  REQUIRE(r.ok());
  VerifyReport bad = *r;
  bad.valid = false;
  bad.findings.push_back({finding::kSignatureInvalid, bad.lots[1].created_seq, bad.lots[1].lot_id,
                          "the signature of <record> does not verify"});
  std::string svg = LineageToSvg(bad);
  CHECK(svg.find("finding\" data-lot=\"" + bad.lots[1].lot_id) != std::string::npos);
  std::string dot = LineageToDot(bad);
  CHECK(dot.find("color=\"#c62828\"") != std::string::npos);
  auto timeline = CustodyTimeline(c.ledger(), bad);
  REQUIRE(timeline.ok());
  std::string html = RenderHtmlReport(bad, *timeline, *c.ledger().Info(), HtmlReportOptions());
  CHECK(html.find("INVALID") != std::string::npos);
  CHECK(html.find("signature_invalid") != std::string::npos);
  CHECK(html.find("&lt;record&gt;") != std::string::npos);  // escaped
  CHECK(html.find("<record>") == std::string::npos);
}

TEST_CASE("The custody timeline lists every record of the lineage once, in log order") {
  TestChain c;
  FiveStage::Build(c);
  auto r = c.ledger().VerifyLot("MAG-1");
  REQUIRE(r.ok());
  auto t = CustodyTimeline(c.ledger(), *r);
  REQUIRE(t.ok());
  std::set<std::uint64_t> seqs;
  for (const auto& l : r->lots) seqs.insert(l.record_seqs.begin(), l.record_seqs.end());
  REQUIRE(t->size() == seqs.size());
  for (std::size_t i = 1; i < t->size(); ++i) CHECK((*t)[i - 1].seq < (*t)[i].seq);
  CHECK(t->front().kind == "extracted");
  CHECK(t->front().summary.find("extracted ORE-1 (1.000 t) at Bayan Obo pit 3") == 0);
  CHECK(t->back().kind == "exported");
  CHECK(t->back().summary.find("to DE") != std::string::npos);
}

TEST_CASE("The HTML report is self-contained: no script, no external reference") {
  TestChain c;
  FiveStage::Build(c);
  auto r = c.ledger().VerifyLot("MAG-1");
  REQUIRE(r.ok());
  auto t = CustodyTimeline(c.ledger(), *r);
  REQUIRE(t.ok());
  HtmlReportOptions o;
  o.generated_at = "2026-03-02T08:00:00Z";
  o.checkpoint_text = "test-ledger\n42\nabc=\n";
  std::string html = RenderHtmlReport(*r, *t, *c.ledger().Info(), o);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(std::regex_search(html, std::regex("(src|href)=")) == false);
  CHECK(html.find("VALID: lot MAG-1") != std::string::npos);
  CHECK(html.find("class=\"origin-bar\" data-origin=\"ORE-1\"") != std::string::npos);
  CHECK(html.find("100.00 %") != std::string::npos);
  CHECK(html.find(HashToHex(r->head_hash)) != std::string::npos);
  CHECK(html.find("<pre class=\"checkpoint\">test-ledger") != std::string::npos);
  CHECK(RenderHtmlReport(*r, *t, *c.ledger().Info(), o) == html);
}

TEST_CASE("JSON forms carry their schema names") {
  TestChain c;
  FiveStage::Build(c);
  auto r = c.ledger().VerifyLot("MAG-1");
  CHECK(LineageToJson(*r).find("\"schema\": \"retrace.lineage/v1\"") != std::string::npos);
  auto info = c.ledger().Info();
  CHECK(LedgerInfoToJson(*info, std::nullopt).find("retrace.info/v1") != std::string::npos);
  auto lot = c.ledger().GetLot("MAG-1");
  CHECK(LotInfoToJson(*lot).find("retrace.lot/v1") != std::string::npos);
  CHECK(LotListToJson({*lot}).find("retrace.lots/v1") != std::string::npos);
  auto recs = c.ledger().LotRecords("MAG-1");
  CHECK(RecordToJson(recs->front()).find("retrace.record/v1") != std::string::npos);
  CHECK(LotRecordsToJson(*lot, *recs).find("retrace.lot_records/v1") != std::string::npos);
}

}  // namespace
}  // namespace retrace::testing

namespace retrace::testing {
namespace {

TEST_CASE("The HTML report shows each origin's kind, compliance and its enterprise's quota use") {
  TestChain c;
  FiveStage::Build(c);
  auto r = c.ledger().VerifyLot("MAG-1");
  REQUIRE(r.ok());
  auto t = CustodyTimeline(c.ledger(), *r);
  REQUIRE(t.ok());
  auto quotas = CustodyQuotas(c.ledger(), *r);
  REQUIRE(quotas.ok());
  REQUIRE_FALSE(quotas->empty());
  for (const QuotaUsage& q : *quotas) CHECK(q.actor_id == "mine-1");
  HtmlReportOptions o;
  o.generated_at = "2026-03-02T08:00:00Z";
  o.quotas = *quotas;
  std::string html = RenderHtmlReport(*r, *t, *c.ledger().Info(), o);
  CHECK(html.find("<table id=\"quotas\">") != std::string::npos);
  CHECK(html.find("mining_rock") != std::string::npos);
  CHECK(html.find(">compliant<") != std::string::npos);

  VerifyReport bad = *r;
  bad.origins[0].compliant = false;
  bad.origins[0].issues = {finding::kQuotaExceeded};
  bad.non_compliant_share_ppm = 1000000;
  html = RenderHtmlReport(bad, *t, *c.ledger().Info(), HtmlReportOptions());
  CHECK(html.find("NOT COMPLIANT <span class=\"mono\">quota_exceeded</span>") != std::string::npos);
  CHECK(html.find("100.00 % of the lot's rare earths come from non-compliant origins") !=
        std::string::npos);
  CHECK(html.find("id=\"quotas-none\"") != std::string::npos);
}

}  // namespace
}  // namespace retrace::testing
