// A federation for tests: ledgers in their own directories, all rooted in
// one regulator key, each with its own checkpoint key, and two witnesses
// that cosign any of them (docs/federation.md). Real LMDB, real OpenSSL.
#ifndef RETRACE_TESTS_FEDERATION_FEDERATION_FIXTURE_H_
#define RETRACE_TESTS_FEDERATION_FEDERATION_FIXTURE_H_

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "retrace/bundle.h"
#include "retrace/federation.h"
#include "retrace/ledger.h"
#include "retrace/note.h"
#include "retrace/witness.h"
#include "testing/test_chain.h"

namespace retrace::testing {

// Whether `fs` holds a finding of `code`.
inline bool HasCode(const std::vector<Finding>& fs, const std::string& code) {
  for (const auto& f : fs) {
    if (f.code == code) return true;
  }
  return false;
}

// The number of records `l` holds.
inline std::uint64_t Size(const Ledger& l) {
  auto info = l.Info();
  REQUIRE(info.ok());
  return info->size;
}

class Federation {
 public:
  static constexpr int kWitnesses = 2;

  Federation() {
    auto root = Signer::Generate(Algorithm::kEd25519);
    REQUIRE(root.ok());
    root_ = std::move(root).value();
    for (int i = 0; i < kWitnesses; ++i) {
      auto w = NoteSigner::Generate("w" + std::to_string(i + 1) + ".example",
                                    NoteKeyType::kCosignatureV1);
      REQUIRE(w.ok());
      witnesses_.push_back(std::move(w).value());
      states_.emplace_back();
    }
  }

  struct Member {
    std::unique_ptr<Ledger> ledger;
    std::unique_ptr<NoteSigner> log;
  };

  // A new ledger named `name` in its own directory, rooted in the
  // regulator's key, followed by both witnesses.
  Ledger& AddLedger(const std::string& name, Options opts = Options()) {
    opts.sync = false;
    auto l = Ledger::Create(opts, dir_.Sub(name), name, *root_, "regulator");
    REQUIRE(l.ok());
    auto log = NoteSigner::Generate(name, NoteKeyType::kEd25519);
    REQUIRE(log.ok());
    for (auto& s : states_) REQUIRE(s.AddLog(name, (*log)->verifier()).ok());
    Member& m = members_[name];
    m.ledger = std::move(l).value();
    m.log = std::move(log).value();
    return *m.ledger;
  }

  Ledger& ledger(const std::string& name) { return *members_.at(name).ledger; }
  const NoteSigner& log(const std::string& name) { return *members_.at(name).log; }
  const Signer& root() const { return *root_; }
  const NoteSigner& witness(int i) const { return *witnesses_[i]; }
  std::string path(const std::string& name) const { return dir_.Sub(name); }
  void Close(const std::string& name) { members_.at(name).ledger.reset(); }
  void Reopen(const std::string& name) {
    Options o;
    o.sync = false;
    auto l = Ledger::Open(o, path(name));
    REQUIRE(l.ok());
    members_.at(name).ledger = std::move(l).value();
  }
  // A fork of ledger `name`: a copy of its directory as it is now, opened
  // (records written to each from here on are two histories of one log).
  std::unique_ptr<Ledger> Fork(const std::string& name) {
    Close(name);
    const std::string fork_dir = path(name) + "-fork";
    std::filesystem::create_directory(fork_dir);
    std::filesystem::copy_file(path(name) + "/data.mdb", fork_dir + "/data.mdb");
    Reopen(name);
    Options o;
    o.sync = false;
    auto fork = Ledger::Open(o, fork_dir);
    REQUIRE(fork.ok());
    return std::move(fork).value();
  }

  // Registers `actor` in ledger `in` with a fresh key (the regulator
  // signs); mines and separators get ample 2026 quotas.
  void Register(const std::string& in, const std::string& actor, Role role,
                std::uint64_t quota = std::uint64_t{1} << 40) {
    auto s = Signer::Generate(Algorithm::kEd25519);
    REQUIRE(s.ok());
    ActorRegistered reg;
    reg.actor_id = actor;
    reg.legal_name = actor + " Co., Ltd.";
    reg.role = role;
    reg.key = (*s)->public_key();
    reg.licence = "LIC-" + actor;
    reg.jurisdiction = "CN";
    keys_[actor] = std::move(s).value();
    REQUIRE(As(in, "regulator", *root_, reg).ok());
    if (role == Role::kMine) {
      REQUIRE(As(in, "regulator", *root_,
                 QuotaGranted{actor, 2026, QuotaKind::kMiningRock, quota, "grant"}).ok());
    } else if (role == Role::kSeparator) {
      REQUIRE(As(in, "regulator", *root_,
                 QuotaGranted{actor, 2026, QuotaKind::kSmeltingSeparation, quota, "grant"}).ok());
    }
  }

