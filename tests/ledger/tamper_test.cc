// Tampering with stored records through LMDB itself, below the ledger API:
// every change must surface as a finding or an error, never as "valid".
#include <lmdb.h>

#include <catch2/catch.hpp>
#include <functional>
#include <set>

#include "testing/lmdb_poke.h"
#include "testing/test_chain.h"

namespace retrace {
namespace {

using testing::FiveStage;
using testing::TestChain;

using testing::DeleteRecord;
using testing::GetRecord;
using testing::PutRecord;
using testing::WithTable;

// Opens the ledger and reports whether audit (and, if given, verification
// of `lot`) still claim validity.
struct Outcome {
  bool open_error = false;
  bool audit_valid = false;
  bool verify_valid = false;
  std::set<std::string> codes;
};
Outcome Check(TestChain& c, const std::string& lot) {
  Outcome o;
  Options opts;
  opts.sync = false;
  auto l = Ledger::Open(opts, c.path());
  if (!l.ok()) {
    o.open_error = true;
    return o;
  }
  auto a = (*l)->Audit();
  o.audit_valid = a.ok() && a->valid;
  if (a.ok()) for (const auto& f : a->findings) o.codes.insert(f.code);
  if (!lot.empty()) {
    auto v = (*l)->VerifyLot(lot);
    o.verify_valid = v.ok() && v->valid;
    if (v.ok()) for (const auto& f : v->findings) o.codes.insert(f.code);
  }
  return o;
}

TEST_CASE("Every single-byte change of every stored record is detected", "[tamper]") {
  TestChain c;
  FiveStage::Build(c);
  auto clean = c.ledger().VerifyLot("MAG-1");
  REQUIRE(clean.ok());
  REQUIRE(clean->valid);
  std::set<std::uint64_t> lineage;
  for (const auto& lot : clean->lots) lineage.insert(lot.record_seqs.begin(), lot.record_seqs.end());
  const std::uint64_t size = c.ledger().Info()->size;
  c.Close();

  int trials = 0, verify_trials = 0;
  for (std::uint64_t seq = 0; seq < size; ++seq) {
    const std::string original = GetRecord(c.path(), seq);
    // Every byte of the genesis record; elsewhere a stride of 4 whose start
    // rotates with the record, so every offset class is hit across records
    // while the test stays fast.
    const std::size_t stride = seq == 0 ? 1 : 4;
    for (std::size_t i = seq % stride; i < original.size(); i += stride) {
      std::string bad = original;
      bad[i] = static_cast<char>(bad[i] ^ 0x20);
      PutRecord(c.path(), seq, bad);
      Outcome o = Check(c, lineage.count(seq) ? "MAG-1" : "");
      INFO("record " << seq << " byte " << i);
      CHECK((o.open_error || !o.audit_valid));
      if (lineage.count(seq)) {
        ++verify_trials;
        CHECK((o.open_error || !o.verify_valid));
      }
      ++trials;
    }
    PutRecord(c.path(), seq, original);
  }
  Outcome restored = Check(c, "MAG-1");
  CHECK(restored.audit_valid);
  CHECK(restored.verify_valid);
  WARN("tamper trials: " << trials << " (audit), " << verify_trials << " (lineage verify)");
}

TEST_CASE("A record re-signed by its own actor after the fact breaks the chain", "[tamper]") {
  TestChain c;
  FiveStage::Build(c);
  // Rewrite the export: a different destination, properly signed by exp-1,
  // with the original record's seq and prev hash.
  auto hist = c.ledger().LotRecords("MAG-1");
  REQUIRE(hist.ok());
  const Record exported = hist->back();
  auto ev = DecodeEvent(exported.event_bytes);
  REQUIRE(ev.ok());
  std::get<Exported>(ev->body).destination_country = "KP";
  auto forged = SignEvent(*ev, c.key("exp-1"));
  REQUIRE(forged.ok());
  c.Close();
  // Build the stored bytes as the ledger would (same seq, same prev).
  std::string original = GetRecord(c.path(), exported.seq);
  std::string replaced = original;
  auto pos = replaced.find(exported.event_bytes);
  REQUIRE(pos != std::string::npos);
  REQUIRE(forged->event_bytes.size() == exported.event_bytes.size());
  replaced.replace(pos, exported.event_bytes.size(), forged->event_bytes);
  auto spos = replaced.find(exported.signature);
  REQUIRE(spos != std::string::npos);
  replaced.replace(spos, exported.signature.size(), forged->signature);
  PutRecord(c.path(), exported.seq, replaced);
  Outcome o = Check(c, "MAG-1");
  CHECK_FALSE(o.audit_valid);
  CHECK_FALSE(o.verify_valid);
  // The signature is valid, so what catches it is the hash index and (had
  // another record followed) the chain link.
  CHECK(o.codes.count("index_inconsistent"));
}

TEST_CASE("Deleting the tail of the log is detected", "[tamper]") {
  TestChain c;
  FiveStage::Build(c);
  const std::uint64_t size = c.ledger().Info()->size;
  c.Close();
  DeleteRecord(c.path(), size - 1);
  Outcome o = Check(c, "");
  CHECK_FALSE(o.audit_valid);
  CHECK(o.codes.count("index_inconsistent"));
}

TEST_CASE("Deleting a record in the middle is detected", "[tamper]") {
  TestChain c;
  FiveStage::Build(c);
  c.Close();
  DeleteRecord(c.path(), 8);
  Outcome o = Check(c, "MAG-1");
  CHECK_FALSE(o.audit_valid);
  CHECK(o.codes.count("sequence_mismatch"));
}

TEST_CASE("Swapping two records is detected", "[tamper]") {
  TestChain c;
  FiveStage::Build(c);
  c.Close();
  std::string a = GetRecord(c.path(), 9), b = GetRecord(c.path(), 10);
  PutRecord(c.path(), 9, b);
  PutRecord(c.path(), 10, a);
  Outcome o = Check(c, "MAG-1");
  CHECK_FALSE(o.audit_valid);
  CHECK_FALSE(o.verify_valid);
  CHECK(o.codes.count("sequence_mismatch"));
}

TEST_CASE("Duplicating a record over another is detected", "[tamper]") {
  TestChain c;
  FiveStage::Build(c);
  c.Close();
  PutRecord(c.path(), 12, GetRecord(c.path(), 11));
  Outcome o = Check(c, "MAG-1");
  CHECK_FALSE(o.audit_valid);
  CHECK_FALSE(o.verify_valid);
}

TEST_CASE("A rewritten lot index entry is detected", "[tamper]") {
  TestChain c;
  FiveStage::Build(c);
  c.Close();
  // Hide the export of MAG-1 from its lot index.
  WithTable(c.path(), "lot_index", [&](MDB_txn* txn, MDB_dbi dbi) {
    std::string lot = "MAG-1";
    MDB_val key{lot.size(), lot.data()};
    MDB_cursor* cur;
    REQUIRE(mdb_cursor_open(txn, dbi, &cur) == 0);
    MDB_val val;
    REQUIRE(mdb_cursor_get(cur, &key, &val, MDB_SET_KEY) == 0);
    REQUIRE(mdb_cursor_get(cur, &key, &val, MDB_LAST_DUP) == 0);
    REQUIRE(mdb_cursor_del(cur, 0) == 0);
    mdb_cursor_close(cur);
  });
  Outcome o = Check(c, "");
  CHECK_FALSE(o.audit_valid);
  CHECK(o.codes.count("index_inconsistent"));
}

}  // namespace
}  // namespace retrace
