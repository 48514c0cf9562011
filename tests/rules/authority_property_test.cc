// The property test of issue 12: one verdict, whatever asks and in whatever
// order, over random ledgers with random retroactive revocations.
//
// Each log is built from a seed through the public API: a root regulator, a
// second regulator reg-2, mines, a separator, a smelter, a magnet maker, an
// exporter and an importer, their keys drawn from Ed25519, ECDSA P-256 and
// SM2; registrations, grants and policies signed by either regulator; key
// rotations (some retiring the old key, some by a regulator); extractions,
// imports, shipments, receipts, merges, splits and exports, some signed with
// stale keys or breaking a rule; and revocations -- of custody keys, of
// reg-2's key, of keys rotations brought in, by either regulator -- whose
// effective position lies before authority records, so that rotations,
// registrations, grants and policies become void and everything resting on
// them with them. Half the logs run in reject mode, half in flag mode.
//
// For every log it requires:
//  (a) every lot's report is the same whichever order the lots are verified
//      in, through fresh ledger handles and through one shared handle, with
//      one thread or two; each record's own findings (signer, key, role:
//      lot_id "") are the same in every lineage that reaches it; and two
//      audits agree;
//  (b) VerifyLot agrees with Audit (every finding of the lineage is in the
//      audit; every audit finding on the lineage's records about its lots is
//      in the lineage), with an offline bundle of the lot (ProveLineage +
//      VerifyBundle after SignCheckpoint; where ProveLineage refuses because
//      the lineage has findings, that is checked and counted), with the
//      lineage verifier run over a naive in-memory store of the same records
//      (its indexes derived from scratch), and with the quota report (a void
//      grant, a use that does not count, an exceeded use each has its
//      finding);
//  (c) every event append accepts has no finding at its own record (in flag
//      mode: exactly the findings it was flagged with) until a later
//      revocation is appended; every event append refuses would have been a
//      finding at its position: it is put at the end of an in-memory copy of
//      the log and verified there.
//
// Seeded and bounded: RETRACE_PROPERTY_SEED (default 1) picks the first seed,
// RETRACE_PROPERTY_LOGS (default 12) the number of logs, seed, seed+1, ...;
// a failure prints the seed of its log. The test counts what it tried.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "crypto/key_cache.h"
#include "retrace/bundle.h"
#include "retrace/ledger.h"
#include "rules/authority.h"
#include "rules/quota_book.h"
#include "rules/rules.h"
#include "testing/test_chain.h"
#include "verify/lineage.h"
#include "verify/load_authority.h"
#include "verify/record_store.h"

namespace retrace {
namespace {

using testing::MakeLot;
using testing::TempDir;

std::uint64_t EnvOr(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  return std::strtoull(v, nullptr, 10);
}

// ---------------------------------------------------------------------------
// A naive record store: the records in a vector, every index derived from
// scratch by reading them. The reference the ledger's LMDB indexes are
// compared with, and the place where a refused event is put to see what
// verification would have said of it.
class MemoryStore final : public internal::RecordStore {
 public:
  // `records`: stored bytes by seq. The quota index needs the book (a
  // separation is a use only if its signer is a separator), built from the
  // authority records first.
  MemoryStore(std::vector<std::string> records, internal::KeyCache* keys, internal::SignatureMemo* memo)
      : records_(std::move(records)) {
    for (std::uint64_t seq = 0; seq < records_.size(); ++seq) {
      auto rec = DecodeRecord(records_[seq]);
      REQUIRE(rec.ok());
      v1::Event ev;
      REQUIRE(ev.ParseFromString(rec->event_bytes));
      events_.push_back(ev);
      if (internal::IsAuthorityEvent(ev)) authority_.push_back(seq);
      for (const auto& id : internal::ExistingLotsTouched(ev)) lots_[id].push_back(seq);
      for (const v1::Lot* l : internal::LotsCreated(ev)) lots_[l->lot_id()].push_back(seq);
    }
    for (auto& [id, seqs] : lots_) {
      seqs.erase(std::unique(seqs.begin(), seqs.end()), seqs.end());
    }
    auto book = internal::LoadAuthority(*this, keys, true, memo);
    REQUIRE(book.ok());
    book_ = *book;
    for (std::uint64_t seq = 0; seq < events_.size(); ++seq) {
      const v1::Event& ev = events_[seq];
      if (ev.has_quota_granted()) {
        const auto& g = ev.quota_granted();
        quota_[internal::QuotaKey(g.actor_id(), g.year(), static_cast<QuotaKind>(g.kind()))]
            .push_back(seq);
      } else if (auto use = internal::QuotaUseAt(*book_, ev, seq)) {
        quota_[internal::QuotaKey(use->actor_id, use->year, use->kind)].push_back(seq);
      }
    }
  }

  std::shared_ptr<const internal::Authority> book() const { return book_; }
  const v1::Event& event(std::uint64_t seq) const { return events_[seq]; }

  std::uint64_t Size() const override { return records_.size(); }
  Result<std::optional<std::string>> RecordBytes(std::uint64_t seq) const override {
    if (seq >= records_.size()) return std::optional<std::string>();
    return std::optional<std::string>(records_[seq]);
  }
  Result<std::vector<std::uint64_t>> LotSeqs(std::string_view lot_id) const override {
    auto it = lots_.find(std::string(lot_id));
    return it == lots_.end() ? std::vector<std::uint64_t>() : it->second;
  }
  Result<std::optional<Hash>> CommittedLeaf(std::uint64_t seq) const override {
    if (seq >= records_.size()) return std::optional<Hash>();
    return std::optional<Hash>(RecordHash(records_[seq]));
  }
  Result<std::vector<std::uint64_t>> QuotaLog(std::string_view quota_key) const override {
    auto it = quota_.find(std::string(quota_key));
    return it == quota_.end() ? std::vector<std::uint64_t>() : it->second;
  }
  Result<std::vector<std::uint64_t>> AuthoritySeqs() const override { return authority_; }

