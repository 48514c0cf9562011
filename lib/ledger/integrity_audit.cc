// The integrity-only audit: hashes, links, the Merkle tree and the lookup
// indexes, in sequential scans only (docs/verification.md, "Integrity-only
// audit").
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>

#include "ledger/audit.h"
#include "ledger/checkpoint_log.h"
#include "rules/rules.h"
#include "ledger/state.h"
#include "ledger/txn_store.h"
#include "model/event_keys.h"
#include "model/proto_convert.h"
#include "model/record.h"
#include "retrace/merkle.h"
#include "retrace/v1/retrace.pb.h"
#include "util/escape.h"
#include "util/status_macros.h"
#include "util/thread_pool.h"
#include "rules/authority.h"

namespace retrace::internal {
namespace {

std::string_view HashKey(const Hash& h) {
  return std::string_view(reinterpret_cast<const char*>(h.data()), h.size());
}

// A multiset of (key, u64be value) index entries reduced to a fingerprint:
// the entry count, and the sum and the xor of a 64-bit hash of each entry.
// Two multisets with the same fingerprint are equal unless a 64-bit hash
// collides, which guards against damage and bugs. It is no defence against
// someone who rewrites the ledger file on purpose -- nor need it be: the
// indexes are not authenticated; every answer they give is checked against
// the hashes of the records it leads to, and signatures and checkpoints are
// what prove the records themselves.
class IndexDigest {
 public:
  void Add(std::string_view key, std::string_view value) {
    // Index values are u64be sequence numbers: taken as they are and mixed
    // in, without copying key and value together; any other value (a
    // damaged one) is hashed with its length.
    std::uint64_t v = 0;
    if (value.size() == 8) {
      std::memcpy(&v, value.data(), 8);
    } else {
      v = std::hash<std::string_view>{}(value) ^ (value.size() * 0xff51afd7ed558ccdull);
    }
    const std::uint64_t h = Mix(std::hash<std::string_view>{}(key) ^ Mix(v + 0x9e3779b97f4a7c15ull));
    ++count_;
    sum_ += h;
    xor_ ^= h * 0x9e3779b97f4a7c15ull;
  }
  std::uint64_t count() const { return count_; }
  bool operator==(const IndexDigest& o) const {
    return count_ == o.count_ && sum_ == o.sum_ && xor_ == o.xor_;
  }
  bool operator!=(const IndexDigest& o) const { return !(*this == o); }

 private:
  // The 64-bit finaliser of MurmurHash3: every input bit reaches every
  // output bit.
  static std::uint64_t Mix(std::uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
  }
  std::uint64_t count_ = 0, sum_ = 0, xor_ = 0;
};

// A cursor stepping through one table in key order.
class TableScan {
 public:
  TableScan(const Txn& txn, MDB_dbi dbi) : cur_(txn, dbi) {}
  Status First() { return Step(MDB_FIRST); }
  bool valid() const { return valid_; }
  std::string_view key() const { return key_; }
  std::string_view value() const { return value_; }
  Status Next() { return Step(MDB_NEXT); }

 private:
  Status Step(MDB_cursor_op op) {
    ASSIGN_OR_RETURN(valid_, cur_.Get(op, &key_, &value_, "scan"));
    return Status::Ok();
  }

