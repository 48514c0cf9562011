// Ledger::Upgrade (docs/storage-format.md, "Versioning"): a format-2 ledger
// is refused by Open, converted in one transaction, and then audits clean
// with the lot state the records imply -- including each lot's latest event
// time, which format 2 did not keep.
#include <lmdb.h>

#include <catch2/catch.hpp>

#include "retrace/ledger.h"
#include "retrace/v1/state.pb.h"
#include "testing/lmdb_poke.h"
#include "testing/test_chain.h"

namespace retrace {
namespace {

using testing::OreLot;
using testing::TestChain;


// Turns the closed format-3 ledger at `path` into what format 2 stored:
// the format marker, unsealed lot states without a head time, no
// authority index, and format 2's derived tables present.
void Downgrade(const std::string& path) {
  MDB_env* env = nullptr;
  REQUIRE(mdb_env_create(&env) == 0);
  mdb_env_set_maxdbs(env, 32);
  mdb_env_set_mapsize(env, std::size_t{1} << 30);
  REQUIRE(mdb_env_open(env, path.c_str(), MDB_NOSYNC, 0640) == 0);
  MDB_txn* txn = nullptr;
  REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
  MDB_dbi meta, lots, authority;
  REQUIRE(mdb_dbi_open(txn, "meta", 0, &meta) == 0);
  std::string key = "format", format = "retrace-ledger/2";
  MDB_val k = testing::ValOf(key), v = testing::ValOf(format);
  REQUIRE(mdb_put(txn, meta, &k, &v, 0) == 0);
  REQUIRE(mdb_dbi_open(txn, "lots", 0, &lots) == 0);
  std::vector<std::pair<std::string, std::string>> rewritten;
  MDB_cursor* cur = nullptr;
  REQUIRE(mdb_cursor_open(txn, lots, &cur) == 0);
  for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    std::string sealed(static_cast<char*>(v.mv_data), v.mv_size);
    REQUIRE(sealed.size() > 8);
    v1::state::LotState s;
    REQUIRE(s.ParseFromString(sealed.substr(0, sealed.size() - 8)));
    REQUIRE(s.head_time() > 0);
    s.clear_head_time();
    rewritten.emplace_back(std::string(static_cast<char*>(k.mv_data), k.mv_size),
                           s.SerializeAsString());
  }
  mdb_cursor_close(cur);
  for (auto& [id, value] : rewritten) {
    MDB_val kk = testing::ValOf(id), vv = testing::ValOf(value);
    REQUIRE(mdb_put(txn, lots, &kk, &vv, 0) == 0);
  }
  REQUIRE(mdb_dbi_open(txn, "authority", 0, &authority) == 0);
  REQUIRE(mdb_drop(txn, authority, 1) == 0);
  // Format 2's derived tables (their contents do not matter: the upgrade
  // drops them), one of them missing, as a partly damaged file may have it.
  for (const char* legacy : {"by_hash", "actors", "keys", "policies"}) {
    MDB_dbi d;
    REQUIRE(mdb_dbi_open(txn, legacy, MDB_CREATE, &d) == 0);
  }
  REQUIRE(mdb_txn_commit(txn) == 0);
  mdb_env_close(env);
}

TEST_CASE("A format-2 ledger is refused, upgraded in place, and audits clean", "[ledger][upgrade]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("sep-1", Role::kSeparator);
  c.Register("sep-2", Role::kSeparator);
  const std::int64_t t = Now().seconds - 86400;
  REQUIRE(c.AppendAt("mine-1", Extracted{OreLot("ORE-1"), "pit"}, t).ok());
  REQUIRE(c.AppendAt("mine-1", Shipped{"ORE-1", std::nullopt, "sep-1", 1000}, t + 7200).ok());
  // Dated before the shipment, within the hour: the lot's latest time stays
  // the shipment's, which only a walk over all its records finds.
  REQUIRE(c.AppendAt("sep-1", Received{"ORE-1", std::nullopt, "mine-1", 1000}, t + 5400).ok());
  const LotInfo before = *c.ledger().GetLot("ORE-1");
  const std::uint64_t size = c.ledger().Info()->size;
  c.Close();
  Downgrade(c.path());

  Options o;
  o.sync = false;
  auto refused = Ledger::Open(o, c.path());
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == StatusCode::kFailedPrecondition);
  CHECK_THAT(refused.status().message(), Catch::Contains("retrace upgrade"));

  auto from = Ledger::Upgrade(o, c.path());
  INFO(from.status().ToString());
  REQUIRE(from.ok());
  CHECK(*from == "retrace-ledger/2");
  auto again = Ledger::Upgrade(o, c.path());
  REQUIRE_FALSE(again.ok());
  CHECK(again.status().code() == StatusCode::kFailedPrecondition);

  c.Reopen();
  CHECK(c.ledger().Info()->size == size);
  auto audit = c.ledger().Audit();
  REQUIRE(audit.ok());
  INFO(AuditReportToJson(*audit));
  CHECK(audit->valid);
  const LotInfo after = *c.ledger().GetLot("ORE-1");
  CHECK(after.status == before.status);
  CHECK(after.custodian == before.custodian);
  CHECK(after.remaining_g == before.remaining_g);
  // The head time came back as the shipment's: a record dated more than an
  // hour before it is refused, one within the hour accepted.
  auto back = c.AppendAt("sep-1", Shipped{"ORE-1", std::nullopt, "sep-2", 1000}, t + 3500);
  REQUIRE_FALSE(back.ok());
  CHECK_THAT(back.status().message(), Catch::Contains("time_reversed"));
  CHECK(c.AppendAt("sep-1", Shipped{"ORE-1", std::nullopt, "sep-2", 1000}, t + 3700).ok());
}

}  // namespace
}  // namespace retrace
