#include "merkle/inclusion_set.h"

#include <vector>

namespace retrace::internal {
namespace {

// A node by its level and its index at that level; trees of up to 2^58
// leaves (beyond, every proof is verified alone).
constexpr std::uint64_t kMaxKeyedSize = std::uint64_t{1} << 58;
std::uint64_t Key(unsigned level, std::uint64_t index) { return (index << 6) | level; }

}  // namespace

// The walk is RFC 9162 section 2.1.3.2, as merkle::RootFromInclusionProof
// runs it. At the top of each step the node computed so far sits at (level,
// fn), and everything after depends only on that position (sn is the tree
// size minus one shifted by the level), the node's hash and the hashes
// left: if an accepted proof had the same three there, this one reaches the
// root too (barring a SHA-256 collision, on which every Merkle proof rests).
// Anything malformed, and any mismatch, is handed to merkle::VerifyInclusion
// for its verdict and message.
Status InclusionSet::Verify(const Hash& leaf, const merkle::InclusionProof& proof) {
  if (proof.tree_size != size_ || size_ > kMaxKeyedSize || proof.leaf_index >= size_) {
    return merkle::VerifyInclusion(leaf, proof, root_);
  }
  struct Step {
    std::uint64_t key;
    Hash value;
  };
  std::vector<Step> steps;
  steps.reserve(proof.hashes.size());
  // The proof is accepted: every node it went through, with the hash it
  // joined there.
  auto accept = [&] {
    for (std::size_t j = 0; j < steps.size(); ++j) {
      accepted_.emplace(steps[j].key, Node{steps[j].value, proof.hashes[j]});
    }
    return Status::Ok();
  };
  // The position after the step from (fn, sn, level) with `p`.
  auto advance = [](std::uint64_t* fn, std::uint64_t* sn, unsigned* level, bool* left) {
    *left = (*fn & 1) != 0 || *fn == *sn;  // p is the left sibling
    if (*left) {
      while ((*fn & 1) == 0 && *fn != 0) {
        *fn >>= 1;
        *sn >>= 1;
        ++*level;
      }
    }
    *fn >>= 1;
    *sn >>= 1;
    ++*level;
  };
  std::uint64_t fn = proof.leaf_index;
  std::uint64_t sn = size_ - 1;
  unsigned level = 0;
  Hash r = leaf;
  for (std::size_t i = 0; i < proof.hashes.size(); ++i) {
    if (sn == 0) return merkle::VerifyInclusion(leaf, proof, root_);  // too many hashes
    const std::uint64_t key = Key(level, fn);
    auto seen = accepted_.find(key);
    if (seen != accepted_.end() && seen->second.value == r) {
      // The rest of the path: the same hashes the accepted one joined.
      std::uint64_t f = fn, s = sn;
      unsigned l = level;
      bool same = true;
      for (std::size_t j = i; same && j < proof.hashes.size(); ++j) {
        auto at = s == 0 ? accepted_.end() : accepted_.find(Key(l, f));
        same = at != accepted_.end() && at->second.sibling == proof.hashes[j];
        bool left = false;
        advance(&f, &s, &l, &left);
      }
      if (same && s == 0) return accept();
    }
    steps.push_back({key, r});
    bool left = false;
    advance(&fn, &sn, &level, &left);
    r = left ? merkle::NodeHash(proof.hashes[i], r) : merkle::NodeHash(r, proof.hashes[i]);
  }
  if (sn != 0 || r != root_) return merkle::VerifyInclusion(leaf, proof, root_);
  return accept();
}

}  // namespace retrace::internal
