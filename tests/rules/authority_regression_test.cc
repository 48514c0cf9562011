// Regression cases of what the property test (authority_property_test.cc)
// found, each as a fixed scenario:
//   - a revocation signed with a stolen regulator key kept voiding what it
//     voided after that key was revoked from before it ("voiding is final");
//     now a void revocation voids nothing, unless it fell by its own hand;
//   - the lineage verifier did not apply the consignee rule that append and
//     the audit apply (a shipment to an actor whose registration is void);
//   - a revocation that voided a separator's registration was refused with
//     kCorruption (the quota log listed its separations, which the book no
//     longer read as quota uses), the audit and the verifier called the log
//     inconsistent, and the quota report failed.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "retrace/ledger.h"
#include "rules/authority.h"
#include "testing/test_chain.h"

namespace retrace {
namespace {

using testing::MakeLot;
using testing::OreLot;
using testing::TestChain;

std::vector<std::string> CodesAt(const std::vector<Finding>& findings, std::uint64_t seq) {
  std::vector<std::string> out;
  for (const auto& f : findings) {
    if (f.seq == seq) out.push_back(f.code);
  }
  return out;
}

bool Has(const std::vector<Finding>& findings, const std::string& code) {
  for (const auto& f : findings) {
    if (f.code == code) return true;
  }
  return false;
}

std::unique_ptr<Signer> NewKey(Algorithm alg = Algorithm::kEd25519) {
  auto s = Signer::Generate(alg);
  REQUIRE(s.ok());
  return std::move(*s);
}

// An authority-only log built by hand (no ledger), for the book itself.
class HandLog {
 public:
  explicit HandLog(const Signer& root) {
    Add("regulator", root, Genesis{"hand", "regulator", root.public_key()});
  }
  std::uint64_t Add(const std::string& actor, const Signer& signer, EventBody body) {
    Event ev;
    ev.ledger_id = std::string(32, 'a');
    ev.event_id = "ev-" + std::to_string(seq_);
    ev.actor_id = actor;
    ev.time = {1790000000 + static_cast<std::int64_t>(seq_), 0};
    ev.body = std::move(body);
    auto se = SignEvent(ev, signer);
    REQUIRE(se.ok());
    const std::string stored = EncodeRecord(seq_, prev_, *se);
    prev_ = RecordHash(stored);
    auto r = internal::ReadAuthorityRecord(seq_, stored);
    REQUIRE(r.has_value());
    records_.push_back(std::move(*r));
    return seq_++;
  }
  std::shared_ptr<const internal::Authority> Book() const {
    return internal::Authority::Build(records_);
  }

