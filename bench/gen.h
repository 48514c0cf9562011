// Benchmark ledgers: the demo's supply chain scaled up (lib/sim), plus
// lineages of a chosen size and shape appended in large batches.
#ifndef RETRACE_BENCH_GEN_H_
#define RETRACE_BENCH_GEN_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "retrace/event.h"
#include "retrace/ledger.h"
#include "retrace/signer.h"

namespace retrace::bench {

// Signs events and appends them in batches of `batch`, predicting every
// record's hash (seq, previous hash and the exact record bytes are known
// once the head is), so that an event may link to a record of the same,
// still uncommitted batch. The ledger must have no other writer meanwhile.
// With batch == 0 nothing is appended: the signed events are kept for the
// caller (Take), e.g. to time their appends later, one by one.
class Loader {
 public:
  Loader(Ledger& ledger, std::size_t batch) : ledger_(ledger), batch_(batch) {}
  Status Start();
  // Fills ledger_id, signs, queues. Returns the predicted record hash.
  Result<Hash> Add(Event ev, const Signer& signer);
  Status Flush();
  std::vector<SignedEvent> Take() { return std::move(pending_); }
  std::uint64_t size() const { return size_; }
  std::uint64_t stored_bytes() const { return stored_bytes_; }
  std::uint64_t event_bytes() const { return event_bytes_; }
  std::uint64_t events() const { return events_; }

 private:
  Ledger& ledger_;
  const std::size_t batch_;
  std::string ledger_id_;
  std::uint64_t size_ = 0;
  Hash head_{};
  std::vector<SignedEvent> pending_;
  std::uint64_t stored_bytes_ = 0, event_bytes_ = 0, events_ = 0;
};

// Actors the lineage shapes use: a mine and a separator (which may
// transform concentrate and mixed compounds into mixed compounds under the
// default stage policy), registered once with their licence and ample 2026
// quotas.
struct LineageActors {
  std::unique_ptr<Signer> mine, smelter;  // `smelter` is the separator
  std::string mine_id, smelter_id;
  std::string mine_licence;
};
Result<LineageActors> RegisterLineageActors(Loader& loader, const Signer& root,
                                            const std::string& root_actor, Algorithm alg,
                                            const std::string& prefix);

// Appends a lineage of about `records` records ending in one lot and
// returns that lot's id.
//   deep: one extracted lot (extraction, shipment, receipt) reprocessed
//         records - 3 times in a chain: every record is an ancestor of the next.
//   wide: records / 3 extracted lots (each extracted, shipped, received),
//         merged by transformations of up to 5,000 inputs, then merged again.
// Events are dated one second apart in 2026 (the quotas' year).
enum class Shape { kDeep, kWide };
Result<std::string> AppendLineage(Loader& loader, const LineageActors& actors, Shape shape,
                                  std::uint64_t records, const std::string& prefix);

// Plans `n` events as an ERP would send them, cycling through extraction,
// shipment and receipt (each shipment and receipt links to a record planned
// before it): the event mix of the append workloads.
Status PlanCustodyEvents(Loader& loader, const LineageActors& actors, std::uint64_t n,
                         const std::string& prefix);

}  // namespace retrace::bench

#endif  // RETRACE_BENCH_GEN_H_
