// The harness of retrace-bench: timing, flags, machine facts, the report
// with its rows and ratios, and the raw primitives measured in the same run
// (bench/raw.h). Workloads (append_workloads.cc, verify_workloads.cc) use
// it; retrace_bench.cc runs them.
#ifndef RETRACE_BENCH_HARNESS_H_
#define RETRACE_BENCH_HARNESS_H_

#include <lmdb.h>
#include <openssl/crypto.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gen.h"
#include "raw.h"
#include "retrace/ledger.h"
#include "retrace/signer.h"
#include "retrace/status.h"

#ifndef RETRACE_BENCH_BUILD_TYPE
#define RETRACE_BENCH_BUILD_TYPE "unknown"
#endif

namespace retrace::bench {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t0);

template <typename F>
double Time(F&& f) {
  auto t0 = Clock::now();
  f();
  return Since(t0);
}

double Percentile(std::vector<double> v, double p);

[[noreturn]] void Die(const std::string& what);

template <typename T>
T Must(Result<T> r, const std::string& what) {
  if (!r.ok()) Die(what + ": " + r.status().ToString());
  return std::move(r).value();
}
void Must(const Status& s, const std::string& what);

// ---------------------------------------------------------------------------
// Flags.

struct Flags {
  std::vector<std::string> workloads = {"append",       "append-batch",  "append-parallel",
                                        "verify-lineage", "lineage-walk",  "audit",
                                        "prove",          "verify-bundle", "algorithms",
                                        "verify-batch-signed"};
  std::uint64_t records = 100000;
  unsigned threads = 0;  // 0: hardware threads
  std::vector<Algorithm> algorithms = {Algorithm::kEd25519, Algorithm::kEcdsaP256Sha256,
                                       Algorithm::kSm2Sm3};
  std::string dir = "/tmp";
  double seconds = 1.0;  // per raw-primitive repetition
  int reps = 3;
  bool json = false;
  bool keep = false;
  bool batch_signed_chain = false;  // --chain=batch-signed: the main ledger's bulk (BuildLedger)
  std::string audit_rss_child;  // internal: audit this ledger and print memory
  bool child_signatures = true;  // for --audit-rss-child (profiling: --no-signatures)
  bool child_integrity = false;  // for --audit-rss-child: --integrity (AuditScope::kIntegrity)
  std::string verify_child;       // internal/profiling: verify --lot in this ledger
  std::string lot;
  int repeat = 1;
};

Flags ParseFlags(int argc, char** argv);

bool Wants(const Flags& f, const std::string& w);

// Machine and process facts.
std::string CpuModel();
std::string LoadAverage();
long StatusKb(const char* field);
std::string SelfExe();
std::uint64_t FileBytes(const std::string& path);

// ---------------------------------------------------------------------------
// Results.

struct Row {
  std::string workload;
  std::string variant;
  double value = 0;          // throughput
  std::string unit;          // "records/s", "events/s", ...
  json latency;              // {"p50_ms":..,"p99_ms":..} where it matters
  double ratio = -1;         // value / raw (the median of the reps' ratios when interleaved)
  double ratio_min = -1, ratio_max = -1;  // over the interleaved reps (Judge)
  std::string ratio_to;      // the physical limit: what it is computed from
  double raw = 0;
  std::string target;        // e.g. ">= 0.90"
  int met = -1;              // 1 met, 0 missed, -1 no target
  json extra;
};

class Report {
 public:
  explicit Report(bool as_json) : json_(as_json) {}

