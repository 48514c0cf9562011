// Keys, signers and verifiers over OpenSSL 3 EVP.
//
// Invariants:
//  - A PublicKey's der_ is a canonical SPKI of one of the three algorithms
//    (re-encoding the parsed key gives the same bytes; EC keys use a named
//    curve and an uncompressed point), so one key has exactly one KeyId.
//  - Every sign or verify call uses a fresh EVP_MD_CTX. OpenSSL 3.0 can keep
//    the first key when a used EVP_MD_CTX is re-initialised with another
//    one, so a shared or reused context could verify under the wrong key.
//  - ECDSA and SM2 signatures cross the API as 64-byte r || s; the DER form
//    OpenSSL speaks exists only inside this file.
//  - Every buffer this file fills with private key material (a key file's
//    contents, a PEM body, its DER, an export, a raw seed) is a SecretBytes,
//    wiped before it is freed; OpenSSL holds the key itself and frees it
//    with OPENSSL_cleanse.
#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/keys_internal.h"
#include "crypto/openssl_util.h"
#include "crypto/sha256.h"
#include "retrace/hash.h"
#include "retrace/secret.h"
#include "retrace/signer.h"
#include "util/hex.h"
#include "util/posix_file.h"
#include "util/status_macros.h"

namespace retrace {
namespace {

using internal::OpenSslFreeDeleter;
using internal::TakeOpenSslErrors;
using internal::UniqueBignum;
using internal::UniqueBio;
using internal::UniqueEcdsaSig;
using internal::UniqueEvpMdCtx;
using internal::UniqueEvpPkey;
using internal::UniqueEvpPkeyCtx;
using internal::ErrnoMessage;
using internal::ScopedFd;
using internal::WriteAll;
using internal::UniqueOpenSslPtr;

// Key and PEM files are a few hundred bytes; refuse to slurp anything huge.
constexpr size_t kMaxKeyFileBytes = 64 * 1024;
constexpr size_t kScalarBytes = 32;
constexpr size_t kRsSignatureBytes = 2 * kScalarBytes;
constexpr size_t kEd25519SignatureBytes = 64;
constexpr size_t kEd25519PublicKeyBytes = 32;

using Scalar = std::array<uint8_t, kScalarBytes>;

constexpr uint8_t HexNibble(char c) {
  return static_cast<uint8_t>(c <= '9' ? c - '0' : c - 'A' + 10);
}
constexpr Scalar ScalarFromHex(const char (&hex)[2 * kScalarBytes + 1]) {
  Scalar out{};
  for (size_t i = 0; i < kScalarBytes; ++i) {
    out[i] = static_cast<uint8_t>((HexNibble(hex[2 * i]) << 4) | HexNibble(hex[2 * i + 1]));
  }
  return out;
}

// Group orders n, big-endian (SEC 2 section 2.4.2; GB/T 32918.5).
struct CurveOrder {
  Scalar n;
  Scalar half_n;  // floor(n / 2): the largest low-S value.
};
constexpr CurveOrder kP256Order = {
    ScalarFromHex("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551"),
    ScalarFromHex("7FFFFFFF800000007FFFFFFFFFFFFFFFDE737D56D38BCF4279DCE5617E3192A8"),
};
constexpr CurveOrder kSm2Order = {
    ScalarFromHex("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123"),
    ScalarFromHex("7FFFFFFF7FFFFFFFFFFFFFFFFFFFFFFFB901EFB590E30295A9DDFA049CEAA091"),
};

// Fetched once: an implicit fetch per call costs a method-store lookup.
// Raw pointers, never freed, so they outlive every static destructor.
const EVP_MD* Sha256Md() { return internal::Sha256Md(); }
const EVP_MD* Sm3Md() {
  static const EVP_MD* const md = EVP_MD_fetch(nullptr, "SM3", nullptr);
  return md;
}

// OpenSSL treats a null pointer with length 0 inconsistently across
// algorithms; an empty std::string_view may have a null data().
const unsigned char* Bytes(std::string_view s) {
  static const unsigned char kEmpty = 0;
  return s.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(s.data());
}

// ---------------------------------------------------------------------------
// Files.

// Creates `path` (which must not exist) with exactly `mode` and writes all of
// `data`, durably. On failure nothing is left behind.
Status WriteNewFile(const std::string& path, std::string_view data, mode_t mode, const char* what) {
  ScopedFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (fd.get() < 0) {
    int err = errno;
    if (err == EEXIST) {
      return AlreadyExistsError(std::string(what) + " file " + path +
                                " already exists; nothing was written");
    }
    return IoError("cannot create " + std::string(what) + " file " + path + ": " +
                   ErrnoMessage(err));
  }
  // From here on the file is ours: any failure removes it, so a half-written
  // key never lingers.
  auto fail = [&](const char* step, const std::string& why) {
    if (fd.get() >= 0) fd.Close();
    ::unlink(path.c_str());
    return IoError(std::string(step) + " " + what + " file " + path + " failed: " + why +
                   "; the file was removed");
  };
  // The umask may have narrowed `mode`; the contract promises exactly `mode`.
  if (::fchmod(fd.get(), mode) != 0) return fail("chmod of", ErrnoMessage(errno));
  if (Status w = WriteAll(fd.get(), data); !w.ok()) return fail("writing", w.message());
  if (::fsync(fd.get()) != 0) return fail("fsync of", ErrnoMessage(errno));
  if (fd.Close() != 0) return fail("closing", ErrnoMessage(errno));
  return Status::Ok();
}

// Reads a small regular file into `out` (whose size bounds the read). With
// `private_key`, refuses a file that group or others may access.
Result<size_t> ReadFileInto(const std::string& path, const char* what, bool private_key, char* out,
                            size_t out_size) {
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    int err = errno;
    if (err == ENOENT)
      return NotFoundError(std::string(what) + " file " + path + " does not exist");
    return IoError("cannot open " + std::string(what) + " file " + path + ": " + ErrnoMessage(err));
  }
  // fstat on the open descriptor: the checked file is the file that is read.
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) {
    return IoError("cannot stat " + std::string(what) + " file " + path + ": " +
                   ErrnoMessage(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return InvalidArgumentError(std::string(what) + " file " + path + " is not a regular file");
  }
  if (private_key && (st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return FailedPreconditionError("private key file " + path + " has mode " + mode +
                                   ", so group or others can access it; refusing to use it. "
                                   "Fix with: chmod 600 " +
                                   path);
  }
  size_t done = 0;
  for (;;) {
    if (done == out_size) {
      return InvalidArgumentError(std::string(what) + " file " + path + " is larger than " +
                                  std::to_string(out_size - 1) + " bytes; it is not a key file");
    }
    ssize_t n = ::read(fd.get(), out + done, out_size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("reading " + std::string(what) + " file " + path +
                     " failed: " + ErrnoMessage(errno));
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

// ---------------------------------------------------------------------------
// Key parsing.

Result<Algorithm> DetectAlgorithm(const EVP_PKEY* pkey) {
  if (EVP_PKEY_is_a(pkey, "ED25519")) return Algorithm::kEd25519;
  // OpenSSL 3.0 decodes an id-ecPublicKey key on the SM2 curve as key type
  // "SM2" (not "EC"); only such keys get the SM2 signature algorithm.
  const bool is_sm2 = EVP_PKEY_is_a(pkey, "SM2");
  if (is_sm2 || EVP_PKEY_is_a(pkey, "EC")) {
    char group[80] = {0};
    size_t group_len = 0;
    char encoding[32] = {0};
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_ENCODING, encoding,
                                       sizeof(encoding), nullptr) != 1 ||
        std::strcmp(encoding, OSSL_PKEY_EC_ENCODING_GROUP) != 0 ||
        EVP_PKEY_get_group_name(pkey, group, sizeof(group), &group_len) != 1) {
      ERR_clear_error();
      return InvalidArgumentError(
          "EC key with explicit curve parameters is not supported; use a named curve "
          "(P-256 or SM2)");
    }
    char format[32] = {0};
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, format,
                                       sizeof(format), nullptr) != 1 ||
        std::strcmp(format, "uncompressed") != 0) {
      ERR_clear_error();
      return InvalidArgumentError(std::string("EC public key point must be uncompressed, got ") +
                                  (format[0] != '\0' ? format : "unknown") + " form");
    }
    std::string_view name(group, group_len);
    if (is_sm2 && name == "SM2") return Algorithm::kSm2Sm3;
    if (!is_sm2 && name == "prime256v1") return Algorithm::kEcdsaP256Sha256;
    return InvalidArgumentError("EC key on curve " + std::string(name) +
                                " is not supported; only P-256 (ECDSA) and SM2 are");
  }
  const char* type = EVP_PKEY_get0_type_name(pkey);
  return InvalidArgumentError(std::string("unsupported key type ") +
                              (type != nullptr ? type : "(unknown)") +
                              "; expected Ed25519, ECDSA P-256 or SM2");
}

Result<std::string> EncodeSpki(const EVP_PKEY* pkey) {
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(pkey, &der);
  UniqueOpenSslPtr<unsigned char> holder(der);
  if (len <= 0) return InternalError("encoding public key as SPKI failed: " + TakeOpenSslErrors());
  return std::string(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
}

struct ParsedPublicKey {
  UniqueEvpPkey pkey;
  Algorithm algorithm;
};

Result<ParsedPublicKey> ParseSpki(std::string_view der) {
  if (der.empty()) return InvalidArgumentError("public key DER is empty");
  if (der.size() > kMaxKeyFileBytes) {
    return InvalidArgumentError("public key DER is " + std::to_string(der.size()) +
                                " bytes; too large");
  }
  const unsigned char* p = Bytes(der);
  UniqueEvpPkey pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));  // NOLINT
  if (pkey == nullptr) {
    return InvalidArgumentError("public key is not a DER SubjectPublicKeyInfo: " +
                                TakeOpenSslErrors());
  }
  size_t consumed = static_cast<size_t>(p - Bytes(der));
  if (consumed != der.size()) {
    return InvalidArgumentError("public key DER has " + std::to_string(der.size() - consumed) +
                                " trailing bytes after the SubjectPublicKeyInfo");
  }
  ASSIGN_OR_RETURN(Algorithm alg, DetectAlgorithm(pkey.get()));
  ASSIGN_OR_RETURN(std::string canonical, EncodeSpki(pkey.get()));
  if (canonical != der) {
    return InvalidArgumentError("public key is not in canonical DER SubjectPublicKeyInfo form");
  }
  // The decoder may leave notes from formats it tried and rejected.
  ERR_clear_error();
  return ParsedPublicKey{std::move(pkey), alg};
}

// The first PEM block of a public key, as PEM_read_bio decoded it.
struct PemBlock {
  UniqueOpenSslPtr<unsigned char> der;
  size_t len = 0;
  std::string_view view() const { return {reinterpret_cast<const char*>(der.get()), len}; }
};

Result<PemBlock> ReadPemBlock(std::string_view pem, const char* label, const char* what) {
  if (pem.size() > INT_MAX) return InvalidArgumentError(std::string(what) + " PEM is too large");
  UniqueBio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return InternalError("BIO_new_mem_buf failed: " + TakeOpenSslErrors());
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;  // NOLINT(runtime/int)
  int rc = PEM_read_bio(bio.get(), &name, &header, &data, &len);
  UniqueOpenSslPtr<char> name_holder(name);
  UniqueOpenSslPtr<char> header_holder(header);
  PemBlock block{UniqueOpenSslPtr<unsigned char>(data), static_cast<size_t>(len > 0 ? len : 0)};
  if (rc != 1) {
    return InvalidArgumentError(std::string("no PEM block found in ") + what + ": " +
                                TakeOpenSslErrors());
  }
  if (std::strcmp(name, label) != 0) {
    std::string msg =
        std::string(what) + " must be a \"" + label + "\" PEM block, found \"" + name + "\"";
    if (std::strcmp(name, "ENCRYPTED PRIVATE KEY") == 0) {
      msg += " (encrypted private keys are not supported)";
    }
    return InvalidArgumentError(std::move(msg));
  }
  if (header != nullptr && header[0] != '\0') {
    return InvalidArgumentError(std::string(what) + " PEM block has headers; expected none");
  }
  return block;
}

// The PEM reader for private keys. OpenSSL's (PEM_read_bio) decodes the
// base64 body through an EVP_ENCODE_CTX that it frees without wiping, so
// base64 of the key lingered in freed heap memory after every load (found by
// tests/reliability/security_test.cc under ASan, whose quarantine keeps
// freed memory intact). Here every copy of the body sits in a wiped buffer
// and is decoded in one EVP_DecodeBlock call, which allocates nothing. Same
// syntax as OpenSSL reads: text before the block is skipped, CR and
// trailing blanks are ignored, header lines are refused. Returns the DER.
Result<SecretBytes> ReadSecretPemBlock(std::string_view pem, const char* label, const char* what) {
  if (pem.size() > INT_MAX) return InvalidArgumentError(std::string(what) + " PEM is too large");
  auto line_at = [&](size_t pos, size_t* next) {
    size_t end = pem.find('\n', pos);
    *next = end == std::string_view::npos ? pem.size() : end + 1;
    std::string_view line = pem.substr(pos, (end == std::string_view::npos ? pem.size() : end) - pos);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    return line;
  };
  const std::string_view kBegin = "-----BEGIN ", kDashes = "-----";
  size_t pos = pem.find(kBegin);
  while (pos != std::string_view::npos && pos != 0 && pem[pos - 1] != '\n') pos = pem.find(kBegin, pos + 1);
  if (pos == std::string_view::npos) {
    return InvalidArgumentError(std::string("no PEM block found in ") + what);
  }
  size_t next = 0;
  std::string_view begin = line_at(pos, &next);
  if (begin.size() <= kBegin.size() + kDashes.size() ||
      begin.substr(begin.size() - kDashes.size()) != kDashes) {
    return InvalidArgumentError(std::string("no PEM block found in ") + what + " (bad BEGIN line)");
  }
  const std::string name(begin.substr(kBegin.size(), begin.size() - kBegin.size() - kDashes.size()));
  if (name != label) {
    std::string msg =
        std::string(what) + " must be a \"" + label + "\" PEM block, found \"" + name + "\"";
    if (name == "ENCRYPTED PRIVATE KEY") msg += " (encrypted private keys are not supported)";
    return InvalidArgumentError(std::move(msg));
  }
  const std::string end_line = "-----END " + name + "-----";
  SecretBytes body(pem.size() + 1);
  size_t n = 0;
  bool ended = false;
  for (pos = next; pos < pem.size() && !ended; pos = next) {
    std::string_view line = line_at(pos, &next);
    if (line.rfind("-----END ", 0) == 0) {
      if (line != end_line) {
        return InvalidArgumentError(std::string(what) + " PEM block does not end with " + end_line);
      }
      ended = true;
    } else if (line.find(':') != std::string_view::npos) {
      return InvalidArgumentError(std::string(what) + " PEM block has headers; expected none");
    } else {
      std::memcpy(body.data() + n, line.data(), line.size());
      n += line.size();
    }
  }
  if (!ended) return InvalidArgumentError(std::string("no PEM block found in ") + what + " (no END line)");
  if (n == 0 || n % 4 != 0) {
    return InvalidArgumentError(std::string(what) + " PEM body is not base64");
  }
  size_t pad = 0;
  while (pad < 2 && body.data()[n - 1 - pad] == '=') ++pad;
  const size_t cap = n / 4 * 3;
  SecretBytes der(cap);
  const int decoded = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(der.data()),
                                      Bytes(std::string_view(body.data(), n)), static_cast<int>(n));
  if (decoded < 0 || static_cast<size_t>(decoded) < pad) {
    ERR_clear_error();
    return InvalidArgumentError(std::string(what) + " PEM body is not base64");
  }
  der.resize(static_cast<size_t>(decoded) - pad);
  return der;
}

