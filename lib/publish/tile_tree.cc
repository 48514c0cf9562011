#include "publish/tile_tree.h"

#include <algorithm>

#include "util/status_macros.h"

namespace retrace::internal {
namespace {
constexpr char kFindingTag[] = "finding:";
}  // namespace

Status SourceFinding(const std::string& code, const std::string& message) {
  return VerificationFailedError(std::string(kFindingTag) + code + ":" + message);
}

bool AsSourceFinding(const Status& s, std::string* code, std::string* message) {
  const std::string& m = s.message();
  if (s.code() != StatusCode::kVerificationFailed || m.rfind(kFindingTag, 0) != 0) return false;
  const std::size_t colon = m.find(':', sizeof(kFindingTag) - 1);
  *code = m.substr(sizeof(kFindingTag) - 1, colon - (sizeof(kFindingTag) - 1));
  *message = m.substr(colon + 1);
  return true;
}

Result<const std::vector<Hash>*> TileTree::Tile(unsigned level, std::uint64_t n) const {
  auto key = std::make_pair(level, n);
  auto it = tiles_.find(key);
  if (it != tiles_.end()) return &it->second;
  const std::uint64_t width = TileWidth(size_, level, n);
  if (width == 0) {
    return InvalidArgumentError("tile " + std::to_string(n) + " of level " +
                                std::to_string(level) + " is outside the tree");
  }
  const std::string path = HashTilePath(level, n, width);
  Result<std::string> body = fetcher_->Get(path, kTileWidth * 32);
  if (!body.ok() && body.status().code() == StatusCode::kNotFound && width < kTileWidth) {
    // tlog-tiles: a partial tile may be gone once the full one exists.
    body = fetcher_->Get(HashTilePath(level, n, kTileWidth), kTileWidth * 32);
    if (body.ok() && body->size() == kTileWidth * 32) body->resize(width * 32);
  }
  if (!body.ok()) return body.status();
  ++fetched_;
  if (body->size() != width * 32) {
    return SourceFinding("tile_mismatch", path + " holds " + std::to_string(body->size()) +
                                              " bytes, not " + std::to_string(width * 32));
  }
  std::vector<Hash> hashes(width);
  for (std::uint64_t i = 0; i < width; ++i) {
    std::copy_n(body->data() + i * 32, 32, hashes[i].begin());
  }
  return &tiles_.emplace(key, std::move(hashes)).first->second;
}

Result<Hash> TileTree::PerfectNode(unsigned level, std::uint64_t index) const {
  const unsigned tl = level / kTileHeight;
  const unsigned r = level % kTileHeight;
  const std::uint64_t first = index << r;
  ASSIGN_OR_RETURN(const std::vector<Hash>* tile, Tile(tl, first / kTileWidth));
  const std::uint64_t off = first % kTileWidth;
  if (off + (std::uint64_t{1} << r) > tile->size()) {
    return InvalidArgumentError("node " + std::to_string(index) + " of level " +
                                std::to_string(level) + " is not complete in the tree");
  }
  return HashPerfectRun(tile->data() + off, std::size_t{1} << r);
}

Status TileTree::CheckFullTiles() const {
  for (;;) {
    std::vector<std::pair<unsigned, std::uint64_t>> full;
    for (const auto& [key, hashes] : tiles_) {
      if (hashes.size() == kTileWidth && !checked_.count(key)) full.push_back(key);
    }
    if (full.empty()) return Status::Ok();
    for (const auto& [level, n] : full) {
      // Fetching the parent may add tiles (checked in the next round).
      ASSIGN_OR_RETURN(const std::vector<Hash>* parent, Tile(level + 1, n / kTileWidth));
      const Hash mth = HashPerfectRun(tiles_.at({level, n}).data(), kTileWidth);
      if (n % kTileWidth >= parent->size() || (*parent)[n % kTileWidth] != mth) {
        return SourceFinding("tile_mismatch",
                             HashTilePath(level, n, kTileWidth) +
                                 " does not hash to its entry in the tile above: the server "
                                 "altered it");
      }
      checked_.insert({level, n});
    }
  }
}

}  // namespace retrace::internal
