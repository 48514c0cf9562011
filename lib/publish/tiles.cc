#include "publish/tiles.h"

#include <cstdio>

#include "retrace/merkle.h"

namespace retrace::internal {

std::string TileIndexPath(std::uint64_t n) {
  std::vector<unsigned> groups;
  do {
    groups.push_back(static_cast<unsigned>(n % 1000));
    n /= 1000;
  } while (n > 0);
  std::string out;
  char buf[8];
  for (std::size_t i = groups.size(); i-- > 0;) {
    std::snprintf(buf, sizeof buf, "%s%03u", i > 0 ? "x" : "", groups[i]);
    if (!out.empty()) out += '/';
    out += buf;
  }
  return out;
}

namespace {
std::string WithWidth(std::string path, std::uint64_t width) {
  if (width < kTileWidth) path += ".p/" + std::to_string(width);
  return path;
}
}  // namespace

std::string HashTilePath(unsigned level, std::uint64_t n, std::uint64_t width) {
  return WithWidth("tile/" + std::to_string(level) + "/" + TileIndexPath(n), width);
}

std::string EntryBundlePath(std::uint64_t n, std::uint64_t width, bool u32) {
  return WithWidth(std::string(u32 ? "tile/entries-u32/" : "tile/entries/") + TileIndexPath(n),
                   width);
}

std::uint64_t TileWidth(std::uint64_t size, unsigned level, std::uint64_t n) {
  const std::uint64_t hashes = HashesAtLevel(size, level);
  if (n >= (hashes + kTileWidth - 1) / kTileWidth) return 0;
  const std::uint64_t rest = hashes - n * kTileWidth;
  return rest >= kTileWidth ? kTileWidth : rest;
}

Result<std::string> EncodeEntryBundle(const std::vector<std::string_view>& entries, bool u32) {
  std::size_t total = 0;
  for (std::string_view e : entries) total += e.size() + (u32 ? 4 : 2);
  std::string out;
  out.reserve(total);
  for (std::string_view e : entries) {
    const std::uint64_t n = e.size();
    if (!u32 && n > kMaxEntry16) {
      return InvalidArgumentError("an entry of " + std::to_string(n) +
                                  " bytes does not fit a uint16 length");
    }
    if (u32) {
      out.push_back(static_cast<char>(n >> 24));
      out.push_back(static_cast<char>(n >> 16));
    }
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n));
    out.append(e);
  }
  return out;
}

Result<std::vector<std::string_view>> DecodeEntryBundle(std::string_view b, bool u32,
                                                        std::uint64_t want) {
  std::vector<std::string_view> out;
  const std::size_t prefix = u32 ? 4 : 2;
  std::size_t at = 0;
  while (at < b.size()) {
    if (b.size() - at < prefix) {
      return InvalidArgumentError("entry bundle truncated in the length of entry " +
                                  std::to_string(out.size()));
    }
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < prefix; ++i) n = (n << 8) | static_cast<unsigned char>(b[at + i]);
    at += prefix;
    if (b.size() - at < n) {
      return InvalidArgumentError("entry bundle truncated in entry " + std::to_string(out.size()) +
                                  " (" + std::to_string(n) + " bytes announced, " +
                                  std::to_string(b.size() - at) + " left)");
    }
    out.push_back(b.substr(at, n));
    at += n;
    if (out.size() > want) break;
  }
  if (out.size() != want) {
    return InvalidArgumentError("entry bundle holds " + std::string(out.size() > want ? "more than " : "") +
                                std::to_string(out.size()) + " entries, " + std::to_string(want) +
                                " expected");
  }
  return out;
}

Hash HashPerfectRun(const Hash* hashes, std::size_t count) {
  if (count == 1) return hashes[0];
  std::vector<Hash> level(hashes, hashes + count);
  while (level.size() > 1) {
    for (std::size_t i = 0; i < level.size() / 2; ++i) {
      level[i] = merkle::NodeHash(level[2 * i], level[2 * i + 1]);
    }
    level.resize(level.size() / 2);
  }
  return level[0];
}

}  // namespace retrace::internal
