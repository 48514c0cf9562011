// Status / Result, the propagation macros, and the hex and base64 codecs.
#include "retrace/status.h"

#include <openssl/evp.h>

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "retrace/hash.h"
#include "util/hex.h"
#include "util/status_macros.h"

namespace retrace {
namespace {

using internal::Base64Decode;
using internal::Base64Encode;
using internal::HexDecode;
using internal::HexEncode;

// --- Status ----------------------------------------------------------------

TEST_CASE("A default Status is OK and prints as ok", "[status]") {
  Status st;
  CHECK(st.ok());
  CHECK(st.code() == StatusCode::kOk);
  CHECK(st.message().empty());
  CHECK(st.ToString() == "ok");
  CHECK(st == Status::Ok());
}

TEST_CASE("Error constructors set their code and ToString names it", "[status]") {
  struct Case {
    Status st;
    StatusCode code;
    const char* name;
  };
  const Case cases[] = {
      {InvalidArgumentError("m"), StatusCode::kInvalidArgument, "invalid argument"},
      {NotFoundError("m"), StatusCode::kNotFound, "not found"},
      {AlreadyExistsError("m"), StatusCode::kAlreadyExists, "already exists"},
      {FailedPreconditionError("m"), StatusCode::kFailedPrecondition, "failed precondition"},
      {ResourceExhaustedError("m"), StatusCode::kResourceExhausted, "resource exhausted"},
      {IoError("m"), StatusCode::kIoError, "i/o error"},
      {CorruptionError("m"), StatusCode::kCorruption, "corruption"},
      {VerificationFailedError("m"), StatusCode::kVerificationFailed, "verification failed"},
      {InternalError("m"), StatusCode::kInternal, "internal error"},
  };
  for (const Case& c : cases) {
    CHECK_FALSE(c.st.ok());
    CHECK(c.st.code() == c.code);
    CHECK(c.st.message() == "m");
    CHECK(c.st.ToString() == std::string(c.name) + ": m");
    CHECK(std::string(StatusCodeName(c.code)) == c.name);
  }
}

TEST_CASE("StatusCode values are stable", "[status]") {
  CHECK(static_cast<int>(StatusCode::kOk) == 0);
  CHECK(static_cast<int>(StatusCode::kInvalidArgument) == 1);
  CHECK(static_cast<int>(StatusCode::kVerificationFailed) == 8);
  CHECK(static_cast<int>(StatusCode::kInternal) == 9);
  CHECK(std::string(StatusCodeName(static_cast<StatusCode>(99))) == "unknown");
}

TEST_CASE("Annotate prefixes the message and keeps the code; OK stays OK", "[status]") {
  Status st = NotFoundError("lot L1").Annotate("shipping");
  CHECK(st.code() == StatusCode::kNotFound);
  CHECK(st.message() == "shipping: lot L1");
  CHECK(Status::Ok().Annotate("ctx").ok());
  CHECK(Status::Ok().Annotate("ctx").message().empty());
}

TEST_CASE("Status equality compares code and message", "[status]") {
  CHECK(IoError("a") == IoError("a"));
  CHECK_FALSE(IoError("a") == IoError("b"));
  CHECK_FALSE(IoError("a") == CorruptionError("a"));
}

// --- Result ----------------------------------------------------------------

TEST_CASE("Result holds a value or an error", "[result]") {
  Result<int> v = 42;
  REQUIRE(v.ok());
  CHECK(*v == 42);
  CHECK(v.value() == 42);
  CHECK(v.status().ok());
  CHECK(v.value_or(7) == 42);

  Result<int> e = NotFoundError("nope");
  CHECK_FALSE(e.ok());
  CHECK(e.status().code() == StatusCode::kNotFound);
  CHECK(e.value_or(7) == 7);
}

TEST_CASE("Result built from an OK Status becomes kInternal", "[result]") {
  Result<int> r = Status::Ok();
  CHECK_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInternal);
}

TEST_CASE("Result moves its value out", "[result]") {
  Result<std::vector<int>> r = std::vector<int>{1, 2, 3};
  std::vector<int> taken = std::move(r).value();
  CHECK(taken.size() == 3);
  Result<std::string> s = std::string("abc");
  CHECK(s->size() == 3);
}

Status FailIf(bool fail) { return fail ? IoError("disk") : Status::Ok(); }
Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgumentError("odd " + std::to_string(x));
  return x / 2;
}
Status Chain(bool fail, int* calls) {
  RETURN_IF_ERROR(FailIf(fail));
  ++*calls;
  return Status::Ok();
}
Result<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST_CASE("RETURN_IF_ERROR returns the first error and continues on OK", "[macros]") {
  int calls = 0;
  CHECK(Chain(false, &calls).ok());
  CHECK(calls == 1);
  Status st = Chain(true, &calls);
  CHECK(st.code() == StatusCode::kIoError);
  CHECK(calls == 1);
}

TEST_CASE("ASSIGN_OR_RETURN assigns values and propagates errors", "[macros]") {
  Result<int> q = Quarter(12);
  REQUIRE(q.ok());
  CHECK(*q == 3);
  CHECK(Quarter(6).status() == InvalidArgumentError("odd 3"));
  CHECK(Quarter(5).status() == InvalidArgumentError("odd 5"));
}

