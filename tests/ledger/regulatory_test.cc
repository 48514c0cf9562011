// Issue 3's rules: production quotas, licences, stage policy, key rotation
// and revocation, recycled and imported origins. Each rule has a scenario
// that keeps it and one that breaks it.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "rules/rules.h"
#include "testing/test_chain.h"

namespace retrace {
namespace {

using testing::FiveStage;
using testing::MakeLot;
using testing::TestChain;

Lot OreWithNd(const std::string& id, std::uint64_t nd_g, std::uint64_t mass = 1000000) {
  return MakeLot(id, MaterialClass::kOreConcentrate, mass, {{Element::kNd, nd_g}});
}

Options FlagMode() {
  Options o;
  o.regulatory_violations = RegulatoryMode::kRecordAndFlag;
  return o;
}

bool HasFinding(const VerifyReport& r, const std::string& code, std::uint64_t seq) {
  for (const auto& f : r.findings) {
    if (f.code == code && f.seq == seq) return true;
  }
  return false;
}

TEST_CASE("REO equivalent uses exact stoichiometric factors, rounded down", "[quota]") {
  // Nd2O3: (2*144.242 + 3*15.999) / (2*144.242) = 336.481 / 288.484
  CHECK(ReoEquivalentGrams({{Element::kNd, 1000}}) == 1166);
  CHECK(ReoEquivalentGrams({{Element::kNd, 288484}}) == 336481);  // exact
  // Pr6O11: (6*140.908 + 11*15.999) / (6*140.908)
  CHECK(ReoEquivalentGrams({{Element::kPr, 845448}}) == 845448 + 175989);
  // CeO2 and Tb4O7
  CHECK(ReoEquivalentGrams({{Element::kCe, 140116}}) == 140116 + 31998);
  CHECK(ReoEquivalentGrams({{Element::kTb, 635700}}) == 635700 + 111993);
  // Each element to the milligram, the sum to the gram.
  CHECK(ReoEquivalentGrams({{Element::kNd, 1}, {Element::kNd, 1}}) == 2);  // 1.166 + 1.166
  CHECK(ReoEquivalentGrams({}) == 0);
}

TEST_CASE("UTC years from Unix time", "[quota]") {
  using internal::UtcYear;
  CHECK(UtcYear(0) == 1970);
  CHECK(UtcYear(1767225599) == 2025);  // 2025-12-31T23:59:59Z
  CHECK(UtcYear(1767225600) == 2026);  // 2026-01-01T00:00:00Z
  CHECK(UtcYear(951782400) == 2000);   // 2000-02-29
  CHECK(UtcYear(-1) == 1969);
}

TEST_CASE("Extraction within quota is accepted and counted", "[quota]") {
  TestChain c;
  c.Register("mine-1", Role::kMine, Algorithm::kEd25519, "", /*grant_quota=*/false);
  c.Grant("mine-1", QuotaKind::kMiningRock, 2 * 1166);
  REQUIRE(c.Do("mine-1", Extracted{OreWithNd("ORE-1", 1000), "pit"}).ok());
  REQUIRE(c.Do("mine-1", Extracted{OreWithNd("ORE-2", 1000), "pit"}).ok());
  auto q = c.ledger().Quotas(2026, "mine-1");
  REQUIRE(q.ok());
  REQUIRE(q->size() == 1);
  CHECK((*q)[0].kind == QuotaKind::kMiningRock);
  CHECK((*q)[0].granted_reo_g == 2332);
  CHECK((*q)[0].used_reo_g == 2332);
  CHECK((*q)[0].remaining_reo_g == 0);
  REQUIRE((*q)[0].entries.size() == 3);
  CHECK((*q)[0].entries[0].grant);
  CHECK((*q)[0].entries[2].lot_id == "ORE-2");
  CHECK(c.ledger().VerifyLot("ORE-2")->valid);
  CHECK(c.ledger().Audit()->valid);
}

TEST_CASE("Extraction beyond quota is refused in reject mode", "[quota]") {
  TestChain c;
  c.Register("mine-1", Role::kMine, Algorithm::kEd25519, "", false);
  c.Grant("mine-1", QuotaKind::kMiningRock, 1166);
  REQUIRE(c.Do("mine-1", Extracted{OreWithNd("ORE-1", 1000), "pit"}).ok());
  auto size = c.ledger().Info()->size;
  auto r = c.Do("mine-1", Extracted{OreWithNd("ORE-2", 1), "pit"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kFailedPrecondition);
  CHECK_THAT(r.status().message(), Catch::Contains("quota_exceeded"));
  CHECK(c.ledger().Info()->size == size);
  CHECK((*c.ledger().Quotas())[0].used_reo_g == 1166);
  // Another kind has no grant at all.
  auto ionic = c.Do("mine-1", Extracted{OreWithNd("ORE-3", 1), "pit", "", QuotaKind::kMiningIonic});
  CHECK_FALSE(ionic.ok());
  // A later grant raises the quota.
  c.Grant("mine-1", QuotaKind::kMiningRock, 5000);
  CHECK(c.Do("mine-1", Extracted{OreWithNd("ORE-2", 1), "pit"}).ok());
}

TEST_CASE("Extraction beyond quota is recorded and flagged in flag mode", "[quota]") {
  TestChain c(FlagMode());
  c.Register("mine-1", Role::kMine, Algorithm::kEd25519, "", false);
  c.Grant("mine-1", QuotaKind::kMiningRock, 1000);
  auto r = c.Do("mine-1", Extracted{OreWithNd("ORE-1", 1000), "pit"});  // 1166 g REO > 1000
  REQUIRE(r.ok());
  REQUIRE(r->flagged.size() == 1);
  CHECK(r->flagged[0].code == "quota_exceeded");
  auto v = c.ledger().VerifyLot("ORE-1");
  REQUIRE(v.ok());
  CHECK_FALSE(v->valid);
  CHECK(HasFinding(*v, "quota_exceeded", r->seq));
  REQUIRE(v->origins.size() == 1);
  CHECK_FALSE(v->origins[0].compliant);
  CHECK(v->non_compliant_share_ppm == 1000000);
  auto a = c.ledger().Audit();
  CHECK_FALSE(a->valid);
  CHECK((*c.ledger().Quotas())[0].remaining_reo_g == -166);
}

TEST_CASE("A grant can cut a quota", "[quota]") {
  TestChain c;
  c.Register("mine-1", Role::kMine, Algorithm::kEd25519, "", false);
  c.Grant("mine-1", QuotaKind::kMiningRock, 10000);
  REQUIRE(c.Do("mine-1", Extracted{OreWithNd("ORE-1", 1000), "pit"}).ok());
  c.Grant("mine-1", QuotaKind::kMiningRock, 1500);  // cut: 1166 used, 334 left
  CHECK_FALSE(c.Do("mine-1", Extracted{OreWithNd("ORE-2", 1000), "pit"}).ok());
  CHECK(c.Do("mine-1", Extracted{OreWithNd("ORE-3", 200), "pit"}).ok());
  CHECK(c.ledger().Audit()->valid);
}

TEST_CASE("Separation output counts against the separator's quota", "[quota]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("sep-1", Role::kSeparator, Algorithm::kEd25519, "", false);
  c.Grant("sep-1", QuotaKind::kSmeltingSeparation, 1166);
  REQUIRE(c.Do("mine-1", Extracted{OreWithNd("ORE-1", 5000), "pit"}).ok());
  c.Move("ORE-1", "mine-1", "sep-1");
  Transformed t;
  t.inputs = {{"ORE-1", 400000, std::nullopt}};
  t.outputs = {MakeLot("OX-1", MaterialClass::kSeparatedOxide, 1200, {{Element::kNd, 1000}})};
  t.declared_loss_g = 400000 - 1200;
  REQUIRE(c.Do("sep-1", t).ok());
  auto q = c.ledger().Quotas(2026, "sep-1");
  REQUIRE(q->size() == 1);
  CHECK((*q)[0].used_reo_g == 1166);
  t.inputs = {{"ORE-1", 1000, std::nullopt}};
  t.outputs = {MakeLot("OX-2", MaterialClass::kSeparatedOxide, 2, {{Element::kNd, 1}})};
  t.declared_loss_g = 998;
  auto r = c.Do("sep-1", t);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("quota_exceeded"));
}

TEST_CASE("A flagged over-quota separation names its share though every origin is compliant",
          "[quota][shares]") {
  TestChain c(FlagMode());
  c.Register("mine-1", Role::kMine);
  c.Register("sep-1", Role::kSeparator, Algorithm::kEd25519, "", false);
  c.Register("sep-2", Role::kSeparator);
  c.Register("smelter-1", Role::kSmelter);
  c.Grant("sep-1", QuotaKind::kSmeltingSeparation, 1166);
  REQUIRE(c.Do("mine-1", Extracted{OreWithNd("ORE-1", 5000), "pit"}).ok());
  REQUIRE(c.Do("mine-1", Extracted{OreWithNd("ORE-2", 5000), "pit"}).ok());
  c.Move("ORE-1", "mine-1", "sep-1");
  c.Move("ORE-2", "mine-1", "sep-2");
  // sep-1 separates 3,000 g Nd (3,499 g REO) under a 1,166 g quota: flagged.
  Transformed t;
  t.inputs = {{"ORE-1", 600000, std::nullopt}};
  t.outputs = {MakeLot("OX-1", MaterialClass::kSeparatedOxide, 3000, {{Element::kNd, 3000}})};
  t.declared_loss_g = 600000 - 3000;
  auto over = c.Do("sep-1", t);
  REQUIRE(over.ok());
  REQUIRE(over->flagged.size() == 1);
  const std::uint64_t over_seq = over->seq;
  // sep-2 separates as much within its quota.
  t.inputs = {{"ORE-2", 200000, std::nullopt}};
  t.outputs = {MakeLot("OX-2", MaterialClass::kSeparatedOxide, 1000, {{Element::kNd, 1000}})};
  t.declared_loss_g = 200000 - 1000;
  REQUIRE(c.Do("sep-2", t).ok());
  auto ox1 = c.ledger().VerifyLot("OX-1");
  REQUIRE(ox1.ok());
  CHECK_FALSE(ox1->valid);
  CHECK(HasFinding(*ox1, finding::kQuotaExceeded, over_seq));
  CHECK(ox1->non_compliant_share_ppm == 1000000);
  for (const auto& o : ox1->origins) CHECK(o.compliant);  // the mine did nothing wrong
  CHECK(c.ledger().VerifyLot("OX-2")->non_compliant_share_ppm == 0);
  // A smelter merges 3,000 g Nd from OX-1 with 1,000 g from OX-2: three
  // quarters of the metal passed through the over-quota separation.
  c.Move("OX-1", "sep-1", "smelter-1");
  c.Move("OX-2", "sep-2", "smelter-1");
  Transformed m;
  m.inputs = {{"OX-1", 3000, std::nullopt}, {"OX-2", 1000, std::nullopt}};
  m.outputs = {MakeLot("ALLOY-1", MaterialClass::kMetalAlloy, 4000, {{Element::kNd, 4000}})};
  REQUIRE(c.Do("smelter-1", m).ok());
  auto alloy = c.ledger().VerifyLot("ALLOY-1");
  REQUIRE(alloy.ok());
  CHECK(alloy->non_compliant_share_ppm == 750000);
  // The same verdict from the audit's side: the flagged record is a finding.
  auto audit = c.ledger().Audit();
  REQUIRE(audit.ok());
  CHECK_FALSE(audit->valid);
}

TEST_CASE("An unlicensed mine's ore feeding a separator is caught", "[licence]") {
  TestChain c(FlagMode());
  c.Register("sep-1", Role::kSeparator);
  c.Register("mine-ok", Role::kMine);
  // A mine registered without a licence (e.g. before its licence lapsed).
  auto key = Signer::Generate(Algorithm::kEd25519);
  ActorRegistered reg;
  reg.actor_id = "mine-x";
  reg.role = Role::kMine;
  reg.key = (*key)->public_key();
  REQUIRE(c.AppendAs("regulator", c.root(), reg).ok());
  c.Grant("mine-x", QuotaKind::kMiningRock, TestChain::kAmpleQuota);
  REQUIRE(c.Do("mine-ok", Extracted{OreWithNd("ORE-OK", 30000), "pit"}).ok());
  auto illegal = c.AppendAs("mine-x", **key,
                            Extracted{OreWithNd("ORE-X", 10000), "hillside", "", QuotaKind::kMiningRock});
  REQUIRE(illegal.ok());
  REQUIRE(illegal->flagged.size() == 1);
  CHECK(illegal->flagged[0].code == "unlicensed_extraction");
  // Both ores go to the separator, which merges them.
  c.Move("ORE-OK", "mine-ok", "sep-1");
  auto ship = c.AppendAs("mine-x", **key, Shipped{"ORE-X", std::nullopt, "sep-1", 1000000});
  REQUIRE(ship.ok());
  REQUIRE(c.Do("sep-1", Received{"ORE-X", std::nullopt, "mine-x", 1000000}).ok());
  Transformed t;
  t.inputs = {{"ORE-OK", 1000000, std::nullopt}, {"ORE-X", 1000000, std::nullopt}};
  t.outputs = {MakeLot("OX-MIX", MaterialClass::kSeparatedOxide, 40000, {{Element::kNd, 40000}})};
  t.declared_loss_g = 2000000 - 40000;
  REQUIRE(c.Do("sep-1", t).ok());
  auto v = c.ledger().VerifyLot("OX-MIX");
  REQUIRE(v.ok());
  CHECK_FALSE(v->valid);
  CHECK(HasFinding(*v, "unlicensed_extraction", illegal->seq));
  REQUIRE(v->origins.size() == 2);
  for (const auto& o : v->origins) {
    if (o.origin_lot == "ORE-X") {
      CHECK_FALSE(o.compliant);
      CHECK(o.share_ppm == 250000);
      CHECK(o.issues == std::vector<std::string>{"unlicensed_extraction"});
    } else {
      CHECK(o.compliant);
      CHECK(o.share_ppm == 750000);
    }
  }
  CHECK(v->non_compliant_share_ppm == 250000);

  // The machine-readable report names the same origin and share.
  auto j = nlohmann::json::parse(VerifyReportToJson(*v));
  CHECK(j["non_compliant_share_ppm"] == 250000);
  bool named = false;
  for (const auto& o : j["origins"]) {
    if (o["origin_lot"] != "ORE-X") continue;
    named = true;
    CHECK(o["kind"] == "mine");
    CHECK(o["compliant"] == false);
    CHECK(o["issues"] == nlohmann::json::array({"unlicensed_extraction"}));
  }
  CHECK(named);
}

TEST_CASE("An extraction under another licence than the mine's is refused", "[licence]") {
  TestChain c;
  c.Register("mine-1", Role::kMine, Algorithm::kEd25519, "C-001");
  auto r = c.Do("mine-1", Extracted{OreWithNd("ORE-1", 1000), "pit", "C-999", QuotaKind::kMiningRock});
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("unlicensed_extraction"));
  CHECK(c.Do("mine-1", Extracted{OreWithNd("ORE-1", 1000), "pit", "C-001", QuotaKind::kMiningRock}).ok());
}

TEST_CASE("A magnet maker cannot consume the same alloy twice", "[mass]") {
  TestChain c;
  FiveStage::Build(c);
  // FiveStage consumed ALLOY-1 whole; a second consumption must fail.
  Transformed again;
  again.inputs = {{"ALLOY-1", 60000, std::nullopt}};
  again.outputs = {MakeLot("MAG-2", MaterialClass::kMagnet, 60000, {{Element::kNd, 10}})};
  auto r = c.Do("mag-1", again);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("lot_not_available"));
}

