// Known-answer tests for the three signature algorithms beyond RFC 8032's
// first three vectors (keys_test.cc): Project Wycheproof's Ed25519 and ECDSA
// P-256/SHA-256 (IEEE P1363) verification vectors, and the SM2 signature
// example of GM/T 0003.5-2012 Annex A on the SM2 recommended curve.
// tests/vectors/README.md says where each came from. Like Tink's Wycheproof
// tests, each test counts what it ran and fails if a file yields fewer cases
// than it states.
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/keys_internal.h"
#include "crypto/openssl_util.h"
#include "retrace/secret.h"
#include "retrace/signer.h"
#include "testing/hex.h"
#include "util/hex.h"

#ifndef RETRACE_TEST_VECTORS_DIR
#error "RETRACE_TEST_VECTORS_DIR must name tests/vectors"
#endif

namespace retrace {
namespace {

using internal::UniqueBignum;
using internal::UniqueEcdsaSig;
using internal::UniqueEvpMdCtx;
using internal::UniqueEvpPkey;
using internal::UniqueEvpPkeyCtx;

using testing::Unhex;

// A hex field of a vector file, where "-" stands for no bytes.
std::string UnhexField(std::string_view hex) { return hex == "-" ? "" : Unhex(hex); }

// One Wycheproof test, as tests/vectors/wycheproof/*.txt has it.
struct WycheproofCase {
  int tc_id = 0;
  std::string result;  // "valid", "invalid" or "acceptable"
  std::string flags;
  std::string msg;
  std::string sig;
  std::string key_der;  // the group's public key
};

struct WycheproofFile {
  int number_of_tests = -1;  // as the source JSON states it
  int groups = 0;
  std::vector<WycheproofCase> cases;
};

WycheproofFile ReadWycheproof(const std::string& name) {
  const std::string path = std::string(RETRACE_TEST_VECTORS_DIR) + "/wycheproof/" + name;
  std::ifstream in(path);
  INFO(path);
  REQUIRE(in.good());
  WycheproofFile file;
  std::string key_der;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string kind;
    fields >> kind;
    if (kind == "numberOfTests") {
      fields >> file.number_of_tests;
    } else if (kind == "group") {
      std::string hex;
      fields >> hex;
      key_der = UnhexField(hex);
      ++file.groups;
    } else if (kind == "test") {
      WycheproofCase c;
      std::string msg, sig;
      fields >> c.tc_id >> c.result >> c.flags >> msg >> sig;
      INFO(line);
      REQUIRE(!fields.fail());
      REQUIRE(!key_der.empty());
      c.msg = UnhexField(msg);
      c.sig = UnhexField(sig);
      c.key_der = key_der;
      file.cases.push_back(std::move(c));
    } else {
      FAIL("unknown line in " << path << ": " << line);
    }
  }
  return file;
}

// Verifier::New for `der`, memoised per group key.
const Verifier& VerifierFor(std::map<std::string, std::unique_ptr<Verifier>>* cache,
                            const std::string& der) {
  auto it = cache->find(der);
  if (it == cache->end()) {
    Result<PublicKey> key = PublicKey::FromDer(der);
    INFO(key.status().ToString());
    REQUIRE(key.ok());
    Result<std::unique_ptr<Verifier>> v = Verifier::New(*key);
    REQUIRE(v.ok());
    it = cache->emplace(der, std::move(v).value()).first;
  }
  return *it->second;
}

// floor(n / 2) and n of P-256, from OpenSSL (not from keys.cc's constants).
struct P256Order {
  UniqueBignum n{BN_new()};
  UniqueBignum half_n{BN_new()};
  P256Order() {
    std::unique_ptr<EC_GROUP, internal::OpenSslDeleter<EC_GROUP, EC_GROUP_free>> group(
        EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
    REQUIRE(group != nullptr);
    REQUIRE(BN_copy(n.get(), EC_GROUP_get0_order(group.get())) != nullptr);
    REQUIRE(BN_rshift1(half_n.get(), n.get()) == 1);
  }
};

// ---------------------------------------------------------------------------

// Ed25519 (RFC 8032, PureEdDSA): the library verifies through OpenSSL, which
// rejects non-canonical S (s >= L) and R encodings, so Wycheproof's verdict
// is taken as it is: "valid" must verify, "invalid" must be refused.
TEST_CASE("Ed25519 verification agrees with every Wycheproof vector", "[keys][ed25519][wycheproof]") {
  const WycheproofFile file = ReadWycheproof("ed25519_test.txt");
  REQUIRE(file.number_of_tests == 151);
  REQUIRE(file.cases.size() == static_cast<size_t>(file.number_of_tests));
  std::map<std::string, std::unique_ptr<Verifier>> verifiers;
  int valid = 0, invalid = 0;
  for (const WycheproofCase& c : file.cases) {
    INFO("tcId " << c.tc_id << " (" << c.flags << "), expected " << c.result);
    const Status st = VerifierFor(&verifiers, c.key_der).Verify(c.msg, c.sig);
    if (c.result == "valid") {
      CHECK(st.ok());
      ++valid;
    } else {
      REQUIRE(c.result == "invalid");  // the Ed25519 file has no "acceptable" case
      CHECK(st.code() == StatusCode::kVerificationFailed);
      ++invalid;
    }
  }
  CHECK(valid == 88);
  CHECK(invalid == 63);
  CHECK(file.groups == 78);
  WARN("Wycheproof Ed25519: " << valid + invalid << " tests run, " << valid << " valid verified, "
                              << invalid << " invalid refused");
}

// ECDSA P-256 with SHA-256, signatures as IEEE P1363 r || s: the form the
// library speaks, so the P1363 file (not the DER one) applies. The library
// also requires low S (s <= n/2) so that a signature cannot be altered into
// another valid one; what "valid" means here:
//   - Wycheproof "invalid": refused.
//   - Wycheproof "valid" with s <= n/2: verifies.
//   - Wycheproof "valid" with s > n/2: refused by the low-S rule, and its
//     low-S twin (r, n - s) -- the same signature mathematically -- verifies,
//     which shows the refusal is that rule and nothing else.
TEST_CASE("ECDSA P-256 verification agrees with every Wycheproof P1363 vector under the low-S rule",
          "[keys][ecdsa][wycheproof]") {
  const WycheproofFile file = ReadWycheproof("ecdsa_secp256r1_sha256_p1363_test.txt");
  REQUIRE(file.number_of_tests == 252);
  REQUIRE(file.cases.size() == static_cast<size_t>(file.number_of_tests));
  const P256Order order;
  std::map<std::string, std::unique_ptr<Verifier>> verifiers;
  int valid_low_s = 0, valid_high_s = 0, invalid = 0;
  for (const WycheproofCase& c : file.cases) {
    INFO("tcId " << c.tc_id << " (" << c.flags << "), expected " << c.result);
    const Verifier& verifier = VerifierFor(&verifiers, c.key_der);
    const Status st = verifier.Verify(c.msg, c.sig);
    if (c.result == "invalid") {
      CHECK(st.code() == StatusCode::kVerificationFailed);
      ++invalid;
      continue;
    }
    REQUIRE(c.result == "valid");  // the P1363 file has no "acceptable" case
    REQUIRE(c.sig.size() == 64);
    const auto* s_bytes = reinterpret_cast<const unsigned char*>(c.sig.data()) + 32;
    UniqueBignum s(BN_bin2bn(s_bytes, 32, nullptr));
    REQUIRE(s != nullptr);
    if (BN_cmp(s.get(), order.half_n.get()) <= 0) {
      CHECK(st.ok());
      ++valid_low_s;
      continue;
    }
    CHECK(st.code() == StatusCode::kVerificationFailed);
    CHECK_THAT(st.message(), Catch::Contains("high S"));
    UniqueBignum low_s(BN_new());
    REQUIRE(BN_sub(low_s.get(), order.n.get(), s.get()) == 1);
    std::string twin = c.sig;
    REQUIRE(BN_bn2binpad(low_s.get(), reinterpret_cast<unsigned char*>(twin.data()) + 32, 32) == 32);
    CHECK(verifier.Verify(c.msg, twin).ok());
    ++valid_high_s;
  }
  // Pinned so that an edit to the vector file cannot go unnoticed.
  CHECK(valid_low_s + valid_high_s == 169);
  CHECK(invalid == 83);
  CHECK(file.groups == 103);
  CHECK(valid_low_s == 102);
  CHECK(valid_high_s == 67);  // the low-S rule is exercised, not just assumed
  WARN("Wycheproof ECDSA P-256 P1363: " << valid_low_s + valid_high_s + invalid
                                        << " tests run, " << valid_low_s
                                        << " valid low-S verified, " << valid_high_s
                                        << " valid high-S refused (their low-S twins verified), "
                                        << invalid << " invalid refused");
}

// ---------------------------------------------------------------------------
// SM2: GM/T 0003.5-2012 (GB/T 32918.5) Annex A, the digital signature example
// on the SM2 recommended curve, with the GM/T 0009 default identifier
// "1234567812345678" the library uses. (GB/T 32918.2's own example uses a
// test curve, not the recommended one, so it cannot be run against SM2
// keys.) The same values are OpenSSL's test/sm2_internal_test.c sm2_sig_test.

constexpr char kSm2PrivateHex[] =
    "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8";
constexpr char kSm2PublicXHex[] =
    "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020";
constexpr char kSm2PublicYHex[] =
    "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13";
constexpr char kSm2Message[] = "message digest";
constexpr char kSm2SignatureHex[] =  // r || s
    "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
    "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA";
// SubjectPublicKeyInfo: id-ecPublicKey, named curve SM2 (1.2.156.10197.1.301),
// uncompressed point.
constexpr char kSm2SpkiPrefixHex[] = "3059301306072a8648ce3d020106082a811ccf5501822d03420004";

PublicKey Sm2StandardKey() {
  Result<PublicKey> key =
      PublicKey::FromDer(Unhex(std::string(kSm2SpkiPrefixHex) + kSm2PublicXHex + kSm2PublicYHex));
  INFO(key.status().ToString());
  REQUIRE(key.ok());
  return *key;
}

TEST_CASE("SM2 verifies the GM/T 0003.5 Annex A signature and nothing altered from it",
          "[keys][sm2][kat]") {
  const PublicKey key = Sm2StandardKey();
  CHECK(key.algorithm() == Algorithm::kSm2Sm3);
  Result<std::unique_ptr<Verifier>> v = Verifier::New(key);
  REQUIRE(v.ok());
  const std::string sig = Unhex(kSm2SignatureHex);
  CHECK((*v)->Verify(kSm2Message, sig).ok());
  int refused = 0;
  CHECK(!(*v)->Verify("message digesT", sig).ok());
  ++refused;
  for (size_t byte : {size_t{0}, size_t{31}, size_t{32}, size_t{63}}) {
    std::string bad = sig;
    bad[byte] = static_cast<char>(bad[byte] ^ 0x01);
    INFO("flipped byte " << byte);
    CHECK((*v)->Verify(kSm2Message, bad).code() == StatusCode::kVerificationFailed);
    ++refused;
  }
  CHECK(refused == 5);
}

TEST_CASE("The SM2 example's signature depends on the distinguishing identifier",
          "[keys][sm2][kat]") {
  // OpenSSL directly, with the example's identifier and with another: only
  // the first verifies, so the library's acceptance above shows it hashes
  // "1234567812345678" into Z_A.
  const PublicKey key = Sm2StandardKey();
  const unsigned char* p = reinterpret_cast<const unsigned char*>(key.der().data());
  UniqueEvpPkey pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(key.der().size())));  // NOLINT
  REQUIRE(pkey != nullptr);
  const std::string rs = Unhex(kSm2SignatureHex);
  UniqueEcdsaSig ecdsa(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(rs.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(rs.data()) + 32, 32, nullptr);
  REQUIRE(ECDSA_SIG_set0(ecdsa.get(), r, s) == 1);
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(ecdsa.get(), &der);
  internal::UniqueOpenSslPtr<unsigned char> der_holder(der);
  REQUIRE(der_len > 0);
  auto verifies_with_id = [&](std::string_view id) {
    UniqueEvpMdCtx ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;
    REQUIRE(EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sm3(), nullptr, pkey.get()) == 1);
    REQUIRE(EVP_PKEY_CTX_set1_id(pctx, id.data(), id.size()) == 1);
    const int rc = EVP_DigestVerify(ctx.get(), der, static_cast<size_t>(der_len),
                                    reinterpret_cast<const unsigned char*>(kSm2Message),
                                    std::strlen(kSm2Message));
    ERR_clear_error();
    return rc == 1;
  };
  CHECK(verifies_with_id(internal::kSm2DistinguishingId));
  CHECK_FALSE(verifies_with_id("ALICE123@YAHOO.COM"));
}

