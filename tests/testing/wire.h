// Hand-built protobuf wire format, for tests that feed parsers encodings a
// serializer would never produce (field order, repeats, unknown fields).
#ifndef RETRACE_TESTS_TESTING_WIRE_H_
#define RETRACE_TESTS_TESTING_WIRE_H_

#include <cstdint>
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

}  // namespace retrace::testing

#endif  // RETRACE_TESTS_TESTING_WIRE_H_
