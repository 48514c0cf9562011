// Semantic tampering by an attacker who controls the ledger file and
// recomputes every hash, index and tree node after rewriting the log
// (tests/reliability/forger.h). Each forgery must be caught by the finding
// that names it -- not merely by an index that the forger forgot -- or, for
// the rewrites no file-internal check can see (the newest record, a deleted
// tail), by a root hash held from before. tests/ledger/tamper_test.cc has
// the simpler rewrites that leave the indexes stale.
#include <catch2/catch.hpp>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "reliability/forger.h"
#include "reliability/reliability_util.h"
#include "retrace/ledger.h"
#include "testing/test_chain.h"

namespace retrace {
namespace {

using testing::FiveStage;
using testing::Forger;
using testing::SignedPart;
using testing::TestChain;

struct Outcome {
  bool open_error = false;
  bool audit_valid = false;
  bool verify_valid = false;
  std::set<std::string> codes;
  std::uint64_t size = 0;
  Hash root{};
};

Outcome Check(TestChain& c, const std::string& lot) {
  Outcome o;
  auto l = Ledger::Open(Options(), c.path());
  if (!l.ok()) {
    o.open_error = true;
    return o;
  }
  auto a = (*l)->Audit();
  REQUIRE(a.ok());
  o.audit_valid = a->valid;
  o.size = a->tree_size;
  o.root = a->root_hash;
  for (const auto& f : a->findings) {
    o.codes.insert(f.code);
    UNSCOPED_INFO("audit: " << f.code << " @" << f.seq << " " << f.lot_id << ": " << f.message);
  }
  if (!lot.empty()) {
    auto v = (*l)->VerifyLot(lot);
    REQUIRE(v.ok());
    o.verify_valid = v->valid;
    for (const auto& f : v->findings) {
      o.codes.insert(f.code);
      UNSCOPED_INFO("verify: " << f.code << " @" << f.seq << " " << f.lot_id << ": " << f.message);
    }
  }
  return o;
}

// The findings that would mean the forger left something stale: a forgery
// caught only by these would be a test of the forger, not of the ledger.
void RequireFullyRecomputed(const Outcome& o) {
  CHECK_FALSE(o.codes.count(finding::kChainLinkBroken));
  CHECK_FALSE(o.codes.count(finding::kSequenceMismatch));
  CHECK_FALSE(o.codes.count(finding::kIndexInconsistent));
  CHECK_FALSE(o.codes.count(finding::kSignatureInvalid));
}

std::size_t FindSeq(const std::vector<SignedPart>& log,
                    const std::function<bool(const Event&)>& pred) {
  for (std::size_t i = 0; i < log.size(); ++i) {
    auto ev = DecodeEvent(log[i].event_bytes);
    REQUIRE(ev.ok());
    if (pred(*ev)) return i;
  }
  FAIL("no such record");
  return 0;
}

template <typename Body>
std::function<bool(const Event&)> Is(const std::string& actor,
                                     const std::function<bool(const Body&)>& pred = nullptr) {
  return [=](const Event& ev) {
    const Body* b = std::get_if<Body>(&ev.body);
    return b != nullptr && ev.actor_id == actor && (!pred || pred(*b));
  };
}

// The hash record `seq` gets in `log` once the chain is recomputed.
Hash ChainHash(const std::vector<SignedPart>& log, std::size_t seq) {
  Hash prev{};
  for (std::size_t i = 0; i <= seq; ++i) {
    prev = internal::RecordHash(
        internal::EncodeRecord(i, prev, log[i].event_bytes, log[i].key_id, log[i].signature));
  }
  return prev;
}

SignedPart Resign(const Event& ev, const Signer& signer) {
  auto se = SignEvent(ev, signer);
  REQUIRE(se.ok());
  return {se->event_bytes, se->key_id, se->signature};
}

struct Forgery {
  TestChain chain;
  Hash root_before{};
  std::uint64_t size_before = 0;
  std::vector<SignedPart> log;

