// SHA-256 beyond the one-shot retrace::Sha256 (internal).
//
// All functions use one SHA-256 implementation fetched from the default
// OpenSSL provider once per process: OpenSSL 3's implicit-fetch calls
// (SHA256(), EVP_sha256()) look the algorithm up on every call, which halves
// throughput and serialises threads on the method store lock.
#ifndef RETRACE_LIB_CRYPTO_SHA256_H_
#define RETRACE_LIB_CRYPTO_SHA256_H_

#include <initializer_list>
#include <string_view>

#include "crypto/openssl_util.h"
#include "retrace/hash.h"

namespace retrace::internal {

// The process-wide fetched SHA-256 EVP_MD, never freed (so it stays valid for
// static destructors and detached threads). Aborts if the default provider
// has no SHA-256, which means OpenSSL is unusable.
const EVP_MD* Sha256Md();

// Incremental SHA-256 for input that arrives in pieces.
//
// Usage: Sha256Hasher h; h.Update(a); h.Update(b); Hash d = h.Finish();
// After Finish() the hasher is reset and may be reused for a new message.
// Thread safety: not thread-safe; use one hasher per thread.
class Sha256Hasher {
 public:
  Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(std::string_view data);
  // Returns the digest of everything passed to Update since construction or
  // the previous Finish().
  Hash Finish();

 private:
  UniqueEvpMdCtx ctx_;
};

// SHA-256 of the concatenation of `parts`, without building the
// concatenation (e.g. Sha256Concat({"\x01", left, right}) for a Merkle node).
// Thread-safe.
Hash Sha256Concat(std::initializer_list<std::string_view> parts);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_CRYPTO_SHA256_H_
