#include <catch2/catch.hpp>

#include "testing/test_chain.h"

namespace retrace {
namespace {

using testing::FiveStage;
using testing::MakeLot;
using testing::TestChain;
using testing::TempDir;

// The observable identity of a ledger: a refused append must not change it.
struct Snapshot {
  std::uint64_t size;
  Hash head;
  Hash root;
};
Snapshot Snap(Ledger& l) {
  auto info = l.Info();
  REQUIRE(info.ok());
  auto root = l.RootAt(info->size);
  REQUIRE(root.ok());
  return {info->size, info->head_hash, *root};
}
void RequireUnchanged(Ledger& l, const Snapshot& before) {
  Snapshot after = Snap(l);
  REQUIRE(after.size == before.size);
  REQUIRE(after.head == before.head);
  REQUIRE(after.root == before.root);
}

Lot Ore(const std::string& id, std::uint64_t mass = 100000) {
  return MakeLot(id, MaterialClass::kOreConcentrate, mass,
                 {{Element::kNd, mass / 20}, {Element::kPr, mass / 60}});
}

TEST_CASE("Create writes a genesis record and Open reads it back", "[ledger]") {
  TempDir dir;
  auto root = Signer::Generate(Algorithm::kEd25519);
  REQUIRE(root.ok());
  Options o;
  std::string ledger_id;
  {
    auto l = Ledger::Create(o, dir.Sub("l"), "cn-2026", **root, "miit");
    REQUIRE(l.ok());
    auto info = (*l)->Info();
    REQUIRE(info.ok());
    CHECK(info->size == 1);
    CHECK(info->name == "cn-2026");
    CHECK(info->root_actor_id == "miit");
    CHECK(info->root_key_id == (*root)->public_key().KeyId());
    CHECK(info->ledger_id.size() == 32);
    ledger_id = info->ledger_id;
    auto actor = (*l)->GetActor("miit");
    REQUIRE(actor.ok());
    CHECK(actor->role == Role::kRegulator);
  }
  auto l = Ledger::Open(o, dir.Sub("l"));
  REQUIRE(l.ok());
  CHECK((*l)->Info()->ledger_id == ledger_id);
  auto audit = (*l)->Audit();
  REQUIRE(audit.ok());
  CHECK(audit->valid);
  CHECK(audit->records_checked == 1);
}

TEST_CASE("Create refuses a directory that already holds a ledger", "[ledger]") {
  TestChain c;
  auto root = Signer::Generate(Algorithm::kEd25519);
  c.Close();
  auto again = Ledger::Create(Options(), c.path(), "x", **root);
  REQUIRE_FALSE(again.ok());
  CHECK(again.status().code() == StatusCode::kAlreadyExists);
  c.Reopen();
  CHECK(c.ledger().Info()->name == "test-ledger");
}

TEST_CASE("Open reports a missing ledger as not found", "[ledger]") {
  TempDir dir;
  auto l = Ledger::Open(Options(), dir.Sub("nothing-here"));
  REQUIRE_FALSE(l.ok());
  CHECK(l.status().code() == StatusCode::kNotFound);
  auto l2 = Ledger::Open(Options(), dir.path());  // exists, but no data.mdb
  REQUIRE_FALSE(l2.ok());
  CHECK(l2.status().code() == StatusCode::kNotFound);
}

TEST_CASE("A ledger cannot be opened twice in one process", "[ledger]") {
  TestChain c;
  auto second = Ledger::Open(Options(), c.path());
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code() == StatusCode::kFailedPrecondition);
  c.Close();
  auto third = Ledger::Open(Options(), c.path());
  CHECK(third.ok());
}

TEST_CASE("A five-stage chain verifies back to its mine", "[ledger][verify]") {
  TestChain c;
  FiveStage::Build(c);
  auto r = c.ledger().VerifyLot("MAG-1");
  REQUIRE(r.ok());
  for (const auto& f : r->findings) UNSCOPED_INFO(f.code << " @" << f.seq << ": " << f.message);
  CHECK(r->valid);
  CHECK(r->lots.size() == 5);  // MAG-1, ALLOY-1, NDPR-1, DY-1, ORE-1
  CHECK(r->lots.front().lot_id == "MAG-1");
  CHECK(r->lots.front().status == "exported");
  REQUIRE(r->origins.size() == 1);
  CHECK(r->origins[0].origin_lot == "ORE-1");
  CHECK(r->origins[0].actor_id == "mine-1");
  CHECK(r->origins[0].share_ppm == 1000000);
  CHECK(r->origins[0].licence == "MIIT-2026-001");
  CHECK(r->edges.size() == 5);  // NDPR-1, DY-1 <- ORE-1; ALLOY-1 <- both; MAG-1 <- ALLOY-1
  CHECK(r->signatures_checked == r->records_checked);
  auto audit = c.ledger().Audit();
  REQUIRE(audit.ok());
  for (const auto& f : audit->findings) UNSCOPED_INFO(f.code << " @" << f.seq << ": " << f.message);
  CHECK(audit->valid);
  CHECK(audit->lots == 5);
  CHECK(audit->tree_size == c.ledger().Info()->size);
  CHECK(audit->root_hash == *c.ledger().RootAt(audit->tree_size));
}

TEST_CASE("Origin shares follow rare-earth mass through a merge", "[ledger][verify]") {
  TestChain c;
  c.Register("mine-a", Role::kMine);
  c.Register("mine-b", Role::kMine);
  c.Register("sep", Role::kSeparator);
  // Same gross mass, but A carries three times B's rare earths.
  REQUIRE(c.Do("mine-a", Extracted{MakeLot("A", MaterialClass::kOreConcentrate, 100000,
                                          {{Element::kNd, 30000}}), "site A"}).ok());
  REQUIRE(c.Do("mine-b", Extracted{MakeLot("B", MaterialClass::kOreConcentrate, 100000,
                                          {{Element::kNd, 10000}}), "site B"}).ok());
  c.Move("A", "mine-a", "sep");
  c.Move("B", "mine-b", "sep");
  Transformed t;
  t.inputs = {{"A", 100000, std::nullopt}, {"B", 100000, std::nullopt}};
  t.outputs = {MakeLot("OX", MaterialClass::kSeparatedOxide, 40000, {{Element::kNd, 40000}})};
  t.declared_loss_g = 160000;
  REQUIRE(c.Do("sep", t).ok());
  auto r = c.ledger().VerifyLot("OX");
  REQUIRE(r.ok());
  CHECK(r->valid);
  REQUIRE(r->origins.size() == 2);
  CHECK(r->origins[0].origin_lot == "A");
  CHECK(r->origins[0].share_ppm == 750000);
  CHECK(r->origins[0].rare_earth_g == 30000);
  CHECK(r->origins[1].share_ppm == 250000);
}

TEST_CASE("A split lot's siblings are not part of each other's lineage", "[ledger][verify]") {
  TestChain c;
  FiveStage::Build(c);
  auto r = c.ledger().VerifyLot("NDPR-1");
  REQUIRE(r.ok());
  CHECK(r->valid);
  CHECK(r->lots.size() == 2);  // NDPR-1 and ORE-1; DY-1 is a sibling
}

TEST_CASE("Verifying an unknown lot is an error, not a report", "[ledger][verify]") {
  TestChain c;
  auto r = c.ledger().VerifyLot("NO-SUCH-LOT");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kNotFound);
}

