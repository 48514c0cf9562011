// Parallel and integrity-only verification: the thread count never changes
// a report, and skipping signatures skips nothing else. Real LMDB, real
// OpenSSL; tampering goes through LMDB itself, below the ledger API.
#include <lmdb.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <functional>
#include <thread>

#include "ledger/audit.h"
#include "storage/lmdb_env.h"
#include "testing/lmdb_poke.h"
#include "testing/test_chain.h"
#include "util/thread_pool.h"
#include "verify/record_checker.h"

namespace retrace {
namespace {

using testing::FiveStage;
using testing::MakeLot;
using testing::TestChain;

// Rewrites record `seq` of the closed ledger at `path` with fn(bytes).
void Rewrite(const std::string& path, std::uint64_t seq,
             const std::function<void(std::string*)>& fn) {
  testing::RewriteRecord(path, seq, fn);
}

// FiveStage, then `n` remelts of MAG-1's alloy chain: a lineage long enough
// for verification to use several threads (it keeps small ones inline).
void BuildLongChain(TestChain& c, int n) {
  c.Register("mine-1", Role::kMine);
  c.Register("sep-1", Role::kSeparator);
  REQUIRE(c.Do("mine-1", Extracted{MakeLot("ORE-1", MaterialClass::kOreConcentrate, 1000000,
                                           {{Element::kNd, 50000}, {Element::kPr, 15000}}),
                                   "pit", ""})
              .ok());
  c.Move("ORE-1", "mine-1", "sep-1");
  std::string prev = "ORE-1";
  for (int i = 1; i <= n; ++i) {
    std::string id = "MIX-" + std::to_string(i);
    Transformed t;
    t.inputs = {{prev, 1000000, std::nullopt}};
    t.outputs = {MakeLot(id, MaterialClass::kMixedCompound, 1000000,
                         {{Element::kNd, 50000}, {Element::kPr, 15000}})};
    REQUIRE(c.Do("sep-1", t).ok());
    prev = id;
  }
}

struct Reports {
  VerifyReport verify;
  AuditReport audit;
};

std::unique_ptr<Ledger> OpenLedger(const std::string& path) {
  Options o;
  o.sync = false;
  auto l = Ledger::Open(o, path);
  REQUIRE(l.ok());
  return std::move(l).value();
}

VerifyReport VerifyWith(const Ledger& l, const std::string& lot, unsigned threads,
                        bool signatures) {
  VerifyOptions vo;
  vo.threads = threads;
  vo.check_signatures = signatures;
  auto v = l.VerifyLot(lot, vo);
  REQUIRE(v.ok());
  return *v;
}

AuditReport AuditWith(const Ledger& l, unsigned threads, bool signatures) {
  AuditOptions ao;
  ao.threads = threads;
  ao.check_signatures = signatures;
  auto a = l.Audit(ao);
  REQUIRE(a.ok());
  return *a;
}

// VerifyLot of `lot`, then the audit, on one opened ledger.
Reports Run(const std::string& path, const std::string& lot, unsigned threads, bool signatures) {
  auto l = OpenLedger(path);
  Reports r;
  r.verify = VerifyWith(*l, lot, threads, signatures);
  r.audit = AuditWith(*l, threads, signatures);
  return r;
}

void RequireSameFindings(const std::vector<Finding>& a, const std::vector<Finding>& b) {
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO("finding " << i << ": " << a[i].code << " at " << a[i].seq << " vs " << b[i].code
                    << " at " << b[i].seq);
    CHECK(a[i].code == b[i].code);
    CHECK(a[i].seq == b[i].seq);
    CHECK(a[i].lot_id == b[i].lot_id);
    CHECK(a[i].message == b[i].message);
  }
}

void RequireSameReports(const Reports& one, const Reports& many) {
  RequireSameFindings(one.verify.findings, many.verify.findings);
  CHECK(one.verify.valid == many.verify.valid);
  CHECK(one.verify.records_checked == many.verify.records_checked);
  CHECK(one.verify.signatures_checked == many.verify.signatures_checked);
  RequireSameFindings(one.audit.findings, many.audit.findings);
  CHECK(one.audit.valid == many.audit.valid);
  CHECK(one.audit.records_checked == many.audit.records_checked);
  CHECK(one.audit.signatures_checked == many.audit.signatures_checked);
  CHECK(one.audit.root_hash == many.audit.root_hash);
}

TEST_CASE("Parallel verification reports exactly what one thread reports", "[verify][parallel]") {
  TestChain c;
  BuildLongChain(c, 150);
  const std::string target = "MIX-150";
  const std::uint64_t size = c.ledger().Info()->size;
  c.Close();

  Reports clean1 = Run(c.path(), target, 1, true);
  Reports clean4 = Run(c.path(), target, 4, true);
  REQUIRE(clean1.verify.valid);
  REQUIRE(clean1.audit.valid);
  CHECK(clean1.verify.signatures_checked == clean1.verify.records_checked);
  RequireSameReports(clean1, clean4);

  // Signatures broken at the end of the stored bytes (the signature is the
  // record's last field), scattered over the log, plus an event byte.
  for (std::uint64_t seq : {size - 1, size / 2, std::uint64_t{20}, std::uint64_t{9}}) {
    Rewrite(c.path(), seq, [](std::string* b) { b->back() = static_cast<char>(b->back() ^ 1); });
  }
  Rewrite(c.path(), 40, [](std::string* b) { (*b)[b->size() - 80] ^= 0x04; });
  Reports bad1 = Run(c.path(), target, 1, true);
  Reports bad4 = Run(c.path(), target, 4, true);
  CHECK_FALSE(bad1.verify.valid);
  CHECK_FALSE(bad1.audit.valid);
  int invalid = 0;
  for (const auto& f : bad1.audit.findings) invalid += f.code == finding::kSignatureInvalid;
  CHECK(invalid >= 4);
  RequireSameReports(bad1, bad4);
  // And with more threads than cores, the same again.
  RequireSameReports(bad1, Run(c.path(), target, 16, true));
}

// BuildLongChain's deep chain (walked backwards through consecutive records)
// and a merge of `wide` shipped lots (walked forwards, many lots queued at
// once), joined in one target lot: both ways the walk reads ahead (once it
// has checked 1,024 records).
std::string BuildDeepAndWide(TestChain& c, int deep, int wide) {
  BuildLongChain(c, deep);
  Transformed merge;
  for (int i = 1; i <= wide; ++i) {
    const std::string id = "W-" + std::to_string(i);
    REQUIRE(c.Do("mine-1", Extracted{MakeLot(id, MaterialClass::kOreConcentrate, 100000,
                                             {{Element::kNd, 5000}, {Element::kPr, 1500}}),
                                     "pit", ""})
                .ok());
    c.Move(id, "mine-1", "sep-1");
    merge.inputs.push_back({id, 100000, std::nullopt});
  }
  const auto n = static_cast<std::uint64_t>(wide);
  merge.outputs = {MakeLot("WIDE-1", MaterialClass::kMixedCompound, 100000 * n,
                           {{Element::kNd, 5000 * n}, {Element::kPr, 1500 * n}})};
  REQUIRE(c.Do("sep-1", merge).ok());
  Transformed top;
  top.inputs = {{"MIX-" + std::to_string(deep), 1000000, std::nullopt},
                {"WIDE-1", 100000 * n, std::nullopt}};
  top.outputs = {MakeLot("TOP-1", MaterialClass::kMixedCompound, 1000000 + 100000 * n,
                         {{Element::kNd, 50000 + 5000 * n}, {Element::kPr, 15000 + 1500 * n}})};
  REQUIRE(c.Do("sep-1", top).ok());
  return "TOP-1";
}

// VerifyLot's whole report as JSON, with `threads` and with and without
// signatures.
std::string VerifyJson(const std::string& path, const std::string& lot, unsigned threads,
                       bool signatures) {
  return VerifyReportToJson(VerifyWith(*OpenLedger(path), lot, threads, signatures));
}

TEST_CASE("Reading ahead on the pool reports exactly what one thread reports",
          "[verify][parallel]") {
  TestChain c;
  const std::string target = BuildDeepAndWide(c, 120, 450);
  const std::uint64_t size = c.ledger().Info()->size;
  c.Close();

  auto same_on_every_thread_count = [&](bool expect_valid) {
    for (bool signatures : {false, true}) {
      const std::string one = VerifyJson(c.path(), target, 1, signatures);
      CHECK((one.find("\"valid\": true") != std::string::npos) == expect_valid);
      for (unsigned threads : {2u, 4u}) {
        INFO(threads << " threads, signatures " << signatures);
        CHECK(VerifyJson(c.path(), target, threads, signatures) == one);
      }
    }
  };
  same_on_every_thread_count(true);

  // Damage the kinds of thing the prepared work decides: a signature (the
  // record's last byte), an event byte (the event no longer validates or
  // parses), a record that no longer parses, and one whose chain link no
  // longer holds -- in the deep chain and among the wide lots.
  // The walk starts reading ahead after ~1,000 records: the last 50 wide
  // lots and the deep chain, which the walk reaches after them.
  const std::uint64_t chain = 20, late = size - 2 - 450 * 3 + 1200;  // the 401st wide lot
  for (std::uint64_t seq : {chain + 30, late + 10}) {
    Rewrite(c.path(), seq, [](std::string* b) { b->back() = static_cast<char>(b->back() ^ 1); });
  }
  for (std::uint64_t seq : {chain + 50, late + 40}) {
    Rewrite(c.path(), seq, [](std::string* b) { (*b)[b->size() - 80] ^= 0x04; });
  }
  // An event that parses but does not validate: a control character in
  // its actor id.
  for (std::uint64_t seq : {chain + 60, late + 70}) {
    Rewrite(c.path(), seq, [](std::string* b) {
      const std::size_t at = b->find("sep-1");
      REQUIRE(at != std::string::npos);
      (*b)[at + 3] = '\x01';
    });
  }
  Rewrite(c.path(), chain + 70, [](std::string* b) { b->assign("not a record"); });
  Rewrite(c.path(), late + 100, [](std::string* b) { (*b)[b->size() - 80] = '\xff'; });
  same_on_every_thread_count(false);
}

// The audit's whole report as JSON, with `threads` and with and without
// signatures.
std::string AuditJson(const std::string& path, unsigned threads, bool signatures) {
  return AuditReportToJson(AuditWith(*OpenLedger(path), threads, signatures));
}

TEST_CASE("The audit's read-ahead reports exactly what one thread reports", "[verify][audit]") {
  // With workers, the audit hands each window of 256 records to the pool,
  // which hashes and parses them while the audit replays the window
  // before; authority records among them are kept, the rest released.
  TestChain c;
  const std::string target = BuildDeepAndWide(c, 120, 450);
  // Authority records late in the log: a registration, and a rotation of the
  // separator's first key, which every earlier record of the separator
  // rests on -- the audit checks it early, out of the scan's order, while
  // its window is not yet read ahead.
  c.Register("mine-2", Role::kMine);
  auto fresh = Signer::Generate(Algorithm::kEd25519);
  REQUIRE(fresh.ok());
  REQUIRE(c.Do("sep-1", KeyRotated{"sep-1", (*fresh)->public_key(),
                                   c.key("sep-1").public_key().KeyId()})
              .ok());
  REQUIRE(c.Do("mine-2", Extracted{MakeLot("LATE-1", MaterialClass::kOreConcentrate, 1000,
                                           {{Element::kNd, 50}}),
                                   "pit", ""})
              .ok());
  const std::uint64_t size = c.ledger().Info()->size;
  c.Close();
  REQUIRE(size > 1400);

  auto same_on_every_thread_count = [&](bool expect_valid) {
    for (bool signatures : {false, true}) {
      const std::string one = AuditJson(c.path(), 1, signatures);
      CHECK((one.find("\"valid\": true") != std::string::npos) == expect_valid);
      for (unsigned threads : {2u, 3u, 8u}) {
        INFO(threads << " threads, signatures " << signatures);
        CHECK(AuditJson(c.path(), threads, signatures) == one);
      }
    }
  };
  same_on_every_thread_count(true);

  // What the prepared work decides, damaged at both ends of windows and in
  // the middle of one: a signature, an event byte, an event that parses
  // but does not validate, a record that does not parse, one that is
  // missing and a chain link.
  for (std::uint64_t seq : {std::uint64_t{255}, size - 3}) {
    Rewrite(c.path(), seq, [](std::string* b) { b->back() = static_cast<char>(b->back() ^ 1); });
  }
  for (std::uint64_t seq : {std::uint64_t{256}, std::uint64_t{700}}) {
    Rewrite(c.path(), seq, [](std::string* b) { (*b)[b->size() - 80] ^= 0x04; });
  }
  Rewrite(c.path(), 130, [](std::string* b) {
    const std::size_t at = b->find("sep-1");
    REQUIRE(at != std::string::npos);
    (*b)[at + 3] = '\x01';
  });
  Rewrite(c.path(), 127, [](std::string* b) { b->assign("not a record"); });
  Rewrite(c.path(), 900, [](std::string* b) { (*b)[6] ^= 0x20; });  // in the previous hash
  testing::DeleteRecord(c.path(), 1024);
  same_on_every_thread_count(false);
}

TEST_CASE("Integrity-only verification skips signatures and nothing else", "[verify][integrity]") {
  TestChain c;
  FiveStage::Build(c);
  c.Close();
  Reports clean = Run(c.path(), "MAG-1", 2, false);
  CHECK(clean.verify.valid);
  CHECK(clean.audit.valid);
  CHECK(clean.verify.signatures_checked == 0);
  CHECK(clean.audit.signatures_checked == 0);
  CHECK(clean.verify.records_checked > 0);

  // A broken signature changes the record's hash: integrity-only still sees
  // the rewrite (Merkle leaf, chain link, hash index), just not the
  // signature itself.
  Rewrite(c.path(), 12, [](std::string* b) { b->back() = static_cast<char>(b->back() ^ 1); });
  Reports with = Run(c.path(), "MAG-1", 2, true);
  Reports without = Run(c.path(), "MAG-1", 2, false);
  CHECK_FALSE(without.audit.valid);
  std::set<std::string> codes_with, codes_without;
  for (const auto& f : with.audit.findings) codes_with.insert(f.code);
  for (const auto& f : without.audit.findings) codes_without.insert(f.code);
  CHECK(codes_with.count(finding::kSignatureInvalid));
  CHECK_FALSE(codes_without.count(finding::kSignatureInvalid));
  codes_with.erase(finding::kSignatureInvalid);
  CHECK(codes_with == codes_without);
}

// A ledger keeps the integrity-only walk's book of authority for the
// snapshot it was built from: a second walk on the same open ledger reports
// what the book's building found (here a custody record the authority index
// lists), and after an append the walk is as on a freshly opened ledger.
TEST_CASE("An integrity-only walk repeated on an open ledger reports as the first",
          "[verify][integrity]") {
  TestChain c;
  FiveStage::Build(c);
  c.Close();
  testing::WithTable(c.path(), "authority", [](MDB_txn* txn, MDB_dbi dbi) {
    const std::string k = testing::U64Key(12);  // a custody record
    MDB_val key = testing::ValOf(k), val{0, nullptr};
    REQUIRE(mdb_put(txn, dbi, &key, &val, 0) == 0);
  });
  c.Reopen();
  VerifyOptions vo;
  vo.check_signatures = false;
  auto first = c.ledger().VerifyLot("MAG-1", vo);
  auto second = c.ledger().VerifyLot("MAG-1", vo);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  bool listed = false;
  for (const auto& f : second->findings) {
    listed |= f.message.find("the authority index lists record 12,") != std::string::npos;
  }
  CHECK(listed);
  CHECK_FALSE(second->valid);
  RequireSameFindings(first->findings, second->findings);

  c.Register("late-1", Role::kMine);  // an authority record: a new snapshot
  auto after = c.ledger().VerifyLot("MAG-1", vo);
  REQUIRE(after.ok());
  c.Close();
  c.Reopen();
  auto fresh = c.ledger().VerifyLot("MAG-1", vo);
  REQUIRE(fresh.ok());
  RequireSameFindings(after->findings, fresh->findings);
  CHECK(after->tree_size == fresh->tree_size);
  CHECK(after->tree_size > first->tree_size);
}

// The audit keeps a bounded cache of lot states; a lot evicted from it is
// rebuilt from its own records. With a cache of one lot every touch of a
// second lot evicts: the findings must not change.
TEST_CASE("The audit reports the same with a one-lot cache", "[verify][audit]") {
  TestChain c;
  FiveStage::Build(c);
  // A second, interleaved chain so lots alternate in the log.
  c.Register("mine-2", Role::kMine);
  REQUIRE(c.Do("mine-2", Extracted{MakeLot("ORE-2", MaterialClass::kOreConcentrate, 500000,
                                           {{Element::kNd, 20000}}),
                                   "pit 2", ""})
              .ok());
  REQUIRE(c.Do("mine-1", Extracted{MakeLot("ORE-3", MaterialClass::kOreConcentrate, 400000,
                                           {{Element::kNd, 10000}}),
                                   "pit 3", ""})
              .ok());
  c.Move("ORE-2", "mine-2", "sep-1");
  c.Move("ORE-3", "mine-1", "sep-1");
  Transformed t;
  t.inputs = {{"ORE-2", 300000, std::nullopt}, {"ORE-3", 400000, std::nullopt}};
  t.outputs = {MakeLot("NDPR-2", MaterialClass::kSeparatedOxide, 30000, {{Element::kNd, 20000}})};
  t.declared_loss_g = 700000 - 30000;
  REQUIRE(c.Do("sep-1", t).ok());
  const std::string path = c.path();
  c.Close();

  auto audit = [&](std::size_t cache) {
    internal::EnvOptions eo;
    eo.sync = false;
    auto env = internal::LmdbEnv::Open(path, eo, false);
    REQUIRE(env.ok());
    std::optional<AuditReport> out;
    Status st = (*env)->Read([&](const internal::Txn& txn) -> Status {
      AuditOptions o;
      o.threads = 2;
      auto r = internal::AuditLedgerWithCache(txn, o, cache);
      if (!r.ok()) return r.status();
      out = *r;
      return Status::Ok();
    });
    REQUIRE(st.ok());
    return *out;
  };
  AuditReport big = audit(internal::kAuditLotCacheSize);
  AuditReport tiny = audit(1);
  CHECK(big.valid);
  CHECK(tiny.valid);
  CHECK(big.lots == tiny.lots);
  RequireSameFindings(big.findings, tiny.findings);

  // Tampered: a receipt of ORE-2 rewritten (its signature and hash break);
  // the lot is evicted and rebuilt around it.
  auto hist = [&] {
    auto h = OpenLedger(path)->LotRecords("ORE-2");
    REQUIRE(h.ok());
    return *h;
  }();
  Rewrite(path, hist[2].seq, [](std::string* b) { b->back() = static_cast<char>(b->back() ^ 1); });
  AuditReport big_bad = audit(internal::kAuditLotCacheSize);
  AuditReport tiny_bad = audit(1);
  CHECK_FALSE(big_bad.valid);
  RequireSameFindings(big_bad.findings, tiny_bad.findings);
}

// OpenSSL 3.0 can keep the first key when a used context is re-initialised
// with another: a record signed by key A must never verify under key B,
// however the checks interleave across threads.
TEST_CASE("A signature by key A never verifies under key B across threads", "[verify][crypto]") {
  for (Algorithm alg : {Algorithm::kEd25519, Algorithm::kEcdsaP256Sha256, Algorithm::kSm2Sm3}) {
    INFO(AlgorithmName(alg));
    auto a = Signer::Generate(alg);
    auto b = Signer::Generate(alg);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    auto va = Verifier::New((*a)->public_key());
    auto vb = Verifier::New((*b)->public_key());
    REQUIRE(va.ok());
    REQUIRE(vb.ok());
    const std::string msg = EventSigningInput("custody event bytes");
    auto sa = (*a)->Sign(msg);
    auto sb = (*b)->Sign(msg);
    REQUIRE(sa.ok());
    REQUIRE(sb.ok());
    // Jobs alternate keys and signatures: A/A, A/B, B/A, B/B, ...
    std::vector<internal::SignatureJob> jobs(400);
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      jobs[i].seq = i;
      jobs[i].verifier = (i & 1) ? vb->get() : va->get();
      jobs[i].message = msg;
      jobs[i].signature = (i & 2) ? *sb : *sa;
    }
    internal::ThreadPool pool(3);
    pool.ParallelFor(jobs.size(), [&](std::size_t i) { jobs[i].Run(); });
    int ok = 0;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      const bool key_b = i & 1, sig_b = i & 2;
      INFO("job " << i);
      CHECK(jobs[i].ok == (key_b == sig_b));
      ok += jobs[i].ok;
    }
    CHECK(ok == 200);
  }
}

TEST_CASE("The thread pool runs every index once, inline or on workers", "[util][parallel]") {
  for (unsigned workers : {0u, 1u, 3u}) {
    internal::ThreadPool pool(workers);
    std::vector<std::atomic<int>> hits(1000);
    auto r1 = pool.Start(500, [&](std::size_t i) { hits[i]++; });
    auto r2 = pool.Start(500, [&](std::size_t i) { hits[500 + i]++; });
    pool.Wait(*r2);
    pool.Wait(*r1);
    for (auto& h : hits) CHECK(h.load() == 1);
    pool.ParallelFor(0, [&](std::size_t) { FAIL("no index to run"); });
  }
}

}  // namespace
}  // namespace retrace