  TrustedLog TrustEntry(const std::string& origin, std::uint32_t quorum = kWitnesses) {
    TrustedLog t;
    t.origin = origin;
    t.log_key = log(origin).verifier().ToString();
    for (const auto& w : witnesses_) t.witnesses.push_back(w->verifier().ToString());
    t.quorum = quorum;
    return t;
  }

  // The regulator records, in ledger `in`, the default stage policy
  // trusting `logs`.
  void Trust(const std::string& in, std::vector<TrustedLog> logs) {
    PolicySet p = DefaultPolicy();
    p.name = "federated";
    p.trusted_logs = std::move(logs);
    REQUIRE(As(in, "regulator", *root_, p).ok());
  }

  Event MakeEvent(const std::string& actor, EventBody body) {
    if (auto* x = std::get_if<Extracted>(&body)) {
      x->licence = "LIC-" + actor;
      if (x->quota_kind == QuotaKind::kUnspecified) x->quota_kind = QuotaKind::kMiningRock;
    }
    Event ev;
    ev.event_id = "ev-" + std::to_string(++counter_);
    ev.actor_id = actor;
    ev.time = {1790000000 + static_cast<std::int64_t>(counter_), 0};
    ev.body = std::move(body);
    return ev;
  }

  Result<AppendResult> As(const std::string& in, const std::string& actor, const Signer& signer,
                          EventBody body) {
    Event ev = MakeEvent(actor, std::move(body));
    Status st = ledger(in).LinkParents(&ev);
    if (!st.ok()) return st;
    auto se = SignEvent(ev, signer);
    if (!se.ok()) return se.status();
    return ledger(in).Append(*se);
  }

  Result<AppendResult> Do(const std::string& in, const std::string& actor, EventBody body) {
    return As(in, actor, *keys_.at(actor), std::move(body));
  }

  // `body` stated and signed by `actor` and appended to `l` (a ledger that
  // is not a member, e.g. a Fork).
  Result<AppendResult> DoIn(Ledger& l, const std::string& actor, EventBody body) {
    Event ev = MakeEvent(actor, std::move(body));
    if (Status st = l.LinkParents(&ev); !st.ok()) return st;
    auto se = SignEvent(ev, *keys_.at(actor));
    if (!se.ok()) return se.status();
    return l.Append(*se);
  }

  // `bundle` received in ledger `to` by its consignee, with no consistency
  // proof (the ledger holds no other checkpoint of the sender).
  Result<AppendResult> Receive(const std::string& to, const std::string& bundle) {
    auto ev = PrepareCrossLedgerReceipt(ledger(to), bundle);
    if (!ev.ok()) return ev.status();
    auto se = SignEvent(*ev, key(ev->actor_id));
    if (!se.ok()) return se.status();
    return AppendCrossLedgerReceipt(ledger(to), CrossLedgerReceipt{*se, bundle, {}});
  }
  const Signer& key(const std::string& actor) { return *keys_.at(actor); }

  // Moves `lot` from `from` to `to` within ledger `in`.
  void Move(const std::string& in, const std::string& lot, const std::string& from,
            const std::string& to) {
    auto info = ledger(in).GetLot(lot);
    REQUIRE(info.ok());
    REQUIRE(Do(in, from, Shipped{lot, std::nullopt, to, info->remaining_g}).ok());
    REQUIRE(Do(in, to, Received{lot, std::nullopt, from, info->remaining_g}).ok());
  }

