// The integrity-only audit: hashes, links, the Merkle tree and the lookup
// indexes, in sequential scans only (docs/verification.md, "Integrity-only
// audit").
#include <atomic>
#include <cstring>
#include <functional>
#include <iterator>
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
#include "util/name_set.h"
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
  // The fingerprint of both multisets together.
  void Merge(const IndexDigest& o) {
    count_ += o.count_;
    sum_ += o.sum_;
    xor_ ^= o.xor_;
  }
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
  // The first entry at or after `key`.
  Status Seek(std::string_view key) {
    key_ = key;
    return Step(MDB_SET_RANGE);
  }
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

  void Merge(const IndexDigests& o) {
    for (auto [a, b] : {std::pair{&event_ids, &o.event_ids}, {&lot_index, &o.lot_index},
                        {&quota_log, &o.quota_log}, {&authority, &o.authority},
                        {&lot_keys, &o.lot_keys}, {&quota_keys, &o.quota_keys}}) {
      a->Merge(*b);
    }
    damaged_lots += o.damaged_lots;
    damaged_quotas += o.damaged_quotas;
  }
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
    if (!LotStateIntact(v, k)) ++d.damaged_lots;
    return true;
  }));
  RETURN_IF_ERROR(txn.ForEach(t.quotas, [&d](std::string_view k, std::string_view v) {
    d.quota_keys.Add(k, "");
    if (!DecodeQuotaTally(v, k).ok()) ++d.damaged_quotas;
    return true;
  }));
  return d;
}

// Who registered as what, as far as the scan has read: the quota log needs
// it (a separator's transformations count against its quota; a reversal is
// listed under the quota its reversed record used).
struct Roles {
  std::map<std::string, Role, std::less<>> roles;
  std::set<std::string, std::less<>> separators;  // registered as one by any record so far
  bool operator==(const Roles& o) const { return roles == o.roles && separators == o.separators; }

  // What a fully parsed event adds.
  void Note(const v1::Event& ev) {
    if (ev.has_actor_registered()) {
      roles.emplace(ev.actor_registered().actor_id(),
                    static_cast<Role>(ev.actor_registered().role()));
      if (ev.actor_registered().role() == v1::ROLE_SEPARATOR) {
        separators.insert(ev.actor_registered().actor_id());
      }
    } else if (ev.has_genesis()) {
      roles.emplace(ev.genesis().root_actor_id(), Role::kRegulator);
    }
  }
};

// What a scan of a run of records carries from one record to the next, and
// what it has found. One scan runs from record 0 to the end; with two
// threads, a second one starts mid-log from the state the first must reach
// there (IntegrityAuditor::Run says how that is checked).
struct ScanState {
  CompactRange range;
  Hash last_hash{};
  bool have_last = false;
  std::uint64_t expected_key = 0;  // the next record key
  std::uint64_t done = 0;          // records read
  std::uint64_t extra_nodes = 0;   // stored tree nodes no record implies
  std::uint64_t lots_created = 0;
  IndexDigests implied;  // but quota_keys: from `quota_keys` when the scans are done
  std::set<std::string> quota_keys;
  Roles roles;
  std::string origin;  // the genesis' name: the checkpoints' origin
  std::vector<Finding> findings;
};

// One scan over the records in key order, with the tree table read side by
// side, inside one read transaction.
class RecordScan {
 public:
  RecordScan(const Txn& txn, const std::string& ledger_id, ScanState* state)
      : txn_(txn), t_(txn.tables()), ledger_id_(ledger_id), st_(*state), tree_(txn, t_.tree) {}

  // Positions the tree cursor on the first node of leaf `first_leaf` (its
  // level-0 entry) or after.
  Status StartTree(std::uint64_t first_leaf) {
    if (first_leaf == 0) return tree_.First();
    return tree_.Seek(TreeKeyBytes(0, first_leaf));
  }
  // Checks the records whose keys sort from `from` (inclusive) to `to`
  // (exclusive; empty: to the end). `tick` hears every record read.
  Status Run(std::string_view from, std::string_view to, const std::function<void()>& tick);
  // Counts the stored tree nodes left before `bound` (empty: all) as extra.
  Status FinishTree(std::string_view bound) {
    while (tree_.valid() && (bound.empty() || tree_.key() < bound)) {
      ++st_.extra_nodes;
      RETURN_IF_ERROR(tree_.Next());
    }
    return Status::Ok();
  }

