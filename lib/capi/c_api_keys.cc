// The C API's keys: retrace_signer and retrace_public_key (retrace/c.h).
// Conventions: c_api.cc and capi/c_api_internal.h.
#include "retrace/c.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "retrace/bundle.h"
#include "retrace/checkpoint.h"
#include "retrace/epcis.h"
#include "retrace/event.h"
#include "retrace/event_batch.h"
#include "retrace/json.h"
#include "retrace/ledger.h"
#include "retrace/note.h"
#include "retrace/render.h"
#include "retrace/signer.h"
#include "retrace/verifier.h"
#include "retrace/witness.h"
#include "capi/c_api_internal.h"
#include "util/status_macros.h"

using namespace retrace::internal::capi;  // NOLINT(build/namespaces): the shared conventions

extern "C" {

// --- keys -------------------------------------------------------------------

int retrace_signer_generate(const char* algorithm, retrace_signer** out_signer) {
  if (out_signer != nullptr) *out_signer = nullptr;
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(algorithm);
    RETRACE_REQUIRE(out_signer);
    Result<retrace::Algorithm> alg = retrace::ParseAlgorithm(algorithm);
    if (!alg.ok()) return alg.status();
    Result<std::unique_ptr<retrace::Signer>> s = retrace::Signer::Generate(*alg);
    if (!s.ok()) return s.status();
    *out_signer = new retrace_signer{std::move(*s)};
    return Status::Ok();
  });
}

int retrace_signer_load(const char* path, retrace_signer** out_signer) {
  if (out_signer != nullptr) *out_signer = nullptr;
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(path);
    RETRACE_REQUIRE(out_signer);
    Result<std::unique_ptr<retrace::Signer>> s = retrace::Signer::LoadPrivateKeyFile(path);
    if (!s.ok()) return s.status();
    *out_signer = new retrace_signer{std::move(*s)};
    return Status::Ok();
  });
}

int retrace_signer_from_pem(const char* pem, size_t pem_len, retrace_signer** out_signer) {
  if (out_signer != nullptr) *out_signer = nullptr;
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(pem);
    RETRACE_REQUIRE(out_signer);
    Result<std::unique_ptr<retrace::Signer>> s =
        retrace::Signer::FromPrivateKeyPemSecret(View(pem, pem_len));
    if (!s.ok()) return s.status();
    *out_signer = new retrace_signer{std::move(*s)};
    return Status::Ok();
  });
}

int retrace_signer_save(const retrace_signer* signer, const char* path) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(signer);
    RETRACE_REQUIRE(path);
    return signer->impl->WritePrivateKeyFile(path);
  });
}

int retrace_signer_public_key(const retrace_signer* signer, retrace_public_key** out_key) {
  if (out_key != nullptr) *out_key = nullptr;
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(signer);
    RETRACE_REQUIRE(out_key);
    *out_key = new retrace_public_key{signer->impl->public_key()};
    return Status::Ok();
  });
}

int retrace_signer_sign(const retrace_signer* signer, const uint8_t* message, size_t message_len,
                        uint8_t** out_sig, size_t* out_sig_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(signer);
    if (message == nullptr && message_len != 0) return NullArg("message");
    RETRACE_REQUIRE(out_sig);
    Result<std::string> sig = signer->impl->Sign(
        std::string_view(reinterpret_cast<const char*>(message), message_len));
    if (!sig.ok()) return sig.status();
    return GiveBytes(*sig, out_sig, out_sig_len);
  });
}

void retrace_signer_free(retrace_signer* signer) { delete signer; }

int retrace_public_key_load(const char* path, retrace_public_key** out_key) {
  if (out_key != nullptr) *out_key = nullptr;
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(path);
    RETRACE_REQUIRE(out_key);
    Result<retrace::PublicKey> k = retrace::PublicKey::ReadFile(path);
    if (!k.ok()) return k.status();
    *out_key = new retrace_public_key{std::move(*k)};
    return Status::Ok();
  });
}

int retrace_public_key_from_pem(const char* pem, size_t pem_len, retrace_public_key** out_key) {
  if (out_key != nullptr) *out_key = nullptr;
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(pem);
    RETRACE_REQUIRE(out_key);
    Result<retrace::PublicKey> k = retrace::PublicKey::FromPem(View(pem, pem_len));
    if (!k.ok()) return k.status();
    *out_key = new retrace_public_key{std::move(*k)};
    return Status::Ok();
  });
}

int retrace_public_key_from_der(const uint8_t* der, size_t der_len, retrace_public_key** out_key) {
  if (out_key != nullptr) *out_key = nullptr;
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(der);
    RETRACE_REQUIRE(out_key);
    Result<retrace::PublicKey> k =
        retrace::PublicKey::FromDer(std::string_view(reinterpret_cast<const char*>(der), der_len));
    if (!k.ok()) return k.status();
    *out_key = new retrace_public_key{std::move(*k)};
    return Status::Ok();
  });
}

int retrace_public_key_save(const retrace_public_key* key, const char* path) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(key);
    RETRACE_REQUIRE(path);
    return key->key.WriteFile(path);
  });
}

int retrace_public_key_pem(const retrace_public_key* key, char** out_pem, size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(key);
    RETRACE_REQUIRE(out_pem);
    return Give(key->key.ToPem(), out_pem, out_len);
  });
}

int retrace_public_key_id(const retrace_public_key* key, char out_id[17]) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(key);
    RETRACE_REQUIRE(out_id);
    std::string id = key->key.KeyId();
    std::memset(out_id, 0, 17);
    std::memcpy(out_id, id.data(), std::min<size_t>(id.size(), 16));
    return Status::Ok();
  });
}

const char* retrace_public_key_algorithm(const retrace_public_key* key) {
  if (key == nullptr) return nullptr;
  return retrace::AlgorithmName(key->key.algorithm());
}

int retrace_public_key_verify(const retrace_public_key* key, const uint8_t* message,
                              size_t message_len, const uint8_t* sig, size_t sig_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(key);
    if (message == nullptr && message_len != 0) return NullArg("message");
    if (sig == nullptr && sig_len != 0) return NullArg("sig");
    Result<std::unique_ptr<retrace::Verifier>> v = retrace::Verifier::New(key->key);
    if (!v.ok()) return v.status();
    return (*v)->Verify(std::string_view(reinterpret_cast<const char*>(message), message_len),
                        std::string_view(reinterpret_cast<const char*>(sig), sig_len));
  });
}

void retrace_public_key_free(retrace_public_key* key) { delete key; }

}  // extern "C"

namespace retrace::internal {

const Signer* CapiSigner(const retrace_signer* signer) noexcept {
  return signer != nullptr ? signer->impl.get() : nullptr;
}

}  // namespace retrace::internal
