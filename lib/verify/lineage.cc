#include "verify/lineage.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "ledger/rules.h"
#include "util/status_macros.h"
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

}  // namespace

Result<VerifyReport> VerifyLineage(const RecordStore& store, std::string_view target) {
  VerifyReport report;
  report.lot_id = std::string(target);
  report.tree_size = store.Size();
  RecordChecker checker(store, &report.findings);

  ASSIGN_OR_RETURN(auto target_seqs, store.LotSeqs(target));
  if (target_seqs.empty()) {
    return NotFoundError("lot " + std::string(target) + " is not in the ledger");
  }

  std::map<std::string, LotTrace> traces;
  std::vector<std::string> order;
  std::deque<std::string> queue{std::string(target)};
  std::set<std::string> queued{std::string(target)};

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
      if (!c->parsed) continue;
      const auto& ev = c->event;
      const std::string& actor = ev.actor_id();
      if (i == 0) {
        const v1::Lot* def = nullptr;
        if (!Creates(ev, lot_id, &def)) {
          checker.Add(finding::kLotUnknown, seq, lot_id,
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
        tr.out.is_origin = ev.has_extracted();
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
      tr.before.emplace(seq, tr.state);
      Violations vs;
      ApplyToLot(ev, actor, seq, c->record.hash, &tr.state, &vs);
      for (auto& v : vs) checker.Add(v.code, seq, lot_id, v.message);
    }
  }

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
    CheckTransformBalance(t, inputs, tr.created_seq, &vs);
    for (auto& v : vs) checker.Add(v.code, tr.created_seq, v.lot_id, v.message);
  }

  // Origin attribution, in creation order (inputs are always older than
  // their outputs). Weights: rare-earth grams each input contributed.
  std::vector<std::string> by_creation(order.begin(), order.end());
  std::sort(by_creation.begin(), by_creation.end(), [&](const auto& a, const auto& b) {
    return traces[a].created_seq < traces[b].created_seq;
  });
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
    share.actor_id = o.out.created_by;
    share.extracted_seq = o.created_seq;
    if (o.creation && o.creation->event.has_extracted()) {
      share.site = o.creation->event.extracted().site();
      share.licence = o.creation->event.extracted().licence();
    }
    share.rare_earth_g = static_cast<std::uint64_t>(std::floor(f * static_cast<double>(target_re)));
    share.share_ppm = static_cast<std::uint32_t>(std::llround(f * 1e6));
    report.origins.push_back(share);
  }
  std::sort(report.origins.begin(), report.origins.end(),
            [](const OriginShare& a, const OriginShare& b) { return a.share_ppm > b.share_ppm; });
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
