// EPCIS against documents no one here wrote: typed skip decisions,
// identifiers that keep their identity, GS1's own published examples, a
// partner's rare-earth document, and the export forms the JSON-LD check
// (tests/epcis/jsonld_roundtrip.py) reads.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include "embed/embed_fixture.h"
#include "embed/epcis_doc.h"
#include "epcis/epcis_common.h"
#include "retrace/epcis.h"
#include "retrace/event_batch.h"
#include "testing/files.h"

#ifndef RETRACE_EPCIS_TESTDATA
#error "RETRACE_EPCIS_TESTDATA must name tests/epcis"
#endif

namespace retrace::testing {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

using testing::ReadExistingFile;

json Commissioning() {
  return {{"type", "ObjectEvent"},
          {"eventID", "urn:uuid:2"},
          {"eventTime", "2026-01-02T09:00:00Z"},
          {"eventTimeZoneOffset", "+00:00"},
          {"action", "ADD"},
          {"bizStep", "commissioning"},
          {"retrace:actor", "mine-1"},
          {"quantityList", {{{"epcClass", "urn:retrace:lot:ORE-9"}, {"quantity", 3}, {"uom", "TNE"}}}},
          {"ilmd",
           {{"retrace:lots",
             {{{"lotID", "ORE-9"}, {"material", "ore_concentrate"}, {"massG", 3000000}}}}}}};
}

TEST_CASE("EPCIS skips every unmappable kind with a typed reason and refuses what is malformed") {
  struct Case {
    const char* what;
    json event;
    EpcisSkipReason reason;
  };
  std::vector<Case> cases;
  {
    json e = Commissioning();
    e.erase("retrace:actor");  // nor a urn:retrace:actor: bizLocation
    cases.push_back({"signer cannot be determined", e, EpcisSkipReason::kUnknownSigner});
  }
  {
    json e = Commissioning();
    e["ilmd"] = {{"example:batch", "XYZ"}};
    cases.push_back({"created lot without material class", e, EpcisSkipReason::kNoMaterial});
  }
  {
    json e = Shipping();
    e["quantityList"][0]["quantity"] = 1.0004;
    cases.push_back({"quantity not whole grams", e, EpcisSkipReason::kFractionalGrams});
  }
  {
    json e = Shipping();
    e["bizStep"] = "inspecting";
    e.erase("quantityList");
    cases.push_back({"inspecting ObjectEvent without quantityList", e, EpcisSkipReason::kNoCustodyStep});
  }
  {
    json e = Shipping();
    e["action"] = "DELETE";
    cases.push_back({"DELETE", e, EpcisSkipReason::kNoCustodyStep});
  }
  {
    json e = Shipping();
    e.erase("quantityList");
    cases.push_back({"shipping without quantityList", e, EpcisSkipReason::kNoQuantityList});
  }
  {
    json e = Shipping();
    e["epcList"] = {"urn:epc:id:sgtin:4012345.011111.987"};
    cases.push_back({"instance-level epcList", e, EpcisSkipReason::kInstanceLevel});
  }
  {
    json e = Shipping();
    e["quantityList"][0]["uom"] = "EA";
    cases.push_back({"a count", e, EpcisSkipReason::kNotAMass});
  }
  {
    json e = Shipping();
    e["quantityList"][0].erase("uom");
    cases.push_back({"no uom", e, EpcisSkipReason::kNotAMass});
  }
  {
    json e = Shipping();
    e["quantityList"][0].erase("quantity");
    cases.push_back({"no quantity", e, EpcisSkipReason::kNotAMass});
  }
  {
    json e = Shipping();
    e.erase("destinationList");
    cases.push_back({"shipment without consignee", e, EpcisSkipReason::kNoCounterparty});
  }
  {
    json e = Shipping();
    e["bizStep"] = "receiving";
    e.erase("sourceList");
    cases.push_back({"receipt without sender", e, EpcisSkipReason::kNoCounterparty});
  }
  {
    json e = {{"type", "AggregationEvent"}, {"eventTime", "2026-01-02T10:00:00Z"}, {"action", "ADD"}};
    cases.push_back({"AggregationEvent", e, EpcisSkipReason::kEventType});
  }
  {
    json e = {{"type", "TransformationEvent"}, {"eventTime", "2026-01-02T10:00:00Z"},
              {"inputEPCList", {"urn:epc:id:sgtin:4012345.011111.987"}}};
    cases.push_back({"transformation of instances", e, EpcisSkipReason::kInstanceLevel});
  }
  {
    json e = {{"type", "TransformationEvent"}, {"eventTime", "2026-01-02T10:00:00Z"}};
    cases.push_back({"transformation without quantities", e, EpcisSkipReason::kNoQuantityList});
  }
  EpcisImportOptions skip;
  skip.skip_unsupported = true;
  std::set<EpcisSkipReason> seen;
  for (Case& c : cases) {
    INFO(c.what);
    c.event["eventID"] = std::string("urn:uuid:case-") + c.what;
    const std::string doc = Doc({Shipping(), c.event, Commissioning()}).dump();
    // Refused, naming the event and its reason, without the option...
    auto refused = ImportEpcis(doc);
    REQUIRE(refused.status().code() == StatusCode::kInvalidArgument);
    CHECK(refused.status().message().rfind("event 1 (urn:uuid:case-", 0) == 0);
    CHECK(refused.status().message().find(std::string("[") + EpcisSkipReasonName(c.reason) + "]") !=
          std::string::npos);
    // ...skipped and listed with the same typed reason with it; the events
    // around it are converted.
    auto skipped = ImportEpcis(doc, skip);
    REQUIRE(skipped.ok());
    REQUIRE(skipped->skipped.size() == 1);
    CHECK(skipped->skipped[0].reason == c.reason);
    CHECK(skipped->skipped[0].index == 1);
    CHECK(skipped->skipped[0].event_id == std::string("urn:uuid:case-") + c.what);
    CHECK(skipped->skipped[0].message == refused.status().message());
    REQUIRE(skipped->events.size() == 2);
    CHECK(skipped->events[0].event_id == "urn:uuid:1");
    CHECK(skipped->events[1].event_id == "urn:uuid:2");
    seen.insert(c.reason);
  }
  // Every EpcisSkipReason that is still produced has a case
  // (kErrorDeclaration is retired: error declarations import as reversals).
  CHECK(seen.size() == 9);

  // An error declaration of a mappable event is a reversal of what that
  // event made, stated by its actor at the declaration time, naming it by
  // its event id; of an unmappable one, skipped for that event's reason.
  {
    json declared = Shipping();
    declared["eventID"] = "urn:uuid:1";
    declared["errorDeclaration"] = {{"declarationTime", "2026-01-03T00:00:00Z"},
                                    {"reason", "did_not_occur"}};
    auto imported = ImportEpcis(Doc({Shipping(), declared}).dump());
    REQUIRE(imported.ok());
    REQUIRE(imported->events.size() == 2);
    const Event& r = imported->events[1];
    const auto* body = std::get_if<Reversed>(&r.body);
    REQUIRE(body != nullptr);
    CHECK(body->reversed_event_id == imported->events[0].event_id);
    CHECK(r.actor_id == imported->events[0].actor_id);
    CHECK(body->reason == "did_not_occur");
    json instance = Shipping();
    instance.erase("quantityList");
    instance["epcList"] = json::array({"urn:epc:id:sgtin:4012345.011111.1"});
    instance["errorDeclaration"] = {{"declarationTime", "2026-01-03T00:00:00Z"}};
    auto skipped = ImportEpcis(Doc({instance}).dump(), skip);
    REQUIRE(skipped.ok());
    REQUIRE(skipped->skipped.size() == 1);
    CHECK(skipped->skipped[0].reason == EpcisSkipReason::kInstanceLevel);
  }

  // Malformed input is refused with or without the option, naming the event.
  std::vector<std::pair<const char*, json>> malformed;
  {
    json e = {{"type", "AggregationEvent"}, {"eventTime", "yesterday"}};
    malformed.push_back({"xsd:dateTime", e});  // unmappable, but malformed first
  }
  {
    json e = Shipping();
    e["quantityList"][0]["quantity"] = "12.5";
    malformed.push_back({"quantity is not a number", e});
  }
  {
    json e = Shipping();
    e["quantityList"][0]["quantity"] = -1;
    malformed.push_back({"out of range", e});
  }
  {
    json e = Shipping();
    e["quantityList"][0].erase("epcClass");
    malformed.push_back({"no epcClass", e});
  }
  {
    json e = Shipping();
    e["type"] = "Shipment";
    malformed.push_back({"unknown event type", e});
  }
  {
    json e = Shipping();
    e["action"] = "MOVE";
    malformed.push_back({"is not ADD, OBSERVE or DELETE", e});
  }
  {
    json e = Commissioning();
    e["ilmd"]["retrace:lots"][0]["massG"] = 2999999;
    malformed.push_back({"the quantity list says", e});
  }
  {
    json e = Commissioning();
    e["ilmd"]["retrace:lots"][0]["material"] = "unobtainium";
    malformed.push_back({"unknown material class", e});
  }
  {
    json e = Commissioning();
    e["retrace:origin"] = "found";
    malformed.push_back({"is not mine, recycled or imported", e});
  }
  {
    json e = Shipping();
    e["quantityList"][0]["epcClass"] = "urn:retrace:actor:mine-1";
    malformed.push_back({"is not a lot", e});
  }
  {
    json e = Shipping();
    e["eventTime"] = 20260102;
    malformed.push_back({"eventTime is not a string", e});
  }
  for (auto& [words, e] : malformed) {
    INFO(words);
    e["eventID"] = "urn:uuid:bad\x1b[31m";  // escaped in the message
    for (const EpcisImportOptions& o : {EpcisImportOptions{}, skip}) {
      auto r = ImportEpcis(Doc({Shipping(), e}).dump(), o);
      REQUIRE(r.status().code() == StatusCode::kInvalidArgument);
      CHECK(r.status().message().rfind("event 1 (urn:uuid:bad\\x1b[31m)", 0) == 0);
      CHECK(r.status().message().find(words) != std::string::npos);
      CHECK(r.status().message().find('\x1b') == std::string::npos);
    }
  }
}

TEST_CASE("EPCIS import reads the forms a JSON-LD processor compacts to") {
  // A repository that stores JSON-LD may hand back a one-event eventList as
  // the event, and readPoint / bizLocation node references as strings.
  json e = Commissioning();
  e.erase("retrace:actor");
  e["bizLocation"] = "urn:retrace:actor:mine-1";
  e["readPoint"] = "urn:epc:id:sgln:9312345.00010.0";
  json doc = Doc({});
  doc["epcisBody"]["eventList"] = e;
  auto r = ImportEpcis(doc.dump());
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  REQUIRE(r->events.size() == 1);
  CHECK(r->events[0].actor_id == "mine-1");
  CHECK(std::get<Extracted>(r->events[0].body).site == "urn:epc:id:sgln:9312345.00010.0");
}

TEST_CASE("EPCIS identifiers that are URIs are written as they stand, retrace ids as URNs") {
  using namespace internal::epcis;
  // Written as they stand (EPC URNs, GS1 Digital Link, ni: hashes, others).
  for (const char* id : {"urn:epc:class:lgtin:4012345.011111.4444", "urn:epc:id:pgln:9312345.00000",
                         "https://id.gs1.org/01/09506000134352/10/ABC123",
                         "ni:///sha-256;e65c3a997e77f34b58306da7a82ab0fc91c7820013287700f0b50345e5795b97?ver=CBV2.0",
                         "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6", "po:4500012345"}) {
    INFO(id);
    CHECK(IsAbsoluteUri(id));
    CHECK(IdToUri(kLotPrefix, id) == id);
    CHECK(IdFromUri(kLotPrefix, id) == std::optional<std::string>(id));
  }
  // Wrapped: plain ids, strings that are no URI, and ids that look like
  // retrace's own URIs (so that the mapping stays reversible).
  for (const char* id : {"ORE-BYN-00001", "a b:c/d%e", "Ündr€", "1st:lot", "x:", "urn:retrace:lot:X",
                         "urn:retrace:actor:mine-1", "urn:epc:with space"}) {
    INFO(id);
    const std::string uri = IdToUri(kLotPrefix, id);
    CHECK(uri.rfind(kLotPrefix, 0) == 0);
    CHECK(IsAbsoluteUri(uri));
    CHECK(IdFromUri(kLotPrefix, uri) == std::optional<std::string>(id));
  }
  CHECK_FALSE(IsAbsoluteUri(""));
  CHECK_FALSE(IsAbsoluteUri("urn:a<b"));
  CHECK_FALSE(IsAbsoluteUri("urn:a\nb"));
  // A retrace URI of another kind is no lot, and a bad escape no id.
  CHECK_FALSE(IdFromUri(kLotPrefix, "urn:retrace:actor:mine-1").has_value());
  CHECK_FALSE(IdFromUri(kLotPrefix, "urn:retrace:lot:%zz").has_value());
}

TEST_CASE("EPCIS writes an additive named by a URI as an additive, never as a lot") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("sep-1", Role::kSeparator);
  REQUIRE(c.Do("mine-1", Extracted{OreLot("ORE-1", 100000), "pit 3"}).ok());
  c.Move("ORE-1", "mine-1", "sep-1");
  Transformed t;
  t.inputs = {{"ORE-1", 100000, std::nullopt}};
  t.additives = {{"urn:epc:class:lgtin:4012345.000001.FE", 2000}};
  t.outputs = {MakeLot("OUT-1", MaterialClass::kMixedCompound, 90000, {{Element::kNd, 4000}})};
  t.declared_loss_g = 12000;
  REQUIRE(c.Do("sep-1", t).ok());
  auto doc = ExportEpcisLot(c.ledger(), "OUT-1");
  REQUIRE(doc.ok());
  CHECK(doc->find("urn:retrace:additive:urn%3Aepc%3Aclass") != std::string::npos);
  auto back = ImportEpcis(*doc);
  REQUIRE(back.ok());
  const auto& tr = std::get<Transformed>(back->events.back().body);
  REQUIRE(tr.additives.size() == 1);
  CHECK(tr.additives[0].material == "urn:epc:class:lgtin:4012345.000001.FE");
  REQUIRE(tr.inputs.size() == 1);
  CHECK(tr.inputs[0].lot_id == "ORE-1");
}

