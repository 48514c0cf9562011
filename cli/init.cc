// retrace init: create a ledger bound to a root (regulator) key.
#include <filesystem>
#include <iostream>

#include "common.h"
#include "retrace/signer.h"

namespace retrace::cli {
namespace {

struct InitOptions {
  std::string db;
  std::string name;
  std::string root_key;
  std::string root_actor = "regulator";
};

int RunInit(const InitOptions& o) {
  Result<std::unique_ptr<Signer>> root = Signer::LoadPrivateKeyFile(o.root_key);
  if (!root.ok()) {
    return Fail("init", "cannot load the root key " + Shown(o.root_key) + ": " + root.status().ToString() +
                            "; no ledger was created");
  }
  std::error_code ec;
  if (std::filesystem::is_directory(o.db, ec) && !std::filesystem::is_empty(o.db, ec)) {
    return Fail("init", Shown(o.db) + " exists and is not empty; no ledger was created and "
                            "nothing in it was changed");
  }
  Result<std::unique_ptr<Ledger>> ledger =
      Ledger::Create(Options(), o.db, o.name, **root, o.root_actor);
  if (!ledger.ok()) {
    return Fail("init", "cannot create a ledger in " + Shown(o.db) + ": " + ledger.status().ToString() +
                            "; no ledger was created");
  }
  Result<LedgerInfo> info = (*ledger)->Info();
  if (!info.ok()) return Fail("init", "ledger created but unreadable: " + info.status().ToString());
  std::cout << "created ledger \"" << Shown(info->name) << "\" in " << Shown(o.db) << "\n"
            << "ledger id  " << info->ledger_id << "\n"
            << "root actor " << info->root_actor_id << " (key " << info->root_key_id << ", "
            << AlgorithmName((*root)->public_key().algorithm()) << ")\n"
            << "size       " << info->size << " (genesis " << ShortHash(info->head_hash) << ")\n";
  return kExitOk;
}

}  // namespace

Command AddInitCommand(CLI::App& app) {
  auto o = std::make_shared<InitOptions>();
  CLI::App* sub = app.add_subcommand("init", "Create a ledger bound to a root (regulator) key");
  AddDbOption(sub, o->db, "Ledger directory (created; must be empty)");
  sub->add_option("--name", o->name, "Ledger name (also the checkpoint origin)")->required();
  sub->add_option("--root-key", o->root_key, "Root private key (PEM, mode 0600)")->required();
  sub->add_option("--root-actor", o->root_actor, "Actor id the root key signs as")
      ->capture_default_str();
  SetHelpFooter(sub, {"the ledger was created", "",
                      "usage error, unreadable root key, a directory that is not empty, or an "
                      "I/O error (no ledger is created)"});
  return {sub, [o] { return RunInit(*o); }};
}

}  // namespace retrace::cli
