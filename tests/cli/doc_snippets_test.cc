// Every code block of README.md, docs/*.md and examples/README.md, run or
// compiled as a reader would paste it, so the documentation cannot drift
// from the code:
//   sh          run with bash -e -o pipefail in an empty directory laid out
//               like a source tree: the built `retrace` on PATH and at
//               build/cli/retrace, build/libretrace.so.0, examples/;
//   c, cpp      compiled (C11 / C++17, against include/) and linked with the
//               built libretrace.so; a block of statements is wrapped in a
//               main() first, its #include lines kept on top;
//   json, jsonl parsed (each line, for jsonl);
//   text        shown output or a format: not code, not run.
// A block without a language fails the test. A block that cannot run here
// is marked in the Markdown, on the line before its fence, with
//   <!-- snippet: skip REASON -->         never run (the reason is required)
//   <!-- snippet: needs PROGRAM -->       run only if PROGRAM is on PATH
// and the test prints how many were skipped, so exceptions stay visible.
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "testing/files.h"

#ifndef RETRACE_CLI_PATH
#error "RETRACE_CLI_PATH must name the built retrace binary"
#endif
#ifndef RETRACE_SOURCE_DIR
#error "RETRACE_SOURCE_DIR must name the source tree"
#endif
#ifndef RETRACE_SHARED_LIB
#error "RETRACE_SHARED_LIB must name the built libretrace.so"
#endif
#ifndef RETRACE_C_COMPILER
#error "RETRACE_C_COMPILER and RETRACE_CXX_COMPILER must name the compilers"
#endif
#ifndef RETRACE_CXX_FLAGS
#define RETRACE_C_FLAGS ""
#define RETRACE_CXX_FLAGS ""
#define RETRACE_EXE_LINKER_FLAGS ""
#endif

// A sanitizer build's libretrace.so needs the sanitizer runtime in the
// executable that loads it, which a host built without it (python3) lacks.
const bool kSanitized = std::string(RETRACE_CXX_FLAGS).find("-fsanitize") != std::string::npos;

namespace {

namespace fs = std::filesystem;

struct Snippet {
  std::string file;  // relative to the source tree
  int line = 0;      // of the opening fence
  std::string lang;
  std::string code;
  std::string directive;  // "", "skip" or "needs"
  std::string argument;   // the reason, or the program needed
  std::string Where() const { return file + ":" + std::to_string(line); }
};

using retrace::testing::ReadFile;
using retrace::testing::WriteFile;

// The fenced blocks of one Markdown file, with the directive of the comment
// on the last non-blank line before each.
std::vector<Snippet> Extract(const std::string& relative) {
  std::istringstream in(ReadFile(std::string(RETRACE_SOURCE_DIR) + "/" + relative));
  static const std::regex kFence(R"(^(\s*)```\s*([A-Za-z0-9_+-]*)\s*$)");
  static const std::regex kDirective(R"(^\s*<!--\s*snippet:\s*(skip|needs)\s*(.*?)\s*-->\s*$)");
  std::vector<Snippet> out;
  std::string line, last_nonblank;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::smatch m;
    if (!std::regex_match(line, m, kFence)) {
      if (line.find_first_not_of(" \t") != std::string::npos) last_nonblank = line;
      continue;
    }
    Snippet s;
    s.file = relative;
    s.line = n;
    s.lang = m[2].str();
    const std::size_t indent = m[1].length();
    std::smatch d;
    if (std::regex_match(last_nonblank, d, kDirective)) {
      s.directive = d[1].str();
      s.argument = d[2].str();
    }
    bool closed = false;
    while (std::getline(in, line)) {
      ++n;
      std::smatch c;
      if (std::regex_match(line, c, kFence) && c[2].length() == 0) {
        closed = true;
        break;
      }
      s.code += (line.size() >= indent ? line.substr(indent) : std::string()) + "\n";
    }
    INFO(s.Where());
    REQUIRE(closed);
    out.push_back(std::move(s));
    last_nonblank.clear();
  }
  return out;
}