TEST_CASE("Stage order: a smelter may not consume ore under the default policy", "[policy]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("smelt-1", Role::kSmelter);
  REQUIRE(c.Do("mine-1", Extracted{OreWithNd("ORE-1", 5000), "pit"}).ok());
  c.Move("ORE-1", "mine-1", "smelt-1");
  Transformed t;
  t.inputs = {{"ORE-1", 1000000, std::nullopt}};
  t.outputs = {MakeLot("ALLOY-X", MaterialClass::kMetalAlloy, 5000, {{Element::kNd, 4000}})};
  t.declared_loss_g = 995000;
  auto r = c.Do("smelt-1", t);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("stage_order_violated"));
}

TEST_CASE("A recorded policy governs the records after it, not before", "[policy]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("smelt-1", Role::kSmelter);
  REQUIRE(c.Do("mine-1", Extracted{OreWithNd("ORE-1", 5000), "pit"}).ok());
  c.Move("ORE-1", "mine-1", "smelt-1");
  // A wider policy lets smelters take ore directly (integrated plants).
  PolicySet wide = DefaultPolicy();
  wide.name = "integrated smelting allowed";
  for (auto& rule : wide.rules) {
    if (rule.role == Role::kSmelter) rule.inputs.push_back(MaterialClass::kOreConcentrate);
  }
  REQUIRE(c.AppendAs("regulator", c.root(), wide).ok());
  Transformed t;
  t.inputs = {{"ORE-1", 1000000, std::nullopt}};
  t.outputs = {MakeLot("ALLOY-X", MaterialClass::kMetalAlloy, 5000, {{Element::kNd, 4000}})};
  t.declared_loss_g = 995000;
  auto made = c.Do("smelt-1", t);
  REQUIRE(made.ok());
  // Back to the strict default: the earlier transformation stays valid.
  PolicySet strict = DefaultPolicy();
  strict.name = "strict again";
  REQUIRE(c.AppendAs("regulator", c.root(), strict).ok());
  auto v = c.ledger().VerifyLot("ALLOY-X");
  REQUIRE(v.ok());
  for (const auto& f : v->findings) UNSCOPED_INFO(f.code << ": " << f.message);
  CHECK(v->valid);
  CHECK(c.ledger().Audit()->valid);
  // ... and new ones are refused again.
  REQUIRE(c.Do("mine-1", Extracted{OreWithNd("ORE-2", 5000), "pit"}).ok());
  c.Move("ORE-2", "mine-1", "smelt-1");
  t.inputs = {{"ORE-2", 1000000, std::nullopt}};
  t.outputs[0].lot_id = "ALLOY-Y";
  CHECK_FALSE(c.Do("smelt-1", t).ok());
}

