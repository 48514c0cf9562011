// Hand-built protobuf wire format, for tests that feed parsers encodings a
// serializer would never produce (field order, repeats, unknown fields).
#ifndef RETRACE_TESTS_TESTING_WIRE_H_
#define RETRACE_TESTS_TESTING_WIRE_H_

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>

namespace retrace::testing {

inline std::string Varint(std::uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
  return out;
}
inline std::string Tag(std::uint32_t field, int wire) { return Varint((field << 3) | wire); }
// A length-delimited field.
inline std::string Len(std::uint32_t field, const std::string& s) {
  return Tag(field, 2) + Varint(s.size()) + s;
}

// One to four random edits of wire-format bytes, for differential tests of
// a hand-written reader against protobuf: a byte replaced, the bytes cut
// short, a byte inserted, a small field of any wire type appended, or a bit
// set (continuation bits, wire types).
inline void MutateWire(std::string* b, std::mt19937_64& rng) {
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits; ++e) {
    switch (rng() % 5) {
      case 0:
        if (!b->empty()) (*b)[rng() % b->size()] = static_cast<char>(rng());
        break;
      case 1:
        b->resize(rng() % (b->size() + 1));
        break;
      case 2:
        b->insert(b->begin() + static_cast<std::ptrdiff_t>(rng() % (b->size() + 1)),
                  static_cast<char>(rng() % 4 == 0 ? rng() : rng() % 0x40));
        break;
      case 3:
        *b += static_cast<char>(rng() % 0x80);
        *b += static_cast<char>(rng() % 0x10);
        break;
      default:
        if (!b->empty()) (*b)[rng() % b->size()] |= static_cast<char>(1u << (rng() % 8));
    }
  }
}

}  // namespace retrace::testing

#endif  // RETRACE_TESTS_TESTING_WIRE_H_
