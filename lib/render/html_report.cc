// The HTML custody report. One self-contained page: inline CSS, inline SVG,
// no script and no external reference, so it renders identically offline,
// attached to an e-mail or archived with a shipment, and can be printed.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <sstream>

#include "render/render_util.h"
#include "retrace/render.h"

namespace retrace {
namespace {

using internal::XmlEscape;

std::string IsoTime(const Timestamp& t) {
  std::time_t secs = static_cast<std::time_t>(t.seconds);
  std::tm tm{};
  if (gmtime_r(&secs, &tm) == nullptr) return std::to_string(t.seconds);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return std::string(buf) + "Z";
}

std::string NowIso() {
  Timestamp t = Now();
  std::time_t secs = static_cast<std::time_t>(t.seconds);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Percent(std::uint32_t ppm) {
  // snprintf rather than string concatenation: GCC 12 at -O3 reports a
  // false -Wrestrict on the inlined operator+ chain.
  const std::uint32_t hundredths = (ppm + 50) / 100;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%u.%02u %%", static_cast<unsigned>(hundredths / 100),
                static_cast<unsigned>(hundredths % 100));
  return buf;
}

// Horizontal bar chart of origin shares.
std::string OriginChart(const VerifyReport& r) {
  constexpr double kLabelW = 260, kBarW = 360, kRowH = 26;
  const double h = 16 + kRowH * static_cast<double>(r.origins.size());
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"origin-chart\" width=\""
    << kLabelW + kBarW + 90 << "\" height=\"" << h << "\" role=\"img\" aria-label=\"Origin shares\">\n";
  double y = 8;
  const char* palette[] = {"#b07d2b", "#8d6e63", "#c49a3a", "#6d4c41", "#d4a373", "#a1887f"};
  std::size_t i = 0;
  for (const OriginShare& o : r.origins) {
    double w = kBarW * static_cast<double>(o.share_ppm) / 1e6;
    s << "<g class=\"origin-bar\" data-origin=\"" << XmlEscape(o.origin_lot) << "\">"
      << "<text x=\"" << kLabelW - 8 << "\" y=\"" << y + 15
      << "\" text-anchor=\"end\" font-size=\"12\" fill=\"#222\">"
      << XmlEscape(o.origin_lot + " · " + o.actor_id) << "</text>"
      << "<rect x=\"" << kLabelW << "\" y=\"" << y + 3 << "\" width=\"" << kBarW
      << "\" height=\"16\" fill=\"#eee\"/>"
      << "<rect x=\"" << kLabelW << "\" y=\"" << y + 3 << "\" width=\"" << w
      << "\" height=\"16\" fill=\"" << palette[i++ % 6] << "\"/>"
      << "<text x=\"" << kLabelW + kBarW + 8 << "\" y=\"" << y + 15
      << "\" font-size=\"12\" fill=\"#222\">" << Percent(o.share_ppm) << "</text></g>\n";
    y += kRowH;
  }
  s << "</svg>\n";
  return s.str();
}

constexpr char kCss[] = R"(
:root { color-scheme: light; }
body { font: 14px/1.45 Helvetica, Arial, sans-serif; color: #1d1d1d; margin: 0; background: #fafafa; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 32px 48px; background: #fff; }
h1 { font-size: 24px; margin: 0 0 4px; }
h3 { font-size: 15px; margin: 20px 0 8px; }
h2 { font-size: 18px; margin: 32px 0 10px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.meta { color: #555; margin: 0 0 18px; }
.verdict { padding: 14px 18px; border-radius: 6px; font-size: 20px; font-weight: bold; }
.verdict small { display: block; font-size: 13px; font-weight: normal; margin-top: 4px; }
.verdict.valid { background: #e5f4e7; border: 2px solid #2e7d32; color: #1b5e20; }
.verdict.invalid { background: #fdecea; border: 2px solid #c62828; color: #b71c1c; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #e4e4e4; vertical-align: top; }
th { background: #f3f3f3; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.mono { font-family: "DejaVu Sans Mono", Menlo, monospace; font-size: 12px; word-break: break-all; }
.finding td { color: #b71c1c; }
.figure { overflow-x: auto; border: 1px solid #e4e4e4; border-radius: 6px; padding: 8px; }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dl.kv dt { color: #555; }
dl.kv dd { margin: 0; }
.note { color: #666; font-size: 12px; }
pre.checkpoint { background: #f6f6f6; padding: 8px; font-size: 12px; }
@media print { body { background: #fff; } main { padding: 0; } .figure { overflow: visible; } }
)";

}  // namespace

Result<std::vector<QuotaUsage>> CustodyQuotas(const Ledger& ledger, const VerifyReport& report) {
  std::vector<std::string> actors;
  for (const OriginShare& o : report.origins) {
    if (std::find(actors.begin(), actors.end(), o.actor_id) == actors.end()) {
      actors.push_back(o.actor_id);
    }
  }
  std::sort(actors.begin(), actors.end());
  std::vector<QuotaUsage> out;
  for (const std::string& a : actors) {
    Result<std::vector<QuotaUsage>> q = ledger.Quotas(0, a);
    if (!q.ok()) return q.status();
    for (QuotaUsage& u : *q) out.push_back(std::move(u));
  }
  return out;
}

std::string RenderHtmlReport(const VerifyReport& r, const std::vector<CustodyStep>& timeline,
                             const LedgerInfo& ledger, const HtmlReportOptions& options) {
  const std::string title =
      options.title.empty() ? "Custody report: " + r.lot_id : options.title;
  const std::string generated = options.generated_at.empty() ? NowIso() : options.generated_at;
  const LineageLot* target = nullptr;
  for (const LineageLot& l : r.lots) {
    if (l.lot_id == r.lot_id) target = &l;
  }
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    << "<meta name=\"generator\" content=\"retrace\">\n"
    << "<title>" << XmlEscape(title) << "</title>\n<style>" << kCss << "</style>\n</head>\n"
    << "<body>\n<main>\n";
  h << "<h1>" << XmlEscape(title) << "</h1>\n";
  h << "<p class=\"meta\">Ledger <strong>" << XmlEscape(ledger.name) << "</strong> (id <span "
    << "class=\"mono\">" << XmlEscape(ledger.ledger_id) << "</span>) · report generated "
    << XmlEscape(generated) << "</p>\n";

  // Verdict.
  h << "<section id=\"verdict\" class=\"verdict " << (r.valid ? "valid" : "invalid") << "\">"
    << (r.valid ? "VALID" : "INVALID") << ": lot " << XmlEscape(r.lot_id)
    << (r.valid ? " traces back to its origins with every check passed"
                : " — " + std::to_string(r.findings.size()) + " finding(s), listed below")
    << "<small>" << r.records_checked << " records and " << r.signatures_checked
    << " signatures checked; " << r.lots.size() << " lots, " << r.edges.size()
    << " consumption edges, " << r.origins.size() << " origins.";
  if (r.non_compliant_share_ppm > 0) {
    h << " <strong>" << Percent(r.non_compliant_share_ppm)
      << " of the lot's rare earths come from non-compliant origins.</strong>";
  }
  h << "</small></section>\n";

  // The lot.
  h << "<h2>The lot</h2>\n<dl class=\"kv\" id=\"lot\">";
  h << "<dt>Lot</dt><dd>" << XmlEscape(r.lot_id) << "</dd>";
  if (target != nullptr) {
    h << "<dt>Material</dt><dd>" << XmlEscape(MaterialClassName(target->material)) << "</dd>"
      << "<dt>Mass</dt><dd>" << XmlEscape(FormatGrams(target->mass_g)) << "</dd>"
      << "<dt>Rare earths</dt><dd>" << XmlEscape(FormatGrams(target->rare_earth_g));
    if (!target->content.empty()) {
      h << " (";
      for (std::size_t i = 0; i < target->content.size(); ++i) {
        h << (i ? ", " : "") << ElementSymbol(target->content[i].element) << " "
          << XmlEscape(FormatGrams(target->content[i].grams));
      }
      h << ")";
    }
    h << "</dd><dt>Status</dt><dd>" << XmlEscape(target->status);
    if (!target->custodian.empty()) h << " (custodian " << XmlEscape(target->custodian) << ")";
    h << "</dd><dt>Made by</dt><dd>" << XmlEscape(target->created_by) << " ("
      << XmlEscape(RoleName(target->creator_role)) << "), record " << target->created_seq << "</dd>";
  }
  h << "</dl>\n";

  // Origins.
  h << "<h2>Origins</h2>\n";
  if (r.origins.empty()) {
    h << "<p id=\"origins-none\">No origin was found: the lineage does not reach an extraction.</p>\n";
  } else {
    h << "<p>Share of the lot's rare-earth mass attributable to each origin (extracted, recycled or imported lot) "
         "(proportional to rare-earth mass at every transformation).</p>\n";
    h << "<div class=\"figure\">" << OriginChart(r) << "</div>\n";
    h << "<table id=\"origins\"><thead><tr><th>Origin lot</th><th>Kind</th><th>Enterprise</th>"
         "<th>Site / source</th><th>Licence / declaration</th><th>Record</th><th "
         "class=\"num\">Rare earths</th><th class=\"num\">Share</th><th>Compliance</th></tr>"
         "</thead><tbody>\n";
    for (const OriginShare& o : r.origins) {
      h << "<tr" << (o.compliant ? "" : " class=\"finding\"") << "><td>" << XmlEscape(o.origin_lot)
        << "</td><td>" << XmlEscape(o.kind) << "</td><td>" << XmlEscape(o.actor_id) << "</td><td>"
        << XmlEscape(o.site) << "</td><td>" << XmlEscape(o.licence) << "</td><td>"
        << o.extracted_seq << "</td><td class=\"num\">" << XmlEscape(FormatGrams(o.rare_earth_g))
        << "</td><td class=\"num\">" << Percent(o.share_ppm) << "</td><td>";
      if (o.compliant) {
        h << "compliant";
      } else {
        h << "NOT COMPLIANT";
        for (const std::string& issue : o.issues) h << " <span class=\"mono\">" << XmlEscape(issue) << "</span>";
      }
      h << "</td></tr>\n";
    }
    h << "</tbody></table>\n";

    // Quota usage of the enterprises behind the origins.
    h << "<h3>Quota usage of the origins' enterprises</h3>\n";
    if (options.quotas.empty()) {
      h << "<p class=\"note\" id=\"quotas-none\">No quota records were given for these "
           "enterprises.</p>\n";
    } else {
      h << "<table id=\"quotas\"><thead><tr><th>Enterprise</th><th>Year</th><th>Quota</th><th "
           "class=\"num\">Granted (REO)</th><th class=\"num\">Used</th><th "
           "class=\"num\">Remaining</th></tr></thead><tbody>\n";
      for (const QuotaUsage& q : options.quotas) {
        bool over = q.remaining_reo_g < 0;
        std::uint64_t remaining = over ? static_cast<std::uint64_t>(-q.remaining_reo_g)
                                       : static_cast<std::uint64_t>(q.remaining_reo_g);
        h << "<tr" << (over ? " class=\"finding\"" : "") << "><td>" << XmlEscape(q.actor_id)
          << "</td><td>" << q.year << "</td><td>" << XmlEscape(QuotaKindName(q.kind))
          << "</td><td class=\"num\">" << XmlEscape(FormatGrams(q.granted_reo_g))
          << "</td><td class=\"num\">" << XmlEscape(FormatGrams(q.used_reo_g))
          << "</td><td class=\"num\">" << (over ? "overrun by " : "")
          << XmlEscape(FormatGrams(remaining)) << "</td></tr>\n";
      }
      h << "</tbody></table>\n";
    }
  }

  // Lineage picture.
  h << "<h2>Lineage</h2>\n<div class=\"figure\" id=\"lineage\">"
    << (options.lineage_svg.empty() ? LineageToSvg(r) : options.lineage_svg) << "</div>\n";

  // Timeline.
  h << "<h2>Custody timeline</h2>\n<table id=\"timeline\"><thead><tr><th>Record</th><th>Time "
       "(UTC)</th><th>Actor</th><th>Event</th><th>What</th><th>References</th></tr></thead>"
       "<tbody>\n";
  internal::FindingIndex flagged(r);
  for (const CustodyStep& s : timeline) {
    bool red = !s.readable || flagged.seqs.count(s.seq);
    h << "<tr" << (red ? " class=\"finding\"" : "") << "><td class=\"num\">" << s.seq << "</td><td>"
      << (s.readable ? XmlEscape(IsoTime(s.time)) : "") << "</td><td>" << XmlEscape(s.actor_id)
      << "</td><td>" << XmlEscape(s.kind) << "</td><td>" << XmlEscape(s.summary) << "</td><td>";
    for (std::size_t i = 0; i < s.references.size(); ++i) {
      h << (i ? "<br>" : "") << XmlEscape(s.references[i].kind) << " "
        << XmlEscape(s.references[i].value);
    }
    h << "</td></tr>\n";
  }
  h << "</tbody></table>\n";

  // Findings.
  h << "<h2>Findings</h2>\n";
  if (r.findings.empty()) {
    h << "<p id=\"findings-none\">None. Every signature, hash link, custody hand-over and mass "
         "balance on the lineage checked out.</p>\n";
  } else {
    h << "<table id=\"findings\"><thead><tr><th>Code</th><th>Record</th><th>Lot</th><th>What "
         "was wrong</th></tr></thead><tbody>\n";
    for (const Finding& f : r.findings) {
      h << "<tr class=\"finding\"><td class=\"mono\">" << XmlEscape(f.code) << "</td><td "
        << "class=\"num\">" << f.seq << "</td><td>" << XmlEscape(f.lot_id) << "</td><td>"
        << XmlEscape(f.message) << "</td></tr>\n";
    }
    h << "</tbody></table>\n";
  }

  // Verified against.
  h << "<h2>Verified against</h2>\n<dl class=\"kv\" id=\"verified-against\">"
    << "<dt>Tree size</dt><dd>" << r.tree_size << " records</dd>"
    << "<dt>Head hash</dt><dd class=\"mono\">" << HashToHex(r.head_hash) << "</dd>"
    << "<dt>Ledger id</dt><dd class=\"mono\">" << XmlEscape(ledger.ledger_id) << "</dd>"
    << "<dt>Root key</dt><dd class=\"mono\">" << XmlEscape(ledger.root_actor_id) << " "
    << XmlEscape(ledger.root_key_id) << "</dd>"
    << "<dt>Checkpoint</dt><dd>";
  // Stage 3 of federation (docs/federation.md): the registry's checkpoint.
  const std::string registry_dd =
      r.registry ? XmlEscape(r.registry->origin) + " size " + std::to_string(r.registry->size) +
                       " root <span class=\"mono\">" + HashToHex(r.registry->root_hash) +
                       "</span>, " + std::to_string(r.registry->imported) +
                       " registry record(s) imported"
                 : std::string();
  if (options.checkpoint_text.empty()) {
    h << "<span class=\"note\">none: the report names the ledger head it read; a holder of an "
         "earlier or later head can check consistency with it.</span>";
  } else {
    if (!options.checkpoint_status.empty()) {
      bool bad = options.checkpoint_status.find("NOT") != std::string::npos;
      h << "<p id=\"checkpoint-status\"" << (bad ? " class=\"finding\" style=\"color:#b71c1c\"" : "")
        << ">" << XmlEscape(options.checkpoint_status) << "</p>";
    }
    h << "<pre class=\"checkpoint\">" << XmlEscape(options.checkpoint_text) << "</pre>";
  }
  h << "</dd>";
  if (!registry_dd.empty()) h << "<dt>Registry checkpoint</dt><dd id=\"registry\">" << registry_dd << "</dd>";
  h << "</dl>\n";
  h << "<p class=\"note\">Re-check: <span class=\"mono\">retrace verify --db LEDGER "
    << XmlEscape(r.lot_id) << "</span>. Finding codes are explained in docs/verification.md.</p>\n";
  h << "</main>\n</body>\n</html>\n";
  return h.str();
}

}  // namespace retrace
