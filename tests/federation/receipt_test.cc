// Cross-ledger receipts: a lot crosses ledgers only with a bundle that
// proves its lineage and its shipment to the receiving ledger
// (retrace/federation.h, docs/federation.md).
#include <lmdb.h>

#include <catch2/catch.hpp>
#include <set>

#include "federation/federation_fixture.h"
#include "retrace/federation.h"
#include "testing/lmdb_poke.h"

namespace retrace {
namespace {

using testing::Federation;
using testing::HasCode;
using testing::Size;
using testing::ThreeLedgers;

TEST_CASE("A lot crosses three ledgers with its proven lineage", "[federation]") {
  Federation f;
  ThreeLedgers::Build(f);

  // In the separator's ledger the ore arrived whole, held by sep-1, and was
  // separated; in the magnet ledger NDPR-1 arrived held by smelt-1.
  auto ore = f.ledger("sep-ledger").GetLot("ORE-1");
  REQUIRE(ore.ok());
  CHECK(ore->lot.mass_g == 1000000);
  CHECK(ore->status == "consumed");
  auto ndpr = f.ledger("mag-ledger").GetLot("NDPR-1");
  REQUIRE(ndpr.ok());
  CHECK(ndpr->lot.mass_g == 70000);
  CHECK(ndpr->lot.material == MaterialClass::kSeparatedOxide);
  CHECK(ndpr->custodian == "smelt-1");

  // Each ledger's own verification of the magnet lot ends at the ledger
  // boundary, at an origin of kind cross_ledger, and is valid.
  auto v = f.ledger("mag-ledger").VerifyLot("MAG-1", VerifyOptions());
  REQUIRE(v.ok());
  CHECK(v->valid);
  REQUIRE(v->origins.size() == 1);
  CHECK(v->origins[0].kind == "cross_ledger");
  CHECK(v->origins[0].site == "sep-ledger");

  // Each ledger holds the sender's checkpoint and bundle; audits are clean.
  auto held = LatestForeignCheckpoint(f.ledger("mag-ledger"), "sep-ledger");
  REQUIRE(held.ok());
  REQUIRE(held->has_value());
  CHECK((*held)->size == Size(f.ledger("sep-ledger")));
  for (const char* name : {"mine-ledger", "sep-ledger", "mag-ledger"}) {
    for (AuditScope scope : {AuditScope::kFull, AuditScope::kIntegrity}) {
      AuditOptions o;
      o.scope = scope;
      auto a = f.ledger(name).Audit(o);
      REQUIRE(a.ok());
      INFO(name << (a->findings.empty() ? std::string() : ": " + a->findings[0].message));
      CHECK(a->valid);
    }
  }
}

TEST_CASE("A cross-ledger receipt survives reopening and is read back whole", "[federation]") {
  Federation f;
  ThreeLedgers::Build(f);
  auto lot = f.ledger("sep-ledger").LotRecords("ORE-1");
  REQUIRE(lot.ok());
  REQUIRE(!lot->empty());
  auto ev = DecodeEvent(lot->front().event_bytes);
  REQUIRE(ev.ok());
  const auto* r = std::get_if<Received>(&ev->body);
  REQUIRE(r != nullptr);
  REQUIRE(r->origin.has_value());
  CHECK(r->origin->log_origin == "mine-ledger");
  CHECK(r->origin->lot.content.size() == 3);
  f.Close("sep-ledger");
  f.Reopen("sep-ledger");
  auto bundle = StoredForeignBundle(f.ledger("sep-ledger"), r->origin->bundle_sha256);
  REQUIRE(bundle.ok());
  CHECK(Sha256(*bundle) == r->origin->bundle_sha256);
  auto json = EventToJson(*ev);
  REQUIRE(json.ok());
  auto back = EventFromJson(*json);
  REQUIRE(back.ok());
  CHECK(EncodeEvent(*back).value() == lot->front().event_bytes);
}

TEST_CASE("A cross-ledger receipt is appended only with its bundle", "[federation]") {
  Federation f;
  auto bundle = ThreeLedgers::ShippedOre(f);
  auto receipt = f.ReceiptFor("mine-ledger", "sep-ledger", *bundle);
  REQUIRE(receipt.ok());
  const std::uint64_t before = Size(f.ledger("sep-ledger"));
  auto plain = f.ledger("sep-ledger").Append(receipt->receipt);
  REQUIRE(!plain.ok());
  CHECK(plain.status().code() == StatusCode::kFailedPrecondition);
  CHECK(Size(f.ledger("sep-ledger")) == before);
  auto batch = f.ledger("sep-ledger").AppendBatch({receipt->receipt});
  CHECK(!batch.ok());
  CHECK(Size(f.ledger("sep-ledger")) == before);
  // A non-receipt through the cross-ledger path is refused too.
  CrossLedgerReceipt wrong = *receipt;
  Event ship = f.MakeEvent("sep-1", Shipped{"X", Hash{}, "sep-2", 1});
  REQUIRE(f.ledger("sep-ledger").LinkParents(&ship).ok());
  auto ext = SignEvent(ship, f.key("sep-1"));
  REQUIRE(ext.ok());
  wrong.receipt = *ext;
  CHECK(!AppendCrossLedgerReceipt(f.ledger("sep-ledger"), wrong).ok());
  CHECK(Size(f.ledger("sep-ledger")) == before);
  // The real one goes in; a replay of it does not.
  REQUIRE(AppendCrossLedgerReceipt(f.ledger("sep-ledger"), *receipt).ok());
  CHECK(Size(f.ledger("sep-ledger")) == before + 1);
  CHECK(!AppendCrossLedgerReceipt(f.ledger("sep-ledger"), *receipt).ok());
  auto again = f.ReceiptFor("mine-ledger", "sep-ledger", *bundle);
  REQUIRE(again.ok());
  auto replay = AppendCrossLedgerReceipt(f.ledger("sep-ledger"), *again);
  REQUIRE(!replay.ok());
  CHECK(replay.status().message().find("already exists") != std::string::npos);
  CHECK(Size(f.ledger("sep-ledger")) == before + 1);
}

TEST_CASE("A forged or truncated upstream bundle is refused, the ledger unchanged",
          "[federation]") {
  Federation f;
  auto bundle = ThreeLedgers::ShippedOre(f);
  auto good = f.ReceiptFor("mine-ledger", "sep-ledger", *bundle);
  REQUIRE(good.ok());
  const std::uint64_t before = Size(f.ledger("sep-ledger"));

  // Truncated: not the bundle the receipt commits to, and not a bundle.
  CrossLedgerReceipt cut = *good;
  cut.bundle.resize(cut.bundle.size() / 2);
  auto r1 = AppendCrossLedgerReceipt(f.ledger("sep-ledger"), cut);
  REQUIRE(!r1.ok());
  CHECK(r1.status().code() == StatusCode::kVerificationFailed);
  CHECK(!PrepareCrossLedgerReceipt(f.ledger("sep-ledger"), cut.bundle).ok());

  // Forged: one byte of the extraction record changed, and a receipt that
  // commits to the forged bytes, signed by the consignee.
  std::string forged = *bundle;
  const std::size_t at = forged.find("pit 3");
  REQUIRE(at != std::string::npos);
  forged[at] = 'P';
  auto ev = DecodeEvent(good->receipt.event_bytes);
  REQUIRE(ev.ok());
  std::get<Received>(ev->body).origin->bundle_sha256 = Sha256(forged);
  auto se = SignEvent(*ev, f.key("sep-1"));
  REQUIRE(se.ok());
  auto r2 = AppendCrossLedgerReceipt(f.ledger("sep-ledger"),
                                     CrossLedgerReceipt{*se, forged, {}});
  REQUIRE(!r2.ok());
  CHECK(r2.status().code() == StatusCode::kVerificationFailed);
  CHECK(r2.status().message().find("does not verify") != std::string::npos);
  CHECK(Size(f.ledger("sep-ledger")) == before);

  // A receipt that overstates the lot (more neodymium than was shipped).
  auto ev3 = DecodeEvent(good->receipt.event_bytes);
  REQUIRE(ev3.ok());
  std::get<Received>(ev3->body).origin->lot.content[0].grams += 1;
  auto se3 = SignEvent(*ev3, f.key("sep-1"));
  REQUIRE(se3.ok());
  auto r3 = AppendCrossLedgerReceipt(f.ledger("sep-ledger"),
                                     CrossLedgerReceipt{*se3, *bundle, {}});
  REQUIRE(!r3.ok());
  CHECK(r3.status().message().find("content") != std::string::npos);
  CHECK(Size(f.ledger("sep-ledger")) == before);
  REQUIRE(AppendCrossLedgerReceipt(f.ledger("sep-ledger"), *good).ok());
}

TEST_CASE("An upstream checkpoint below the witness quorum is refused", "[federation]") {
  Federation f;
  auto bundle = ThreeLedgers::ShippedOre(f, 1);  // one witness of the two the policy requires
  auto prepared = PrepareCrossLedgerReceipt(f.ledger("sep-ledger"), *bundle);
  REQUIRE(!prepared.ok());
  CHECK(prepared.status().message().find(finding::kWitnessQuorumNotMet) != std::string::npos);
  // A receipt made without the check is refused by the append.
  Event ev = f.MakeEvent("sep-1", Received{"ORE-1", std::nullopt, "mine-1", 1000000});
  {
    auto recs = f.ledger("mine-ledger").LotRecords("ORE-1");
    REQUIRE(recs.ok());
    CrossLedgerOrigin o;
    o.log_origin = "mine-ledger";
    o.shipped_seq = recs->back().seq;
    o.shipped_record_hash = recs->back().hash;
    o.bundle_sha256 = Sha256(*bundle);
    o.lot = ThreeLedgers::Ore("ORE-1");
    std::get<Received>(ev.body).origin = o;
  }
  REQUIRE(f.ledger("sep-ledger").LinkParents(&ev).ok());
  auto se = SignEvent(ev, f.key("sep-1"));
  REQUIRE(se.ok());
  const std::uint64_t before = Size(f.ledger("sep-ledger"));
  auto r = AppendCrossLedgerReceipt(f.ledger("sep-ledger"), CrossLedgerReceipt{*se, *bundle, {}});
  REQUIRE(!r.ok());
  CHECK(r.status().message().find(finding::kWitnessQuorumNotMet) != std::string::npos);
  CHECK(Size(f.ledger("sep-ledger")) == before);
  // The second witness cosigns: the same event now goes in.
  f.Publish("mine-ledger");
  auto bundle2 = ProveLineage(f.ledger("mine-ledger"), "ORE-1");
  REQUIRE(bundle2.ok());
  CHECK(f.Hand("mine-ledger", "ORE-1", "sep-ledger").ok());
}

TEST_CASE("An untrusted sender log is refused", "[federation]") {
  Federation f;
  // mag-ledger trusts mine-ledger, but nothing was shipped to it.
  auto bundle = ThreeLedgers::ShippedOre(f);
  auto to_mag = PrepareCrossLedgerReceipt(f.ledger("mag-ledger"), *bundle);
  REQUIRE(!to_mag.ok());
  CHECK(to_mag.status().message().find("not to this ledger") != std::string::npos);
  // A ledger whose policy names no trusted log refuses the sender.
  f.AddLedger("lone-ledger");
  auto lone = PrepareCrossLedgerReceipt(f.ledger("lone-ledger"), *bundle);
  REQUIRE(!lone.ok());
  CHECK(lone.status().code() == StatusCode::kFailedPrecondition);
}

TEST_CASE("A lot shipped to someone else is refused as a receipt", "[federation]") {
  Federation f;
  ThreeLedgers::Setup(f);
  ThreeLedgers::Mine(f);
  // ORE-2 goes to sep-2 of sep-ledger; ORE-3 stays in mine-ledger's own
  // custody chain (no consignee ledger).
  REQUIRE(f.Do("mine-ledger", "mine-1", Extracted{ThreeLedgers::Ore("ORE-2"), "pit 3"}).ok());
  REQUIRE(f.Do("mine-ledger", "mine-1",
               Shipped{"ORE-2", std::nullopt, "sep-2", 1000000, "sep-ledger"}).ok());
  f.Publish("mine-ledger");
  auto ore1 = ProveLineage(f.ledger("mine-ledger"), "ORE-1");
  auto ore2 = ProveLineage(f.ledger("mine-ledger"), "ORE-2");
  REQUIRE((ore1.ok() && ore2.ok()));
  // sep-1 presents ORE-2 (shipped to sep-2) as its own receipt.
  auto good = f.ReceiptFor("mine-ledger", "sep-ledger", *ore2);
  REQUIRE(good.ok());
  auto ev = DecodeEvent(good->receipt.event_bytes);
  REQUIRE(ev.ok());
  REQUIRE(ev->actor_id == "sep-2");
  ev->actor_id = "sep-1";
  auto se = SignEvent(*ev, f.key("sep-1"));
  REQUIRE(se.ok());
  const std::uint64_t before = Size(f.ledger("sep-ledger"));
  auto r = AppendCrossLedgerReceipt(f.ledger("sep-ledger"), CrossLedgerReceipt{*se, *ore2, {}});
  REQUIRE(!r.ok());
  CHECK(r.status().message().find("was shipped to sep-2, not to sep-1") != std::string::npos);
  // ORE-1's bundle presented for ORE-2's shipment record.
  auto ev2 = DecodeEvent(good->receipt.event_bytes);
  REQUIRE(ev2.ok());
  std::get<Received>(ev2->body).origin->bundle_sha256 = Sha256(*ore1);
  auto se2 = SignEvent(*ev2, f.key("sep-2"));
  REQUIRE(se2.ok());
  auto r2 = AppendCrossLedgerReceipt(f.ledger("sep-ledger"), CrossLedgerReceipt{*se2, *ore1, {}});
  REQUIRE(!r2.ok());
  CHECK(r2.status().code() == StatusCode::kVerificationFailed);
  CHECK(Size(f.ledger("sep-ledger")) == before);
  // The consignee itself receives it.
  CHECK(AppendCrossLedgerReceipt(f.ledger("sep-ledger"), *good).ok());
}

TEST_CASE("A sender checkpoint must be consistent with those the ledger holds", "[federation]") {
  Federation f;
  ThreeLedgers::Setup(f);
  ThreeLedgers::Mine(f);
  f.Publish("mine-ledger");
  REQUIRE(f.Hand("mine-ledger", "ORE-1", "sep-ledger").ok());
  // A second lot, under a larger checkpoint: a consistency proof is needed.
  REQUIRE(f.Do("mine-ledger", "mine-1", Extracted{ThreeLedgers::Ore("ORE-2"), "pit 3"}).ok());
  REQUIRE(f.Do("mine-ledger", "mine-1",
               Shipped{"ORE-2", std::nullopt, "sep-1", 1000000, "sep-ledger"}).ok());
  f.Publish("mine-ledger");
  auto bundle = ProveLineage(f.ledger("mine-ledger"), "ORE-2");
  REQUIRE(bundle.ok());
  auto receipt = f.ReceiptFor("mine-ledger", "sep-ledger", *bundle);
  REQUIRE(receipt.ok());
  REQUIRE(!receipt->consistency_proof.empty());
  const std::uint64_t before = Size(f.ledger("sep-ledger"));
  CrossLedgerReceipt no_proof = *receipt;
  no_proof.consistency_proof.clear();
  auto r1 = AppendCrossLedgerReceipt(f.ledger("sep-ledger"), no_proof);
  REQUIRE(!r1.ok());
  CHECK(r1.status().message().find("consistent") != std::string::npos);
  CrossLedgerReceipt bad_proof = *receipt;
  bad_proof.consistency_proof.back()[0] ^= 1;
  CHECK(!AppendCrossLedgerReceipt(f.ledger("sep-ledger"), bad_proof).ok());
  CHECK(Size(f.ledger("sep-ledger")) == before);
  REQUIRE(AppendCrossLedgerReceipt(f.ledger("sep-ledger"), *receipt).ok());
  auto held = LatestForeignCheckpoint(f.ledger("sep-ledger"), "mine-ledger");
  REQUIRE(held.ok());
  CHECK((*held)->size == Size(f.ledger("mine-ledger")));
}

TEST_CASE("A forked sender is caught by the checkpoints a ledger holds", "[federation]") {
  // Two ledgers with the same name, genesis and log key, whose histories
  // differ from record 3 on: the same log, forked. Witnesses that follow
  // the real one refuse the fork; with a policy that needs no witness, the
  // receiving ledger itself refuses the second view.
  Federation f;
  ThreeLedgers::Setup(f);
  // sep-ledger trusts mine-ledger with no witness quorum.
  f.Trust("sep-ledger", {f.TrustEntry("mine-ledger", 0)});
  ThreeLedgers::Mine(f);
  f.Publish("mine-ledger", 0);
  REQUIRE(f.Hand("mine-ledger", "ORE-1", "sep-ledger").ok());

  // The fork: a copy of the mine ledger's directory as it was before the
  // shipment cannot be made after the fact, so copy it now and write other
  // records into each copy at the same positions.
  auto fork = f.Fork("mine-ledger");
  // Real: ORE-2 to sep-1. Fork: ORE-9 to sep-1, at the same positions.
  REQUIRE(f.Do("mine-ledger", "mine-1", Extracted{ThreeLedgers::Ore("ORE-2"), "pit 3"}).ok());
  REQUIRE(f.Do("mine-ledger", "mine-1",
               Shipped{"ORE-2", std::nullopt, "sep-1", 1000000, "sep-ledger"}).ok());
  f.Publish("mine-ledger", 0);
  REQUIRE(f.Hand("mine-ledger", "ORE-2", "sep-ledger").ok());
  for (EventBody body : {EventBody(Extracted{ThreeLedgers::Ore("ORE-9"), "pit 3"}),
                         EventBody(Shipped{"ORE-9", std::nullopt, "sep-1", 1000000, "sep-ledger"})}) {
    REQUIRE(f.DoIn(*fork, "mine-1", body).ok());
  }
  REQUIRE(fork->SignCheckpoint(f.log("mine-ledger")).ok());
  auto forked = ProveLineage(*fork, "ORE-9");
  REQUIRE(forked.ok());
  // The fork's checkpoint has the real one's size and another root.
  auto ev = PrepareCrossLedgerReceipt(f.ledger("sep-ledger"), *forked);
  REQUIRE(ev.ok());
  auto se = SignEvent(*ev, f.key("sep-1"));
  REQUIRE(se.ok());
  const std::uint64_t before = Size(f.ledger("sep-ledger"));
  auto r = AppendCrossLedgerReceipt(f.ledger("sep-ledger"), CrossLedgerReceipt{*se, *forked, {}});
  REQUIRE(!r.ok());
  CHECK(r.status().message().find("split view") != std::string::npos);
  CHECK(Size(f.ledger("sep-ledger")) == before);
  // A witness that cosigned the real checkpoint refuses the fork's.
  WitnessState w;
  REQUIRE(w.AddLog("mine-ledger", f.log("mine-ledger").verifier()).ok());
  auto real = f.ledger("mine-ledger").LatestCheckpoint();
  REQUIRE(real.ok());
  REQUIRE(WitnessAddCheckpoint(&w, f.witness(0), AddCheckpointRequest{0, {}, *real}, 1).ok());
  auto fake = fork->LatestCheckpoint();
  REQUIRE(fake.ok());
  auto cp = ParseSignedCheckpoint(*fake);
  REQUIRE(cp.ok());
  CHECK(!WitnessAddCheckpoint(&w, f.witness(0), AddCheckpointRequest{cp->size, {}, *fake}, 2).ok());
}

TEST_CASE("A stored foreign bundle altered on disk is an audit finding", "[federation]") {
  Federation f;
  ThreeLedgers::Setup(f);
  ThreeLedgers::Mine(f);
  f.Publish("mine-ledger");
  REQUIRE(f.Hand("mine-ledger", "ORE-1", "sep-ledger").ok());
  f.Close("sep-ledger");
  std::string name;
  testing::WithTable(f.path("sep-ledger"), "foreign_bundles", [&](MDB_txn* txn, MDB_dbi dbi) {
    MDB_cursor* cur = nullptr;
    REQUIRE(mdb_cursor_open(txn, dbi, &cur) == 0);
    MDB_val k, v;
    REQUIRE(mdb_cursor_get(cur, &k, &v, MDB_FIRST) == 0);
    name.assign(static_cast<char*>(k.mv_data), k.mv_size);
    std::string bytes(static_cast<char*>(v.mv_data), v.mv_size);
    mdb_cursor_close(cur);
    bytes[bytes.size() / 2] ^= 0x01;
    MDB_val key = testing::ValOf(name), val = testing::ValOf(bytes);
    REQUIRE(mdb_put(txn, dbi, &key, &val, 0) == 0);
  });
  f.Reopen("sep-ledger");
  for (AuditScope scope : {AuditScope::kFull, AuditScope::kIntegrity}) {
    AuditOptions o;
    o.scope = scope;
    auto a = f.ledger("sep-ledger").Audit(o);
    REQUIRE(a.ok());
    CHECK(!a->valid);
    CHECK(HasCode(a->findings, finding::kForeignBundleAltered));
  }
  // Removed altogether: the receipt names a bundle the ledger lacks.
  f.Close("sep-ledger");
  testing::WithTable(f.path("sep-ledger"), "foreign_bundles", [&](MDB_txn* txn, MDB_dbi dbi) {
    MDB_val key = testing::ValOf(name);
    REQUIRE(mdb_del(txn, dbi, &key, nullptr) == 0);
  });
  f.Reopen("sep-ledger");
  auto a = f.ledger("sep-ledger").Audit(AuditOptions());
  REQUIRE(a.ok());
  CHECK(HasCode(a->findings, finding::kForeignBundleMissing));
}

TEST_CASE("A receipt dated before its shipment in the sender's ledger is refused",
          "[federation][time]") {
  Federation f;
  auto bundle = ThreeLedgers::ShippedOre(f);
  auto records = f.ledger("mine-ledger").LotRecords("ORE-1");
  REQUIRE(records.ok());
  auto shipment = DecodeEvent(records->back().event_bytes);
  REQUIRE(shipment.ok());
  const std::int64_t ship_time = shipment->time.seconds;
  auto receipt_at = [&](std::int64_t t) {
    auto ev = PrepareCrossLedgerReceipt(f.ledger("sep-ledger"), *bundle);
    REQUIRE(ev.ok());
    ev->event_id = "rcv-" + std::to_string(t);
    ev->time = {t, 0};
    auto se = SignEvent(*ev, f.key("sep-1"));
    REQUIRE(se.ok());
    return CrossLedgerReceipt{*se, *bundle, {}};
  };
  const std::uint64_t before = Size(f.ledger("sep-ledger"));
  // Two hours before the shipment: beyond the hour two hosts' clocks may
  // disagree by, as for any lot's records in one ledger.
  auto early = AppendCrossLedgerReceipt(f.ledger("sep-ledger"),
                                        receipt_at(ship_time - 2 * 3600));
  REQUIRE(!early.ok());
  CHECK(early.status().code() == StatusCode::kFailedPrecondition);
  CHECK_THAT(early.status().message(), Catch::Contains("time_reversed"));
  CHECK_THAT(early.status().message(), Catch::Contains("in mine-ledger"));
  CHECK(Size(f.ledger("sep-ledger")) == before);
  // Half an hour before: within the bound, received.
  REQUIRE(AppendCrossLedgerReceipt(f.ledger("sep-ledger"), receipt_at(ship_time - 1800)).ok());
  auto v = f.ledger("sep-ledger").VerifyLot("ORE-1");
  REQUIRE(v.ok());
  CHECK(v->valid);
}

}  // namespace
}  // namespace retrace
