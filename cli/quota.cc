// retrace quota: production quotas -- granted, used, remaining -- per
// enterprise, year and kind, with the records that consumed them.
#include <iomanip>
#include <sstream>
#include <iostream>

#include "common.h"

namespace retrace::cli {
namespace {

struct QuotaOptions {
  std::string db;
  std::uint32_t year = 0;
  std::string actor;
  std::string format = "text";
  bool records = false;
};

// Grams of REO as tonnes with three decimals ("1234.567 t"); negative allowed.
std::string Tonnes(std::int64_t grams) {
  std::ostringstream out;
  const bool neg = grams < 0;
  std::uint64_t g = neg ? static_cast<std::uint64_t>(-grams) : static_cast<std::uint64_t>(grams);
  out << (neg ? "-" : "") << g / 1000000 << "." << std::setw(3) << std::setfill('0')
      << (g % 1000000) / 1000 << " t";
  return out.str();
}

int RunQuota(const QuotaOptions& o) {
  Result<std::unique_ptr<Ledger>> ledger = OpenLedger(o.db, true);
  if (!ledger.ok()) return Fail("quota", ledger.status().ToString());
  Result<std::vector<QuotaUsage>> quotas = (*ledger)->Quotas(o.year, o.actor);
  if (!quotas.ok()) return Fail("quota", "could not read quotas: " + quotas.status().ToString());
  if (o.format == "json") {
    std::cout << QuotasToJson(*quotas) << "\n";
    return kExitOk;
  }
  if (quotas->empty()) {
    std::cout << "No quotas" << (o.year ? " for " + std::to_string(o.year) : "")
              << (o.actor.empty() ? "" : " of " + o.actor) << ".\n";
    return kExitOk;
  }
  std::cout << std::left << std::setw(20) << "enterprise" << std::setw(6) << "year"
            << std::setw(21) << "kind" << std::right << std::setw(16) << "granted REO"
            << std::setw(16) << "used" << std::setw(16) << "remaining" << "\n";
  for (const QuotaUsage& q : *quotas) {
    std::cout << std::left << std::setw(20) << q.actor_id << std::setw(6) << q.year
              << std::setw(21) << QuotaKindName(q.kind) << std::right << std::setw(16)
              << Tonnes(static_cast<std::int64_t>(q.granted_reo_g)) << std::setw(16)
              << Tonnes(static_cast<std::int64_t>(q.used_reo_g)) << std::setw(16)
              << Tonnes(q.remaining_reo_g) << (q.remaining_reo_g < 0 ? "  OVERRUN" : "") << "\n";
    if (!o.records) continue;
    for (const auto& r : q.entries) {
      std::cout << "    record " << r.seq << ": "
                << (r.grant ? "grant, quota now " : "used ") << Tonnes(static_cast<std::int64_t>(r.reo_g))
                << (r.lot_id.empty() ? "" : " (lot " + r.lot_id + ")") << "\n";
    }
  }
  return kExitOk;
}

}  // namespace

Command AddQuotaCommand(CLI::App& app) {
  auto o = std::make_shared<QuotaOptions>();
  CLI::App* sub = app.add_subcommand(
      "quota", "Production quotas (REO equivalent): granted, used and remaining per enterprise");
  sub->add_option("--db", o->db, "Ledger directory")->required();
  sub->add_option("--year", o->year, "Only this year");
  sub->add_option("--actor", o->actor, "Only this enterprise");
  sub->add_flag("--records", o->records, "List the grants and the records that used each quota");
  sub->add_option("--format", o->format, "text or json (schema retrace.quota/v1)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  sub->footer(kExitFooter);
  return {sub, [o] { return RunQuota(*o); }};
}

}  // namespace retrace::cli
