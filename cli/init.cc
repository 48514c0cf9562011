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
  // The registry binding (docs/federation.md, "The registry").
  std::string registry_key;
  std::vector<std::string> registry_witnesses;
  int registry_quorum = -1;
  std::string registry_ledger_id;
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
  Options options;
  if (!o.registry_key.empty()) {
    RegistryBinding b;
    Result<NoteVerifier> key = ReadNoteVerifier(o.registry_key, NoteKeyType::kEd25519);
    if (!key.ok()) return Fail("init", "--registry-key: " + key.status().ToString() + "; no ledger was created");
    b.log_key = key->ToString();
    for (const std::string& w : o.registry_witnesses) {
      Result<NoteVerifier> v = ReadNoteVerifier(w, NoteKeyType::kCosignatureV1);
      if (!v.ok()) return Fail("init", "--registry-witness: " + v.status().ToString() + "; no ledger was created");
      b.witnesses.push_back(v->ToString());
    }
    b.quorum = o.registry_quorum < 0 ? static_cast<std::uint32_t>(b.witnesses.size())
                                     : static_cast<std::uint32_t>(o.registry_quorum);
    b.ledger_id = o.registry_ledger_id;
    options.registry = std::move(b);
  } else if (!o.registry_witnesses.empty() || o.registry_quorum >= 0 ||
             !o.registry_ledger_id.empty()) {
    return Fail("init", "--registry-witness, --registry-quorum and --registry-ledger-id need "
                        "--registry-key; no ledger was created");
  }
  Result<std::unique_ptr<Ledger>> ledger =
      Ledger::Create(options, o.db, o.name, **root, o.root_actor);
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
  if (options.registry) {
    std::cout << "registry   " << options.registry->ledger_id << " (log key "
              << Shown(options.registry->log_key) << ", quorum " << options.registry->quorum
              << " of " << options.registry->witnesses.size() << " witness(es))\n";
  }
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
  sub->add_option("--registry-key", o->registry_key,
                  "Bind the ledger to the regulator's registry: the registry's checkpoint "
                  "verifier key (or a file holding it; docs/federation.md)");
  sub->add_option("--registry-witness", o->registry_witnesses,
                  "A witness verifier key (or file) the registry's checkpoints are cosigned by "
                  "(repeat for each)");
  sub->add_option("--registry-quorum", o->registry_quorum,
                  "Cosignatures a registry checkpoint needs (default: every --registry-witness)");
  sub->add_option("--registry-ledger-id", o->registry_ledger_id,
                  "The registry's ledger id (32 hex digits, `retrace info` of the registry)");
  SetHelpFooter(sub, {"the ledger was created", "",
                      "usage error, unreadable root key, a directory that is not empty, or an "
                      "I/O error (no ledger is created)"});
  return {sub, [o] { return RunInit(*o); }};
}

}  // namespace retrace::cli
