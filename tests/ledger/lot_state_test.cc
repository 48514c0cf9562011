// The lot table's values (lib/ledger/state.cc): DecodeLotState and
// LotStateIntact read the form EncodeLotState writes in place and leave any
// other form to protobuf. Against a reference that parses every value with
// protobuf and makes the same checks -- on written values, on the wire-format
// corners a writer never produces, and on thousands of random mutations --
// both accept the same values with the same fields and refuse the same ones.
#include <google/protobuf/stubs/logging.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "ledger/state.h"
#include "retrace/hash.h"
#include "retrace/v1/state.pb.h"
#include "testing/wire.h"

namespace retrace {
namespace {

using internal::DecodeLotState;
using internal::EncodeLotState;
using internal::LotStateIntact;
using internal::LotStatus;
using internal::LotView;
using testing::Len;
using testing::Tag;
using testing::Varint;

// A value as the table stores it: the body and the first 8 bytes of its
// SHA-256.
std::string Sealed(const std::string& body) {
  const Hash h = Sha256(body);
  return body + std::string(reinterpret_cast<const char*>(h.data()), 8);
}

// The reference: the seal, protobuf's parse and the checks of state.cc.
std::optional<LotView> Reference(const std::string& value, std::string_view lot_id) {
  if (value.size() < 8) return std::nullopt;
  const std::string body = value.substr(0, value.size() - 8);
  if (Sealed(body) != value) return std::nullopt;
  v1::state::LotState s;
  if (!s.ParseFromString(body) || s.head_hash().size() != 32 || s.status() < 1 ||
      s.status() > internal::kMaxLotStatus || (!lot_id.empty() && s.lot_id() != lot_id)) {
    return std::nullopt;
  }
  LotView v;
  v.lot_id = s.lot_id();
  v.material = static_cast<MaterialClass>(s.material());
  v.mass_g = s.mass_g();
  v.remaining_g = s.remaining_g();
  v.custodian = s.custodian();
  v.in_transit_to = s.in_transit_to();
  v.status = static_cast<LotStatus>(s.status());
  std::memcpy(v.head_hash.data(), s.head_hash().data(), 32);
  v.head_seq = s.head_seq();
  v.created_seq = s.created_seq();
  v.shipped_mass_g = s.shipped_mass_g();
  v.creator = s.creator();
  v.head_time = s.head_time();
  for (const auto& c : s.content()) {
    v.content.push_back({static_cast<Element>(c.element()), c.grams()});
  }
  return v;
}

bool Same(const LotView& a, const LotView& b) {
  if (a.content.size() != b.content.size()) return false;
  for (std::size_t i = 0; i < a.content.size(); ++i) {
    if (a.content[i].element != b.content[i].element || a.content[i].grams != b.content[i].grams) {
      return false;
    }
  }
  return a.lot_id == b.lot_id && a.material == b.material && a.mass_g == b.mass_g &&
         a.remaining_g == b.remaining_g && a.custodian == b.custodian &&
         a.in_transit_to == b.in_transit_to && a.status == b.status &&
         a.head_hash == b.head_hash && a.head_seq == b.head_seq &&
         a.created_seq == b.created_seq && a.shipped_mass_g == b.shipped_mass_g &&
         a.creator == b.creator && a.head_time == b.head_time;
}

// DecodeLotState and LotStateIntact against the reference, with and without
// the lot id the table's key names. Counts the values accepted.
bool Agree(const std::string& value, int* accepted = nullptr) {
  google::protobuf::LogSilencer quiet;  // protobuf logs each invalid UTF-8 string
  for (std::string_view id : {std::string_view(), std::string_view("L-1")}) {
    const std::optional<LotView> ref = Reference(value, id);
    Result<LotView> got = DecodeLotState(value, id);
    if (got.ok() != ref.has_value() || LotStateIntact(value, id) != ref.has_value()) {
      UNSCOPED_INFO("lot id \"" << id << "\": the reference " << (ref ? "accepts" : "refuses")
                                << ", DecodeLotState " << (got.ok() ? "accepts" : "refuses"));
      return false;
    }
    if (!ref) {
      if (got.status().code() != StatusCode::kCorruption) return false;
      continue;
    }
    if (!Same(*got, *ref)) {
      UNSCOPED_INFO("lot id \"" << id << "\": the fields differ");
      return false;
    }
    if (accepted != nullptr && id.empty()) ++*accepted;
  }
  return true;
}

LotView Sample() {
  LotView v;
  v.lot_id = "L-1";
  v.material = MaterialClass::kMixedCompound;
  v.mass_g = 123456789;
  v.content = {{Element::kNd, 4000}, {Element::kPr, 1000}, {Element::kDy, 7}};
  v.remaining_g = 100000;
  v.custodian = "separator-\xe5\x8c\x85\xe5\xa4\xb4";  // 包头
  v.in_transit_to = "magnets-01";
  v.shipped_mass_g = 5000;
  v.status = LotStatus::kInTransit;
  for (std::size_t i = 0; i < v.head_hash.size(); ++i) {
    v.head_hash[i] = static_cast<std::uint8_t>(i * 9);
  }
  v.head_seq = 77;
  v.created_seq = 12;
  v.creator = "mine-7";
  v.head_time = -1;  // before 1970: a ten-byte varint
  return v;
}

// The body of Sample()'s value, as EncodeLotState writes it.
std::string SampleBody() {
  const std::string value = EncodeLotState(Sample());
  return value.substr(0, value.size() - 8);
}

TEST_CASE("A written lot state reads back field for field", "[ledger][lot-state]") {
  std::vector<LotView> views = {Sample()};
  LotView bare;  // every field at its default but those the checks need
  bare.status = LotStatus::kHeld;
  views.push_back(bare);
  LotView big = Sample();
  big.mass_g = big.remaining_g = big.shipped_mass_g = ~std::uint64_t{0};
  big.head_seq = big.created_seq = ~std::uint64_t{0};
  big.head_time = std::int64_t{1} << 62;
  big.status = LotStatus::kVoid;
  big.content.assign(40, {Element::kTb, ~std::uint64_t{0}});
  big.lot_id = std::string(600, 'x');
  views.push_back(big);
  for (const LotView& v : views) {
    const std::string value = EncodeLotState(v);
    Result<LotView> got = DecodeLotState(value);
    REQUIRE(got.ok());
    CHECK(Same(*got, v));
    CHECK(LotStateIntact(value));
    CHECK(Agree(value));
  }
  // The lot id the key names must be the value's.
  CHECK(DecodeLotState(EncodeLotState(Sample()), "L-1").ok());
  CHECK(!DecodeLotState(EncodeLotState(Sample()), "L-2").ok());
  CHECK(!LotStateIntact(EncodeLotState(Sample()), "L-2"));
}

TEST_CASE("Lot states in forms a writer never produces are read as protobuf reads them",
          "[ledger][lot-state]") {
  const std::string base = SampleBody();
  const std::string hash(32, 'h');
  // Lot id, status and head hash: the least a value must have.
  const std::string least = Len(1, "L-1") + Tag(7, 0) + Varint(1) + Len(8, hash);
  const std::string content = Len(13, Tag(1, 0) + Varint(60) + Tag(2, 0) + Varint(9));
  std::vector<std::string> bodies = {
      base,
      "",                                          // no status, no head hash
      base + Len(1, "L-1"),                        // a repeated string: the last wins
      base + Len(1, "L-2"),                        // ... another lot's id
      base + Tag(7, 0) + Varint(1),                // a repeated status: the last wins
      base + Tag(7, 0) + Varint(9),                // ... out of range
      base + Tag(7, 0) + Varint(0),                // ... unset
      base + Tag(7, 0) + "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",  // ... negative
      base + Tag(7, 0) + "\x81\x80\x80\x80\x10",   // ... 2^32 + 1: the low 32 bits are 1
      base + Tag(2, 0) + "\xfe\xff\xff\xff\x0f",   // material: 32 bits, negative
      base + Len(8, hash),                         // a repeated head hash
      base + Len(8, std::string(31, 'h')),         // ... of 31 bytes
      base + Len(8, ""),                           // ... empty
      base + content,                              // one more element
      base + content + content,                    // two
      base + Len(13, ""),                          // an empty element
      base + Len(13, Tag(1, 0) + Varint(60) + Tag(1, 0) + Varint(59)),  // its element twice
      base + Len(13, Tag(2, 0) + Varint(5) + Tag(2, 0) + Varint(6)),    // its grams twice
      base + Len(13, Tag(3, 0) + Varint(1)),       // an unknown field in it
      base + Len(13, Tag(3, 3) + Tag(3, 4)),       // ... a group
      base + Len(13, Tag(1, 2) + Varint(0)),       // its element as bytes
      base + Len(13, Tag(1, 0)),                   // ... cut off
      base + Len(13, Tag(1, 4)),                   // an end tag in it
      base + Len(13, std::string(1, '\0')),        // tag 0 in it
      base + Tag(13, 0) + Varint(1),               // content as a varint
      base + Tag(15, 0) + Varint(1),               // an unknown varint
      base + Len(99, "x"),                         // unknown bytes
      base + Tag(20, 1) + std::string(8, 'x'),     // unknown fixed64
      base + Tag(20, 5) + std::string(4, 'x'),     // unknown fixed32
      base + Tag(20, 3) + Tag(1, 0) + Varint(1) + Tag(20, 4),  // an unknown group
      base + Tag(20, 3),                           // ... unterminated
      base + Tag(20, 4),                           // a stray end tag
      base + Tag(20, 6),                           // wire type 6
      base + Tag(0, 0) + Varint(1),                // field number 0
      base + std::string(1, '\0'),                 // tag 0
      base + Tag(3, 2) + Varint(1) + "x",          // mass_g as bytes
      base + Tag(3, 1) + std::string(8, 'x'),      // ... as fixed64
      base + Tag(1, 0) + Varint(1),                // lot_id as a varint
      base + Tag(8, 0) + Varint(1),                // head_hash as a varint
      base + Tag(14, 0) + "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f",  // bits beyond 64
      base + Tag(14, 0) + "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",  // 11 bytes
      base + Tag(9, 0) + "\x80\x80\x00",           // an overlong varint
      base + Tag(9, 0),                            // a tag without its value
      base + Tag(9, 0) + "\x80",                   // a truncated varint
      base + Tag(5, 2) + Varint(4) + "abc",        // a length past the end
      base + Tag(5, 2) + "\x80\x80\x80\x80\x08",   // a length of 2 GiB
      base + "\x88\x80\x80\x80\x00" + Varint(3),   // an overlong tag
      base + Len(5, "\xc3"),                       // custodian: truncated UTF-8
      base + Len(6, "\xed\xa0\x80"),               // in_transit_to: a surrogate
      base + Len(12, "\xf4\x90\x80\x80"),          // creator: beyond U+10FFFF
      base + Len(1, "\xc0\xaf"),                   // lot_id: overlong UTF-8
      base + Len(12, "\xf0\x9f\x98\x80"),          // creator: an emoji
      base + Len(5, std::string("a\0b", 3)),       // custodian: NUL is valid UTF-8
      base + Len(8, "\xff\xfe" + std::string(30, 'h')),  // bytes need no UTF-8
      Tag(7, 0) + Varint(1) + Len(8, hash) + Len(1, "L-1"),  // fields out of order
      least,                                       // the least accepted value
      // Each string once, as a writer would put it, but not UTF-8.
      least + Len(5, "\xc3"),                       // custodian: truncated
      least + Len(6, "\xed\xa0\x80"),               // in_transit_to: a surrogate
      least + Len(12, "\xf4\x90\x80\x80"),          // creator: beyond U+10FFFF
      Len(1, "\xc0\xaf") + Tag(7, 0) + Varint(1) + Len(8, hash),  // lot_id: overlong
      least + Len(12, "\xf0\x9f\x98\x80"),          // creator: an emoji
  };
  std::string deep = base;
  for (int i = 0; i < 99; ++i) deep += Tag(20, 3);
  for (int i = 0; i < 99; ++i) deep += Tag(20, 4);
  bodies.push_back(deep);
  std::string deeper = base;
  for (int i = 0; i < 101; ++i) deeper += Tag(20, 3);
  for (int i = 0; i < 101; ++i) deeper += Tag(20, 4);
  bodies.push_back(deeper);
  int accepted = 0;
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    INFO("case " << i);
    CHECK(Agree(Sealed(bodies[i]), &accepted));
  }
  CHECK(accepted > 10);
  CHECK(accepted < static_cast<int>(bodies.size()) - 10);
}

TEST_CASE("A damaged seal refuses the value, however well the body parses", "[ledger][lot-state]") {
  const std::string value = EncodeLotState(Sample());
  for (std::size_t i = 0; i < value.size(); ++i) {
    std::string bad = value;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    INFO("byte " << i);
    CHECK(!LotStateIntact(bad));
    CHECK(!DecodeLotState(bad).ok());
  }
  CHECK(!LotStateIntact(value.substr(0, 7)));
  CHECK(!LotStateIntact(""));
}

TEST_CASE("DecodeLotState agrees with protobuf on mutated lot states", "[ledger][lot-state]") {
  std::mt19937_64 rng(20261207);
  LotView plain = Sample();
  plain.content.clear();
  plain.in_transit_to.clear();
  const std::string bases[] = {SampleBody(), [&] {
                                 const std::string v = EncodeLotState(plain);
                                 return v.substr(0, v.size() - 8);
                               }()};
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string b = bases[i % 2];
    testing::MutateWire(&b, rng);
    INFO("mutation " << i);
    REQUIRE(Agree(Sealed(b), &accepted));
  }
  // Enough of both, or the mutations test little.
  CHECK(accepted > 1000);
  CHECK(accepted < 19000);
}

}  // namespace
}  // namespace retrace
