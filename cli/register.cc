// retrace register: the root key registers an actor, its role and its key.
#include <iostream>

#include "common.h"
#include "retrace/signer.h"

namespace retrace::cli {
namespace {

struct RegisterOptions {
  std::string db;
  std::string root_key;
  std::string root_actor;
  std::string actor;
  std::string role;
  std::string name;
  std::string pubkey;
  std::string licence;
  std::string jurisdiction = "CN";
  std::string regulatory = "reject";
  std::int64_t max_clock_skew = Options().max_clock_skew_seconds;
};

int RunRegister(const RegisterOptions& o) {
  const char* cmd = "register";
  Result<Role> role = ParseRole(o.role);
  if (!role.ok()) return Fail(cmd, role.status().message() + "; nothing was appended");
  Result<PublicKey> key = PublicKey::ReadFile(o.pubkey);
  if (!key.ok()) {
    return Fail(cmd, "cannot read the public key " + Shown(o.pubkey) + ": " +
                         key.status().ToString() + "; nothing was appended");
  }
  Result<std::unique_ptr<Signer>> root = Signer::LoadPrivateKeyFile(o.root_key);
  if (!root.ok()) {
    return Fail(cmd, "cannot load the root key " + Shown(o.root_key) + ": " +
                         root.status().ToString() + "; nothing was appended");
  }
  Result<std::unique_ptr<Ledger>> ledger =
      OpenLedger(o.db, false, ParseRegulatoryMode(o.regulatory), o.max_clock_skew);
  if (!ledger.ok()) return Fail(cmd, ledger.status().ToString() + "; nothing was changed");

  ActorRegistered reg;
  reg.actor_id = o.actor;
  reg.legal_name = o.name;
  reg.role = *role;
  reg.key = *key;
  reg.licence = o.licence;
  reg.jurisdiction = o.jurisdiction;
  Result<AppendResult> at = RegisterActor(**ledger, **root, std::move(reg), o.root_actor);
  if (!at.ok()) {
    return Fail(cmd, Refusal("registration of " + Shown(o.actor) + ": " + at.status().ToString(),
                             **ledger));
  }
  std::cout << "registered " << Shown(o.actor) << " as " << RoleName(*role) << " with key "
            << key->KeyId() << " (" << AlgorithmName(key->algorithm()) << ")\n"
            << "seq " << at->seq << " hash " << HashToHex(at->hash) << "\n";
  for (const Finding& f : at->flagged) {
    std::cout << "  FLAGGED [" << f.code << "] " << internal::SanitizeMessage(f.message) << "\n";
  }
  return kExitOk;
}

}  // namespace

Command AddRegisterCommand(CLI::App& app) {
  auto o = std::make_shared<RegisterOptions>();
  CLI::App* sub = app.add_subcommand(
      "register", "Register an actor (role and public key), signed by the root key");
  AddDbOption(sub, o->db);
  sub->add_option("--root-key", o->root_key, "Root private key (PEM, mode 0600)")->required();
  sub->add_option("--root-actor", o->root_actor,
                  "Actor id the root key signs as (default: the ledger's root actor)");
  sub->add_option("--actor", o->actor, "Id of the new actor, e.g. mine-bayan-obo")->required();
  sub->add_option("--role", o->role,
                  "mine, separator, smelter, magnet_maker, exporter, recycler, importer or "
                  "regulator (any case; magnet-maker and ROLE_MINE are accepted too)")
      ->required();
  sub->add_option("--name", o->name, "Legal name of the enterprise")->required();
  sub->add_option("--pubkey", o->pubkey, "The actor's public key (PEM)")->required();
  sub->add_option("--licence", o->licence, "Mining or operating licence number");
  sub->add_option("--jurisdiction", o->jurisdiction, "ISO 3166 code of the place of business")
      ->capture_default_str();
  AddRegulatoryOption(sub, o->regulatory);
  AddClockSkewOption(sub, o->max_clock_skew);
  SetHelpFooter(sub, {"the actor was registered", "",
                      "usage error, unreadable key, unknown role, or the ledger refused the "
                      "registration (it is unchanged)"});
  return {sub, [o] { return RunRegister(*o); }};
}

}  // namespace retrace::cli
