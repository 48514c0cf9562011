// Keys, signing and signature verification (OpenSSL 3 EVP underneath).
//
// Three algorithms are offered; the algorithm is recorded with every key:
//   - Ed25519 (RFC 8032): 64-byte signatures.
//   - ECDSA over NIST P-256 with SHA-256: signatures are the fixed 64-byte
//     IEEE P1363 form r || s (big-endian, 32 bytes each), always low-S
//     (s <= n/2). Verification rejects high-S and DER-encoded signatures, so
//     a signature cannot be altered into another valid one.
//   - SM2 with SM3 (GB/T 32918, GB/T 32905), distinguishing identifier
//     "1234567812345678" (the GM/T 0009 default): signatures are r || s,
//     64 bytes.
//
// Public keys travel as DER SubjectPublicKeyInfo (SPKI) or PEM. A key id is
// the first 16 hex digits of SHA-256(SPKI DER).
//
// Secret material: private keys are reachable only through the explicitly
// named *Secret functions and the private key file functions, and leave the
// library only as SecretBytes (retrace/secret.h), wiped when freed. Key files
// are created with mode 0600; LoadPrivateKeyFile refuses a file that group or
// others may read.
//
// Thread safety: PublicKey is a value. Signer and Verifier are immutable
// after construction; all their const methods may be called concurrently.
#ifndef RETRACE_SIGNER_H_
#define RETRACE_SIGNER_H_

#include <memory>
#include <string>
#include <string_view>

#include "retrace/export.h"
#include "retrace/secret.h"
#include "retrace/status.h"

namespace retrace {

enum class Algorithm : int {
  kEd25519 = 1,
  kEcdsaP256Sha256 = 2,
  kSm2Sm3 = 3,
};

// "ed25519", "ecdsa-p256", "sm2".
RETRACE_EXPORT const char* AlgorithmName(Algorithm alg) noexcept;
// Inverse of AlgorithmName. kInvalidArgument for anything else.
RETRACE_EXPORT Result<Algorithm> ParseAlgorithm(std::string_view name);

class RETRACE_EXPORT PublicKey {
 public:
  // Parses DER SubjectPublicKeyInfo and detects the algorithm. kInvalidArgument
  // if it does not parse or is not one of the three algorithms (an EC key on
  // another curve is refused). So that one key has exactly one KeyId, the DER
  // must be canonical (no trailing bytes, re-encodes to the same bytes) and an
  // EC key must name its curve and use an uncompressed point.
  static Result<PublicKey> FromDer(std::string_view spki_der);
  // Same, from a "-----BEGIN PUBLIC KEY-----" PEM block.
  static Result<PublicKey> FromPem(std::string_view pem);
  // Reads a PEM public key file. kNotFound / kIoError / kInvalidArgument.
  static Result<PublicKey> ReadFile(const std::string& path);

  Algorithm algorithm() const noexcept { return algorithm_; }
  // DER SubjectPublicKeyInfo, exactly as parsed or generated.
  const std::string& der() const noexcept { return der_; }
  // First 16 lower-case hex digits of SHA-256(der()).
  std::string KeyId() const;
  // PEM "PUBLIC KEY" block, ending in a newline.
  std::string ToPem() const;
  // For Ed25519 only: the raw 32-byte public key (signed notes need it).
  // kFailedPrecondition for other algorithms.
  Result<std::string> RawEd25519() const;
  // Writes ToPem() to `path` (mode 0644). Fails if the file exists.
  Status WriteFile(const std::string& path) const;

  friend bool operator==(const PublicKey& a, const PublicKey& b) {
    return a.algorithm_ == b.algorithm_ && a.der_ == b.der_;
  }

 private:
  PublicKey(Algorithm alg, std::string der) : algorithm_(alg), der_(std::move(der)) {}
  Algorithm algorithm_;
  std::string der_;
};

// Checks signatures made by one public key. Create once per key and reuse:
// construction parses the key; Verify is then cheap and thread-safe. (A
// signature primitive, beside Signer; retrace/verifier.h holds the reports
// of ledger verification, VerifyReport and AuditReport.)
class RETRACE_EXPORT Verifier {
 public:
  virtual ~Verifier() = default;

  // kInvalidArgument if the key cannot be loaded.
  static Result<std::unique_ptr<Verifier>> New(const PublicKey& key);

  // OK if `signature` is a valid signature of `message` under this key;
  // kVerificationFailed otherwise (including a malformed signature).
  virtual Status Verify(std::string_view message, std::string_view signature) const = 0;

  virtual const PublicKey& public_key() const noexcept = 0;
};

// Signs with one private key. The private key is wiped from memory when the
// Signer is destroyed (OpenSSL frees it with OPENSSL_cleanse).
class RETRACE_EXPORT Signer {
 public:
  virtual ~Signer() = default;

  // A fresh key pair from OpenSSL's CSPRNG.
  static Result<std::unique_ptr<Signer>> Generate(Algorithm alg);
  // From a PKCS#8 "PRIVATE KEY" PEM block (unencrypted). kInvalidArgument if
  // it does not parse or is of an unsupported algorithm. Every copy of the
  // key this makes is wiped; `pem` itself is the caller's to wipe (keep it in
  // a SecretBytes).
  static Result<std::unique_ptr<Signer>> FromPrivateKeyPemSecret(std::string_view pem);
  static Result<std::unique_ptr<Signer>> FromPrivateKeyPemSecret(const SecretBytes& pem) {
    return FromPrivateKeyPemSecret(SecretView(pem));
  }
  // Reads a private key file written by WritePrivateKeyFile. Refuses (with
  // kFailedPrecondition, naming the path and the chmod that fixes it) a file
  // with any group or other permission bit set (mode & 077). kNotFound if it
  // does not exist, kIoError if it cannot be read, kInvalidArgument if it is
  // not a regular file, is over 64 KiB or does not parse.
  static Result<std::unique_ptr<Signer>> LoadPrivateKeyFile(const std::string& path);

  // Signs `message`. Ed25519 is deterministic; ECDSA and SM2 use fresh
  // randomness per signature. kInternal only if OpenSSL fails.
  virtual Result<std::string> Sign(std::string_view message) const = 0;

  virtual const PublicKey& public_key() const noexcept = 0;

  // The PKCS#8 PEM of the private key, in memory wiped when it is freed.
  // Read it with SecretView and do not copy it into a std::string.
  virtual Result<SecretBytes> ExportPrivateKeyPemSecret() const = 0;

  // Writes the private key as PKCS#8 PEM to a new file created with mode
  // 0600 (O_EXCL: kAlreadyExists if the file exists, nothing overwritten).
  Status WritePrivateKeyFile(const std::string& path) const;
};

}  // namespace retrace

#endif  // RETRACE_SIGNER_H_
