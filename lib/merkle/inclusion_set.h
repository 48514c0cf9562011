// Many inclusion proofs into one tree, each tree node hashed once (internal).
//
// A lineage bundle proves thousands of records against one checkpoint, and
// their audit paths share most of their nodes: verified one by one, the
// 10,000 records of a dense lineage cost 140,000 SHA-256; verified as a set,
// about the 20,000 nodes the paths touch. The verdict of each proof is the
// one merkle::VerifyInclusion gives it, message included (inclusion_set_test
// checks the two against each other).
#ifndef RETRACE_LIB_MERKLE_INCLUSION_SET_H_
#define RETRACE_LIB_MERKLE_INCLUSION_SET_H_

#include <cstdint>
#include <unordered_map>

#include "retrace/merkle.h"

namespace retrace::internal {

class InclusionSet {
 public:
  InclusionSet(std::uint64_t tree_size, const Hash& root) : size_(tree_size), root_(root) {}

  // What merkle::VerifyInclusion(leaf, proof, root) returns, for a proof of
  // this set's tree size. A proof whose path reaches a node an earlier
  // accepted proof went through, with that node's hash and the same hashes
  // from there to the root, is accepted there: the rest of its computation
  // is the earlier one's.
  Status Verify(const Hash& leaf, const merkle::InclusionProof& proof);

 private:
  struct Node {
    Hash value;    // the node's hash
    Hash sibling;  // the hash the accepted path joined it with
  };
  const std::uint64_t size_;
  const Hash root_;
  // By (level, index at that level), of every node on an accepted path.
  std::unordered_map<std::uint64_t, Node> accepted_;
};

}  // namespace retrace::internal

#endif  // RETRACE_LIB_MERKLE_INCLUSION_SET_H_