  // TreeKey without the string: u64be last leaf || u8 level, into `key`.
  static void PutTreeKey(unsigned level, std::uint64_t index, char key[9]) {
    const std::uint64_t last_leaf = ((index + 1) << level) - 1;
    for (int i = 0; i < 8; ++i) key[i] = static_cast<char>(last_leaf >> (56 - 8 * i));
    key[8] = static_cast<char>(level);
  }
  static std::string TreeKeyBytes(unsigned level, std::uint64_t index) {
    char key[9];
    PutTreeKey(level, index, key);
    return std::string(key, sizeof key);
  }

 private:
  Status CheckRecord(std::uint64_t seq, std::string_view stored);
  Status CheckEvent(std::uint64_t seq, const std::string& seq_key, std::string_view event_bytes,
                    bool registry_import);
  Status ExpectNode(std::uint64_t seq, unsigned level, std::uint64_t index, const Hash& h);
  void Add(const char* code, std::uint64_t seq, std::string message) {
    st_.findings.push_back({code, seq, "", std::move(message)});
  }

  const Txn& txn_;
  const Tables& t_;
  const std::string& ledger_id_;
  ScanState& st_;
  TableScan tree_;
  EventKeys keys_scan_;
  NameSet names_;  // the lots the record names, each once
  v1::Event event_;  // for the events ScanEventKeys leaves to protobuf
};

Status RecordScan::Run(std::string_view from, std::string_view to,
                       const std::function<void()>& tick) {
  Cursor cur(txn_, t_.records);
  std::string_view k = from, v;
  ASSIGN_OR_RETURN(bool valid, cur.Get(from.empty() ? MDB_FIRST : MDB_SET_RANGE, &k, &v, "scan"));
  while (valid && (to.empty() || k < to)) {
    if (auto s = DecodeU64(k)) {
      const std::uint64_t seq = *s;
      if (seq != st_.expected_key) {
        Add(finding::kSequenceMismatch, seq,
            "records " + std::to_string(st_.expected_key) + " to " + std::to_string(seq - 1) +
                " are missing from the log");
        st_.have_last = false;  // no link to check across the gap
      }
      st_.expected_key = seq + 1;
      if (tick) tick();
      ++st_.done;
      RETURN_IF_ERROR(CheckRecord(seq, v));
    } else {
      Add(finding::kRecordUnreadable, st_.expected_key,
          "the records table has a damaged key \"" + EscapeForDisplay(k) + "\"");
    }
    ASSIGN_OR_RETURN(valid, cur.Get(MDB_NEXT, &k, &v, "scan"));
  }
  return Status::Ok();
}