 private:
  std::vector<std::string> records_;
  std::vector<v1::Event> events_;
  std::vector<std::uint64_t> authority_;
  std::map<std::string, std::vector<std::uint64_t>> lots_, quota_;
  std::shared_ptr<const internal::Authority> book_;
};

// ---------------------------------------------------------------------------
// Canonical forms, for comparing reports field by field.

std::string Canon(const VerifyReport& r, bool with_counts = true) {
  std::ostringstream o;
  o << "lot " << r.lot_id << " valid " << r.valid << " non-compliant " << r.non_compliant_share_ppm;
  if (with_counts) o << " records " << r.records_checked << " signatures " << r.signatures_checked;
  o << "\n";
  for (const auto& f : r.findings) o << "  finding " << f.code << "@" << f.seq << " [" << f.lot_id << "] " << f.message << "\n";
  for (const auto& s : r.origins) {
    o << "  origin " << s.origin_lot << " " << s.kind << " " << s.actor_id << "@" << s.extracted_seq
      << " ppm " << s.share_ppm << " g " << s.rare_earth_g << " compliant " << s.compliant;
    for (const auto& i : s.issues) o << " " << i;
    o << "\n";
  }
  for (const auto& l : r.lots) {
    o << "  lot " << l.lot_id << " " << l.status << " " << l.custodian << " " << l.remaining_g
      << " seqs";
    for (auto s : l.record_seqs) o << " " << s;
    o << "\n";
  }
  for (const auto& e : r.edges) {
    o << "  edge " << e.input_lot << ">" << e.output_lot << " " << e.consumed_g << "@" << e.seq << "\n";
  }
  return o.str();
}

std::string Canon(const AuditReport& r) {
  std::ostringstream o;
  o << "valid " << r.valid << " records " << r.records_checked << " lots " << r.lots << " actors "
    << r.actors << "\n";
  for (const auto& f : r.findings) o << "  " << f.code << "@" << f.seq << " [" << f.lot_id << "] " << f.message << "\n";
  return o.str();
}

using CodeAt = std::pair<std::string, std::uint64_t>;

// ---------------------------------------------------------------------------

struct Counts {
  std::uint64_t logs = 0, reject_logs = 0, events_tried = 0, accepted = 0, refused = 0, flagged = 0;
  std::uint64_t refused_authority_checked = 0, refused_custody_checked = 0;
  std::uint64_t revocations_tried = 0, revocations_accepted = 0, rotations_accepted = 0;
  std::uint64_t voided_authority_records = 0, logs_with_voided_rotation = 0, max_rounds = 0;
  std::uint64_t accepted_checked = 0, lots_verified = 0, order_comparisons = 0;
  std::uint64_t invalid_lineages = 0, bundles_verified = 0, bundles_refused = 0;
  std::uint64_t shared_records_compared = 0, quota_entries_checked = 0, merges = 0, splits = 0;
  std::uint64_t own_hand_revocations = 0;
};

// One random log and every check of it.
class Scenario {
 public:
  Scenario(std::uint64_t seed, Counts* counts) : rng_(seed), counts_(*counts) {
    flag_mode_ = (seed % 2) == 1;
    opts_.sync = false;
    opts_.append_threads = 1;
    opts_.regulatory_violations =
        flag_mode_ ? RegulatoryMode::kRecordAndFlag : RegulatoryMode::kReject;
  }

  void Run() {
    Build();
    CheckAccepted();  // events since the last revocation
    CheckEverything();
  }

