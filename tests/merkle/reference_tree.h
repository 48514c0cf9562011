// A naive RFC 6962 Merkle tree, for tests only: MTH, PATH and PROOF/SUBPROOF
// written exactly as the recursive definitions of RFC 9162 section 2.1, over
// an explicit list of leaf hashes. Deliberately shares no code with
// lib/merkle beyond NodeHash and EmptyRoot (themselves pinned by known-answer
// tests), so that it can cross-check the fast, NodeSource-based builders.
//
// Cost: MTH is O(n) hashes, so PATH and PROOF are O(n) each.
#ifndef RETRACE_TESTS_MERKLE_REFERENCE_TREE_H_
#define RETRACE_TESTS_MERKLE_REFERENCE_TREE_H_

#include <cstdint>
#include <span>
#include <vector>

#include "retrace/merkle.h"

namespace retrace::merkle::reference {

using Leaves = std::span<const Hash>;

// The largest power of two smaller than n (n >= 2), by counting, not bit tricks.
inline std::size_t Split(std::size_t n) {
  std::size_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// MTH(D[n]); `d` holds leaf hashes, so MTH({d0}) = d0.
inline Hash Mth(Leaves d) {
  if (d.empty()) return EmptyRoot();
  if (d.size() == 1) return d[0];
  const std::size_t k = Split(d.size());
  return NodeHash(Mth(d.first(k)), Mth(d.subspan(k)));
}

// PATH(m, D[n]) for m < n.
inline std::vector<Hash> Path(std::size_t m, Leaves d) {
  if (d.size() <= 1) return {};
  const std::size_t k = Split(d.size());
  std::vector<Hash> out;
  if (m < k) {
    out = Path(m, d.first(k));
    out.push_back(Mth(d.subspan(k)));
  } else {
    out = Path(m - k, d.subspan(k));
    out.push_back(Mth(d.first(k)));
  }
  return out;
}

// SUBPROOF(m, D[n], b) for 0 < m <= n.
inline std::vector<Hash> Subproof(std::size_t m, Leaves d, bool b) {
  if (m == d.size()) {
    if (b) return {};
    return {Mth(d)};
  }
  const std::size_t k = Split(d.size());
  std::vector<Hash> out;
  if (m <= k) {
    out = Subproof(m, d.first(k), b);
    out.push_back(Mth(d.subspan(k)));
  } else {
    out = Subproof(m - k, d.subspan(k), false);
    out.push_back(Mth(d.first(k)));
  }
  return out;
}

// PROOF(m, D[n]) for m <= n; empty for m == 0 (the RFC leaves it undefined;
// retrace's contract makes it empty).
inline std::vector<Hash> Proof(std::size_t m, Leaves d) {
  if (m == 0) return {};
  return Subproof(m, d, true);
}

}  // namespace retrace::merkle::reference

#endif  // RETRACE_TESTS_MERKLE_REFERENCE_TREE_H_