// The next stored node must be (level, index) with hash h: extra nodes
// before it are counted, a missing or different one is reported.
Status RecordScan::ExpectNode(std::uint64_t seq, unsigned level, std::uint64_t index,
                              const Hash& h) {
  char key[9];
  PutTreeKey(level, index, key);
  const std::string_view want(key, sizeof key);
  while (tree_.valid() && tree_.key() < want) {
    ++st_.extra_nodes;
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

Status RecordScan::CheckRecord(std::uint64_t seq, std::string_view stored) {
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
    const Hash expected_prev = st_.have_last ? st_.last_hash : Hash{};
    if ((seq == 0 || st_.have_last) && view.prev_hash != expected_prev) {
      Add(finding::kChainLinkBroken, seq,
          "record " + s() + " does not link to the record before it: the log was rewritten, "
          "reordered or truncated here");
    }
  }
  st_.last_hash = hash;
  st_.have_last = true;
  RETURN_IF_ERROR(ExpectNode(seq, 0, seq, hash));
  Status nodes;
  st_.range.Append(hash, [&](unsigned level, std::uint64_t index, const Hash& node) {
    if (nodes.ok()) nodes = ExpectNode(seq, level, index, node);
  });
  RETURN_IF_ERROR(nodes);
  if (parsed.ok()) {
    // An import record carries the registry's record, proof and all, and
    // its derived entries are those of the registry's event; its own hash
    // (above) covers every byte of both (docs/federation.md).
    Status resolved = ResolveRegistryRecord(&view);
    if (!resolved.ok()) {
      Add(finding::kRegistryImportInvalid, seq,
          "record " + s() + " is an import record, but " + resolved.message());
      return Status::Ok();
    }
    RETURN_IF_ERROR(CheckEvent(seq, seq_key, view.event_bytes, view.registry_import));
  }
  return Status::Ok();
}

Status RecordScan::CheckEvent(std::uint64_t seq, const std::string& seq_key,
                             std::string_view event_bytes, bool registry_import) {
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
  if (seq == 0 && parsed_whole && event_.has_genesis()) st_.origin = event_.genesis().name();
  if (seq == 0 && k.body != v1::Event::kGenesis) {
    Add(finding::kGenesisInvalid, seq, "record 0 is not a genesis record");
  } else if (seq != 0 && k.body == v1::Event::kGenesis) {
    Add(finding::kGenesisInvalid, seq,
        "record " + std::to_string(seq) + " claims to be a second genesis");
  }
  if (k.ledger_id != ledger_id_ && !registry_import) {
    Add(finding::kLedgerMismatch, seq,
        "record " + std::to_string(seq) +
            " was signed for another ledger and replayed into this one");
  }
  st_.implied.event_ids.Add(k.event_id, seq_key);
  names_.Clear();
  for (std::size_t i = 0; i < k.lots.size(); ++i) {
    // A lot named twice by one event is one index entry (the table is a
    // set); the ledger refuses such events, the full audit reports them.
    if (!names_.Insert(k.lots[i])) continue;
    st_.implied.lot_index.Add(k.lots[i], seq_key);
    if (i >= k.moved) st_.implied.lot_keys.Add(k.lots[i], "");
  }
  st_.lots_created += k.lots.size() - k.moved;
  // Quota uses (QuotaUseOf): every extraction, and a separator's
  // transformations.
  auto quota_entry = [&](const std::string& qk) {
    st_.implied.quota_log.Add(qk, seq_key);
    st_.quota_keys.insert(qk);
  };
  if (k.body == v1::Event::kExtracted) {
    quota_entry(
        QuotaKey(k.actor_id, UtcYear(k.time_seconds), static_cast<QuotaKind>(k.quota_kind)));
  } else if (k.body == v1::Event::kTransformed) {
    // Authority::RegisteredAs: any registration before it, valid or not,
    // as a separator (quota_book.h, QuotaUseAt).
    if (st_.roles.separators.count(k.actor_id) != 0) {
      quota_entry(QuotaKey(k.actor_id, UtcYear(k.time_seconds), QuotaKind::kSmeltingSeparation));
    }
  }
  if (!parsed_whole) return Status::Ok();

  // Authority events (ScanEventKeys leaves them all to protobuf).
  const v1::Event& ev = event_;
  if (IsAuthorityEvent(ev)) st_.implied.authority.Add(seq_key, "");
  st_.roles.Note(ev);
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
      auto it = st_.roles.roles.find(rev.actor_id());
      if (auto use = QuotaUseOf(rev, it != st_.roles.roles.end() ? it->second
                                                                  : Role::kUnspecified)) {
        quota_entry(QuotaKey(use->actor_id, use->year, use->kind));
      }
    }
  }
  return Status::Ok();
}

class IntegrityAuditor {
 public:
  IntegrityAuditor(const Txn& txn, const LmdbEnv* env, const AuditOptions& options)
      : txn_(txn), env_(env), t_(txn.tables()), options_(options) {}

  Result<AuditReport> Run();
  bool halves_joined() const { return halves_joined_; }

