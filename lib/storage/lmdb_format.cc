#include "storage/lmdb_format.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "util/posix_file.h"
#include "util/status_macros.h"

namespace retrace::internal::lmdb_format {
namespace {

// The layout below is LMDB 0.9's on a 64-bit host (pgno_t, txnid_t and
// size_t are 8 bytes); mdb.c fixes it for the whole 0.9 series.
static_assert(sizeof(std::size_t) == 8, "this reader knows LMDB's layout on 64-bit hosts only");

// MDB_page: pgno_t mp_pgno; uint16_t mp_pad, mp_flags; then either
// indx_t mp_lower, mp_upper (branch, leaf) or uint32_t mp_pages (overflow);
// then indx_t mp_ptrs[] (branch, leaf).
constexpr std::size_t kPgno = 0, kPad = 8, kFlags = 10, kLower = 12, kUpper = 14, kPages = 12;
constexpr std::size_t kPageHeader = 16;  // PAGEHDRSZ
constexpr std::uint16_t kBranch = 0x01, kLeaf = 0x02, kOverflow = 0x04, kMetaPage = 0x08,
                        kDirty = 0x10, kLeaf2 = 0x20, kSubPage = 0x40;

// MDB_node: two 16-bit halves of the data size (leaf) or the low 32 bits
// of the child page (branch), in host order; mn_flags (leaf) or bits 32-47
// of the child page (branch); mn_ksize; then the key, then the data.
constexpr std::size_t kNodeHeader = 8;  // NODESIZE
constexpr std::uint16_t kBigData = 0x01, kSubData = 0x02, kDupData = 0x04;
constexpr std::size_t kNodeLo = std::endian::native == std::endian::little ? 0 : 2;
constexpr std::size_t kNodeHi = 2 - kNodeLo;

// MDB_meta after the page header.
constexpr std::size_t kMagic = 16, kVersion = 20, kDbs = 40, kDbSize = 48, kLastPage = 136,
                      kTxnId = 144;
static_assert(kTxnId + 8 == kMetaBytes);
constexpr std::uint32_t kMagicValue = 0xBEEFC0DE;
constexpr std::uint32_t kDataVersion = 1;

// mdb_dbi_open flags that persist in a DbRecord.
constexpr std::uint16_t kReverseKey = 0x02, kDupSort = 0x04, kIntegerKey = 0x08, kDupFixed = 0x10,
                        kIntegerDup = 0x20, kReverseDup = 0x40;
constexpr std::uint16_t kTableFlags =
    kReverseKey | kDupSort | kIntegerKey | kDupFixed | kIntegerDup | kReverseDup;

// CURSOR_STACK: LMDB's cursors hold at most this many levels.
constexpr unsigned kMaxDepth = 32;
// MDB_MAXKEYSIZE in Debian's build: keys and duplicate values are shorter.
constexpr std::size_t kMaxKeySize = 511;

template <typename T>
T Load(const unsigned char* p) {
  T v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

DbRecord ParseDb(const unsigned char* p) {
  DbRecord d;
  d.pad = Load<std::uint32_t>(p);
  d.flags = Load<std::uint16_t>(p + 4);
  d.depth = Load<std::uint16_t>(p + 6);
  d.branch_pages = Load<std::uint64_t>(p + 8);
  d.leaf_pages = Load<std::uint64_t>(p + 16);
  d.overflow_pages = Load<std::uint64_t>(p + 24);
  d.entries = Load<std::uint64_t>(p + 32);
  d.root = Load<std::uint64_t>(p + 40);
  return d;
}

// How a tree orders its keys (mdb.c's comparators for these flags).
enum class Order { kLexical, kReverse, kInteger, kLong };

// -1, 0, 1 as LMDB's comparator for `order` would say. kInteger and kLong
// keys have been checked to be 4 or 8 bytes.
int Compare(Order order, std::string_view a, std::string_view b) {
  switch (order) {
    case Order::kLexical: {
      const int c = std::memcmp(a.data(), b.data(), std::min(a.size(), b.size()));
      if (c != 0) return c < 0 ? -1 : 1;
      return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
    }
    case Order::kReverse: {
      std::size_t i = a.size(), j = b.size();
      while (i > 0 && j > 0) {
        const auto x = static_cast<unsigned char>(a[--i]), y = static_cast<unsigned char>(b[--j]);
        if (x != y) return x < y ? -1 : 1;
      }
      return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
    }
    case Order::kInteger:
    case Order::kLong: {
      // Sizes were checked to be 4 or 8; keys of two sizes cannot share a tree.
      if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
      std::uint64_t x = 0, y = 0;
      if (a.size() == 4) {
        x = Load<std::uint32_t>(reinterpret_cast<const unsigned char*>(a.data()));
        y = Load<std::uint32_t>(reinterpret_cast<const unsigned char*>(b.data()));
      } else {
        x = Load<std::uint64_t>(reinterpret_cast<const unsigned char*>(a.data()));
        y = Load<std::uint64_t>(reinterpret_cast<const unsigned char*>(b.data()));
      }
      return x < y ? -1 : x > y ? 1 : 0;
    }
  }
  return 0;
}

// A tree to walk: what its pages may hold, and what was counted in them.
struct Tree {
  enum class Kind { kFree, kMain, kTable, kDuplicates };
  Kind kind = Kind::kTable;
  std::string name;  // for messages: "table 'actors'"
  DbRecord db;
  Order order = Order::kLexical;    // of keys
  Order dup_order = Order::kLexical;  // of duplicates (dupsort tables)
  std::uint16_t table_flags = 0;    // kTable, kDuplicates: the table's flags
  // Counted while walking, compared with `db` at the end.
  std::uint64_t branch = 0, leaf = 0, overflow = 0, entries = 0;
};

// Key bounds a parent's separators set for a subtree: lo <= key < hi.
struct Bounds {
  bool has_lo = false, has_hi = false;
  std::string_view lo, hi;
};

// The walk. Internally every step returns false after recording what is
// wrong in error_ (no Status, and no string, on the path that succeeds: the
// walk visits every key of the ledger).
class SnapshotChecker {
 public:
  SnapshotChecker(std::string_view file, const Meta& meta, std::vector<PageUse>* map)
      : base_(reinterpret_cast<const unsigned char*>(file.data())),
        psize_(meta.page_size),
        last_(meta.last_page),
        txn_id_(meta.txn_id),
        claimed_((meta.last_page + 64) / 64, 0),
        map_(map) {
    if (map_ != nullptr) {
      map_->assign(last_ + 1, PageUse{});
      (*map_)[0].kind = (*map_)[1].kind = PageUse::Kind::kMeta;
    }
  }

  Status Run(const Meta& meta, PageCheckStats* stats) {
    Tree main;
    main.kind = Tree::Kind::kMain;
    main.name = "the main tree (table names)";
    main.db = meta.main_tree;
    Tree free;
    free.kind = Tree::Kind::kFree;
    free.name = "the free-page tree";
    free.db = meta.free_tree;
    free.order = Order::kLong;
    bool ok = WalkTree(main) && WalkTree(free);
    // Free-page lists last: a page both listed free and reached by a tree
    // is found whichever claims it second.
    for (std::size_t i = 0; ok && i < free_lists_.size(); ++i) {
      ok = CheckFreeList(free_lists_[i].first, free_lists_[i].second);
    }
    if (!ok) return CorruptionError(error_);
    stats->file_pages = last_ + 1;
    stats->tree_pages = tree_pages_;
    stats->overflow_pages = overflow_pages_;
    stats->free_pages = free_pages_;
    stats->unaccounted_pages = (last_ + 1 - 2) - tree_pages_ - overflow_pages_ - free_pages_;
    stats->trees = trees_;
    stats->entries = entries_;
    return Status::Ok();
  }

 private:
  bool Fail(std::string what) {
    error_ = std::move(what);
    return false;
  }
  bool Damaged(const Tree& t, std::uint64_t pgno, const std::string& what) {
    return Fail("page " + std::to_string(pgno) + " of " + t.name + " " + what);
  }

  // Marks `count` pages from `first` as used; each may be claimed once.
  bool Claim(const Tree& t, std::uint64_t first, std::uint64_t count, const char* what,
             PageUse::Kind kind) {
    for (std::uint64_t p = first; p < first + count; ++p) {
      std::uint64_t& word = claimed_[p / 64];
      const std::uint64_t bit = std::uint64_t{1} << (p % 64);
      if (word & bit) {
        return Fail("page " + std::to_string(p) + " (" + what + " of " + t.name +
                    ") is also used elsewhere: the B-tree has a cycle or a page shared by two owners");
      }
      word |= bit;
      if (map_ != nullptr) {
        (*map_)[p].kind = kind;
        if (kind != PageUse::Kind::kFree) (*map_)[p].tree = t.name;
      }
    }
    return true;
  }

  const unsigned char* Page(std::uint64_t pgno) const { return base_ + pgno * psize_; }

  bool WalkTree(Tree& t) {
    ++trees_;
    if (t.db.root == kNoPage) {
      if (t.db.depth != 0 || t.db.entries != 0 || t.db.branch_pages != 0 || t.db.leaf_pages != 0 ||
          t.db.overflow_pages != 0) {
        return Fail(t.name + " is empty but its record counts pages or entries");
      }
      return true;
    }
    if (t.db.root < 2 || t.db.root > last_) {
      return Fail(t.name + " names page " + std::to_string(t.db.root) +
                  " as its root, which is not a data page of the file (2.." + std::to_string(last_) + ")");
    }
    if (t.db.depth < 1 || t.db.depth > kMaxDepth) {
      return Fail(t.name + " has an impossible depth " + std::to_string(t.db.depth));
    }
    if (!WalkPage(t, t.db.root, 1, Bounds{})) return false;
    if (t.branch != t.db.branch_pages || t.leaf != t.db.leaf_pages ||
        t.overflow != t.db.overflow_pages || t.entries != t.db.entries) {
      return Fail(t.name + "'s record counts " + std::to_string(t.db.branch_pages) + " branch, " +
                  std::to_string(t.db.leaf_pages) + " leaf and " + std::to_string(t.db.overflow_pages) +
                  " overflow pages and " + std::to_string(t.db.entries) + " entries, but the tree holds " +
                  std::to_string(t.branch) + ", " + std::to_string(t.leaf) + ", " +
                  std::to_string(t.overflow) + " and " + std::to_string(t.entries));
    }
    tree_pages_ += t.branch + t.leaf;
    overflow_pages_ += t.overflow;
    return true;
  }

  // Checks key `index` of a page whose keys must ascend in `order`: after
  // `prev` (if any); and, for the first and the last key of the page (the
  // others lie between them), inside the bounds the parent set.
  bool CheckKey(const Tree& t, Order order, std::uint64_t pgno, unsigned index, std::string_view key,
                const std::string_view* prev, const Bounds& b, bool first, bool last) {
    if ((order == Order::kInteger || order == Order::kLong) && key.size() != 8 &&
        !(order == Order::kInteger && key.size() == 4)) {
      return Damaged(t, pgno, "has an integer key " + std::to_string(index) + " of " +
                                  std::to_string(key.size()) + " bytes");
    }
    if (prev != nullptr && Compare(order, *prev, key) >= 0) {
      return Damaged(t, pgno, "has keys out of order at " + std::to_string(index));
    }
    if ((first && b.has_lo && Compare(order, key, b.lo) < 0) ||
        (last && b.has_hi && Compare(order, key, b.hi) >= 0)) {
      return Damaged(t, pgno, "has key " + std::to_string(index) +
                                  " outside the range its parent page assigns to it");
    }
    return true;
  }

  // The node at mp_ptrs[i] of a (sub-)page of `size` bytes at `p` whose
  // node area starts at `upper`: checks that its header and key lie inside
  // the page; returns its offset.
  bool NodeAt(const Tree& t, std::uint64_t pgno, const unsigned char* p, std::size_t size,
              std::size_t upper, unsigned i, std::size_t* offset) {
    const std::size_t off = Load<std::uint16_t>(p + kPageHeader + 2 * i);
    if (off < upper || off + kNodeHeader > size || (off & 1) != 0) {
      return Damaged(t, pgno, "has node " + std::to_string(i) + " at offset " + std::to_string(off) +
                                  ", outside its node area");
    }
    const std::size_t ksize = Load<std::uint16_t>(p + off + 6);
    if (off + kNodeHeader + ksize > size) {
      return Damaged(t, pgno, "has node " + std::to_string(i) + " whose " + std::to_string(ksize) +
                                  "-byte key runs past the page end");
    }
    *offset = off;
    return true;
  }

  // Number of keys of a (sub-)page of `size` bytes at `p`, after checking
  // its free-space bounds; *upper is where its node area starts.
  bool KeyCount(const Tree& t, std::uint64_t pgno, const unsigned char* p, std::size_t size,
                unsigned* n, std::size_t* upper) {
    const std::size_t lower = Load<std::uint16_t>(p + kLower);
    *upper = Load<std::uint16_t>(p + kUpper);
    if (lower < kPageHeader || *upper < lower || *upper > size || ((lower - kPageHeader) & 1) != 0) {
      return Damaged(t, pgno, "has impossible free-space bounds " + std::to_string(lower) + ".." +
                                  std::to_string(*upper));
    }
    *n = static_cast<unsigned>((lower - kPageHeader) / 2);
    return true;
  }

  bool WalkPage(Tree& t, std::uint64_t pgno, unsigned level, const Bounds& bounds) {
    if (pgno < 2 || pgno > last_) {
      return Fail(t.name + " points to page " + std::to_string(pgno) +
                  ", which is not a data page of the file (2.." + std::to_string(last_) + ")");
    }
    if (!Claim(t, pgno, 1, "a tree page", PageUse::Kind::kBranch)) return false;
    const unsigned char* p = Page(pgno);
    if (Load<std::uint64_t>(p + kPgno) != pgno) {
      return Damaged(t, pgno, "carries the number " + std::to_string(Load<std::uint64_t>(p + kPgno)) +
                                  " in its header");
    }
    const std::uint16_t flags = Load<std::uint16_t>(p + kFlags);
    const bool leaf_level = level == t.db.depth;
    const bool leaf2 = t.kind == Tree::Kind::kDuplicates && (t.table_flags & kDupFixed) != 0;
    const std::uint16_t want = !leaf_level ? kBranch : leaf2 ? (kLeaf | kLeaf2) : kLeaf;
    if (flags != want) {
      return Damaged(t, pgno, "has page flags " + std::to_string(flags) + " where depth " +
                                  std::to_string(level) + " of " + std::to_string(t.db.depth) +
                                  " calls for " + std::to_string(want));
    }
    unsigned n = 0;
    std::size_t upper = 0;
    if (!KeyCount(t, pgno, p, psize_, &n, &upper)) return false;
    if (leaf_level) {
      if (map_ != nullptr) (*map_)[pgno].kind = PageUse::Kind::kLeaf;
      ++t.leaf;
      if (n == 0) return Damaged(t, pgno, "is a leaf page without keys");
      return leaf2 ? WalkLeaf2(t, pgno, p, psize_, n, t.order, bounds) : WalkLeaf(t, pgno, p, n, upper, bounds);
    }
    ++t.branch;
    // LMDB asserts two keys on a branch page (mdb_page_search_root), except
    // in the free-page tree while a commit rebalances it.
    if (n < (t.kind == Tree::Kind::kFree ? 1u : 2u)) {
      return Damaged(t, pgno, "is a branch page with " + std::to_string(n) + " keys");
    }
    std::vector<std::size_t> offsets(n);
    for (unsigned i = 0; i < n; ++i) {
      if (!NodeAt(t, pgno, p, psize_, upper, i, &offsets[i])) return false;
    }
    auto key_of = [&](unsigned i) {
      return std::string_view(reinterpret_cast<const char*>(p + offsets[i] + kNodeHeader),
                              Load<std::uint16_t>(p + offsets[i] + 6));
    };
    // Key 0 of a branch page is not compared (LMDB searches from key 1):
    // child 0 takes the parent's lower bound.
    for (unsigned i = 1; i < n; ++i) {
      const std::string_view key = key_of(i), prev = key_of(i - 1);
      if (!CheckKey(t, t.order, pgno, i, key, i > 1 ? &prev : nullptr, bounds, i == 1, i + 1 == n)) {
        return false;
      }
    }
    std::vector<std::uint64_t> children(n);
    for (unsigned i = 0; i < n; ++i) {
      const unsigned char* node = p + offsets[i];
      children[i] = std::uint64_t{Load<std::uint16_t>(node + kNodeLo)} |
                    std::uint64_t{Load<std::uint16_t>(node + kNodeHi)} << 16 |
                    std::uint64_t{Load<std::uint16_t>(node + 4)} << 32;
      // The children's headers, before they are needed (see WalkLeaf).
      if (children[i] <= last_) __builtin_prefetch(Page(children[i]));
    }
    for (unsigned i = 0; i < n; ++i) {
      const std::uint64_t child = children[i];
      Bounds b = bounds;
      if (i > 0) b.has_lo = true, b.lo = key_of(i);
      if (i + 1 < n) b.has_hi = true, b.hi = key_of(i + 1);
      if (!WalkPage(t, child, level + 1, b)) return false;
    }
    return true;
  }

  // A leaf of fixed-size keys without node headers (MDB_DUPFIXED
  // duplicates), in a page or sub-page of `size` bytes.
  bool WalkLeaf2(Tree& t, std::uint64_t pgno, const unsigned char* p, std::size_t size, unsigned n,
                 Order order, const Bounds& bounds) {
    const std::size_t ksize = Load<std::uint16_t>(p + kPad);
    if (ksize == 0 || ksize > kMaxKeySize || kPageHeader + n * ksize > size) {
      return Damaged(t, pgno, "holds " + std::to_string(n) + " values of " + std::to_string(ksize) +
                                  " bytes, which do not fit it");
    }
    if (t.kind == Tree::Kind::kDuplicates && t.db.pad != ksize) {
      return Damaged(t, pgno, "holds " + std::to_string(ksize) + "-byte values in a tree of " +
                                  std::to_string(t.db.pad) + "-byte values");
    }
    std::string_view prev;
    for (unsigned i = 0; i < n; ++i) {
      const std::string_view key(reinterpret_cast<const char*>(p + kPageHeader + i * ksize), ksize);
      if (!CheckKey(t, order, pgno, i, key, i > 0 ? &prev : nullptr, bounds, i == 0, i + 1 == n)) {
        return false;
      }
      prev = key;
    }
    t.entries += n;
    return true;
  }

  bool WalkLeaf(Tree& t, std::uint64_t pgno, const unsigned char* p, unsigned n, std::size_t upper,
                const Bounds& bounds) {
    // Which node kinds this tree may hold.
    const bool dupsort = t.kind == Tree::Kind::kTable && (t.table_flags & kDupSort) != 0;
    const bool big_ok = !dupsort && t.kind != Tree::Kind::kDuplicates;
    // The walk waits on memory, not on arithmetic: ask for every node's
    // first cache line before reading any (an offset past the page is
    // caught below; prefetching it is harmless).
    for (unsigned i = 0; i < n; ++i) {
      __builtin_prefetch(p + std::min<std::size_t>(Load<std::uint16_t>(p + kPageHeader + 2 * i), psize_ - 1));
    }
    std::string_view prev;
    for (unsigned i = 0; i < n; ++i) {
      std::size_t off = 0;
      if (!NodeAt(t, pgno, p, psize_, upper, i, &off)) return false;
      const unsigned char* node = p + off;
      const std::uint16_t nflags = Load<std::uint16_t>(node + 4);
      const std::size_t ksize = Load<std::uint16_t>(node + 6);
      const std::uint64_t dsize = std::uint64_t{Load<std::uint16_t>(node + kNodeLo)} |
                                  std::uint64_t{Load<std::uint16_t>(node + kNodeHi)} << 16;
      const std::string_view key(reinterpret_cast<const char*>(node + kNodeHeader), ksize);
      if (!CheckKey(t, t.order, pgno, i, key, i > 0 ? &prev : nullptr, bounds, i == 0, i + 1 == n)) {
        return false;
      }
      prev = key;
      const unsigned char* data = node + kNodeHeader + ksize;
      const std::size_t room = psize_ - (off + kNodeHeader + ksize);
      bool allowed = false;
      switch (nflags) {
        case 0: allowed = true; break;
        case kBigData: allowed = big_ok; break;
        case kSubData: allowed = t.kind == Tree::Kind::kMain; break;
        case kDupData:
        case kDupData | kSubData: allowed = dupsort; break;
        default: break;
      }
      if (!allowed || (t.kind == Tree::Kind::kDuplicates && dsize != 0)) {
        return Damaged(t, pgno, "has node " + std::to_string(i) + " of a kind (flags " +
                                    std::to_string(nflags) + ") this tree cannot hold");
      }
      if (nflags == kBigData) {
        if (room < 8) return Damaged(t, pgno, "has node " + std::to_string(i) + " cut off at the page end");
        std::string_view value;
        if (!WalkOverflow(t, pgno, i, Load<std::uint64_t>(data), dsize, &value)) return false;
        if (t.kind == Tree::Kind::kFree) free_lists_.emplace_back(key, value);
        ++t.entries;
        continue;
      }
      if (dsize > room) {
        return Damaged(t, pgno, "has node " + std::to_string(i) + " whose " + std::to_string(dsize) +
                                    "-byte value runs past the page end");
      }
      const std::string_view value(reinterpret_cast<const char*>(data), dsize);
      bool ok = true;
      if (nflags == kSubData) {  // a table, named by `key`
        ok = WalkNamedTable(pgno, i, key, value);
        ++t.entries;
      } else if (nflags == kDupData) {  // duplicates in a sub-page
        ok = WalkSubPage(t, pgno, i, value);
      } else if (nflags == (kDupData | kSubData)) {  // duplicates in a sub-tree
        ok = WalkDuplicateTree(t, pgno, i, value);
      } else {
        if (t.kind == Tree::Kind::kFree) free_lists_.emplace_back(key, value);
        ++t.entries;
      }
      if (!ok) return false;
    }
    return true;
  }

  // The overflow run of a value of `dsize` bytes starting at page `first`.
  bool WalkOverflow(Tree& t, std::uint64_t pgno, unsigned i, std::uint64_t first, std::uint64_t dsize,
                    std::string_view* value) {
    const std::uint64_t need = (kPageHeader - 1 + dsize) / psize_ + 1;  // OVPAGES
    if (first < 2 || first > last_) {
      return Damaged(t, pgno, "has node " + std::to_string(i) + " naming overflow page " +
                                  std::to_string(first) + ", which is not a data page of the file");
    }
    const unsigned char* op = Page(first);
    const std::uint64_t count = Load<std::uint32_t>(op + kPages);
    if (Load<std::uint64_t>(op + kPgno) != first || Load<std::uint16_t>(op + kFlags) != kOverflow ||
        count < need || count > last_ - first + 1) {
      return Damaged(t, pgno, "has node " + std::to_string(i) + " naming overflow page " +
                                  std::to_string(first) + ", which is not the start of a run of " +
                                  std::to_string(need) + " overflow pages inside the file");
    }
    if (!Claim(t, first, count, "an overflow page", PageUse::Kind::kOverflow)) return false;
    t.overflow += count;
    *value = std::string_view(reinterpret_cast<const char*>(op + kPageHeader), dsize);
    return true;
  }

  bool WalkNamedTable(std::uint64_t pgno, unsigned i, std::string_view name, std::string_view record) {
    if (record.size() != kDbSize) {
      return Fail("page " + std::to_string(pgno) + " of the main tree has a " +
                  std::to_string(record.size()) + "-byte record for table " + std::to_string(i) + " (" +
                  std::to_string(kDbSize) + " expected)");
    }
    Tree t;
    t.kind = Tree::Kind::kTable;
    t.name = "table '" + Printable(name) + "'";
    t.db = ParseDb(reinterpret_cast<const unsigned char*>(record.data()));
    if ((t.db.flags & ~kTableFlags) != 0 || t.db.pad != 0) {
      return Fail(t.name + " has impossible flags " + std::to_string(t.db.flags));
    }
    t.table_flags = t.db.flags;
    t.order = (t.db.flags & kIntegerKey) ? Order::kInteger
              : (t.db.flags & kReverseKey) ? Order::kReverse
                                           : Order::kLexical;
    t.dup_order = (t.db.flags & kIntegerDup) ? Order::kInteger
                  : (t.db.flags & kReverseDup) ? Order::kReverse
                                               : Order::kLexical;
    if (!WalkTree(t)) return false;
    entries_ += t.entries;
    return true;
  }

  // Duplicates of one key kept inside its node: a leaf "page" of `value`'s size.
  bool WalkSubPage(Tree& t, std::uint64_t pgno, unsigned i, std::string_view value) {
    const auto* sp = reinterpret_cast<const unsigned char*>(value.data());
    const std::size_t size = value.size();
    auto what = [&](const std::string& s) {
      return Damaged(t, pgno, "has node " + std::to_string(i) + " whose duplicates " + s);
    };
    if (size < kPageHeader) return what("are cut short");
    const std::uint16_t flags = Load<std::uint16_t>(sp + kFlags);
    const bool fixed = (flags & kLeaf2) != 0;
    if ((flags & (kLeaf | kSubPage)) != (kLeaf | kSubPage) ||
        (flags & ~(kLeaf | kSubPage | kLeaf2 | kDirty)) != 0 || fixed != ((t.table_flags & kDupFixed) != 0)) {
      return what("have an impossible header (flags " + std::to_string(flags) + ")");
    }
    unsigned n = 0;
    std::size_t upper = 0;
    if (!KeyCount(t, pgno, sp, size, &n, &upper)) return false;
    if (n == 0) return what("are none");
    if (fixed) {
      Tree dup;  // for the value-size check and the count
      dup.kind = Tree::Kind::kDuplicates;
      dup.name = t.name;
      dup.table_flags = t.table_flags;
      dup.db.pad = Load<std::uint16_t>(sp + kPad);
      if (!WalkLeaf2(dup, pgno, sp, size, n, t.dup_order, Bounds{})) return false;
    } else {
      std::string_view prev;
      for (unsigned k = 0; k < n; ++k) {
        std::size_t off = 0;
        if (!NodeAt(t, pgno, sp, size, upper, k, &off)) return false;
        const unsigned char* node = sp + off;
        const std::uint32_t dsize = std::uint32_t{Load<std::uint16_t>(node + kNodeLo)} |
                                    std::uint32_t{Load<std::uint16_t>(node + kNodeHi)} << 16;
        if (Load<std::uint16_t>(node + 4) != 0 || dsize != 0) return what("hold a node LMDB never writes there");
        const std::string_view v(reinterpret_cast<const char*>(node + kNodeHeader), Load<std::uint16_t>(node + 6));
        if (!CheckKey(t, t.dup_order, pgno, k, v, k > 0 ? &prev : nullptr, Bounds{}, false, false)) return false;
        prev = v;
      }
    }
    t.entries += n;
    return true;
  }

  // Duplicates of one key that outgrew a sub-page: a B-tree of their own.
  bool WalkDuplicateTree(Tree& t, std::uint64_t pgno, unsigned i, std::string_view record) {
    if (record.size() != kDbSize) {
      return Damaged(t, pgno, "has node " + std::to_string(i) + " with a " + std::to_string(record.size()) +
                                  "-byte duplicate-tree record");
    }
    Tree dup;
    dup.kind = Tree::Kind::kDuplicates;
    dup.name = "the duplicates of key " + std::to_string(i) + " on page " + std::to_string(pgno) + " of " + t.name;
    dup.db = ParseDb(reinterpret_cast<const unsigned char*>(record.data()));
    dup.table_flags = t.table_flags;
    dup.order = t.dup_order;
    // mdb_cursor_put gives a sub-tree MDB_DUPFIXED (and MDB_INTEGERKEY for
    // MDB_INTEGERDUP) and, for fixed-size values, their size.
    const std::uint16_t want = static_cast<std::uint16_t>(
        ((t.table_flags & kDupFixed) ? kDupFixed : 0) | ((t.table_flags & kIntegerDup) ? kIntegerKey : 0));
    if (dup.db.flags != want || ((t.table_flags & kDupFixed) != 0) != (dup.db.pad != 0) ||
        dup.db.pad > kMaxKeySize || dup.db.root == kNoPage) {
      return Damaged(t, pgno, "has node " + std::to_string(i) + " with an impossible duplicate-tree record");
    }
    if (!WalkTree(dup)) return false;
    t.entries += dup.entries;
    return true;
  }

  // One record of the free-page tree: the pages transaction `txn` freed,
  // as an MDB_IDL (a count, then that many page numbers, descending).
  bool CheckFreeList(std::string_view txn_key, std::string_view list) {
    Tree t;
    t.name = "the free-page tree";
    const std::uint64_t txn = Load<std::uint64_t>(reinterpret_cast<const unsigned char*>(txn_key.data()));
    if (txn > txn_id_) {
      return Fail("the free-page tree lists pages freed by transaction " + std::to_string(txn) +
                  ", after the snapshot's " + std::to_string(txn_id_));
    }
    const auto* ids = reinterpret_cast<const unsigned char*>(list.data());
    if (list.size() < 8 || list.size() % 8 != 0 || Load<std::uint64_t>(ids) != list.size() / 8 - 1) {
      return Fail("the free-page list of transaction " + std::to_string(txn) + " is malformed (" +
                  std::to_string(list.size()) + " bytes)");
    }
    std::uint64_t prev = kNoPage;
    for (std::size_t k = 1; k < list.size() / 8; ++k) {
      const std::uint64_t p = Load<std::uint64_t>(ids + 8 * k);
      if (p < 2 || p > last_ || p >= prev) {
        return Fail("the free-page list of transaction " + std::to_string(txn) + " names page " +
                    std::to_string(p) + (p >= prev ? " out of order" : ", which is not a data page of the file"));
      }
      if (!Claim(t, p, 1, "a free page", PageUse::Kind::kFree)) return false;
      prev = p;
    }
    free_pages_ += list.size() / 8 - 1;
    return true;
  }

  // A table name for a message: printable ASCII kept, the rest as \xNN.
  static std::string Printable(std::string_view s) {
    std::string out;
    for (unsigned char c : s.substr(0, 64)) {
      if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
        out += static_cast<char>(c);
      } else {
        static const char kHex[] = "0123456789abcdef";
        out += "\\x";
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
    }
    return out;
  }

  const unsigned char* const base_;
  const std::uint64_t psize_;
  const std::uint64_t last_;
  const std::uint64_t txn_id_;
  std::vector<std::uint64_t> claimed_;
  std::vector<PageUse>* const map_;  // null unless mapping
  std::vector<std::pair<std::string_view, std::string_view>> free_lists_;
  std::string error_;
  std::uint64_t tree_pages_ = 0, overflow_pages_ = 0, free_pages_ = 0, trees_ = 0, entries_ = 0;
};

}  // namespace

Result<Meta> ParseMeta(std::string_view bytes, int page_index) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < kMetaBytes || Load<std::uint32_t>(p + kMagic) != kMagicValue ||
      Load<std::uint32_t>(p + kVersion) != kDataVersion ||
      (Load<std::uint16_t>(p + kFlags) & kMetaPage) == 0 ||
      Load<std::uint64_t>(p + kPgno) != static_cast<std::uint64_t>(page_index)) {
    return CorruptionError("meta page " + std::to_string(page_index) + " is not a valid LMDB meta page");
  }
  Meta m;
  m.free_tree = ParseDb(p + kDbs);
  m.main_tree = ParseDb(p + kDbs + kDbSize);
  m.page_size = m.free_tree.pad;  // mm_psize
  m.last_page = Load<std::uint64_t>(p + kLastPage);
  m.txn_id = Load<std::uint64_t>(p + kTxnId);
  return m;
}