 private:
  std::vector<internal::AuthorityRecord> records_;
  Hash prev_{};
  std::uint64_t seq_ = 0;
};

ActorRegistered Registration(const std::string& id, Role role, const Signer& key) {
  ActorRegistered r;
  r.actor_id = id;
  r.legal_name = id + " Co.";
  r.role = role;
  r.key = key.public_key();
  r.licence = role == Role::kMine ? "LIC-" + id : "";
  r.jurisdiction = "CN";
  return r;
}

TEST_CASE("Book: a revocation made with a stolen regulator key is undone with that key",
          "[rules][authority][regression]") {
  auto root = NewKey(), reg2 = NewKey(Algorithm::kSm2Sm3), k1 = NewKey(Algorithm::kEcdsaP256Sha256),
       k1b = NewKey();
  HandLog log(*root);
  log.Add("regulator", *root, Registration("reg-2", Role::kRegulator, *reg2));  // 1
  log.Add("regulator", *root, Registration("mine-1", Role::kMine, *k1));        // 2
  const std::uint64_t rotation =
      log.Add("mine-1", *k1, KeyRotated{"mine-1", k1b->public_key(), k1->public_key().KeyId()});
  // A thief holding reg-2's key revokes mine-1's first key from its
  // registration on: the rotation it signed goes void, and k1b with it.
  const std::uint64_t theft =
      log.Add("reg-2", *reg2, KeyRevoked{k1->public_key().KeyId(), 2, "forged"});
  {
    auto book = log.Book();
    CHECK_FALSE(book->Verdict(rotation)->valid);
    CHECK(book->Verdict(rotation)->voided_by == theft);
    CHECK(book->Key(k1b->public_key().KeyId()) == nullptr);
  }
  // The root revokes reg-2's key from the theft on: the thief's revocation
  // is void, and so voids nothing -- the rotation stands again.
  const std::uint64_t remedy =
      log.Add("regulator", *root, KeyRevoked{reg2->public_key().KeyId(), theft, "stolen"});
  auto book = log.Book();
  CHECK(book->Verdict(remedy)->valid);
  CHECK_FALSE(book->Verdict(theft)->valid);
  CHECK(book->Verdict(theft)->voided_by == remedy);
  CHECK(book->Verdict(rotation)->valid);
  CHECK_FALSE(book->Verdict(rotation)->voided_by.has_value());
  const internal::KeyEntry* fresh = book->Key(k1b->public_key().KeyId());
  REQUIRE(fresh != nullptr);
  CHECK(book->SignerAt(fresh->key_id, "mine-1", remedy + 1) != nullptr);
  const internal::KeyEntry* old = book->Key(k1->public_key().KeyId());
  REQUIRE(old != nullptr);
  CHECK_FALSE(old->revoked_from.has_value());  // the thief's revocation is void
  CHECK(old->retired_after == rotation);
}

TEST_CASE("Book: a revocation void by its own hand keeps what it voided void",
          "[rules][authority][regression]") {
  auto root = NewKey(), k = NewKey(), k2 = NewKey(Algorithm::kSm2Sm3);
  HandLog log(*root);
  log.Add("regulator", *root, Registration("reg-2", Role::kRegulator, *k));  // 1
  const std::uint64_t rotation =
      log.Add("reg-2", *k, KeyRotated{"reg-2", k2->public_key(), ""});
  // The new key revokes the old one from before the rotation that brought
  // the new key in: valid only if it did not void that rotation.
  const std::uint64_t revocation =
      log.Add("reg-2", *k2, KeyRevoked{k->public_key().KeyId(), rotation, "own hand"});
  auto book = log.Book();
  CHECK_FALSE(book->Verdict(revocation)->valid);
  CHECK_FALSE(book->Verdict(rotation)->valid);
  CHECK(book->Verdict(rotation)->voided_by == revocation);
  CHECK(book->Key(k2->public_key().KeyId()) == nullptr);
  CHECK(book->rounds() >= 2);
}

TEST_CASE("Ledger: records signed with a rotated-in key verify again once a thief's revocation is void",
          "[rules][authority][regression][ledger]") {
  TestChain c;
  c.Register("reg-2", Role::kRegulator, Algorithm::kSm2Sm3);
  c.Register("mine-1", Role::kMine, Algorithm::kEcdsaP256Sha256);
  auto fresh = NewKey();
  const std::string old_key = c.key("mine-1").public_key().KeyId();
  auto rotation = c.Do("mine-1", KeyRotated{"mine-1", fresh->public_key(), old_key});
  REQUIRE(rotation.ok());
  auto ore = c.AppendAs("mine-1", *fresh, Extracted{OreLot("ORE-1"), "pit", "LIC-mine-1",
                                                    QuotaKind::kMiningRock});
  REQUIRE(ore.ok());
  // The thief, with reg-2's key, voids the rotation (and so ORE-1).
  auto theft = c.AppendAs("reg-2", c.key("reg-2"), KeyRevoked{old_key, rotation->seq, "forged"});
  REQUIRE(theft.ok());
  CHECK_FALSE(c.ledger().VerifyLot("ORE-1")->valid);
  CHECK_FALSE(c.AppendAs("mine-1", *fresh, Extracted{OreLot("ORE-2"), "pit", "LIC-mine-1",
                                                     QuotaKind::kMiningRock})
                  .ok());
  // The root revokes reg-2's key from the theft on.
  auto remedy = c.AppendAs("regulator", c.root(),
                           KeyRevoked{c.key("reg-2").public_key().KeyId(), theft->seq, "stolen"});
  REQUIRE(remedy.ok());
  // ORE-1's key history holds the thief's (void) revocation, reported as
  // such; ORE-1's own record is valid and its origin compliant again.
  auto v = c.ledger().VerifyLot("ORE-1");
  REQUIRE(v.ok());
  std::vector<std::string> verify;
  for (const auto& f : v->findings) verify.push_back(f.code + "@" + std::to_string(f.seq));
  CHECK(verify == std::vector<std::string>{"key_revoked@" + std::to_string(theft->seq)});
  CHECK(CodesAt(v->findings, ore->seq).empty());
  REQUIRE(v->origins.size() == 1);
  CHECK(v->origins[0].compliant);
  CHECK(v->non_compliant_share_ppm == 0);
  auto a = c.ledger().Audit();
  REQUIRE(a.ok());
  std::vector<std::string> audit;
  for (const auto& f : a->findings) audit.push_back(f.code + "@" + std::to_string(f.seq));
  CHECK(audit == std::vector<std::string>{"key_revoked@" + std::to_string(theft->seq)});
  // And the rotated-in key signs again.
  CHECK(c.AppendAs("mine-1", *fresh, Extracted{OreLot("ORE-3"), "pit", "LIC-mine-1",
                                               QuotaKind::kMiningRock})
            .ok());
}

TEST_CASE("Ledger: a revocation that would void its own key's rotation is refused",
          "[rules][authority][regression][ledger]") {
  TestChain c;
  c.Register("reg-2", Role::kRegulator);
  auto fresh = NewKey(Algorithm::kSm2Sm3);
  const std::string old_key = c.key("reg-2").public_key().KeyId();
  auto rotation = c.Do("reg-2", KeyRotated{"reg-2", fresh->public_key(), ""});
  REQUIRE(rotation.ok());
  auto before = c.ledger().Info();
  auto r = c.AppendAs("reg-2", *fresh, KeyRevoked{old_key, rotation->seq, "own hand"});
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("unknown_key"));
  CHECK(c.ledger().Info()->size == before->size);
  CHECK(c.ledger().Audit()->valid);
}

// reg-2 registers sep-1; the root later revokes reg-2's key from before that
// registration, so sep-1 was never validly registered.
struct VoidSeparator {
  TestChain c;
  std::unique_ptr<Signer> sep = NewKey(Algorithm::kEcdsaP256Sha256);
  std::uint64_t registration = 0;

