// Ledger::SignAndAppend: the ledger links, signs (with the host's key) and
// appends unsigned events in one transaction. Real LMDB and OpenSSL. The
// records must be those the signed path (SignEvent / SignEventBatch +
// AppendBatch) would store, and every refusal must leave the file as it was.
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <set>

#include "testing/files.h"
#include "testing/test_chain.h"

namespace retrace {
namespace {

using testing::OreLot;
using testing::TestChain;

// SignAndAppend of `events` by `signer` must fail with `code` and leave the
// ledger's size, head, root and file bytes as they were.
void ExpectRefusedUnchanged(TestChain& c, const std::vector<Event>& events, const Signer& signer,
                            StatusCode code, bool batch_signature = false) {
  const LedgerInfo info = *c.ledger().Info();
  const Hash root = *c.ledger().RootAt(info.size);
  c.Close();
  const std::string before = testing::ReadExistingFile(c.path() + "/data.mdb");
  c.Reopen();
  SignAndAppendOptions o;
  o.batch_signature = batch_signature;
  auto r = c.ledger().SignAndAppend(events, signer, o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == code);
  const LedgerInfo after = *c.ledger().Info();
  CHECK(after.size == info.size);
  CHECK(after.head_hash == info.head_hash);
  CHECK(*c.ledger().RootAt(after.size) == root);
  c.Close();
  CHECK(testing::ReadExistingFile(c.path() + "/data.mdb") == before);
  c.Reopen();
}

void ExpectAuditClean(TestChain& c) {
  auto audit = c.ledger().Audit();
  REQUIRE(audit.ok());
  CHECK(audit->findings.empty());
  CHECK(audit->valid);
}

TEST_CASE("SignAndAppend stores what SignEvent + AppendBatch would store", "[sign-append]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  const Signer& mine = c.key("mine-1");
  std::vector<Event> events = c.Extractions("mine-1", "ORE-", 20);
  auto r = c.ledger().SignAndAppend(events, mine);
  REQUIRE(r.ok());
  REQUIRE(r->size() == events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    auto rec = c.ledger().ReadRecord((*r)[i].seq);
    REQUIRE(rec.ok());
    CHECK(rec->hash == (*r)[i].hash);
    CHECK(rec->batch.size == 0);
    // The signed path, from the same event as the ledger linked it: Ed25519
    // is deterministic, so the bytes and signature must be the same.
    Event linked = events[i];
    REQUIRE(c.ledger().LinkParents(&linked).ok());
    auto expected = SignEvent(linked, mine);
    REQUIRE(expected.ok());
    CHECK(rec->event_bytes == expected->event_bytes);
    CHECK(rec->key_id == expected->key_id);
    CHECK(rec->signature == expected->signature);
  }
  ExpectAuditClean(c);
  CHECK(c.ledger().VerifyLot("ORE-7")->valid);
}

TEST_CASE("SignAndAppend with batch signatures signs a run of events once", "[sign-append][batch]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  const Signer& mine = c.key("mine-1");
  std::vector<Event> events = c.Extractions("mine-1", "ORE-", 13);
  SignAndAppendOptions o;
  o.batch_signature = true;
  auto r = c.ledger().SignAndAppend(events, mine, o);
  REQUIRE(r.ok());
  std::vector<std::string> bytes;
  for (const AppendResult& a : *r) bytes.push_back(c.ledger().ReadRecord(a.seq)->event_bytes);
  // SignEncodedEventBatch over the stored bytes gives the stored records.
  auto expected = SignEncodedEventBatch(bytes, mine);
  REQUIRE(expected.ok());
  for (std::size_t i = 0; i < r->size(); ++i) {
    auto rec = c.ledger().ReadRecord((*r)[i].seq);
    REQUIRE(rec.ok());
    CHECK(rec->signature == (*expected)[i].signature);
    CHECK(rec->batch.size == 13);
    CHECK(rec->batch.index == i);
    CHECK(rec->batch.path == (*expected)[i].batch.path);
  }
  ExpectAuditClean(c);
}

TEST_CASE("SignAndAppend links an event to an earlier event of the same call", "[sign-append]") {
  for (bool batch : {false, true}) {
    DYNAMIC_SECTION((batch ? "batch signature" : "per-event signatures")) {
      TestChain c;
      c.Register("mine-1", Role::kMine);
      c.Register("sep-1", Role::kSeparator);
      std::vector<Event> events = c.Extractions("mine-1", "ORE-", 3);
      events.push_back(c.MakeEvent("mine-1", Shipped{"ORE-1", std::nullopt, "sep-1", 1000}));
      events.push_back(c.MakeEvent("mine-1", Extracted{OreLot("ORE-9"), "pit 3"}));
      events.push_back(c.MakeEvent("mine-1", Shipped{"ORE-9", std::nullopt, "sep-1", 1000}));
      SignAndAppendOptions o;
      o.batch_signature = batch;
      auto r = c.ledger().SignAndAppend(events, c.key("mine-1"), o);
      REQUIRE(r.ok());
      auto shipped = c.ledger().ReadRecord((*r)[3].seq);
      REQUIRE(shipped.ok());
      auto ev = DecodeEvent(shipped->event_bytes);
      REQUIRE(ev.ok());
      CHECK(std::get<Shipped>(ev->body).parent_hash == (*r)[1].hash);
      CHECK(c.ledger().GetLot("ORE-9")->status == "in_transit");
      if (batch) {
        // Runs end where an event moves a lot of its run: {0,1,2}, {3,4}, {5}.
        std::vector<std::uint64_t> sizes;
        for (const AppendResult& a : *r) sizes.push_back(c.ledger().ReadRecord(a.seq)->batch.size);
        CHECK(sizes == std::vector<std::uint64_t>{3, 3, 3, 2, 2, 1});
      }
      ExpectAuditClean(c);
      REQUIRE(c.ledger().SignAndAppend({c.MakeEvent("sep-1", Received{"ORE-9", std::nullopt,
                                                                      "mine-1", 1000})},
                                       c.key("sep-1"))
                  .ok());
      CHECK(c.ledger().VerifyLot("ORE-9")->valid);
    }
  }
}

TEST_CASE("A refused SignAndAppend leaves the ledger unchanged", "[sign-append]") {
  for (bool batch : {false, true}) {
    DYNAMIC_SECTION((batch ? "batch signature" : "per-event signatures")) {
      TestChain c;
      c.Register("mine-1", Role::kMine);
      c.Register("sep-1", Role::kSeparator);
      REQUIRE(c.ledger().SignAndAppend(c.Extractions("mine-1", "OLD-", 2), c.key("mine-1")).ok());
      const Signer& mine = c.key("mine-1");
      SECTION("a custody rule broken by the last event") {
        std::vector<Event> events = c.Extractions("mine-1", "ORE-", 4);
        events.push_back(c.MakeEvent("mine-1", Shipped{"ORE-2", std::nullopt, "sep-1", 5000}));
        ExpectRefusedUnchanged(c, events, mine, StatusCode::kFailedPrecondition, batch);
      }
      SECTION("a duplicate event id") {
        std::vector<Event> events = c.Extractions("mine-1", "ORE-", 3);
        events[2].event_id = events[0].event_id;
        ExpectRefusedUnchanged(c, events, mine, StatusCode::kAlreadyExists, batch);
      }
      SECTION("a lot that exists already") {
        ExpectRefusedUnchanged(c, c.Extractions("mine-1", "OLD-", 1), mine,
                               StatusCode::kAlreadyExists, batch);
      }
      SECTION("an unknown lot") {
        std::vector<Event> events = c.Extractions("mine-1", "ORE-", 2);
        events.push_back(c.MakeEvent("mine-1", Shipped{"NOPE", std::nullopt, "sep-1", 1}));
        ExpectRefusedUnchanged(c, events, mine, StatusCode::kNotFound, batch);
      }
      SECTION("an event that does not encode") {
        std::vector<Event> events = c.Extractions("mine-1", "ORE-", 2);
        events[1].event_id.clear();
        ExpectRefusedUnchanged(c, events, mine, StatusCode::kInvalidArgument, batch);
      }
      SECTION("an event of another actor") {
        std::vector<Event> events = c.Extractions("mine-1", "ORE-", 2);
        events.push_back(c.MakeEvent("sep-1", Shipped{"OLD-0", std::nullopt, "sep-1", 1}));
        ExpectRefusedUnchanged(c, events, mine, StatusCode::kFailedPrecondition, batch);
      }
      SECTION("a key nobody registered") {
        auto stranger = Signer::Generate(Algorithm::kEd25519);
        REQUIRE(stranger.ok());
        ExpectRefusedUnchanged(c, c.Extractions("mine-1", "ORE-", 2), **stranger,
                               StatusCode::kNotFound, batch);
      }
      SECTION("another actor's registered key") {
        ExpectRefusedUnchanged(c, c.Extractions("mine-1", "ORE-", 2), c.key("sep-1"),
                               StatusCode::kFailedPrecondition, batch);
      }
      SECTION("no event") {
        ExpectRefusedUnchanged(c, {}, mine, StatusCode::kInvalidArgument, batch);
      }
    }
  }
}

TEST_CASE("SignAndAppend refuses a retired or revoked key", "[sign-append][keys]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  const Signer& old_key = c.key("mine-1");
  SECTION("retired by a rotation") {
    auto fresh = Signer::Generate(Algorithm::kEd25519);
    REQUIRE(fresh.ok());
    REQUIRE(c.Do("mine-1", KeyRotated{"mine-1", (*fresh)->public_key(), old_key.public_key().KeyId()})
                .ok());
    ExpectRefusedUnchanged(c, c.Extractions("mine-1", "ORE-", 3), old_key,
                           StatusCode::kFailedPrecondition);
    ExpectRefusedUnchanged(c, c.Extractions("mine-1", "ORE-", 3), old_key,
                           StatusCode::kFailedPrecondition, true);
    // The actor's current key appends.
    REQUIRE(c.ledger().SignAndAppend(c.Extractions("mine-1", "ORE-", 3), **fresh).ok());
    ExpectAuditClean(c);
  }
  SECTION("revoked") {
    const std::uint64_t size = c.ledger().Info()->size;
    REQUIRE(c.AppendAs("regulator", c.root(), KeyRevoked{old_key.public_key().KeyId(), size,
                                                         "stolen laptop"})
                .ok());
    ExpectRefusedUnchanged(c, c.Extractions("mine-1", "ORE-", 3), old_key,
                           StatusCode::kFailedPrecondition);
    ExpectRefusedUnchanged(c, c.Extractions("mine-1", "ORE-", 3), old_key,
                           StatusCode::kFailedPrecondition, true);
  }
}

TEST_CASE("SignAndAppend on a read-only ledger appends nothing", "[sign-append]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Close();
  Options o;
  o.read_only = true;
  auto ro = Ledger::Open(o, c.path());
  REQUIRE(ro.ok());
  auto r = (*ro)->SignAndAppend(c.Extractions("mine-1", "ORE-", 1), c.key("mine-1"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace retrace
