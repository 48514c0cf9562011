// Text from input made safe to show on a terminal or write to a log
// (internal).
//
// Lot ids, event ids, file names and parser excerpts come from whoever wrote
// the input. Echoed raw, an ESC byte starts a terminal escape sequence (it can
// rewrite what an operator sees, or the title bar), a bare CR hides the start
// of a line in a log, and a 100,000-byte id makes a 100 KB message. Every
// message and text output that echoes input passes it through one of these.
#ifndef RETRACE_LIB_UTIL_ESCAPE_H_
#define RETRACE_LIB_UTIL_ESCAPE_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace retrace::internal {

// The most bytes of one echoed value (an id, a file name) a message keeps.
inline constexpr std::size_t kMaxEchoBytes = 200;

// The most bytes of a whole one-line message (SanitizeMessage).
inline constexpr std::size_t kMaxMessageBytes = 4096;

// `text` with everything that is not a printable character replaced by a
// visible escape: a backslash becomes "\\", tab, newline and carriage return
// "\t", "\n", "\r", any other C0 control byte, DEL, a C1 control (U+0080 to
// U+009F) and every byte that is not part of valid UTF-8 "\xNN" (two hex
// digits per byte), and the Unicode bidirectional controls (U+202A-U+202E,
// U+2066-U+2069), which reorder how the rest of a line displays, "\u{NNNN}".
// Other valid UTF-8 (an enterprise's Chinese legal name) is kept as it is.
//
// If the escaped text would be longer than `max_bytes`, its middle is
// replaced by "...[N bytes elided]..." so that the start and the end of the
// value (which usually tell two ids apart) both survive; the result is then
// at most max_bytes + 40 bytes. max_bytes 0 means no limit.
std::string EscapeForDisplay(std::string_view text, std::size_t max_bytes = kMaxEchoBytes);

// A whole error message on one line: as EscapeForDisplay, except that each
// run of blanks and line breaks becomes a single space and a backslash is kept as it is (so
// that values already passed through EscapeForDisplay are not escaped
// twice); then every run of more than
// kMaxEchoBytes bytes without a space (an echoed id or excerpt) is elided in
// its middle, and the whole is limited to kMaxMessageBytes the same way. A
// message that is already short, printable and on one line comes back equal.
std::string SanitizeMessage(std::string_view message);

// Escapes &, <, >, " and ' for HTML/SVG/XML text and attribute values;
// control bytes other than tab and newline (not allowed in XML 1.0 text)
// become spaces.
std::string XmlEscape(std::string_view s);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_UTIL_ESCAPE_H_
