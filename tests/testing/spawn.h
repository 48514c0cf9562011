// Starting child processes from a test process that may have threads.
//
// A child made by fork() holds a copy of every lock as it was at the fork,
// including locks another thread of the parent held at that instant (the
// allocator's, stdio's, a sanitizer runtime's). Until it calls exec, such a
// child may only make async-signal-safe calls; one malloc can sleep forever
// on a lock whose owner was not copied. So:
//
//  - to run a program, use Spawn: posix_spawn, which builds the child's
//    standard streams and argument vector without running any of the
//    parent's code in the child;
//  - to run a piece of the test in a child (fork without exec), call
//    RequireOneThread first: it fails the test, at once and by name, if the
//    process has other threads, instead of letting the child hang some of
//    the time.
#ifndef RETRACE_TESTS_TESTING_SPAWN_H_
#define RETRACE_TESTS_TESTING_SPAWN_H_

#include <fcntl.h>
#include <spawn.h>
#include <sys/types.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

extern char** environ;

namespace retrace::testing {

// Where a spawned child's standard streams go. A path is opened by the
// child (stdin read-only; stdout and stderr created and truncated); a
// descriptor is duplicated onto the stream; neither leaves the parent's.
struct ChildStreams {
  std::string stdin_path;
  std::string stdout_path;
  std::string stderr_path;
  int stdout_fd = -1;  // above 2, and not with stdout_path
};

// Runs argv[0] with argv and the parent's environment; returns its pid.
// Fails the test if the program cannot be started.
inline pid_t Spawn(const std::vector<std::string>& argv, const ChildStreams& streams = {}) {
  REQUIRE(!argv.empty());
  REQUIRE((streams.stdout_fd < 0 || (streams.stdout_fd > 2 && streams.stdout_path.empty())));
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  REQUIRE(posix_spawn_file_actions_init(&fa) == 0);
  auto open_on = [&fa](int fd, const std::string& path, int flags) {
    if (!path.empty()) REQUIRE(posix_spawn_file_actions_addopen(&fa, fd, path.c_str(), flags, 0644) == 0);
  };
  open_on(STDIN_FILENO, streams.stdin_path, O_RDONLY);
  if (streams.stdout_fd >= 0) {
    REQUIRE(posix_spawn_file_actions_adddup2(&fa, streams.stdout_fd, STDOUT_FILENO) == 0);
  }
  open_on(STDOUT_FILENO, streams.stdout_path, O_WRONLY | O_CREAT | O_TRUNC);
  open_on(STDERR_FILENO, streams.stderr_path, O_WRONLY | O_CREAT | O_TRUNC);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  INFO("posix_spawn " << argv[0] << " (stdin " << streams.stdin_path << ", stdout " << streams.stdout_path
                      << ", stderr " << streams.stderr_path << "): " << std::strerror(rc));
  REQUIRE(rc == 0);
  return pid;
}

// Spawn with the child's standard output on a new pipe (`streams` says
// where the other streams go). *read_fd is the parent's end, close-on-exec,
// for the caller to read and close.
inline pid_t SpawnPiped(const std::vector<std::string>& argv, ChildStreams streams, int* read_fd) {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  streams.stdout_fd = fds[1];
  const pid_t pid = Spawn(argv, streams);
  ::close(fds[1]);
  *read_fd = fds[0];
  return pid;
}

// The number of threads this process has (from /proc/self/status).
inline int ThreadCount() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

// Fails the test unless this process has one thread: what a fork without
// exec needs for the child to be allowed to do more than async-signal-safe
// calls. `what` names the child in the failure. (A thread just joined may
// be counted for a moment longer: the kernel wakes the joiner before it
// has removed the thread, so the count is read again for up to a second.)
inline void RequireOneThread(const char* what) {
  int threads = ThreadCount();
  for (int i = 0; i < 1000 && threads > 1; ++i) {
    ::usleep(1000);
    threads = ThreadCount();
  }
  INFO(what << " forks without exec, which is safe only in a process with one thread; this one has "
            << threads);
  REQUIRE(threads == 1);
}

}  // namespace retrace::testing

#endif  // RETRACE_TESTS_TESTING_SPAWN_H_
