// RFC 6962 (RFC 9162 section 2.1) Merkle tree hashing and proofs.
//
// The log is a Merkle tree whose leaves are the stored record bytes in log
// order (leaf index = record sequence number):
//   leaf hash = SHA-256(0x00 || leaf bytes)
//   node hash = SHA-256(0x01 || left || right)
//   empty tree root = SHA-256("")
//
// Everything here is a pure function over plain data, except the proof
// builders, which read perfect-subtree hashes through a NodeSource.
//
// Error convention for verifiers: a proof whose shape is impossible for the
// claimed sizes (wrong number of hashes, index out of range) is
// kInvalidArgument ("malformed"); a well-formed proof that leads to another
// root is kVerificationFailed ("mismatch").
//
// Thread safety: all functions are reentrant.
#ifndef RETRACE_MERKLE_H_
#define RETRACE_MERKLE_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "retrace/export.h"
#include "retrace/hash.h"
#include "retrace/status.h"

namespace retrace::merkle {

RETRACE_EXPORT Hash LeafHash(std::string_view leaf_bytes);
RETRACE_EXPORT Hash NodeHash(const Hash& left, const Hash& right);
// SHA-256 of the empty string: the root of a tree of size 0.
RETRACE_EXPORT Hash EmptyRoot();

// Root over `leaf_hashes` computed directly from the RFC 6962 definition
// (MTH). O(n); the reference the incremental code is checked against.
RETRACE_EXPORT Hash RootFromLeafHashes(const std::vector<Hash>& leaf_hashes);

struct InclusionProof {
  std::uint64_t leaf_index = 0;
  std::uint64_t tree_size = 0;
  // Audit path, leaf side first (RFC 6962 PATH(m, D[n])).
  std::vector<Hash> hashes;
};

struct ConsistencyProof {
  std::uint64_t old_size = 0;
  std::uint64_t new_size = 0;
  // RFC 6962 PROOF(m, D[n]).
  std::vector<Hash> hashes;
};

// OK if `proof` shows `leaf_hash` at proof.leaf_index in the tree of
// proof.tree_size leaves whose root is `root` (RFC 9162 section 2.1.3.2).
// kInvalidArgument (malformed) if leaf_index >= tree_size or the number of
// hashes is not the path length for that index and size;
// kVerificationFailed if the proof is well-formed but leads to another root.
RETRACE_EXPORT Status VerifyInclusion(const Hash& leaf_hash, const InclusionProof& proof,
                                      const Hash& root);

// The root implied by `proof` for `leaf_hash`; kInvalidArgument if malformed
// (as for VerifyInclusion). Never kVerificationFailed.
RETRACE_EXPORT Result<Hash> RootFromInclusionProof(const Hash& leaf_hash,
                                                   const InclusionProof& proof);

// OK if `proof` shows that the tree of proof.old_size leaves with root
// `old_root` is a prefix of the tree of proof.new_size leaves with root
// `new_root`. old_size == 0 is always consistent (empty proof required);
// old_size == new_size requires an empty proof and equal roots.
// (RFC 9162 section 2.1.4.2.) When old_size == 0, `old_root` is not examined.
// kInvalidArgument (malformed) if old_size > new_size, or the number of
// hashes is not the proof length for the two sizes (so nonempty for
// old_size == 0 or old_size == new_size); kVerificationFailed if well-formed
// but either root differs from the one the proof leads to.
RETRACE_EXPORT Status VerifyConsistency(const Hash& old_root, const Hash& new_root,
                                        const ConsistencyProof& proof);

// Read access to a stored tree: the hash of the perfect subtree of 2^level
// leaves covering leaves [index << level, (index + 1) << level). Only
// subtrees that are complete in the stored tree may be asked for. The
// functions below return any error it reports with its code unchanged.
class RETRACE_EXPORT NodeSource {
 public:
  virtual ~NodeSource() = default;
  virtual Result<Hash> PerfectNode(unsigned level, std::uint64_t index) const = 0;
};

// A perfect subtree hash that an append completes.
struct CompletedNode {
  unsigned level = 0;
  std::uint64_t index = 0;
  Hash hash{};
};

// The nodes completed by appending leaf number `leaf_index` (0-based) with
// hash `leaf_hash` to a tree that holds leaf_index leaves: the leaf itself at
// level 0, then one node per level while the subtree is complete. Reads at
// most log2(n) left siblings from `source`. This is the O(log n) append.
RETRACE_EXPORT Result<std::vector<CompletedNode>> NodesCompletedByAppend(
    const NodeSource& source, std::uint64_t leaf_index, const Hash& leaf_hash);

// Root of the first `tree_size` leaves; EmptyRoot() for 0. Reads
// popcount(tree_size) perfect subtrees, and nothing for 0.
RETRACE_EXPORT Result<Hash> RootAt(const NodeSource& source, std::uint64_t tree_size);

// Inclusion proof of `leaf_index` in the tree of `tree_size` leaves.
// kInvalidArgument unless leaf_index < tree_size. At most
// 2 * bit_width(tree_size) reads and O(log n) hashing.
RETRACE_EXPORT Result<InclusionProof> MakeInclusionProof(const NodeSource& source,
                                                         std::uint64_t leaf_index,
                                                         std::uint64_t tree_size);

// Consistency proof from `old_size` to `new_size` leaves.
// kInvalidArgument unless old_size <= new_size. Empty (and no reads) when
// old_size == 0 or old_size == new_size. At most 2 * bit_width(new_size)
// reads and O(log n) hashing.
RETRACE_EXPORT Result<ConsistencyProof> MakeConsistencyProof(const NodeSource& source,
                                                             std::uint64_t old_size,
                                                             std::uint64_t new_size);

}  // namespace retrace::merkle

#endif  // RETRACE_MERKLE_H_
