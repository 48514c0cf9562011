// EPCIS 2.0 import: EPCIS events -> unsigned custody events.
//
// The importer reads what any EPCIS 2.0 JSON-LD producer writes (standard
// fields, CBV terms in their bare JSON-LD form or as full URIs) and uses the
// `retrace:` extension members when present, so a document written by
// ExportEpcis* comes back as the identical events. Nothing is silently
// dropped: an event is converted, or refused with its index and eventID, or
// -- when the caller asked to skip what the ledger cannot represent -- listed
// as skipped with its EpcisSkipReason.
//
// Malformed versus unmappable. Every error about an event is made by
// Ctx::Malformed (always refused) or Ctx::Unmappable (skippable, with a
// typed reason), and the first error made is returned at once; the caller
// decides on the reason Ctx recorded with the error it got back, never on
// the message text.
#include <cmath>
#include <optional>

#include <nlohmann/json.hpp>

#include "epcis/epcis_common.h"
#include "retrace/epcis.h"
#include "retrace/hash.h"
#include "util/status_macros.h"

namespace retrace {

const char* EpcisSkipReasonName(EpcisSkipReason reason) {
  switch (reason) {
    case EpcisSkipReason::kEventType:
      return "event_type";
    case EpcisSkipReason::kInstanceLevel:
      return "instance_level";
    case EpcisSkipReason::kNoQuantityList:
      return "no_quantity_list";
    case EpcisSkipReason::kNotAMass:
      return "not_a_mass";
    case EpcisSkipReason::kFractionalGrams:
      return "fractional_grams";
    case EpcisSkipReason::kNoCustodyStep:
      return "no_custody_step";
    case EpcisSkipReason::kUnknownSigner:
      return "unknown_signer";
    case EpcisSkipReason::kNoCounterparty:
      return "no_counterparty";
    case EpcisSkipReason::kNoMaterial:
      return "no_material";
    case EpcisSkipReason::kErrorDeclaration:
      return "error_declaration";
  }
  return "unknown";
}

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

// "input text" quoted for a message.
std::string Q(std::string_view s) { return "\"" + Printable(s) + "\""; }

// The errors about one EPCIS event.
struct Ctx {
  std::size_t index = 0;
  std::string id;  // the eventID as written
  // The reason of the last error made, if it was Unmappable, and that
  // error's message: the caller skips only an error it recognises here.
  std::optional<EpcisSkipReason> reason;
  std::string message;

