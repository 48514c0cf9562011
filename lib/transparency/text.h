// Text-format helpers shared by the note, checkpoint, witness and tlog-proof
// parsers (internal). Every C2SP text format here is strict: one accepted
// spelling per value.
#ifndef RETRACE_LIB_TRANSPARENCY_TEXT_H_
#define RETRACE_LIB_TRANSPARENCY_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "retrace/hash.h"
#include "retrace/status.h"

namespace retrace::internal {

struct Rune {
  char32_t code_point = 0;
  std::size_t size = 0;  // bytes
};

// Decodes the first UTF-8 character of `s`; nullopt for an invalid, overlong
// or surrogate encoding, a code point above U+10FFFF, or empty input (Go's
// utf8.DecodeRune reports exactly these as RuneError).
std::optional<Rune> DecodeRune(std::string_view s);

// Go's unicode.IsSpace: the ASCII spaces, U+0085, U+00A0 and category Z.
bool IsUnicodeSpace(char32_t c);

// OK if `s` is valid UTF-8 without ASCII control characters other than
// newline (what signed notes require); kInvalidArgument naming `what` and
// the byte offset otherwise.
Status CheckNoteCharacters(std::string_view s, std::string_view what);

// ASCII decimal without leading zeros ("0" for zero) that fits in 63 bits
// (every size and index here must also fit an int64 for other
// implementations). nullopt otherwise.
std::optional<std::uint64_t> ParseDecimal(std::string_view s);

// Splits text that must end in '\n' into its lines (without newlines).
// nullopt if it does not end in a newline.
std::optional<std::vector<std::string_view>> SplitLines(std::string_view text);

// A 32-byte hash from its canonical base64 (44 characters).
Result<Hash> HashFromBase64(std::string_view b64);
std::string HashToBase64(const Hash& h);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_TRANSPARENCY_TEXT_H_
