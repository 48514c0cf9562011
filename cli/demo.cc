// retrace demo: build a realistic supply chain, then verify an exported
// magnet lot back to its mines. The README's first command.
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

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
  std::string format = "text";
  bool federated = false;  // every enterprise in its own ledger (demo_federated.cc)
  std::string dir;         // with --federated: the ledgers' parent directory
};

int RunDemo(const DemoOptions& o) {
  const char* cmd = "demo";
  namespace fs = std::filesystem;
  std::error_code ec;
  sim::Config config;
  config.seed = o.seed;
  config.scale = o.scale;
  // Dated up to now, never after: a ledger refuses records from its future.
  config.latest_time = Now();
  config.start_time = sim::StartTimeEndingBy(o.scale, config.latest_time);
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
  if (!o.federated && !o.dir.empty()) return Fail(cmd, "--dir goes with --federated (else --db)");
  if (o.federated && o.format == "json") {
    return Fail(cmd, "--federated prints text only; nothing was created");
  }
  const std::string target = o.federated ? (o.dir.empty() ? "./demo-federation" : o.dir) : o.db;

  if (fs::exists(target, ec)) {
    bool empty = fs::is_directory(target, ec) && fs::is_empty(target, ec);
    if (!empty && !o.force) {
      return Fail(cmd, Shown(target) + " exists and is not empty; nothing was changed (pass --force "
                              "to remove it and build the demo afresh)");
    }
    if (!empty) {
      fs::remove_all(target, ec);
      if (ec) {
        return Fail(cmd, "cannot remove " + Shown(target) + ": " + ec.message() +
                             "; it may be partly removed");
      }
      if (o.format != "json") std::cout << "Removed the existing " << Shown(target) << " (--force).\n";
    }
  }
  if (o.federated) {
    fs::create_directories(target, ec);
    if (ec) return Fail(cmd, "cannot create " + Shown(target) + ": " + ec.message());
    return RunFederatedDemo(target);
  }

  Result<std::unique_ptr<Signer>> root = Signer::Generate(Algorithm::kEd25519);
  if (!root.ok()) return Fail(cmd, "cannot generate the root key: " + root.status().ToString());
  Options options;
  options.sync = false;  // a demo: speed over durability against power loss
  Result<std::unique_ptr<Ledger>> ledger =
      Ledger::Create(options, o.db, "retrace-demo", **root, "regulator");
  if (!ledger.ok()) {
    return Fail(cmd, "cannot create the demo ledger in " + Shown(o.db) + ": " +
                         ledger.status().ToString() + "; no ledger was created");
  }
  const std::string keys_dir = (fs::path(o.db) / "keys").string();
  config.keys_dir = keys_dir;
  fs::create_directories(keys_dir, ec);
  Status st = (*root)->WritePrivateKeyFile(keys_dir + "/regulator.key");
  if (st.ok()) st = (*root)->public_key().WriteFile(keys_dir + "/regulator.pub");
  if (!st.ok()) return Fail(cmd, "cannot write the root key: " + st.ToString());

  // Text goes to standard output as the chain is built; with --format json
  // the one JSON document is the only thing there.
  const bool json = o.format == "json";
  std::ostringstream discard;
  std::ostream& text = json ? discard : std::cout;
  text << "Building the demo supply chain in " << Shown(o.db) << " (seed " << o.seed
       << ", scale " << o.scale << ")...\n";
  Result<sim::Summary> summary = sim::Build(**ledger, **root, config);
  if (!summary.ok()) {
    return Fail(cmd, "building the demo chain failed: " + summary.status().ToString() + "; " +
                         Shown(o.db) + " holds the records appended before the failure");
  }
  const sim::Summary& s = *summary;
  text << "\nActors: the regulator (root key " << (*root)->public_key().KeyId()
       << ") and the " << s.actors.size() << " it registered:\n";
  for (const sim::ActorSummary& a : s.actors) {
    text << "  " << std::left << std::setw(19) << a.actor_id << std::setw(14) << RoleName(a.role)
         << std::setw(11) << AlgorithmName(a.algorithm) << "key " << a.key_id << "  "
         << a.legal_name << "\n";
  }
  text << "\nLots: " << s.lots << " (";
  bool first = true;
  for (const auto& [material, n] : s.lots_by_material) {
    text << (first ? "" : ", ") << n << " " << MaterialClassName(material);
    first = false;
  }
  text << ")\n"
       << "Transformations: " << s.transformations << ", shipments: " << s.shipments
       << " (each with a signed receipt), exports: " << s.exported_lot_ids.size() << "\n";
  Result<LedgerInfo> info = (*ledger)->Info();
  if (!info.ok()) return Fail(cmd, "cannot read the demo ledger: " + info.status().ToString());
  text << "Records: " << info->size << " (ledger " << info->ledger_id << ", head "
       << ShortHash(info->head_hash) << ")\n";
  text << "Keys: " << Shown(keys_dir) << " (private keys mode 0600)\n";

  // Verify every exported lot; show the report of the one with the widest
  // lineage (most mines and lots behind it).
  std::size_t valid = 0;
  std::optional<VerifyReport> shown;
  nlohmann::ordered_json exported = nlohmann::ordered_json::array();
  for (const std::string& id : s.exported_lot_ids) {
    Result<VerifyReport> r = (*ledger)->VerifyLot(id);
    if (!r.ok()) return Fail(cmd, "could not verify " + id + ": " + r.status().ToString());
    if (r->valid) ++valid;
    exported.push_back({{"lot_id", id}, {"valid", r->valid}, {"findings", r->findings.size()}});
    auto rank = [](const VerifyReport& v) {
      return std::make_pair(!v.valid, std::make_pair(v.origins.size(), v.lots.size()));
    };
    if (!shown || rank(*r) > rank(*shown)) shown = std::move(*r);
  }
  if (!shown) return Fail(cmd, "the demo chain exported no lot");
  const bool all_valid = valid == s.exported_lot_ids.size();
  if (json) {
    nlohmann::ordered_json actors = nlohmann::ordered_json::array();
    for (const sim::ActorSummary& a : s.actors) {
      actors.push_back({{"actor_id", a.actor_id},
                        {"role", RoleName(a.role)},
                        {"algorithm", AlgorithmName(a.algorithm)},
                        {"key_id", a.key_id},
                        {"legal_name", a.legal_name}});
    }
    nlohmann::ordered_json lots_by_material = nlohmann::ordered_json::object();
    for (const auto& [material, n] : s.lots_by_material) {
      lots_by_material[MaterialClassName(material)] = n;
    }
    nlohmann::ordered_json j = {
        {"schema", "retrace.demo/v1"},
        {"db", o.db},
        {"seed", o.seed},
        {"scale", o.scale},
        {"keys_dir", keys_dir},
        {"root_key_id", (*root)->public_key().KeyId()},
        {"ledger", nlohmann::ordered_json::parse(LedgerInfoToJson(*info, std::nullopt))},
        {"actors", actors},
        {"lots", s.lots},
        {"lots_by_material", lots_by_material},
        {"transformations", s.transformations},
        {"shipments", s.shipments},
        {"exported", exported},
        {"valid", all_valid},
        {"shown", nlohmann::ordered_json::parse(VerifyReportToJson(*shown))}};
    std::cout << j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
    return all_valid ? kExitOk : kExitFindings;
  }
  std::cout << "\nVerifying exported magnet lot " << shown->lot_id << " back to its mines:\n\n";
  PrintVerifyReport(*shown, std::cout, /*verdict_line=*/false);
  std::cout << "\nTry: retrace lineage --db " << Shown(o.db) << " " << shown->lot_id << "\n"
            << "     retrace audit --db " << Shown(o.db) << "\n"
            << (all_valid ? "VALID" : "INVALID") << ": " << valid << " of "
            << s.exported_lot_ids.size() << " exported lots verify as valid\n";
  return all_valid ? kExitOk : kExitFindings;
}

}  // namespace