TEST_CASE("Only a regulator may record a policy or a quota grant", "[policy]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  CHECK_FALSE(c.Do("mine-1", DefaultPolicy()).ok());
  CHECK_FALSE(c.Do("mine-1", QuotaGranted{"mine-1", 2026, QuotaKind::kMiningRock, 1, ""}).ok());
}

TEST_CASE("A stage tolerance admits assay uncertainty and no more", "[policy][mass]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("sep-1", Role::kSeparator);
  PolicySet p = DefaultPolicy();
  p.name = "1% assay tolerance at separation";
  for (auto& rule : p.rules) {
    if (rule.role == Role::kSeparator) rule.element_tolerance_ppm = 10000;
  }
  REQUIRE(c.AppendAs("regulator", c.root(), p).ok());
  REQUIRE(c.Do("mine-1", Extracted{OreWithNd("ORE-1", 10000), "pit"}).ok());
  c.Move("ORE-1", "mine-1", "sep-1");
  Transformed t;
  t.inputs = {{"ORE-1", 500000, std::nullopt}};  // holds 5,000 g Nd
  t.outputs = {MakeLot("OX-1", MaterialClass::kSeparatedOxide, 6000, {{Element::kNd, 5051}})};
  t.declared_loss_g = 494000;
  auto over = c.Do("sep-1", t);  // 1.02 % over
  REQUIRE_FALSE(over.ok());
  CHECK_THAT(over.status().message(), Catch::Contains("element_balance_violated"));
  t.outputs[0].content = {{Element::kNd, 5050}};  // exactly 1 % over
  CHECK(c.Do("sep-1", t).ok());
}

