// EPCIS 2.0 export. docs/epcis.md describes the mapping field by field.
//
// A lot export must be importable on its own into a ledger that knows the
// actors, so it carries the lot's *causal past*, not just its lineage: every
// record on the way links (parent hash) to the previous record of each lot it
// touches, and those records -- a consumption of a shared input into a
// sibling lot, say -- change the remaining mass later records are checked
// against. The closure below adds, for each included record, every earlier
// record of every lot it touches, until nothing changes.
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "epcis/epcis_common.h"
#include "retrace/epcis.h"
#include "retrace/hash.h"
#include "util/status_macros.h"

namespace retrace {
namespace {

using json = nlohmann::ordered_json;
using namespace internal::epcis;

// The document's own context, after GS1's (docs/epcis.md, "JSON-LD"): the
// prefix `retrace` for the extension members, and a term definition for
// every member whose value is an object or list of retrace's, with a scoped
// context naming its members, so that a JSON-LD processor expands every key
// of the document to an IRI and compacts it back to the same key. Lists
// are @list (order kept, and a one-entry list stays a list). GS1's context
// leaves the master-data members of its own JSON schema (epcisMasterData,
// vocabularyElementList, attributes, attribute) unmapped and its ontology
// has no terms for them, so they are mapped into the retrace namespace too.
json RetraceContext() {
  auto terms = [](std::initializer_list<const char*> names) {
    json ctx = json::object();
    for (const char* n : names) ctx[n] = std::string("retrace:") + n;
    return ctx;
  };
  json lot = terms({"lotID", "material", "massG", "description", "element", "grams"});
  lot["content"] = {{"@id", "retrace:content"}, {"@container", "@list"}};
  json master = {{"vocabularyElementList", {{"@id", "retrace:vocabularyElementList"}, {"@container", "@list"}}},
                 {"attributes", {{"@id", "retrace:attributes"}, {"@container", "@list"}}},
                 {"attribute", "retrace:attribute"},
                 // GS1's context aliases @id twice (id, eventID), and a
                 // processor compacts an element's @id back to eventID; in
                 // master data only "id" is meant.
                 {"eventID", nullptr}};
  return json{
      {"retrace", kRetraceNamespace},
      {"retrace:ledger",
       {{"@id", "retrace:ledger"}, {"@context", terms({"ledgerID", "name", "treeSize", "headHash"})}}},
      {"retrace:selection",
       {{"@id", "retrace:selection"}, {"@context", terms({"lot", "from", "to"})}}},
      {"retrace:record", {{"@id", "retrace:record"}, {"@context", terms({"seq", "hash"})}}},
      {"retrace:lots", {{"@id", "retrace:lots"}, {"@container", "@list"}, {"@context", lot}}},
      {"retrace:scrap",
       {{"@id", "retrace:scrap"}, {"@container", "@list"}, {"@context", terms({"material", "massG"})}}},
      {"epcisMasterData", {{"@id", "retrace:epcisMasterData"}, {"@context", master}}}};
}

double Kg(std::uint64_t grams) { return static_cast<double>(grams) / 1000.0; }

json Quantity(const char* prefix, std::string_view id, std::uint64_t grams) {
  // Additives are always retrace URNs: an additive named by a URI would
  // otherwise read back as an input lot.
  const std::string cls =
      std::string_view(prefix) == kAdditivePrefix ? Urn(prefix, id) : IdToUri(prefix, id);
  return json{{"epcClass", cls}, {"quantity", Kg(grams)}, {"uom", "KGM"}};
}

json LotJson(const Lot& lot) {
  json content = json::array();
  for (const ElementMass& em : lot.content) {
    content.push_back({{"element", ElementSymbol(em.element)}, {"grams", em.grams}});
  }
  json j = {{"lotID", lot.lot_id},
            {"material", MaterialClassName(lot.material)},
            {"massG", lot.mass_g},
            {"content", content}};
  if (!lot.description.empty()) j["description"] = lot.description;
  return j;
}

json Party(const char* key, std::string_view actor) {
  return json{{"type", "owning_party"}, {key, IdToUri(kActorPrefix, actor)}};
}

std::vector<std::string> Touched(const Event& ev) {
  std::vector<std::string> out;
  if (auto* s = std::get_if<Shipped>(&ev.body)) out.push_back(s->lot_id);
  if (auto* r = std::get_if<Received>(&ev.body)) out.push_back(r->lot_id);
  if (auto* x = std::get_if<Exported>(&ev.body)) out.push_back(x->lot_id);
  if (auto* t = std::get_if<Transformed>(&ev.body)) {
    for (const auto& in : t->inputs) out.push_back(in.lot_id);
  }
  return out;
}

// The EPCIS event for one custody record; null for genesis/registrations.
json EventJson(const Record& rec, const Event& ev, std::set<std::string>* actors) {
  json j;
  const std::string actor_loc = IdToUri(kActorPrefix, ev.actor_id);
  auto common = [&](const char* type) {
    j["type"] = type;
    j["eventID"] = IdToUri(kEventPrefix, ev.event_id);
    j["eventTime"] = FormatTime(ev.time);
    j["eventTimeZoneOffset"] = "+00:00";
  };
  // retrace's own actors are parties and business locations at once; an
  // actor id that is a foreign URI (a GS1 PGLN, say) names a party, not a
  // location, so it is not written as the bizLocation.
  auto biz_location = [&] {
    if (actor_loc != ev.actor_id) j["bizLocation"] = {{"id", actor_loc}};
  };
  bool custody = true;
  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, Extracted>) {
          common("ObjectEvent");
          j["action"] = "ADD";
          j["bizStep"] = "commissioning";
          j["disposition"] = "active";
          if (!b.site.empty()) {
            // A site that is a URI (an SGLN, say) is the read point itself.
            const bool uri = IdToUri(kSitePrefix, b.site) == b.site;
            j["readPoint"] = {{"id", uri ? b.site
                                         : std::string(kSitePrefix) + PctEncode(ev.actor_id) +
                                               ":" + PctEncode(b.site)}};
          }
          biz_location();
          j["quantityList"] = json::array({Quantity(kLotPrefix, b.lot.lot_id, b.lot.mass_g)});
          j["ilmd"] = {{"retrace:lots", json::array({LotJson(b.lot)})}};
          if (!b.site.empty()) j["retrace:site"] = b.site;
          if (!b.licence.empty()) j["retrace:licence"] = b.licence;
          if (b.quota_kind != QuotaKind::kUnspecified) {
            j["retrace:quotaKind"] = QuotaKindName(b.quota_kind);
          }
        } else if constexpr (std::is_same_v<T, Recycled> || std::is_same_v<T, Imported>) {
          common("ObjectEvent");
          j["action"] = "ADD";
          j["bizStep"] = "commissioning";
          j["disposition"] = "active";
          biz_location();
          j["quantityList"] = json::array({Quantity(kLotPrefix, b.lot.lot_id, b.lot.mass_g)});
          if constexpr (std::is_same_v<T, Imported>) {
            if (!b.origin_country.empty()) {
              j["sourceList"] = json::array(
                  {{{"type", "location"}, {"source", Urn(kCountryPrefix, b.origin_country)}}});
            }
          }
          j["ilmd"] = {{"retrace:lots", json::array({LotJson(b.lot)})}};
          if constexpr (std::is_same_v<T, Recycled>) {
            j["retrace:origin"] = "recycled";
            if (!b.source.empty()) j["retrace:source"] = b.source;
            json scrap = json::array();
            for (const Additive& a : b.scrap) scrap.push_back({{"material", a.material}, {"massG", a.mass_g}});
            if (!scrap.empty()) j["retrace:scrap"] = scrap;
          } else {
            j["retrace:origin"] = "imported";
            if (!b.customs_declaration.empty()) j["retrace:customsDeclaration"] = b.customs_declaration;
            if (!b.origin_country.empty()) j["retrace:originCountry"] = b.origin_country;
          }
        } else if constexpr (std::is_same_v<T, Shipped>) {
          common("ObjectEvent");
          j["action"] = "OBSERVE";
          j["bizStep"] = "shipping";
          j["disposition"] = "in_transit";
          biz_location();
          j["quantityList"] = json::array({Quantity(kLotPrefix, b.lot_id, b.mass_g)});
          j["sourceList"] = json::array({Party("source", ev.actor_id)});
          j["destinationList"] = json::array({Party("destination", b.to_actor_id)});
          actors->insert(b.to_actor_id);
        } else if constexpr (std::is_same_v<T, Received>) {
          common("ObjectEvent");
          j["action"] = "OBSERVE";
          j["bizStep"] = "receiving";
          j["disposition"] = "in_progress";
          biz_location();
          j["quantityList"] = json::array({Quantity(kLotPrefix, b.lot_id, b.mass_g)});
          j["sourceList"] = json::array({Party("source", b.from_actor_id)});
          j["destinationList"] = json::array({Party("destination", ev.actor_id)});
          actors->insert(b.from_actor_id);
        } else if constexpr (std::is_same_v<T, Transformed>) {
          common("TransformationEvent");
          j["bizStep"] = "commissioning";
          j["disposition"] = "active";
          biz_location();
          json in = json::array(), out = json::array(), lots = json::array();
          for (const auto& i : b.inputs) in.push_back(Quantity(kLotPrefix, i.lot_id, i.consumed_g));
          for (const auto& a : b.additives) in.push_back(Quantity(kAdditivePrefix, a.material, a.mass_g));
          for (const auto& o : b.outputs) {
            out.push_back(Quantity(kLotPrefix, o.lot_id, o.mass_g));
            lots.push_back(LotJson(o));
          }
          j["inputQuantityList"] = in;
          j["outputQuantityList"] = out;
          j["ilmd"] = {{"retrace:lots", lots}};
          if (!b.process.empty()) j["retrace:process"] = b.process;
          if (b.declared_loss_g) j["retrace:declaredLossG"] = b.declared_loss_g;
        } else if constexpr (std::is_same_v<T, Exported>) {
          common("ObjectEvent");
          j["action"] = "OBSERVE";
          j["bizStep"] = "shipping";
          j["disposition"] = "in_transit";
          biz_location();
          j["quantityList"] = json::array({Quantity(kLotPrefix, b.lot_id, b.mass_g)});
          j["sourceList"] = json::array({Party("source", ev.actor_id)});
          if (!b.destination_country.empty()) {
            j["destinationList"] = json::array(
                {{{"type", "location"}, {"destination", Urn(kCountryPrefix, b.destination_country)}}});
          }
          j["retrace:exported"] = true;
          if (!b.customs_declaration.empty()) j["retrace:customsDeclaration"] = b.customs_declaration;
          if (!b.destination_country.empty()) j["retrace:destinationCountry"] = b.destination_country;
        } else {
          // Genesis, registrations, quota grants, policies, key changes; a
          // reversal is written by Document, as the event it reverses
          // repeated with an errorDeclaration.
          custody = false;
        }
      },
      ev.body);
  if (!custody) return nullptr;
  if (!ev.references.empty()) {
    json bts = json::array();
    for (const Reference& r : ev.references) {
      std::string type =
          IsCbvBizTransactionType(r.kind) ? r.kind : IdToUri(kBizTransactionTypePrefix, r.kind);
      // A business transaction that is a URI already (a GS1 GDTI or a
      // urn:epcglobal:cbv:bt: id) is written as it stands.
      std::string id = IdToUri(kBizTransactionPrefix, r.value) == r.value
                           ? r.value
                           : std::string(kBizTransactionPrefix) + PctEncode(r.kind) + ":" +
                                 PctEncode(r.value);
      bts.push_back({{"type", type}, {"bizTransaction", id}});
    }
    j["bizTransactionList"] = bts;
  }
  j["retrace:actor"] = ev.actor_id;
  j["retrace:record"] = {{"seq", rec.seq}, {"hash", HashToHex(rec.hash)}};
  actors->insert(ev.actor_id);
  return j;
}