Command AddDemoCommand(CLI::App& app) {
  auto o = std::make_shared<DemoOptions>();
  CLI::App* sub = app.add_subcommand(
      "demo", "Build a demo rare-earth supply chain and verify an exported magnet lot");
  sub->add_option("--db", o->db, "Ledger directory to build")->capture_default_str();
  sub->add_flag("--force", o->force, "Remove a non-empty --db directory first");
  sub->add_option("--seed", o->seed, "Seed of the generator")
      ->check(StrictUnsigned<std::uint64_t>())
      ->capture_default_str();
  sub->add_option("--scale", o->scale, "Number of production campaigns (~37 lots each)")
      ->check(StrictUnsigned<int>(1000))
      ->capture_default_str();
  sub->add_option("--format", o->format,
                  "text or json (schema retrace.demo/v1: the chain's summary and the report "
                  "shown)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  sub->add_option("--alg", o->alg, "Actor key algorithm: mixed, ed25519, ecdsa-p256 or sm2")
      ->capture_default_str();
  sub->add_flag("--federated", o->federated,
                "Every enterprise in its own ledger under --dir, two witnesses, lots handed over "
                "with their bundles; verify across all and a customs bundle (docs/federation.md)");
  sub->add_option("--dir", o->dir,
                  "With --federated: the directory of the ledgers (default ./demo-federation)");
  SetHelpFooter(sub,
                {"built; every exported lot verifies (the last line says VALID)",
                 "built, but an exported lot has findings (the last line says INVALID)",
                 "usage error, a --db that exists and is not empty (without --force), or an "
                 "I/O error"},
                "Writes the actors' keys to DIR/keys so that you can append more events as "
                "them.");
  return {sub, [o] { return RunDemo(*o); }};
}

}  // namespace retrace::cli
