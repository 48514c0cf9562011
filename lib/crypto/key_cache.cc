#include "crypto/key_cache.h"

namespace retrace::internal {

const KeyCache::Entry* KeyCache::Get(std::string_view der) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(std::string(der));
    if (it != entries_.end()) return it->second.get();
  }
  // Parse outside the lock; a concurrent parse of the same key loses the
  // race below and is dropped.
  auto key = PublicKey::FromDer(der);
  if (!key.ok()) return nullptr;
  auto entry = std::make_unique<Entry>(Entry{*key, key->KeyId(), nullptr});
  auto v = Verifier::New(*key);
  if (v.ok()) entry->verifier = std::move(v).value();
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = entries_.emplace(std::string(der), std::move(entry));
  return it->second.get();
}

}  // namespace retrace::internal
