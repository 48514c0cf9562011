// retrace foreign-checkpoints: the checkpoints of a sender ledger that this
// ledger took in with cross-ledger receipts, to hand to another party for
// `retrace compare` (docs/federation.md, "Split views").
#include <iostream>
#include <nlohmann/json.hpp>

#include "common.h"
#include "retrace/federation.h"

namespace retrace::cli {
namespace {

struct ForeignCheckpointsOptions {
  std::string db;
  std::string origin;
  std::string out = "-";
};

int RunForeignCheckpoints(const ForeignCheckpointsOptions& o) {
  const char* cmd = "foreign-checkpoints";
  Result<std::unique_ptr<Ledger>> ledger = OpenLedger(o.db, true);
  if (!ledger.ok()) return Fail(cmd, ledger.status().ToString());
  Result<std::vector<std::string>> notes = ForeignCheckpointNotes(**ledger, o.origin);
  if (!notes.ok()) return Fail(cmd, notes.status().ToString());
  nlohmann::ordered_json j = {{"schema", "retrace.foreign-checkpoints/v1"},
                              {"origin", o.origin},
                              {"checkpoints", *notes}};
  if (Status st = WriteOutput(o.out, j.dump(2) + "\n"); !st.ok()) return Fail(cmd, st.ToString());
  if (o.out != "-") {
    std::cout << notes->size() << " checkpoint(s) of " << Shown(o.origin) << " -> " << Shown(o.out)
              << "\n";
  }
  return kExitOk;
}

}  // namespace

Command AddForeignCheckpointsCommand(CLI::App& app) {
  auto o = std::make_shared<ForeignCheckpointsOptions>();
  CLI::App* sub = app.add_subcommand(
      "foreign-checkpoints",
      "Export the checkpoints of a sender ledger this ledger holds (for retrace compare)");
  AddDbOption(sub, o->db);
  sub->add_option("--origin", o->origin, "The sender ledger's name (its checkpoint origin)")
      ->required();
  sub->add_option("-o,--out", o->out, "Write the JSON here instead of standard output");
  SetHelpFooter(sub, {"written (holding none is not an error)", "",
                      "usage error, an unreadable ledger, or a file that cannot be written"},
                "Schema retrace.foreign-checkpoints/v1; docs/federation.md.");
  return {sub, [o] { return RunForeignCheckpoints(*o); }};
}

}  // namespace retrace::cli
