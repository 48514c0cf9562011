// The monthly flow report (retrace/flow_report.h).
//
// Each ledger is read up to its latest stored checkpoint, record by record
// through the public API (ReadRecord, DecodeEvent), in log order; records
// stated at or after the month's end are left out, so the lot state after
// the pass is the state at the month's end. The lot arithmetic follows the
// ledger's rules (docs/verification.md): a lot ships and is exported whole,
// a transformation consumes part of it. Quotas come from Ledger::Quotas.
#include "retrace/flow_report.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "retrace/checkpoint.h"
#include "transparency/text.h"
#include "util/escape.h"
#include "util/hex.h"
#include "util/status_macros.h"

namespace retrace {
namespace {

using json = nlohmann::ordered_json;

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct LotState {
  std::vector<ElementMass> content;
  std::uint64_t mass_g = 0;
  std::uint64_t remaining_g = 0;
  std::string custodian;
  bool in_transit = false;
  bool gone = false;  // exported or consumed
};

// REO grams of each element of `content` scaled to `part` of `whole` grams.
std::vector<std::pair<Element, std::uint64_t>> ReoParts(const std::vector<ElementMass>& content,
                                                        std::uint64_t part, std::uint64_t whole) {
  std::vector<std::pair<Element, std::uint64_t>> out;
  if (whole == 0) return out;
  for (const ElementMass& e : content) {
    const unsigned __int128 g = static_cast<unsigned __int128>(e.grams) * part / whole;
    const std::uint64_t grams = g > UINT64_MAX ? UINT64_MAX : static_cast<std::uint64_t>(g);
    out.emplace_back(e.element, ReoEquivalentGrams({ElementMass{e.element, grams}}));
  }
  return out;
}

struct HandOver {
  std::string origin;
  std::uint64_t seq = 0;
  std::int64_t time = 0;
  std::string lot_id, from, to;
  std::uint64_t mass_g = 0;
  bool in_month = false;
  bool matched = false;
};

// Matches shipments to receipts: the same lot, sender and consignee, the
// receipt after the shipment (in log order within one ledger, by stated
// time across ledgers), each used once. The one place a later field (the
// sender's ledger and record a federated receipt names, issue 14) can make
// the match exact.
void MatchHandOvers(std::vector<HandOver>* shipments, std::vector<HandOver>* receipts,
                    std::vector<FlowFinding>* findings) {
  // Within one ledger first (where the rules already tie a receipt to its
  // shipment), then across ledgers.
  for (const bool same_ledger : {true, false}) {
    for (HandOver& s : *shipments) {
      if (s.matched) continue;
      for (HandOver& r : *receipts) {
        if (r.matched || r.lot_id != s.lot_id || r.from != s.from || r.to != s.to) continue;
        if ((r.origin == s.origin) != same_ledger) continue;
        const bool after = same_ledger ? r.seq > s.seq : r.time >= s.time;
        if (!after) continue;
        r.matched = s.matched = true;
        if (r.mass_g != s.mass_g && (r.in_month || s.in_month)) {
          findings->push_back({"received_mass_differs", r.origin, r.seq, r.to, r.lot_id,
                               "lot " + r.lot_id + " was shipped by " + s.from + " with " +
                                   std::to_string(s.mass_g) + " g (" + s.origin + " record " +
                                   std::to_string(s.seq) + ") and received by " + r.to +
                                   " with " + std::to_string(r.mass_g) + " g"});
        }
        break;
      }
    }
  }
  for (const HandOver& s : *shipments) {
    if (s.in_month && !s.matched) {
      findings->push_back({"shipment_not_received", s.origin, s.seq, s.from, s.lot_id,
                           "lot " + s.lot_id + " shipped by " + s.from + " to " + s.to +
                               " was not received by the end of the month in any monitored "
                               "ledger"});
    }
  }
  for (const HandOver& r : *receipts) {
    if (r.in_month && !r.matched) {
      findings->push_back({"receipt_without_shipment", r.origin, r.seq, r.to, r.lot_id,
                           "lot " + r.lot_id + " received by " + r.to + " from " + r.from +
                               " has no matching shipment in any monitored ledger"});
    }
  }
}

std::string Hex(const Hash& h) { return internal::HexEncode(HashBytes(h)); }

}  // namespace

Result<FlowReport> ComputeFlowReport(const std::vector<const Ledger*>& ledgers,
                                     std::string_view month) {
  unsigned y = 0, m = 0;
  if (month.size() != 7 || month[4] != '-' ||
      std::sscanf(std::string(month).c_str(), "%4u-%2u", &y, &m) != 2 || m < 1 || m > 12 ||
      y < 1970 || y > 9999 ||
      !std::all_of(month.begin(), month.begin() + 4, [](char c) { return c >= '0' && c <= '9'; }) ||
      !std::isdigit(static_cast<unsigned char>(month[5])) ||
      !std::isdigit(static_cast<unsigned char>(month[6]))) {
    return InvalidArgumentError("the month must be YYYY-MM, not \"" + std::string(month) + "\"");
  }
  FlowReport rep;
  rep.month = std::string(month);
  rep.start = DaysFromCivil(y, m, 1) * 86400;
  rep.end = DaysFromCivil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) * 86400;

