#include "transparency/text.h"

#include <limits>

#include "util/hex.h"

namespace retrace::internal {

std::optional<Rune> DecodeRune(std::string_view s) {
  if (s.empty()) return std::nullopt;
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c0 = b(0);
  if (c0 < 0x80) return Rune{c0, 1};
  std::size_t n;
  char32_t cp;
  char32_t min;
  if ((c0 & 0xE0) == 0xC0) {
    n = 2, cp = c0 & 0x1F, min = 0x80;
  } else if ((c0 & 0xF0) == 0xE0) {
    n = 3, cp = c0 & 0x0F, min = 0x800;
  } else if ((c0 & 0xF8) == 0xF0) {
    n = 4, cp = c0 & 0x07, min = 0x10000;
  } else {
    return std::nullopt;
  }
  if (s.size() < n) return std::nullopt;
  for (std::size_t i = 1; i < n; ++i) {
    if ((b(i) & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (b(i) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  return Rune{cp, n};
}

bool IsUnicodeSpace(char32_t c) {
  switch (c) {
    case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
    case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

Status CheckNoteCharacters(std::string_view s, std::string_view what) {
  for (std::size_t i = 0; i < s.size();) {
    std::optional<Rune> r = DecodeRune(s.substr(i));
    if (!r) {
      return InvalidArgumentError("malformed " + std::string(what) +
                                  ": invalid UTF-8 at byte " + std::to_string(i));
    }
    if (r->code_point < 0x20 && r->code_point != '\n') {
      return InvalidArgumentError("malformed " + std::string(what) + ": control character 0x" +
                                  HexEncode(s.substr(i, 1)) + " at byte " + std::to_string(i));
    }
    i += r->size;
  }
  return Status::Ok();
}

std::optional<std::uint64_t> ParseDecimal(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  if (s.size() > 1 && s[0] == '0') return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
  return v;
}

std::optional<std::vector<std::string_view>> SplitLines(std::string_view text) {
  if (text.empty() || text.back() != '\n') return std::nullopt;
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    text.remove_prefix(nl + 1);
  }
  return lines;
}

Result<Hash> HashFromBase64(std::string_view b64) {
  Result<std::string> raw = Base64Decode(b64);
  if (!raw.ok()) return raw.status();
  if (raw->size() != 32) {
    return InvalidArgumentError("a hash is 32 bytes, this base64 holds " +
                                std::to_string(raw->size()));
  }
  return HashFromBytes(*raw);
}

std::string HashToBase64(const Hash& h) { return Base64Encode(HashBytes(h)); }

}  // namespace retrace::internal
