// Verification across ledgers: from any lot, through the stored upstream
// bundles, back to the mines; and one bundle that carries them all, for an
// offline verifier (retrace/federation.h, docs/federation.md).
#include <lmdb.h>

#include <catch2/catch.hpp>

#include "federation/federation_fixture.h"
#include "retrace/federation.h"
#include "testing/lmdb_poke.h"

namespace retrace {
namespace {

using testing::Federation;
using testing::HasCode;
using testing::Size;
using testing::ThreeLedgers;
using testing::MakeLot;

WitnessPolicy BothWitnesses(Federation& f) {
  return WitnessPolicy{{f.witness(0).verifier(), f.witness(1).verifier()}, 2};
}

TEST_CASE("Verify from the last lot walks back through every ledger to the mine",
          "[federation]") {
  Federation f;
  ThreeLedgers::Build(f);
  auto v = VerifyLotAcrossLedgers(f.ledger("mag-ledger"), "MAG-1");
  REQUIRE(v.ok());
  INFO((v->findings.empty() ? std::string() : v->findings[0].message));
  CHECK(v->valid);
  REQUIRE(v->origins.size() == 1);
  const OriginShare& o = v->origins[0];
  CHECK(o.origin_lot == "ORE-1");
  CHECK(o.kind == "mine");
  CHECK(o.actor_id == "mine-1");
  CHECK(o.ledger == "mine-ledger");
  CHECK(o.compliant);
  CHECK(o.share_ppm == 1000000);
  CHECK(v->non_compliant_share_ppm == 0);
  REQUIRE(v->ledgers_crossed.size() == 2);
  CHECK(v->ledgers_crossed[0].origin == "sep-ledger");
  CHECK(v->ledgers_crossed[0].received_in == "mag-ledger");
  CHECK(v->ledgers_crossed[0].lot_id == "NDPR-1");
  CHECK(v->ledgers_crossed[0].witnesses.size() == 2);
  CHECK(v->ledgers_crossed[1].origin == "mine-ledger");
  CHECK(v->ledgers_crossed[1].received_in == "sep-ledger");
  CHECK(v->ledgers_crossed[1].lot_id == "ORE-1");
  // A lineage within one ledger is what VerifyLot says.
  auto local = VerifyLotAcrossLedgers(f.ledger("mine-ledger"), "ORE-1");
  REQUIRE(local.ok());
  CHECK(local->valid);
  CHECK(local->ledgers_crossed.empty());
  // The JSON form lists the crossings.
  const std::string json = VerifyReportToJson(*v);
  CHECK(json.find("\"ledgers_crossed\"") != std::string::npos);
  CHECK(json.find("\"ledger\": \"mine-ledger\"") != std::string::npos);
}

TEST_CASE("One bundle from the last ledger verifies offline across all three", "[federation]") {
  Federation f;
  ThreeLedgers::Build(f);
  f.Publish("mag-ledger");
  auto bundle = ProveLineage(f.ledger("mag-ledger"), "MAG-1");
  REQUIRE(bundle.ok());
  // Only the regulator's key, the last ledger's log key and the witnesses:
  // the upstream logs' keys come from the signed policies in the bundles.
  auto r = VerifyBundle(*bundle, f.root().public_key(), f.log("mag-ledger").verifier(),
                        BothWitnesses(f));
  REQUIRE(r.ok());
  INFO((r->findings.empty() ? std::string() : r->findings[0].message));
  CHECK(r->valid);
  REQUIRE(r->lineage.origins.size() == 1);
  CHECK(r->lineage.origins[0].origin_lot == "ORE-1");
  CHECK(r->lineage.origins[0].ledger == "mine-ledger");
  CHECK(r->lineage.ledgers_crossed.size() == 2);
  // The nested bundle is the sep-ledger's, byte for byte as stored.
  auto lot = f.ledger("mag-ledger").LotRecords("NDPR-1");
  REQUIRE(lot.ok());
  auto ev = DecodeEvent(lot->front().event_bytes);
  REQUIRE(ev.ok());
  auto stored =
      StoredForeignBundle(f.ledger("mag-ledger"), std::get<Received>(ev->body).origin->bundle_sha256);
  REQUIRE(stored.ok());
  CHECK(bundle->find(*stored) != std::string::npos);

  // One byte of the nested mine bundle changed: the receipt's hash no
  // longer names a carried bundle.
  std::string bad = *bundle;
  const std::size_t at = bad.find("pit 3");
  REQUIRE(at != std::string::npos);
  bad[at] = 'P';
  auto r2 = VerifyBundle(bad, f.root().public_key(), f.log("mag-ledger").verifier(),
                         BothWitnesses(f));
  if (r2.ok()) {  // or it is no longer a bundle at all
    CHECK(!r2->valid);
    CHECK(HasCode(r2->findings, finding::kForeignBundleMissing));
  }
  // The single-ledger bundle of a lot that never crossed is unchanged in
  // form: no foreign bundles.
  f.Publish("mine-ledger");
  REQUIRE(f.Do("mine-ledger", "mine-1", Extracted{ThreeLedgers::Ore("ORE-7"), "pit 3"}).ok());
  f.Publish("mine-ledger");
  auto plain = ProveLineage(f.ledger("mine-ledger"), "ORE-7");
  REQUIRE(plain.ok());
  auto r3 = VerifyBundle(*plain, f.root().public_key(), f.log("mine-ledger").verifier(),
                         BothWitnesses(f));
  REQUIRE(r3.ok());
  CHECK(r3->valid);
  CHECK(r3->lineage.ledgers_crossed.empty());
}

TEST_CASE("An over-quota mine three ledgers upstream keeps its non-compliant share",
          "[federation]") {
  // mine-ledger -> sep-ledger -> smelt-ledger -> mag-ledger: the magnet is
  // verified three ledger crossings below the mine.
  Federation f;
  Options flag;
  flag.regulatory_violations = RegulatoryMode::kRecordAndFlag;
  f.AddLedger("mine-ledger", flag);
  f.AddLedger("sep-ledger");
  f.AddLedger("smelt-ledger");
  f.AddLedger("mag-ledger");
  f.Register("mine-ledger", "mine-1", Role::kMine, 1000);  // 1 kg REO: far too little
  f.Register("mine-ledger", "mine-2", Role::kMine);
  f.Register("sep-ledger", "sep-1", Role::kSeparator);
  f.Register("smelt-ledger", "smelt-1", Role::kSmelter);
  f.Register("mag-ledger", "mag-1", Role::kMagnetMaker);
  f.Trust("sep-ledger", {f.TrustEntry("mine-ledger")});
  f.Trust("smelt-ledger", {f.TrustEntry("sep-ledger")});
  f.Trust("mag-ledger", {f.TrustEntry("smelt-ledger")});
  auto over = f.Do("mine-ledger", "mine-1", Extracted{ThreeLedgers::Ore("ORE-1"), "pit 3"});
  REQUIRE(over.ok());
  REQUIRE(HasCode(over->flagged, finding::kQuotaExceeded));
  REQUIRE(f.Do("mine-ledger", "mine-2", Extracted{ThreeLedgers::Ore("ORE-2"), "pit 9"}).ok());
  for (const char* lot : {"ORE-1", "ORE-2"}) {
    const std::string mine = std::string(lot) == "ORE-1" ? "mine-1" : "mine-2";
    REQUIRE(f.Do("mine-ledger", mine, Shipped{lot, std::nullopt, "sep-1", 1000000, "sep-ledger"})
                .ok());
  }
  f.Publish("mine-ledger");
  // The flagged lineage travels: its bundle is built and accepted, its
  // finding reported.
  REQUIRE(f.Hand("mine-ledger", "ORE-1", "sep-ledger").ok());
  REQUIRE(f.Hand("mine-ledger", "ORE-2", "sep-ledger").ok());
  Transformed sep;
  sep.inputs = {{"ORE-1", 1000000, std::nullopt}, {"ORE-2", 1000000, std::nullopt}};
  sep.outputs = {MakeLot("NDPR-1", MaterialClass::kSeparatedOxide, 140000,
                         {{Element::kNd, 90000}, {Element::kPr, 26000}})};
  sep.declared_loss_g = 2000000 - 140000;
  // `t` by `actor` in ledger `in`, its one output shipped to `to` in
  // ledger `into` and handed over with its bundle.
  auto make_and_hand = [&](const std::string& in, const std::string& actor, const Transformed& t,
                           const std::string& to, const std::string& into) {
    REQUIRE(f.Do(in, actor, t).ok());
    const Lot& out = t.outputs.front();
    REQUIRE(f.Do(in, actor, Shipped{out.lot_id, std::nullopt, to, out.mass_g, into}).ok());
    f.Publish(in);
    REQUIRE(f.Hand(in, out.lot_id, into).ok());
  };
  make_and_hand("sep-ledger", "sep-1", sep, "smelt-1", "smelt-ledger");
  Transformed smelt;
  smelt.inputs = {{"NDPR-1", 140000, std::nullopt}};
  smelt.outputs = {MakeLot("ALLOY-1", MaterialClass::kMetalAlloy, 120000,
                           {{Element::kNd, 88000}, {Element::kPr, 25000}})};
  smelt.declared_loss_g = 20000;
  make_and_hand("smelt-ledger", "smelt-1", smelt, "mag-1", "mag-ledger");
  Transformed mag;
  mag.inputs = {{"ALLOY-1", 120000, std::nullopt}};
  mag.additives = {{"iron", 50000}, {"boron", 2000}};
  mag.outputs = {MakeLot("MAG-1", MaterialClass::kMagnet, 170000,
                         {{Element::kNd, 87000}, {Element::kPr, 24500}})};
  mag.declared_loss_g = 120000 + 52000 - 170000;
  REQUIRE(f.Do("mag-ledger", "mag-1", mag).ok());

  auto check = [](const VerifyReport& v) {
    CHECK(!v.valid);
    CHECK(HasCode(v.findings, finding::kQuotaExceeded));
    REQUIRE(v.origins.size() == 2);
    const OriginShare* bad = nullptr;
    for (const auto& o : v.origins) {
      if (o.origin_lot == "ORE-1") bad = &o;
    }
    REQUIRE(bad != nullptr);
    CHECK(!bad->compliant);
    CHECK(bad->ledger == "mine-ledger");
    CHECK(bad->share_ppm == 500000);
    CHECK(v.non_compliant_share_ppm == 500000);
    REQUIRE(v.ledgers_crossed.size() == 4);  // ALLOY-1, NDPR-1, ORE-1, ORE-2
    CHECK(v.ledgers_crossed[0].origin == "smelt-ledger");
    CHECK(v.ledgers_crossed[1].origin == "sep-ledger");
    CHECK(v.ledgers_crossed[2].origin == "mine-ledger");
    CHECK(v.ledgers_crossed[3].origin == "mine-ledger");
  };
  auto v = VerifyLotAcrossLedgers(f.ledger("mag-ledger"), "MAG-1");
  REQUIRE(v.ok());
  INFO(VerifyReportToJson(*v));
  check(*v);
  // The same verdict offline, from one bundle of the last ledger.
  f.Publish("mag-ledger");
  auto bundle = ProveLineage(f.ledger("mag-ledger"), "MAG-1");
  REQUIRE(bundle.ok());
  auto r = VerifyBundle(*bundle, f.root().public_key(), f.log("mag-ledger").verifier(),
                        BothWitnesses(f));
  REQUIRE(r.ok());
  check(r->lineage);
  CHECK(!r->valid);
  CHECK(HasCode(r->findings, finding::kQuotaExceeded));
}

TEST_CASE("A stored bundle altered on disk is a finding of cross-ledger verification",
          "[federation]") {
  Federation f;
  ThreeLedgers::Build(f);
  auto lot = f.ledger("mag-ledger").LotRecords("NDPR-1");
  REQUIRE(lot.ok());
  auto ev = DecodeEvent(lot->front().event_bytes);
  REQUIRE(ev.ok());
  const Hash sha = std::get<Received>(ev->body).origin->bundle_sha256;
  f.Close("mag-ledger");
  testing::WithTable(f.path("mag-ledger"), "foreign_bundles", [&](MDB_txn* txn, MDB_dbi dbi) {
    const std::string k = HashBytes(sha);
    MDB_val key = testing::ValOf(k), val;
    REQUIRE(mdb_get(txn, dbi, &key, &val) == 0);
    std::string bytes(static_cast<char*>(val.mv_data), val.mv_size);
    bytes[bytes.size() - 1] ^= 0x01;
    MDB_val nv = testing::ValOf(bytes);
    REQUIRE(mdb_put(txn, dbi, &key, &nv, 0) == 0);
  });
  f.Reopen("mag-ledger");
  auto v = VerifyLotAcrossLedgers(f.ledger("mag-ledger"), "MAG-1");
  REQUIRE(v.ok());
  CHECK(!v->valid);
  CHECK(HasCode(v->findings, finding::kForeignBundleAltered));
  // The full audit finds it once (the re-judging of receipts leaves an
  // altered bundle to the audit's own check).
  auto a = AuditAcrossLedgers(f.ledger("mag-ledger"));
  REQUIRE(a.ok());
  CHECK(!a->valid);
  REQUIRE(a->findings.size() == 1);
  CHECK(a->findings[0].code == finding::kForeignBundleAltered);
  CHECK(a->bundles_verified == 0);
  // No bundle is built on an altered one.
  f.Publish("mag-ledger");
  CHECK(!ProveLineage(f.ledger("mag-ledger"), "MAG-1").ok());
}

TEST_CASE("The full audit judges every stored receipt's bundle again, as verify and the append do",
          "[federation]") {
  Federation f;
  f.AddLedger("mine-ledger");
  f.AddLedger("sep-ledger");
  f.Register("mine-ledger", "mine-1", Role::kMine);
  f.Register("sep-ledger", "sep-1", Role::kSeparator);
  // sep-ledger's trust in mine-ledger is recorded by a second regulator,
  // whose key is later found to have been stolen right after its
  // registration: the policy it signed is void, and so is the trust the
  // receipt was judged under.
  f.Register("sep-ledger", "reg-2", Role::kRegulator);
  const std::uint64_t stolen_from = Size(f.ledger("sep-ledger"));
  TrustedLog mine = f.TrustEntry("mine-ledger");
  PolicySet p = DefaultPolicy();
  p.name = "federated by reg-2";
  p.trusted_logs = {mine};
  REQUIRE(f.Do("sep-ledger", "reg-2", p).ok());
  ThreeLedgers::Mine(f);
  f.Publish("mine-ledger");
  auto received = f.Hand("mine-ledger", "ORE-1", "sep-ledger");
  REQUIRE(received.ok());
  const std::uint64_t receipt = received->seq;

  auto a = AuditAcrossLedgers(f.ledger("sep-ledger"));
  REQUIRE(a.ok());
  INFO((a->findings.empty() ? std::string() : a->findings[0].message));
  CHECK(a->valid);
  CHECK(a->cross_ledger_receipts == std::vector<std::uint64_t>{receipt});
  CHECK(a->bundles_verified == 1);
  // The ledger's own audit re-hashes the bundle but does not verify it; the
  // integrity scope and an audit without signatures verify no bundle.
  auto own = f.ledger("sep-ledger").Audit();
  REQUIRE(own.ok());
  CHECK(own->bundles_verified == 0);
  CHECK(own->cross_ledger_receipts == std::vector<std::uint64_t>{receipt});
  AuditOptions integrity;
  integrity.scope = AuditScope::kIntegrity;
  auto scrub = AuditAcrossLedgers(f.ledger("sep-ledger"), integrity);
  REQUIRE(scrub.ok());
  CHECK(scrub->valid);
  CHECK(scrub->bundles_verified == 0);

  const std::string reg2 = f.key("reg-2").public_key().KeyId();
  REQUIRE(f.As("sep-ledger", "regulator", f.root(), KeyRevoked{reg2, stolen_from, "stolen"}).ok());
  auto after = AuditAcrossLedgers(f.ledger("sep-ledger"));
  REQUIRE(after.ok());
  CHECK(!after->valid);
  CHECK(HasCode(after->findings, finding::kKeyRevoked));  // the void policy record
  bool judged = false;
  for (const Finding& x : after->findings) {
    if (x.code != finding::kForeignBundleInvalid) continue;
    CHECK(x.seq == receipt);
    CHECK(x.lot_id == "ORE-1");
    CHECK(x.message.find("names no trusted log") != std::string::npos);
    judged = true;
  }
  CHECK(judged);
  auto own_after = f.ledger("sep-ledger").Audit();
  REQUIRE(own_after.ok());
  CHECK(!HasCode(own_after->findings, finding::kForeignBundleInvalid));
  // Verify from the lot reaches the same verdict on the receipt.
  auto v = VerifyLotAcrossLedgers(f.ledger("sep-ledger"), "ORE-1");
  REQUIRE(v.ok());
  CHECK(HasCode(v->findings, finding::kForeignBundleInvalid));
}

TEST_CASE("A lineage re-crossing into a ledger it came from: each bundle stored and verified once",
          "[federation]") {
  Federation f;
  f.AddLedger("mine-ledger");
  f.AddLedger("sep-ledger");
  f.AddLedger("mag-ledger");
  f.Register("mine-ledger", "mine-1", Role::kMine);
  f.Register("sep-ledger", "sep-1", Role::kSeparator);
  f.Register("mag-ledger", "smelt-1", Role::kSmelter);
  f.Trust("sep-ledger", {f.TrustEntry("mine-ledger"), f.TrustEntry("mag-ledger")});
  f.Trust("mag-ledger", {f.TrustEntry("mine-ledger"), f.TrustEntry("sep-ledger")});
  ThreeLedgers::Mine(f);
  f.Publish("mine-ledger");
  REQUIRE(f.Hand("mine-ledger", "ORE-1", "sep-ledger").ok());
  ThreeLedgers::Separate(f);  // NDPR-1 to smelt-1 of mag-ledger
  f.Publish("sep-ledger");
  REQUIRE(f.Hand("sep-ledger", "NDPR-1", "mag-ledger").ok());
  // The alloy comes back to the separator's ledger, its lineage through it.
  ThreeLedgers::Smelt(f);
  REQUIRE(f.Do("mag-ledger", "smelt-1",
               Shipped{"ALLOY-1", std::nullopt, "sep-1", 60000, "sep-ledger"}).ok());
  f.Publish("mag-ledger");
  REQUIRE(f.Hand("mag-ledger", "ALLOY-1", "sep-ledger").ok());

  auto v = VerifyLotAcrossLedgers(f.ledger("sep-ledger"), "ALLOY-1");
  REQUIRE(v.ok());
  INFO((v->findings.empty() ? std::string() : v->findings[0].message));
  CHECK(v->valid);
  REQUIRE(v->origins.size() == 1);
  CHECK(v->origins[0].origin_lot == "ORE-1");
  CHECK(v->origins[0].ledger == "mine-ledger");
  std::vector<std::string> crossed;
  for (const LedgerCrossing& c : v->ledgers_crossed) crossed.push_back(c.origin);
  CHECK(crossed == std::vector<std::string>{"mag-ledger", "sep-ledger", "mine-ledger"});

  // The mine's bundle is held once, as the first receipt stored it; the
  // alloy's bundle carries it nested (inside the separator's own bundle
  // for NDPR-1), and the audit verifies it once for both receipts: three
  // distinct bundles for two receipts.
  auto ore = f.ledger("sep-ledger").LotRecords("ORE-1");
  REQUIRE(ore.ok());
  auto first = DecodeEvent(ore->front().event_bytes);
  REQUIRE(first.ok());
  const Hash mine_sha = std::get<Received>(first->body).origin->bundle_sha256;
  auto mine_bundle = StoredForeignBundle(f.ledger("sep-ledger"), mine_sha);
  REQUIRE(mine_bundle.ok());
  auto a = AuditAcrossLedgers(f.ledger("sep-ledger"));
  REQUIRE(a.ok());
  CHECK(a->valid);
  CHECK(a->cross_ledger_receipts.size() == 2);
  CHECK(a->bundles_verified == 3);

  // And offline, from one bundle of the separator's ledger.
  f.Publish("sep-ledger");
  auto bundle = ProveLineage(f.ledger("sep-ledger"), "ALLOY-1");
  REQUIRE(bundle.ok());
  CHECK(bundle->find(*mine_bundle) != std::string::npos);
  auto r = VerifyBundle(*bundle, f.root().public_key(), f.log("sep-ledger").verifier(),
                        BothWitnesses(f));
  REQUIRE(r.ok());
  CHECK(r->valid);
  CHECK(r->lineage.ledgers_crossed.size() == 3);
}

TEST_CASE("Customs verifies a bundle with only the regulator's key: the log key is the one the "
          "bundle's own regulator-signed policy names",
          "[federation][bundle]") {
  Federation f;
  ThreeLedgers::Build(f);
  // Without a policy entry for itself, the last ledger's bundle names no
  // log key: the verifier must be given one.
  f.Publish("mag-ledger");
  auto unnamed = ProveLineage(f.ledger("mag-ledger"), "MAG-1");
  REQUIRE(unnamed.ok());
  auto none = VerifyBundle(*unnamed, f.root().public_key(), WitnessPolicy{});
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().code() == StatusCode::kFailedPrecondition);
  CHECK(none.status().message().find("names no trusted log \"mag-ledger\"") != std::string::npos);

