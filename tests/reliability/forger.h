// The forger: an attacker with write access to the ledger file who rewrites
// the log below the API and then recomputes everything the ledger derives
// from it -- every record's seq, previous hash and hash, the event-id and
// lot indexes, the lot states, the Merkle tree and the head -- exactly
// as Append would have. What the forger cannot recompute is a signature of
// a key it does not hold; those signed events keep the parent hashes they
// committed to.
//
// Uses the library's own internal derivation (rules, state encoding, record
// encoding) so that a rebuilt untouched log is byte-for-byte the original
// (tested), and findings in the forgery tests come from the forgery alone.
// The regulatory tables (the authority index, the quota log and balances)
// are left as they are, so Rebuild insists that the records they point at
// stay where they were: the forgeries edit the custody records after them.
#ifndef RETRACE_TESTS_RELIABILITY_FORGER_H_
#define RETRACE_TESTS_RELIABILITY_FORGER_H_

#include <lmdb.h>

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "rules/rules.h"
#include "ledger/state.h"
#include "ledger/txn_store.h"
#include "model/proto_convert.h"
#include "model/record.h"
#include "retrace/event.h"
#include "retrace/merkle.h"
#include "storage/lmdb_env.h"

namespace retrace::testing {

// The signed part of a record: what a forger can move but not alter.
struct SignedPart {
  std::string event_bytes;
  std::string key_id;
  std::string signature;
};

class Forger {
 public:
  explicit Forger(std::string dir) : dir_(std::move(dir)) {}

  // The signed parts of every stored record, in log order.
  std::vector<SignedPart> Read() {
    std::vector<SignedPart> out;
    WithTxn([&](MDB_txn* txn) {
      MDB_dbi dbi = Dbi(txn, "records");
      MDB_cursor* cur;
      REQUIRE(mdb_cursor_open(txn, dbi, &cur) == 0);
      MDB_val k, v;
      for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
           rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        auto rec = DecodeRecord(std::string_view(static_cast<char*>(v.mv_data), v.mv_size));
        REQUIRE(rec.ok());
        out.push_back({rec->event_bytes, rec->key_id, rec->signature});
      }
      mdb_cursor_close(cur);
    });
    return out;
  }

  // Replaces the log with `log` and recomputes every derived table.
  void Rebuild(const std::vector<SignedPart>& log) {
    using namespace internal;
    const std::vector<SignedPart> old = Read();
    WithTxn([&](MDB_txn* txn) {
      const std::uint64_t pinned = LastRegulatorySeq(txn);
      for (std::uint64_t seq = 0; seq <= pinned; ++seq) {
        INFO("the forger keeps records up to " << pinned << " (the regulatory indexes name them)");
        REQUIRE(seq < log.size());
        REQUIRE(log[seq].event_bytes == old[seq].event_bytes);
      }
      const char* derived[] = {"records", "event_ids", "lot_index", "lots", "tree"};
      for (const char* t : derived) REQUIRE(mdb_drop(txn, Dbi(txn, t), 0) == 0);
      std::map<std::string, LotView> lots;
      std::map<std::pair<unsigned, std::uint64_t>, Hash> nodes;
      struct Nodes : merkle::NodeSource {
        const std::map<std::pair<unsigned, std::uint64_t>, Hash>* m;
        Result<Hash> PerfectNode(unsigned level, std::uint64_t index) const override {
          auto it = m->find({level, index});
          if (it == m->end()) return NotFoundError("no node");
          return it->second;
        }
      } source;
      source.m = &nodes;
      Hash prev{};
      for (std::uint64_t seq = 0; seq < log.size(); ++seq) {
        const SignedPart& p = log[seq];
        const std::string stored = EncodeRecord(seq, prev, p.event_bytes, p.key_id, p.signature);
        const Hash hash = RecordHash(stored);
        const std::string key = EncodeU64(seq);
        Put(txn, "records", key, stored);
        v1::Event ev;
        REQUIRE(ParseEventBytes(p.event_bytes, &ev).ok());
        // A duplicated event id keeps its first index entry, as the forger
        // cannot have two.
        Put(txn, "event_ids", ev.event_id(), key, MDB_NOOVERWRITE, /*may_exist=*/true);
        Violations ignored;
        for (const auto& id : ExistingLotsTouched(ev)) {
          auto it = lots.find(id);
          if (it == lots.end()) continue;
          ApplyToLot(ev, ev.actor_id(), seq, hash, &it->second, &ignored);
          Put(txn, "lot_index", id, key);
        }
        for (const auto* l : LotsCreated(ev)) {
          lots[l->lot_id()] = NewLot(*l, ev.actor_id(), seq, hash, ev.time().seconds());
          Put(txn, "lot_index", l->lot_id(), key);
        }
        auto completed = merkle::NodesCompletedByAppend(source, seq, hash);
        REQUIRE(completed.ok());
        for (const auto& n : *completed) {
          nodes[{n.level, n.index}] = n.hash;
          Put(txn, "tree", TreeKey(n.level, n.index), HashBytes(n.hash));
        }
        prev = hash;
      }
      for (const auto& [id, view] : lots) Put(txn, "lots", id, EncodeLotState(view));
      Head head;
      head.size = log.size();
      head.hash = prev;
      Put(txn, "meta", kMetaHead, EncodeHead(head));
    });
  }

