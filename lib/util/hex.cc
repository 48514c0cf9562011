#include "util/hex.h"

#include <algorithm>
#include <array>
#include <cstdint>

#include "retrace/hash.h"

namespace retrace::internal {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// -1 for a character that is not a hex digit.
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Maps a byte to its 6-bit value, or -1 outside the alphabet ('=' included).
constexpr std::array<int8_t, 256> MakeBase64Table() {
  std::array<int8_t, 256> table{};
  for (auto& v : table) v = -1;
  for (int i = 0; i < 64; ++i) {
    table[static_cast<unsigned char>(kBase64Alphabet[i])] = static_cast<int8_t>(i);
  }
  return table;
}
constexpr std::array<int8_t, 256> kBase64Table = MakeBase64Table();

std::string DescribeChar(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  if (u >= 0x21 && u < 0x7f) return std::string("'") + c + "'";
  std::string out = "byte 0x";
  out += kHexDigits[u >> 4];
  out += kHexDigits[u & 0xf];
  return out;
}

}  // namespace

std::string HexEncode(std::string_view bytes) {
  std::string out(bytes.size() * 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    unsigned char b = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kHexDigits[b >> 4];
    out[2 * i + 1] = kHexDigits[b & 0xf];
  }
  return out;
}

Result<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return InvalidArgumentError("hex string has odd length " + std::to_string(hex.size()));
  }
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = HexValue(hex[i]);
    int lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      size_t bad = hi < 0 ? i : i + 1;
      return InvalidArgumentError("invalid hex digit " + DescribeChar(hex[bad]) + " at position " +
                                  std::to_string(bad));
    }
    out[i / 2] = static_cast<char>((hi << 4) | lo);
  }
  return out;
}

void Base64EncodeTo(std::string_view bytes, char* out) {
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
                 (static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                 static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 2]));
    *out++ = kBase64Alphabet[(v >> 18) & 0x3f];
    *out++ = kBase64Alphabet[(v >> 12) & 0x3f];
    *out++ = kBase64Alphabet[(v >> 6) & 0x3f];
    *out++ = kBase64Alphabet[v & 0x3f];
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) v |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    *out++ = kBase64Alphabet[(v >> 18) & 0x3f];
    *out++ = kBase64Alphabet[(v >> 12) & 0x3f];
    *out++ = rest == 2 ? kBase64Alphabet[(v >> 6) & 0x3f] : '=';
    *out++ = '=';
  }
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(Base64EncodedSize(bytes.size()), '\0');
  Base64EncodeTo(bytes, out.data());
  return out;
}

Status Base64DecodeTo(std::string_view b64, char* out, size_t* out_len) {
  *out_len = 0;
  if (b64.size() % 4 != 0) {
    return InvalidArgumentError("base64 length " + std::to_string(b64.size()) +
                                " is not a multiple of 4");
  }
  // Padding may only be the last one or two characters of the input.
  size_t pad = 0;
  if (!b64.empty() && b64.back() == '=') {
    pad = (b64.size() >= 2 && b64[b64.size() - 2] == '=') ? 2 : 1;
  }
  const size_t data_chars = b64.size() - pad;
  size_t n = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < data_chars; ++i) {
    int8_t v = kBase64Table[static_cast<unsigned char>(b64[i])];
    if (v < 0) {
      return InvalidArgumentError("invalid base64 character " + DescribeChar(b64[i]) +
                                  " at position " + std::to_string(i) +
                                  (b64[i] == '=' ? " (padding is only allowed at the end)" : ""));
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = static_cast<char>((acc >> bits) & 0xff);
    }
  }
  // With 1 pad the last group carries 18 bits (2 bytes + 2 spare bits), with
  // 2 pads 12 bits (1 byte + 4 spare bits). The spare bits must be zero, or
  // the same bytes would have several encodings.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    return InvalidArgumentError(
        "non-canonical base64: unused bits of the last character are not zero");
  }
  *out_len = n;
  return Status::Ok();
}

Result<std::string> Base64Decode(std::string_view b64) {
  std::string out(b64.size() / 4 * 3, '\0');
  size_t n = 0;
  if (Status st = Base64DecodeTo(b64, out.data(), &n); !st.ok()) return st;
  out.resize(n);
  return out;
}

}  // namespace retrace::internal

namespace retrace {

std::string HashToHex(const Hash& h) {
  return internal::HexEncode(std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
}

Result<Hash> HashFromHex(std::string_view hex) {
  if (hex.size() != 64) {
    return InvalidArgumentError("hash must be 64 hex digits, got " + std::to_string(hex.size()) +
                                " characters");
  }
  Result<std::string> bytes = internal::HexDecode(hex);
  if (!bytes.ok()) return bytes.status().Annotate("hash");
  return HashFromBytes(*bytes);
}

Result<Hash> HashFromBytes(std::string_view bytes) {
  Hash h;
  if (bytes.size() != h.size()) {
    return InvalidArgumentError("hash must be 32 bytes, got " + std::to_string(bytes.size()));
  }
  std::copy(bytes.begin(), bytes.end(), h.begin());
  return h;
}

std::string HashBytes(const Hash& h) {
  return std::string(reinterpret_cast<const char*>(h.data()), h.size());
}

}  // namespace retrace
