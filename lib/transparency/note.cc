// C2SP signed notes (docs/transparency.md, "Signed notes").
//
// The parser mirrors golang.org/x/mod/sumdb/note's Open, so that any note Go
// accepts with canonical base64 we accept too, with two deliberate
// differences that only make us stricter: base64 must be canonical (unused
// bits zero), and every signature by a known key is verified, including a
// repeated one Go would skip.
#include "retrace/note.h"

#include <algorithm>
#include <ctime>
#include <limits>
#include <set>
#include <utility>

#include "crypto/keys_internal.h"
#include "crypto/sha256.h"
#include "retrace/secret.h"
#include "transparency/text.h"
#include "util/hex.h"
#include "util/status_macros.h"

namespace retrace {
namespace {

using internal::Base64Decode;
using internal::Base64Encode;

constexpr std::size_t kEd25519PublicKeyBytes = 32;
constexpr std::size_t kEd25519SignatureBytes = 64;
constexpr std::size_t kTimestampBytes = 8;
constexpr char kSignaturePrefix[] = "\xE2\x80\x94 ";  // U+2014 EM DASH, space
constexpr std::size_t kSignaturePrefixBytes = 4;
constexpr char kCosignatureHeader[] = "cosignature/v1\n";
// A fixed 12-byte SubjectPublicKeyInfo prefix (RFC 8410) and the raw key.
constexpr char kEd25519SpkiPrefix[] = "\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00";
constexpr std::size_t kEd25519SpkiPrefixBytes = 12;

bool KnownType(std::uint8_t t) {
  return t == static_cast<std::uint8_t>(NoteKeyType::kEd25519) ||
         t == static_cast<std::uint8_t>(NoteKeyType::kCosignatureV1);
}

std::string Hex8(std::uint32_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(8, '0');
  for (int i = 7; i >= 0; --i, v >>= 4) out[i] = kDigits[v & 15];
  return out;
}

// Exactly 8 hex digits (either case, as Go's ParseUint accepts).
std::optional<std::uint32_t> ParseHex8(std::string_view s) {
  if (s.size() != 8) return std::nullopt;
  std::uint32_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return std::nullopt;
    }
    v = (v << 4) | static_cast<std::uint32_t>(d);
  }
  return v;
}

std::string BigEndian32(std::uint32_t v) {
  std::string out(4, '\0');
  for (int i = 3; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
  return out;
}

std::string BigEndian64(std::uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
  return out;
}

std::uint64_t ReadBigEndian(std::string_view b) {
  std::uint64_t v = 0;
  for (unsigned char c : b) v = (v << 8) | c;
  return v;
}

// Splits `s` at the first `sep`: (before, after); after is empty if absent.
std::pair<std::string_view, std::string_view> Chop(std::string_view s, char sep) {
  std::size_t i = s.find(sep);
  if (i == std::string_view::npos) return {s, {}};
  return {s.substr(0, i), s.substr(i + 1)};
}

std::string CosignedMessage(std::string_view text, std::uint64_t timestamp) {
  std::string msg = kCosignatureHeader;
  msg += "time " + std::to_string(timestamp) + "\n";
  msg.append(text);
  return msg;
}

Result<std::shared_ptr<const Verifier>> Ed25519Verifier(std::string_view raw) {
  if (raw.size() != kEd25519PublicKeyBytes) {
    return InvalidArgumentError("an Ed25519 public key is 32 bytes, got " +
                                std::to_string(raw.size()));
  }
  std::string der(kEd25519SpkiPrefix, kEd25519SpkiPrefixBytes);
  der.append(raw);
  ASSIGN_OR_RETURN(PublicKey key, PublicKey::FromDer(der));
  ASSIGN_OR_RETURN(std::unique_ptr<Verifier> v, Verifier::New(key));
  return std::shared_ptr<const Verifier>(std::move(v));
}

}  // namespace

const char* NoteKeyTypeName(NoteKeyType type) noexcept {
  switch (type) {
    case NoteKeyType::kEd25519:
      return "ed25519";
    case NoteKeyType::kCosignatureV1:
      return "cosignature/v1";
  }
  return "unknown";
}

bool IsValidNoteKeyName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size();) {
    std::optional<internal::Rune> r = internal::DecodeRune(name.substr(i));
    if (!r) return false;
    if (r->code_point == '+' || r->code_point < 0x20 || internal::IsUnicodeSpace(r->code_point)) {
      return false;
    }
    i += r->size;
  }
  return true;
}

