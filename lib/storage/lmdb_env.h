// A thin, safe layer over LMDB (internal): one environment per ledger
// directory, short transactions, map growth on demand.
//
// Invariants:
//   - A directory is opened at most once per process (LMDB's locks are
//     per-process; a second MDB_env on the same file would corrupt them).
//   - Every transaction and cursor is owned by a scoped object (ScopedTxn,
//     ScopedCursor) that ends it when it goes out of scope: an early return
//     or an exception thrown by a callback never leaves a transaction
//     behind. A leaked write transaction would keep LMDB's writer lock,
//     which is shared by every process, and block every writer forever.
//   - Retrace processes never wait for each other inside LMDB's shared
//     mutexes: FileGate (flock) admits one process at a time to LMDB's
//     writer mutex and to its reader-table mutex (lmdb_env.cc explains why).
//   - Every transaction holds `resize_mu_` shared; growing the map holds it
//     exclusively, since mdb_env_set_mapsize needs no live transaction in
//     this process.
//   - Write(fn) either commits everything fn wrote or nothing: fn may run
//     more than once (after the map grows), so it must not change state
//     outside the transaction.
//   - No page of data.mdb reaches LMDB unchecked at open: Open checks every
//     page of the snapshot it opens (lmdb_format.h), and ReadChecked every
//     page of the snapshot it reads. docs/reliability.md says what damage
//     after that can still do.
#ifndef RETRACE_LIB_STORAGE_LMDB_ENV_H_
#define RETRACE_LIB_STORAGE_LMDB_ENV_H_

#include <lmdb.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "retrace/status.h"
#include "storage/lmdb_format.h"
#include "util/posix_file.h"

namespace retrace::internal {

// The named tables of a ledger (docs/storage-format.md).
struct Tables {
  MDB_dbi meta = 0;       // "format", "ledger_id", "head", ...
  MDB_dbi records = 0;    // u64be seq -> stored record bytes
  MDB_dbi lot_index = 0;  // lot id -> u64be seq (dupsort, in log order)
  MDB_dbi event_ids = 0;  // event id -> u64be seq
  MDB_dbi lots = 0;       // lot id -> state.LotState
  MDB_dbi tree = 0;       // u64be last leaf || u8 level -> 32-byte node hash
  MDB_dbi quotas = 0;     // quota key -> state.QuotaState
  MDB_dbi quota_log = 0;  // quota key -> u64be seq (dupsort): grants and uses
  // u64be seq of every authority record -> "" (format 3). Created with the
  // ledger; absent in a format-2 ledger until it is upgraded.
  MDB_dbi authority = 0;
  bool authority_present = false;
  // The derived tables of format 2, which format 3 dropped (the book of
  // authority and the records replace them): opened only if present, so
  // that an upgrade can read and drop them.
  MDB_dbi by_hash = 0;     // record hash (32) -> u64be seq
  MDB_dbi actors = 0;      // actor id -> state.ActorState
  MDB_dbi keys = 0;        // key id -> state.KeyState
  MDB_dbi key_events = 0;  // key id -> u64be seq (dupsort)
  MDB_dbi policies = 0;    // u64be seq of every policy record -> ""
  bool legacy_present = false;
  // u64be tree size -> signed checkpoint note (docs/transparency.md). Created
  // on a writable open if missing; absent (checkpoints_present false) when a
  // ledger written before checkpoints existed is opened read-only.
  MDB_dbi checkpoints = 0;
  bool checkpoints_present = false;
  // Federation (docs/federation.md), added to format 3 as optional tables:
  // created on a writable open if missing, absent (the flags false) when an
  // older ledger is opened read-only -- such a ledger holds no cross-ledger
  // receipt.
  // SHA-256 of a sender's lineage bundle (32 bytes) -> the bundle bytes.
  MDB_dbi foreign_bundles = 0;
  bool foreign_bundles_present = false;
  // sender origin || 0x00 || u64be tree size -> that sender's signed
  // checkpoint note, as a cross-ledger receipt's bundle carried it.
  MDB_dbi foreign_checkpoints = 0;
  bool foreign_checkpoints_present = false;
};

// The longest key LMDB takes (its default MDB_MAXKEYSIZE, which
// LmdbEnv::Open checks): a lot, actor or event id longer than this cannot be
// a key of any table, so a lookup by one finds nothing without asking LMDB.
inline constexpr std::size_t kMaxTableKey = 511;

// Sequence numbers and sizes as keys and values: 8 bytes, big-endian, so
// that LMDB's byte order is numeric order. DecodeU64 is nullopt unless `b`
// is exactly 8 bytes; a caller reading a stored value turns that into
// kCorruption naming the table and key (DecodeStoredU64).
std::string EncodeU64(std::uint64_t v);
std::optional<std::uint64_t> DecodeU64(std::string_view b);
// DecodeU64 of a value read from `table` under `key`, or kCorruption naming
// both (the key escaped for display).
Result<std::uint64_t> DecodeStoredU64(std::string_view b, std::string_view table,
                                      std::string_view key);
// DecodeU64 of a key of `table` (records, authority, checkpoints), or
// kCorruption naming the table and the damaged key.
Result<std::uint64_t> DecodeU64Key(std::string_view table, std::string_view key);

// Maps an LMDB return code to a Status naming `what`.
Status LmdbError(int rc, std::string_view what);

// Owns one LMDB transaction and aborts it when destroyed, unless Commit
// ended it first. Not copyable; movable. A write transaction's cursors must
// be closed before it ends (LMDB frees them with it).
class ScopedTxn {
 public:
  ScopedTxn() = default;
  ~ScopedTxn() { Abort(); }
  ScopedTxn(ScopedTxn&& o) noexcept : txn_(o.txn_) { o.txn_ = nullptr; }
  ScopedTxn& operator=(ScopedTxn&& o) noexcept;
  ScopedTxn(const ScopedTxn&) = delete;
  ScopedTxn& operator=(const ScopedTxn&) = delete;

