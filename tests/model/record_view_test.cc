// ParseRecordView (the verifier's zero-copy record parser) against
// DecodeRecord (protobuf's parser, the reference): on valid records, on every
// wire-format corner the fast parser implements by hand, and on thousands of
// random mutations, both accept the same bytes with the same fields and
// refuse the same bytes with the same message -- single-signature records
// and batch-signed ones (fields 6-8) alike.
#include <google/protobuf/stubs/logging.h>

#include <catch2/catch.hpp>
#include <random>
#include <string>

#include "model/record.h"
#include "retrace/event.h"
#include "testing/wire.h"

namespace retrace {
namespace {

using internal::BatchInclusionOf;
using internal::EncodeRecord;
using internal::ParseRecordView;
using internal::RecordView;

using testing::Len;
using testing::Tag;
using testing::Varint;

std::string Valid(std::uint64_t seq = 7) {
  Hash prev{};
  for (std::size_t i = 0; i < prev.size(); ++i) prev[i] = static_cast<std::uint8_t>(i * 7);
  return EncodeRecord(seq, prev, std::string("\x0a\x03" "abc", 5), "key-\xc3\xa9", std::string(64, 's'));
}

// A batch-signed record: leaf 5 of a batch of 7, a three-hash path.
std::string ValidBatchSigned(std::uint64_t seq = 7) {
  Hash prev{};
  for (std::size_t i = 0; i < prev.size(); ++i) prev[i] = static_cast<std::uint8_t>(i * 5);
  BatchInclusion batch{7, 5, {}};
  for (std::uint8_t n = 1; n <= 3; ++n) {
    Hash h{};
    for (std::size_t i = 0; i < h.size(); ++i) h[i] = static_cast<std::uint8_t>(n * 31 + i);
    batch.path.push_back(h);
  }
  return EncodeRecord(seq, prev,
                      SignedEvent(std::string("\x0a\x03" "abc", 5), "key-\xc3\xa9",
                                  std::string(64, 's'), batch));
}

// An import record (federation stage 3): record 9 carrying Valid(3) as its
// registry record, with a proof.
std::string ValidImport() {
  Hash prev{};
  for (std::size_t i = 0; i < prev.size(); ++i) prev[i] = static_cast<std::uint8_t>(i * 3);
  v1::RegistryProof proof;
  proof.set_index(3);
  proof.set_checkpoint("registry\n4\nroot\n");
  proof.add_inclusion(std::string(32, 'h'));
  return internal::EncodeImportRecord(9, prev, Valid(3), proof);
}

// Both parsers on `bytes`; returns whether they agreed. Counts acceptances.
bool Agree(const std::string& bytes, int* accepted = nullptr) {
  google::protobuf::LogSilencer quiet;  // protobuf logs each invalid UTF-8 string
  Result<Record> ref = DecodeRecord(bytes);
  RecordView v;
  Status st = ParseRecordView(bytes, &v);
  if (ref.ok() != st.ok()) {
    UNSCOPED_INFO("reference " << (ref.ok() ? "accepts" : "refuses") << ", fast parser "
                               << (st.ok() ? "accepts" : "refuses"));
    return false;
  }
  if (!st.ok()) return ref.status().message() == st.message() && st.code() == ref.status().code();
  if (accepted != nullptr) ++*accepted;
  return v.seq == ref->seq && v.prev_hash == ref->prev_hash && v.event_bytes == ref->event_bytes &&
         v.key_id == ref->key_id && v.signature == ref->signature && v.stored == bytes &&
         v.batch_size == ref->batch.size && v.batch_index == ref->batch.index &&
         v.batch_path_size == ref->batch.path.size() && BatchInclusionOf(v).path == ref->batch.path &&
         v.registry_record == (ref->registry_import ? ref->registry_import->record : std::string());
}

TEST_CASE("ParseRecordView reads a stored record in place", "[model]") {
  const std::string b = Valid(123456789);
  RecordView v;
  REQUIRE(ParseRecordView(b, &v).ok());
  CHECK(v.seq == 123456789);
  CHECK(v.key_id == "key-\xc3\xa9");
  CHECK(v.signature == std::string(64, 's'));
  CHECK(v.event_bytes.data() >= b.data());
  CHECK(v.event_bytes.data() + v.event_bytes.size() <= b.data() + b.size());
  CHECK(v.stored.data() == b.data());
  CHECK(v.batch_size == 0);
  CHECK(v.batch_path_size == 0);
  CHECK(v.batch_path_wire.empty());
  CHECK(Agree(b));
}

TEST_CASE("ParseRecordView reads a batch-signed record's batch fields in place", "[model]") {
  const std::string b = ValidBatchSigned(99);
  RecordView v;
  REQUIRE(ParseRecordView(b, &v).ok());
  CHECK(v.seq == 99);
  CHECK(v.batch_size == 7);
  CHECK(v.batch_index == 5);
  CHECK(v.batch_path_size == 3);
  CHECK(v.batch_path_wire.data() >= b.data());
  CHECK(v.batch_path_wire.data() + v.batch_path_wire.size() <= b.data() + b.size());
  const BatchInclusion batch = BatchInclusionOf(v);
  REQUIRE(batch.path.size() == 3);
  CHECK(batch.path[0][0] == 31);
  CHECK(batch.path[2][31] == 3 * 31 + 31);
  auto ref = DecodeRecord(b);
  REQUIRE(ref.ok());
  CHECK(batch.size == ref->batch.size);
  CHECK(batch.index == ref->batch.index);
  CHECK(batch.path == ref->batch.path);
  CHECK(Agree(b));
}

TEST_CASE("ParseRecordView follows protobuf's wire rules, as DecodeRecord does", "[model]") {
  const std::string prev(32, 'p');
  const std::string base = Tag(1, 0) + Varint(5) + Len(2, prev) + Len(3, "ev") + Len(4, "k") +
                           Len(5, "sig");
  const std::string h1(32, '1'), h2(32, '2');
  std::vector<std::string> cases = {
      base,
      "",                                           // no prev_hash
      base + Tag(9, 0) + Varint(1),                 // unknown varint (reserved field)
      base + Tag(7, 1) + std::string(8, 'x'),       // unknown fixed64 (batch_index's number)
      base + Tag(8, 5) + std::string(4, 'x'),       // unknown fixed32 (batch_path's number)
      base + Len(9, "batch"),                       // unknown bytes
      base + Tag(1000, 2) + Varint(3) + "abc",      // a large field number
      base + Tag(6, 3) + Tag(1, 0) + Varint(9) + Tag(6, 4),  // a group
      base + Tag(6, 3) + Tag(7, 3) + Tag(7, 4) + Tag(6, 4),  // nested groups
      base + Tag(6, 3) + Tag(7, 4),                 // a group closed by another's end tag
      base + Tag(6, 3),                             // an unterminated group
      base + Tag(6, 4),                             // a stray end tag
      base + Tag(6, 6),                             // wire type 6
      base + Tag(6, 7),                             // wire type 7
      base + Tag(0, 0) + Varint(1),                 // field number 0
      base + Tag(0, 2) + Varint(0),                 // field number 0, bytes
      base + std::string(1, '\0'),                  // tag 0
      base + Tag(1, 2) + Varint(1) + "x",           // seq with the wrong wire type
      base + Tag(2, 0) + Varint(1),                 // prev_hash with the wrong wire type
      base + Tag(3, 5) + "abcd",                    // event as fixed32
      base + Len(3, "second event"),                // the last occurrence wins
      base + Len(2, std::string(31, 'q')),          // ... even a bad one
      base + Tag(1, 0) + "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",   // 10-byte varint
      base + Tag(1, 0) + "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f",   // bits beyond 64
      base + Tag(1, 0) + "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",  // 11 bytes
      base + Tag(1, 0) + "\x80\x80\x00",            // an overlong varint
      base + "\x88\x80\x80\x80\x00" + Varint(3),    // an overlong tag (5 bytes)
      base + "\x88\x80\x80\x80\x80\x00" + Varint(3),  // a 6-byte tag
      base + "\x88\x80\x80\x80\x7f" + Varint(3),    // tag bits beyond 32
      base + Tag(9, 2) + "\x83\x80\x80\x80\x00" + "abc",  // an overlong length
      base + Tag(9, 2) + "\x80\x80\x80\x80\x08",    // a length of 2 GiB
      base + Tag(9, 2) + Varint(4) + "abc",         // a length past the end
      base + Tag(1, 0),                             // a tag without its value
      base + Tag(1, 0) + "\x80",                    // a truncated varint
      // Batch fields (6-8; 9 stays reserved).
      base + Tag(6, 0) + Varint(4) + Tag(7, 0) + Varint(3) + Len(8, h1) + Len(8, h2),
      base + Tag(6, 0) + Varint(1),                 // batch_size alone
      base + Tag(7, 0) + Varint(9),                 // batch_index alone
      base + Len(8, h1),                            // batch_path alone
      base + Tag(6, 0) + Varint(2) + Tag(6, 0) + Varint(5),  // batch_size: the last wins
      base + Tag(7, 0) + Varint(2) + Tag(7, 0) + Varint(0),  // batch_index: the last wins
      base + Tag(6, 0) + "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f",  // bits beyond 64
      base + Tag(6, 0) + "\x80",                    // batch_size truncated
      base + Len(8, h1) + Len(9, "x") + Tag(6, 0) + Varint(2) + Len(8, h2),  // path interleaved
      base + Len(8, h2) + Len(3, "ev2") + Len(8, h1) + Len(8, h2),  // ... and repeated hashes
      base + Len(8, h1) + Tag(10, 3) + Len(8, h2) + Tag(10, 4),  // a path hash inside a group
      base + Len(8, h1) + Tag(9, 2) + Varint(40) + h2,       // a length past the end
      base + Len(8, std::string(31, 'h')),          // a 31-byte path hash
      base + Len(8, std::string(33, 'h')),          // a 33-byte path hash
      base + Len(8, ""),                            // an empty path hash
      base + Len(8, h1) + Len(8, std::string(5, 'h')) + Len(8, std::string(7, 'h')),  // first bad named
      Tag(1, 0) + Varint(5) + Len(2, std::string(3, 'p')) + Len(8, std::string(3, 'h')),  // prev first
      base + Tag(6, 2) + Varint(1) + "x",           // batch_size with the wrong wire type
      base + Tag(6, 1) + std::string(8, 'x'),       // ... as fixed64
      base + Tag(7, 2) + Varint(0),                 // batch_index as empty bytes
      base + Tag(8, 0) + Varint(32),                // batch_path as a varint
      base + Tag(8, 3) + Tag(8, 4),                 // batch_path as a group
      base + Tag(8, 2) + Varint(32),                // a path hash cut short
      base + Len(4, "\xc3"),                        // key_id: truncated UTF-8
      base + Len(4, "\xc0\xaf"),                    // key_id: overlong UTF-8
      base + Len(4, "\xed\xa0\x80"),                // key_id: a surrogate
      base + Len(4, "\xf4\x90\x80\x80"),            // key_id: beyond U+10FFFF
      base + Len(4, "\xf0\x9f\x98\x80"),            // key_id: an emoji
      base + Len(4, std::string("a\0b", 3)),        // key_id: NUL is valid UTF-8
      base + Len(3, "\xff\xfe"),                    // bytes fields need no UTF-8
  };
  std::string deep = base;
  for (int i = 0; i < 100; ++i) deep += Tag(6, 3);
  for (int i = 0; i < 100; ++i) deep += Tag(6, 4);
  cases.push_back(deep);  // 100 nested groups: protobuf's recursion limit
  std::string deeper = base;
  for (int i = 0; i < 101; ++i) deeper += Tag(6, 3);
  for (int i = 0; i < 101; ++i) deeper += Tag(6, 4);
  cases.push_back(deeper);
  int accepted = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    INFO("case " << i);
    CHECK(Agree(cases[i], &accepted));
  }
  CHECK(accepted > 10);
  CHECK(accepted < static_cast<int>(cases.size()) - 10);
}

TEST_CASE("ParseRecordView reads an import record, and ResolveRegistryRecord the registry "
          "record inside it",
          "[model]") {
  const std::string stored = ValidImport();
  RecordView v;
  REQUIRE(ParseRecordView(stored, &v).ok());
  CHECK(v.seq == 9);
  CHECK(v.event_bytes.empty());
  CHECK(v.registry_record == Valid(3));
  CHECK(!v.registry_import);
  REQUIRE(internal::ResolveRegistryRecord(&v).ok());
  CHECK(v.registry_import);
  CHECK(v.seq == 9);  // its own position
  CHECK(v.event_bytes == std::string("\x0a\x03" "abc", 5));
  CHECK(v.key_id == "key-\xc3\xa9");
  CHECK(v.signature == std::string(64, 's'));
  CHECK(v.stored == stored);
  // An ordinary record is left as it is.
  const std::string plain = Valid();
  RecordView p;
  REQUIRE(ParseRecordView(plain, &p).ok());
  REQUIRE(internal::ResolveRegistryRecord(&p).ok());
  CHECK(!p.registry_import);
  // An import record with an event of its own, or a registry record that
  // does not parse, is refused.
  RecordView both;
  const std::string with_event = stored + Len(3, "\x0a\x01x");
  REQUIRE(ParseRecordView(with_event, &both).ok());
  CHECK(!internal::ResolveRegistryRecord(&both).ok());
  RecordView broken;
  const std::string bad_inner = stored + Len(10, "\x12\x01");
  REQUIRE(ParseRecordView(bad_inner, &broken).ok());
  CHECK(!internal::ResolveRegistryRecord(&broken).ok());
  // A registry proof that is not a RegistryProof: both parsers refuse.
  CHECK(Agree(stored + Len(11, "\x12\x01\xff")));
  CHECK(!DecodeRecord(stored + Len(11, "\x12\x01\xff")).ok());
}

TEST_CASE("ParseRecordView agrees with DecodeRecord on mutated records", "[model]") {
  std::mt19937_64 rng(20261128);
  const std::string bases[] = {Valid(), ValidBatchSigned(), ValidImport()};
  int accepted = 0, runs = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string b = bases[i % 3];
    testing::MutateWire(&b, rng);
    ++runs;
    INFO("mutation " << i);
    REQUIRE(Agree(b, &accepted));
  }
  // Both outcomes are exercised, not just one.
  CHECK(accepted > runs / 50);
  CHECK(accepted < runs - runs / 50);
}

}  // namespace
}  // namespace retrace