  // Signs a checkpoint of ledger `name` and has the first `cosigners`
  // witnesses cosign it (each checks consistency with what it cosigned).
  std::string Publish(const std::string& name, int cosigners = kWitnesses) {
    Ledger& l = ledger(name);
    auto note = l.SignCheckpoint(log(name));
    REQUIRE(note.ok());
    auto cp = ParseSignedCheckpoint(*note);
    REQUIRE(cp.ok());
    std::string lines;
    std::vector<NoteVerifier> keys;
    for (int i = 0; i < cosigners; ++i) {
      WitnessedLog* seen = states_[i].Find(name);
      REQUIRE(seen != nullptr);
      AddCheckpointRequest req{seen->size, {}, *note};
      if (seen->size > 0 && seen->size < cp->size) {
        auto proof = l.ProveConsistency(seen->size, cp->size);
        REQUIRE(proof.ok());
        req.consistency_proof = proof->hashes;
      }
      auto line = WitnessAddCheckpoint(&states_[i], *witnesses_[i], req, 1790000000 + i);
      REQUIRE(line.ok());
      lines += *line;
      keys.push_back(witnesses_[i]->verifier());
    }
    if (cosigners > 0) {
      auto signed_note = l.AddCosignatures(lines, keys);
      REQUIRE(signed_note.ok());
      return *signed_note;
    }
    return *note;
  }

  // The consistency proof ledger `to` needs for a bundle of `from` whose
  // checkpoint has `size` leaves.
  std::vector<Hash> ConsistencyFor(const std::string& from, const std::string& to,
                                   std::uint64_t size) {
    auto held = LatestForeignCheckpoint(ledger(to), from);
    REQUIRE(held.ok());
    if (!*held || (*held)->size == size) return {};
    const std::uint64_t a = std::min((*held)->size, size), b = std::max((*held)->size, size);
    auto proof = ledger(from).ProveConsistency(a, b);
    REQUIRE(proof.ok());
    return proof->hashes;
  }

  // The receipt in ledger `to` of `bundle`, signed by the consignee.
  Result<CrossLedgerReceipt> ReceiptFor(const std::string& from, const std::string& to,
                                        const std::string& bundle) {
    auto ev = PrepareCrossLedgerReceipt(ledger(to), bundle);
    if (!ev.ok()) return ev.status();
    ev->event_id = "ev-" + std::to_string(++counter_);
    ev->time = {1790000000 + static_cast<std::int64_t>(counter_), 0};
    auto se = SignEvent(*ev, key(ev->actor_id));
    if (!se.ok()) return se.status();
    auto cp = ParseSignedCheckpoint(*ledger(from).LatestCheckpoint());
    REQUIRE(cp.ok());
    return CrossLedgerReceipt{*se, bundle, ConsistencyFor(from, to, cp->size)};
  }

  // `lot`, shipped in `from` to another ledger, proven and received in
  // `to` by its consignee.
  Result<AppendResult> Hand(const std::string& from, const std::string& lot,
                            const std::string& to) {
    auto bundle = ProveLineage(ledger(from), lot);
    if (!bundle.ok()) return bundle.status();
    auto receipt = ReceiptFor(from, to, *bundle);
    if (!receipt.ok()) return receipt.status();
    return AppendCrossLedgerReceipt(ledger(to), *receipt);
  }

 private:
  TempDir dir_;
  std::unique_ptr<Signer> root_;
  std::vector<std::unique_ptr<NoteSigner>> witnesses_;
  std::vector<WitnessState> states_;
  std::map<std::string, Member> members_;
  std::map<std::string, std::unique_ptr<Signer>> keys_;
  int counter_ = 0;
};

// The three-ledger chain: mine-1 in "mine-ledger" extracts ORE-1 and ships
// it to sep-1 of "sep-ledger", which separates it into NDPR-1 and ships that
// to smelt-1 of "mag-ledger", where it becomes ALLOY-1 and then MAG-1
// (mag-1). Each hand-over is published (cosigned by both witnesses) and
// received with its bundle. Every ledger trusts the ledgers upstream of it.
struct ThreeLedgers {
  static void Setup(Federation& f, Options mine_opts = Options()) {
    f.AddLedger("mine-ledger", mine_opts);
    f.AddLedger("sep-ledger");
    f.AddLedger("mag-ledger");
    f.Register("mine-ledger", "mine-1", Role::kMine);
    f.Register("sep-ledger", "sep-1", Role::kSeparator);
    f.Register("sep-ledger", "sep-2", Role::kSeparator);
    f.Register("mag-ledger", "smelt-1", Role::kSmelter);
    f.Register("mag-ledger", "mag-1", Role::kMagnetMaker);
    f.Trust("sep-ledger", {f.TrustEntry("mine-ledger")});
    f.Trust("mag-ledger", {f.TrustEntry("mine-ledger"), f.TrustEntry("sep-ledger")});
  }