// ---------------------------------------------------------------------------
// r || s <-> DER ECDSA-Sig-Value.

bool IsZero(const uint8_t* v) {
  uint8_t acc = 0;
  for (size_t i = 0; i < kScalarBytes; ++i) acc |= v[i];
  return acc == 0;
}

// Big-endian, equal length: memcmp order is numeric order.
int CompareScalar(const uint8_t* a, const Scalar& b) {
  return std::memcmp(a, b.data(), kScalarBytes);
}

// Checks a 64-byte r || s and converts it to the DER OpenSSL verifies.
// Rejecting r, s outside [1, n-1] and (with `require_low_s`) s > n/2 makes
// the accepted encoding of a signature unique.
Result<std::string> RsToDer(std::string_view sig, const CurveOrder& order, bool require_low_s,
                            const char* alg) {
  if (sig.size() != kRsSignatureBytes) {
    return VerificationFailedError(std::string(alg) + " signature must be 64 bytes (r||s), got " +
                                   std::to_string(sig.size()));
  }
  const uint8_t* r = reinterpret_cast<const uint8_t*>(sig.data());
  const uint8_t* s = r + kScalarBytes;
  if (IsZero(r) || CompareScalar(r, order.n) >= 0) {
    return VerificationFailedError(std::string(alg) + " signature r is out of range [1, n-1]");
  }
  if (IsZero(s) || CompareScalar(s, order.n) >= 0) {
    return VerificationFailedError(std::string(alg) + " signature s is out of range [1, n-1]");
  }
  if (require_low_s && CompareScalar(s, order.half_n) > 0) {
    return VerificationFailedError(std::string(alg) +
                                   " signature has a high S value (s > n/2); only low-S "
                                   "signatures are accepted");
  }
  UniqueEcdsaSig ecdsa_sig(ECDSA_SIG_new());
  UniqueBignum br(BN_bin2bn(r, kScalarBytes, nullptr));
  UniqueBignum bs(BN_bin2bn(s, kScalarBytes, nullptr));
  if (ecdsa_sig == nullptr || br == nullptr || bs == nullptr ||
      ECDSA_SIG_set0(ecdsa_sig.get(), br.get(), bs.get()) != 1) {
    return InternalError("building ECDSA_SIG failed: " + TakeOpenSslErrors());
  }
  br.release();  // Owned by ecdsa_sig now.
  bs.release();
  int len = i2d_ECDSA_SIG(ecdsa_sig.get(), nullptr);
  if (len <= 0) return InternalError("encoding ECDSA_SIG failed: " + TakeOpenSslErrors());
  std::string der(static_cast<size_t>(len), '\0');
  unsigned char* p = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(ecdsa_sig.get(), &p) != len) {
    return InternalError("encoding ECDSA_SIG failed: " + TakeOpenSslErrors());
  }
  return der;
}

