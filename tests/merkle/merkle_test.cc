// Tests for retrace/merkle.h: RFC 6962 known answers, a cross-check of the
// NodeSource-based builders against the naive reference in reference_tree.h,
// and one scenario per rule the verifiers enforce.
#include "retrace/merkle.h"

#include <algorithm>
#include <array>
#include <bit>
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "merkle/reference_tree.h"

namespace {

using retrace::Hash;
using retrace::Result;
using retrace::Status;
using retrace::StatusCode;
namespace merkle = retrace::merkle;
namespace ref = retrace::merkle::reference;

std::string HexOf(const Hash& h) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : h) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

// Local hex parsing keeps this test independent of lib/util/hex.cc.
std::string BytesFromHex(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  REQUIRE(hex.size() % 2 == 0);
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]);
    const int lo = nibble(hex[i + 1]);
    REQUIRE((hi >= 0 && lo >= 0));
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

Hash H(std::string_view hex) {
  REQUIRE(hex.size() == 64);
  const std::string bytes = BytesFromHex(hex);
  Hash h{};
  for (std::size_t i = 0; i < h.size(); ++i) h[i] = static_cast<std::uint8_t>(bytes[i]);
  return h;
}

}  // namespace

namespace Catch {
template <>
struct StringMaker<retrace::Hash> {
  static std::string convert(const retrace::Hash& h) { return HexOf(h); }
};
}  // namespace Catch

namespace {

// In-memory NodeSource: the perfect subtree hashes an append completes.
class MapSource : public merkle::NodeSource {
 public:
  Result<Hash> PerfectNode(unsigned level, std::uint64_t index) const override {
    ++reads_;
    auto it = nodes_.find({level, index});
    if (it == nodes_.end()) {
      return retrace::NotFoundError("no node at level " + std::to_string(level) + " index " +
                                    std::to_string(index));
    }
    return it->second;
  }

  void Append(const Hash& leaf_hash) {
    auto nodes = merkle::NodesCompletedByAppend(*this, size_, leaf_hash);
    REQUIRE(nodes.ok());
    for (const merkle::CompletedNode& n : *nodes) nodes_[{n.level, n.index}] = n.hash;
    ++size_;
  }

  std::uint64_t size() const { return size_; }
  std::uint64_t reads() const { return reads_; }
  void ResetReads() { reads_ = 0; }

 private:
  std::map<std::pair<unsigned, std::uint64_t>, Hash> nodes_;
  std::uint64_t size_ = 0;
  mutable std::uint64_t reads_ = 0;
};

// A consistent tree of `size` identical leaves, which may be astronomically
// large: every perfect subtree of a level has the same hash. Exercises the
// 64-bit edges of the builders and verifiers.
class UniformSource : public merkle::NodeSource {
 public:
  explicit UniformSource(std::uint64_t size) : size_(size) {
    levels_[0] = merkle::LeafHash("uniform");
    for (std::size_t l = 1; l < levels_.size(); ++l) {
      levels_[l] = merkle::NodeHash(levels_[l - 1], levels_[l - 1]);
    }
  }
  Result<Hash> PerfectNode(unsigned level, std::uint64_t index) const override {
    ++reads_;
    if (level >= 64 || index >= (size_ >> level)) {
      return retrace::FailedPreconditionError("node is not complete");
    }
    return levels_[level];
  }
  std::uint64_t reads() const { return reads_; }
  void ResetReads() { reads_ = 0; }

 private:
  std::uint64_t size_;
  std::array<Hash, 64> levels_;
  mutable std::uint64_t reads_ = 0;
};

// Leaf hashes used by the cross-checks: distinct, deterministic.
std::vector<Hash> MakeLeaves(std::size_t n) {
  std::vector<Hash> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(merkle::LeafHash("leaf " + std::to_string(i)));
  return out;
}

// The O(log n) read bound the builders promise: at most two reads per level.
std::uint64_t ReadBound(std::uint64_t tree_size) {
  return 2 * static_cast<std::uint64_t>(std::bit_width(tree_size));
}

// ---------------------------------------------------------------------------
// RFC 6962 test data, as used by google/certificate-transparency
// (cpp/merkletree/merkle_tree_test.cc) and transparency-dev/merkle
// (testonly/constants.go). Leaf indices here are 0-based. Every value is also
// recomputed by the reference implementation below.

const std::vector<std::string> kLeafHex = {
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
};

const std::vector<std::string> kRootHex = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",  // size 1
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",  // size 2
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",  // size 3
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",  // size 4
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",  // size 5
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",  // size 6
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",  // size 7
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",  // size 8
};