  // The regulator names the ledger's own log (as a registry's policy names
  // every enterprise's): the key and witnesses come from the bundle.
  f.Trust("mag-ledger", {f.TrustEntry("mine-ledger"), f.TrustEntry("sep-ledger"),
                         f.TrustEntry("mag-ledger")});
  f.Publish("mag-ledger");
  auto bundle = ProveLineage(f.ledger("mag-ledger"), "MAG-1");
  REQUIRE(bundle.ok());
  auto keys = BundleLogKeyFromPolicy(*bundle, f.root().public_key());
  INFO((keys.ok() ? std::string() : keys.status().ToString()));
  REQUIRE(keys.ok());
  CHECK(keys->log_key.ToString() == f.log("mag-ledger").verifier().ToString());
  CHECK(keys->witnesses.quorum == 2);
  auto r = VerifyBundle(*bundle, f.root().public_key(), WitnessPolicy{});
  REQUIRE(r.ok());
  INFO(BundleReportToJson(*r));
  CHECK(r->valid);
  CHECK(r->checkpoint_verified);
  CHECK(r->quorum_met);
  CHECK(r->lineage.ledgers_crossed.size() == 2);

  // Another root key: its policy is not the regulator's.
  auto other = Signer::Generate(Algorithm::kEd25519);
  REQUIRE(other.ok());
  auto foreign = VerifyBundle(*bundle, (*other)->public_key(), WitnessPolicy{});
  REQUIRE_FALSE(foreign.ok());
  CHECK(foreign.status().code() == StatusCode::kFailedPrecondition);

