// Every field of every derived table of a format-3 ledger changed, one at a
// time, through LMDB below the ledger (issue 19 item 1): each change is a
// finding of the full audit naming the table (and the entry, where the audit
// can name it), and of the integrity-only audit wherever
// docs/verification.md says it covers the table. State values (lots,
// quotas) carry an 8-byte seal (lib/ledger/state.h): a value changed with
// its seal recomputed is the deliberate forger, whom only the full audit's
// re-derivation catches; a value changed under a stale seal is damage,
// which the integrity-only audit catches too and the append path refuses
// (kCorruption, the ledger unchanged) instead of deciding a rule with it.
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <lmdb.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "ledger/state.h"
#include "retrace/bundle.h"
#include "retrace/v1/state.pb.h"
#include "testing/lmdb_poke.h"
#include "testing/test_chain.h"

namespace retrace {
namespace {

using testing::FiveStage;
using testing::MakeLot;
using testing::OreLot;
using testing::TempDir;
using testing::TestChain;

constexpr std::size_t kSealBytes = 8;

std::string Serialize(const google::protobuf::MessageLite& m) {
  std::string out;
  google::protobuf::io::StringOutputStream s(&out);
  google::protobuf::io::CodedOutputStream c(&s);
  c.SetSerializationDeterministic(true);
  REQUIRE(m.SerializeToCodedStream(&c));
  c.Trim();
  return out;
}

// How a changed state value is written back.
enum class Seal {
  kRecomputed,  // the forger: a seal that matches the changed value
  kStale,       // damage: the old value's seal
};

// Rewrites the sealed protobuf value of `key` in `table` with fn(&message).
template <typename Message>
void EditSealed(const std::string& path, const std::string& table, const std::string& key,
                Seal seal, const std::function<void(Message*)>& fn) {
  testing::WithTable(path, table, [&](MDB_txn* txn, MDB_dbi dbi) {
    MDB_val k = testing::ValOf(key), v;
    REQUIRE(mdb_get(txn, dbi, &k, &v) == 0);
    const std::string stored(static_cast<char*>(v.mv_data), v.mv_size);
    REQUIRE(stored.size() > kSealBytes);
    Message m;
    REQUIRE(m.ParseFromString(stored.substr(0, stored.size() - kSealBytes)));
    fn(&m);
    std::string body = Serialize(m);
    std::string value = body;
    if (seal == Seal::kRecomputed) {
      const Hash h = Sha256(body);
      value.append(reinterpret_cast<const char*>(h.data()), kSealBytes);
    } else {
      value.append(stored.substr(stored.size() - kSealBytes));
    }
    REQUIRE(value != stored);
    MDB_val nv = testing::ValOf(value);
    REQUIRE(mdb_put(txn, dbi, &k, &nv, 0) == 0);
  });
}

using testing::Nth;

// A ledger with something in every table: five stages (every lot status but
// void), a held and an in-transit lot, quotas granted and used, a key
// rotation, a policy, a revocation and a signed checkpoint. Built once;
// each case damages a fresh copy of its data.mdb.
struct Pristine {
  TempDir dir;
  std::string path;
  std::string ledger_id;  // 16 raw bytes
  std::uint64_t size = 0;
  Hash head{};
  std::uint64_t custody_seq = 0;  // a custody record (ORE-2's extraction)
  // Events signed against the pristine ledger, to append to damaged copies.
  SignedEvent ship_ore2;     // moves ORE-2 (held by mine-1)
  SignedEvent extract_more;  // counts against mine-1's 2026 rock quota
  std::unique_ptr<NoteSigner> log;
  std::optional<PublicKey> root_key;