// --- Refusals: each leaves the ledger exactly as it was. ------------------

TEST_CASE("Shipping a lot one does not hold is refused", "[ledger][rules]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("mine-2", Role::kMine);
  c.Register("sep-1", Role::kSeparator);
  REQUIRE(c.Do("mine-1", Extracted{Ore("ORE-1"), "s"}).ok());
  Snapshot before = Snap(c.ledger());
  auto r = c.Do("mine-2", Shipped{"ORE-1", std::nullopt, "sep-1", 100000});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kFailedPrecondition);
  CHECK_THAT(r.status().message(), Catch::Contains("not_custodian"));
  CHECK_THAT(r.status().message(), Catch::Contains("unchanged"));
  RequireUnchanged(c.ledger(), before);
}

TEST_CASE("Consuming more than remains is refused", "[ledger][rules]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("sep-1", Role::kSeparator);
  REQUIRE(c.Do("mine-1", Extracted{Ore("ORE-1"), "s"}).ok());
  c.Move("ORE-1", "mine-1", "sep-1");
  Transformed t;
  t.inputs = {{"ORE-1", 60000, std::nullopt}};
  t.outputs = {MakeLot("OX-1", MaterialClass::kSeparatedOxide, 1000, {{Element::kNd, 900}})};
  t.declared_loss_g = 59000;
  REQUIRE(c.Do("sep-1", t).ok());
  Snapshot before = Snap(c.ledger());
  t.outputs[0].lot_id = "OX-2";
  auto r = c.Do("sep-1", t);  // 60,000 more of the remaining 40,000
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("over_consumed"));
  RequireUnchanged(c.ledger(), before);
}

