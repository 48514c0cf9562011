#include "storage/lmdb_env.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <new>
#include <set>
#include <utility>

#include "util/escape.h"
#include "util/posix_file.h"
#include "util/status_macros.h"

namespace retrace::internal {
namespace {

// Directories open in this process, by (device, inode). LMDB forbids opening
// one environment twice in a process; this is the only global state retrace
// keeps, and it exists to enforce that rule.
std::mutex g_open_mu;
std::set<std::pair<std::uint64_t, std::uint64_t>>& OpenDirs() {
  static auto* s = new std::set<std::pair<std::uint64_t, std::uint64_t>>();
  return *s;
}

MDB_val Val(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}
std::string_view View(const MDB_val& v) {
  return std::string_view(static_cast<const char*>(v.mv_data), v.mv_size);
}

// mdb_page_flush turns a short write of the commit's pages into EIO
// (LMDB 0.9 leaves the choice of code open in mdb.c). On a regular file a short write
// means the space ran out part way: a full file system or RLIMIT_FSIZE.
// Whether the write that fails is short or fails at its first byte (ENOSPC)
// depends on where the commit's dirty pages fall relative to the end of the
// file, which depends on the keys and hashes involved -- so the same full
// disk used to surface as either error. Returns the errno the short write
// stands for when the evidence is there, else `rc`.
int ExplainShortWrite(int rc, const std::string& dir) {
  if (rc != EIO) return rc;
  struct statvfs vfs;
  if (::statvfs(dir.c_str(), &vfs) == 0) {
    // Root may use the blocks reserved for it; everyone else only f_bavail.
    const std::uint64_t blocks = ::geteuid() == 0 ? vfs.f_bfree : vfs.f_bavail;
    if (blocks == 0) return ENOSPC;
  }
  struct rlimit lim;
  struct stat st;
  if (::getrlimit(RLIMIT_FSIZE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
      ::stat((dir + "/data.mdb").c_str(), &st) == 0 &&
      static_cast<std::uint64_t>(st.st_size) >= static_cast<std::uint64_t>(lim.rlim_cur)) {
    return EFBIG;
  }
  return rc;
}

}  // namespace

std::string EncodeU64(std::uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

std::optional<std::uint64_t> DecodeU64(std::string_view b) {
  if (b.size() != 8) return std::nullopt;
  std::uint64_t v = 0;
  for (unsigned char c : b) v = (v << 8) | c;
  return v;
}

Result<std::uint64_t> DecodeStoredU64(std::string_view b, std::string_view table,
                                      std::string_view key) {
  if (auto v = DecodeU64(b)) return *v;
  return CorruptionError("the " + std::string(table) + " entry of key \"" + EscapeForDisplay(key) +
                         "\" is damaged (" + std::to_string(b.size()) +
                         " bytes where an 8-byte number belongs)");
}

Result<std::uint64_t> DecodeU64Key(std::string_view table, std::string_view key) {
  if (auto v = DecodeU64(key)) return *v;
  return CorruptionError("the " + std::string(table) + " table has a damaged key \"" +
                         EscapeForDisplay(key) + "\" (" + std::to_string(key.size()) +
                         " bytes where an 8-byte number belongs)");
}

Status LmdbError(int rc, std::string_view what) {
  std::string msg = std::string(what) + ": " + mdb_strerror(rc);
  switch (rc) {
    case MDB_MAP_FULL:
    case ENOSPC:
    case EDQUOT:  // a disk quota is a full disk for this user
    case EFBIG:   // RLIMIT_FSIZE or the file system's file size limit
    case MDB_READERS_FULL:
    case MDB_TXN_FULL:
      return ResourceExhaustedError(msg);
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
    case MDB_BAD_VALSIZE:
      return CorruptionError(msg);
    case MDB_KEYEXIST:
      return AlreadyExistsError(msg);
    case MDB_NOTFOUND:
    case ENOENT:
      return NotFoundError(msg);
    case EACCES:
    case EROFS:
      return IoError(msg + " (is the ledger directory writable?)");
    default:
      return IoError(msg);
  }
}

// Why the gates. LMDB serialises writers, and the processes that take
// reader slots, with two process-shared robust pthread mutexes in lock.mdb.
// glibc's robust mutex releases with one atomic exchange of the lock word
// (clearing its waiters bit) and then wakes one sleeper with FUTEX_WAKE; a
// sleeper it wakes takes the word only when it next runs. A process SIGKILLed
// inside that handoff -- woken but not yet running, which under CPU load can
// last milliseconds, or between the exchange and the wake -- takes the wakeup
// with it. The kernel passes it on when the dead process left the word free
// (the robust-list "pending op" case), but not when a third process took the
// lock in between, which it does without setting the waiters bit. The other
// sleepers are then invisible: their holder sees no waiters bit, never wakes
// anyone, and they sleep until a new contender happens to set it -- forever
// once the writer left running no longer meets contention. issue 19 item 5
// caught this: writers asleep in pthread_mutex_lock under mdb_txn_begin on a
// lock word of 0 (docs/reliability.md, "The multi-writer stall").
//
// So retrace processes never sleep in those mutexes: a writer holds a flock
// on data.mdb for its whole write transaction, and every entry into LMDB's
// reader table (beginning a transaction, clearing stale slots) holds a flock
// on the ledger directory. At most one process at a time is then inside or
// waiting for either mutex; it can still die there (LMDB recovers the lock as
// the owner-died case), but no other process's wakeup depends on it. flock
// waiters wait in the kernel, which releases a dead holder's lock and wakes
// the next waiter itself. The flocks are on descriptors of their own,
// close-on-exec: LMDB's locks are POSIX locks on lock.mdb, which this never
// opens (closing any descriptor of lock.mdb would drop them).
Status FileGate::Open(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0));
  if (fd < 0) return IoError("cannot open " + path + " for its lock: " + ErrnoMessage(errno));
  fd_.Reset(fd);
  // A file system without flock (some FUSE and network ones, where LMDB's
  // own locking is unreliable anyway) leaves the gate open rather than the
  // ledger unusable.
  if (::flock(fd, LOCK_SH | LOCK_NB) == 0) {
    ::flock(fd, LOCK_UN);
  } else if (errno == EINVAL || errno == EOPNOTSUPP || errno == ENOSYS || errno == EBADF) {
    fd_.Reset(-1);
  }
  return Status::Ok();
}

Status FileGate::Enter() {
  mu_.lock();
  if (fd_.get() < 0) return Status::Ok();
  while (::flock(fd_.get(), LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    const int err = errno;
    mu_.unlock();
    return IoError("cannot take the ledger's inter-process lock: " + ErrnoMessage(err));
  }
  return Status::Ok();
}

void FileGate::Leave() {
  if (fd_.get() >= 0) ::flock(fd_.get(), LOCK_UN);
  mu_.unlock();
}

ScopedTxn& ScopedTxn::operator=(ScopedTxn&& o) noexcept {
  if (this != &o) {
    Abort();
    txn_ = o.txn_;
    o.txn_ = nullptr;
  }
  return *this;
}

int ScopedTxn::Begin(MDB_env* env, unsigned flags) {
  Abort();
  MDB_txn* txn = nullptr;
  const int rc = mdb_txn_begin(env, nullptr, flags, &txn);
  if (rc == MDB_SUCCESS) txn_ = txn;
  return rc;
}

int ScopedTxn::Commit() {
  MDB_txn* txn = txn_;
  txn_ = nullptr;
  return txn == nullptr ? EINVAL : mdb_txn_commit(txn);
}

void ScopedTxn::Abort() {
  if (txn_ != nullptr) mdb_txn_abort(txn_);
  txn_ = nullptr;
}

int ScopedCursor::Open(MDB_txn* txn, MDB_dbi dbi) {
  if (cur_ != nullptr) mdb_cursor_close(cur_);
  cur_ = nullptr;
  MDB_cursor* cur = nullptr;
  const int rc = mdb_cursor_open(txn, dbi, &cur);
  if (rc == MDB_SUCCESS) cur_ = cur;
  return rc;
}

Status Txn::Check(int rc, std::string_view what) {
  if (rc == MDB_SUCCESS) return Status::Ok();
  if (rc == MDB_MAP_FULL) map_full_ = true;
  return LmdbError(rc, what);
}

Result<std::optional<std::string_view>> Txn::Get(MDB_dbi dbi, std::string_view key) const {
  MDB_val k = Val(key), v;
  int rc = mdb_get(txn_, dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<std::string_view>();
  if (rc != MDB_SUCCESS) return LmdbError(rc, "read");
  return std::optional<std::string_view>(View(v));
}

Status Txn::Put(MDB_dbi dbi, std::string_view key, std::string_view value, unsigned flags) {
  MDB_val k = Val(key), v = Val(value);
  return Check(mdb_put(txn_, dbi, &k, &v, flags), "write");
}

Status Txn::Del(MDB_dbi dbi, std::string_view key, std::string_view* value) {
  MDB_val k = Val(key), v;
  if (value) v = Val(*value);
  return Check(mdb_del(txn_, dbi, &k, value ? &v : nullptr), "delete");
}

Result<std::vector<std::string>> Txn::GetDups(MDB_dbi dbi, std::string_view key) const {
  std::vector<std::string> out;
  ScopedCursor cur;
  int rc = cur.Open(txn_, dbi);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "open cursor");
  MDB_val k = Val(key), v;
  rc = mdb_cursor_get(cur.get(), &k, &v, MDB_SET_KEY);
  while (rc == MDB_SUCCESS) {
    out.emplace_back(View(v));
    rc = mdb_cursor_get(cur.get(), &k, &v, MDB_NEXT_DUP);
  }
  if (rc != MDB_NOTFOUND) return LmdbError(rc, "read duplicates");
  return out;
}

Result<bool> Cursor::Get(MDB_cursor_op op, std::string_view* key, std::string_view* value,
                         std::string_view what) {
  if (cur_.get() == nullptr) {
    int rc = cur_.Open(txn_.raw(), dbi_);
    if (rc != MDB_SUCCESS) return LmdbError(rc, "open cursor");
  }
  MDB_val k = Val(*key), v = Val(*value);
  int rc = mdb_cursor_get(cur_.get(), &k, &v, op);
  if (rc == MDB_NOTFOUND) return false;
  if (rc != MDB_SUCCESS) return LmdbError(rc, what);
  *key = View(k);
  *value = View(v);
  return true;
}

Status Txn::ForEach(MDB_dbi dbi,
                    const std::function<bool(std::string_view, std::string_view)>& fn) const {
  ScopedCursor cur;
  int rc = cur.Open(txn_, dbi);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "open cursor");
  MDB_val k, v;
  rc = mdb_cursor_get(cur.get(), &k, &v, MDB_FIRST);
  while (rc == MDB_SUCCESS) {
    if (!fn(View(k), View(v))) {
      rc = MDB_NOTFOUND;
      break;
    }
    rc = mdb_cursor_get(cur.get(), &k, &v, MDB_NEXT);
  }
  if (rc != MDB_NOTFOUND) return LmdbError(rc, "scan");
  return Status::Ok();
}

Result<std::optional<std::string>> Txn::KeyBefore(MDB_dbi dbi, std::string_view key) const {
  ScopedCursor cur;
  int rc = cur.Open(txn_, dbi);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "open cursor");
  MDB_val k = Val(key), v;
  rc = mdb_cursor_get(cur.get(), &k, &v, MDB_SET_RANGE);  // first key >= `key`
  if (rc == MDB_SUCCESS) {
    rc = mdb_cursor_get(cur.get(), &k, &v, MDB_PREV);
  } else if (rc == MDB_NOTFOUND) {
    rc = mdb_cursor_get(cur.get(), &k, &v, MDB_LAST);
  }
  std::optional<std::string> out;
  if (rc == MDB_SUCCESS) out = std::string(View(k));
  if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) return LmdbError(rc, "seek");
  return out;
}

