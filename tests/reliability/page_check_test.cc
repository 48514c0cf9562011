// The page check (lib/storage/lmdb_format.h): before LMDB follows a pointer
// in data.mdb, every page of the snapshot is checked, so that damage is a
// kCorruption error instead of a crash inside LMDB (issue 19 item 2).
//
// - On real ledgers -- the demo's supply chain, and one with duplicate
//   lists long enough for sub-trees and a value long enough for overflow
//   pages -- it accounts for every page exactly once and for every entry.
// - Aimed damage to every structural field of every reachable page (page
//   numbers, types, key counts, node offsets, key and value sizes, child
//   pointers, overflow runs, key order, counts in table records) is
//   refused at open, naming the page and the table. Each open runs in a
//   forked child, so a miss shows as a crash, not as a dead test binary.
// - Damage after the ledger was opened is refused by the next audit.
#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "reliability/reliability_util.h"
#include "retrace/ledger.h"
#include "retrace/sim.h"
#include "storage/lmdb_format.h"
#include "testing/test_chain.h"

namespace retrace {
namespace {

namespace fmt = internal::lmdb_format;
using Kind = fmt::PageUse::Kind;

constexpr std::size_t kPage = 4096;

// The newer meta page of a data file's bytes.
fmt::Meta NewerMeta(const std::string& file) {
  auto m0 = fmt::ParseMeta(std::string_view(file).substr(0, fmt::kMetaBytes), 0);
  auto m1 = fmt::ParseMeta(std::string_view(file).substr(kPage, fmt::kMetaBytes), 1);
  REQUIRE(m0.ok());
  REQUIRE(m1.ok());
  REQUIRE(m0->page_size == kPage);
  return m1->txn_id > m0->txn_id ? *m1 : *m0;
}

std::uint16_t U16(const std::string& b, std::size_t off) {
  std::uint16_t v;
  std::memcpy(&v, b.data() + off, sizeof(v));
  return v;
}
void PutU16(std::string* b, std::size_t off, std::uint16_t v) { std::memcpy(&(*b)[off], &v, sizeof(v)); }
void PutU32(std::string* b, std::size_t off, std::uint32_t v) { std::memcpy(&(*b)[off], &v, sizeof(v)); }
void PutU64(std::string* b, std::size_t off, std::uint64_t v) { std::memcpy(&(*b)[off], &v, sizeof(v)); }

// A ledger with the storage shapes the demo lacks: one mine's 300
// extractions of one year, whose quota-log duplicates outgrow a sub-page
// into a sub-tree, and an extraction with a 4,000-byte site whose record
// takes overflow pages.
void BuildShapes(testing::TestChain& c) {
  c.Register("mine-1", Role::kMine);
  auto r = c.ledger().SignAndAppend(c.Extractions("mine-1", "X-", 300), c.key("mine-1"));
  REQUIRE(r.ok());
  REQUIRE(c.Do("mine-1", Extracted{testing::OreLot("BIG"), std::string(4000, 's')}).ok());
}

// Checks that the page map accounts for every page of `dir`'s closed
// ledger and for every entry of every table; returns the map.
std::vector<fmt::PageUse> RequireAccounted(const std::string& dir) {
  const std::string file = testing::ReadFile(dir + "/data.mdb");
  const fmt::Meta meta = NewerMeta(file);
  fmt::PageCheckStats stats;
  Status st = fmt::CheckSnapshotPages(file, meta, &stats);
  INFO(st.ToString());
  REQUIRE(st.ok());
  auto map = fmt::MapSnapshotPages(file, meta);
  REQUIRE(map.ok());
  std::map<Kind, std::uint64_t> kinds;
  for (const auto& p : *map) ++kinds[p.kind];
  // Every page up to the last is a meta page, reached by exactly one tree
  // or listed free: LMDB's own invariant (mdb.c, MDB_page).
  CHECK(kinds[Kind::kUnused] == 0);
  CHECK(stats.unaccounted_pages == 0);
  CHECK(kinds[Kind::kMeta] == 2);
  CHECK(kinds[Kind::kBranch] + kinds[Kind::kLeaf] == stats.tree_pages);
  CHECK(kinds[Kind::kOverflow] == stats.overflow_pages);
  CHECK(kinds[Kind::kFree] == stats.free_pages);
  // Every key/value pair of every table, duplicates included.
  std::string why;
  auto dump = testing::DumpLedgerTables(dir, &why);
  INFO(why);
  REQUIRE(dump.has_value());
  std::uint64_t rows = 0;
  for (const auto& [table, entries] : *dump) rows += entries.size();
  CHECK(stats.entries == rows);
  return std::move(map).value();
}

TEST_CASE("The page check accounts for every page and entry of real ledgers", "[tamper][pages]") {
  {
    testing::TempDir tmp;
    const std::string dir = tmp.Sub("ledger");
    auto root = Signer::Generate(Algorithm::kEd25519);
    REQUIRE(root.ok());
    Options o;
    o.sync = false;
    {
      auto l = Ledger::Create(o, dir, "pages", **root, "regulator");
      REQUIRE(l.ok());
      REQUIRE(sim::Build(**l, **root, sim::Config()).ok());
    }
    RequireAccounted(dir);
  }
  testing::TestChain c;
  BuildShapes(c);
  c.Close();
  const auto map = RequireAccounted(c.path());
  bool sub_tree = false, overflow = false;
  for (const auto& p : map) {
    sub_tree |= p.tree.find("duplicates") != std::string::npos;
    overflow |= p.kind == Kind::kOverflow;
  }
  CHECK(sub_tree);
  CHECK(overflow);
}

// One aimed damage: what it does to a copy of the file.
struct Damage {
  std::string what;
  std::function<void(std::string*)> apply;
};

// The damages that apply to page `pgno` of `file`, of kind `kind`.
std::vector<Damage> DamagesFor(const std::string& file, std::uint64_t pgno, Kind kind,
                               std::uint64_t last_page) {
  const std::size_t p = pgno * kPage;
  std::vector<Damage> out;
  auto add = [&](std::string what, std::function<void(std::string*)> f) {
    out.push_back({"page " + std::to_string(pgno) + ": " + what, std::move(f)});
  };
  add("page number in the header + 1", [=](std::string* b) { PutU64(b, p, pgno + 1); });
  add("flags cleared", [=](std::string* b) { PutU16(b, p + 10, 0); });
  if (kind == Kind::kOverflow) {
    add("overflow page count 0", [=](std::string* b) { PutU32(b, p + 12, 0); });
    add("overflow page count past the file", [=](std::string* b) { PutU32(b, p + 12, 0x7fffffff); });
    add("made a leaf", [=](std::string* b) { PutU16(b, p + 10, 0x02); });
    return out;
  }
  const std::uint16_t flags = U16(file, p + 10), lower = U16(file, p + 12);
  const unsigned n = (lower - 16) / 2;
  add("type flipped (branch <-> leaf)", [=](std::string* b) { PutU16(b, p + 10, flags ^ 0x03); });
  add("lower bound past the page", [=](std::string* b) { PutU16(b, p + 12, 0xfff0); });
  add("upper bound below the lower", [=](std::string* b) { PutU16(b, p + 14, 2); });
  add("no keys", [=](std::string* b) { PutU16(b, p + 12, 16); });
  if (flags & 0x20) {  // MDB_DUPFIXED values, no node headers
    add("value size 0", [=](std::string* b) { PutU16(b, p + 8, 0); });
    add("value size past the page", [=](std::string* b) { PutU16(b, p + 8, 4000); });
    if (n >= 2) {
      const std::uint16_t ks = U16(file, p + 8);
      add("values 0 and 1 swapped", [=](std::string* b) {
        std::string v0 = b->substr(p + 16, ks);
        std::memmove(&(*b)[p + 16], b->data() + p + 16 + ks, ks);
        std::memcpy(&(*b)[p + 16 + ks], v0.data(), ks);
      });
    }
    return out;
  }
  const std::size_t node = p + U16(file, p + 16);
  add("node 0 offset past the page", [=](std::string* b) { PutU16(b, p + 16, kPage - 2); });
  add("node 0 offset inside the pointer array", [=](std::string* b) { PutU16(b, p + 16, 16); });
  add("node 0 key size 0xffff", [=](std::string* b) { PutU16(b, node + 6, 0xffff); });
  if (n >= 2) {
    add("pointers 0 and 1 swapped (key order)", [=](std::string* b) {
      const std::uint16_t a = U16(*b, p + 16), c = U16(*b, p + 18);
      PutU16(b, p + 16, c);
      PutU16(b, p + 18, a);
    });
  }
  if (kind == Kind::kBranch) {
    add("child 0 is page 1 (a meta page)", [=](std::string* b) {
      PutU16(b, node, 1);
      PutU16(b, node + 2, 0);
      PutU16(b, node + 4, 0);
    });
    add("child 0 past the last page", [=](std::string* b) {
      PutU16(b, node, static_cast<std::uint16_t>(last_page + 1));
      PutU16(b, node + 2, static_cast<std::uint16_t>((last_page + 1) >> 16));
      PutU16(b, node + 4, 0);
    });
    add("child 0 is the page itself (a cycle)", [=](std::string* b) {
      PutU16(b, node, static_cast<std::uint16_t>(pgno));
      PutU16(b, node + 2, static_cast<std::uint16_t>(pgno >> 16));
      PutU16(b, node + 4, 0);
    });
    return out;
  }
  const std::uint16_t nflags = U16(file, node + 4);
  if (nflags == 0) {
    add("node 0 value size 2^31", [=](std::string* b) {
      PutU16(b, node, 0);
      PutU16(b, node + 2, 0x8000);
    });
  }
  if (nflags == 0x01) {  // a value on overflow pages
    const std::size_t data = node + 8 + U16(file, node + 6);
    add("node 0's overflow page past the file", [=](std::string* b) { PutU64(b, data, last_page + 7); });
    add("node 0's overflow page is a meta page", [=](std::string* b) { PutU64(b, data, 0); });
  }
  if (nflags == 0x02) {  // a table's record in the main tree
    const std::size_t rec = node + 8 + U16(file, node + 6);
    add("table record: entries + 1", [=](std::string* b) {
      std::uint64_t e;
      std::memcpy(&e, b->data() + rec + 32, 8);
      PutU64(b, rec + 32, e + 1);
    });
    add("table record: depth + 1", [=](std::string* b) { PutU16(b, rec + 6, U16(*b, rec + 6) + 1); });
    add("table record: root page 1", [=](std::string* b) { PutU64(b, rec + 40, 1); });
  }
  add("node 0 flags 0x40", [=](std::string* b) { PutU16(b, node + 4, 0x40); });
  return out;
}

TEST_CASE("Damage to any structural field of a reachable page is refused at open",
          "[tamper][pages]") {
  testing::TestChain c;
  BuildShapes(c);
  c.Close();
  const std::string file_path = c.path() + "/data.mdb";
  const std::string pristine = testing::ReadFile(file_path);
  const fmt::Meta meta = NewerMeta(pristine);
  auto map = fmt::MapSnapshotPages(pristine, meta);
  REQUIRE(map.ok());
  std::map<std::string, int> refused_by_kind;
  int trials = 0;
  std::uint64_t run_end = 0;  // pages of an overflow run after its first have no header
  for (std::uint64_t pgno = 2; pgno <= meta.last_page; ++pgno) {
    const fmt::PageUse& use = (*map)[pgno];
    if (use.kind != Kind::kBranch && use.kind != Kind::kLeaf && use.kind != Kind::kOverflow) continue;
    if (use.kind == Kind::kOverflow) {
      if (pgno < run_end) continue;
      std::uint32_t pages;
      std::memcpy(&pages, pristine.data() + pgno * kPage + 12, sizeof(pages));
      run_end = pgno + pages;
    }
    for (const Damage& d : DamagesFor(pristine, pgno, use.kind, meta.last_page)) {
      std::string bytes = pristine;
      d.apply(&bytes);
      if (bytes == pristine) continue;
      testing::WriteFile(file_path, bytes);
      ++trials;
      const std::string result = testing::InChild([&]() -> std::string {
        auto l = Ledger::Open(Options(), c.path());
        if (l.ok()) return "opened";
        return std::to_string(static_cast<int>(l.status().code())) + " " + l.status().message();
      });
      INFO(d.what << " (" << use.tree << "): " << result);
      const std::string corruption = std::to_string(static_cast<int>(StatusCode::kCorruption)) + " ";
      CHECK(result.rfind(corruption, 0) == 0);
      CHECK_THAT(result, Catch::Contains("is damaged") && Catch::Contains("page"));
      if (result.rfind(corruption, 0) == 0) {
        ++refused_by_kind[use.kind == Kind::kBranch ? "branch" : use.kind == Kind::kLeaf ? "leaf" : "overflow"];
      }
    }
  }
  testing::WriteFile(file_path, pristine);
  c.Reopen();
  CHECK(c.ledger().Audit()->valid);
  std::ostringstream s;
  s << "aimed page damage: " << trials << " trials over " << meta.last_page + 1 << " pages, refused at open:";
  for (const auto& [kind, n] : refused_by_kind) s << " " << kind << " " << n << ";";
  WARN(s.str());
}

TEST_CASE("A page damaged after the ledger was opened is refused by the next audit",
          "[tamper][pages]") {
  testing::TestChain c;
  BuildShapes(c);
  c.Close();
  const std::string file_path = c.path() + "/data.mdb";
  const std::string pristine = testing::ReadFile(file_path);
  const fmt::Meta meta = NewerMeta(pristine);
  auto map = fmt::MapSnapshotPages(pristine, meta);
  REQUIRE(map.ok());
  std::uint64_t target = 0;
  for (std::uint64_t pgno = 2; pgno <= meta.last_page && target == 0; ++pgno) {
    if ((*map)[pgno].kind == Kind::kLeaf && (*map)[pgno].tree == "table 'records'") target = pgno;
  }
  REQUIRE(target != 0);
  c.Reopen();
  REQUIRE(c.ledger().Audit()->valid);
  // Behind the open ledger's back, as a disk error or another program would.
  {
    std::string bytes = pristine;
    PutU16(&bytes, target * kPage + 16, kPage - 2);  // node 0 past the page end
    std::fstream f(file_path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(target * kPage + 16));
    f.write(bytes.data() + target * kPage + 16, 2);
    REQUIRE(f.good());
  }
  for (AuditScope scope : {AuditScope::kFull, AuditScope::kIntegrity}) {
    AuditOptions ao;
    ao.scope = scope;
    auto audit = c.ledger().Audit(ao);
    REQUIRE_FALSE(audit.ok());
    CHECK(audit.status().code() == StatusCode::kCorruption);
    CHECK_THAT(audit.status().message(),
               Catch::Contains("page " + std::to_string(target)) && Catch::Contains("table 'records'") &&
                   Catch::Contains("backup"));
  }
}

}  // namespace
}  // namespace retrace
