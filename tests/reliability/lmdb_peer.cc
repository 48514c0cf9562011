// lmdb_peer: another process with its own raw LMDB environment on a
// ledger, for the tests that need one (a process has one environment per
// file, and a forked copy of a threaded test process may not call LMDB or
// malloc: tests/testing/spawn.h).
//
//   lmdb_peer read DIR     begins a read transaction (taking a reader
//                          slot), prints "R" and waits to be killed
//   lmdb_peer readers DIR  prints LMDB's reader table (mdb_reader_list:
//                          a header line naming "pid", or "(no active
//                          readers)")
//   lmdb_peer write DIR    commits meta["other"] = "p" and prints
//                          "committed"
// A call that fails prints "<call> failed: <LMDB's message>" and the exit
// status is 1. Everything is released before exit, so the program runs
// clean under LeakSanitizer.
#include <lmdb.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace {

// The environment, and the transaction while one is open: released however
// main returns.
struct Peer {
  MDB_env* env = nullptr;
  MDB_txn* txn = nullptr;
  ~Peer() {
    if (txn != nullptr) mdb_txn_abort(txn);
    if (env != nullptr) mdb_env_close(env);
  }
};

int Failed(const char* what, int rc) {
  std::printf("%s failed: %s\n", what, rc == 0 ? "no entry printed" : mdb_strerror(rc));
  return 1;
}

int Run(const std::string& cmd, const char* dir) {
  const bool write = cmd == "write";
  if (!write && cmd != "read" && cmd != "readers") {
    std::fprintf(stderr, "lmdb_peer: unknown command %s\n", cmd.c_str());
    return 2;
  }
  Peer p;
  int rc = mdb_env_create(&p.env);
  if (rc != 0) return Failed("mdb_env_create", rc);
  mdb_env_set_maxdbs(p.env, 16);
  rc = mdb_env_open(p.env, dir, (write ? MDB_NOSYNC : MDB_RDONLY) | MDB_NOTLS, 0640);
  if (rc != 0) return Failed("mdb_env_open", rc);
  if (cmd == "readers") {
    // The callback's count of lines printed; mdb_reader_list returns the
    // callback's last result, or an error.
    int lines = 0;
    rc = mdb_reader_list(
        p.env,
        [](const char* msg, void* ctx) {
          ++*static_cast<int*>(ctx);
          return std::fputs(msg, stdout) < 0 ? -1 : 0;
        },
        &lines);
    return rc < 0 || lines == 0 ? Failed("mdb_reader_list", rc) : 0;
  }
  if (cmd == "read") {
    rc = mdb_txn_begin(p.env, nullptr, MDB_RDONLY, &p.txn);
    if (rc != 0) return Failed("mdb_txn_begin", rc);
    std::printf("R\n");
    std::fflush(stdout);
    for (;;) ::pause();
  }
  MDB_dbi dbi;
  if ((rc = mdb_txn_begin(p.env, nullptr, 0, &p.txn)) != 0) return Failed("mdb_txn_begin", rc);
  if ((rc = mdb_dbi_open(p.txn, "meta", 0, &dbi)) != 0) return Failed("mdb_dbi_open", rc);
  MDB_val k{5, const_cast<char*>("other")}, v{1, const_cast<char*>("p")};
  if ((rc = mdb_put(p.txn, dbi, &k, &v, 0)) != 0) return Failed("mdb_put", rc);
  rc = mdb_txn_commit(p.txn);
  p.txn = nullptr;  // committed or not, the transaction is gone
  if (rc != 0) return Failed("mdb_txn_commit", rc);
  std::printf("committed");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: lmdb_peer read|readers|write DIR\n");
    return 2;
  }
  return Run(argv[1], argv[2]);
}