TEST_CASE("A rotated-out key signs nothing more; the new key does", "[keys]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  REQUIRE(c.Do("mine-1", Extracted{OreWithNd("ORE-1", 1000), "pit"}).ok());
  auto fresh = Signer::Generate(Algorithm::kEcdsaP256Sha256);
  const std::string old_id = c.key("mine-1").public_key().KeyId();
  // Self-rotation, signed by the old key.
  REQUIRE(c.Do("mine-1", KeyRotated{"mine-1", (*fresh)->public_key(), old_id}).ok());
  auto stale = c.Do("mine-1", Extracted{OreWithNd("ORE-2", 1000), "pit"});
  REQUIRE_FALSE(stale.ok());
  CHECK_THAT(stale.status().message(), Catch::Contains("key_retired"));
  REQUIRE(c.AppendAs("mine-1", **fresh, Extracted{OreWithNd("ORE-3", 1000), "pit", "LIC-mine-1",
                                                 QuotaKind::kMiningRock})
              .ok());
  CHECK(c.ledger().VerifyLot("ORE-1")->valid);  // signed before the rotation
  CHECK(c.ledger().VerifyLot("ORE-3")->valid);
  CHECK(c.ledger().Audit()->valid);
  auto actor = c.ledger().GetActor("mine-1");
  CHECK(actor->key_ids.size() == 2);
}

