// ReadBundleView (the bundle verifier's in-place reader) against protobuf,
// the reference: a bundle's bytes are accepted exactly when protobuf parses
// them and its deterministic serialisation of what it parsed gives the same
// bytes back (what the verifier checked before it read bundles in place).
// On hand-made encodings of every wire-format corner, and on thousands of
// random mutations, both agree, and where both accept, every field read in
// place is the field protobuf read.
#include <google/protobuf/stubs/logging.h>

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "bundle/bundle_view.h"
#include "model/proto_convert.h"
#include "retrace/v1/bundle.pb.h"
#include "testing/wire.h"

namespace retrace {
namespace {

using internal::BundleView;
using internal::ReadBundleView;
using testing::Len;
using testing::Tag;
using testing::Varint;

bool Canonical(const std::string& bytes, v1::Bundle* b) {
  if (!b->ParseFromString(bytes)) return false;
  b->DiscardUnknownFields();
  return internal::SerializeDeterministic(*b) == bytes;
}

bool SameFields(const BundleView& v, const v1::Bundle& b) {
  if (v.format != b.format() || v.lot_id != b.lot_id() || v.checkpoint != b.checkpoint() ||
      v.records.size() != static_cast<std::size_t>(b.records_size()) ||
      v.index.size() != static_cast<std::size_t>(b.index_size()) ||
      v.foreign_bundles.size() != static_cast<std::size_t>(b.foreign_bundles_size())) {
    return false;
  }
  for (int i = 0; i < b.records_size(); ++i) {
    const auto& r = b.records(i);
    const auto& w = v.records[i];
    if (w.seq != r.seq() || w.record != r.record() ||
        w.proof_size != static_cast<std::size_t>(r.inclusion_proof_size())) {
      return false;
    }
    bool all32 = true;
    for (const std::string& h : r.inclusion_proof()) all32 = all32 && h.size() == 32;
    std::vector<Hash> hashes;
    if (internal::ProofHashes(w, &hashes) != all32) return false;
    for (std::size_t j = 0; all32 && j < hashes.size(); ++j) {
      if (std::string(hashes[j].begin(), hashes[j].end()) != r.inclusion_proof(static_cast<int>(j))) {
        return false;
      }
    }
  }
  for (int i = 0; i < b.index_size(); ++i) {
    const auto& a = b.index(i);
    const auto& w = v.index[i];
    if (w.index != a.index() || w.key != a.key() ||
        w.seqs != std::vector<std::uint64_t>(a.seqs().begin(), a.seqs().end())) {
      return false;
    }
  }
  for (int i = 0; i < b.foreign_bundles_size(); ++i) {
    if (v.foreign_bundles[i] != b.foreign_bundles(i)) return false;
  }
  return true;
}

// Both readers on `bytes`; whether they agree. Counts acceptances.
bool Agree(const std::string& bytes, int* accepted = nullptr) {
  google::protobuf::LogSilencer quiet;  // protobuf logs each invalid UTF-8 string
  v1::Bundle ref;
  const bool want = Canonical(bytes, &ref);
  BundleView v;
  const Status st = ReadBundleView(bytes, &v);
  if (want != st.ok()) {
    UNSCOPED_INFO("protobuf " << (want ? "accepts" : "refuses") << ", the view "
                              << (st.ok() ? "accepts" : "refuses: " + st.message()));
    return false;
  }
  if (!want) return st.code() == StatusCode::kInvalidArgument;
  if (accepted != nullptr) ++*accepted;
  return SameFields(v, ref);
}

std::string Hash32(char c) { return std::string(32, c); }

std::string Record(std::uint64_t seq, const std::string& bytes, const std::vector<std::string>& proof) {
  std::string r;
  if (seq != 0) r += Tag(1, 0) + Varint(seq);
  if (!bytes.empty()) r += Len(2, bytes);
  for (const std::string& h : proof) r += Len(3, h);
  return r;
}

std::string Packed(const std::vector<std::uint64_t>& seqs) {
  std::string p;
  for (std::uint64_t s : seqs) p += Varint(s);
  return Len(3, p);
}

// A small bundle with every field, by the serialiser.
std::string Sample(std::mt19937_64& rng) {
  v1::Bundle b;
  b.set_format("retrace-bundle/v2");
  b.set_lot_id("LOT-" + std::to_string(rng() % 1000));
  b.set_checkpoint("log.example\n7\nroot\n\n\xe2\x80\x94 sig\n");
  std::uint64_t seq = rng() % 3;
  for (int i = 0, n = 1 + static_cast<int>(rng() % 3); i < n; ++i) {
    auto* r = b.add_records();
    r->set_seq(seq);
    seq += 1 + rng() % 300;
    r->set_record(std::string(1 + rng() % 20, static_cast<char>('a' + i)));
    for (int j = 0, m = static_cast<int>(rng() % 3); j < m; ++j) {
      r->add_inclusion_proof(Hash32(static_cast<char>('0' + j)));
    }
  }
  auto* a = b.add_index();
  a->set_index("lot");
  a->set_key("LOT-1");
  a->add_seqs(rng() % 200);
  a->add_seqs(200 + rng() % 100000);
  if (rng() % 2) {
    auto* q = b.add_index();
    q->set_index("authority");
    q->add_seqs(0);
  }
  if (rng() % 2) b.add_foreign_bundles(std::string(1 + rng() % 30, 'f'));
  return internal::SerializeDeterministic(b);
}

TEST_CASE("ReadBundleView reads a bundle in place, with the fields protobuf reads", "[bundle]") {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 50; ++i) {
    const std::string b = Sample(rng);
    BundleView v;
    REQUIRE(ReadBundleView(b, &v).ok());
    CHECK(v.lot_id.data() >= b.data());
    CHECK(v.records.front().record.data() + v.records.front().record.size() <= b.data() + b.size());
    CHECK(Agree(b));
  }
}

TEST_CASE("ReadBundleView accepts exactly protobuf's canonical encoding", "[bundle]") {
  const std::string h = Hash32('h');
  const std::string head = Len(1, "retrace-bundle/v2") + Len(2, "LOT-1") + Len(3, "cp\n");
  const std::string rec = Len(4, Record(5, "record", {h, h}));
  const std::string ans = Len(5, Len(1, "lot") + Len(2, "LOT-1") + Packed({1, 5}));
  const std::string base = head + rec + ans + Len(6, "nested");
  const std::vector<std::string> cases = {
      base,
      "",                                                    // every field at its default
      head,
      Len(4, ""),                                            // an empty record is still written
      Len(6, ""),                                            // ... and an empty foreign bundle
      head + Len(4, Record(0, "", {""})),                    // and an empty proof hash
      head + Len(4, Record(1, "r", {})) + Len(4, Record(2, "r", {})),  // records repeat
      Len(2, "LOT-1") + Len(1, "retrace-bundle/v2"),         // fields out of order
      head + Len(1, "again"),                                // a singular field twice
      Len(1, "a") + Len(1, "b"),                             // ... the last would win
      head + rec + ans + rec,                                // records after the index
      head + Len(6, "x") + rec,                              // a foreign bundle before records
      Len(1, ""),                                            // a default value written
      head + Len(4, Tag(1, 0) + Varint(0)),                  // seq 0 written
      head + Len(4, Len(2, "")),                             // an empty record written
      head + Len(4, Len(2, "r") + Tag(1, 0) + Varint(3)),    // record fields out of order
      head + Len(4, Record(3, "r", {h}) + Len(2, "s")),      // proof before record bytes
      head + Len(4, Record(3, "r", {}) + Tag(1, 0) + Varint(4)),  // seq twice
      head + Len(4, Tag(1, 0) + "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"),  // 2^64-1
      head + Len(4, Tag(1, 0) + "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01"),  // 2^63
      head + Len(4, Tag(1, 0) + "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f"),  // bits beyond 64
      head + Len(4, Tag(1, 0) + "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00"),  // overlong 10 bytes
      head + Len(4, Tag(1, 0) + "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"),  // 11 bytes
      head + Len(4, Tag(1, 0) + "\x85\x00"),                 // an overlong varint
      head + Len(4, Tag(1, 0) + "\x80"),                     // a truncated one
      head + Tag(4, 2) + "\x80\x00",                         // an overlong empty length
      head + Tag(4, 2) + "\x82\x00" + Tag(1, 0) + Varint(1), // an overlong length
      head + "\xa2\x00" + Varint(0),                         // an overlong tag (records)
      head + Tag(4, 2) + Varint(5) + "abc",                  // a length past the end
      head + Tag(4, 2) + "\x80\x80\x80\x80\x08",             // 2 GiB
      head + Len(7, "unknown"),                              // an unknown field
      head + Tag(9, 0) + Varint(1),
      head + Tag(100, 2) + Varint(0),
      head + Len(4, Record(3, "r", {}) + Len(9, "x")),       // unknown in a record
      head + Len(5, Len(1, "lot") + Tag(7, 0) + Varint(1)),  // unknown in an answer
      head + Tag(4, 0) + Varint(1),                          // records as a varint
      head + Tag(1, 0) + Varint(1),                          // format as a varint
      head + Len(4, Tag(1, 2) + Varint(0)),                  // seq as bytes
      head + Len(4, Tag(2, 0) + Varint(1)),                  // record bytes as a varint
      head + Len(4, Tag(1, 1) + std::string(8, 'x')),        // seq as fixed64
      head + Tag(4, 3) + Tag(4, 4),                          // records as a group
      head + Len(5, Len(1, "lot") + Tag(3, 0) + Varint(4)),  // unpacked seqs
      head + Len(5, Len(1, "lot") + Tag(3, 0) + Varint(4) + Tag(3, 0) + Varint(5)),
      head + Len(5, Len(1, "lot") + Packed({1}) + Packed({2})),  // two packed runs
      head + Len(5, Len(1, "lot") + Len(3, "")),             // an empty packed run
      head + Len(5, Len(1, "lot") + Len(3, "\x80")),         // a truncated packed varint
      head + Len(5, Len(1, "lot") + Len(3, "\x81\x00")),     // an overlong packed varint
      head + Len(5, Len(1, "lot") + Packed({0, 0, 1ULL << 63})),
      head + Len(5, Len(2, "k") + Len(1, "lot")),            // answer fields out of order
      head + Len(5, Len(1, "")),                             // an empty index name written
      head + Len(5, Len(2, "")),                             // an empty key written
      head + Len(5, Len(2, "\xff\xfe") + Packed({1})),       // a key is bytes: any bytes
      head + Len(5, Len(1, "\xff")),                         // an index name is a string
      Len(2, "\xc3"),                                        // lot id: truncated UTF-8
      Len(2, "\xc0\xaf"),                                    // overlong UTF-8
      Len(2, "\xed\xa0\x80"),                                // a surrogate
      Len(2, "\xf4\x90\x80\x80"),                            // beyond U+10FFFF
      Len(2, "\xf0\x9f\x98\x80"),                            // an emoji
      Len(2, std::string("a\0b", 3)),                        // NUL is valid UTF-8
      Len(3, "\xff"),                                        // the checkpoint is a string
      Len(1, "\xe2\x80"),                                    // and so is the format
      Len(6, "\xff\xfe"),                                    // a foreign bundle is bytes
      std::string(1, '\0'),                                  // tag 0
      Tag(0, 2) + Varint(0),                                 // field number 0
      head + Tag(4, 4),                                      // a stray end tag
      head + Tag(4, 6),                                      // wire type 6
  };
  int accepted = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    INFO("case " << i);
    CHECK(Agree(cases[i], &accepted));
  }
  // Both the canonical and the refused are exercised.
  CHECK(accepted >= 10);
  CHECK(accepted + 20 <= static_cast<int>(cases.size()));
}