// Converts OpenSSL's DER signature to r || s, replacing s by n - s when
// `make_low_s` and s > n/2 (both are valid; only the low one is emitted).
Result<std::string> DerToRs(const unsigned char* der, size_t der_len, const CurveOrder& order,
                            bool make_low_s) {
  const unsigned char* p = der;
  UniqueEcdsaSig ecdsa_sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len)));  // NOLINT
  if (ecdsa_sig == nullptr) {
    return InternalError("OpenSSL produced an unparsable signature: " + TakeOpenSslErrors());
  }
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(ecdsa_sig.get(), &r, &s);
  UniqueBignum low_s;
  if (make_low_s) {
    UniqueBignum n(BN_bin2bn(order.n.data(), kScalarBytes, nullptr));
    UniqueBignum half_n(BN_bin2bn(order.half_n.data(), kScalarBytes, nullptr));
    if (n == nullptr || half_n == nullptr) {
      return InternalError("BN_bin2bn failed: " + TakeOpenSslErrors());
    }
    if (BN_cmp(s, half_n.get()) > 0) {
      low_s.reset(BN_new());
      if (low_s == nullptr || BN_sub(low_s.get(), n.get(), s) != 1) {
        return InternalError("computing n - s failed: " + TakeOpenSslErrors());
      }
      s = low_s.get();
    }
  }
  std::string out(kRsSignatureBytes, '\0');
  unsigned char* o = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(r, o, kScalarBytes) != static_cast<int>(kScalarBytes) ||
      BN_bn2binpad(s, o + kScalarBytes, kScalarBytes) != static_cast<int>(kScalarBytes)) {
    return InternalError("signature scalar does not fit in 32 bytes");
  }
  return out;
}