  static Lot Ore(const std::string& id) {
    return MakeLot(id, MaterialClass::kOreConcentrate, 1000000,
                   {{Element::kNd, 50000}, {Element::kPr, 15000}, {Element::kDy, 1000}});
  }

  // mine-ledger: ORE-1 extracted and shipped to sep-1 of sep-ledger.
  static void Mine(Federation& f, const std::string& lot = "ORE-1") {
    REQUIRE(f.Do("mine-ledger", "mine-1", Extracted{Ore(lot), "pit 3"}).ok());
    REQUIRE(f.Do("mine-ledger", "mine-1",
                 Shipped{lot, std::nullopt, "sep-1", 1000000, "sep-ledger"}).ok());
  }

  // Setup and Mine, a checkpoint of mine-ledger cosigned by `cosigners`
  // witnesses, and the bundle of ORE-1 in it: a receipt's raw material.
  static Result<std::string> ShippedOre(Federation& f, int cosigners = Federation::kWitnesses) {
    Setup(f);
    Mine(f);
    f.Publish("mine-ledger", cosigners);
    auto bundle = ProveLineage(f.ledger("mine-ledger"), "ORE-1");
    REQUIRE(bundle.ok());
    return bundle;
  }

  // sep-ledger: ORE-1 separated into NDPR-1, shipped to smelt-1 of mag-ledger.
  static void Separate(Federation& f) {
    Transformed sep;
    sep.inputs = {{"ORE-1", 1000000, std::nullopt}};
    sep.outputs = {MakeLot("NDPR-1", MaterialClass::kSeparatedOxide, 70000,
                           {{Element::kNd, 45000}, {Element::kPr, 13000}})};
    sep.declared_loss_g = 1000000 - 70000;
    sep.process = "solvent extraction";
    REQUIRE(f.Do("sep-ledger", "sep-1", sep).ok());
    REQUIRE(f.Do("sep-ledger", "sep-1",
                 Shipped{"NDPR-1", std::nullopt, "smelt-1", 70000, "mag-ledger"}).ok());
  }

  // mag-ledger: NDPR-1 into ALLOY-1 by smelt-1.
  static void Smelt(Federation& f) {
    Transformed smelt;
    smelt.inputs = {{"NDPR-1", 70000, std::nullopt}};
    smelt.outputs = {MakeLot("ALLOY-1", MaterialClass::kMetalAlloy, 60000,
                             {{Element::kNd, 44000}, {Element::kPr, 12500}})};
    smelt.declared_loss_g = 10000;
    REQUIRE(f.Do("mag-ledger", "smelt-1", smelt).ok());
  }

  // mag-ledger: NDPR-1 into ALLOY-1 (Smelt), moved to mag-1, into MAG-1.
  static void Make(Federation& f) {
    Smelt(f);
    f.Move("mag-ledger", "ALLOY-1", "smelt-1", "mag-1");
    Transformed mag;
    mag.inputs = {{"ALLOY-1", 60000, std::nullopt}};
    mag.additives = {{"iron", 25000}, {"boron", 1000}};
    mag.outputs = {MakeLot("MAG-1", MaterialClass::kMagnet, 85000,
                           {{Element::kNd, 43000}, {Element::kPr, 12000}})};
    mag.declared_loss_g = 60000 + 26000 - 85000;
    REQUIRE(f.Do("mag-ledger", "mag-1", mag).ok());
  }

  static void Build(Federation& f) {
    Setup(f);
    Mine(f);
    f.Publish("mine-ledger");
    REQUIRE(f.Hand("mine-ledger", "ORE-1", "sep-ledger").ok());
    Separate(f);
    f.Publish("sep-ledger");
    REQUIRE(f.Hand("sep-ledger", "NDPR-1", "mag-ledger").ok());
    Make(f);
  }
};

}  // namespace retrace::testing

#endif  // RETRACE_TESTS_FEDERATION_FEDERATION_FIXTURE_H_
