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
BenchLedger BuildLedger(const std::string& dir, Algorithm alg, std::uint64_t records,
                        const std::vector<std::uint64_t>& lineage_sizes,
                        const std::vector<Shape>& shapes, Report& report);
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

}  // namespace retrace::bench

#endif  // RETRACE_BENCH_LEDGERS_H_
