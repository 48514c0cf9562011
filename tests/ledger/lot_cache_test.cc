// The full audit's lot cache (lib/ledger/lot_cache.h) against a reference
// least-recently-used cache built from std::list and std::map: on random
// finds and inserts over many more lots than it holds, at capacities from
// one lot to more than its table's first size, both hold the same lots with
// the same states, evict the same ones and say the same about completeness.
// Small tables make the open addressing's probe runs wrap around and its
// deletions shift entries back across the table's end; weak hashes make ids
// collide.
#include <catch2/catch.hpp>
#include <cstdint>
#include <list>
#include <map>
#include <random>
#include <string>
#include <string_view>

#include "ledger/lot_cache.h"

namespace retrace {
namespace {

using internal::LotCache;
using internal::LotView;

class ReferenceCache {
 public:
  explicit ReferenceCache(std::size_t capacity) : capacity_(capacity) {}
  bool complete() const { return !evicted_; }
  const LotView* Find(const std::string& id) {
    auto it = index_.find(id);
    if (it == index_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);
    return &*it->second;
  }
  void Insert(const LotView& v) {
    auto it = index_.find(v.lot_id);
    if (it != index_.end()) {
      *it->second = v;
      lru_.splice(lru_.begin(), lru_, it->second);
      return;
    }
    if (index_.size() == capacity_) {
      index_.erase(lru_.back().lot_id);
      lru_.pop_back();
      evicted_ = true;
    }
    lru_.push_front(v);
    index_[v.lot_id] = lru_.begin();
  }

 private:
  const std::size_t capacity_;
  bool evicted_ = false;
  std::list<LotView> lru_;
  std::map<std::string, std::list<LotView>::iterator> index_;
};

LotView Lot(const std::string& id, std::uint64_t version) {
  LotView v;
  v.lot_id = id;
  v.mass_g = version;
  v.head_seq = version;
  // Some strings past the small-string buffer, so moves carry heap memory.
  v.custodian = version % 3 == 0 ? "a custodian whose name is long, " + std::to_string(version)
                                 : "c" + std::to_string(version % 7);
  v.content.push_back({Element::kNd, version});
  return v;
}

bool Same(const LotView* a, const LotView* b) {
  if ((a == nullptr) != (b == nullptr)) return false;
  if (a == nullptr) return true;
  return a->lot_id == b->lot_id && a->mass_g == b->mass_g && a->head_seq == b->head_seq &&
         a->custodian == b->custodian && a->content.size() == b->content.size() &&
         a->content[0].grams == b->content[0].grams;
}

// Ids that differ but hash alike: with the last character only ten hashes
// for the pool's ids, with a constant one every id collides, so lookups
// must tell ids apart by comparing them and probe runs grow long.
struct LastCharHash {
  std::size_t operator()(std::string_view id) const { return id.empty() ? 0 : id.back(); }
};
struct ConstantHash {
  std::size_t operator()(std::string_view) const { return 42; }
};

template <typename Cache>
void MatchReference(std::size_t capacity, int ops) {
  INFO("capacity " << capacity);
  Cache cache(capacity);
  ReferenceCache ref(capacity);
  std::mt19937_64 rng(capacity * 7919);
  // Ids drawn from a pool a few times the capacity: hits, misses,
  // re-inserts of evicted lots and replacements of cached ones.
  const std::uint64_t pool = capacity * 3 + 2;
  std::uint64_t version = 0;
  for (int op = 0; op < ops; ++op) {
    const std::string id = "L-" + std::to_string(rng() % pool);
    if (rng() % 3 == 0) {
      const LotView v = Lot(id, ++version);
      LotView* in = cache.Insert(v);
      ref.Insert(v);
      REQUIRE(in != nullptr);
      REQUIRE(Same(in, &v));
    } else {
      const LotView* got = cache.Find(id);
      const LotView* want = ref.Find(id);
      REQUIRE(Same(got, want));
    }
    REQUIRE(cache.complete() == ref.complete());
  }
  // Every lot of the pool, last: the same ones are held.
  for (std::uint64_t i = 0; i < pool; ++i) {
    const std::string id = "L-" + std::to_string(i);
    REQUIRE(Same(cache.Find(id), ref.Find(id)));
  }
}

TEST_CASE("The lot cache keeps and evicts the lots a reference LRU cache does",
          "[ledger][audit]") {
  for (std::size_t capacity : {1, 2, 3, 5, 7, 8, 9, 16, 31, 64}) {
    MatchReference<LotCache>(capacity, 20000);
  }
}

TEST_CASE("The lot cache tells apart ids whose hashes collide", "[ledger][audit]") {
  for (std::size_t capacity : {1, 3, 8, 31}) {
    MatchReference<internal::BasicLotCache<LastCharHash>>(capacity, 5000);
    MatchReference<internal::BasicLotCache<ConstantHash>>(capacity, 2000);
  }
}

TEST_CASE("The lot cache is complete until its first eviction", "[ledger][audit]") {
  LotCache cache(3);
  CHECK(cache.complete());
  cache.Insert(Lot("A", 1));
  cache.Insert(Lot("B", 2));
  cache.Insert(Lot("C", 3));
  cache.Insert(Lot("B", 4));  // replaces, evicts nothing
  CHECK(cache.complete());
  REQUIRE(cache.Find("A") != nullptr);  // A is now the most recent; C the least
  cache.Insert(Lot("D", 5));
  CHECK_FALSE(cache.complete());
  CHECK(cache.Find("C") == nullptr);
  REQUIRE(cache.Find("B") != nullptr);
  CHECK(cache.Find("B")->mass_g == 4);
  CHECK(cache.Find("A") != nullptr);
  CHECK(cache.Find("D") != nullptr);
  // An id that is a prefix of another, and the empty id, are lots of their own.
  cache.Insert(Lot("", 6));
  cache.Insert(Lot("D-1", 7));
  CHECK(cache.Find("")->mass_g == 6);
  CHECK(cache.Find("D-1")->mass_g == 7);
  // Inserting "" evicted B and inserting D-1 evicted A, the least recent.
  CHECK(cache.Find("D") != nullptr);
  CHECK(cache.Find("A") == nullptr);
  CHECK(cache.Find("B") == nullptr);
}

}  // namespace
}  // namespace retrace
