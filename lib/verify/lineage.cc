#include "verify/lineage.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>

#include "rules/quota_book.h"
#include "rules/rules.h"
#include "util/escape.h"
#include "util/flat_map.h"
#include "util/status_macros.h"
#include "util/thread_pool.h"
#include "verify/load_authority.h"
#include "verify/record_checker.h"

namespace retrace::internal {
namespace {

// True if `ev` creates `lot_id`; sets *lot to the lot definition. Called
// for every record of every lot: no allocation.
bool Creates(const v1::Event& ev, std::string_view lot_id, const v1::Lot** lot) {
  auto is = [&](const v1::Lot& l) {
    if (l.lot_id() != lot_id) return false;
    *lot = &l;
    return true;
  };
  switch (ev.body_case()) {
    case v1::Event::kExtracted: return is(ev.extracted().lot());
    case v1::Event::kRecycled: return is(ev.recycled().lot());
    case v1::Event::kImported: return is(ev.imported().lot());
    case v1::Event::kReceived:  // from another ledger: brings the lot in
      return ev.received().has_origin() && is(ev.received().origin().lot());
    case v1::Event::kTransformed:
      for (const auto& o : ev.transformed().outputs()) {
        if (is(o)) return true;
      }
      return false;
    default: return false;
  }
}

// The same question as ExistingLotsTouched, without building the list: a
// merge of n inputs is asked once by each of its n input lots.
bool Touches(const v1::Event& ev, std::string_view lot_id) {
  switch (ev.body_case()) {
    case v1::Event::kShipped: return ev.shipped().lot_id() == lot_id;
    case v1::Event::kReceived: return ev.received().lot_id() == lot_id;
    case v1::Event::kExported: return ev.exported().lot_id() == lot_id;
    case v1::Event::kTransformed:
      for (const auto& in : ev.transformed().inputs()) {
        if (in.lot_id() == lot_id) return true;
      }
      return false;
    case v1::Event::kReversed:
      for (const auto& id : ev.reversed().lot_ids()) {
        if (id == lot_id) return true;
      }
      return false;
    default: return false;
  }
}

// RareEarthMass (retrace/event.h) of a replayed lot: the elemental sum, no
// oxide factors. Cannot wrap: fewer than 128 elements of at most kMaxGrams.
std::uint64_t ElementalGrams(const std::vector<ElementMass>& content) {
  std::uint64_t t = 0;
  for (const auto& c : content) t += c.grams;
  return t;
}

struct LotTrace {
  LineageLot out;                // out.lot_id is the key of the lot's index entry
  LotView state;                 // after replaying every record of the lot
  bool created = false;
  std::uint64_t created_seq = 0;
  bool by_transform = false;
  const CheckedRecord* creation = nullptr;
  // For a lot created by a transformation: the number of each input lot,
  // in the order the transformation lists them.
  std::vector<std::uint32_t> inputs;
  // State of this lot just before each transformation that consumed it (for
  // balance checks and attribution), in increasing seq order: a lot's
  // records are replayed in log order.
  std::vector<std::pair<std::uint64_t, LotView>> before;
  // Transformations (seq) of the lineage that list this lot as an input,
  // and where its first line is: a merge of n lots is replayed for each of
  // them, and finding each one's line by its id costs n comparisons.
  std::vector<std::pair<std::uint64_t, std::uint32_t>> input_of;
  int InputIndex(std::uint64_t seq) const {
    for (const auto& e : input_of) {
      if (e.first == seq) return static_cast<int>(e.second);
    }
    return -1;
  }
  // The lot's seqs, if read ahead (seqs_read) for the pool.
  std::vector<std::uint64_t> seqs;
  bool seqs_read = false;
  const LotView* BeforeSeq(std::uint64_t seq) const {
    auto it = std::lower_bound(before.begin(), before.end(), seq,
                               [](const auto& e, std::uint64_t s) { return e.first < s; });
    return it != before.end() && it->first == seq ? &it->second : nullptr;
  }
};

// The lots of a lineage, numbered in the order the walk discovers them
// (breadth first from the target, which is lot 0). Lots are looked up by id
// once, when first named; everything after that goes by number. The index is
// an open-addressing table of (hash, number) pairs: a lookup touches one
// slot and, on a hash match, the lot's id.
class LotTable {
 public:
  static constexpr std::uint32_t kNone = ~std::uint32_t{0};
  // The number of `id`, adding it (with *added = true) if new.
  std::uint32_t Intern(std::string_view id, bool* added) {
    if (2 * (size_ + 1) > slots_.size()) Grow();
    const std::uint64_t h = std::hash<std::string_view>()(id);
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.lot == kNone) {
        *added = true;
        s = {h, static_cast<std::uint32_t>(size_)};
        if (size_ % kChunk == 0) chunks_.push_back(std::make_unique<LotTrace[]>(kChunk));
        ++size_;
        (*this)[s.lot].out.lot_id = std::string(id);
        return s.lot;
      }
      if (s.hash == h && (*this)[s.lot].out.lot_id == id) {
        *added = false;
        return s.lot;
      }
    }
  }
  std::size_t size() const { return size_; }
  LotTrace& operator[](std::uint32_t i) { return chunks_[i / kChunk][i % kChunk]; }