  // mdb_txn_begin(env, NULL, flags): an LMDB return code. Ends any
  // transaction this object held first.
  int Begin(MDB_env* env, unsigned flags);
  // mdb_txn_commit: an LMDB return code. The transaction has ended whatever
  // it returns (LMDB aborts a commit that fails).
  int Commit();
  // mdb_txn_abort, if a transaction is held.
  void Abort();
  MDB_txn* get() const { return txn_; }

 private:
  MDB_txn* txn_ = nullptr;
};

// Owns one cursor and closes it when destroyed. It must be destroyed before
// its transaction ends (declare it inside the transaction's scope).
class ScopedCursor {
 public:
  ScopedCursor() = default;
  ~ScopedCursor() {
    if (cur_ != nullptr) mdb_cursor_close(cur_);
  }
  ScopedCursor(const ScopedCursor&) = delete;
  ScopedCursor& operator=(const ScopedCursor&) = delete;

  // mdb_cursor_open: an LMDB return code.
  int Open(MDB_txn* txn, MDB_dbi dbi);
  MDB_cursor* get() const { return cur_; }

 private:
  MDB_cursor* cur_ = nullptr;
};

class Txn {
 public:
  Txn(MDB_txn* txn, const Tables& t) : txn_(txn), t_(t) {}
  const Tables& tables() const { return t_; }
  MDB_txn* raw() const { return txn_; }

  // Borrowed bytes: valid until the transaction ends or (in a write
  // transaction) the next write.
  Result<std::optional<std::string_view>> Get(MDB_dbi dbi, std::string_view key) const;
  // MDB_NOOVERWRITE etc. Returns kAlreadyExists for MDB_KEYEXIST.
  Status Put(MDB_dbi dbi, std::string_view key, std::string_view value, unsigned flags = 0);
  Status Del(MDB_dbi dbi, std::string_view key, std::string_view* value = nullptr);

