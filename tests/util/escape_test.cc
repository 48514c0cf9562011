// EscapeForDisplay and SanitizeMessage: input echoed to a terminal or log.
#include "util/escape.h"

#include <catch2/catch.hpp>
#include <string>

namespace retrace::internal {
namespace {

TEST_CASE("Printable ASCII and valid UTF-8 are echoed unchanged", "[escape]") {
  CHECK(EscapeForDisplay("MAG-00004") == "MAG-00004");
  CHECK(EscapeForDisplay("包头稀土有限公司 Lot 7") == "包头稀土有限公司 Lot 7");
  CHECK(EscapeForDisplay("") == "");
  CHECK(SanitizeMessage("unknown lot MAG-1; the ledger is unchanged") ==
        "unknown lot MAG-1; the ledger is unchanged");
}

TEST_CASE("Control bytes, DEL, C1 controls and invalid UTF-8 become visible escapes",
          "[escape]") {
  CHECK(EscapeForDisplay("a\x1b]0;pwned\x07z") == "a\\x1b]0;pwned\\x07z");
  CHECK(EscapeForDisplay("a\rb\nc\td") == "a\\rb\\nc\\td");
  CHECK(EscapeForDisplay("x\x7fy") == "x\\x7fy");
  CHECK(EscapeForDisplay("\xc2\x9b" "31m") == "\\xc2\\x9b31m");  // C1 CSI as UTF-8
  CHECK(EscapeForDisplay("\xff\xfe") == "\\xff\\xfe");
  CHECK(EscapeForDisplay("\xc0\xaf") == "\\xc0\\xaf");          // overlong '/'
  CHECK(EscapeForDisplay("\xed\xa0\x80") == "\\xed\\xa0\\x80");  // a surrogate
  CHECK(EscapeForDisplay("\xe4\xb8") == "\\xe4\\xb8");          // truncated sequence
  CHECK(EscapeForDisplay(std::string("a\0b", 3)) == "a\\x00b");
  // A backslash is doubled so that an escape in the output is never ambiguous.
  CHECK(EscapeForDisplay("C:\\x1b") == "C:\\\\x1b");
}

TEST_CASE("Bidirectional controls are escaped so a line displays in its byte order",
          "[escape]") {
  CHECK(EscapeForDisplay("lot\xe2\x80\xae" "1-GAM") == "lot\\u{202e}1-GAM");
  CHECK(EscapeForDisplay("\xe2\x81\xa6x") == "\\u{2066}x");
}

TEST_CASE("A long value keeps its start and end and says how much was left out",
          "[escape]") {
  const std::string id = "A" + std::string(100000, 'x') + "Z";
  const std::string shown = EscapeForDisplay(id);
  CHECK(shown.size() <= kMaxEchoBytes + 40);
  CHECK(shown.front() == 'A');
  CHECK(shown.back() == 'Z');
  CHECK(shown.find("bytes elided]") != std::string::npos);
  CHECK(EscapeForDisplay(id, 0) == id);
  // Elision never splits a multi-byte character.
  std::string han;
  for (int i = 0; i < 200; ++i) han += "稀";
  const std::string cut = EscapeForDisplay(han, 50);
  CHECK(cut.find("\\x") == std::string::npos);
  CHECK(cut.rfind("稀", 0) == 0);
}

TEST_CASE("A message is put on one line and every echoed value in it is capped",
          "[escape]") {
  CHECK(SanitizeMessage("line 1\n  ^ here\tthere\r\n") == "line 1 ^ here there");
  const std::string id(100000, 'q');
  const std::string m = SanitizeMessage("unknown lot " + id + ": lot " + id +
                                        " is unknown; the ledger is unchanged (size 5)");
  CHECK(m.size() < 2 * kMaxEchoBytes + 200);
  CHECK(m.rfind("unknown lot qqq", 0) == 0);
  CHECK(m.find("the ledger is unchanged (size 5)") != std::string::npos);
  CHECK(SanitizeMessage("esc \x1b[2J here") == "esc \\x1b[2J here");
  // A value escaped before it went into the message is not escaped again.
  CHECK(SanitizeMessage("lot " + EscapeForDisplay("X\x1bY") + " unknown") ==
        "lot X\\x1bY unknown");
  // The whole message is bounded even when it is made of many short words.
  std::string words;
  for (int i = 0; i < 5000; ++i) words += "word ";
  CHECK(SanitizeMessage(words).size() <= kMaxMessageBytes + 40);
}

}  // namespace
}  // namespace retrace::internal