  // The largest seq the regulatory indexes (authority index, quota log)
  // name.
  static std::uint64_t LastRegulatorySeq(MDB_txn* txn) {
    std::uint64_t last = 0;
    for (const char* table : {"authority", "quota_log"}) {
      MDB_dbi dbi = Dbi(txn, table);
      MDB_cursor* cur;
      REQUIRE(mdb_cursor_open(txn, dbi, &cur) == 0);
      MDB_val k, v;
      for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
           rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const MDB_val& seq = std::string(table) == "authority" ? k : v;
        auto s = internal::DecodeU64(std::string_view(static_cast<char*>(seq.mv_data), seq.mv_size));
        REQUIRE(s.has_value());
        last = std::max(last, *s);
      }
      mdb_cursor_close(cur);
    }
    return last;
  }

  // Runs fn in a write transaction on the (closed) ledger's file.
  template <typename Fn>
  void WithTxn(Fn fn) {
    MDB_env* env = nullptr;
    REQUIRE(mdb_env_create(&env) == 0);
    mdb_env_set_maxdbs(env, 16);
    mdb_env_set_mapsize(env, std::size_t{1} << 30);
    REQUIRE(mdb_env_open(env, dir_.c_str(), MDB_NOSYNC, 0640) == 0);
    MDB_txn* txn = nullptr;
    REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
    fn(txn);
    REQUIRE(mdb_txn_commit(txn) == 0);
    mdb_env_close(env);
  }

  static MDB_dbi Dbi(MDB_txn* txn, const std::string& table) {
    MDB_dbi dbi;
    unsigned flags = table == "lot_index" || table == "quota_log"
                         ? MDB_DUPSORT | MDB_DUPFIXED
                         : 0;
    REQUIRE(mdb_dbi_open(txn, table.c_str(), flags, &dbi) == 0);
    return dbi;
  }

  static void Put(MDB_txn* txn, const std::string& table, const std::string& k,
                  const std::string& v, unsigned flags = 0, bool may_exist = false) {
    MDB_val key{k.size(), const_cast<char*>(k.data())};
    MDB_val val{v.size(), const_cast<char*>(v.data())};
    int rc = mdb_put(txn, Dbi(txn, table), &key, &val, flags);
    if (may_exist && rc == MDB_KEYEXIST) return;
    REQUIRE(rc == 0);
  }

 private:
  std::string dir_;
};

}  // namespace retrace::testing

#endif  // RETRACE_TESTS_RELIABILITY_FORGER_H_