 private:
  // The state the scan of the records before `split` must end in, as the
  // stored tree, the record before the split and the authority index's
  // records say: nullopt if they cannot say (a node or that record missing
  // or damaged).
  Result<std::optional<ScanState>> StateAt(const Txn& txn, std::uint64_t split);
  // On the second thread, in a second read transaction of the same
  // snapshot: digests the index tables into `stored`, then scans the
  // records from `split` on from StateAt(split), copied into `start` before
  // the scan changes it. Neither if that transaction saw another snapshot
  // (a write came in); no scan if StateAt could not say.
  Status SecondThread(std::uint64_t split, std::optional<ScanState>* start,
                      std::optional<ScanState>* state, std::optional<Result<IndexDigests>>* stored);
  Status CompareIndexes(const IndexDigests& stored, const IndexDigests& implied,
                        const std::string& origin, std::vector<Finding>* findings);

  const Txn& txn_;
  const LmdbEnv* const env_;
  const Tables& t_;
  const AuditOptions& options_;
  std::uint64_t size_ = 0;
  std::string ledger_id_;
  std::atomic<std::uint64_t> second_done_{0};
  bool halves_joined_ = false;
};

Result<std::optional<ScanState>> IntegrityAuditor::StateAt(const Txn& txn, std::uint64_t split) {
  std::optional<ScanState> none;
  ScanState st;
  ASSIGN_OR_RETURN(auto prev, txn.Get(t_.records, EncodeU64(split - 1)));
  if (!prev) return none;
  st.last_hash = RecordHash(*prev);
  st.have_last = true;
  st.expected_key = split;
  st.done = split;
  // The Merkle state after `split` leaves: the stored roots of the perfect
  // subtrees of split's binary decomposition, largest first.
  std::vector<Hash> stack;
  std::uint64_t begin = 0;
  for (int level = 63; level >= 0; --level) {
    const std::uint64_t width = std::uint64_t{1} << level;
    if ((split & width) == 0) continue;
    ASSIGN_OR_RETURN(auto node, txn.Get(t_.tree, RecordScan::TreeKeyBytes(
                                                     static_cast<unsigned>(level), begin >> level)));
    if (!node || node->size() != 32) return none;
    Hash h;
    std::memcpy(h.data(), node->data(), 32);
    stack.push_back(h);
    begin += width;
  }
  st.range = CompactRange(split, std::move(stack));
  // Who registered as what before the split: the genesis, and the records
  // the authority index names (registrations are authority events).
  v1::Event ev;
  auto note = [&](std::string_view key) -> Status {
    ASSIGN_OR_RETURN(auto rb, txn.Get(t_.records, key));
    RecordView view;
    // An imported registration is the registry record's event.
    if (rb && ParseRecordView(*rb, &view).ok() && ResolveRegistryRecord(&view).ok() &&
        ParseEventBytes(view.event_bytes, &ev).ok()) {
      st.roles.Note(ev);
    }
    return Status::Ok();
  };
  RETURN_IF_ERROR(note(EncodeU64(0)));
  Cursor cur(txn, t_.authority);
  std::string_view k, v;
  const std::string end = EncodeU64(split);
  ASSIGN_OR_RETURN(bool valid, cur.Get(MDB_FIRST, &k, &v, "authority"));
  while (valid && k < end) {
    RETURN_IF_ERROR(note(k));
    ASSIGN_OR_RETURN(valid, cur.Get(MDB_NEXT, &k, &v, "authority"));
  }
  return std::optional<ScanState>(std::move(st));
}

Status IntegrityAuditor::SecondThread(std::uint64_t split, std::optional<ScanState>* start,
                                      std::optional<ScanState>* state,
                                      std::optional<Result<IndexDigests>>* stored) {
  return env_->Read([&](const Txn& other) -> Status {
    if (mdb_txn_id(other.raw()) != mdb_txn_id(txn_.raw())) return Status::Ok();
    *stored = DigestStoredIndexes(other);
    ASSIGN_OR_RETURN(*start, StateAt(other, split));
    if (!*start) return Status::Ok();
    state->emplace(**start);
    RecordScan scan(other, ledger_id_, &**state);
    RETURN_IF_ERROR(scan.StartTree(split));
    RETURN_IF_ERROR(scan.Run(EncodeU64(split), "", [this] {
      second_done_.fetch_add(1, std::memory_order_relaxed);
    }));
    return scan.FinishTree("");
  });
}

