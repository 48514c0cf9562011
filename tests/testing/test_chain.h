// Test helpers: a temporary ledger with registered actors, and shorthands
// for building custody events. Real LMDB, real OpenSSL: nothing is mocked.
#ifndef RETRACE_TESTS_TESTING_TEST_CHAIN_H_
#define RETRACE_TESTS_TESTING_TEST_CHAIN_H_

#include <stdlib.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "retrace/ledger.h"

namespace retrace::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "retrace-test-XXXXXX").string();
    char* p = mkdtemp(tmpl.data());
    REQUIRE(p != nullptr);
    path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline Lot MakeLot(const std::string& id, MaterialClass m, std::uint64_t mass,
                   std::vector<ElementMass> content) {
  Lot l;
  l.lot_id = id;
  l.material = m;
  l.mass_g = mass;
  l.content = std::move(content);
  return l;
}

// An ore-concentrate lot of `mass` grams, 5 % of it neodymium.
inline Lot OreLot(const std::string& id, std::uint64_t mass = 1000) {
  return MakeLot(id, MaterialClass::kOreConcentrate, mass, {{Element::kNd, mass / 20}});
}

// A ledger in a temp dir, with a root key and helpers to register actors
// and append events signed by them.
class TestChain {
 public:
  explicit TestChain(Options opts = Options(), Algorithm root_alg = Algorithm::kEd25519) {
    opts.sync = false;  // tests do not need fsync; durability has its own tests
    auto root = Signer::Generate(root_alg);
    REQUIRE(root.ok());
    root_ = std::move(root).value();
    auto l = Ledger::Create(opts, dir_.Sub("ledger"), "test-ledger", *root_, "regulator");
    REQUIRE(l.ok());
    ledger_ = std::move(l).value();
  }

  Ledger& ledger() { return *ledger_; }
  const Signer& root() const { return *root_; }
  const Signer& key(const std::string& actor) { return *keys_.at(actor); }
  const TempDir& dir() const { return dir_; }
  std::string path() const { return dir_.Sub("ledger"); }

  // Closes the ledger (e.g. before poking at its file) and reopens it.
  void Close() { ledger_.reset(); }
  void Reopen() {
    Options o;
    o.sync = false;
    auto l = Ledger::Open(o, path());
    REQUIRE(l.ok());
    ledger_ = std::move(l).value();
  }

  // Registers `actor` with a fresh key. Mines get the licence `licence`
  // (default "LIC-<actor>"); with `grant_quota`, mines and separators get
  // ample 2026 quotas (test events are dated in 2026).
  void Register(const std::string& actor, Role role, Algorithm alg = Algorithm::kEd25519,
                std::string licence = "", bool grant_quota = true) {
    auto s = Signer::Generate(alg);
    REQUIRE(s.ok());
    ActorRegistered reg;
    reg.actor_id = actor;
    reg.legal_name = actor + " Co., Ltd.";
    reg.role = role;
    reg.key = (*s)->public_key();
    reg.licence = licence.empty() ? "LIC-" + actor : licence;
    reg.jurisdiction = "CN";
    keys_[actor] = std::move(s).value();
    licences_[actor] = reg.licence;
    auto r = AppendAs("regulator", *root_, reg);
    REQUIRE(r.ok());
    if (!grant_quota) return;
    if (role == Role::kMine) {
      Grant(actor, QuotaKind::kMiningRock, kAmpleQuota);
      Grant(actor, QuotaKind::kMiningIonic, kAmpleQuota);
    } else if (role == Role::kSeparator) {
      Grant(actor, QuotaKind::kSmeltingSeparation, kAmpleQuota);
    }
  }

  static constexpr std::uint64_t kAmpleQuota = std::uint64_t{1} << 40;  // grams REO

  void Grant(const std::string& actor, QuotaKind kind, std::uint64_t reo_g,
             std::uint32_t year = 2026) {
    auto r = AppendAs("regulator", *root_, QuotaGranted{actor, year, kind, reo_g, "test grant"});
    REQUIRE(r.ok());
  }

  // `n` extractions by `actor` of OreLot(prefix + i), unsigned and not yet
  // linked to the ledger.
  std::vector<Event> Extractions(const std::string& actor, const std::string& prefix,
                                 std::size_t n) {
    std::vector<Event> events;
    for (std::size_t i = 0; i < n; ++i) {
      events.push_back(MakeEvent(actor, Extracted{OreLot(prefix + std::to_string(i)), "pit 3"}));
    }
    return events;
  }

  Event MakeEvent(const std::string& actor, EventBody body) {
    FillExtraction(actor, &body);
    Event ev;
    ev.event_id = "ev-" + std::to_string(++counter_);
    ev.actor_id = actor;
    ev.time = {1790000000 + static_cast<std::int64_t>(counter_), 0};
    ev.body = std::move(body);
    return ev;
  }

  // Extractions left without licence or quota kind get the mine's
  // registered licence and a rock-type quota, so tests state only what
  // they are about.
  void FillExtraction(const std::string& actor, EventBody* body) {
    if (auto* x = std::get_if<Extracted>(body)) {
      if (x->licence.empty()) x->licence = licences_[actor];
      if (x->quota_kind == QuotaKind::kUnspecified) x->quota_kind = QuotaKind::kMiningRock;
    }
  }