// --- Hex -------------------------------------------------------------------

TEST_CASE("HexEncode is lower-case and HexDecode inverts it", "[hex]") {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  const std::string hex = HexEncode(all);
  CHECK(hex.size() == 512);
  CHECK(hex.substr(0, 8) == "00010203");
  CHECK(hex.substr(504) == "fcfdfeff");
  Result<std::string> back = HexDecode(hex);
  REQUIRE(back.ok());
  CHECK(*back == all);
  CHECK(HexEncode("") == "");
  CHECK(*HexDecode("") == "");
}

TEST_CASE("HexDecode accepts upper case", "[hex]") {
  CHECK(*HexDecode("ABcdEF") == "\xab\xcd\xef");
}

TEST_CASE("HexDecode rejects odd length and non-hex characters, naming the position", "[hex]") {
  CHECK(HexDecode("abc").status().code() == StatusCode::kInvalidArgument);
  Result<std::string> r = HexDecode("00zz");
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(r.status().message(), Catch::Contains("position 2"));
  for (const char* bad : {"0x", " 0", "0g", "-1", "\xff\xff"}) {
    CHECK(HexDecode(bad).status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("Hash hex and byte conversions round-trip", "[hash]") {
  Hash h;
  for (size_t i = 0; i < h.size(); ++i) h[i] = static_cast<uint8_t>(i * 9);
  const std::string hex = HashToHex(h);
  CHECK(hex.size() == 64);
  CHECK(hex.substr(0, 6) == "000912");
  Result<Hash> from_hex = HashFromHex(hex);
  REQUIRE(from_hex.ok());
  CHECK(*from_hex == h);
  Result<Hash> upper =
      HashFromHex("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855");
  REQUIRE(upper.ok());
  CHECK(HashToHex(*upper) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(*upper == Sha256(""));

  const std::string bytes = HashBytes(h);
  CHECK(bytes.size() == 32);
  Result<Hash> from_bytes = HashFromBytes(bytes);
  REQUIRE(from_bytes.ok());
  CHECK(*from_bytes == h);
}

TEST_CASE("HashFromHex and HashFromBytes reject the wrong length or bad digits", "[hash]") {
  const std::string hex(64, 'a');
  CHECK(HashFromHex(hex.substr(1)).status().code() == StatusCode::kInvalidArgument);
  CHECK(HashFromHex(hex + "a").status().code() == StatusCode::kInvalidArgument);
  CHECK(HashFromHex(hex + "aa").status().code() == StatusCode::kInvalidArgument);
  CHECK(HashFromHex(std::string(63, 'a') + "g").status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(HashFromHex("ab").status().message(), Catch::Contains("got 2"));
  CHECK(HashFromBytes(std::string(31, 'x')).status().code() == StatusCode::kInvalidArgument);
  CHECK(HashFromBytes(std::string(33, 'x')).status().code() == StatusCode::kInvalidArgument);
  CHECK(HashFromBytes("").status().code() == StatusCode::kInvalidArgument);
}

// --- Base64 ----------------------------------------------------------------

TEST_CASE("Base64 matches the RFC 4648 section 10 test vectors", "[base64]") {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  int ran = 0;
  for (const auto& [plain, encoded] : vectors) {
    CHECK(Base64Encode(plain) == encoded);
    Result<std::string> decoded = Base64Decode(encoded);
    REQUIRE(decoded.ok());
    CHECK(*decoded == plain);
    ++ran;
  }
  CHECK(ran == 7);
}

TEST_CASE("Base64Encode agrees with OpenSSL EVP_EncodeBlock and round-trips", "[base64]") {
  std::mt19937 rng(20240601);
  for (size_t len = 0; len < 200; ++len) {
    std::string data(len, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    std::string reference(4 * ((len + 2) / 3) + 1, '\0');
    int n =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(reference.data()),
                        reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(len));
    reference.resize(static_cast<size_t>(n));
    const std::string encoded = Base64Encode(data);
    REQUIRE(encoded == reference);
    Result<std::string> decoded = Base64Decode(encoded);
    REQUIRE(decoded.ok());
    REQUIRE(*decoded == data);
  }
}

TEST_CASE("Base64Decode is strict", "[base64]") {
  const char* bad[] = {
      "Zg",        // Missing padding.
      "Zg=",       // Length not a multiple of 4.
      "Zg===",     // Too much padding.
      "Z===",      // Three pads.
      "====",      // Only padding.
      "=Zg=",      // Leading padding.
      "Zg==Zm8=",  // Padding in the middle.
      "Zm9v\n",    // Whitespace.
      "Zm 9",      // Embedded space.
      "Zm-_",      // URL-safe alphabet.
      "Zh==",      // Non-zero trailing bits (canonical is Zg==).
      "Zm9=",      // Non-zero trailing bits (canonical is Zm8=).
      "Zm9v\x80\x80\x80\x80",
  };
  for (const char* b : bad) {
    INFO(b);
    CHECK(Base64Decode(b).status().code() == StatusCode::kInvalidArgument);
  }
  CHECK_THAT(Base64Decode("Zh==").status().message(), Catch::Contains("non-canonical"));
  CHECK_THAT(Base64Decode("Zm!v").status().message(), Catch::Contains("'!' at position 2"));
}

}  // namespace
}  // namespace retrace
