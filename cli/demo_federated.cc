// retrace demo --federated: the demo chain with every enterprise in its own
// ledger (docs/federation.md). The regulator keeps a registry ledger in
// DIR/registry: every actor's registration, the mines' and separators'
// quota grants and the policy naming the trusted logs. It publishes the
// registry as tlog-tiles (DIR/www/registry), which a mirror copies
// (DIR/registry-mirror). Three mines, two separators, a smelter, two magnet
// makers and an exporter each keep a ledger in DIR/<name>, bound to the
// registry, and import its records with their proofs from the mirror. Two
// witnesses cosign every checkpoint; each hand-over is a shipment to the
// next ledger and a receipt there with the sender's bundle. The exported
// magnet lot is then verified across every ledger, and the customs bundle
// written and verified offline.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <tuple>

#include "common.h"
#include "retrace/bundle.h"
#include "retrace/checkpoint.h"
#include "retrace/federation.h"
#include "retrace/mirror.h"
#include "retrace/publish.h"
#include "retrace/note.h"
#include "retrace/signer.h"
#include "retrace/witness.h"

namespace retrace::cli {
namespace {

// Each step either works or the demo stops with its message.
struct DemoError {
  std::string message;
};

template <typename T>
T Must(Result<T> r, const std::string& what) {
  if (!r.ok()) throw DemoError{what + ": " + r.status().ToString()};
  return std::move(r).value();
}
void Must(const Status& st, const std::string& what) {
  if (!st.ok()) throw DemoError{what + ": " + st.ToString()};
}

Lot MakeLot(const std::string& id, MaterialClass m, std::uint64_t mass,
            std::vector<ElementMass> content) {
  Lot l;
  l.lot_id = id;
  l.material = m;
  l.mass_g = mass;
  l.content = std::move(content);
  return l;
}

class Federation {
 public:
  // The regulator's key, two witnesses and the registry ledger.
  explicit Federation(std::string dir) : dir_(std::move(dir)) {
    root_ = Must(Signer::Generate(Algorithm::kEd25519), "regulator key");
    for (int i = 1; i <= 2; ++i) {
      witnesses_.push_back(Must(
          NoteSigner::Generate("w" + std::to_string(i) + ".demo", NoteKeyType::kCosignatureV1),
          "witness key"));
      states_.emplace_back();
    }
    Options o;
    o.sync = false;
    ledgers_[kRegistry] = Must(Ledger::Create(o, dir_ + "/" + kRegistry, kRegistry, *root_,
                                              "regulator"),
                               "create the registry");
    NewLog(kRegistry);
  }

  // Enterprise `name`, whose one actor is `actor` of `role`: its log key,
  // and its registration (and quota grant) in the registry.
  void Enrol(const std::string& name, const std::string& actor, Role role) {
    NewLog(name);
    keys_[actor] = Must(Signer::Generate(Algorithm::kEd25519), "actor key");
    ActorRegistered reg;
    reg.actor_id = actor;
    reg.legal_name = actor + " Co., Ltd.";
    reg.role = role;
    reg.key = keys_[actor]->public_key();
    reg.licence = "LIC-" + actor;
    reg.jurisdiction = "CN";
    Must(RegisterActor(*ledgers_[kRegistry], *root_, reg, "regulator"), "register " + actor);
    if (role == Role::kMine || role == Role::kSeparator) {
      QuotaKind k = role == Role::kMine ? QuotaKind::kMiningRock : QuotaKind::kSmeltingSeparation;
      Do(kRegistry, "regulator", QuotaGranted{actor, 2026, k, 100000000, "MIIT notice 2026"},
         root_.get());
    }
    roles_[name] = std::string(actor) + ", " + RoleName(role);
  }

  // The registry's policy: the stage rules, and every enterprise's log
  // trusted with both witnesses.
  void TrustAll() {
    PolicySet p = DefaultPolicy();
    p.name = "federated";
    for (const auto& [name, log] : logs_) {
      if (name == kRegistry) continue;
      TrustedLog t{name, log->verifier().ToString(), {}, 2};
      for (const auto& w : witnesses_) t.witnesses.push_back(w->verifier().ToString());
      p.trusted_logs.push_back(t);
    }
    Do(kRegistry, "regulator", p, root_.get());
  }

