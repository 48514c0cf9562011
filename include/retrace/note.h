// C2SP signed notes (https://c2sp.org/signed-note): text signed by one or
// more named keys, the envelope of checkpoints and witness cosignatures.
//
//   <text, ending in a newline>
//   <blank line>
//   — <key name> <base64(4-byte key ID || signature)>
//   — ...
//
// The dash is U+2014 (UTF-8 E2 80 94). A note is valid UTF-8 without ASCII
// control characters other than newline; the text is everything before the
// last blank line, including its final newline.
//
// Keys are Ed25519 and come in two signature types (the type byte is part of
// the key ID and of the encoded key):
//   0x01 kEd25519        Ed25519 over the note text (logs sign checkpoints so)
//   0x04 kCosignatureV1  c2sp.org/tlog-cosignature: Ed25519 over
//                        "cosignature/v1\ntime <T>\n" || text, the signature
//                        being an 8-byte big-endian timestamp T || Ed25519 sig
//   key ID = SHA-256(name || 0x0A || type || 32-byte public key)[:4]
//
// Encoded keys, as Go's golang.org/x/mod/sumdb/note writes them:
//   verifier key  <name>+<key ID, 8 lower-case hex>+<base64(type || public key)>
//   signer key    PRIVATE+KEY+<name>+<key ID>+<base64(type || 32-byte seed)>
//
// Verification follows the spec: signatures by unknown keys (name and key ID
// not both matching a known key) are ignored; a signature by a known key that
// does not verify rejects the whole note; at least one known key must have
// signed. docs/transparency.md shows every format with an example.
//
// Error convention: input that does not follow the format is
// kInvalidArgument ("malformed"); a well-formed note whose signatures do not
// verify is kVerificationFailed ("mismatch").
//
// Thread safety: NoteVerifier is an immutable value; NoteSigner is immutable
// after construction. Both may be used from many threads at once.
#ifndef RETRACE_NOTE_H_
#define RETRACE_NOTE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "retrace/export.h"
#include "retrace/secret.h"
#include "retrace/signer.h"
#include "retrace/status.h"

namespace retrace {

// Signed-note signature type identifier bytes (c2sp.org/signed-note).
enum class NoteKeyType : std::uint8_t {
  kEd25519 = 0x01,
  kCosignatureV1 = 0x04,
};

// "ed25519" or "cosignature/v1".
RETRACE_EXPORT const char* NoteKeyTypeName(NoteKeyType type) noexcept;

// Limits applied when parsing (Go's note package uses the same signature cap).
inline constexpr std::size_t kMaxNoteBytes = std::size_t{1} << 20;
inline constexpr std::size_t kMaxNoteSignatures = 100;

// True if `name` can name a note key: non-empty, valid UTF-8, and free of
// '+', Unicode spaces and control characters.
RETRACE_EXPORT bool IsValidNoteKeyName(std::string_view name);

// SHA-256(name || 0x0A || type || public_key)[:4] as a big-endian integer.
RETRACE_EXPORT std::uint32_t NoteKeyId(std::string_view name, NoteKeyType type,
                                       std::string_view public_key);

// One signature line of a note, not yet verified.
struct NoteSignature {
  std::string name;
  std::uint32_t key_id = 0;
  std::string signature;  // the bytes after the key ID

  // "— <name> <base64(key ID || signature)>\n"
  RETRACE_EXPORT std::string ToLine() const;
};

// A signed note split into its parts. Parsing checks the syntax only.
struct Note {
  std::string text;                       // ends in '\n'
  std::vector<NoteSignature> signatures;  // in the order they appear
};

// Splits a signed note. kInvalidArgument (naming the problem) if it is not
// UTF-8, holds a control character other than newline, is larger than
// kMaxNoteBytes, has no blank line before the signatures, a signature line
// that is not "— name base64" with a valid key name and at least 5 decoded
// bytes, or more than kMaxNoteSignatures signatures.
RETRACE_EXPORT Result<Note> ParseNote(std::string_view message);

// text || "\n" || one line per signature. The inverse of ParseNote.
RETRACE_EXPORT std::string FormatNote(const Note& note);

// A public key that checks one key's note signatures.
class RETRACE_EXPORT NoteVerifier {
 public:
  // Parses an encoded verifier key "<name>+<hex8>+<base64(type || key)>".
  // kInvalidArgument if it is malformed, of an unknown type, or its key ID is
  // not the one the name, type and key give.
  static Result<NoteVerifier> Parse(std::string_view verifier_key);
  // A verifier for an Ed25519 key given as 32 raw bytes.
  static Result<NoteVerifier> FromRawEd25519(std::string_view name, NoteKeyType type,
                                             std::string_view raw_public_key);
  // From a retrace public key (PEM/DER); kInvalidArgument unless Ed25519.
  static Result<NoteVerifier> FromPublicKey(std::string_view name, NoteKeyType type,
                                            const PublicKey& key);

  // The same key as another signature type (key ID recomputed). Witnesses
  // that publish a 0x01 key can be trusted as cosigners this way, as
  // transparency-dev/formats does.
  NoteVerifier WithType(NoteKeyType type) const;

  const std::string& name() const noexcept { return name_; }
  std::uint32_t key_id() const noexcept { return key_id_; }
  NoteKeyType type() const noexcept { return type_; }
  // The 32-byte Ed25519 public key.
  const std::string& raw_public_key() const noexcept { return raw_; }
  // The encoded verifier key (what Parse reads).
  std::string ToString() const;