  Cursor cur_;
  bool valid_ = false;
  std::string_view key_, value_;
};

// What the lookup indexes must hold, as digests; and the keys of the two
// state tables (lots, quotas), whose values are checked by their seals.
struct IndexDigests {
  IndexDigest event_ids, lot_index, quota_log, authority;
  IndexDigest lot_keys, quota_keys;
  std::uint64_t damaged_lots = 0, damaged_quotas = 0;  // values whose seal fails
};

Status DigestTable(const Txn& txn, MDB_dbi dbi, IndexDigest* out) {
  return txn.ForEach(dbi, [out](std::string_view k, std::string_view v) {
    out->Add(k, v);
    return true;
  });
}

// The digests of the index tables as stored, and of the keys of the state
// tables, whose every value's seal is checked (state.h).
Result<IndexDigests> DigestStoredIndexes(const Txn& txn) {
  const Tables& t = txn.tables();
  IndexDigests d;
  RETURN_IF_ERROR(DigestTable(txn, t.event_ids, &d.event_ids));
  RETURN_IF_ERROR(DigestTable(txn, t.lot_index, &d.lot_index));
  RETURN_IF_ERROR(DigestTable(txn, t.quota_log, &d.quota_log));
  RETURN_IF_ERROR(DigestTable(txn, t.authority, &d.authority));
  RETURN_IF_ERROR(txn.ForEach(t.lots, [&d](std::string_view k, std::string_view v) {
    d.lot_keys.Add(k, "");
    if (!DecodeLotState(v, k).ok()) ++d.damaged_lots;
    return true;
  }));
  RETURN_IF_ERROR(txn.ForEach(t.quotas, [&d](std::string_view k, std::string_view v) {
    d.quota_keys.Add(k, "");
    if (!DecodeQuotaTally(v, k).ok()) ++d.damaged_quotas;
    return true;
  }));
  return d;
}

class IntegrityAuditor {
 public:
  IntegrityAuditor(const Txn& txn, const LmdbEnv* env, const AuditOptions& options)
      : txn_(txn),
        env_(env),
        t_(txn.tables()),
        options_(options),
        tree_(txn, txn.tables().tree) {}

  Result<AuditReport> Run();

 private:
  Status CheckRecord(std::uint64_t seq, std::string_view stored);
  Status CheckEvent(std::uint64_t seq, const std::string& seq_key, std::string_view event_bytes);
  Status ExpectNode(std::uint64_t seq, unsigned level, std::uint64_t index, const Hash& h);
  Status CompareIndexes(const IndexDigests& stored);
  // The stored index digests, read on another thread in a second read
  // transaction while this one scans the records; nullopt if that
  // transaction did not see the same snapshot (a write came in between).
  std::optional<Result<IndexDigests>> DigestOnOtherThread();
  void Add(const char* code, std::uint64_t seq, std::string message) {
    report_.findings.push_back({code, seq, "", std::move(message)});
  }
  void Inconsistent(std::string message) {
    Add(finding::kIndexInconsistent, size_ ? size_ - 1 : 0, std::move(message));
  }

