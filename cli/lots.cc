// retrace lots: every lot with its status and custodian, optionally only
// those of one status, custodian or material class.
#include <algorithm>
#include <iostream>
#include <optional>

#include "common.h"

namespace retrace::cli {
namespace {

struct LotsOptions {
  std::string db;
  std::string format = "text";
  std::string status;
  std::string custodian;
  std::string material;
};

// A column of the text table: as wide as its widest cell, so that long ids
// never run into the next column.
struct Column {
  std::string title;
  std::vector<std::string> cells;
  std::size_t Width() const {
    std::size_t w = title.size();
    for (const std::string& c : cells) w = std::max(w, c.size());
    return w;
  }
};

int RunLots(const LotsOptions& o) {
  const char* cmd = "lots";
  std::optional<MaterialClass> material;
  if (!o.material.empty()) {
    for (int m = 1; m <= 6; ++m) {
      if (o.material == MaterialClassName(static_cast<MaterialClass>(m))) {
        material = static_cast<MaterialClass>(m);
      }
    }
    if (!material) {
      std::string names;
      for (int m = 1; m <= 6; ++m) {
        names += (names.empty() ? "" : ", ") +
                 std::string(MaterialClassName(static_cast<MaterialClass>(m)));
      }
      return Fail(cmd, "unknown material class " + Shown(o.material) + " (expected " + names + ")");
    }
  }
  Result<std::unique_ptr<Ledger>> ledger = OpenLedger(o.db, true);
  if (!ledger.ok()) return Fail(cmd, ledger.status().ToString());
  Result<std::vector<std::string>> ids = (*ledger)->ListLots();
  if (!ids.ok()) return Fail(cmd, ids.status().ToString());
  std::vector<LotInfo> lots;
  for (const std::string& id : *ids) {
    Result<LotInfo> lot = (*ledger)->GetLot(id);
    if (!lot.ok()) return Fail(cmd, "cannot read lot " + Shown(id) + ": " + lot.status().ToString());
    if (!o.status.empty() && lot->status != o.status) continue;
    if (!o.custodian.empty() && lot->custodian != o.custodian &&
        lot->in_transit_to != o.custodian) {
      continue;
    }
    if (material && lot->lot.material != *material) continue;
    lots.push_back(std::move(*lot));
  }
  if (o.format == "json") {
    std::cout << LotListToJson(lots) << "\n";
    return kExitOk;
  }
  std::vector<Column> cols = {{"LOT", {}},    {"MATERIAL", {}}, {"MASS", {}},
                              {"REMAINING", {}}, {"STATUS", {}}, {"CUSTODIAN", {}}};
  for (const LotInfo& l : lots) {
    std::string custodian = Shown(l.custodian);
    if (!l.in_transit_to.empty()) custodian += " -> " + Shown(l.in_transit_to);
    cols[0].cells.push_back(Shown(l.lot.lot_id));
    cols[1].cells.push_back(MaterialClassName(l.lot.material));
    cols[2].cells.push_back(FormatMass(l.lot.mass_g));
    cols[3].cells.push_back(FormatMass(l.remaining_g));
    cols[4].cells.push_back(l.status);
    cols[5].cells.push_back(std::move(custodian));
  }
  auto row = [&](auto cell) {
    std::string line;
    for (std::size_t c = 0; c < cols.size(); ++c) {
      std::string text = cell(cols[c]);
      if (c + 1 < cols.size()) text.resize(cols[c].Width() + 2, ' ');  // pad, never cut
      line += text;
    }
    std::cout << line << "\n";
  };
  row([](const Column& c) { return c.title; });
  for (std::size_t i = 0; i < lots.size(); ++i) row([i](const Column& c) { return c.cells[i]; });
  std::cout << lots.size() << (lots.size() == 1 ? " lot" : " lots") << "\n";
  return kExitOk;
}

}  // namespace

Command AddLotsCommand(CLI::App& app) {
  auto o = std::make_shared<LotsOptions>();
  CLI::App* sub = app.add_subcommand("lots", "List every lot with its status and custodian");
  AddDbOption(sub, o->db);
  sub->add_option("--status", o->status, "Only lots of this status")
      ->check(CLI::IsMember({"held", "in_transit", "exported", "consumed"}));
  sub->add_option("--custodian", o->custodian,
                  "Only lots this actor holds (or is being sent, in transit)");
  sub->add_option("--material", o->material,
                  "Only lots of this material class: ore_concentrate, mixed_compound, "
                  "separated_oxide, metal_alloy, magnet or other");
  sub->add_option("--format", o->format, "text or json (schema retrace.lots/v1)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  SetHelpFooter(sub, {"printed (no lot matching the filters is not an error)", "",
                      "usage error, unknown material class, or an unreadable ledger"});
  return {sub, [o] { return RunLots(*o); }};
}

}  // namespace retrace::cli