// ---------------------------------------------------------------------------
// Algorithm parameters.

// The digest for EVP_Digest{Sign,Verify}Init: none for Ed25519 (it hashes
// internally), else the prefetched SHA-256 or SM3.
Result<const EVP_MD*> DigestFor(Algorithm alg) {
  switch (alg) {
    case Algorithm::kEd25519:
      return static_cast<const EVP_MD*>(nullptr);
    case Algorithm::kEcdsaP256Sha256:
      return Sha256Md();
    case Algorithm::kSm2Sm3:
      if (Sm3Md() == nullptr) {
        return InternalError("SM3 is not available in this OpenSSL build: " + TakeOpenSslErrors());
      }
      return Sm3Md();
  }
  return InvalidArgumentError("unknown algorithm " + std::to_string(static_cast<int>(alg)));
}

// Sets the SM2 distinguishing identifier on a context fresh from
// EVP_Digest{Sign,Verify}Init. OpenSSL 3.0 defaults to an empty identifier,
// which would make signatures incompatible with GM/T 0009 implementations.
bool SetSm2Id(EVP_PKEY_CTX* pctx) {
  return EVP_PKEY_CTX_set1_id(pctx, internal::kSm2DistinguishingId.data(),
                              internal::kSm2DistinguishingId.size()) == 1;
}

