// The integrity-only audit (AuditScope::kIntegrity): the same verdict as the
// full audit on clean ledgers, and every damage to the records, the Merkle
// tree, the head and each lookup index it covers reported -- through LMDB
// itself, below the ledger API.
#include <google/protobuf/stubs/logging.h>
#include <lmdb.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>
#include <optional>
#include <set>

#include "ledger/audit.h"
#include "storage/lmdb_env.h"
#include "testing/lmdb_poke.h"
#include "testing/test_chain.h"

namespace retrace {
namespace {

using testing::FiveStage;
using testing::TestChain;

std::string U64(std::uint64_t v) { return testing::U64Key(v); }
MDB_val Val(const std::string& s) { return testing::ValOf(s); }
void Poke(const std::string& path, const std::string& table,
          const std::function<void(MDB_txn*, MDB_dbi)>& fn) {
  testing::WithTable(path, table, fn);
}

using testing::Nth;

// Five stages, quotas granted and used, a key rotation and a revocation.
void BuildChain(TestChain& c) {
  FiveStage::Build(c);
  auto fresh = Signer::Generate(Algorithm::kEcdsaP256Sha256);
  REQUIRE(fresh.ok());
  const std::string old_id = c.key("mine-1").public_key().KeyId();
  REQUIRE(c.Do("mine-1", KeyRotated{"mine-1", (*fresh)->public_key(), old_id}).ok());
  auto size = c.ledger().Info()->size;
  REQUIRE(c.AppendAs("regulator", c.root(), KeyRevoked{old_id, size, "lost"}).ok());
}

// threads == 1: one thread does everything; 2: the index tables are
// digested on a second thread in a second read transaction.
AuditReport Integrity(const std::string& path, unsigned threads = 1) {
  Options o;
  o.sync = false;
  auto l = Ledger::Open(o, path);
  REQUIRE(l.ok());
  AuditOptions ao;
  ao.scope = AuditScope::kIntegrity;
  ao.threads = threads;
  auto r = (*l)->Audit(ao);
  REQUIRE(r.ok());
  return std::move(r).value();
}

bool FullAuditValid(const std::string& path) {
  Options o;
  o.sync = false;
  auto l = Ledger::Open(o, path);
  REQUIRE(l.ok());
  auto r = (*l)->Audit();
  REQUIRE(r.ok());
  return r->valid;
}

bool Mentions(const AuditReport& r, const std::string& code, const std::string& words) {
  for (const auto& f : r.findings) {
    if (f.code == code && f.message.find(words) != std::string::npos) return true;
  }
  return false;
}

TEST_CASE("A clean ledger passes the integrity audit with the full audit's figures", "[integrity]") {
  TestChain c;
  BuildChain(c);
  AuditOptions ao;
  ao.scope = AuditScope::kIntegrity;
  auto integrity = c.ledger().Audit(ao);
  auto full = c.ledger().Audit();
  REQUIRE(integrity.ok());
  REQUIRE(full.ok());
  CHECK(full->valid);
  CHECK(integrity->valid);
  CHECK(integrity->findings.empty());
  CHECK(integrity->integrity_only);
  CHECK_FALSE(full->integrity_only);
  CHECK(integrity->records_checked == full->records_checked);
  CHECK(integrity->signatures_checked == 0);
  CHECK(integrity->lots == full->lots);
  CHECK(integrity->tree_size == full->tree_size);
  CHECK(integrity->head_hash == full->head_hash);
  CHECK(integrity->root_hash == full->root_hash);
  CHECK(integrity->root_hash == *c.ledger().RootAt(integrity->tree_size));
  ao.threads = 2;
  auto two = c.ledger().Audit(ao);
  REQUIRE(two.ok());
  CHECK(AuditReportToJson(*two) == AuditReportToJson(*integrity));
  CHECK(AuditReportToJson(*integrity).find("\"scope\": \"integrity\"") != std::string::npos);
  CHECK(AuditReportToJson(*full).find("\"scope\": \"full\"") != std::string::npos);
}

TEST_CASE("The integrity audit reports progress like the full audit", "[integrity]") {
  TestChain c;
  FiveStage::Build(c);
  AuditOptions ao;
  ao.scope = AuditScope::kIntegrity;
  ao.threads = GENERATE(1u, 2u);
  std::uint64_t last_done = 0, last_total = 0, calls = 0;
  ao.progress = [&](std::uint64_t done, std::uint64_t total) {
    ++calls;
    last_done = done;
    last_total = total;
  };
  std::uint64_t most = 0;
  ao.progress = [&, inner = ao.progress](std::uint64_t done, std::uint64_t total) {
    inner(done, total);
    most = std::max(most, done);
  };
  auto r = c.ledger().Audit(ao);
  REQUIRE(r.ok());
  CHECK(calls >= 2);
  CHECK(last_done == r->records_checked);
  CHECK(last_total == r->records_checked);
  CHECK(most <= r->records_checked);  // never past the end, with the scan split or not
}

// Each damage: the table, what to do to it, and the words the finding must
// carry. The full audit must object too (it checks a superset).
struct Damage {
  const char* name;
  const char* table;
  std::function<void(MDB_txn*, MDB_dbi)> apply;
  const char* code;
  const char* words;
};

TEST_CASE("The integrity audit finds damage to every table it covers", "[integrity]") {
  auto replace_value = [](std::size_t n, std::string value) {
    return [n, value](MDB_txn* txn, MDB_dbi dbi) {
      auto kv = Nth(txn, dbi, n);
      MDB_val k = Val(kv.first), old = Val(kv.second), v = Val(value);
      REQUIRE(mdb_del(txn, dbi, &k, &old) == 0);
      REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
    };
  };
  auto remove = [](std::size_t n) {
    return [n](MDB_txn* txn, MDB_dbi dbi) {
      auto kv = Nth(txn, dbi, n);
      MDB_val k = Val(kv.first), v = Val(kv.second);
      REQUIRE(mdb_del(txn, dbi, &k, &v) == 0);
    };
  };
  auto insert = [](std::string key, std::string value) {
    return [key, value](MDB_txn* txn, MDB_dbi dbi) {
      MDB_val k = Val(key), v = Val(value);
      REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
    };
  };
  auto flip_value = [](std::size_t n) {
    return [n](MDB_txn* txn, MDB_dbi dbi) {
      auto kv = Nth(txn, dbi, n);
      kv.second[kv.second.size() / 2] ^= 0x01;
      MDB_val k = Val(kv.first), v = Val(kv.second);
      REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
    };
  };
  // Swaps the values of the first two entries: same entries count, same
  // keys, same values, different pairs.
  auto swap_values = [](MDB_txn* txn, MDB_dbi dbi) {
    auto a = Nth(txn, dbi, 0), b = Nth(txn, dbi, 1);
    MDB_val ka = Val(a.first), va = Val(b.second), kb = Val(b.first), vb = Val(a.second);
    REQUIRE(mdb_put(txn, dbi, &ka, &va, 0) == 0);
    REQUIRE(mdb_put(txn, dbi, &kb, &vb, 0) == 0);
  };
  const std::vector<Damage> damages = {
      {"authority index: an entry removed", "authority", remove(1), finding::kIndexInconsistent,
       "authority index"},
      {"authority index: an entry added", "authority", insert(U64(1000), ""),
       finding::kIndexInconsistent, "authority index"},
      {"lot table: a value changed", "lots", flip_value(0), finding::kIndexInconsistent,
       "lot table holds 1 damaged"},
      {"lot table: an entry removed", "lots", remove(0), finding::kIndexInconsistent,
       "lot table"},
      {"lot table: an entry added", "lots", insert("ORE-FORGED", "x"),
       finding::kIndexInconsistent, "lot table"},
      {"quota table: a value changed", "quotas", flip_value(0), finding::kIndexInconsistent,
       "quota table holds 1 damaged"},
      {"quota table: an entry removed", "quotas", remove(0), finding::kIndexInconsistent,
       "quota table"},
      {"event-id index: values swapped", "event_ids", swap_values, finding::kIndexInconsistent,
       "event-id index"},
      {"event-id index: an entry removed", "event_ids", remove(4), finding::kIndexInconsistent,
       "event-id index"},
      {"event-id index: an entry added", "event_ids", insert("ev-forged", U64(9)),
       finding::kIndexInconsistent, "event-id index"},
      {"lot index: an entry removed", "lot_index", remove(2), finding::kIndexInconsistent,
       "lot index"},
      {"lot index: an entry added", "lot_index", insert("ORE-1", U64(3)),
       finding::kIndexInconsistent, "lot index"},
      {"lot index: a record moved to another lot", "lot_index", replace_value(0, U64(1)),
       finding::kIndexInconsistent, "lot index"},
      {"quota log: an entry removed", "quota_log", remove(1), finding::kIndexInconsistent,
       "quota log"},
      {"quota log: an entry added", "quota_log", insert("mine-1", U64(4)),
       finding::kIndexInconsistent, "quota log"},
      {"tree: a leaf changed", "tree", flip_value(0), finding::kIndexInconsistent,
       "differs from the record the Merkle tree committed to"},
      {"tree: an inner node changed", "tree", flip_value(2), finding::kIndexInconsistent,
       "Merkle tree node (level 1, index 0)"},
      {"tree: a node removed", "tree", remove(5), finding::kIndexInconsistent, "Merkle tree"},
      {"tree: a node added", "tree", insert(U64(1) + std::string(1, '\x07'), std::string(32, 'n')),
       finding::kIndexInconsistent, "nodes that no record implies"},
      {"head: another size", "meta",
       [](MDB_txn* txn, MDB_dbi dbi) {
         std::string key = "head";
         MDB_val k = Val(key), v;
         REQUIRE(mdb_get(txn, dbi, &k, &v) == 0);
         std::string head(static_cast<char*>(v.mv_data), v.mv_size);
         head[7] = static_cast<char>(head[7] - 1);
         MDB_val nv = Val(head);
         REQUIRE(mdb_put(txn, dbi, &k, &nv, 0) == 0);
       },
       finding::kIndexInconsistent, "ledger head"},
  };
  for (const Damage& d : damages) {
    DYNAMIC_SECTION(d.name) {
      TestChain c;
      BuildChain(c);
      c.Close();
      REQUIRE(Integrity(c.path()).valid);
      Poke(c.path(), d.table, d.apply);
      AuditReport r = Integrity(c.path());
      INFO(AuditReportToJson(r));
      CHECK_FALSE(r.valid);
      CHECK(Mentions(r, d.code, d.words));
      CHECK(AuditReportToJson(Integrity(c.path(), 2)) == AuditReportToJson(r));
      CHECK_FALSE(FullAuditValid(c.path()));
    }
  }
}

TEST_CASE("The integrity audit finds changed, missing, swapped and relinked records",
          "[integrity]") {
  TestChain c;
  BuildChain(c);
  const std::uint64_t size = c.ledger().Info()->size;
  c.Close();
  auto record = [&](std::uint64_t seq) { return testing::GetRecord(c.path(), seq); };
  auto put = [&](std::uint64_t seq, const std::string& bytes) {
    testing::PutRecord(c.path(), seq, bytes);
  };
  auto del = [&](std::uint64_t seq) { testing::DeleteRecord(c.path(), seq); };

  SECTION("every byte of a custody record, one at a time") {
    google::protobuf::LogSilencer quiet;  // events that no longer parse
    const std::uint64_t seq = size / 2;
    const std::string original = record(seq);
    for (std::size_t i = 0; i < original.size(); ++i) {
      std::string bad = original;
      bad[i] = static_cast<char>(bad[i] ^ 0x20);
      put(seq, bad);
      AuditReport r = Integrity(c.path());
      INFO("byte " << i);
      CHECK_FALSE(r.valid);
    }
    put(seq, original);
    CHECK(Integrity(c.path()).valid);
  }
  SECTION("a record deleted in the middle") {
    del(size / 2);
    AuditReport r = Integrity(c.path());
    CHECK_FALSE(r.valid);
    CHECK(Mentions(r, finding::kSequenceMismatch, "missing from the log"));
  }
  SECTION("the tail deleted") {
    del(size - 1);
    AuditReport r = Integrity(c.path());
    CHECK_FALSE(r.valid);
    CHECK(Mentions(r, finding::kIndexInconsistent, "ledger head"));
  }
  SECTION("two records swapped") {
    const std::string a = record(5), b = record(6);
    put(5, b);
    put(6, a);
    AuditReport r = Integrity(c.path());
    CHECK_FALSE(r.valid);
    CHECK(Mentions(r, finding::kSequenceMismatch, "says it is record"));
    CHECK(Mentions(r, finding::kChainLinkBroken, "does not link"));
  }
  SECTION("a custody record replaced by a copy of the genesis") {
    put(size / 2, record(0));
    AuditReport r = Integrity(c.path());
    CHECK_FALSE(r.valid);
    CHECK(Mentions(r, finding::kGenesisInvalid, "second genesis"));
  }
}

// The integrity audit through the internal entry point, with the
// environment, so the test sees whether the two-thread scan's halves were
// joined or the first scan went on past the split.
struct SplitRun {
  AuditReport report;
  bool joined = false;
};
SplitRun IntegrityInternal(const std::string& path, unsigned threads) {
  internal::EnvOptions eo;
  eo.sync = false;
  auto env = internal::LmdbEnv::Open(path, eo, false);
  REQUIRE(env.ok());
  std::optional<SplitRun> out;
  Status st = (*env)->Read([&](const internal::Txn& txn) -> Status {
    AuditOptions o;
    o.scope = AuditScope::kIntegrity;
    o.threads = threads;
    bool joined = false;
    auto r = internal::AuditLedgerIntegrity(txn, env->get(), o, nullptr, &joined);
    if (!r.ok()) return r.status();
    out = SplitRun{*r, joined};
    return Status::Ok();
  });
  REQUIRE(st.ok());
  return *out;
}

TEST_CASE("The two-thread integrity audit splits the record scan on a clean ledger",
          "[integrity]") {
  TestChain c;
  BuildChain(c);
  const std::uint64_t size = c.ledger().Info()->size;
  c.Close();
  REQUIRE(internal::IntegritySplitPoint(size) > 0);
  REQUIRE(internal::IntegritySplitPoint(size) < size);
  SplitRun one = IntegrityInternal(c.path(), 1);
  SplitRun two = IntegrityInternal(c.path(), 2);
  CHECK(one.report.valid);
  CHECK_FALSE(one.joined);  // one thread: no split
  CHECK(two.joined);        // the halves agreed and were joined
  CHECK(AuditReportToJson(two.report) == AuditReportToJson(one.report));
  CHECK(two.report.records_checked == size);
}

TEST_CASE("The two-thread integrity audit finds damage on either side of its split as one "
          "thread does",
          "[integrity]") {
  google::protobuf::LogSilencer quiet;  // events that no longer parse
  TestChain c;
  BuildChain(c);
  const std::uint64_t size = c.ledger().Info()->size;
  c.Close();
  const std::uint64_t split = internal::IntegritySplitPoint(size);
  REQUIRE(split >= 3);
  REQUIRE(split + 2 < size);
  auto record = [&](std::uint64_t seq) { return testing::GetRecord(c.path(), seq); };
  auto put = [&](std::uint64_t seq, const std::string& bytes) {
    testing::PutRecord(c.path(), seq, bytes);
  };
  // Each damage must be found, by both runs alike, at the record damaged.
  auto same_findings = [&](std::uint64_t seq) {
    SplitRun one = IntegrityInternal(c.path(), 1);
    SplitRun two = IntegrityInternal(c.path(), 2);
    INFO(AuditReportToJson(two.report));
    CHECK_FALSE(one.report.valid);
    CHECK(AuditReportToJson(two.report) == AuditReportToJson(one.report));
    bool at_seq = false;
    for (const auto& f : one.report.findings) at_seq = at_seq || f.seq == seq;
    CHECK(at_seq);
    return two.joined;
  };
  for (std::uint64_t seq : {std::uint64_t{1}, split - 2, split - 1, split, split + 1, size - 1}) {
    DYNAMIC_SECTION("a byte of record " << seq << " changed (split at " << split << ")") {
      std::string bad = record(seq);
      bad[bad.size() / 2] = static_cast<char>(bad[bad.size() / 2] ^ 0x04);
      put(seq, bad);
      // A record changed before the split changes the Merkle state the
      // first scan ends in (the stored nodes hash the original): the first
      // scan goes on past the split. After it, the halves are joined.
      CHECK(same_findings(seq) == (seq >= split));
    }
    DYNAMIC_SECTION("record " << seq << " deleted (split at " << split << ")") {
      testing::DeleteRecord(c.path(), seq);
      // Found at the next record (a gap), or for the last record at the new
      // last one (the head no longer matches).
      const bool joined = same_findings(seq + 1 < size ? seq + 1 : size - 2);
      CHECK(joined == (seq >= split));
    }
  }
  SECTION("a node of the Merkle state at the split changed") {
    // The largest perfect subtree of split's decomposition: the second
    // scan starts from it.
    unsigned level = 63;
    while ((split >> level) == 0) --level;
    const std::string key = U64((std::uint64_t{1} << level) - 1) + std::string(1, char(level));
    Poke(c.path(), "tree", [&](MDB_txn* txn, MDB_dbi dbi) {
      MDB_val k = Val(key), v;
      REQUIRE(mdb_get(txn, dbi, &k, &v) == 0);
      std::string value(static_cast<char*>(v.mv_data), v.mv_size);
      value[0] = static_cast<char>(value[0] ^ 0x01);
      MDB_val nv = Val(value);
      REQUIRE(mdb_put(txn, dbi, &k, &nv, 0) == 0);
    });
    CHECK_FALSE(same_findings((std::uint64_t{1} << level) - 1));
  }
  SECTION("every authority index entry removed") {
    // The second scan's roles before the split come from this index.
    Poke(c.path(), "authority", [](MDB_txn* txn, MDB_dbi dbi) {
      REQUIRE(mdb_drop(txn, dbi, 0) == 0);
    });
    SplitRun one = IntegrityInternal(c.path(), 1);
    SplitRun two = IntegrityInternal(c.path(), 2);
    CHECK_FALSE(one.report.valid);
    CHECK(Mentions(one.report, finding::kIndexInconsistent, "authority index"));
    CHECK_FALSE(two.joined);
    CHECK(AuditReportToJson(two.report) == AuditReportToJson(one.report));
  }
}

}  // namespace
}  // namespace retrace
