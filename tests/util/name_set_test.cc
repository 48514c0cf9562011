// NameSet against std::set over records of every width around the switch
// from the linear scan to the hash set, reused from one record to the next
// as the audits reuse it.
#include <catch2/catch.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "util/name_set.h"

namespace retrace::internal {
namespace {

TEST_CASE("NameSet says which names a record names for the first time", "[util]") {
  std::mt19937_64 rng(11);
  std::vector<std::string> pool;
  for (int i = 0; i < 300; ++i) pool.push_back("LOT-" + std::to_string(i));
  NameSet names;
  // Widths below, at and above the switch (16), and a wide merge; each
  // record draws from a pool small enough to repeat names.
  for (std::size_t width : {0u, 1u, 2u, 15u, 16u, 17u, 18u, 40u, 2000u, 3u, 17u, 1u}) {
    for (int record = 0; record < 20; ++record) {
      names.Clear();
      std::set<std::string> seen;
      const std::size_t distinct = 1 + rng() % pool.size();
      for (std::size_t i = 0; i < width; ++i) {
        const std::string& name = pool[rng() % distinct];
        INFO("width " << width << ", name " << i << ": " << name);
        CHECK(names.Insert(name) == seen.insert(name).second);
      }
    }
  }
}

}  // namespace
}  // namespace retrace::internal
