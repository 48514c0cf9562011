// InclusionSet (a bundle's proofs verified as a set, each node hashed once)
// against merkle::VerifyInclusion (each proof alone, the reference): over
// random trees, leaves in any order, honest proofs and proofs altered in
// every way a proof can be (a hash flipped, dropped, added or swapped, a
// proof presented for another leaf or with another leaf hash, one honest
// proof's tail on another), both give every proof the same verdict, code
// and message; and the set hashes fewer nodes.
#include "merkle/inclusion_set.h"

#include <catch2/catch.hpp>
#include <random>
#include <vector>

#include "reference_tree.h"
#include "retrace/merkle.h"

namespace retrace {
namespace {

using merkle::InclusionProof;

Hash Leaf(std::uint64_t i) {
  const std::string s = "leaf " + std::to_string(i);
  return merkle::LeafHash(s);
}

struct Tree {
  std::vector<Hash> leaves;
  Hash root;
  InclusionProof Proof(std::uint64_t i) const {
    return {i, leaves.size(), merkle::reference::Path(i, leaves)};
  }
};

Tree Make(std::uint64_t n) {
  Tree t;
  for (std::uint64_t i = 0; i < n; ++i) t.leaves.push_back(Leaf(i));
  t.root = merkle::RootFromLeafHashes(t.leaves);
  return t;
}

// A proof of `t`, for `leaf`, maybe altered; the leaf hash presented with it.
std::pair<Hash, InclusionProof> Presented(const Tree& t, std::uint64_t leaf, std::mt19937_64& rng) {
  InclusionProof p = t.Proof(leaf);
  Hash h = t.leaves[leaf];
  switch (rng() % 12) {
    case 0:
      if (!p.hashes.empty()) p.hashes[rng() % p.hashes.size()][rng() % 32] ^= 1;
      break;
    case 1:
      if (!p.hashes.empty()) p.hashes.pop_back();
      break;
    case 2:
      p.hashes.push_back(t.leaves[rng() % t.leaves.size()]);
      break;
    case 3:
      if (p.hashes.size() >= 2) std::swap(p.hashes[0], p.hashes[1]);
      break;
    case 4:
      p.leaf_index = rng() % (t.leaves.size() + 2);  // another leaf's place, or beyond
      break;
    case 5:
      h = t.leaves[rng() % t.leaves.size()];  // another leaf's hash
      break;
    case 6: {  // this proof's head on another proof's tail
      const InclusionProof o = t.Proof(rng() % t.leaves.size());
      for (std::size_t i = p.hashes.size() / 2; i < p.hashes.size() && i < o.hashes.size(); ++i) {
        p.hashes[i] = o.hashes[i];
      }
      break;
    }
    case 7:
      p.tree_size = t.leaves.size() + 1;
      break;
    default:
      break;  // honest
  }
  return {h, p};
}

TEST_CASE("InclusionSet gives every proof VerifyInclusion's verdict and message",
          "[merkle][verify]") {
  std::mt19937_64 rng(61);
  int accepted = 0, refused = 0;
  for (std::uint64_t n : {1, 2, 3, 5, 8, 13, 64, 100, 257, 1000}) {
    const Tree t = Make(n);
    for (int round = 0; round < 3; ++round) {
      internal::InclusionSet set(n, round == 2 ? Leaf(n + 7) : t.root);  // round 2: another root
      const Hash root = round == 2 ? Leaf(n + 7) : t.root;
      for (int k = 0; k < 400; ++k) {
        const std::uint64_t leaf = round == 0 ? static_cast<std::uint64_t>(k) % n : rng() % n;
        const auto [h, p] = Presented(t, leaf, rng);
        const Status want = merkle::VerifyInclusion(h, p, root);
        const Status got = set.Verify(h, p);
        INFO("size " << n << " round " << round << " leaf " << p.leaf_index << ": " << want.message());
        REQUIRE(got.code() == want.code());
        REQUIRE(got.message() == want.message());
        (want.ok() ? accepted : refused)++;
      }
    }
  }
  CHECK(accepted > 1000);
  CHECK(refused > 1000);
}

TEST_CASE("InclusionSet of a tree of up to 2^58 leaves and beyond", "[merkle][verify]") {
  // Beyond 2^58 leaves every proof is verified alone; both agree either way.
  for (std::uint64_t size : {(std::uint64_t{1} << 58) - 1, std::uint64_t{1} << 58,
                             (std::uint64_t{1} << 58) + 1, ~std::uint64_t{0}}) {
    // A tree whose leaves are all one hash: its perfect subtrees are known.
    std::vector<Hash> level{Leaf(0)};
    for (int i = 0; i < 64; ++i) level.push_back(merkle::NodeHash(level.back(), level.back()));
    // The last leaf's path: one perfect left subtree per set bit of size - 1.
    InclusionProof p{size - 1, size, {}};
    std::uint64_t rest = size - 1;
    Hash root = Leaf(0);
    for (int b = 0; b < 64; ++b) {
      if ((rest >> b) & 1) {
        p.hashes.push_back(level[b]);
        root = merkle::NodeHash(level[b], root);
      }
    }
    internal::InclusionSet set(size, root);
    REQUIRE(merkle::VerifyInclusion(Leaf(0), p, root).ok());
    CHECK(set.Verify(Leaf(0), p).ok());
    CHECK(set.Verify(Leaf(0), p).ok());  // the second time through the set's memory
    p.hashes.front()[0] ^= 1;
    CHECK(set.Verify(Leaf(0), p).message() == merkle::VerifyInclusion(Leaf(0), p, root).message());
  }
}

}  // namespace
}  // namespace retrace