constexpr const char* kEmptyRootHex =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct KnownInclusion {
  std::uint64_t leaf_index;
  std::uint64_t tree_size;
  std::vector<std::string> path;
};

const std::vector<KnownInclusion> kKnownInclusions = {
    {0, 1, {}},
    {0, 8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {5, 8,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {1, 5,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

struct KnownConsistency {
  std::uint64_t old_size;
  std::uint64_t new_size;
  std::vector<std::string> proof;
};

const std::vector<KnownConsistency> kKnownConsistencies = {
    {1, 1, {}},
    {1, 8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6, 8,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 5,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

std::vector<Hash> RfcLeafHashes() {
  std::vector<Hash> out;
  for (const std::string& hex : kLeafHex) out.push_back(merkle::LeafHash(BytesFromHex(hex)));
  return out;
}

std::vector<Hash> Hashes(const std::vector<std::string>& hex) {
  std::vector<Hash> out;
  for (const std::string& h : hex) out.push_back(H(h));
  return out;
}

MapSource SourceOf(std::span<const Hash> leaves) {
  MapSource s;
  for (const Hash& h : leaves) s.Append(h);
  return s;
}

// The code a verifier must return for a (possibly false) inclusion claim,
// judged by the reference: OK iff the claim is true, kInvalidArgument iff its
// shape is impossible, else kVerificationFailed.
StatusCode ExpectedInclusionCode(std::span<const Hash> all_leaves, const Hash& leaf_hash,
                                 const merkle::InclusionProof& p, const Hash& root) {
  if (p.leaf_index >= p.tree_size) return StatusCode::kInvalidArgument;
  const auto d = all_leaves.first(p.tree_size);
  const std::vector<Hash> want = ref::Path(p.leaf_index, d);
  if (want.size() != p.hashes.size()) return StatusCode::kInvalidArgument;
  if (want == p.hashes && d[p.leaf_index] == leaf_hash && ref::Mth(d) == root) {
    return StatusCode::kOk;
  }
  return StatusCode::kVerificationFailed;
}

StatusCode ExpectedConsistencyCode(std::span<const Hash> all_leaves, const Hash& old_root,
                                   const Hash& new_root, const merkle::ConsistencyProof& p) {
  if (p.old_size > p.new_size) return StatusCode::kInvalidArgument;
  const auto d = all_leaves.first(p.new_size);
  const std::vector<Hash> want = ref::Proof(p.old_size, d);
  if (want.size() != p.hashes.size()) return StatusCode::kInvalidArgument;
  const bool roots_ok =
      (p.old_size == 0 || ref::Mth(d.first(p.old_size)) == old_root) && ref::Mth(d) == new_root;
  if (want == p.hashes && roots_ok) return StatusCode::kOk;
  return StatusCode::kVerificationFailed;
}

constexpr std::size_t kSweepMax = 64;
// Leaves for the sweep, with room for claims about larger (wrong) sizes.
const std::vector<Hash>& SweepLeaves() {
  static const std::vector<Hash> leaves = MakeLeaves(2 * kSweepMax + 2);
  return leaves;
}

// Calls fn(leaf_hashes_of_size_n, proof, root) for every leaf of every tree
// size 1..kSweepMax, with the proof taken from the reference.
template <typename Fn>
void ForEachReferenceInclusion(Fn fn) {
  const auto all = std::span<const Hash>(SweepLeaves());
  for (std::uint64_t n = 1; n <= kSweepMax; ++n) {
    const auto d = all.first(n);
    const Hash root = ref::Mth(d);
    for (std::uint64_t i = 0; i < n; ++i) {
      merkle::InclusionProof p{i, n, ref::Path(i, d)};
      fn(all, d[i], p, root);
    }
  }
}

// Calls fn(all_leaves, proof, old_root, new_root) for every 0 <= m <= n <= kSweepMax.
template <typename Fn>
void ForEachReferenceConsistency(Fn fn) {
  const auto all = std::span<const Hash>(SweepLeaves());
  for (std::uint64_t n = 1; n <= kSweepMax; ++n) {
    const auto d = all.first(n);
    const Hash new_root = ref::Mth(d);
    for (std::uint64_t m = 0; m <= n; ++m) {
      merkle::ConsistencyProof p{m, n, ref::Proof(m, d)};
      fn(all, p, ref::Mth(d.first(m)), new_root);
    }
  }
}

// ---------------------------------------------------------------------------
// Hashing primitives

TEST_CASE("EmptyRoot is SHA-256 of the empty string", "[merkle][kat]") {
  CHECK(merkle::EmptyRoot() == H(kEmptyRootHex));
  CHECK(merkle::RootFromLeafHashes({}) == H(kEmptyRootHex));
}

TEST_CASE("LeafHash prefixes 0x00 and NodeHash prefixes 0x01", "[merkle][kat]") {
  // SHA-256(0x00): the RFC 6962 one-leaf tree over the empty leaf.
  CHECK(merkle::LeafHash("") == H(kRootHex[0]));
  // SHA-256(0x01 || LeafHash("") || LeafHash("\x00")): the two-leaf root.
  CHECK(merkle::NodeHash(merkle::LeafHash(""), merkle::LeafHash(std::string(1, '\0'))) ==
        H(kRootHex[1]));
  // Domain separation: a leaf whose bytes are two child hashes is not that node.
  const Hash a = merkle::LeafHash("a");
  const Hash b = merkle::LeafHash("b");
  std::string concat = std::string(a.begin(), a.end()) + std::string(b.begin(), b.end());
  CHECK(merkle::LeafHash(concat) != merkle::NodeHash(a, b));
  CHECK(merkle::NodeHash(a, b) != merkle::NodeHash(b, a));
}

// ---------------------------------------------------------------------------
// Known answers

TEST_CASE("RootFromLeafHashes matches the RFC 6962 test vector roots for sizes 1 to 8",
          "[merkle][kat]") {
  const std::vector<Hash> leaves = RfcLeafHashes();
  for (std::size_t n = 1; n <= leaves.size(); ++n) {
    INFO("tree size " << n);
    const std::vector<Hash> prefix(leaves.begin(), leaves.begin() + n);
    CHECK(merkle::RootFromLeafHashes(prefix) == H(kRootHex[n - 1]));
    CHECK(ref::Mth(prefix) == H(kRootHex[n - 1]));
  }
}

TEST_CASE("RootAt matches the RFC 6962 test vector roots for sizes 0 to 8", "[merkle][kat]") {
  const std::vector<Hash> leaves = RfcLeafHashes();
  const MapSource source = SourceOf(leaves);
  auto empty = merkle::RootAt(source, 0);
  REQUIRE(empty.ok());
  CHECK(*empty == H(kEmptyRootHex));
  for (std::uint64_t n = 1; n <= leaves.size(); ++n) {
    INFO("tree size " << n);
    auto root = merkle::RootAt(source, n);
    REQUIRE(root.ok());
    CHECK(*root == H(kRootHex[n - 1]));
  }
}

TEST_CASE("Known inclusion proofs from the RFC 6962 test data are built and verified",
          "[merkle][kat]") {
  const std::vector<Hash> leaves = RfcLeafHashes();
  const MapSource source = SourceOf(leaves);
  for (const KnownInclusion& k : kKnownInclusions) {
    INFO("leaf " << k.leaf_index << " tree size " << k.tree_size);
    const std::vector<Hash> want = Hashes(k.path);
    const auto d = std::span<const Hash>(leaves).first(k.tree_size);
    CHECK(ref::Path(k.leaf_index, d) == want);
    auto proof = merkle::MakeInclusionProof(source, k.leaf_index, k.tree_size);
    REQUIRE(proof.ok());
    CHECK(proof->leaf_index == k.leaf_index);
    CHECK(proof->tree_size == k.tree_size);
    CHECK(proof->hashes == want);
    const Status st = merkle::VerifyInclusion(leaves[k.leaf_index], *proof, H(kRootHex[k.tree_size - 1]));
    CHECK(st.ok());
  }
}

TEST_CASE("Known consistency proofs from the RFC 6962 test data are built and verified",
          "[merkle][kat]") {
  const std::vector<Hash> leaves = RfcLeafHashes();
  const MapSource source = SourceOf(leaves);
  for (const KnownConsistency& k : kKnownConsistencies) {
    INFO("old size " << k.old_size << " new size " << k.new_size);
    const std::vector<Hash> want = Hashes(k.proof);
    const auto d = std::span<const Hash>(leaves).first(k.new_size);
    CHECK(ref::Proof(k.old_size, d) == want);
    auto proof = merkle::MakeConsistencyProof(source, k.old_size, k.new_size);
    REQUIRE(proof.ok());
    CHECK(proof->hashes == want);
    const Status st = merkle::VerifyConsistency(H(kRootHex[k.old_size - 1]),
                                                H(kRootHex[k.new_size - 1]), *proof);
    CHECK(st.ok());
  }
}

// ---------------------------------------------------------------------------
// Appending

TEST_CASE("NodesCompletedByAppend driven incrementally reproduces RootFromLeafHashes",
          "[merkle][append]") {
  const std::vector<Hash> leaves = MakeLeaves(300);
  MapSource source;
  for (std::uint64_t i = 0; i < leaves.size(); ++i) {
    source.ResetReads();
    auto nodes = merkle::NodesCompletedByAppend(source, i, leaves[i]);
    REQUIRE(nodes.ok());
    // The leaf, then one node per trailing one bit of i; one read each.
    REQUIRE(nodes->size() == static_cast<std::size_t>(std::countr_one(i)) + 1);
    CHECK(source.reads() == static_cast<std::uint64_t>(std::countr_one(i)));
    source.Append(leaves[i]);

    const std::vector<Hash> prefix(leaves.begin(), leaves.begin() + i + 1);
    auto root = merkle::RootAt(source, i + 1);
    REQUIRE(root.ok());
    INFO("tree size " << i + 1);
    CHECK(*root == merkle::RootFromLeafHashes(prefix));
    CHECK(*root == ref::Mth(prefix));
  }
}

TEST_CASE("NodesCompletedByAppend yields each completed perfect subtree's hash",
          "[merkle][append]") {
  const std::vector<Hash> leaves = MakeLeaves(130);
  MapSource source;
  for (std::uint64_t i = 0; i < leaves.size(); ++i) {
    auto nodes = merkle::NodesCompletedByAppend(source, i, leaves[i]);
    REQUIRE(nodes.ok());
    for (std::size_t l = 0; l < nodes->size(); ++l) {
      const merkle::CompletedNode& n = (*nodes)[l];
      CHECK(n.level == l);
      CHECK(n.index == i >> l);
      const std::uint64_t begin = n.index << n.level;
      const std::uint64_t size = std::uint64_t{1} << n.level;
      CHECK(begin + size == i + 1);
      CHECK(n.hash == ref::Mth(std::span<const Hash>(leaves).subspan(begin, size)));
    }
    source.Append(leaves[i]);
  }
}

TEST_CASE("NodesCompletedByAppend propagates a NodeSource error", "[merkle][append]") {
  const MapSource empty;
  // Leaf 3 needs left siblings (0,2) and (1,0), which an empty source lacks.
  auto nodes = merkle::NodesCompletedByAppend(empty, 3, merkle::LeafHash("x"));
  REQUIRE_FALSE(nodes.ok());
  CHECK(nodes.status().code() == StatusCode::kNotFound);
  // Leaf 4 completes nothing above itself, so reads nothing.
  auto leaf_only = merkle::NodesCompletedByAppend(empty, 4, merkle::LeafHash("x"));
  REQUIRE(leaf_only.ok());
  CHECK(leaf_only->size() == 1);
}

// ---------------------------------------------------------------------------
// Builders against the reference

TEST_CASE("MakeInclusionProof equals the reference PATH for every leaf of sizes 1 to 64",
          "[merkle][crosscheck]") {
  const std::vector<Hash>& leaves = SweepLeaves();
  MapSource source;
  for (std::uint64_t n = 1; n <= kSweepMax; ++n) {
    source.Append(leaves[n - 1]);  // the source holds exactly n leaves
    const auto d = std::span<const Hash>(leaves).first(n);
    const Hash root = ref::Mth(d);
    auto fast_root = merkle::RootAt(source, n);
    REQUIRE(fast_root.ok());
    REQUIRE(*fast_root == root);
    for (std::uint64_t i = 0; i < n; ++i) {
      INFO("leaf " << i << " tree size " << n);
      source.ResetReads();
      auto proof = merkle::MakeInclusionProof(source, i, n);
      REQUIRE(proof.ok());
      CHECK(source.reads() <= ReadBound(n));
      REQUIRE(proof->hashes == ref::Path(i, d));
      auto implied = merkle::RootFromInclusionProof(d[i], *proof);
      REQUIRE(implied.ok());
      CHECK(*implied == root);
      CHECK(merkle::VerifyInclusion(d[i], *proof, root).ok());
    }
  }
}

TEST_CASE("MakeConsistencyProof equals the reference PROOF for every old size up to 64",
          "[merkle][crosscheck]") {
  const std::vector<Hash>& leaves = SweepLeaves();
  MapSource source;
  for (std::uint64_t n = 1; n <= kSweepMax; ++n) {
    source.Append(leaves[n - 1]);
    const auto d = std::span<const Hash>(leaves).first(n);
    const Hash new_root = ref::Mth(d);
    for (std::uint64_t m = 0; m <= n; ++m) {
      INFO("old size " << m << " new size " << n);
      source.ResetReads();
      auto proof = merkle::MakeConsistencyProof(source, m, n);
      REQUIRE(proof.ok());
      CHECK(source.reads() <= ReadBound(n));
      CHECK(proof->old_size == m);
      CHECK(proof->new_size == n);
      REQUIRE(proof->hashes == ref::Proof(m, d));
      CHECK(merkle::VerifyConsistency(ref::Mth(d.first(m)), new_root, *proof).ok());
    }
  }
}

TEST_CASE("Builders equal the reference at random sizes up to 2000", "[merkle][crosscheck]") {
  std::mt19937_64 rng(6962);
  std::vector<std::uint64_t> sizes = {127, 128, 129, 1024, 2000};
  for (int i = 0; i < 4; ++i) sizes.push_back(65 + rng() % 1936);
  std::sort(sizes.begin(), sizes.end());
  const std::vector<Hash> leaves = MakeLeaves(sizes.back());

  MapSource source;
  for (std::uint64_t n : sizes) {
    while (source.size() < n) source.Append(leaves[source.size()]);
    const auto d = std::span<const Hash>(leaves).first(n);
    const Hash root = ref::Mth(d);
    auto fast_root = merkle::RootAt(source, n);
    REQUIRE(fast_root.ok());
    CHECK(*fast_root == root);
    CHECK(merkle::RootFromLeafHashes(std::vector<Hash>(d.begin(), d.end())) == root);

    std::vector<std::uint64_t> picks = {0, 1, n / 2, std::bit_floor(n - 1), n - 1};
    for (int i = 0; i < 12; ++i) picks.push_back(rng() % n);
    for (std::uint64_t i : picks) {
      INFO("leaf " << i << " tree size " << n);
      source.ResetReads();
      auto proof = merkle::MakeInclusionProof(source, i, n);
      REQUIRE(proof.ok());
      CHECK(source.reads() <= ReadBound(n));
      CHECK(proof->hashes == ref::Path(i, d));
      CHECK(merkle::VerifyInclusion(d[i], *proof, root).ok());
    }
    for (std::uint64_t m : picks) {
      m += 1;  // 1..n
      INFO("old size " << m << " new size " << n);
      source.ResetReads();
      auto proof = merkle::MakeConsistencyProof(source, m, n);
      REQUIRE(proof.ok());
      CHECK(source.reads() <= ReadBound(n));
      CHECK(proof->hashes == ref::Proof(m, d));
      CHECK(merkle::VerifyConsistency(ref::Mth(d.first(m)), root, *proof).ok());
    }
  }
}

TEST_CASE("Builders and verifiers agree on trees of up to 2^64 - 1 leaves",
          "[merkle][crosscheck]") {
  const std::uint64_t kMax = ~std::uint64_t{0};
  const std::vector<std::uint64_t> sizes = {
      std::uint64_t{1} << 40, (std::uint64_t{1} << 40) + 1, (std::uint64_t{1} << 63) + 12345,
      kMax - 1, kMax};
  std::mt19937_64 rng(9162);
  for (std::uint64_t n : sizes) {
    UniformSource source(n);
    auto root = merkle::RootAt(source, n);
    REQUIRE(root.ok());
    std::vector<std::uint64_t> picks = {0, n / 2, n - 2, n - 1, rng() % n, rng() % n};
    for (std::uint64_t i : picks) {
      INFO("leaf " << i << " tree size " << n);
      source.ResetReads();
      auto proof = merkle::MakeInclusionProof(source, i, n);
      REQUIRE(proof.ok());
      CHECK(source.reads() <= ReadBound(n));
      auto leaf = source.PerfectNode(0, 0);
      REQUIRE(leaf.ok());
      CHECK(merkle::VerifyInclusion(*leaf, *proof, *root).ok());
    }
    for (std::uint64_t m : picks) {
      m += 1;
      INFO("old size " << m << " new size " << n);
      const UniformSource old_source(m);
      auto old_root = merkle::RootAt(old_source, m);
      REQUIRE(old_root.ok());
      source.ResetReads();
      auto proof = merkle::MakeConsistencyProof(source, m, n);
      REQUIRE(proof.ok());
      CHECK(source.reads() <= ReadBound(n));
      CHECK(merkle::VerifyConsistency(*old_root, *root, *proof).ok());
    }
  }
}

// ---------------------------------------------------------------------------
// Builder preconditions

TEST_CASE("RootAt of size 0 is the empty root and reads nothing", "[merkle][builder]") {
  const MapSource empty;
  auto root = merkle::RootAt(empty, 0);
  REQUIRE(root.ok());
  CHECK(*root == merkle::EmptyRoot());
  CHECK(empty.reads() == 0);
}

TEST_CASE("MakeInclusionProof rejects a leaf index not below the tree size",
          "[merkle][builder]") {
  const MapSource source = SourceOf(MakeLeaves(4));
  for (auto [index, size] : {std::pair<std::uint64_t, std::uint64_t>{0, 0}, {4, 4}, {5, 4}}) {
    auto proof = merkle::MakeInclusionProof(source, index, size);
    REQUIRE_FALSE(proof.ok());
    CHECK(proof.status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("MakeConsistencyProof rejects an old size above the new size", "[merkle][builder]") {
  const MapSource source = SourceOf(MakeLeaves(4));
  auto proof = merkle::MakeConsistencyProof(source, 4, 3);
  REQUIRE_FALSE(proof.ok());
  CHECK(proof.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("MakeConsistencyProof from size 0 or to the same size is empty", "[merkle][builder]") {
  MapSource source = SourceOf(MakeLeaves(4));
  source.ResetReads();
  for (auto [m, n] : {std::pair<std::uint64_t, std::uint64_t>{0, 0}, {0, 4}, {3, 3}, {4, 4}}) {
    auto proof = merkle::MakeConsistencyProof(source, m, n);
    REQUIRE(proof.ok());
    CHECK(proof->hashes.empty());
  }
  CHECK(source.reads() == 0);
}

TEST_CASE("Builders propagate NodeSource errors for sizes beyond the stored tree",
          "[merkle][builder]") {
  const MapSource source = SourceOf(MakeLeaves(5));
  auto root = merkle::RootAt(source, 6);
  REQUIRE_FALSE(root.ok());
  CHECK(root.status().code() == StatusCode::kNotFound);
  auto incl = merkle::MakeInclusionProof(source, 0, 8);
  REQUIRE_FALSE(incl.ok());
  CHECK(incl.status().code() == StatusCode::kNotFound);
  auto cons = merkle::MakeConsistencyProof(source, 2, 7);
  REQUIRE_FALSE(cons.ok());
  CHECK(cons.status().code() == StatusCode::kNotFound);
}

// ---------------------------------------------------------------------------
// Inclusion verifier: one scenario per rule

TEST_CASE("VerifyInclusion reports a flipped proof hash as a mismatch", "[merkle][verify]") {
  int cases = 0;
  ForEachReferenceInclusion([&](auto, const Hash& leaf, merkle::InclusionProof p,
                                const Hash& root) {
    for (std::size_t j = 0; j < p.hashes.size(); ++j) {
      merkle::InclusionProof bad = p;
      bad.hashes[j][j % 32] ^= 0x01;
      INFO("leaf " << p.leaf_index << " size " << p.tree_size << " hash " << j);
      CHECK(merkle::VerifyInclusion(leaf, bad, root).code() == StatusCode::kVerificationFailed);
      ++cases;
    }
  });
  CHECK(cases > 1000);
}

TEST_CASE("VerifyInclusion reports a dropped or an extra hash as malformed", "[merkle][verify]") {
  ForEachReferenceInclusion([&](auto, const Hash& leaf, merkle::InclusionProof p,
                                const Hash& root) {
    INFO("leaf " << p.leaf_index << " size " << p.tree_size);
    for (std::size_t j = 0; j < p.hashes.size(); ++j) {
      merkle::InclusionProof bad = p;
      bad.hashes.erase(bad.hashes.begin() + static_cast<std::ptrdiff_t>(j));
      CHECK(merkle::VerifyInclusion(leaf, bad, root).code() == StatusCode::kInvalidArgument);
    }
    merkle::InclusionProof extra = p;
    extra.hashes.push_back(root);
    CHECK(merkle::VerifyInclusion(leaf, extra, root).code() == StatusCode::kInvalidArgument);
    merkle::InclusionProof front = p;
    front.hashes.insert(front.hashes.begin(), leaf);
    CHECK(merkle::RootFromInclusionProof(leaf, front).status().code() ==
          StatusCode::kInvalidArgument);
  });
}

TEST_CASE("VerifyInclusion rejects a proof presented for another leaf index",
          "[merkle][verify]") {
  ForEachReferenceInclusion([&](std::span<const Hash> all, const Hash& leaf,
                                merkle::InclusionProof p, const Hash& root) {
    const std::uint64_t i = p.leaf_index;
    for (std::uint64_t wrong : {i - 1, i + 1, i ^ 1, i ^ 2, p.tree_size}) {
      if (wrong == i || wrong == ~std::uint64_t{0}) continue;
      merkle::InclusionProof bad = p;
      bad.leaf_index = wrong;
      const StatusCode want = ExpectedInclusionCode(all, leaf, bad, root);
      INFO("leaf " << i << " claimed as " << wrong << " in size " << p.tree_size);
      CHECK(want != StatusCode::kOk);
      CHECK(merkle::VerifyInclusion(leaf, bad, root).code() == want);
    }
  });
}

TEST_CASE("VerifyInclusion rejects a proof presented for another tree size",
          "[merkle][verify]") {
  ForEachReferenceInclusion([&](std::span<const Hash> all, const Hash& leaf,
                                merkle::InclusionProof p, const Hash& root) {
    const std::uint64_t n = p.tree_size;
    for (std::uint64_t wrong : {std::uint64_t{0}, n - 1, n + 1, 2 * n}) {
      if (wrong == n) continue;
      merkle::InclusionProof bad = p;
      bad.tree_size = wrong;
      // The claim is judged against the true root of the claimed size.
      const Hash claimed_root = ref::Mth(all.first(wrong));
      const StatusCode want = ExpectedInclusionCode(all, leaf, bad, claimed_root);
      INFO("leaf " << p.leaf_index << " size " << n << " claimed as " << wrong);
      CHECK(want != StatusCode::kOk);
      CHECK(merkle::VerifyInclusion(leaf, bad, claimed_root).code() == want);
    }
  });
}

TEST_CASE("VerifyInclusion reports a wrong leaf hash or root as a mismatch", "[merkle][verify]") {
  ForEachReferenceInclusion([&](auto, const Hash& leaf, merkle::InclusionProof p,
                                const Hash& root) {
    Hash other_leaf = leaf;
    other_leaf[31] ^= 0x80;
    Hash other_root = root;
    other_root[0] ^= 0x01;
    CHECK(merkle::VerifyInclusion(other_leaf, p, root).code() == StatusCode::kVerificationFailed);
    CHECK(merkle::VerifyInclusion(leaf, p, other_root).code() == StatusCode::kVerificationFailed);
  });
}

TEST_CASE("VerifyInclusion reports an index not below the tree size as malformed",
          "[merkle][verify]") {
  const Hash leaf = merkle::LeafHash("x");
  for (auto [index, size] : {std::pair<std::uint64_t, std::uint64_t>{0, 0},
                             {1, 1}, {8, 8}, {9, 8}, {~std::uint64_t{0}, ~std::uint64_t{0}}}) {
    const merkle::InclusionProof p{index, size, {}};
    const Status st = merkle::VerifyInclusion(leaf, p, leaf);
    CHECK(st.code() == StatusCode::kInvalidArgument);
    CHECK(st.message().find("not below tree size") != std::string::npos);
  }
}

// ---------------------------------------------------------------------------
// Consistency verifier: one scenario per rule

TEST_CASE("VerifyConsistency reports a flipped proof hash as a mismatch", "[merkle][verify]") {
  int cases = 0;
  ForEachReferenceConsistency([&](auto, merkle::ConsistencyProof p, const Hash& old_root,
                                  const Hash& new_root) {
    for (std::size_t j = 0; j < p.hashes.size(); ++j) {
      merkle::ConsistencyProof bad = p;
      bad.hashes[j][(j * 7) % 32] ^= 0x10;
      INFO("old " << p.old_size << " new " << p.new_size << " hash " << j);
      CHECK(merkle::VerifyConsistency(old_root, new_root, bad).code() ==
            StatusCode::kVerificationFailed);
      ++cases;
    }
  });
  CHECK(cases > 1000);
}

TEST_CASE("VerifyConsistency reports a dropped or an extra hash as malformed",
          "[merkle][verify]") {
  ForEachReferenceConsistency([&](auto, merkle::ConsistencyProof p, const Hash& old_root,
                                  const Hash& new_root) {
    INFO("old " << p.old_size << " new " << p.new_size);
    for (std::size_t j = 0; j < p.hashes.size(); ++j) {
      merkle::ConsistencyProof bad = p;
      bad.hashes.erase(bad.hashes.begin() + static_cast<std::ptrdiff_t>(j));
      CHECK(merkle::VerifyConsistency(old_root, new_root, bad).code() ==
            StatusCode::kInvalidArgument);
    }
    merkle::ConsistencyProof extra = p;
    extra.hashes.push_back(new_root);
    CHECK(merkle::VerifyConsistency(old_root, new_root, extra).code() ==
          StatusCode::kInvalidArgument);
  });
}

TEST_CASE("VerifyConsistency rejects a proof presented for other tree sizes",
          "[merkle][verify]") {
  ForEachReferenceConsistency([&](std::span<const Hash> all, merkle::ConsistencyProof p,
                                  const Hash&, const Hash&) {
    const std::uint64_t m = p.old_size;
    const std::uint64_t n = p.new_size;
    const std::pair<std::uint64_t, std::uint64_t> claims[] = {
        {m - 1, n}, {m + 1, n}, {m, n - 1}, {m, n + 1}, {m + 1, n + 1}, {n, m}};
    for (auto [wm, wn] : claims) {
      if ((wm == m && wn == n) || wm > 2 * kSweepMax || wn > 2 * kSweepMax) continue;
      merkle::ConsistencyProof bad = p;
      bad.old_size = wm;
      bad.new_size = wn;
      // Judged against the true roots of the claimed sizes.
      const Hash old_root = ref::Mth(all.first(std::min(wm, wn)));
      const Hash new_root = ref::Mth(all.first(wn));
      const StatusCode want = ExpectedConsistencyCode(all, old_root, new_root, bad);
      INFO("old " << m << " new " << n << " claimed as " << wm << " to " << wn);
      CHECK(merkle::VerifyConsistency(old_root, new_root, bad).code() == want);
    }
  });
}

TEST_CASE("VerifyConsistency reports a wrong old or new root as a mismatch",
          "[merkle][verify]") {
  ForEachReferenceConsistency([&](auto, merkle::ConsistencyProof p, const Hash& old_root,
                                  const Hash& new_root) {
    if (p.old_size == 0) return;  // the old root of an empty tree is not examined
    INFO("old " << p.old_size << " new " << p.new_size);
    Hash bad_old = old_root;
    bad_old[5] ^= 0x04;
    Hash bad_new = new_root;
    bad_new[6] ^= 0x04;
    CHECK(merkle::VerifyConsistency(bad_old, new_root, p).code() ==
          StatusCode::kVerificationFailed);
    CHECK(merkle::VerifyConsistency(old_root, bad_new, p).code() ==
          StatusCode::kVerificationFailed);
  });
}

TEST_CASE("VerifyConsistency reports an old size above the new size as malformed",
          "[merkle][verify]") {
  const Hash r = merkle::LeafHash("x");
  const Status st = merkle::VerifyConsistency(r, r, merkle::ConsistencyProof{5, 4, {}});
  CHECK(st.code() == StatusCode::kInvalidArgument);
  CHECK(st.message().find("exceeds new tree size") != std::string::npos);
}

TEST_CASE("VerifyConsistency from size 0 accepts only an empty proof", "[merkle][verify]") {
  const Hash r = merkle::LeafHash("x");
  CHECK(merkle::VerifyConsistency(merkle::EmptyRoot(), r, {0, 7, {}}).ok());
  CHECK(merkle::VerifyConsistency(merkle::EmptyRoot(), merkle::EmptyRoot(), {0, 0, {}}).ok());
  const Status st = merkle::VerifyConsistency(merkle::EmptyRoot(), r, {0, 7, {r}});
  CHECK(st.code() == StatusCode::kInvalidArgument);
  CHECK(st.message().find("must be empty") != std::string::npos);
}

TEST_CASE("VerifyConsistency between equal sizes needs an empty proof and equal roots",
          "[merkle][verify]") {
  const Hash a = merkle::LeafHash("a");
  const Hash b = merkle::LeafHash("b");
  CHECK(merkle::VerifyConsistency(a, a, {3, 3, {}}).ok());
  CHECK(merkle::VerifyConsistency(a, b, {3, 3, {}}).code() == StatusCode::kVerificationFailed);
  CHECK(merkle::VerifyConsistency(a, a, {3, 3, {a}}).code() == StatusCode::kInvalidArgument);
}

}  // namespace
