#include "verify/lineage.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "ledger/rules.h"
#include "util/status_macros.h"
#include "util/thread_pool.h"
#include "verify/record_checker.h"

namespace retrace::internal {
namespace {

// True if `ev` creates `lot_id`; sets *lot to the lot definition.
bool Creates(const v1::Event& ev, std::string_view lot_id, const v1::Lot** lot) {
  for (const v1::Lot* l : LotsCreated(ev)) {
    if (l->lot_id() == lot_id) {
      *lot = l;
      return true;
    }
  }
  return false;
}

bool Touches(const v1::Event& ev, std::string_view lot_id) {
  for (const auto& id : ExistingLotsTouched(ev)) {
    if (id == lot_id) return true;
  }
  return false;
}

std::uint64_t ReGrams(const std::vector<ElementMass>& content) {
  std::uint64_t t = 0;
  for (const auto& c : content) t += c.grams;
  return t;
}

struct LotTrace {
  LineageLot out;
  LotView state;                 // after replaying every record of the lot
  bool created = false;
  std::uint64_t created_seq = 0;
  bool by_transform = false;
  const CheckedRecord* creation = nullptr;
  // State of this lot just before each of its records (for balance checks).
  std::unordered_map<std::uint64_t, LotView> before;
};

// Quota and licence at an origin extraction or a separation: recomputed from
// the quota's own records (grants and uses before this one), each checked.
// Quota balances along each quota log, computed once per log prefix: a
// record's check needs the grants and uses before it, and a lineage of many
// records of one actor would otherwise re-read the log for each of them.
class QuotaTally {
 public:
  QuotaTally(RecordChecker& checker, const RecordStore& store) : checker_(checker), store_(store) {}

  // Checks every record of the log of `key` before `seq` (queuing their
  // signature checks), so that their validity is known before At is asked.
  Status Prefetch(const std::string& key, std::uint64_t seq) {
    ASSIGN_OR_RETURN(Log * log, Get(key));
    const std::size_t p =
        std::lower_bound(log->seqs.begin(), log->seqs.end(), seq) - log->seqs.begin();
    for (; log->prefetched < p; ++log->prefetched) {
      ASSIGN_OR_RETURN(const CheckedRecord* r, checker_.Check(log->seqs[log->prefetched]));
      (void)r;
    }
    return Status::Ok();
  }

  struct Balance {
    std::uint64_t granted = 0, used = 0;
    bool listed = false;  // the log lists `seq` itself
  };
  // Grants and uses of `key` by valid records before `seq`.
  Result<Balance> At(const std::string& key, std::uint64_t seq) {
    ASSIGN_OR_RETURN(Log * log, Get(key));
    const std::size_t p =
        std::lower_bound(log->seqs.begin(), log->seqs.end(), seq) - log->seqs.begin();
    while (log->granted.size() < p) {
      const std::size_t i = log->granted.size();
      std::uint64_t g = i ? log->granted[i - 1] : 0, u = i ? log->used[i - 1] : 0;
      ASSIGN_OR_RETURN(const CheckedRecord* r, checker_.Check(log->seqs[i]));
      if (r->parsed && r->authorized) {
        if (r->event.has_quota_granted()) {
          const auto& q = r->event.quota_granted();
          if (QuotaKey(q.actor_id(), q.year(), static_cast<QuotaKind>(q.kind())) == key) {
            g = q.reo_g();
          }
        } else if (auto use = QuotaUseOf(r->event, r->signer_role)) {
          if (QuotaKey(use->actor_id, use->year, use->kind) == key) u += use->reo_g;
        }
      }
      log->granted.push_back(g);
      log->used.push_back(u);
    }
    Balance b;
    if (p > 0) {
      b.granted = log->granted[p - 1];
      b.used = log->used[p - 1];
    }
    b.listed = p < log->seqs.size() && log->seqs[p] == seq;
    return b;
  }

 private:
  struct Log {
    std::vector<std::uint64_t> seqs;
    std::vector<std::uint64_t> granted, used;  // after each of seqs, as far as computed
    std::size_t prefetched = 0;                 // seqs[0, prefetched) are checked
  };
  Result<Log*> Get(const std::string& key) {
    auto it = logs_.find(key);
    if (it == logs_.end()) {
      Log log;
      ASSIGN_OR_RETURN(log.seqs, store_.QuotaLog(key));
      it = logs_.emplace(key, std::move(log)).first;
    }
    return &it->second;
  }

