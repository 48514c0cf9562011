// Running the built `retrace` binary from a test, as a user would: in a
// temporary directory of its own, with given standard input, its exit
// status and both outputs captured. For tests compiled with
// RETRACE_CLI_PATH naming the binary.
#ifndef RETRACE_TESTS_TESTING_CLI_RUN_H_
#define RETRACE_TESTS_TESTING_CLI_RUN_H_

#include <stdlib.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "testing/files.h"

#ifndef RETRACE_CLI_PATH
#error "RETRACE_CLI_PATH must name the built retrace binary"
#endif

namespace retrace::testing::cli {

using testing::ReadFile;
using testing::WriteFile;

// A directory under the system's temp dir, removed with everything in it.
class WorkDir {
 public:
  WorkDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "retrace-cli-XXXXXX").string();
    char* p = mkdtemp(tmpl.data());
    REQUIRE(p != nullptr);
    path_ = p;
  }
  ~WorkDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;

  std::string operator/(const std::string& name) const {
    return (std::filesystem::path(path_) / name).string();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// `s` as one single-quoted shell word.
inline std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

struct Run {
  int rc = -1;
  std::string out;
  std::string err;
};

// Runs `retrace ARGS` with `stdin_text` on standard input, in `dir`, with
// `env` ("NAME=value ...", already quoted) added to the environment and
// RETRACE_DB removed from it.
inline Run RetraceEnv(const WorkDir& dir, const std::string& env,
                      const std::vector<std::string>& args, const std::string& stdin_text = "") {
  const std::string in = dir / ".stdin", out = dir / ".stdout", err = dir / ".stderr";
  WriteFile(in, stdin_text);
  std::string cmd = "cd " + Quote(dir.path()) + " && env -u RETRACE_DB " + env + " " +
                    Quote(RETRACE_CLI_PATH);
  for (const std::string& a : args) cmd += " " + Quote(a);
  cmd += " <" + Quote(in) + " >" + Quote(out) + " 2>" + Quote(err);
  const int status = std::system(cmd.c_str());
  Run r;
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = ReadFile(out);
  r.err = ReadFile(err);
  return r;
}

inline Run Retrace(const WorkDir& dir, const std::vector<std::string>& args,
                   const std::string& stdin_text = "") {
  return RetraceEnv(dir, "", args, stdin_text);
}

}  // namespace retrace::testing::cli

// Requires exit status `code` of a Run, showing both outputs if not.
#define REQUIRE_RC(run, code)                             \
  do {                                                    \
    const auto& _r = (run);                               \
    INFO("stdout: " << _r.out << "\nstderr: " << _r.err); \
    REQUIRE(_r.rc == (code));                             \
  } while (0)

#endif  // RETRACE_TESTS_TESTING_CLI_RUN_H_