// A ledger whose actors are the partner document's GS1 parties.
struct PartnerLedger {
  PartnerLedger() {
    c.Register(kMine, Role::kMine, Algorithm::kEd25519, "WA-ML-28/0123");
    c.Register(kSeparator, Role::kSeparator);
    c.Register(kMagnets, Role::kMagnetMaker);
  }
  Result<std::vector<AppendResult>> Import(const std::string& doc, EpcisImportOptions o = {}) {
    auto imported = ImportEpcis(doc, o);
    if (!imported.ok()) return imported.status();
    EventBatch batch(c.ledger());
    for (Event& ev : imported->events) {
      const Signer& key = c.key(ev.actor_id);
      if (Status st = batch.Add(std::move(ev), key); !st.ok()) return st;
    }
    return batch.Commit();
  }
  static constexpr char kMine[] = "urn:epc:id:pgln:9312345.00000";
  static constexpr char kSeparator[] = "urn:epc:id:pgln:9551234.00000";
  static constexpr char kMagnets[] = "urn:epc:id:pgln:4012345.00000";
  TestChain c;
};

// Every identifier of an EPCIS event, by kind.
std::multiset<std::string> Identifiers(const json& e) {
  std::multiset<std::string> out;
  out.insert("eventID " + e.value("eventID", ""));
  for (const char* list : {"quantityList", "inputQuantityList", "outputQuantityList"}) {
    for (const json& q : e.value(list, json::array())) out.insert("epcClass " + q.value("epcClass", ""));
  }
  for (const char* list : {"sourceList", "destinationList"}) {
    for (const json& s : e.value(list, json::array())) {
      out.insert(std::string(list) + " " + s.value("type", "") + " " +
                 s.value(list == std::string("sourceList") ? "source" : "destination", ""));
    }
  }
  for (const json& bt : e.value("bizTransactionList", json::array())) {
    out.insert("bizTransaction " + bt.value("type", "") + " " + bt.value("bizTransaction", ""));
  }
  if (e.contains("readPoint")) out.insert("readPoint " + e["readPoint"].value("id", ""));
  for (const json& l : e.contains("ilmd") ? e["ilmd"].value("retrace:lots", json::array())
                                          : json::array()) {
    out.insert("lotID " + l.value("lotID", ""));
  }
  return out;
}