  // A checkpoint (of a larger tree) signed by another key of the same
  // name: the key the policy names does not verify it.
  const std::vector<TrustedLog> same = {f.TrustEntry("mine-ledger"), f.TrustEntry("sep-ledger"),
                                        f.TrustEntry("mag-ledger")};
  f.Trust("mag-ledger", same);
  auto forger = NoteSigner::Generate("mag-ledger", NoteKeyType::kEd25519);
  REQUIRE(forger.ok());
  auto forged_note = f.ledger("mag-ledger").SignCheckpoint(**forger);
  REQUIRE(forged_note.ok());
  auto forged = ProveLineage(f.ledger("mag-ledger"), "MAG-1");
  REQUIRE(forged.ok());
  auto fr = VerifyBundle(*forged, f.root().public_key(), WitnessPolicy{});
  REQUIRE(fr.ok());
  CHECK(!fr->valid);
  CHECK(HasCode(fr->findings, finding::kCheckpointSignatureInvalid));

  // One cosignature where the policy asks for two: quorum not met.
  f.Trust("mag-ledger", same);
  f.Publish("mag-ledger", 1);
  auto thin = ProveLineage(f.ledger("mag-ledger"), "MAG-1");
  REQUIRE(thin.ok());
  auto tr = VerifyBundle(*thin, f.root().public_key(), WitnessPolicy{});
  REQUIRE(tr.ok());
  CHECK(!tr->valid);
  CHECK(HasCode(tr->findings, finding::kWitnessQuorumNotMet));
}

}  // namespace
}  // namespace retrace
