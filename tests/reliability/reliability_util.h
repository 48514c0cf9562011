// Helpers shared by the reliability tests: raw dumps of a closed ledger's
// LMDB file (the "logical content" a refused or crashed write must not
// change), file hashing, child processes with a pipe, and seeds.
//
// Nothing here goes through the retrace API on purpose: these helpers are
// the independent observer that the API's promises are checked against.
#ifndef RETRACE_TESTS_RELIABILITY_RELIABILITY_UTIL_H_
#define RETRACE_TESTS_RELIABILITY_RELIABILITY_UTIL_H_

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <poll.h>
#include <signal.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "retrace/hash.h"
#include "testing/files.h"
#include "testing/spawn.h"

namespace retrace::testing {

// Every table of a ledger file: name -> (key, value) pairs in key order
// (duplicates of dupsort tables included, in order).
using TableDump = std::map<std::string, std::vector<std::pair<std::string, std::string>>>;

// Every table of a ledger (lib/storage/lmdb_env.h) and whether it is dupsort.
struct LedgerTable {
  const char* name;
  bool dupsort;
};
inline const LedgerTable kLedgerTables[] = {
    {"meta", false},      {"records", false},   {"lot_index", true}, {"event_ids", false},
    {"lots", false},      {"tree", false},      {"quotas", false},   {"quota_log", true},
    {"authority", false}, {"checkpoints", false}};

// Reads every table of the (closed) ledger in `dir` through a read-only raw
// LMDB environment. Returns nullopt (and says why in *why) if the file
// cannot be read that way.
inline std::optional<TableDump> DumpLedgerTables(const std::string& dir, std::string* why = nullptr) {
  auto fail = [&](const std::string& what, int rc) -> std::optional<TableDump> {
    if (why) *why = what + ": " + mdb_strerror(rc);
    return std::nullopt;
  };
  MDB_env* env = nullptr;
  int rc = mdb_env_create(&env);
  if (rc != 0) return fail("mdb_env_create", rc);
  mdb_env_set_maxdbs(env, 16);
  // As retrace does: the map is sized from the file, never from the meta
  // page's mm_mapsize (which LMDB would otherwise trust, damaged or not).
  struct stat st;
  if (::stat((dir + "/data.mdb").c_str(), &st) == 0) {
    mdb_env_set_mapsize(env, std::max<std::size_t>(static_cast<std::size_t>(st.st_size), std::size_t{1} << 20));
  }
  rc = mdb_env_open(env, dir.c_str(), MDB_RDONLY | MDB_NOTLS, 0640);
  if (rc != 0) {
    mdb_env_close(env);
    return fail("mdb_env_open", rc);
  }
  MDB_txn* txn = nullptr;
  rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn);
  if (rc != 0) {
    mdb_env_close(env);
    return fail("mdb_txn_begin", rc);
  }
  TableDump out;
  for (const auto& [name, dupsort] : kLedgerTables) {
    MDB_dbi dbi;
    unsigned flags = dupsort ? MDB_DUPSORT | MDB_DUPFIXED : 0;
    rc = mdb_dbi_open(txn, name, flags, &dbi);
    if (rc != 0) {
      mdb_txn_abort(txn);
      mdb_env_close(env);
      return fail(std::string("open table ") + name, rc);
    }
    MDB_cursor* cur = nullptr;
    rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc != 0) {
      mdb_txn_abort(txn);
      mdb_env_close(env);
      return fail("cursor", rc);
    }
    auto& rows = out[name];
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
      rows.emplace_back(std::string(static_cast<const char*>(k.mv_data), k.mv_size),
                        std::string(static_cast<const char*>(v.mv_data), v.mv_size));
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) {
      mdb_txn_abort(txn);
      mdb_env_close(env);
      return fail(std::string("scan table ") + name, rc);
    }
  }
  mdb_txn_abort(txn);
  mdb_env_close(env);
  return out;
}

inline std::string FileSha256(const std::string& path) {
  return HashToHex(Sha256(ReadFile(path)));
}

// A seed for a randomised test: $RETRACE_<NAME>_SEED if set, else `fallback`,
// so that a failure report can be replayed exactly.
inline std::uint64_t SeedFromEnv(const char* env_name, std::uint64_t fallback) {
  const char* v = std::getenv(env_name);
  if (v == nullptr || *v == '\0') return fallback;
  return std::strtoull(v, nullptr, 0);
}

inline long IntFromEnv(const char* env_name, long fallback) {
  const char* v = std::getenv(env_name);
  if (v == nullptr || *v == '\0') return fallback;
  return std::strtol(v, nullptr, 0);
}

inline double MonotonicSeconds() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// How long a test waits for any child process before it reports what the
// child was doing and kills it: far beyond any healthy run, also under the
// sanitizers, and well inside CTest's 300 s timeout.
inline constexpr double kChildDeadlineSeconds = 120;

