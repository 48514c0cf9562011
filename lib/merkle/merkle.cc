// RFC 6962 / RFC 9162 section 2.1 Merkle tree hashing, proof building and
// proof verification.
//
// Vocabulary used below (RFC 9162 section 2.1.1): D[n] is the list of the
// first n leaves; MTH(D[begin:end]) is the hash of the subtree over leaves
// [begin, end); k is "the largest power of two smaller than n".
//
// Invariant the builders rely on: every subtree the RFC recursion visits,
// D[begin:end], has `begin` a multiple of bit_ceil(end - begin). Hence it is
// covered, left to right, by the perfect subtrees given by the binary digits
// of (end - begin), largest first, each aligned to its own size, and its hash
// is those perfect hashes folded from the right (RangeHash below). The
// builders therefore never need an imperfect node to be stored.
#include "retrace/merkle.h"

#include <algorithm>
#include <array>
#include <bit>
#include <string>
#include <string_view>
#include <utility>

#include "crypto/sha256.h"
#include "util/status_macros.h"

namespace retrace::merkle {
namespace {

// RFC 6962 domain separation: a leaf can never be mistaken for a node.
constexpr std::string_view kLeafPrefix("\x00", 1);
constexpr std::string_view kNodePrefix("\x01", 1);

std::string_view AsView(const Hash& h) {
  return {reinterpret_cast<const char*>(h.data()), h.size()};
}

// k of RFC 9162 section 2.1.1: the largest power of two smaller than n (n >= 2).
std::uint64_t SplitPoint(std::uint64_t n) { return std::bit_floor(n - 1); }

// Hash of D[begin:end] (begin < end, aligned as in the file comment) from the
// perfect subtrees covering it. Reads popcount(end - begin) nodes and
// computes popcount(end - begin) - 1 node hashes.
Result<Hash> RangeHash(const NodeSource& source, std::uint64_t begin, std::uint64_t end) {
  const std::uint64_t size = end - begin;
  if (begin >= end || (begin & (std::bit_floor(size) - 1)) != 0) {
    return InternalError("merkle: unaligned subtree [" + std::to_string(begin) + ", " +
                         std::to_string(end) + ")");
  }
  std::array<Hash, 64> pieces;
  std::size_t count = 0;
  for (std::uint64_t pos = begin, remaining = size; remaining != 0;) {
    const unsigned level = static_cast<unsigned>(std::bit_width(remaining) - 1);
    ASSIGN_OR_RETURN(pieces[count], source.PerfectNode(level, pos >> level));
    ++count;
    pos += std::uint64_t{1} << level;
    remaining -= std::uint64_t{1} << level;
  }
  Hash acc = pieces[count - 1];
  for (std::size_t i = count - 1; i-- > 0;) acc = NodeHash(pieces[i], acc);
  return acc;
}

Hash RootFromRange(const Hash* first, std::size_t n) {
  if (n == 1) return first[0];
  const std::size_t k = static_cast<std::size_t>(SplitPoint(n));
  return NodeHash(RootFromRange(first, k), RootFromRange(first + k, n - k));
}

// Number of hashes in PATH(index, D[size]) for index < size: the levels
// below the point where the paths to `index` and to the last leaf part
// ("inner"), plus one per left perfect subtree above it ("border"). This is
// the decomposition transparency-dev/merkle uses (proof.decompInclProof).
std::size_t InclusionProofLength(std::uint64_t index, std::uint64_t size) {
  const int inner = std::bit_width(index ^ (size - 1));
  const int border = inner >= 64 ? 0 : std::popcount(index >> inner);
  return static_cast<std::size_t>(inner + border);
}

// Number of hashes in PROOF(old_size, D[new_size]) for 0 < old_size < new_size.
// It is the inclusion path of leaf old_size - 1 minus the levels that lie
// inside the perfect subtree ending at old_size (those are implied by the old
// root), plus one seed hash unless old_size is a power of two (then the old
// root itself is the seed).
std::size_t ConsistencyProofLength(std::uint64_t old_size, std::uint64_t new_size) {
  const std::uint64_t index = old_size - 1;
  int inner = std::bit_width(index ^ (new_size - 1));
  const int border = inner >= 64 ? 0 : std::popcount(index >> inner);
  inner -= std::countr_zero(old_size);  // stays >= 1 because old_size < new_size
  const int seed = std::has_single_bit(old_size) ? 0 : 1;
  return static_cast<std::size_t>(seed + inner + border);
}

std::string InclusionClaim(const InclusionProof& proof) {
  return "leaf index " + std::to_string(proof.leaf_index) + " in tree size " +
         std::to_string(proof.tree_size);
}

std::string ConsistencyClaim(const ConsistencyProof& proof) {
  return "tree size " + std::to_string(proof.old_size) + " to " + std::to_string(proof.new_size);
}

}  // namespace

Hash LeafHash(std::string_view leaf_bytes) {
  return internal::Sha256Concat({kLeafPrefix, leaf_bytes});
}

Hash NodeHash(const Hash& left, const Hash& right) {
  return internal::Sha256Concat({kNodePrefix, AsView(left), AsView(right)});
}

Hash EmptyRoot() {
  // SHA-256("") = e3b0c442 98fc1c14 9afbf4c8 996fb924 27ae41e4 649b934c a495991b 7852b855.
  static constexpr Hash kEmpty = {
      0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
      0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
      0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
  return kEmpty;
}

Hash RootFromLeafHashes(const std::vector<Hash>& leaf_hashes) {
  if (leaf_hashes.empty()) return EmptyRoot();
  return RootFromRange(leaf_hashes.data(), leaf_hashes.size());
}

// RFC 9162 section 2.1.3.2, with the proof length checked first so that a
// malformed proof is told apart from one that leads to another root.
Result<Hash> RootFromInclusionProof(const Hash& leaf_hash, const InclusionProof& proof) {
  if (proof.leaf_index >= proof.tree_size) {
    return InvalidArgumentError("inclusion proof: leaf index " +
                                std::to_string(proof.leaf_index) +
                                " is not below tree size " + std::to_string(proof.tree_size));
  }
  const std::size_t want = InclusionProofLength(proof.leaf_index, proof.tree_size);
  if (proof.hashes.size() != want) {
    return InvalidArgumentError("inclusion proof: has " + std::to_string(proof.hashes.size()) +
                                " hashes, but " + InclusionClaim(proof) + " needs " +
                                std::to_string(want));
  }
  std::uint64_t fn = proof.leaf_index;
  std::uint64_t sn = proof.tree_size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof.hashes) {
    if (sn == 0) {  // unreachable after the length check; kept as in the RFC
      return InvalidArgumentError("inclusion proof: too many hashes for " +
                                  InclusionClaim(proof));
    }
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {  // likewise unreachable after the length check
    return InvalidArgumentError("inclusion proof: too few hashes for " + InclusionClaim(proof));
  }
  return r;
}

Status VerifyInclusion(const Hash& leaf_hash, const InclusionProof& proof, const Hash& root) {
  ASSIGN_OR_RETURN(const Hash computed, RootFromInclusionProof(leaf_hash, proof));
  if (computed != root) {
    return VerificationFailedError("inclusion proof for " + InclusionClaim(proof) +
                                   " does not lead to the expected root hash");
  }
  return Status::Ok();
}

// RFC 9162 section 2.1.4.2, with the shape checked first (see RootFromInclusionProof).
Status VerifyConsistency(const Hash& old_root, const Hash& new_root,
                         const ConsistencyProof& proof) {
  const std::uint64_t old_size = proof.old_size;
  const std::uint64_t new_size = proof.new_size;
  if (old_size > new_size) {
    return InvalidArgumentError("consistency proof: old tree size " + std::to_string(old_size) +
                                " exceeds new tree size " + std::to_string(new_size));
  }
  if (old_size == 0 || old_size == new_size) {
    if (!proof.hashes.empty()) {
      return InvalidArgumentError("consistency proof: " + ConsistencyClaim(proof) +
                                  " must be empty, but has " +
                                  std::to_string(proof.hashes.size()) + " hashes");
    }
    if (old_size != 0 && old_root != new_root) {
      return VerificationFailedError("consistency proof: " + ConsistencyClaim(proof) +
                                     " requires equal roots, and they differ");
    }
    return Status::Ok();
  }
  const std::size_t want = ConsistencyProofLength(old_size, new_size);
  if (proof.hashes.size() != want) {
    return InvalidArgumentError("consistency proof: has " + std::to_string(proof.hashes.size()) +
                                " hashes, but " + ConsistencyClaim(proof) + " needs " +
                                std::to_string(want));
  }

  // When old_size is a power of two the old tree is a perfect subtree of the
  // new one and the RFC prepends old_root to the path as its seed.
  const bool seed_is_old_root = std::has_single_bit(old_size);
  const Hash& seed = seed_is_old_root ? old_root : proof.hashes[0];
  const std::size_t rest = seed_is_old_root ? 0 : 1;

  std::uint64_t fn = old_size - 1;
  std::uint64_t sn = new_size - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = seed;
  Hash sr = seed;
  for (std::size_t i = rest; i < proof.hashes.size(); ++i) {
    const Hash& c = proof.hashes[i];
    if (sn == 0) {  // unreachable after the length check; kept as in the RFC
      return InvalidArgumentError("consistency proof: too many hashes for " +
                                  ConsistencyClaim(proof));
    }
    if ((fn & 1) != 0 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {  // likewise unreachable after the length check
    return InvalidArgumentError("consistency proof: too few hashes for " +
                                ConsistencyClaim(proof));
  }
  if (fr != old_root) {
    return VerificationFailedError("consistency proof: " + ConsistencyClaim(proof) +
                                   " does not lead to the expected old root hash");
  }
  if (sr != new_root) {
    return VerificationFailedError("consistency proof: " + ConsistencyClaim(proof) +
                                   " does not lead to the expected new root hash");
  }
  return Status::Ok();
}

Result<std::vector<CompletedNode>> NodesCompletedByAppend(const NodeSource& source,
                                                          std::uint64_t leaf_index,
                                                          const Hash& leaf_hash) {
  std::vector<CompletedNode> out;
  out.reserve(static_cast<std::size_t>(std::countr_one(leaf_index)) + 1);
  CompletedNode node{0, leaf_index, leaf_hash};
  out.push_back(node);
  // A right child completes its parent; its left sibling was completed earlier.
  while ((node.index & 1) != 0) {
    auto left = source.PerfectNode(node.level, node.index - 1);
    if (!left.ok()) {
      return left.status().Annotate("merkle append of leaf " + std::to_string(leaf_index) +
                                    ": left sibling at level " + std::to_string(node.level));
    }
    node.hash = NodeHash(*left, node.hash);
    node.index >>= 1;
    ++node.level;
    out.push_back(node);
  }
  return out;
}

Result<Hash> RootAt(const NodeSource& source, std::uint64_t tree_size) {
  if (tree_size == 0) return EmptyRoot();
  return RangeHash(source, 0, tree_size);
}

// PATH(m, D[n]) of RFC 9162 section 2.1.3.1, unrolled from the root down;
// RFC order is leaf side first, so the collected siblings are reversed.
//
// Reads: descending right, the sibling D[begin:begin+k] is perfect (1 read).
// Descending left, the sibling D[begin+k:end] may take popcount reads, but the
// subtree entered is perfect, so that happens at most once. Total reads
// <= 2 * log2(n), and node hashing is O(log n) as well.
Result<InclusionProof> MakeInclusionProof(const NodeSource& source, std::uint64_t leaf_index,
                                          std::uint64_t tree_size) {
  if (leaf_index >= tree_size) {
    return InvalidArgumentError("inclusion proof: leaf index " + std::to_string(leaf_index) +
                                " is not below tree size " + std::to_string(tree_size));
  }
  InclusionProof proof;
  proof.leaf_index = leaf_index;
  proof.tree_size = tree_size;
  std::uint64_t begin = 0;
  std::uint64_t end = tree_size;
  while (end - begin > 1) {
    const std::uint64_t mid = begin + SplitPoint(end - begin);
    if (leaf_index < mid) {
      ASSIGN_OR_RETURN(Hash sibling, RangeHash(source, mid, end));
      proof.hashes.push_back(sibling);
      end = mid;
    } else {
      ASSIGN_OR_RETURN(Hash sibling, RangeHash(source, begin, mid));
      proof.hashes.push_back(sibling);
      begin = mid;
    }
  }
  std::reverse(proof.hashes.begin(), proof.hashes.end());
  return proof;
}

// PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of RFC 9162 section 2.1.4.1,
// unrolled like MakeInclusionProof. SUBPROOF emits the recursive part first
// and the sibling after it, so collecting top-down and reversing gives RFC
// order. Reads are bounded as for inclusion: at most one imperfect sibling
// (after which everything is perfect), and the final MTH(D[begin:end]) is
// imperfect only if no left turn happened. Total reads <= 2 * log2(n).
Result<ConsistencyProof> MakeConsistencyProof(const NodeSource& source, std::uint64_t old_size,
                                              std::uint64_t new_size) {
  if (old_size > new_size) {
    return InvalidArgumentError("consistency proof: old tree size " + std::to_string(old_size) +
                                " exceeds new tree size " + std::to_string(new_size));
  }
  ConsistencyProof proof;
  proof.old_size = old_size;
  proof.new_size = new_size;
  if (old_size == 0 || old_size == new_size) return proof;

  std::uint64_t begin = 0;
  std::uint64_t end = new_size;
  bool whole_old_tree = true;  // SUBPROOF's b: this subtree is the whole old tree
  for (;;) {
    if (old_size == end) {  // m == n in the RFC (relative to begin)
      if (!whole_old_tree) {
        ASSIGN_OR_RETURN(Hash h, RangeHash(source, begin, end));
        proof.hashes.push_back(h);
      }
      break;
    }
    const std::uint64_t mid = begin + SplitPoint(end - begin);
    if (old_size <= mid) {
      ASSIGN_OR_RETURN(Hash sibling, RangeHash(source, mid, end));
      proof.hashes.push_back(sibling);
      end = mid;
    } else {
      ASSIGN_OR_RETURN(Hash sibling, RangeHash(source, begin, mid));
      proof.hashes.push_back(sibling);
      begin = mid;
      whole_old_tree = false;
    }
  }
  std::reverse(proof.hashes.begin(), proof.hashes.end());
  return proof;
}

}  // namespace retrace::merkle