// ---------------------------------------------------------------------------

// One verifier per key. EVP_DigestVerifyInit looks the signature algorithm
// up by name in OpenSSL's method store (under a lock every thread shares) and
// builds a key context each time; here it runs once, into a template, and
// each verification copies the template. The template is never used itself,
// and never re-initialised: OpenSSL 3.0 keeps the old key when a used
// context is initialised again with another one, so a context belongs to
// exactly one key (tests/crypto/keys_test.cc checks A never verifies as B).
class VerifierImpl final : public Verifier {
 public:
  VerifierImpl(PublicKey key, UniqueEvpPkey pkey, const EVP_MD* md)
      : key_(std::move(key)), pkey_(std::move(pkey)), md_(md), template_(NewContext()) {
    ERR_clear_error();  // a failed template leaves errors; Verify then initialises each time
  }

  Status Verify(std::string_view message, std::string_view signature) const override {
    std::string der;  // ECDSA / SM2 signatures converted for OpenSSL.
    std::string_view sig = signature;
    switch (key_.algorithm()) {
      case Algorithm::kEd25519:
        if (signature.size() != kEd25519SignatureBytes) {
          return VerificationFailedError("Ed25519 signature must be 64 bytes, got " +
                                         std::to_string(signature.size()));
        }
        break;
      case Algorithm::kEcdsaP256Sha256: {
        ASSIGN_OR_RETURN(der, RsToDer(signature, kP256Order, /*require_low_s=*/true, "ECDSA"));
        sig = der;
        break;
      }
      case Algorithm::kSm2Sm3: {
        ASSIGN_OR_RETURN(der, RsToDer(signature, kSm2Order, /*require_low_s=*/false, "SM2"));
        sig = der;
        break;
      }
    }
    UniqueEvpMdCtx ctx;
    if (template_ != nullptr) {
      ctx.reset(EVP_MD_CTX_new());
      if (ctx != nullptr && EVP_MD_CTX_copy_ex(ctx.get(), template_.get()) != 1) ctx.reset();
    } else {
      ctx = NewContext();
    }
    if (ctx == nullptr) {
      return InternalError("initialising signature verification failed: " + TakeOpenSslErrors());
    }
    if (EVP_DigestVerify(ctx.get(), Bytes(sig), sig.size(), Bytes(message), message.size()) == 1) {
      return Status::Ok();
    }
    ERR_clear_error();
    return VerificationFailedError(std::string(AlgorithmName(key_.algorithm())) +
                                   " signature does not verify under key " + key_.KeyId());
  }