std::uint32_t NoteKeyId(std::string_view name, NoteKeyType type, std::string_view public_key) {
  const char t = static_cast<char>(type);
  const Hash h = internal::Sha256Concat({name, "\n", std::string_view(&t, 1), public_key});
  return (std::uint32_t{h[0]} << 24) | (std::uint32_t{h[1]} << 16) | (std::uint32_t{h[2]} << 8) |
         std::uint32_t{h[3]};
}

std::string NoteSignature::ToLine() const {
  std::string line = kSignaturePrefix;
  line += name;
  line += ' ';
  line += Base64Encode(BigEndian32(key_id) + signature);
  line += '\n';
  return line;
}

Result<Note> ParseNote(std::string_view msg) {
  if (msg.size() > kMaxNoteBytes) {
    return InvalidArgumentError("malformed note: " + std::to_string(msg.size()) +
                                " bytes; the limit is " + std::to_string(kMaxNoteBytes));
  }
  RETURN_IF_ERROR(internal::CheckNoteCharacters(msg, "note"));
  const std::size_t split = msg.rfind("\n\n");
  if (split == std::string_view::npos) {
    return InvalidArgumentError(
        "malformed note: no blank line separates the text from the signatures");
  }
  Note note;
  note.text = std::string(msg.substr(0, split + 1));
  std::string_view sigs = msg.substr(split + 2);
  if (sigs.empty()) return InvalidArgumentError("malformed note: it has no signature lines");
  if (sigs.back() != '\n') {
    return InvalidArgumentError("malformed note: the last signature line does not end in a newline");
  }
  while (!sigs.empty()) {
    const std::size_t nl = sigs.find('\n');
    std::string_view line = sigs.substr(0, nl);
    sigs.remove_prefix(nl + 1);
    const std::string where = "malformed note: signature line " +
                              std::to_string(note.signatures.size() + 1);
    if (line.substr(0, kSignaturePrefixBytes) != std::string_view(kSignaturePrefix)) {
      return InvalidArgumentError(where + " does not start with an em dash (U+2014) and a space");
    }
    line.remove_prefix(kSignaturePrefixBytes);
    auto [name, b64] = Chop(line, ' ');
    if (!IsValidNoteKeyName(name)) return InvalidArgumentError(where + " has an invalid key name");
    if (b64.empty()) return InvalidArgumentError(where + " has no signature");
    Result<std::string> raw = Base64Decode(b64);
    if (!raw.ok()) return InvalidArgumentError(where + ": " + raw.status().message());
    if (raw->size() < 5) {
      return InvalidArgumentError(where + " holds " + std::to_string(raw->size()) +
                                  " bytes; a key ID and a signature need at least 5");
    }
    if (note.signatures.size() == kMaxNoteSignatures) {
      return InvalidArgumentError("malformed note: more than " +
                                  std::to_string(kMaxNoteSignatures) + " signatures");
    }
    NoteSignature sig;
    sig.name = std::string(name);
    sig.key_id = static_cast<std::uint32_t>(ReadBigEndian(std::string_view(*raw).substr(0, 4)));
    sig.signature = raw->substr(4);
    note.signatures.push_back(std::move(sig));
  }
  return note;
}

std::string FormatNote(const Note& note) {
  std::string out = note.text;
  out += '\n';
  for (const NoteSignature& s : note.signatures) out += s.ToLine();
  return out;
}

// ---------------------------------------------------------------------------

Result<NoteVerifier> NoteVerifier::Parse(std::string_view vkey) {
  auto [name, rest] = Chop(vkey, '+');
  auto [hash16, key64] = Chop(rest, '+');
  const std::string what = "malformed verifier key \"" + std::string(vkey) + "\"";
  if (!IsValidNoteKeyName(name)) return InvalidArgumentError(what + ": invalid key name");
  std::optional<std::uint32_t> id = ParseHex8(hash16);
  if (!id) return InvalidArgumentError(what + ": the key ID is not 8 hex digits");
  Result<std::string> key = Base64Decode(key64);
  if (!key.ok()) return InvalidArgumentError(what + ": " + key.status().message());
  if (key->empty()) return InvalidArgumentError(what + ": no key");
  const std::uint8_t type = static_cast<std::uint8_t>((*key)[0]);
  if (!KnownType(type)) {
    return InvalidArgumentError(what + ": unsupported signature type 0x" +
                                internal::HexEncode(key->substr(0, 1)) +
                                " (supported: 0x01 Ed25519, 0x04 Ed25519 cosignature/v1)");
  }
  ASSIGN_OR_RETURN(NoteVerifier v,
                   FromRawEd25519(name, static_cast<NoteKeyType>(type), key->substr(1)));
  if (v.key_id() != *id) {
    return InvalidArgumentError(what + ": its key ID " + std::string(hash16) +
                                " is not the ID of its name and key (" + Hex8(v.key_id()) + ")");
  }
  return v;
}

