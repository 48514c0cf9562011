// retrace quota: production quotas -- granted, used, remaining -- per
// enterprise, year and kind, with the records that consumed them.
#include <iomanip>
#include <iostream>
#include <sstream>
#include <variant>

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

// Grams of REO rounded to whole kilograms (halves away from zero), the unit
// the text table shows. The remaining column is the difference of the shown
// granted and used figures, so each row adds up; `--format json` has exact
// grams.
std::int64_t RoundedKg(std::int64_t grams) {
  // Not (grams + 500) / 1000: that overflows for a figure at the int64 limit
  // (a saturated use, issue 17 item 4).
  const std::int64_t kg = grams / 1000, rest = grams % 1000;
  return rest >= 500 ? kg + 1 : rest <= -500 ? kg - 1 : kg;
}

// Kilograms as tonnes with three decimals ("1234.567 t"); negative allowed.
std::string Tonnes(std::int64_t kg) {
  std::ostringstream out;
  const bool neg = kg < 0;
  const std::uint64_t k = neg ? static_cast<std::uint64_t>(-kg) : static_cast<std::uint64_t>(kg);
  out << (neg ? "-" : "") << k / 1000 << "." << std::setw(3) << std::setfill('0') << k % 1000
      << " t";
  return out.str();
}

// Grams as int64 for display; quota figures are far below 2^63 g, and a
// larger one is shown at the limit rather than wrapped.
std::int64_t Signed(std::uint64_t g) {
  return g > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(g);
}

// "lot OX-1" or "lots OX-1, OX-2, OX-3": every lot a use created (all the
// outputs of a separation, not only its first).
std::string UseLots(const Ledger& ledger, const QuotaUsage::Entry& e) {
  std::vector<std::string> lots;
  Result<Record> rec = ledger.ReadRecord(e.seq);
  Result<Event> ev = rec.ok() ? DecodeEvent(rec->event_bytes) : Result<Event>(rec.status());
  if (ev.ok()) {
    if (const auto* t = std::get_if<Transformed>(&ev->body)) {
      for (const Lot& out : t->outputs) lots.push_back(Shown(out.lot_id));
    }
  }
  if (lots.empty() && !e.lot_id.empty()) lots.push_back(Shown(e.lot_id));
  if (lots.empty()) return "";
  std::string s = lots.size() == 1 ? " (lot " : " (lots ";
  for (std::size_t i = 0; i < lots.size(); ++i) s += (i ? ", " : "") + lots[i];
  return s + ")";
}

int RunQuota(const QuotaOptions& o) {
  const char* cmd = "quota";
  Result<std::unique_ptr<Ledger>> ledger = OpenLedger(o.db, true);
  if (!ledger.ok()) return Fail(cmd, ledger.status().ToString());
  if (!o.actor.empty()) {
    Result<ActorInfo> actor = (*ledger)->GetActor(o.actor);
    if (!actor.ok()) {
      if (actor.status().code() == StatusCode::kNotFound) {
        return Fail(cmd, "unknown actor " + Shown(o.actor) + ": no actor of that id is registered");
      }
      return Fail(cmd, "cannot read actor " + Shown(o.actor) + ": " + actor.status().ToString());
    }
  }
  Result<std::vector<QuotaUsage>> quotas = (*ledger)->Quotas(o.year, o.actor);
  if (!quotas.ok()) return Fail(cmd, "could not read quotas: " + quotas.status().ToString());
  if (o.format == "json") {
    std::cout << QuotasToJson(*quotas) << "\n";
    return kExitOk;
  }
  if (quotas->empty()) {
    std::cout << "No quotas" << (o.year ? " for " + std::to_string(o.year) : "")
              << (o.actor.empty() ? "" : " of " + Shown(o.actor)) << ".\n";
    return kExitOk;
  }
  std::size_t actor_width = 20;
  for (const QuotaUsage& q : *quotas) actor_width = std::max(actor_width, Shown(q.actor_id).size() + 2);
  std::cout << std::left << std::setw(static_cast<int>(actor_width)) << "enterprise" << std::setw(6)
            << "year" << std::setw(21) << "kind" << std::right << std::setw(16) << "granted REO"
            << " " << std::setw(15) << "used" << " " << std::setw(15) << "remaining" << "\n";
  for (const QuotaUsage& q : *quotas) {
    const std::int64_t granted = RoundedKg(Signed(q.granted_reo_g));
    const std::int64_t used = RoundedKg(Signed(q.used_reo_g));
    std::cout << std::left << std::setw(static_cast<int>(actor_width)) << Shown(q.actor_id)
              << std::setw(6) << q.year << std::setw(21) << QuotaKindName(q.kind) << std::right
              << std::setw(16) << Tonnes(granted) << " " << std::setw(15) << Tonnes(used)
              << " " << std::setw(15) << Tonnes(granted - used)
              << (q.remaining_reo_g < 0 ? "  OVERRUN" : "") << "\n";
    if (!o.records) continue;
    for (const auto& r : q.entries) {
      std::cout << "    record " << r.seq << ": ";
      if (r.grant) {
        std::cout << "grant, quota " << Tonnes(RoundedKg(Signed(r.reo_g)))
                  << (r.void_entry ? "  VOID: its record is not valid (a revoked or unknown "
                                     "signer); it never was the quota"
                                   : "");
      } else if (r.release) {
        std::cout << "released " << Tonnes(RoundedKg(Signed(r.reo_g))) << " (reversal of record "
                  << r.releases << ")";
      } else {
        std::cout << "used " << Tonnes(RoundedKg(Signed(r.reo_g))) << UseLots(**ledger, r)
                  << (r.void_entry ? "  VOID: its record is not valid; it does not count" : "")
                  << (r.exceeded ? "  EXCEEDED the quota in force then (quota_exceeded)" : "");
      }
      std::cout << "\n";
    }
  }
  std::cout << "REO tonnes rounded to the kilogram; remaining = granted - used as shown "
               "(--format json has exact grams)\n";
  return kExitOk;
}

}  // namespace

Command AddQuotaCommand(CLI::App& app) {
  auto o = std::make_shared<QuotaOptions>();
  CLI::App* sub = app.add_subcommand(
      "quota", "Production quotas (REO equivalent): granted, used and remaining per enterprise");
  AddDbOption(sub, o->db);
  sub->add_option("--year", o->year, "Only this year")->check(StrictUnsigned<std::uint32_t>());
  sub->add_option("--actor", o->actor, "Only this enterprise (a registered actor id)");
  sub->add_flag("--records", o->records,
                "List the grants and the records that used each quota, with every lot a use "
                "created");
  sub->add_option("--format", o->format, "text or json (schema retrace.quota/v1)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  SetHelpFooter(sub, {"printed (no quota is not an error)", "",
                      "usage error, unknown actor, or an unreadable ledger"});
  return {sub, [o] { return RunQuota(*o); }};
}

}  // namespace retrace::cli