  // The registry's cosigned checkpoint, published as tlog-tiles and
  // copied by a mirror that checks every tile and record.
  void PublishRegistry() {
    Publish(kRegistry);
    const std::string www = dir_ + "/www/" + kRegistry;
    PublishOptions po;
    po.sync = false;
    const PublishResult pub = Must(retrace::Publish(*ledgers_[kRegistry], www, po), "publish");
    MirrorOptions mo;
    mo.log_keys = {logs_[kRegistry]->verifier()};
    mo.witnesses = Witnesses();
    mo.ledger.sync = false;
    const MirrorResult m = Must(Mirror(www, dir_ + "/registry-mirror", mo), "mirror the registry");
    if (!m.findings.empty()) throw DemoError{"mirror the registry: " + m.findings[0].message};
    registry_mirror_ = Must(Ledger::Open(mo.ledger, dir_ + "/registry-mirror"), "open the mirror");
    std::cout << "  registry: " << pub.size << " records (registrations, quota grants, the "
              << "policy), cosigned by 2 witnesses,\n  published as tlog-tiles to "
              << Shown(www) << " and mirrored to " << Shown(dir_ + "/registry-mirror") << "\n";
  }

  // Enterprise `name`'s ledger in DIR/name, bound to the registry, with
  // every registry record imported from the mirror with its proof.
  void Bind(const std::string& name) {
    Options o;
    o.sync = false;
    RegistryBinding& b = o.registry.emplace();
    b.log_key = logs_[kRegistry]->verifier().ToString();
    for (const auto& w : witnesses_) b.witnesses.push_back(w->verifier().ToString());
    b.quorum = 2;
    b.ledger_id = Must(ledgers_[kRegistry]->Info(), "registry").ledger_id;
    ledgers_[name] = Must(Ledger::Create(o, dir_ + "/" + name, name, *root_, "regulator"),
                          "create " + name);
    const RegistryImportResult im =
        Must(ImportRegistry(*ledgers_[name], *registry_mirror_), "import the registry into " + name);
    std::cout << "  ledger " << name << " (" << roles_[name] << "): imported " << im.appended
              << " registry records with their proofs\n";
  }

  void Do(const std::string& name, const std::string& actor, EventBody body,
          const Signer* signer = nullptr) {
    Event ev;
    ev.actor_id = actor;
    ev.time = {1780000000 + ++clock_, 0};
    ev.body = std::move(body);
    FillEventDefaults(&ev);
    Ledger& l = *ledgers_[name];
    Must(l.LinkParents(&ev), "link");
    const SignedEvent se = Must(SignEvent(ev, signer ? *signer : *keys_[actor]), "sign");
    Must(l.Append(se), name + ": " + EventKindName(ev.body) + " by " + actor);
  }

  // Signs a checkpoint of `name`, cosigned by both witnesses.
  void Publish(const std::string& name) {
    Ledger& l = *ledgers_[name];
    const std::string note = Must(l.SignCheckpoint(*logs_[name]), "checkpoint");
    const Checkpoint cp = Must(ParseSignedCheckpoint(note), "checkpoint");
    std::string lines;
    for (std::size_t i = 0; i < witnesses_.size(); ++i) {
      WitnessedLog* seen = states_[i].Find(name);
      AddCheckpointRequest req{seen->size, {}, note};
      if (seen->size > 0 && seen->size < cp.size) {
        req.consistency_proof = Must(l.ProveConsistency(seen->size, cp.size), "proof").hashes;
      }
      lines += Must(WitnessAddCheckpoint(&states_[i], *witnesses_[i], req, 1780000000 + clock_),
                    "cosign " + name);
    }
    Must(l.AddCosignatures(lines, {witnesses_[0]->verifier(), witnesses_[1]->verifier()}),
         "cosignatures");
  }

  // `lot`, shipped in `from` to another ledger, received in `to` with its
  // bundle.
  void Hand(const std::string& from, const std::string& lot, const std::string& to) {
    Publish(from);
    const std::string bundle = Must(ProveLineage(*ledgers_[from], lot), "prove " + lot);
    Ledger& dst = *ledgers_[to];
    Event ev = Must(PrepareCrossLedgerReceipt(dst, bundle), "receipt of " + lot);
    ev.time = {1780000000 + ++clock_, 0};  // the demo's clock: a lot's history runs forward
    std::vector<Hash> proof;
    auto held = Must(LatestForeignCheckpoint(dst, from), "held checkpoint");
    const Checkpoint cp = Must(ParseSignedCheckpoint(*ledgers_[from]->LatestCheckpoint()), "cp");
    if (held && held->size != cp.size) {
      proof = Must(ledgers_[from]->ProveConsistency(std::min(held->size, cp.size),
                                                    std::max(held->size, cp.size)),
                   "consistency")
                  .hashes;
    }
    const SignedEvent se = Must(SignEvent(ev, *keys_[ev.actor_id]), "sign receipt");
    Must(AppendCrossLedgerReceipt(dst, CrossLedgerReceipt{se, bundle, proof}), "receive " + lot);
    std::cout << "  " << lot << ": " << from << " -> " << to << " (bundle " << bundle.size()
              << " bytes, checkpoint " << cp.size << ", 2 witnesses)\n";
  }

