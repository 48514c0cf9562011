// Hex and base64 codecs (internal).
//
// Base64 is RFC 4648 section 4 (standard alphabet, '=' padding), as used by
// PEM and by C2SP signed notes. Decoding is strict so that every byte string
// has exactly one accepted encoding: no whitespace, no missing or extra
// padding, and the unused low bits of the last character must be zero.
#ifndef RETRACE_LIB_UTIL_HEX_H_
#define RETRACE_LIB_UTIL_HEX_H_

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

}  // namespace retrace::internal

#endif  // RETRACE_LIB_UTIL_HEX_H_
