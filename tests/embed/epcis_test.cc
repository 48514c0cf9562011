// EPCIS 2.0 export and import: structure, round trips, and refusals.
#include "retrace/epcis.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <vector>

#include "embed/embed_fixture.h"
#include "embed/epcis_doc.h"
#include "epcis/epcis_common.h"
#include "retrace/event_batch.h"

namespace retrace::testing {
namespace {

using json = nlohmann::json;

EpcisExportOptions Fixed() {
  EpcisExportOptions o;
  o.creation_date = "2026-03-02T08:00:00Z";
  return o;
}

// Imports `doc` into `ledger`, signing with the fixture's keys.
Result<std::vector<AppendResult>> ImportInto(Ledger& ledger, const std::string& doc,
                                             const sim::KeyStore& keys) {
  auto imported = ImportEpcis(doc);
  if (!imported.ok()) return imported.status();
  EventBatch batch(ledger);
  for (Event& ev : imported->events) {
    const Signer* s = keys.Find(ev.actor_id);
    if (s == nullptr) return NotFoundError("no key for " + ev.actor_id);
    if (Status st = batch.Add(std::move(ev), *s); !st.ok()) return st;
  }
  return batch.Commit();
}

// The document without what legitimately differs between two ledgers.
json Comparable(const std::string& doc) {
  json j = json::parse(doc);
  j.erase("retrace:ledger");
  for (json& e : j["epcisBody"]["eventList"]) e.erase("retrace:record");
  return j;
}

TEST_CASE("EPCIS lot export is an EPCIS 2.0 document with the mapped event types") {
  SimChain c;
  const std::string lot = c.summary.exported_lot_ids.front();
  auto doc = ExportEpcisLot(*c.a, lot, Fixed());
  REQUIRE(doc.ok());
  json j = json::parse(*doc);
  CHECK(j["type"] == "EPCISDocument");
  CHECK(j["schemaVersion"] == "2.0");
  CHECK(j["@context"][0] == "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld");
  CHECK(j["creationDate"] == "2026-03-02T08:00:00Z");
  std::map<std::string, int> kinds;
  for (const json& e : j["epcisBody"]["eventList"]) {
    std::string k = e["type"].get<std::string>() + "/" + e.value("bizStep", "");
    ++kinds[k];
    CHECK(e.contains("eventTimeZoneOffset"));
    if (e["type"] == "TransformationEvent") {
      for (const json& q : e["inputQuantityList"]) CHECK(q["uom"] == "KGM");
      for (const json& q : e["outputQuantityList"]) CHECK(q["uom"] == "KGM");
      CHECK(e["ilmd"]["retrace:lots"].size() == e["outputQuantityList"].size());
    }
    if (e.value("bizStep", "") == "shipping" && !e.contains("retrace:exported")) {
      CHECK(e["sourceList"][0]["type"] == "owning_party");
      CHECK(e["destinationList"][0]["type"] == "owning_party");
    }
  }
  CHECK(kinds["ObjectEvent/commissioning"] > 0);  // extractions
  CHECK(kinds["TransformationEvent/commissioning"] > 0);
  CHECK(kinds["ObjectEvent/shipping"] > 0);
  CHECK(kinds["ObjectEvent/receiving"] > 0);
  // Master data names the actors.
  CHECK(j["epcisHeader"]["epcisMasterData"]["vocabularyList"][0]["vocabularyElementList"].size() >= 5);
}

TEST_CASE("EPCIS lot export imports into a twin ledger and verifies with the same origins") {
  SimChain c;
  const std::string lot = c.summary.exported_lot_ids.back();
  auto doc = ExportEpcisLot(*c.a, lot, Fixed());
  REQUIRE(doc.ok());
  auto b = c.Twin("b");
  auto appended = ImportInto(*b, *doc, c.keys);
  REQUIRE(appended.ok());
  auto va = c.a->VerifyLot(lot);
  auto vb = b->VerifyLot(lot);
  REQUIRE(va.ok());
  REQUIRE(vb.ok());
  CHECK(vb->valid);
  REQUIRE(va->origins.size() == vb->origins.size());
  for (std::size_t i = 0; i < va->origins.size(); ++i) {
    CHECK(va->origins[i].origin_lot == vb->origins[i].origin_lot);
    CHECK(va->origins[i].share_ppm == vb->origins[i].share_ppm);
    CHECK(va->origins[i].rare_earth_g == vb->origins[i].rare_earth_g);
  }
  // Exported again from the twin, the document is the same.
  auto again = ExportEpcisLot(*b, lot, Fixed());
  REQUIRE(again.ok());
  CHECK(Comparable(*again) == Comparable(*doc));
  // Importing the same document twice is refused (event ids are unique).
  auto twice = ImportInto(*b, *doc, c.keys);
  CHECK(twice.status().code() == StatusCode::kAlreadyExists);
}

TEST_CASE("EPCIS range export of the whole log round-trips every custody record") {
  SimChain c;
  auto size = c.a->Info()->size;
  auto doc = ExportEpcisRange(*c.a, 0, size - 1, Fixed());
  REQUIRE(doc.ok());
  auto b = c.Twin("b");
  auto appended = ImportInto(*b, *doc, c.keys);
  REQUIRE(appended.ok());
  auto audit = b->Audit();
  REQUIRE(audit.ok());
  CHECK(audit->valid);
  auto lots_a = c.a->ListLots();
  auto lots_b = b->ListLots();
  REQUIRE(lots_a.ok());
  REQUIRE(lots_b.ok());
  CHECK(*lots_a == *lots_b);
  for (const std::string& lot : *lots_a) {
    auto la = c.a->GetLot(lot), lb = b->GetLot(lot);
    CHECK(la->remaining_g == lb->remaining_g);
    CHECK(la->status == lb->status);
    CHECK(la->custodian == lb->custodian);
  }
  CHECK(ExportEpcisRange(*c.a, 5, 4).status().code() == StatusCode::kInvalidArgument);
  CHECK(ExportEpcisRange(*c.a, 0, size).status().code() == StatusCode::kInvalidArgument);
  CHECK(ExportEpcisLot(*c.a, "NO-SUCH-LOT").status().code() == StatusCode::kNotFound);
}

// The foreign shipping event (epcis_doc.h) with a purchase-order reference.
json ShippingWithPo() {
  json e = Shipping();
  e["bizTransactionList"] = {{{"type", "po"}, {"bizTransaction", "urn:epcglobal:cbv:bt:4012345000009:PO-77"}}};
  return e;
}

TEST_CASE("EPCIS import reads a foreign shipping event: time zones, units, parties, references") {
  auto r = ImportEpcis(Doc({ShippingWithPo()}).dump());
  REQUIRE(r.ok());
  REQUIRE(r->events.size() == 1);
  const Event& ev = r->events[0];
  CHECK(ev.event_id == "urn:uuid:1");
  CHECK(ev.actor_id == "mine-1");
  CHECK(ev.time.seconds == 1767344400);  // 2026-01-02T09:00:00Z
  CHECK(ev.time.nanos == 500000000);
  const auto& s = std::get<Shipped>(ev.body);
  CHECK(s.lot_id == "ORE-1");
  CHECK(s.mass_g == 12500);
  CHECK(s.to_actor_id == "sep-1");
  REQUIRE(ev.references.size() == 1);
  CHECK(ev.references[0].kind == "po");
  CHECK(ev.references[0].value == "urn:epcglobal:cbv:bt:4012345000009:PO-77");

  json several = ShippingWithPo();
  several["quantityList"].push_back({{"epcClass", "urn:retrace:lot:ORE-2"}, {"quantity", 2}, {"uom", "TNE"}});
  r = ImportEpcis(Doc({several}).dump());
  REQUIRE(r.ok());
  REQUIRE(r->events.size() == 2);  // one shipment per lot
  CHECK(std::get<Shipped>(r->events[1].body).mass_g == 2000000);
  CHECK(r->events[1].event_id == "urn:uuid:1/ORE-2");
}

TEST_CASE("EPCIS import refuses, by event, what the ledger cannot represent") {
  auto refused = [](json ev, const std::string& words) {
    auto r = ImportEpcis(Doc({ShippingWithPo(), ev}).dump());
    INFO(r.status().ToString());
    REQUIRE(r.status().code() == StatusCode::kInvalidArgument);
    CHECK(r.status().message().find("event 1") != std::string::npos);
    CHECK(r.status().message().find(words) != std::string::npos);
  };
  json agg = {{"type", "AggregationEvent"}, {"eventTime", "2026-01-02T10:00:00Z"}};
  refused(agg, "AggregationEvent cannot be represented");
  json count = ShippingWithPo();
  count["quantityList"][0]["uom"] = "EA";
  refused(count, "the ledger records masses");
  json frac = ShippingWithPo();
  frac["quantityList"][0]["quantity"] = 1.0004;
  refused(frac, "not a whole number of grams");
  json epcs = ShippingWithPo();
  epcs.erase("quantityList");
  epcs["epcList"] = {"urn:epc:id:sgtin:4012345.011111.987"};
  refused(epcs, "instance-level epcList");
  json step = ShippingWithPo();
  step["bizStep"] = "inspecting";
  refused(step, "bizStep \"inspecting\" cannot be represented");
  json nobody = ShippingWithPo();
  nobody.erase("sourceList");
  refused(nobody, "cannot tell which actor");
  json badtime = ShippingWithPo();
  badtime["eventTime"] = "2026-01-02 10:00";
  refused(badtime, "xsd:dateTime");
  json wrongtype = ShippingWithPo();
  wrongtype["quantityList"][0]["uom"] = 7;
  auto r = ImportEpcis(Doc({wrongtype}).dump());
  CHECK(r.status().code() == StatusCode::kInvalidArgument);

  CHECK(ImportEpcis("{not json").status().code() == StatusCode::kInvalidArgument);
  CHECK(ImportEpcis("{\"type\":\"Other\"}").status().code() == StatusCode::kInvalidArgument);

  EpcisImportOptions skip;
  skip.skip_unsupported = true;
  auto skipped = ImportEpcis(Doc({agg, ShippingWithPo()}).dump(), skip);
  REQUIRE(skipped.ok());
  CHECK(skipped->events.size() == 1);
  REQUIRE(skipped->skipped.size() == 1);
  CHECK(skipped->skipped[0].reason == EpcisSkipReason::kEventType);
}

TEST_CASE("EPCIS times and identifiers round-trip exactly") {
  using namespace internal::epcis;
  for (Timestamp t : {Timestamp{0, 0}, Timestamp{1772438400, 1}, Timestamp{1772438400, 120000000},
                      Timestamp{4102444799, 999999999}}) {
    auto back = ParseTime(FormatTime(t));
    REQUIRE(back.ok());
    CHECK(back->seconds == t.seconds);
    CHECK(back->nanos == t.nanos);
  }
  CHECK(ParseTime("2026-03-02T08:00:00-05:30")->seconds == 1772438400 + 5 * 3600 + 1800);
  CHECK_FALSE(ParseTime("2026-13-02T08:00:00Z").ok());
  CHECK_FALSE(ParseTime("2026-03-02T08:00:00").ok());
  for (std::string id : {"ORE-1", "a b:c/d%e", "Ündr€", ""}) {
    CHECK(FromUrn(kLotPrefix, Urn(kLotPrefix, id)) == id);
  }
  CHECK_FALSE(PctDecode("%4").has_value());
  CHECK_FALSE(PctDecode("%zz").has_value());
}

}  // namespace
}  // namespace retrace::testing

