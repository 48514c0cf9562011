// Batch signatures (docs/data-model.md, "Batch signatures"): one signature
// over the RFC 6962 root of an actor's batch of events, each record carrying
// its leaf index and audit path. Real LMDB and OpenSSL; the batch trees are
// cross-checked against the naive RFC 6962 root (merkle::RootFromLeafHashes).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "model/record.h"
#include "retrace/bundle.h"
#include "retrace/merkle.h"
#include "retrace/note.h"
#include "testing/files.h"
#include "testing/test_chain.h"
#include "transparency/rewrite.h"

namespace retrace {
namespace {

using testing::MakeLot;
using testing::OreLot;
using testing::TestChain;

// `n` extractions by `actor`, linked to the ledger and ready to sign.
std::vector<Event> Extractions(TestChain& c, const std::string& actor, const std::string& prefix,
                               std::size_t n) {
  std::vector<Event> events = c.Extractions(actor, prefix, n);
  for (Event& ev : events) REQUIRE(c.ledger().LinkParents(&ev).ok());
  return events;
}

std::vector<SignedEvent> BatchSign(TestChain& c, const std::string& actor,
                                   const std::vector<Event>& events) {
  auto signed_events = SignEventBatch(events, c.key(actor));
  REQUIRE(signed_events.ok());
  return std::move(signed_events).value();
}

std::set<std::string> Codes(const std::vector<Finding>& findings) {
  std::set<std::string> out;
  for (const Finding& f : findings) out.insert(f.code);
  return out;
}

// The LMDB data file, byte for byte.
// Appends `events`, expects refusal with `code`, and checks that the ledger
// file is exactly as it was.
void ExpectRefusedUnchanged(TestChain& c, const std::vector<SignedEvent>& events, StatusCode code) {
  const std::uint64_t size = c.ledger().Info()->size;
  c.Close();
  const std::string before = testing::ReadExistingFile(c.path() + "/data.mdb");
  c.Reopen();
  auto r = c.ledger().AppendBatch(events);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == code);
  CHECK(c.ledger().Info()->size == size);
  c.Close();
  CHECK(testing::ReadExistingFile(c.path() + "/data.mdb") == before);
  c.Reopen();
}

TEST_CASE("A batch's paths lead every event to the one signed root", "[batch][vectors]") {
  auto signer = Signer::Generate(Algorithm::kEd25519);
  REQUIRE(signer.ok());
  std::size_t checked = 0;
  for (std::size_t n : {1u, 2u, 3u, 5u, 7u, 8u, 13u, 64u, 255u, 256u, 257u}) {
    std::vector<std::string> bytes;
    std::vector<Hash> leaves;
    for (std::size_t i = 0; i < n; ++i) {
      Event ev;
      ev.ledger_id = std::string(32, 'a');
      ev.event_id = "ev-" + std::to_string(i);
      ev.actor_id = "mine-1";
      ev.time = {1790000000, 0};
      ev.body = Extracted{OreLot("ORE-" + std::to_string(i)), "pit", "LIC", QuotaKind::kMiningRock};
      bytes.push_back(*EncodeEvent(ev));
      leaves.push_back(merkle::LeafHash(bytes.back()));
    }
    auto batch = SignEncodedEventBatch(bytes, **signer);
    REQUIRE(batch.ok());
    REQUIRE(batch->size() == n);
    // The naive RFC 6962 root over the event bytes as given.
    const std::string expected = EventBatchSigningInput(n, merkle::RootFromLeafHashes(leaves));
    auto verifier = Verifier::New((*signer)->public_key());
    REQUIRE(verifier.ok());
    REQUIRE((*verifier)->Verify(expected, batch->front().signature).ok());
    for (std::size_t i = 0; i < n; ++i) {
      const SignedEvent& se = (*batch)[i];
      CHECK(se.event_bytes == bytes[i]);  // never re-serialised
      CHECK(se.key_id == (*signer)->public_key().KeyId());
      CHECK(se.signature == batch->front().signature);
      CHECK(se.batch.size == n);
      CHECK(se.batch.index == i);
      auto input = SignatureInputOf(se.event_bytes, se.batch);
      REQUIRE(input.ok());
      CHECK(*input == expected);
      ++checked;
    }
  }
  CHECK(checked == 1 + 2 + 3 + 5 + 7 + 8 + 13 + 64 + 255 + 256 + 257);
}

TEST_CASE("Batch and single signatures cannot be taken for each other", "[batch][crypto]") {
  auto signer = Signer::Generate(Algorithm::kEd25519);
  REQUIRE(signer.ok());
  auto verifier = Verifier::New((*signer)->public_key());
  REQUIRE(verifier.ok());
  Event ev;
  ev.ledger_id = std::string(32, 'b');
  ev.event_id = "ev-1";
  ev.actor_id = "mine-1";
  ev.time = {1790000000, 0};
  ev.body = Extracted{OreLot("ORE-1"), "pit", "LIC", QuotaKind::kMiningRock};
  auto single = SignEvent(ev, **signer);
  auto batch = SignEventBatch({ev}, **signer);
  REQUIRE(single.ok());
  REQUIRE(batch.ok());
  const SignedEvent& one = batch->front();
  // A batch of one: the root is the event's leaf hash, the contexts differ.
  CHECK(*SignatureInputOf(one.event_bytes, one.batch) ==
        EventBatchSigningInput(1, merkle::LeafHash(one.event_bytes)));
  CHECK_FALSE((*verifier)->Verify(EventSigningInput(one.event_bytes),
                                  one.signature).ok());
  CHECK_FALSE((*verifier)->Verify(*SignatureInputOf(one.event_bytes, one.batch),
                                  single->signature).ok());
  const std::string a = EventSigningInput(one.event_bytes);
  const std::string b = *SignatureInputOf(one.event_bytes, one.batch);
  CHECK(a.compare(0, 16, b, 0, 16) == 0);
  CHECK(a[16] == '\0');
  CHECK(b[16] == '-');
}

TEST_CASE("Malformed batch fields are refused before any signature check", "[batch]") {
  const std::string event = "event bytes";
  CHECK(SignatureInputOf(event, {0, 1, {}}).status().code() == StatusCode::kInvalidArgument);
  CHECK(SignatureInputOf(event, {4, 4, {Hash{}, Hash{}}}).status().code() ==
        StatusCode::kInvalidArgument);  // index >= size
  CHECK(SignatureInputOf(event, {4, 1, {Hash{}}}).status().code() ==
        StatusCode::kInvalidArgument);  // path too short
  CHECK(SignatureInputOf(event, {4, 1, {Hash{}, Hash{}, Hash{}}}).status().code() ==
        StatusCode::kInvalidArgument);  // path too long
  CHECK(SignatureInputOf(event, {kMaxEventBatchSize + 1, 0, {}}).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(SignatureInputOf(event, {4, 1, {Hash{}, Hash{}}}).ok());
}

TEST_CASE("A batch-signed batch appends, verifies and audits", "[batch]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  const std::vector<SignedEvent> batch = BatchSign(c, "mine-1", Extractions(c, "mine-1", "ORE-", 37));
  auto results = c.ledger().AppendBatch(batch);
  REQUIRE(results.ok());
  REQUIRE(results->size() == 37);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto rec = c.ledger().ReadRecord((*results)[i].seq);
    REQUIRE(rec.ok());
    CHECK(rec->event_bytes == batch[i].event_bytes);
    CHECK(rec->signature == batch[i].signature);
    CHECK(rec->batch.size == 37);
    CHECK(rec->batch.index == i);
    CHECK(rec->batch.path == batch[i].batch.path);
  }
  auto v = c.ledger().VerifyLot("ORE-5");
  REQUIRE(v.ok());
  CHECK(v->valid);
  for (unsigned threads : {1u, 2u, 4u}) {
    AuditOptions o;
    o.threads = threads;
    auto a = c.ledger().Audit(o);
    REQUIRE(a.ok());
    CHECK(a->valid);
    CHECK(a->findings.empty());
  }
  // Single-signature events still append next to batch-signed ones.
  REQUIRE(c.Do("mine-1", Extracted{OreLot("ORE-SINGLE"), "pit 3"}).ok());
  CHECK(c.ledger().Audit()->valid);
}

TEST_CASE("A batch event whose path or index was altered is refused", "[batch]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  const std::vector<SignedEvent> good = BatchSign(c, "mine-1", Extractions(c, "mine-1", "ORE-", 8));
  SECTION("a flipped bit in a path hash") {
    auto bad = good;
    bad[3].batch.path[1][7] ^= 0x01;
    ExpectRefusedUnchanged(c, bad, StatusCode::kVerificationFailed);
  }
  SECTION("two events' indexes swapped (same path length)") {
    auto bad = good;
    std::swap(bad[2].batch.index, bad[5].batch.index);
    ExpectRefusedUnchanged(c, bad, StatusCode::kVerificationFailed);
  }
  SECTION("an index past the batch") {
    auto bad = good;
    bad[0].batch.index = 8;
    ExpectRefusedUnchanged(c, bad, StatusCode::kInvalidArgument);
  }
  SECTION("a claimed batch size that does not match the path") {
    auto bad = good;
    bad[6].batch.size = 9;
    ExpectRefusedUnchanged(c, bad, StatusCode::kInvalidArgument);
  }
  SECTION("another batch size with a path of the same length") {
    auto bad = good;
    for (auto& se : bad) se.batch.size = 7;  // indexes 0..6 keep 3-hash paths
    bad.pop_back();
    ExpectRefusedUnchanged(c, bad, StatusCode::kVerificationFailed);
  }
  SECTION("a batch signature presented as a single signature") {
    auto bad = good;
    bad[4].batch = BatchInclusion{};
    ExpectRefusedUnchanged(c, bad, StatusCode::kVerificationFailed);
  }
  SECTION("an event swapped for another of the same actor") {
    auto other = BatchSign(c, "mine-1", Extractions(c, "mine-1", "OTHER-", 8));
    auto bad = good;
    bad[1].event_bytes = other[1].event_bytes;
    ExpectRefusedUnchanged(c, bad, StatusCode::kVerificationFailed);
  }
  SECTION("the unaltered batch appends") {
    REQUIRE(c.ledger().AppendBatch(good).ok());
  }
}

TEST_CASE("A part of a batch appends on its own; its records still verify", "[batch]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  const std::vector<SignedEvent> batch = BatchSign(c, "mine-1", Extractions(c, "mine-1", "ORE-", 10));
  REQUIRE(c.ledger().AppendBatch({batch[7], batch[2]}).ok());
  REQUIRE(c.ledger().Append(batch[9]).ok());
  CHECK(c.ledger().Audit()->valid);
  // Appending one event twice is refused by its event id.
  auto again = c.ledger().Append(batch[2]);
  REQUIRE_FALSE(again.ok());
  CHECK(again.status().code() == StatusCode::kAlreadyExists);
}

TEST_CASE("A batch root signed with another actor's key is refused", "[batch]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("mine-2", Role::kMine);
  const std::vector<Event> events = Extractions(c, "mine-1", "ORE-", 4);
  SECTION("under the signer's own key id") {
    auto signed_events = SignEventBatch(events, c.key("mine-2"));
    REQUIRE(signed_events.ok());
    ExpectRefusedUnchanged(c, *signed_events, StatusCode::kFailedPrecondition);  // key_actor_mismatch
  }
  SECTION("relabelled with the stating actor's key id") {
    auto signed_events = SignEventBatch(events, c.key("mine-2"));
    REQUIRE(signed_events.ok());
    for (auto& se : *signed_events) se.key_id = c.key("mine-1").public_key().KeyId();
    ExpectRefusedUnchanged(c, *signed_events, StatusCode::kVerificationFailed);
  }
}

TEST_CASE("A batch mixing actors is refused", "[batch]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("mine-2", Role::kMine);
  std::vector<Event> events = Extractions(c, "mine-1", "ORE-", 2);
  std::vector<Event> theirs = Extractions(c, "mine-2", "THEIRS-", 1);
  events.push_back(theirs[0]);
  // The signing functions refuse it.
  auto refused = SignEventBatch(events, c.key("mine-1"));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(refused.status().message(), Catch::Contains("one actor"));
  // A tree built by hand with mine-2's event in it, signed by mine-1: the
  // ledger refuses mine-2's event (its record would carry mine-1's key).
  std::vector<std::string> bytes;
  std::vector<Hash> leaves;
  for (const Event& ev : events) {
    bytes.push_back(*EncodeEvent(ev));
    leaves.push_back(merkle::LeafHash(bytes.back()));
  }
  // A 3-leaf tree: PATH(0) = [l1, l2], PATH(1) = [l0, l2], PATH(2) = [H(l0, l1)].
  const Hash root = merkle::RootFromLeafHashes(leaves);
  const std::string sig = *c.key("mine-1").Sign(EventBatchSigningInput(3, root));
  const std::string kid = c.key("mine-1").public_key().KeyId();
  std::vector<SignedEvent> mixed = {
      {bytes[0], kid, sig, {3, 0, {leaves[1], leaves[2]}}},
      {bytes[1], kid, sig, {3, 1, {leaves[0], leaves[2]}}},
      {bytes[2], kid, sig, {3, 2, {merkle::NodeHash(leaves[0], leaves[1])}}},
  };
  for (const SignedEvent& se : mixed) REQUIRE(SignatureInputOf(se.event_bytes, se.batch).ok());
  ExpectRefusedUnchanged(c, mixed, StatusCode::kFailedPrecondition);
  // mine-1's own two events of that tree are fine.
  REQUIRE(c.ledger().AppendBatch({mixed[0], mixed[1]}).ok());
}

TEST_CASE("A revoked key's batch signature is refused, and found after the fact", "[batch][keys]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  const std::string kid = c.key("mine-1").public_key().KeyId();
  SECTION("revoked before the append") {
    const std::uint64_t size = c.ledger().Info()->size;
    REQUIRE(c.AppendAs("regulator", c.root(), KeyRevoked{kid, size, "stolen laptop"}).ok());
    ExpectRefusedUnchanged(c, BatchSign(c, "mine-1", Extractions(c, "mine-1", "ORE-", 5)),
                           StatusCode::kFailedPrecondition);
  }
  SECTION("revoked retroactively from the middle of an appended batch") {
    auto results = c.ledger().AppendBatch(BatchSign(c, "mine-1", Extractions(c, "mine-1", "ORE-", 6)));
    REQUIRE(results.ok());
    const std::uint64_t from = (*results)[3].seq;
    REQUIRE(c.AppendAs("regulator", c.root(), KeyRevoked{kid, from, "key compromised"}).ok());
    CHECK(c.ledger().VerifyLot("ORE-2")->valid);
    auto v = c.ledger().VerifyLot("ORE-4");
    REQUIRE(v.ok());
    CHECK(Codes(v->findings).count(finding::kKeyRevoked) == 1);
    auto a = c.ledger().Audit();
    REQUIRE(a.ok());
    std::set<std::uint64_t> flagged;
    for (const Finding& f : a->findings) {
      CHECK(f.code == finding::kKeyRevoked);
      flagged.insert(f.seq);
    }
    CHECK(flagged == std::set<std::uint64_t>{from, from + 1, from + 2});
  }
}

TEST_CASE("A rewritten batch record is caught by its signature check alone", "[batch][tamper]") {
  // The owner of the file alters one batch-signed record and re-links the
  // log, tree and head: hash links hold, so only the batch signature check
  // can catch it -- for that record only.
  TestChain c;
  c.Register("mine-1", Role::kMine);
  const std::vector<SignedEvent> batch = BatchSign(c, "mine-1", Extractions(c, "mine-1", "ORE-", 16));
  auto results = c.ledger().AppendBatch(batch);
  REQUIRE(results.ok());
  const std::uint64_t target = (*results)[9].seq;
  SignedEvent forged = batch[9];
  SECTION("a path hash altered") { forged.batch.path[0][0] ^= 0x80; }
  SECTION("the index altered") { forged.batch.index = 8; }
  SECTION("the event of another batch of the same actor") {
    forged.event_bytes = BatchSign(c, "mine-1", Extractions(c, "mine-1", "X-", 16))[9].event_bytes;
  }
  SECTION("malformed: an index past the batch") { forged.batch.index = 16; }
  SECTION("malformed: a path hash dropped") { forged.batch.path.pop_back(); }
  SECTION("the batch fields dropped (read as a single signature)") { forged.batch = BatchInclusion{}; }
  c.Close();
  testing::RewriteHistory(c.path(), target, forged);
  c.Reopen();
  for (unsigned threads : {1u, 2u}) {
    AuditOptions o;
    o.threads = threads;
    auto a = c.ledger().Audit(o);
    REQUIRE(a.ok());
    CHECK_FALSE(a->valid);
    bool signature_finding = false;
    for (const Finding& f : a->findings) {
      if (f.code == finding::kSignatureInvalid) {
        CHECK(f.seq == target);
        signature_finding = true;
      }
    }
    CHECK(signature_finding);
  }
  CHECK(c.ledger().VerifyLot("ORE-8")->valid);
}

TEST_CASE("A single-signature record carrying batch fields is a signature finding",
          "[batch][tamper]") {
  // Batch fields outside a batch (batch_size 0) are outside every signature:
  // accepted, they would let the stored bytes change under a valid
  // signature. The ledger never writes them; written below the API, the
  // verifier names the record.
  TestChain c;
  c.Register("mine-1", Role::kMine);
  auto r = c.Do("mine-1", Extracted{MakeLot("ORE-1", MaterialClass::kOreConcentrate, 1000,
                                            {{Element::kNd, 10}}),
                                    "pit", ""});
  REQUIRE(r.ok());
  const std::uint64_t target = r->seq;
  c.Close();
  testing::WithLmdb(c.path(), [&](MDB_txn* txn, std::map<std::string, MDB_dbi>& t) {
    std::string key = testing::U64be(target);
    MDB_val k{key.size(), key.data()}, v;
    REQUIRE(mdb_get(txn, t["records"], &k, &v) == 0);
    std::string bytes(testing::View(v));
    bytes += std::string("\x38\x05", 2);  // field 7 (batch_index) = 5
    MDB_val nv{bytes.size(), bytes.data()};
    REQUIRE(mdb_put(txn, t["records"], &k, &nv, 0) == 0);
  });
  c.Reopen();
  auto a = c.ledger().Audit(AuditOptions{});
  REQUIRE(a.ok());
  CHECK_FALSE(a->valid);
  bool named = false;
  for (const Finding& f : a->findings) {
    if (f.code == finding::kSignatureInvalid && f.seq == target) named = true;
  }
  CHECK(named);
}

TEST_CASE("Every byte of a stored batch-signed record is covered", "[batch][tamper]") {
  // Flip each byte of one batch-signed record in LMDB: the audit never
  // reports the ledger valid.
  TestChain c;
  c.Register("mine-1", Role::kMine);
  auto results = c.ledger().AppendBatch(BatchSign(c, "mine-1", Extractions(c, "mine-1", "ORE-", 5)));
  REQUIRE(results.ok());
  const std::uint64_t target = (*results)[3].seq;
  const std::string key = testing::U64be(target);
  c.Close();
  std::string original;
  testing::WithLmdb(c.path(), [&](MDB_txn* txn, std::map<std::string, MDB_dbi>& t) {
    MDB_val k{key.size(), const_cast<char*>(key.data())}, v;
    REQUIRE(mdb_get(txn, t["records"], &k, &v) == 0);
    original.assign(static_cast<const char*>(v.mv_data), v.mv_size);
  });
  auto rec = DecodeRecord(original);
  REQUIRE(rec.ok());
  REQUIRE(rec->batch.size == 5);
  auto put = [&](const std::string& bytes) {
    testing::WithLmdb(c.path(), [&](MDB_txn* txn, std::map<std::string, MDB_dbi>& t) {
      MDB_val k{key.size(), const_cast<char*>(key.data())};
      MDB_val v{bytes.size(), const_cast<char*>(bytes.data())};
      REQUIRE(mdb_put(txn, t["records"], &k, &v, 0) == 0);
    });
  };
  std::size_t flipped = 0;
  for (std::size_t i = 0; i < original.size(); ++i) {
    std::string bad = original;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    put(bad);
    Options o;
    o.sync = false;
    auto l = Ledger::Open(o, c.path());
    if (l.ok()) {
      AuditOptions ao;
      ao.threads = 1;
      auto a = (*l)->Audit(ao);
      CHECK((!a.ok() || !a->valid));
    }
    ++flipped;
  }
  put(original);
  c.Reopen();
  CHECK(c.ledger().Audit()->valid);
  CHECK(flipped == original.size());
}

TEST_CASE("A lineage bundle of batch-signed records verifies offline", "[batch][bundle]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("sep-1", Role::kSeparator);
  REQUIRE(c.ledger().AppendBatch(BatchSign(c, "mine-1", Extractions(c, "mine-1", "ORE-", 20))).ok());
  // A shipment and its receipt, each in a batch of its own actor.
  std::vector<Event> ships;
  for (int i = 0; i < 3; ++i) {
    const std::string lot = "ORE-" + std::to_string(i);
    Event ev = c.MakeEvent("mine-1", Shipped{lot, std::nullopt, "sep-1", 1000});
    REQUIRE(c.ledger().LinkParents(&ev).ok());
    ships.push_back(std::move(ev));
  }
  REQUIRE(c.ledger().AppendBatch(BatchSign(c, "mine-1", ships)).ok());
  std::vector<Event> receipts;
  for (int i = 0; i < 3; ++i) {
    const std::string lot = "ORE-" + std::to_string(i);
    Event ev = c.MakeEvent("sep-1", Received{lot, std::nullopt, "mine-1", 1000});
    REQUIRE(c.ledger().LinkParents(&ev).ok());
    receipts.push_back(std::move(ev));
  }
  REQUIRE(c.ledger().AppendBatch(BatchSign(c, "sep-1", receipts)).ok());
  auto log = NoteSigner::Generate("test-ledger", NoteKeyType::kEd25519);
  REQUIRE(log.ok());
  REQUIRE(c.ledger().SignCheckpoint(**log).ok());
  auto bundle = ProveLineage(c.ledger(), "ORE-1");
  REQUIRE(bundle.ok());
  auto report = VerifyBundle(*bundle, c.root().public_key(), (*log)->verifier());
  REQUIRE(report.ok());
  for (const Finding& f : report->findings) UNSCOPED_INFO(f.code << " at " << f.seq << ": " << f.message);
  CHECK(report->valid);
  CHECK(report->findings.empty());
}

}  // namespace
}  // namespace retrace