  // Every duplicate value of `key` in a dupsort table, in order.
  Result<std::vector<std::string>> GetDups(MDB_dbi dbi, std::string_view key) const;

  // Visits every key/value of `dbi` in key order; stops early when fn
  // returns false. The bytes are LMDB's map, lent for as long as this read
  // transaction lives (a write transaction's: until it writes). An
  // exception from fn propagates (the cursor is closed).
  Status ForEach(MDB_dbi dbi,
                 const std::function<bool(std::string_view, std::string_view)>& fn) const;

  // The greatest key of `dbi` that is < `key`, if any.
  Result<std::optional<std::string>> KeyBefore(MDB_dbi dbi, std::string_view key) const;

  // The last key/value of `dbi`, if any.
  Result<std::optional<std::pair<std::string_view, std::string_view>>> Last(MDB_dbi dbi) const;

  // The number of entries of `dbi` (LMDB keeps it: no scan).
  Result<std::uint64_t> Entries(MDB_dbi dbi) const;

  // Deletes table `dbi` and its name from the environment (write
  // transactions only; an upgrade drops the tables of an older format).
  Status Drop(MDB_dbi dbi);

  bool map_full() const { return map_full_; }

 private:
  Status Check(int rc, std::string_view what);
  MDB_txn* txn_;
  const Tables& t_;
  bool map_full_ = false;
};

// A cursor on one table of a transaction, opened on first use and closed
// with this object. It must not outlive its transaction: LMDB frees a write
// transaction's cursors when it ends (and a read transaction's must be
// closed by hand, which this does).
class Cursor {
 public:
  Cursor(const Txn& txn, MDB_dbi dbi) : txn_(txn), dbi_(dbi) {}

  // mdb_cursor_get(op): *key and *value go in where `op` reads them
  // (MDB_SET_KEY, MDB_GET_BOTH) and come back with the entry found. True if
  // the cursor is on an entry, false for MDB_NOTFOUND; an error naming
  // `what` otherwise.
  Result<bool> Get(MDB_cursor_op op, std::string_view* key, std::string_view* value,
                   std::string_view what);
  // The number of duplicates of the entry the cursor is on (dupsort tables).
  Result<std::uint64_t> Count();

 private:
  const Txn& txn_;
  const MDB_dbi dbi_;
  ScopedCursor cur_;
};

// A lock between processes that the kernel keeps: flock(2) on a descriptor
// of a file or directory that this object opens for itself (close-on-exec).
// The kernel queues the waiters and wakes the next one when the holder
// unlocks, closes or dies, so no process can take a wakeup with it to the
// grave (lmdb_env.cc, "Why the gates"). One thread of a process holds it at
// a time. Thread-safe.
class FileGate {
 public:
  FileGate() = default;
  FileGate(const FileGate&) = delete;
  FileGate& operator=(const FileGate&) = delete;

  // Opens `path` (a directory if `directory`) read-only for the lock. On a
  // file system without flock the gate admits everyone (Enter only
  // serialises this process's threads).
  Status Open(const std::string& path, bool directory);
  // Blocks until this thread holds the gate; an I/O error (ENOLCK) if the
  // kernel refuses the lock, and then the gate is not held.
  [[nodiscard]] Status Enter();
  void Leave();

 private:
  ScopedFd fd_{-1};
  std::mutex mu_;
};

// Holds a FileGate for its scope: check status() before relying on it.
class GateHold {
 public:
  explicit GateHold(FileGate& gate) : gate_(gate), status_(gate.Enter()) {}
  ~GateHold() {
    if (status_.ok()) gate_.Leave();
  }
  GateHold(const GateHold&) = delete;
  GateHold& operator=(const GateHold&) = delete;
  const Status& status() const { return status_; }

