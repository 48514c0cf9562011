// The full audit's bounded cache of lot states (internal).
#ifndef RETRACE_LIB_LEDGER_LOT_CACHE_H_
#define RETRACE_LIB_LEDGER_LOT_CACHE_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "rules/rules.h"
#include "util/flat_map.h"

namespace retrace::internal {

// Least-recently-used lot states, in flat arrays. The audit looks lots up
// several times per record and, once the cache is full, replaces one per
// lot it creates; a heap node per lot (std::list, std::unordered_map) cost
// more in malloc, free and pointer chasing than the lookups themselves.
// Here the lots sit in one vector, the recency list links them by index,
// and an open-addressing table of indexes finds them (linear probing, at
// most half full, deletion by backward shift, as FlatU64Map). A pointer
// from Find or Insert is valid until the next Insert.
// `HashId` hashes lot ids (tests pass a weak one to force collisions).
template <typename HashId = std::hash<std::string_view>>
class BasicLotCache {
 public:
  explicit BasicLotCache(std::size_t capacity)
      : capacity_(std::clamp<std::size_t>(capacity, 1, kNone - 1)) {
    // Address space only until lots fill it (pages are touched as they are
    // written): up to kReserveLimit lots the vector never moves them.
    slots_.reserve(std::min<std::size_t>(capacity_, kReserveLimit));
  }

  // Until the first eviction every lot seen is cached: a miss then means the
  // lot does not exist, with no need to look further.
  bool complete() const { return !evicted_; }

  LotView* Find(std::string_view id) {
    const std::uint32_t s = Lookup(id, HashOf(id));
    if (s == kNone) return nullptr;
    MoveToFront(s);
    return &slots_[s].lot;
  }
  LotView* Insert(LotView v) {
    const std::uint64_t h = HashOf(v.lot_id);
    std::uint32_t s = Lookup(v.lot_id, h);
    if (s != kNone) {
      slots_[s].lot = std::move(v);
      MoveToFront(s);
      return &slots_[s].lot;
    }
    if (slots_.size() < capacity_) {
      s = static_cast<std::uint32_t>(slots_.size());
      slots_.emplace_back();
      if (2 * slots_.size() > table_.size()) Grow();
    } else {
      s = tail_;  // the least recently used
      Unlink(s);
      Unindex(s);
      evicted_ = true;
    }
    Slot& slot = slots_[s];
    slot.lot = std::move(v);
    slot.hash = h;
    Index(s);
    PushFront(s);
    return &slot.lot;
  }

 private:
  static constexpr std::uint32_t kNone = 0xffffffffu;
  static constexpr std::size_t kReserveLimit = std::size_t{1} << 20;
  struct Slot {
    LotView lot;
    std::uint64_t hash = 0;
    std::uint32_t prev = kNone, next = kNone;  // towards head_ / towards tail_
  };

  static std::uint64_t HashOf(std::string_view id) { return HashId()(id); }
  std::size_t Home(std::uint64_t h) const { return open_addressing::Home(h, shift_, mask_); }
  std::uint32_t Lookup(std::string_view id, std::uint64_t h) const {
    if (table_.empty()) return kNone;
    for (std::size_t i = Home(h);; i = (i + 1) & mask_) {
      const std::uint32_t s = table_[i];
      if (s == kNone) return kNone;
      if (slots_[s].hash == h && slots_[s].lot.lot_id == id) return s;
    }
  }
  void Index(std::uint32_t s) {
    std::size_t i = Home(slots_[s].hash);
    while (table_[i] != kNone) i = (i + 1) & mask_;
    table_[i] = s;
  }
  void Unindex(std::uint32_t s) {
    std::size_t i = Home(slots_[s].hash);
    while (table_[i] != s) i = (i + 1) & mask_;
    // Backward shift: pull later entries of the probe run into the hole.
    for (std::size_t j = (i + 1) & mask_; table_[j] != kNone; j = (j + 1) & mask_) {
      if (open_addressing::StaysBehindHole(i, j, Home(slots_[table_[j]].hash))) continue;
      table_[i] = table_[j];
      i = j;
    }
    table_[i] = kNone;
  }
  void Grow() {
    const std::size_t n = table_.empty() ? 16 : table_.size() * 2;
    table_.assign(n, kNone);
    mask_ = n - 1;
    shift_ = open_addressing::Shift(n);
    // Every slot but the one being filled (the last) holds a lot.
    for (std::uint32_t s = 0; s + 1 < slots_.size(); ++s) Index(s);
  }
  void Unlink(std::uint32_t s) {
    Slot& slot = slots_[s];
    (slot.prev == kNone ? head_ : slots_[slot.prev].next) = slot.next;
    (slot.next == kNone ? tail_ : slots_[slot.next].prev) = slot.prev;
    slot.prev = slot.next = kNone;
  }
  void PushFront(std::uint32_t s) {
    slots_[s].next = head_;
    if (head_ != kNone) slots_[head_].prev = s;
    head_ = s;
    if (tail_ == kNone) tail_ = s;
  }
  void MoveToFront(std::uint32_t s) {
    if (head_ == s) return;
    Unlink(s);
    PushFront(s);
  }

  const std::size_t capacity_;
  bool evicted_ = false;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> table_;  // slot numbers; kNone: empty
  std::size_t mask_ = 0;
  unsigned shift_ = 64;
  std::uint32_t head_ = kNone, tail_ = kNone;  // most and least recently used
};

using LotCache = BasicLotCache<>;

}  // namespace retrace::internal

#endif  // RETRACE_LIB_LEDGER_LOT_CACHE_H_