  std::map<std::tuple<std::string, std::string, int>, FlowFigures> figures;
  std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>> actors;
  std::vector<HandOver> shipments, receipts;
  std::set<std::string> origins;

  for (const Ledger* ledger : ledgers) {
    ASSIGN_OR_RETURN(std::string note, ledger->LatestCheckpoint());
    ASSIGN_OR_RETURN(Checkpoint cp, ParseSignedCheckpoint(note));
    if (!origins.insert(cp.origin).second) {
      return InvalidArgumentError("two ledgers of the log " + cp.origin + " were given");
    }
    rep.checkpoints.push_back({cp.origin, cp.size, cp.root_hash, note});
    const std::string& origin = cp.origin;
    auto add = [&](const std::string& actor, Element el, std::uint64_t FlowFigures::*field,
                   std::uint64_t reo) {
      FlowFigures& f = figures[{origin, actor, static_cast<int>(el)}];
      f.*field += reo;
    };
    auto add_parts = [&](const std::string& actor, const std::vector<ElementMass>& content,
                         std::uint64_t part, std::uint64_t whole, std::uint64_t FlowFigures::*field) {
      for (const auto& [el, reo] : ReoParts(content, part, whole)) add(actor, el, field, reo);
    };
    std::map<std::string, LotState> lots;
    std::map<std::uint64_t, std::int64_t> times;  // seq -> stated time, for quota uses
    for (std::uint64_t seq = 0; seq < cp.size; ++seq) {
      ASSIGN_OR_RETURN(Record rec, ledger->ReadRecord(seq));
      ASSIGN_OR_RETURN(Event ev, DecodeEvent(rec.event_bytes));
      const std::int64_t t = ev.time.seconds;
      times[seq] = t;
      if (t >= rep.end) continue;
      const bool in_month = t >= rep.start;
      const std::string& actor = ev.actor_id;
      auto create = [&](const Lot& lot) {
        lots[lot.lot_id] = LotState{lot.content, lot.mass_g, lot.mass_g, actor, false, false};
      };
      std::visit(
          [&](const auto& b) {
            using T = std::decay_t<decltype(b)>;
            if constexpr (std::is_same_v<T, ActorRegistered>) {
              actors[{origin, b.actor_id}] = {b.legal_name, RoleName(b.role)};
            } else if constexpr (std::is_same_v<T, Extracted>) {
              create(b.lot);
              if (in_month) add_parts(actor, b.lot.content, 1, 1, &FlowFigures::extracted);
            } else if constexpr (std::is_same_v<T, Recycled> || std::is_same_v<T, Imported>) {
              create(b.lot);
            } else if constexpr (std::is_same_v<T, Transformed>) {
              for (const TransformInput& in : b.inputs) {
                auto it = lots.find(in.lot_id);
                if (it == lots.end()) continue;
                LotState& l = it->second;
                l.remaining_g = in.consumed_g > l.remaining_g ? 0 : l.remaining_g - in.consumed_g;
                if (l.remaining_g == 0 && !l.in_transit) l.gone = true;
              }
              for (const Lot& out : b.outputs) {
                create(out);
                if (!in_month) continue;
                if (out.material == MaterialClass::kSeparatedOxide) {
                  add_parts(actor, out.content, 1, 1, &FlowFigures::separated);
                } else if (out.material == MaterialClass::kMetalAlloy) {
                  add_parts(actor, out.content, 1, 1, &FlowFigures::smelted);
                }
              }
            } else if constexpr (std::is_same_v<T, Shipped>) {
              auto it = lots.find(b.lot_id);
              if (it != lots.end()) {
                it->second.in_transit = true;
                if (in_month) {
                  add_parts(actor, it->second.content, b.mass_g, it->second.mass_g,
                            &FlowFigures::shipped);
                }
              }
              shipments.push_back({origin, seq, t, b.lot_id, actor, b.to_actor_id, b.mass_g,
                                   in_month, false});
            } else if constexpr (std::is_same_v<T, Received>) {
              auto it = lots.find(b.lot_id);
              if (it != lots.end()) {
                it->second.in_transit = false;
                it->second.custodian = actor;
                if (in_month) {
                  add_parts(actor, it->second.content, b.mass_g, it->second.mass_g,
                            &FlowFigures::received);
                }
              }
              receipts.push_back({origin, seq, t, b.lot_id, b.from_actor_id, actor, b.mass_g,
                                  in_month, false});
            } else if constexpr (std::is_same_v<T, Exported>) {
              auto it = lots.find(b.lot_id);
              if (it != lots.end()) {
                if (in_month) {
                  add_parts(actor, it->second.content, b.mass_g, it->second.mass_g,
                            &FlowFigures::exported);
                }
                it->second.remaining_g = 0;
                it->second.gone = true;
              }
            }
          },
          ev.body);
    }
    // Stock at the month's end: what each custodian holds (a lot in
    // transit stays with its sender until received, as LotInfo has it).
    for (const auto& [id, l] : lots) {
      if (l.gone || l.remaining_g == 0) continue;
      add_parts(l.custodian, l.content, l.remaining_g, l.mass_g, &FlowFigures::stock);
    }
    // Quotas, from the ledger's own book.
    ASSIGN_OR_RETURN(std::vector<QuotaUsage> quotas, ledger->Quotas(y));
    for (const QuotaUsage& q : quotas) {
      FlowQuota fq{origin, q.actor_id, q.year, q.kind, q.granted_reo_g, q.used_reo_g, 0,
                   q.remaining_reo_g};
      for (const QuotaUsage::Entry& e : q.entries) {
        auto t = times.find(e.seq);
        if (e.grant || e.void_entry || t == times.end()) continue;
        if (t->second < rep.start || t->second >= rep.end) continue;
        fq.used_in_month_reo_g += e.reo_g;
        if (e.exceeded) {
          rep.findings.push_back({"quota_exceeded", origin, e.seq, q.actor_id, e.lot_id,
                                  "a use of " + std::to_string(e.reo_g) + " g REO of the " +
                                      QuotaKindName(q.kind) + " quota exceeds the quota in force"});
        }
      }
      rep.quotas.push_back(std::move(fq));
    }
  }
  MatchHandOvers(&shipments, &receipts, &rep.findings);
  for (const auto& [key, f] : figures) {
    const auto& [origin, actor, el] = key;
    if (f.extracted == 0 && f.separated == 0 && f.smelted == 0 && f.shipped == 0 &&
        f.received == 0 && f.exported == 0 && f.stock == 0) {
      continue;
    }
    FlowRow row{origin, actor, "", "", static_cast<Element>(el), f};
    auto a = actors.find({origin, actor});
    if (a != actors.end()) std::tie(row.legal_name, row.role) = a->second;
    rep.rows.push_back(std::move(row));
  }
  std::stable_sort(rep.findings.begin(), rep.findings.end(),
                   [](const FlowFinding& a, const FlowFinding& b) {
                     return std::tie(a.origin, a.seq, a.code) < std::tie(b.origin, b.seq, b.code);
                   });
  return rep;
}

