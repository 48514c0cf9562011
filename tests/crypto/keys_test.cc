// Keys, signers and verifiers: RFC 8032 known answers, round trips for every
// algorithm, and one scenario for every rule the verifier and the key loaders
// enforce.
#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "crypto/keys_internal.h"
#include "crypto/openssl_util.h"
#include "retrace/hash.h"
#include "retrace/signer.h"
#include "testing/files.h"
#include "testing/hex.h"
#include "util/hex.h"

namespace retrace {
namespace {

using internal::UniqueBignum;
using internal::UniqueEcdsaSig;
using internal::UniqueEvpMdCtx;
using internal::UniqueEvpPkey;
using internal::UniqueOpenSslPtr;

const Algorithm kAllAlgorithms[] = {Algorithm::kEd25519, Algorithm::kEcdsaP256Sha256,
                                    Algorithm::kSm2Sm3};

using testing::Unhex;

std::unique_ptr<Signer> MustGenerate(Algorithm alg) {
  Result<std::unique_ptr<Signer>> s = Signer::Generate(alg);
  INFO(s.status().ToString());
  REQUIRE(s.ok());
  return std::move(s).value();
}

std::unique_ptr<Verifier> MustVerifier(const PublicKey& key) {
  Result<std::unique_ptr<Verifier>> v = Verifier::New(key);
  INFO(v.status().ToString());
  REQUIRE(v.ok());
  return std::move(v).value();
}

std::string MustSign(const Signer& signer, std::string_view message) {
  Result<std::string> sig = signer.Sign(message);
  INFO(sig.status().ToString());
  REQUIRE(sig.ok());
  return *sig;
}

std::string SpkiOf(EVP_PKEY* pkey) {
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(pkey, &der);
  UniqueOpenSslPtr<unsigned char> holder(der);
  REQUIRE(len > 0);
  return std::string(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
}

std::string PrivatePemOf(EVP_PKEY* pkey) {
  internal::UniqueBio bio(BIO_new(BIO_s_mem()));
  REQUIRE(PEM_write_bio_PrivateKey(bio.get(), pkey, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);  // NOLINT(runtime/int)
  return std::string(data, static_cast<size_t>(len));
}

// A P-256 order from OpenSSL itself, independent of the constants in keys.cc.
UniqueBignum CurveOrder(const char* curve) {
  std::unique_ptr<EC_GROUP, internal::OpenSslDeleter<EC_GROUP, EC_GROUP_free>> group(
      EC_GROUP_new_by_curve_name(OBJ_sn2nid(curve)));
  REQUIRE(group != nullptr);
  UniqueBignum n(BN_dup(EC_GROUP_get0_order(group.get())));
  REQUIRE(n != nullptr);
  return n;
}

std::string RsToDer(std::string_view rs) {
  REQUIRE(rs.size() == 64);
  UniqueEcdsaSig sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(rs.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(rs.data()) + 32, 32, nullptr);
  REQUIRE(ECDSA_SIG_set0(sig.get(), r, s) == 1);
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig.get(), &der);
  UniqueOpenSslPtr<unsigned char> holder(der);
  REQUIRE(len > 0);
  return std::string(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
}

// Verifies with OpenSSL directly (no retrace rules): shows that a signature
// our verifier refuses is one OpenSSL would have accepted.
bool OpenSslVerifies(const PublicKey& key, const EVP_MD* md, std::string_view message,
                     std::string_view der_sig, const char* sm2_id = nullptr) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(key.der().data());
  UniqueEvpPkey pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(key.der().size())));  // NOLINT
  REQUIRE(pkey != nullptr);
  UniqueEvpMdCtx ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  REQUIRE(EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, pkey.get()) == 1);
  if (sm2_id != nullptr) REQUIRE(EVP_PKEY_CTX_set1_id(pctx, sm2_id, std::strlen(sm2_id)) == 1);
  int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(der_sig.data()),
                            der_sig.size(), reinterpret_cast<const unsigned char*>(message.data()),
                            message.size());
  ERR_clear_error();
  return rc == 1;
}