  void Header(const Flags& f) {
    machine_ = {{"cpu", CpuModel()},
                {"hardware_threads", std::thread::hardware_concurrency()},
                {"build_type", RETRACE_BENCH_BUILD_TYPE},
                {"openssl", OpenSSL_version(OPENSSL_VERSION)},
                {"lmdb", mdb_version(nullptr, nullptr, nullptr)},
                {"threads", f.threads},
                {"records", f.records},
                {"load_average_start", LoadAverage()}};
    if (json_) return;
    std::printf("retrace-bench\n");
    std::printf("  CPU:           %s (%u hardware threads)\n", CpuModel().c_str(),
                std::thread::hardware_concurrency());
    std::printf("  build type:    %s\n", RETRACE_BENCH_BUILD_TYPE);
    std::printf("  OpenSSL:       %s\n", OpenSSL_version(OPENSSL_VERSION));
    std::printf("  LMDB:          %s\n", mdb_version(nullptr, nullptr, nullptr));
    std::printf("  threads:       %u\n", f.threads);
    std::printf("  records:       %llu\n", static_cast<unsigned long long>(f.records));
    std::printf("  load average:  %s (1, 5, 15 min) at start\n", LoadAverage().c_str());
#if !defined(NDEBUG) || defined(RETRACE_BENCH_DEBUG_BUILD)
    std::printf("WARNING: this is a debug build (assertions on, little optimisation); figures "
                "are not representative. Configure with -DCMAKE_BUILD_TYPE=Release.\n");
#endif
    std::printf("\n%-16s %-34s %14s %-10s %9s %9s %19s %-11s %s\n", "workload", "variant",
                "throughput", "unit", "p50 ms", "p99 ms", "ratio (min-max)", "target",
                "limit (ratio to)");
    std::fflush(stdout);
  }

  void Add(Row r) {
    if (!json_) {
      char p50[32] = "", p99[32] = "", ratio[32] = "";
      if (r.latency.contains("p50_ms")) {
        std::snprintf(p50, sizeof(p50), "%.3f", r.latency["p50_ms"].get<double>());
      }
      if (r.latency.contains("p99_ms")) {
        std::snprintf(p99, sizeof(p99), "%.3f", r.latency["p99_ms"].get<double>());
      }
      if (r.ratio >= 0 && r.ratio_min >= 0) {
        std::snprintf(ratio, sizeof(ratio), "%.3f (%.3f-%.3f)", r.ratio, r.ratio_min, r.ratio_max);
      } else if (r.ratio >= 0) {
        std::snprintf(ratio, sizeof(ratio), "%.3f", r.ratio);
      }
      std::string target = r.target;
      if (r.met == 1) target += " ok";
      if (r.met == 0) target += " MISS";
      std::printf("%-16s %-34s %14.1f %-10s %9s %9s %19s %-11s %s\n", r.workload.c_str(),
                  r.variant.c_str(), r.value, r.unit.c_str(), p50, p99, ratio, target.c_str(),
                  r.ratio_to.c_str());
      if (!r.extra.empty()) std::printf("%-16s   %s\n", "", r.extra.dump().c_str());
      std::fflush(stdout);
    }
    json j = {{"workload", r.workload}, {"variant", r.variant}, {"value", r.value},
              {"unit", r.unit}};
    if (!r.latency.empty()) j["latency"] = r.latency;
    if (r.ratio >= 0) {
      j["ratio"] = r.ratio;
      if (r.ratio_min >= 0) {
        j["ratio_min"] = r.ratio_min;
        j["ratio_max"] = r.ratio_max;
      }
      j["ratio_to"] = r.ratio_to;
      j["raw"] = r.raw;
    }
    if (!r.target.empty()) {
      j["target"] = r.target;
      j["met"] = r.met == 1;
    }
    if (!r.extra.empty()) j["extra"] = r.extra;
    rows_.push_back(j);
  }

  void Note(const std::string& text) {
    notes_.push_back(text);
    if (!json_) {
      std::printf("  note: %s\n", text.c_str());
      std::fflush(stdout);
    }
  }

  void Finish(double total_seconds) {
    machine_["load_average_end"] = LoadAverage();
    machine_["total_seconds"] = total_seconds;
    if (json_) {
      json out = {{"schema", "retrace.bench/v1"}, {"machine", machine_}, {"results", rows_},
                  {"notes", notes_}};
      std::cout << out.dump(2) << "\n";
    } else {
      std::printf("\ntotal %.1f s; load average at end %s\n", total_seconds,
                  LoadAverage().c_str());
    }
  }

 private:
  bool json_;
  json machine_;
  json rows_ = json::array();
  std::vector<std::string> notes_;
};

Row Ratio(Row r, double raw, const std::string& to, double target = -1);

// ---------------------------------------------------------------------------
// Interleaved measurement: a workload judged against its physical limit,
// both measured in turn (limit, workload, limit, workload, ...), so that a
// change in the machine's load moves both alike. Each repetition gives a
// ratio; a row reports the median ratio with the min and max.

struct Sample {
  double value = 0;  // the workload's rate in this repetition
  double limit = 0;  // the limit's rate, measured just before it
  json parts;        // the raw rates the limit was computed from
};

