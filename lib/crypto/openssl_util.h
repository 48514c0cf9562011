// RAII holders for OpenSSL objects, and OpenSSL error reporting (internal).
//
// Every OpenSSL object retrace allocates lives in one of these holders from
// the line that creates it, so no error path can leak it. The deleters call
// the matching *_free function, all of which accept nullptr.
//
// This header is internal: it may include OpenSSL, public headers may not.
#ifndef RETRACE_LIB_CRYPTO_OPENSSL_UTIL_H_
#define RETRACE_LIB_CRYPTO_OPENSSL_UTIL_H_

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <memory>
#include <string>

namespace retrace::internal {

template <typename T, void (*kFree)(T*)>
struct OpenSslDeleter {
  void operator()(T* p) const noexcept { kFree(p); }
};

using UniqueEvpPkey = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY, EVP_PKEY_free>>;
using UniqueEvpPkeyCtx =
    std::unique_ptr<EVP_PKEY_CTX, OpenSslDeleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using UniqueEvpMdCtx = std::unique_ptr<EVP_MD_CTX, OpenSslDeleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using UniqueEvpMd = std::unique_ptr<EVP_MD, OpenSslDeleter<EVP_MD, EVP_MD_free>>;
using UniqueEcdsaSig = std::unique_ptr<ECDSA_SIG, OpenSslDeleter<ECDSA_SIG, ECDSA_SIG_free>>;
// BN_clear_free: a BIGNUM may hold part of a secret (a nonce, a private scalar).
using UniqueBignum = std::unique_ptr<BIGNUM, OpenSslDeleter<BIGNUM, BN_clear_free>>;

// BIO_free returns int, so it does not fit OpenSslDeleter's signature.
struct BioDeleter {
  void operator()(BIO* p) const noexcept { BIO_free(p); }
};
using UniqueBio = std::unique_ptr<BIO, BioDeleter>;

// Memory returned by OpenSSL (OPENSSL_malloc), e.g. from i2d_* or PEM_read_bio.
struct OpenSslFreeDeleter {
  void operator()(void* p) const noexcept { OPENSSL_free(p); }
};
template <typename T>
using UniqueOpenSslPtr = std::unique_ptr<T, OpenSslFreeDeleter>;

// Drains this thread's OpenSSL error queue into one line ("reason; reason"),
// leaving the queue empty so a stale error cannot be blamed on a later call.
// Returns "no OpenSSL error detail" when the queue was empty.
inline std::string TakeOpenSslErrors() {
  std::string out;
  char buf[256];
  unsigned long err;  // NOLINT(runtime/int): ERR_get_error's type.
  while ((err = ERR_get_error()) != 0) {
    ERR_error_string_n(err, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  if (out.empty()) out = "no OpenSSL error detail";
  return out;
}

}  // namespace retrace::internal

#endif  // RETRACE_LIB_CRYPTO_OPENSSL_UTIL_H_