TEST_CASE("A partner's rare-earth EPCIS document imports, verifies and exports with its identifiers") {
  const std::string text = ReadExistingFile(fs::path(RETRACE_EPCIS_TESTDATA) / "partner" / "rare-earth-partner.jsonld");
  const json partner = json::parse(text);
  PartnerLedger p;
  const std::uint64_t before = p.c.ledger().Info()->size;
  auto appended = p.Import(text);
  INFO(appended.status().ToString());
  REQUIRE(appended.ok());
  CHECK(appended->size() == partner["epcisBody"]["eventList"].size());
  CHECK(p.c.ledger().Info()->size == before + appended->size());

  // The lots keep their LGTINs inside the ledger, and the oxide verifies
  // back to the mine's ore.
  const std::string ore = "urn:epc:class:lgtin:9312345.012345.MW2026-0117";
  const std::string oxide = "urn:epc:class:lgtin:9551234.054321.NDPR-26-0042";
  auto lot = p.c.ledger().GetLot(oxide);
  REQUIRE(lot.ok());
  CHECK(lot->custodian == PartnerLedger::kMagnets);
  auto v = p.c.ledger().VerifyLot(oxide);
  REQUIRE(v.ok());
  CHECK(v->valid);
  REQUIRE(v->origins.size() == 1);
  CHECK(v->origins[0].origin_lot == ore);
  CHECK(p.c.ledger().Audit()->valid);

  // Exported again, every event carries the partner's identifiers exactly.
  EpcisExportOptions o;
  o.creation_date = "2026-03-02T08:00:00Z";
  auto doc = ExportEpcisRange(p.c.ledger(), before, p.c.ledger().Info()->size - 1, o);
  REQUIRE(doc.ok());
  const json out = json::parse(*doc);
  // The partner writes the context retrace documents (docs/epcis.md).
  CHECK(out["@context"] == partner["@context"]);
  const json& in_events = partner["epcisBody"]["eventList"];
  const json& out_events = out["epcisBody"]["eventList"];
  REQUIRE(out_events.size() == in_events.size());
  for (std::size_t i = 0; i < in_events.size(); ++i) {
    INFO("event " << i);
    CHECK(Identifiers(out_events[i]) == Identifiers(in_events[i]));
    CHECK(out_events[i]["eventTime"] != nullptr);
  }
  // And the export imports again as the identical events.
  auto again = ImportEpcis(*doc);
  auto first = ImportEpcis(text);
  REQUIRE(again.ok());
  REQUIRE(first.ok());
  REQUIRE(again->events.size() == first->events.size());
  const std::string ledger_id = p.c.ledger().Info()->ledger_id;
  for (std::size_t i = 0; i < first->events.size(); ++i) {
    INFO("event " << i);
    for (Event* e : {&again->events[i], &first->events[i]}) {
      // What EventBatch would link, set alike so that the rest compares.
      e->ledger_id = ledger_id;
      std::visit(
          [](auto& body) {
            using T = std::decay_t<decltype(body)>;
            if constexpr (std::is_same_v<T, Shipped> || std::is_same_v<T, Received> ||
                          std::is_same_v<T, Exported>) {
              body.parent_hash = Hash{};
            } else if constexpr (std::is_same_v<T, Transformed>) {
              for (auto& in : body.inputs) in.parent_hash = Hash{};
            }
          },
          e->body);
    }
    auto a = EncodeEvent(again->events[i]);
    auto b = EncodeEvent(first->events[i]);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(*a == *b);
  }
}

