// Test helpers that attack a closed ledger below the API, through LMDB
// itself: rewriting history and re-linking it (what the owner of a ledger
// file could do), and dropping stored checkpoints.
#ifndef RETRACE_TESTS_TRANSPARENCY_REWRITE_H_
#define RETRACE_TESTS_TRANSPARENCY_REWRITE_H_

#include <lmdb.h>

#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <string>
#include <utility>

#include "ledger/state.h"
#include "model/record.h"
#include "retrace/event.h"
#include "retrace/merkle.h"

namespace retrace::testing {

inline std::string U64be(std::uint64_t v) {
  std::string k(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) k[i] = static_cast<char>(v & 0xff);
  return k;
}

inline std::string_view View(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

// Runs `fn` in one write transaction on the ledger's LMDB environment with
// the named tables open.
inline void WithLmdb(const std::string& path,
                     const std::function<void(MDB_txn*, std::map<std::string, MDB_dbi>&)>& fn) {
  MDB_env* env = nullptr;
  REQUIRE(mdb_env_create(&env) == 0);
  mdb_env_set_maxdbs(env, 32);
  mdb_env_set_mapsize(env, std::size_t{1} << 30);
  REQUIRE(mdb_env_open(env, path.c_str(), MDB_NOSYNC, 0640) == 0);
  MDB_txn* txn = nullptr;
  REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
  std::map<std::string, MDB_dbi> dbi;
  for (const char* name : {"meta", "records", "tree", "checkpoints"}) {
    REQUIRE(mdb_dbi_open(txn, name, 0, &dbi[name]) == 0);
  }
  fn(txn, dbi);
  REQUIRE(mdb_txn_commit(txn) == 0);
  mdb_env_close(env);
}

// In-memory perfect-subtree hashes for rebuilding the tree table.
class MapNodes : public merkle::NodeSource {
 public:
  Result<Hash> PerfectNode(unsigned level, std::uint64_t index) const override {
    auto it = nodes.find({level, index});
    if (it == nodes.end()) return NotFoundError("no node");
    return it->second;
  }
  std::map<std::pair<unsigned, std::uint64_t>, Hash> nodes;
};

// Replaces the event of record `seq` by `forged` (re-signed by a key its
// actor holds), re-links every later record to its new predecessor, and
// rebuilds the whole Merkle tree and the head to match: the
// rewrite an owner of the file can do without any other actor's key. The
// ledger must be closed.
inline void RewriteHistory(const std::string& path, std::uint64_t seq, const SignedEvent& forged) {
  WithLmdb(path, [&](MDB_txn* txn, std::map<std::string, MDB_dbi>& t) {
    std::map<std::uint64_t, std::string> records;
    MDB_cursor* cur = nullptr;
    REQUIRE(mdb_cursor_open(txn, t["records"], &cur) == 0);
    MDB_val k, v;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
      records[records.size()] = std::string(View(v));
    }
    mdb_cursor_close(cur);
    REQUIRE(seq < records.size());
    Hash prev{};
    MapNodes tree;
    for (auto& [s, bytes] : records) {
      auto rec = DecodeRecord(bytes);
      REQUIRE(rec.ok());
      if (s >= seq) {
        bytes = s == seq ? internal::EncodeRecord(s, prev, forged)
                         : internal::EncodeRecord(s, prev,
                                                  SignedEvent(rec->event_bytes, rec->key_id,
                                                              rec->signature, rec->batch));
        std::string key = U64be(s);
        MDB_val rk{key.size(), key.data()}, rv{bytes.size(), bytes.data()};
        REQUIRE(mdb_put(txn, t["records"], &rk, &rv, 0) == 0);
      }
      prev = internal::RecordHash(bytes);
      auto completed = merkle::NodesCompletedByAppend(tree, s, prev);
      REQUIRE(completed.ok());
      for (const auto& n : *completed) tree.nodes[{n.level, n.index}] = n.hash;
    }
    REQUIRE(mdb_drop(txn, t["tree"], 0) == 0);
    for (const auto& [pos, h] : tree.nodes) {
      std::string key = internal::TreeKey(pos.first, pos.second);
      std::string val = HashBytes(h);
      MDB_val nk{key.size(), key.data()}, nv{val.size(), val.data()};
      REQUIRE(mdb_put(txn, t["tree"], &nk, &nv, 0) == 0);
    }
    std::string head = U64be(records.size()) + HashBytes(prev);
    std::string hk = "head";
    MDB_val mk{hk.size(), hk.data()}, mv{head.size(), head.data()};
    REQUIRE(mdb_put(txn, t["meta"], &mk, &mv, 0) == 0);
  });
}

// Deletes every stored checkpoint (the attacker's next step: forget what
// was signed).
inline void DropCheckpoints(const std::string& path) {
  WithLmdb(path, [](MDB_txn* txn, std::map<std::string, MDB_dbi>& t) {
    REQUIRE(mdb_drop(txn, t["checkpoints"], 0) == 0);
  });
}

}  // namespace retrace::testing

#endif  // RETRACE_TESTS_TRANSPARENCY_REWRITE_H_