 private:
  // Lots are kept in chunks of kChunk, allocated as the walk needs them:
  // they never move, and a lot costs no allocation of its own (a deque
  // allocates one node per LotTrace, which is larger than its node size).
  static constexpr std::uint32_t kChunk = 64;
  struct Slot {
    std::uint64_t hash = 0;
    std::uint32_t lot = kNone;
  };
  // Doubles the index, placing each lot by the hash its slot kept.
  void Grow() {
    const std::size_t n = slots_.empty() ? 64 : slots_.size() * 2;
    std::vector<Slot> old(n, Slot());
    old.swap(slots_);
    mask_ = n - 1;
    for (const Slot& o : old) {
      if (o.lot == kNone) continue;
      std::size_t i = o.hash & mask_;
      while (slots_[i].lot != kNone) i = (i + 1) & mask_;
      slots_[i] = o;
    }
  }

  std::vector<std::unique_ptr<LotTrace[]>> chunks_;
  std::size_t size_ = 0;
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
};

// Quota and licence at an origin extraction or a separation: recomputed from
// the quota's own records (grants and uses before this one), each checked.
// Quota balances along each quota log, computed once per log prefix: a
// record's check needs the grants and uses before it, and a lineage of many
// records of one actor would otherwise re-read the log for each of them.
// What a record does to a quota (its key, interned as a log number, and the
// amount) is worked out once per record: a separator's log lists every
// record of a deep lineage, and each is asked about as a use, as a log entry
// and as the record being checked.
class QuotaTally {
 public:
  static constexpr std::uint32_t kNoLog = ~std::uint32_t{0};
  // A record's part in a quota: a grant of `amount` (the new balance) or a
  // use (`use`), on the log numbered `log`; kNoLog if neither.
  struct Part {
    std::uint32_t log = kNoLog;
    bool grant = false;
    std::uint64_t amount = 0;  // a grant's reo_g
    QuotaUse use;              // a use's actor, year, kind and reo_g
    bool counts = false;       // a use by an actor whose use counts (UseRoleCounts)
  };

  QuotaTally(RecordChecker& checker, const RecordStore& store) : checker_(checker), store_(store) {}

  // The quota use of `c` (nullptr if it uses no quota), worked out once.
  const Part* UseOf(const CheckedRecord& c) {
    const Part& p = PartOf(c);
    return p.log == kNoLog || p.grant ? nullptr : &p;
  }

  // Checks every record of the log `log` before `seq` (queuing their
  // signature checks), so that their validity is known before At is asked.
  Status Prefetch(std::uint32_t log_no, std::uint64_t seq) {
    ASSIGN_OR_RETURN(Log * log, Get(log_no));
    const std::size_t p =
        std::lower_bound(log->seqs.begin(), log->seqs.end(), seq) - log->seqs.begin();
    for (; log->prefetched < p; ++log->prefetched) {
      ASSIGN_OR_RETURN(const CheckedRecord* r, checker_.Check(log->seqs[log->prefetched]));
      (void)r;
    }
    return Status::Ok();
  }

  struct Balance {
    std::optional<GrantEntry> grant;   // the book's grant in force
    unsigned __int128 used = 0;        // counted uses before the record
    bool listed = false;  // the log lists `seq` itself
  };
  // The grant in force at `seq` and the uses of log `log_no` by valid
  // records before it (QuotaLogEntry::counts: the record is authorized).
  Result<Balance> At(std::uint32_t log_no, std::uint64_t seq) {
    ASSIGN_OR_RETURN(Log * log, Get(log_no));
    const std::size_t p =
        std::lower_bound(log->seqs.begin(), log->seqs.end(), seq) - log->seqs.begin();
    while (log->used.size() < p) {
      const std::size_t i = log->used.size();
      unsigned __int128 u = i ? log->used[i - 1] : 0;
      ASSIGN_OR_RETURN(const CheckedRecord* r, checker_.Check(log->seqs[i]));
      if (r->parsed && r->event().has_reversed()) {
        // A release of the use the reversed record made, if it counted.
        const std::uint64_t rs = r->event().reversed().seq();
        const CheckedRecord* used = nullptr;
        if (rs < r->seq) {
          ASSIGN_OR_RETURN(used, checker_.Check(rs));
        }
        const Part* part = used != nullptr && used->parsed ? &PartOf(*used) : nullptr;
        if (part == nullptr || part->log != log_no || part->grant) {
          checker_.Add(finding::kIndexInconsistent, r->seq, "",
                       "the quota log of " + EscapeForDisplay(log->key.substr(0, log->key.find('\0'))) +
                           " lists reversal " + std::to_string(r->seq) +
                           ", which frees no use of that quota");
        } else if (r->authorized && used->authorized) {
          u -= std::min<unsigned __int128>(u, part->use.reo_g);
        }
      } else if (r->parsed) {
        const Part& part = PartOf(*r);
        if (part.log != log_no) {
          checker_.Add(finding::kIndexInconsistent, r->seq, "",
                       "the quota log of " + EscapeForDisplay(log->key.substr(0, log->key.find('\0'))) +
                           " lists record " + std::to_string(r->seq) +
                           ", which neither grants nor uses that quota");
        } else if (r->authorized && !part.grant && part.counts) {
          u += part.use.reo_g;
        }
      }
      log->used.push_back(u);
    }
    Balance b;
    b.grant = checker_.book().GrantAt(log->key, seq);
    if (p > 0) b.used = log->used[p - 1];
    b.listed = p < log->seqs.size() && log->seqs[p] == seq;
    return b;
  }

