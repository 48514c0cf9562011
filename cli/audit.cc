// retrace audit: check every record of the ledger and every derived index.
// On a terminal, a progress line on standard error shows the records done.
#include <iostream>

#include "common.h"
#include "retrace/federation.h"

namespace retrace::cli {
namespace {

struct AuditFlags {
  std::string db;
  std::string format = "text";
  unsigned threads = 0;
  bool no_signatures = false;
  bool integrity_only = false;
};

int RunAudit(const AuditFlags& o) {
  Result<std::unique_ptr<Ledger>> ledger = OpenLedger(o.db, true);
  if (!ledger.ok()) return Fail("audit", ledger.status().ToString());
  retrace::AuditOptions ao;
  ao.threads = o.threads;
  ao.check_signatures = !o.no_signatures;
  if (o.integrity_only) ao.scope = retrace::AuditScope::kIntegrity;
  Result<AuditReport> report = [&] {
    Progress progress("audit");
    ao.progress = [&](std::uint64_t done, std::uint64_t total) { progress.Update(done, total); };
    return AuditAcrossLedgers(**ledger, ao);
  }();
  if (!report.ok()) {
    return Fail("audit", "could not audit the ledger: " + report.status().ToString());
  }
  const AuditReport& r = *report;
  if (o.format == "json") {
    std::cout << AuditReportToJson(r) << "\n";
    return r.valid ? kExitOk : kExitFindings;
  }
  if (r.integrity_only) {
    std::cout << "Integrity audit (hashes, links, Merkle tree, indexes; no signatures, no rules) of "
              << r.records_checked << " records: " << r.lots << " lots created\n";
  } else {
    std::cout << "Audited " << r.records_checked << " records and " << r.signatures_checked
              << " signatures: " << r.lots << " lots, " << r.actors << " actors\n";
  }
  std::cout
            << "tree size " << r.tree_size << ", head " << HashToHex(r.head_hash) << "\n"
            << "root hash " << HashToHex(r.root_hash) << "\n";
  if (r.registry) {
    std::cout << "registry checkpoint relied on: " << Shown(r.registry->origin) << " size "
              << r.registry->size << " root " << HashToHex(r.registry->root_hash) << ", "
              << r.registry->imported << " registry record(s) imported\n";
  }
  if (!r.cross_ledger_receipts.empty()) {
    std::cout << r.cross_ledger_receipts.size() << " cross-ledger receipt(s) judged again: "
              << r.bundles_verified << " bundle(s) verified, the ones they carry included\n";
  }
  if (r.findings.empty()) {
    std::cout << "Findings: none\n";
  } else {
    std::cout << "Findings (" << r.findings.size() << "):\n";
    for (const Finding& f : r.findings) {
      std::cout << "  [" << f.code << "] record " << f.seq;
      if (!f.lot_id.empty()) std::cout << ", lot " << Shown(f.lot_id);
      std::cout << ": " << internal::SanitizeMessage(f.message) << "\n";
    }
  }
  std::cout << (r.valid ? "VALID" : "INVALID") << "\n";
  return r.valid ? kExitOk : kExitFindings;
}

}  // namespace

Command AddAuditCommand(CLI::App& app) {
  auto o = std::make_shared<AuditFlags>();
  CLI::App* sub = app.add_subcommand(
      "audit", "Check every record of the ledger, every signature and every derived index");
  AddDbOption(sub, o->db);
  sub->add_option("--format", o->format, "text or json (schema retrace.audit/v1)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  sub->add_option("--threads", o->threads,
                  "Threads that check signatures and read records ahead "
                  "(0: one per hardware thread)")
      ->check(StrictUnsigned<unsigned>(1024))
      ->capture_default_str();
  sub->add_flag("--no-signatures", o->no_signatures,
                "Check hashes, links, indexes and rules, but not signatures");
  sub->add_flag("--integrity-only", o->integrity_only,
                "Check only hashes, links, the Merkle tree and the indexes, in sequential "
                "scans (no signatures, no rule replay): a fast scrub of the storage");
  SetHelpFooter(sub, {"VALID: no finding (the last line of the text report)",
                      "INVALID: the report lists the findings",
                      "usage error, or the ledger could not be read"});
  return {sub, [o] { return RunAudit(*o); }};
}

}  // namespace retrace::cli