  const PublicKey& public_key() const noexcept override { return key_; }

 private:
  // A context initialised for verification with this key (nullptr on failure).
  UniqueEvpMdCtx NewContext() const {
    UniqueEvpMdCtx ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;  // Owned by ctx.
    if (ctx == nullptr || EVP_DigestVerifyInit(ctx.get(), &pctx, md_, nullptr, pkey_.get()) != 1 ||
        (key_.algorithm() == Algorithm::kSm2Sm3 && !SetSm2Id(pctx))) {
      return nullptr;
    }
    return ctx;
  }

  const PublicKey key_;
  const UniqueEvpPkey pkey_;  // Shared read-only by concurrent Verify calls.
  const EVP_MD* const md_;
  // Initialised once, only ever copied from (EVP_MD_CTX_copy_ex reads it):
  // safe to share between threads.
  const UniqueEvpMdCtx template_;
};

class SignerImpl final : public Signer {
 public:
  SignerImpl(PublicKey key, UniqueEvpPkey pkey, const EVP_MD* md)
      : key_(std::move(key)), pkey_(std::move(pkey)), md_(md) {}

  Result<std::string> Sign(std::string_view message) const override {
    const Algorithm alg = key_.algorithm();
    UniqueEvpMdCtx ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;  // Owned by ctx.
    if (ctx == nullptr || EVP_DigestSignInit(ctx.get(), &pctx, md_, nullptr, pkey_.get()) != 1 ||
        (alg == Algorithm::kSm2Sm3 && !SetSm2Id(pctx))) {
      return InternalError("initialising signing failed: " + TakeOpenSslErrors());
    }
    size_t max_len = 0;
    if (EVP_DigestSign(ctx.get(), nullptr, &max_len, Bytes(message), message.size()) != 1) {
      return InternalError("sizing signature failed: " + TakeOpenSslErrors());
    }
    std::string sig(max_len, '\0');
    size_t len = max_len;
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                       Bytes(message), message.size()) != 1) {
      return InternalError("signing failed: " + TakeOpenSslErrors());
    }
    sig.resize(len);
    switch (alg) {
      case Algorithm::kEd25519:
        if (sig.size() != kEd25519SignatureBytes) {
          return InternalError("Ed25519 signature has " + std::to_string(sig.size()) + " bytes");
        }
        return sig;
      case Algorithm::kEcdsaP256Sha256:
        return DerToRs(Bytes(sig), sig.size(), kP256Order, /*make_low_s=*/true);
      case Algorithm::kSm2Sm3:
        return DerToRs(Bytes(sig), sig.size(), kSm2Order, /*make_low_s=*/false);
    }
    return InternalError("unknown algorithm");
  }

  const PublicKey& public_key() const noexcept override { return key_; }

  Result<SecretBytes> ExportPrivateKeyPemSecret() const override {
    // A secure-memory BIO: its buffer is cleansed when freed.
    UniqueBio bio(BIO_new(BIO_s_secmem()));
    if (bio == nullptr || PEM_write_bio_PrivateKey(bio.get(), pkey_.get(), nullptr, nullptr, 0,
                                                   nullptr, nullptr) != 1) {
      return InternalError("encoding private key as PKCS#8 PEM failed: " + TakeOpenSslErrors());
    }
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);  // NOLINT(runtime/int)
    if (len <= 0 || data == nullptr) return InternalError("PKCS#8 PEM encoding is empty");
    return MakeSecretBytes(std::string_view(data, static_cast<size_t>(len)));
  }

  // The 32-byte RFC 8032 secret key of an Ed25519 signer.
  Result<SecretBytes> RawEd25519Secret() const {
    SecretBytes seed(32);
    size_t len = seed.size();
    if (EVP_PKEY_get_raw_private_key(pkey_.get(), reinterpret_cast<unsigned char*>(seed.data()),
                                     &len) != 1 ||
        len != seed.size()) {
      return InternalError("reading the Ed25519 secret key failed: " + TakeOpenSslErrors());
    }
    return seed;
  }

 private:
  const PublicKey key_;
  const UniqueEvpPkey pkey_;
  const EVP_MD* const md_;
};