TEST_CASE("Consuming a lot in transit is refused", "[ledger][rules]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("sep-1", Role::kSeparator);
  REQUIRE(c.Do("mine-1", Extracted{Ore("ORE-1"), "s"}).ok());
  REQUIRE(c.Do("mine-1", Shipped{"ORE-1", std::nullopt, "sep-1", 100000}).ok());
  Snapshot before = Snap(c.ledger());
  Transformed t;
  t.inputs = {{"ORE-1", 1000, std::nullopt}};
  t.outputs = {MakeLot("OX-1", MaterialClass::kSeparatedOxide, 100, {{Element::kNd, 40}})};
  t.declared_loss_g = 900;
  auto r = c.Do("sep-1", t);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("lot_in_transit"));
  RequireUnchanged(c.ledger(), before);
}

TEST_CASE("A receipt by anyone but the consignee is refused", "[ledger][rules]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("sep-1", Role::kSeparator);
  c.Register("sep-2", Role::kSeparator);
  REQUIRE(c.Do("mine-1", Extracted{Ore("ORE-1"), "s"}).ok());
  REQUIRE(c.Do("mine-1", Shipped{"ORE-1", std::nullopt, "sep-1", 100000}).ok());
  Snapshot before = Snap(c.ledger());
  auto r = c.Do("sep-2", Received{"ORE-1", std::nullopt, "mine-1", 100000});
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("not_custodian"));
  auto wrong_mass = c.Do("sep-1", Received{"ORE-1", std::nullopt, "mine-1", 99999});
  REQUIRE_FALSE(wrong_mass.ok());
  CHECK_THAT(wrong_mass.status().message(), Catch::Contains("receipt_mismatch"));
  RequireUnchanged(c.ledger(), before);
}

TEST_CASE("Outputs with more of an element than the inputs held are refused", "[ledger][rules]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("sep-1", Role::kSeparator);
  REQUIRE(c.Do("mine-1", Extracted{Ore("ORE-1"), "s"}).ok());  // 5,000 g Nd
  c.Move("ORE-1", "mine-1", "sep-1");
  Snapshot before = Snap(c.ledger());
  Transformed t;
  t.inputs = {{"ORE-1", 100000, std::nullopt}};
  t.outputs = {MakeLot("OX-1", MaterialClass::kSeparatedOxide, 8000, {{Element::kNd, 5001}})};
  t.declared_loss_g = 92000;
  auto r = c.Do("sep-1", t);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("element_balance_violated"));
  CHECK_THAT(r.status().message(), Catch::Contains("Nd"));
  RequireUnchanged(c.ledger(), before);
  t.outputs[0].content = {{Element::kNd, 5000}};
  CHECK(c.Do("sep-1", t).ok());
}

