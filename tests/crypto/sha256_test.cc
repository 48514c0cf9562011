// SHA-256: FIPS 180-2 known answers, and the incremental and concatenating
// forms cross-checked against the one-shot.
#include "crypto/sha256.h"

#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "retrace/hash.h"

namespace retrace {
namespace {

using internal::Sha256Concat;
using internal::Sha256Hasher;

// FIPS 180-2 appendix B and the NIST CAVP examples (`printf %s msg | sha256sum`).
TEST_CASE("Sha256 matches FIPS 180-2 known answers", "[sha256]") {
  struct Vector {
    std::string message;
    const char* digest;
  };
  const std::vector<Vector> vectors = {
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {std::string(1000000, 'a'),
       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
  };
  int ran = 0;
  for (const Vector& v : vectors) {
    INFO("message length " << v.message.size());
    CHECK(HashToHex(Sha256(v.message)) == v.digest);
    ++ran;
  }
  CHECK(ran == 4);
}

TEST_CASE("Sha256Hasher equals one-shot for every split point", "[sha256]") {
  std::string message;
  for (int i = 0; i < 300; ++i) message += static_cast<char>(i * 7 + 3);
  const Hash expected = Sha256(message);
  for (size_t split = 0; split <= message.size(); ++split) {
    Sha256Hasher hasher;
    hasher.Update(std::string_view(message).substr(0, split));
    hasher.Update(std::string_view(message).substr(split));
    REQUIRE(hasher.Finish() == expected);
  }
}

TEST_CASE("Sha256Hasher byte-at-a-time matches the million-a vector", "[sha256]") {
  Sha256Hasher hasher;
  const std::string chunk(1000, 'a');
  for (int i = 0; i < 1000; ++i) hasher.Update(chunk);
  CHECK(HashToHex(hasher.Finish()) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("Sha256Hasher is reusable after Finish", "[sha256]") {
  Sha256Hasher hasher;
  hasher.Update("garbage that must not leak into the next digest");
  (void)hasher.Finish();
  CHECK(hasher.Finish() == Sha256(""));
  hasher.Update("ab");
  hasher.Update("c");
  CHECK(hasher.Finish() == Sha256("abc"));
}

TEST_CASE("Sha256Concat equals Sha256 of the concatenation", "[sha256]") {
  const std::string left(32, '\x11');
  const std::string right(32, '\x22');
  CHECK(Sha256Concat({}) == Sha256(""));
  CHECK(Sha256Concat({"", "abc", ""}) == Sha256("abc"));
  CHECK(Sha256Concat({std::string_view("\x01", 1), left, right}) ==
        Sha256(std::string("\x01", 1) + left + right));
}

TEST_CASE("Sha256 gives the same digests from many threads", "[sha256][threads]") {
  std::vector<Hash> expected;
  for (int i = 0; i < 64; ++i) expected.push_back(Sha256(std::string(static_cast<size_t>(i), 'x')));
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 2000; ++round) {
        int i = (round + t) % 64;
        std::string msg(static_cast<size_t>(i), 'x');
        Hash got = (round % 2 == 0) ? Sha256(msg)
                                    : Sha256Concat({msg.substr(0, i / 2), msg.substr(i / 2)});
        if (got != expected[static_cast<size_t>(i)]) ++mismatches[static_cast<size_t>(t)];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int m : mismatches) CHECK(m == 0);
}

}  // namespace
}  // namespace retrace
