// Reaching into a closed ledger's LMDB file below the ledger API, for tests
// that damage or forge what it stores (tamper, integrity and parallel
// verification tests).
#ifndef RETRACE_TESTS_TESTING_LMDB_POKE_H_
#define RETRACE_TESTS_TESTING_LMDB_POKE_H_

#include <lmdb.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <utility>

namespace retrace::testing {

// A u64 as the ledger's tables key and value it: 8 bytes, big-endian.
inline std::string U64Key(std::uint64_t v) {
  std::string k(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) k[i] = static_cast<char>(v & 0xff);
  return k;
}

inline MDB_val ValOf(const std::string& s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }

// The n-th (key, value) of a table in key order.
inline std::pair<std::string, std::string> Nth(MDB_txn* txn, MDB_dbi dbi, std::size_t n) {
  MDB_cursor* cur = nullptr;
  REQUIRE(mdb_cursor_open(txn, dbi, &cur) == 0);
  MDB_val k, v;
  int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
  for (std::size_t i = 0; i < n && rc == 0; ++i) rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  REQUIRE(rc == 0);
  std::pair<std::string, std::string> out{std::string(static_cast<char*>(k.mv_data), k.mv_size),
                                          std::string(static_cast<char*>(v.mv_data), v.mv_size)};
  mdb_cursor_close(cur);
  return out;
}

// Runs `fn` in a write transaction on the named table of the closed ledger
// at `path` (opened with the table's own dupsort flags) and commits.
inline void WithTable(const std::string& path, const std::string& table,
                      const std::function<void(MDB_txn*, MDB_dbi)>& fn) {
  MDB_env* env = nullptr;
  REQUIRE(mdb_env_create(&env) == 0);
  mdb_env_set_maxdbs(env, 16);
  mdb_env_set_mapsize(env, std::size_t{1} << 30);
  REQUIRE(mdb_env_open(env, path.c_str(), MDB_NOSYNC, 0640) == 0);
  MDB_txn* txn = nullptr;
  REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
  static const std::set<std::string> kDupsort = {"lot_index", "quota_log"};
  MDB_dbi dbi;
  REQUIRE(mdb_dbi_open(txn, table.c_str(),
                       kDupsort.count(table) ? MDB_DUPSORT | MDB_DUPFIXED : 0, &dbi) == 0);
  fn(txn, dbi);
  REQUIRE(mdb_txn_commit(txn) == 0);
  mdb_env_close(env);
}

// The stored bytes of record `seq`.
inline std::string GetRecord(const std::string& path, std::uint64_t seq) {
  std::string out;
  WithTable(path, "records", [&](MDB_txn* txn, MDB_dbi dbi) {
    std::string k = U64Key(seq);
    MDB_val key = ValOf(k), val;
    REQUIRE(mdb_get(txn, dbi, &key, &val) == 0);
    out.assign(static_cast<char*>(val.mv_data), val.mv_size);
  });
  return out;
}

// Stores `bytes` as record `seq` (nothing else changes).
inline void PutRecord(const std::string& path, std::uint64_t seq, const std::string& bytes) {
  WithTable(path, "records", [&](MDB_txn* txn, MDB_dbi dbi) {
    std::string k = U64Key(seq);
    MDB_val key = ValOf(k), val = ValOf(bytes);
    REQUIRE(mdb_put(txn, dbi, &key, &val, 0) == 0);
  });
}

inline void DeleteRecord(const std::string& path, std::uint64_t seq) {
  WithTable(path, "records", [&](MDB_txn* txn, MDB_dbi dbi) {
    std::string k = U64Key(seq);
    MDB_val key = ValOf(k);
    REQUIRE(mdb_del(txn, dbi, &key, nullptr) == 0);
  });
}

// Rewrites record `seq` with fn(&bytes).
inline void RewriteRecord(const std::string& path, std::uint64_t seq,
                          const std::function<void(std::string*)>& fn) {
  std::string bytes = GetRecord(path, seq);
  fn(&bytes);
  PutRecord(path, seq, bytes);
}

}  // namespace retrace::testing

#endif  // RETRACE_TESTS_TESTING_LMDB_POKE_H_