TEST_CASE("A transformation whose gross mass does not balance is refused", "[ledger][rules]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("sep-1", Role::kSeparator);
  REQUIRE(c.Do("mine-1", Extracted{Ore("ORE-1"), "s"}).ok());
  c.Move("ORE-1", "mine-1", "sep-1");
  Snapshot before = Snap(c.ledger());
  Transformed t;
  t.inputs = {{"ORE-1", 100000, std::nullopt}};
  t.outputs = {MakeLot("OX-1", MaterialClass::kSeparatedOxide, 8000, {{Element::kNd, 5000}})};
  t.declared_loss_g = 91999;  // one gram unaccounted for
  auto r = c.Do("sep-1", t);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("gross_balance_violated"));
  RequireUnchanged(c.ledger(), before);
}

TEST_CASE("An actor may only record the events its role allows", "[ledger][rules]") {
  TestChain c;
  c.Register("sep-1", Role::kSeparator);
  c.Register("exp-1", Role::kExporter);
  Snapshot before = Snap(c.ledger());
  auto r = c.Do("sep-1", Extracted{Ore("ORE-X"), "backyard"});
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("role_not_allowed"));
  ActorRegistered reg;
  reg.actor_id = "rogue";
  reg.role = Role::kMine;
  reg.key = c.key("exp-1").public_key();
  auto r2 = c.Do("exp-1", reg);  // only a regulator registers actors
  REQUIRE_FALSE(r2.ok());
  CHECK_THAT(r2.status().message(), Catch::Contains("role_not_allowed"));
  RequireUnchanged(c.ledger(), before);
}

TEST_CASE("Duplicate ids are refused", "[ledger][rules]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  REQUIRE(c.Do("mine-1", Extracted{Ore("ORE-1"), "s"}).ok());
  Snapshot before = Snap(c.ledger());
  auto lot = c.Do("mine-1", Extracted{Ore("ORE-1"), "s"});
  REQUIRE_FALSE(lot.ok());
  CHECK(lot.status().code() == StatusCode::kAlreadyExists);
  Event ev = c.MakeEvent("mine-1", Extracted{Ore("ORE-2"), "s"});
  ev.event_id = "ev-dup";
  REQUIRE(c.ledger().LinkParents(&ev).ok());
  auto se = SignEvent(ev, c.key("mine-1"));
  REQUIRE(c.ledger().Append(*se).ok());
  before = Snap(c.ledger());
  std::get<Extracted>(ev.body).lot = Ore("ORE-3");
  se = SignEvent(ev, c.key("mine-1"));
  auto dup = c.ledger().Append(*se);
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.status().code() == StatusCode::kAlreadyExists);
  CHECK_THAT(dup.status().message(), Catch::Contains("duplicate_event_id"));
  auto again = c.ledger().Append(*SignEvent(ev, c.key("mine-1")));  // exact replay
  CHECK_FALSE(again.ok());
  RequireUnchanged(c.ledger(), before);
}

TEST_CASE("A bad signature, a foreign key or an unknown key is refused", "[ledger][rules]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("mine-2", Role::kMine);
  Snapshot before = Snap(c.ledger());
  Event ev = c.MakeEvent("mine-1", Extracted{Ore("ORE-1"), "s"});
  REQUIRE(c.ledger().LinkParents(&ev).ok());
  auto se = SignEvent(ev, c.key("mine-1"));
  REQUIRE(se.ok());

  SignedEvent flipped = *se;
  flipped.signature[5] ^= 0x01;
  auto r1 = c.ledger().Append(flipped);
  REQUIRE_FALSE(r1.ok());
  CHECK(r1.status().code() == StatusCode::kVerificationFailed);

  SignedEvent altered = *se;
  altered.event_bytes[altered.event_bytes.size() - 3] ^= 0x01;
  CHECK_FALSE(c.ledger().Append(altered).ok());

  auto by_other = SignEvent(ev, c.key("mine-2"));  // mine-2 signs mine-1's event
  auto r2 = c.ledger().Append(*by_other);
  REQUIRE_FALSE(r2.ok());
  CHECK_THAT(r2.status().message(), Catch::Contains("key_actor_mismatch"));

  auto stranger = Signer::Generate(Algorithm::kEd25519);
  auto r3 = c.ledger().Append(*SignEvent(ev, **stranger));
  REQUIRE_FALSE(r3.ok());
  CHECK(r3.status().code() == StatusCode::kNotFound);
  RequireUnchanged(c.ledger(), before);
  CHECK(c.ledger().Append(*se).ok());
}

