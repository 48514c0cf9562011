// Text rendering of a VerifyReport, shared by `verify`, `demo` and
// `verify-bundle` (the `report` subcommand is report.cc). The JSON form is
// the library's VerifyReportToJson, so the two cannot drift.
#include <iomanip>
#include <map>
#include <ostream>

#include "common.h"

namespace retrace::cli {

void PrintVerifyReport(const VerifyReport& report, std::ostream& out, bool verdict_line) {
  const LineageLot* target = nullptr;
  std::map<std::string, int> by_material;
  for (const LineageLot& lot : report.lots) {
    if (lot.lot_id == report.lot_id) target = &lot;
    ++by_material[MaterialClassName(lot.material)];
  }
  out << "Lot " << Shown(report.lot_id);
  if (target != nullptr) {
    out << ": " << MaterialClassName(target->material) << ", " << FormatMass(target->mass_g)
        << ", " << target->status;
    if (!target->custodian.empty()) out << " (custodian " << Shown(target->custodian) << ")";
    out << "\n  rare earths " << FormatMass(target->rare_earth_g) << ": "
        << FormatContent(target->content) << "\n";
  } else {
    out << "\n";
  }

  out << "Lineage: " << report.lots.size() << " lots (";
  bool first = true;
  for (const auto& [material, n] : by_material) {
    out << (first ? "" : ", ") << n << " " << material;
    first = false;
  }
  out << "), " << report.edges.size() << " consumption edges\n";

  out << "Origins (share of the lot's rare-earth mass):\n";
  if (report.origins.empty()) out << "  none found\n";
  for (const OriginShare& o : report.origins) {
    out << "  " << std::setw(7) << std::right << FormatPpm(o.share_ppm) << "  " << std::setw(10)
        << FormatMass(o.rare_earth_g) << std::left << "  from " << Shown(o.origin_lot);
    if (o.kind == "recycled") {
      out << ", recycled by " << Shown(o.actor_id);
      if (!o.site.empty()) out << " from " << Shown(o.site);
    } else if (o.kind == "imported") {
      out << ", imported by " << Shown(o.actor_id);
      if (!o.site.empty()) out << " from " << Shown(o.site);
      if (!o.licence.empty()) out << ", customs declaration " << Shown(o.licence);
    } else if (o.kind == "cross_ledger") {
      out << ", received by " << Shown(o.actor_id) << " from ledger " << Shown(o.site);
    } else {
      out << ", mined by " << Shown(o.actor_id);
      if (!o.site.empty()) out << " at " << Shown(o.site);
      if (!o.licence.empty()) out << ", licence " << Shown(o.licence);
    }
    out << " (record " << o.extracted_seq;
    if (!o.ledger.empty()) out << " of ledger " << Shown(o.ledger);
    out << ")";
    if (!o.compliant) {
      out << "  NON-COMPLIANT:";
      for (const std::string& issue : o.issues) out << " " << Shown(issue);
    }
    out << "\n";
  }
  if (report.non_compliant_share_ppm > 0) {
    out << "  " << FormatPpm(report.non_compliant_share_ppm)
        << " of the lot's rare earths come from non-compliant origins or steps\n";
  }
  if (!report.ledgers_crossed.empty()) {
    out << "Ledgers crossed (docs/federation.md):\n";
    for (const LedgerCrossing& c : report.ledgers_crossed) {
      out << "  " << Shown(c.lot_id) << " into " << Shown(c.received_in) << " (record "
          << c.receipt_seq << ") from " << Shown(c.origin) << ", checkpoint size "
          << c.checkpoint_size << " root " << ShortHash(c.root_hash) << ", cosigned by "
          << c.witnesses.size() << " witness(es)";
      for (const std::string& w : c.witnesses) out << " " << Shown(w);
      if (c.registry) {
        out << "; its registry checkpoint " << Shown(c.registry->origin) << " size "
            << c.registry->size << " root " << ShortHash(c.registry->root_hash);
      }
      out << "\n";
    }
  }

  if (report.registry) {
    const RegistryCheckpointInfo& g = *report.registry;
    out << "Registry checkpoint relied on: " << Shown(g.origin) << " size " << g.size << " root "
        << ShortHash(g.root_hash) << ", " << g.imported << " registry record(s) imported (last at record "
        << g.import_seq << ")\n";
  }
  out << "Checked " << report.records_checked << " records and " << report.signatures_checked
      << " signatures at tree size " << report.tree_size << " (head "
      << ShortHash(report.head_hash) << ")\n";
  if (report.findings.empty()) {
    out << "Findings: none\n";
  } else {
    out << "Findings (" << report.findings.size() << "):\n";
    for (const Finding& f : report.findings) {
      out << "  [" << f.code << "] record " << f.seq;
      if (!f.lot_id.empty()) out << ", lot " << Shown(f.lot_id);
      out << ": " << internal::SanitizeMessage(f.message) << "\n";
    }
  }
  if (verdict_line) out << (report.valid ? "VALID" : "INVALID") << "\n";
}

}  // namespace retrace::cli
