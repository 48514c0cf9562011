#include "epcis/epcis_common.h"

#include <cstdio>
#include <ctime>

namespace retrace::internal::epcis {

std::string PctEncode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::optional<std::string> PctDecode(std::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::string Urn(const char* prefix, std::string_view id) { return prefix + PctEncode(id); }

std::optional<std::string> FromUrn(const char* prefix, std::string_view uri) {
  std::string_view p(prefix);
  if (uri.substr(0, p.size()) != p) return std::nullopt;
  return PctDecode(uri.substr(p.size()));
}

bool IsAbsoluteUri(std::string_view s) {
  auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
  if (s.empty() || !alpha(s[0])) return false;
  std::size_t i = 1;
  while (i < s.size() && (alpha(s[i]) || (s[i] >= '0' && s[i] <= '9') || s[i] == '+' ||
                          s[i] == '-' || s[i] == '.')) {
    ++i;
  }
  if (i >= s.size() || s[i] != ':' || i + 1 >= s.size()) return false;
  for (unsigned char c : s) {
    if (c <= 0x20 || c == 0x7f) return false;
    for (char bad : std::string_view("<>\"{}|\\^`")) {
      if (c == static_cast<unsigned char>(bad)) return false;
    }
  }
  return true;
}

std::string IdToUri(const char* prefix, std::string_view id) {
  if (IsAbsoluteUri(id) && id.substr(0, std::string_view(kRetracePrefix).size()) != kRetracePrefix) {
    return std::string(id);
  }
  return Urn(prefix, id);
}

std::optional<std::string> IdFromUri(const char* prefix, std::string_view uri) {
  if (auto id = FromUrn(prefix, uri)) return id;
  std::string_view p(prefix);
  if (uri.substr(0, p.size()) == p) return std::nullopt;  // a malformed escape
  if (uri.substr(0, std::string_view(kRetracePrefix).size()) == kRetracePrefix) {
    return std::nullopt;
  }
  return std::string(uri);
}

std::string Printable(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace

std::string FormatTime(const Timestamp& t) {
  std::time_t secs = static_cast<std::time_t>(t.seconds);
  std::tm tm{};
  if (gmtime_r(&secs, &tm) == nullptr) return "1970-01-01T00:00:00Z";
  char buf[48];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  if (t.nanos > 0) {
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%09d", static_cast<int>(t.nanos));
    std::string f = frac;
    while (f.size() > 4 && f.back() == '0') f.pop_back();  // keep at least 3 digits
    out += f;
  }
  return out + "Z";
}

Result<Timestamp> ParseTime(std::string_view s) {
  auto bad = [&](const char* why) {
    return InvalidArgumentError("\"" + std::string(s) + "\" is not an xsd:dateTime (" + why +
                                "; expected e.g. 2026-03-02T08:00:00.000+01:00)");
  };
  auto num = [&](std::size_t pos, std::size_t len, int* out) {
    if (pos + len > s.size()) return false;
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
  };
  int y, mo, d, h, mi, se;
  if (s.size() < 20 || !num(0, 4, &y) || s[4] != '-' || !num(5, 2, &mo) || s[7] != '-' ||
      !num(8, 2, &d) || (s[10] != 'T' && s[10] != 't') || !num(11, 2, &h) || s[13] != ':' ||
      !num(14, 2, &mi) || s[16] != ':' || !num(17, 2, &se)) {
    return bad("malformed");
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) {
    return bad("field out of range");
  }
  std::size_t pos = 19;
  std::int32_t nanos = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 9) nanos = nanos * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return bad("empty fraction");
    for (int i = digits; i < 9; ++i) nanos *= 10;
  }
  std::int64_t offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!num(pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !num(pos + 4, 2, &om) || oh > 14 || om > 59) {
      return bad("malformed time zone offset");
    }
    offset = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return bad("no time zone (Z or +hh:mm)");
  }
  if (pos != s.size()) return bad("trailing characters");
  std::int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  Timestamp t;
  t.seconds = days * 86400 + h * 3600 + mi * 60 + (se == 60 ? 59 : se) - offset;
  t.nanos = nanos;
  return t;
}

bool IsCbvBizTransactionType(std::string_view kind) {
  static const char* kTypes[] = {"bol",   "cert",      "desadv",  "inv",      "pedigree",
                                 "po",    "poc",       "prodorder", "recadv", "rma",
                                 "testprd", "testcert", "upevt"};
  for (const char* t : kTypes) {
    if (kind == t) return true;
  }
  return false;
}

Result<MaterialClass> ParseMaterial(std::string_view name) {
  static const std::pair<const char*, MaterialClass> kNames[] = {
      {"ore_concentrate", MaterialClass::kOreConcentrate},
      {"mixed_compound", MaterialClass::kMixedCompound},
      {"separated_oxide", MaterialClass::kSeparatedOxide},
      {"metal_alloy", MaterialClass::kMetalAlloy},
      {"magnet", MaterialClass::kMagnet},
      {"other", MaterialClass::kOther}};
  for (const auto& [n, m] : kNames) {
    if (name == n) return m;
  }
  return InvalidArgumentError("unknown material class \"" + std::string(name) +
                              "\" (expected ore_concentrate, mixed_compound, separated_oxide, "
                              "metal_alloy, magnet or other)");
}

Result<Element> ParseElement(std::string_view symbol) {
  static const Element kAll[] = {Element::kSc, Element::kY,  Element::kLa, Element::kCe,
                                 Element::kPr, Element::kNd, Element::kPm, Element::kSm,
                                 Element::kEu, Element::kGd, Element::kTb, Element::kDy,
                                 Element::kHo, Element::kEr, Element::kTm, Element::kYb,
                                 Element::kLu};
  for (Element e : kAll) {
    if (symbol == ElementSymbol(e)) return e;
  }
  return InvalidArgumentError("unknown rare-earth element \"" + std::string(symbol) +
                              "\" (expected a symbol such as Nd, Pr, Dy)");
}

}  // namespace retrace::internal::epcis