// What the two meta pages allow, checked before LMDB maps the file:
//   - the page size is one LMDB could have used;
//   - the file is a whole number of pages and reaches the last page the
//     newer meta page names (otherwise it was truncated);
//   - the two transaction ids are consecutive and each sits on the page of
//     its parity (mdb_env_write_meta writes commit T to meta page T & 1). A
//     damaged id would otherwise make LMDB pick the older meta page and
//     silently roll the ledger back one commit;
//   - the root page of each of the newer meta page's two B-trees is none
//     (an empty tree) or a data page the file holds: a root naming a meta
//     page trips an assertion in LMDB that aborts the process (mdb.c
//     "root > 1"), one past the last page is a wild read.
// The one bit flip (bit 1 of one txn id) that turns a valid meta pair into
// another valid pair is not visible here: docs/reliability.md. Files whose
// magic or version LMDB would reject are left to mdb_env_open.
Status CheckMetaPages(const std::string& path) {
  const std::string what = path + " is damaged: ";
  // A writer in another process may commit while the meta pages are read;
  // a torn pair is re-read (three commits inside one pread are implausible,
  // five in a row impossible).
  Status last;
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(attempt));
    ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return Status::Ok();  // mdb_env_open reports it
    // Meta pages first, then the size: a commit writes its data pages before
    // its meta page, so the size read second covers what the meta names.
    struct stat st;
    char buf[2][kMetaBytes];
    bool read_ok = ::pread(fd.get(), buf[0], kMetaBytes, 0) == static_cast<ssize_t>(kMetaBytes);
    const auto* b0 = reinterpret_cast<const unsigned char*>(buf[0]);
    const std::uint32_t psize = read_ok ? Load<std::uint32_t>(b0 + kDbs) : 0;
    const bool formatted = read_ok && Load<std::uint32_t>(b0 + kMagic) == kMagicValue &&
                           Load<std::uint32_t>(b0 + kVersion) == kDataVersion;
    if (formatted && (psize < 512 || psize > 65536 || (psize & (psize - 1)) != 0)) {
      return CorruptionError(what + "its meta page names an impossible page size " + std::to_string(psize));
    }
    if (formatted) {
      read_ok = ::pread(fd.get(), buf[1], kMetaBytes, psize) == static_cast<ssize_t>(kMetaBytes) &&
                ::fstat(fd.get(), &st) == 0;
    }
    if (!formatted || !read_ok) return Status::Ok();  // too short or not LMDB: mdb_env_open says so
    Meta meta[2];
    for (int p = 0; p < 2; ++p) {
      Result<Meta> m = ParseMeta(std::string_view(buf[p], kMetaBytes), p);
      if (!m.ok()) return CorruptionError(what + m.status().message());
      meta[p] = *m;
    }
    const int newer = meta[1].txn_id > meta[0].txn_id ? 1 : 0;
    const bool fresh = meta[0].txn_id == 0 && meta[1].txn_id == 0;
    if (!fresh && (meta[newer].txn_id - meta[1 - newer].txn_id != 1 ||
                   (meta[newer].txn_id & 1) != static_cast<std::uint64_t>(newer))) {
      last = CorruptionError(what + "its meta pages hold transaction ids " + std::to_string(meta[0].txn_id) +
                             " and " + std::to_string(meta[1].txn_id) +
                             ", which no sequence of commits produces; LMDB would open an older "
                             "state. Restore data.mdb from a backup");
      continue;
    }
    const std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
    if (size % psize != 0) {
      return CorruptionError(what + "it is " + std::to_string(size) + " bytes, not a whole number of " +
                             std::to_string(psize) + "-byte pages: it was truncated or extended");
    }
    const std::uint64_t last_page = meta[newer].last_page;
    if (last_page >= size / psize) {
      last = CorruptionError(what + "it is " + std::to_string(size) + " bytes but its data reaches page " +
                             std::to_string(last_page) + " (byte " + std::to_string((last_page + 1) * psize) +
                             "): it was truncated. Restore data.mdb from a backup");
      continue;
    }
    for (int db = 0; db < 2; ++db) {
      const std::uint64_t root = db == 0 ? meta[newer].free_tree.root : meta[newer].main_tree.root;
      if (root != kNoPage && (root < 2 || root > last_page)) {
        return CorruptionError(what + "meta page " + std::to_string(newer) + " names page " +
                               std::to_string(root) + " as the root of its " +
                               (db == 0 ? "free-page" : "main") + " tree, which is not a data page " +
                               "of the file. Restore data.mdb from a backup");
      }
    }
    return Status::Ok();
  }
  return last;
}