namespace retrace::testing {
namespace {

// Sets the parts the importer leaves to EventBatch (ledger id, parent
// hashes) from the stored event, so the two can be compared as bytes.
void LinkLike(const Event& stored, Event* imported) {
  imported->ledger_id = stored.ledger_id;
  std::visit(
      [&](auto& b) {
        using T = std::decay_t<decltype(b)>;
        const T* s = std::get_if<T>(&stored.body);
        if (s == nullptr) return;
        if constexpr (std::is_same_v<T, Shipped> || std::is_same_v<T, Received> ||
                      std::is_same_v<T, Exported>) {
          b.parent_hash = s->parent_hash;
        } else if constexpr (std::is_same_v<T, Transformed>) {
          for (std::size_t i = 0; i < b.inputs.size() && i < s->inputs.size(); ++i) {
            b.inputs[i].parent_hash = s->inputs[i].parent_hash;
          }
        }
      },
      imported->body);
}

TEST_CASE("EPCIS export then import gives back byte-identical events, every origin kind included") {
  TestChain c;
  FiveStage::Build(c);
  c.Register("rec-1", Role::kRecycler);
  c.Register("imp-1", Role::kImporter);
  REQUIRE(c.Do("rec-1", Recycled{MakeLot("SCRAP-1", MaterialClass::kMixedCompound, 5000,
                                         {{Element::kNd, 900}}),
                                 {{"magnet swarf", 6000}},
                                 "end-of-life motors, Ningbo"})
              .ok());
  REQUIRE(c.Do("imp-1", Imported{MakeLot("IMP-1", MaterialClass::kOreConcentrate, 8000,
                                         {{Element::kDy, 300}}),
                                 "CUS-IMP-9", "MM"})
              .ok());
  auto size = c.ledger().Info()->size;
  auto doc = ExportEpcisRange(c.ledger(), 0, size - 1, Fixed());
  REQUIRE(doc.ok());
  auto imported = ImportEpcis(*doc);
  REQUIRE(imported.ok());
  std::size_t compared = 0;
  std::size_t next = 0;
  for (std::uint64_t seq = 0; seq < size; ++seq) {
    auto rec = c.ledger().ReadRecord(seq);
    REQUIRE(rec.ok());
    auto stored = DecodeEvent(rec->event_bytes);
    REQUIRE(stored.ok());
    const char* kind = EventKindName(stored->body);
    bool custody = std::string(kind) == "extracted" || std::string(kind) == "shipped" ||
                   std::string(kind) == "received" || std::string(kind) == "transformed" ||
                   std::string(kind) == "exported" || std::string(kind) == "recycled" ||
                   std::string(kind) == "imported";
    if (!custody) continue;
    REQUIRE(next < imported->events.size());
    Event ev = imported->events[next++];
    LinkLike(*stored, &ev);
    auto bytes = EncodeEvent(ev);
    REQUIRE(bytes.ok());
    INFO("record " << seq << " (" << kind << ")");
    CHECK(*bytes == rec->event_bytes);
    ++compared;
  }
  CHECK(next == imported->events.size());
  CHECK(compared >= 15);
  json j = json::parse(*doc);
  int recycled = 0, imported_kind = 0;
  for (const json& e : j["epcisBody"]["eventList"]) {
    if (e.value("retrace:origin", "") == "recycled") ++recycled;
    if (e.value("retrace:origin", "") == "imported") {
      ++imported_kind;
      CHECK(e["sourceList"][0]["source"] == "urn:retrace:country:MM");
    }
  }
  CHECK(recycled == 1);
  CHECK(imported_kind == 1);
}

TEST_CASE("A reversal exports as an EPCIS error declaration and imports back as the same reversal",
          "[reversal]") {
  SimChain c;
  const std::string lot = c.summary.exported_lot_ids.back();
  auto records = c.a->LotRecords(lot);
  REQUIRE(records.ok());
  const Record& exported = records->back();
  auto ev = DecodeEvent(exported.event_bytes);
  REQUIRE(ev.ok());
  const Signer* exporter = c.keys.Find(ev->actor_id);
  REQUIRE(exporter != nullptr);
  Event reversal;
  reversal.event_id = "ERP-REV-1";
  reversal.actor_id = ev->actor_id;
  reversal.time = {ev->time.seconds + 3600, 0};
  reversal.body = Reversed{exported.seq, std::nullopt, {}, "customs declaration withdrawn", ""};
  REQUIRE(c.a->LinkParents(&reversal).ok());
  auto se = SignEvent(reversal, *exporter);
  REQUIRE(se.ok());
  REQUIRE(c.a->Append(*se).ok());
  CHECK(c.a->GetLot(lot)->status == "held");

  auto doc = ExportEpcisLot(*c.a, lot, Fixed());
  REQUIRE(doc.ok());
  json j = json::parse(*doc);
  int declarations = 0;
  for (const json& e : j["epcisBody"]["eventList"]) {
    if (!e.contains("errorDeclaration")) continue;
    ++declarations;
    // The reversed event, repeated with the same eventID, and the reversal's
    // own id and reason in the declaration.
    CHECK(e["errorDeclaration"]["retrace:reversalEventID"] == "urn:retrace:event:ERP-REV-1");
    CHECK(e["errorDeclaration"]["retrace:reason"] == "customs declaration withdrawn");
  }
  CHECK(declarations == 1);

  auto b = c.Twin("b");
  auto appended = ImportInto(*b, *doc, c.keys);
  REQUIRE(appended.ok());
  CHECK(b->GetLot(lot)->status == "held");
  auto vb = b->VerifyLot(lot);
  REQUIRE(vb.ok());
  CHECK(vb->valid);
  auto again = ExportEpcisLot(*b, lot, Fixed());
  REQUIRE(again.ok());
  CHECK(Comparable(*again) == Comparable(*doc));
}

}  // namespace
}  // namespace retrace::testing