Result<NoteVerifier> NoteVerifier::FromRawEd25519(std::string_view name, NoteKeyType type,
                                                  std::string_view raw) {
  if (!IsValidNoteKeyName(name)) {
    return InvalidArgumentError("invalid note key name \"" + std::string(name) +
                                "\": it must be non-empty UTF-8 without spaces or '+'");
  }
  if (!KnownType(static_cast<std::uint8_t>(type))) {
    return InvalidArgumentError("unsupported note signature type");
  }
  NoteVerifier v;
  ASSIGN_OR_RETURN(v.verifier_, Ed25519Verifier(raw));
  v.name_ = std::string(name);
  v.type_ = type;
  v.raw_ = std::string(raw);
  v.key_id_ = NoteKeyId(name, type, raw);
  return v;
}

Result<NoteVerifier> NoteVerifier::FromPublicKey(std::string_view name, NoteKeyType type,
                                                 const PublicKey& key) {
  Result<std::string> raw = key.RawEd25519();
  if (!raw.ok()) return InvalidArgumentError("a note key must be Ed25519: " + raw.status().message());
  return FromRawEd25519(name, type, *raw);
}

NoteVerifier NoteVerifier::WithType(NoteKeyType type) const {
  NoteVerifier v = *this;
  v.type_ = type;
  v.key_id_ = NoteKeyId(name_, type, raw_);
  return v;
}

std::string NoteVerifier::ToString() const {
  const char t = static_cast<char>(type_);
  return name_ + "+" + Hex8(key_id_) + "+" + Base64Encode(std::string(1, t) + raw_);
}

Status NoteVerifier::Verify(std::string_view text, std::string_view sig,
                            std::uint64_t* timestamp) const {
  const std::string who = name_ + "+" + Hex8(key_id_);
  if (type_ == NoteKeyType::kEd25519) {
    if (sig.size() != kEd25519SignatureBytes) {
      return VerificationFailedError("the signature by " + who + " is " +
                                     std::to_string(sig.size()) + " bytes; Ed25519 needs 64");
    }
    if (!verifier_->Verify(text, sig).ok()) {
      return VerificationFailedError("the signature by " + who + " does not verify");
    }
    return Status::Ok();
  }
  if (sig.size() != kTimestampBytes + kEd25519SignatureBytes) {
    return VerificationFailedError("the cosignature by " + who + " is " +
                                   std::to_string(sig.size()) +
                                   " bytes; a timestamp and an Ed25519 signature need 72");
  }
  const std::uint64_t t = ReadBigEndian(sig.substr(0, kTimestampBytes));
  if (t > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return VerificationFailedError("the cosignature by " + who + " has a timestamp above 2^63-1");
  }
  if (!verifier_->Verify(CosignedMessage(text, t), sig.substr(kTimestampBytes)).ok()) {
    return VerificationFailedError("the cosignature by " + who + " does not verify");
  }
  if (timestamp != nullptr) *timestamp = t;
  return Status::Ok();
}

// ---------------------------------------------------------------------------

NoteSigner::NoteSigner(NoteVerifier verifier, std::unique_ptr<Signer> signer)
    : verifier_(std::move(verifier)), signer_(std::move(signer)) {}
NoteSigner::~NoteSigner() = default;

Result<std::unique_ptr<NoteSigner>> NoteSigner::Generate(std::string_view name, NoteKeyType type) {
  if (!IsValidNoteKeyName(name)) {
    return InvalidArgumentError("invalid note key name \"" + std::string(name) +
                                "\": it must be non-empty UTF-8 without spaces or '+'");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Signer> signer, Signer::Generate(Algorithm::kEd25519));
  ASSIGN_OR_RETURN(std::string raw, signer->public_key().RawEd25519());
  ASSIGN_OR_RETURN(NoteVerifier v, NoteVerifier::FromRawEd25519(name, type, raw));
  return std::unique_ptr<NoteSigner>(new NoteSigner(std::move(v), std::move(signer)));
}