// ---------------------------------------------------------------------------

namespace {

using internal::XmlEscape;

const char* const kFigureNames[] = {"extracted", "separated", "smelted", "shipped",
                                    "received",  "exported",  "stock"};

std::vector<std::uint64_t> Values(const FlowFigures& f) {
  return {f.extracted, f.separated, f.smelted, f.shipped, f.received, f.exported, f.stock};
}

json CheckpointRef(const FlowReport& r, const std::string& origin) {
  for (const FlowCheckpoint& c : r.checkpoints) {
    if (c.origin == origin) {
      return {{"origin", c.origin}, {"size", c.size}, {"root_hash", internal::HashToBase64(c.root_hash)}};
    }
  }
  return nullptr;
}

// Text cells: control bytes shown as \xNN, so input cannot move a terminal.
std::string Plain(std::string_view s) {
  std::string out;
  char buf[8];
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

std::string CsvCell(std::string_view s) {
  std::string v = Plain(s);
  // A leading = + - @ would be a formula in a spreadsheet.
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@')) v = "'" + v;
  if (v.find_first_of(",\"\n") == std::string::npos) return v;
  std::string q = "\"";
  for (char c : v) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string Kg(std::uint64_t g) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%llu.%03llu", static_cast<unsigned long long>(g / 1000),
                static_cast<unsigned long long>(g % 1000));
  return buf;
}

}  // namespace

