// retrace info: the ledger's identity, size, head and root hash.
#include <iostream>

#include "common.h"

namespace retrace::cli {
namespace {

struct InfoOptions {
  std::string db;
  std::string format = "text";
};

int RunInfo(const InfoOptions& o) {
  Result<std::unique_ptr<Ledger>> ledger = OpenLedger(o.db, true);
  if (!ledger.ok()) return Fail("info", ledger.status().ToString());
  Result<LedgerInfo> info = (*ledger)->Info();
  if (!info.ok()) return Fail("info", info.status().ToString());
  Result<Hash> root = (*ledger)->RootAt(info->size);
  if (o.format == "json") {
    std::cout << LedgerInfoToJson(*info, root.ok() ? std::optional<Hash>(*root) : std::nullopt)
              << "\n";
    return kExitOk;
  }
  std::cout << "name        " << Shown(info->name) << "\n"
            << "ledger id   " << info->ledger_id << "\n"
            << "root actor  " << Shown(info->root_actor_id) << " (key " << info->root_key_id << ")\n"
            << "size        " << info->size << " records\n"
            << "head hash   " << HashToHex(info->head_hash) << "\n";
  if (root.ok()) std::cout << "root hash   " << HashToHex(*root) << "\n";
  return kExitOk;
}

}  // namespace

Command AddInfoCommand(CLI::App& app) {
  auto o = std::make_shared<InfoOptions>();
  CLI::App* sub = app.add_subcommand("info", "Print the ledger's id, name, size, head and root hash");
  AddDbOption(sub, o->db);
  sub->add_option("--format", o->format, "text or json (schema retrace.info/v1)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  SetHelpFooter(sub, {"printed", "", "usage error or an unreadable ledger"});
  return {sub, [o] { return RunInfo(*o); }};
}

}  // namespace retrace::cli