TEST_CASE("GS1's published EPCIS examples are imported, skipped with reasons, or refused by event") {
  // The expected fate of each example (tests/epcis/gs1/README.md): how many
  // events convert, and the reasons of those skipped.
  struct Fate {
    std::size_t events;
    std::vector<EpcisSkipReason> skipped;
  };
  using R = EpcisSkipReason;
  const std::map<std::string, Fate> expected = {
      {"AssociationEvent-a.jsonld", {0, {R::kEventType}}},
      {"EPCISQueryDocument.jsonld", {0, {R::kInstanceLevel, R::kInstanceLevel}}},
      // Error declarations of instance-level events: skipped for that.
      {"ErrorDeclarationAndCorrectiveEvent.jsonld", {0, {R::kInstanceLevel, R::kInstanceLevel}}},
      {"Example_9.6.1-ObjectEvent-with-error-declaration.jsonld",
       {0, {R::kInstanceLevel, R::kInstanceLevel}}},
      {"Example_9.6.1-ObjectEvent.jsonld", {0, {R::kInstanceLevel, R::kInstanceLevel}}},
      {"Example_9.6.2-ObjectEvent.jsonld", {1, {}}},
      {"Example_9.6.2-ObjectEventWithDigitalLink.jsonld", {1, {}}},
      {"Example_9.6.3-AggregationEvent.jsonld", {0, {R::kEventType}}},
      {"Example_9.6.4-TransformationEvent.jsonld", {0, {R::kInstanceLevel}}},
      {"Example_9.6.4-TransformationEventWithDigitalLink.jsonld", {0, {R::kInstanceLevel}}},
      {"PersistentDisposition-example.jsonld", {0, {R::kInstanceLevel, R::kNoCustodyStep}}},
      {"SensorDataExample1.jsonld", {0, {R::kNoCustodyStep}}},
  };
  EpcisImportOptions skip;
  skip.skip_unsupported = true;
  std::size_t documents = 0, imported = 0, skipped_docs = 0, refused = 0, events = 0, skipped = 0;
  std::map<std::string, int> reasons;
  for (const auto& entry : fs::directory_iterator(fs::path(RETRACE_EPCIS_TESTDATA) / "gs1" / "examples")) {
    const std::string name = entry.path().filename().string();
    INFO(name);
    ++documents;
    const std::string text = ReadExistingFile(entry.path());
    REQUIRE(expected.count(name) == 1);
    const Fate& fate = expected.at(name);
    // Without the option: all converted, or refused naming the first event
    // that cannot be.
    auto strict = ImportEpcis(text);
    if (fate.skipped.empty()) {
      REQUIRE(strict.ok());
    } else {
      REQUIRE(strict.status().code() == StatusCode::kInvalidArgument);
      CHECK(strict.status().message().rfind("event ", 0) == 0);
    }
    // With it: every event is converted or skipped with its reason.
    auto r = ImportEpcis(text, skip);
    REQUIRE(r.ok());
    CHECK(r->events.size() == fate.events);
    std::vector<EpcisSkipReason> got;
    for (const EpcisSkipped& s : r->skipped) {
      got.push_back(s.reason);
      ++reasons[EpcisSkipReasonName(s.reason)];
      CHECK(s.message.rfind("event " + std::to_string(s.index), 0) == 0);
    }
    CHECK(got == fate.skipped);
    events += r->events.size();
    skipped += r->skipped.size();
    if (!r->events.empty()) {
      // Into a ledger that knows the parties: the ledger's own rules decide
      // (these lots were never created here), all or nothing.
      PartnerLedger p;
      for (const Event& ev : r->events) {
        if (!p.c.ledger().GetActor(ev.actor_id).ok()) p.c.Register(ev.actor_id, Role::kSeparator);
      }
      const LedgerInfo before = p.c.ledger().Info().value();
      auto appended = p.Import(text, skip);
      if (appended.ok()) {
        ++imported;
      } else {
        ++refused;
        INFO(appended.status().ToString());
        std::cout << "  " << name << ": the ledger refuses: " << appended.status().ToString() << "\n";
        const LedgerInfo after = p.c.ledger().Info().value();
        CHECK(after.size == before.size);
        CHECK(after.head_hash == before.head_hash);
      }
    } else {
      ++skipped_docs;
    }
  }
  CHECK(documents == expected.size());
  std::cout << "GS1 EPCIS examples: " << documents << " documents; " << imported
            << " imported, " << skipped_docs << " wholly skipped, " << refused
            << " refused by the ledger; events: " << events << " converted, " << skipped
            << " skipped (";
  for (const auto& [reason, n] : reasons) std::cout << " " << reason << " " << n;
  std::cout << " )\n";
}