  // Checks `signature` (the bytes after the key ID) over note text `text`.
  // For kCosignatureV1, strips and returns the timestamp it covers through
  // `timestamp` (if not null). kVerificationFailed if it does not verify
  // (including a signature of the wrong length).
  Status Verify(std::string_view text, std::string_view signature,
                std::uint64_t* timestamp = nullptr) const;

 private:
  NoteVerifier() = default;
  std::string name_;
  std::uint32_t key_id_ = 0;
  NoteKeyType type_ = NoteKeyType::kEd25519;
  std::string raw_;
  std::shared_ptr<const Verifier> verifier_;
};

// Signs notes with one Ed25519 key under one name and signature type.
class RETRACE_EXPORT NoteSigner {
 public:
  ~NoteSigner();
  NoteSigner(const NoteSigner&) = delete;
  NoteSigner& operator=(const NoteSigner&) = delete;

  // A fresh key. kInvalidArgument for an invalid name.
  static Result<std::unique_ptr<NoteSigner>> Generate(std::string_view name, NoteKeyType type);
  // Parses an encoded signer key "PRIVATE+KEY+<name>+<hex8>+<base64(type ||
  // seed)>" (type 0x01 or 0x04) and checks its key ID. With `as_type`, the
  // signer signs as that type instead (a witness may cosign with a key
  // generated by Go's note.GenerateKey). kInvalidArgument if malformed or the
  // key ID does not match.
  // Every copy of the key this makes is wiped; `signer_key` itself is the
  // caller's to wipe (keep it in a SecretBytes).
  static Result<std::unique_ptr<NoteSigner>> FromSignerKeySecret(
      std::string_view signer_key, std::optional<NoteKeyType> as_type = std::nullopt);
  static Result<std::unique_ptr<NoteSigner>> FromSignerKeySecret(
      const SecretBytes& signer_key, std::optional<NoteKeyType> as_type = std::nullopt) {
    return FromSignerKeySecret(SecretView(signer_key), as_type);
  }
  // Reads a signer key file (one line, as WriteSignerKeyFile writes it).
  // Refuses, with kFailedPrecondition, a file group or others may access;
  // kNotFound, kIoError, kInvalidArgument otherwise.
  static Result<std::unique_ptr<NoteSigner>> LoadSignerKeyFile(
      const std::string& path, std::optional<NoteKeyType> as_type = std::nullopt);

  const std::string& name() const noexcept { return verifier_.name(); }
  std::uint32_t key_id() const noexcept { return verifier_.key_id(); }
  NoteKeyType type() const noexcept { return verifier_.type(); }
  const NoteVerifier& verifier() const noexcept { return verifier_; }

  // The encoded signer key, in memory wiped when it is freed. Read it with
  // SecretView and do not copy it into a std::string.
  Result<SecretBytes> SignerKeySecret() const;
  // Writes SignerKeySecret() and a newline to a new file with mode 0600
  // (kAlreadyExists if it exists; nothing is overwritten).
  Status WriteSignerKeyFile(const std::string& path) const;

  // The signature bytes (without the key ID) over note text `text`.
  // kCosignatureV1 signs at `timestamp` (POSIX seconds; default: now) and
  // prefixes it; kEd25519 ignores `timestamp`. kInvalidArgument if `text`
  // does not end in a newline or the timestamp exceeds 2^63 - 1.
  Result<std::string> Sign(std::string_view text,
                           std::optional<std::uint64_t> timestamp = std::nullopt) const;

 private:
  NoteSigner(NoteVerifier verifier, std::unique_ptr<Signer> signer);
  NoteVerifier verifier_;
  std::unique_ptr<Signer> signer_;
};

// Signs `text` (which must end in a newline and be valid note text) with
// every signer, in order: text, blank line, one signature line each.
RETRACE_EXPORT Result<std::string> SignNote(std::string_view text,
                                            const std::vector<const NoteSigner*>& signers,
                                            std::optional<std::uint64_t> timestamp = std::nullopt);

// Adds signatures to a signed note, as Go's note.Sign does: the existing
// signature lines stay in order, except one by the same name and key ID as
// a new signer, which is replaced; the new ones follow. The existing
// signatures are not verified. kInvalidArgument if `message` is malformed.
RETRACE_EXPORT Result<std::string> AddNoteSignatures(
    std::string_view message, const std::vector<const NoteSigner*>& signers,
    std::optional<std::uint64_t> timestamp = std::nullopt);

// A signature that verified under a known key.
struct VerifiedNoteSignature {
  std::string name;
  std::uint32_t key_id = 0;
  NoteKeyType type = NoteKeyType::kEd25519;
  std::optional<std::uint64_t> timestamp;  // cosignatures only
  std::string line;                        // the signature line, exactly
};

struct OpenedNote {
  std::string text;
  std::vector<VerifiedNoteSignature> verified;  // one per known key, in note order
  std::vector<NoteSignature> unknown;           // by keys not in `known`, ignored
};

// Parses `message` and verifies every signature by a key in `known`
// (matched on name and key ID). Returns the text and the verified and
// ignored signatures. Errors:
//   kInvalidArgument     malformed note, or two known keys share a name and ID
//   kVerificationFailed  a known key's signature does not verify (the whole
//                        note is rejected), or no known key signed the note
RETRACE_EXPORT Result<OpenedNote> OpenNote(std::string_view message,
                                           const std::vector<NoteVerifier>& known);

}  // namespace retrace

#endif  // RETRACE_NOTE_H_
