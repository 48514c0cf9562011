// Protobuf wire-format reading without a message (internal): what the
// zero-copy parsers (ParseRecordView, ScanEventKeys, ReadBundleView) share.
#ifndef RETRACE_LIB_MODEL_WIRE_READER_H_
#define RETRACE_LIB_MODEL_WIRE_READER_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace retrace::internal {

// Well-formed UTF-8 (no overlong forms, surrogates or code points beyond
// U+10FFFF), what protobuf requires of a proto3 string.
inline bool ValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const unsigned c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int n = 0;
    unsigned lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      return false;
    }
    if (end - p <= n) return false;
    if (p[1] < lo || p[1] > hi) return false;
    for (int i = 2; i <= n; ++i) {
      if (p[i] < 0x80 || p[i] > 0xbf) return false;
    }
    p += n + 1;
  }
  return true;
}

// Protobuf's wire format, as protobuf 3's parser reads it (parse_context.h):
// varints of at most 10 bytes (tags and lengths at most 5), the bits beyond
// the value's width dropped.
class WireReader {
 public:
  explicit WireReader(std::string_view b)
      : p_(reinterpret_cast<const unsigned char*>(b.data())), end_(p_ + b.size()) {}
  bool done() const { return p_ == end_; }
  const char* position() const { return reinterpret_cast<const char*>(p_); }

  bool Varint(std::uint64_t* out, int max_bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < max_bytes; ++i) {
      if (p_ == end_) return false;
      const unsigned b = *p_++;
      if (i < 10) v |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
      if (b < 0x80) {
        *out = v;
        return true;
      }
    }
    return false;
  }
  bool Tag(std::uint32_t* out) {
    std::uint64_t v = 0;
    if (!Varint(&v, 5)) return false;
    *out = static_cast<std::uint32_t>(v);
    return true;
  }
  // A length prefix (protobuf refuses one of 2 GiB or more) and the bytes.
  bool Bytes(std::string_view* out) {
    const unsigned char* start = p_;
    std::uint64_t n = 0;
    if (!Varint(&n, 5)) return false;
    if (p_ - start == 5 && start[4] >= 8) return false;
    if (n > static_cast<std::uint64_t>(end_ - p_)) return false;
    *out = std::string_view(reinterpret_cast<const char*>(p_), static_cast<std::size_t>(n));
    p_ += n;
    return true;
  }
  bool Skip(std::size_t n) {
    if (n > static_cast<std::size_t>(end_ - p_)) return false;
    p_ += n;
    return true;
  }
  // Skips the value of an unknown field with `tag` (a group up to its end
  // tag). `depth` is protobuf's recursion budget.
  bool SkipField(std::uint32_t tag, int depth) {
    if ((tag >> 3) == 0) return false;
    std::uint64_t v = 0;
    std::string_view s;
    switch (tag & 7) {
      case 0: return Varint(&v, 10);
      case 1: return Skip(8);
      case 2: return Bytes(&s);
      case 5: return Skip(4);
      case 3: {
        if (--depth < 0) return false;
        for (;;) {
          std::uint32_t t = 0;
          if (!Tag(&t) || t == 0) return false;
          if ((t & 7) == 4) return t == (tag & ~7u) + 4;
          if (!SkipField(t, depth)) return false;
        }
      }
      default: return false;  // 4 (an end tag outside its group), 6, 7
    }
  }

 private:
  const unsigned char* p_;
  const unsigned char* end_;
};

}  // namespace retrace::internal

#endif  // RETRACE_LIB_MODEL_WIRE_READER_H_