  RecordChecker& checker_;
  const RecordStore& store_;
  std::unordered_map<std::string, Log> logs_;
};

// Checks queued signatures on a pool while the walk goes on: each full
// chunk goes to the workers at once, and Finish reports every result in the
// order the jobs were queued, so the report does not depend on the thread
// count. With one thread everything runs in Finish, on the caller.
class SignaturePipeline {
 public:
  SignaturePipeline(RecordChecker& checker, unsigned threads)
      : checker_(checker), threads_(threads) {}

  // After every Check: hands a full chunk to the workers.
  void Poll() {
    if (threads_ <= 1 || checker_.pending_signatures() < kChunk) return;
    if (!pool_) pool_ = std::make_unique<ThreadPool>(threads_ - 1);  // the caller walks
    Launch();
  }

  // Runs what is left (the caller helps) and reports every result.
  void Finish() {
    if (!pool_) {
      // Starting a thread costs about as much as a few signature checks:
      // small lineages stay on the calling thread.
      constexpr std::size_t kJobsPerThread = 32;
      const std::size_t useful = checker_.pending_signatures() / kJobsPerThread;
      const std::size_t threads = std::min<std::size_t>(threads_, useful);
      pool_ = std::make_unique<ThreadPool>(threads > 1 ? static_cast<unsigned>(threads - 1) : 0);
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
  std::unique_ptr<ThreadPool> pool_;
  std::vector<Chunk> chunks_;
};

// The quota key a record uses, if any.
std::optional<std::string> QuotaKeyOf(const CheckedRecord& c) {
  auto use = QuotaUseOf(c.event, c.signer_role);
  if (!use) return std::nullopt;
  return QuotaKey(use->actor_id, use->year, use->kind);
}

Status CheckRegulatory(RecordChecker& checker, QuotaTally& tally, const CheckedRecord& c,
                       const std::string& lot_id) {
  if (c.event.has_extracted()) {
    ASSIGN_OR_RETURN(std::string licence, checker.LicenceOf(c.event.actor_id()));
    Violations vs;
    CheckLicence(c.event, licence, &vs);
    for (auto& v : vs) checker.Add(v.code, c.seq, v.lot_id, v.message);
  }
  auto use = QuotaUseOf(c.event, c.signer_role);
  if (!use) return Status::Ok();
  const std::string key = QuotaKey(use->actor_id, use->year, use->kind);
  ASSIGN_OR_RETURN(QuotaTally::Balance b, tally.At(key, c.seq));
  if (!b.listed) {
    checker.Add(finding::kIndexInconsistent, c.seq, lot_id,
                "the quota log of " + use->actor_id + " does not list record " +
                    std::to_string(c.seq) + ", which uses its quota");
  }
  Violations vs;
  CheckQuota(*use, b.granted, b.used, lot_id, &vs);
  for (auto& v : vs) checker.Add(v.code, c.seq, v.lot_id, v.message);
  return Status::Ok();
}

const char* OriginKind(const v1::Event& ev) {
  if (ev.has_extracted()) return "mine";
  if (ev.has_recycled()) return "recycled";
  if (ev.has_imported()) return "imported";
  return "";
}

}  // namespace

Result<VerifyReport> VerifyLineage(const RecordStore& store, std::string_view target,
                                   const VerifyOptions& options, KeyCache* keys) {
  VerifyReport report;
  report.lot_id = std::string(target);
  report.tree_size = store.Size();
  RecordChecker checker(store, &report.findings, options.check_signatures, keys);

  ASSIGN_OR_RETURN(auto target_seqs, store.LotSeqs(target));
  if (target_seqs.empty()) {
    return NotFoundError("lot " + std::string(target) + " is not in the ledger");
  }

  // unordered: a wide lineage has tens of thousands of lots, and every one
  // is looked up several times.
  std::unordered_map<std::string, LotTrace> traces;
  std::vector<std::string> order;
  std::deque<std::string> queue{std::string(target)};
  std::vector<std::pair<const CheckedRecord*, std::string>> origins;
  // Declared after the checker: destroyed (waiting for its workers) first.
  SignaturePipeline sigs(checker, ResolveThreads(options.threads));
  std::unordered_set<std::string> queued{std::string(target)};

  while (!queue.empty()) {
    std::string lot_id = queue.front();
    queue.pop_front();
    order.push_back(lot_id);
    LotTrace& tr = traces[lot_id];
    tr.out.lot_id = lot_id;
    ASSIGN_OR_RETURN(auto seqs, store.LotSeqs(lot_id));
    if (seqs.empty()) {
      checker.Add(finding::kLotUnknown, 0, lot_id,
                  "lot " + lot_id + " is named as an input but has no record in the ledger");
      continue;
    }
    tr.out.record_seqs = seqs;
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
      const auto& ev = c->event;
      const std::string& actor = ev.actor_id();
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
        tr.state = NewLot(*def, actor, seq, c->record.hash);
        tr.out.material = tr.state.material;
        tr.out.mass_g = tr.state.mass_g;
        tr.out.content = tr.state.content;
        tr.out.rare_earth_g = ReGrams(tr.state.content);
        tr.out.created_seq = seq;
        tr.out.created_by = actor;
        tr.out.creator_role = c->signer_role;
        tr.out.origin_kind = OriginKind(ev);
        tr.out.is_origin = !tr.out.origin_kind.empty();
        if (tr.out.is_origin) {
          Violations vs;
          CheckStage(ev, c->signer_role, *c->policy, {}, &vs);
          for (auto& v : vs) checker.Add(v.code, seq, v.lot_id, v.message);
          origins.emplace_back(c, lot_id);  // quota and licence: after signatures
        }
        if (ev.has_transformed()) {
          tr.by_transform = true;
          for (const auto& in : ev.transformed().inputs()) {
            report.edges.push_back({in.lot_id(), lot_id, in.consumed_g(), seq});
            if (queued.insert(in.lot_id()).second) queue.push_back(in.lot_id());
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
      if (!Touches(ev, lot_id)) {
        checker.Add(finding::kIndexInconsistent, seq, lot_id,
                    "the lot index lists record " + std::to_string(seq) + " under lot " + lot_id +
                        ", but that record does not concern it");
        continue;
      }
      // Only a transformation's balance check needs the state before.
      if (ev.has_transformed()) tr.before.emplace(seq, tr.state);
      Violations vs;
      if (ev.has_transformed() || ev.has_exported()) {
        CheckStage(ev, c->signer_role, *c->policy, {&tr.state}, &vs);
      }
      ApplyToLot(ev, actor, seq, c->record.hash, &tr.state, &vs);
      for (auto& v : vs) checker.Add(v.code, seq, lot_id, v.message);
    }
  }

  // Every record of the lineage is known now. Quota checks depend on the
  // validity of earlier quota records: check those too, then every queued
  // signature, on every thread asked for (the calling thread is one).
  QuotaTally tally(checker, store);
  for (const auto& [c, lot] : origins) {
    if (auto key = QuotaKeyOf(*c)) RETURN_IF_ERROR(tally.Prefetch(*key, c->seq));
    sigs.Poll();
  }
  for (const auto& id : order) {
    const LotTrace& tr = traces[id];
    if (!tr.by_transform) continue;
    if (auto key = QuotaKeyOf(*tr.creation)) RETURN_IF_ERROR(tally.Prefetch(*key, tr.created_seq));
    sigs.Poll();
  }
  sigs.Finish();

  // Mass balance of every transformation that created a lot of the lineage.
  std::set<std::uint64_t> balanced;
  for (const auto& id : order) {
    const LotTrace& tr = traces[id];
    if (!tr.by_transform || !balanced.insert(tr.created_seq).second) continue;
    const auto& t = tr.creation->event.transformed();
    std::vector<const LotView*> inputs;
    std::set<std::string> seen;
    for (const auto& in : t.inputs()) {
      const LotView* v = nullptr;
      auto it = traces.find(in.lot_id());
      if (it != traces.end()) {
        auto b = it->second.before.find(tr.created_seq);
        if (b != it->second.before.end()) v = &b->second;
      }
      if (!seen.insert(in.lot_id()).second) {
        checker.Add(finding::kEventMalformed, tr.created_seq, in.lot_id(),
                    "the transformation lists input lot " + in.lot_id() + " twice");
      }
      inputs.push_back(v);
    }
    Violations vs;
    const CheckedRecord& c = *tr.creation;
    CheckTransformBalance(t, inputs, tr.created_seq, c.policy->TolerancePpm(c.signer_role), &vs);
    CheckStage(c.event, c.signer_role, *c.policy, inputs, &vs);
    for (auto& v : vs) checker.Add(v.code, tr.created_seq, v.lot_id, v.message);
    RETURN_IF_ERROR(CheckRegulatory(checker, tally, c, id));
  }
  for (const auto& [c, lot] : origins) RETURN_IF_ERROR(CheckRegulatory(checker, tally, *c, lot));

  // Origin attribution, in creation order (inputs are always older than
  // their outputs). Weights: rare-earth grams each input contributed.
  std::vector<std::pair<std::uint64_t, std::string>> keyed;
  keyed.reserve(order.size());
  for (const auto& id : order) keyed.emplace_back(traces[id].created_seq, id);
  std::stable_sort(keyed.begin(), keyed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> by_creation;
  by_creation.reserve(keyed.size());
  for (auto& k : keyed) by_creation.push_back(std::move(k.second));
  std::unordered_map<std::string, std::map<std::string, double>> attribution;
  for (const auto& id : by_creation) {
    LotTrace& tr = traces[id];
    auto& mine = attribution[id];
    if (!tr.created) continue;
    if (tr.out.is_origin) {
      mine[id] = 1.0;
      continue;
    }
    if (!tr.by_transform) continue;
    const auto& t = tr.creation->event.transformed();
    std::vector<std::pair<std::string, double>> weights;
    double total = 0;
    for (const auto& in : t.inputs()) {
      auto it = traces.find(in.lot_id());
      if (it == traces.end()) continue;
      auto b = it->second.before.find(tr.created_seq);
      if (b == it->second.before.end()) continue;
      std::uint64_t re = 0;
      for (const auto& em : b->second.content) re += ContainedGrams(b->second, em.element, in.consumed_g());
      weights.emplace_back(in.lot_id(), static_cast<double>(re));
      total += static_cast<double>(re);
    }
    if (total == 0) {  // no declared rare earths: fall back to gross mass
      weights.clear();
      for (const auto& in : t.inputs()) {
        weights.emplace_back(in.lot_id(), static_cast<double>(in.consumed_g()));
        total += static_cast<double>(in.consumed_g());
      }
    }
    if (total == 0) continue;
    for (const auto& [in, w] : weights) {
      for (const auto& [origin, f] : attribution[in]) mine[origin] += f * (w / total);
    }
  }

  // Report: lots (target first, then by creation), origins, validity.
  const LotTrace& target_tr = traces[std::string(target)];
  for (const auto& id : by_creation) {
    LotTrace& tr = traces[id];
    tr.out.custodian = tr.state.custodian;
    tr.out.status = tr.created ? LotStatusName(tr.state.status) : "unknown";
    tr.out.remaining_g = tr.state.remaining_g;
    if (id == target) {
      report.lots.insert(report.lots.begin(), tr.out);
    } else {
      report.lots.push_back(tr.out);
    }
  }
  const std::uint64_t target_re = target_tr.out.rare_earth_g;
  for (const auto& [origin, f] : attribution[std::string(target)]) {
    const LotTrace& o = traces[origin];
    OriginShare share;
    share.origin_lot = origin;
    share.kind = o.out.origin_kind;
    share.actor_id = o.out.created_by;
    share.extracted_seq = o.created_seq;
    if (o.creation) {
      const auto& ev = o.creation->event;
      if (ev.has_extracted()) {
        share.site = ev.extracted().site();
        share.licence = ev.extracted().licence();
      } else if (ev.has_recycled()) {
        share.site = ev.recycled().source();
      } else if (ev.has_imported()) {
        share.site = ev.imported().origin_country();
        share.licence = ev.imported().customs_declaration();
      }
    }
    // An origin is compliant only if its creating record has no finding.
    for (const auto& f : report.findings) {
      if (f.seq == o.created_seq &&
          std::find(share.issues.begin(), share.issues.end(), f.code) == share.issues.end()) {
        share.issues.push_back(f.code);
      }
    }
    share.compliant = share.issues.empty();
    share.rare_earth_g = static_cast<std::uint64_t>(std::floor(f * static_cast<double>(target_re)));
    share.share_ppm = static_cast<std::uint32_t>(std::llround(f * 1e6));
    report.origins.push_back(share);
  }
  std::sort(report.origins.begin(), report.origins.end(),
            [](const OriginShare& a, const OriginShare& b) { return a.share_ppm > b.share_ppm; });
  double bad = 0;
  for (const auto& [origin, f] : attribution[std::string(target)]) {
    const LotTrace& o = traces[origin];
    for (const auto& fd : report.findings) {
      if (fd.seq == o.created_seq) {
        bad += f;
        break;
      }
    }
  }
  report.non_compliant_share_ppm = static_cast<std::uint32_t>(std::llround(bad * 1e6));
  std::stable_sort(report.edges.begin(), report.edges.end(),
                   [](const LineageEdge& a, const LineageEdge& b) { return a.seq < b.seq; });

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
