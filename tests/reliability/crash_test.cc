// Crash safety: a writer process is SIGKILLed at seeded random moments --
// while it opens the ledger, between appends, in the middle of a single or
// batched append, while the map grows -- and after every kill the ledger
// must open, audit clean, hold every acknowledged record byte for byte, and
// hold the interrupted call either completely or not at all.
//
// Reproduce a run with RETRACE_CRASH_SEED=<seed> (printed on failure and in
// the summary); RETRACE_CRASH_KILLS sets the number of kills (default 128).
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "reliability/reliability_util.h"
#include "reliability/writer_fixture.h"
#include "retrace/ledger.h"

namespace retrace {
namespace {

using testing::ChildProcess;
using testing::WriterLedger;
using testing::WriterLog;

struct Totals {
  long kills = 0;
  long before_ready = 0;        // killed while starting / opening the ledger
  long during_call = 0;         // killed between announcing a call and its last ack
  long unacked_committed = 0;   // ... and the call had committed (all of it present)
  long unacked_absent = 0;      // ... and the call had not committed (none of it present)
  long no_sync_runs = 0;
  long small_map_runs = 0;
  long acks = 0;
};

std::string EventIdOf(const Record& r) {
  auto ev = DecodeEvent(r.event_bytes);
  REQUIRE(ev.ok());
  return ev->event_id;
}

// Checks the ledger after a kill; returns its size.
std::uint64_t CheckAfterKill(const std::string& path, std::uint64_t prev_size,
                             const WriterLog& log, const std::vector<WriterLog::Ack>& all_acks,
                             Totals* totals) {
  auto l = Ledger::Open(Options(), path);
  REQUIRE(l.ok());
  auto info = (*l)->Info();
  REQUIRE(info.ok());
  auto audit = (*l)->Audit();
  REQUIRE(audit.ok());
  if (!audit->valid) {
    for (const auto& f : audit->findings) UNSCOPED_INFO(f.code << " @" << f.seq << ": " << f.message);
  }
  REQUIRE(audit->valid);
  REQUIRE(audit->tree_size == info->size);
  REQUIRE(audit->head_hash == info->head_hash);

  // Every record ever acknowledged, in any run, is there and identical.
  for (const auto& ack : all_acks) {
    auto rec = (*l)->ReadRecord(ack.seq);
    REQUIRE(rec.ok());
    INFO("acknowledged record " << ack.seq << " (" << ack.event_id << ")");
    REQUIRE(HashToHex(rec->hash) == ack.hash_hex);
    REQUIRE(EventIdOf(*rec) == ack.event_id);
  }

  // This run's acknowledgements are contiguous from where the ledger was.
  for (std::size_t i = 0; i < log.acks.size(); ++i) REQUIRE(log.acks[i].seq == prev_size + i);
  const std::uint64_t acked_end = prev_size + log.acks.size();
  REQUIRE(info->size >= acked_end);
  const std::uint64_t extra = info->size - acked_end;
  if (log.pending.empty()) {
    REQUIRE(extra == 0);
    return info->size;
  }
  // A call was interrupted: its remaining events are all present or none.
  ++totals->during_call;
  const std::size_t remaining = log.pending.size() - log.pending_acked;
  INFO("interrupted call of " << log.pending.size() << " events, " << log.pending_acked
                              << " acknowledged; " << extra << " unacknowledged records present");
  if (log.pending_acked > 0) {
    REQUIRE(extra == remaining);  // acknowledged in part: it had committed
  } else {
    REQUIRE((extra == 0 || extra == remaining));
  }
  for (std::uint64_t i = 0; i < extra; ++i) {
    auto rec = (*l)->ReadRecord(acked_end + i);
    REQUIRE(rec.ok());
    REQUIRE(EventIdOf(*rec) == log.pending[log.pending_acked + i]);
  }
  if (log.pending_acked == 0) (extra ? totals->unacked_committed : totals->unacked_absent)++;
  return info->size;
}

TEST_CASE("SIGKILLed writers lose no acknowledged append and leave nothing half-written",
          "[crash]") {
  const std::uint64_t seed = testing::SeedFromEnv("RETRACE_CRASH_SEED", 20260601);
  const long kills = testing::IntFromEnv("RETRACE_CRASH_KILLS", 128);
  INFO("RETRACE_CRASH_SEED=" << seed);
  std::mt19937_64 rng(seed);
  WriterLedger fx(1);
  std::uint64_t size = 0;
  {
    auto l = Ledger::Open(Options(), fx.path());
    REQUIRE(l.ok());
    size = (*l)->Info()->size;
  }
  Totals t;
  std::vector<WriterLog::Ack> all_acks;
  const double start = testing::MonotonicSeconds();
  for (long k = 0; k < kills; ++k) {
    INFO("kill " << k);
    std::vector<std::string> args = fx.WriterArgs(0, std::to_string(k), rng());
    const bool no_sync = rng() % 5 == 0;
    if (no_sync) {
      args.push_back("--no-sync");
      ++t.no_sync_runs;
    }
    if (rng() % 4 == 0) {  // a map smaller than the file: every run grows it
      args.insert(args.end(), {"--initial-map", "65536"});
      ++t.small_map_runs;
    }
    // A quarter of the kills land while the writer starts and opens the
    // ledger; the rest after a random number of acknowledged appends plus a
    // random delay, i.e. anywhere inside the next append or between two.
    const bool early = rng() % 4 == 0;
    const std::size_t target = early ? 0 : 1 + rng() % 12;
    const auto delay = std::chrono::microseconds(rng() % (early ? 20000 : 3000));

    WriterLog log;
    ChildProcess child(args, fx.dir().Sub("writer.err"));
    if (early) {
      std::this_thread::sleep_for(delay);
    } else {
      const double deadline = testing::MonotonicSeconds() + 30;
      while (log.acks.size() < target) {
        auto line = child.ReadLine(1000);
        if (line) {
          log.Take(*line);
          continue;
        }
        if (child.eof() || testing::MonotonicSeconds() > deadline) break;
      }
      INFO(testing::ReadFile(fx.dir().Sub("writer.err")));
      REQUIRE(log.acks.size() >= target);
      std::this_thread::sleep_for(delay);
    }
    child.Kill(SIGKILL);
    const int status = child.Wait();
    while (auto line = child.ReadLine(2000)) log.Take(*line);
    {
      INFO("writer stderr: " << testing::ReadFile(fx.dir().Sub("writer.err")));
      REQUIRE(WIFSIGNALED(status));
      REQUIRE(WTERMSIG(status) == SIGKILL);
      REQUIRE(log.junk.empty());
    }
    ++t.kills;
    if (!log.ready) ++t.before_ready;
    t.acks += static_cast<long>(log.acks.size());
    size = CheckAfterKill(fx.path(), size, log, all_acks, &t);
    all_acks.insert(all_acks.end(), log.acks.begin(), log.acks.end());
  }
  const double secs = testing::MonotonicSeconds() - start;
  CHECK(t.kills >= kills);
  // The figures docs/reliability.md quotes.
  WARN("crash test (seed " << seed << "): " << t.kills << " SIGKILLs survived in " << secs
                           << " s; " << t.before_ready << " during start-up, " << t.during_call
                           << " inside an append call (" << t.unacked_committed
                           << " had committed unacknowledged, " << t.unacked_absent
                           << " had not), " << t.no_sync_runs << " no-sync runs, "
                           << t.small_map_runs << " runs growing the map; " << t.acks
                           << " acknowledged appends, all present; final ledger " << size
                           << " records, audit clean");
}

}  // namespace
}  // namespace retrace