std::vector<Snippet> AllSnippets() {
  std::vector<std::string> files = {"README.md", "examples/README.md"};
  std::vector<std::string> docs;
  for (const auto& e : fs::directory_iterator(std::string(RETRACE_SOURCE_DIR) + "/docs")) {
    if (e.path().extension() == ".md") docs.push_back("docs/" + e.path().filename().string());
  }
  std::sort(docs.begin(), docs.end());
  files.insert(files.end(), docs.begin(), docs.end());
  std::vector<Snippet> all;
  for (const std::string& f : files) {
    std::vector<Snippet> s = Extract(f);
    all.insert(all.end(), s.begin(), s.end());
  }
  return all;
}

bool OnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!dir.empty() && ::access((dir + "/" + program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

// Whether a block may run here; false (with a note) for a marked exception.
bool Runnable(const Snippet& s) {
  if (s.directive == "skip") return false;
  if (kSanitized && s.code.find("python3") != std::string::npos) {
    WARN(s.Where() << ": not run in a sanitizer build (python3 cannot load an instrumented "
                      "libretrace.so; scripts/sanitize.sh leaves out example_python_ctypes too)");
    return false;
  }
  if (s.directive == "needs" && !OnPath(s.argument)) {
    WARN(s.Where() << ": not run, " << s.argument << " is not installed");
    return false;
  }
  return true;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "retrace-doc-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return (fs::path(path_) / name).string(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct Run {
  int rc = -1;
  std::string output;
};

// Runs `command` through /bin/sh in `dir`, stdout and stderr together.
Run Shell(const std::string& dir, const std::string& command) {
  const std::string log = dir + "/.output";
  const std::string full = "cd " + Quote(dir) + " && " + command + " >" + Quote(log) + " 2>&1 </dev/null";
  int status = std::system(full.c_str());
  Run r;
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.output = ReadFile(log);
  return r;
}

TEST_CASE("every code block of the docs names its language and every exception its reason",
          "[docs]") {
  std::vector<Snippet> all = AllSnippets();
  REQUIRE(all.size() > 30);
  int skipped = 0;
  for (const Snippet& s : all) {
    INFO(s.Where() << " ```" << s.lang);
    CHECK((s.lang == "sh" || s.lang == "c" || s.lang == "cpp" || s.lang == "json" ||
           s.lang == "jsonl" || s.lang == "text"));
    if (s.directive == "skip") {
      ++skipped;
      CHECK(s.argument.size() >= 10);  // a reason, not a shrug
    }
    if (s.directive == "needs") CHECK_FALSE(s.argument.empty());
  }
  WARN(all.size() << " code blocks, " << skipped << " marked not runnable");
}

TEST_CASE("the JSON blocks of the docs parse", "[docs]") {
  int parsed = 0;
  for (const Snippet& s : AllSnippets()) {
    if ((s.lang != "json" && s.lang != "jsonl") || !Runnable(s)) continue;
    INFO(s.Where() << ":\n" << s.code);
    if (s.lang == "json") {
      CHECK(nlohmann::json::accept(s.code));
    } else {
      std::istringstream lines(s.code);
      std::string line;
      while (std::getline(lines, line)) {
        if (!line.empty()) CHECK(nlohmann::json::accept(line));
      }
    }
    ++parsed;
  }
  CHECK(parsed >= 10);
}

// A translation unit of its own (a function defined at file scope: a line
// at column 0 that starts "TYPE NAME(" and is no statement), or a block of
// statements to wrap in main().
bool IsTranslationUnit(const std::string& code) {
  static const std::regex kSignature(
      R"(^[A-Za-z_][\w:<>,]*(?:[ \t\*&]+[A-Za-z_][\w:<>,]*)*[ \t\*&]+[A-Za-z_]\w*\s*\()");
  static const std::regex kStatement(R"(^(if|for|while|switch|do|else|return)\b)");
  std::istringstream in(code);
  std::string line;
  while (std::getline(in, line)) {
    const std::string head = line.substr(0, line.find('('));
    if (std::regex_search(line, kSignature) && !std::regex_search(line, kStatement) &&
        head.find('=') == std::string::npos && line.back() != ';') {
      return true;
    }
  }
  return false;
}

std::string AsProgram(const std::string& code, bool cpp) {
  if (IsTranslationUnit(code)) return code;
  std::string includes, body;
  std::istringstream in(code);
  std::string line;
  while (std::getline(in, line)) (line.rfind("#include", 0) == 0 ? includes : body) += line + "\n";
  return includes + (cpp ? "int main() {\n" : "int main(void) {\n") + body + "  return 0;\n}\n";
}

TEST_CASE("the C and C++ blocks of the docs compile and link against libretrace", "[docs]") {
  TempDir tmp;
  int built = 0;
  for (const Snippet& s : AllSnippets()) {
    if ((s.lang != "c" && s.lang != "cpp") || !Runnable(s)) continue;
    const bool cpp = s.lang == "cpp";
    const std::string name = "snippet" + std::to_string(built);
    const std::string src = tmp / (name + (cpp ? ".cc" : ".c"));
    const std::string program = AsProgram(s.code, cpp);
    WriteFile(src, program);
    // Missing #includes are errors in both languages (implicit declarations
    // are only a warning in C by default).
    std::string cmd = cpp ? Quote(RETRACE_CXX_COMPILER) + " -std=c++17 " + RETRACE_CXX_FLAGS
                          : Quote(RETRACE_C_COMPILER) +
                                " -std=c11 -pedantic-errors -Werror=implicit-function-declaration " +
                                RETRACE_C_FLAGS;
    cmd += " -I" + Quote(std::string(RETRACE_SOURCE_DIR) + "/include") + " " + Quote(src);
    cmd += IsTranslationUnit(s.code) ? " -c -o " + Quote(tmp / (name + ".o"))
                                     : " -o " + Quote(tmp / name) + " " + Quote(RETRACE_SHARED_LIB) +
                                           " " + RETRACE_EXE_LINKER_FLAGS;
    Run r = Shell(tmp.path(), cmd);
    INFO(s.Where() << " as compiled:\n" << program << "\n" << cmd << "\n" << r.output);
    CHECK(r.rc == 0);
    ++built;
  }
  CHECK(built >= 5);
}

TEST_CASE("the shell blocks of the docs run", "[docs]") {
  int ran = 0;
  for (const Snippet& s : AllSnippets()) {
    if (s.lang != "sh" || !Runnable(s)) continue;
    TempDir tmp;
    // A source tree as the reader has it: `retrace` on PATH and at
    // build/cli/retrace, the library at build/libretrace.so.0, examples/.
    fs::create_directories(tmp / "bin");
    fs::create_directories(tmp / "build/cli");
    fs::create_symlink(RETRACE_CLI_PATH, tmp / "bin/retrace");
    fs::create_symlink(RETRACE_CLI_PATH, tmp / "build/cli/retrace");
    fs::create_symlink(RETRACE_SHARED_LIB, tmp / "build/libretrace.so.0");
    fs::create_symlink(std::string(RETRACE_SOURCE_DIR) + "/examples", tmp / "examples");
    WriteFile(tmp / "snippet.sh", s.code);
    const std::string cmd = "env -u RETRACE_DB PATH=" + Quote(tmp / "bin") +
                            ":\"$PATH\" timeout 300 bash -e -o pipefail snippet.sh";
    Run r = Shell(tmp.path(), cmd);
    INFO(s.Where() << ":\n" << s.code << "\noutput:\n" << r.output);
    CHECK(r.rc == 0);
    ++ran;
  }
  CHECK(ran >= 3);
}

}  // namespace