Status IntegrityAuditor::CompareIndexes(const IndexDigests& stored, const IndexDigests& implied,
                                        const std::string& origin,
                                        std::vector<Finding>* findings) {
  auto inconsistent = [&](std::string message) {
    findings->push_back(
        {finding::kIndexInconsistent, size_ ? size_ - 1 : 0, "", std::move(message)});
  };
  auto compare = [&](const IndexDigest& have, const IndexDigest& want, const char* what) {
    if (have == want) return;
    std::string m = std::string("the ") + what + " does not match the records: it has " +
                    std::to_string(have.count()) + " entries";
    m += have.count() == want.count() ? ", as many as the records imply, but not the same ones"
                                      : "; the records imply " + std::to_string(want.count());
    inconsistent(std::move(m));
  };
  compare(stored.event_ids, implied.event_ids, "event-id index");
  compare(stored.lot_index, implied.lot_index, "lot index");
  compare(stored.quota_log, implied.quota_log, "quota log");
  compare(stored.authority, implied.authority, "authority index");
  compare(stored.lot_keys, implied.lot_keys, "lot table");
  compare(stored.quota_keys, implied.quota_keys, "quota table");
  if (stored.damaged_lots != 0) {
    inconsistent("the lot table holds " + std::to_string(stored.damaged_lots) +
                 " damaged entries (their seals do not match)");
  }
  if (stored.damaged_quotas != 0) {
    inconsistent("the quota table holds " + std::to_string(stored.damaged_quotas) +
                 " damaged entries (their seals do not match)");
  }
  return CheckStoredCheckpoints(txn_, origin, size_, findings);
}