  Pristine() {
    TestChain c;
    root_key = c.root().public_key();
    FiveStage::Build(c);
    auto ore2 = c.Do("mine-1", Extracted{OreLot("ORE-2", 100000), "pit"});
    REQUIRE(ore2.ok());
    custody_seq = ore2->seq;
    REQUIRE(c.Do("mine-1", Extracted{OreLot("ORE-3", 100000), "pit"}).ok());
    REQUIRE(c.Do("mine-1", Shipped{"ORE-3", std::nullopt, "sep-1", 100000}).ok());
    auto fresh = Signer::Generate(Algorithm::kSm2Sm3);
    REQUIRE(fresh.ok());
    const std::string old_id = c.key("smelt-1").public_key().KeyId();
    REQUIRE(c.Do("smelt-1", KeyRotated{"smelt-1", (*fresh)->public_key(), old_id}).ok());
    REQUIRE(c.AppendAs("regulator", c.root(), KeyRevoked{old_id, c.ledger().Info()->size, "lost"}).ok());
    REQUIRE(c.AppendAs("regulator", c.root(), DefaultPolicy()).ok());
    auto log_key = NoteSigner::Generate("test-ledger", NoteKeyType::kEd25519);
    REQUIRE(log_key.ok());
    log = std::move(*log_key);
    REQUIRE(c.ledger().SignCheckpoint(*log).ok());
    auto s = c.Sign("mine-1", Shipped{"ORE-2", std::nullopt, "sep-1", 100000});
    REQUIRE(s.ok());
    ship_ore2 = *s;
    auto x = c.Sign("mine-1", Extracted{OreLot("ORE-4", 1000), "pit"});
    REQUIRE(x.ok());
    extract_more = *x;
    auto info = c.ledger().Info();
    REQUIRE(info.ok());
    size = info->size;
    head = info->head_hash;
    REQUIRE(c.ledger().Audit()->valid);
    c.Close();
    path = dir.Sub("pristine");
    std::filesystem::create_directories(path);
    std::filesystem::copy_file(c.path() + "/data.mdb", path + "/data.mdb");
  }

