// JSON forms of ledger values (retrace/json.h). Key names are part of the
// documented schemas: add, never rename.
#include <nlohmann/json.hpp>

#include "retrace/json.h"
#include "render/report_json.h"

namespace retrace {
namespace {

using json = nlohmann::ordered_json;

std::string Dump(const json& j, int indent) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

std::string Hex(std::string_view bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

json Content(const std::vector<ElementMass>& content) {
  json arr = json::array();
  for (const ElementMass& em : content) {
    arr.push_back({{"element", ElementSymbol(em.element)}, {"grams", em.grams}});
  }
  return arr;
}

json LotJ(const LotInfo& info) {
  json j = {{"lot_id", info.lot.lot_id},
            {"material", MaterialClassName(info.lot.material)},
            {"mass_g", info.lot.mass_g},
            {"remaining_g", info.remaining_g},
            {"content", Content(info.lot.content)},
            {"description", info.lot.description},
            {"status", info.status},
            {"custodian", info.custodian},
            {"created_seq", info.created_seq},
            {"head_seq", info.head_seq},
            {"head_hash", HashToHex(info.head_hash)}};
  if (!info.in_transit_to.empty()) j["in_transit_to"] = info.in_transit_to;
  return j;
}

json Rec(const Record& record);

// An import record's registry record and proof (docs/federation.md).
json Import(const RegistryImport& im) {
  json j;
  j["index"] = im.index;
  j["checkpoint"] = im.checkpoint;
  json inclusion = json::array(), consistency = json::array();
  for (const std::string& h : im.inclusion) inclusion.push_back(Hex(h));
  for (const std::string& h : im.consistency) consistency.push_back(Hex(h));
  j["inclusion"] = inclusion;
  j["consistency"] = consistency;
  Result<Record> inner = DecodeRecord(im.record);
  if (inner.ok() && !inner->registry_import) {
    j["record"] = Rec(*inner);
  } else {
    j["record_error"] = inner.ok() ? "an import record inside an import record"
                                   : inner.status().ToString();
    j["record_bytes"] = Hex(im.record);
  }
  return j;
}

json Rec(const Record& record) {
  json j;
  if (record.registry_import) {
    // Its own event, key id and signature are empty: what it states is the
    // registry's record, proven in the registry checkpoint.
    j["seq"] = record.seq;
    j["hash"] = HashToHex(record.hash);
    j["prev_hash"] = HashToHex(record.prev_hash);
    j["kind"] = "registry_import";
    j["registry_import"] = Import(*record.registry_import);
    return j;
  }
  j["seq"] = record.seq;
  j["hash"] = HashToHex(record.hash);
  j["prev_hash"] = HashToHex(record.prev_hash);
  j["key_id"] = record.key_id;
  j["signature"] = Hex(record.signature);
  if (record.batch.size != 0) {
    json path = json::array();
    for (const Hash& h : record.batch.path) path.push_back(HashToHex(h));
    j["batch"] = {{"size", record.batch.size}, {"index", record.batch.index}, {"path", path}};
  }
  Result<Event> ev = DecodeEvent(record.event_bytes);
  if (!ev.ok()) {
    j["event_error"] = ev.status().ToString();
    j["event_bytes"] = Hex(record.event_bytes);
    return j;
  }
  j["kind"] = EventKindName(ev->body);
  Result<std::string> text = EventToJson(*ev);
  if (text.ok()) {
    j["event"] = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  } else {
    j["event_error"] = text.status().ToString();
  }
  return j;
}

json WithSchema(const char* schema, json body) {
  json j = {{"schema", schema}};
  for (auto& [k, v] : body.items()) j[k] = v;
  return j;
}

}  // namespace

std::string LedgerInfoToJson(const LedgerInfo& info, const std::optional<Hash>& root_hash,
                             int indent) {
  json j = {{"schema", "retrace.info/v1"},
            {"ledger_id", info.ledger_id},
            {"name", info.name},
            {"root_actor_id", info.root_actor_id},
            {"root_key_id", info.root_key_id},
            {"size", info.size},
            {"head_hash", HashToHex(info.head_hash)}};
  if (root_hash) j["root_hash"] = HashToHex(*root_hash);
  return Dump(j, indent);
}

std::string LotInfoToJson(const LotInfo& lot, int indent) {
  return Dump(WithSchema("retrace.lot/v1", LotJ(lot)), indent);
}

std::string LotListToJson(const std::vector<LotInfo>& lots, int indent) {
  json arr = json::array();
  for (const LotInfo& l : lots) arr.push_back(LotJ(l));
  return Dump(json{{"schema", "retrace.lots/v1"}, {"lots", arr}}, indent);
}

std::string RecordToJson(const Record& record, int indent) {
  return Dump(WithSchema("retrace.record/v1", Rec(record)), indent);
}

std::string LotRecordsToJson(const LotInfo& lot, const std::vector<Record>& records, int indent) {
  json arr = json::array();
  for (const Record& r : records) arr.push_back(Rec(r));
  return Dump(json{{"schema", "retrace.lot_records/v1"}, {"lot", LotJ(lot)}, {"records", arr}},
              indent);
}

std::string QuotasToJson(const std::vector<QuotaUsage>& quotas, int indent) {
  json arr = json::array();
  for (const QuotaUsage& q : quotas) {
    json e = {{"actor_id", q.actor_id},         {"year", q.year},
              {"kind", QuotaKindName(q.kind)},   {"granted_reo_g", q.granted_reo_g},
              {"used_reo_g", q.used_reo_g},      {"remaining_reo_g", q.remaining_reo_g},
              {"overrun", q.remaining_reo_g < 0}};
    json records = json::array();
    for (const auto& r : q.entries) {
      json entry = {{"seq", r.seq},
                    {"type", r.grant ? "grant" : r.release ? "release" : "use"},
                    {"reo_g", r.reo_g},
                    {"lot_id", r.lot_id},
                    {"lot_ids", r.lot_ids},
                    {"void", r.void_entry},
                    {"exceeded", r.exceeded}};
      if (r.release) entry["releases"] = r.releases;
      records.push_back(std::move(entry));
    }
    e["records"] = records;
    arr.push_back(std::move(e));
  }
  return Dump(json{{"schema", "retrace.quota/v1"}, {"quotas", arr}}, indent);
}

std::string LineageToJson(const VerifyReport& r, int indent) {
  json lots = json::array();
  for (const LineageLot& l : r.lots) {
    json lot = internal::LineageLotJson(l);
    lot["content"] = Content(l.content);  // lineage/v1's form of the content
    lots.push_back(std::move(lot));
  }
  return Dump(json{{"schema", "retrace.lineage/v1"},
                   {"lot_id", r.lot_id},
                   {"lots", std::move(lots)},
                   {"edges", internal::LineageEdgesJson(r.edges)},
                   {"valid", r.valid},
                   {"findings", r.findings.size()}},
              indent);
}

}  // namespace retrace
