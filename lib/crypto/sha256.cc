#include "crypto/sha256.h"

#include <cstdio>
#include <cstdlib>

namespace retrace::internal {
namespace {

// OpenSSL failing to hash in-memory data with a fetched, initialised
// SHA-256 means allocation failure or a broken library; there is no
// meaningful recovery and a wrong digest would be worse than stopping.
[[noreturn]] void DieOnOpenSslFailure(const char* what) {
  std::string detail = TakeOpenSslErrors();
  std::fprintf(stderr, "retrace: fatal: %s failed: %s\n", what, detail.c_str());
  std::abort();
}

// One context per thread, re-initialised per message: EVP_DigestInit_ex2
// with the same EVP_MD reuses the provider context, which makes a short
// hash ~20% faster than allocating a context each time. The context is only
// ever used with Sha256Md(), so re-initialisation cannot pick up state from
// another algorithm.
EVP_MD_CTX* ThreadSha256Ctx() {
  thread_local UniqueEvpMdCtx ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) DieOnOpenSslFailure("EVP_MD_CTX_new");
  return ctx.get();
}

void Init(EVP_MD_CTX* ctx) {
  if (EVP_DigestInit_ex2(ctx, Sha256Md(), nullptr) != 1) {
    DieOnOpenSslFailure("EVP_DigestInit_ex2(SHA256)");
  }
}

void Update(EVP_MD_CTX* ctx, std::string_view data) {
  if (data.empty()) return;
  if (EVP_DigestUpdate(ctx, data.data(), data.size()) != 1) {
    DieOnOpenSslFailure("EVP_DigestUpdate(SHA256)");
  }
}

Hash Final(EVP_MD_CTX* ctx) {
  Hash out;
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx, out.data(), &len) != 1 || len != out.size()) {
    DieOnOpenSslFailure("EVP_DigestFinal_ex(SHA256)");
  }
  return out;
}

}  // namespace

const EVP_MD* Sha256Md() {
  // A raw pointer, deliberately never freed: a trivially destructible static
  // cannot be destroyed while another thread is still hashing at exit.
  static const EVP_MD* const md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (fetched == nullptr) DieOnOpenSslFailure("EVP_MD_fetch(SHA256)");
    return fetched;
  }();
  return md;
}

Sha256Hasher::Sha256Hasher() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr) DieOnOpenSslFailure("EVP_MD_CTX_new");
  Init(ctx_.get());
}

void Sha256Hasher::Update(std::string_view data) { internal::Update(ctx_.get(), data); }

Hash Sha256Hasher::Finish() {
  Hash out = Final(ctx_.get());
  Init(ctx_.get());
  return out;
}

Hash Sha256Concat(std::initializer_list<std::string_view> parts) {
  EVP_MD_CTX* ctx = ThreadSha256Ctx();
  Init(ctx);
  for (std::string_view part : parts) Update(ctx, part);
  return Final(ctx);
}

}  // namespace retrace::internal

namespace retrace {

Hash Sha256(std::string_view data) {
  EVP_MD_CTX* ctx = internal::ThreadSha256Ctx();
  internal::Init(ctx);
  internal::Update(ctx, data);
  return internal::Final(ctx);
}

}  // namespace retrace
