// Secret bytes: private keys, their PEM and DER forms, Ed25519 seeds and
// encoded signer keys, held in memory that is wiped before it is freed.
//
// SecretBytes is a std::vector<char> whose allocator overwrites every buffer
// with zeros (OPENSSL_cleanse, which the compiler may not elide) before it
// returns it to the heap -- including the old buffer a growing vector leaves
// behind, so appending to a secret never strands a copy. A vector keeps no
// bytes inside the object itself (std::string's small-string buffer would),
// so moving a SecretBytes moves a pointer and copies no secret.
//
// What it cannot do: a copy made out of it (a std::string built from
// SecretView, a stream, a log line) is an ordinary copy that nobody wipes.
// Read a secret through SecretView and hand the view straight to its
// consumer; never store it elsewhere.
//
// This header uses only the standard library; the wipe itself is in the
// library (CleanseMemory).
//
// Thread safety: SecretBytes is a value, like std::vector.
#ifndef RETRACE_SECRET_H_
#define RETRACE_SECRET_H_

#include <cstddef>
#include <memory>
#include <string_view>
#include <type_traits>
#include <vector>

#include "retrace/export.h"

namespace retrace {

// Overwrites the `n` bytes at `p` with zeros in a way the compiler may not
// optimise away (OPENSSL_cleanse). Does nothing when `n` is 0 (`p` may then
// be null).
RETRACE_EXPORT void CleanseMemory(void* p, std::size_t n) noexcept;

// An allocator that obtains memory from `Base` and cleanses every block
// (all `n` elements it was allocated with, whatever the container last kept
// in it) before giving it back to `Base`. `Base` exists so that a test can
// observe the block at the moment it is released; everything else uses the
// default, std::allocator.
template <typename T, typename Base = std::allocator<T>>
class CleansingAllocator : private Base {
  using BaseTraits = std::allocator_traits<Base>;
  static_assert(std::is_same_v<typename BaseTraits::value_type, T>,
                "the base allocator must allocate T");

 public:
  using value_type = T;
  using size_type = typename BaseTraits::size_type;
  using difference_type = typename BaseTraits::difference_type;
  using propagate_on_container_copy_assignment =
      typename BaseTraits::propagate_on_container_copy_assignment;
  using propagate_on_container_move_assignment =
      typename BaseTraits::propagate_on_container_move_assignment;
  using propagate_on_container_swap = typename BaseTraits::propagate_on_container_swap;
  using is_always_equal = typename BaseTraits::is_always_equal;

  template <typename U>
  struct rebind {
    using other = CleansingAllocator<U, typename BaseTraits::template rebind_alloc<U>>;
  };

  CleansingAllocator() = default;
  explicit CleansingAllocator(const Base& base) noexcept : Base(base) {}
  template <typename U, typename B>
  CleansingAllocator(const CleansingAllocator<U, B>& other) noexcept  // NOLINT(runtime/explicit)
      : Base(other.base()) {}

  T* allocate(std::size_t n) { return BaseTraits::allocate(base(), n); }

  void deallocate(T* p, std::size_t n) noexcept {
    CleanseMemory(p, n * sizeof(T));
    BaseTraits::deallocate(base(), p, n);
  }

  const Base& base() const noexcept { return *this; }
  Base& base() noexcept { return *this; }

  friend bool operator==(const CleansingAllocator& a, const CleansingAllocator& b) noexcept {
    return a.base() == b.base();
  }
  friend bool operator!=(const CleansingAllocator& a, const CleansingAllocator& b) noexcept {
    return !(a == b);
  }
};

// The bytes of a secret. Use it wherever a private key, a PEM or DER
// encoding of one, a seed or an encoded signer key is held.
using SecretBytes = std::vector<char, CleansingAllocator<char>>;

// The explicitly named way to read a secret: a view of its bytes, valid
// until `secret` is changed or destroyed.
inline std::string_view SecretView(const SecretBytes& secret) noexcept {
  return std::string_view(secret.data(), secret.size());
}

// A SecretBytes holding a copy of `bytes`. The memory `bytes` points into
// is not touched: its owner still wipes it.
inline SecretBytes MakeSecretBytes(std::string_view bytes) {
  return SecretBytes(bytes.begin(), bytes.end());
}

}  // namespace retrace

#endif  // RETRACE_SECRET_H_
