// Damaged index entries, written through LMDB below the ledger API (issue 17
// item 9): an entry that does not decode is kCorruption naming its table and
// key, never a value made up in its place, and nothing is appended.
#include <lmdb.h>

#include <catch2/catch.hpp>
#include <string>

#include "testing/lmdb_poke.h"
#include "testing/test_chain.h"

namespace retrace {
namespace {

using testing::OreLot;
using testing::TestChain;
using testing::U64Key;
using testing::ValOf;
using testing::WithTable;

std::uint64_t Size(Ledger& l) {
  auto info = l.Info();
  REQUIRE(info.ok());
  return info->size;
}

TEST_CASE("A damaged event-id entry is kCorruption, not a duplicate of record 0", "[ledger][damage]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  Event ev = c.MakeEvent("mine-1", Extracted{OreLot("ORE-1", 100000), "s"});
  ev.event_id = "ev-dup";
  REQUIRE(c.ledger().LinkParents(&ev).ok());
  REQUIRE(c.ledger().Append(*SignEvent(ev, c.key("mine-1"))).ok());
  c.Close();
  WithTable(c.path(), "event_ids", [](MDB_txn* txn, MDB_dbi dbi) {
    std::string k = "ev-dup", v = "abc";
    MDB_val key = ValOf(k), val = ValOf(v);
    REQUIRE(mdb_put(txn, dbi, &key, &val, 0) == 0);
  });
  c.Reopen();
  const std::uint64_t before = Size(c.ledger());
  // Another event under the same id: the index entry that would name the
  // record holding it does not decode.
  std::get<Extracted>(ev.body).lot = OreLot("ORE-2", 100000);
  auto r = c.ledger().Append(*SignEvent(ev, c.key("mine-1")));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kCorruption);
  CHECK_THAT(r.status().message(), Catch::Contains("event_ids") && Catch::Contains("ev-dup"));
  CHECK(Size(c.ledger()) == before);
}

TEST_CASE("A damaged lot-index entry is kCorruption naming the table and the lot", "[ledger][damage]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  REQUIRE(c.Do("mine-1", Extracted{OreLot("ORE-1", 100000), "s"}).ok());
  c.Close();
  // ORE-1 has one index entry; replace it by 3 bytes (the table is
  // MDB_DUPFIXED, so the lot's only value may take any size).
  WithTable(c.path(), "lot_index", [](MDB_txn* txn, MDB_dbi dbi) {
    std::string k = "ORE-1", v = "xyz";
    MDB_val key = ValOf(k);
    REQUIRE(mdb_del(txn, dbi, &key, nullptr) == 0);
    MDB_val val = ValOf(v);
    REQUIRE(mdb_put(txn, dbi, &key, &val, 0) == 0);
  });
  c.Reopen();
  auto v = c.ledger().VerifyLot("ORE-1");
  REQUIRE_FALSE(v.ok());
  CHECK(v.status().code() == StatusCode::kCorruption);
  CHECK_THAT(v.status().message(), Catch::Contains("lot_index") && Catch::Contains("ORE-1"));
}

TEST_CASE("A quota-log key of an unknown quota kind is kCorruption, not a quota listed", "[ledger][damage]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  REQUIRE(c.Do("mine-1", Extracted{OreLot("ORE-1", 100000), "s"}).ok());
  {
    auto q = c.ledger().Quotas();  // the mine's grants and its use, readable
    REQUIRE(q.ok());
    REQUIRE_FALSE(q->empty());
  }
  c.Close();
  // mine-1 || 0x00 || 2026 (u32be) || kind 9, which no QuotaKind has.
  WithTable(c.path(), "quota_log", [](MDB_txn* txn, MDB_dbi dbi) {
    std::string k = std::string("mine-1") + '\0' + std::string("\x00\x00\x07\xea\x09", 5);
    std::string v = U64Key(1);
    MDB_val key = ValOf(k), val = ValOf(v);
    REQUIRE(mdb_put(txn, dbi, &key, &val, 0) == 0);
  });
  c.Reopen();
  auto q = c.ledger().Quotas();
  REQUIRE_FALSE(q.ok());
  CHECK(q.status().code() == StatusCode::kCorruption);
  CHECK_THAT(q.status().message(), Catch::Contains("quota_log") && Catch::Contains("mine-1"));
}

}  // namespace
}  // namespace retrace