TEST_CASE("An actor cannot rotate another actor's key", "[keys]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("mine-2", Role::kMine);
  auto fresh = Signer::Generate(Algorithm::kEd25519);
  auto r = c.Do("mine-2", KeyRotated{"mine-1", (*fresh)->public_key(), ""});
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("role_not_allowed"));
}

TEST_CASE("A revoked key is refused from its effective point on", "[keys]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  auto size = c.ledger().Info()->size;
  REQUIRE(c.AppendAs("regulator", c.root(),
                     KeyRevoked{c.key("mine-1").public_key().KeyId(), size, "stolen laptop"})
              .ok());
  auto r = c.Do("mine-1", Extracted{OreWithNd("ORE-1", 1000), "pit"});
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("key_revoked"));
}

TEST_CASE("A retroactive revocation invalidates records already appended", "[keys]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  REQUIRE(c.Do("mine-1", Extracted{OreWithNd("ORE-OLD", 1000), "pit"}).ok());
  const std::uint64_t compromised_at = c.ledger().Info()->size;
  auto forged = c.Do("mine-1", Extracted{OreWithNd("ORE-FORGED", 1000), "pit"});
  REQUIRE(forged.ok());
  REQUIRE(c.AppendAs("regulator", c.root(),
                     KeyRevoked{c.key("mine-1").public_key().KeyId(), compromised_at,
                                "key compromised; records from here on are forged"})
              .ok());
  CHECK(c.ledger().VerifyLot("ORE-OLD")->valid);
  auto v = c.ledger().VerifyLot("ORE-FORGED");
  REQUIRE(v.ok());
  CHECK_FALSE(v->valid);
  CHECK(HasFinding(*v, "key_revoked", forged->seq));
  auto a = c.ledger().Audit();
  CHECK_FALSE(a->valid);
}