 private:
  struct Log {
    std::string key;
    bool loaded = false;
    std::vector<std::uint64_t> seqs;
    std::vector<unsigned __int128> used;  // counted uses up to each of seqs, as far as computed
    std::size_t prefetched = 0;                 // seqs[0, prefetched) are checked
  };
  // Worked out on the first question about `c`, kept for the walk.
  const Part& PartOf(const CheckedRecord& c) {
    auto found = parts_.Insert(c.seq, nullptr);
    if (!found.second) return **found.first;
    Part& p = parts_store_.emplace_back();
    *found.first = &p;
    if (!c.parsed) return p;
    const v1::Event& ev = c.event();
    if (ev.has_quota_granted()) {
      const auto& q = ev.quota_granted();
      p.grant = true;
      p.amount = q.reo_g();
      p.log = Intern(q.actor_id(), q.year(), static_cast<QuotaKind>(q.kind()));
    } else if (auto use = QuotaUseAt(checker_.book(), ev, c.seq)) {
      p.use = std::move(*use);
      p.log = Intern(p.use.actor_id, p.use.year, p.use.kind);
      p.counts = UseRoleCounts(checker_.book(), ev, c.seq);
    }
    return p;
  }
  // The number of the log of QuotaKey(actor_id, year, kind). The key is
  // built in a buffer kept for the walk, and the last log asked about is
  // tried first: a deep lineage asks about one separator's log throughout.
  std::uint32_t Intern(std::string_view actor_id, std::uint32_t year, QuotaKind kind) {
    key_.clear();
    AppendQuotaKey(actor_id, year, kind, &key_);
    if (last_log_ != kNoLog && logs_[last_log_].key == key_) return last_log_;
    auto it = log_numbers_.find(key_);
    if (it != log_numbers_.end()) return last_log_ = it->second;
    const auto n = static_cast<std::uint32_t>(logs_.size());
    logs_.emplace_back().key = key_;
    log_numbers_.emplace(key_, n);
    return last_log_ = n;
  }
  Result<Log*> Get(std::uint32_t log_no) {
    Log* log = &logs_[log_no];
    if (!log->loaded) {
      ASSIGN_OR_RETURN(log->seqs, store_.QuotaLog(log->key));
      log->loaded = true;
    }
    return log;
  }

  RecordChecker& checker_;
  const RecordStore& store_;
  std::deque<Log> logs_;  // by log number; elements never move
  std::unordered_map<std::string, std::uint32_t> log_numbers_;
  std::string key_;                  // Intern's buffer
  std::uint32_t last_log_ = kNoLog;  // the log Intern returned last
  std::deque<Part> parts_store_;
  FlatU64Map<Part*> parts_;  // by seq
};

// Checks queued signatures on a pool while the walk goes on: each full
// chunk goes to the workers at once, and Finish reports every result in the
// order the jobs were queued, so the report does not depend on the thread
// count. With one thread everything runs in Finish, on the caller.
class SignaturePipeline {
 public:
  // `*shared` is the walk's pool (threads - 1 workers, for the read-ahead
  // too): used if the walk has started it, started here if not.
  SignaturePipeline(RecordChecker& checker, unsigned threads,
                    std::unique_ptr<ThreadPool>* shared)
      : checker_(checker), threads_(threads), shared_(shared) {}

  // After every Check: hands a full chunk to the workers.
  void Poll() {
    if (threads_ <= 1 || checker_.pending_signatures() < kChunk) return;
    if (pool_ == nullptr) {
      if (*shared_ == nullptr) *shared_ = std::make_unique<ThreadPool>(threads_ - 1);
      pool_ = shared_->get();  // the caller walks
    }
    Launch();
  }

