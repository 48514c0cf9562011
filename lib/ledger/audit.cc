#include "ledger/audit.h"
#include "ledger/foreign_store.h"

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <set>

#include "ledger/checkpoint_log.h"
#include "ledger/lot_cache.h"
#include "ledger/lot_history.h"
#include "ledger/state.h"
#include "ledger/txn_store.h"
#include "model/proto_convert.h"
#include "model/record.h"
#include "retrace/merkle.h"
#include "rules/authority.h"
#include "rules/quota_book.h"
#include "rules/rules.h"
#include "util/escape.h"
#include "util/name_set.h"
#include "util/status_macros.h"
#include "util/thread_pool.h"
#include "verify/load_authority.h"
#include "verify/record_checker.h"

namespace retrace::internal {
namespace {

std::string_view HashKey(const Hash& h) {
  return std::string_view(reinterpret_cast<const char*>(h.data()), h.size());
}

// A cursor on a dupsort index (key -> u64be seq: the lot index, the quota
// log), open for the whole audit.
class DupIndexCursor {
 public:
  DupIndexCursor(const Txn& txn, MDB_dbi dbi) : cur_(txn, dbi) {}
  // Whether the index lists `seq` under `lot`, and if so whether it is the
  // key's last entry.
  struct Probe {
    bool listed = false;
    bool last = false;
  };
  Result<Probe> Find(std::string_view lot, std::uint64_t seq) {
    Probe p;
    if (lot.empty() || lot.size() > kMaxTableKey) return p;
    const std::string v = EncodeU64(seq);
    std::string_view k = lot, d = v;
    ASSIGN_OR_RETURN(p.listed, cur_.Get(MDB_GET_BOTH, &k, &d, "read index"));
    if (!p.listed) return p;
    ASSIGN_OR_RETURN(bool more, cur_.Get(MDB_NEXT_DUP, &k, &d, "read index"));
    p.last = !more;
    return p;
  }

 private:
  Cursor cur_;
};

// The store the audit builds its book from: the ledger's, except that an
// authority index key that is no record number is a finding, not an error.
// The audit reports damage instead of stopping at it; append and VerifyLot
// refuse to decide anything with such an index (BookCache, TxnRecordStore).
class AuditAuthorityStore final : public RecordStore {
 public:
  AuditAuthorityStore(const TxnRecordStore& store, const Txn& txn, std::vector<Finding>* findings)
      : store_(store), txn_(txn), findings_(findings) {}
  std::uint64_t Size() const override { return store_.Size(); }
  Result<std::optional<std::string>> RecordBytes(std::uint64_t seq) const override {
    return store_.RecordBytes(seq);
  }
  bool LendsRecords() const override { return store_.LendsRecords(); }
  Result<std::optional<std::string_view>> RecordBytesView(std::uint64_t seq) const override {
    return store_.RecordBytesView(seq);
  }
  Result<std::vector<std::uint64_t>> LotSeqs(std::string_view lot_id) const override {
    return store_.LotSeqs(lot_id);
  }
  Result<std::optional<Hash>> CommittedLeaf(std::uint64_t seq) const override {
    return store_.CommittedLeaf(seq);
  }
  Result<std::vector<std::uint64_t>> QuotaLog(std::string_view quota_key) const override {
    return store_.QuotaLog(quota_key);
  }
  Result<std::vector<std::uint64_t>> AuthoritySeqs() const override {
    std::vector<std::uint64_t> out;
    std::uint64_t damaged = 0;
    RETURN_IF_ERROR(txn_.ForEach(txn_.tables().authority, [&](std::string_view k, std::string_view) {
      if (auto seq = DecodeU64(k)) {
        if (*seq < store_.Size()) out.push_back(*seq);
      } else {
        ++damaged;
      }
      return true;
    }));
    if (damaged != 0) {
      findings_->push_back({finding::kIndexInconsistent, store_.Size() ? store_.Size() - 1 : 0, "",
                            "the authority index holds " + std::to_string(damaged) +
                                " keys that are not record numbers"});
    }
    return out;
  }

 private:
  const TxnRecordStore& store_;
  const Txn& txn_;
  std::vector<Finding>* findings_;
};

class Auditor {
 public:
  Auditor(const Txn& txn, const AuditOptions& options, std::size_t lot_cache_size,
          KeyCache* keys)
      : txn_(txn),
        t_(txn.tables()),
        options_(options),
        keys_cache_(keys),
        lots_(lot_cache_size),
        lot_index_(txn, txn.tables().lot_index),
        quota_index_(txn, txn.tables().quota_log) {}