TEST_CASE("Recycled and imported feedstock are origins of their own kind", "[origins]") {
  TestChain c;
  c.Register("rec-1", Role::kRecycler);
  c.Register("imp-1", Role::kImporter);
  c.Register("sep-1", Role::kSeparator);
  Recycled rec;
  rec.lot = MakeLot("SEC-1", MaterialClass::kMixedCompound, 50000, {{Element::kNd, 10000}});
  rec.scrap = {{"magnet swarf", 60000}};
  rec.source = "Ningbo swarf collection";
  REQUIRE(c.Do("rec-1", rec).ok());
  REQUIRE(c.Do("imp-1", Imported{MakeLot("IMP-1", MaterialClass::kOreConcentrate, 100000,
                                         {{Element::kNd, 10000}}),
                                 "CUS-MY-77", "MY"})
              .ok());
  c.Move("SEC-1", "rec-1", "sep-1");
  c.Move("IMP-1", "imp-1", "sep-1");
  Transformed t;
  t.inputs = {{"SEC-1", 50000, std::nullopt}, {"IMP-1", 100000, std::nullopt}};
  t.outputs = {MakeLot("OX-1", MaterialClass::kSeparatedOxide, 20000, {{Element::kNd, 20000}})};
  t.declared_loss_g = 130000;
  REQUIRE(c.Do("sep-1", t).ok());
  auto v = c.ledger().VerifyLot("OX-1");
  REQUIRE(v.ok());
  for (const auto& f : v->findings) UNSCOPED_INFO(f.code << ": " << f.message);
  CHECK(v->valid);
  REQUIRE(v->origins.size() == 2);
  std::set<std::string> kinds;
  for (const auto& o : v->origins) kinds.insert(o.kind);
  CHECK(kinds == std::set<std::string>{"recycled", "imported"});
  // A recycler cannot declare an ore extraction.
  CHECK_FALSE(c.Do("rec-1", Extracted{OreWithNd("ORE-R", 10), "pit"}).ok());
}

TEST_CASE("The five-stage chain is valid under the default policy with quotas", "[policy]") {
  TestChain c;
  FiveStage::Build(c);
  auto v = c.ledger().VerifyLot("MAG-1");
  REQUIRE(v.ok());
  CHECK(v->valid);
  CHECK(v->non_compliant_share_ppm == 0);
  CHECK(v->origins[0].kind == "mine");
  CHECK(v->origins[0].compliant);
}

}  // namespace
}  // namespace retrace