std::string FlowReportToJson(const FlowReport& r) {
  json cps = json::array();
  for (const FlowCheckpoint& c : r.checkpoints) {
    cps.push_back({{"origin", c.origin},
                   {"size", c.size},
                   {"root_hash", internal::HashToBase64(c.root_hash)},
                   {"note", c.note}});
  }
  json rows = json::array();
  for (const FlowRow& row : r.rows) {
    json f = json::object();
    const std::vector<std::uint64_t> v = Values(row.figures);
    for (std::size_t i = 0; i < v.size(); ++i) f[std::string(kFigureNames[i]) + "_reo_g"] = v[i];
    rows.push_back({{"checkpoint", CheckpointRef(r, row.origin)},
                    {"actor_id", row.actor_id},
                    {"legal_name", row.legal_name},
                    {"role", row.role},
                    {"element", ElementSymbol(row.element)},
                    {"figures", f}});
  }
  json quotas = json::array();
  for (const FlowQuota& q : r.quotas) {
    quotas.push_back({{"checkpoint", CheckpointRef(r, q.origin)},
                      {"actor_id", q.actor_id},
                      {"year", q.year},
                      {"kind", QuotaKindName(q.kind)},
                      {"granted_reo_g", q.granted_reo_g},
                      {"used_reo_g", q.used_reo_g},
                      {"used_in_month_reo_g", q.used_in_month_reo_g},
                      {"remaining_reo_g", q.remaining_reo_g}});
  }
  json findings = json::array();
  for (const FlowFinding& f : r.findings) {
    findings.push_back({{"code", f.code},
                        {"checkpoint", CheckpointRef(r, f.origin)},
                        {"seq", f.seq},
                        {"actor_id", f.actor_id},
                        {"lot_id", f.lot_id},
                        {"message", f.message}});
  }
  json j = {{"schema", "retrace.flow-report/v1"},
            {"month", r.month},
            {"start", r.start},
            {"end", r.end},
            {"unit", "g REO"},
            {"checkpoints", cps},
            {"rows", rows},
            {"quotas", quotas},
            {"findings", findings}};
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string FlowReportToText(const FlowReport& r) {
  std::string out = "Monthly flow report " + r.month + " (kg REO)\n\nCheckpoints:\n";
  char buf[512];
  for (const FlowCheckpoint& c : r.checkpoints) {
    out += "  " + Plain(c.origin) + "  size " + std::to_string(c.size) + "  root " +
           internal::HashToBase64(c.root_hash) + "\n";
  }
  out += "\n";
  std::snprintf(buf, sizeof buf, "%-20s %-20s %-3s %12s %12s %12s %12s %12s %12s %12s\n", "ledger",
                "enterprise", "el", "extracted", "separated", "smelted", "shipped", "received",
                "exported", "stock");
  out += buf;
  for (const FlowRow& row : r.rows) {
    const std::vector<std::uint64_t> v = Values(row.figures);
    std::snprintf(buf, sizeof buf, "%-20s %-20s %-3s %12s %12s %12s %12s %12s %12s %12s\n",
                  Plain(row.origin).c_str(), Plain(row.actor_id).c_str(),
                  ElementSymbol(row.element), Kg(v[0]).c_str(), Kg(v[1]).c_str(), Kg(v[2]).c_str(),
                  Kg(v[3]).c_str(), Kg(v[4]).c_str(), Kg(v[5]).c_str(), Kg(v[6]).c_str());
    out += buf;
  }
  out += "\nQuotas " + r.month.substr(0, 4) + " (kg REO):\n";
  for (const FlowQuota& q : r.quotas) {
    std::snprintf(buf, sizeof buf,
                  "  %-20s %-20s %-20s granted %s  used %s (in month %s)  remaining %s%s\n",
                  Plain(q.origin).c_str(), Plain(q.actor_id).c_str(), QuotaKindName(q.kind),
                  Kg(q.granted_reo_g).c_str(), Kg(q.used_reo_g).c_str(),
                  Kg(q.used_in_month_reo_g).c_str(), q.remaining_reo_g < 0 ? "-" : "",
                  Kg(static_cast<std::uint64_t>(q.remaining_reo_g < 0 ? -q.remaining_reo_g
                                                                      : q.remaining_reo_g))
                      .c_str());
    out += buf;
  }
  out += "\nFindings: " + std::to_string(r.findings.size()) + "\n";
  for (const FlowFinding& f : r.findings) {
    out += "  " + f.code + "  " + Plain(f.origin) + " record " + std::to_string(f.seq) + ": " +
           Plain(f.message) + "\n";
  }
  return out;
}

std::string FlowReportToCsv(const FlowReport& r) {
  std::string out =
      "record,month,origin,checkpoint_size,checkpoint_root,actor_id,legal_name,role,element,"
      "extracted_reo_g,separated_reo_g,smelted_reo_g,shipped_reo_g,received_reo_g,exported_reo_g,"
      "stock_reo_g,quota_kind,granted_reo_g,used_reo_g,used_in_month_reo_g,remaining_reo_g,"
      "code,seq,lot_id,message\n";
  auto cp = [&](const std::string& origin) {
    for (const FlowCheckpoint& c : r.checkpoints) {
      if (c.origin == origin) {
        return CsvCell(origin) + "," + std::to_string(c.size) + "," +
               internal::HashToBase64(c.root_hash);
      }
    }
    return CsvCell(origin) + ",,";
  };
  for (const FlowRow& row : r.rows) {
    out += "flow," + r.month + "," + cp(row.origin) + "," + CsvCell(row.actor_id) + "," +
           CsvCell(row.legal_name) + "," + row.role + "," + ElementSymbol(row.element);
    for (std::uint64_t v : Values(row.figures)) out += "," + std::to_string(v);
    out += ",,,,,,,,,\n";
  }
  for (const FlowQuota& q : r.quotas) {
    out += "quota," + r.month + "," + cp(q.origin) + "," + CsvCell(q.actor_id) + ",,,,,,,,,,," +
           QuotaKindName(q.kind) + "," + std::to_string(q.granted_reo_g) + "," +
           std::to_string(q.used_reo_g) + "," + std::to_string(q.used_in_month_reo_g) + "," +
           std::to_string(q.remaining_reo_g) + ",,,,\n";
  }
  for (const FlowFinding& f : r.findings) {
    out += "finding," + r.month + "," + cp(f.origin) + "," + CsvCell(f.actor_id) +
           ",,,,,,,,,,,,,,,," + f.code + "," + std::to_string(f.seq) + "," + CsvCell(f.lot_id) +
           "," + CsvCell(f.message) + "\n";
  }
  return out;
}

std::string FlowReportToHtml(const FlowReport& r) {
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>Flow report " +
      XmlEscape(r.month) +
      "</title>\n<style>body{font-family:sans-serif;margin:2em;color:#222}"
      "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em}"
      "td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3}"
      ".finding{color:#a00}.ok{color:#060}code{font-size:.9em}</style></head><body>\n<h1>Monthly "
      "flow report " +
      XmlEscape(r.month) + "</h1>\n<p>Figures in kg of rare-earth oxide (REO) equivalent.</p>\n";
  h += "<h2>Checkpoints</h2>\n<table><tr><th>ledger (origin)</th><th>size</th><th>root "
       "hash</th></tr>\n";
  for (const FlowCheckpoint& c : r.checkpoints) {
    h += "<tr><td>" + XmlEscape(c.origin) + "</td><td class=\"n\">" + std::to_string(c.size) +
         "</td><td><code>" + internal::HashToBase64(c.root_hash) + "</code></td></tr>\n";
  }
  h += "</table>\n<h2>Flows</h2>\n<table><tr><th>ledger</th><th>enterprise</th><th>role</th><th>"
       "element</th>";
  for (const char* n : kFigureNames) h += std::string("<th>") + n + "</th>";
  h += "</tr>\n";
  for (const FlowRow& row : r.rows) {
    h += "<tr><td>" + XmlEscape(row.origin) + "</td><td>" + XmlEscape(row.actor_id) +
         (row.legal_name.empty() ? "" : "<br><small>" + XmlEscape(row.legal_name) + "</small>") +
         "</td><td>" + XmlEscape(row.role) + "</td><td>" + ElementSymbol(row.element) + "</td>";
    for (std::uint64_t v : Values(row.figures)) h += "<td class=\"n\">" + Kg(v) + "</td>";
    h += "</tr>\n";
  }
  h += "</table>\n<h2>Quotas " + XmlEscape(r.month.substr(0, 4)) +
       "</h2>\n<table><tr><th>ledger</th><th>enterprise</th><th>kind</th><th>granted</th><th>"
       "used</th><th>used in month</th><th>remaining</th></tr>\n";
  for (const FlowQuota& q : r.quotas) {
    h += "<tr><td>" + XmlEscape(q.origin) + "</td><td>" + XmlEscape(q.actor_id) + "</td><td>" +
         QuotaKindName(q.kind) + "</td><td class=\"n\">" + Kg(q.granted_reo_g) +
         "</td><td class=\"n\">" + Kg(q.used_reo_g) + "</td><td class=\"n\">" +
         Kg(q.used_in_month_reo_g) + "</td><td class=\"n\">" +
         (q.remaining_reo_g < 0 ? "-" : "") +
         Kg(static_cast<std::uint64_t>(q.remaining_reo_g < 0 ? -q.remaining_reo_g
                                                             : q.remaining_reo_g)) +
         "</td></tr>\n";
  }
  h += "</table>\n<h2>Findings</h2>\n";
  if (r.findings.empty()) {
    h += "<p class=\"ok\">None.</p>\n";
  } else {
    h += "<ul>\n";
    for (const FlowFinding& f : r.findings) {
      h += "<li class=\"finding\"><code>" + XmlEscape(f.code) + "</code> " + XmlEscape(f.origin) +
           " record " + std::to_string(f.seq) + ": " + XmlEscape(f.message) + "</li>\n";
    }
    h += "</ul>\n";
  }
  h += "</body></html>\n";
  return h;
}

// ---------------------------------------------------------------------------

namespace {
constexpr char kReportHeader[] = "retrace.flow-report/v1\n";

std::string ReportNoteText(std::string_view month, std::string_view json_text) {
  Hash digest = Sha256(json_text);
  return std::string(kReportHeader) + "month " + std::string(month) + "\nsha256 " + Hex(digest) +
         "\n";
}
}  // namespace

Result<std::string> SignFlowReport(const FlowReport& report, const NoteSigner& key) {
  if (key.type() != NoteKeyType::kEd25519) {
    return InvalidArgumentError("a flow report is signed with an ed25519 note key, not a "
                                "cosignature key");
  }
  return SignNote(ReportNoteText(report.month, FlowReportToJson(report)), {&key});
}

Result<std::string> VerifyFlowReport(std::string_view signed_note, std::string_view report_json,
                                     const NoteVerifier& key) {
  ASSIGN_OR_RETURN(OpenedNote opened, OpenNote(signed_note, {key}));
  if (opened.text.rfind(kReportHeader, 0) != 0) {
    return InvalidArgumentError("not a signed flow report (the note does not start with " +
                                std::string("retrace.flow-report/v1)"));
  }
  json j = json::parse(report_json, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("month") || !j["month"].is_string()) {
    return InvalidArgumentError("the report is not a retrace.flow-report/v1 JSON document");
  }
  const std::string month = j["month"].get<std::string>();
  if (opened.text != ReportNoteText(month, report_json)) {
    return VerificationFailedError("the report is not the one the monitor signed (its SHA-256 "
                                   "or month differs)");
  }
  return month;
}

}  // namespace retrace
