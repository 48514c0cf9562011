// Open-addressing hash map from uint64 keys (internal).
//
// The verifier looks records up by sequence number several times per
// record; std::unordered_map costs a heap node per entry and two dependent
// cache misses per lookup, which on a busy machine is most of a lineage
// walk. This table keeps keys and values in one array (linear probing,
// at most half full, deletion by backward shift), so a lookup touches one
// cache line, and clearing or destroying it frees one block.
//
// Thread safety: none; like std::unordered_map, const lookups may run
// concurrently with each other but not with any change.
// Pointers from Find are valid until the next Insert or Erase.
#ifndef RETRACE_LIB_UTIL_FLAT_MAP_H_
#define RETRACE_LIB_UTIL_FLAT_MAP_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace retrace::internal {

// The probing arithmetic FlatU64Map shares with other open-addressing
// tables (the audit's LotCache): tables of 2^k slots, linear probing.
namespace open_addressing {

// Fibonacci hashing: the high bits of the product spread dense or weak
// hashes. `shift` is 64 - k (Shift).
inline std::size_t Home(std::uint64_t h, unsigned shift, std::size_t mask) {
  return static_cast<std::size_t>((h * 0x9E3779B97F4A7C15ull) >> shift) & mask;
}
// 64 - log2(n) for a table of n (a power of two) slots.
inline unsigned Shift(std::size_t n) {
  unsigned shift = 64;
  for (std::size_t m = n; m > 1; m >>= 1) --shift;
  return shift;
}
// Backward-shift deletion: whether the entry at j, whose home is `home`,
// stays put when the hole at i (earlier in its probe run) is filled -- it
// does if its home lies cyclically in (i, j].
inline bool StaysBehindHole(std::size_t i, std::size_t j, std::size_t home) {
  return i <= j ? (i < home && home <= j) : (i < home || home <= j);
}

}  // namespace open_addressing

template <typename V>
class FlatU64Map {
 public:
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  V* Find(std::uint64_t key) {
    if (size_ == 0) return nullptr;
    for (std::size_t i = Home(key);; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (!s.used) return nullptr;
      if (s.key == key) return &s.value;
    }
  }
  const V* Find(std::uint64_t key) const { return const_cast<FlatU64Map*>(this)->Find(key); }

  // Inserts (key, value) unless key is present. Returns the entry and
  // whether it was inserted.
  std::pair<V*, bool> Insert(std::uint64_t key, V value) {
    if (2 * (size_ + 1) > slots_.size()) Grow();
    for (std::size_t i = Home(key);; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (!s.used) {
        s.used = true;
        s.key = key;
        s.value = std::move(value);
        ++size_;
        return {&s.value, true};
      }
      if (s.key == key) return {&s.value, false};
    }
  }

  // Removes key if present; returns whether it was.
  bool Erase(std::uint64_t key) {
    if (size_ == 0) return false;
    std::size_t i = Home(key);
    for (;; i = (i + 1) & mask_) {
      if (!slots_[i].used) return false;
      if (slots_[i].key == key) break;
    }
    // Backward shift: pull later entries of the probe run into the hole
    // unless their home lies cyclically in (hole, entry].
    for (std::size_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
      if (!slots_[j].used) break;
      if (open_addressing::StaysBehindHole(i, j, Home(slots_[j].key))) continue;
      slots_[i] = std::move(slots_[j]);
      i = j;
    }
    slots_[i] = Slot();
    --size_;
    return true;
  }

  // Visits every (key, value), in no particular order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const Slot& s : slots_) {
      if (s.used) fn(s.key, s.value);
    }
  }

 private:
  struct Slot {
    std::uint64_t key = 0;
    bool used = false;
    V value{};
  };
  std::size_t Home(std::uint64_t key) const {
    // Sequence numbers are dense: Fibonacci hashing spreads them.
    return open_addressing::Home(key, shift_, mask_);
  }
  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    const std::size_t n = old.empty() ? 16 : old.size() * 2;
    slots_.assign(n, Slot());
    mask_ = n - 1;
    shift_ = open_addressing::Shift(n);
    size_ = 0;
    for (Slot& s : old) {
      if (s.used) Insert(s.key, std::move(s.value));
    }
  }

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
  std::size_t mask_ = 0;
  unsigned shift_ = 64;
};

}  // namespace retrace::internal

#endif  // RETRACE_LIB_UTIL_FLAT_MAP_H_