// With one thread, one scan reads every record and tree node in key order,
// then the index tables are digested. With two (and the environment), the
// second thread, in a second read transaction of the same snapshot,
// digests the index tables and then scans the records from the split point
// on, starting from the state the stored tree, the record before the split
// and the authority index say the first scan will end in; this thread
// scans the records before the split. When both are done, the first scan's
// end state must be the second's start (same records read, same Merkle
// stack, same last hash, same roles). If it is, the two scans together
// made exactly the checks and findings of one scan from 0 to the end; if it
// is not (damage near the split, a damaged node of the decomposition, a
// damaged authority index), the second scan's results are dropped and this
// thread's scan goes on past the split as the one-thread audit does. The
// report is the same either way.
Result<AuditReport> IntegrityAuditor::Run() {
  AuditReport report;
  auto head_or = ReadHead(txn_);
  if (!head_or.ok()) {
    report.findings.push_back(
        {finding::kIndexInconsistent, 0, "", "the ledger head entry is missing or damaged"});
  }
  ASSIGN_OR_RETURN(auto id, txn_.Get(t_.meta, kMetaLedgerId));
  if (id) ledger_id_ = std::string(*id);
  ASSIGN_OR_RETURN(auto last, txn_.Last(t_.records));
  if (last) {
    ASSIGN_OR_RETURN(const std::uint64_t s, DecodeU64Key("records", last->first));
    size_ = s + 1;
  }

  const std::uint64_t split = IntegritySplitPoint(size_);
  std::optional<ScanState> start, second;
  std::optional<Result<IndexDigests>> stored;
  Status second_status;
  std::thread worker;
  if (env_ != nullptr && ResolveThreads(options_.threads) > 1 && split > 0) {
    try {
      worker = std::thread(
          [this, split, &start, &second, &stored, &second_status] {
            second_status = SecondThread(split, &start, &second, &stored);
          });
    } catch (const std::system_error&) {
      // No thread to be had: this thread does it all.
    }
  }
  struct Join {
    std::thread& t;
    ~Join() {
      if (t.joinable()) t.join();
    }
  } join{worker};

  ScanState first;
  RecordScan scan(txn_, ledger_id_, &first);
  RETURN_IF_ERROR(scan.StartTree(0));
  std::uint64_t ticks = 0;
  auto tick = [&] {
    if (options_.progress && ticks % 256 == 0) {
      options_.progress(ticks + second_done_.load(std::memory_order_relaxed), size_);
    }
    ++ticks;
  };
  const bool split_run = worker.joinable();
  const std::string split_key = EncodeU64(split);
  RETURN_IF_ERROR(scan.Run("", split_run ? std::string_view(split_key) : std::string_view(), tick));
  if (split_run) {
    worker.join();
    RETURN_IF_ERROR(second_status);
    const bool joined = second && start && first.done == split &&
                        first.expected_key == split && first.have_last &&
                        first.last_hash == start->last_hash && first.range == start->range &&
                        first.roles == start->roles;
    halves_joined_ = joined;
    if (joined) {
      // The tree nodes before the split's first leaf that no record implied.
      RETURN_IF_ERROR(scan.FinishTree(RecordScan::TreeKeyBytes(0, split)));
      ScanState& b = *second;
      first.findings.insert(first.findings.end(), std::make_move_iterator(b.findings.begin()),
                            std::make_move_iterator(b.findings.end()));
      first.extra_nodes += b.extra_nodes;
      first.lots_created += b.lots_created;
      first.implied.Merge(b.implied);
      first.quota_keys.merge(b.quota_keys);
      first.roles = std::move(b.roles);
      first.range = std::move(b.range);
      first.last_hash = b.last_hash;
      first.have_last = b.have_last;
      first.done = b.done;
      first.expected_key = b.expected_key;
    } else {
      // The second scan started from a state the first did not reach: go on
      // from where the first one is (its records no longer count as done).
      second_done_.store(0, std::memory_order_relaxed);
      RETURN_IF_ERROR(scan.Run(split_key, "", tick));
      RETURN_IF_ERROR(scan.FinishTree(""));
    }
  } else {
    RETURN_IF_ERROR(scan.FinishTree(""));
  }
  const std::uint64_t done = first.done;
  if (options_.progress) options_.progress(done, done);
  for (const std::string& qk : first.quota_keys) first.implied.quota_keys.Add(qk, "");

  std::vector<Finding>& findings = report.findings;
  findings.insert(findings.end(), std::make_move_iterator(first.findings.begin()),
                  std::make_move_iterator(first.findings.end()));
  auto inconsistent = [&](std::string message) {
    findings.push_back(
        {finding::kIndexInconsistent, size_ ? size_ - 1 : 0, "", std::move(message)});
  };
  if (first.extra_nodes != 0) {
    inconsistent("the Merkle tree has " + std::to_string(first.extra_nodes) +
                 " nodes that no record implies");
  }
  if (head_or.ok() &&
      (head_or->size != size_ || (size_ > 0 && head_or->hash != first.last_hash))) {
    inconsistent("the ledger head (size " + std::to_string(head_or->size) +
                 ") does not match the last record (size " + std::to_string(size_) + ")");
  }
  if (!stored) stored = DigestStoredIndexes(txn_);
  if (!stored->ok()) return stored->status();
  RETURN_IF_ERROR(CompareIndexes(**stored, first.implied, first.origin, &findings));

  report.integrity_only = true;
  report.records_checked = done;
  report.signatures_checked = 0;
  report.lots = first.lots_created;
  report.actors = first.roles.roles.size();
  report.tree_size = size_;
  report.head_hash = first.last_hash;
  report.root_hash = first.range.Root();
  std::stable_sort(findings.begin(), findings.end(),
                   [](const Finding& a, const Finding& b) { return a.seq < b.seq; });
  report.valid = findings.empty();
  return report;
}
}  // namespace

std::uint64_t IntegritySplitPoint(std::uint64_t size) {
  // The second thread digests the index tables first (a few entries per
  // record, each far cheaper than a record's check), so it takes fewer of
  // the records.
  // Measured at 100,000 records (docs/performance.md, run P2): the digests
  // cost about a quarter of the scan, so 5/8 of the records go to the
  // first thread.
  return size < 2 ? 0 : size * 5 / 8;
}

Result<AuditReport> AuditLedgerIntegrity(const Txn& txn, const LmdbEnv* env,
                                         const AuditOptions& options, KeyCache* /*keys*/,
                                         bool* halves_joined) {
  // No signature is checked: the key cache is not needed.
  IntegrityAuditor auditor(txn, env, options);
  auto r = auditor.Run();
  if (halves_joined != nullptr) *halves_joined = auditor.halves_joined();
  return r;
}

}  // namespace retrace::internal
