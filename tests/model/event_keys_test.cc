// ScanEventKeys (the integrity audit's wire-level reader of index keys)
// against protobuf's parser: on every event of a chain, on hand-made
// non-canonical encodings, and on thousands of random mutations, whenever the
// fast reader answers and protobuf parses the bytes, both give the same keys.
#include <google/protobuf/stubs/logging.h>

#include <catch2/catch.hpp>
#include <random>
#include <string>

#include "model/event_keys.h"
#include "model/proto_convert.h"
#include "retrace/v1/retrace.pb.h"
#include "testing/test_chain.h"
#include "testing/wire.h"

namespace retrace {
namespace {

using internal::EventKeys;
using internal::EventKeysOf;
using internal::ScanEventKeys;

using testing::Len;
using testing::Varint;

bool SameKeys(const EventKeys& a, const EventKeys& b) {
  return a.ledger_id == b.ledger_id && a.event_id == b.event_id && a.actor_id == b.actor_id &&
         a.time_seconds == b.time_seconds && a.body == b.body && a.quota_kind == b.quota_kind &&
         a.lots == b.lots && a.moved == b.moved;
}

// The protobuf answer, or nullopt if protobuf refuses the bytes.
bool Reference(const std::string& bytes, v1::Event* ev, EventKeys* out) {
  if (!internal::ParseEventBytes(bytes, ev).ok()) return false;
  EventKeysOf(*ev, out);
  return true;
}

std::vector<std::string> ChainEvents() {
  testing::TestChain c;
  testing::FiveStage::Build(c);
  std::vector<std::string> out;
  const std::uint64_t size = c.ledger().Info()->size;
  for (std::uint64_t s = 0; s < size; ++s) out.push_back(c.ledger().ReadRecord(s)->event_bytes);
  return out;
}

TEST_CASE("ScanEventKeys reads every custody event of a chain as protobuf does", "[event_keys]") {
  int scanned = 0, left = 0;
  for (const std::string& bytes : ChainEvents()) {
    v1::Event ev;
    EventKeys want, got;
    REQUIRE(Reference(bytes, &ev, &want));
    if (ScanEventKeys(bytes, &got)) {
      ++scanned;
      CHECK(SameKeys(got, want));
      CHECK_FALSE(got.lots.empty());
    } else {
      ++left;
      // Only key and regulatory events are left to protobuf.
      CHECK((ev.has_genesis() || ev.has_actor_registered() || ev.has_quota_granted() ||
             ev.has_policy_set() || ev.has_key_rotated() || ev.has_key_revoked()));
    }
  }
  CHECK(scanned >= 10);
  CHECK(left >= 5);
}

TEST_CASE("ScanEventKeys leaves non-canonical encodings to protobuf", "[event_keys]") {
  std::string base;
  for (const std::string& b : ChainEvents()) {
    v1::Event ev;
    REQUIRE(internal::ParseEventBytes(b, &ev).ok());
    if (ev.has_transformed()) {
      base = b;
      break;
    }
  }
  REQUIRE_FALSE(base.empty());
  EventKeys got, want;
  v1::Event ev;
  // A second event_id: protobuf keeps the last.
  std::string twice = base + Len(2, "ev-other");
  CHECK_FALSE(ScanEventKeys(twice, &got));
  REQUIRE(Reference(twice, &ev, &want));
  CHECK(want.event_id == "ev-other");
  // A second body (oneof): protobuf keeps the last.
  CHECK_FALSE(ScanEventKeys(base + Len(13, Len(1, "LOT-X")), &got));
  // The same body twice: protobuf merges them.
  CHECK_FALSE(ScanEventKeys(base + Len(15, Len(1, Len(1, "LOT-Y"))), &got));
  // event_id with the varint wire type is an unknown field to protobuf.
  CHECK_FALSE(ScanEventKeys(base + Varint((2 << 3) | 0) + Varint(5), &got));
  // Unknown fields are skipped by both.
  std::string unknown = base + Varint((99 << 3) | 0) + Varint(12345) + Len(98, "zz");
  REQUIRE(ScanEventKeys(unknown, &got));
  REQUIRE(Reference(unknown, &ev, &want));
  CHECK(SameKeys(got, want));
  // Truncated: the reader refuses, and so does protobuf.
  CHECK_FALSE(ScanEventKeys(base.substr(0, base.size() - 1), &got));
}

TEST_CASE("ScanEventKeys agrees with protobuf on random mutations", "[event_keys]") {
  google::protobuf::LogSilencer quiet;
  std::mt19937_64 rng(20261128);
  int agreed = 0, refused = 0;
  for (const std::string& bytes : ChainEvents()) {
    for (int t = 0; t < 400; ++t) {
      std::string m = bytes;
      switch (rng() % 3) {
        case 0: m[rng() % m.size()] ^= static_cast<char>(1 + rng() % 255); break;
        case 1: m.resize(rng() % m.size()); break;
        default: m.insert(rng() % m.size(), 1, static_cast<char>(rng())); break;
      }
      EventKeys got, want;
      v1::Event ev;
      if (!ScanEventKeys(m, &got)) {
        ++refused;
        continue;
      }
      if (!Reference(m, &ev, &want)) continue;  // e.g. bad UTF-8 the reader does not judge
      INFO("mutated event of " << m.size() << " bytes");
      CHECK(SameKeys(got, want));
      ++agreed;
    }
  }
  CHECK(agreed > 1000);
  CHECK(refused > 1000);
}

}  // namespace
}  // namespace retrace
