// Tests for retrace/note.h: the C2SP signed-note examples of Go's
// golang.org/x/mod/sumdb/note (note_test.go / example_test.go) as known
// answers, a real cosigned checkpoint from the public witness network, an
// independent re-implementation of the key-ID and cosignature formulas, and
// one scenario per rule the parser and verifier enforce.
#include "retrace/note.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "retrace/checkpoint.h"
#include "retrace/hash.h"
#include "retrace/secret.h"
#include "retrace/signer.h"
#include "testing/test_chain.h"

namespace retrace {
namespace {

// --- Known answers from golang.org/x/mod/sumdb/note (ExampleSign, ExampleOpen,
// ExampleSign_add_signatures). EnochRoot is GenerateKey with an all-zero
// random source, i.e. the all-zero Ed25519 seed.
constexpr char kPeterSkey[] =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
constexpr char kPeterVkey[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr char kText[] =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
constexpr char kPeterNote[] =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
    "\n"
    "\xE2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
constexpr char kEnochSkey[] = "PRIVATE+KEY+EnochRoot+af0cfe78+AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
constexpr char kEnochVkey[] = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
constexpr char kDoublySigned[] =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
    "\n"
    "\xE2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    "\xE2\x80\x94 EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

// --- A checkpoint of the arche2025h1 staging CT log (transparency.dev), with
// the log's signed-note signature, an RFC 6962 signature (type 0x05, unknown
// to us) and cosignature/v1 lines by public witnesses, as quoted by a public
// test suite of the witness ecosystem. Another implementation made every
// signature here; we must accept them.
constexpr char kArcheNote[] =
    "arche2025h1.staging.ct.transparency.dev\n"
    "1432088532\n"
    "U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=\n"
    "\n"
    "\xE2\x80\x94 arche2025h1.staging.ct.transparency.dev "
    "zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFb"
    "on5Ch9MNL5zRNZ55lvGt0=\n"
    "\xE2\x80\x94 arche2025h1.staging.ct.transparency.dev "
    "ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=\n"
    "\xE2\x80\x94 transparency.dev/DEV:witness-little-garden "
    "2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY0"
    "96st5BQ==\n"
    "\xE2\x80\x94 witness1.smartit.nu/witness1 "
    "pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZ"
    "sDsUAQ==\n"
    "\xE2\x80\x94 remora.n621.de "
    "2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0D"
    "rAWfBw==\n"
    "\xE2\x80\x94 witness.stagemole.eu "
    "Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvVr+AJmIY/2TUFucgKi7lI7cUiOvKFYe/T"
    "mN9DAg==\n";
constexpr char kArcheVkey[] =
    "arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f";
constexpr char kRemoraVkey[] = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2";

// --- An independent re-implementation of the formulas, on the public API
// only (SHA-256, Ed25519 verification) and a local base64 encoder.
std::string Base64(const std::string& in) {
  static const char kA[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    std::uint32_t v = (std::uint8_t(in[i]) << 16) | (std::uint8_t(in[i + 1]) << 8) |
                      std::uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kA[(v >> s) & 63];
  }
  if (in.size() - i == 1) {
    std::uint32_t v = std::uint8_t(in[i]) << 16;
    out += std::string{kA[v >> 18], kA[(v >> 12) & 63], '=', '='};
  } else if (in.size() - i == 2) {
    std::uint32_t v = (std::uint8_t(in[i]) << 16) | (std::uint8_t(in[i + 1]) << 8);
    out += std::string{kA[v >> 18], kA[(v >> 12) & 63], kA[(v >> 6) & 63], '='};
  }
  return out;
}

std::uint32_t ReferenceKeyId(const std::string& name, std::uint8_t type, const std::string& pub) {
  const Hash h = Sha256(name + "\n" + std::string(1, static_cast<char>(type)) + pub);
  return (std::uint32_t(h[0]) << 24) | (std::uint32_t(h[1]) << 16) | (std::uint32_t(h[2]) << 8) |
         h[3];
}

std::string Hex8(std::uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof(buf), "%08x", v);
  return buf;
}

NoteVerifier MustParseVkey(const char* vkey) {
  auto v = NoteVerifier::Parse(vkey);
  REQUIRE(v.ok());
  return *v;
}

std::unique_ptr<NoteSigner> MustSigner(const char* skey) {
  auto s = NoteSigner::FromSignerKeySecret(skey);
  REQUIRE(s.ok());
  return std::move(s).value();
}

TEST_CASE("Go's PeterNeumann signer key yields its verifier key and signs its example note",
          "[note][vector]") {
  auto peter = MustSigner(kPeterSkey);
  CHECK(peter->name() == "PeterNeumann");
  CHECK(peter->key_id() == 0xc74f20a3u);
  CHECK(peter->type() == NoteKeyType::kEd25519);
  CHECK(peter->verifier().ToString() == kPeterVkey);
  auto note = SignNote(kText, {peter.get()});
  REQUIRE(note.ok());
  CHECK(*note == kPeterNote);
  auto skey = peter->SignerKeySecret();
  REQUIRE(skey.ok());
  CHECK(SecretView(*skey) == kPeterSkey);
}

TEST_CASE("Go's example note opens under its verifier key", "[note][vector]") {
  auto opened = OpenNote(kPeterNote, {MustParseVkey(kPeterVkey)});
  REQUIRE(opened.ok());
  CHECK(opened->text == kText);
  REQUIRE(opened->verified.size() == 1);
  CHECK(opened->verified[0].name == "PeterNeumann");
  CHECK(opened->verified[0].key_id == 0xc74f20a3u);
  CHECK(opened->unknown.empty());
}

TEST_CASE("Adding the zero-seed EnochRoot signature reproduces Go's doubly signed note",
          "[note][vector]") {
  auto enoch = MustSigner(kEnochSkey);
  CHECK(enoch->verifier().ToString() == kEnochVkey);
  auto doubly = AddNoteSignatures(kPeterNote, {enoch.get()});
  REQUIRE(doubly.ok());
  CHECK(*doubly == kDoublySigned);
  auto opened = OpenNote(*doubly, {MustParseVkey(kPeterVkey), MustParseVkey(kEnochVkey)});
  REQUIRE(opened.ok());
  CHECK(opened->verified.size() == 2);
  // A verifier that knows only Enoch ignores Peter's signature.
  auto only_enoch = OpenNote(*doubly, {MustParseVkey(kEnochVkey)});
  REQUIRE(only_enoch.ok());
  CHECK(only_enoch->verified.size() == 1);
  REQUIRE(only_enoch->unknown.size() == 1);
  CHECK(only_enoch->unknown[0].name == "PeterNeumann");
}

TEST_CASE("A real witness-network checkpoint verifies: log signature and cosignature/v1",
          "[note][vector][cosignature]") {
  auto cp = OpenCheckpoint(kArcheNote, {MustParseVkey(kArcheVkey)}, {MustParseVkey(kRemoraVkey)});
  REQUIRE(cp.ok());
  CHECK(cp->checkpoint.origin == "arche2025h1.staging.ct.transparency.dev");
  CHECK(cp->checkpoint.size == 1432088532u);
  REQUIRE(cp->log_signatures.size() == 1);
  CHECK(cp->log_signatures[0].key_id == 0xba2f06c0u);
  REQUIRE(cp->cosignatures.size() == 1);
  CHECK(cp->cosignatures[0].name == "remora.n621.de");
  CHECK(cp->cosignatures[0].key_id == 0xda77ade7u);
  REQUIRE(cp->cosignatures[0].timestamp.has_value());
  CHECK(*cp->cosignatures[0].timestamp == 1779573024u);
  // Changing the size invalidates both the log's and the witness's signature.
  std::string clobbered = kArcheNote;
  clobbered.replace(clobbered.find("1432088532"), 10, "1432088533");
  auto bad = OpenCheckpoint(clobbered, {MustParseVkey(kArcheVkey)});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == StatusCode::kVerificationFailed);
  auto bad_witness = OpenNote(clobbered, {MustParseVkey(kRemoraVkey)});
  CHECK(bad_witness.status().code() == StatusCode::kVerificationFailed);
}

TEST_CASE("Our key IDs, verifier keys and signatures match an independent re-implementation",
          "[note][cross-check]") {
  for (NoteKeyType type : {NoteKeyType::kEd25519, NoteKeyType::kCosignatureV1}) {
    auto signer = NoteSigner::Generate("example.com/log-\xC3\xA9", type);
    REQUIRE(signer.ok());
    const std::string& pub = (*signer)->verifier().raw_public_key();
    const std::uint8_t t = static_cast<std::uint8_t>(type);
    const std::uint32_t id = ReferenceKeyId("example.com/log-\xC3\xA9", t, pub);
    CHECK((*signer)->key_id() == id);
    CHECK((*signer)->verifier().ToString() ==
          "example.com/log-\xC3\xA9+" + Hex8(id) + "+" + Base64(std::string(1, char(t)) + pub));

    // The signature line carries the key ID, then an Ed25519 signature over
    // exactly the bytes the spec names; check it with a plain Verifier.
    std::string der = std::string("\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00", 12) + pub;
    auto verifier = Verifier::New(*PublicKey::FromDer(der));
    REQUIRE(verifier.ok());
    const std::string text = "example.com/log\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    auto sig = (*signer)->Sign(text, 1700000000);
    REQUIRE(sig.ok());
    if (type == NoteKeyType::kEd25519) {
      CHECK((*verifier)->Verify(text, *sig).ok());
    } else {
      REQUIRE(sig->size() == 72);
      CHECK(sig->substr(0, 8) == std::string("\x00\x00\x00\x00\x65\x53\xf1\x00", 8));
      CHECK((*verifier)->Verify("cosignature/v1\ntime 1700000000\n" + text, sig->substr(8)).ok());
      CHECK_FALSE((*verifier)->Verify(text, sig->substr(8)).ok());
    }
  }
}

TEST_CASE("A cosignature reports its timestamp and fails under another time", "[note][cosignature]") {
  auto w = NoteSigner::Generate("witness.example/w1", NoteKeyType::kCosignatureV1);
  REQUIRE(w.ok());
  auto note = SignNote("log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", {w->get()}, 1234567);
  REQUIRE(note.ok());
  auto opened = OpenNote(*note, {(*w)->verifier()});
  REQUIRE(opened.ok());
  CHECK(opened->verified[0].timestamp == std::optional<std::uint64_t>(1234567));
  // Rewrite the timestamp bytes in the signature: the signature no longer verifies.
  auto parsed = ParseNote(*note);
  REQUIRE(parsed.ok());
  parsed->signatures[0].signature[7] ^= 1;
  auto forged = OpenNote(FormatNote(*parsed), {(*w)->verifier()});
  CHECK(forged.status().code() == StatusCode::kVerificationFailed);
  // The same key as a plain Ed25519 key has another key ID: its line is unknown.
  auto as_ed = OpenNote(*note, {(*w)->verifier().WithType(NoteKeyType::kEd25519)});
  CHECK(as_ed.status().code() == StatusCode::kVerificationFailed);
}

TEST_CASE("A Go-style 0x01 signer key can cosign as cosignature/v1", "[note][cosignature]") {
  auto as_cosigner = NoteSigner::FromSignerKeySecret(kEnochSkey, NoteKeyType::kCosignatureV1);
  REQUIRE(as_cosigner.ok());
  CHECK((*as_cosigner)->type() == NoteKeyType::kCosignatureV1);
  CHECK((*as_cosigner)->verifier().ToString() ==
        MustParseVkey(kEnochVkey).WithType(NoteKeyType::kCosignatureV1).ToString());
  CHECK((*as_cosigner)->key_id() != 0xaf0cfe78u);
}

TEST_CASE("Malformed notes are refused as invalid arguments", "[note][malformed]") {
  const std::string sig_line =
      "\xE2\x80\x94 PeterNeumann "
      "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
  const std::vector<std::pair<const char*, std::string>> cases = {
      {"no blank line", std::string(kText) + sig_line},
      {"no signature", std::string(kText) + "\n"},
      {"hyphen instead of em dash",
       std::string(kText) + "\n- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"},
      {"missing final newline", std::string(kPeterNote).substr(0, std::string(kPeterNote).size() - 1)},
      {"tab in text", "a\tb\n\n" + sig_line},
      {"carriage return", "a\r\n\n" + sig_line},
      {"invalid UTF-8", "a\xff\n\n" + sig_line},
      {"overlong UTF-8", "a\xC0\xAF\n\n" + sig_line},
      {"non-canonical base64", std::string(kText) + "\n\xE2\x80\x94 n AAAAAAB=\n"},
      {"too short", std::string(kText) + "\n\xE2\x80\x94 n AAAAAA==\n"},
      {"plus in name", std::string(kText) + "\n\xE2\x80\x94 a+b AAAAAAA=\n"},
      {"no space before signature", std::string(kText) + "\n\xE2\x80\x94 nameAAAAAAA=\n"},
      {"two spaces", std::string(kText) + "\n\xE2\x80\x94 n  AAAAAAA=\n"},
      {"unicode space in name", std::string(kText) + "\n\xE2\x80\x94 a\xC2\xA0" "b AAAAAAA=\n"},
  };
  for (const auto& [what, msg] : cases) {
    INFO(what);
    auto parsed = ParseNote(msg);
    CHECK(parsed.status().code() == StatusCode::kInvalidArgument);
    auto opened = OpenNote(msg, {MustParseVkey(kPeterVkey)});
    CHECK(opened.status().code() == StatusCode::kInvalidArgument);
  }
  std::string many = kText;
  many += "\n";
  for (int i = 0; i < 101; ++i) many += "\xE2\x80\x94 n" + std::to_string(i) + " AAAAAAA=\n";
  CHECK(ParseNote(many).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("The text ends at the last blank line, so it may contain blank lines", "[note]") {
  auto peter = MustSigner(kPeterSkey);
  const std::string text = "para one\n\npara two\n";
  auto note = SignNote(text, {peter.get()});
  REQUIRE(note.ok());
  auto opened = OpenNote(*note, {peter->verifier()});
  REQUIRE(opened.ok());
  CHECK(opened->text == text);
}

TEST_CASE("A known key's bad signature rejects the note; unknown keys alone are not enough",
          "[note][mismatch]") {
  auto peter = MustSigner(kPeterSkey);
  std::string tampered = kPeterNote;
  tampered[0] = 'i';  // the text, not the signature
  auto opened = OpenNote(tampered, {peter->verifier()});
  CHECK(opened.status().code() == StatusCode::kVerificationFailed);
  auto unknown = OpenNote(kPeterNote, {MustParseVkey(kEnochVkey)});
  CHECK(unknown.status().code() == StatusCode::kVerificationFailed);
  // Same name, other key ID: not the known key, so ignored, not a failure.
  auto impostor = NoteSigner::Generate("PeterNeumann", NoteKeyType::kEd25519);
  REQUIRE(impostor.ok());
  auto both = AddNoteSignatures(kPeterNote, {impostor->get()});
  REQUIRE(both.ok());
  auto only_peter = OpenNote(*both, {peter->verifier()});
  REQUIRE(only_peter.ok());
  CHECK(only_peter->verified.size() == 1);
  CHECK(only_peter->unknown.size() == 1);
  // Two trusted keys with one name and ID are a configuration error.
  CHECK(OpenNote(kPeterNote, {peter->verifier(), peter->verifier()}).status().code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("Malformed verifier and signer keys are refused", "[note][malformed]") {
  const char* bad_vkeys[] = {
      "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  // wrong ID
      "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",   // 7 hex digits
      "PeterNeumann+c74f20a3+Arpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  // type 0x02
      "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",   // bad base64
      "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy",      // short key
      "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", // space
      "PeterNeumann+c74f20a3",
      "",
  };
  for (const char* v : bad_vkeys) {
    INFO(v);
    CHECK(NoteVerifier::Parse(v).status().code() == StatusCode::kInvalidArgument);
  }
  const char* bad_skeys[] = {
      "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
      "PRIVATE+KEX+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
      "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDF",
      "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
  };
  for (const char* s : bad_skeys) {
    INFO(s);
    CHECK(NoteSigner::FromSignerKeySecret(s).status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("Signer key files are written 0600 and refused when others can read them",
          "[note][files]") {
  testing::TempDir dir;
  auto signer = NoteSigner::Generate("cn-2026", NoteKeyType::kEd25519);
  REQUIRE(signer.ok());
  const std::string path = dir.Sub("log.notekey");
  REQUIRE((*signer)->WriteSignerKeyFile(path).ok());
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK((*signer)->WriteSignerKeyFile(path).code() == StatusCode::kAlreadyExists);
  auto loaded = NoteSigner::LoadSignerKeyFile(path);
  REQUIRE(loaded.ok());
  CHECK((*loaded)->verifier().ToString() == (*signer)->verifier().ToString());
  REQUIRE(::chmod(path.c_str(), 0644) == 0);
  CHECK(NoteSigner::LoadSignerKeyFile(path).status().code() == StatusCode::kFailedPrecondition);
}

TEST_CASE("A note signer key round-trips through SecretBytes", "[note][secret]") {
  STATIC_REQUIRE(std::is_same_v<decltype(std::declval<const NoteSigner&>().SignerKeySecret()),
                                Result<SecretBytes>>);
  auto signer = NoteSigner::Generate("log.example", NoteKeyType::kEd25519);
  REQUIRE(signer.ok());
  Result<SecretBytes> skey = (*signer)->SignerKeySecret();
  REQUIRE(skey.ok());
  CHECK(SecretView(*skey).rfind("PRIVATE+KEY+log.example+", 0) == 0);
  auto loaded = NoteSigner::FromSignerKeySecret(*skey);  // the SecretBytes overload
  REQUIRE(loaded.ok());
  CHECK((*loaded)->verifier().ToString() == (*signer)->verifier().ToString());
}

}  // namespace
}  // namespace retrace
