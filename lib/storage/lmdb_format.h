// LMDB 0.9's on-disk format, read without LMDB (internal).
//
// LMDB keeps no checksums and trusts every pointer in data.mdb: a damaged
// page number, node offset, key size or overflow count makes it read outside
// its map (SIGSEGV, SIGBUS) or trip an assertion that aborts the process.
// These functions check, with every access bounds-checked, what LMDB is about
// to follow, so that damage is a kCorruption status instead:
//
//   - CheckMetaPages: the two meta pages, before LMDB maps the file;
//   - CheckSnapshotPages: every page one snapshot reaches -- each B-tree
//     (the free-page tree, the main tree of table names, every table and
//     every sub-tree of duplicates), each overflow run and each free-page
//     list -- before LMDB reads the tables.
//
// The layout is LMDB 0.9's (data format version 1, mdb.c: MDB_meta, MDB_db,
// MDB_page, MDB_node, MDB_IDL) on a 64-bit host; the file is native-endian
// and so is this reader. LmdbEnv refuses to run with another LMDB series
// (mdb_version), whose layout this does not know. docs/storage-format.md
// describes the format, docs/reliability.md what the checks cover and cost.
#ifndef RETRACE_LIB_STORAGE_LMDB_FORMAT_H_
#define RETRACE_LIB_STORAGE_LMDB_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "retrace/status.h"

namespace retrace::internal::lmdb_format {

// One B-tree's record (MDB_db): in a meta page for the free-page and main
// trees, as the value of a table's name in the main tree, and as the value
// of a key whose duplicates outgrew a sub-page.
struct DbRecord {
  std::uint32_t pad = 0;  // page size in the free tree's record; value size of MDB_DUPFIXED sub-trees
  std::uint16_t flags = 0;
  std::uint16_t depth = 0;
  std::uint64_t branch_pages = 0;
  std::uint64_t leaf_pages = 0;
  std::uint64_t overflow_pages = 0;
  std::uint64_t entries = 0;
  std::uint64_t root = 0;  // kNoPage: an empty tree
};

inline constexpr std::uint64_t kNoPage = ~std::uint64_t{0};

// What a meta page says: where one snapshot starts.
struct Meta {
  std::uint32_t page_size = 0;
  std::uint64_t last_page = 0;  // the last page the snapshot may use
  std::uint64_t txn_id = 0;
  DbRecord free_tree;
  DbRecord main_tree;
};

// The bytes of a meta page LMDB reads (page header and MDB_meta).
inline constexpr std::size_t kMetaBytes = 152;

// Parses meta page `page_index` (0 or 1) from its first kMetaBytes bytes.
// kCorruption if it is not an LMDB 0.9 meta page.
Result<Meta> ParseMeta(std::string_view bytes, int page_index);

// Checks the meta pages of the data file at `path` before LMDB maps it
// (lmdb_format.cc says what, and why). OK for a file LMDB would refuse by
// itself (not LMDB, too short): mdb_env_open reports those.
Status CheckMetaPages(const std::string& path);

// What CheckSnapshotPages walked.
struct PageCheckStats {
  std::uint64_t file_pages = 0;       // pages 0..last_page
  std::uint64_t tree_pages = 0;       // branch and leaf pages of every tree
  std::uint64_t overflow_pages = 0;   // pages of values too large for a leaf
  std::uint64_t free_pages = 0;       // listed in the free-page tree
  std::uint64_t unaccounted_pages = 0;  // none of the above (leaked; harmless)
  std::uint64_t trees = 0;            // B-trees walked, sub-trees of duplicates included
  std::uint64_t entries = 0;          // key/value pairs, duplicates included
};

// Checks every page the snapshot `meta` reaches. `file` holds the data file
// from its first byte, at least (meta.last_page + 1) * meta.page_size bytes;
// nothing outside it is read. On damage returns kCorruption naming the page,
// its tree ("table 'actors'", "the free-page tree") and what is wrong;
// *stats is filled on success.
//
// Checked on every page: its number is a data page of the snapshot
// (2..last_page) reached exactly once (no cycle, no page shared by two trees
// or by a tree and the free list); its header names it; its type is the one
// its depth calls for (branch above the tree's depth, leaf at it, the leaf
// kind the tree's flags call for); its key count and free-space bounds fit
// the page; every node offset, node header, key and value lies inside the
// page; node flags are ones the tree may hold; keys are in the tree's order
// and inside the bounds the parent's separator keys set; branch pages have
// the two keys LMDB asserts; every overflow run starts with an overflow
// header naming it and is long enough for its value; every record of a
// sub-tree or table is well formed and its page and entry counts match the
// pages walked; every free-page list is a well-formed descending list of
// data pages written by a committed transaction.
//
// Not checked: the bytes of values (retrace's audit checks them against the
// record hashes), and pages past last_page (LMDB does not read them).
Status CheckSnapshotPages(std::string_view file, const Meta& meta, PageCheckStats* stats);

// What one page of a snapshot is (MapSnapshotPages).
struct PageUse {
  enum class Kind : std::uint8_t { kUnused, kMeta, kBranch, kLeaf, kOverflow, kFree };
  Kind kind = Kind::kUnused;
  std::string tree;  // "table 'records'", "the free-page tree", ...; empty for kUnused, kMeta, kFree
};

// CheckSnapshotPages, and what each page 0..meta.last_page is. For tests and
// damage trials that aim at pages of a given kind or table.
Result<std::vector<PageUse>> MapSnapshotPages(std::string_view file, const Meta& meta);

}  // namespace retrace::internal::lmdb_format

#endif  // RETRACE_LIB_STORAGE_LMDB_FORMAT_H_