TEST_CASE("An event made for another ledger is refused", "[ledger][rules]") {
  TestChain a, b;
  a.Register("mine-1", Role::kMine);
  Event ev = a.MakeEvent("mine-1", Extracted{Ore("ORE-1"), "s"});
  REQUIRE(a.ledger().LinkParents(&ev).ok());
  auto se = SignEvent(ev, a.key("mine-1"));
  Snapshot before = Snap(b.ledger());
  auto r = b.ledger().Append(*se);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(r.status().message(), Catch::Contains("another ledger") || Catch::Contains("not this one"));
  RequireUnchanged(b.ledger(), before);
}

TEST_CASE("A stale parent hash is refused until re-linked", "[ledger][rules]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("sep-1", Role::kSeparator);
  c.Register("sep-2", Role::kSeparator);
  REQUIRE(c.Do("mine-1", Extracted{Ore("ORE-1"), "s"}).ok());
  auto ship = c.Sign("mine-1", Shipped{"ORE-1", std::nullopt, "sep-1", 100000});
  REQUIRE(ship.ok());
  REQUIRE(c.ledger().Append(*ship).ok());
  // A receipt linked before the shipment existed points at the extraction.
  Event stale = c.MakeEvent("sep-1", Received{"ORE-1", std::nullopt, "mine-1", 100000});
  stale.ledger_id = c.ledger().Info()->ledger_id;
  std::get<Received>(stale.body).parent_hash = c.ledger().LotRecords("ORE-1")->front().hash;
  Snapshot before = Snap(c.ledger());
  auto r = c.ledger().Append(*SignEvent(stale, c.key("sep-1")));
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("parent_link_broken"));
  RequireUnchanged(c.ledger(), before);
  std::get<Received>(stale.body).parent_hash.reset();
  REQUIRE(c.ledger().LinkParents(&stale).ok());
  CHECK(c.ledger().Append(*SignEvent(stale, c.key("sep-1"))).ok());
}

TEST_CASE("Events for unknown lots are refused and malformed events name the field", "[ledger][rules]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("sep-1", Role::kSeparator);
  Snapshot before = Snap(c.ledger());
  Event ev = c.MakeEvent("mine-1", Shipped{"GHOST", Hash{}, "sep-1", 5});
  ev.ledger_id = c.ledger().Info()->ledger_id;
  auto r = c.ledger().Append(*SignEvent(ev, c.key("mine-1")));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kNotFound);
  CHECK_THAT(r.status().message(), Catch::Contains("GHOST"));
  Event link = c.MakeEvent("mine-1", Shipped{"GHOST", std::nullopt, "sep-1", 5});
  CHECK(c.ledger().LinkParents(&link).code() == StatusCode::kNotFound);

  Event bad = c.MakeEvent("mine-1", Extracted{MakeLot("L", MaterialClass::kOreConcentrate, 0, {}), "s"});
  bad.ledger_id = c.ledger().Info()->ledger_id;
  auto enc = EncodeEvent(bad);
  REQUIRE_FALSE(enc.ok());
  CHECK_THAT(enc.status().message(), Catch::Contains("extracted.lot.mass_g"));

  SignedEvent garbage{"\xff\xff\xff not a protobuf", c.key("mine-1").public_key().KeyId(), "sig"};
  auto g = c.ledger().Append(garbage);
  REQUIRE_FALSE(g.ok());
  CHECK(g.status().code() == StatusCode::kInvalidArgument);
  RequireUnchanged(c.ledger(), before);
}

