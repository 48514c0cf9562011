// retrace-federation-bench: a lineage that crosses ledgers (docs/federation.md,
// docs/performance.md "Federation"), on the public API. It builds the same
// lineage twice -- once in a single ledger, once spread over --ledgers
// ledgers (ore extracted, shipped and received in the first, merged there,
// then handed on from ledger to ledger with its bundle, one transformation
// in each) -- and prints, each the median of --reps runs:
//
//   receipt      the time of the cross-ledger receipt that carries the
//                whole upstream lineage (AppendCrossLedgerReceipt into the
//                second ledger: bundle verification included);
//   verify       records of the lineage verified per second, across ledgers
//                (VerifyLotAcrossLedgers in the last ledger) and in the
//                single ledger (Ledger::VerifyLot), and their ratio;
//   audit        AuditAcrossLedgers of the last ledger, which judges its
//                receipt's stored bundle again (every upstream ledger's
//                lineage verified once), against the verify across;
//   bundle       bytes per lineage record of the bundle the last ledger
//                proves (nested upstream bundles included) and of the
//                single ledger's bundle, and their ratio.
//
// Then the registry (docs/federation.md, "The registry"): a registry of
// --registry records (actor registrations, each with its quota grant),
// cosigned, imported whole by a bound ledger, and
//
//   import       imports per second (ImportRegistry, one transaction)
//                against the limit of what each import must do -- one
//                Ed25519 verify of the regulator's signature and the
//                inclusion proof's SHA-256 -- measured raw in the same run;
//   audit        the bound ledger's full audit, which re-judges every
//                import, per record, against the same limit;
//   bundle       what the imports add to a bundle of the bound ledger, per
//                import, against the same records written locally.
//
// Figures are printed, never asserted.
//
//   retrace-federation-bench [--ledgers=N] [--records=N] [--reps=N] [--registry=N] [--dir=DIR]
//                            [--keep]   (leave each run's ledgers in --dir)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "retrace/bundle.h"
#include "retrace/checkpoint.h"
#include "retrace/federation.h"
#include "retrace/ledger.h"
#include "retrace/note.h"
#include "retrace/witness.h"
#include "raw.h"

