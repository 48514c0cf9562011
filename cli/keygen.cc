// retrace keygen: a fresh key pair as PEM files.
#include <filesystem>
#include <iostream>

#include "common.h"
#include "retrace/signer.h"

namespace retrace::cli {
namespace {

struct KeygenOptions {
  std::string alg = "ed25519";
  std::string out;
};

int RunKeygen(const KeygenOptions& o) {
  Result<Algorithm> alg = ParseAlgorithm(o.alg);
  if (!alg.ok()) {
    return Fail("keygen", "unknown algorithm \"" + o.alg +
                              "\" (expected ed25519, ecdsa-p256 or sm2); no key files were written");
  }
  const std::string key_path = o.out + ".key";
  const std::string pub_path = o.out + ".pub";
  std::error_code ec;
  for (const std::string& p : {key_path, pub_path}) {
    if (std::filesystem::exists(p, ec)) {
      return Fail("keygen", Shown(p) + " already exists; no key files were written (keys are never "
                                "overwritten)");
    }
  }
  Result<std::unique_ptr<Signer>> signer = Signer::Generate(*alg);
  if (!signer.ok()) {
    return Fail("keygen", "key generation failed: " + signer.status().ToString() +
                              "; no key files were written");
  }
  if (Status st = (*signer)->WritePrivateKeyFile(key_path); !st.ok()) {
    return Fail("keygen", "cannot write " + Shown(key_path) + ": " + st.ToString() +
                              "; no key files were written");
  }
  if (Status st = (*signer)->public_key().WriteFile(pub_path); !st.ok()) {
    std::filesystem::remove(key_path, ec);
    return Fail("keygen", "cannot write " + Shown(pub_path) + ": " + st.ToString() + "; removed " +
                              Shown(key_path) + ", no key files were left");
  }
  std::cout << "key id " << (*signer)->public_key().KeyId() << " (" << AlgorithmName(*alg)
            << ")\n"
            << "private key " << Shown(key_path) << " (mode 0600)\n"
            << "public key  " << Shown(pub_path) << "\n";
  return kExitOk;
}

}  // namespace

Command AddKeygenCommand(CLI::App& app) {
  auto o = std::make_shared<KeygenOptions>();
  CLI::App* sub = app.add_subcommand("keygen", "Generate a key pair: PREFIX.key (0600) and PREFIX.pub");
  sub->add_option("--alg", o->alg, "Signature algorithm: ed25519, ecdsa-p256 or sm2")
      ->capture_default_str();
  sub->add_option("--out", o->out, "Path prefix of the two PEM files")->required();
  SetHelpFooter(sub, {"the key pair was written", "",
                      "usage error, unknown algorithm, a key file that exists already, or a file "
                      "that cannot be written (no key file is left)"});
  return {sub, [o] { return RunKeygen(*o); }};
}

}  // namespace retrace::cli