Result<std::unique_ptr<NoteSigner>> NoteSigner::FromSignerKeySecret(
    std::string_view skey, std::optional<NoteKeyType> as_type) {
  auto [priv, r1] = Chop(skey, '+');
  auto [key, r2] = Chop(r1, '+');
  auto [name, r3] = Chop(r2, '+');
  auto [hash16, key64] = Chop(r3, '+');
  // Never echo the key: it is secret.
  if (priv != "PRIVATE" || key != "KEY") {
    return InvalidArgumentError("malformed signer key: it does not start with PRIVATE+KEY+");
  }
  if (!IsValidNoteKeyName(name)) return InvalidArgumentError("malformed signer key: invalid name");
  std::optional<std::uint32_t> id = ParseHex8(hash16);
  if (!id) return InvalidArgumentError("malformed signer key: the key ID is not 8 hex digits");
  // The type byte and the seed are decoded straight into wiped memory.
  SecretBytes secret(key64.size() / 4 * 3);
  std::size_t secret_len = 0;
  if (!internal::Base64DecodeTo(key64, secret.data(), &secret_len).ok()) {
    return InvalidArgumentError("malformed signer key: bad base64");
  }
  secret.resize(secret_len);
  if (secret.size() != 1 + 32 || !KnownType(static_cast<std::uint8_t>(secret[0]))) {
    return InvalidArgumentError(
        "malformed signer key: expected a type byte (0x01 or 0x04) and a 32-byte Ed25519 seed");
  }
  const NoteKeyType key_type = static_cast<NoteKeyType>(secret[0]);
  ASSIGN_OR_RETURN(std::unique_ptr<Signer> signer,
                   internal::Ed25519SignerFromSeedSecret(SecretView(secret).substr(1)));
  ASSIGN_OR_RETURN(std::string raw, signer->public_key().RawEd25519());
  if (NoteKeyId(name, key_type, raw) != *id) {
    return InvalidArgumentError("malformed signer key: its key ID " + std::string(hash16) +
                                " does not match its name and key");
  }
  ASSIGN_OR_RETURN(NoteVerifier v,
                   NoteVerifier::FromRawEd25519(name, as_type.value_or(key_type), raw));
  return std::unique_ptr<NoteSigner>(new NoteSigner(std::move(v), std::move(signer)));
}

Result<std::unique_ptr<NoteSigner>> NoteSigner::LoadSignerKeyFile(const std::string& path,
                                                                  std::optional<NoteKeyType> as_type) {
  ASSIGN_OR_RETURN(SecretBytes data, internal::ReadSecretFile(path, "signer key", 4096));
  std::string_view line = SecretView(data);
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  Result<std::unique_ptr<NoteSigner>> s = FromSignerKeySecret(line, as_type);
  if (!s.ok()) return s.status().Annotate(path);
  return s;
}

Result<SecretBytes> NoteSigner::SignerKeySecret() const {
  ASSIGN_OR_RETURN(SecretBytes seed, internal::Ed25519SeedSecret(*signer_));
  SecretBytes typed;
  typed.reserve(1 + seed.size());
  typed.push_back(static_cast<char>(type()));
  typed.insert(typed.end(), seed.begin(), seed.end());
  const std::string prefix = "PRIVATE+KEY+" + name() + "+" + Hex8(key_id()) + "+";
  SecretBytes skey(prefix.size() + internal::Base64EncodedSize(typed.size()));
  std::copy(prefix.begin(), prefix.end(), skey.begin());
  internal::Base64EncodeTo(SecretView(typed), skey.data() + prefix.size());
  return skey;
}

Status NoteSigner::WriteSignerKeyFile(const std::string& path) const {
  ASSIGN_OR_RETURN(SecretBytes skey, SignerKeySecret());
  skey.push_back('\n');
  return internal::WriteNewFile(path, SecretView(skey), 0600, "signer key");
}

Result<std::string> NoteSigner::Sign(std::string_view text,
                                     std::optional<std::uint64_t> timestamp) const {
  if (text.empty() || text.back() != '\n') {
    return InvalidArgumentError("note text must end in a newline");
  }
  if (type() == NoteKeyType::kEd25519) return signer_->Sign(text);
  const std::uint64_t t = timestamp.value_or(static_cast<std::uint64_t>(std::time(nullptr)));
  if (t > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return InvalidArgumentError("a cosignature timestamp must not exceed 2^63-1");
  }
  ASSIGN_OR_RETURN(std::string sig, signer_->Sign(CosignedMessage(text, t)));
  return BigEndian64(t) + sig;
}

