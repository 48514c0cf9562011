// Hex constants of tests as bytes.
#ifndef RETRACE_TESTS_TESTING_HEX_H_
#define RETRACE_TESTS_TESTING_HEX_H_

#include <catch2/catch.hpp>
#include <string>
#include <string_view>

#include "retrace/status.h"
#include "util/hex.h"

namespace retrace::testing {

// The bytes `hex` spells; the test fails if it is not hex.
inline std::string Unhex(std::string_view hex) {
  Result<std::string> r = internal::HexDecode(hex);
  INFO(std::string(hex));
  REQUIRE(r.ok());
  return *r;
}

}  // namespace retrace::testing

#endif  // RETRACE_TESTS_TESTING_HEX_H_