  Result<AuditReport> Run();

 private:
  // What has counted against one quota key, as the records imply it.
  struct Tally {
    QuotaTally stored;  // used, entries, last_seq
  };
  // A quota use -- or a reversal's release of one -- whose counting waits
  // for the signature checks of its chunk.
  struct PendingUse {
    std::uint64_t seq;
    std::string quota_key;
    QuotaUse use;     // a release: the released use
    std::string lot_id;
    bool authorized;  // everything but the signature, which may still fail
    bool release = false;
    std::uint64_t releases = 0;  // a release: the reversed record
  };

  Status CheckRecord(std::uint64_t seq, std::string_view bytes);
  Result<LotView*> LoadLot(std::string_view id, std::uint64_t before_seq);
  Status CheckFinalLotState(const LotView& lot);
  // Counts the uses of a chunk whose signatures are all checked, in order.
  void CountUses(std::vector<PendingUse>* uses);
  Status CheckTables();
  void Inconsistent(std::string msg) {
    report_.findings.push_back(
        {finding::kIndexInconsistent, size_ ? size_ - 1 : 0, "", std::move(msg)});
  }

  const Txn& txn_;
  const Tables& t_;
  const AuditOptions options_;
  const std::int64_t now_ = Now().seconds;  // for time_in_future
  KeyCache* const keys_cache_;
  AuditReport report_;
  std::uint64_t size_ = 0;
  std::unique_ptr<TxnRecordStore> store_;
  std::shared_ptr<const Authority> book_;
  std::unique_ptr<RecordChecker> checker_;

