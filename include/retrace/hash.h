// SHA-256 digests as values, and their hex form.
#ifndef RETRACE_HASH_H_
#define RETRACE_HASH_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "retrace/export.h"
#include "retrace/status.h"

namespace retrace {

// A 32-byte SHA-256 digest: record hashes, Merkle nodes and root hashes.
using Hash = std::array<std::uint8_t, 32>;

// Lower-case hex, 64 characters.
RETRACE_EXPORT std::string HashToHex(const Hash& h);

// Parses exactly 64 hex digits (either case). kInvalidArgument otherwise.
RETRACE_EXPORT Result<Hash> HashFromHex(std::string_view hex);

// Interprets exactly 32 raw bytes as a Hash. kInvalidArgument otherwise.
RETRACE_EXPORT Result<Hash> HashFromBytes(std::string_view bytes);

// Returns the 32 raw bytes of `h`.
RETRACE_EXPORT std::string HashBytes(const Hash& h);

// SHA-256 of `data` (OpenSSL). Thread-safe.
RETRACE_EXPORT Hash Sha256(std::string_view data);

}  // namespace retrace

#endif  // RETRACE_HASH_H_
