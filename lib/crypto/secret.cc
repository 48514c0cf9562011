// The wipe behind SecretBytes (include/retrace/secret.h).
#include "retrace/secret.h"

#include <openssl/crypto.h>

namespace retrace {

void CleanseMemory(void* p, std::size_t n) noexcept {
  // memset(nullptr, 0, 0) is undefined; OPENSSL_cleanse may be a memset.
  if (p == nullptr || n == 0) return;
  OPENSSL_cleanse(p, n);
}

}  // namespace retrace