TEST_CASE("Oversized events are refused before anything is written", "[ledger][rules]") {
  Options o;
  o.max_event_bytes = 4096;
  TestChain c(o);
  c.Register("mine-1", Role::kMine);
  Snapshot before = Snap(c.ledger());
  Lot big = Ore("BIG");
  big.description = std::string(4000, 'x');
  Event ev = c.MakeEvent("mine-1", Extracted{big, std::string(4000, 's'), "l"});
  REQUIRE(c.ledger().LinkParents(&ev).ok());
  auto r = c.ledger().Append(*SignEvent(ev, c.key("mine-1")));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(r.status().message(), Catch::Contains("max_event_bytes"));
  RequireUnchanged(c.ledger(), before);
}

TEST_CASE("A batch appends all of its events or none", "[ledger]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("sep-1", Role::kSeparator);
  REQUIRE(c.Do("mine-1", Extracted{Ore("ORE-1"), "s"}).ok());
  Snapshot before = Snap(c.ledger());
  std::vector<SignedEvent> batch;
  batch.push_back(*c.Sign("mine-1", Extracted{Ore("ORE-2"), "s"}));
  batch.push_back(*c.Sign("mine-1", Shipped{"ORE-1", std::nullopt, "sep-1", 100000}));
  batch.push_back(*c.Sign("mine-1", Shipped{"ORE-1", std::nullopt, "sep-1", 100000}));  // twice
  auto r = c.ledger().AppendBatch(batch);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("event 2 of the batch"));
  RequireUnchanged(c.ledger(), before);
  CHECK(c.ledger().GetLot("ORE-2").status().code() == StatusCode::kNotFound);
  batch.pop_back();
  auto ok = c.ledger().AppendBatch(batch);
  REQUIRE(ok.ok());
  REQUIRE(ok->size() == 2);
  CHECK((*ok)[1].seq == (*ok)[0].seq + 1);
  CHECK(c.ledger().GetLot("ORE-1")->status == "in_transit");
}

TEST_CASE("A dry run judges a batch as append would and writes nothing", "[ledger]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("sep-1", Role::kSeparator);
  REQUIRE(c.Do("mine-1", Extracted{Ore("ORE-1"), "s"}).ok());
  Snapshot before = Snap(c.ledger());
  std::vector<SignedEvent> batch;
  batch.push_back(*c.Sign("mine-1", Extracted{Ore("ORE-2"), "s"}));
  batch.push_back(*c.Sign("mine-1", Shipped{"ORE-1", std::nullopt, "sep-1", 100000}));
  batch.push_back(*c.Sign("mine-1", Shipped{"ORE-1", std::nullopt, "sep-1", 100000}));  // twice
  auto bad = c.ledger().CheckAppendBatch(batch);
  REQUIRE_FALSE(bad.ok());
  auto bad_append = c.ledger().AppendBatch(batch);
  REQUIRE_FALSE(bad_append.ok());
  CHECK(bad.status().code() == bad_append.status().code());
  CHECK(bad.status().message() == bad_append.status().message());
  RequireUnchanged(c.ledger(), before);
  batch.pop_back();
  auto good = c.ledger().CheckAppendBatch(batch);
  REQUIRE(good.ok());
  REQUIRE(good->size() == 2);
  RequireUnchanged(c.ledger(), before);
  CHECK(c.ledger().GetLot("ORE-2").status().code() == StatusCode::kNotFound);
  // The dry run's answer is what the append then does.
  auto done = c.ledger().AppendBatch(batch);
  REQUIRE(done.ok());
  CHECK((*done)[0].seq == (*good)[0].seq);
  CHECK((*done)[1].seq == (*good)[1].seq);
  CHECK((*done)[1].hash == (*good)[1].hash);
}

