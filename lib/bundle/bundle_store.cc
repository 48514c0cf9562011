#include "bundle/bundle_store.h"

#include "util/status_macros.h"

namespace retrace::internal {

std::vector<std::uint64_t> RecordingStore::Answer(const char* index, std::string_view key,
                                                  std::vector<std::uint64_t> seqs) const {
  std::vector<std::uint64_t> kept;
  for (std::uint64_t s : seqs) {
    if (s < size_) kept.push_back(s);
  }
  named_.insert(kept.begin(), kept.end());
  answers_[{index, std::string(key)}] = kept;
  return kept;
}

Result<std::optional<std::string>> RecordingStore::RecordBytes(std::uint64_t seq) const {
  // Besides what an index named: the genesis record (the ledger's identity)
  // and the last record at the checkpoint (the report's head hash).
  if (seq >= size_ || (seq != 0 && seq != size_ - 1 && !named_.count(seq))) {
    return std::optional<std::string>();
  }
  ASSIGN_OR_RETURN(std::optional<std::string> bytes, ledger_.RecordBytes(seq));
  if (bytes) served_.insert(seq);
  return bytes;
}

Result<std::vector<std::uint64_t>> RecordingStore::LotSeqs(std::string_view lot_id) const {
  ASSIGN_OR_RETURN(std::vector<std::uint64_t> seqs, ledger_.LotSeqs(lot_id));
  return Answer(kLotIndex, lot_id, std::move(seqs));
}

Result<std::optional<Hash>> RecordingStore::CommittedLeaf(std::uint64_t seq) const {
  if (seq >= size_) return std::optional<Hash>();
  return ledger_.CommittedLeaf(seq);
}

Result<std::vector<std::uint64_t>> RecordingStore::QuotaLog(std::string_view quota_key) const {
  ASSIGN_OR_RETURN(std::vector<std::uint64_t> seqs, ledger_.QuotaLog(quota_key));
  return Answer(kQuotaIndex, quota_key, std::move(seqs));
}

Result<std::vector<std::uint64_t>> RecordingStore::AuthoritySeqs() const {
  ASSIGN_OR_RETURN(std::vector<std::uint64_t> seqs, ledger_.AuthoritySeqs());
  return Answer(kAuthorityIndex, "", std::move(seqs));
}

// ---------------------------------------------------------------------------

const std::vector<std::uint64_t>* BundleRecordStore::Find(const char* index,
                                                         std::string_view key) const {
  auto it = answers_.find({index, std::string(key)});
  if (it == answers_.end()) return nullptr;
  consulted_.insert(it->first);
  return &it->second;
}

Result<std::optional<std::string>> BundleRecordStore::RecordBytes(std::uint64_t seq) const {
  auto it = records_.find(seq);
  if (seq >= size_ || it == records_.end()) return std::optional<std::string>();
  read_.insert(seq);
  return std::optional<std::string>(std::string(it->second));
}

Result<std::vector<std::uint64_t>> BundleRecordStore::LotSeqs(std::string_view lot_id) const {
  const std::vector<std::uint64_t>* seqs = Find(kLotIndex, lot_id);
  if (seqs == nullptr) return std::vector<std::uint64_t>();
  return *seqs;
}

Result<std::optional<Hash>> BundleRecordStore::CommittedLeaf(std::uint64_t seq) const {
  auto it = proven_.find(seq);
  if (it == proven_.end()) return std::optional<Hash>();
  return std::optional<Hash>(it->second);
}

Result<std::vector<std::uint64_t>> BundleRecordStore::QuotaLog(std::string_view quota_key) const {
  const std::vector<std::uint64_t>* seqs = Find(kQuotaIndex, quota_key);
  if (seqs == nullptr) return std::vector<std::uint64_t>();
  return *seqs;
}

Result<std::vector<std::uint64_t>> BundleRecordStore::AuthoritySeqs() const {
  const std::vector<std::uint64_t>* seqs = Find(kAuthorityIndex, "");
  if (seqs == nullptr) return std::vector<std::uint64_t>();
  return *seqs;
}

}  // namespace retrace::internal
