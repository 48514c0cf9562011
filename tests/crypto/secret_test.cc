// SecretBytes and its cleansing allocator (include/retrace/secret.h).
//
// Reading memory after it is freed is undefined behaviour, so these tests
// look at each block at the last moment it is still allocated: the
// CleansingAllocator under test is given a recording base allocator, whose
// deallocate runs after the cleanse and before the block goes back to the
// heap. A control runs the same recorder without the cleansing layer and
// must see the secret, so a recorder that saw nothing could not pass.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "retrace/secret.h"
#include "retrace/signer.h"

namespace retrace {
namespace {

// What the recorder saw of one block when it was given back.
struct ReleasedBlock {
  std::size_t bytes = 0;
  std::size_t nonzero = 0;  // bytes that were not zero
};

std::vector<ReleasedBlock>& Released() {
  static std::vector<ReleasedBlock> released;
  return released;
}

// std::allocator that, on deallocate, counts the non-zero bytes of the block
// (still allocated, so reading it as unsigned char is defined) before freeing.
template <typename T>
struct RecordingAllocator {
  using value_type = T;
  RecordingAllocator() = default;
  template <typename U>
  RecordingAllocator(const RecordingAllocator<U>&) noexcept {}  // NOLINT(runtime/explicit)

  T* allocate(std::size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept {
    const auto* bytes = reinterpret_cast<const unsigned char*>(p);
    ReleasedBlock block;
    block.bytes = n * sizeof(T);
    block.nonzero = static_cast<std::size_t>(
        std::count_if(bytes, bytes + block.bytes, [](unsigned char c) { return c != 0; }));
    Released().push_back(block);
    std::allocator<T>().deallocate(p, n);
  }
  friend bool operator==(const RecordingAllocator&, const RecordingAllocator&) { return true; }
  friend bool operator!=(const RecordingAllocator&, const RecordingAllocator&) { return false; }
};

template <typename T>
using Cleansing = CleansingAllocator<T, RecordingAllocator<T>>;

// Fills a vector with non-zero bytes one at a time, so that it reallocates
// several times, then destroys it. Returns what the recorder saw.
template <typename Vector>
std::vector<ReleasedBlock> GrowAndDrop(std::size_t n) {
  Released().clear();
  {
    Vector v;
    for (std::size_t i = 0; i < n; ++i) v.push_back(static_cast<typename Vector::value_type>(0xA5));
  }
  std::vector<ReleasedBlock> seen = std::move(Released());
  Released().clear();
  return seen;
}

std::size_t NonZero(const std::vector<ReleasedBlock>& blocks) {
  std::size_t n = 0;
  for (const ReleasedBlock& b : blocks) n += b.nonzero;
  return n;
}

std::size_t Bytes(const std::vector<ReleasedBlock>& blocks) {
  std::size_t n = 0;
  for (const ReleasedBlock& b : blocks) n += b.bytes;
  return n;
}

TEST_CASE("The recorder sees secret bytes in blocks freed without cleansing", "[secret]") {
  const auto seen = GrowAndDrop<std::vector<char, RecordingAllocator<char>>>(1000);
  // Growing to 1000 elements reallocates several times; every old block
  // still held the bytes copied out of it.
  REQUIRE(seen.size() >= 3);
  CHECK(NonZero(seen) >= 1000);
}

TEST_CASE("CleansingAllocator zeroes every block, old ones included, before it is freed",
          "[secret]") {
  const auto seen = GrowAndDrop<std::vector<char, Cleansing<char>>>(1000);
  REQUIRE(seen.size() >= 3);  // the blocks left behind by growth, and the last one
  CHECK(Bytes(seen) >= 1000);
  CHECK(NonZero(seen) == 0);
}

TEST_CASE("CleansingAllocator zeroes whole blocks of elements wider than a byte", "[secret]") {
  // n * sizeof(T) bytes, not n: a wipe of n bytes would leave 3/4 of each block.
  const auto seen = GrowAndDrop<std::vector<std::uint32_t, Cleansing<std::uint32_t>>>(300);
  REQUIRE(seen.size() >= 3);
  CHECK(Bytes(seen) >= 1200);
  CHECK(NonZero(seen) == 0);
}

TEST_CASE("CleansingAllocator wipes the capacity a container no longer uses", "[secret]") {
  Released().clear();
  {
    std::vector<char, Cleansing<char>> v(64, 'k');
    v.resize(8);  // the 56 bytes past the end keep the secret until the block is freed
    v.clear();
  }
  REQUIRE(Released().size() == 1);
  CHECK(Released()[0].bytes == 64);
  CHECK(Released()[0].nonzero == 0);
  Released().clear();
}

TEST_CASE("CleansingAllocator rebinds with its base, so node containers are cleansed too",
          "[secret]") {
  Released().clear();
  {
    std::list<std::uint64_t, Cleansing<std::uint64_t>> l;
    for (int i = 0; i < 10; ++i) l.push_back(0x5A5A5A5A5A5A5A5Aull);
  }
  // Each list node (two pointers and a value) went through the recording base.
  REQUIRE(Released().size() == 10);
  CHECK(NonZero(Released()) == 0);
  Released().clear();
}

TEST_CASE("SecretBytes is a vector with the cleansing allocator and no size overhead", "[secret]") {
  STATIC_REQUIRE(std::is_same_v<SecretBytes, std::vector<char, CleansingAllocator<char>>>);
  STATIC_REQUIRE(std::is_empty_v<CleansingAllocator<char>>);
  STATIC_REQUIRE(sizeof(SecretBytes) == sizeof(std::vector<char>));
  // The library hands out secrets only as SecretBytes.
  STATIC_REQUIRE(std::is_same_v<decltype(std::declval<const Signer&>().ExportPrivateKeyPemSecret()),
                                Result<SecretBytes>>);
  // No implicit way from a secret to a std::string.
  STATIC_REQUIRE_FALSE(std::is_convertible_v<SecretBytes, std::string>);
}

TEST_CASE("CleanseMemory zeroes exactly the bytes it is given", "[secret]") {
  unsigned char buf[48];
  std::fill(std::begin(buf), std::end(buf), 0xA5);
  CleanseMemory(buf + 8, 32);
  for (std::size_t i = 0; i < sizeof(buf); ++i) {
    INFO("byte " << i);
    CHECK(buf[i] == ((i >= 8 && i < 40) ? 0 : 0xA5));
  }
  CleanseMemory(nullptr, 0);  // allowed: nothing to do
}

TEST_CASE("SecretView and MakeSecretBytes copy and show exactly the bytes", "[secret]") {
  const std::string bytes("a\0b\xff", 4);
  const SecretBytes s = MakeSecretBytes(bytes);
  CHECK(s.size() == 4);
  CHECK(SecretView(s) == bytes);
  CHECK(SecretView(SecretBytes()).empty());
}

TEST_CASE("An exported private key round-trips through SecretBytes for every algorithm",
          "[secret][keys]") {
  for (Algorithm alg : {Algorithm::kEd25519, Algorithm::kEcdsaP256Sha256, Algorithm::kSm2Sm3}) {
    INFO(AlgorithmName(alg));
    auto signer = Signer::Generate(alg);
    REQUIRE(signer.ok());
    Result<SecretBytes> pem = (*signer)->ExportPrivateKeyPemSecret();
    REQUIRE(pem.ok());
    CHECK(SecretView(*pem).rfind("-----BEGIN PRIVATE KEY-----\n", 0) == 0);
    auto loaded = Signer::FromPrivateKeyPemSecret(*pem);  // the SecretBytes overload
    REQUIRE(loaded.ok());
    CHECK((*loaded)->public_key() == (*signer)->public_key());
  }
}

}  // namespace
}  // namespace retrace