 private:
  FileGate& gate_;
  const Status status_;
};

struct EnvOptions {
  bool sync = true;
  bool read_only = false;
  std::uint64_t initial_map_size = std::uint64_t{64} << 20;
  std::uint64_t max_map_size = std::uint64_t{1} << 40;
  // Create the tables of the current format that an existing ledger lacks
  // (an upgrade, which fills them in its own transaction).
  bool create_tables = false;
};

class LmdbEnv {
 public:
  ~LmdbEnv();
  LmdbEnv(const LmdbEnv&) = delete;
  LmdbEnv& operator=(const LmdbEnv&) = delete;

  // Opens (or, with `create`, creates) the environment in `dir`. An existing
  // file is checked first -- its meta pages, then every page of the
  // snapshot it opens (lmdb_format.h) -- and refused with kCorruption, naming
  // the damage and what to do, before LMDB follows any pointer in it.
  // kFailedPrecondition if the linked LMDB is not of the 0.9 series, whose
  // page layout the check knows.
  static Result<std::unique_ptr<LmdbEnv>> Open(const std::string& dir, const EnvOptions& opts,
                                               bool create);

  // Runs fn in a write transaction and commits if fn returns OK; aborts
  // otherwise. Grows the map and re-runs fn on MDB_MAP_FULL. If fn throws,
  // the transaction is aborted (no lock is kept): std::bad_alloc becomes
  // kResourceExhausted, any other exception propagates.
  // With `commit` false fn runs as for a real write and the transaction is
  // then aborted whatever fn returns (a dry run: nothing is written).
  Status Write(const std::function<Status(Txn&)>& fn, bool commit = true);
  // Runs fn in a read transaction (one snapshot), which ends when fn
  // returns or throws; std::bad_alloc becomes kResourceExhausted, any other
  // exception propagates.
  Status Read(const std::function<Status(const Txn&)>& fn) const;
  // Read, after checking every page of the snapshot fn will read
  // (lmdb_format.h): for scopes that read the whole ledger (the audits),
  // where the check costs little beside the reading. kCorruption, before fn
  // runs, if a page is damaged.
  Status ReadChecked(const std::function<Status(const Txn&)>& fn) const;

  // Checks every page of the newest snapshot now (what Open and ReadChecked
  // do) and returns what it walked. For tests and measurements.
  Result<lmdb_format::PageCheckStats> CheckPages() const;

  const std::string& dir() const { return dir_; }
  std::uint64_t map_size() const;

 private:
  LmdbEnv() = default;
  Status Grow();
  Status RunRead(const std::function<Status(const Txn&)>& fn, bool check_pages,
                 lmdb_format::PageCheckStats* stats) const;
  // Checks the pages of the snapshot of `txn`, a read transaction of this
  // environment (which keeps those pages from being reused while this
  // runs). Sets *moved, and returns OK, if later commits have replaced the
  // snapshot's meta page already: the caller retries with a new transaction.
  Status CheckSnapshot(MDB_txn* txn, bool* moved, lmdb_format::PageCheckStats* stats) const;

  MDB_env* env_ = nullptr;
  Tables tables_;
  EnvOptions opts_;
  std::string dir_;
  std::uint64_t dev_ = 0, ino_ = 0;
  mutable std::shared_mutex resize_mu_;
  std::mutex write_mu_;  // one writer per process
  // Between processes (lmdb_env.cc, "Why the gates"): held by a writer for
  // its whole write transaction (a flock on data.mdb), and around every
  // entry into LMDB's reader table (a flock on the ledger directory). Lock
  // order: write_mu_, writer_gate_, resize_mu_, reader_gate_.
  mutable FileGate writer_gate_;
  mutable FileGate reader_gate_;
  // CheckSnapshot's read-only view of data.mdb (view_len_ bytes), kept
  // between checks; view_mu_ serialises the checks.
  mutable std::mutex view_mu_;
  mutable const char* view_ = nullptr;
  mutable std::uint64_t view_len_ = 0;
  // When Write last cleared reader slots of dead processes (under write_mu_).
  std::chrono::steady_clock::time_point last_reader_check_{};
};

}  // namespace retrace::internal

#endif  // RETRACE_LIB_STORAGE_LMDB_ENV_H_