// A fresh directory, removed with its contents at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "retrace-keys-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const char* name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

mode_t ModeOf(const std::string& path) {
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

using testing::ReadFile;

// ---------------------------------------------------------------------------

TEST_CASE("AlgorithmName and ParseAlgorithm are inverse; unknown names are refused", "[keys]") {
  for (Algorithm alg : kAllAlgorithms) {
    Result<Algorithm> parsed = ParseAlgorithm(AlgorithmName(alg));
    REQUIRE(parsed.ok());
    CHECK(*parsed == alg);
  }
  CHECK(std::string(AlgorithmName(Algorithm::kEd25519)) == "ed25519");
  CHECK(std::string(AlgorithmName(Algorithm::kEcdsaP256Sha256)) == "ecdsa-p256");
  CHECK(std::string(AlgorithmName(Algorithm::kSm2Sm3)) == "sm2");
  for (const char* bad : {"", "ED25519", "rsa", "ecdsa", "sm2 "}) {
    Result<Algorithm> r = ParseAlgorithm(bad);
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
  }
}

// RFC 8032 section 7.1, TEST 1 to TEST 3.
TEST_CASE("Ed25519 matches RFC 8032 test vectors 1-3", "[keys][ed25519][kat]") {
  struct Vector {
    const char* secret;
    const char* public_key;
    const char* message;
    const char* signature;
  };
  const Vector vectors[] = {
      {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
       "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
       "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
       "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
      {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
       "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
       "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
       "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
      {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
       "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
       "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
       "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
  };
  int ran = 0;
  for (const Vector& v : vectors) {
    INFO("vector " << ran + 1);
    Result<std::unique_ptr<Signer>> signer =
        internal::Ed25519SignerFromSeedForTest(Unhex(v.secret));
    REQUIRE(signer.ok());
    const PublicKey& pub = (*signer)->public_key();
    CHECK(pub.algorithm() == Algorithm::kEd25519);
    Result<std::string> raw = pub.RawEd25519();
    REQUIRE(raw.ok());
    CHECK(internal::HexEncode(*raw) == v.public_key);

    const std::string message = Unhex(v.message);
    const std::string sig = MustSign(**signer, message);
    CHECK(internal::HexEncode(sig) == v.signature);
    CHECK(MustVerifier(pub)->Verify(message, Unhex(v.signature)).ok());
    ++ran;
  }
  CHECK(ran == 3);
}

TEST_CASE("Ed25519SignerFromSeedForTest refuses a seed that is not 32 bytes", "[keys][ed25519]") {
  CHECK(internal::Ed25519SignerFromSeedForTest(std::string(31, 'x')).status().code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("Sign then Verify succeeds for every algorithm", "[keys][roundtrip]") {
  for (Algorithm alg : kAllAlgorithms) {
    INFO(AlgorithmName(alg));
    auto signer = MustGenerate(alg);
    CHECK(signer->public_key().algorithm() == alg);
    auto verifier = MustVerifier(signer->public_key());
    CHECK(verifier->public_key() == signer->public_key());
    for (std::string msg :
         {std::string(), std::string("lot 42 shipped"), std::string(10000, 'z')}) {
      const std::string sig = MustSign(*signer, msg);
      CHECK(sig.size() == 64);
      Status st = verifier->Verify(msg, sig);
      INFO(st.ToString());
      CHECK(st.ok());
    }
  }
}

TEST_CASE("Ed25519 signing is deterministic; ECDSA and SM2 are randomised", "[keys]") {
  for (Algorithm alg : kAllAlgorithms) {
    INFO(AlgorithmName(alg));
    auto signer = MustGenerate(alg);
    const bool same = MustSign(*signer, "m") == MustSign(*signer, "m");
    CHECK(same == (alg == Algorithm::kEd25519));
  }
}

TEST_CASE("A tampered message fails verification for every algorithm", "[keys][negative]") {
  for (Algorithm alg : kAllAlgorithms) {
    INFO(AlgorithmName(alg));
    auto signer = MustGenerate(alg);
    auto verifier = MustVerifier(signer->public_key());
    const std::string msg = "record 7: 100 kg cocoa to custodian B";
    const std::string sig = MustSign(*signer, msg);
    std::string tampered = msg;
    tampered[10] ^= 0x01;
    Status st = verifier->Verify(tampered, sig);
    CHECK(st.code() == StatusCode::kVerificationFailed);
    CHECK(verifier->Verify(msg + " ", sig).code() == StatusCode::kVerificationFailed);
    CHECK(verifier->Verify(msg.substr(1), sig).code() == StatusCode::kVerificationFailed);
  }
}

TEST_CASE("A tampered signature fails verification for every algorithm", "[keys][negative]") {
  for (Algorithm alg : kAllAlgorithms) {
    INFO(AlgorithmName(alg));
    auto signer = MustGenerate(alg);
    auto verifier = MustVerifier(signer->public_key());
    const std::string msg = "m";
    const std::string sig = MustSign(*signer, msg);
    int rejected = 0;
    for (size_t i = 0; i < sig.size(); ++i) {
      std::string bad = sig;
      bad[i] ^= static_cast<char>(1 << (i % 8));
      if (verifier->Verify(msg, bad).code() == StatusCode::kVerificationFailed) ++rejected;
    }
    CHECK(rejected == 64);
  }
}

TEST_CASE("Signatures of the wrong length are refused with the length named", "[keys][negative]") {
  for (Algorithm alg : kAllAlgorithms) {
    INFO(AlgorithmName(alg));
    auto signer = MustGenerate(alg);
    auto verifier = MustVerifier(signer->public_key());
    const std::string sig = MustSign(*signer, "m");
    for (std::string bad : {std::string(), sig.substr(0, 63), sig + '\0', sig + sig}) {
      Status st = verifier->Verify("m", bad);
      CHECK(st.code() == StatusCode::kVerificationFailed);
      CHECK_THAT(st.message(), Catch::Contains("got " + std::to_string(bad.size())));
    }
  }
}

TEST_CASE("ECDSA signatures are always low-S", "[keys][ecdsa]") {
  auto signer = MustGenerate(Algorithm::kEcdsaP256Sha256);
  UniqueBignum n = CurveOrder("prime256v1");
  UniqueBignum half(BN_new());
  REQUIRE(BN_rshift1(half.get(), n.get()) == 1);
  // Half of all raw ECDSA signatures are high-S; 128 signatures all being low
  // by chance has probability 2^-128.
  for (int i = 0; i < 128; ++i) {
    const std::string sig = MustSign(*signer, "message " + std::to_string(i));
    UniqueBignum s(BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()) + 32, 32, nullptr));
    REQUIRE(BN_cmp(s.get(), half.get()) <= 0);
  }
}

TEST_CASE("ECDSA verification rejects the high-S twin of a valid signature",
          "[keys][ecdsa][negative]") {
  auto signer = MustGenerate(Algorithm::kEcdsaP256Sha256);
  auto verifier = MustVerifier(signer->public_key());
  const std::string msg = "record";
  const std::string sig = MustSign(*signer, msg);
  REQUIRE(verifier->Verify(msg, sig).ok());

  UniqueBignum n = CurveOrder("prime256v1");
  UniqueBignum s(BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()) + 32, 32, nullptr));
  UniqueBignum high_s(BN_new());
  REQUIRE(BN_sub(high_s.get(), n.get(), s.get()) == 1);
  std::string twin = sig.substr(0, 32) + std::string(32, '\0');
  REQUIRE(BN_bn2binpad(high_s.get(), reinterpret_cast<unsigned char*>(twin.data()) + 32, 32) == 32);

  // The twin is a mathematically valid signature: plain OpenSSL accepts it.
  const EVP_MD* sha256 = EVP_sha256();
  REQUIRE(OpenSslVerifies(signer->public_key(), sha256, msg, RsToDer(twin)));
  Status st = verifier->Verify(msg, twin);
  CHECK(st.code() == StatusCode::kVerificationFailed);
  CHECK_THAT(st.message(), Catch::Contains("high S"));
}

TEST_CASE("ECDSA verification rejects a DER-encoded signature", "[keys][ecdsa][negative]") {
  auto signer = MustGenerate(Algorithm::kEcdsaP256Sha256);
  auto verifier = MustVerifier(signer->public_key());
  const std::string sig = MustSign(*signer, "m");
  const std::string der = RsToDer(sig);
  REQUIRE(OpenSslVerifies(signer->public_key(), EVP_sha256(), "m", der));
  Status st = verifier->Verify("m", der);
  CHECK(st.code() == StatusCode::kVerificationFailed);
  CHECK(st.message() ==
        "ECDSA signature must be 64 bytes (r||s), got " + std::to_string(der.size()));
}

TEST_CASE("ECDSA and SM2 verification reject r or s of zero or >= n", "[keys][negative]") {
  for (Algorithm alg : {Algorithm::kEcdsaP256Sha256, Algorithm::kSm2Sm3}) {
    INFO(AlgorithmName(alg));
    auto signer = MustGenerate(alg);
    auto verifier = MustVerifier(signer->public_key());
    const std::string sig = MustSign(*signer, "m");
    const std::string zero(32, '\0');
    const std::string ones(32, '\xff');
    for (std::string bad : {zero + sig.substr(32), sig.substr(0, 32) + zero, ones + sig.substr(32),
                            sig.substr(0, 32) + ones}) {
      Status st = verifier->Verify("m", bad);
      CHECK(st.code() == StatusCode::kVerificationFailed);
      CHECK_THAT(st.message(), Catch::Contains("out of range"));
    }
  }
}

TEST_CASE("SM2 signatures use the distinguishing id 1234567812345678", "[keys][sm2]") {
  auto signer = MustGenerate(Algorithm::kSm2Sm3);
  const std::string msg = "lot 9 received";
  const std::string der = RsToDer(MustSign(*signer, msg));
  std::unique_ptr<EVP_MD, internal::OpenSslDeleter<EVP_MD, EVP_MD_free>> sm3(
      EVP_MD_fetch(nullptr, "SM3", nullptr));
  REQUIRE(sm3 != nullptr);
  CHECK(OpenSslVerifies(signer->public_key(), sm3.get(), msg, der, "1234567812345678"));
  // OpenSSL 3.0's default id is empty; another id gives another Z value.
  CHECK_FALSE(OpenSslVerifies(signer->public_key(), sm3.get(), msg, der));
  CHECK_FALSE(OpenSslVerifies(signer->public_key(), sm3.get(), msg, der, "1234567812345679"));
  CHECK_FALSE(OpenSslVerifies(signer->public_key(), sm3.get(), msg + "!", der, "1234567812345678"));
}

TEST_CASE("A signature by key A never verifies under key B, across threads", "[keys][threads]") {
  // Two keys per algorithm; verifiers used alternately from several threads
  // would expose a context that remembers the previous key.
  struct Pair {
    std::unique_ptr<Signer> a, b;
    std::unique_ptr<Verifier> va, vb;
    std::vector<std::string> messages, sigs_a, sigs_b;
  };
  std::vector<Pair> pairs;
  for (Algorithm alg : kAllAlgorithms) {
    Pair p;
    p.a = MustGenerate(alg);
    p.b = MustGenerate(alg);
    p.va = MustVerifier(p.a->public_key());
    p.vb = MustVerifier(p.b->public_key());
    for (int i = 0; i < 8; ++i) {
      p.messages.push_back("record " + std::to_string(i));
      p.sigs_a.push_back(MustSign(*p.a, p.messages.back()));
      p.sigs_b.push_back(MustSign(*p.b, p.messages.back()));
    }
    pairs.push_back(std::move(p));
  }
  // Cross-algorithm too: an Ed25519 verifier next to an ECDSA one, etc.
  std::atomic<int> wrong_accepts{0}, wrong_rejects{0}, checks{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 150; ++round) {
        for (const Pair& p : pairs) {
          size_t i = static_cast<size_t>(round + t) % p.messages.size();
          const std::string& m = p.messages[i];
          if (!p.va->Verify(m, p.sigs_a[i]).ok()) ++wrong_rejects;
          if (p.vb->Verify(m, p.sigs_a[i]).ok()) ++wrong_accepts;
          if (!p.vb->Verify(m, p.sigs_b[i]).ok()) ++wrong_rejects;
          if (p.va->Verify(m, p.sigs_b[i]).ok()) ++wrong_accepts;
          checks += 4;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(checks == 4 * 150 * 3 * 4);
  CHECK(wrong_accepts == 0);
  CHECK(wrong_rejects == 0);
}

TEST_CASE("Public keys round-trip through DER and PEM", "[keys][pem]") {
  for (Algorithm alg : kAllAlgorithms) {
    INFO(AlgorithmName(alg));
    auto signer = MustGenerate(alg);
    const PublicKey& key = signer->public_key();
    Result<PublicKey> from_der = PublicKey::FromDer(key.der());
    REQUIRE(from_der.ok());
    CHECK(*from_der == key);

    const std::string pem = key.ToPem();
    CHECK(pem.rfind("-----BEGIN PUBLIC KEY-----\n", 0) == 0);
    CHECK(pem.substr(pem.size() - 25) == "-----END PUBLIC KEY-----\n");
    Result<PublicKey> from_pem = PublicKey::FromPem(pem);
    REQUIRE(from_pem.ok());
    CHECK(*from_pem == key);
    CHECK(from_pem->ToPem() == pem);

    // ToPem agrees with OpenSSL's own PEM writer.
    const unsigned char* p = reinterpret_cast<const unsigned char*>(key.der().data());
    UniqueEvpPkey pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(key.der().size())));  // NOLINT
    internal::UniqueBio bio(BIO_new(BIO_s_mem()));
    REQUIRE(PEM_write_bio_PUBKEY(bio.get(), pkey.get()) == 1);
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);  // NOLINT(runtime/int)
    CHECK(std::string(data, static_cast<size_t>(len)) == pem);
  }
}

TEST_CASE("KeyId is the first 16 hex digits of SHA-256 of the SPKI", "[keys]") {
  for (Algorithm alg : kAllAlgorithms) {
    auto signer = MustGenerate(alg);
    const PublicKey& key = signer->public_key();
    CHECK(key.KeyId() == HashToHex(Sha256(key.der())).substr(0, 16));
    CHECK(key.KeyId().size() == 16);
  }
}

TEST_CASE("RawEd25519 is refused for ECDSA and SM2 keys", "[keys]") {
  for (Algorithm alg : {Algorithm::kEcdsaP256Sha256, Algorithm::kSm2Sm3}) {
    CHECK(MustGenerate(alg)->public_key().RawEd25519().status().code() ==
          StatusCode::kFailedPrecondition);
  }
}

TEST_CASE("Private keys round-trip through PKCS#8 PEM", "[keys][pem]") {
  for (Algorithm alg : kAllAlgorithms) {
    INFO(AlgorithmName(alg));
    auto signer = MustGenerate(alg);
    Result<SecretBytes> pem = signer->ExportPrivateKeyPemSecret();
    REQUIRE(pem.ok());
    CHECK(SecretView(*pem).rfind("-----BEGIN PRIVATE KEY-----\n", 0) == 0);
    Result<std::unique_ptr<Signer>> loaded = Signer::FromPrivateKeyPemSecret(*pem);
    INFO(loaded.status().ToString());
    REQUIRE(loaded.ok());
    CHECK((*loaded)->public_key() == signer->public_key());
    // The reloaded key signs for the original public key.
    CHECK(MustVerifier(signer->public_key())->Verify("x", MustSign(**loaded, "x")).ok());
  }
}

TEST_CASE("Key files: private 0600, public 0644, and both load back", "[keys][files]") {
  TempDir dir;
  for (Algorithm alg : kAllAlgorithms) {
    INFO(AlgorithmName(alg));
    auto signer = MustGenerate(alg);
    const std::string priv = dir.File((std::string(AlgorithmName(alg)) + ".key").c_str());
    const std::string pub = dir.File((std::string(AlgorithmName(alg)) + ".pub").c_str());
    REQUIRE(signer->WritePrivateKeyFile(priv).ok());
    REQUIRE(signer->public_key().WriteFile(pub).ok());
    CHECK(ModeOf(priv) == 0600);
    CHECK(ModeOf(pub) == 0644);

    Result<std::unique_ptr<Signer>> loaded = Signer::LoadPrivateKeyFile(priv);
    INFO(loaded.status().ToString());
    REQUIRE(loaded.ok());
    CHECK((*loaded)->public_key() == signer->public_key());
    Result<PublicKey> pub_loaded = PublicKey::ReadFile(pub);
    REQUIRE(pub_loaded.ok());
    CHECK(*pub_loaded == signer->public_key());
  }
}

TEST_CASE("LoadPrivateKeyFile refuses a key file group or others can access",
          "[keys][files][negative]") {
  TempDir dir;
  auto signer = MustGenerate(Algorithm::kEd25519);
  const std::string path = dir.File("signer.key");
  REQUIRE(signer->WritePrivateKeyFile(path).ok());
  for (mode_t mode : {0644, 0640, 0604, 0660, 0602}) {
    INFO("mode " << std::oct << mode);
    REQUIRE(::chmod(path.c_str(), mode) == 0);
    Result<std::unique_ptr<Signer>> r = Signer::LoadPrivateKeyFile(path);
    CHECK(r.status().code() == StatusCode::kFailedPrecondition);
    CHECK_THAT(r.status().message(), Catch::Contains(path));
    CHECK_THAT(r.status().message(), Catch::Contains("chmod 600 " + path));
  }
  REQUIRE(::chmod(path.c_str(), 0400) == 0);
  CHECK(Signer::LoadPrivateKeyFile(path).ok());
}

TEST_CASE("Key files are never overwritten (O_EXCL)", "[keys][files][negative]") {
  TempDir dir;
  auto first = MustGenerate(Algorithm::kEd25519);
  auto second = MustGenerate(Algorithm::kEd25519);
  const std::string priv = dir.File("a.key");
  const std::string pub = dir.File("a.pub");
  REQUIRE(first->WritePrivateKeyFile(priv).ok());
  REQUIRE(first->public_key().WriteFile(pub).ok());
  const std::string priv_before = ReadFile(priv);
  const std::string pub_before = ReadFile(pub);

  CHECK(second->WritePrivateKeyFile(priv).code() == StatusCode::kAlreadyExists);
  CHECK(second->public_key().WriteFile(pub).code() == StatusCode::kAlreadyExists);
  CHECK(ReadFile(priv) == priv_before);
  CHECK(ReadFile(pub) == pub_before);
  CHECK(ModeOf(priv) == 0600);
}

TEST_CASE("Missing key files are kNotFound; unwritable directories kIoError",
          "[keys][files][negative]") {
  TempDir dir;
  CHECK(Signer::LoadPrivateKeyFile(dir.File("absent.key")).status().code() ==
        StatusCode::kNotFound);
  CHECK(PublicKey::ReadFile(dir.File("absent.pub")).status().code() == StatusCode::kNotFound);
  auto signer = MustGenerate(Algorithm::kEd25519);
  CHECK(signer->WritePrivateKeyFile(dir.File("no/such/dir.key")).code() == StatusCode::kIoError);
}

TEST_CASE("Garbage PEM and DER are kInvalidArgument", "[keys][negative]") {
  auto signer = MustGenerate(Algorithm::kEcdsaP256Sha256);
  const std::string der = signer->public_key().der();
  const std::string pub_pem = signer->public_key().ToPem();
  Result<SecretBytes> exported = signer->ExportPrivateKeyPemSecret();
  REQUIRE(exported.ok());
  const std::string priv_pem(SecretView(*exported));  // a test key: an ordinary copy is fine

  const std::vector<std::string> bad_der = {
      "",         "not a key",  std::string(91, '\0'), der.substr(0, der.size() - 1),
      der + '\0', der.substr(1)};
  for (const std::string& d : bad_der) {
    INFO("DER of size " << d.size());
    CHECK(PublicKey::FromDer(d).status().code() == StatusCode::kInvalidArgument);
  }
  const std::vector<std::string> bad_pub_pem = {
      "",
      "hello",
      "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n",
      "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
      priv_pem,
      pub_pem.substr(0, pub_pem.size() / 2)};
  for (const std::string& p : bad_pub_pem) {
    INFO(p);
    CHECK(PublicKey::FromPem(p).status().code() == StatusCode::kInvalidArgument);
  }
  const std::vector<std::string> bad_priv_pem = {
      "", "hello", pub_pem, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
      priv_pem.substr(0, priv_pem.size() / 2)};
  for (const std::string& p : bad_priv_pem) {
    INFO(p);
    CHECK(Signer::FromPrivateKeyPemSecret(p).status().code() == StatusCode::kInvalidArgument);
  }
  // A public key file holding garbage names the file.
  TempDir dir;
  const std::string path = dir.File("garbage.pub");
  std::ofstream(path) << "garbage";
  Result<PublicKey> r = PublicKey::ReadFile(path);
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(r.status().message(), Catch::Contains(path));
}

TEST_CASE("RSA keys are rejected, public and private", "[keys][negative]") {
  UniqueEvpPkey rsa(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)));
  REQUIRE(rsa != nullptr);
  Result<PublicKey> pub = PublicKey::FromDer(SpkiOf(rsa.get()));
  CHECK(pub.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(pub.status().message(), Catch::Contains("RSA"));
  CHECK(Signer::FromPrivateKeyPemSecret(PrivatePemOf(rsa.get())).status().code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("EC keys on other curves are rejected, public and private", "[keys][negative]") {
  for (const char* curve : {"P-384", "P-521", "secp256k1"}) {
    INFO(curve);
    UniqueEvpPkey ec(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
    REQUIRE(ec != nullptr);
    Result<PublicKey> pub = PublicKey::FromDer(SpkiOf(ec.get()));
    CHECK(pub.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(pub.status().message(), Catch::Contains("curve"));
    CHECK(Signer::FromPrivateKeyPemSecret(PrivatePemOf(ec.get())).status().code() ==
          StatusCode::kInvalidArgument);
  }
}

TEST_CASE("A P-256 key with a compressed point is rejected (one key, one KeyId)",
          "[keys][negative]") {
  UniqueEvpPkey ec(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  REQUIRE(ec != nullptr);
  REQUIRE(EVP_PKEY_set_utf8_string_param(ec.get(), OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                         "compressed") == 1);
  const std::string der = SpkiOf(ec.get());
  REQUIRE(der.size() < 91);  // Really compressed (uncompressed SPKI is 91 bytes).
  Result<PublicKey> pub = PublicKey::FromDer(der);
  CHECK(pub.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(pub.status().message(), Catch::Contains("uncompressed"));
}

TEST_CASE("Failures leave no stale OpenSSL errors behind", "[keys]") {
  ERR_clear_error();
  (void)PublicKey::FromDer("junk");
  (void)Signer::FromPrivateKeyPemSecret("junk");
  auto signer = MustGenerate(Algorithm::kSm2Sm3);
  (void)MustVerifier(signer->public_key())->Verify("m", std::string(64, '\x01'));
  CHECK(ERR_peek_error() == 0);
}

}  // namespace
}  // namespace retrace