// Wraps a private key of any supported algorithm. Checks that the public half
// matches the private half, so a doctored PKCS#8 file cannot make us
// advertise a public key our signatures do not verify under.
Result<std::unique_ptr<Signer>> MakeSigner(UniqueEvpPkey pkey) {
  ASSIGN_OR_RETURN(Algorithm alg, DetectAlgorithm(pkey.get()));
  UniqueEvpPkeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (check == nullptr)
    return InternalError("EVP_PKEY_CTX_new_from_pkey failed: " + TakeOpenSslErrors());
  if (EVP_PKEY_pairwise_check(check.get()) != 1) {
    return InvalidArgumentError(std::string(AlgorithmName(alg)) +
                                " private key is inconsistent (public and private halves do not "
                                "match): " +
                                TakeOpenSslErrors());
  }
  ASSIGN_OR_RETURN(std::string spki, EncodeSpki(pkey.get()));
  ASSIGN_OR_RETURN(PublicKey public_key, PublicKey::FromDer(spki));
  ASSIGN_OR_RETURN(const EVP_MD* md, DigestFor(alg));
  ERR_clear_error();
  return std::unique_ptr<Signer>(
      std::make_unique<SignerImpl>(std::move(public_key), std::move(pkey), md));
}

Result<UniqueEvpPkey> GenerateKey(Algorithm alg) {
  UniqueEvpPkey pkey;
  switch (alg) {
    case Algorithm::kEd25519:
      pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
      break;
    case Algorithm::kEcdsaP256Sha256:
      pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
      break;
    case Algorithm::kSm2Sm3: {
      // Key type "SM2", not "EC" on curve SM2: only the former signs with SM2.
      UniqueEvpPkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "SM2", nullptr));
      EVP_PKEY* raw = nullptr;
      if (ctx != nullptr && EVP_PKEY_keygen_init(ctx.get()) == 1 &&
          EVP_PKEY_generate(ctx.get(), &raw) == 1) {
        pkey.reset(raw);
      }
      break;
    }
    default:
      return InvalidArgumentError("unknown algorithm " + std::to_string(static_cast<int>(alg)));
  }
  if (pkey == nullptr) {
    return InternalError(std::string("generating ") + AlgorithmName(alg) +
                         " key failed: " + TakeOpenSslErrors());
  }
  return pkey;
}

}  // namespace

// ---------------------------------------------------------------------------

const char* AlgorithmName(Algorithm alg) noexcept {
  switch (alg) {
    case Algorithm::kEd25519:
      return "ed25519";
    case Algorithm::kEcdsaP256Sha256:
      return "ecdsa-p256";
    case Algorithm::kSm2Sm3:
      return "sm2";
  }
  return "unknown";
}

Result<Algorithm> ParseAlgorithm(std::string_view name) {
  for (Algorithm alg : {Algorithm::kEd25519, Algorithm::kEcdsaP256Sha256, Algorithm::kSm2Sm3}) {
    if (name == AlgorithmName(alg)) return alg;
  }
  return InvalidArgumentError("unknown algorithm \"" + std::string(name) +
                              "\"; expected ed25519, ecdsa-p256 or sm2");
}

Result<PublicKey> PublicKey::FromDer(std::string_view spki_der) {
  ASSIGN_OR_RETURN(ParsedPublicKey parsed, ParseSpki(spki_der));
  return PublicKey(parsed.algorithm, std::string(spki_der));
}

Result<PublicKey> PublicKey::FromPem(std::string_view pem) {
  ASSIGN_OR_RETURN(PemBlock block, ReadPemBlock(pem, "PUBLIC KEY", "public key"));
  return FromDer(block.view());
}

Result<PublicKey> PublicKey::ReadFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string pem, internal::ReadSmallFile(path, "public key", kMaxKeyFileBytes));
  Result<PublicKey> key = FromPem(pem);
  if (!key.ok()) return key.status().Annotate(path);
  return key;
}

std::string PublicKey::KeyId() const { return HashToHex(Sha256(der_)).substr(0, 16); }

std::string PublicKey::ToPem() const {
  const std::string b64 = internal::Base64Encode(der_);
  std::string out = "-----BEGIN PUBLIC KEY-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) {
    out.append(b64, i, 64);
    out += '\n';
  }
  out += "-----END PUBLIC KEY-----\n";
  return out;
}

Result<std::string> PublicKey::RawEd25519() const {
  if (algorithm_ != Algorithm::kEd25519) {
    return FailedPreconditionError(std::string("raw public key is only defined for ed25519, this "
                                               "key is ") +
                                   AlgorithmName(algorithm_));
  }
  // A canonical Ed25519 SPKI is a fixed 12-byte prefix and the raw key.
  return der_.substr(der_.size() - kEd25519PublicKeyBytes);
}

Status PublicKey::WriteFile(const std::string& path) const {
  return WriteNewFile(path, ToPem(), 0644, "public key");
}