Result<std::optional<std::pair<std::string_view, std::string_view>>> Txn::Last(
    MDB_dbi dbi) const {
  using R = std::optional<std::pair<std::string_view, std::string_view>>;
  ScopedCursor cur;
  int rc = cur.Open(txn_, dbi);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "open cursor");
  MDB_val k, v;
  rc = mdb_cursor_get(cur.get(), &k, &v, MDB_LAST);
  if (rc == MDB_NOTFOUND) return R();
  if (rc != MDB_SUCCESS) return LmdbError(rc, "read last");
  return R(std::make_pair(View(k), View(v)));
}

Result<std::uint64_t> Txn::Entries(MDB_dbi dbi) const {
  MDB_stat st;
  int rc = mdb_stat(txn_, dbi, &st);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "read table statistics");
  return static_cast<std::uint64_t>(st.ms_entries);
}

Status Txn::Drop(MDB_dbi dbi) {
  int rc = mdb_drop(txn_, dbi, 1);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "drop table");
  return Status::Ok();
}

Result<std::uint64_t> Cursor::Count() {
  if (cur_.get() == nullptr) return InternalError("count on a cursor that is on no entry");
  size_t n = 0;
  int rc = mdb_cursor_count(cur_.get(), &n);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "count duplicates");
  return static_cast<std::uint64_t>(n);
}

