// JSON forms of the verification reports (schemas in docs/cli.md).
#include "render/report_json.h"

namespace retrace {
namespace internal {

using json = nlohmann::ordered_json;

json LineageLotJson(const LineageLot& l) {
  json content = json::object();
  for (const auto& c : l.content) content[ElementSymbol(c.element)] = c.grams;
  json j = {{"lot_id", l.lot_id},
            {"material", MaterialClassName(l.material)},
            {"mass_g", l.mass_g},
            {"rare_earth_g", l.rare_earth_g},
            {"content_g", std::move(content)},
            {"created_seq", l.created_seq},
            {"created_by", l.created_by},
            {"creator_role", RoleName(l.creator_role)},
            {"custodian", l.custodian},
            {"status", l.status},
            {"remaining_g", l.remaining_g},
            {"is_origin", l.is_origin},
            {"origin_kind", l.origin_kind},
            {"record_seqs", l.record_seqs}};
  return j;
}

json LineageEdgesJson(const std::vector<LineageEdge>& edges) {
  json arr = json::array();
  for (const auto& e : edges) {
    arr.push_back({{"input_lot", e.input_lot},
                   {"output_lot", e.output_lot},
                   {"consumed_g", e.consumed_g},
                   {"seq", e.seq}});
  }
  return arr;
}

}  // namespace internal

namespace {

using json = nlohmann::ordered_json;

json FindingsJson(const std::vector<Finding>& findings) {
  json arr = json::array();
  for (const auto& f : findings) {
    arr.push_back({{"code", f.code}, {"seq", f.seq}, {"lot_id", f.lot_id}, {"message", f.message}});
  }
  return arr;
}

// Ids and messages may carry bytes that are not UTF-8 (a tampered record);
// they are replaced rather than thrown on.
std::string Dump(const json& j) { return j.dump(2, ' ', false, json::error_handler_t::replace); }

// The registry checkpoint a bound ledger's judgment relied on
// (docs/federation.md, "The registry"); only for a bound ledger.
json RegistryJson(const RegistryCheckpointInfo& r) {
  return {{"origin", r.origin},
          {"checkpoint_size", r.size},
          {"root_hash", HashToHex(r.root_hash)},
          {"imported", r.imported},
          {"import_seq", r.import_seq}};
}

}  // namespace

std::string VerifyReportToJson(const VerifyReport& r) {
  json j;
  j["schema"] = "retrace.verify/v1";
  j["lot_id"] = r.lot_id;
  j["valid"] = r.valid;
  j["records_checked"] = r.records_checked;
  j["signatures_checked"] = r.signatures_checked;
  j["tree_size"] = r.tree_size;
  j["head_hash"] = HashToHex(r.head_hash);
  json lots = json::array();
  for (const auto& l : r.lots) lots.push_back(internal::LineageLotJson(l));
  j["lots"] = std::move(lots);
  j["edges"] = internal::LineageEdgesJson(r.edges);
  json origins = json::array();
  for (const auto& o : r.origins) {
    origins.push_back({{"origin_lot", o.origin_lot},
                       {"kind", o.kind},
                       {"actor_id", o.actor_id},
                       {"site", o.site},
                       {"licence", o.licence},
                       {"compliant", o.compliant},
                       {"issues", o.issues},
                       {"extracted_seq", o.extracted_seq},
                       {"rare_earth_g", o.rare_earth_g},
                       {"share_ppm", o.share_ppm}});
    // Federation (docs/federation.md): only for an origin in another ledger.
    if (!o.ledger.empty()) origins.back()["ledger"] = o.ledger;
  }
  j["origins"] = std::move(origins);
  j["non_compliant_share_ppm"] = r.non_compliant_share_ppm;
  if (!r.ledgers_crossed.empty()) {  // only for a lineage that crossed ledgers
    json crossed = json::array();
    for (const auto& c : r.ledgers_crossed) {
      crossed.push_back({{"origin", c.origin},
                         {"checkpoint_size", c.checkpoint_size},
                         {"root_hash", HashToHex(c.root_hash)},
                         {"witnesses", c.witnesses},
                         {"lot_id", c.lot_id},
                         {"received_in", c.received_in},
                         {"receipt_seq", c.receipt_seq},
                         {"bundle_sha256", HashToHex(c.bundle_sha256)}});
      if (c.registry) crossed.back()["registry"] = RegistryJson(*c.registry);
    }
    j["ledgers_crossed"] = std::move(crossed);
  }
  if (r.registry) j["registry"] = RegistryJson(*r.registry);
  j["findings"] = FindingsJson(r.findings);
  return Dump(j);
}

std::string AuditReportToJson(const AuditReport& r) {
  json j;
  j["schema"] = "retrace.audit/v1";
  j["scope"] = r.integrity_only ? "integrity" : "full";
  j["valid"] = r.valid;
  j["records_checked"] = r.records_checked;
  j["signatures_checked"] = r.signatures_checked;
  j["lots"] = r.lots;
  j["actors"] = r.actors;
  j["tree_size"] = r.tree_size;
  j["head_hash"] = HashToHex(r.head_hash);
  j["root_hash"] = HashToHex(r.root_hash);
  if (r.registry) j["registry"] = RegistryJson(*r.registry);
  j["cross_ledger_receipts"] = r.cross_ledger_receipts.size();
  j["bundles_verified"] = r.bundles_verified;
  j["findings"] = FindingsJson(r.findings);
  return Dump(j);
}

}  // namespace retrace
