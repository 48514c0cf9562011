// Internal entry points of the key layer, for tests and sibling layers.
#ifndef RETRACE_LIB_CRYPTO_KEYS_INTERNAL_H_
#define RETRACE_LIB_CRYPTO_KEYS_INTERNAL_H_

#include <memory>
#include <string_view>

#include "retrace/signer.h"
#include "retrace/status.h"

namespace retrace::internal {

// The SM2 distinguishing identifier (GM/T 0009 default) used for every SM2
// signature and verification.
inline constexpr std::string_view kSm2DistinguishingId = "1234567812345678";

// An Ed25519 signer whose private key is the 32-byte RFC 8032 secret key
// `seed`. For known-answer tests only: real keys come from Signer::Generate.
// kInvalidArgument if `seed` is not 32 bytes.
Result<std::unique_ptr<Signer>> Ed25519SignerFromSeedForTest(std::string_view seed);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_CRYPTO_KEYS_INTERNAL_H_