  // A fresh copy of the pristine ledger's file.
  std::string Copy(const TempDir& into) const {
    const std::string p = into.Sub("copy");
    std::filesystem::create_directories(p);
    std::filesystem::copy_file(path + "/data.mdb", p + "/data.mdb");
    return p;
  }
};

const Pristine& Base() {
  static const Pristine p;
  return p;
}

struct Audits {
  Status open = Status::Ok();
  std::optional<AuditReport> full, integrity;
};

Audits AuditBoth(const std::string& path) {
  Audits a;
  Options o;
  o.sync = false;
  auto l = Ledger::Open(o, path);
  if (!l.ok()) {
    a.open = l.status();
    return a;
  }
  auto full = (*l)->Audit();
  REQUIRE(full.ok());
  a.full = *full;
  AuditOptions io;
  io.scope = AuditScope::kIntegrity;
  auto integrity = (*l)->Audit(io);
  REQUIRE(integrity.ok());
  a.integrity = *integrity;
  return a;
}

bool Mentions(const AuditReport& r, const std::vector<std::string>& words) {
  for (const auto& f : r.findings) {
    bool all = true;
    for (const auto& w : words) all = all && f.message.find(w) != std::string::npos;
    if (all) return true;
  }
  return false;
}

std::string Findings(const AuditReport& r) {
  std::string s;
  for (const auto& f : r.findings) s += "  " + f.code + "@" + std::to_string(f.seq) + ": " + f.message + "\n";
  return s;
}

struct Case {
  std::string name;
  std::function<void(const std::string& path)> damage;
  std::vector<std::string> full_words;       // one full-audit finding names all of these
  std::vector<std::string> integrity_words;  // empty: the integrity audit does not cover it
};

void RunCases(const std::vector<Case>& cases, int* ran) {
  for (const Case& c : cases) {
    INFO("case: " << c.name);
    TempDir dir;
    const std::string path = Base().Copy(dir);
    c.damage(path);
    Audits a = AuditBoth(path);
    INFO("open: " << a.open.ToString());
    REQUIRE(a.open.ok());
    INFO("full audit:\n" << Findings(*a.full) << "integrity audit:\n" << Findings(*a.integrity));
    CHECK_FALSE(a.full->valid);
    CHECK(Mentions(*a.full, c.full_words));
    if (!c.integrity_words.empty()) {
      CHECK_FALSE(a.integrity->valid);
      CHECK(Mentions(*a.integrity, c.integrity_words));
    }
    ++*ran;
  }
}

using LotEdit = std::function<void(v1::state::LotState*)>;

TEST_CASE("Every field of a lot's state, changed, is a finding naming the lot", "[tamper][derived]") {
  const std::vector<std::pair<std::string, LotEdit>> fields = {
      {"lot_id", [](v1::state::LotState* s) { s->set_lot_id("ORE-X"); }},
      {"material", [](v1::state::LotState* s) { s->set_material(s->material() == 5 ? 4 : 5); }},
      {"mass_g", [](v1::state::LotState* s) { s->set_mass_g(s->mass_g() + 1); }},
      {"remaining_g", [](v1::state::LotState* s) { s->set_remaining_g(s->remaining_g() - 1); }},
      {"custodian", [](v1::state::LotState* s) { s->set_custodian("sep-1"); }},
      {"in_transit_to", [](v1::state::LotState* s) { s->set_in_transit_to("smelt-1"); }},
      {"status (another valid one)", [](v1::state::LotState* s) {
         s->set_status(s->status() == v1::state::LOT_EXPORTED ? v1::state::LOT_HELD
                                                              : v1::state::LOT_EXPORTED);
       }},
      {"status (no valid one)", [](v1::state::LotState* s) { s->set_status(static_cast<v1::state::LotStatus>(9)); }},
      {"head_hash (a byte)", [](v1::state::LotState* s) { s->mutable_head_hash()->at(5) ^= 1; }},
      {"head_hash (short)", [](v1::state::LotState* s) { s->mutable_head_hash()->pop_back(); }},
      {"head_seq", [](v1::state::LotState* s) { s->set_head_seq(s->head_seq() - 1); }},
      {"created_seq", [](v1::state::LotState* s) { s->set_created_seq(s->created_seq() + 1); }},
      {"shipped_mass_g", [](v1::state::LotState* s) { s->set_shipped_mass_g(7); }},
      {"creator", [](v1::state::LotState* s) { s->set_creator("mine-2"); }},
      {"content grams", [](v1::state::LotState* s) { s->mutable_content(0)->set_grams(s->content(0).grams() + 1); }},
      {"content element", [](v1::state::LotState* s) { s->mutable_content(0)->set_element(66); }},
      {"content entry added", [](v1::state::LotState* s) {
         auto* e = s->add_content();
         e->set_element(66);
         e->set_grams(1);
       }},
      {"content entry removed", [](v1::state::LotState* s) { s->clear_content(); }},
  };
  int ran = 0;
  std::vector<Case> cases;
  for (const auto& [field, edit] : fields) {
    for (Seal seal : {Seal::kRecomputed, Seal::kStale}) {
      const bool stale = seal == Seal::kStale;
      for (const std::string lot : {"ORE-2", "ORE-3", "MAG-1"}) {  // held, in transit, exported
        cases.push_back({"lot " + lot + ": " + field + (stale ? ", stale seal" : ", seal recomputed"),
                         [lot, seal, edit = edit](const std::string& path) {
                           EditSealed<v1::state::LotState>(path, "lots", lot, seal, edit);
                         },
                         {"lot table", "lot " + lot},
                         stale ? std::vector<std::string>{"lot table holds 1 damaged"}
                               : std::vector<std::string>{}});
      }
    }
  }
  RunCases(cases, &ran);
  WARN("lot state: " << ran << " changes, each a finding");
  CHECK(ran == static_cast<int>(fields.size()) * 2 * 3);
}

TEST_CASE("Every field of a quota balance, changed, is a finding naming the quota", "[tamper][derived]") {
  const std::string key = std::string("mine-1") + '\0' + std::string("\x00\x00\x07\xea", 4) +
                          static_cast<char>(QuotaKind::kMiningRock);
  using Q = v1::state::QuotaState;
  const std::vector<std::pair<std::string, std::function<void(Q*)>>> fields = {
      {"used (low bits)", [](Q* q) { q->set_used_reo_g(q->used_reo_g() - 1); }},
      {"used (high bits)", [](Q* q) { q->set_used_reo_g_high(1); }},
      {"entries", [](Q* q) { q->set_entries(q->entries() + 1); }},
      {"last_seq", [](Q* q) { q->set_last_seq(q->last_seq() - 1); }},
  };
  int ran = 0;
  std::vector<Case> cases;
  for (const auto& [field, edit] : fields) {
    for (Seal seal : {Seal::kRecomputed, Seal::kStale}) {
      const bool stale = seal == Seal::kStale;
      cases.push_back({"quota: " + field + (stale ? ", stale seal" : ", seal recomputed"),
                       [key, seal, edit = edit](const std::string& path) {
                         EditSealed<Q>(path, "quotas", key, seal, edit);
                       },
                       {"quota table", "mine-1's 2026 mining_rock"},
                       stale ? std::vector<std::string>{"quota table holds 1 damaged"}
                             : std::vector<std::string>{}});
    }
  }
  RunCases(cases, &ran);
  WARN("quota state: " << ran << " changes, each a finding");
  CHECK(ran == static_cast<int>(fields.size()) * 2);
}

// Index and meta tables: entries removed, added, re-pointed, renamed.
TEST_CASE("Every index, the tree, the head and the checkpoints, changed, are findings naming the table",
          "[tamper][derived]") {
  const Pristine& base = Base();
  auto remove = [](std::string table, std::size_t n) {
    return [table, n](const std::string& path) {
      testing::WithTable(path, table, [&](MDB_txn* txn, MDB_dbi dbi) {
        auto kv = Nth(txn, dbi, n);
        MDB_val k = testing::ValOf(kv.first), v = testing::ValOf(kv.second);
        REQUIRE(mdb_del(txn, dbi, &k, &v) == 0);
      });
    };
  };
  auto insert = [](std::string table, std::string key, std::string value) {
    return [table, key, value](const std::string& path) {
      testing::WithTable(path, table, [&](MDB_txn* txn, MDB_dbi dbi) {
        MDB_val k = testing::ValOf(key), v = testing::ValOf(value);
        REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
      });
    };
  };
  // Replaces the n-th entry's value (or, with rename, its key).
  auto change = [](std::string table, std::size_t n, std::function<void(std::string*)> fn,
                   bool rename = false) {
    return [table, n, fn, rename](const std::string& path) {
      testing::WithTable(path, table, [&](MDB_txn* txn, MDB_dbi dbi) {
        auto kv = Nth(txn, dbi, n);
        MDB_val k = testing::ValOf(kv.first), v = testing::ValOf(kv.second);
        REQUIRE(mdb_del(txn, dbi, &k, &v) == 0);
        fn(rename ? &kv.first : &kv.second);
        MDB_val nk = testing::ValOf(kv.first), nv = testing::ValOf(kv.second);
        REQUIRE(mdb_put(txn, dbi, &nk, &nv, 0) == 0);
      });
    };
  };
  auto flip = [](std::size_t at) { return [at](std::string* s) { (*s)[std::min(at, s->size() - 1)] ^= 1; }; };
  auto seq = [](std::uint64_t v) { return [v](std::string* s) { *s = testing::U64Key(v); }; };
  const std::vector<Case> cases = {
      // authority: u64be seq of every authority record -> "".
      {"authority index: an entry removed", remove("authority", 2), {"authority index", "record"},
       {"authority index"}},
      {"authority index: a custody record added",
       insert("authority", testing::U64Key(base.custody_seq), ""),
       {"authority index lists record " + std::to_string(base.custody_seq)}, {"authority index"}},
      {"authority index: a record beyond the log added", insert("authority", testing::U64Key(1000), ""),
       {"authority index has"}, {"authority index"}},
      {"authority index: a key that is no seq", insert("authority", "abc", ""),
       {"authority index"}, {"authority index"}},
      {"authority index: a value given", change("authority", 1, [](std::string* s) { *s = "x"; }),
       {"authority index"}, {"authority index"}},
      {"authority index: an entry re-keyed", change("authority", 3, seq(base.size - 2), true),
       {"authority index"}, {"authority index"}},
      // event_ids: event id -> u64be seq.
      {"event-id index: an entry removed", remove("event_ids", 4), {"event-id index"},
       {"event-id index"}},
      {"event-id index: an entry added", insert("event_ids", "ev-forged", testing::U64Key(3)),
       {"event-id index"}, {"event-id index"}},
      {"event-id index: a value re-pointed", change("event_ids", 4, seq(1)), {"event-id index", "record"},
       {"event-id index"}},
      {"event-id index: a key renamed", change("event_ids", 4, flip(1), true), {"event-id index"},
       {"event-id index"}},
      {"event-id index: a value that is no seq", change("event_ids", 4, [](std::string* v) { v->resize(3); }),
       {"event-id index", "record"}, {"event-id index"}},
      // lot_index: lot id -> u64be seq (dupsort).
      {"lot index: an entry removed", remove("lot_index", 2), {"lot index of"}, {"lot index"}},
      {"lot index: an entry added", insert("lot_index", "ORE-1", testing::U64Key(3)), {"lot index"},
       {"lot index"}},
      {"lot index: an entry re-pointed", change("lot_index", 0, seq(1)), {"lot index of"},
       {"lot index"}},
      {"lot index: an entry moved to another lot", change("lot_index", 0, flip(0), true),
       {"lot index"}, {"lot index"}},
      // quota_log: quota key -> u64be seq (dupsort).
      {"quota log: an entry removed", remove("quota_log", 1), {"quota log of"}, {"quota log"}},
      {"quota log: an entry added", insert("quota_log", "mine-1", testing::U64Key(4)), {"quota log"},
       {"quota log"}},
      {"quota log: an entry re-pointed", change("quota_log", 1, seq(2)), {"quota log"},
       {"quota log"}},
      // lots and quotas tables: whole entries.
      {"lot table: an entry removed", remove("lots", 0), {"lot table"}, {"lot table"}},
      {"lot table: an entry added", insert("lots", "ORE-FORGED", "x"), {"lot table"}, {"lot table"}},
      {"quota table: an entry removed", remove("quotas", 0), {"quota table"}, {"quota table"}},
      {"quota table: an entry added", insert("quotas", std::string("ghost\0\0\0\x07\xea\x01", 11), "x"),
       {"quota table"}, {"quota table"}},
      // tree: u64be last leaf || u8 level -> 32-byte hash.
      {"tree: a leaf changed", change("tree", 0, flip(3)), {"Merkle tree"}, {"Merkle tree"}},
      {"tree: an inner node changed", change("tree", 2, flip(3)), {"Merkle tree"}, {"Merkle tree"}},
      {"tree: a node removed", remove("tree", 5), {"Merkle tree"}, {"Merkle tree"}},
      {"tree: a node added", insert("tree", testing::U64Key(1) + std::string(1, '\x07'), std::string(32, 'n')),
       {"Merkle tree"}, {"Merkle tree"}},
      {"tree: a node re-keyed", change("tree", 4, flip(7), true), {"Merkle tree"}, {"Merkle tree"}},
      {"tree: a node of the wrong length", change("tree", 3, [](std::string* v) { v->pop_back(); }),
       {"Merkle tree"}, {"Merkle tree"}},
      {"tree: a key that is no node", insert("tree", "abc", std::string(32, 'n')), {"Merkle tree"},
       {"Merkle tree"}},
      // meta: head (u64be size || hash), ledger id.
      {"meta head: the size", change("meta", 1, flip(7)), {"ledger head"}, {"ledger head"}},
      {"meta head: the hash", change("meta", 1, flip(20)), {"ledger head"}, {"ledger head"}},
      {"meta head: truncated", change("meta", 1, [](std::string* v) { v->resize(10); }),
       {"ledger head"}, {"ledger head"}},
      // checkpoints: u64be tree size -> signed note.
      {"checkpoint table: the root changed",
       change("checkpoints", 0,
              [](std::string* note) {
                const std::size_t nl = note->find('\n', note->find('\n') + 1);
                (*note)[nl + 3] = (*note)[nl + 3] == 'A' ? 'B' : 'A';
              }),
       {"checkpoint table"}, {"checkpoint table"}},
      {"checkpoint table: the origin changed", change("checkpoints", 0, flip(0)),
       {"checkpoint table"}, {"checkpoint table"}},
      {"checkpoint table: the size in the note changed",
       change("checkpoints", 0,
              [](std::string* note) {
                const std::size_t nl = note->find('\n');
                (*note)[nl + 1] = (*note)[nl + 1] == '9' ? '8' : static_cast<char>((*note)[nl + 1] + 1);
              }),
       {"checkpoint table"}, {"checkpoint table"}},
      {"checkpoint table: re-keyed to another size", change("checkpoints", 0, seq(3), true),
       {"checkpoint table"}, {"checkpoint table"}},
      {"checkpoint table: a checkpoint beyond the log", insert("checkpoints", testing::U64Key(1000), "x"),
       {"checkpoint table"}, {"checkpoint table"}},
  };
  int ran = 0;
  RunCases(cases, &ran);
  WARN("indexes, tree, head, checkpoints: " << ran << " changes, each a finding");
  CHECK(ran == static_cast<int>(cases.size()));
}

TEST_CASE("A checkpoint's damaged signature is found by whoever holds the log key", "[tamper][derived]") {
  // The one derived field the audit cannot judge: the ledger does not keep
  // the log's public key, so a stored checkpoint's signature is checked by
  // those who verify the checkpoint (bundles, witnesses, `consistency`).
  const Pristine& base = Base();
  TempDir dir;
  const std::string path = base.Copy(dir);
  testing::WithTable(path, "checkpoints", [&](MDB_txn* txn, MDB_dbi dbi) {
    auto kv = Nth(txn, dbi, 0);
    std::string& note = kv.second;
    const std::size_t at = note.size() - 6;  // inside the base64 signature line
    note[at] = note[at] == 'A' ? 'B' : 'A';
    MDB_val k = testing::ValOf(kv.first), v = testing::ValOf(note);
    REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
  });
  Audits a = AuditBoth(path);
  REQUIRE(a.open.ok());
  CHECK(a.full->valid);  // the limitation, stated in docs/reliability.md
  Options o;
  o.sync = false;
  auto l = Ledger::Open(o, path);
  REQUIRE(l.ok());
  auto bundle = ProveLineage(**l, "MAG-1");
  REQUIRE(bundle.ok());
  auto report = VerifyBundle(*bundle, *base.root_key, base.log->verifier());
  REQUIRE(report.ok());
  CHECK_FALSE(report->valid);
  CHECK_FALSE(report->checkpoint_verified);
}

TEST_CASE("A changed ledger id or format marker is refused at open, naming it", "[tamper][derived]") {
  struct OpenCase {
    std::string name;
    std::string key, value;
    std::string words;
  };
  const std::vector<OpenCase> cases = {
      {"ledger id", "ledger_id", std::string(16, 'z'), "another ledger"},
      {"ledger id, short", "ledger_id", std::string(15, 'z'), "ledger id"},
      {"format marker", "format", "retrace-ledger/9", "unknown ledger format"},
      {"format marker, the previous format", "format", "retrace-ledger/2", "retrace-ledger/2"},
  };
  for (const auto& c : cases) {
    INFO("case: " << c.name);
    TempDir dir;
    const std::string path = Base().Copy(dir);
    testing::WithTable(path, "meta", [&](MDB_txn* txn, MDB_dbi dbi) {
      MDB_val k = testing::ValOf(c.key), v = testing::ValOf(c.value);
      REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
    });
    Options o;
    o.sync = false;
    auto l = Ledger::Open(o, path);
    REQUIRE_FALSE(l.ok());
    CHECK_THAT(l.status().message(), Catch::Contains(c.words));
  }
}

TEST_CASE("The append path refuses a damaged lot or quota value instead of deciding with it",
          "[tamper][derived]") {
  const Pristine& base = Base();
  const std::string quota = std::string("mine-1") + '\0' + std::string("\x00\x00\x07\xea", 4) +
                            static_cast<char>(QuotaKind::kMiningRock);
  struct AppendCase {
    std::string name;
    std::function<void(const std::string&)> damage;
    const SignedEvent* event;
    std::string words;
  };
  using L = v1::state::LotState;
  using Q = v1::state::QuotaState;
  const std::vector<AppendCase> cases = {
      {"lot custodian, stale seal",
       [](const std::string& p) {
         EditSealed<L>(p, "lots", "ORE-2", Seal::kStale, [](L* s) { s->set_custodian("sep-1"); });
       },
       &base.ship_ore2, "lot ORE-2 is damaged"},
      {"lot remaining mass, stale seal",
       [](const std::string& p) {
         EditSealed<L>(p, "lots", "ORE-2", Seal::kStale, [](L* s) { s->set_remaining_g(1); });
       },
       &base.ship_ore2, "lot ORE-2 is damaged"},
      {"lot id, seal recomputed",
       [](const std::string& p) {
         EditSealed<L>(p, "lots", "ORE-2", Seal::kRecomputed, [](L* s) { s->set_lot_id("ORE-9"); });
       },
       &base.ship_ore2, "lot ORE-2 is damaged"},
      {"quota used, stale seal",
       [&quota](const std::string& p) {
         EditSealed<Q>(p, "quotas", quota, Seal::kStale, [](Q* q) { q->set_used_reo_g(0); });
       },
       &base.extract_more, "quota balance of mine-1's 2026 mining_rock is damaged"},
      {"quota entries, seal recomputed (checked against the quota log)",
       [&quota](const std::string& p) {
         EditSealed<Q>(p, "quotas", quota, Seal::kRecomputed, [](Q* q) { q->set_entries(q->entries() - 1); });
       },
       &base.extract_more, "disagrees with its quota log"},
      {"quota last seq, seal recomputed (checked against the quota log)",
       [&quota](const std::string& p) {
         EditSealed<Q>(p, "quotas", quota, Seal::kRecomputed, [](Q* q) { q->set_last_seq(q->last_seq() - 1); });
       },
       &base.extract_more, "disagrees with its quota log"},
  };
  int ran = 0;
  for (const auto& c : cases) {
    INFO("case: " << c.name);
    TempDir dir;
    const std::string path = base.Copy(dir);
    c.damage(path);
    Options o;
    o.sync = false;
    auto l = Ledger::Open(o, path);
    REQUIRE(l.ok());
    auto r = (*l)->Append(*c.event);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kCorruption);
    CHECK_THAT(r.status().message(), Catch::Contains(c.words));
    auto info = (*l)->Info();
    REQUIRE(info.ok());
    CHECK(info->size == base.size);
    CHECK(info->head_hash == base.head);
    ++ran;
  }
  // The same events are accepted by an undamaged copy.
  {
    TempDir dir;
    Options o;
    o.sync = false;
    auto l = Ledger::Open(o, base.Copy(dir));
    REQUIRE(l.ok());
    CHECK((*l)->Append(base.ship_ore2).ok());
    CHECK((*l)->Append(base.extract_more).ok());
  }
  WARN("append path: " << ran << " damaged values refused");
}

TEST_CASE("A forged lot state with its seal recomputed misleads append but not the audit or verify",
          "[tamper][derived]") {
  // The threat model's attacker 1 (write access to the file, no keys): the
  // seal stops damage, not a forger; the full audit's re-derivation and
  // every lineage walk, which replay the records, do.
  const Pristine& base = Base();
  TempDir dir;
  const std::string path = base.Copy(dir);
  EditSealed<v1::state::LotState>(path, "lots", "ORE-2", Seal::kRecomputed,
                                  [](v1::state::LotState* s) { s->set_remaining_g(1); });
  Options o;
  o.sync = false;
  auto l = Ledger::Open(o, path);
  REQUIRE(l.ok());
  auto a = (*l)->Audit();
  REQUIRE(a.ok());
  CHECK(Mentions(*a, {"lot table", "lot ORE-2", "remaining_g 1"}));
  auto v = (*l)->VerifyLot("ORE-2");
  REQUIRE(v.ok());
  CHECK(v->valid);  // the records say what they said; the table lies
  CHECK(v->lots[0].remaining_g == 100000);
}

TEST_CASE("LotStateEncodes accepts exactly the bytes EncodeLotState writes", "[derived]") {
  // The audit compares each replayed lot with the table through
  // LotStateEncodes, which reuses one message and one buffer per thread:
  // long then short values, and every damaged variant, must still give the
  // answer of comparing with EncodeLotState.
  internal::LotView big;
  big.lot_id = "a-lot-id-much-longer-than-the-small-string-buffer-" + std::string(100, 'x');
  big.material = MaterialClass::kSeparatedOxide;
  big.mass_g = 123456789;
  big.remaining_g = 1000;
  big.custodian = "separator-with-a-long-name-" + std::string(40, 'y');
  big.in_transit_to = "magnet-maker";
  big.status = internal::LotStatus::kInTransit;
  big.head_hash.fill(0xab);
  big.head_seq = 77;
  big.created_seq = 5;
  big.shipped_mass_g = 1000;
  big.creator = "mine";
  big.head_time = 1700000000;
  big.content = {{Element::kNd, 500}, {Element::kPr, 120}, {Element::kDy, 3}};
  internal::LotView small;
  small.lot_id = "L1";
  small.custodian = "m";
  small.creator = "m";
  small.mass_g = small.remaining_g = 10;
  for (const internal::LotView* v : {&big, &small, &big}) {
    const std::string enc = internal::EncodeLotState(*v);
    CHECK(internal::LotStateEncodes(*v, enc));
    CHECK_FALSE(internal::LotStateEncodes(*v, enc + '\0'));
    CHECK_FALSE(internal::LotStateEncodes(*v, enc.substr(0, enc.size() - 1)));
    for (std::size_t i = 0; i < enc.size(); ++i) {
      std::string bad = enc;
      bad[i] = static_cast<char>(bad[i] ^ 0x01);
      CHECK_FALSE(internal::LotStateEncodes(*v, bad));
    }
  }
  CHECK_FALSE(internal::LotStateEncodes(small, internal::EncodeLotState(big)));
  CHECK_FALSE(internal::LotStateEncodes(big, internal::EncodeLotState(small)));
  internal::LotView moved = big;
  moved.content.pop_back();  // the reused message must not keep the old line
  CHECK(internal::LotStateEncodes(moved, internal::EncodeLotState(moved)));
  CHECK_FALSE(internal::LotStateEncodes(moved, internal::EncodeLotState(big)));
}

}  // namespace
}  // namespace retrace
