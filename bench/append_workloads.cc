// The append workloads of retrace-bench (workloads.h).
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "retrace/bundle.h"
#include "retrace/ledger.h"
#include "retrace/note.h"
#include "workloads.h"

namespace retrace::bench {

// The limit of a durable single append: the ledger must verify the event's
// signature and commit it durably, so 1 / (1/verify + 1/commit) with the
// raw Ed25519 verify rate (1 thread) and the raw LMDB durable commit of one
// same-size value per transaction, both measured just before each chunk.
void RunAppend(const Flags& f, Raw& raw, Report& report) {
  const std::string dir = f.dir + "/retrace-bench-append";
  AppendLedger fresh = FreshAppendLedger(dir, true, "a-");
  std::unique_ptr<Ledger>& ledger = fresh.ledger;
  LineageActors& actors = fresh.actors;
  const std::uint64_t n = std::min<std::uint64_t>(f.records / 10, 1500);
  Loader plan(*ledger, 0);
  Must(plan.Start(), "loader");
  Must(PlanCustodyEvents(plan, actors, n, "a-"), "planning events");
  const double avg_bytes = static_cast<double>(plan.stored_bytes()) / plan.events();
  const std::size_t msg = static_cast<std::size_t>(plan.event_bytes() / plan.events()) + 17;
  std::vector<SignedEvent> events = plan.Take();
  std::vector<double> lat;
  std::uint64_t written = 0;  // bytes the appends passed to write calls
  double cpu = 0;             // process CPU seconds inside the appends
  std::vector<double> raw_pages, raw_cpu_us;
  // The events in --reps chunks, in order, each after a limit measurement.
  const std::size_t reps = static_cast<std::size_t>(std::max(f.reps, 1));
  const std::size_t chunk = (events.size() + reps - 1) / reps;
  auto samples = Interleave(
      f.reps,
      [&](int, json* parts) {
        const double v = raw.VerifyNow(Algorithm::kEd25519, msg, 1);
        LmdbAppendResult d;
        const double c = raw.LmdbCommitNow(static_cast<std::size_t>(avg_bytes), 1, 100, true, &d);
        raw_pages.push_back(d.pages_per_commit);
        raw_cpu_us.push_back(d.cpu_us_per_commit);
        *parts = {{"verify", v},
                  {"lmdb_durable_commits", c},
                  {"lmdb_commit_p50_us", d.commit_p50_us},
                  {"lmdb_pages_per_commit", d.pages_per_commit},
                  {"lmdb_cpu_us_per_commit", d.cpu_us_per_commit}};
        return Serial({v, c});
      },
      [&](int rep) {
        const std::size_t from = std::min(events.size(), static_cast<std::size_t>(rep) * chunk);
        const std::size_t to = std::min(events.size(), from + chunk);
        const std::uint64_t w0 = ProcWriteBytes();
        const double c0 = ProcessCpuSeconds();
        const double secs = Time([&] {
          for (std::size_t i = from; i < to; ++i) {
            auto t0 = Clock::now();
            Must(ledger->Append(events[i]), "append");
            lat.push_back(Since(t0) * 1e3);
          }
        });
        cpu += ProcessCpuSeconds() - c0;
        written += ProcWriteBytes() - w0;
        return secs > 0 ? static_cast<double>(to - from) / secs : 0;
      });
  ledger.reset();
  std::filesystem::remove_all(dir);
  Row row;
  row.workload = "append";
  row.variant = "durable, 1 event/commit, ed25519";
  row.unit = "events/s";
  row.latency = {{"p50_ms", Percentile(lat, 50)}, {"p99_ms", Percentile(lat, 99)},
                 {"p999_ms", Percentile(lat, 99.9)}};
  // Pages per commit, the ledger's against the raw loop's (one value per
  // commit in both): what the ledger's indexes and state add to each fsync.
  const double pages = events.empty() ? 0 : static_cast<double>(written) / 4096 / events.size();
  const double cpu_us = events.empty() ? 0 : cpu * 1e6 / events.size();
  row.extra = {{"events", events.size()},
               {"avg_record_bytes", avg_bytes},
               {"pages_per_commit", pages},
               {"cpu_us_per_event", cpu_us},
               {"raw_pages_per_commit", Percentile(raw_pages, 50)},
               {"raw_cpu_us_per_commit", Percentile(raw_cpu_us, 50)}};
  report.Add(Judge(row, samples, "1/(1/verify + 1/raw LMDB put+commit+fsync, same size)", 0.8));
  char note[240];
  std::snprintf(note, sizeof(note),
                "append: %.1f pages written and %.0f us of CPU per commit (raw LMDB one-value "
                "commit: %.1f pages, %.0f us)",
                pages, cpu_us, Percentile(raw_pages, 50), Percentile(raw_cpu_us, 50));
  report.Note(note);
}

// Per-event signatures: the client signs every event (1 thread) and the
// ledger verifies every signature (on --threads) and commits 256 per
// transaction. Limits, from raw rates measured just before each chunk:
// sign + AppendBatch: 1 / (1/sign_1t + 1/verify_Nt + 1/commit_256);
// AppendBatch alone: 1 / (1/verify_Nt + 1/commit_256). (The 0.8 x sign
// target this row once had is impossible: the ledger must also verify.)
void RunAppendBatch(const Flags& f, Raw& raw, Report& report) {
  const std::string dir = f.dir + "/retrace-bench-append-batch";
  AppendLedger fresh = FreshAppendLedger(dir, true, "b-");
  std::unique_ptr<Ledger>& ledger = fresh.ledger;
  LineageActors& actors = fresh.actors;
  const std::uint64_t n = std::min<std::uint64_t>(f.records, 60000);
  Loader plan(*ledger, 0);
  Must(plan.Start(), "loader");
  const double cpu0 = ProcessCpuSeconds();
  const double sign_secs = Time([&] { Must(PlanCustodyEvents(plan, actors, n, "b-"), "plan"); });
  const double sign_cpu = ProcessCpuSeconds() - cpu0;
  const double avg_event = static_cast<double>(plan.event_bytes()) / plan.events();
  const double avg_stored = static_cast<double>(plan.stored_bytes()) / plan.events();
  std::vector<SignedEvent> events = plan.Take();
  const double client_rate = static_cast<double>(events.size()) / sign_secs;
  constexpr std::size_t kBatch = 256;
  const std::size_t msg = static_cast<std::size_t>(avg_event) + 17;
  std::vector<double> lat;
  double append_cpu = 0;
  // The appends in --reps chunks of whole batches, each after the limit's
  // raw primitives; the client's signing was timed once, above.
  const std::size_t reps = static_cast<std::size_t>(std::max(f.reps, 1));
  const std::size_t chunk = ((events.size() + reps - 1) / reps + kBatch - 1) / kBatch * kBatch;
  std::vector<Sample> ledger_samples;
  auto samples = Interleave(
      f.reps,
      [&](int, json* parts) {
        const double s = raw.SignNow(Algorithm::kEd25519, msg, 1);
        const double v = raw.VerifyNow(Algorithm::kEd25519, msg, f.threads);
        const double c =
            raw.LmdbCommitNow(static_cast<std::size_t>(avg_stored), kBatch, 20, true);
        *parts = {{"sign_1t", s}, {"verify_nt", v}, {"lmdb_durable_256", c}};
        Sample ls;
        ls.limit = Serial({v, c});
        ls.parts = *parts;
        ledger_samples.push_back(ls);
        return Serial({s, v, c});
      },
      [&](int rep) {
        const std::size_t from = std::min(events.size(), static_cast<std::size_t>(rep) * chunk);
        const std::size_t to = std::min(events.size(), from + chunk);
        const double secs = Time([&] {
          for (std::size_t i = from; i < to; i += kBatch) {
            std::vector<SignedEvent> batch(events.begin() + i,
                                           events.begin() + std::min(to, i + kBatch));
            auto t0 = Clock::now();
            const double c0 = ProcessCpuSeconds();
            Must(ledger->AppendBatch(batch), "append batch");
            append_cpu += ProcessCpuSeconds() - c0;
            lat.push_back(Since(t0) * 1e3);
          }
        });
        const double ledger_rate = secs > 0 ? static_cast<double>(to - from) / secs : 0;
        ledger_samples.back().value = ledger_rate;
        return Serial({client_rate, ledger_rate});
      });
  ledger.reset();
  std::filesystem::remove_all(dir);
  Row row;
  row.workload = "append-batch";
  row.variant = "sign + AppendBatch(256), 1 thread";
  row.unit = "events/s";
  row.extra = {{"client_sign_events_per_s", client_rate},
               {"cpu_us_per_event", (sign_cpu + append_cpu) / events.size() * 1e6},
               {"ledger_cpu_us_per_event", append_cpu / events.size() * 1e6}};
  report.Add(Judge(row, samples,
                   "1/(1/sign 1t + 1/verify " + std::to_string(f.threads) +
                       "t + 1/raw LMDB durable commit of 256)",
                   0.8));
  Row led;
  led.workload = "append-batch";
  led.variant = "AppendBatch(256) of signed events";
  led.unit = "events/s";
  led.latency = {{"p50_ms", Percentile(lat, 50)}, {"p99_ms", Percentile(lat, 99)}};
  led.extra = {{"events", events.size()},
               {"note", "the ledger verifies every signature before appending; 1 - ratio is "
                        "what storage beyond the raw commit, indexing and rules cost"}};
  report.Add(Judge(led, ledger_samples,
                   "1/(1/verify " + std::to_string(f.threads) +
                       "t + 1/raw LMDB durable commit of 256)",
                   0.8));
}

// append-batch with batch signatures: the same rows as the per-record ones.
// Per event the work that cannot be avoided is 1/256 of a sign and of a
// verify, one SHA-256 of the event (its leaf in the batch tree) and its
// share of a durable commit of 256: the limit is
// 1 / (1/(256 sign) + 1/(256 verify) + 1/SHA-256 + 1/commit_256) for the
// client-and-ledger row, without the sign term for the ledger's own row.
// No target: what these rows cost besides the limit is storage, indexing
// and rules, which the AppendBatch rows share.
void RunAppendBatchSigned(const Flags& f, Raw& raw, Report& report) {
  const std::string dir = f.dir + "/retrace-bench-append-batch-signed";
  AppendLedger fresh = FreshAppendLedger(dir, true, "s-");
  std::unique_ptr<Signer>& root = fresh.root;
  std::unique_ptr<Ledger>& ledger = fresh.ledger;
  LineageActors& actors = fresh.actors;
  constexpr std::size_t kBatch = 256;
  const std::uint64_t n = std::min<std::uint64_t>(f.records, 60000);
  const std::uint64_t reps = static_cast<std::uint64_t>(std::max(f.reps, 1));
  // The limit's message and record sizes: about those of these custody
  // events (the row's avg_event_bytes); SHA-256 and sign rates barely move
  // over tens of bytes.
  const std::size_t msg = 170;
  const std::size_t stored = 330;
  BatchSignedRun run;
  std::vector<Sample> ledger_samples;
  auto samples = Interleave(
      f.reps,
      [&](int, json* parts) {
        const double s = raw.SignNow(Algorithm::kEd25519, msg, 1);
        const double v = raw.VerifyNow(Algorithm::kEd25519, msg, 1);
        const double h = raw.Sha256Now(msg, 1);
        const double c = raw.LmdbCommitNow(stored, kBatch, 20, true);
        *parts = {{"sign_1t", s}, {"verify_1t", v}, {"sha256_1t", h}, {"lmdb_durable_256", c}};
        Sample ls;
        ls.limit = Serial({v * kBatch, h, c});
        ls.parts = *parts;
        ledger_samples.push_back(ls);
        return Serial({s * kBatch, v * kBatch, h, c});
      },
      [&](int rep) {
        BatchSignedRun r = AppendBatchSigned(*ledger, actors, n / reps, kBatch,
                                             "s-" + std::to_string(rep) + "-");
        run.events += r.events;
        run.client_seconds += r.client_seconds;
        run.ledger_seconds += r.ledger_seconds;
        run.cpu_seconds += r.cpu_seconds;
        run.batch_ms.insert(run.batch_ms.end(), r.batch_ms.begin(), r.batch_ms.end());
        run.avg_event_bytes = r.avg_event_bytes;
        const double client = static_cast<double>(r.events) / r.client_seconds;
        const double led = static_cast<double>(r.events) / r.ledger_seconds;
        ledger_samples.back().value = led;
        return Serial({client, led});
      });
  ledger.reset();
  std::filesystem::remove_all(dir);
  // The same without fsync: what the write transactions cost on their own.
  double nosync_rate = 0;
  {
    auto l = Must(Ledger::Create(LedgerOptions(false), dir, "bench", *root, "regulator"), "create");
    Loader s2(*l, 1000);
    Must(s2.Start(), "loader");
    auto a2 = Must(RegisterLineageActors(s2, *root, "regulator", Algorithm::kEd25519, "s-"), "actors");
    Must(s2.Flush(), "register");
    BatchSignedRun r2 = AppendBatchSigned(*l, a2, n, kBatch, "s-");
    nosync_rate = static_cast<double>(r2.events) / r2.ledger_seconds;
    l.reset();
    std::filesystem::remove_all(dir);
  }
  const std::string limit = "1/(1/(256 sign) + 1/(256 verify) + 1/SHA-256 + 1/raw LMDB durable "
                            "commit of 256), 1t";
  Row row;
  row.workload = "append-batch";
  row.variant = "batch-sign(256) + AppendBatch, 1 thread";
  row.unit = "events/s";
  row.extra = {{"client_batch_sign_events_per_s", run.events / run.client_seconds},
               {"ledger_events_per_s", run.events / run.ledger_seconds},
               {"cpu_us_per_event", run.cpu_seconds / run.events * 1e6},
               {"events", run.events},
               {"avg_event_bytes", run.avg_event_bytes}};
  report.Add(Judge(row, samples, limit));
  Row led;
  led.workload = "append-batch";
  led.variant = "AppendBatch(256) of batch-signed events";
  led.unit = "events/s";
  led.latency = {{"p50_ms", Percentile(run.batch_ms, 50)}, {"p99_ms", Percentile(run.batch_ms, 99)}};
  led.extra = {{"ledger_events_per_s_without_fsync", nosync_rate},
               {"note", "one root signature verified per batch; the rest is storage, indexing, "
                        "rules and one fsync per batch"}};
  report.Add(Judge(led, ledger_samples,
                   "1/(1/(256 verify) + 1/SHA-256 + 1/raw LMDB durable commit of 256), 1t"));
}

// ---------------------------------------------------------------------------
// sign-and-append: Ledger::SignAndAppend of unsigned events (the ledger links,
// signs with the host's key outside the write lock, and appends; it does not
// verify signatures it made).

struct SignAppendRun {
  std::uint64_t events = 0;
  std::uint64_t commits = 0;
  double seconds = 0;      // wall time inside SignAndAppend (1 caller), or of the whole run
  double cpu_seconds = 0;  // process CPU over the same span
  std::uint64_t write_bytes = 0;
  std::vector<double> call_ms;
  std::uint64_t event_bytes = 0;
};

// `total` events appended by `callers` threads, each running its own
// CustodyRounds (its own lots) and calling SignAndAppend with `batch`
// events at a time; with 2 callers one signs while the other commits.
SignAppendRun RunSignAndAppend(Ledger& ledger, const LineageActors& a, std::uint64_t total,
                               std::size_t batch, bool batch_signature, unsigned callers,
                               const std::string& prefix) {
  SignAppendRun run;
  const std::string ledger_id = Must(ledger.Info(), "info").ledger_id;
  SignAndAppendOptions options;
  options.batch_signature = batch_signature;
  std::mutex mu;
  auto caller = [&](unsigned c, std::uint64_t quota, bool time_calls) {
    CustodyRounds rounds(a, ledger_id, prefix + std::to_string(c) + "-", batch);
    std::uint64_t done = 0;
    while (done < quota) {
      auto next = rounds.Next();
      const auto t0 = Clock::now();
      const double cpu0 = time_calls ? ProcessCpuSeconds() : 0;
      const std::uint64_t w0 = time_calls ? ProcWriteBytes() : 0;
      auto results = Must(ledger.SignAndAppend(next.first, *next.second, options), "sign and append");
      const double dt = Since(t0);
      // The event size, for the raw sign reference: the call's last record's.
      const std::uint64_t bytes =
          Must(ledger.ReadRecord(results.back().seq), "read").event_bytes.size() * results.size();
      std::lock_guard<std::mutex> lock(mu);
      if (time_calls) {
        run.cpu_seconds += ProcessCpuSeconds() - cpu0;
        run.write_bytes += ProcWriteBytes() - w0;
        run.seconds += dt;
      }
      run.call_ms.push_back(dt * 1e3);
      run.events += next.first.size();
      run.event_bytes += bytes;
      ++run.commits;
      done += next.first.size();
    }
  };
  if (callers <= 1) {
    caller(0, total, true);
    return run;
  }
  const double cpu0 = ProcessCpuSeconds();
  const std::uint64_t w0 = ProcWriteBytes();
  run.seconds = Time([&] {
    std::vector<std::thread> threads;
    for (unsigned c = 0; c < callers; ++c) {
      threads.emplace_back(caller, c, total / callers, false);
    }
    for (auto& t : threads) t.join();
  });
  run.cpu_seconds = ProcessCpuSeconds() - cpu0;
  run.write_bytes = ProcWriteBytes() - w0;
  return run;
}

// sign-and-append rows: per-event and batch signatures, group commits of 256
// and 4096, one caller and two (pipelined), durable and not.
void RunSignAndAppendRows(const Flags& f, Raw& raw, Report& report) {
  const std::string dir = f.dir + "/retrace-bench-sign-append";
  const std::uint64_t n = std::min<std::uint64_t>(f.records, 60000);
  struct Variant {
    const char* name;
    std::size_t batch;
    bool batch_signature;
    unsigned callers;
    bool sync;
    double target;
  };
  const Variant variants[] = {
      {"sign-and-append(256), 1 thread", 256, false, 1, true, 0.8},
      {"sign-and-append(256), batch signature, 1 thread", 256, true, 1, true, -1},
      {"sign-and-append(4096), 1 thread", 4096, false, 1, true, 0.8},
      {"sign-and-append(4096), batch signature, 1 thread", 4096, true, 1, true, -1},
      {"sign-and-append(256), batch signature, 2 callers", 256, true, 2, true, -1},
      {"sign-and-append(256), 2 callers", 256, false, 2, true, -1},
      {"sign-and-append(256), NOT durable per commit", 256, false, 1, false, -1},
      {"sign-and-append(256), batch sig., NOT durable per commit", 256, true, 1, false, -1},
  };
  // On a shared machine the wall-clock raw sign rate moves with the load;
  // signatures per CPU-second of this thread do not, and compare with each
  // row's events per CPU-second of the whole process.
  double sign_cpu_rate = 0;
  {
    auto key = Must(Signer::Generate(Algorithm::kEd25519), "key");
    const std::string message(150, 'm');
    const double start_ms = CpuMs(CLOCK_THREAD_CPUTIME_ID);
    std::uint64_t count = 0;
    double spent = 0;
    while (spent < f.seconds) {
      for (int i = 0; i < 200; ++i) Must(key->Sign(message), "sign");
      count += 200;
      spent = (CpuMs(CLOCK_THREAD_CPUTIME_ID) - start_ms) / 1e3;
    }
    sign_cpu_rate = count / spent;
    Row r;
    r.workload = "raw";
    r.variant = "sign ed25519 150B 1t, per CPU-second";
    r.value = sign_cpu_rate;
    r.unit = "ops/cpu-s";
    report.Add(r);
  }
  // Limits, from raw rates measured before each chunk of the row: per-event
  // signatures cost one sign per event and the event's share of a commit of
  // `batch` (durable or not), so 1 / (1/sign + 1/commit); with a batch
  // signature one sign per call and one SHA-256 per event (its leaf):
  // 1 / (1/(batch sign) + 1/SHA-256 + 1/commit). Two callers: the sign rate
  // on 2 threads. Target 0.8 for the one-caller, per-event durable rows.
  const std::uint64_t reps = static_cast<std::uint64_t>(std::max(f.reps, 1));
  for (const Variant& v : variants) {
    std::filesystem::remove_all(dir);
    auto root = Must(Signer::Generate(Algorithm::kEd25519), "root");
    Options o = LedgerOptions(v.sync);
    o.append_threads = 1;  // the signing (and prechecks) on the calling thread
    auto ledger = Must(Ledger::Create(o, dir, "bench", *root, "regulator"), "create");
    Loader setup(*ledger, 1000);
    Must(setup.Start(), "loader");
    auto actors = Must(RegisterLineageActors(setup, *root, "regulator", Algorithm::kEd25519, "g-"),
                       "actors");
    Must(setup.Flush(), "register");
    SignAppendRun run;
    // About these custody events' sizes (avg_event_bytes in the row).
    constexpr std::size_t kMsg = 170, kStored = 330;
    auto samples = Interleave(
        f.reps,
        [&](int, json* parts) {
          const double sg = raw.SignNow(Algorithm::kEd25519, kMsg, v.callers);
          const double c = raw.LmdbCommitNow(kStored, v.batch, v.batch >= 4096 ? 3 : 20, v.sync);
          if (!v.batch_signature) {
            *parts = {{"sign", sg}, {"lmdb_commit", c}};
            return Serial({sg, c});
          }
          const double h = raw.Sha256Now(kMsg, v.callers);
          *parts = {{"sign", sg}, {"sha256", h}, {"lmdb_commit", c}};
          return Serial({sg * static_cast<double>(v.batch), h, c});
        },
        [&](int rep) {
          SignAppendRun r = RunSignAndAppend(*ledger, actors, n / reps, v.batch,
                                             v.batch_signature, v.callers,
                                             "g-" + std::to_string(rep) + "-");
          run.events += r.events;
          run.commits += r.commits;
          run.seconds += r.seconds;
          run.cpu_seconds += r.cpu_seconds;
          run.write_bytes += r.write_bytes;
          run.event_bytes += r.event_bytes;
          run.call_ms.insert(run.call_ms.end(), r.call_ms.begin(), r.call_ms.end());
          return static_cast<double>(r.events) / r.seconds;
        });
    ledger.reset();
    if (f.keep && &v == &variants[0]) {
      // For `mdb_stat -a`: which tables hold how many pages.
      std::filesystem::remove_all(dir + "-kept");
      std::filesystem::rename(dir, dir + "-kept");
    }
    std::filesystem::remove_all(dir);
    const double avg_event = static_cast<double>(run.event_bytes) / run.events;
    Row row;
    row.workload = "append-batch";
    row.variant = v.name;
    row.unit = "events/s";
    row.latency = {{"p50_ms", Percentile(run.call_ms, 50)}, {"p99_ms", Percentile(run.call_ms, 99)}};
    row.extra = {{"events", run.events},
                 {"commits", run.commits},
                 {"durable_per_commit", v.sync},
                 {"cpu_us_per_event", run.cpu_seconds / run.events * 1e6},
                 {"cpu_events_per_s", run.events / run.cpu_seconds},
                 {"cpu_ratio_to_sign_cpu", run.events / run.cpu_seconds / sign_cpu_rate},
                 {"write_kib_per_commit", run.write_bytes / 1024.0 / run.commits},
                 {"pages_written_per_commit", run.write_bytes / 4096.0 / run.commits},
                 {"avg_event_bytes", avg_event}};
    const std::string threads = std::to_string(v.callers) + "t";
    const std::string commit = std::string("raw LMDB ") + (v.sync ? "durable " : "no-sync ") +
                               "commit of " + std::to_string(v.batch);
    report.Add(Judge(row, samples,
                     v.batch_signature
                         ? "1/(1/(" + std::to_string(v.batch) + " sign " + threads +
                               ") + 1/SHA-256 + 1/" + commit + ")"
                         : "1/(1/sign " + threads + " + 1/" + commit + ")",
                     v.target));
  }
  // The raw LMDB reference: 256 same-size values per durable commit, with
  // the pages each commit writes.
  const std::string raw_dir = f.dir + "/retrace-bench-raw-lmdb";
  const std::uint64_t w0 = ProcWriteBytes();
  const std::size_t raw_count = 256 * 40;
  auto lm = RawLmdbAppend(raw_dir, 330, raw_count, 256, true);
  const std::uint64_t w1 = ProcWriteBytes();
  std::filesystem::remove_all(raw_dir);
  Row lmr;
  lmr.workload = "append-batch";
  lmr.variant = "raw LMDB, 256 x 330-byte values per commit";
  lmr.value = lm.values_per_second;
  lmr.unit = "values/s";
  lmr.latency = {{"commit_p50_us", lm.commit_p50_us}, {"commit_p99_us", lm.commit_p99_us}};
  lmr.extra = {{"write_kib_per_commit", (w1 - w0) / 1024.0 / (raw_count / 256)},
               {"pages_written_per_commit", (w1 - w0) / 4096.0 / (raw_count / 256)}};
  report.Add(lmr);
}

// verify-batch-signed: a ledger of batch-signed custody events (batches of
// 256), audited with signatures on 1 and N threads.
void RunVerifyBatchSigned(const Flags& f, Raw& raw, Report& report) {
  const std::string dir = f.dir + "/retrace-bench-batch-signed";
  AppendLedger fresh = FreshAppendLedger(dir, false, "v-");
  std::unique_ptr<Ledger>& ledger = fresh.ledger;
  LineageActors& actors = fresh.actors;
  constexpr std::size_t kBatch = 256;
  const std::uint64_t n = std::min<std::uint64_t>(f.records, 300000);
  BatchSignedRun built;
  const double build_secs = Time([&] { built = AppendBatchSigned(*ledger, actors, n, kBatch, "v-"); });
  Row b;
  b.workload = "build";
  b.variant = "ed25519 batch-signed(256), " + std::to_string(built.events) + " records";
  b.value = static_cast<double>(built.events) / build_secs;
  b.unit = "records/s";
  report.Add(b);
  const std::size_t msg = static_cast<std::size_t>(built.avg_event_bytes) + 17;
  // The mean stored record (what the audit hashes), from a sample.
  double stored_sum = 0;
  std::uint64_t sampled = 0;
  const std::uint64_t size = Must(ledger->Info(), "info").size;
  for (std::uint64_t s = 1; s < size; s += std::max<std::uint64_t>(1, size / 1000), ++sampled) {
    stored_sum += static_cast<double>(Must(ledger->ReadRecord(s), "read").stored.size());
  }
  const std::size_t stored = static_cast<std::size_t>(stored_sum / std::max<std::uint64_t>(1, sampled)) + 1;
  std::set<unsigned> thread_counts = {1u, f.threads};
  for (unsigned threads : thread_counts) {
    AuditOptions o;
    o.max_clock_skew_seconds = kBenchClockSkew;
    o.threads = threads;
    AuditReport r;
    double cpu = 0, secs = 0;
    // The limit of a full audit of batches of 256: one verify per batch and
    // one SHA-256 of each record's bytes, on `threads` threads.
    auto samples = Interleave(
        f.reps,
        [&](int, json* parts) {
          const double v = raw.VerifyNow(Algorithm::kEd25519, msg, threads);
          const double h = raw.Sha256Now(stored, threads);
          *parts = {{"verify", v}, {"sha256", h}};
          return Serial({v * static_cast<double>(kBatch), h});
        },
        [&](int) {
          secs = Time([&] {
            const double cpu0 = ProcessCpuSeconds();
            r = Must(ledger->Audit(o), "audit");
            cpu = ProcessCpuSeconds() - cpu0;
          });
          return static_cast<double>(r.records_checked) / secs;
        });
    if (!r.valid) report.Note("audit of the batch-signed ledger found problems: a bug");
    Row row;
    row.workload = "verify-batch-signed";
    row.variant = "audit, signatures, " + std::to_string(threads) + "t";
    row.unit = "records/s";
    row.extra = {{"records", r.records_checked}, {"signatures_checked", r.signatures_checked},
                 {"seconds", secs}, {"cpu_seconds", cpu},
                 {"cpu_us_per_record", r.records_checked ? cpu * 1e6 / r.records_checked : 0},
                 {"avg_record_bytes", stored},
                 {"valid", r.valid}};
    row = Judge(row, samples,
                "1/(1/(256 verify) + 1/SHA-256 of the record), " + std::to_string(threads) + "t");
    if (threads == 2) {
      row.target = ">= 100000/s";
      row.met = row.value >= 100000 ? 1 : 0;
    }
    report.Add(row);
  }
  ledger.reset();
  if (!f.keep) std::filesystem::remove_all(dir);
}

// T client threads, each signing its own actors' events and appending them
// with AppendBatch; one LMDB writer. Returns events/s.
double AppendParallelOnce(const Flags& f, unsigned threads, std::uint64_t total, Report& report) {
  const std::string dir = f.dir + "/retrace-bench-append-parallel";
  std::filesystem::remove_all(dir);
  auto root = Must(Signer::Generate(Algorithm::kEd25519), "root");
  Options o = LedgerOptions(true);
  o.append_threads = 1;  // the client threads are the parallelism measured
  auto ledger = Must(Ledger::Create(o, dir, "bench", *root, "regulator"), "create");
  std::vector<LineageActors> actors;
  {
    Loader setup(*ledger, 1000);
    Must(setup.Start(), "loader");
    for (unsigned t = 0; t < threads; ++t) {
      std::string prefix = "p";  // piecewise: see BuildLedger
      prefix += std::to_string(t);
      prefix += '-';
      actors.push_back(Must(RegisterLineageActors(setup, *root, "regulator", Algorithm::kEd25519,
                                                  prefix),
                            "actors"));
    }
    Must(setup.Flush(), "register");
  }
  const std::string ledger_id = Must(ledger->Info(), "info").ledger_id;
  const std::uint64_t per_thread = total / threads;
  constexpr std::size_t kBatch = 63;  // 21 extractions, 21 shipments, 21 receipts
  std::atomic<bool> failed{false};
  std::string error;
  std::mutex error_mu;
  double secs = Time([&] {
    std::vector<std::thread> ts;
    for (unsigned t = 0; t < threads; ++t) {
      ts.emplace_back([&, t] {
        const LineageActors& a = actors[t];
        std::uint64_t done = 0;
        // Built piecewise: GCC 12 -O3 warns (-Wrestrict, a false positive)
        // on "literal" + std::string temporaries chained here.
        std::string prefix = "p";
        prefix += std::to_string(t);
        prefix += '-';
        CustodyRounds rounds(a, ledger_id, prefix, kBatch / 3);
        while (done < per_thread && !failed) {
          std::vector<Event> evs = rounds.NextRound();
          std::vector<SignedEvent> batch;
          for (auto& ev : evs) {
            Status st = ledger->LinkParents(&ev);
            const Signer& s = ev.actor_id == a.mine_id ? *a.mine : *a.smelter;
            auto se = st.ok() ? SignEvent(ev, s) : Result<SignedEvent>(st);
            if (!se.ok()) {
              std::lock_guard<std::mutex> lock(error_mu);
              error = se.status().ToString();
              failed = true;
              return;
            }
            batch.push_back(std::move(se).value());
          }
          auto r = ledger->AppendBatch(batch);
          if (!r.ok()) {
            std::lock_guard<std::mutex> lock(error_mu);
            error = r.status().ToString();
            failed = true;
            return;
          }
          done += batch.size();
        }
      });
    }
    for (auto& t : ts) t.join();
  });
  if (failed) Die("append-parallel: " + error);
  const std::uint64_t appended = Must(ledger->Info(), "info").size;
  ledger.reset();
  std::filesystem::remove_all(dir);
  (void)report;
  return static_cast<double>(appended - 1 - 4 * threads) / secs;
}

void RunAppendParallel(const Flags& f, Raw& raw, Report& report) {
  const std::uint64_t total = std::min<std::uint64_t>(f.records, 30000);
  const double one = AppendParallelOnce(f, 1, total, report);
  Row r1;
  r1.workload = "append-parallel";
  r1.variant = "1 client thread (sign+verify+append)";
  r1.value = one;
  r1.unit = "events/s";
  report.Add(r1);
  if (f.threads > 1) {
    const double many = AppendParallelOnce(f, f.threads, total, report);
    Row rn;
    rn.workload = "append-parallel";
    rn.variant = std::to_string(f.threads) + " client threads, 1 writer";
    rn.value = many;
    rn.unit = "events/s";
    report.Add(Ratio(rn, one, "the same with 1 client thread", 0.8 * f.threads));
    const double raw1 = raw.Verify(Algorithm::kEd25519, 300, 1);
    const double rawn = raw.Verify(Algorithm::kEd25519, 300, f.threads);
    report.Note("raw ed25519 verify scales " + std::to_string(rawn / raw1) + "x from 1 to " +
                std::to_string(f.threads) + " threads on this machine: the ceiling for "
                "append-parallel's scaling");
  }
}

}  // namespace retrace::bench