LmdbEnv::~LmdbEnv() {
  if (view_ != nullptr) ::munmap(const_cast<char*>(view_), view_len_);
  if (env_ != nullptr) mdb_env_close(env_);
  std::lock_guard<std::mutex> lock(g_open_mu);
  OpenDirs().erase({dev_, ino_});
}

Result<std::unique_ptr<LmdbEnv>> LmdbEnv::Open(const std::string& dir, const EnvOptions& opts,
                                               bool create) {
  // The page checks read LMDB 0.9's on-disk layout (lmdb_format.h).
  int major = 0, minor = 0, patch = 0;
  mdb_version(&major, &minor, &patch);
  if (major != 0 || minor != 9) {
    return FailedPreconditionError("retrace checks data.mdb with LMDB 0.9's page layout, but this "
                                   "process runs LMDB " + std::to_string(major) + "." +
                                   std::to_string(minor) + "." + std::to_string(patch));
  }
  struct stat st;
  bool made_dir = false;
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT && create) {
      made_dir = ::mkdir(dir.c_str(), 0750) == 0;
      if (!made_dir || ::stat(dir.c_str(), &st) != 0) {
        return IoError("cannot create ledger directory " + dir + ": " + std::strerror(errno));
      }
    } else if (errno == ENOENT) {
      return NotFoundError("no ledger at " + dir + ": the directory does not exist");
    } else {
      return IoError("cannot access " + dir + ": " + std::strerror(errno));
    }
  }
  if (!S_ISDIR(st.st_mode)) return InvalidArgumentError(dir + " is not a directory");
  std::string data_file = dir + "/data.mdb";
  struct stat dst;
  bool exists = ::stat(data_file.c_str(), &dst) == 0;
  if (!create && !exists) return NotFoundError("no ledger at " + dir + " (no data.mdb)");
  if (create && exists) return AlreadyExistsError(dir + " already holds a ledger (data.mdb)");

  if (exists) RETURN_IF_ERROR(lmdb_format::CheckMetaPages(data_file));

  // A create that fails from here on (a full disk, a read-only directory)
  // removes what it made: a half-written data.mdb would otherwise make
  // every retry fail with "already holds a ledger".
  Result<std::unique_ptr<LmdbEnv>> opened = [&]() -> Result<std::unique_ptr<LmdbEnv>> {
  std::unique_ptr<LmdbEnv> env(new LmdbEnv());
  env->opts_ = opts;
  env->dir_ = dir;
  env->dev_ = st.st_dev;
  env->ino_ = st.st_ino;
  {
    std::lock_guard<std::mutex> lock(g_open_mu);
    if (!OpenDirs().insert({env->dev_, env->ino_}).second) {
      env->dev_ = env->ino_ = ~std::uint64_t{0};  // not ours to erase
      return FailedPreconditionError("ledger " + dir +
                                     " is already open in this process; share that Ledger");
    }
  }
  int rc = mdb_env_create(&env->env_);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "mdb_env_create");
  mdb_env_set_maxdbs(env->env_, 20);
  std::uint64_t map = opts.initial_map_size;
  if (exists && static_cast<std::uint64_t>(dst.st_size) > map) map = dst.st_size;
  mdb_env_set_mapsize(env->env_, map);
  unsigned flags = MDB_NOTLS;
  if (!opts.sync) flags |= MDB_NOSYNC;
  if (opts.read_only) flags |= MDB_RDONLY;
  rc = mdb_env_open(env->env_, dir.c_str(), flags, 0640);
  if (rc != MDB_SUCCESS) {
    if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH) {
      return CorruptionError(dir + "/data.mdb is not a valid LMDB file: " + mdb_strerror(rc));
    }
    return LmdbError(rc, "open ledger " + dir);
  }
  // Lookups skip ids longer than kMaxTableKey as absent; an LMDB built with
  // a smaller key limit would refuse keys the ledger writes.
  const int max_key = mdb_env_get_maxkeysize(env->env_);
  if (max_key < 0 || static_cast<std::size_t>(max_key) < kMaxTableKey) {
    return InternalError("this LMDB takes keys of at most " + std::to_string(max_key) +
                         " bytes; retrace needs " + std::to_string(kMaxTableKey));
  }
  RETURN_IF_ERROR(env->writer_gate_.Open(data_file, false));
  RETURN_IF_ERROR(env->reader_gate_.Open(dir, true));
  {
    // Clear reader slots left by processes that died holding a read txn.
    GateHold readers(env->reader_gate_);
    RETURN_IF_ERROR(readers.status());
    int dead = 0;
    mdb_reader_check(env->env_, &dead);
  }

  // Every page of the snapshot, before LMDB reads the table names.
  if (exists) RETURN_IF_ERROR(env->RunRead([](const Txn&) { return Status::Ok(); }, true, nullptr));

  // Open (or create) the named tables.
  std::optional<GateHold> writing;
  if (!opts.read_only) {
    writing.emplace(env->writer_gate_);
    RETURN_IF_ERROR(writing->status());
  }
  ScopedTxn txn;
  {
    GateHold readers(env->reader_gate_);
    RETURN_IF_ERROR(readers.status());
    rc = txn.Begin(env->env_, opts.read_only ? MDB_RDONLY : 0);
  }
  if (rc != MDB_SUCCESS) return LmdbError(rc, "begin transaction on " + dir);
  unsigned c = create ? MDB_CREATE : 0;
  struct Spec {
    const char* name;
    MDB_dbi* dbi;
    unsigned flags;
  } specs[] = {
      {"meta", &env->tables_.meta, 0},
      {"records", &env->tables_.records, 0},
      {"lot_index", &env->tables_.lot_index, MDB_DUPSORT | MDB_DUPFIXED},
      {"event_ids", &env->tables_.event_ids, 0},
      {"lots", &env->tables_.lots, 0},
      {"tree", &env->tables_.tree, 0},
      {"quotas", &env->tables_.quotas, 0},
      {"quota_log", &env->tables_.quota_log, MDB_DUPSORT | MDB_DUPFIXED},
  };
  for (const auto& s : specs) {
    rc = mdb_dbi_open(txn.get(), s.name, s.flags | c, s.dbi);
    if (rc != MDB_SUCCESS) {
      if (rc == MDB_NOTFOUND) {
        return CorruptionError(dir + " is not a retrace ledger: table '" + s.name + "' is missing");
      }
      if (rc == MDB_INCOMPATIBLE) {
        return CorruptionError(dir + " is not a retrace ledger: table '" + s.name +
                               "' has the wrong type");
      }
      return LmdbError(rc, std::string("open table ") + s.name);
    }
  }
  // Format 3's authority index: created with a new ledger, opened if
  // present (a format-2 ledger has none until it is upgraded).
  rc = mdb_dbi_open(txn.get(), "authority", opts.create_tables ? MDB_CREATE : c,
                    &env->tables_.authority);
  if (rc == MDB_SUCCESS) {
    env->tables_.authority_present = true;
  } else if (rc != MDB_NOTFOUND) {
    return LmdbError(rc, "open table authority");
  }
  // Format 2's derived tables, opened only if present (for an upgrade).
  const Spec legacy[] = {
      {"by_hash", &env->tables_.by_hash, 0},
      {"actors", &env->tables_.actors, 0},
      {"keys", &env->tables_.keys, 0},
      {"key_events", &env->tables_.key_events, MDB_DUPSORT | MDB_DUPFIXED},
      {"policies", &env->tables_.policies, 0},
  };
  int legacy_found = 0;
  for (const auto& s : legacy) {
    rc = mdb_dbi_open(txn.get(), s.name, s.flags, s.dbi);
    if (rc == MDB_SUCCESS) {
      ++legacy_found;
    } else if (rc != MDB_NOTFOUND) {
      return LmdbError(rc, std::string("open table ") + s.name);
    }
  }
  env->tables_.legacy_present = legacy_found > 0;
  // Added after the first ledgers were written: created when missing.
  rc = mdb_dbi_open(txn.get(), "checkpoints", opts.read_only ? 0 : MDB_CREATE,
                    &env->tables_.checkpoints);
  if (rc == MDB_SUCCESS) {
    env->tables_.checkpoints_present = true;
  } else if (!(rc == MDB_NOTFOUND && opts.read_only)) {
    return LmdbError(rc, "open table checkpoints");
  }
  // Federation's tables, also created when missing (docs/storage-format.md).
  const struct {
    const char* name;
    MDB_dbi* dbi;
    bool* present;
  } optional_tables[] = {
      {"foreign_bundles", &env->tables_.foreign_bundles, &env->tables_.foreign_bundles_present},
      {"foreign_checkpoints", &env->tables_.foreign_checkpoints,
       &env->tables_.foreign_checkpoints_present},
  };
  for (const auto& o : optional_tables) {
    rc = mdb_dbi_open(txn.get(), o.name, opts.read_only ? 0 : MDB_CREATE, o.dbi);
    if (rc == MDB_SUCCESS) {
      *o.present = true;
    } else if (!(rc == MDB_NOTFOUND && opts.read_only)) {
      return LmdbError(rc, std::string("open table ") + o.name);
    }
  }
  rc = txn.Commit();
  if (rc != MDB_SUCCESS) return LmdbError(ExplainShortWrite(rc, dir), "commit table creation");
  return env;
  }();
  if (!opened.ok() && create) {
    ::unlink(data_file.c_str());
    ::unlink((dir + "/lock.mdb").c_str());
    if (made_dir) ::rmdir(dir.c_str());
  }
  return opened;
}

