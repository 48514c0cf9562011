// Tests for retrace/checkpoint.h: the exact C2SP tlog-checkpoint text, strict
// parsing (one accepted spelling per checkpoint), and tampering with every
// byte of a signed checkpoint.
#include "retrace/checkpoint.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "retrace/merkle.h"

namespace retrace {
namespace {

// SHA-256("") is the empty tree's root; its base64 is a fixed string.
constexpr char kEmptyRootB64[] = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

Checkpoint Sample() {
  Checkpoint c;
  c.origin = "cn-2026";
  c.size = 57;
  c.root_hash = merkle::EmptyRoot();
  return c;
}

TEST_CASE("A checkpoint is formatted exactly as C2SP tlog-checkpoint says", "[checkpoint]") {
  CHECK(FormatCheckpoint(Sample()) == std::string("cn-2026\n57\n") + kEmptyRootB64 + "\n");
  Checkpoint empty = Sample();
  empty.size = 0;
  CHECK(FormatCheckpoint(empty) == std::string("cn-2026\n0\n") + kEmptyRootB64 + "\n");
  Checkpoint ext = Sample();
  ext.extensions = {"ext one", "ext two"};
  CHECK(FormatCheckpoint(ext) ==
        std::string("cn-2026\n57\n") + kEmptyRootB64 + "\next one\next two\n");
}

TEST_CASE("Parsing inverts formatting", "[checkpoint]") {
  Checkpoint ext = Sample();
  ext.extensions = {"x"};
  ext.size = 9223372036854775807ull;  // 2^63 - 1, the largest accepted size
  for (const Checkpoint& c : {Sample(), ext}) {
    auto parsed = ParseCheckpoint(FormatCheckpoint(c));
    REQUIRE(parsed.ok());
    CHECK(*parsed == c);
  }
}

TEST_CASE("Checkpoint text with any deviation is malformed", "[checkpoint][malformed]") {
  const std::string root = kEmptyRootB64;
  const std::vector<std::pair<const char*, std::string>> cases = {
      {"empty origin", "\n57\n" + root + "\n"},
      {"leading zero", "o\n057\n" + root + "\n"},
      {"plus sign", "o\n+57\n" + root + "\n"},
      {"negative", "o\n-1\n" + root + "\n"},
      {"2^63", "o\n9223372036854775808\n" + root + "\n"},
      {"spaces", "o\n 57\n" + root + "\n"},
      {"hex root", "o\n57\n" + std::string(64, 'a') + "\n"},
      {"short root", "o\n57\nAAAA\n"},
      {"non-canonical base64", "o\n57\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=\n"},
      {"no final newline", "o\n57\n" + root},
      {"two lines", "o\n57\n"},
      {"empty extension", "o\n57\n" + root + "\n\n"},
      {"CRLF", "o\r\n57\r\n" + root + "\r\n"},
      {"control character", "o\x01\n57\n" + root + "\n"},
  };
  for (const auto& [what, text] : cases) {
    INFO(what);
    CHECK(ParseCheckpoint(text).status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("A signed checkpoint opens under the log key and reports its parts", "[checkpoint]") {
  auto log = NoteSigner::Generate("cn-2026", NoteKeyType::kEd25519);
  REQUIRE(log.ok());
  auto note = SignCheckpoint(Sample(), **log);
  REQUIRE(note.ok());
  CHECK(note->rfind(FormatCheckpoint(Sample()) + "\n\xE2\x80\x94 cn-2026 ", 0) == 0);
  auto cp = OpenCheckpoint(*note, {(*log)->verifier()});
  REQUIRE(cp.ok());
  CHECK(cp->checkpoint == Sample());
  CHECK(cp->note == *note);
  CHECK(cp->log_signatures.size() == 1);
  CHECK(cp->cosignatures.empty());
  CHECK(ParseSignedCheckpoint(*note)->size == 57);
}

TEST_CASE("Every byte of a signed checkpoint is protected", "[checkpoint][tamper]") {
  auto log = NoteSigner::Generate("cn-2026", NoteKeyType::kEd25519);
  REQUIRE(log.ok());
  const std::string note = *SignCheckpoint(Sample(), **log);
  int malformed = 0, mismatched = 0;
  for (std::size_t i = 0; i < note.size(); ++i) {
    for (unsigned char flip : {0x01, 0x20, 0x80}) {
      std::string bad = note;
      bad[i] = static_cast<char>(bad[i] ^ flip);
      auto cp = OpenCheckpoint(bad, {(*log)->verifier()});
      INFO("byte " << i << " xor " << int(flip));
      REQUIRE_FALSE(cp.ok());
      if (cp.status().code() == StatusCode::kInvalidArgument) ++malformed;
      if (cp.status().code() == StatusCode::kVerificationFailed) ++mismatched;
    }
  }
  CHECK(malformed + mismatched == static_cast<int>(3 * note.size()));
  CHECK(malformed > 0);
  CHECK(mismatched > 0);
  // Truncation anywhere is refused too.
  for (std::size_t n = 0; n < note.size(); ++n) {
    INFO("truncated to " << n);
    CHECK_FALSE(OpenCheckpoint(note.substr(0, n), {(*log)->verifier()}).ok());
  }
}

TEST_CASE("A checkpoint signed only by a witness is not a log checkpoint", "[checkpoint]") {
  auto witness = NoteSigner::Generate("w1", NoteKeyType::kCosignatureV1);
  auto log = NoteSigner::Generate("cn-2026", NoteKeyType::kEd25519);
  REQUIRE((witness.ok() && log.ok()));
  auto note = SignNote(FormatCheckpoint(Sample()), {witness->get()});
  REQUIRE(note.ok());
  auto cp = OpenCheckpoint(*note, {(*log)->verifier()}, {(*witness)->verifier()});
  CHECK(cp.status().code() == StatusCode::kVerificationFailed);
  // A cosignature key cannot be passed as the log key.
  CHECK(OpenCheckpoint(*note, {(*witness)->verifier()}).status().code() ==
        StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace retrace