std::string NowXsd() { return FormatTime(Timestamp{Now().seconds, 0}); }

Result<std::string> Document(const Ledger& ledger, const std::vector<std::uint64_t>& seqs,
                             const std::map<std::uint64_t, std::pair<Record, Event>>* cache,
                             json selection, const EpcisExportOptions& options) {
  ASSIGN_OR_RETURN(LedgerInfo info, ledger.Info());
  std::set<std::string> actors;
  json events = json::array();
  for (std::uint64_t seq : seqs) {
    Record rec;
    Event ev;
    const std::pair<Record, Event>* cached = nullptr;
    if (cache != nullptr) {
      auto it = cache->find(seq);
      if (it != cache->end()) cached = &it->second;
    }
    if (cached != nullptr) {
      rec = cached->first;
      ev = cached->second;
    } else {
      ASSIGN_OR_RETURN(rec, ledger.ReadRecord(seq));
      Result<Event> decoded = DecodeEvent(rec.event_bytes);
      if (!decoded.ok()) {
        return CorruptionError("record " + std::to_string(seq) +
                               " does not decode: " + decoded.status().message());
      }
      ev = std::move(*decoded);
    }
    json e;
    if (const auto* rv = std::get_if<Reversed>(&ev.body)) {
      // An EPCIS error declaration: the reversed event repeated, with the
      // declaration (docs/epcis.md, "Error declarations").
      ASSIGN_OR_RETURN(Record reversed_rec, ledger.ReadRecord(rv->seq));
      Result<Event> reversed = DecodeEvent(reversed_rec.event_bytes);
      if (!reversed.ok()) {
        return CorruptionError("record " + std::to_string(rv->seq) +
                               " does not decode: " + reversed.status().message());
      }
      e = EventJson(reversed_rec, *reversed, &actors);
      if (!e.is_null()) {
        json d = {{"declarationTime", FormatTime(ev.time)},
                  {"reason", "incorrect_data"},
                  {"retrace:reversalEventID", IdToUri(kEventPrefix, ev.event_id)}};
        if (!rv->reason.empty()) d["retrace:reason"] = rv->reason;
        e["errorDeclaration"] = std::move(d);
      }
    } else {
      e = EventJson(rec, ev, &actors);
    }
    if (!e.is_null()) events.push_back(std::move(e));
  }
  json doc;
  doc["@context"] = json::array({kGs1Context, RetraceContext()});
  doc["type"] = "EPCISDocument";
  doc["schemaVersion"] = "2.0";
  doc["creationDate"] = options.creation_date.empty() ? NowXsd() : options.creation_date;
  doc["retrace:ledger"] = {{"ledgerID", info.ledger_id},
                           {"name", info.name},
                           {"treeSize", info.size},
                           {"headHash", HashToHex(info.head_hash)}};
  doc["retrace:selection"] = std::move(selection);
  if (options.master_data && !actors.empty()) {
    json elements = json::array();
    for (const std::string& a : actors) {
      Result<ActorInfo> ai = ledger.GetActor(a);
      if (!ai.ok()) continue;
      elements.push_back(
          {{"id", IdToUri(kActorPrefix, a)},
           {"attributes",
            json::array({{{"id", "urn:epcglobal:cbv:mda#name"}, {"attribute", ai->legal_name}},
                         {{"id", "urn:retrace:mda:role"}, {"attribute", RoleName(ai->role)}}})}});
    }
    doc["epcisHeader"] = {
        {"epcisMasterData",
         {{"vocabularyList",
           json::array({{{"type", "urn:epcglobal:epcis:vtype:BusinessLocation"},
                         {"vocabularyElementList", elements}}})}}}};
  }
  doc["epcisBody"] = {{"eventList", std::move(events)}};
  return doc.dump(options.indent, ' ', false, json::error_handler_t::replace);
}

}  // namespace