  // Runs what is left (the caller helps) and reports every result.
  void Finish() {
    if (pool_ == nullptr && *shared_ != nullptr) pool_ = shared_->get();
    if (pool_ == nullptr) {
      // Starting a thread costs about as much as a few signature checks:
      // small lineages stay on the calling thread.
      constexpr std::size_t kJobsPerThread = 32;
      const std::size_t useful = checker_.pending_signatures() / kJobsPerThread;
      const std::size_t threads = std::min<std::size_t>(threads_, useful);
      own_ = std::make_unique<ThreadPool>(threads > 1 ? static_cast<unsigned>(threads - 1) : 0);
      pool_ = own_.get();
    }
    Launch();
    for (auto& c : chunks_) {
      pool_->Wait(*c.range);
      checker_.FinishSignatureJobs(*c.jobs);
    }
    chunks_.clear();
  }

  ~SignaturePipeline() {
    for (auto& c : chunks_) pool_->Wait(*c.range);  // jobs must outlive their runs
  }

 private:
  static constexpr std::size_t kChunk = 512;
  struct Chunk {
    std::unique_ptr<std::vector<SignatureJob>> jobs;
    std::shared_ptr<ThreadPool::Range> range;
  };
  void Launch() {
    auto jobs = std::make_unique<std::vector<SignatureJob>>(checker_.TakeSignatureJobs());
    if (jobs->empty()) return;
    std::vector<SignatureJob>* j = jobs.get();
    auto range = pool_->Start(j->size(), [j](std::size_t i) { (*j)[i].Run(); });
    chunks_.push_back({std::move(jobs), std::move(range)});
  }

  RecordChecker& checker_;
  const unsigned threads_;
  std::unique_ptr<ThreadPool>* const shared_;
  ThreadPool* pool_ = nullptr;  // *shared_ or own_
  std::unique_ptr<ThreadPool> own_;  // a small lineage's, in Finish
  std::vector<Chunk> chunks_;
};

Status CheckRegulatory(RecordChecker& checker, QuotaTally& tally, const CheckedRecord& c,
                       const std::string& lot_id) {
  if (c.event().has_extracted()) {
    const ActorEntry* mine = checker.book().ActorAt(c.event().actor_id(), c.seq);
    Violations vs;
    CheckLicence(c.event(), mine != nullptr ? mine->licence : std::string(), &vs);
    for (auto& v : vs) checker.Add(v.code, c.seq, v.lot_id, v.message);
  }
  // Only a use that counts is judged against the quota (QuotaLogEntry:
  // one signed by a key valid at its position, its role allowed, its
  // signature verified); any other has a finding of its own.
  const QuotaTally::Part* part = c.authorized ? tally.UseOf(c) : nullptr;
  if (part == nullptr || !part->counts) return Status::Ok();
  const QuotaUse& use = part->use;
  ASSIGN_OR_RETURN(QuotaTally::Balance b, tally.At(part->log, c.seq));
  if (!b.listed) {
    checker.Add(finding::kIndexInconsistent, c.seq, lot_id,
                "the quota log of " + use.actor_id + " does not list record " +
                    std::to_string(c.seq) + ", which uses its quota");
  }
  Violations vs;
  CheckQuotaUse(use, b.grant, b.used, lot_id, &vs);
  for (auto& v : vs) checker.Add(v.code, c.seq, v.lot_id, v.message);
  return Status::Ok();
}

const char* OriginKind(const v1::Event& ev) {
  if (ev.has_extracted()) return "mine";
  if (ev.has_recycled()) return "recycled";
  if (ev.has_imported()) return "imported";
  // Its own lineage is in the sender's ledger, proven by the stored bundle
  // (docs/federation.md): this ledger's walk ends here.
  if (ev.has_received() && ev.received().has_origin()) return "cross_ledger";
  return "";
}

}  // namespace

