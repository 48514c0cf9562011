// The book of authority of an open ledger, kept across calls (internal).
//
// A ledger's book is a pure function of its authority records
// (rules/authority.h). Building it means reading every authority record and
// verifying the signatures not verified before; both are cheap for the
// few authority records a ledger holds, but not free, so the ledger keeps
// the last book it built and the signature checks it made, and builds again
// only when the authority index of the snapshot it is asked about differs
// (another process or an append of this one added an authority record).
//
// Thread safety: every method may be called from any thread; builds are
// serialised by an internal mutex.
#ifndef RETRACE_LIB_LEDGER_BOOK_CACHE_H_
#define RETRACE_LIB_LEDGER_BOOK_CACHE_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "crypto/key_cache.h"
#include "retrace/status.h"
#include "rules/authority.h"
#include "storage/lmdb_env.h"
#include "verify/record_store.h"

namespace retrace::internal {

class BookCache {
 public:
  explicit BookCache(KeyCache* keys) : keys_(keys) {}

  // The book of the authority records `txn` holds (its authority index).
  Result<std::shared_ptr<const Authority>> Get(const Txn& txn);

  // The book `txn` would hold with `candidate` -- the authority record about
  // to be written at the end of the log -- added. Nothing is cached: the
  // transaction may still abort. `verified_under` (may be nullptr) is a key
  // the caller verified the candidate's signature under.
  Result<std::shared_ptr<const Authority>> With(const Txn& txn, AuthorityRecord candidate,
                                                const PublicKey* verified_under);
  // The book `txn` would hold with `candidates`, in order, added: one build
  // for several records. A record's verdict depends only on the records
  // before it unless a later one is a revocation, so for candidates with no
  // revocation among them each verdict is the one With would give it
  // appended alone after those before it.
  // verified_under[k] (may be nullptr) as for With.
  Result<std::shared_ptr<const Authority>> WithAll(
      const Txn& txn, std::vector<AuthorityRecord> candidates,
      const std::vector<const PublicKey*>& verified_under);

  // The book without signature checks (an integrity-only verification's,
  // LoadAuthority with check_signatures false) of the snapshot of `txn`, a
  // read transaction, whose records `store` reads, with the findings
  // LoadAuthority reported building it. Kept for the snapshot only: built
  // again whenever `txn` is of another committed write (its LMDB
  // transaction id), so a change to any record -- by this process or
  // another -- is seen, as if it were built on every call.
  struct Unsigned {
    std::shared_ptr<const Authority> book;
    std::vector<Finding> findings;
  };
  Result<std::shared_ptr<const Unsigned>> GetUnsigned(const Txn& txn, const RecordStore& store);

  // After a write transaction committed: `book` is the book of the
  // authority index it left (`entries` records, the last at `last`).
  void Publish(std::shared_ptr<const Authority> book, std::uint64_t entries, std::uint64_t last);

 private:
  // Reads every authority record `txn` holds (under mu_).
  Result<std::vector<AuthorityRecord>> ReadAll(const Txn& txn);
  struct Index {
    std::uint64_t entries = 0;
    std::uint64_t last = 0;
    friend bool operator==(const Index& a, const Index& b) {
      return a.entries == b.entries && a.last == b.last;
    }
  };
  static Result<Index> IndexOf(const Txn& txn);

  KeyCache* const keys_;
  std::mutex mu_;
  std::shared_ptr<const Authority> book_;  // of index_
  std::optional<Index> index_;
  SignatureMemo memo_;
  // Each authority record read, by position, with the exact bytes it was
  // read from: a later read of the same bytes reuses the parse (protobuf,
  // ValidateEventProto's key parse, the signed input), which is most of a
  // rebuild's cost; other bytes at that position (a write that aborted,
  // damage) are parsed afresh.
  struct Parsed {
    std::string stored;
    std::optional<AuthorityRecord> record;
  };
  std::unordered_map<std::uint64_t, Parsed> parsed_;
  // GetUnsigned's, and the transaction id of the snapshot it was built from.
  std::shared_ptr<const Unsigned> unsigned_;
  std::size_t unsigned_txn_ = 0;
};

}  // namespace retrace::internal

#endif  // RETRACE_LIB_LEDGER_BOOK_CACHE_H_