  Forgery() {
    FiveStage::Build(chain);
    size_before = chain.ledger().Info()->size;
    root_before = *chain.ledger().RootAt(size_before);  // what a third party might hold
    chain.Close();
    log = Forger(chain.path()).Read();
    REQUIRE(log.size() == size_before);
  }
  void Commit() { Forger(chain.path()).Rebuild(log); }
};

TEST_CASE("The forger rebuilds an untouched log byte for byte", "[tamper][forgery]") {
  Forgery f;
  auto before = testing::DumpLedgerTables(f.chain.path());
  REQUIRE(before);
  f.Commit();
  auto after = testing::DumpLedgerTables(f.chain.path());
  REQUIRE(after);
  CHECK(*before == *after);
  Outcome o = Check(f.chain, "MAG-1");
  CHECK(o.audit_valid);
  CHECK(o.verify_valid);
}

TEST_CASE("A mid-chain record re-signed by its own actor breaks the next actor's parent link",
          "[tamper][forgery]") {
  // The smelter rewrites its transformation (it holds its own key) and
  // re-signs its shipment of the alloy to link to the new hash; the magnet
  // maker's receipt, which it cannot re-sign, still names the old one.
  Forgery f;
  const std::size_t smelt = FindSeq(f.log, Is<Transformed>("smelt-1"));
  auto ev = DecodeEvent(f.log[smelt].event_bytes);
  std::get<Transformed>(ev->body).process = "vacuum induction (rewritten)";
  f.log[smelt] = Resign(*ev, f.chain.key("smelt-1"));
  const std::size_t ship = FindSeq(f.log, Is<Shipped>("smelt-1"));
  REQUIRE(ship > smelt);
  auto sev = DecodeEvent(f.log[ship].event_bytes);
  std::get<Shipped>(sev->body).parent_hash = ChainHash(f.log, smelt);
  f.log[ship] = Resign(*sev, f.chain.key("smelt-1"));
  f.Commit();
  Outcome o = Check(f.chain, "MAG-1");
  CHECK_FALSE(o.audit_valid);
  CHECK_FALSE(o.verify_valid);
  CHECK(o.codes.count(finding::kParentLinkBroken));
  RequireFullyRecomputed(o);
}

TEST_CASE("The newest record re-signed by its actor is caught by a root hash held before",
          "[tamper][forgery]") {
  // No later record names the export, so nothing inside the file can tell:
  // this is what signed checkpoints and witnesses are for (issue 4). A
  // holder of the earlier root sees the tree changed.
  Forgery f;
  const std::size_t exp = FindSeq(f.log, Is<Exported>("exp-1"));
  REQUIRE(exp == f.log.size() - 1);
  auto ev = DecodeEvent(f.log[exp].event_bytes);
  std::get<Exported>(ev->body).destination_country = "KP";
  f.log[exp] = Resign(*ev, f.chain.key("exp-1"));
  f.Commit();
  Outcome o = Check(f.chain, "MAG-1");
  RequireFullyRecomputed(o);
  CHECK(o.size == f.size_before);
  CHECK(o.root != f.root_before);
  WARN("a rewrite of the newest record, re-signed and recomputed: audit "
       << (o.audit_valid ? "valid" : "has findings")
       << "; the root hash held from before no longer matches");
}

TEST_CASE("Deleting a middle record and re-linking the chain breaks the parent links",
          "[tamper][forgery]") {
  Forgery f;
  const std::size_t ship = FindSeq(f.log, 
      Is<Shipped>("sep-1", [](const Shipped& s) { return s.lot_id == "DY-1"; }));
  f.log.erase(f.log.begin() + static_cast<std::ptrdiff_t>(ship));
  f.Commit();
  Outcome o = Check(f.chain, "MAG-1");
  CHECK_FALSE(o.audit_valid);
  CHECK_FALSE(o.verify_valid);
  CHECK(o.codes.count(finding::kParentLinkBroken));
  RequireFullyRecomputed(o);
}

TEST_CASE("Swapping two records and re-linking the chain breaks the parent links",
          "[tamper][forgery]") {
  Forgery f;
  const std::size_t ship = FindSeq(f.log, Is<Shipped>("smelt-1"));
  const std::size_t recv = FindSeq(f.log, Is<Received>("mag-1"));
  REQUIRE(recv == ship + 1);
  std::swap(f.log[ship], f.log[recv]);
  f.Commit();
  Outcome o = Check(f.chain, "MAG-1");
  CHECK_FALSE(o.audit_valid);
  CHECK_FALSE(o.verify_valid);
  CHECK(o.codes.count(finding::kParentLinkBroken));
  RequireFullyRecomputed(o);
}

TEST_CASE("A record duplicated into the log with a recomputed chain is a duplicate event id",
          "[tamper][forgery]") {
  Forgery f;
  const std::size_t recv = FindSeq(f.log, Is<Received>("smelt-1"));
  f.log.insert(f.log.begin() + static_cast<std::ptrdiff_t>(recv) + 1, f.log[recv]);
  f.Commit();
  Outcome o = Check(f.chain, "MAG-1");
  CHECK_FALSE(o.audit_valid);
  CHECK(o.codes.count(finding::kDuplicateEventId));
}

TEST_CASE("An event replayed at another position of the same ledger is a duplicate event id",
          "[tamper][forgery]") {
  Forgery f;
  const std::size_t ship = FindSeq(f.log, Is<Shipped>("mine-1"));
  f.log.push_back(f.log[ship]);  // replayed at the tail, chain recomputed
  f.Commit();
  Outcome o = Check(f.chain, "");
  CHECK_FALSE(o.audit_valid);
  CHECK(o.codes.count(finding::kDuplicateEventId));
  RequireFullyRecomputed(o);
}

TEST_CASE("An event signed for another ledger and written into this one is a ledger mismatch",
          "[tamper][forgery]") {
  // mine-1 is registered with the same key in another ledger; its shipment
  // there is copied into this file with the chain recomputed.
  Forgery f;
  TestChain other;
  const Signer& mine = f.chain.key("mine-1");
  REQUIRE(other
              .AppendAs("regulator", other.root(),
                        ActorRegistered{"mine-1", "Mine One", Role::kMine, mine.public_key(),
                                        "LIC-X", "CN"})
              .ok());
  other.Grant("mine-1", QuotaKind::kMiningRock, TestChain::kAmpleQuota);
  other.Register("sep-1", Role::kSeparator);
  REQUIRE(other
              .AppendAs("mine-1", mine,
                        Extracted{testing::MakeLot("ORE-9", MaterialClass::kOreConcentrate, 5000,
                                                   {{Element::kNd, 100}}),
                                  "other pit", "LIC-X", QuotaKind::kMiningRock})
              .ok());
  Event ship = other.MakeEvent("mine-1", Shipped{"ORE-9", std::nullopt, "sep-1", 5000});
  REQUIRE(other.ledger().LinkParents(&ship).ok());
  const SignedPart replayed = Resign(ship, mine);
  REQUIRE(other.ledger().Append({replayed.event_bytes, replayed.key_id, replayed.signature}).ok());

  f.log.push_back(replayed);
  f.Commit();
  Outcome o = Check(f.chain, "");
  CHECK_FALSE(o.audit_valid);
  CHECK(o.codes.count(finding::kLedgerMismatch));
  RequireFullyRecomputed(o);
}

TEST_CASE("Deleting the tail and recomputing everything is caught by a root hash held before",
          "[tamper][forgery]") {
  Forgery f;
  f.log.pop_back();
  f.Commit();
  Outcome o = Check(f.chain, "");
  RequireFullyRecomputed(o);
  CHECK(o.size == f.size_before - 1);
  auto l = Ledger::Open(Options(), f.chain.path());
  REQUIRE(l.ok());
  // The holder of (size, root) asks for that tree: it is gone.
  CHECK_FALSE((*l)->RootAt(f.size_before).ok());
  CHECK_FALSE((*l)->ProveConsistency(f.size_before, f.size_before).ok());
}

TEST_CASE("Rewriting any derived table entry is an index inconsistency", "[tamper][forgery]") {
  TestChain c;
  FiveStage::Build(c);
  c.Close();
  const std::string file = c.path() + "/data.mdb";
  const std::string pristine = testing::ReadFile(file);
  Forger forger(c.path());
  auto put = [&](const char* table, const std::string& k, const std::string& v) {
    forger.WithTxn([&](MDB_txn* txn) { Forger::Put(txn, table, k, v); });
  };
  auto del = [&](const char* table, const std::string& k) {
    forger.WithTxn([&](MDB_txn* txn) {
      MDB_val key{k.size(), const_cast<char*>(k.data())};
      REQUIRE(mdb_del(txn, Forger::Dbi(txn, table), &key, nullptr) == 0);
    });
  };
  struct Case {
    const char* name;
    std::function<void()> rewrite;
  };
  const std::vector<Case> cases = {
      {"event-id index points at another record",
       [&] { put("event_ids", "ev-3", internal::EncodeU64(4)); }},
      {"event-id index entry deleted", [&] { del("event_ids", "ev-3"); }},
      {"authority index entry deleted",
       [&] {
         forger.WithTxn([&](MDB_txn* txn) {
           MDB_cursor* cur;
           REQUIRE(mdb_cursor_open(txn, Forger::Dbi(txn, "authority"), &cur) == 0);
           MDB_val k, v;
           REQUIRE(mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0);
           REQUIRE(mdb_cursor_del(cur, 0) == 0);
           mdb_cursor_close(cur);
         });
       }},
      {"lot state rewritten (more mass remaining)",
       [&] {
         forger.WithTxn([&](MDB_txn* txn) {
           std::string k = "DY-1";
           MDB_val key{k.size(), k.data()}, val;
           REQUIRE(mdb_get(txn, Forger::Dbi(txn, "lots"), &key, &val) == 0);
           auto view = internal::DecodeLotState(
               std::string_view(static_cast<char*>(val.mv_data), val.mv_size));
           REQUIRE(view.ok());
           view->remaining_g += 500;
           Forger::Put(txn, "lots", k, internal::EncodeLotState(*view));
         });
       }},
      {"Merkle leaf rewritten",
       [&] { put("tree", internal::TreeKey(0, 7), std::string(32, '\x42')); }},
      {"Merkle inner node rewritten",
       [&] { put("tree", internal::TreeKey(2, 1), std::string(32, '\x42')); }},
      {"head rewritten to an earlier size",
       [&] {
         internal::Head head;
         head.size = 5;
         put("meta", internal::kMetaHead, internal::EncodeHead(head));
       }},
  };
  for (const auto& tc : cases) {
    INFO(tc.name);
    testing::WriteFile(file, pristine);
    tc.rewrite();
    Outcome o = Check(c, "");
    CHECK(o.open_error == false);
    CHECK_FALSE(o.audit_valid);
    CHECK(o.codes.count(finding::kIndexInconsistent));
  }
  testing::WriteFile(file, pristine);
}

TEST_CASE("A ledger of an older or unknown format is refused at open, untouched",
          "[tamper][format]") {
  TestChain c;
  FiveStage::Build(c);
  c.Close();
  const std::string file = c.path() + "/data.mdb";
  Forger forger(c.path());
  struct Case {
    const char* format;
    StatusCode code;
    const char* says;
  };
  for (const Case& k : {Case{"retrace-ledger/1", StatusCode::kFailedPrecondition, "re-keyed"},
                        Case{"retrace-ledger/9", StatusCode::kCorruption, "unknown ledger format"}}) {
    INFO(k.format);
    forger.WithTxn([&](MDB_txn* txn) { Forger::Put(txn, "meta", internal::kMetaFormat, k.format); });
    const std::string before = testing::ReadFile(file);
    Options o;
    auto l = Ledger::Open(o, c.path());
    REQUIRE_FALSE(l.ok());
    CHECK(l.status().code() == k.code);
    CHECK(l.status().message().find(k.says) != std::string::npos);
    CHECK(testing::ReadFile(file) == before);
  }
  forger.WithTxn(
      [&](MDB_txn* txn) { Forger::Put(txn, "meta", internal::kMetaFormat, internal::kMetaFormatValue); });
  Options o;
  CHECK(Ledger::Open(o, c.path()).ok());
}

}  // namespace
}  // namespace retrace