 private:
  // ----- randomness
  std::uint64_t Uniform(std::uint64_t lo, std::uint64_t hi) {  // [lo, hi]
    return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng_);
  }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Uniform(0, v.size() - 1)];
  }
  Algorithm RandomAlgorithm() {
    static const Algorithm kAll[] = {Algorithm::kEd25519, Algorithm::kEcdsaP256Sha256,
                                     Algorithm::kSm2Sm3};
    return kAll[Uniform(0, 2)];
  }
  const Signer* NewSigner() {
    auto s = Signer::Generate(RandomAlgorithm());
    REQUIRE(s.ok());
    signers_.push_back(std::move(*s));
    return signers_.back().get();
  }

  // ----- the actors, as the generator believes them (the ledger decides)
  struct ActorModel {
    Role role = Role::kUnspecified;
    std::string licence;
    std::vector<const Signer*> keys;  // introduced by accepted records, in order
  };
  struct KeyModel {
    std::string actor;
    std::uint64_t introduced = 0;  // seq of the accepted record that brought it in
    bool by_rotation = false;
  };

  // The key `actor` signs with: mostly its newest, sometimes an older one or
  // another actor's (refused, and checked for it).
  const Signer* KeyFor(const std::string& actor) {
    const auto& keys = actors_.at(actor).keys;
    if (Chance(0.03)) {
      std::vector<const Signer*> all;
      for (const auto& [id, a] : actors_) all.insert(all.end(), a.keys.begin(), a.keys.end());
      return Pick(all);
    }
    if (keys.size() > 1 && Chance(0.12)) return Pick(keys);
    return keys.back();
  }

  Event Make(const std::string& actor, EventBody body) {
    Event ev;
    ev.event_id = "ev-" + std::to_string(++events_made_);
    ev.actor_id = actor;
    ev.time = {1790000000 + static_cast<std::int64_t>(events_made_), 0};
    ev.body = std::move(body);
    return ev;
  }

  struct Accepted {
    std::uint64_t seq;
    std::vector<Finding> flagged;
  };

  // Signs and appends; on refusal checks that the ledger is unchanged and
  // that verification would have had a finding there. Returns the seq.
  std::optional<std::uint64_t> Attempt(const std::string& actor, const Signer& signer,
                                       EventBody body) {
    Event ev = Make(actor, std::move(body));
    Status linked = ledger_->LinkParents(&ev);
    REQUIRE(linked.ok());
    auto se = SignEvent(ev, signer);
    REQUIRE(se.ok());
    auto before = ledger_->Info();
    REQUIRE(before.ok());
    ++counts_.events_tried;
    auto r = ledger_->Append(*se);
    if (r.ok()) {
      ++counts_.accepted;
      if (!r->flagged.empty()) ++counts_.flagged;
      accepted_.push_back({r->seq, r->flagged});
      if (std::holds_alternative<ActorRegistered>(ev.body) ||
          std::holds_alternative<KeyRotated>(ev.body) ||
          std::holds_alternative<KeyRevoked>(ev.body) ||
          std::holds_alternative<QuotaGranted>(ev.body) ||
          std::holds_alternative<PolicySet>(ev.body)) {
        authority_signed_.push_back({r->seq, se->key_id});
      }
      auto rec = ledger_->ReadRecord(r->seq);
      REQUIRE(rec.ok());
      mirror_.push_back(rec->stored);
      REQUIRE(mirror_.size() == r->seq + 1);
      return r->seq;
    }
    ++counts_.refused;
    INFO("refused: " << r.status().ToString());
    // A refusal is a verdict on the event, never damage or a crash.
    const StatusCode code = r.status().code();
    CHECK((code == StatusCode::kFailedPrecondition || code == StatusCode::kNotFound ||
           code == StatusCode::kAlreadyExists || code == StatusCode::kInvalidArgument ||
           code == StatusCode::kVerificationFailed));
    auto after = ledger_->Info();
    REQUIRE(after.ok());
    CHECK(after->size == before->size);
    CHECK(after->head_hash == before->head_hash);
    CheckRefusedWouldBeFinding(*se, before->size, before->head_hash, r.status().message());
    return std::nullopt;
  }

  // (c), second half: the refused event put at the end of the log, in an
  // in-memory store, has a finding at its position.
  void CheckRefusedWouldBeFinding(const SignedEvent& se, std::uint64_t n, const Hash& head,
                                  const std::string& why) {
    std::vector<std::string> records = mirror_;
    records.push_back(EncodeRecord(n, head, se));
    MemoryStore store(std::move(records), &keys_, &memo_);
    const v1::Event& ev = store.event(n);
    INFO("refused event at " << n << ": " << why);
    if (internal::IsAuthorityEvent(ev)) {
      const internal::AuthorityVerdict* v = store.book()->Verdict(n);
      REQUIRE(v != nullptr);
      CHECK_FALSE(v->valid);
      ++counts_.refused_authority_checked;
      return;
    }
    std::set<std::string> lots;
    for (const auto& id : internal::ExistingLotsTouched(ev)) lots.insert(id);
    for (const v1::Lot* l : internal::LotsCreated(ev)) lots.insert(l->lot_id());
    REQUIRE_FALSE(lots.empty());
    std::vector<std::string> found;
    VerifyOptions vo;
    vo.threads = 1;
    for (const auto& lot : lots) {
      auto v = internal::VerifyLineage(store, lot, vo, &keys_, store.book());
      REQUIRE(v.ok());
      for (const auto& f : v->findings) {
        if (f.seq == n) found.push_back(f.code);
      }
    }
    CHECK_FALSE(found.empty());
    ++counts_.refused_custody_checked;
  }

  // (c), first half: every event accepted since the last check has no
  // finding at its record but those it was flagged with. Run before each
  // revocation (the only records that change the verdict on earlier ones)
  // and at the end.
  void CheckAccepted() {
    if (accepted_.empty()) return;
    AuditOptions ao;
    ao.threads = 1;
    auto audit = ledger_->Audit(ao);
    REQUIRE(audit.ok());
    std::map<std::uint64_t, std::vector<std::string>> at;
    for (const auto& f : audit->findings) at[f.seq].push_back(f.code + " " + f.message);
    for (const Accepted& a : accepted_) {
      std::vector<std::string> want;
      for (const auto& f : a.flagged) want.push_back(f.code + " " + f.message);
      std::vector<std::string> have = at[a.seq];
      std::sort(want.begin(), want.end());
      std::sort(have.begin(), have.end());
      INFO("accepted record " << a.seq);
      CHECK(have == want);
      ++counts_.accepted_checked;
    }
    accepted_.clear();
  }

  // ----- the log
  void Build() {
    root_ = NewSigner();
    auto l = Ledger::Create(opts_, dir_.Sub("ledger"), "prop-ledger", *root_, "regulator");
    REQUIRE(l.ok());
    ledger_ = std::move(*l);
    {
      auto rec = ledger_->ReadRecord(0);
      REQUIRE(rec.ok());
      mirror_.push_back(rec->stored);
    }
    actors_["regulator"] = {Role::kRegulator, "", {root_}};
    keys_model_[root_->public_key().KeyId()] = {"regulator", 0, false};

    // reg-2 first, by the root; then everyone else by either regulator.
    Register("reg-2", Role::kRegulator, *root_, "regulator");
    const std::vector<std::pair<std::string, Role>> cast = {
        {"mine-1", Role::kMine},           {"mine-2", Role::kMine},
        {"sep-1", Role::kSeparator},       {"smelt-1", Role::kSmelter},
        {"mag-1", Role::kMagnetMaker},     {"exp-1", Role::kExporter},
        {"imp-1", Role::kImporter}};
    for (const auto& [id, role] : cast) {
      const bool by_reg2 = Chance(0.3);
      Register(id, role, *KeyOfRegulator(by_reg2), by_reg2 ? "reg-2" : "regulator");
    }
    for (const char* m : {"mine-1", "mine-2"}) GrantTo(m, QuotaKind::kMiningRock);
    GrantTo("sep-1", QuotaKind::kSmeltingSeparation);
    if (Chance(0.5)) SetPolicy();

    const int steps = static_cast<int>(Uniform(55, 80));
    int revocations = 0;
    for (int step = 0; step < steps; ++step) {
      const std::uint64_t op = Uniform(0, 99);
      if (op < 18) {
        Extract();
      } else if (op < 36) {
        Ship();
      } else if (op < 54) {
        Receive();
      } else if (op < 70) {
        Transform();
      } else if (op < 73) {
        Export();
      } else if (op < 77) {
        Import();
      } else if (op < 83) {
        Rotate();
      } else if (op < 87) {
        GrantTo(Chance(0.5) ? "mine-1" : Chance(0.5) ? "mine-2" : "sep-1",
                QuotaKind::kUnspecified);
      } else if (op < 89) {
        SetPolicy();
      } else if (step > 15 && revocations < 4) {
        ++revocations;
        Revoke();
      }
    }
  }

  const Signer* KeyOfRegulator(bool reg2) {
    return reg2 ? KeyFor("reg-2") : actors_.at("regulator").keys.back();
  }

  void Register(const std::string& id, Role role, const Signer& by, const std::string& as) {
    const Signer* key = NewSigner();
    ActorRegistered reg;
    reg.actor_id = id;
    reg.legal_name = id + " Co.";
    reg.role = role;
    reg.key = key->public_key();
    reg.licence = role == Role::kMine ? "LIC-" + id : "";
    reg.jurisdiction = "CN";
    actors_[id] = {role, reg.licence, {key}};
    auto seq = Attempt(as, by, reg);
    if (seq) keys_model_[key->public_key().KeyId()] = {id, *seq, false};
  }

  void GrantTo(const std::string& actor, QuotaKind kind) {
    if (kind == QuotaKind::kUnspecified) {
      kind = actor == "sep-1" ? QuotaKind::kSmeltingSeparation : QuotaKind::kMiningRock;
    }
    const bool by_reg2 = Chance(0.4);
    // Mostly ample; sometimes tight, so that quotas run out.
    const std::uint64_t g = Chance(0.6) ? Uniform(2000000, 5000000) : Uniform(50000, 400000);
    Attempt(by_reg2 ? "reg-2" : "regulator", *KeyOfRegulator(by_reg2),
            QuotaGranted{actor, 2026, kind, g, "grant"});
  }

  void SetPolicy() {
    PolicySet p = DefaultPolicy();
    if (Chance(0.6)) {
      // Lax: magnet makers may consume ore too; separators get 1 % tolerance.
      p.name = "lax";
      for (auto& r : p.rules) {
        if (r.role == Role::kMagnetMaker) r.inputs.push_back(MaterialClass::kOreConcentrate);
        if (r.role == Role::kSeparator) r.element_tolerance_ppm = 10000;
      }
    } else {
      p.name = "strict";
    }
    const bool by_reg2 = Chance(0.5);
    Attempt(by_reg2 ? "reg-2" : "regulator", *KeyOfRegulator(by_reg2), p);
  }

  struct LotNow {
    std::string id;
    LotInfo info;
  };
  std::vector<LotNow> Lots() {
    std::vector<LotNow> out;
    auto ids = ledger_->ListLots();
    REQUIRE(ids.ok());
    for (const auto& id : *ids) {
      auto info = ledger_->GetLot(id);
      REQUIRE(info.ok());
      out.push_back({id, *info});
    }
    return out;
  }
  std::vector<LotNow> Held(const std::string& by, std::set<MaterialClass> materials) {
    std::vector<LotNow> out;
    for (auto& l : Lots()) {
      if (l.info.status == "held" && l.info.custodian == by && l.info.remaining_g > 0 &&
          (materials.empty() || materials.count(l.info.lot.material))) {
        out.push_back(std::move(l));
      }
    }
    return out;
  }

  void Extract() {
    const std::string mine = Chance(0.5) ? "mine-1" : "mine-2";
    const std::uint64_t mass = Uniform(100000, 1000000);
    Extracted x{MakeLot("ORE-" + std::to_string(++lots_made_), MaterialClass::kOreConcentrate, mass,
                        {{Element::kNd, mass / 20}, {Element::kPr, mass / 70}}),
                "pit", Chance(0.05) ? "LIC-forged" : "LIC-" + mine, QuotaKind::kMiningRock};
    Attempt(mine, *KeyFor(mine), x);
  }

  void Import() {
    const std::uint64_t mass = Uniform(50000, 500000);
    const MaterialClass m = Chance(0.7) ? MaterialClass::kOreConcentrate : MaterialClass::kSeparatedOxide;
    Imported x{MakeLot("IMP-" + std::to_string(++lots_made_), m, mass, {{Element::kNd, mass / 10}}),
               "CUS-" + std::to_string(lots_made_), "MY"};
    Attempt("imp-1", *KeyFor("imp-1"), x);
  }

  // Where a lot of `m` goes next along the chain (sometimes elsewhere).
  std::string NextHolder(MaterialClass m, const std::string& from) {
    std::vector<std::string> anyone = {"mine-1", "sep-1", "smelt-1", "mag-1", "exp-1", "imp-1"};
    if (Chance(0.06)) return Pick(anyone);
    switch (m) {
      case MaterialClass::kOreConcentrate: return Chance(0.8) ? "sep-1" : "mag-1";
      case MaterialClass::kSeparatedOxide:
      case MaterialClass::kMixedCompound: return "smelt-1";
      case MaterialClass::kMetalAlloy: return "mag-1";
      case MaterialClass::kMagnet: return "exp-1";
      default: return from == "sep-1" ? "smelt-1" : "sep-1";
    }
  }

  void Ship() {
    std::vector<LotNow> held;
    for (auto& l : Lots()) {
      if (l.info.status == "held" && l.info.remaining_g > 0 && l.info.custodian != "exp-1") {
        held.push_back(std::move(l));
      }
    }
    if (held.empty()) return;
    const LotNow& l = Pick(held);
    const std::string& from = l.info.custodian;
    std::string to = NextHolder(l.info.lot.material, from);
    if (to == from) to = from == "sep-1" ? "smelt-1" : "sep-1";
    std::uint64_t mass = l.info.remaining_g;
    if (Chance(0.04)) mass += 1;  // a lot ships whole: refused
    Attempt(from, *KeyFor(from), Shipped{l.id, std::nullopt, to, mass});
  }

  void Receive() {
    std::vector<LotNow> moving;
    for (auto& l : Lots()) {
      if (l.info.status == "in_transit") moving.push_back(std::move(l));
    }
    if (moving.empty()) return;
    const LotNow& l = Pick(moving);
    std::string to = l.info.in_transit_to;
    if (Chance(0.03)) to = "sep-1";  // not the consignee (or, by chance, it is)
    if (actors_.count(to) == 0) return;
    Attempt(to, *KeyFor(to), Received{l.id, std::nullopt, l.info.custodian, l.info.remaining_g});
  }

  void Transform() {
    struct Stage {
      std::string actor;
      std::set<MaterialClass> in;
      MaterialClass out;
      const char* prefix;
    };
    const std::vector<Stage> stages = {
        {"sep-1", {MaterialClass::kOreConcentrate, MaterialClass::kMixedCompound},
         MaterialClass::kSeparatedOxide, "OX-"},
        {"smelt-1", {MaterialClass::kSeparatedOxide}, MaterialClass::kMetalAlloy, "AL-"},
        {"mag-1", {MaterialClass::kMetalAlloy, MaterialClass::kOreConcentrate},
         MaterialClass::kMagnet, "MAG-"},
    };
    // A stage whose actor holds input lots, the one holding most if it can
    // merge.
    std::vector<std::pair<const Stage*, std::vector<LotNow>>> ready;
    for (const Stage& st : stages) {
      std::vector<LotNow> held = Held(st.actor, st.in);
      if (!held.empty()) ready.emplace_back(&st, std::move(held));
    }
    if (ready.empty()) return;
    auto& [stage, held] = ready[Uniform(0, ready.size() - 1)];
    const Stage& s = *stage;
    std::shuffle(held.begin(), held.end(), rng_);
    const std::size_t n_in =
        held.size() > 1 && Chance(0.6) ? std::min<std::size_t>(held.size(), Uniform(2, 3)) : 1;
    Transformed t;
    std::map<Element, std::uint64_t> contained;
    std::uint64_t consumed = 0;
    for (std::size_t i = 0; i < n_in; ++i) {
      const LotInfo& info = held[i].info;
      std::uint64_t c = info.remaining_g;
      if (Chance(0.25) && c > 2) c = Uniform(1, c - 1);  // partly
      if (Chance(0.03)) c = info.remaining_g + 1;        // over: refused
      t.inputs.push_back({held[i].id, c, std::nullopt});
      consumed += c;
      const std::uint64_t usable = std::min(c, info.remaining_g);
      for (const auto& em : info.lot.content) {
        contained[em.element] += static_cast<std::uint64_t>(
            static_cast<unsigned __int128>(em.grams) * usable / info.lot.mass_g);
      }
    }
    const std::size_t n_out = Chance(0.3) ? 2 : 1;
    if (n_in > 1) ++counts_.merges;
    if (n_out > 1) ++counts_.splits;
    std::uint64_t additives = 0;
    if (s.actor == "mag-1" && consumed > 0) {
      additives = consumed / 3 + 1;
      t.additives.push_back({"iron", additives});
    }
    std::uint64_t total_content = 0;
    for (const auto& [el, g] : contained) total_content += g;
    if (total_content + n_out > consumed + additives) return;  // too little to split
    // Outputs carry all the content and the rest of the mass but the loss.
    const std::uint64_t spare = consumed + additives - total_content - n_out;
    const std::uint64_t loss = Chance(0.5) ? spare / 3 : 0;
    const std::uint64_t extra = consumed + additives - loss - total_content;  // >= n_out
    for (std::size_t j = 0; j < n_out; ++j) {
      const bool last = j + 1 == n_out;
      Lot out;
      out.lot_id = s.prefix + std::to_string(++lots_made_);
      out.material = s.out;
      out.mass_g = last ? extra - extra / n_out * (n_out - 1) : extra / n_out;
      for (const auto& [el, g] : contained) {
        const std::uint64_t part = last ? g - g / 2 * (n_out - 1) : g / 2;
        if (part > 0) out.content.push_back({el, part});
        out.mass_g += part;
      }
      t.outputs.push_back(std::move(out));
    }
    t.declared_loss_g = loss;
    if (Chance(0.05) && !t.outputs[0].content.empty()) {
      // More of an element than the inputs held (beyond a 1 % tolerance
      // unless the inputs held little), the gross balance kept: refused.
      const std::uint64_t d = 1 + t.outputs[0].content[0].grams / 50;
      t.outputs[0].content[0].grams += d;
      t.outputs[0].mass_g += d;
      if (t.declared_loss_g >= d) t.declared_loss_g -= d;
    }
    Attempt(s.actor, *KeyFor(s.actor), t);
  }

  void Export() {
    std::vector<LotNow> held = Held("exp-1", {});
    if (held.empty()) return;
    const LotNow& l = Pick(held);
    Attempt("exp-1", *KeyFor("exp-1"), Exported{l.id, std::nullopt, l.info.remaining_g, "CUS-X", "DE"});
  }

  void Rotate() {
    std::vector<std::string> ids;
    for (const auto& [id, a] : actors_) ids.push_back(id);
    const std::string actor = Pick(ids);
    const Signer* fresh = NewSigner();
    ActorModel& a = actors_.at(actor);
    KeyRotated k;
    k.actor_id = actor;
    k.new_key = fresh->public_key();
    if (Chance(0.7)) k.retired_key_id = a.keys.back()->public_key().KeyId();
    // By the actor itself (its newest key, or an older one), or by a regulator.
    std::optional<std::uint64_t> seq;
    if (actor != "regulator" && Chance(0.2)) {
      const bool by_reg2 = Chance(0.5) && actor != "reg-2";
      seq = Attempt(by_reg2 ? "reg-2" : "regulator", *KeyOfRegulator(by_reg2), k);
    } else {
      seq = Attempt(actor, *KeyFor(actor), k);
    }
    if (seq) {
      ++counts_.rotations_accepted;
      a.keys.push_back(fresh);
      keys_model_[fresh->public_key().KeyId()] = {actor, *seq, true};
    }
  }

  void Revoke() {
    CheckAccepted();  // before the verdicts on earlier records may change
    auto info = ledger_->Info();
    REQUIRE(info.ok());
    const std::uint64_t size = info->size;
    // Which key: reg-2's, one a rotation brought in, or any custody key.
    // In the order the keys came in: key ids are random, and a seed must
    // make the same log again.
    std::vector<std::pair<std::uint64_t, std::string>> by_arrival;
    for (const auto& [kid, k] : keys_model_) by_arrival.emplace_back(k.introduced, kid);
    std::sort(by_arrival.begin(), by_arrival.end());
    std::vector<std::string> reg2, rotated, custody;
    for (const auto& [at, kid] : by_arrival) {
      const KeyModel& k = keys_model_.at(kid);
      if (k.actor == "reg-2") reg2.push_back(kid);
      if (k.by_rotation) rotated.push_back(kid);
      if (k.actor != "regulator" && k.actor != "reg-2") custody.push_back(kid);
    }
    std::string target;
    std::uint64_t from = size;
    const std::uint64_t r = Uniform(0, 99);
    // Mostly aimed at an authority record the ledger accepted (a
    // registration, rotation, grant, policy or revocation): its signing key
    // revoked from a position at or before it, so that it goes void, and
    // with it whatever rested on it.
    std::vector<std::pair<std::uint64_t, std::string>> aims;
    for (const auto& a : authority_signed_) {
      if (keys_model_.count(a.second) &&
          (a.second != root_->public_key().KeyId() || Chance(0.05))) {
        aims.push_back(a);
      }
    }
    if (r < 5 && actors_.at("reg-2").keys.size() > 1) {
      // reg-2's newest key revokes the key it rotated out, from before the
      // rotation: the revocation would void the record its own key rests on
      // (refused: void by its own hand).
      const auto& keys = actors_.at("reg-2").keys;
      const std::string old_key = keys[keys.size() - 2]->public_key().KeyId();
      const KeyModel& fresh = keys_model_.at(keys.back()->public_key().KeyId());
      ++counts_.revocations_tried;
      if (Attempt("reg-2", *keys.back(),
                  KeyRevoked{old_key, Uniform(keys_model_.at(old_key).introduced + 1, fresh.introduced),
                             "self-undermining"})) {
        ++counts_.revocations_accepted;
      }
      return;
    }
    if (r < 45 && !aims.empty()) {
      const auto& [at, kid] = Pick(aims);
      target = kid;
      const std::uint64_t lo = keys_model_.at(kid).introduced + 1;
      from = Uniform(std::max(lo, at > 6 ? at - 6 : 0), at);
    } else if (r < 60 && !reg2.empty()) {
      target = Pick(reg2);
    } else if (r < 75 && !rotated.empty()) {
      target = Pick(rotated);
    } else if (r < 78) {
      target = root_->public_key().KeyId();  // by reg-2: most of the log goes void
    } else if (!custody.empty()) {
      target = Pick(custody);
    } else {
      return;
    }
    if (from == size) {
      // From some position after the key came in: mostly retroactive.
      const std::uint64_t lo = keys_model_.at(target).introduced + 1;
      from = lo >= size || Chance(0.1) ? size : Uniform(std::max(lo, size > 15 ? size - 15 : 0), size);
    }
    const bool by_reg2 = target == root_->public_key().KeyId() || Chance(0.25);
    ++counts_.revocations_tried;
    auto seq = Attempt(by_reg2 ? "reg-2" : "regulator", *KeyOfRegulator(by_reg2),
                       KeyRevoked{target, from, "compromised"});
    if (seq) ++counts_.revocations_accepted;
  }

  // ----- the checks of the whole log (a, b)
  void CheckEverything() {
    auto names = ledger_->ListLots();
    REQUIRE(names.ok());
    const std::vector<std::string> lots = *names;
    if (lots.empty()) return;
    std::unique_ptr<NoteSigner> log;
    {
      auto s = NoteSigner::Generate("prop-ledger", NoteKeyType::kEd25519);
      REQUIRE(s.ok());
      log = std::move(*s);
    }
    REQUIRE(ledger_->SignCheckpoint(*log).ok());

    // The reference: every lot through the shared handle, in list order.
    VerifyOptions one;
    one.threads = 1;
    std::map<std::string, VerifyReport> ref;
    for (const auto& id : lots) {
      auto v = ledger_->VerifyLot(id, one);
      REQUIRE(v.ok());
      ref[id] = *v;
      ++counts_.lots_verified;
    }
    AuditOptions ao;
    ao.threads = 1;
    auto audit = ledger_->Audit(ao);
    REQUIRE(audit.ok());
    const std::string audit_canon = Canon(*audit);

    // (a) other orders through the shared handle, one and two threads.
    for (int round = 0; round < 2; ++round) {
      std::vector<std::string> order = lots;
      std::shuffle(order.begin(), order.end(), rng_);
      VerifyOptions vo;
      vo.threads = round == 0 ? 2 : 1;
      for (const auto& id : order) {
        auto v = ledger_->VerifyLot(id, vo);
        REQUIRE(v.ok());
        INFO("shared handle, order " << round << ", lot " << id);
        CHECK(Canon(*v) == Canon(ref[id]));
        ++counts_.order_comparisons;
      }
    }
    CheckBundles(lots, ref, *log);
    CheckQuotaReport(*audit);

    // (a) fresh handles, each in its own order; and their audit.
    ledger_.reset();
    for (int round = 0; round < 2; ++round) {
      auto fresh = Ledger::Open(opts_, dir_.Sub("ledger"));
      REQUIRE(fresh.ok());
      std::vector<std::string> order = lots;
      std::shuffle(order.begin(), order.end(), rng_);
      VerifyOptions vo;
      vo.threads = round == 0 ? 1 : 2;
      for (const auto& id : order) {
        auto v = (*fresh)->VerifyLot(id, vo);
        REQUIRE(v.ok());
        INFO("fresh handle " << round << ", lot " << id);
        CHECK(Canon(*v) == Canon(ref[id]));
        ++counts_.order_comparisons;
      }
      if (round == 1) {
        AuditOptions a2;
        a2.threads = 2;
        auto again = (*fresh)->Audit(a2);
        REQUIRE(again.ok());
        CHECK(Canon(*again) == audit_canon);
      }
    }

    // (a) a record's own findings (signer, key, role) are the same in every
    // lineage that reaches it.
    std::map<std::uint64_t, std::pair<std::string, std::string>> record_level;  // seq -> (lot, findings)
    for (const auto& [id, v] : ref) {
      std::map<std::uint64_t, std::vector<std::string>> mine;
      std::set<std::uint64_t> seqs;
      for (const auto& l : v.lots) seqs.insert(l.record_seqs.begin(), l.record_seqs.end());
      for (const auto& f : v.findings) {
        if (f.lot_id.empty() && seqs.count(f.seq)) mine[f.seq].push_back(f.code + " " + f.message);
      }
      for (std::uint64_t s : seqs) {
        std::vector<std::string> fs = mine[s];
        std::sort(fs.begin(), fs.end());
        std::string joined;
        for (const auto& x : fs) joined += x + "\n";
        auto [it, fresh] = record_level.emplace(s, std::make_pair(id, joined));
        if (!fresh) {
          INFO("record " << s << " in the lineages of " << it->second.first << " and " << id);
          CHECK(joined == it->second.second);
          ++counts_.shared_records_compared;
        }
      }
    }

    // (b) verify against the audit, and against the naive store.
    std::set<CodeAt> audit_set;
    for (const auto& f : audit->findings) audit_set.insert({f.code, f.seq});
    MemoryStore naive(mirror_, &keys_, &memo_);
    for (const auto& [id, v] : ref) {
      INFO("lot " << id << "\n" << Canon(v) << "audit:\n" << audit_canon);
      std::set<CodeAt> mine;
      for (const auto& f : v.findings) {
        mine.insert({f.code, f.seq});
        INFO("verify finding " << f.code << "@" << f.seq << ": " << f.message);
        CHECK(audit_set.count({f.code, f.seq}) == 1);
      }
      std::set<std::uint64_t> seqs;
      std::set<std::string> lineage_lots;
      for (const auto& l : v.lots) {
        seqs.insert(l.record_seqs.begin(), l.record_seqs.end());
        lineage_lots.insert(l.lot_id);
      }
      for (const auto& f : audit->findings) {
        if (!seqs.count(f.seq)) continue;
        if (!f.lot_id.empty() && !lineage_lots.count(f.lot_id)) continue;
        INFO("audit finding " << f.code << "@" << f.seq << " [" << f.lot_id << "]: " << f.message);
        CHECK(mine.count({f.code, f.seq}) == 1);
      }
      if (!v.valid) ++counts_.invalid_lineages;
      auto n = internal::VerifyLineage(naive, id, one, &keys_, naive.book());
      REQUIRE(n.ok());
      CHECK(Canon(*n, false) == Canon(v, false));
    }

    CheckBookFixpoint(naive);

    // Counts: how much the revocations voided.
    const auto& book = *naive.book();
    std::uint64_t voided = 0;
    bool voided_rotation = false;
    for (std::uint64_t s : book.seqs()) {
      const internal::AuthorityVerdict* verdict = book.Verdict(s);
      if (verdict != nullptr && verdict->voided_by) {
        ++voided;
        if (naive.event(s).has_key_rotated()) voided_rotation = true;
      }
    }
    counts_.voided_authority_records += voided;
    if (voided_rotation) ++counts_.logs_with_voided_rotation;
    counts_.max_rounds = std::max<std::uint64_t>(counts_.max_rounds, book.rounds());
  }

  // The book against its definition (rules/authority.h), record by record:
  // a naive cross-check of the rounds that Authority::Build iterates. With F
  // the final book: a record F holds void by a revocation was voided by a
  // revocation of its key from at or before it, which is either valid or
  // fell by its own hand (it voided part of what its own validity rests on);
  // a record F holds valid is voided by no valid revocation; every record
  // not voided is judged exactly as the book made of the valid records
  // before it (and it) judges it; every key F knows was brought in by a
  // record F holds valid.
  void CheckBookFixpoint(const MemoryStore& store) {
    const internal::Authority& f = *store.book();
    std::map<std::uint64_t, internal::AuthorityRecord> records;
    for (std::uint64_t seq : f.seqs()) {
      auto bytes = store.RecordBytes(seq);
      REQUIRE(bytes.ok());
      auto r = internal::ReadAuthorityRecord(seq, **bytes);
      REQUIRE(r.has_value());
      records.emplace(seq, std::move(*r));
    }
    // What a record's validity rests on: the records that brought in its
    // signing key (and theirs, up the chain) and its actor's registrations.
    auto basis = [&](std::uint64_t q) {
      std::set<std::uint64_t> out;
      std::vector<std::string> keys = {records.at(q).key_id};
      while (!keys.empty()) {
        const std::string k = keys.back();
        keys.pop_back();
        for (const auto& [seq, r] : records) {
          const v1::KeyInfo* info = r.event.has_actor_registered() ? &r.event.actor_registered().key()
                                    : r.event.has_key_rotated()   ? &r.event.key_rotated().new_key()
                                    : r.event.has_genesis()       ? &r.event.genesis().root_key()
                                                                  : nullptr;
          if (info == nullptr || seq >= q) continue;
          auto pk = PublicKey::FromDer(info->public_key());
          if (pk.ok() && pk->KeyId() == k && out.insert(seq).second) keys.push_back(r.key_id);
        }
      }
      for (const auto& [seq, r] : records) {
        if (seq < q && r.event.has_actor_registered() &&
            r.event.actor_registered().actor_id() == records.at(q).event.actor_id()) {
          out.insert(seq);
        }
      }
      return out;
    };
    std::vector<internal::AuthorityRecord> valid_before;
    for (const auto& [seq, r] : records) {
      const internal::AuthorityVerdict* v = f.Verdict(seq);
      REQUIRE(v != nullptr);
      INFO("authority record " << seq);
      std::optional<std::uint64_t> valid_voider;
      for (const auto& [q, rq] : records) {
        if (q <= seq || !f.Verdict(q)->valid) continue;
        const v1::Event& ev = rq.event;
        if (ev.has_key_revoked() && ev.key_revoked().key_id() == r.key_id &&
            std::min<std::uint64_t>(ev.key_revoked().effective_seq(), q) <= seq) {
          valid_voider = q;
          break;
        }
      }
      if (v->voided_by) {
        CHECK_FALSE(v->valid);
        const std::uint64_t q = *v->voided_by;
        REQUIRE(records.count(q) == 1);
        const v1::Event& ev = records.at(q).event;
        REQUIRE(ev.has_key_revoked());
        CHECK(ev.key_revoked().key_id() == r.key_id);
        CHECK(std::min<std::uint64_t>(ev.key_revoked().effective_seq(), q) <= seq);
        CHECK(seq < q);
        if (!f.Verdict(q)->valid) {
          // Void itself: only by its own hand.
          const std::set<std::uint64_t> rests_on = basis(q);
          bool own_hand = false;
          for (std::uint64_t b : rests_on) {
            const internal::AuthorityVerdict* bv = f.Verdict(b);
            own_hand = own_hand || (bv != nullptr && bv->voided_by == q);
          }
          INFO("voided by revocation " << q << ", itself void: " << f.Verdict(q)->violations.front().message);
          CHECK(own_hand);
          ++counts_.own_hand_revocations;
        }
      } else {
        CHECK_FALSE((v->valid && valid_voider.has_value()));
        std::vector<internal::AuthorityRecord> prefix = valid_before;
        prefix.push_back(r);
        auto judged = internal::Authority::Build(std::move(prefix), &keys_, &memo_);
        CHECK(judged->Verdict(seq)->valid == v->valid);
        CHECK(judged->rounds() == 1);
      }
      if (v->valid) valid_before.push_back(r);
    }
    for (const auto& [id, k] : f.keys()) {
      INFO("key " << id << " registered at " << k.registered_seq);
      const internal::AuthorityVerdict* v = f.Verdict(k.registered_seq);
      REQUIRE(v != nullptr);
      CHECK(v->valid);
    }
  }

  // (b) an offline bundle of each lot says what VerifyLot says.
  void CheckBundles(const std::vector<std::string>& lots,
                    const std::map<std::string, VerifyReport>& ref, const NoteSigner& log) {
    // A bundle costs as much as a few dozen verifications: the lots with
    // the longest lineages, and a few more at random.
    std::vector<std::pair<std::size_t, std::string>> valid_by_size;
    std::vector<std::string> invalid;
    for (const auto& id : lots) {
      std::size_t records = 0;
      for (const auto& l : ref.at(id).lots) records += l.record_seqs.size();
      if (ref.at(id).valid) {
        valid_by_size.emplace_back(records, id);
      } else {
        invalid.push_back(id);
      }
    }
    std::sort(valid_by_size.rbegin(), valid_by_size.rend());
    std::vector<std::string> sample;
    for (std::size_t i = 0; i < valid_by_size.size() && i < 4; ++i) {
      sample.push_back(valid_by_size[i].second);
    }
    for (int i = 0; i < 2 && !invalid.empty(); ++i) sample.push_back(Pick(invalid));
    std::sort(sample.begin(), sample.end());
    sample.erase(std::unique(sample.begin(), sample.end()), sample.end());
    for (const auto& id : sample) {
      const VerifyReport& v = ref.at(id);
      INFO("bundle of " << id << "\n" << Canon(v));
      auto bundle = ProveLineage(*ledger_, id);
      if (!bundle.ok()) {
        // Refused only because the lineage has findings.
        CHECK(bundle.status().code() == StatusCode::kFailedPrecondition);
        CHECK_FALSE(v.valid);
        ++counts_.bundles_refused;
        continue;
      }
      // Built: the lineage is valid, or its only findings are regulatory
      // (quota, licence), which the bundle carries (docs/federation.md);
      // either way the bundle's verdict is the ledger's.
      for (const auto& f : v.findings) {
        CHECK((f.code == finding::kQuotaExceeded || f.code == finding::kUnlicensedExtraction));
      }
      auto report = VerifyBundle(*bundle, root_->public_key(), log.verifier());
      REQUIRE(report.ok());
      CHECK(report->valid == v.valid);
      CHECK(Canon(report->lineage) == Canon(v));
      ++counts_.bundles_verified;
    }
  }

  // (b) the quota report marks void and exceeded entries exactly where the
  // audit has findings.
  void CheckQuotaReport(const AuditReport& audit) {
    std::map<std::uint64_t, std::set<std::string>> at;
    for (const auto& f : audit.findings) at[f.seq].insert(f.code);
    auto quotas = ledger_->Quotas(0, "");
    INFO(quotas.status().ToString());
    REQUIRE(quotas.ok());
    std::set<std::uint64_t> exceeded_in_report;
    for (const QuotaUsage& q : *quotas) {
      for (const auto& e : q.entries) {
        INFO("quota entry at " << e.seq << " of " << q.actor_id);
        const std::set<std::string>& codes = at[e.seq];
        if (e.void_entry) CHECK_FALSE(codes.empty());
        if (!e.grant && !e.void_entry) {
          // A use that counts: quota_exceeded exactly when the report says so.
          CHECK(e.exceeded == (codes.count(finding::kQuotaExceeded) == 1));
        }
        if (e.grant && !e.void_entry) CHECK(codes.empty());
        if (e.exceeded) exceeded_in_report.insert(e.seq);
        ++counts_.quota_entries_checked;
      }
    }
    for (const auto& f : audit.findings) {
      if (f.code == finding::kQuotaExceeded) CHECK(exceeded_in_report.count(f.seq) == 1);
    }
  }

  std::mt19937_64 rng_;
  Counts& counts_;
  bool flag_mode_ = false;
  Options opts_;
  TempDir dir_;
  std::unique_ptr<Ledger> ledger_;
  std::vector<std::unique_ptr<Signer>> signers_;
  const Signer* root_ = nullptr;
  std::map<std::string, ActorModel> actors_;
  std::map<std::string, KeyModel> keys_model_;
  std::vector<Accepted> accepted_;
  std::vector<std::pair<std::uint64_t, std::string>> authority_signed_;  // (seq, key id)
  std::vector<std::string> mirror_;  // stored records, by seq
  internal::KeyCache keys_;
  internal::SignatureMemo memo_;
  std::uint64_t events_made_ = 0;
  std::uint64_t lots_made_ = 0;
};

