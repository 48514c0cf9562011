// Whole-file reads and writes for tests (binary, no transformation).
#ifndef RETRACE_TESTS_TESTING_FILES_H_
#define RETRACE_TESTS_TESTING_FILES_H_

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

namespace retrace::testing {

// The file's bytes; "" if it cannot be read (a test then fails on content).
inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The bytes of a file that must exist; the test fails if it cannot be opened.
inline std::string ReadExistingFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  INFO(path);
  REQUIRE(in.good());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Replaces the file's content with `data`; the test fails if it cannot.
inline void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  REQUIRE(out.good());
}

}  // namespace retrace::testing

#endif  // RETRACE_TESTS_TESTING_FILES_H_
