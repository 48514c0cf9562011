// The ledgers retrace-bench measures: the demo supply chain scaled up with
// deep and wide lineages (BuildLedger), and the fresh ledger every append
// workload starts from (FreshAppendLedger).
#ifndef RETRACE_BENCH_LEDGERS_H_
#define RETRACE_BENCH_LEDGERS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gen.h"
#include "harness.h"
#include "retrace/ledger.h"
#include "retrace/signer.h"

namespace retrace::bench {

struct Lineage {
  Shape shape;
  std::uint64_t target_records;
  std::string lot_id;
};

struct BenchLedger {
  std::string dir;
  std::unique_ptr<Signer> root;
  std::unique_ptr<Ledger> ledger;
  std::vector<Lineage> lineages;
  std::uint64_t records = 0;
  double avg_stored_bytes = 0;  // serialized record
  double avg_event_bytes = 0;
  double build_seconds = 0;
};

const char* ShapeName(Shape s);
// The main ledger's simulated clock runs for years past its start
// (2026-03-02), further the larger the ledger: the bench allows any event
// date (Options, VerifyOptions and AuditOptions max_clock_skew_seconds),
// which the clock rule would otherwise refuse as dated in the future. The
// rule's check itself is still made on every record.
inline constexpr std::int64_t kBenchClockSkew = std::int64_t{1} << 40;
Options LedgerOptions(bool sync);
void SampleSizes(BenchLedger& b);
// The supply chain of the demo (lib/sim: one event per commit, each signed),
// or with `batch_signed_chain` custody rounds batch-signed and appended 256
// at a time (AppendBatchSigned: how a 10M-record ledger is built in
// minutes), scaled to about `records` records, then deep and wide lineages
// of `lineage_sizes` records.
BenchLedger BuildLedger(const std::string& dir, Algorithm alg, std::uint64_t records,
                        const std::vector<std::uint64_t>& lineage_sizes,
                        const std::vector<Shape>& shapes, Report& report,
                        bool batch_signed_chain = false);
void Remove(const Flags& f, BenchLedger& b);
std::vector<std::uint64_t> LineageSizes(std::uint64_t records);

// A fresh ledger in `dir` (replacing any), rooted in a new Ed25519 key, with
// the lineage actors registered under ids starting with `prefix`: the
// starting point of every append workload.
struct AppendLedger {
  std::unique_ptr<Signer> root;
  std::unique_ptr<Ledger> ledger;
  LineageActors actors;
};

AppendLedger FreshAppendLedger(const std::string& dir, bool sync, const char* prefix);

// Unsigned custody events in the rounds of AppendBatchSigned: the mine
// extracts `batch` lots, ships those it extracted the round before, and the
// separator receives those shipped the round before. Each Next() is one
// actor's `batch` events (or fewer, in the first rounds), linking only to
// records of earlier calls; each NextRound() is a whole round, both actors'
// events in one call (use one or the other on an instance).
class CustodyRounds {
 public:
  CustodyRounds(const LineageActors& a, std::string ledger_id, std::string prefix,
                std::size_t batch)
      : a_(a), ledger_id_(std::move(ledger_id)), prefix_(std::move(prefix)), batch_(batch) {}

  // The next call's events and the key that signs them.
  std::pair<std::vector<Event>, const Signer*> Next() {
    if (queue_.empty()) Round();
    auto next = std::move(queue_.front());
    queue_.erase(queue_.begin());
    return next;
  }

  // A whole round: extractions, then shipments, then receipts, each to be
  // signed by its own actor's key.
  std::vector<Event> NextRound() {
    if (queue_.empty()) Round();
    std::vector<Event> all;
    for (auto& call : queue_) {
      for (auto& ev : call.first) all.push_back(std::move(ev));
    }
    queue_.clear();
    return all;
  }

 private:
  Event Make(const std::string& actor, EventBody body) {
    Event ev;
    ev.ledger_id = ledger_id_;
    ev.event_id = prefix_ + "ev-" + std::to_string(++counter_);
    ev.actor_id = actor;
    ev.time = {1772438400 + static_cast<std::int64_t>(counter_), 0};
    ev.references.push_back({"invoice", "INV-" + std::to_string(counter_)});
    ev.body = std::move(body);
    return ev;
  }

  void Round() {
    std::vector<Event> ex, sh, re;
    std::vector<std::string> new_extracted;
    for (std::size_t i = 0; i < batch_; ++i) {
      Lot lot;
      lot.lot_id = prefix_ + "ORE-" + std::to_string(counter_ + 1);
      lot.material = MaterialClass::kOreConcentrate;
      lot.mass_g = 1000000;
      lot.content = {{Element::kNd, 50000}, {Element::kPr, 15000}};
      new_extracted.push_back(lot.lot_id);
      ex.push_back(Make(a_.mine_id, Extracted{lot, "Bench pit", a_.mine_licence,
                                              QuotaKind::kMiningRock}));
    }
    for (const auto& id : extracted_) {
      sh.push_back(Make(a_.mine_id, Shipped{id, std::nullopt, a_.smelter_id, 1000000}));
    }
    for (const auto& id : shipped_) {
      re.push_back(Make(a_.smelter_id, Received{id, std::nullopt, a_.mine_id, 1000000}));
    }
    queue_.emplace_back(std::move(ex), a_.mine.get());
    if (!sh.empty()) queue_.emplace_back(std::move(sh), a_.mine.get());
    if (!re.empty()) queue_.emplace_back(std::move(re), a_.smelter.get());
    shipped_ = std::move(extracted_);
    extracted_ = std::move(new_extracted);
  }

  const LineageActors& a_;
  std::string ledger_id_, prefix_;
  std::size_t batch_;
  std::uint64_t counter_ = 0;
  std::vector<std::string> extracted_, shipped_;
  std::vector<std::pair<std::vector<Event>, const Signer*>> queue_;
};

// Batch-signed custody events in rounds of three batches of `batch`: the
// mine extracts `batch` lots, ships the lots it extracted in the previous
// round, and the separator receives the lots shipped in the previous round.
// Each batch is one actor's, signed once (SignEventBatch), and links only
// to records appended in earlier rounds: a batch-signed record's hash covers
// the batch root, so events of one batch cannot link to each other.
struct BatchSignedRun {
  std::uint64_t events = 0;
  double client_seconds = 0;  // building, linking and batch-signing
  double ledger_seconds = 0;  // AppendBatch
  double cpu_seconds = 0;     // process CPU of both
  std::vector<double> batch_ms;
  double avg_event_bytes = 0;
};

BatchSignedRun AppendBatchSigned(Ledger& ledger, const LineageActors& a, std::uint64_t total,
                                 std::size_t batch, const std::string& prefix);

}  // namespace retrace::bench

#endif  // RETRACE_BENCH_LEDGERS_H_