// What process `pid` is doing, read from /proc without stopping it: its
// state and CPU time, and for each thread the kernel function it sleeps in
// (wchan) and the system call it is inside (number, then arguments: for a
// futex wait (202) the first is the address of the lock word).
inline std::string DescribeProcess(pid_t pid) {
  auto read = [](const std::string& path) {
    std::ifstream in(path);
    std::string s;
    std::getline(in, s);
    return s;
  };
  const std::string base = "/proc/" + std::to_string(pid);
  const std::string stat = read(base + "/stat");
  std::ostringstream out;
  out << "pid " << pid;
  const auto close = stat.rfind(')');
  if (close == std::string::npos) {
    out << ": no longer in /proc";
    return out.str();
  }
  std::istringstream fields(stat.substr(close + 2));
  std::vector<std::string> f;
  for (std::string w; fields >> w;) f.push_back(w);
  const long tick = ::sysconf(_SC_CLK_TCK);
  if (f.size() > 12) {
    out << " state " << f[0] << ", cpu " << (std::stol(f[11]) + std::stol(f[12])) * 1000 / tick << " ms";
  }
  DIR* tasks = ::opendir((base + "/task").c_str());
  if (tasks != nullptr) {
    for (dirent* e; (e = ::readdir(tasks)) != nullptr;) {
      if (e->d_name[0] == '.') continue;
      const std::string t = base + "/task/" + e->d_name;
      out << "; thread " << e->d_name << " wchan " << read(t + "/wchan") << ", syscall "
          << read(t + "/syscall");
    }
    ::closedir(tasks);
  }
  return out.str();
}

// Waits for child `pid` at most `seconds`. Returns its wait status; or, if
// it is still running then, nullopt, with *report saying what it was doing
// (DescribeProcess) -- it has been killed with SIGKILL and reaped.
inline std::optional<int> WaitWithDeadline(pid_t pid, double seconds, std::string* report) {
  timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  int status = 0;
  for (unsigned nap_us = 100;; nap_us = std::min(nap_us * 2, 20000u)) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return std::nullopt;
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (static_cast<double>(now.tv_sec - start.tv_sec) + static_cast<double>(now.tv_nsec - start.tv_nsec) * 1e-9 >
        seconds) {
      break;
    }
    ::usleep(nap_us);
  }
  if (report != nullptr) {
    *report = "still running after " + std::to_string(static_cast<int>(seconds)) + " s: " + DescribeProcess(pid);
  }
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return std::nullopt;
}

// What the child `pid` writes to `fd` (the read end of its output pipe,
// closed here) until it closes it, once it has exited; "the child died with
// signal N" if it did not exit, "the child hung: ..." (what it was doing) if
// it had not finished within kChildDeadlineSeconds.
inline std::string CollectChild(pid_t pid, int fd) {
  std::string out;
  char buf[4096];
  const double deadline = MonotonicSeconds() + kChildDeadlineSeconds;
  for (;;) {
    const double left = deadline - MonotonicSeconds();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    const int rc = ::poll(&p, 1, static_cast<int>(left * 1000) + 1);
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) break;
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  std::string report;
  const std::optional<int> status = WaitWithDeadline(pid, std::max(1.0, deadline - MonotonicSeconds()), &report);
  if (!status) return "the child hung: " + report;
  if (!WIFEXITED(*status)) return "the child died with signal " + std::to_string(WTERMSIG(*status));
  return out;
}

// Runs fn in a forked child (for what must not touch the test process:
// mounts, resource limits, signal dispositions) and returns the string fn
// returned, as CollectChild says. Only for a test process with one thread
// (testing/spawn.h says why); other processes are started with Spawn.
inline std::string InChild(const std::function<std::string()>& fn) {
  RequireOneThread("InChild");
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    const std::string out = fn();
    (void)!::write(fds[1], out.data(), out.size());
    _exit(0);
  }
  ::close(fds[1]);
  return CollectChild(pid, fds[0]);
}

// Runs the program argv[0] and returns its standard output, as CollectChild
// says; its standard error goes to the test's.
inline std::string RunForOutput(const std::vector<std::string>& argv) {
  int fd = -1;
  const pid_t pid = SpawnPiped(argv, {}, &fd);
  return CollectChild(pid, fd);
}

// A child process running `argv` with its standard output on a pipe the
// parent reads line by line, and its standard error in a file.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::string& stderr_path) : argv0_(argv.at(0)) {
    ChildStreams streams;
    streams.stderr_path = stderr_path;
    pid_ = SpawnPiped(argv, streams, &fd_);
  }
  ~ChildProcess() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
      }
    }
    if (fd_ >= 0) ::close(fd_);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  // The next complete line (without '\n'), waiting at most `timeout_ms`.
  // nullopt on timeout or end of file (eof() tells which).
  std::optional<std::string> ReadLine(int timeout_ms) {
    for (;;) {
      auto nl = buf_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return line;
      }
      if (eof_) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      int rc = ::poll(&p, 1, timeout_ms);
      if (rc < 0 && errno == EINTR) continue;
      if (rc <= 0) return std::nullopt;
      char chunk[4096];
      ssize_t n = ::read(fd_, chunk, sizeof(chunk));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        eof_ = true;
        continue;
      }
      buf_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  bool eof() const { return eof_; }

  void Kill(int sig = SIGKILL) { ::kill(pid_, sig); }

  // Waits for the child; returns the raw wait status. A child still
  // running after `seconds` fails the test with what it was doing
  // (DescribeProcess), and is killed.
  int Wait(double seconds = kChildDeadlineSeconds) {
    if (reaped_) return status_;
    std::string report;
    std::optional<int> status = WaitWithDeadline(pid_, seconds, &report);
    reaped_ = true;
    if (!status) {
      status_ = -1;
      FAIL("child " << argv0_ << " " << report);
    }
    status_ = *status;
    return status_;
  }

 private:
  std::string argv0_;
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string buf_;
  bool eof_ = false;
  bool reaped_ = false;
  int status_ = 0;
};

inline std::vector<std::string> SplitWords(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

}  // namespace retrace::testing

#endif  // RETRACE_TESTS_RELIABILITY_RELIABILITY_UTIL_H_
