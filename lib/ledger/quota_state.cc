#include "ledger/quota_state.h"

#include "model/proto_convert.h"
#include "model/record.h"
#include "util/status_macros.h"

namespace retrace::internal {

Result<QuotaLogEntry> StoredQuotaEntry(const Txn& txn, const Authority& book, std::uint64_t seq,
                                       std::string_view stored, std::string_view quota_key) {
  const std::string s = std::to_string(seq);
  RecordView view;
  v1::Event ev;
  // A grant imported from the registry is the registry record's event.
  if (!ParseRecordView(stored, &view).ok() || !ResolveRegistryRecord(&view).ok() ||
      !ParseEventBytes(view.event_bytes, &ev).ok()) {
    return CorruptionError("record " + s + ", in a quota log, is damaged; run `retrace audit`");
  }
  QuotaLogEntry e;
  e.seq = seq;
  if (ev.has_quota_granted()) {
    const auto& g = ev.quota_granted();
    if (QuotaKey(g.actor_id(), g.year(), static_cast<QuotaKind>(g.kind())) != quota_key) {
      return CorruptionError("the quota log lists record " + s + " under another quota");
    }
    e.kind = QuotaLogEntry::Kind::kGrant;
    return e;
  }
  if (ev.has_reversed()) {
    // A release of the use the reversed record made.
    const std::uint64_t r = ev.reversed().seq();
    ASSIGN_OR_RETURN(auto rb, txn.Get(txn.tables().records, EncodeU64(r)));
    RecordView rview;
    v1::Event rev;
    if (r >= seq || !rb || !ParseRecordView(*rb, &rview).ok() ||
        !ParseEventBytes(rview.event_bytes, &rev).ok()) {
      return CorruptionError("the quota log lists reversal " + s + ", whose reversed record is "
                             "missing or damaged; run `retrace audit`");
    }
    std::optional<QuotaUse> use = QuotaUseAt(book, rev, r);
    if (!use || QuotaKey(use->actor_id, use->year, use->kind) != quota_key) {
      return CorruptionError("the quota log lists record " + s + ", which releases no such quota");
    }
    e.kind = QuotaLogEntry::Kind::kRelease;
    e.releases = r;
    return e;
  }
  std::optional<QuotaUse> use = QuotaUseAt(book, ev, seq);
  if (!use || QuotaKey(use->actor_id, use->year, use->kind) != quota_key) {
    return CorruptionError("the quota log lists record " + s + ", which uses no such quota");
  }
  e.kind = QuotaLogEntry::Kind::kUse;
  e.reo_g = use->reo_g;
  e.counts = UseCounts(book, ev, view.key_id, seq);
  return e;
}

Result<std::vector<QuotaLogEntry>> ReadQuotaLog(const Txn& txn, const Authority& book,
                                                std::string_view quota_key) {
  std::vector<QuotaLogEntry> out;
  ASSIGN_OR_RETURN(std::vector<std::string> seqs, txn.GetDups(txn.tables().quota_log, quota_key));
  Cursor records(txn, txn.tables().records);
  for (const std::string& v : seqs) {
    ASSIGN_OR_RETURN(const std::uint64_t seq, DecodeStoredU64(v, "quota_log", quota_key));
    const std::string key = EncodeU64(seq);
    std::string_view k = key, bytes;
    ASSIGN_OR_RETURN(bool found, records.Get(MDB_SET_KEY, &k, &bytes, "read a quota log record"));
    if (!found) {
      return CorruptionError("the quota log of " + QuotaKeyName(quota_key) + " names record " +
                             std::to_string(seq) + ", which is missing");
    }
    ASSIGN_OR_RETURN(QuotaLogEntry e, StoredQuotaEntry(txn, book, seq, bytes, quota_key));
    out.push_back(e);
  }
  return out;
}

Result<QuotaTally> ReadQuotaTally(const Txn& txn, std::string_view quota_key) {
  QuotaTally q;
  ASSIGN_OR_RETURN(auto v, txn.Get(txn.tables().quotas, quota_key));
  if (v) {
    ASSIGN_OR_RETURN(q, DecodeQuotaTally(*v, quota_key));
  }
  // Against the log: its length and last entry.
  Cursor log(txn, txn.tables().quota_log);
  std::string_view k = quota_key, d;
  std::uint64_t entries = 0, last = 0;
  ASSIGN_OR_RETURN(bool any, log.Get(MDB_SET_KEY, &k, &d, "read the quota log"));
  if (any) {
    ASSIGN_OR_RETURN(entries, log.Count());
    ASSIGN_OR_RETURN(bool on, log.Get(MDB_LAST_DUP, &k, &d, "read the quota log"));
    if (!on) {
      return CorruptionError("the quota log of " + QuotaKeyName(quota_key) + " has no last entry");
    }
    ASSIGN_OR_RETURN(last, DecodeStoredU64(d, "quota_log", quota_key));
  }
  if (q.entries != entries || (entries > 0 && q.last_seq != last)) {
    return CorruptionError("a stored quota balance disagrees with its quota log (" +
                           std::to_string(q.entries) + " entries recorded, " +
                           std::to_string(entries) + " in the log); run `retrace audit`");
  }
  return q;
}

Status RecomputeQuotaTallies(Txn& txn, const Authority& book) {
  std::vector<std::string> keys;
  RETURN_IF_ERROR(txn.ForEach(txn.tables().quota_log, [&](std::string_view k, std::string_view) {
    if (keys.empty() || keys.back() != k) keys.emplace_back(k);
    return true;
  }));
  // Balances of keys without a log cannot exist; drop any.
  std::vector<std::string> stale;
  RETURN_IF_ERROR(txn.ForEach(txn.tables().quotas, [&](std::string_view k, std::string_view) {
    if (!std::binary_search(keys.begin(), keys.end(), std::string(k))) stale.emplace_back(k);
    return true;
  }));
  for (const std::string& k : stale) RETURN_IF_ERROR(txn.Del(txn.tables().quotas, k));
  for (const std::string& k : keys) {
    ASSIGN_OR_RETURN(std::vector<QuotaLogEntry> log, ReadQuotaLog(txn, book, k));
    QuotaTally q;
    q.used = QuotaBalanceAfter(book, k, log).used;
    q.entries = log.size();
    q.last_seq = log.empty() ? 0 : log.back().seq;
    RETURN_IF_ERROR(txn.Put(txn.tables().quotas, k, EncodeQuotaTally(q)));
  }
  return Status::Ok();
}

}  // namespace retrace::internal