// `limit(rep, &parts)` measures the raw primitives and returns the limit's
// rate; `work(rep)` runs one repetition of the workload and returns its
// rate. Called alternately, `reps` times each.
template <typename Limit, typename Work>
std::vector<Sample> Interleave(int reps, Limit limit, Work work) {
  std::vector<Sample> out;
  for (int i = 0; i < std::max(reps, 1); ++i) {
    Sample s;
    s.limit = limit(i, &s.parts);
    s.value = work(i);
    out.push_back(std::move(s));
  }
  return out;
}

// The row's value is the median workload rate, its ratio the median of the
// per-repetition ratios (with min and max), judged against `target` if > 0.
Row Judge(Row r, const std::vector<Sample>& samples, const std::string& limit, double target = -1);

// The middle value; the mean of the two middle ones for an even count.
double Median(std::vector<double> v);

// 1 / (1/a + 1/b + ...): the rate of doing every step in turn, given the
// rate of each alone (zero or negative rates are left out).
double Serial(std::initializer_list<double> rates);

// ---------------------------------------------------------------------------
// Raw primitives, measured once per (kind, algorithm, size, threads).

class Raw {
 public:
  Raw(const Flags& f, Report& report) : f_(f), report_(report) {}

  double Verify(Algorithm alg, std::size_t bytes, unsigned threads) {
    return Get("verify", alg, bytes, threads,
               [&] { return RawVerify(alg, bytes, threads, f_.seconds, f_.reps); });
  }
  double Sign(Algorithm alg, std::size_t bytes, unsigned threads) {
    return Get("sign", alg, bytes, threads,
               [&] { return RawSign(alg, bytes, threads, f_.seconds, f_.reps); });
  }
  // The same primitives measured afresh for one interleaved repetition
  // (half of --seconds each, one repetition), never cached.
  double VerifyNow(Algorithm alg, std::size_t bytes, unsigned threads) {
    return RawVerify(alg, bytes, threads, f_.seconds / 2, 1).per_second;
  }
  double SignNow(Algorithm alg, std::size_t bytes, unsigned threads) {
    return RawSign(alg, bytes, threads, f_.seconds / 2, 1).per_second;
  }
  double Sha256Now(std::size_t bytes, unsigned threads) {
    return RawSha256(bytes, threads, f_.seconds / 2, 1).per_second;
  }
  // Values per second of raw LMDB durable appends of `bytes`-byte values,
  // `per_commit` to a commit, about `commits` commits, in a scratch
  // environment under --dir (deleted afterwards). `detail`, if given,
  // receives the whole result (latencies, pages and CPU per commit).
  double LmdbCommitNow(std::size_t bytes, std::size_t per_commit, std::size_t commits, bool sync,
                       LmdbAppendResult* detail = nullptr);
  const Flags& flags() const { return f_; }

  double Sha256(std::size_t bytes, unsigned threads) {
    return Get("sha256", Algorithm::kEd25519, bytes, threads,
               [&] { return RawSha256(bytes, threads, f_.seconds, f_.reps); });
  }

 private:
  template <typename F>
  double Get(const std::string& kind, Algorithm alg, std::size_t bytes, unsigned threads, F run) {
    // Sizes within 5 % share a measurement.
    const std::size_t bucket = bytes / 20 * 20;
    std::string key = kind + "/" + (kind == "sha256" ? "" : AlgorithmName(alg)) + "/" +
                      std::to_string(bucket) + "/" + std::to_string(threads);
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    Rate r = run();
    Row row;
    row.workload = "raw";
    row.variant = kind + (kind == "sha256" ? "" : std::string(" ") + AlgorithmName(alg)) + " " +
                  std::to_string(bytes) + "B " + std::to_string(threads) + "t";
    row.value = r.per_second;
    row.unit = "ops/s";
    row.extra = {{"min", r.min}, {"max", r.max}, {"repetitions", r.repetitions},
                 {"spread_pct", r.per_second > 0 ? 100.0 * (r.max - r.min) / r.per_second : 0}};
    report_.Add(row);
    cache_[key] = r.per_second;
    return r.per_second;
  }

  const Flags& f_;
  Report& report_;
  std::map<std::string, double> cache_;
};

}  // namespace retrace::bench

#endif  // RETRACE_BENCH_HARNESS_H_