  WitnessPolicy Witnesses() const {
    return WitnessPolicy{{witnesses_[0]->verifier(), witnesses_[1]->verifier()}, 2};
  }
  Ledger& ledger(const std::string& name) { return *ledgers_[name]; }
  const Signer& root() const { return *root_; }
  const NoteSigner& log(const std::string& name) { return *logs_[name]; }
  const NoteSigner& witness(int i) const { return *witnesses_[i]; }

 private:
  static constexpr const char* kRegistry = "registry";

  // A log key for ledger `name`, known to both witnesses.
  void NewLog(const std::string& name) {
    logs_[name] = Must(NoteSigner::Generate(name, NoteKeyType::kEd25519), "log key");
    for (auto& s : states_) Must(s.AddLog(name, logs_[name]->verifier()), "witness");
  }

  std::string dir_;
  std::unique_ptr<Signer> root_;
  std::vector<std::unique_ptr<NoteSigner>> witnesses_;
  std::vector<WitnessState> states_;
  std::map<std::string, std::unique_ptr<Ledger>> ledgers_;
  std::map<std::string, std::unique_ptr<NoteSigner>> logs_;
  std::map<std::string, std::unique_ptr<Signer>> keys_;
  std::map<std::string, std::string> roles_;  // enterprise -> "actor, role"
  std::unique_ptr<Ledger> registry_mirror_;
  std::int64_t clock_ = 0;
};

Lot Ore(const std::string& id, std::uint64_t nd, std::uint64_t pr) {
  return MakeLot(id, MaterialClass::kOreConcentrate, 1000000,
                 {{Element::kNd, nd}, {Element::kPr, pr}});
}

}  // namespace

int RunFederatedDemo(const std::string& dir) {
  const char* cmd = "demo";
  try {
    Federation f(dir);
    std::cout << "The regulator's registry and one ledger per enterprise, in " << Shown(dir)
              << ", all rooted in the regulator's key:\n";
    const std::vector<std::tuple<std::string, Role>> enterprises = {
        {"mine-a", Role::kMine},         {"mine-b", Role::kMine},
        {"mine-c", Role::kMine},         {"sep-1", Role::kSeparator},
        {"sep-2", Role::kSeparator},     {"smelter", Role::kSmelter},
        {"magnets-1", Role::kMagnetMaker}, {"magnets-2", Role::kMagnetMaker},
        {"exporter", Role::kExporter}};
    for (const auto& [name, role] : enterprises) f.Enrol(name, name, role);
    f.TrustAll();
    f.PublishRegistry();
    for (const auto& [name, role] : enterprises) f.Bind(name);

    std::cout << "Hand-overs (each a shipment to the next ledger and a receipt there with the "
                 "sender's lineage bundle):\n";
    const std::map<std::string, std::pair<std::string, std::string>> ores = {
        {"ORE-A", {"mine-a", "sep-1"}}, {"ORE-B", {"mine-b", "sep-1"}}, {"ORE-C", {"mine-c", "sep-2"}}};
    for (const auto& [lot, route] : ores) {
      f.Do(route.first, route.first, Extracted{Ore(lot, 50000, 15000), "pit 3",
                                               "LIC-" + route.first, QuotaKind::kMiningRock});
      f.Do(route.first, route.first,
           Shipped{lot, std::nullopt, route.second, 1000000, route.second});
      f.Hand(route.first, lot, route.second);
    }
    Transformed s1;
    s1.inputs = {{"ORE-A", 1000000, std::nullopt}, {"ORE-B", 1000000, std::nullopt}};
    s1.outputs = {MakeLot("NDPR-1", MaterialClass::kSeparatedOxide, 140000,
                          {{Element::kNd, 90000}, {Element::kPr, 26000}})};
    s1.declared_loss_g = 2000000 - 140000;
    s1.process = "solvent extraction";
    f.Do("sep-1", "sep-1", s1);
    Transformed s2;
    s2.inputs = {{"ORE-C", 1000000, std::nullopt}};
    s2.outputs = {MakeLot("NDPR-2", MaterialClass::kSeparatedOxide, 70000,
                          {{Element::kNd, 45000}, {Element::kPr, 13000}})};
    s2.declared_loss_g = 1000000 - 70000;
    s2.process = "solvent extraction";
    f.Do("sep-2", "sep-2", s2);
    f.Do("sep-1", "sep-1", Shipped{"NDPR-1", std::nullopt, "smelter", 140000, "smelter"});
    f.Do("sep-2", "sep-2", Shipped{"NDPR-2", std::nullopt, "smelter", 70000, "smelter"});
    f.Hand("sep-1", "NDPR-1", "smelter");
    f.Hand("sep-2", "NDPR-2", "smelter");
    Transformed sm;
    sm.inputs = {{"NDPR-1", 140000, std::nullopt}, {"NDPR-2", 70000, std::nullopt}};
    sm.outputs = {MakeLot("ALLOY-1", MaterialClass::kMetalAlloy, 90000,
                          {{Element::kNd, 66000}, {Element::kPr, 19000}}),
                  MakeLot("ALLOY-2", MaterialClass::kMetalAlloy, 90000,
                          {{Element::kNd, 66000}, {Element::kPr, 19000}})};
    sm.declared_loss_g = 210000 - 180000;
    sm.process = "reduction";
    f.Do("smelter", "smelter", sm);
    f.Do("smelter", "smelter", Shipped{"ALLOY-1", std::nullopt, "magnets-1", 90000, "magnets-1"});
    f.Do("smelter", "smelter", Shipped{"ALLOY-2", std::nullopt, "magnets-2", 90000, "magnets-2"});
    f.Hand("smelter", "ALLOY-1", "magnets-1");
    f.Hand("smelter", "ALLOY-2", "magnets-2");
    for (const std::string m : {"1", "2"}) {
      Transformed mg;
      mg.inputs = {{"ALLOY-" + m, 90000, std::nullopt}};
      mg.additives = {{"iron", 40000}, {"boron", 1500}};
      mg.outputs = {MakeLot("MAG-" + m, MaterialClass::kMagnet, 130000,
                            {{Element::kNd, 65000}, {Element::kPr, 18500}})};
      mg.declared_loss_g = 90000 + 41500 - 130000;
      mg.process = "sintering";
      f.Do("magnets-" + m, "magnets-" + m, mg);
    }
    f.Do("magnets-1", "magnets-1", Shipped{"MAG-1", std::nullopt, "exporter", 130000, "exporter"});
    f.Hand("magnets-1", "MAG-1", "exporter");
    f.Do("exporter", "exporter",
         Exported{"MAG-1", std::nullopt, 130000, "CUS-2026-0042", "DE"});

    std::cout << "\nVerifying the exported lot MAG-1 in the exporter's ledger, across every "
                 "ledger:\n";
    const VerifyReport report = Must(VerifyLotAcrossLedgers(f.ledger("exporter"), "MAG-1"), "verify");
    PrintVerifyReport(report, std::cout);

    f.Publish("exporter");
    const std::string bundle = Must(ProveLineage(f.ledger("exporter"), "MAG-1"), "customs bundle");
    Must(WriteOutput(dir + "/customs-MAG-1.bundle", bundle), "write the bundle");
    Must(f.root().public_key().WriteFile(dir + "/regulator.pub"), "write regulator.pub");
    Must(WriteOutput(dir + "/exporter.vkey", f.log("exporter").verifier().ToString() + "\n"),
         "write exporter.vkey");
    for (int i = 0; i < 2; ++i) {
      Must(WriteOutput(dir + "/w" + std::to_string(i + 1) + ".vkey",
                       f.witness(i).verifier().ToString() + "\n"),
           "write witness key");
    }
    // Customs holds only the regulator's key: the log key and witnesses
    // are the ones the registry's policy, inside the bundle, names.
    const BundleReport offline =
        Must(VerifyBundle(bundle, f.root().public_key(), WitnessPolicy{}), "verify the bundle");
    std::cout << "\nCustoms bundle " << Shown(dir) << "/customs-MAG-1.bundle: " << bundle.size()
              << " bytes, verified offline with the regulator's key alone (the registry's policy "
              << "in the bundle names the exporter's log key and the witnesses): " << (offline.valid ? "valid" : "INVALID") << ", "
              << offline.lineage.ledgers_crossed.size() << " ledger crossings, "
              << offline.lineage.origins.size() << " origins\n"
              << "(retrace verify-bundle " << Shown(dir) << "/customs-MAG-1.bundle --root "
              << Shown(dir) << "/regulator.pub: the registry's policy names the exporter's log "
              << "key and the witnesses; or give them, --log-key " << Shown(dir)
              << "/exporter.vkey --witness " << Shown(dir) << "/w1.vkey --witness " << Shown(dir)
              << "/w2.vkey)\n";
    const bool valid = report.valid && offline.valid;
    std::cout << (valid ? "VALID" : "INVALID") << "\n";
    return valid ? kExitOk : kExitFindings;
  } catch (const DemoError& e) {
    return Fail(cmd, e.message);
  }
}

}  // namespace retrace::cli
