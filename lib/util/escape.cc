#include "util/escape.h"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace retrace::internal {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Length of the valid UTF-8 sequence at the start of `s` and its code point,
// or 0 if the first byte does not start one (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF).
std::size_t DecodeUtf8(std::string_view s, std::uint32_t* cp) {
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = b(0);
  std::size_t n;
  std::uint32_t v;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    v = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    v = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    v = c & 0x07;
  } else {
    return 0;
  }
  if (s.size() < n) return 0;
  for (std::size_t i = 1; i < n; ++i) {
    if ((b(i) & 0xc0) != 0x80) return 0;
    v = (v << 6) | (b(i) & 0x3f);
  }
  if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) || v > 0x10ffff ||
      (v >= 0xd800 && v <= 0xdfff)) {
    return 0;
  }
  *cp = v;
  return n;
}

bool IsBidiControl(std::uint32_t cp) {
  return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

// The escaped text and, after each escaped character, the offset reached in
// the output and in the input, so that elision cuts between characters.
struct Escaped {
  std::string out;
  std::vector<std::pair<std::size_t, std::size_t>> marks;  // (out, in) offsets
};

Escaped Escape(std::string_view text, bool one_line) {
  Escaped e;
  e.out.reserve(text.size());
  e.marks.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    std::uint32_t cp = 0;
    std::size_t n = DecodeUtf8(text.substr(i), &cp);
    if (n == 0) {
      const unsigned char c = static_cast<unsigned char>(text[i]);
      e.out += {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
      n = 1;
    } else if (one_line && (cp == '\n' || cp == '\r' || cp == '\t' || cp == ' ')) {
      // One line, blanks collapsed: a parser's multi-line excerpt reads as one.
      if (e.out.empty() || e.out.back() != ' ') e.out.push_back(' ');
    } else if (cp == '\\' && !one_line) {
      e.out += "\\\\";
    } else if (cp == '\t') {
      e.out += "\\t";
    } else if (cp == '\n') {
      e.out += "\\n";
    } else if (cp == '\r') {
      e.out += "\\r";
    } else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f)) {
      for (std::size_t k = 0; k < n; ++k) {
        const unsigned char c = static_cast<unsigned char>(text[i + k]);
        e.out += {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
      }
    } else if (IsBidiControl(cp)) {
      e.out += "\\u{";
      for (int shift = 12; shift >= 0; shift -= 4) e.out.push_back(kHex[(cp >> shift) & 15]);
      e.out += "}";
    } else {
      e.out.append(text.substr(i, n));
    }
    i += n;
    e.marks.emplace_back(e.out.size(), i);
  }
  return e;
}

// e.out, or, if longer than max_bytes, its first ~2/3 and last ~1/3 of
// max_bytes (whole escaped characters) around a note of the input bytes left
// out.
std::string Elide(const Escaped& e, std::size_t max_bytes) {
  if (max_bytes == 0 || e.out.size() <= max_bytes) return e.out;
  const std::size_t head_budget = max_bytes * 2 / 3;
  const std::size_t tail_budget = max_bytes - head_budget;
  // Head: the longest prefix of whole characters within head_budget.
  std::size_t head_out = 0, head_in = 0;
  for (const auto& [out, in] : e.marks) {
    if (out > head_budget) break;
    head_out = out;
    head_in = in;
  }
  // Tail: the longest suffix of whole characters within tail_budget.
  const std::size_t total_out = e.out.size();
  const std::size_t total_in = e.marks.empty() ? 0 : e.marks.back().second;
  std::size_t tail_out = total_out, tail_in = total_in;
  for (std::size_t k = e.marks.size(); k-- > 0;) {
    if (total_out - e.marks[k].first > tail_budget) break;
    tail_out = e.marks[k].first;
    tail_in = e.marks[k].second;
  }
  if (tail_out < head_out) tail_out = head_out, tail_in = head_in;
  return e.out.substr(0, head_out) + "...[" + std::to_string(tail_in - head_in) +
         " bytes elided]..." + e.out.substr(tail_out);
}

}  // namespace

std::string EscapeForDisplay(std::string_view text, std::size_t max_bytes) {
  return Elide(Escape(text, false), max_bytes);
}

std::string SanitizeMessage(std::string_view message) {
  std::string line = Escape(message, true).out;
  while (!line.empty() && line.back() == ' ') line.pop_back();
  // Elide long space-free runs (echoed ids, parser excerpts). The input is
  // already escaped, so cutting it at byte positions would split an escape;
  // re-running Escape over an escaped (printable ASCII or valid UTF-8) text
  // would double its backslashes, hence this byte-level walk that only cuts
  // at UTF-8 character starts.
  std::string out;
  out.reserve(std::min(line.size(), kMaxMessageBytes + 64));
  std::size_t i = 0;
  while (i < line.size()) {
    std::size_t j = line.find(' ', i);
    if (j == std::string::npos) j = line.size();
    std::string_view run(line.data() + i, j - i);
    if (run.size() <= kMaxEchoBytes) {
      out.append(run);
    } else {
      auto boundary = [&](std::size_t k) {  // back to a character start
        while (k > 0 && (static_cast<unsigned char>(run[k]) & 0xc0) == 0x80) --k;
        return k;
      };
      const std::size_t head = boundary(kMaxEchoBytes * 2 / 3);
      const std::size_t tail = boundary(run.size() - kMaxEchoBytes / 3);
      out.append(run.substr(0, head));
      out += "...[" + std::to_string(tail - head) + " bytes elided]...";
      out.append(run.substr(tail));
    }
    if (j < line.size()) out.push_back(' ');
    i = j + 1;
  }
  if (out.size() > kMaxMessageBytes) {
    auto boundary = [&](std::size_t k) {
      while (k > 0 && (static_cast<unsigned char>(out[k]) & 0xc0) == 0x80) --k;
      return k;
    };
    const std::size_t head = boundary(kMaxMessageBytes * 2 / 3);
    const std::size_t tail = boundary(out.size() - kMaxMessageBytes / 3);
    out = out.substr(0, head) + "...[" + std::to_string(tail - head) + " bytes elided]..." +
          out.substr(tail);
  }
  return out;
}

std::string XmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // Control characters are not allowed in XML 1.0 text.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
          out += ' ';
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

}  // namespace retrace::internal
