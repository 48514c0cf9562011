#include "ledger/foreign_store.h"

#include "retrace/hash.h"
#include "retrace/federation.h"
#include "util/hex.h"
#include "util/status_macros.h"

namespace retrace::internal {
namespace {

std::string CheckpointKey(std::string_view origin, std::uint64_t size) {
  std::string k(origin);
  k.push_back('\0');
  k += EncodeU64(size);
  return k;
}

}  // namespace

Result<std::optional<std::string_view>> ForeignBundleView(const Txn& txn, const Hash& sha256) {
  if (!txn.tables().foreign_bundles_present) return std::optional<std::string_view>();
  return txn.Get(txn.tables().foreign_bundles, HashBytes(sha256));
}

Result<std::optional<std::string>> ForeignBundle(const Txn& txn, const Hash& sha256) {
  ASSIGN_OR_RETURN(std::optional<std::string_view> v, ForeignBundleView(txn, sha256));
  if (!v) return std::optional<std::string>();
  return std::optional<std::string>(std::string(*v));
}

Status PutForeignBundle(Txn& txn, const Hash& sha256, std::string_view bytes) {
  if (!txn.tables().foreign_bundles_present) {
    return FailedPreconditionError("this ledger has no foreign_bundles table (opened read-only?)");
  }
  const std::string key = HashBytes(sha256);
  ASSIGN_OR_RETURN(auto v, txn.Get(txn.tables().foreign_bundles, key));
  if (v) return Status::Ok();
  return txn.Put(txn.tables().foreign_bundles, key, bytes);
}

Result<std::vector<ForeignCheckpoint>> ForeignCheckpoints(const Txn& txn, std::string_view origin) {
  std::vector<ForeignCheckpoint> out;
  if (!txn.tables().foreign_checkpoints_present) return out;
  const std::string prefix = std::string(origin) + std::string(1, '\0');
  Status bad;
  RETURN_IF_ERROR(txn.ForEach(txn.tables().foreign_checkpoints,
                              [&](std::string_view k, std::string_view v) {
    if (k.substr(0, prefix.size()) != prefix) return true;
    auto size = DecodeU64(k.substr(prefix.size()));
    if (!size) {
      bad = CorruptionError("a foreign_checkpoints key of " + std::string(origin) + " is damaged");
      return false;
    }
    out.push_back({*size, std::string(v)});
    return true;
  }));
  RETURN_IF_ERROR(bad);
  return out;
}

Result<std::optional<ForeignCheckpoint>> LatestForeignCheckpoint(const Txn& txn,
                                                                 std::string_view origin) {
  if (!txn.tables().foreign_checkpoints_present) return std::optional<ForeignCheckpoint>();
  // Keys of `origin` lie in [origin 0x00, origin 0x01).
  const std::string end = std::string(origin) + std::string(1, '\1');
  ASSIGN_OR_RETURN(auto key, txn.KeyBefore(txn.tables().foreign_checkpoints, end));
  const std::string prefix = std::string(origin) + std::string(1, '\0');
  if (!key || key->size() != prefix.size() + 8 || key->compare(0, prefix.size(), prefix) != 0) {
    return std::optional<ForeignCheckpoint>();
  }
  ASSIGN_OR_RETURN(auto note, txn.Get(txn.tables().foreign_checkpoints, *key));
  if (!note) return CorruptionError("a foreign checkpoint vanished");
  return std::optional<ForeignCheckpoint>(
      ForeignCheckpoint{*DecodeU64(std::string_view(*key).substr(prefix.size())), std::string(*note)});
}

Status PutForeignCheckpoint(Txn& txn, std::string_view origin, std::uint64_t size,
                            std::string_view note) {
  if (!txn.tables().foreign_checkpoints_present) {
    return FailedPreconditionError("this ledger has no foreign_checkpoints table (opened read-only?)");
  }
  const std::string key = CheckpointKey(origin, size);
  ASSIGN_OR_RETURN(auto v, txn.Get(txn.tables().foreign_checkpoints, key));
  if (v) return Status::Ok();
  return txn.Put(txn.tables().foreign_checkpoints, key, note);
}

Status CheckForeignBundles(const Txn& txn,
                           const std::vector<std::pair<std::uint64_t, Hash>>& receipts,
                           std::vector<Finding>* findings) {
  if (txn.tables().foreign_bundles_present) {
    RETURN_IF_ERROR(txn.ForEach(txn.tables().foreign_bundles,
                                [&](std::string_view k, std::string_view v) {
      const Hash got = Sha256(v);
      if (k.size() != 32 || HashBytes(got) != k) {
        findings->push_back({finding::kForeignBundleAltered, 0, "",
                             "the stored foreign bundle " + HexEncode(k) +
                                 " no longer hashes to its name (it hashes to " +
                                 HexEncode(HashBytes(got)) + "): its bytes were changed"});
      }
      return true;
    }));
  }
  for (const auto& [seq, sha] : receipts) {
    ASSIGN_OR_RETURN(auto b, ForeignBundle(txn, sha));
    if (!b) {
      findings->push_back({finding::kForeignBundleMissing, seq, "",
                           "the cross-ledger receipt at record " + std::to_string(seq) +
                               " commits to bundle " + HexEncode(HashBytes(sha)) +
                               ", which the ledger does not hold"});
    }
  }
  return Status::Ok();
}

}  // namespace retrace::internal
