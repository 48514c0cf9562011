// What the verifier reads (internal). Implemented over an LMDB read
// transaction for a ledger and over an in-memory bundle; the verifier trusts
// none of it: every record is re-hashed, re-linked and re-verified, and the
// indexes only say where to look.
#ifndef RETRACE_LIB_VERIFY_RECORD_STORE_H_
#define RETRACE_LIB_VERIFY_RECORD_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "retrace/hash.h"
#include "retrace/status.h"

namespace retrace::internal {

class RecordStore {
 public:
  virtual ~RecordStore() = default;
  // Number of records (the next sequence number).
  virtual std::uint64_t Size() const = 0;
  // Stored record bytes at `seq`, or nullopt if the store has none there.
  virtual Result<std::optional<std::string>> RecordBytes(std::uint64_t seq) const = 0;
  // Whether RecordBytesView may be called: the store can lend its bytes without
  // copying them. False unless a store overrides both.
  virtual bool LendsRecords() const { return false; }
  // The same answer as RecordBytes, as a view of the store's own bytes that
  // stays valid as long as the store does (for a ledger, its read
  // transaction). Only if LendsRecords(); kInternal otherwise.
  virtual Result<std::optional<std::string_view>> RecordBytesView(std::uint64_t seq) const;
  // Sequence numbers of the lot's records, in log order (empty if unknown).
  virtual Result<std::vector<std::uint64_t>> LotSeqs(std::string_view lot_id) const = 0;
  // The leaf hash the Merkle tree holds for `seq`, if the store keeps a
  // tree (nullopt otherwise). A record whose hash differs was rewritten.
  virtual Result<std::optional<Hash>> CommittedLeaf(std::uint64_t seq) const = 0;
  // Every quota grant and quota use of (actor, year, kind), in log order.
  virtual Result<std::vector<std::uint64_t>> QuotaLog(std::string_view quota_key) const = 0;
  // Every authority record (genesis, actor registrations, key rotations and
  // revocations, policies, quota grants: rules/authority.h), in log order.
  virtual Result<std::vector<std::uint64_t>> AuthoritySeqs() const = 0;
};

inline Result<std::optional<std::string_view>> RecordStore::RecordBytesView(std::uint64_t) const {
  return InternalError("this record store does not lend its records");
}

}  // namespace retrace::internal

#endif  // RETRACE_LIB_VERIFY_RECORD_STORE_H_
