// retrace demo: build a realistic supply chain, then verify an exported
// magnet lot back to its mines. The README's first command.
#include <filesystem>
#include <iomanip>
#include <iostream>

#include "common.h"
#include "retrace/signer.h"
#include "retrace/sim.h"

namespace retrace::cli {
namespace {

struct DemoOptions {
  std::string db = "./demo-ledger";
  bool force = false;
  std::uint64_t seed = 2026;
  int scale = 1;
  std::string alg = "mixed";
};

int RunDemo(const DemoOptions& o) {
  const char* cmd = "demo";
  namespace fs = std::filesystem;
  std::error_code ec;
  sim::Config config;
  config.seed = o.seed;
  config.scale = o.scale;
  if (o.alg == "mixed") {
    config.mix_algorithms = true;
  } else {
    Result<Algorithm> alg = ParseAlgorithm(o.alg);
    if (!alg.ok()) {
      return Fail(cmd, "unknown algorithm \"" + o.alg +
                           "\" (expected mixed, ed25519, ecdsa-p256 or sm2); nothing was created");
    }
    config.algorithm = *alg;
  }
  if (o.scale < 1) return Fail(cmd, "--scale must be at least 1; nothing was created");

  if (fs::exists(o.db, ec)) {
    bool empty = fs::is_directory(o.db, ec) && fs::is_empty(o.db, ec);
    if (!empty && !o.force) {
      return Fail(cmd, o.db + " exists and is not empty; nothing was changed (pass --force to "
                              "remove it and build the demo afresh)");
    }
    if (!empty) {
      fs::remove_all(o.db, ec);
      if (ec) {
        return Fail(cmd, "cannot remove " + o.db + ": " + ec.message() +
                             "; it may be partly removed");
      }
      std::cout << "Removed the existing " << o.db << " (--force).\n";
    }
  }

  Result<std::unique_ptr<Signer>> root = Signer::Generate(Algorithm::kEd25519);
  if (!root.ok()) return Fail(cmd, "cannot generate the root key: " + root.status().ToString());
  Options options;
  options.sync = false;  // a demo: speed over durability against power loss
  Result<std::unique_ptr<Ledger>> ledger =
      Ledger::Create(options, o.db, "retrace-demo", **root, "regulator");
  if (!ledger.ok()) {
    return Fail(cmd, "cannot create the demo ledger in " + o.db + ": " +
                         ledger.status().ToString() + "; no ledger was created");
  }
  const std::string keys_dir = (fs::path(o.db) / "keys").string();
  config.keys_dir = keys_dir;
  fs::create_directories(keys_dir, ec);
  Status st = (*root)->WritePrivateKeyFile(keys_dir + "/regulator.key");
  if (st.ok()) st = (*root)->public_key().WriteFile(keys_dir + "/regulator.pub");
  if (!st.ok()) return Fail(cmd, "cannot write the root key: " + st.ToString());

  std::cout << "Building the demo supply chain in " << o.db << " (seed " << o.seed
            << ", scale " << o.scale << ")...\n";
  Result<sim::Summary> summary = sim::Build(**ledger, **root, config);
  if (!summary.ok()) {
    return Fail(cmd, "building the demo chain failed: " + summary.status().ToString() + "; " +
                         o.db + " holds the records appended before the failure");
  }
  const sim::Summary& s = *summary;
  std::cout << "\nActors (" << s.actors.size() << ", registered by the regulator, root key "
            << (*root)->public_key().KeyId() << "):\n";
  for (const sim::ActorSummary& a : s.actors) {
    std::cout << "  " << std::left << std::setw(19) << a.actor_id << std::setw(14)
              << RoleName(a.role) << std::setw(11) << AlgorithmName(a.algorithm) << "key "
              << a.key_id << "  " << a.legal_name << "\n";
  }
  std::cout << "\nLots: " << s.lots << " (";
  bool first = true;
  for (const auto& [material, n] : s.lots_by_material) {
    std::cout << (first ? "" : ", ") << n << " " << MaterialClassName(material);
    first = false;
  }
  std::cout << ")\n"
            << "Transformations: " << s.transformations << ", shipments: " << s.shipments
            << " (each with a signed receipt), exports: " << s.exported_lot_ids.size() << "\n";
  Result<LedgerInfo> info = (*ledger)->Info();
  if (info.ok()) {
    std::cout << "Records: " << info->size << " (ledger " << info->ledger_id << ", head "
              << ShortHash(info->head_hash) << ")\n";
  }
  std::cout << "Keys: " << keys_dir << " (private keys mode 0600)\n";

  // Verify every exported lot; show the report of the one with the widest
  // lineage (most mines and lots behind it).
  std::size_t valid = 0;
  std::optional<VerifyReport> shown;
  for (const std::string& id : s.exported_lot_ids) {
    Result<VerifyReport> r = (*ledger)->VerifyLot(id);
    if (!r.ok()) return Fail(cmd, "could not verify " + id + ": " + r.status().ToString());
    if (r->valid) ++valid;
    auto rank = [](const VerifyReport& v) {
      return std::make_pair(!v.valid, std::make_pair(v.origins.size(), v.lots.size()));
    };
    if (!shown || rank(*r) > rank(*shown)) shown = std::move(*r);
  }
  if (!shown) return Fail(cmd, "the demo chain exported no lot");
  std::cout << "\nVerifying exported magnet lot " << shown->lot_id << " back to its mines:\n\n";
  PrintVerifyReport(*shown, std::cout);
  std::cout << "\n" << valid << " of " << s.exported_lot_ids.size()
            << " exported lots verify as valid.\n"
            << "Try: retrace lineage --db " << o.db << " " << shown->lot_id << "\n"
            << "     retrace audit --db " << o.db << "\n";
  return valid == s.exported_lot_ids.size() ? kExitOk : kExitFindings;
}

}  // namespace

Command AddDemoCommand(CLI::App& app) {
  auto o = std::make_shared<DemoOptions>();
  CLI::App* sub = app.add_subcommand(
      "demo", "Build a demo rare-earth supply chain and verify an exported magnet lot");
  sub->add_option("--db", o->db, "Ledger directory to build")->capture_default_str();
  sub->add_flag("--force", o->force, "Remove a non-empty --db directory first");
  sub->add_option("--seed", o->seed, "Seed of the generator")->capture_default_str();
  sub->add_option("--scale", o->scale, "Number of production campaigns (~37 lots each)")
      ->capture_default_str();
  sub->add_option("--alg", o->alg, "Actor key algorithm: mixed, ed25519, ecdsa-p256 or sm2")
      ->capture_default_str();
  sub->footer(std::string("Writes the actors' keys to DIR/keys so that you can append more "
                          "events as them.\n") +
              kVerifyExitFooter);
  return {sub, [o] { return RunDemo(*o); }};
}

}  // namespace retrace::cli
