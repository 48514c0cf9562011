// The two RecordStores of a lineage bundle (internal).
//
// RecordingStore wraps the ledger while a bundle is built; BundleRecordStore
// serves a parsed bundle to the verifier. The builder answers every question
// of the lineage verifier exactly as the bundle will later answer it --
// records only where an index named them, the genesis record and the last
// record at the checkpoint (whose hash a report gives as the head), nothing
// at or beyond the checkpoint's size -- and records the answers. So the ledger's
// own verifier, run over either store, reads the same records and reaches
// the same findings: the bundle holds what the verifier needs, no more.
#ifndef RETRACE_LIB_BUNDLE_BUNDLE_STORE_H_
#define RETRACE_LIB_BUNDLE_BUNDLE_STORE_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "retrace/hash.h"
#include "verify/record_store.h"

namespace retrace::internal {

// Index names in IndexAnswer.index (proto/retrace/v1/bundle.proto).
inline constexpr char kLotIndex[] = "lot";              // lot id -> its records
inline constexpr char kQuotaIndex[] = "quota";          // quota key -> grants and uses
inline constexpr char kAuthorityIndex[] = "authority";  // "" -> every authority record

// (index name, key) -> the sequence numbers the ledger answered.
using IndexAnswers = std::map<std::pair<std::string, std::string>, std::vector<std::uint64_t>>;

class RecordingStore final : public RecordStore {
 public:
  // `ledger` must outlive this store; `size` is the checkpoint's tree size.
  RecordingStore(const RecordStore& ledger, std::uint64_t size) : ledger_(ledger), size_(size) {}

  std::uint64_t Size() const override { return size_; }
  Result<std::optional<std::string>> RecordBytes(std::uint64_t seq) const override;
  Result<std::vector<std::uint64_t>> LotSeqs(std::string_view lot_id) const override;
  Result<std::optional<Hash>> CommittedLeaf(std::uint64_t seq) const override;
  Result<std::vector<std::uint64_t>> QuotaLog(std::string_view quota_key) const override;
  Result<std::vector<std::uint64_t>> AuthoritySeqs() const override;

  // Every answer given, empty ones included (a bundle stores only the
  // non-empty ones: absent means empty).
  const IndexAnswers& answers() const { return answers_; }
  // The records served, which the bundle must hold.
  const std::set<std::uint64_t>& served() const { return served_; }

 private:
  std::vector<std::uint64_t> Answer(const char* index, std::string_view key,
                                    std::vector<std::uint64_t> seqs) const;

  const RecordStore& ledger_;
  const std::uint64_t size_;
  mutable IndexAnswers answers_;
  mutable std::set<std::uint64_t> named_;
  mutable std::set<std::uint64_t> served_;
};

class BundleRecordStore final : public RecordStore {
 public:
  // All three maps, and the bytes `records` views, must outlive the store.
  // `proven` holds the leaf hash of every record whose inclusion proof
  // verified against the checkpoint.
  BundleRecordStore(std::uint64_t size, const std::map<std::uint64_t, std::string_view>& records,
                    const std::map<std::uint64_t, Hash>& proven, const IndexAnswers& answers)
      : size_(size), records_(records), proven_(proven), answers_(answers) {}

  std::uint64_t Size() const override { return size_; }
  Result<std::optional<std::string>> RecordBytes(std::uint64_t seq) const override;
  Result<std::vector<std::uint64_t>> LotSeqs(std::string_view lot_id) const override;
  Result<std::optional<Hash>> CommittedLeaf(std::uint64_t seq) const override;
  Result<std::vector<std::uint64_t>> QuotaLog(std::string_view quota_key) const override;
  Result<std::vector<std::uint64_t>> AuthoritySeqs() const override;

  // What the verifier consulted: a bundle as built holds no answer and no
  // record the verifier does not ask for, so anything left over was altered.
  const std::set<std::pair<std::string, std::string>>& consulted() const { return consulted_; }
  const std::set<std::uint64_t>& read() const { return read_; }

 private:
  const std::vector<std::uint64_t>* Find(const char* index, std::string_view key) const;

  const std::uint64_t size_;
  const std::map<std::uint64_t, std::string_view>& records_;
  const std::map<std::uint64_t, Hash>& proven_;
  const IndexAnswers& answers_;
  mutable std::set<std::pair<std::string, std::string>> consulted_;
  mutable std::set<std::uint64_t> read_;
};

}  // namespace retrace::internal

#endif  // RETRACE_LIB_BUNDLE_BUNDLE_STORE_H_
