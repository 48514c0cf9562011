// lmdb_peer: another process with its own raw LMDB environment on a
// ledger, for the tests that need one (a process has one environment per
// file, and a forked copy of a threaded test process may not call LMDB or
// malloc: tests/testing/spawn.h).
//
//   lmdb_peer read DIR     begins a read transaction (taking a reader
//                          slot), prints "R" and waits to be killed
//   lmdb_peer readers DIR  prints LMDB's reader table (mdb_reader_list)
//   lmdb_peer write DIR    commits meta["other"] = "p" and prints
//                          "committed", or which call failed
// The exit status is 0 when the command did what it says, 1 otherwise.
#include <lmdb.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace {

int Fail(const char* what, int rc) {
  std::printf("%s failed: %s\n", what, mdb_strerror(rc));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: lmdb_peer read|readers|write DIR\n");
    return 2;
  }
  const std::string cmd = argv[1];
  const bool write = cmd == "write";
  MDB_env* env = nullptr;
  MDB_txn* txn = nullptr;
  int rc = mdb_env_create(&env);
  if (rc != 0) return Fail("mdb_env_create", rc);
  mdb_env_set_maxdbs(env, 16);
  rc = mdb_env_open(env, argv[2], (write ? MDB_NOSYNC : MDB_RDONLY) | MDB_NOTLS, 0640);
  if (rc != 0) return Fail("mdb_env_open", rc);
  if (cmd == "readers") {
    return mdb_reader_list(
               env, [](const char* msg, void*) { return std::fputs(msg, stdout) < 0 ? -1 : 0; }, nullptr) < 0
               ? 1
               : 0;
  }
  if (cmd == "read") {
    rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn);
    if (rc != 0) return Fail("mdb_txn_begin", rc);
    std::printf("R\n");
    std::fflush(stdout);
    for (;;) ::pause();
  }
  if (write) {
    MDB_dbi dbi;
    if ((rc = mdb_txn_begin(env, nullptr, 0, &txn)) != 0) return Fail("mdb_txn_begin", rc);
    if ((rc = mdb_dbi_open(txn, "meta", 0, &dbi)) != 0) return Fail("mdb_dbi_open", rc);
    MDB_val k{5, const_cast<char*>("other")}, v{1, const_cast<char*>("p")};
    if ((rc = mdb_put(txn, dbi, &k, &v, 0)) != 0) return Fail("mdb_put", rc);
    if ((rc = mdb_txn_commit(txn)) != 0) return Fail("mdb_txn_commit", rc);
    std::printf("committed");
    return 0;
  }
  std::fprintf(stderr, "lmdb_peer: unknown command %s\n", argv[1]);
  return 2;
}