Status CheckSnapshotPages(std::string_view file, const Meta& meta, PageCheckStats* stats) {
  const std::uint64_t psize = meta.page_size;
  if (psize < 512 || psize > 65536 || (psize & (psize - 1)) != 0) {
    return CorruptionError("the meta page names an impossible page size " + std::to_string(psize));
  }
  if (meta.last_page < 1 || meta.last_page >= file.size() / psize) {
    return CorruptionError("the snapshot reaches page " + std::to_string(meta.last_page) +
                           " but the file holds " + std::to_string(file.size() / psize) +
                           " pages: it was truncated");
  }
  SnapshotChecker checker(file, meta, nullptr);
  return checker.Run(meta, stats);
}

Result<std::vector<PageUse>> MapSnapshotPages(std::string_view file, const Meta& meta) {
  std::vector<PageUse> map;
  PageCheckStats stats;
  const std::uint64_t psize = meta.page_size;
  if (psize < 512 || psize > 65536 || (psize & (psize - 1)) != 0 || meta.last_page < 1 ||
      meta.last_page >= file.size() / psize) {
    return CorruptionError("the meta page does not fit the file");
  }
  SnapshotChecker checker(file, meta, &map);
  RETURN_IF_ERROR(checker.Run(meta, &stats));
  return map;
}

}  // namespace retrace::internal::lmdb_format