  LotCache lots_;
  DupIndexCursor lot_index_;
  DupIndexCursor quota_index_;
  // Regulatory state: grows with quota keys (actor x year x kind), never
  // with custody records.
  std::map<std::string, Tally> quotas_;
  std::vector<PendingUse> uses_scanning_;  // the chunk being scanned
  // Cross-ledger receipts (seq, bundle SHA-256): their bundles must be held.
  std::vector<std::pair<std::uint64_t, Hash>> receipts_;
  std::vector<PendingUse> uses_checking_;  // the chunk whose signatures are being checked
  // Per-record scratch of CheckRecord, kept so that its memory is reused:
  // the lots the record touches and creates (views into its event), their
  // states before it, and the lots whose stored state is compared after it.
  std::vector<std::string_view> touched_;
  std::vector<const v1::Lot*> created_;
  std::vector<LotView> before_;
  std::vector<const LotView*> ins_;
  NameSet names_;  // the lots the record has named so far
  std::vector<std::string_view> finals_;
  std::uint64_t quota_log_entries_ = 0;  // (quota key, record) pairs the records imply
  std::uint64_t authority_records_ = 0;  // authority records the records hold
  std::uint64_t lots_created_ = 0;
  std::uint64_t lot_index_entries_ = 0;  // (lot, record) pairs the records imply
  std::uint64_t event_ids_matched_ = 0;  // records the event-id index maps to
  std::string origin_;                   // the ledger's name, from the genesis
  CompactRange range_;
  Hash last_hash_{};
};

// The state of lot `id` just before record `before_seq`, from the cache or
// rebuilt by replaying the lot's earlier records (as the lot index lists
// them; the index itself is checked record by record). nullptr if no earlier
// record created the lot.
Result<LotView*> Auditor::LoadLot(std::string_view id, std::uint64_t before_seq) {
  if (LotView* v = lots_.Find(id)) return v;
  if (lots_.complete()) return static_cast<LotView*>(nullptr);
  ASSIGN_OR_RETURN(std::vector<std::uint64_t> seqs, store_->LotSeqs(id));
  std::optional<LotView> state;
  Violations ignored;  // reported when those records were scanned
  std::deque<v1::Event> events;
  LotUndoStack undo;
  for (std::uint64_t s : seqs) {
    if (s >= before_seq) break;
    ASSIGN_OR_RETURN(auto bytes, txn_.Get(t_.records, EncodeU64(s)));
    if (!bytes) continue;
    auto rec = DecodeRecord(*bytes);
    if (!rec.ok()) continue;
    v1::Event& ev = events.emplace_back();
    if (!ParseEventBytes(rec->event_bytes, &ev).ok() || !ValidateEventProto(ev).ok()) continue;
    if (!state) {
      for (const v1::Lot* l : LotsCreated(ev)) {
        if (l->lot_id() == id) state = NewLot(*l, ev.actor_id(), s, rec->hash, ev.time().seconds());
      }
      if (state) undo.Push(s, rec->hash, &ev);
      continue;
    }
    ApplyToLot(ev, ev.actor_id(), s, rec->hash, &*state, &ignored, -1,
               ev.has_reversed() ? undo.Top() : nullptr);
    undo.Feed(s, rec->hash, &ev);
  }
  if (!state) return static_cast<LotView*>(nullptr);
  return lots_.Insert(std::move(*state));
}

namespace {
// The fields of two lot states that differ, named.
std::string LotDifference(const LotView& want, const LotView& have) {
  std::vector<std::string> d;
  auto num = [&](const char* name, std::uint64_t w, std::uint64_t h) {
    if (w != h) d.push_back(std::string(name) + " " + std::to_string(h) + " (the records imply " +
                            std::to_string(w) + ")");
  };
  auto str = [&](const char* name, const std::string& w, const std::string& h) {
    if (w != h) d.push_back(std::string(name) + " \"" + EscapeForDisplay(h, 64) +
                            "\" (the records imply \"" + EscapeForDisplay(w, 64) + "\")");
  };
  str("lot id", want.lot_id, have.lot_id);
  num("material", static_cast<std::uint64_t>(want.material), static_cast<std::uint64_t>(have.material));
  num("mass_g", want.mass_g, have.mass_g);
  num("remaining_g", want.remaining_g, have.remaining_g);
  str("custodian", want.custodian, have.custodian);
  str("in transit to", want.in_transit_to, have.in_transit_to);
  str("status", LotStatusName(want.status), LotStatusName(have.status));
  if (want.head_hash != have.head_hash) d.push_back("head hash");
  num("head seq", want.head_seq, have.head_seq);
  num("created seq", want.created_seq, have.created_seq);
  num("shipped mass_g", want.shipped_mass_g, have.shipped_mass_g);
  str("creator", want.creator, have.creator);
  if (want.head_time != have.head_time) {
    d.push_back("head time " + std::to_string(have.head_time) + " (the records imply " +
                std::to_string(want.head_time) + ")");
  }
  if (want.content.size() != have.content.size()) {
    d.push_back("content");
  } else {
    for (std::size_t i = 0; i < want.content.size(); ++i) {
      if (want.content[i].element != have.content[i].element ||
          want.content[i].grams != have.content[i].grams) {
        d.push_back("content");
        break;
      }
    }
  }
  std::string out;
  for (const std::string& x : d) out += (out.empty() ? "" : ", ") + x;
  return out.empty() ? "its encoding" : out;
}

}  // namespace

Status Auditor::CheckFinalLotState(const LotView& lot) {
  ASSIGN_OR_RETURN(auto stored, txn_.Get(t_.lots, lot.lot_id));
  if (!stored) {
    report_.findings.push_back({finding::kIndexInconsistent, lot.head_seq, lot.lot_id,
                                "the lot table has no entry for lot " + EscapeForDisplay(lot.lot_id)});
    return Status::Ok();
  }
  if (LotStateEncodes(lot, *stored)) return Status::Ok();
  Result<LotView> have = DecodeLotState(*stored, lot.lot_id);
  report_.findings.push_back(
      {finding::kIndexInconsistent, lot.head_seq, lot.lot_id,
       "the lot table's entry for lot " + EscapeForDisplay(lot.lot_id) +
           (have.ok() ? " differs from what its records imply: " + LotDifference(lot, *have)
                      : " is damaged (its seal does not match, or it is not this lot's state)")});
  return Status::Ok();
}

void Auditor::CountUses(std::vector<PendingUse>* uses) {
  for (PendingUse& u : *uses) {
    // A use counts if its record is valid: signer, role, and signature.
    if (!u.authorized || checker_->SignatureFailed(u.seq)) continue;
    QuotaTally& q = quotas_[u.quota_key].stored;
    if (u.release) {
      // The reversed use, if it counted, counts no more.
      if (!checker_->SignatureFailed(u.releases)) q.used -= std::min<unsigned __int128>(q.used, u.use.reo_g);
      continue;
    }
    Violations vs;
    CheckQuotaUse(u.use, book_->GrantAt(u.quota_key, u.seq), q.used, u.lot_id, &vs);
    for (auto& v : vs) report_.findings.push_back({v.code, u.seq, v.lot_id, v.message});
    q.used += u.use.reo_g;
  }
  uses->clear();
}

Status Auditor::CheckRecord(std::uint64_t seq, std::string_view bytes) {
  ASSIGN_OR_RETURN(const CheckedRecord* c, checker_->Check(seq, bytes));
  const Hash hash = c->record.hash;
  if (!c->record.stored.empty()) {
    last_hash_ = hash;
    // Every stored inner node must be the hash of the records below it:
    // RootAt reads only the few largest ones, proofs read the rest.
    Status node_status;
    range_.Append(hash, [&](unsigned level, std::uint64_t index, const Hash& expected) {
      auto stored = txn_.Get(t_.tree, TreeKey(level, index));
      if (!stored.ok()) {
        node_status = stored.status();
        return;
      }
      if (!*stored || **stored != HashKey(expected)) {
        report_.findings.push_back(
            {finding::kIndexInconsistent, seq, "",
             "the Merkle tree node (level " + std::to_string(level) + ", index " +
                 std::to_string(index) + ") is missing or is not the hash of the records "
                 "below it"});
      }
    });
    RETURN_IF_ERROR(node_status);
  }
  if (!c->parsed) {
    checker_->Release(seq);
    return Status::Ok();
  }
  const auto& ev = c->event();
  const std::string& actor = ev.actor_id();
  const std::string seq_key = EncodeU64(seq);
  if (seq == 0 && ev.has_genesis()) origin_ = ev.genesis().name();

  // Event ids: the index maps each id to one record, so a record the index
  // maps its own id to is the only one with that id. Another record under
  // the same id is a replay; anything else is a damaged index.
  ASSIGN_OR_RETURN(auto ev_idx, txn_.Get(t_.event_ids, ev.event_id()));
  std::optional<std::uint64_t> owner;
  if (ev_idx) owner = DecodeU64(*ev_idx);
  if (owner && *owner == seq) {
    ++event_ids_matched_;
  } else {
    bool replay = false;
    if (owner && *owner < size_) {
      ASSIGN_OR_RETURN(auto other, txn_.Get(t_.records, EncodeU64(*owner)));
      if (other) {
        auto rec = DecodeRecord(*other);
        v1::Event oev;
        replay = rec.ok() && ParseEventBytes(rec->event_bytes, &oev).ok() &&
                 oev.event_id() == ev.event_id();
      }
    }
    if (replay) {
      report_.findings.push_back({finding::kDuplicateEventId, seq, "",
                                  "event id " + EscapeForDisplay(ev.event_id()) +
                                      " is used twice: a replayed event"});
    } else {
      report_.findings.push_back({finding::kIndexInconsistent, seq, "",
                                  "the event-id index does not map " +
                                      EscapeForDisplay(ev.event_id()) + " to record " +
                                      std::to_string(seq)});
    }
  }

  // The authority index lists every authority record.
  if (IsAuthorityEvent(ev)) {
    ++authority_records_;
    ASSIGN_OR_RETURN(auto listed, txn_.Get(t_.authority, seq_key));
    if (!listed) {
      report_.findings.push_back({finding::kIndexInconsistent, seq, "",
                                  "the authority index does not list record " + std::to_string(seq) +
                                      ", an authority record"});
    }
  }

  // Quota log membership, like the lot index: probed, and counted.
  auto quota_entry = [&](const std::string& qk) -> Status {
    ++quota_log_entries_;
    QuotaTally& q = quotas_[qk].stored;
    ++q.entries;
    q.last_seq = seq;
    ASSIGN_OR_RETURN(auto probe, quota_index_.Find(qk, seq));
    if (!probe.listed) {
      report_.findings.push_back({finding::kIndexInconsistent, seq, "",
                                  "the quota log of " + QuotaKeyName(qk) + " does not list record " +
                                      std::to_string(seq)});
    }
    return Status::Ok();
  };
  if (ev.has_quota_granted()) {
    const auto& g = ev.quota_granted();
    RETURN_IF_ERROR(quota_entry(QuotaKey(g.actor_id(), g.year(), static_cast<QuotaKind>(g.kind()))));
  }
  Violations vs;
  if (auto use = QuotaUseAt(*book_, ev, seq)) {
    std::string qk = QuotaKey(use->actor_id, use->year, use->kind);
    RETURN_IF_ERROR(quota_entry(qk));
    std::string lot = ev.has_extracted() ? ev.extracted().lot().lot_id()
                                         : ev.transformed().outputs(0).lot_id();
    // Counted once the chunk's signatures are known (CountUses).
    uses_scanning_.push_back({seq, std::move(qk), std::move(*use), std::move(lot),
                              c->authorized && UseRoleCounts(*book_, ev, seq)});
  }
  if (ev.has_extracted()) {  // the only kind CheckLicence judges
    static const std::string kNoLicence;
    const ActorEntry* mine = book_->ActorAt(actor, seq);
    CheckLicence(ev, mine != nullptr ? mine->licence : kNoLicence, &vs);
  }
  // A reversal: the record it reverses (read here, not through the checker,
  // which has released it), its rules, and the quota it frees.
  std::optional<v1::Event> reversed;
  if (ev.has_reversed()) {
    const std::uint64_t r = ev.reversed().seq();
    Hash reversed_hash{};
    std::string reversed_key;
    if (r < seq) {
      ASSIGN_OR_RETURN(auto rb, txn_.Get(t_.records, EncodeU64(r)));
      RecordView rview;
      v1::Event rev;
      if (rb && ParseRecordView(*rb, &rview).ok() && ParseEventBytes(rview.event_bytes, &rev).ok()) {
        reversed_hash = RecordHash(*rb);
        reversed_key = std::string(rview.key_id);
        reversed = std::move(rev);
      }
    }
    CheckReversal(ev, c->signer_role, reversed ? &*reversed : nullptr, reversed_hash, &vs);
    if (reversed) {
      if (auto use = QuotaUseAt(*book_, *reversed, r)) {
        std::string qk = QuotaKey(use->actor_id, use->year, use->kind);
        RETURN_IF_ERROR(quota_entry(qk));
        PendingUse release{seq, std::move(qk), std::move(*use), "", c->authorized &&
                           UseCounts(*book_, *reversed, reversed_key, r)};
        release.release = true;
        release.releases = r;
        uses_scanning_.push_back(std::move(release));
      }
    }
  }
  // Only a reversal reads a lot's history (rare): no deque for the rest.
  std::optional<std::deque<v1::Event>> history;  // what a reversal's lots point into
  ExistingLotsTouched(ev, &touched_);
  names_.Clear();
  // Lots whose stored state must equal the replayed one after this record.
  finals_.clear();
  auto index_entry = [&](std::string_view id) -> Status {
    ++lot_index_entries_;
    ASSIGN_OR_RETURN(auto probe, lot_index_.Find(id, seq));
    if (!probe.listed) {
      report_.findings.push_back({finding::kIndexInconsistent, seq, std::string(id),
                                  "the lot index of " + EscapeForDisplay(id) +
                                      " does not list record " + std::to_string(seq)});
    } else if (probe.last) {
      finals_.push_back(id);
    }
    return Status::Ok();
  };
  // The lots' states before this record: before_[i] for touched_[i], its
  // strings' memory reused from record to record; an empty lot id marks a
  // lot that does not exist.
  if (before_.size() < touched_.size()) before_.resize(touched_.size());
  for (std::size_t i = 0; i < touched_.size(); ++i) {
    const std::string_view id = touched_[i];
    if (!names_.Insert(id)) {
      vs.push_back({finding::kEventMalformed, std::string(id),
                    "lot " + EscapeForDisplay(id) + " is listed twice"});
    }
    ASSIGN_OR_RETURN(LotView* lot, LoadLot(id, seq));
    if (lot == nullptr) {
      vs.push_back({finding::kLotUnknown, std::string(id),
                    "record " + std::to_string(seq) + " moves lot " + EscapeForDisplay(id) +
                        ", which was never created"});
      before_[i].lot_id.clear();
      continue;
    }
    before_[i] = *lot;
    std::optional<Reversible> reversible;
    if (ev.has_reversed()) {
      // The lot's record a reversal may undo, from its history (rare).
      if (!history) history.emplace();
      Result<std::optional<Reversible>> top = ReadReversible(txn_, id, seq, &*history);
      if (top.ok()) reversible = *top;
    }
    ApplyToLot(ev, actor, seq, hash, lot, &vs, -1, reversible ? &*reversible : nullptr);
    RETURN_IF_ERROR(index_entry(id));
  }
  {
    ins_.clear();
    for (std::size_t i = 0; i < touched_.size(); ++i) {
      ins_.push_back(before_[i].lot_id.empty() ? nullptr : &before_[i]);
    }
    if (ev.has_transformed()) {
      CheckTransformBalance(ev.transformed(), ins_, seq, c->policy->TolerancePpm(c->signer_role),
                            &vs);
    }
    CheckStage(ev, c->signer_role, *c->policy, ins_, &vs);
  }
  CheckConsignee(*book_, ev, seq, &vs);
  CheckEventTime(ev, now_, options_.max_clock_skew_seconds, &vs);
  if (ev.has_received() && ev.received().has_origin()) {  // its bundle: checked in Run
    if (auto h = HashFromBytes(ev.received().origin().bundle_sha256()); h.ok()) {
      receipts_.emplace_back(seq, *h);
    }
  }
  LotsCreated(ev, &created_);
  for (const v1::Lot* l : created_) {
    bool exists = !names_.Insert(l->lot_id());
    if (!exists) {
      ASSIGN_OR_RETURN(LotView * prior, LoadLot(l->lot_id(), seq));
      exists = prior != nullptr;
    }
    if (exists) {
      vs.push_back({finding::kLotExists, l->lot_id(),
                    "record " + std::to_string(seq) + " creates lot " +
                        EscapeForDisplay(l->lot_id()) + ", which already exists"});
      continue;
    }
    lots_.Insert(NewLot(*l, actor, seq, hash, ev.time().seconds()));
    ++lots_created_;
    RETURN_IF_ERROR(index_entry(l->lot_id()));
  }
  for (auto& v : vs) report_.findings.push_back({v.code, seq, v.lot_id, v.message});
  for (const std::string_view id : finals_) {
    // Just touched, so still cached (the cache holds far more lots than one
    // event may name... unless it names more than the cache holds).
    ASSIGN_OR_RETURN(LotView* lot, LoadLot(id, seq + 1));
    if (lot != nullptr) RETURN_IF_ERROR(CheckFinalLotState(*lot));
  }
  checker_->Release(seq);
  return Status::Ok();
}

Status Auditor::CheckTables() {
  std::uint64_t n_lots = 0, n_index = 0, n_events = 0, n_nodes = 0, n_authority = 0;
  RETURN_IF_ERROR(txn_.ForEach(t_.lots, [&](auto, auto) { return ++n_lots, true; }));
  RETURN_IF_ERROR(txn_.ForEach(t_.lot_index, [&](auto, auto) { return ++n_index, true; }));
  RETURN_IF_ERROR(txn_.ForEach(t_.event_ids, [&](auto, auto) { return ++n_events, true; }));
  std::uint64_t authority_values = 0;  // the index's values are empty
  RETURN_IF_ERROR(txn_.ForEach(t_.authority, [&](auto, std::string_view v) {
    if (!v.empty()) ++authority_values;
    return ++n_authority, true;
  }));
  RETURN_IF_ERROR(txn_.ForEach(t_.tree, [&](auto, auto) { return ++n_nodes, true; }));
  {
    std::uint64_t n_quota_log = 0;
    RETURN_IF_ERROR(txn_.ForEach(t_.quota_log, [&](auto, auto) { return ++n_quota_log, true; }));
    if (n_quota_log != quota_log_entries_) {
      Inconsistent("the quota log has " + std::to_string(n_quota_log) +
                   " entries; the records imply " + std::to_string(quota_log_entries_));
    }
    // Every stored balance, field by field, against what the records imply.
    std::set<std::string> seen;
    RETURN_IF_ERROR(txn_.ForEach(t_.quotas, [&](std::string_view k, std::string_view v) {
      const std::string key(k);
      seen.insert(key);
      auto it = quotas_.find(key);
      Result<QuotaTally> stored = DecodeQuotaTally(v, key);
      if (it == quotas_.end()) {
        Inconsistent("the quota table holds a balance for " + QuotaKeyName(key) +
                     ", which no record uses or grants");
      } else if (!stored.ok()) {
        Inconsistent("the quota table's balance of " + QuotaKeyName(key) +
                     " is damaged (its seal does not match)");
      } else if (!(*stored == it->second.stored)) {
        auto tally = [](const QuotaTally& q) {
          return "used " + GramsString(q.used) + " g, " + std::to_string(q.entries) +
                 " entries, the last at record " + std::to_string(q.last_seq);
        };
        Inconsistent("the quota table's balance of " + QuotaKeyName(key) + " (" + tally(*stored) +
                     ") differs from what the records imply (" + tally(it->second.stored) + ")");
      }
      return true;
    }));
    for (const auto& [key, tally] : quotas_) {
      if (!seen.count(key)) Inconsistent("the quota table has no balance for " + QuotaKeyName(key));
    }
  }
  if (authority_values != 0) {
    Inconsistent("the authority index holds " + std::to_string(authority_values) +
                 " entries with a value; its values are empty");
  }
  if (n_authority != authority_records_) {
    Inconsistent("the authority index has " + std::to_string(n_authority) +
                 " entries; the records hold " + std::to_string(authority_records_) +
                 " authority records");
  }
  if (n_lots != lots_created_) {
    Inconsistent("the lot table has " + std::to_string(n_lots) + " lots; the records create " +
                 std::to_string(lots_created_));
  }
  if (n_index != lot_index_entries_) {
    Inconsistent("the lot index has " + std::to_string(n_index) + " entries; the records imply " +
                 std::to_string(lot_index_entries_));
  }
  if (n_events > event_ids_matched_) Inconsistent("the event-id index has extra entries");
  // A tree of n leaves stores 2n - popcount(n) perfect-subtree nodes.
  std::uint64_t expected_nodes = 2 * size_ - static_cast<std::uint64_t>(__builtin_popcountll(size_));
  if (n_nodes != expected_nodes) {
    Inconsistent("the Merkle tree has " + std::to_string(n_nodes) + " nodes; " +
                 std::to_string(expected_nodes) + " expected");
  }
  report_.root_hash = range_.Root();
  auto stored_root = merkle::RootAt(TxnNodeSource(txn_), size_);
  if (!stored_root.ok() || *stored_root != report_.root_hash) {
    Inconsistent("the stored Merkle tree does not hash to the root of the records");
  }
  // The meta table: the ledger id is the genesis record's.
  ASSIGN_OR_RETURN(auto id, txn_.Get(t_.meta, kMetaLedgerId));
  if (!id || *id != book_->ledger_id()) {
    Inconsistent("the meta table's ledger id is not the one the genesis record names");
  }
  return CheckStoredCheckpoints(txn_, origin_, size_, &report_.findings);
}

Result<AuditReport> Auditor::Run() {
  auto head_or = ReadHead(txn_);
  if (!head_or.ok()) {
    report_.findings.push_back(
        {finding::kIndexInconsistent, 0, "", "the ledger head entry is missing or damaged"});
  }
  // The log's true length is what the records table holds.
  ASSIGN_OR_RETURN(auto last, txn_.Last(t_.records));
  if (last) {
    ASSIGN_OR_RETURN(const std::uint64_t s, DecodeU64Key("records", last->first));
    size_ = s + 1;
  }
  store_ = std::make_unique<TxnRecordStore>(txn_, size_);
  // The book of authority first: every record is judged by the whole log's
  // book, later revocations included.
  {
    AuditAuthorityStore authority(*store_, txn_, &report_.findings);
    ASSIGN_OR_RETURN(book_, LoadAuthority(authority, keys_cache_, options_.check_signatures,
                                           nullptr, &report_.findings));
  }
  checker_ = std::make_unique<RecordChecker>(*store_, book_, &report_.findings,
                                             options_.check_signatures, keys_cache_,
                                             RecordChecker::Mode::kStream);

  // Signature checks run a chunk behind the scan: while the pool checks
  // chunk k, this thread reads and replays chunk k+1 (and then helps). A
  // chunk's quota uses are counted once its signatures are known.
  const unsigned threads = ResolveThreads(options_.threads);
  ThreadPool pool(threads > 1 ? threads : 0);
  std::vector<SignatureJob> in_flight;
  std::shared_ptr<ThreadPool::Range> in_flight_range;
  auto flush = [&]() {
    if (in_flight_range) {
      pool.Wait(*in_flight_range);
      checker_->FinishSignatureJobs(in_flight);
      in_flight_range.reset();
    }
    CountUses(&uses_checking_);
    in_flight = checker_->TakeSignatureJobs();
    uses_checking_.swap(uses_scanning_);
    if (!in_flight.empty()) {
      in_flight_range = pool.Start(in_flight.size(), [&in_flight](std::size_t i) { in_flight[i].Run(); });
    }
  };

  // With workers, the records are read ahead: a window of them goes to
  // the pool, which hashes and parses them (RecordChecker::PrefetchLent)
  // while this thread replays the window before it. The replay is the same,
  // in the same order, either way.
  if (pool.workers() > 0) checker_->SetPrefetchPool(&pool);
  struct StopReadAhead {
    RecordChecker& checker;
    ~StopReadAhead() { checker.SetPrefetchPool(nullptr); }  // the pool goes with this frame
  } stop_read_ahead{*checker_};
  constexpr std::size_t kWindow = 256;
  std::vector<std::pair<std::string_view, std::string_view>> queued, filling;
  std::vector<std::pair<std::uint64_t, std::string_view>> lent;
  queued.reserve(kWindow);
  filling.reserve(kWindow);

  // Walk the records table in key order. A gap or an extra key shows as a
  // sequence finding; every record is checked once and then released.
  std::uint64_t expected_key = 0;
  std::uint64_t in_chunk = 0;
  std::uint64_t done = 0;
  Status scan;
  auto check = [&](std::string_view k, std::string_view v) {
    auto s = DecodeU64(k);
    if (!s) {
      report_.findings.push_back(
          {finding::kRecordUnreadable, expected_key, "",
           "the records table has a damaged key \"" + EscapeForDisplay(k) + "\""});
      return true;
    }
    const std::uint64_t seq = *s;
    if (seq != expected_key) {
      report_.findings.push_back({finding::kSequenceMismatch, seq, "",
                                  "records " + std::to_string(expected_key) + " to " +
                                      std::to_string(seq - 1) + " are missing from the log"});
    }
    expected_key = seq + 1;
    if (options_.progress && done % 256 == 0) options_.progress(done, size_);
    ++done;
    scan = CheckRecord(seq, v);
    if (!scan.ok()) return false;
    if (++in_chunk == kAuditChunkRecords) {
      in_chunk = 0;
      flush();
    }
    return true;
  };
  // Queues `filling` for the pool, then checks `queued`, the window before.
  auto advance = [&]() {
    if (pool.workers() > 0) {
      lent.clear();
      for (const auto& [k, v] : filling) {
        if (auto s = DecodeU64(k)) lent.emplace_back(*s, v);
      }
      checker_->PrefetchLent(lent);
    }
    for (const auto& [k, v] : queued) {
      if (!check(k, v)) return false;
    }
    queued.swap(filling);
    filling.clear();
    return true;
  };
  Status st = txn_.ForEach(t_.records, [&](std::string_view k, std::string_view v) {
    filling.emplace_back(k, v);
    return filling.size() < kWindow || advance();
  });
  if (st.ok() && scan.ok() && advance()) advance();
  // Drain the pipeline before anything can return: the jobs reference
  // this frame.
  flush();
  flush();
  RETURN_IF_ERROR(st);
  RETURN_IF_ERROR(scan);
  if (options_.progress) options_.progress(done, done);

  // Derived tables against what the records imply.
  if (head_or.ok() && (head_or->size != size_ || (size_ > 0 && head_or->hash != last_hash_))) {
    Inconsistent("the ledger head (size " + std::to_string(head_or->size) +
                 ") does not match the last record (size " + std::to_string(size_) + ")");
  }
  RETURN_IF_ERROR(CheckTables());
  {
    // Stored foreign bundles must hash to their names; every receipt's
    // bundle must be held -- except by a mirror, which holds none.
    ASSIGN_OR_RETURN(auto mirror, txn_.Get(t_.meta, kMetaMirrorOf));
    if (mirror) receipts_.clear();
    RETURN_IF_ERROR(CheckForeignBundles(txn_, receipts_, &report_.findings));
    for (const auto& r : receipts_) report_.cross_ledger_receipts.push_back(r.first);
  }

  report_.records_checked = checker_->records_checked();
  report_.signatures_checked = checker_->signatures_checked();
  report_.lots = lots_created_;
  report_.actors = book_->actors().size();
  if (size_ > 0) {
    if (const RegistryImport* at = book_->RegistryImportAt(size_ - 1)) {
      report_.registry = InfoOf(*at);
    }
  }
  report_.tree_size = size_;
  report_.head_hash = last_hash_;
  std::stable_sort(report_.findings.begin(), report_.findings.end(),
                   [](const Finding& a, const Finding& b) { return a.seq < b.seq; });
  report_.valid = report_.findings.empty();
  return std::move(report_);
}

}  // namespace

Result<AuditReport> AuditLedgerWithCache(const Txn& txn, const AuditOptions& options,
                                         std::size_t lot_cache_size, KeyCache* keys) {
  Auditor auditor(txn, options, lot_cache_size, keys);
  return auditor.Run();
}

Result<AuditReport> AuditLedger(const Txn& txn, const AuditOptions& options, KeyCache* keys) {
  return AuditLedgerWithCache(txn, options, kAuditLotCacheSize, keys);
}

}  // namespace retrace::internal