  std::string Name() const {
    std::string name = "event " + std::to_string(index);
    if (!id.empty()) name += " (" + Printable(id) + ")";
    return name;
  }
  Status Malformed(const std::string& what) {
    reason.reset();
    message = Name() + ": " + what;
    return InvalidArgumentError(message);
  }
  Status Unmappable(EpcisSkipReason why, const std::string& what) {
    reason = why;
    message = Name() + ": " + what + " [" + EpcisSkipReasonName(why) + "]";
    return InvalidArgumentError(message);
  }
  // True if `st` is the unmappable error this context made last.
  bool Skippable(const Status& st) const { return reason.has_value() && st.message() == message; }
};

// The string member `key` of `ev`, or "" if it is absent or not a string.
std::string StringMember(const json& ev, const char* key) {
  auto it = ev.find(key);
  return it != ev.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The id of a readPoint or bizLocation: {"id": X}, or X itself, the form a
// JSON-LD processor compacts a node reference to.
std::string NodeId(const json& ev, const char* key) {
  auto it = ev.find(key);
  if (it == ev.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  return it->is_object() ? StringMember(*it, "id") : std::string();
}

// A member that must be a string when present.
Result<std::string> OptStr(Ctx& c, const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) return std::string();
  if (!it->is_string()) return c.Malformed(std::string(key) + " is not a string");
  return it->get<std::string>();
}

struct Quantity {
  std::string epc_class;
  std::uint64_t grams = 0;
};

// Whole grams from a quantity element. Accepts KGM, GRM and TNE.
Result<Quantity> ReadQuantity(Ctx& c, const json& q) {
  if (!q.is_object()) return c.Malformed("a quantity element is not an object");
  Quantity out;
  ASSIGN_OR_RETURN(out.epc_class, OptStr(c, q, "epcClass"));
  if (out.epc_class.empty()) return c.Malformed("a quantity element has no epcClass");
  ASSIGN_OR_RETURN(std::string uom, OptStr(c, q, "uom"));
  if (!q.contains("quantity")) {
    return c.Unmappable(EpcisSkipReason::kNotAMass,
                        "the quantity element of " + Q(out.epc_class) +
                            " has no quantity (an unknown amount); the ledger records masses");
  }
  if (!q["quantity"].is_number()) return c.Malformed("a quantity is not a number");
  double factor;
  if (uom == "KGM") {
    factor = 1000;
  } else if (uom == "GRM") {
    factor = 1;
  } else if (uom == "TNE") {
    factor = 1e6;
  } else {
    return c.Unmappable(EpcisSkipReason::kNotAMass,
                        "quantity in unit " + (uom.empty() ? std::string("(none: a count)") : Q(uom)) +
                            " cannot be represented: the ledger records masses (use uom KGM, GRM "
                            "or TNE)");
  }
  double g = q["quantity"].get<double>() * factor;
  if (!std::isfinite(g) || g < 0 || g > 9.0e15) return c.Malformed("quantity out of range");
  double r = std::round(g);
  // Above 2^53 g a double cannot hold a fraction; below, 1 mg of slack
  // absorbs the decimal -> binary rounding of a kg value.
  if (std::fabs(g - r) > 1e-3 && std::fabs(g - r) > std::fabs(g) * 1e-12) {
    return c.Unmappable(EpcisSkipReason::kFractionalGrams,
                        "quantity " + q["quantity"].dump() + " " + uom +
                            " is not a whole number of grams; the ledger records whole grams");
  }
  out.grams = static_cast<std::uint64_t>(r);
  return out;
}

// The lot id an epcClass names (docs/epcis.md, "Identifiers").
Result<std::string> LotOf(Ctx& c, const std::string& cls) {
  std::optional<std::string> id = IdFromUri(kLotPrefix, cls);
  if (!id || id->empty()) {
    return c.Malformed("epcClass " + Q(cls) + " is not a lot: a malformed urn:retrace:lot: URI "
                       "or a urn:retrace: URI of another kind");
  }
  return *id;
}

Result<Lot> LotFromIlmd(Ctx& c, const json& ilmd, const std::string& lot_id,
                        std::uint64_t mass_g) {
  Lot lot;
  lot.lot_id = lot_id;
  lot.mass_g = mass_g;
  const json* entry = nullptr;
  if (!ilmd.is_object()) return c.Malformed("ilmd is not an object");
  if (ilmd.contains("retrace:lots")) {
    if (!ilmd["retrace:lots"].is_array()) return c.Malformed("ilmd retrace:lots is not a list");
    for (const json& l : ilmd["retrace:lots"]) {
      if (!l.is_object()) return c.Malformed("an ilmd retrace:lots entry is not an object");
      if (l.value("lotID", std::string()) == lot_id) entry = &l;
    }
  }
  if (entry == nullptr) {
    return c.Unmappable(EpcisSkipReason::kNoMaterial,
                        "lot " + Q(lot_id) +
                            " has no ilmd retrace:lots entry naming its material class; the ledger "
                            "needs a material class for every lot it creates");
  }
  Result<MaterialClass> m = ParseMaterial(entry->value("material", std::string()));
  if (!m.ok()) return c.Malformed("lot " + Q(lot_id) + ": " + Printable(m.status().message()));
  lot.material = *m;
  if (entry->contains("massG")) {
    const json& mg = (*entry)["massG"];
    if (!mg.is_number_unsigned()) return c.Malformed("lot " + Q(lot_id) + ": massG is not a whole number");
    if (mg.get<std::uint64_t>() != mass_g) {
      return c.Malformed("lot " + Q(lot_id) + ": the ilmd says " + mg.dump() +
                         " g but the quantity list says " + std::to_string(mass_g) + " g");
    }
  }
  if (entry->contains("content")) {
    if (!(*entry)["content"].is_array()) return c.Malformed("lot " + Q(lot_id) + ": content is not a list");
    for (const json& em : (*entry)["content"]) {
      if (!em.is_object() || !em.contains("grams") || !em["grams"].is_number_unsigned()) {
        return c.Malformed("lot " + Q(lot_id) + ": a content entry needs element and whole grams");
      }
      Result<Element> e = ParseElement(em.value("element", std::string()));
      if (!e.ok()) return c.Malformed("lot " + Q(lot_id) + ": " + Printable(e.status().message()));
      lot.content.push_back({*e, em["grams"].get<std::uint64_t>()});
    }
  }
  lot.description = entry->value("description", std::string());
  return lot;
}

// The actor named by the first source/destination of type owning_party (or
// possessing_party) in `list`: a urn:retrace:actor: URI decoded, any other
// URI as it stands.
std::optional<std::string> PartyIn(const json& ev, const char* list, const char* key) {
  if (!ev.contains(list) || !ev[list].is_array()) return std::nullopt;
  for (const char* wanted : {"owning_party", "possessing_party"}) {
    for (const json& e : ev[list]) {
      if (!e.is_object() || CbvTerm(e.value("type", json())) != wanted) continue;
      std::string uri = e.value(key, std::string());
      if (uri.empty()) continue;
      return IdFromUri(kActorPrefix, uri).value_or(uri);
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

// True if `ev[key]` is a non-empty list (of instance-level EPCs).
bool NonEmptyList(const json& ev, const char* key) {
  auto it = ev.find(key);
  return it != ev.end() && !(it->is_array() && it->empty());
}

// Reads bizTransactionList into `refs`. A urn:retrace:bt:KIND:VALUE URI
// gives back kind and value; any other bizTransaction URI is the value as it
// stands, its type the kind.
Status ReadReferences(Ctx& c, const json& ev, std::vector<Reference>* refs) {
  if (!ev.contains("bizTransactionList")) return Status::Ok();
  if (!ev["bizTransactionList"].is_array()) return c.Malformed("bizTransactionList is not a list");
  for (const json& bt : ev["bizTransactionList"]) {
    if (!bt.is_object()) return c.Malformed("a bizTransactionList entry is not an object");
    std::string type_uri = bt.contains("type") ? CbvTerm(bt["type"]) : "";
    std::string kind = IdFromUri(kBizTransactionTypePrefix, type_uri).value_or(type_uri);
    ASSIGN_OR_RETURN(std::string uri, OptStr(c, bt, "bizTransaction"));
    if (uri.empty()) return c.Malformed("a bizTransactionList entry has no bizTransaction");
    std::string value = uri;
    std::string_view rest(uri);
    if (rest.rfind(kBizTransactionPrefix, 0) == 0) {
      rest.remove_prefix(std::string_view(kBizTransactionPrefix).size());
      auto colon = rest.find(':');
      std::optional<std::string> k, v;
      if (colon != std::string_view::npos) {
        k = PctDecode(rest.substr(0, colon));
        v = PctDecode(rest.substr(colon + 1));
      }
      if (!k || !v) return c.Malformed("bizTransaction " + Q(uri) + " is a malformed urn:retrace:bt: URI");
      if (kind.empty()) kind = *k;
      value = *v;
    }
    if (kind.empty()) kind = "bizTransaction";
    refs->push_back({kind, value});
  }
  return Status::Ok();
}

Result<std::vector<Event>> Convert(const json& ev, Ctx& c);

// An EPCIS error declaration: the event it repeats (same eventID) did not
// occur as stated. It becomes a reversal of the record(s) that event made
// (docs/epcis.md, "Error declarations"), stated by the same actor at the
// declaration time, naming the reversed record by its event id (EventBatch
// and Ledger::LinkParents resolve it). What the repeated event would convert
// to decides the actor and the records; an event that is itself unmappable
// makes the declaration unmappable too.
Result<std::vector<Event>> ConvertErrorDeclaration(Ctx& c, const json& ev) {
  const json& d = ev["errorDeclaration"];
  if (!d.is_object()) return c.Malformed("errorDeclaration is not an object");
  ASSIGN_OR_RETURN(std::string when, OptStr(c, d, "declarationTime"));
  if (when.empty()) return c.Malformed("errorDeclaration.declarationTime is missing");
  Result<Timestamp> t = ParseTime(when);
  if (!t.ok()) return c.Malformed("errorDeclaration.declarationTime " + Printable(t.status().message()));
  ASSIGN_OR_RETURN(std::string reason, OptStr(c, d, "retrace:reason"));
  if (reason.empty()) {
    ASSIGN_OR_RETURN(reason, OptStr(c, d, "reason"));
  }
  ASSIGN_OR_RETURN(std::string reversal_uri, OptStr(c, d, "retrace:reversalEventID"));
  json repeated = ev;
  repeated.erase("errorDeclaration");
  ASSIGN_OR_RETURN(std::vector<Event> originals, Convert(repeated, c));
  std::vector<Event> out;
  for (const Event& o : originals) {
    Event r;
    if (auto id = FromUrn(kEventPrefix, reversal_uri); id && originals.size() == 1) {
      r.event_id = *id;
    } else if (!reversal_uri.empty() && originals.size() == 1 &&
               reversal_uri.size() <= kMaxIdBytes) {
      r.event_id = reversal_uri;
    } else {
      r.event_id = o.event_id + "#reversal";
    }
    r.actor_id = o.actor_id;
    r.time = *t;
    r.references = o.references;
    Reversed body;
    body.reason = reason;
    body.reversed_event_id = o.event_id;
    r.body = std::move(body);
    out.push_back(std::move(r));
  }
  // A lot moved by several records of one EPCIS event is reversed last
  // record first.
  std::reverse(out.begin(), out.end());
  return out;
}

Result<std::vector<Event>> Convert(const json& ev, Ctx& c) {
  // What makes an event malformed is checked before what makes it
  // unmappable: a skipped event is still a well-formed one.
  if (!ev.contains("type") || !ev["type"].is_string()) return c.Malformed("no event type");
  const std::string type = StringMember(ev, "type");
  const bool known = type == "ObjectEvent" || type == "TransformationEvent" ||
                     type == "AggregationEvent" || type == "AssociationEvent" ||
                     type == "TransactionEvent";
  if (!known) return c.Malformed("unknown event type " + Q(type));
  ASSIGN_OR_RETURN(std::string when, OptStr(c, ev, "eventTime"));
  if (when.empty()) return c.Malformed("eventTime is missing");
  Result<Timestamp> t = ParseTime(when);
  if (!t.ok()) return c.Malformed("eventTime " + Printable(t.status().message()));
  ASSIGN_OR_RETURN(std::string event_uri, OptStr(c, ev, "eventID"));
  Event base;
  base.time = *t;
  RETURN_IF_ERROR(ReadReferences(c, ev, &base.references));
  std::string action, biz_step = CbvTerm(ev.value("bizStep", json()));
  if (type == "ObjectEvent") {
    ASSIGN_OR_RETURN(action, OptStr(c, ev, "action"));
    if (action != "ADD" && action != "OBSERVE" && action != "DELETE") {
      return c.Malformed("action " + Q(action) + " is not ADD, OBSERVE or DELETE");
    }
  }

  if (ev.contains("errorDeclaration")) return ConvertErrorDeclaration(c, ev);
  if (type == "AggregationEvent" || type == "AssociationEvent" || type == "TransactionEvent") {
    return c.Unmappable(EpcisSkipReason::kEventType,
                        type + " cannot be represented: the ledger records extraction, shipment, "
                               "receipt, transformation and export of lots (ObjectEvent and "
                               "TransformationEvent)");
  }
  // Event id: ours back, any other URI as it stands, or a digest of the event.
  if (auto id = FromUrn(kEventPrefix, event_uri)) {
    base.event_id = *id;
  } else if (!event_uri.empty() && event_uri.size() <= kMaxIdBytes) {
    base.event_id = event_uri;
  } else {
    base.event_id = "epcis-" + HashToHex(Sha256(ev.dump())).substr(0, 32);
  }
  ASSIGN_OR_RETURN(std::string signer, OptStr(c, ev, "retrace:actor"));
  std::optional<std::string> location;
  location = FromUrn(kActorPrefix, NodeId(ev, "bizLocation"));
  auto need_signer = [&](std::optional<std::string> fallback, const char* from) -> Status {
    if (signer.empty() && fallback) signer = *fallback;
    if (signer.empty()) {
      return c.Unmappable(EpcisSkipReason::kUnknownSigner,
                          std::string("cannot tell which actor states this event: add "
                                      "\"retrace:actor\" or ") + from);
    }
    base.actor_id = signer;
    return Status::Ok();
  };

  std::vector<Event> out;
  if (type == "TransformationEvent") {
    if (NonEmptyList(ev, "inputEPCList") || NonEmptyList(ev, "outputEPCList")) {
      return c.Unmappable(EpcisSkipReason::kInstanceLevel,
                          "instance-level EPC lists cannot be represented: the ledger tracks lots "
                          "by mass (use inputQuantityList / outputQuantityList)");
    }
    if (!ev.contains("inputQuantityList") || !ev.contains("outputQuantityList")) {
      return c.Unmappable(EpcisSkipReason::kNoQuantityList,
                          "a transformation needs inputQuantityList and outputQuantityList");
    }
    if (!ev["inputQuantityList"].is_array() || !ev["outputQuantityList"].is_array()) {
      return c.Malformed("inputQuantityList or outputQuantityList is not a list");
    }
    Transformed tr;
    std::vector<Quantity> outputs;
    for (const json& q : ev["inputQuantityList"]) {
      ASSIGN_OR_RETURN(Quantity in, ReadQuantity(c, q));
      if (auto add = FromUrn(kAdditivePrefix, in.epc_class)) {
        tr.additives.push_back({*add, in.grams});
        continue;
      }
      ASSIGN_OR_RETURN(std::string lot, LotOf(c, in.epc_class));
      tr.inputs.push_back({lot, in.grams, std::nullopt});
    }
    for (const json& q : ev["outputQuantityList"]) {
      ASSIGN_OR_RETURN(Quantity o, ReadQuantity(c, q));
      outputs.push_back(std::move(o));
    }
    RETURN_IF_ERROR(need_signer(location, "a bizLocation urn:retrace:actor: id"));
    const json ilmd = ev.value("ilmd", json::object());
    for (const Quantity& o : outputs) {
      ASSIGN_OR_RETURN(std::string lot, LotOf(c, o.epc_class));
      ASSIGN_OR_RETURN(Lot l, LotFromIlmd(c, ilmd, lot, o.grams));
      tr.outputs.push_back(std::move(l));
    }
    ASSIGN_OR_RETURN(tr.process, OptStr(c, ev, "retrace:process"));
    if (ev.contains("retrace:declaredLossG")) {
      if (!ev["retrace:declaredLossG"].is_number_unsigned()) {
        return c.Malformed("retrace:declaredLossG is not a whole number of grams");
      }
      tr.declared_loss_g = ev["retrace:declaredLossG"].get<std::uint64_t>();
    }
    base.body = std::move(tr);
    out.push_back(std::move(base));
    return out;
  }

  // ObjectEvent: which custody step, if any.
  enum class Step { kOrigin, kShip, kReceive } step;
  if (action == "ADD" && (biz_step == "commissioning" || biz_step.empty())) {
    step = Step::kOrigin;
  } else if (action == "OBSERVE" && biz_step == "shipping") {
    step = Step::kShip;
  } else if (action == "OBSERVE" && biz_step == "receiving") {
    step = Step::kReceive;
  } else {
    return c.Unmappable(EpcisSkipReason::kNoCustodyStep,
                        "an ObjectEvent with action " + action + " and bizStep " +
                            (biz_step.empty() ? std::string("(none)") : Q(biz_step)) +
                            " cannot be represented: the ledger maps ADD/commissioning "
                            "(extraction), OBSERVE/shipping (shipment or export) and "
                            "OBSERVE/receiving (receipt)");
  }
  if (NonEmptyList(ev, "epcList")) {
    return c.Unmappable(EpcisSkipReason::kInstanceLevel,
                        "instance-level epcList cannot be represented: the ledger tracks lots by "
                        "mass (use quantityList with uom KGM)");
  }
  if (!ev.contains("quantityList") || (ev["quantityList"].is_array() && ev["quantityList"].empty())) {
    return c.Unmappable(EpcisSkipReason::kNoQuantityList,
                        "an ObjectEvent needs a quantityList naming the lot(s) and their mass");
  }
  if (!ev["quantityList"].is_array()) return c.Malformed("quantityList is not a list");
  std::vector<std::pair<std::string, std::uint64_t>> lots;
  for (const json& q : ev["quantityList"]) {
    ASSIGN_OR_RETURN(Quantity qe, ReadQuantity(c, q));
    ASSIGN_OR_RETURN(std::string lot, LotOf(c, qe.epc_class));
    lots.emplace_back(lot, qe.grams);
  }
  auto each = [&](auto make) {
    for (const auto& [lot, g] : lots) {
      Event e = base;
      if (lots.size() > 1) e.event_id = base.event_id + "/" + lot;
      e.body = make(lot, g);
      out.push_back(std::move(e));
    }
  };
  if (step == Step::kOrigin) {
    RETURN_IF_ERROR(need_signer(location, "a bizLocation urn:retrace:actor: id"));
    const json ilmd = ev.value("ilmd", json::object());
    // An origin: mined (the default), recycled, or imported (named by
    // retrace:origin, or by a source location that is a country).
    ASSIGN_OR_RETURN(std::string origin, OptStr(c, ev, "retrace:origin"));
    std::optional<std::string> from_country;
    if (ev.contains("sourceList") && ev["sourceList"].is_array()) {
      for (const json& e : ev["sourceList"]) {
        if (!e.is_object() || CbvTerm(e.value("type", json())) != "location") continue;
        from_country = FromUrn(kCountryPrefix, e.value("source", std::string()));
      }
    }
    if (origin.empty() && from_country) origin = "imported";
    if (!origin.empty() && origin != "recycled" && origin != "imported" && origin != "mine") {
      return c.Malformed("retrace:origin " + Q(origin) + " is not mine, recycled or imported");
    }
    for (const auto& [lot, g] : lots) {
      ASSIGN_OR_RETURN(Lot l, LotFromIlmd(c, ilmd, lot, g));
      Event e = base;
      if (lots.size() > 1) e.event_id = base.event_id + "/" + lot;
      if (origin == "recycled") {
        Recycled r;
        r.lot = std::move(l);
        r.source = StringMember(ev, "retrace:source");
        if (ev.contains("retrace:scrap")) {
          if (!ev["retrace:scrap"].is_array()) return c.Malformed("retrace:scrap is not a list");
          for (const json& a : ev["retrace:scrap"]) {
            if (!a.is_object() || !a.contains("massG") || !a["massG"].is_number_unsigned()) {
              return c.Malformed("a retrace:scrap entry needs material and whole massG");
            }
            r.scrap.push_back({a.value("material", std::string()), a["massG"].get<std::uint64_t>()});
          }
        }
        e.body = std::move(r);
      } else if (origin == "imported") {
        Imported im;
        im.lot = std::move(l);
        im.customs_declaration = StringMember(ev, "retrace:customsDeclaration");
        im.origin_country = StringMember(ev, "retrace:originCountry");
        if (im.origin_country.empty()) im.origin_country = from_country.value_or("");
        e.body = std::move(im);
      } else {
        Extracted x;
        x.lot = std::move(l);
        x.site = StringMember(ev, "retrace:site");
        if (x.site.empty() && !NodeId(ev, "readPoint").empty()) {
          // Ours: urn:retrace:site:ACTOR:SITE; anything else is the site.
          std::string rp = NodeId(ev, "readPoint");
          x.site = rp;
          if (rp.rfind(kSitePrefix, 0) == 0) {
            std::string_view rest = std::string_view(rp).substr(std::string_view(kSitePrefix).size());
            auto colon = rest.find(':');
            std::optional<std::string> site;
            if (colon != std::string_view::npos) site = PctDecode(rest.substr(colon + 1));
            if (!site) return c.Malformed("readPoint " + Q(rp) + " is a malformed urn:retrace:site: URI");
            x.site = *site;
          }
        }
        x.licence = StringMember(ev, "retrace:licence");
        std::string quota = StringMember(ev, "retrace:quotaKind");
        if (!quota.empty()) {
          Result<QuotaKind> k = ParseQuotaKind(quota);
          if (!k.ok()) return c.Malformed(Printable(k.status().message()));
          x.quota_kind = *k;
        }
        e.body = std::move(x);
      }
      out.push_back(std::move(e));
    }
    return out;
  }
  if (step == Step::kShip) {
    ASSIGN_OR_RETURN(std::string cc, OptStr(c, ev, "retrace:destinationCountry"));
    if (cc.empty()) cc = CountryIn(ev).value_or("");
    const bool exported = ev.value("retrace:exported", false) || !cc.empty();
    RETURN_IF_ERROR(need_signer(PartyIn(ev, "sourceList", "source"),
                                "a sourceList entry of type owning_party"));
    if (exported) {
      std::string customs = StringMember(ev, "retrace:customsDeclaration");
      each([&](const std::string& lot, std::uint64_t g) -> EventBody {
        return Exported{lot, std::nullopt, g, customs, cc};
      });
      return out;
    }
    std::optional<std::string> to = PartyIn(ev, "destinationList", "destination");
    if (!to) {
      return c.Unmappable(EpcisSkipReason::kNoCounterparty,
                          "a shipment needs a destinationList entry of type owning_party naming "
                          "the consignee (or a location urn:retrace:country: for an export)");
    }
    each([&](const std::string& lot, std::uint64_t g) -> EventBody {
      return Shipped{lot, std::nullopt, *to, g};
    });
    return out;
  }
  RETURN_IF_ERROR(need_signer(PartyIn(ev, "destinationList", "destination"),
                              "a destinationList entry of type owning_party"));
  std::optional<std::string> from = PartyIn(ev, "sourceList", "source");
  if (!from) {
    return c.Unmappable(EpcisSkipReason::kNoCounterparty,
                        "a receipt needs a sourceList entry of type owning_party naming the sender");
  }
  each([&](const std::string& lot, std::uint64_t g) -> EventBody {
    return Received{lot, std::nullopt, *from, g};
  });
  return out;
}

Result<EpcisImport> ImportEpcisUnchecked(std::string_view document,
                                         const EpcisImportOptions& options) {
  json doc = json::parse(document, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InvalidArgumentError("the document is not valid JSON");
  if (!doc.is_object()) return InvalidArgumentError("the document is not a JSON object");
  std::string type = StringMember(doc, "type");
  const json* list = nullptr;
  if (type == "EPCISDocument") {
    if (doc.contains("epcisBody") && doc["epcisBody"].is_object() &&
        doc["epcisBody"].contains("eventList")) {
      list = &doc["epcisBody"]["eventList"];
    }
  } else if (type == "EPCISQueryDocument") {
    const json& body = doc.value("epcisBody", json::object());
    if (body.is_object() && body.contains("queryResults") && body["queryResults"].is_object() &&
        body["queryResults"].contains("resultsBody") &&
        body["queryResults"]["resultsBody"].is_object() &&
        body["queryResults"]["resultsBody"].contains("eventList")) {
      list = &doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"];
    }
  } else {
    return InvalidArgumentError("the document's type is " + Q(type) +
                                "; expected EPCISDocument or EPCISQueryDocument");
  }
  std::string version = StringMember(doc, "schemaVersion");
  if (!version.empty() && version.rfind("2.", 0) != 0) {
    return InvalidArgumentError("schemaVersion " + Q(version) + " is not EPCIS 2.x");
  }
  if (list == nullptr || !(list->is_array() || list->is_object())) {
    return InvalidArgumentError("the document has no epcisBody.eventList");
  }
  // A JSON-LD processor compacts a one-event eventList to the event itself.
  const json one = list->is_object() ? json::array({*list}) : json();
  if (list->is_object()) list = &one;
  EpcisImport result;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const json& ev = (*list)[i];
    Ctx c;
    c.index = i;
    if (!ev.is_object()) return c.Malformed("not a JSON object");
    c.id = StringMember(ev, "eventID");
    Result<std::vector<Event>> events = Convert(ev, c);
    if (!events.ok()) {
      if (options.skip_unsupported && c.Skippable(events.status())) {
        result.skipped.push_back({i, c.id, *c.reason, events.status().message()});
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
                                Printable(e.what()));
  } catch (const std::exception& e) {
    return InternalError(std::string("EPCIS import failed: ") + e.what());
  }
}

}  // namespace retrace