std::uint64_t LmdbEnv::map_size() const {
  MDB_envinfo info;
  mdb_env_info(env_, &info);
  return info.me_mapsize;
}

Status LmdbEnv::Grow() {
  std::unique_lock<std::shared_mutex> lock(resize_mu_);
  std::uint64_t cur = map_size();
  if (cur >= opts_.max_map_size) {
    return ResourceExhaustedError("the ledger map is at its maximum size (" +
                                  std::to_string(opts_.max_map_size) +
                                  " bytes, Options::max_map_size)");
  }
  std::uint64_t next = std::min(cur * 2, opts_.max_map_size);
  int rc = mdb_env_set_mapsize(env_, next);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "grow map");
  return Status::Ok();
}

namespace {

Status OutOfMemory(std::string_view during) {
  return ResourceExhaustedError("out of memory during " + std::string(during) +
                                "; the transaction was rolled back");
}

}  // namespace

Status LmdbEnv::Write(const std::function<Status(Txn&)>& fn, bool commit) {
  if (opts_.read_only) {
    return FailedPreconditionError("the ledger was opened read-only; nothing was written");
  }
  std::lock_guard<std::mutex> wlock(write_mu_);
  GateHold writing(writer_gate_);
  RETURN_IF_ERROR(writing.status());
  // A process that dies inside a read transaction leaves its reader slot
  // behind, and the slot pins the pages of its snapshot: the file grows
  // instead of reusing them, and enough dead slots exhaust the table. Open
  // clears them; a long-lived writer clears them too, at most once a second
  // (mdb_reader_check probes one lock per occupied slot).
  const auto now = std::chrono::steady_clock::now();
  if (now - last_reader_check_ >= std::chrono::seconds(1)) {
    GateHold readers(reader_gate_);
    RETURN_IF_ERROR(readers.status());
    int dead = 0;
    mdb_reader_check(env_, &dead);
    last_reader_check_ = now;
  }
  for (int attempt = 0; attempt < 64; ++attempt) {
    bool need_grow = false;
    bool resized_elsewhere = false;
    {
      std::shared_lock<std::shared_mutex> lock(resize_mu_);
      // Declared inside the lock's scope and after it: the transaction ends
      // (commit, or abort on every other path, an exception included)
      // before the lock is released.
      ScopedTxn raw;
      int rc;
      {
        // The owner-died recovery inside mdb_txn_begin enters the reader table.
        GateHold readers(reader_gate_);
        RETURN_IF_ERROR(readers.status());
        rc = raw.Begin(env_, 0);
      }
      if (rc == MDB_MAP_RESIZED) {
        resized_elsewhere = true;
      } else if (rc != MDB_SUCCESS) {
        return LmdbError(rc, "begin write transaction");
      } else {
        Txn txn(raw.get(), tables_);
        Status result;
        try {
          result = fn(txn);
        } catch (const std::bad_alloc&) {
          return OutOfMemory("a write");
        }
        if (!result.ok()) {
          if (!txn.map_full()) return result;
          need_grow = true;  // `raw` aborts at the end of this scope
        } else if (!commit) {
          return Status::Ok();  // a dry run: `raw` aborts at the end of this scope
        } else {
          rc = raw.Commit();
          if (rc == MDB_MAP_FULL) {
            need_grow = true;
          } else if (rc != MDB_SUCCESS) {
            Status st = LmdbError(ExplainShortWrite(rc, dir_), "commit");
            return Status(st.code(), st.message() + "; the transaction was rolled back");
          } else {
            return Status::Ok();
          }
        }
      }
    }
    if (resized_elsewhere) {
      std::unique_lock<std::shared_mutex> lock(resize_mu_);
      int rc = mdb_env_set_mapsize(env_, 0);  // adopt the size another process set
      if (rc != MDB_SUCCESS) return LmdbError(rc, "adopt map size");
      continue;
    }
    if (need_grow) {
      Status g = Grow();
      if (!g.ok()) return g;
    }
  }
  return ResourceExhaustedError("could not grow the ledger map enough for this write");
}

