// EPCIS 2.0 import: EPCIS events -> unsigned custody events.
//
// The importer reads what any EPCIS 2.0 JSON-LD producer writes (standard
// fields, CBV terms in their bare JSON-LD form or as full URIs) and uses the
// `retrace:` extension members when present, so a document written by
// ExportEpcis* comes back as the identical events. Everything the ledger
// cannot represent is refused with the event's index and eventID, never
// silently dropped (unless the caller asked to skip it, and then it is
// listed).
#include <cmath>
#include <optional>

#include <nlohmann/json.hpp>

#include "epcis/epcis_common.h"
#include "retrace/epcis.h"
#include "retrace/hash.h"
#include "util/status_macros.h"

namespace retrace {
namespace {

using json = nlohmann::json;
using namespace internal::epcis;

// CBV terms may come bare ("shipping") or as URIs
// ("https://ref.gs1.org/cbv/BizStep-shipping", "urn:epcglobal:cbv:bizstep:shipping").
std::string CbvTerm(const json& v) {
  if (!v.is_string()) return "";
  std::string s = v.get<std::string>();
  for (const char* p : {"https://ref.gs1.org/cbv/BizStep-", "https://ref.gs1.org/cbv/Disp-",
                        "https://ref.gs1.org/cbv/SDT-", "https://ref.gs1.org/cbv/BTT-",
                        "urn:epcglobal:cbv:bizstep:", "urn:epcglobal:cbv:disp:",
                        "urn:epcglobal:cbv:sdt:", "urn:epcglobal:cbv:btt:"}) {
    std::string_view prefix(p);
    if (s.rfind(prefix, 0) == 0) return s.substr(prefix.size());
  }
  return s;
}

// An error about one EPCIS event.
struct Ctx {
  std::size_t index;
  std::string id;
  Status Error(const std::string& what) const {
    std::string name = "event " + std::to_string(index);
    if (!id.empty()) name += " (" + id + ")";
    return InvalidArgumentError(name + ": " + what);
  }
};

// Whole grams from a quantity element. Accepts KGM, GRM and TNE.
Result<std::uint64_t> Grams(const Ctx& c, const json& q) {
  if (!q.contains("quantity") || !q["quantity"].is_number()) {
    return c.Error("a quantity element has no numeric quantity; the ledger records masses");
  }
  std::string uom = q.value("uom", std::string());
  double factor;
  if (uom == "KGM") {
    factor = 1000;
  } else if (uom == "GRM") {
    factor = 1;
  } else if (uom == "TNE") {
    factor = 1e6;
  } else {
    return c.Error("quantity in unit \"" + (uom.empty() ? std::string("(none: a count)") : uom) +
                   "\" cannot be represented: the ledger records masses (use uom KGM, GRM or TNE)");
  }
  double g = q["quantity"].get<double>() * factor;
  if (!std::isfinite(g) || g < 0 || g > 9.0e15) return c.Error("quantity out of range");
  double r = std::round(g);
  // Above 2^53 g a double cannot hold a fraction; below, 1 mg of slack
  // absorbs the decimal -> binary rounding of a kg value.
  if (std::fabs(g - r) > 1e-3 && std::fabs(g - r) > std::fabs(g) * 1e-12) {
    return c.Error("quantity " + q["quantity"].dump() + " " + uom +
                   " is not a whole number of grams; the ledger records whole grams");
  }
  return static_cast<std::uint64_t>(r);
}

Result<std::string> LotOf(const Ctx& c, const json& q) {
  std::string cls = q.value("epcClass", std::string());
  if (auto id = FromUrn(kLotPrefix, cls)) return *id;
  if (cls.empty()) return c.Error("a quantity element has no epcClass");
  // A foreign class identifier (LGTIN, GS1 Digital Link...) names the lot as is.
  return cls;
}

Result<Lot> LotFromIlmd(const Ctx& c, const json& ilmd, const std::string& lot_id,
                        std::uint64_t mass_g) {
  Lot lot;
  lot.lot_id = lot_id;
  lot.mass_g = mass_g;
  const json* entry = nullptr;
  if (ilmd.is_object() && ilmd.contains("retrace:lots") && ilmd["retrace:lots"].is_array()) {
    for (const json& l : ilmd["retrace:lots"]) {
      if (l.is_object() && l.value("lotID", std::string()) == lot_id) entry = &l;
    }
  }
  if (entry == nullptr) {
    return c.Error("lot " + lot_id +
                   " has no ilmd retrace:lots entry naming its material class; the ledger "
                   "needs a material class for every lot it creates");
  }
  Result<MaterialClass> m = ParseMaterial(entry->value("material", std::string()));
  if (!m.ok()) return c.Error("lot " + lot_id + ": " + m.status().message());
  lot.material = *m;
  if (entry->contains("massG")) {
    const json& mg = (*entry)["massG"];
    if (!mg.is_number_unsigned()) return c.Error("lot " + lot_id + ": massG is not a whole number");
    if (mg.get<std::uint64_t>() != mass_g) {
      return c.Error("lot " + lot_id + ": the ilmd says " + mg.dump() +
                     " g but the quantity list says " + std::to_string(mass_g) + " g");
    }
  }
  if (entry->contains("content")) {
    if (!(*entry)["content"].is_array()) return c.Error("lot " + lot_id + ": content is not a list");
    for (const json& em : (*entry)["content"]) {
      if (!em.is_object() || !em.contains("grams") || !em["grams"].is_number_unsigned()) {
        return c.Error("lot " + lot_id + ": a content entry needs element and whole grams");
      }
      Result<Element> e = ParseElement(em.value("element", std::string()));
      if (!e.ok()) return c.Error("lot " + lot_id + ": " + e.status().message());
      lot.content.push_back({*e, em["grams"].get<std::uint64_t>()});
    }
  }
  lot.description = entry->value("description", std::string());
  return lot;
}

// The actor named by the first source/destination of type owning_party (or
// possessing_party) in `list`.
std::optional<std::string> PartyIn(const json& ev, const char* list, const char* key) {
  if (!ev.contains(list) || !ev[list].is_array()) return std::nullopt;
  for (const char* wanted : {"owning_party", "possessing_party"}) {
    for (const json& e : ev[list]) {
      if (!e.is_object() || CbvTerm(e.value("type", json())) != wanted) continue;
      std::string uri = e.value(key, std::string());
      if (auto id = FromUrn(kActorPrefix, uri)) return id;
      if (!uri.empty()) return uri;
    }
  }
  return std::nullopt;
}

std::optional<std::string> CountryIn(const json& ev) {
  if (!ev.contains("destinationList") || !ev["destinationList"].is_array()) return std::nullopt;
  for (const json& e : ev["destinationList"]) {
    if (!e.is_object() || CbvTerm(e.value("type", json())) != "location") continue;
    if (auto cc = FromUrn(kCountryPrefix, e.value("destination", std::string()))) return cc;
  }
  return std::nullopt;
}

std::string Str(const json& ev, const char* key) {
  auto it = ev.find(key);
  return it != ev.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Result<std::vector<Event>> Convert(const json& ev, const Ctx& c) {
  const std::string type = Str(ev, "type");
  if (type == "AggregationEvent" || type == "AssociationEvent" || type == "TransactionEvent") {
    return c.Error(type + " cannot be represented: the ledger records extraction, shipment, "
                          "receipt, transformation and export of lots (ObjectEvent and "
                          "TransformationEvent)");
  }
  if (type != "ObjectEvent" && type != "TransformationEvent") {
    return c.Error("unknown event type \"" + type + "\"");
  }
  if (ev.contains("errorDeclaration")) {
    return c.Error("an error declaration (a retraction of an earlier event) cannot be "
                   "represented: ledger records are append-only; record a correcting event");
  }
  Event base;
  // Event id: ours back, a foreign URI as is, or a digest of the event.
  std::string event_uri = Str(ev, "eventID");
  if (auto id = FromUrn(kEventPrefix, event_uri)) {
    base.event_id = *id;
  } else if (!event_uri.empty() && event_uri.size() <= 256) {
    base.event_id = event_uri;
  } else {
    base.event_id = "epcis-" + HashToHex(Sha256(ev.dump())).substr(0, 32);
  }
  std::string when = Str(ev, "eventTime");
  if (when.empty()) return c.Error("eventTime is missing");
  Result<Timestamp> t = ParseTime(when);
  if (!t.ok()) return c.Error("eventTime " + t.status().message());
  base.time = *t;
  if (ev.contains("bizTransactionList")) {
    if (!ev["bizTransactionList"].is_array()) return c.Error("bizTransactionList is not a list");
    for (const json& bt : ev["bizTransactionList"]) {
      if (!bt.is_object()) return c.Error("a bizTransactionList entry is not an object");
      std::string type_uri = bt.contains("type") ? CbvTerm(bt["type"]) : "";
      std::string kind = FromUrn(kBizTransactionTypePrefix, type_uri).value_or(type_uri);
      std::string uri = Str(bt, "bizTransaction");
      std::string value = uri;
      std::string_view rest(uri);
      if (rest.rfind(kBizTransactionPrefix, 0) == 0) {
        rest.remove_prefix(std::string_view(kBizTransactionPrefix).size());
        auto colon = rest.find(':');
        if (colon != std::string_view::npos) {
          auto k = PctDecode(rest.substr(0, colon));
          auto v = PctDecode(rest.substr(colon + 1));
          if (k && v) {
            if (kind.empty()) kind = *k;
            value = *v;
          }
        }
      }
      if (kind.empty()) kind = "bizTransaction";
      base.references.push_back({kind, value});
    }
  }
  std::string biz_step = CbvTerm(ev.value("bizStep", json()));
  std::string signer = Str(ev, "retrace:actor");
  std::optional<std::string> location;
  if (ev.contains("bizLocation") && ev["bizLocation"].is_object()) {
    location = FromUrn(kActorPrefix, Str(ev["bizLocation"], "id"));
  }
  auto need_signer = [&](std::optional<std::string> fallback, const char* from) -> Status {
    if (signer.empty() && fallback) signer = *fallback;
    if (signer.empty()) {
      return c.Error(std::string("cannot tell which actor states this event: add \"retrace:actor\" "
                                 "or ") + from);
    }
    base.actor_id = signer;
    return Status::Ok();
  };

  std::vector<Event> out;
  if (type == "TransformationEvent") {
    RETURN_IF_ERROR(need_signer(location, "a bizLocation urn:retrace:actor: id"));
    Transformed tr;
    if (ev.contains("inputEPCList") || ev.contains("outputEPCList")) {
      return c.Error("instance-level EPC lists cannot be represented: the ledger tracks lots by "
                     "mass (use inputQuantityList / outputQuantityList)");
    }
    if (!ev.contains("inputQuantityList") || !ev["inputQuantityList"].is_array() ||
        !ev.contains("outputQuantityList") || !ev["outputQuantityList"].is_array()) {
      return c.Error("a transformation needs inputQuantityList and outputQuantityList");
    }
    for (const json& q : ev["inputQuantityList"]) {
      ASSIGN_OR_RETURN(std::uint64_t g, Grams(c, q));
      std::string cls = q.value("epcClass", std::string());
      if (auto add = FromUrn(kAdditivePrefix, cls)) {
        tr.additives.push_back({*add, g});
        continue;
      }
      ASSIGN_OR_RETURN(std::string lot, LotOf(c, q));
      tr.inputs.push_back({lot, g, std::nullopt});
    }
    const json ilmd = ev.value("ilmd", json::object());
    for (const json& q : ev["outputQuantityList"]) {
      ASSIGN_OR_RETURN(std::uint64_t g, Grams(c, q));
      ASSIGN_OR_RETURN(std::string lot, LotOf(c, q));
      ASSIGN_OR_RETURN(Lot l, LotFromIlmd(c, ilmd, lot, g));
      tr.outputs.push_back(std::move(l));
    }
    tr.process = Str(ev, "retrace:process");
    if (ev.contains("retrace:declaredLossG")) {
      if (!ev["retrace:declaredLossG"].is_number_unsigned()) {
        return c.Error("retrace:declaredLossG is not a whole number of grams");
      }
      tr.declared_loss_g = ev["retrace:declaredLossG"].get<std::uint64_t>();
    }
    base.body = std::move(tr);
    out.push_back(std::move(base));
    return out;
  }

  // ObjectEvent.
  if (ev.contains("epcList") && !ev.contains("quantityList")) {
    return c.Error("instance-level epcList cannot be represented: the ledger tracks lots by mass "
                   "(use quantityList with uom KGM)");
  }
  if (!ev.contains("quantityList") || !ev["quantityList"].is_array() ||
      ev["quantityList"].empty()) {
    return c.Error("an ObjectEvent needs a quantityList naming the lot(s) and their mass");
  }
  std::string action = Str(ev, "action");
  std::vector<std::pair<std::string, std::uint64_t>> lots;
  for (const json& q : ev["quantityList"]) {
    ASSIGN_OR_RETURN(std::uint64_t g, Grams(c, q));
    ASSIGN_OR_RETURN(std::string lot, LotOf(c, q));
    lots.emplace_back(lot, g);
  }
  auto each = [&](auto make) -> Status {
    for (const auto& [lot, g] : lots) {
      Event e = base;
      if (lots.size() > 1) e.event_id = base.event_id + "/" + lot;
      e.body = make(lot, g);
      out.push_back(std::move(e));
    }
    return Status::Ok();
  };
  if (action == "ADD" && (biz_step == "commissioning" || biz_step.empty())) {
    RETURN_IF_ERROR(need_signer(location, "a bizLocation urn:retrace:actor: id"));
    const json ilmd = ev.value("ilmd", json::object());
    // An origin: mined (the default), recycled, or imported (named by
    // retrace:origin, or by a source location that is a country).
    std::string origin = Str(ev, "retrace:origin");
    std::optional<std::string> from_country;
    if (ev.contains("sourceList") && ev["sourceList"].is_array()) {
      for (const json& e : ev["sourceList"]) {
        if (!e.is_object() || CbvTerm(e.value("type", json())) != "location") continue;
        from_country = FromUrn(kCountryPrefix, e.value("source", std::string()));
      }
    }
    if (origin.empty() && from_country) origin = "imported";
    if (!origin.empty() && origin != "recycled" && origin != "imported" && origin != "mine") {
      return c.Error("retrace:origin \"" + origin + "\" is not mine, recycled or imported");
    }
    for (const auto& [lot, g] : lots) {
      ASSIGN_OR_RETURN(Lot l, LotFromIlmd(c, ilmd, lot, g));
      Event e = base;
      if (lots.size() > 1) e.event_id = base.event_id + "/" + lot;
      if (origin == "recycled") {
        Recycled r;
        r.lot = std::move(l);
        r.source = Str(ev, "retrace:source");
        if (ev.contains("retrace:scrap") && ev["retrace:scrap"].is_array()) {
          for (const json& a : ev["retrace:scrap"]) {
            if (!a.is_object() || !a.contains("massG") || !a["massG"].is_number_unsigned()) {
              return c.Error("a retrace:scrap entry needs material and whole massG");
            }
            r.scrap.push_back({a.value("material", std::string()), a["massG"].get<std::uint64_t>()});
          }
        }
        e.body = std::move(r);
      } else if (origin == "imported") {
        Imported im;
        im.lot = std::move(l);
        im.customs_declaration = Str(ev, "retrace:customsDeclaration");
        im.origin_country = Str(ev, "retrace:originCountry");
        if (im.origin_country.empty()) im.origin_country = from_country.value_or("");
        e.body = std::move(im);
      } else {
        Extracted x;
        x.lot = std::move(l);
        x.site = Str(ev, "retrace:site");
        if (x.site.empty() && ev.contains("readPoint") && ev["readPoint"].is_object()) {
          x.site = Str(ev["readPoint"], "id");
        }
        x.licence = Str(ev, "retrace:licence");
        std::string quota = Str(ev, "retrace:quotaKind");
        if (!quota.empty()) {
          Result<QuotaKind> k = ParseQuotaKind(quota);
          if (!k.ok()) return c.Error(k.status().message());
          x.quota_kind = *k;
        }
        e.body = std::move(x);
      }
      out.push_back(std::move(e));
    }
    return out;
  }
  if (action == "OBSERVE" && biz_step == "shipping") {
    const bool exported = ev.value("retrace:exported", false) || CountryIn(ev).has_value();
    RETURN_IF_ERROR(need_signer(PartyIn(ev, "sourceList", "source"),
                                "a sourceList entry of type owning_party"));
    if (exported) {
      std::string cc = Str(ev, "retrace:destinationCountry");
      if (cc.empty()) cc = CountryIn(ev).value_or("");
      std::string customs = Str(ev, "retrace:customsDeclaration");
      RETURN_IF_ERROR(each([&](const std::string& lot, std::uint64_t g) -> EventBody {
        return Exported{lot, std::nullopt, g, customs, cc};
      }));
      return out;
    }
    std::optional<std::string> to = PartyIn(ev, "destinationList", "destination");
    if (!to) {
      return c.Error("a shipment needs a destinationList entry of type owning_party naming the "
                     "consignee (or a location urn:retrace:country: for an export)");
    }
    RETURN_IF_ERROR(each([&](const std::string& lot, std::uint64_t g) -> EventBody {
      return Shipped{lot, std::nullopt, *to, g};
    }));
    return out;
  }
  if (action == "OBSERVE" && biz_step == "receiving") {
    RETURN_IF_ERROR(need_signer(PartyIn(ev, "destinationList", "destination"),
                                "a destinationList entry of type owning_party"));
    std::optional<std::string> from = PartyIn(ev, "sourceList", "source");
    if (!from) {
      return c.Error("a receipt needs a sourceList entry of type owning_party naming the sender");
    }
    RETURN_IF_ERROR(each([&](const std::string& lot, std::uint64_t g) -> EventBody {
      return Received{lot, std::nullopt, *from, g};
    }));
    return out;
  }
  return c.Error("an ObjectEvent with action " + (action.empty() ? std::string("(none)") : action) +
                 " and bizStep " + (biz_step.empty() ? std::string("(none)") : biz_step) +
                 " cannot be represented: the ledger maps ADD/commissioning (extraction), "
                 "OBSERVE/shipping (shipment or export) and OBSERVE/receiving (receipt)");
}

Result<EpcisImport> ImportEpcisUnchecked(std::string_view document,
                                         const EpcisImportOptions& options) {
  json doc = json::parse(document, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InvalidArgumentError("the document is not valid JSON");
  if (!doc.is_object()) return InvalidArgumentError("the document is not a JSON object");
  std::string type = Str(doc, "type");
  const json* list = nullptr;
  if (type == "EPCISDocument") {
    if (doc.contains("epcisBody") && doc["epcisBody"].is_object() &&
        doc["epcisBody"].contains("eventList")) {
      list = &doc["epcisBody"]["eventList"];
    }
  } else if (type == "EPCISQueryDocument") {
    const json& body = doc.value("epcisBody", json::object());
    if (body.contains("queryResults") && body["queryResults"].contains("resultsBody") &&
        body["queryResults"]["resultsBody"].contains("eventList")) {
      list = &doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"];
    }
  } else {
    return InvalidArgumentError("the document's type is \"" + type +
                                "\"; expected EPCISDocument or EPCISQueryDocument");
  }
  std::string version = Str(doc, "schemaVersion");
  if (!version.empty() && version.rfind("2.", 0) != 0) {
    return InvalidArgumentError("schemaVersion " + version + " is not EPCIS 2.x");
  }
  if (list == nullptr || !list->is_array()) {
    return InvalidArgumentError("the document has no epcisBody.eventList");
  }
  EpcisImport result;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const json& ev = (*list)[i];
    Ctx c{i, ev.is_object() ? Str(ev, "eventID") : ""};
    if (!ev.is_object()) return c.Error("not a JSON object");
    Result<std::vector<Event>> events = Convert(ev, c);
    if (!events.ok()) {
      if (options.skip_unsupported && events.status().message().find("cannot be represented") !=
                                          std::string::npos) {
        result.skipped.push_back(events.status().message());
        continue;
      }
      return events.status();
    }
    for (Event& e : *events) result.events.push_back(std::move(e));
  }
  return result;
}

}  // namespace

Result<EpcisImport> ImportEpcis(std::string_view document, const EpcisImportOptions& options) {
  try {
    return ImportEpcisUnchecked(document, options);
  } catch (const nlohmann::json::exception& e) {
    // A member of the wrong JSON type (value() and get<>() throw).
    return InvalidArgumentError(std::string("the document has a member of the wrong type: ") +
                                e.what());
  }
}

}  // namespace retrace
