// retrace registry-import: bring a ledger bound to the regulator's registry
// up to date with it (docs/federation.md, "The registry"). --registry is a
// local copy of the registry ledger -- a `retrace mirror` of its published
// log, which holds its checkpoint with the witnesses' cosignatures -- or the
// registry ledger itself. Every registry record not yet imported is
// appended with its proof, in one transaction, or none is.
#include <iostream>

#include "common.h"
#include "retrace/federation.h"

namespace retrace::cli {
namespace {

struct RegistryImportOptions {
  std::string db;
  std::string registry;
  std::uint64_t max_records = 0;
};

int RunRegistryImport(const RegistryImportOptions& o) {
  const char* cmd = "registry-import";
  Result<std::unique_ptr<Ledger>> registry = OpenLedger(o.registry, true);
  if (!registry.ok()) {
    return Fail(cmd, "--registry: " + registry.status().ToString() + "; nothing was appended");
  }
  Result<std::unique_ptr<Ledger>> ledger = OpenLedger(o.db, false);
  if (!ledger.ok()) return Fail(cmd, ledger.status().ToString() + "; nothing was changed");
  Ledger& l = **ledger;
  Result<RegistryImportResult> r = ImportRegistry(l, **registry, o.max_records);
  if (!r.ok()) return Fail(cmd, Refusal(r.status().ToString(), l));
  if (r->appended == 0) {
    std::cout << "nothing new to import";
  } else {
    std::cout << "imported " << r->appended << " registry record(s) at records " << r->first_seq
              << ".." << r->first_seq + r->appended - 1;
  }
  if (r->checkpoint) {
    const RegistryCheckpointInfo& c = *r->checkpoint;
    std::cout << "; registry " << Shown(c.origin) << " checkpoint size " << c.size << " root "
              << HashToHex(c.root_hash) << ", " << c.imported << " registry record(s) imported";
  } else {
    std::cout << "; no registry record imported yet";
  }
  std::cout << "\n";
  return kExitOk;
}

}  // namespace

Command AddRegistryImportCommand(CLI::App& app) {
  auto o = std::make_shared<RegistryImportOptions>();
  CLI::App* sub = app.add_subcommand(
      "registry-import",
      "Import the registry records a ledger bound to the regulator's registry has not imported "
      "yet, each proven against the registry's witnessed checkpoint");
  AddDbOption(sub, o->db, "The ledger bound to the registry (retrace init --registry-key)");
  sub->add_option("--registry", o->registry,
                  "A local copy of the registry: a `retrace mirror` of its published log, or the "
                  "registry ledger")
      ->required();
  sub->add_option("--max", o->max_records, "Import at most this many records (0: all)");
  SetHelpFooter(sub,
                {"imported, or nothing new to import", "",
                 "usage error, a ledger bound to no registry, another ledger than the bound "
                 "registry, an I/O error, or an import the ledger refused: a forked registry, a "
                 "checkpoint below the witness quorum or not signed by the bound key, a record "
                 "that is not the bound registry's authority record (nothing was appended)"},
                "docs/federation.md describes the registry.");
  return {sub, [o] { return RunRegistryImport(*o); }};
}

}  // namespace retrace::cli