namespace {

using namespace retrace;

[[noreturn]] void Die(const std::string& what, const Status& st) {
  std::fprintf(stderr, "retrace-federation-bench: %s: %s\n", what.c_str(), st.ToString().c_str());
  std::exit(2);
}

template <typename T>
T Must(Result<T> r, const std::string& what) {
  if (!r.ok()) Die(what, r.status());
  return std::move(r).value();
}

void Must(const Status& st, const std::string& what) {
  if (!st.ok()) Die(what, st);
}

double Seconds(const std::function<void()>& fn) {
  const auto t0 = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

constexpr std::uint64_t kOreMass = 1000000;
constexpr std::uint64_t kOreNd = 50000;
constexpr std::size_t kMergeWidth = 1000;

struct Bench {
  std::string dir;
  std::unique_ptr<Signer> root;
  std::unique_ptr<NoteSigner> witness;
  WitnessState witness_state;
  std::map<std::string, std::unique_ptr<Signer>> keys;
  std::map<std::string, std::unique_ptr<NoteSigner>> logs;
  std::int64_t clock = 1780000000;  // 2026

  Signer& Key(const std::string& actor) {
    auto& k = keys[actor];
    if (!k) k = Must(Signer::Generate(Algorithm::kEd25519), "key");
    return *k;
  }

  std::unique_ptr<Ledger> Create(const std::string& name) {
    Options o;
    o.sync = false;
    auto l = Must(Ledger::Create(o, dir + "/" + name, name, *root, "regulator"), "create " + name);
    logs[name] = Must(NoteSigner::Generate(name, NoteKeyType::kEd25519), "log key");
    Must(witness_state.AddLog(name, logs[name]->verifier()), "witness follows " + name);
    return l;
  }

  Event Make(const std::string& actor, EventBody body) {
    Event ev;
    ev.actor_id = actor;
    ev.time = {++clock, 0};
    ev.body = std::move(body);
    FillEventDefaults(&ev);
    return ev;
  }

  void As(Ledger& l, const std::string& actor, const Signer& signer, std::vector<Event> events) {
    Must(l.SignAndAppend(events, signer, SignAndAppendOptions()), "append by " + actor);
  }

  void Register(Ledger& l, const std::string& actor, Role role) {
    ActorRegistered reg;
    reg.actor_id = actor;
    reg.legal_name = actor + " Co., Ltd.";
    reg.role = role;
    reg.key = Key(actor).public_key();
    reg.licence = "LIC-" + actor;
    reg.jurisdiction = "CN";
    Must(RegisterActor(l, *root, reg, "regulator"), "register " + actor);
    QuotaKind kind = role == Role::kMine ? QuotaKind::kMiningRock : QuotaKind::kSmeltingSeparation;
    if (role == Role::kMine || role == Role::kSeparator) {
      As(l, "regulator", *root,
         {Make("regulator", QuotaGranted{actor, 2026, kind, std::uint64_t{1} << 50, "bench"})});
    }
  }

  void Trust(Ledger& l, const std::vector<std::string>& origins) {
    PolicySet p = DefaultPolicy();
    p.name = "federated";
    for (const auto& o : origins) {
      p.trusted_logs.push_back(
          TrustedLog{o, logs[o]->verifier().ToString(), {witness->verifier().ToString()}, 1});
    }
    As(l, "regulator", *root, {Make("regulator", p)});
  }

  // Signs a checkpoint of `l` and has the witness cosign it.
  void Publish(Ledger& l, const std::string& name) {
    const std::string note = Must(l.SignCheckpoint(*logs[name]), "checkpoint " + name);
    const Checkpoint cp = Must(ParseSignedCheckpoint(note), "parse checkpoint");
    WitnessedLog* seen = witness_state.Find(name);
    AddCheckpointRequest req{seen->size, {}, note};
    if (seen->size > 0 && seen->size < cp.size) {
      req.consistency_proof = Must(l.ProveConsistency(seen->size, cp.size), "consistency").hashes;
    }
    const std::string line =
        Must(WitnessAddCheckpoint(&witness_state, *witness, req, static_cast<std::uint64_t>(clock)),
             "cosign " + name);
    Must(l.AddCosignatures(line, {witness->verifier()}), "store cosignature");
  }
};

Lot Mix(const std::string& id, std::uint64_t ores, MaterialClass m) {
  Lot l;
  l.lot_id = id;
  l.material = m;
  l.mass_g = ores * kOreMass;
  l.content = {{Element::kNd, ores * kOreNd}};
  return l;
}

// The first ledger's part: `ores` ores extracted by mine-0, shipped to and
// received by sep-0, merged (in chunks of kMergeWidth, then the chunks) into
// MIX-0, which sep-0 ships to `next_actor` (in ledger `next_log`, or, when
// empty, in the same ledger).
void Upstream(Bench& b, Ledger& l, std::uint64_t ores, const std::string& next_actor,
              const std::string& next_log) {
  std::vector<Event> mine;
  for (std::uint64_t i = 0; i < ores; ++i) {
    const std::string id = "ORE-" + std::to_string(i);
    Lot ore = Mix(id, 1, MaterialClass::kOreConcentrate);
    mine.push_back(b.Make("mine-0", Extracted{ore, "pit 3", "LIC-mine-0", QuotaKind::kMiningRock}));
    mine.push_back(b.Make("mine-0", Shipped{id, std::nullopt, "sep-0", kOreMass}));
  }
  b.As(l, "mine-0", b.Key("mine-0"), std::move(mine));
  std::vector<Event> sep;
  for (std::uint64_t i = 0; i < ores; ++i) {
    sep.push_back(b.Make("sep-0", Received{"ORE-" + std::to_string(i), std::nullopt, "mine-0", kOreMass}));
  }
  std::vector<std::string> chunks;
  for (std::uint64_t start = 0; start < ores; start += kMergeWidth) {
    const std::uint64_t n = std::min<std::uint64_t>(kMergeWidth, ores - start);
    Transformed t;
    for (std::uint64_t i = start; i < start + n; ++i) {
      t.inputs.push_back({"ORE-" + std::to_string(i), kOreMass, std::nullopt});
    }
    const std::string id = "CHUNK-" + std::to_string(chunks.size());
    t.outputs = {Mix(id, n, MaterialClass::kMixedCompound)};
    t.process = "leaching";
    sep.push_back(b.Make("sep-0", t));
    chunks.push_back(id);
  }
  Transformed all;
  std::uint64_t left = ores;
  for (const auto& c : chunks) {
    const std::uint64_t n = std::min<std::uint64_t>(kMergeWidth, left);
    left -= n;
    all.inputs.push_back({c, n * kOreMass, std::nullopt});
  }
  all.outputs = {Mix("MIX-0", ores, MaterialClass::kMixedCompound)};
  all.process = "blending";
  sep.push_back(b.Make("sep-0", all));
  sep.push_back(b.Make("sep-0", Shipped{"MIX-0", std::nullopt, next_actor, ores * kOreMass, next_log}));
  b.As(l, "sep-0", b.Key("sep-0"), std::move(sep));
}

// One downstream step by `actor`: MIX-(i-1) becomes MIX-i (or, for the last
// step, the separated oxide OXIDE), shipped on to `next_actor` unless last.
void Step(Bench& b, Ledger& l, std::uint64_t ores, int i, const std::string& actor, bool last,
          const std::string& next_actor, const std::string& next_log) {
  Transformed t;
  t.inputs = {{"MIX-" + std::to_string(i - 1), ores * kOreMass, std::nullopt}};
  const std::string out = last ? "OXIDE" : "MIX-" + std::to_string(i);
  t.outputs = {Mix(out, ores, last ? MaterialClass::kSeparatedOxide : MaterialClass::kMixedCompound)};
  t.process = last ? "solvent extraction" : "refining";
  std::vector<Event> evs = {b.Make(actor, t)};
  if (!last) evs.push_back(b.Make(actor, Shipped{out, std::nullopt, next_actor, ores * kOreMass, next_log}));
  b.As(l, actor, b.Key(actor), std::move(evs));
}

struct Run {
  double receipt_s = 0;
  double audit_fed_s = 0;  // AuditAcrossLedgers of the last ledger
  bool audit_valid = false;
  double verify_fed_s = 0, verify_single_s = 0;
  std::uint64_t lineage_records = 0;
  std::uint64_t bundle_fed = 0, bundle_single = 0;
  std::uint64_t fed_origins = 0;
  bool fed_valid = false, single_valid = false;
  std::uint64_t crossed = 0;
};

Run Once(const std::string& dir, int n_ledgers, std::uint64_t records) {
  Bench b;
  b.dir = dir;
  b.root = Must(Signer::Generate(Algorithm::kEd25519), "root");
  b.witness = Must(NoteSigner::Generate("w1.bench", NoteKeyType::kCosignatureV1), "witness");
  // ~3 records per ore: extraction, shipment, receipt.
  const std::uint64_t ores = std::max<std::uint64_t>(1, records / 3);
  Run run;

  // The single ledger: every actor in one.
  {
    auto l = b.Create("single");
    b.Register(*l, "mine-0", Role::kMine);
    for (int i = 0; i < n_ledgers; ++i) b.Register(*l, "sep-" + std::to_string(i), Role::kSeparator);
    Upstream(b, *l, ores, "sep-1", "");
    for (int i = 1; i < n_ledgers; ++i) {
      const std::string a = "sep-" + std::to_string(i);
      b.As(*l, a, b.Key(a),
           {b.Make(a, Received{"MIX-" + std::to_string(i - 1), std::nullopt,
                               "sep-" + std::to_string(i - 1), ores * kOreMass})});
      Step(b, *l, ores, i, a, i == n_ledgers - 1, "sep-" + std::to_string(i + 1), "");
    }
    b.Publish(*l, "single");
    VerifyReport r;
    run.verify_single_s = Seconds([&] { r = Must(l->VerifyLot("OXIDE"), "verify single"); });
    run.lineage_records = r.records_checked;
    run.single_valid = r.valid;
    run.bundle_single = Must(ProveLineage(*l, "OXIDE"), "prove single").size();
  }

  // The federation: ledger i holds sep-i (and the mine, for ledger 0).
  std::vector<std::unique_ptr<Ledger>> ls;
  for (int i = 0; i < n_ledgers; ++i) {
    const std::string name = "fed-" + std::to_string(i);
    ls.push_back(b.Create(name));
    if (i == 0) b.Register(*ls[0], "mine-0", Role::kMine);
    b.Register(*ls[i], "sep-" + std::to_string(i), Role::kSeparator);
    if (i > 0) {
      std::vector<std::string> up;
      for (int j = 0; j < i; ++j) up.push_back("fed-" + std::to_string(j));
      b.Trust(*ls[i], up);
    }
  }
  Upstream(b, *ls[0], ores, "sep-1", "fed-1");
  for (int i = 1; i < n_ledgers; ++i) {
    const std::string from = "fed-" + std::to_string(i - 1), to = "fed-" + std::to_string(i);
    b.Publish(*ls[i - 1], from);
    const std::string bundle = Must(ProveLineage(*ls[i - 1], "MIX-" + std::to_string(i - 1)), "prove");
    Event ev = Must(PrepareCrossLedgerReceipt(*ls[i], bundle), "prepare receipt");
    ev.time = {++b.clock, 0};  // the bench's clock: a lot's history runs forward
    const SignedEvent se = Must(SignEvent(ev, b.Key(ev.actor_id)), "sign receipt");
    const double t = Seconds([&] {
      Must(AppendCrossLedgerReceipt(*ls[i], CrossLedgerReceipt{se, bundle, {}}), "receive");
    });
    if (i == 1) run.receipt_s = t;
    const std::string a = "sep-" + std::to_string(i);
    Step(b, *ls[i], ores, i, a, i == n_ledgers - 1, "sep-" + std::to_string(i + 1),
         "fed-" + std::to_string(i + 1));
  }
  Ledger& last = *ls.back();
  b.Publish(last, "fed-" + std::to_string(n_ledgers - 1));
  VerifyReport r;
  run.verify_fed_s = Seconds([&] { r = Must(VerifyLotAcrossLedgers(last, "OXIDE"), "verify across"); });
  run.fed_valid = r.valid;
  AuditReport a;
  run.audit_fed_s = Seconds([&] { a = Must(AuditAcrossLedgers(last), "audit across"); });
  run.audit_valid = a.valid && a.bundles_verified == static_cast<std::uint64_t>(n_ledgers - 1);
  run.fed_origins = r.origins.size();
  run.crossed = r.ledgers_crossed.size();
  run.bundle_fed = Must(ProveLineage(last, "OXIDE"), "prove last").size();
  return run;
}

struct RegistryRun {
  std::uint64_t imports = 0;
  double import_s = 0;
  double audit_s = 0;
  std::uint64_t audit_records = 0;
  bool audit_valid = false;
  std::uint64_t bundle_bound = 0, bundle_local = 0;  // of one extracted lot
  double one_more_s = 0;  // one more registration appended to the registry alone
};

// A registry of `records` records (registrations of actors reg-i, each with
// a quota grant), cosigned; a ledger bound to it imports them all. The same
// records written locally into an unbound ledger give the bundle to compare.
RegistryRun RegistryOnce(const std::string& dir, std::uint64_t records) {
  Bench b;
  b.dir = dir;
  b.root = Must(Signer::Generate(Algorithm::kEd25519), "root");
  b.witness = Must(NoteSigner::Generate("w1.bench", NoteKeyType::kCosignatureV1), "witness");
  std::vector<Event> authority;
  for (std::uint64_t i = 0; authority.size() + 2 <= std::max<std::uint64_t>(records, 2); ++i) {
    const std::string a = i == 0 ? "mine-0" : "reg-" + std::to_string(i);
    ActorRegistered reg;
    reg.actor_id = a;
    reg.legal_name = a + " Co., Ltd.";
    reg.role = Role::kMine;
    reg.key = b.Key(a).public_key();
    reg.licence = "LIC-" + a;
    reg.jurisdiction = "CN";
    authority.push_back(b.Make("regulator", reg));
    authority.push_back(
        b.Make("regulator", QuotaGranted{a, 2026, QuotaKind::kMiningRock, 1000000000, "bench"}));
  }
  auto append_all = [&](Ledger& l) {
    for (std::size_t at = 0; at < authority.size(); at += 256) {
      std::vector<Event> chunk(authority.begin() + static_cast<std::ptrdiff_t>(at),
                               authority.begin() + static_cast<std::ptrdiff_t>(
                                                       std::min(authority.size(), at + 256)));
      b.As(l, "regulator", *b.root, std::move(chunk));
    }
  };
  auto extract = [&](Ledger& l, const std::string& name) {
    b.As(l, "mine-0", b.Key("mine-0"),
         {b.Make("mine-0", Extracted{Mix("ORE-R", 1, MaterialClass::kOreConcentrate), "pit 3",
                                     "LIC-mine-0", QuotaKind::kMiningRock})});
    b.Publish(l, name);
    return Must(ProveLineage(l, "ORE-R"), "prove in " + name).size();
  };
  auto reg = b.Create("registry");
  append_all(*reg);
  RegistryRun run;
  {
    ActorRegistered late;
    late.actor_id = "late-1";
    late.legal_name = "Late Co., Ltd.";
    late.role = Role::kMine;
    late.key = b.Key("late-1").public_key();
    late.licence = "LIC-late-1";
    late.jurisdiction = "CN";
    run.one_more_s = Seconds([&] { b.As(*reg, "regulator", *b.root, {b.Make("regulator", late)}); });
  }
  b.Publish(*reg, "registry");

  Options o;
  o.sync = false;
  RegistryBinding& binding = o.registry.emplace();
  binding.log_key = b.logs["registry"]->verifier().ToString();
  binding.witnesses = {b.witness->verifier().ToString()};
  binding.quorum = 1;
  binding.ledger_id = Must(reg->Info(), "registry info").ledger_id;
  auto bound = Must(Ledger::Create(o, dir + "/bound", "bound", *b.root, "regulator"), "create");
  b.logs["bound"] = Must(NoteSigner::Generate("bound", NoteKeyType::kEd25519), "log key");
  Must(b.witness_state.AddLog("bound", b.logs["bound"]->verifier()), "witness follows bound");
  run.import_s = Seconds([&] {
    run.imports = Must(ImportRegistry(*bound, *reg), "import").appended;
  });
  AuditReport audit;
  run.audit_s = Seconds([&] { audit = Must(bound->Audit(), "audit"); });
  run.audit_records = audit.records_checked;
  run.audit_valid = audit.valid;
  run.bundle_bound = extract(*bound, "bound");

  auto local = b.Create("local");
  append_all(*local);
  run.bundle_local = extract(*local, "local");
  return run;
}

void PrintRegistry(const std::vector<RegistryRun>& runs) {
  std::vector<double> import, audit, one_more;
  for (const RegistryRun& r : runs) {
    import.push_back(r.import_s);
    audit.push_back(r.audit_s);
    one_more.push_back(r.one_more_s);
  }
  const RegistryRun& r0 = runs.front();
  // What one import cannot avoid: the regulator's Ed25519 signature over a
  // registry record (~200 bytes) and an inclusion proof of log2(size)
  // SHA-256 of 65 bytes. Measured raw now, on one thread.
  const double verify = bench::RawVerify(Algorithm::kEd25519, 200, 1, 0.3, 3).per_second;
  const double sha = bench::RawSha256(65, 1, 0.3, 3).per_second;
  const double depth = std::ceil(std::log2(static_cast<double>(r0.imports + 1)));
  const double limit = 1.0 / (1.0 / verify + depth / sha);
  const double rate = static_cast<double>(r0.imports) / Median(import);
  const double audit_rate = static_cast<double>(r0.audit_records) / Median(audit);
  std::printf("registry: %llu records imported by a bound ledger, %zu rep(s), medians\n",
              static_cast<unsigned long long>(r0.imports), runs.size());
  std::printf("  limit per import (1 Ed25519 verify + %.0f SHA-256/65 B)  %10.0f /s\n", depth, limit);
  std::printf("  ImportRegistry, one transaction          %10.0f imports/s   %.2f x limit\n", rate,
              rate / limit);
  std::printf("  full audit of the bound ledger (%s)   %10.0f records/s   %.2f x limit\n",
              r0.audit_valid ? "valid" : "INVALID", audit_rate, audit_rate / limit);
  std::printf("  one more registration, alone, into the registry  %8.2f ms (the book is rebuilt "
              "from every authority record)\n",
              Median(one_more) * 1e3);
  std::printf("  bundle of one lot: imports %llu bytes, same records local %llu bytes: "
              "%.0f bytes more per import\n",
              static_cast<unsigned long long>(r0.bundle_bound),
              static_cast<unsigned long long>(r0.bundle_local),
              (static_cast<double>(r0.bundle_bound) - static_cast<double>(r0.bundle_local)) /
                  static_cast<double>(r0.imports));
}

}  // namespace

int main(int argc, char** argv) {
  int n_ledgers = 5;
  std::uint64_t records = 10000;
  int reps = 3;
  std::uint64_t registry = 1000;
  std::string dir = (std::filesystem::temp_directory_path() / "retrace-federation-bench").string();
  bool keep = false;  // leave the ledgers of each run in --dir, to inspect or profile
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* flag) -> const char* {
      const std::string f = std::string(flag) + "=";
      return a.compare(0, f.size(), f) == 0 ? argv[i] + f.size() : nullptr;
    };
    if (const char* v = value("--ledgers")) {
      n_ledgers = std::atoi(v);
    } else if (const char* v = value("--records")) {
      records = std::strtoull(v, nullptr, 10);
    } else if (const char* v = value("--reps")) {
      reps = std::atoi(v);
    } else if (const char* v = value("--registry")) {
      registry = std::strtoull(v, nullptr, 10);
    } else if (const char* v = value("--dir")) {
      dir = v;
    } else if (a == "--keep") {
      keep = true;
    } else {
      std::fprintf(stderr,
                   "usage: retrace-federation-bench [--ledgers=N] [--records=N] [--reps=N] "
                   "[--registry=N] [--dir=DIR] [--keep]\n");
      return 2;
    }
  }
  if (n_ledgers < 2 || reps < 1 || records < 3) {
    std::fprintf(stderr, "retrace-federation-bench: --ledgers >= 2, --records >= 3, --reps >= 1\n");
    return 2;
  }
  std::vector<Run> runs;
  for (int r = 0; r < reps; ++r) {
    const std::string d = dir + "/run-" + std::to_string(r);
    std::error_code ec;
    std::filesystem::remove_all(d, ec);
    std::filesystem::create_directories(d);
    runs.push_back(Once(d, n_ledgers, records));
    if (!keep) std::filesystem::remove_all(d, ec);
  }
  std::vector<double> receipt, fed, single, audit;
  for (const Run& r : runs) {
    receipt.push_back(r.receipt_s);
    audit.push_back(r.audit_fed_s);
    fed.push_back(r.verify_fed_s);
    single.push_back(r.verify_single_s);
  }
  const Run& r0 = runs.front();
  const double n = static_cast<double>(r0.lineage_records);
  const double fed_rate = n / Median(fed), single_rate = n / Median(single);
  std::printf("federation: %d ledgers, lineage of %llu records (single-ledger count), %d rep(s), "
              "medians\n",
              n_ledgers, static_cast<unsigned long long>(r0.lineage_records), reps);
  std::printf("  verify valid: across %s (%llu ledgers crossed, %llu origins), single %s\n",
              r0.fed_valid ? "yes" : "NO", static_cast<unsigned long long>(r0.crossed),
              static_cast<unsigned long long>(r0.fed_origins), r0.single_valid ? "yes" : "NO");
  std::printf("  receipt carrying the upstream lineage   %10.3f s\n", Median(receipt));
  std::printf("  verify across ledgers                   %10.0f records/s\n", fed_rate);
  std::printf("  verify in one ledger                    %10.0f records/s\n", single_rate);
  std::printf("  ratio across / single                   %10.2f\n", fed_rate / single_rate);
  std::printf("  audit of the last ledger (receipt judged again) %7.3f s (%s), verify across %.3f s\n",
              Median(audit), r0.audit_valid ? "valid" : "NOT VALID", Median(fed));
  std::printf("  bundle across ledgers                   %10.1f bytes/record (%llu bytes)\n",
              static_cast<double>(r0.bundle_fed) / n, static_cast<unsigned long long>(r0.bundle_fed));
  std::printf("  bundle of one ledger                    %10.1f bytes/record (%llu bytes)\n",
              static_cast<double>(r0.bundle_single) / n,
              static_cast<unsigned long long>(r0.bundle_single));
  std::printf("  ratio across / single                   %10.2f\n",
              static_cast<double>(r0.bundle_fed) / static_cast<double>(r0.bundle_single));
  bool registry_valid = true;
  if (registry > 0) {
    std::vector<RegistryRun> rr;
    for (int r = 0; r < reps; ++r) {
      const std::string d = dir + "/registry-" + std::to_string(r);
      std::error_code ec;
      std::filesystem::remove_all(d, ec);
      std::filesystem::create_directories(d);
      rr.push_back(RegistryOnce(d, registry));
      if (!keep) std::filesystem::remove_all(d, ec);
      registry_valid = registry_valid && rr.back().audit_valid;
    }
    PrintRegistry(rr);
  }
  return r0.fed_valid && r0.single_valid && r0.audit_valid && registry_valid ? 0 : 1;
}