  Result<SignedEvent> Sign(const std::string& actor, EventBody body) {
    Event ev = MakeEvent(actor, std::move(body));
    Status st = ledger_->LinkParents(&ev);
    if (!st.ok()) return st;
    return SignEvent(ev, *keys_.at(actor));
  }

  Result<AppendResult> AppendAs(const std::string& actor, const Signer& signer, EventBody body) {
    Event ev = MakeEvent(actor, std::move(body));
    Status st = ledger_->LinkParents(&ev);
    if (!st.ok()) return st;
    auto se = SignEvent(ev, signer);
    if (!se.ok()) return se.status();
    return ledger_->Append(*se);
  }

  // Signs and appends `body` as `actor`, dated `seconds` (Unix time).
  Result<AppendResult> AppendAt(const std::string& actor, EventBody body, std::int64_t seconds) {
    Event ev = MakeEvent(actor, std::move(body));
    ev.time = {seconds, 0};
    if (Status s = ledger_->LinkParents(&ev); !s.ok()) return s;
    Result<SignedEvent> se = SignEvent(ev, *keys_.at(actor));
    if (!se.ok()) return se.status();
    return ledger_->Append(*se);
  }

  Result<AppendResult> Do(const std::string& actor, EventBody body) {
    return AppendAs(actor, *keys_.at(actor), std::move(body));
  }

  // Ships `lot` from its holder to `to` and has `to` receive it.
  void Move(const std::string& lot, const std::string& from, const std::string& to) {
    auto info = ledger_->GetLot(lot);
    REQUIRE(info.ok());
    auto s = Do(from, Shipped{lot, std::nullopt, to, info->remaining_g});
    REQUIRE(s.ok());
    auto r = Do(to, Received{lot, std::nullopt, from, info->remaining_g});
    REQUIRE(r.ok());
  }

 private:
  TempDir dir_;
  std::unique_ptr<Signer> root_;
  std::unique_ptr<Ledger> ledger_;
  std::map<std::string, std::unique_ptr<Signer>> keys_;
  std::map<std::string, std::string> licences_;
  int counter_ = 0;
};

// The five-stage chain used by many tests: mine-1 extracts ORE-1
// (1,000,000 g with 50,000 g Nd, 15,000 g Pr, 1,000 g Dy), ships it to sep-1,
// which separates it into NDPR-1 and DY-1, and so on to an exported magnet.
struct FiveStage {
  static void Build(TestChain& c) {
    c.Register("mine-1", Role::kMine, Algorithm::kEd25519, "MIIT-2026-001");
    c.Register("sep-1", Role::kSeparator);
    c.Register("smelt-1", Role::kSmelter);
    c.Register("mag-1", Role::kMagnetMaker);
    c.Register("exp-1", Role::kExporter);
    REQUIRE(c.Do("mine-1", Extracted{MakeLot("ORE-1", MaterialClass::kOreConcentrate, 1000000,
                                             {{Element::kNd, 50000}, {Element::kPr, 15000},
                                              {Element::kDy, 1000}}),
                                     "Bayan Obo pit 3", "MIIT-2026-001", QuotaKind::kMiningRock})
                .ok());
    c.Move("ORE-1", "mine-1", "sep-1");
    Transformed sep;
    sep.inputs = {{"ORE-1", 1000000, std::nullopt}};
    sep.outputs = {MakeLot("NDPR-1", MaterialClass::kSeparatedOxide, 70000,
                           {{Element::kNd, 45000}, {Element::kPr, 13000}}),
                   MakeLot("DY-1", MaterialClass::kSeparatedOxide, 1100, {{Element::kDy, 900}})};
    sep.declared_loss_g = 1000000 - 70000 - 1100;
    sep.process = "solvent extraction";
    REQUIRE(c.Do("sep-1", sep).ok());
    c.Move("NDPR-1", "sep-1", "smelt-1");
    c.Move("DY-1", "sep-1", "smelt-1");
    Transformed smelt;
    smelt.inputs = {{"NDPR-1", 70000, std::nullopt}, {"DY-1", 1100, std::nullopt}};
    smelt.outputs = {MakeLot("ALLOY-1", MaterialClass::kMetalAlloy, 60000,
                             {{Element::kNd, 44000}, {Element::kPr, 12500}, {Element::kDy, 850}})};
    smelt.declared_loss_g = 70000 + 1100 - 60000;
    REQUIRE(c.Do("smelt-1", smelt).ok());
    c.Move("ALLOY-1", "smelt-1", "mag-1");
    Transformed mag;
    mag.inputs = {{"ALLOY-1", 60000, std::nullopt}};
    mag.additives = {{"iron", 25000}, {"boron", 1000}};
    mag.outputs = {MakeLot("MAG-1", MaterialClass::kMagnet, 85000,
                           {{Element::kNd, 43000}, {Element::kPr, 12000}, {Element::kDy, 800}})};
    mag.declared_loss_g = 60000 + 26000 - 85000;
    REQUIRE(c.Do("mag-1", mag).ok());
    c.Move("MAG-1", "mag-1", "exp-1");
    REQUIRE(c.Do("exp-1", Exported{"MAG-1", std::nullopt, 85000, "CUS-2026-42", "DE"}).ok());
  }
};

}  // namespace retrace::testing

#endif  // RETRACE_TESTS_TESTING_TEST_CHAIN_H_
