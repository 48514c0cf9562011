// JSON forms of the verification reports (schemas in docs/cli.md).
#include <nlohmann/json.hpp>

#include "retrace/verifier.h"

namespace retrace {
namespace {

nlohmann::json FindingsJson(const std::vector<Finding>& findings) {
  auto arr = nlohmann::json::array();
  for (const auto& f : findings) {
    arr.push_back({{"code", f.code}, {"seq", f.seq}, {"lot_id", f.lot_id}, {"message", f.message}});
  }
  return arr;
}

nlohmann::json ContentJson(const std::vector<ElementMass>& content) {
  auto obj = nlohmann::json::object();
  for (const auto& c : content) obj[ElementSymbol(c.element)] = c.grams;
  return obj;
}

}  // namespace

std::string VerifyReportToJson(const VerifyReport& r) {
  nlohmann::json j;
  j["schema"] = "retrace.verify/v1";
  j["lot_id"] = r.lot_id;
  j["valid"] = r.valid;
  j["records_checked"] = r.records_checked;
  j["signatures_checked"] = r.signatures_checked;
  j["tree_size"] = r.tree_size;
  j["head_hash"] = HashToHex(r.head_hash);
  auto lots = nlohmann::json::array();
  for (const auto& l : r.lots) {
    lots.push_back({{"lot_id", l.lot_id},
                    {"material", MaterialClassName(l.material)},
                    {"mass_g", l.mass_g},
                    {"rare_earth_g", l.rare_earth_g},
                    {"content_g", ContentJson(l.content)},
                    {"created_seq", l.created_seq},
                    {"created_by", l.created_by},
                    {"creator_role", RoleName(l.creator_role)},
                    {"custodian", l.custodian},
                    {"status", l.status},
                    {"remaining_g", l.remaining_g},
                    {"is_origin", l.is_origin},
                    {"record_seqs", l.record_seqs}});
  }
  j["lots"] = lots;
  auto edges = nlohmann::json::array();
  for (const auto& e : r.edges) {
    edges.push_back({{"input_lot", e.input_lot},
                     {"output_lot", e.output_lot},
                     {"consumed_g", e.consumed_g},
                     {"seq", e.seq}});
  }
  j["edges"] = edges;
  auto origins = nlohmann::json::array();
  for (const auto& o : r.origins) {
    origins.push_back({{"origin_lot", o.origin_lot},
                       {"actor_id", o.actor_id},
                       {"site", o.site},
                       {"licence", o.licence},
                       {"extracted_seq", o.extracted_seq},
                       {"rare_earth_g", o.rare_earth_g},
                       {"share_ppm", o.share_ppm}});
  }
  j["origins"] = origins;
  j["findings"] = FindingsJson(r.findings);
  return j.dump(2);
}

std::string AuditReportToJson(const AuditReport& r) {
  nlohmann::json j;
  j["schema"] = "retrace.audit/v1";
  j["valid"] = r.valid;
  j["records_checked"] = r.records_checked;
  j["signatures_checked"] = r.signatures_checked;
  j["lots"] = r.lots;
  j["actors"] = r.actors;
  j["tree_size"] = r.tree_size;
  j["head_hash"] = HashToHex(r.head_hash);
  j["root_hash"] = HashToHex(r.root_hash);
  j["findings"] = FindingsJson(r.findings);
  return j.dump(2);
}

}  // namespace retrace