Result<std::unique_ptr<Verifier>> Verifier::New(const PublicKey& key) {
  Result<ParsedPublicKey> parsed = ParseSpki(key.der());
  if (!parsed.ok()) return parsed.status();
  if (parsed->algorithm != key.algorithm()) {
    return InvalidArgumentError("public key algorithm does not match its DER");
  }
  ASSIGN_OR_RETURN(const EVP_MD* md, DigestFor(key.algorithm()));
  return std::unique_ptr<Verifier>(
      std::make_unique<VerifierImpl>(key, std::move(parsed->pkey), md));
}

Result<std::unique_ptr<Signer>> Signer::Generate(Algorithm alg) {
  ASSIGN_OR_RETURN(UniqueEvpPkey pkey, GenerateKey(alg));
  return MakeSigner(std::move(pkey));
}

Result<std::unique_ptr<Signer>> Signer::FromPrivateKeyPemSecret(std::string_view pem) {
  ASSIGN_OR_RETURN(SecretBytes der, ReadSecretPemBlock(pem, "PRIVATE KEY", "private key"));
  const unsigned char* const begin = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* p = begin;
  UniqueEvpPkey pkey(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size())));  // NOLINT
  if (pkey == nullptr) {
    return InvalidArgumentError("private key is not a PKCS#8 PrivateKeyInfo: " +
                                TakeOpenSslErrors());
  }
  if (static_cast<size_t>(p - begin) != der.size()) {
    return InvalidArgumentError("private key DER has trailing bytes after the PrivateKeyInfo");
  }
  return MakeSigner(std::move(pkey));
}

Result<std::unique_ptr<Signer>> Signer::LoadPrivateKeyFile(const std::string& path) {
  ASSIGN_OR_RETURN(SecretBytes pem, internal::ReadSecretFile(path, "private key", kMaxKeyFileBytes));
  Result<std::unique_ptr<Signer>> signer = FromPrivateKeyPemSecret(SecretView(pem));
  if (!signer.ok()) return signer.status().Annotate(path);
  return signer;
}

Status Signer::WritePrivateKeyFile(const std::string& path) const {
  ASSIGN_OR_RETURN(SecretBytes pem, ExportPrivateKeyPemSecret());
  return WriteNewFile(path, SecretView(pem), 0600, "private key");
}

namespace internal {

Result<std::unique_ptr<Signer>> Ed25519SignerFromSeedForTest(std::string_view seed) {
  return Ed25519SignerFromSeedSecret(seed);
}

Result<std::unique_ptr<Signer>> Ed25519SignerFromSeedSecret(std::string_view seed) {
  if (seed.size() != 32) {
    return InvalidArgumentError("Ed25519 secret key must be 32 bytes, got " +
                                std::to_string(seed.size()));
  }
  UniqueEvpPkey pkey(
      EVP_PKEY_new_raw_private_key_ex(nullptr, "ED25519", nullptr, Bytes(seed), seed.size()));
  if (pkey == nullptr) {
    return InternalError("EVP_PKEY_new_raw_private_key_ex failed: " + TakeOpenSslErrors());
  }
  return MakeSigner(std::move(pkey));
}

Result<SecretBytes> Ed25519SeedSecret(const Signer& signer) {
  if (signer.public_key().algorithm() != Algorithm::kEd25519) {
    return FailedPreconditionError(std::string("a signed-note key must be ed25519, this key is ") +
                                   AlgorithmName(signer.public_key().algorithm()));
  }
  // Straight from the key OpenSSL holds: no PEM or DER copy is made.
  const auto* impl = dynamic_cast<const SignerImpl*>(&signer);
  if (impl == nullptr) {
    return FailedPreconditionError("the signer's key is not held by retrace (a Signer subclass "
                                   "defined elsewhere); its raw key cannot be read");
  }
  return impl->RawEd25519Secret();
}

Status WriteNewFile(const std::string& path, std::string_view data, unsigned mode,
                    const char* what) {
  return ::retrace::WriteNewFile(path, data, static_cast<mode_t>(mode), what);
}

Result<std::string> ReadSmallFile(const std::string& path, const char* what,
                                  std::size_t max_bytes) {
  std::string buf(max_bytes + 1, '\0');
  ASSIGN_OR_RETURN(size_t len, ReadFileInto(path, what, /*private_key=*/false, buf.data(),
                                            buf.size()));
  buf.resize(len);
  return buf;
}

Result<SecretBytes> ReadSecretFile(const std::string& path, const char* what,
                                   std::size_t max_bytes) {
  SecretBytes buf(max_bytes + 1);
  ASSIGN_OR_RETURN(size_t len, ReadFileInto(path, what, /*private_key=*/true, buf.data(),
                                            buf.size()));
  buf.resize(len);
  return buf;
}

}  // namespace internal
}  // namespace retrace