TEST_CASE("A batch may register an actor and use its key at once", "[ledger]") {
  TestChain c;
  auto key = Signer::Generate(Algorithm::kEcdsaP256Sha256);
  ActorRegistered reg;
  reg.actor_id = "mine-9";
  reg.role = Role::kMine;
  reg.key = (*key)->public_key();
  reg.licence = "L-9";
  Event r = c.MakeEvent("regulator", reg);
  REQUIRE(c.ledger().LinkParents(&r).ok());
  Event g = c.MakeEvent("regulator", QuotaGranted{"mine-9", 2026, QuotaKind::kMiningIonic, 1000000, ""});
  REQUIRE(c.ledger().LinkParents(&g).ok());
  Event x = c.MakeEvent("mine-9", Extracted{Ore("ORE-9"), "s", "L-9", QuotaKind::kMiningIonic});
  REQUIRE(c.ledger().LinkParents(&x).ok());
  auto res = c.ledger().AppendBatch(
      {*SignEvent(r, c.root()), *SignEvent(g, c.root()), *SignEvent(x, **key)});
  REQUIRE(res.ok());
  CHECK(c.ledger().VerifyLot("ORE-9")->valid);
}

TEST_CASE("Every signature algorithm works end to end", "[ledger][crypto]") {
  for (Algorithm alg : {Algorithm::kEd25519, Algorithm::kEcdsaP256Sha256, Algorithm::kSm2Sm3}) {
    TestChain c(Options(), alg);
    c.Register("mine-1", Role::kMine, alg);
    c.Register("sep-1", Role::kSeparator, alg);
    REQUIRE(c.Do("mine-1", Extracted{Ore("ORE-1"), "s"}).ok());
    c.Move("ORE-1", "mine-1", "sep-1");
    auto r = c.ledger().VerifyLot("ORE-1");
    REQUIRE(r.ok());
    CHECK(r->valid);
    CHECK(c.ledger().Audit()->valid);
  }
}

TEST_CASE("Lot state follows custody", "[ledger]") {
  TestChain c;
  FiveStage::Build(c);
  auto ore = c.ledger().GetLot("ORE-1");
  REQUIRE(ore.ok());
  CHECK(ore->status == "consumed");
  CHECK(ore->remaining_g == 0);
  CHECK(ore->custodian == "sep-1");
  CHECK(ore->lot.content.size() == 3);
  auto mag = c.ledger().GetLot("MAG-1");
  CHECK(mag->status == "exported");
  CHECK(mag->remaining_g == 0);
  CHECK(mag->custodian == "exp-1");
  auto hist = c.ledger().LotRecords("MAG-1");
  REQUIRE(hist.ok());
  CHECK(hist->size() == 4);  // made, shipped, received, exported
  CHECK(hist->back().hash == mag->head_hash);
  auto lots = c.ledger().ListLots();
  CHECK(lots->size() == 5);
}

TEST_CASE("Nothing can be done with an exported lot", "[ledger][rules]") {
  TestChain c;
  FiveStage::Build(c);
  Snapshot before = Snap(c.ledger());
  auto r = c.Do("exp-1", Shipped{"MAG-1", std::nullopt, "mag-1", 85000});
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("lot_not_available"));
  RequireUnchanged(c.ledger(), before);
}

TEST_CASE("The map grows on demand", "[ledger]") {
  Options o;
  o.initial_map_size = 256 * 1024;  // far too small for what follows
  TestChain c(o);
  c.Register("mine-1", Role::kMine);
  const std::uint64_t size_before = c.ledger().Info()->size;
  std::vector<SignedEvent> batch;
  for (int i = 0; i < 2000; ++i) {
    batch.push_back(*c.Sign("mine-1", Extracted{Ore("ORE-" + std::to_string(i)), "s"}));
  }
  auto r = c.ledger().AppendBatch(batch);
  REQUIRE(r.ok());
  CHECK(c.ledger().Info()->size == size_before + 2000);
  CHECK(c.ledger().Audit()->valid);
}

TEST_CASE("A ledger opened read-only refuses appends", "[ledger]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  auto se = c.Sign("mine-1", Extracted{Ore("ORE-1"), "s"});
  c.Close();
  Options o;
  o.read_only = true;
  auto l = Ledger::Open(o, c.path());
  REQUIRE(l.ok());
  auto r = (*l)->Append(*se);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kFailedPrecondition);
  CHECK((*l)->Audit()->valid);
}

}  // namespace
}  // namespace retrace