Result<std::string> ExportEpcisRange(const Ledger& ledger, std::uint64_t first_seq,
                                     std::uint64_t last_seq, const EpcisExportOptions& options) {
  ASSIGN_OR_RETURN(LedgerInfo info, ledger.Info());
  if (first_seq > last_seq) {
    return InvalidArgumentError("the range " + std::to_string(first_seq) + ".." +
                                std::to_string(last_seq) + " is empty (first after last)");
  }
  if (last_seq >= info.size) {
    return InvalidArgumentError("record " + std::to_string(last_seq) +
                                " does not exist (the ledger has " + std::to_string(info.size) +
                                " records, 0.." + std::to_string(info.size ? info.size - 1 : 0) +
                                ")");
  }
  std::vector<std::uint64_t> seqs;
  for (std::uint64_t s = first_seq; s <= last_seq; ++s) seqs.push_back(s);
  return Document(ledger, seqs, nullptr, {{"from", first_seq}, {"to", last_seq}}, options);
}

Result<std::string> ExportEpcisLot(const Ledger& ledger, std::string_view lot_id,
                                   const EpcisExportOptions& options) {
  std::map<std::string, std::vector<Record>, std::less<>> lot_records;
  std::map<std::uint64_t, std::pair<Record, Event>> included;
  std::map<std::string, std::uint64_t, std::less<>> bound;  // lot -> last seq needed
  std::vector<std::string> work;

  ASSIGN_OR_RETURN(std::vector<Record> target, ledger.LotRecords(lot_id));
  if (target.empty()) return NotFoundError("lot " + std::string(lot_id) + " has no records");
  bound[std::string(lot_id)] = target.back().seq;
  lot_records.emplace(std::string(lot_id), std::move(target));
  work.emplace_back(lot_id);

  while (!work.empty()) {
    std::string lot = std::move(work.back());
    work.pop_back();
    auto it = lot_records.find(lot);
    if (it == lot_records.end()) {
      ASSIGN_OR_RETURN(std::vector<Record> recs, ledger.LotRecords(lot));
      it = lot_records.emplace(lot, std::move(recs)).first;
    }
    const std::uint64_t limit = bound[lot];
    for (const Record& rec : it->second) {
      if (rec.seq > limit) break;
      if (included.count(rec.seq)) continue;
      Result<Event> ev = DecodeEvent(rec.event_bytes);
      if (!ev.ok()) {
        return CorruptionError("record " + std::to_string(rec.seq) + " of lot " + lot +
                               " does not decode: " + ev.status().message());
      }
      for (const std::string& m : Touched(*ev)) {
        auto b = bound.find(m);
        if (b == bound.end() || b->second < rec.seq) {
          bound[m] = rec.seq;
          work.push_back(m);
        }
      }
      included.emplace(rec.seq, std::make_pair(rec, std::move(*ev)));
    }
  }
  std::vector<std::uint64_t> seqs;
  for (const auto& [seq, _] : included) seqs.push_back(seq);
  return Document(ledger, seqs, &included, {{"lot", std::string(lot_id)}}, options);
}

}  // namespace retrace
