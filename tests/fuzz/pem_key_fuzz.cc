// Fuzz target: key parsing -- PublicKey::FromPem, PublicKey::FromDer and
// Signer::FromPrivateKeyPemSecret (key files and registrations come from
// outside). Oracle: a parsed public key round-trips through PEM to the same
// DER and key id and loads into a Verifier; a parsed private key signs, and
// the signature verifies under its public key.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz_quiet.h"

#include "retrace/signer.h"

namespace {

void CheckPublic(const retrace::PublicKey& pk) {
  using namespace retrace;
  auto again = PublicKey::FromPem(pk.ToPem());
  if (!again.ok() || again->der() != pk.der() || again->KeyId() != pk.KeyId()) std::abort();
  if (!Verifier::New(pk).ok()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  retrace::fuzzing::QuietProtobuf();
  using namespace retrace;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto pk = PublicKey::FromPem(in); pk.ok()) CheckPublic(*pk);
  if (auto pk = PublicKey::FromDer(in); pk.ok()) CheckPublic(*pk);
  if (auto signer = Signer::FromPrivateKeyPemSecret(in); signer.ok()) {
    CheckPublic((*signer)->public_key());
    auto sig = (*signer)->Sign("retrace fuzz");
    auto verifier = Verifier::New((*signer)->public_key());
    if (!sig.ok() || !verifier.ok() || !(*verifier)->Verify("retrace fuzz", *sig).ok()) std::abort();
  }
  return 0;
}
