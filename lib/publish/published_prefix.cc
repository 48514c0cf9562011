// ReadPublishedPrefix (retrace/mirror.h): an earlier size of a published
// log's tree, from its tiles, authenticated against a later checkpoint.
#include "retrace/mirror.h"

#include "publish/fetch.h"
#include "publish/tile_tree.h"
#include "retrace/merkle.h"
#include "util/hex.h"
#include "util/status_macros.h"

namespace retrace {

Result<PublishedPrefix> ReadPublishedPrefix(const std::string& source,
                                            const Checkpoint& checkpoint, std::uint64_t size,
                                            const FetchOptions& options) {
  if (size > checkpoint.size) {
    return InvalidArgumentError("size " + std::to_string(size) + " is beyond the checkpoint's (" +
                                std::to_string(checkpoint.size) + ")");
  }
  internal::Fetcher fetcher(source, options);
  internal::TileTree tree(&fetcher, checkpoint.size);
  // A source finding (a tile of the wrong length, a full tile that does not
  // hash into the tile above) is the server's fault: kVerificationFailed
  // with its message, like the tiles not hashing to the root.
  auto plain = [&](const Status& s) {
    std::string code, message;
    if (!internal::AsSourceFinding(s, &code, &message)) return s;
    return VerificationFailedError(source + ": " + code + ": " + message);
  };
  PublishedPrefix out;
  out.size = size;
  if (checkpoint.size == 0) return out;  // the empty tree: nothing to read
  Result<Hash> root = merkle::RootAt(tree, checkpoint.size);
  if (!root.ok()) return plain(root.status());
  if (*root != checkpoint.root_hash) {
    return VerificationFailedError("the tiles of " + source + " do not hash to the root of the " +
                                   "checkpoint of size " + std::to_string(checkpoint.size) +
                                   " (" + internal::HexEncode(HashBytes(checkpoint.root_hash)) +
                                   "): the server altered them or serves another log");
  }
  if (size > 0) {
    Result<Hash> prefix = merkle::RootAt(tree, size);
    if (!prefix.ok()) return plain(prefix.status());
    out.root = *prefix;
  } else {
    out.root = merkle::EmptyRoot();
  }
  if (size > 0 && size < checkpoint.size) {
    Result<merkle::ConsistencyProof> proof = merkle::MakeConsistencyProof(tree, size, checkpoint.size);
    if (!proof.ok()) return plain(proof.status());
    out.consistency_proof = std::move(proof->hashes);
  }
  // The nodes of the prefix and the proof may come from full tiles the
  // root's computation did not read whole: each must hash into the tile
  // above it, up to tiles the root authenticated.
  if (Status s = tree.CheckFullTiles(); !s.ok()) return plain(s);
  return out;
}

}  // namespace retrace