TEST_CASE("One verdict over random logs with retroactive revocations", "[rules][authority][property]") {
  const std::uint64_t first = EnvOr("RETRACE_PROPERTY_SEED", 1);
  const std::uint64_t logs = EnvOr("RETRACE_PROPERTY_LOGS", 12);
  Counts counts;
  for (std::uint64_t seed = first; seed < first + logs; ++seed) {
    INFO("seed " << seed << " (rerun alone: RETRACE_PROPERTY_SEED=" << seed
                 << " RETRACE_PROPERTY_LOGS=1)");
    Scenario s(seed, &counts);
    s.Run();
    ++counts.logs;
    if (seed % 2 == 0) ++counts.reject_logs;
  }
  WARN("logs " << counts.logs << " (" << counts.reject_logs << " in reject mode); events tried "
       << counts.events_tried << ", accepted " << counts.accepted << " (" << counts.flagged
       << " flagged), refused " << counts.refused << " (each re-verified in place: "
       << counts.refused_authority_checked << " authority, " << counts.refused_custody_checked
       << " custody); merges " << counts.merges << ", splits " << counts.splits
       << "; rotations accepted " << counts.rotations_accepted << "; revocations tried "
       << counts.revocations_tried << ", accepted " << counts.revocations_accepted
       << "; authority records voided " << counts.voided_authority_records
       << " (by a revocation void by its own hand " << counts.own_hand_revocations
       << "; logs with a voided rotation " << counts.logs_with_voided_rotation
       << ", most rounds " << counts.max_rounds << "); accepted records re-audited "
       << counts.accepted_checked << "; lots verified " << counts.lots_verified
       << " (invalid " << counts.invalid_lineages << "), order comparisons "
       << counts.order_comparisons << ", shared records compared "
       << counts.shared_records_compared << "; bundles verified " << counts.bundles_verified
       << ", refused for findings " << counts.bundles_refused << "; quota entries checked "
       << counts.quota_entries_checked);
  CHECK(counts.logs == logs);
}

}  // namespace
}  // namespace retrace
