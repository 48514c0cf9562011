// Hex and base64 codecs (internal).
//
// Base64 is RFC 4648 section 4 (standard alphabet, '=' padding), as used by
// PEM and by C2SP signed notes. Decoding is strict so that every byte string
// has exactly one accepted encoding: no whitespace, no missing or extra
// padding, and the unused low bits of the last character must be zero.
#ifndef RETRACE_LIB_UTIL_HEX_H_
#define RETRACE_LIB_UTIL_HEX_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "retrace/status.h"

namespace retrace::internal {

// Lower-case hex, two digits per byte.
std::string HexEncode(std::string_view bytes);

// Parses an even number of hex digits (either case). kInvalidArgument, naming
// the offending position, for odd length or a non-hex character.
Result<std::string> HexDecode(std::string_view hex);

// Standard base64 with padding; the output length is 4 * ceil(n / 3).
std::string Base64Encode(std::string_view bytes);

// Strict inverse of Base64Encode. kInvalidArgument for a length that is not a
// multiple of 4, a character outside the alphabet, misplaced or excess '=',
// or non-zero trailing bits (a non-canonical encoding).
Result<std::string> Base64Decode(std::string_view b64);

// The same two codecs writing into memory the caller owns, so that a secret
// (a signer key's seed) is only ever in a buffer the caller wipes; they
// allocate nothing. Base64EncodeTo writes exactly Base64EncodedSize(n)
// characters to `out`. Base64DecodeTo writes at most b64.size() / 4 * 3
// bytes to `out`, sets *out_len to the number written and fails as
// Base64Decode does (on failure `out` may hold part of the result).
constexpr std::size_t Base64EncodedSize(std::size_t n) { return (n + 2) / 3 * 4; }
void Base64EncodeTo(std::string_view bytes, char* out);
Status Base64DecodeTo(std::string_view b64, char* out, std::size_t* out_len);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_UTIL_HEX_H_
