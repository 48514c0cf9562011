// retrace upgrade: converts a ledger of an older storage format in place
// (Ledger::Upgrade; docs/storage-format.md, "Versioning").
#include <iostream>

#include "common.h"

namespace retrace::cli {
namespace {

struct UpgradeOptions {
  std::string db;
};

int RunUpgrade(const UpgradeOptions& o) {
  Options options;
  Result<std::string> from = Ledger::Upgrade(options, o.db);
  if (!from.ok()) return Fail("upgrade", from.status().ToString());
  std::cout << "upgraded " << Shown(o.db) << " from " << Shown(*from)
            << " to retrace-ledger/3 (records, tree and checkpoints unchanged); run `retrace "
               "audit --db "
            << Shown(o.db) << "` to check it\n";
  return kExitOk;
}

}  // namespace

Command AddUpgradeCommand(CLI::App& app) {
  auto o = std::make_shared<UpgradeOptions>();
  CLI::App* sub = app.add_subcommand(
      "upgrade", "Convert a ledger of an older storage format in place, in one transaction");
  AddDbOption(sub, o->db);
  SetHelpFooter(sub, {"upgraded", "",
                      "usage error, a ledger already at the current format or of a format that "
                      "cannot be upgraded, damage, or an I/O error (nothing was changed)"});
  return {sub, [o] { return RunUpgrade(*o); }};
}

}  // namespace retrace::cli
