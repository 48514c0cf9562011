// The Merkle tree a published log serves as tlog-tiles, read tile by tile
// on demand and authenticated against a checkpoint (internal; mirror.cc,
// and the consistency of two checkpoints of a published log).
#ifndef RETRACE_LIB_PUBLISH_TILE_TREE_H_
#define RETRACE_LIB_PUBLISH_TILE_TREE_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "publish/fetch.h"
#include "publish/tiles.h"
#include "retrace/merkle.h"
#include "retrace/status.h"

namespace retrace::internal {

// A finding about the source (not an error of the reader), carried as a
// kVerificationFailed status whose message is "finding:<code>:<message>",
// so the steps of a reader can bail out with RETURN_IF_ERROR.
Status SourceFinding(const std::string& code, const std::string& message);
// Whether `s` carries a finding; if so its code and message.
bool AsSourceFinding(const Status& s, std::string* code, std::string* message);

// The tree of `size` leaves a source publishes. Tiles are fetched once and
// kept. Nothing is trusted by itself: a caller compares merkle::RootAt(tree,
// size) with a verified checkpoint's root (which authenticates every tile
// the computation read whole) and calls CheckFullTiles before it uses a
// full tile the root computation did not read.
class TileTree final : public merkle::NodeSource {
 public:
  TileTree(Fetcher* fetcher, std::uint64_t size) : fetcher_(fetcher), size_(size) {}

  // Tile `n` of tile level `level` (its hashes), fetched if not held.
  // tile_mismatch if the source serves it with the wrong length.
  Result<const std::vector<Hash>*> Tile(unsigned level, std::uint64_t n) const;
  Result<Hash> PerfectNode(unsigned level, std::uint64_t index) const override;
  // Every full tile fetched must hash to its entry in the tile above, which
  // is itself checked the same way or entered the root whole (partial):
  // tile_mismatch naming the first that does not.
  Status CheckFullTiles() const;

  std::uint64_t fetched() const { return fetched_; }

 private:
  Fetcher* fetcher_;
  std::uint64_t size_;
  mutable std::map<std::pair<unsigned, std::uint64_t>, std::vector<Hash>> tiles_;
  mutable std::set<std::pair<unsigned, std::uint64_t>> checked_;
  mutable std::uint64_t fetched_ = 0;
};

}  // namespace retrace::internal

#endif  // RETRACE_LIB_PUBLISH_TILE_TREE_H_