Status LmdbEnv::Read(const std::function<Status(const Txn&)>& fn) const {
  return RunRead(fn, false, nullptr);
}

Status LmdbEnv::ReadChecked(const std::function<Status(const Txn&)>& fn) const {
  return RunRead(fn, true, nullptr);
}

Result<lmdb_format::PageCheckStats> LmdbEnv::CheckPages() const {
  lmdb_format::PageCheckStats stats;
  RETURN_IF_ERROR(RunRead([](const Txn&) { return Status::Ok(); }, true, &stats));
  return stats;
}

Status LmdbEnv::RunRead(const std::function<Status(const Txn&)>& fn, bool check_pages,
                        lmdb_format::PageCheckStats* stats) const {
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::shared_lock<std::shared_mutex> lock(resize_mu_);
    ScopedTxn raw;
    int rc;
    {
      GateHold readers(reader_gate_);
      RETURN_IF_ERROR(readers.status());
      rc = raw.Begin(env_, MDB_RDONLY);
      if (rc == MDB_READERS_FULL && attempt == 0) {
        int dead = 0;
        mdb_reader_check(env_, &dead);  // slots of dead processes, then retry
        if (dead > 0) continue;
      }
    }
    if (rc == MDB_MAP_RESIZED) {
      lock.unlock();
      std::unique_lock<std::shared_mutex> ulock(resize_mu_);
      rc = mdb_env_set_mapsize(env_, 0);
      if (rc != MDB_SUCCESS) return LmdbError(rc, "adopt map size");
      continue;
    }
    if (rc != MDB_SUCCESS) return LmdbError(rc, "begin read transaction");
    if (check_pages) {
      bool moved = false;
      lmdb_format::PageCheckStats local;
      Status st;
      try {
        st = CheckSnapshot(raw.get(), &moved, stats != nullptr ? stats : &local);
      } catch (const std::bad_alloc&) {
        return OutOfMemory("the page check");
      }
      if (!st.ok()) return st;
      if (moved) continue;
    }
    Txn txn(raw.get(), tables_);
    try {
      return fn(txn);
    } catch (const std::bad_alloc&) {
      return OutOfMemory("a read");
    }
  }
  return IoError("the ledger kept changing under a read: the map was resized or the snapshot "
                 "replaced by other processes eight times in a row");
}

