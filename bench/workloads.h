// The workloads of retrace-bench (docs/performance.md explains each): the
// append workloads (append_workloads.cc) and those that read a built
// ledger -- verification, lineage walk, audit, proofs and bundles, the
// algorithm comparison (verify_workloads.cc).
#ifndef RETRACE_BENCH_WORKLOADS_H_
#define RETRACE_BENCH_WORKLOADS_H_

#include <string>

#include "harness.h"
#include "ledgers.h"

namespace retrace::bench {

// Append workloads.
void RunAppend(const Flags& f, Raw& raw, Report& report);
void RunAppendBatch(const Flags& f, Raw& raw, Report& report);
void RunAppendBatchSigned(const Flags& f, Raw& raw, Report& report);
void RunSignAndAppendRows(const Flags& f, Raw& raw, Report& report);
void RunVerifyBatchSigned(const Flags& f, Raw& raw, Report& report);
void RunAppendParallel(const Flags& f, Raw& raw, Report& report);

// Workloads over a built ledger.
void RunVerifyLineage(const Flags& f, BenchLedger& b, Algorithm alg, Raw& raw, Report& report,
                      const std::string& label);
void RunLineageWalk(const Flags& f, BenchLedger& b, Raw& raw, Report& report);
int AuditRssChild(const Flags& f);
// `integrity_only`: only the integrity-only rows (workload audit-integrity).
void RunAudit(const Flags& f, BenchLedger& b, Algorithm alg, Raw& raw, Report& report,
              const std::string& label, bool with_integrity, bool integrity_only = false);
void RunAuditMemory(const Flags& f, BenchLedger& b, Report& report);
void RunProve(const Flags& f, BenchLedger& b, Raw& raw, Report& report);
void RunAlgorithms(const Flags& f, Raw& raw, Report& report);

}  // namespace retrace::bench

#endif  // RETRACE_BENCH_WORKLOADS_H_