  VoidSeparator() {
    c.Register("reg-2", Role::kRegulator);
    c.Register("mine-1", Role::kMine);
    auto r = c.AppendAs("reg-2", c.key("reg-2"), Registration("sep-1", Role::kSeparator, *sep));
    REQUIRE(r.ok());
    registration = r->seq;
    c.Grant("sep-1", QuotaKind::kSmeltingSeparation, 1000000000);
  }
  Result<AppendResult> Sep(EventBody body) { return c.AppendAs("sep-1", *sep, std::move(body)); }
  Result<AppendResult> Revoke() {
    return c.AppendAs("regulator", c.root(),
                      KeyRevoked{c.key("reg-2").public_key().KeyId(), registration, "stolen"});
  }
};

TEST_CASE("Ledger: a shipment to a consignee whose registration is void is a finding of verify too",
          "[rules][authority][regression][ledger]") {
  VoidSeparator s;
  REQUIRE(s.c.Do("mine-1", Extracted{OreLot("ORE-1", 1000000), "pit"}).ok());
  auto ship = s.c.Do("mine-1", Shipped{"ORE-1", std::nullopt, "sep-1", 1000000});
  REQUIRE(ship.ok());
  REQUIRE(s.Revoke().ok());
  auto v = s.c.ledger().VerifyLot("ORE-1");
  REQUIRE(v.ok());
  CHECK(CodesAt(v->findings, ship->seq) == std::vector<std::string>{finding::kUnknownActor});
  auto a = s.c.ledger().Audit();
  REQUIRE(a.ok());
  CHECK(CodesAt(a->findings, ship->seq) == std::vector<std::string>{finding::kUnknownActor});
  // And append refuses the next one.
  REQUIRE(s.c.Do("mine-1", Extracted{OreLot("ORE-2", 1000), "pit"}).ok());
  auto again = s.c.Do("mine-1", Shipped{"ORE-2", std::nullopt, "sep-1", 1000});
  REQUIRE_FALSE(again.ok());
  CHECK_THAT(again.status().message(), Catch::Contains("unknown_actor"));
}

TEST_CASE("Ledger: separations of a separator whose registration goes void stay in the quota log, uncounted",
          "[rules][authority][regression][ledger][quota]") {
  VoidSeparator s;
  REQUIRE(s.c.Do("mine-1", Extracted{OreLot("ORE-1", 1000000), "pit"}).ok());
  REQUIRE(s.c.Do("mine-1", Shipped{"ORE-1", std::nullopt, "sep-1", 1000000}).ok());
  REQUIRE(s.Sep(Received{"ORE-1", std::nullopt, "mine-1", 1000000}).ok());
  Transformed t;
  t.inputs = {{"ORE-1", 1000000, std::nullopt}};
  t.outputs = {MakeLot("OX-1", MaterialClass::kSeparatedOxide, 50000, {{Element::kNd, 50000}})};
  t.declared_loss_g = 950000;
  auto sep = s.Sep(t);
  REQUIRE(sep.ok());
  {
    auto q = s.c.ledger().Quotas(2026, "sep-1");
    REQUIRE(q.ok());
    REQUIRE(q->size() == 1);
    CHECK(q->front().used_reo_g == ReoEquivalentGrams({{Element::kNd, 50000}}));
  }
  // The revocation is appended (it was refused with kCorruption).
  auto revoked = s.Revoke();
  INFO(revoked.status().ToString());
  REQUIRE(revoked.ok());
  auto q = s.c.ledger().Quotas(2026, "sep-1");
  INFO(q.status().ToString());
  REQUIRE(q.ok());
  REQUIRE(q->size() == 1);
  CHECK(q->front().used_reo_g == 0);
  REQUIRE(q->front().entries.size() == 2);
  CHECK(q->front().entries[1].seq == sep->seq);
  CHECK(q->front().entries[1].void_entry);
  CHECK_FALSE(q->front().entries[1].exceeded);
  // No reader calls the quota log inconsistent; each reports the void signer.
  auto a = s.c.ledger().Audit();
  REQUIRE(a.ok());
  for (const auto& f : a->findings) UNSCOPED_INFO(f.code << "@" << f.seq << ": " << f.message);
  CHECK_FALSE(Has(a->findings, finding::kIndexInconsistent));
  CHECK(CodesAt(a->findings, sep->seq) == std::vector<std::string>{finding::kUnknownKey});
  AuditOptions integrity;
  integrity.scope = AuditScope::kIntegrity;
  auto ia = s.c.ledger().Audit(integrity);
  REQUIRE(ia.ok());
  CHECK(ia->valid);
  auto v = s.c.ledger().VerifyLot("OX-1");
  REQUIRE(v.ok());
  CHECK_FALSE(Has(v->findings, finding::kIndexInconsistent));
  CHECK(CodesAt(v->findings, sep->seq) == std::vector<std::string>{finding::kUnknownKey});
  // Its key is no key now: whatever it signs next is refused.
  auto next = s.Sep(Shipped{"OX-1", std::nullopt, "mine-1", 50000});
  REQUIRE_FALSE(next.ok());
  CHECK_THAT(next.status().message(), Catch::Contains("unknown_key"));
}

}  // namespace
}  // namespace retrace
