// The ledgers retrace-bench measures (ledgers.h).
#include "ledgers.h"

#include <algorithm>
#include <filesystem>

#include "retrace/sim.h"

namespace retrace::bench {

const char* ShapeName(Shape s) { return s == Shape::kDeep ? "deep" : "wide"; }

Options LedgerOptions(bool sync) {
  Options o;
  o.sync = sync;
  o.initial_map_size = std::uint64_t{256} << 20;
  o.max_clock_skew_seconds = kBenchClockSkew;
  return o;
}

// Average serialized record and event size over a sample of records.
void SampleSizes(BenchLedger& b) {
  const std::uint64_t n = b.records;
  const std::uint64_t step = std::max<std::uint64_t>(1, n / 2000);
  double stored = 0, event = 0;
  std::uint64_t k = 0;
  for (std::uint64_t s = 1; s < n; s += step, ++k) {
    Record r = Must(b.ledger->ReadRecord(s), "reading a record");
    stored += static_cast<double>(r.stored.size());
    event += static_cast<double>(r.event_bytes.size());
  }
  b.avg_stored_bytes = k ? stored / static_cast<double>(k) : 0;
  b.avg_event_bytes = k ? event / static_cast<double>(k) : 0;
}

BenchLedger BuildLedger(const std::string& dir, Algorithm alg, std::uint64_t records,
                        const std::vector<std::uint64_t>& lineage_sizes,
                        const std::vector<Shape>& shapes, Report& report, bool batch_signed_chain) {
  BenchLedger b;
  b.dir = dir;
  std::filesystem::remove_all(dir);
  b.root = Must(Signer::Generate(alg), "root key");
  auto t0 = Clock::now();
  b.ledger = Must(Ledger::Create(LedgerOptions(false), dir, "bench", *b.root, "regulator"),
                  "creating " + dir);
  std::uint64_t lineage_records = 0;
  for (auto s : lineage_sizes) lineage_records += shapes.size() * s;
  // A campaign of the generator appends ~89 records (measured; quota grants
  // included), whatever lib/sim/supply_chain.h estimates.
  const std::uint64_t sim_records =
      records > lineage_records + 200 ? records - lineage_records : 200;
  std::uint64_t chain_records = 0;
  if (batch_signed_chain) {
    // What an ERP sending batches of 256 writes: custody rounds of one
    // mine and one separator, one signature per batch.
    Loader setup(*b.ledger, 1000);
    Must(setup.Start(), "loader");
    auto actors = Must(RegisterLineageActors(setup, *b.root, "regulator", alg, "C-"), "actors");
    Must(setup.Flush(), "register");
    chain_records = AppendBatchSigned(*b.ledger, actors, sim_records, 256, "C-").events;
  } else {
    sim::Config cfg;
    cfg.algorithm = alg;
    cfg.scale = static_cast<int>(std::max<std::uint64_t>(1, sim_records / 89));
    chain_records = Must(sim::Build(*b.ledger, *b.root, cfg), "generating the supply chain").events_appended;
  }
  const double sim_seconds = Since(t0);

  Loader loader(*b.ledger, 1000);
  Must(loader.Start(), "loader");
  int k = 0;
  json lineage_lots = json::object();
  for (auto size : lineage_sizes) {
    for (Shape shape : shapes) {
      // Appended piecewise: "L" + std::to_string(k) trips GCC 12's -Wrestrict.
      std::string prefix = "L";
      prefix += std::to_string(++k);
      prefix += '-';
      // Each lineage has its own mine and separator: verifying a lot checks
      // its actors' quota logs of the year up to it, and a realistic log is
      // the actor's own production, not every benchmark lineage's.
      auto actors = Must(RegisterLineageActors(loader, *b.root, "regulator", alg, prefix),
                         "actors");
      std::string lot = Must(AppendLineage(loader, actors, shape, size, prefix), "lineage");
      b.lineages.push_back({shape, size, lot});
      lineage_lots[std::string(ShapeName(shape)) + "-" + std::to_string(size)] = lot;
    }
  }
  Must(loader.Flush(), "appending lineages");
  b.build_seconds = Since(t0);
  b.records = Must(b.ledger->Info(), "info").size;
  SampleSizes(b);
  Row row;
  row.workload = "build";
  row.variant = std::string(AlgorithmName(alg)) + (batch_signed_chain ? " batch-signed chain, " : " ") +
                std::to_string(b.records) + " records";
  row.value = static_cast<double>(b.records) / b.build_seconds;
  row.unit = "records/s";
  row.extra = {{"seconds", b.build_seconds},
               {"supply_chain_records", chain_records},
               {"supply_chain_seconds", sim_seconds},
               {"note", std::string(batch_signed_chain
                                        ? "supply chain: batch-signed custody rounds, AppendBatch of 256"
                                        : "supply chain: sign + Append one event per commit") +
                            " (no fsync); lineages: AppendBatch of 1000"},
               {"avg_record_bytes", b.avg_stored_bytes},
               {"avg_event_bytes", b.avg_event_bytes},
               {"lineage_lots", lineage_lots}};
  report.Add(row);
  return b;
}

void Remove(const Flags& f, BenchLedger& b) {
  b.ledger.reset();
  if (!f.keep) std::filesystem::remove_all(b.dir);
}

std::vector<std::uint64_t> LineageSizes(std::uint64_t records) {
  std::vector<std::uint64_t> out;
  for (std::uint64_t s : {10, 100, 1000, 10000, 100000}) {
    if (s <= std::max<std::uint64_t>(10, records / 8)) out.push_back(s);
  }
  return out;
}

AppendLedger FreshAppendLedger(const std::string& dir, bool sync, const char* prefix) {
  std::filesystem::remove_all(dir);
  AppendLedger a;
  a.root = Must(Signer::Generate(Algorithm::kEd25519), "root");
  a.ledger = Must(Ledger::Create(LedgerOptions(sync), dir, "bench", *a.root, "regulator"), "create");
  Loader setup(*a.ledger, 1000);
  Must(setup.Start(), "loader");
  a.actors = Must(RegisterLineageActors(setup, *a.root, "regulator", Algorithm::kEd25519, prefix),
                  "actors");
  Must(setup.Flush(), "register");
  return a;
}

BatchSignedRun AppendBatchSigned(Ledger& ledger, const LineageActors& a, std::uint64_t total,
                                 std::size_t batch, const std::string& prefix) {
  BatchSignedRun run;
  CustodyRounds rounds(a, Must(ledger.Info(), "info").ledger_id, prefix, batch);
  std::uint64_t event_bytes = 0;
  while (run.events < total) {
    const double cpu0 = ProcessCpuSeconds();
    std::vector<SignedEvent> signed_batch;
    run.client_seconds += Time([&] {
      auto next = rounds.Next();
      for (auto& ev : next.first) Must(ledger.LinkParents(&ev), "link");
      signed_batch = Must(SignEventBatch(next.first, *next.second), "batch sign");
    });
    for (const auto& se : signed_batch) event_bytes += se.event_bytes.size();
    auto t0 = Clock::now();
    Must(ledger.AppendBatch(signed_batch), "append batch-signed");
    const double dt = Since(t0);
    run.ledger_seconds += dt;
    run.batch_ms.push_back(dt * 1e3);
    run.events += signed_batch.size();
    run.cpu_seconds += ProcessCpuSeconds() - cpu0;
  }
  run.avg_event_bytes = run.events ? static_cast<double>(event_bytes) / run.events : 0;
  return run;
}

}  // namespace retrace::bench
