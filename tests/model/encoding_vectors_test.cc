// Golden bytes for what must never change: EncodeEvent for every event body
// kind, EventSigningInput, EncodeRecord with and without batch fields, the
// record hash, and the batch signing input. Record hashes are predicted
// through protobuf's deterministic serialisation and bundles re-serialise to
// identical bytes, so a protobuf upgrade (or a change to the conversion
// code) that moved a single byte would silently fork every ledger; these
// vectors make it loud.
//
// The expected bytes are tests/vectors/model/encoding.txt, written by
// tests/vectors/model/generate.sh from the text-format events beside it with
// protoc --encode, printf, xxd and sha256sum -- not by retrace. The events
// below are the same events built as C++ values; a vector that does not
// match is a format change, never a reason to regenerate the file.
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "crypto/keys_internal.h"
#include "model/record.h"
#include "retrace/event.h"
#include "retrace/hash.h"
#include "retrace/merkle.h"
#include "util/hex.h"

#ifndef RETRACE_TEST_VECTORS_DIR
#error "RETRACE_TEST_VECTORS_DIR must name tests/vectors"
#endif

namespace retrace {
namespace {

using internal::EncodeRecord;
using internal::HexDecode;
using internal::HexEncode;
using internal::RecordHash;

// name -> hex, from encoding.txt.
const std::map<std::string, std::string>& Golden() {
  static const std::map<std::string, std::string> golden = [] {
    std::map<std::string, std::string> out;
    const std::string path = std::string(RETRACE_TEST_VECTORS_DIR) + "/model/encoding.txt";
    std::ifstream in(path);
    if (!in.good()) return out;
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      std::istringstream fields(line);
      std::string name, hex;
      fields >> name >> hex;
      out[name] = hex;
    }
    return out;
  }();
  return golden;
}

std::string GoldenHex(const std::string& name) {
  auto it = Golden().find(name);
  INFO("vector " << name << " in tests/vectors/model/encoding.txt");
  REQUIRE(it != Golden().end());
  return it->second;
}

std::string GoldenBytes(const std::string& name) {
  Result<std::string> bytes = HexDecode(GoldenHex(name));
  REQUIRE(bytes.ok());
  return *bytes;
}

Hash Filled(std::uint8_t b) {
  Hash h;
  h.fill(b);
  return h;
}

Hash HashOf(const std::string& hex) {
  Result<Hash> h = HashFromHex(hex);
  REQUIRE(h.ok());
  return *h;
}

PublicKey Key(const char* spki_hex) {
  Result<PublicKey> key = PublicKey::FromDer(*HexDecode(spki_hex));
  REQUIRE(key.ok());
  return *key;
}

// The RFC 8032 section 7.1 TEST 1 and TEST 2 public keys.
PublicKey Rfc8032Key1() {
  return Key("302a300506032b6570032100d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
}
PublicKey Rfc8032Key2() {
  return Key("302a300506032b65700321003d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
}

// The header every event_<kind>.txtpb shares.
Event Header(const std::string& kind, const std::string& actor, bool references) {
  Event e;
  e.ledger_id = "000102030405060708090a0b0c0d0e0f";
  e.event_id = "ev-" + kind;
  e.actor_id = actor;
  e.time = Timestamp{1767225600, 123456789};
  if (references) e.references = {{"invoice", "INV-2026-001"}, {"permit", "P-7"}};
  return e;
}

// The events of tests/vectors/model/event_<kind>.txtpb, field for field.
std::vector<std::pair<std::string, Event>> GoldenEvents() {
  std::vector<std::pair<std::string, Event>> out;
  auto add = [&](const std::string& kind, const std::string& actor, bool refs, EventBody body) {
    Event e = Header(kind, actor, refs);
    e.body = std::move(body);
    out.emplace_back(kind, std::move(e));
  };
  add("genesis", "regulator", false, Genesis{"cn-rare-earth", "regulator", Rfc8032Key1()});
  add("actor_registered", "regulator", false,
      ActorRegistered{"mine-1", "Bayan Obo Mining Co.", Role::kMine, Rfc8032Key2(),
                      "C1500002009", "CN"});
  add("extracted", "mine-1", true,
      Extracted{Lot{"ore-1", MaterialClass::kOreConcentrate, 1000000,
                    {{Element::kCe, 30000}, {Element::kNd, 12000}},
                    "\xe7\x99\xbd\xe4\xba\x91\xe9\x84\x82\xe5\x8d\x9a concentrate"},
                "Bayan Obo", "C1500002009", QuotaKind::kMiningRock});
  add("shipped", "mine-1", true, Shipped{"ore-1", Filled(0x11), "sep-1", 1000000});
  add("received", "sep-1", false, Received{"ore-1", Filled(0x22), "mine-1", 1000000});
  add("transformed", "sep-1", false,
      Transformed{{TransformInput{"ore-1", 1000000, Filled(0x33)}},
                  {Lot{"ndpr-1", MaterialClass::kSeparatedOxide, 14000,
                       {{Element::kNd, 9000}, {Element::kPr, 2500}}, ""},
                   Lot{"ce-1", MaterialClass::kSeparatedOxide, 35000, {{Element::kCe, 28000}}, ""}},
                  {Additive{"HCl", 5000}},
                  956000,
                  "solvent extraction"});
  add("exported", "exp-1", true, Exported{"mag-1", Filled(0x44), 5000, "CD-2026-0001", "DE"});
  add("quota_granted", "regulator", false,
      QuotaGranted{"mine-1", 2026, QuotaKind::kMiningRock, 5000000000, "MIIT 2026 batch 1"});
  add("policy_set", "regulator", false,
      PolicySet{"five-stage",
                {StageRule{Role::kMine, {"extracted", "shipped"}, {}, {MaterialClass::kOreConcentrate}, 0},
                 StageRule{Role::kSeparator,
                           {"received", "transformed", "shipped"},
                           {MaterialClass::kOreConcentrate, MaterialClass::kMixedCompound},
                           {MaterialClass::kSeparatedOxide},
                           500}}});
  add("recycled", "rec-1", false,
      Recycled{Lot{"rec-1", MaterialClass::kMetalAlloy, 800, {{Element::kNd, 250}}, ""},
               {Additive{"magnet swarf", 1000}},
               "Ganzhou collection"});
  add("imported", "imp-1", false,
      Imported{Lot{"imp-1", MaterialClass::kMixedCompound, 20000,
                   {{Element::kDy, 400}, {Element::kTb, 60}}, ""},
               "CD-IMP-7", "MM"});
  add("key_rotated", "mine-1", false, KeyRotated{"mine-1", Rfc8032Key1(), "0123456789abcdef"});
  add("key_revoked", "regulator", false, KeyRevoked{"0123456789abcdef", 42, "key compromised"});
  add("reversed", "sep-1", false,
      Reversed{17, Filled(0x55), {"ore-1", "ndpr-1", "ce-1"},
               "SAP movement type 262: production confirmation reversed", ""});
  return out;
}

std::string MustEncode(const Event& e) {
  Result<std::string> bytes = EncodeEvent(e);
  INFO(bytes.status().ToString());
  REQUIRE(bytes.ok());
  return *bytes;
}

TEST_CASE("EncodeEvent gives the golden bytes for every event body kind", "[model][vectors]") {
  std::set<std::size_t> kinds;
  int ran = 0;
  for (const auto& [kind, event] : GoldenEvents()) {
    INFO("event." << kind);
    CHECK(EventKindName(event.body) == kind);
    CHECK(HexEncode(MustEncode(event)) == GoldenHex("event." + kind));
    kinds.insert(event.body.index());
    ++ran;
  }
  // Every alternative of EventBody, each once: a new body kind must come
  // with its vector.
  CHECK(ran == 14);
  CHECK(kinds.size() == std::variant_size_v<EventBody>);
}

TEST_CASE("Golden event bytes decode and re-encode to the same bytes", "[model][vectors]") {
  int ran = 0;
  for (const auto& [kind, event] : GoldenEvents()) {
    INFO("event." << kind);
    const std::string golden = GoldenBytes("event." + kind);
    Result<Event> decoded = DecodeEvent(golden);
    INFO(decoded.status().ToString());
    REQUIRE(decoded.ok());
    CHECK(decoded->event_id == event.event_id);
    CHECK(HexEncode(MustEncode(*decoded)) == HexEncode(golden));
    ++ran;
  }
  CHECK(ran == 14);
}

TEST_CASE("EventSigningInput gives the golden bytes", "[model][vectors]") {
  const std::string extracted = GoldenBytes("event.extracted");
  CHECK(HexEncode(EventSigningInput(extracted)) == GoldenHex("signing_input.extracted"));
  // SignatureInputOf a single-signature event is the same message.
  Result<std::string> input = SignatureInputOf(extracted, BatchInclusion{});
  REQUIRE(input.ok());
  CHECK(HexEncode(*input) == GoldenHex("signing_input.extracted"));
}

TEST_CASE("EncodeRecord gives the golden bytes and hash for a single-signature record",
          "[model][vectors]") {
  const std::string extracted = GoldenBytes("event.extracted");
  const std::string key_id = "5f1a2b3c4d5e6f70";
  const std::string signature(64, '\x5a');
  const std::string stored = EncodeRecord(7, Filled(0xaa), extracted, key_id, signature);
  CHECK(HexEncode(stored) == GoldenHex("record.single"));
  // The SignedEvent overload without batch fields writes the same bytes.
  CHECK(EncodeRecord(7, Filled(0xaa), SignedEvent(extracted, key_id, signature)) == stored);
  CHECK(HashToHex(RecordHash(stored)) == GoldenHex("record.single.hash"));

  Result<Record> r = DecodeRecord(GoldenBytes("record.single"));
  REQUIRE(r.ok());
  CHECK(r->seq == 7);
  CHECK(r->prev_hash == Filled(0xaa));
  CHECK(r->event_bytes == extracted);
  CHECK(r->key_id == key_id);
  CHECK(r->signature == signature);
  CHECK(r->batch.size == 0);
  CHECK(HashToHex(r->hash) == GoldenHex("record.single.hash"));
}

TEST_CASE("EncodeRecord gives the golden bytes and hash for a batch-signed record",
          "[model][vectors]") {
  const std::string shipped = GoldenBytes("event.shipped");
  const Hash leaf0 = merkle::LeafHash(GoldenBytes("event.extracted"));
  const BatchInclusion batch{2, 1, {leaf0}};
  const std::string signature(64, '\x5b');
  const std::string stored =
      EncodeRecord(8, Filled(0xbb), SignedEvent(shipped, "5f1a2b3c4d5e6f70", signature, batch));
  CHECK(HexEncode(stored) == GoldenHex("record.batch"));
  CHECK(HashToHex(RecordHash(stored)) == GoldenHex("record.batch.hash"));

  Result<Record> r = DecodeRecord(GoldenBytes("record.batch"));
  REQUIRE(r.ok());
  CHECK(r->seq == 8);
  CHECK(r->event_bytes == shipped);
  CHECK(r->signature == signature);
  CHECK(r->batch.size == 2);
  CHECK(r->batch.index == 1);
  REQUIRE(r->batch.path.size() == 1);
  CHECK(r->batch.path[0] == leaf0);
  CHECK(HashToHex(r->hash) == GoldenHex("record.batch.hash"));
}

TEST_CASE("The batch signing input of the golden batch is the golden bytes", "[model][vectors]") {
  const std::string extracted = GoldenBytes("event.extracted");
  const std::string shipped = GoldenBytes("event.shipped");
  const Hash root = HashOf(GoldenHex("batch.root"));
  CHECK(merkle::NodeHash(merkle::LeafHash(extracted), merkle::LeafHash(shipped)) == root);
  CHECK(HexEncode(EventBatchSigningInput(2, root)) == GoldenHex("signing_input.batch"));
  // From each event and its audit path, as a verifier computes it.
  Result<std::string> from_first =
      SignatureInputOf(extracted, BatchInclusion{2, 0, {merkle::LeafHash(shipped)}});
  Result<std::string> from_second =
      SignatureInputOf(shipped, BatchInclusion{2, 1, {merkle::LeafHash(extracted)}});
  REQUIRE(from_first.ok());
  REQUIRE(from_second.ok());
  CHECK(HexEncode(*from_first) == GoldenHex("signing_input.batch"));
  CHECK(HexEncode(*from_second) == GoldenHex("signing_input.batch"));

  // The batch signer puts the same paths in the records and signs exactly
  // that message (Ed25519 is deterministic, RFC 8032 TEST 1 key).
  Result<std::unique_ptr<Signer>> signer = internal::Ed25519SignerFromSeedForTest(
      *HexDecode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  REQUIRE(signer.ok());
  Result<std::vector<SignedEvent>> signed_batch =
      SignEncodedEventBatch({extracted, shipped}, **signer);
  REQUIRE(signed_batch.ok());
  REQUIRE(signed_batch->size() == 2);
  const SignedEvent& second = (*signed_batch)[1];
  CHECK(second.batch.size == 2);
  CHECK(second.batch.index == 1);
  REQUIRE(second.batch.path.size() == 1);
  CHECK(second.batch.path[0] == merkle::LeafHash(extracted));
  Result<std::string> expected_sig = (*signer)->Sign(GoldenBytes("signing_input.batch"));
  REQUIRE(expected_sig.ok());
  CHECK(second.signature == *expected_sig);
}

}  // namespace
}  // namespace retrace
