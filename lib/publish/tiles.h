// tlog-tiles naming and geometry (internal; c2sp.org/tlog-tiles).
#ifndef RETRACE_LIB_PUBLISH_TILES_H_
#define RETRACE_LIB_PUBLISH_TILES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "retrace/hash.h"
#include "retrace/status.h"

namespace retrace::internal {

inline constexpr unsigned kTileHeight = 8;
inline constexpr std::uint64_t kTileWidth = 256;
inline constexpr std::size_t kMaxEntry16 = 0xFFFF;

// "x001/x234/067" for 1234067: zero-padded 3-digit groups, all but the last
// prefixed with 'x'.
std::string TileIndexPath(std::uint64_t n);

// "tile/<L>/<N>" (width 256) or "tile/<L>/<N>.p/<W>".
std::string HashTilePath(unsigned level, std::uint64_t n, std::uint64_t width);
// "tile/entries/<N>[.p/<W>]", or with u32 lengths "tile/entries-u32/...".
std::string EntryBundlePath(std::uint64_t n, std::uint64_t width, bool u32 = false);

// Number of hashes a tree of `size` leaves has at tile level `level`
// (floor(size / 256^level)); the tile count is that divided by 256, rounded up.
inline std::uint64_t HashesAtLevel(std::uint64_t size, unsigned level) {
  return level * kTileHeight >= 64 ? 0 : size >> (level * kTileHeight);
}
// Width of tile `n` at `level` in a tree of `size`: 256, fewer (partial), or
// 0 if the tree has no such tile.
std::uint64_t TileWidth(std::uint64_t size, unsigned level, std::uint64_t n);

// Concatenates `entries` as an entry bundle (uint16 or uint32 big-endian
// length prefixes). kInvalidArgument if an entry is too long for u16.
Result<std::string> EncodeEntryBundle(const std::vector<std::string_view>& entries, bool u32);
// Splits an entry bundle. kInvalidArgument if it is truncated or has
// trailing bytes, or holds another number of entries than `want`.
Result<std::vector<std::string_view>> DecodeEntryBundle(std::string_view bundle, bool u32,
                                                        std::uint64_t want);

// The Merkle tree hash of a run of 2^k hashes (k <= 8) (RFC 6962 MTH over
// nodes). Precondition: hashes.size() is a power of two.
Hash HashPerfectRun(const Hash* hashes, std::size_t count);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_PUBLISH_TILES_H_
