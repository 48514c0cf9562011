#include "ledger/book_cache.h"

#include "util/status_macros.h"
#include "verify/load_authority.h"

namespace retrace::internal {

Result<BookCache::Index> BookCache::IndexOf(const Txn& txn) {
  Index idx;
  ASSIGN_OR_RETURN(idx.entries, txn.Entries(txn.tables().authority));
  ASSIGN_OR_RETURN(auto last, txn.Last(txn.tables().authority));
  if (last) {
    ASSIGN_OR_RETURN(idx.last, DecodeU64Key("authority", last->first));
  }
  return idx;
}

Result<std::vector<AuthorityRecord>> BookCache::ReadAll(const Txn& txn) {
  std::vector<AuthorityRecord> records;
  Status bad;
  Cursor records_cur(txn, txn.tables().records);
  RETURN_IF_ERROR(txn.ForEach(txn.tables().authority, [&](std::string_view k, std::string_view) {
    Result<std::uint64_t> seq = DecodeU64Key("authority", k);
    if (!seq.ok()) {
      bad = seq.status();
      return false;
    }
    const std::string key = EncodeU64(*seq);
    std::string_view rk = key, rv;
    Result<bool> found = records_cur.Get(MDB_SET_KEY, &rk, &rv, "read an authority record");
    if (!found.ok()) {
      bad = found.status();
      return false;
    }
    // A listed record that is missing or unreadable is in nobody's book;
    // `audit` reports it.
    if (*found) {
      Parsed& p = parsed_[*seq];
      if (p.stored.empty() || p.stored != rv) {
        p.stored.assign(rv.data(), rv.size());
        p.record = ReadAuthorityRecord(*seq, rv);
      }
      if (p.record) records.push_back(*p.record);
    }
    return true;
  }));
  RETURN_IF_ERROR(bad);
  return records;
}

Result<std::shared_ptr<const Authority>> BookCache::Get(const Txn& txn) {
  if (!txn.tables().authority_present) {
    return FailedPreconditionError("the ledger has no authority index (a format-2 ledger): "
                                   "run `retrace upgrade`");
  }
  ASSIGN_OR_RETURN(Index idx, IndexOf(txn));
  std::lock_guard<std::mutex> lock(mu_);
  if (book_ != nullptr && index_ && *index_ == idx) return book_;
  ASSIGN_OR_RETURN(std::vector<AuthorityRecord> records, ReadAll(txn));
  std::shared_ptr<const Authority> book = Authority::Build(std::move(records), keys_, &memo_);
  // Keep the newest: a reader of an older snapshot does not evict it.
  if (!index_ || idx.last >= index_->last) {
    book_ = book;
    index_ = idx;
  }
  return book;
}

Result<std::shared_ptr<const BookCache::Unsigned>> BookCache::GetUnsigned(const Txn& txn,
                                                                         const RecordStore& store) {
  // A read transaction's id is that of the last write committed before it:
  // equal ids, the same snapshot.
  const std::size_t id = mdb_txn_id(txn.raw());
  std::lock_guard<std::mutex> lock(mu_);
  if (unsigned_ != nullptr && unsigned_txn_ == id) return unsigned_;
  auto u = std::make_shared<Unsigned>();
  ASSIGN_OR_RETURN(u->book, LoadAuthority(store, keys_, /*check_signatures=*/false, nullptr,
                                          &u->findings));
  unsigned_ = u;
  unsigned_txn_ = id;
  return std::shared_ptr<const Unsigned>(std::move(u));
}

Result<std::shared_ptr<const Authority>> BookCache::With(const Txn& txn, AuthorityRecord candidate,
                                                         const PublicKey* verified_under) {
  std::vector<AuthorityRecord> one;
  one.push_back(std::move(candidate));
  return WithAll(txn, std::move(one), {verified_under});
}

Result<std::shared_ptr<const Authority>> BookCache::WithAll(
    const Txn& txn, std::vector<AuthorityRecord> candidates,
    const std::vector<const PublicKey*>& verified_under) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(std::vector<AuthorityRecord> records, ReadAll(txn));
  for (std::size_t k = 0; k < candidates.size() && k < verified_under.size(); ++k) {
    if (verified_under[k] != nullptr && candidates[k].signing_input) {
      // The append verified it already: the build need not again.
      memo_.Put(*verified_under[k], *candidates[k].signing_input, candidates[k].signature, true);
    }
  }
  records.insert(records.end(), std::make_move_iterator(candidates.begin()),
                 std::make_move_iterator(candidates.end()));
  return Authority::Build(std::move(records), keys_, &memo_);
}

void BookCache::Publish(std::shared_ptr<const Authority> book, std::uint64_t entries,
                        std::uint64_t last) {
  std::lock_guard<std::mutex> lock(mu_);
  if (index_ && last < index_->last) return;
  book_ = std::move(book);
  index_ = Index{entries, last};
}

}  // namespace retrace::internal