// Writes every export form to $RETRACE_EPCIS_EXPORT_DIR (when set) for the
// JSON-LD check, tests/epcis/jsonld_test.sh: a lot, a range, the whole log
// with every origin kind and references, without master data, and the
// partner document's records (foreign identifiers).
TEST_CASE("EPCIS export forms for the JSON-LD check", "[epcis-export-forms]") {
  const char* dir = std::getenv("RETRACE_EPCIS_EXPORT_DIR");
  std::map<std::string, std::string> docs;
  EpcisExportOptions o;
  o.creation_date = "2026-03-02T08:00:00Z";
  {
    TestChain c;
    FiveStage::Build(c);
    c.Register("rec-1", Role::kRecycler);
    c.Register("imp-1", Role::kImporter);
    REQUIRE(c.Do("rec-1", Recycled{MakeLot("SCRAP-1", MaterialClass::kMixedCompound, 5000,
                                           {{Element::kNd, 900}}),
                                   {{"magnet swarf", 6000}},
                                   "end-of-life motors"})
                .ok());
    REQUIRE(c.Do("imp-1", Imported{MakeLot("IMP-1", MaterialClass::kOreConcentrate, 8000,
                                           {{Element::kDy, 300}}),
                                   "CUS-IMP-9", "MM"})
                .ok());
    Event ev = c.MakeEvent("mine-1", Extracted{OreLot("ORE-REF"), "pit 3"});
    ev.references = {{"po", "4500001234"}, {"weighbridge_ticket", "WB-77"}};
    REQUIRE(c.ledger().LinkParents(&ev).ok());
    REQUIRE(c.ledger().Append(SignEvent(ev, c.key("mine-1")).value()).ok());
    const std::uint64_t last = c.ledger().Info()->size - 1;
    docs["whole-log.jsonld"] = ExportEpcisRange(c.ledger(), 0, last, o).value();
    docs["lot-MAG-1.jsonld"] = ExportEpcisLot(c.ledger(), "MAG-1", o).value();
    docs["range-3-9.jsonld"] = ExportEpcisRange(c.ledger(), 3, 9, o).value();
    EpcisExportOptions bare = o;
    bare.master_data = false;
    bare.indent = -1;
    docs["lot-NDPR-1-compact-no-master-data.jsonld"] = ExportEpcisLot(c.ledger(), "NDPR-1", bare).value();
  }
  {
    PartnerLedger p;
    const std::uint64_t before = p.c.ledger().Info()->size;
    REQUIRE(p.Import(ReadExistingFile(fs::path(RETRACE_EPCIS_TESTDATA) / "partner" / "rare-earth-partner.jsonld"))
                .ok());
    docs["partner-records.jsonld"] =
        ExportEpcisRange(p.c.ledger(), before, p.c.ledger().Info()->size - 1, o).value();
    docs["partner-lot.jsonld"] =
        ExportEpcisLot(p.c.ledger(), "urn:epc:class:lgtin:9551234.054321.NDPR-26-0042", o).value();
  }
  for (const auto& [name, text] : docs) {
    INFO(name);
    json j = json::parse(text);
    CHECK(j["@context"][1]["retrace"] == "urn:retrace:epcis:v1:");
    if (dir != nullptr) {
      std::ofstream out(fs::path(dir) / name, std::ios::binary);
      out << text;
      REQUIRE(out.good());
    }
  }
}

}  // namespace
}  // namespace retrace::testing