TEST_CASE("ReadBundleView agrees with protobuf on random mutations of bundles", "[bundle]") {
  std::mt19937_64 rng(20261207);
  int accepted = 0, mutated_accepted = 0;
  for (int i = 0; i < 4000; ++i) {
    const std::string good = Sample(rng);
    std::string b = good;
    for (int k = 0, n = 1 + static_cast<int>(rng() % 3); k < n && !b.empty(); ++k) {
      const std::size_t at = rng() % b.size();
      switch (rng() % 6) {
        case 0: b[at] = static_cast<char>(rng()); break;
        case 1: b[at] = static_cast<char>(b[at] ^ (1 << (rng() % 8))); break;
        case 2: b.insert(at, 1, static_cast<char>(rng())); break;
        case 3: b.erase(at, 1 + rng() % 3); break;
        case 4: b.insert(at, b.substr(rng() % b.size(), 1 + rng() % 8)); break;
        default: b.resize(at); break;
      }
    }
    INFO("mutation " << i);
    const int before = accepted;
    REQUIRE(Agree(b, &accepted));
    if (accepted > before && b != good) ++mutated_accepted;
  }
  // Mutations that stay canonical (a changed byte inside a string) are read
  // too, not only refused.
  CHECK(mutated_accepted > 100);
}

}  // namespace
}  // namespace retrace
