// retrace-bench: the macro benchmark harness (in the spirit of LevelDB's
// db_bench). Every workload reports its throughput, latency percentiles
// where they matter, and its ratio to the raw primitive measured in this
// same run (bench/raw.h), so that figures from a loaded or slower machine
// still say how close retrace runs to what the hardware allows.
//
//   retrace-bench [--workloads=append,append-batch,append-parallel,
//                   verify-lineage,lineage-walk,audit,prove,verify-bundle,
//                   algorithms,verify-batch-signed,sign-append,audit-integrity]
//                 [--records=N] [--threads=N] [--algorithms=ed25519,ecdsa-p256,sm2]
//                 [--dir=/tmp] [--seconds=S] [--reps=R] [--json] [--keep]
//
// docs/performance.md explains every workload and target, and records the
// figures with the commands that produced them.
//
// This file runs the workloads; harness.h is the harness, ledgers.h the
// ledgers measured, workloads.h the workloads.
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>

#include "harness.h"
#include "ledgers.h"
#include "workloads.h"

namespace retrace::bench {
namespace {

int Main(int argc, char** argv) {
  Flags f = ParseFlags(argc, argv);
  if (!f.audit_rss_child.empty()) return AuditRssChild(f);
  if (!f.verify_child.empty()) {
    // For profilers: only VerifyLot, `repeat` times.
    Options o;
    o.read_only = true;
    auto ledger = Must(Ledger::Open(o, f.verify_child), "open");
    VerifyOptions vo;
    vo.max_clock_skew_seconds = kBenchClockSkew;
    vo.check_signatures = f.child_signatures;
    vo.threads = f.threads;
    VerifyReport r;
    const double p0 = CpuMs(CLOCK_PROCESS_CPUTIME_ID), t0 = CpuMs(CLOCK_THREAD_CPUTIME_ID);
    double secs = Time([&] {
      for (int i = 0; i < f.repeat; ++i) r = Must(ledger->VerifyLot(f.lot, vo), "verify");
    });
    const double cpu = CpuMs(CLOCK_PROCESS_CPUTIME_ID) - p0;
    const double caller = CpuMs(CLOCK_THREAD_CPUTIME_ID) - t0;
    std::printf("%d x %llu records in %.3f s (%.3f ms each; CPU %.3f ms each, %.3f on the "
                "calling thread), valid %d\n",
                f.repeat, static_cast<unsigned long long>(r.records_checked), secs,
                secs * 1e3 / f.repeat, cpu / f.repeat, caller / f.repeat, r.valid);
    for (std::size_t i = 0; i < r.findings.size() && i < 5; ++i) {
      std::printf("  finding %s at %llu (%s): %s\n", r.findings[i].code.c_str(),
                  static_cast<unsigned long long>(r.findings[i].seq), r.findings[i].lot_id.c_str(),
                  r.findings[i].message.c_str());
    }
    return 0;
  }
  static const std::set<std::string> kKnown = {
      "append",       "append-batch", "append-parallel", "verify-lineage", "lineage-walk",
      "audit",        "prove",        "verify-bundle",   "algorithms", "verify-batch-signed",
      "sign-append",  "audit-integrity"};
  for (const auto& w : f.workloads) {
    if (!kKnown.count(w)) Die("unknown workload " + w);
  }
  std::error_code ec;
  std::filesystem::create_directories(f.dir, ec);
  if (ec) Die("cannot create " + f.dir + ": " + ec.message());
  Report report(f.json);
  report.Header(f);
  Raw raw(f, report);
  const auto t0 = Clock::now();

  if (Wants(f, "append")) RunAppend(f, raw, report);
  if (Wants(f, "append-batch")) {
    RunAppendBatch(f, raw, report);
    RunAppendBatchSigned(f, raw, report);
  }
  // The sign-and-append rows of append-batch, also on their own.
  if (Wants(f, "append-batch") || Wants(f, "sign-append")) RunSignAndAppendRows(f, raw, report);
  if (Wants(f, "verify-batch-signed")) RunVerifyBatchSigned(f, raw, report);
  if (Wants(f, "append-parallel")) RunAppendParallel(f, raw, report);
  if (Wants(f, "verify-lineage") || Wants(f, "lineage-walk") || Wants(f, "audit") ||
      Wants(f, "audit-integrity") || Wants(f, "prove") || Wants(f, "verify-bundle")) {
    BenchLedger b = BuildLedger(f.dir + "/retrace-bench-main", Algorithm::kEd25519, f.records,
                                LineageSizes(f.records), {Shape::kDeep, Shape::kWide}, report,
                                f.batch_signed_chain);
    if (Wants(f, "lineage-walk")) RunLineageWalk(f, b, raw, report);
    if (Wants(f, "verify-lineage")) RunVerifyLineage(f, b, Algorithm::kEd25519, raw, report, "");
    if (Wants(f, "audit")) {
      RunAudit(f, b, Algorithm::kEd25519, raw, report, "", /*with_integrity=*/true);
      RunAuditMemory(f, b, report);
    } else if (Wants(f, "audit-integrity")) {
      RunAudit(f, b, Algorithm::kEd25519, raw, report, "", true, /*integrity_only=*/true);
    }
    if (Wants(f, "prove") || Wants(f, "verify-bundle")) RunProve(f, b, raw, report);
    Remove(f, b);
  }
  if (Wants(f, "algorithms")) RunAlgorithms(f, raw, report);
  report.Finish(Since(t0));
  return 0;
}

}  // namespace
}  // namespace retrace::bench

int main(int argc, char** argv) { return retrace::bench::Main(argc, argv); }