Result<VerifyReport> VerifyLineage(const RecordStore& store, std::string_view target,
                                   const VerifyOptions& options, KeyCache* keys,
                                   std::shared_ptr<const Authority> book,
                                   const std::vector<Finding>* book_findings) {
  VerifyReport report;
  report.lot_id = std::string(target);
  report.tree_size = store.Size();
  const std::int64_t now = Now().seconds;  // for time_in_future
  FlatU64Map<bool> dated;  // records whose time is checked
  // The walk's workers (threads - 1 of them), started once the walk is
  // big enough to pay for a thread (or has 512 signatures to check): they
  // read ahead for the checker and check signatures. Declared before the
  // checker, which waits for them.
  const unsigned threads = ResolveThreads(options.threads);
  std::unique_ptr<ThreadPool> pool;
  if (book == nullptr) {
    ASSIGN_OR_RETURN(book, LoadAuthority(store, keys, options.check_signatures, nullptr,
                                         &report.findings));
  } else if (book_findings != nullptr) {
    report.findings = *book_findings;
  }
  RecordChecker checker(store, std::move(book), &report.findings, options.check_signatures, keys);
  if (store.Size() > 0) {
    if (const RegistryImport* at = checker.book().RegistryImportAt(store.Size() - 1)) {
      report.registry = InfoOf(*at);
    }
  }

  ASSIGN_OR_RETURN(auto target_seqs, store.LotSeqs(target));
  if (target_seqs.empty()) {
    return NotFoundError("lot " + std::string(target) + " is not in the ledger");
  }

  // Lots are walked in the order they are numbered: lot k is the k-th lot
  // queued, so the queue is the table itself.
  LotTable traces;
  bool added = false;
  traces.Intern(target, &added);
  std::vector<std::pair<const CheckedRecord*, std::uint32_t>> origins;
  // The report's edges by lot number, their ids filled in at the end (a
  // sort moves these, not two strings each).
  struct Edge {
    std::uint64_t seq;
    std::uint64_t consumed_g;
    std::uint32_t input, output;
  };
  std::vector<Edge> edges;
  // Declared after the checker: destroyed (waiting for its workers) first.
  SignaturePipeline sigs(checker, threads, &pool);
  // Read-ahead by lot: the records of the next kLotsAhead queued lots are
  // prepared on the pool while this one is replayed. Lots up to `ahead`
  // have their seqs read.
  constexpr std::uint32_t kLotsAhead = 32;
  // Starting and stopping a thread costs the walk of a few hundred records
  // on a busy machine (run W's 100- and 1,000-record rows with 32).
  constexpr std::uint64_t kRecordsBeforePool = 1024;
  bool reading_ahead = false;
  std::uint32_t ahead = 1;
  std::vector<std::uint64_t> queue;
  LotUndoStack undo;  // the lot's records a reversal may undo (one lot at a time)

  for (std::uint32_t lot = 0; lot < traces.size(); ++lot) {
    LotTrace& tr = traces[lot];
    const std::string& lot_id = tr.out.lot_id;
    if (!reading_ahead && threads > 1 && store.LendsRecords() &&
        (pool != nullptr || checker.records_checked() >= kRecordsBeforePool)) {
      if (pool == nullptr) pool = std::make_unique<ThreadPool>(threads - 1);
      checker.SetPrefetchPool(pool.get());
      reading_ahead = true;
    }
    // Topped up kLotsAhead lots at a time, once half of them are walked:
    // each hand-over wakes a worker, which costs more than a lot's records.
    if (reading_ahead && ahead <= lot + kLotsAhead / 2 && ahead + 1 < traces.size()) {
      queue.clear();
      ahead = std::max(ahead, lot + 1);
      for (; ahead < traces.size() && ahead <= lot + kLotsAhead; ++ahead) {
        LotTrace& next = traces[ahead];
        ASSIGN_OR_RETURN(next.seqs, store.LotSeqs(next.out.lot_id));
        next.seqs_read = true;
        queue.insert(queue.end(), next.seqs.begin(), next.seqs.end());
      }
      RETURN_IF_ERROR(checker.Prefetch(queue));
    }
    std::vector<std::uint64_t> seqs;
    if (lot == 0) {
      seqs = std::move(target_seqs);
    } else if (tr.seqs_read) {
      seqs = std::move(tr.seqs);
    } else {
      ASSIGN_OR_RETURN(seqs, store.LotSeqs(lot_id));
    }
    if (seqs.empty()) {
      checker.Add(finding::kLotUnknown, 0, lot_id,
                  "lot " + lot_id + " is named as an input but has no record in the ledger");
      continue;
    }
    undo.Clear();
    for (std::size_t i = 0; i < seqs.size(); ++i) {
      const std::uint64_t seq = seqs[i];
      if (i > 0 && seq <= seqs[i - 1]) {
        checker.Add(finding::kIndexInconsistent, seq, lot_id,
                    "the lot index lists the records of lot " + lot_id + " out of order");
        continue;
      }
      ASSIGN_OR_RETURN(const CheckedRecord* c, checker.Check(seq));
      sigs.Poll();
      if (!c->parsed) continue;
      const auto& ev = c->event();
      const std::string& actor = ev.actor_id();
      // A record's date is a fact about the record, not the lot: a
      // transformation is in the history of each input and each output the
      // walk reaches, and is reported once.
      if (dated.Insert(seq, true).second) {
        Violations tv;
        CheckEventTime(ev, now, options.max_clock_skew_seconds, &tv);
        for (auto& v : tv) checker.Add(v.code, seq, lot_id, v.message);
      }
      if (i == 0) {
        const v1::Lot* def = nullptr;
        if (!Creates(ev, lot_id, &def)) {
          checker.Add(finding::kUnknownOrigin, seq, lot_id,
                      "the first record of lot " + lot_id + " (seq " + std::to_string(seq) +
                          ") does not create it: the lot has no origin");
          continue;
        }
        tr.created = true;
        tr.created_seq = seq;
        tr.creation = c;
        tr.state = NewLot(*def, actor, seq, c->record.hash, ev.time().seconds());
        undo.Push(seq, c->record.hash, &ev);
        tr.out.material = tr.state.material;
        tr.out.mass_g = tr.state.mass_g;
        tr.out.content = tr.state.content;
        tr.out.rare_earth_g = ElementalGrams(tr.state.content);
        tr.out.created_seq = seq;
        tr.out.created_by = actor;
        tr.out.creator_role = c->signer_role;
        tr.out.origin_kind = OriginKind(ev);
        tr.out.is_origin = !tr.out.origin_kind.empty();
        if (tr.out.is_origin) {
          Violations vs;
          CheckStage(ev, c->signer_role, *c->policy, {}, &vs);
          for (auto& v : vs) checker.Add(v.code, seq, v.lot_id, v.message);
          origins.emplace_back(c, lot);  // quota and licence: after signatures
        }
        if (ev.has_transformed()) {
          tr.by_transform = true;
          tr.inputs.reserve(static_cast<std::size_t>(ev.transformed().inputs_size()));
          const auto& inputs = ev.transformed().inputs();
          for (int k = 0; k < inputs.size(); ++k) {
            const auto& in = inputs[k];
            const std::uint32_t input = traces.Intern(in.lot_id(), &added);  // queued if new
            tr.inputs.push_back(input);
            edges.push_back({seq, in.consumed_g(), input, lot});
            auto& input_of = traces[input].input_of;
            if (traces[input].InputIndex(seq) < 0) {
              input_of.emplace_back(seq, static_cast<std::uint32_t>(k));
            }
          }
        }
        continue;
      }
      if (!tr.created) continue;
      const v1::Lot* def = nullptr;
      if (Creates(ev, lot_id, &def)) {
        checker.Add(finding::kLotExists, seq, lot_id,
                    "record " + std::to_string(seq) + " creates lot " + lot_id +
                        " again; it was created at seq " + std::to_string(tr.created_seq));
        continue;
      }
      // A transformation that created a lot of the lineage says where this
      // lot's line is (InputIndex); any other record is searched.
      const int input_index = ev.has_transformed() ? tr.InputIndex(seq) : -1;
      if (input_index < 0 && !Touches(ev, lot_id)) {
        checker.Add(finding::kIndexInconsistent, seq, lot_id,
                    "the lot index lists record " + std::to_string(seq) + " under lot " + lot_id +
                        ", but that record does not concern it");
        continue;
      }
      // Only a transformation's balance check needs the state before.
      if (ev.has_transformed()) tr.before.emplace_back(seq, tr.state);
      Violations vs;
      if (ev.has_transformed() || ev.has_exported()) {
        CheckStage(ev, c->signer_role, *c->policy, {&tr.state}, &vs);
      }
      // A reversal undoes the lot's latest record not yet reversed.
      if (ev.has_reversed()) {
        const std::uint64_t r = ev.reversed().seq();
        const CheckedRecord* reversed = nullptr;
        if (r < seq) {
          ASSIGN_OR_RETURN(reversed, checker.Check(r));
        }
        const bool readable = reversed != nullptr && reversed->parsed;
        CheckReversal(ev, c->signer_role, readable ? &reversed->event() : nullptr,
                      readable ? reversed->record.hash : Hash{}, &vs);
      }
      ApplyToLot(ev, actor, seq, c->record.hash, &tr.state, &vs, input_index,
                 ev.has_reversed() ? undo.Top() : nullptr);
      undo.Feed(seq, c->record.hash, &ev);
      CheckConsignee(checker.book(), ev, seq, &vs);
      for (auto& v : vs) checker.Add(v.code, seq, lot_id, v.message);
    }
    tr.out.record_seqs = std::move(seqs);
  }
  const auto n_lots = static_cast<std::uint32_t>(traces.size());

  // Every record of the lineage is known now. Quota checks depend on the
  // validity of earlier quota records: check those too, then every queued
  // signature, on every thread asked for (the calling thread is one).
  QuotaTally tally(checker, store);
  for (const auto& [c, lot] : origins) {
    if (const auto* use = tally.UseOf(*c)) RETURN_IF_ERROR(tally.Prefetch(use->log, c->seq));
    sigs.Poll();
  }
  for (std::uint32_t id = 0; id < n_lots; ++id) {
    const LotTrace& tr = traces[id];
    if (!tr.by_transform) continue;
    if (const auto* use = tally.UseOf(*tr.creation)) {
      RETURN_IF_ERROR(tally.Prefetch(use->log, tr.created_seq));
    }
    sigs.Poll();
  }
  sigs.Finish();

  // Mass balance of every transformation that created a lot of the lineage.
  FlatU64Map<bool> balanced;
  // An input listed twice: seen_by[k] is the last lot whose creating
  // transformation listed lot k (no set per transformation).
  std::vector<std::uint32_t> seen_by(n_lots, LotTable::kNone);
  std::vector<const LotView*> inputs;
  for (std::uint32_t id = 0; id < n_lots; ++id) {
    const LotTrace& tr = traces[id];
    if (!tr.by_transform || !balanced.Insert(tr.created_seq, true).second) continue;
    const auto& t = tr.creation->event().transformed();
    inputs.clear();
    inputs.reserve(static_cast<std::size_t>(t.inputs_size()));
    for (int i = 0; i < t.inputs_size(); ++i) {
      const auto& in = t.inputs(i);
      const std::uint32_t k = tr.inputs[static_cast<std::size_t>(i)];
      const LotView* v = traces[k].BeforeSeq(tr.created_seq);
      const bool again = seen_by[k] == id;
      seen_by[k] = id;
      if (again) {
        checker.Add(finding::kEventMalformed, tr.created_seq, in.lot_id(),
                    "the transformation lists input lot " + in.lot_id() + " twice");
      }
      inputs.push_back(v);
    }
    Violations vs;
    const CheckedRecord& c = *tr.creation;
    CheckTransformBalance(t, inputs, tr.created_seq, c.policy->TolerancePpm(c.signer_role), &vs);
    CheckStage(c.event(), c.signer_role, *c.policy, inputs, &vs);
    for (auto& v : vs) checker.Add(v.code, tr.created_seq, v.lot_id, v.message);
    RETURN_IF_ERROR(CheckRegulatory(checker, tally, c, tr.out.lot_id));
  }
  for (const auto& [c, lot] : origins) {
    RETURN_IF_ERROR(CheckRegulatory(checker, tally, *c, traces[lot].out.lot_id));
  }

  // Origin attribution, in creation order (inputs are always older than
  // their outputs). Weights: rare-earth grams each input contributed. Each
  // lot's shares are (origin lot, fraction) pairs; every sum is accumulated
  // in input order, as a map keyed by origin would, so the doubles are the
  // same bit for bit.
  std::vector<std::pair<std::uint64_t, std::uint32_t>> keyed;
  keyed.reserve(n_lots);
  for (std::uint32_t id = 0; id < n_lots; ++id) keyed.emplace_back(traces[id].created_seq, id);
  std::stable_sort(keyed.begin(), keyed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  // Each lot's shares are written once, when the lot is reached, and only
  // read after that: they are kept end to end in one table (`shares`), each
  // lot's at [first, first + count) of it, not in a vector per lot.
  struct Span {
    std::uint32_t first = 0, count = 0;
  };
  std::vector<Span> attribution(n_lots);
  std::vector<std::pair<std::uint32_t, double>> shares;
  // Beside each share of an origin (same index), the part of it that passed
  // through a transformation with a finding (an over-quota separation, say):
  // that part is non-compliant even when its origin is not.
  std::vector<double> through_bad;
  shares.reserve(n_lots);
  through_bad.reserve(n_lots);
  // Findings by seq, to tell which origins and transformations have one.
  std::unordered_map<std::uint64_t, std::vector<const Finding*>> findings_at;
  for (const auto& f : report.findings) findings_at[f.seq].push_back(&f);
  std::vector<double> acc(n_lots, 0.0);
  std::vector<double> acc_bad(n_lots, 0.0);
  std::vector<char> in_acc(n_lots, 0);
  std::vector<std::uint32_t> touched;
  std::vector<std::pair<std::uint32_t, double>> weights;
  for (const auto& [created, id] : keyed) {
    LotTrace& tr = traces[id];
    Span& mine = attribution[id];
    if (!tr.created) continue;
    if (tr.out.is_origin) {
      mine = {static_cast<std::uint32_t>(shares.size()), 1};
      shares.emplace_back(id, 1.0);
      through_bad.push_back(0.0);
      continue;
    }
    if (!tr.by_transform) continue;
    const auto& t = tr.creation->event().transformed();
    weights.clear();
    double total = 0;
    for (int i = 0; i < t.inputs_size(); ++i) {
      const auto& in = t.inputs(i);
      const std::uint32_t k = tr.inputs[static_cast<std::size_t>(i)];
      const LotView* b = traces[k].BeforeSeq(tr.created_seq);
      if (b == nullptr) continue;
      std::uint64_t re = 0;
      for (const auto& em : b->content) re += ContainedGrams(*b, em.element, in.consumed_g());
      weights.emplace_back(k, static_cast<double>(re));
      total += static_cast<double>(re);
    }
    if (total == 0) {  // no declared rare earths: fall back to gross mass
      weights.clear();
      for (int i = 0; i < t.inputs_size(); ++i) {
        weights.emplace_back(tr.inputs[static_cast<std::size_t>(i)],
                             static_cast<double>(t.inputs(i).consumed_g()));
        total += static_cast<double>(t.inputs(i).consumed_g());
      }
    }
    if (total == 0) continue;
    touched.clear();
    for (const auto& [in, w] : weights) {
      const Span span = attribution[in];
      for (std::size_t j = span.first; j < span.first + span.count; ++j) {
        const auto& [origin, f] = shares[j];
        if (!in_acc[origin]) {
          in_acc[origin] = 1;
          acc[origin] = 0.0;
          acc_bad[origin] = 0.0;
          touched.push_back(origin);
        }
        acc[origin] += f * (w / total);
        acc_bad[origin] += through_bad[j] * (w / total);
      }
    }
    const bool bad_step = findings_at.count(tr.created_seq) != 0;
    mine = {static_cast<std::uint32_t>(shares.size()), static_cast<std::uint32_t>(touched.size())};
    for (std::uint32_t o : touched) {
      shares.emplace_back(o, acc[o]);
      through_bad.push_back(bad_step ? acc[o] : acc_bad[o]);
      in_acc[o] = 0;
    }
  }

  // The target's origins in lot-id order (the order a map by id gives:
  // ties in share keep it).
  const Span target_span = attribution[0];
  const std::pair<std::uint32_t, double>* target_shares = shares.data() + target_span.first;
  std::vector<std::size_t> order(target_span.count);
  for (std::size_t j = 0; j < order.size(); ++j) order[j] = j;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return traces[target_shares[a].first].out.lot_id < traces[target_shares[b].first].out.lot_id;
  });
  const std::uint64_t target_re = traces[0].out.rare_earth_g;
  double bad = 0;
  for (const std::size_t j : order) {
    const auto& [origin, f] = target_shares[j];
    const LotTrace& o = traces[origin];
    OriginShare share;
    share.origin_lot = o.out.lot_id;
    share.kind = o.out.origin_kind;
    share.actor_id = o.out.created_by;
    share.extracted_seq = o.created_seq;
    if (o.creation) {
      const auto& ev = o.creation->event();
      if (ev.has_extracted()) {
        share.site = ev.extracted().site();
        share.licence = ev.extracted().licence();
      } else if (ev.has_recycled()) {
        share.site = ev.recycled().source();
      } else if (ev.has_imported()) {
        share.site = ev.imported().origin_country();
        share.licence = ev.imported().customs_declaration();
      } else if (ev.has_received()) {
        share.site = ev.received().origin().log_origin();
      }
    }
    // An origin is compliant only if its creating record has no finding.
    auto fit = findings_at.find(o.created_seq);
    if (fit != findings_at.end()) {
      for (const Finding* fd : fit->second) {
        if (std::find(share.issues.begin(), share.issues.end(), fd->code) == share.issues.end()) {
          share.issues.push_back(fd->code);
        }
      }
    }
    share.compliant = share.issues.empty();
    // A non-compliant origin counts whole; a compliant one for the part of
    // it that passed through a transformation with a finding.
    bad += share.compliant ? through_bad[target_span.first + j] : f;
    share.rare_earth_g = static_cast<std::uint64_t>(std::floor(f * static_cast<double>(target_re)));
    share.share_ppm = static_cast<std::uint32_t>(std::llround(f * 1e6));
    report.origins.push_back(share);
  }
  std::sort(report.origins.begin(), report.origins.end(),
            [](const OriginShare& a, const OriginShare& b) { return a.share_ppm > b.share_ppm; });
  report.non_compliant_share_ppm = static_cast<std::uint32_t>(std::llround(bad * 1e6));

  std::stable_sort(edges.begin(), edges.end(),
                   [](const Edge& a, const Edge& b) { return a.seq < b.seq; });
  report.edges.reserve(edges.size());
  for (const Edge& e : edges) {
    report.edges.push_back(
        {traces[e.input].out.lot_id, traces[e.output].out.lot_id, e.consumed_g, e.seq});
  }

  // Report: lots (target first, then by creation).
  report.lots.reserve(n_lots);
  std::size_t target_at = 0;
  for (const auto& [created, id] : keyed) {
    LotTrace& tr = traces[id];
    tr.out.custodian = tr.state.custodian;
    tr.out.status = tr.created ? LotStatusName(tr.state.status) : "unknown";
    tr.out.remaining_g = tr.state.remaining_g;
    if (id == 0) target_at = report.lots.size();
    report.lots.push_back(std::move(tr.out));
  }
  std::rotate(report.lots.begin(), report.lots.begin() + static_cast<std::ptrdiff_t>(target_at),
              report.lots.begin() + static_cast<std::ptrdiff_t>(target_at) + 1);

  report.records_checked = checker.records_checked();
  report.signatures_checked = checker.signatures_checked();
  if (store.Size() > 0) {
    ASSIGN_OR_RETURN(auto last, store.RecordBytes(store.Size() - 1));
    if (last) {
      auto rec = DecodeRecord(*last);
      if (rec.ok()) report.head_hash = rec->hash;
    }
  }
  // Each finding once, in record order.
  std::stable_sort(report.findings.begin(), report.findings.end(),
                   [](const Finding& a, const Finding& b) { return a.seq < b.seq; });
  report.findings.erase(std::unique(report.findings.begin(), report.findings.end(),
                                    [](const Finding& a, const Finding& b) {
                                      return a.code == b.code && a.seq == b.seq &&
                                             a.lot_id == b.lot_id && a.message == b.message;
                                    }),
                        report.findings.end());
  report.valid = report.findings.empty();
  return report;
}

}  // namespace retrace::internal
