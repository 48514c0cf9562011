// retrace verify: check a lot's whole lineage back to its mines.
#include <iostream>

#include "common.h"

namespace retrace::cli {
namespace {

struct VerifyOptions {
  std::string db;
  std::string lot;
  std::string format = "text";
};

int RunVerify(const VerifyOptions& o) {
  Result<std::unique_ptr<Ledger>> ledger = OpenLedger(o.db, true);
  if (!ledger.ok()) return Fail("verify", ledger.status().ToString());
  Result<VerifyReport> report = (*ledger)->VerifyLot(o.lot);
  if (!report.ok()) {
    return Fail("verify", "could not verify lot " + o.lot + ": " + report.status().ToString());
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
  auto o = std::make_shared<VerifyOptions>();
  CLI::App* sub = app.add_subcommand(
      "verify", "Verify a lot's lineage back to its mines: every record, signature and custody step");
  sub->add_option("--db", o->db, "Ledger directory")->required();
  sub->add_option("lot", o->lot, "Lot id")->required();
  sub->add_option("--format", o->format, "text or json (schema retrace.verify/v1)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  sub->footer(kVerifyExitFooter);
  return {sub, [o] { return RunVerify(*o); }};
}

}  // namespace retrace::cli