  const Txn& txn_;
  const LmdbEnv* const env_;
  const Tables& t_;
  const AuditOptions& options_;
  AuditReport report_;
  std::uint64_t size_ = 0;
  std::string ledger_id_;
  std::string origin_;  // the ledger's name (the genesis'), its checkpoints' origin
  TableScan tree_;
  std::uint64_t extra_nodes_ = 0;
  CompactRange range_;
  Hash last_hash_{};
  bool have_last_ = false;
  EventKeys keys_scan_;
  v1::Event event_;  // for the events ScanEventKeys leaves to protobuf
  IndexDigests implied_;
  // Small state the quota log needs: roles by actor (a separator's
  // transformations count against its quota), and the quota keys seen.
  std::map<std::string, Role, std::less<>> roles_;
  std::set<std::string, std::less<>> separators_;  // registered as one by any record so far
  std::set<std::string> quota_keys_;
  std::uint64_t lots_created_ = 0;
};

// The next stored node must be (level, index) with hash h: extra nodes
// before it are counted, a missing or different one is reported.
Status IntegrityAuditor::ExpectNode(std::uint64_t seq, unsigned level, std::uint64_t index,
                                    const Hash& h) {
  // TreeKey without the string: u64be last leaf || u8 level.
  char key[9];
  const std::uint64_t last_leaf = ((index + 1) << level) - 1;
  for (int i = 0; i < 8; ++i) key[i] = static_cast<char>(last_leaf >> (56 - 8 * i));
  key[8] = static_cast<char>(level);
  const std::string_view want(key, sizeof key);
  while (tree_.valid() && tree_.key() < want) {
    ++extra_nodes_;
    RETURN_IF_ERROR(tree_.Next());
  }
  const bool found = tree_.valid() && tree_.key() == want;
  if (found && tree_.value() == HashKey(h)) return tree_.Next();
  const std::string s = std::to_string(seq);
  if (level == 0) {
    Add(finding::kIndexInconsistent, seq,
        found ? "record " + s + " differs from the record the Merkle tree committed to: it was "
                "rewritten"
              : "the Merkle tree holds no leaf for record " + s);
  } else {
    Add(finding::kIndexInconsistent, seq,
        "the Merkle tree node (level " + std::to_string(level) + ", index " +
            std::to_string(index) + ") is missing or is not the hash of the records below it");
  }
  return found ? tree_.Next() : Status::Ok();
}

Status IntegrityAuditor::CheckRecord(std::uint64_t seq, std::string_view stored) {
  // The hash covers the stored bytes whether or not they parse, so the
  // chain and the tree are still checked past a damaged record.
  const Hash hash = RecordHash(stored);
  const std::string seq_key = EncodeU64(seq);
  RecordView view;
  Status parsed = ParseRecordView(stored, &view);
  auto s = [seq] { return std::to_string(seq); };
  if (!parsed.ok()) {
    Add(finding::kRecordUnreadable, seq, "record " + s() + " is damaged: " + parsed.message());
  } else {
    if (view.seq != seq) {
      Add(finding::kSequenceMismatch, seq,
          "the record stored at position " + s() + " says it is record " + std::to_string(view.seq) +
              ": records were moved or replayed");
    }
    const Hash expected_prev = have_last_ ? last_hash_ : Hash{};
    if ((seq == 0 || have_last_) && view.prev_hash != expected_prev) {
      Add(finding::kChainLinkBroken, seq,
          "record " + s() + " does not link to the record before it: the log was rewritten, "
          "reordered or truncated here");
    }
  }
  last_hash_ = hash;
  have_last_ = true;
  RETURN_IF_ERROR(ExpectNode(seq, 0, seq, hash));
  Status nodes;
  range_.Append(hash, [&](unsigned level, std::uint64_t index, const Hash& node) {
    if (nodes.ok()) nodes = ExpectNode(seq, level, index, node);
  });
  RETURN_IF_ERROR(nodes);
  if (parsed.ok()) RETURN_IF_ERROR(CheckEvent(seq, seq_key, view.event_bytes));
  return Status::Ok();
}

Status IntegrityAuditor::CheckEvent(std::uint64_t seq, const std::string& seq_key,
                                    std::string_view event_bytes) {
  EventKeys& k = keys_scan_;
  const bool parsed_whole = !ScanEventKeys(event_bytes, &k);
  if (parsed_whole) {
    if (!ParseEventBytes(event_bytes, &event_).ok()) {
      Add(finding::kEventMalformed, seq,
          "the event in record " + std::to_string(seq) + " does not parse");
      return Status::Ok();
    }
    EventKeysOf(event_, &k);
  }
  if (seq == 0 && parsed_whole && event_.has_genesis()) origin_ = event_.genesis().name();
  if (seq == 0 && k.body != v1::Event::kGenesis) {
    Add(finding::kGenesisInvalid, seq, "record 0 is not a genesis record");
  } else if (seq != 0 && k.body == v1::Event::kGenesis) {
    Add(finding::kGenesisInvalid, seq,
        "record " + std::to_string(seq) + " claims to be a second genesis");
  }
  if (k.ledger_id != ledger_id_) {
    Add(finding::kLedgerMismatch, seq,
        "record " + std::to_string(seq) +
            " was signed for another ledger and replayed into this one");
  }
  implied_.event_ids.Add(k.event_id, seq_key);
  for (std::size_t i = 0; i < k.lots.size(); ++i) {
    // A lot named twice by one event is one index entry (the table is a
    // set); the ledger refuses such events, the full audit reports them.
    bool repeated = false;
    for (std::size_t j = 0; j < i && !repeated; ++j) repeated = k.lots[j] == k.lots[i];
    if (!repeated) implied_.lot_index.Add(k.lots[i], seq_key);
    if (!repeated && i >= k.moved) implied_.lot_keys.Add(k.lots[i], "");
  }
  lots_created_ += k.lots.size() - k.moved;
  // Quota uses (QuotaUseOf): every extraction, and a separator's
  // transformations.
  auto quota_entry = [&](const std::string& qk) {
    implied_.quota_log.Add(qk, seq_key);
    if (quota_keys_.insert(qk).second) implied_.quota_keys.Add(qk, "");
  };
  if (k.body == v1::Event::kExtracted) {
    quota_entry(
        QuotaKey(k.actor_id, UtcYear(k.time_seconds), static_cast<QuotaKind>(k.quota_kind)));
  } else if (k.body == v1::Event::kTransformed) {
    // Authority::RegisteredAs: any registration before it, valid or not,
    // as a separator (quota_book.h, QuotaUseAt).
    if (separators_.count(k.actor_id) != 0) {
      quota_entry(QuotaKey(k.actor_id, UtcYear(k.time_seconds), QuotaKind::kSmeltingSeparation));
    }
  }
  if (!parsed_whole) return Status::Ok();

  // Authority events (ScanEventKeys leaves them all to protobuf).
  const v1::Event& ev = event_;
  if (IsAuthorityEvent(ev)) implied_.authority.Add(seq_key, "");
  if (ev.has_actor_registered()) {
    roles_.emplace(ev.actor_registered().actor_id(),
                   static_cast<Role>(ev.actor_registered().role()));
    if (ev.actor_registered().role() == v1::ROLE_SEPARATOR) {
      separators_.insert(ev.actor_registered().actor_id());
    }
  } else if (ev.has_genesis()) {
    roles_.emplace(ev.genesis().root_actor_id(), Role::kRegulator);
  }
  if (ev.has_quota_granted()) {
    const auto& g = ev.quota_granted();
    quota_entry(QuotaKey(g.actor_id(), g.year(), static_cast<QuotaKind>(g.kind())));
  }
  if (ev.has_reversed() && ev.reversed().seq() < seq) {
    // A reversal is listed in the quota log its reversed record used (a
    // random read, for one of the rare reversals).
    ASSIGN_OR_RETURN(auto rb, txn_.Get(t_.records, EncodeU64(ev.reversed().seq())));
    RecordView rview;
    v1::Event rev;
    if (rb && ParseRecordView(*rb, &rview).ok() && ParseEventBytes(rview.event_bytes, &rev).ok()) {
      auto it = roles_.find(rev.actor_id());
      if (auto use = QuotaUseOf(rev, it != roles_.end() ? it->second : Role::kUnspecified)) {
        quota_entry(QuotaKey(use->actor_id, use->year, use->kind));
      }
    }
  }
  return Status::Ok();
}

Status IntegrityAuditor::CompareIndexes(const IndexDigests& stored) {
  auto compare = [&](const IndexDigest& have, const IndexDigest& want, const char* what) {
    if (have == want) return;
    std::string m = std::string("the ") + what + " does not match the records: it has " +
                    std::to_string(have.count()) + " entries";
    m += have.count() == want.count() ? ", as many as the records imply, but not the same ones"
                                      : "; the records imply " + std::to_string(want.count());
    Inconsistent(std::move(m));
  };
  compare(stored.event_ids, implied_.event_ids, "event-id index");
  compare(stored.lot_index, implied_.lot_index, "lot index");
  compare(stored.quota_log, implied_.quota_log, "quota log");
  compare(stored.authority, implied_.authority, "authority index");
  compare(stored.lot_keys, implied_.lot_keys, "lot table");
  compare(stored.quota_keys, implied_.quota_keys, "quota table");
  if (stored.damaged_lots != 0) {
    Inconsistent("the lot table holds " + std::to_string(stored.damaged_lots) +
                 " damaged entries (their seals do not match)");
  }
  if (stored.damaged_quotas != 0) {
    Inconsistent("the quota table holds " + std::to_string(stored.damaged_quotas) +
                 " damaged entries (their seals do not match)");
  }
  return CheckStoredCheckpoints(txn_, origin_, size_, &report_.findings);
}

std::optional<Result<IndexDigests>> IntegrityAuditor::DigestOnOtherThread() {
  std::optional<Result<IndexDigests>> out;
  Status st = env_->Read([&](const Txn& other) -> Status {
    if (mdb_txn_id(other.raw()) != mdb_txn_id(txn_.raw())) return Status::Ok();
    out = DigestStoredIndexes(other);
    return Status::Ok();
  });
  if (!st.ok()) out = st;
  return out;
}

Result<AuditReport> IntegrityAuditor::Run() {
  auto head_or = ReadHead(txn_);
  if (!head_or.ok()) {
    Add(finding::kIndexInconsistent, 0, "the ledger head entry is missing or damaged");
  }
  ASSIGN_OR_RETURN(auto id, txn_.Get(t_.meta, kMetaLedgerId));
  if (id) ledger_id_ = std::string(*id);
  ASSIGN_OR_RETURN(auto last, txn_.Last(t_.records));
  if (last) {
    ASSIGN_OR_RETURN(const std::uint64_t s, DecodeU64Key("records", last->first));
    size_ = s + 1;
  }
  RETURN_IF_ERROR(tree_.First());

  // With a second thread, the index tables are digested there while this
  // thread scans the records and the tree.
  std::optional<Result<IndexDigests>> stored;
  std::thread digester;
  if (env_ != nullptr && ResolveThreads(options_.threads) > 1) {
    try {
      digester = std::thread([this, &stored] { stored = DigestOnOtherThread(); });
    } catch (const std::system_error&) {
      // No thread to be had: this thread digests them after its scan.
    }
  }
  struct Join {
    std::thread& t;
    ~Join() {
      if (t.joinable()) t.join();
    }
  } join{digester};

  std::uint64_t expected_key = 0, done = 0;
  Status scan;
  Status st = txn_.ForEach(t_.records, [&](std::string_view k, std::string_view v) {
    auto s = DecodeU64(k);
    if (!s) {
      Add(finding::kRecordUnreadable, expected_key,
          "the records table has a damaged key \"" + EscapeForDisplay(k) + "\"");
      return true;
    }
    const std::uint64_t seq = *s;
    if (seq != expected_key) {
      Add(finding::kSequenceMismatch, seq,
          "records " + std::to_string(expected_key) + " to " + std::to_string(seq - 1) +
              " are missing from the log");
      have_last_ = false;  // no link to check across the gap
    }
    expected_key = seq + 1;
    if (options_.progress && done % 256 == 0) options_.progress(done, size_);
    ++done;
    scan = CheckRecord(seq, v);
    return scan.ok();
  });
  RETURN_IF_ERROR(st);
  RETURN_IF_ERROR(scan);
  if (options_.progress) options_.progress(done, done);

  while (tree_.valid()) {
    ++extra_nodes_;
    RETURN_IF_ERROR(tree_.Next());
  }
  if (extra_nodes_ != 0) {
    Inconsistent("the Merkle tree has " + std::to_string(extra_nodes_) +
                 " nodes that no record implies");
  }
  if (head_or.ok() && (head_or->size != size_ || (size_ > 0 && head_or->hash != last_hash_))) {
    Inconsistent("the ledger head (size " + std::to_string(head_or->size) +
                 ") does not match the last record (size " + std::to_string(size_) + ")");
  }
  if (digester.joinable()) digester.join();
  if (!stored) stored = DigestStoredIndexes(txn_);
  if (!stored->ok()) return stored->status();
  RETURN_IF_ERROR(CompareIndexes(**stored));

  report_.integrity_only = true;
  report_.records_checked = done;
  report_.signatures_checked = 0;
  report_.lots = lots_created_;
  report_.actors = roles_.size();
  report_.tree_size = size_;
  report_.head_hash = last_hash_;
  report_.root_hash = range_.Root();
  std::stable_sort(report_.findings.begin(), report_.findings.end(),
                   [](const Finding& a, const Finding& b) { return a.seq < b.seq; });
  report_.valid = report_.findings.empty();
  return std::move(report_);
}

}  // namespace

Result<AuditReport> AuditLedgerIntegrity(const Txn& txn, const LmdbEnv* env,
                                         const AuditOptions& options, KeyCache* /*keys*/) {
  // No signature is checked: the key cache is not needed.
  IntegrityAuditor auditor(txn, env, options);
  return auditor.Run();
}

}  // namespace retrace::internal
