// FlatU64Map against std::unordered_map under random inserts, lookups and
// erasures (backward-shift deletion is the part worth checking).
#include <catch2/catch.hpp>
#include <random>
#include <unordered_map>

#include "util/flat_map.h"

namespace retrace::internal {
namespace {

TEST_CASE("FlatU64Map behaves as an unordered_map", "[util]") {
  std::mt19937_64 rng(5);
  for (std::uint64_t range : {8ull, 300ull, 100000ull}) {
    FlatU64Map<std::uint64_t> flat;
    std::unordered_map<std::uint64_t, std::uint64_t> ref;
    for (int i = 0; i < 200000; ++i) {
      // Dense keys (sequence numbers) and keys that collide in the low bits.
      const std::uint64_t k = (rng() % 2 ? rng() % range : (rng() % range) << 20);
      switch (rng() % 3) {
        case 0: {
          auto [v, added] = flat.Insert(k, i);
          const bool ref_added = ref.emplace(k, i).second;
          REQUIRE(added == ref_added);
          REQUIRE(*v == ref.at(k));
          break;
        }
        case 1:
          REQUIRE(flat.Erase(k) == (ref.erase(k) == 1));
          break;
        default: {
          const std::uint64_t* v = flat.Find(k);
          auto it = ref.find(k);
          REQUIRE((v != nullptr) == (it != ref.end()));
          if (v != nullptr) REQUIRE(*v == it->second);
        }
      }
      REQUIRE(flat.size() == ref.size());
    }
    std::size_t seen = 0;
    flat.ForEach([&](std::uint64_t k, std::uint64_t v) {
      ++seen;
      REQUIRE(ref.at(k) == v);
    });
    REQUIRE(seen == ref.size());
  }
}

}  // namespace
}  // namespace retrace::internal
