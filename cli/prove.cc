// retrace prove: write a lot's lineage bundle -- every record of its lineage
// with an inclusion proof in the latest signed checkpoint -- for offline
// verification with `retrace verify-bundle`.
#include <iostream>

#include "common.h"
#include "retrace/bundle.h"
#include "retrace/checkpoint.h"

namespace retrace::cli {
namespace {

struct ProveOptions {
  std::string db;
  std::string lot;
  std::string out;
};

int RunProve(const ProveOptions& o) {
  const char* cmd = "prove";
  Result<std::unique_ptr<Ledger>> ledger = OpenLedger(o.db, true);
  if (!ledger.ok()) return Fail(cmd, ledger.status().ToString());
  Result<std::string> bundle = ProveLineage(**ledger, o.lot);
  if (!bundle.ok()) {
    return Fail(cmd, "no bundle for lot " + Shown(o.lot) + ": " + bundle.status().ToString() +
                         "; nothing was written");
  }
  if (Status st = WriteOutput(o.out, *bundle); !st.ok()) return Fail(cmd, st.ToString());
  Result<std::string> note = (*ledger)->LatestCheckpoint();
  std::ostream& info = o.out == "-" ? std::cerr : std::cout;
  info << "bundle for lot " << Shown(o.lot) << ": " << bundle->size() << " bytes";
  if (note.ok()) {
    Result<Checkpoint> cp = ParseSignedCheckpoint(*note);
    Result<Note> parsed = ParseNote(*note);
    if (cp.ok() && parsed.ok()) {
      info << ", checkpoint " << Shown(cp->origin) << " at tree size " << cp->size << " with "
           << parsed->signatures.size() << " signature line(s)";
    }
  }
  info << (o.out == "-" ? "\n" : " -> " + Shown(o.out) + "\n");
  return kExitOk;
}

}  // namespace

Command AddProveCommand(CLI::App& app) {
  auto o = std::make_shared<ProveOptions>();
  CLI::App* sub = app.add_subcommand(
      "prove",
      "Write a lot's lineage bundle: its records back to the mines, the registrations of their "
      "keys and inclusion proofs in the latest signed checkpoint");
  AddDbOption(sub, o->db);
  sub->add_option("lot", o->lot, "Lot id")->required();
  sub->add_option("-o,--out", o->out, "Bundle file to write (- for standard output)")->required();
  SetHelpFooter(sub, {"the bundle was written", "",
                      "usage error, unknown lot, no checkpoint covers the lot yet, the lineage "
                      "has findings (run verify), or an output file that cannot be written"});
  return {sub, [o] { return RunProve(*o); }};
}

}  // namespace retrace::cli