// ---------------------------------------------------------------------------

namespace {

Result<std::vector<NoteSignature>> SignAll(std::string_view text,
                                           const std::vector<const NoteSigner*>& signers,
                                           std::optional<std::uint64_t> timestamp) {
  std::vector<NoteSignature> out;
  for (const NoteSigner* s : signers) {
    if (s == nullptr) return InvalidArgumentError("null note signer");
    ASSIGN_OR_RETURN(std::string sig, s->Sign(text, timestamp));
    out.push_back(NoteSignature{s->name(), s->key_id(), std::move(sig)});
  }
  return out;
}

}  // namespace

Result<std::string> SignNote(std::string_view text, const std::vector<const NoteSigner*>& signers,
                             std::optional<std::uint64_t> timestamp) {
  if (signers.empty()) return InvalidArgumentError("no signer given");
  if (text.empty() || text.back() != '\n') {
    return InvalidArgumentError("note text must end in a newline");
  }
  RETURN_IF_ERROR(internal::CheckNoteCharacters(text, "note text"));
  Note note;
  note.text = std::string(text);
  ASSIGN_OR_RETURN(note.signatures, SignAll(text, signers, timestamp));
  std::string out = FormatNote(note);
  // Never emit what we could not read back.
  RETURN_IF_ERROR(ParseNote(out).status());
  return out;
}

Result<std::string> AddNoteSignatures(std::string_view message,
                                      const std::vector<const NoteSigner*>& signers,
                                      std::optional<std::uint64_t> timestamp) {
  ASSIGN_OR_RETURN(Note note, ParseNote(message));
  ASSIGN_OR_RETURN(std::vector<NoteSignature> fresh, SignAll(note.text, signers, timestamp));
  std::set<std::pair<std::string, std::uint32_t>> replaced;
  for (const NoteSignature& s : fresh) replaced.insert({s.name, s.key_id});
  std::vector<NoteSignature> kept;
  for (NoteSignature& s : note.signatures) {
    if (!replaced.count({s.name, s.key_id})) kept.push_back(std::move(s));
  }
  for (NoteSignature& s : fresh) kept.push_back(std::move(s));
  note.signatures = std::move(kept);
  std::string out = FormatNote(note);
  RETURN_IF_ERROR(ParseNote(out).status());
  return out;
}

Result<OpenedNote> OpenNote(std::string_view message, const std::vector<NoteVerifier>& known) {
  std::set<std::pair<std::string, std::uint32_t>> ids;
  for (const NoteVerifier& v : known) {
    if (!ids.insert({v.name(), v.key_id()}).second) {
      return InvalidArgumentError("two trusted keys share the name " + v.name() + " and key ID " +
                                  Hex8(v.key_id()));
    }
  }
  ASSIGN_OR_RETURN(Note note, ParseNote(message));
  OpenedNote out;
  out.text = note.text;
  std::set<std::pair<std::string, std::uint32_t>> verified;
  std::set<std::string> unknown_lines;
  for (NoteSignature& sig : note.signatures) {
    const NoteVerifier* v = nullptr;
    for (const NoteVerifier& k : known) {
      if (k.name() == sig.name && k.key_id() == sig.key_id) v = &k;
    }
    std::string line = sig.ToLine();
    if (v == nullptr) {
      if (unknown_lines.insert(line).second) out.unknown.push_back(std::move(sig));
      continue;
    }
    std::uint64_t ts = 0;
    Status st = v->Verify(note.text, sig.signature, &ts);
    if (!st.ok()) return VerificationFailedError(st.message() + "; the note is rejected");
    if (!verified.insert({sig.name, sig.key_id}).second) continue;
    VerifiedNoteSignature vs;
    vs.name = sig.name;
    vs.key_id = sig.key_id;
    vs.type = v->type();
    if (v->type() == NoteKeyType::kCosignatureV1) vs.timestamp = ts;
    vs.line = std::move(line);
    out.verified.push_back(std::move(vs));
  }
  if (out.verified.empty()) {
    std::string names;
    for (const NoteVerifier& k : known) {
      names += (names.empty() ? "" : ", ") + k.name() + "+" + Hex8(k.key_id());
    }
    return VerificationFailedError("the note is not signed by any trusted key (" +
                                   (names.empty() ? std::string("none given") : names) + ")");
  }
  return out;
}

}  // namespace retrace
