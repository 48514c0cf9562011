// retrace lots: every lot with its status and custodian.
#include <iomanip>
#include <iostream>

#include "common.h"

namespace retrace::cli {
namespace {

struct LotsOptions {
  std::string db;
  std::string format = "text";
};

int RunLots(const LotsOptions& o) {
  Result<std::unique_ptr<Ledger>> ledger = OpenLedger(o.db, true);
  if (!ledger.ok()) return Fail("lots", ledger.status().ToString());
  Result<std::vector<std::string>> ids = (*ledger)->ListLots();
  if (!ids.ok()) return Fail("lots", ids.status().ToString());
  std::vector<LotInfo> lots;
  for (const std::string& id : *ids) {
    Result<LotInfo> lot = (*ledger)->GetLot(id);
    if (!lot.ok()) return Fail("lots", "cannot read lot " + id + ": " + lot.status().ToString());
    lots.push_back(std::move(*lot));
  }
  if (o.format == "json") {
    std::cout << LotListToJson(lots) << "\n";
    return kExitOk;
  }
  std::cout << std::left << std::setw(18) << "LOT" << std::setw(17) << "MATERIAL"
            << std::setw(13) << "MASS" << std::setw(13) << "REMAINING" << std::setw(11)
            << "STATUS"
            << "CUSTODIAN\n";
  for (const LotInfo& l : lots) {
    std::string custodian = l.custodian;
    if (!l.in_transit_to.empty()) custodian += " -> " + l.in_transit_to;
    std::cout << std::left << std::setw(18) << l.lot.lot_id << std::setw(17)
              << MaterialClassName(l.lot.material) << std::setw(13) << FormatMass(l.lot.mass_g)
              << std::setw(13) << FormatMass(l.remaining_g) << std::setw(11) << l.status
              << custodian << "\n";
  }
  std::cout << lots.size() << " lots\n";
  return kExitOk;
}

}  // namespace

Command AddLotsCommand(CLI::App& app) {
  auto o = std::make_shared<LotsOptions>();
  CLI::App* sub = app.add_subcommand("lots", "List every lot with its status and custodian");
  sub->add_option("--db", o->db, "Ledger directory")->required();
  sub->add_option("--format", o->format, "text or json (schema retrace.lots/v1)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  sub->footer(kExitFooter);
  return {sub, [o] { return RunLots(*o); }};
}

}  // namespace retrace::cli