Status LmdbEnv::CheckSnapshot(MDB_txn* txn, bool* moved,
                              lmdb_format::PageCheckStats* stats) const {
  *moved = false;
  const std::string damaged = dir_ + "/data.mdb is damaged: ";
  const std::string advice =
      ". LMDB would follow it outside the file, so nothing was read. Restore the ledger "
      "directory from a backup or a replica, then audit it (docs/reliability.md)";
  int fd = -1;
  int rc = mdb_env_get_fd(env_, &fd);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "mdb_env_get_fd");
  MDB_stat est;
  rc = mdb_env_stat(env_, &est);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "mdb_env_stat");
  const std::uint64_t psize = est.ms_psize;
  // The meta page of this transaction's snapshot: commit T writes page
  // T & 1, so it holds T until commit T + 2 overwrites it.
  const std::uint64_t id = mdb_txn_id(txn);
  char meta_bytes[lmdb_format::kMetaBytes];
  if (::pread(fd, meta_bytes, sizeof(meta_bytes), static_cast<off_t>((id & 1) * psize)) !=
      static_cast<ssize_t>(sizeof(meta_bytes))) {
    return IoError("cannot read the meta page of " + dir_ + "/data.mdb: " + ErrnoMessage(errno));
  }
  Result<lmdb_format::Meta> meta = lmdb_format::ParseMeta(std::string_view(meta_bytes, sizeof(meta_bytes)),
                                                          static_cast<int>(id & 1));
  if (!meta.ok()) return CorruptionError(damaged + meta.status().message() + advice);
  if (meta->txn_id != id) {
    *moved = true;
    return Status::Ok();
  }
  if (meta->page_size != psize) {
    return CorruptionError(damaged + "its meta page names page size " +
                           std::to_string(meta->page_size) + ", LMDB uses " + std::to_string(psize) + advice);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) return IoError("cannot stat " + dir_ + "/data.mdb: " + ErrnoMessage(errno));
  const std::uint64_t length = (meta->last_page + 1) * psize;
  if (meta->last_page >= (std::uint64_t{1} << 40) / psize || length > static_cast<std::uint64_t>(st.st_size)) {
    return CorruptionError(damaged + "its data reaches page " + std::to_string(meta->last_page) +
                           " but the file is " + std::to_string(st.st_size) + " bytes: it was truncated" +
                           advice);
  }
  // A private read-only view of the file: the check never touches LMDB's
  // map, and a page it rejects is never read through it. Kept between
  // checks (a mapping's page tables cost a quarter of a check to rebuild),
  // and made anew when the snapshot outgrows it; never read past the size
  // fstat reported just now.
  std::lock_guard<std::mutex> lock(view_mu_);
  if (view_len_ < length) {
    if (view_ != nullptr) ::munmap(const_cast<char*>(view_), view_len_);
    view_ = nullptr;
    view_len_ = 0;
    const std::uint64_t want = static_cast<std::uint64_t>(st.st_size);
    void* view = ::mmap(nullptr, want, PROT_READ, MAP_SHARED, fd, 0);
    if (view == MAP_FAILED) {
      return IoError("cannot map " + dir_ + "/data.mdb to check it: " + ErrnoMessage(errno));
    }
    view_ = static_cast<const char*>(view);
    view_len_ = want;
  }
  Status checked = lmdb_format::CheckSnapshotPages(std::string_view(view_, length), *meta, stats);
  if (!checked.ok()) {
    // Damage, unless commit T + 2 rewrote the meta page while it was read
    // (its first bytes first, the transaction id last), so that the walk
    // followed a half-updated meta page: then check a newer snapshot.
    char again[sizeof(meta_bytes)];
    if (::pread(fd, again, sizeof(again), static_cast<off_t>((id & 1) * psize)) ==
            static_cast<ssize_t>(sizeof(again)) &&
        std::memcmp(again, meta_bytes, sizeof(again)) != 0) {
      *moved = true;
      return Status::Ok();
    }
    return CorruptionError(damaged + checked.message() + advice);
  }
  return Status::Ok();
}

}  // namespace retrace::internal
