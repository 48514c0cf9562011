// Parsed public keys and their verifiers, by SPKI DER (internal).
//
// Parsing a key is the single most expensive step of checking a record
// after its signature: OpenSSL 3 decodes and re-encodes the SPKI through its
// decoder framework (~100 us). A ledger has few keys and many records, so a
// Ledger keeps one cache for all its verifications.
//
// Thread safety: Get may be called concurrently; entries are never removed,
// so a returned pointer stays valid as long as the cache.
#ifndef RETRACE_LIB_CRYPTO_KEY_CACHE_H_
#define RETRACE_LIB_CRYPTO_KEY_CACHE_H_

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "retrace/signer.h"

namespace retrace::internal {

class KeyCache {
 public:
  struct Entry {
    PublicKey key;
    std::string key_id;                  // key.KeyId()
    std::unique_ptr<Verifier> verifier;  // nullptr if OpenSSL cannot load it
  };

  // The key `der` encodes, or nullptr if it is not a canonical SPKI of a
  // supported algorithm (that answer is not cached: it is rare).
  const Entry* Get(std::string_view der);

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::unique_ptr<Entry>> entries_;
};

}  // namespace retrace::internal

#endif  // RETRACE_LIB_CRYPTO_KEY_CACHE_H_