TEST_CASE("An SM2 signer holding the example's private key has its public key and signs for it",
          "[keys][sm2][kat]") {
  // d -> P on the SM2 curve must give the example's (x, y). SM2 signatures
  // are randomised (k is fresh), so the signer's output is checked by
  // verification, not compared with the example's r || s.
  std::unique_ptr<EC_GROUP, internal::OpenSslDeleter<EC_GROUP, EC_GROUP_free>> group(
      EC_GROUP_new_by_curve_name(NID_sm2));
  REQUIRE(group != nullptr);
  BIGNUM* d_raw = nullptr;
  REQUIRE(BN_hex2bn(&d_raw, kSm2PrivateHex) > 0);
  UniqueBignum d(d_raw);
  std::unique_ptr<EC_POINT, internal::OpenSslDeleter<EC_POINT, EC_POINT_free>> point(
      EC_POINT_new(group.get()));
  REQUIRE(EC_POINT_mul(group.get(), point.get(), d.get(), nullptr, nullptr, nullptr) == 1);
  unsigned char pub[65];
  REQUIRE(EC_POINT_point2oct(group.get(), point.get(), POINT_CONVERSION_UNCOMPRESSED, pub,
                             sizeof(pub), nullptr) == sizeof(pub));

  std::unique_ptr<OSSL_PARAM_BLD, internal::OpenSslDeleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>
      bld(OSSL_PARAM_BLD_new());
  REQUIRE(OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0) == 1);
  REQUIRE(OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()) == 1);
  REQUIRE(OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, pub,
                                           sizeof(pub)) == 1);
  std::unique_ptr<OSSL_PARAM, internal::OpenSslDeleter<OSSL_PARAM, OSSL_PARAM_free>> params(
      OSSL_PARAM_BLD_to_param(bld.get()));
  REQUIRE(params != nullptr);
  UniqueEvpPkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "SM2", nullptr));
  REQUIRE(ctx != nullptr);
  REQUIRE(EVP_PKEY_fromdata_init(ctx.get()) == 1);
  EVP_PKEY* raw = nullptr;
  REQUIRE(EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_KEYPAIR, params.get()) == 1);
  UniqueEvpPkey pkey(raw);

  internal::UniqueBio bio(BIO_new(BIO_s_secmem()));
  REQUIRE(PEM_write_bio_PrivateKey(bio.get(), pkey.get(), nullptr, nullptr, 0, nullptr,
                                   nullptr) == 1);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);  // NOLINT(runtime/int)
  REQUIRE(len > 0);
  const SecretBytes pem = MakeSecretBytes(std::string_view(data, static_cast<size_t>(len)));
  Result<std::unique_ptr<Signer>> signer = Signer::FromPrivateKeyPemSecret(pem);
  INFO(signer.status().ToString());
  REQUIRE(signer.ok());
  const PublicKey standard = Sm2StandardKey();
  CHECK((*signer)->public_key() == standard);

  Result<std::unique_ptr<Verifier>> v = Verifier::New(standard);
  REQUIRE(v.ok());
  for (int i = 0; i < 4; ++i) {
    Result<std::string> sig = (*signer)->Sign(kSm2Message);
    REQUIRE(sig.ok());
    CHECK(sig->size() == 64);
    CHECK((*v)->Verify(kSm2Message, *sig).ok());
  }
}

}  // namespace
}  // namespace retrace
