// Internal entry points of the key layer, for tests and sibling layers.
#ifndef RETRACE_LIB_CRYPTO_KEYS_INTERNAL_H_
#define RETRACE_LIB_CRYPTO_KEYS_INTERNAL_H_

#include <memory>
#include <string>
#include <string_view>

#include "retrace/secret.h"
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

// An Ed25519 signer whose private key is the 32-byte RFC 8032 secret key
// `seed`, as C2SP signed-note signer keys carry it. kInvalidArgument if `seed`
// is not 32 bytes. `seed` should point into a SecretBytes.
Result<std::unique_ptr<Signer>> Ed25519SignerFromSeedSecret(std::string_view seed);

// The 32-byte RFC 8032 secret key of an Ed25519 signer, for writing a
// signed-note signer key, read straight from the key OpenSSL holds.
// kFailedPrecondition for other algorithms, or for a Signer this library
// did not create.
Result<SecretBytes> Ed25519SeedSecret(const Signer& signer);

// Creates `path` (which must not exist: kAlreadyExists) with exactly `mode`
// and writes all of `data` durably; on failure nothing is left behind.
// `what` names the file in messages ("private key", "signer key").
Status WriteNewFile(const std::string& path, std::string_view data, unsigned mode,
                    const char* what);

// Reads a small regular file that holds nothing secret (at most
// `max_bytes`). kNotFound, kIoError, kInvalidArgument (not a regular file,
// too large). `what` names the file in messages.
Result<std::string> ReadSmallFile(const std::string& path, const char* what,
                                  std::size_t max_bytes);

// The same for a file that holds a secret (a private or signer key): the
// bytes are only ever in a SecretBytes, and a file that group or others may
// access is refused (kFailedPrecondition, naming the chmod that fixes it).
Result<SecretBytes> ReadSecretFile(const std::string& path, const char* what,
                                   std::size_t max_bytes);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_CRYPTO_KEYS_INTERNAL_H_
