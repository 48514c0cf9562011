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

Result<std::optional<std::uint64_t>> RecordingStore::AnswerOne(
    const char* index, std::string_view key, std::optional<std::uint64_t> seq) const {
  std::vector<std::uint64_t> kept = Answer(index, key, seq ? std::vector{*seq} : std::vector<std::uint64_t>{});
  if (kept.empty()) return std::optional<std::uint64_t>();
  return std::optional<std::uint64_t>(kept.front());
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

Result<std::vector<std::uint64_t>> RecordingStore::KeyEvents(std::string_view key_id) const {
  ASSIGN_OR_RETURN(std::vector<std::uint64_t> seqs, ledger_.KeyEvents(key_id));
  return Answer(kKeyIndex, key_id, std::move(seqs));
}

Result<std::optional<std::uint64_t>> RecordingStore::PolicyBefore(std::uint64_t seq) const {
  ASSIGN_OR_RETURN(std::optional<std::uint64_t> policy, ledger_.PolicyBefore(seq));
  return AnswerOne(kPolicyIndex, std::to_string(seq), policy);
}

Result<std::vector<std::uint64_t>> RecordingStore::QuotaLog(std::string_view quota_key) const {
  ASSIGN_OR_RETURN(std::vector<std::uint64_t> seqs, ledger_.QuotaLog(quota_key));
  return Answer(kQuotaIndex, quota_key, std::move(seqs));
}

Result<std::optional<std::uint64_t>> RecordingStore::ActorRegistration(
    std::string_view actor_id) const {
  ASSIGN_OR_RETURN(std::optional<std::uint64_t> seq, ledger_.ActorRegistration(actor_id));
  return AnswerOne(kActorIndex, actor_id, seq);
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
  return std::optional<std::string>(it->second);
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

Result<std::vector<std::uint64_t>> BundleRecordStore::KeyEvents(std::string_view key_id) const {
  const std::vector<std::uint64_t>* seqs = Find(kKeyIndex, key_id);
  if (seqs == nullptr) return std::vector<std::uint64_t>();
  return *seqs;
}

Result<std::optional<std::uint64_t>> BundleRecordStore::PolicyBefore(std::uint64_t seq) const {
  const std::vector<std::uint64_t>* seqs = Find(kPolicyIndex, std::to_string(seq));
  if (seqs == nullptr || seqs->empty()) return std::optional<std::uint64_t>();
  return std::optional<std::uint64_t>(seqs->front());
}

Result<std::vector<std::uint64_t>> BundleRecordStore::QuotaLog(std::string_view quota_key) const {
  const std::vector<std::uint64_t>* seqs = Find(kQuotaIndex, quota_key);
  if (seqs == nullptr) return std::vector<std::uint64_t>();
  return *seqs;
}

Result<std::optional<std::uint64_t>> BundleRecordStore::ActorRegistration(
    std::string_view actor_id) const {
  const std::vector<std::uint64_t>* seqs = Find(kActorIndex, actor_id);
  if (seqs == nullptr || seqs->empty()) return std::optional<std::uint64_t>();
  return std::optional<std::uint64_t>(seqs->front());
}

}  // namespace retrace::internal
