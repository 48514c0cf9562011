// retrace verify: check a lot's whole lineage back to its mines.
#include <iostream>

#include "common.h"
#include "retrace/federation.h"

namespace retrace::cli {
namespace {

struct VerifyFlags {
  std::string db;
  std::string lot;
  std::string format = "text";
  unsigned threads = 0;
  bool no_signatures = false;
};

int RunVerify(const VerifyFlags& o) {
  Result<std::unique_ptr<Ledger>> ledger = OpenLedger(o.db, true);
  if (!ledger.ok()) return Fail("verify", ledger.status().ToString());
  retrace::VerifyOptions vo;
  vo.threads = o.threads;
  vo.check_signatures = !o.no_signatures;
  // Across ledgers: a cross-ledger receipt's stored bundle is verified and
  // its origins merged (docs/federation.md); the same as VerifyLot otherwise.
  Result<VerifyReport> report = VerifyLotAcrossLedgers(**ledger, o.lot, vo);
  if (!report.ok()) {
    return Fail("verify", "could not verify lot " + Shown(o.lot) + ": " + report.status().ToString());
  }
  if (o.format == "json") {
    std::cout << VerifyReportToJson(*report) << "\n";
  } else {
    PrintVerifyReport(*report, std::cout);
  }
  return report->valid ? kExitOk : kExitFindings;
}

}  // namespace

Command AddVerifyCommand(CLI::App& app) {
  auto o = std::make_shared<VerifyFlags>();
  CLI::App* sub = app.add_subcommand(
      "verify", "Verify a lot's lineage back to its mines: every record, signature and custody step");
  AddDbOption(sub, o->db);
  sub->add_option("lot", o->lot, "Lot id")->required();
  sub->add_option("--format", o->format, "text or json (schema retrace.verify/v1)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  sub->add_option("--threads", o->threads,
                  "Threads that check signatures and read records ahead "
                  "(0: one per hardware thread)")
      ->check(StrictUnsigned<unsigned>(1024))
      ->capture_default_str();
  sub->add_flag("--no-signatures", o->no_signatures,
                "Integrity only: check hashes, links, indexes and rules, not signatures");
  SetHelpFooter(sub, {"VALID: the lineage has no finding (the last line of the text report)",
                      "INVALID: the report lists the findings",
                      "usage error, unknown lot, or the ledger could not be read"});
  return {sub, [o] { return RunVerify(*o); }};
}

}  // namespace retrace::cli
