// Concurrency: several threads and several processes append to one ledger
// while readers verify it. The chain stays linear (every acknowledged seq
// is distinct and holds exactly the acknowledged record), nothing
// acknowledged is lost, and no reader ever sees a half-written state: each
// audit and each lineage verification -- one read transaction each -- is
// clean, and the head a reader sees is always a record that exists. Reader
// slots left by killed processes are cleared.
//
// scripts/sanitize.sh runs this file under ThreadSanitizer.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <sstream>
#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "reliability/event_writer.h"
#include "reliability/reliability_util.h"
#include "reliability/writer_fixture.h"
#include "retrace/ledger.h"
#include "testing/test_chain.h"

namespace retrace {
namespace {

using testing::ChildProcess;
using testing::WriterLedger;
using testing::WriterLog;

// Readers that run until told to stop, checking every answer they get.
class Readers {
 public:
  Readers(Ledger& l, int n) : l_(l) {
    for (int i = 0; i < n; ++i) threads_.emplace_back([this, i] { Run(i); });
  }
  void Stop() {
    stop_ = true;
    for (auto& t : threads_) t.join();
  }
  long audits() const { return audits_; }
  long verifies() const { return verifies_; }
  long reads() const { return reads_; }
  std::vector<std::string> problems() {
    std::lock_guard<std::mutex> g(mu_);
    return problems_;
  }

 private:
  void Problem(const std::string& p) {
    std::lock_guard<std::mutex> g(mu_);
    if (problems_.size() < 20) problems_.push_back(p);
  }
  void Run(int id) {
    std::mt19937_64 rng(id);
    std::uint64_t last_size = 0;
    for (long round = 0; !stop_; ++round) {
      auto info = l_.Info();
      if (!info.ok()) return Problem("Info: " + info.status().ToString());
      if (info->size < last_size) Problem("the ledger shrank from " + std::to_string(last_size));
      last_size = info->size;
      // The head names a record that exists, whole.
      auto rec = l_.ReadRecord(info->size - 1);
      if (!rec.ok() || rec->hash != info->head_hash) Problem("the head record is not the head");
      ++reads_;
      if (round % 2 == 0) {
        auto audit = l_.Audit();
        if (!audit.ok()) return Problem("Audit: " + audit.status().ToString());
        if (!audit->valid) {
          Problem("an audit saw findings, first: " + audit->findings.front().code + " " +
                  audit->findings.front().message);
        }
        if (audit->tree_size < info->size) Problem("an audit saw fewer records than Info before it");
        ++audits_;
      }
      auto lots = l_.ListLots();
      if (!lots.ok()) return Problem("ListLots: " + lots.status().ToString());
      if (!lots->empty()) {
        const std::string& lot = (*lots)[rng() % lots->size()];
        auto v = l_.VerifyLot(lot);
        if (!v.ok()) return Problem("VerifyLot " + lot + ": " + v.status().ToString());
        if (!v->valid) Problem("lineage of " + lot + " has findings: " + v->findings.front().message);
        ++verifies_;
      }
    }
  }

  Ledger& l_;
  std::atomic<bool> stop_{false};
  std::atomic<long> audits_{0}, verifies_{0}, reads_{0};
  std::mutex mu_;
  std::vector<std::string> problems_;
  std::vector<std::thread> threads_;
};

std::string EventIdOf(const Record& r) {
  auto ev = DecodeEvent(r.event_bytes);
  return ev.ok() ? ev->event_id : "";
}

// For a stall report: LMDB's lock table (lock.mdb) as LMDB 0.9 lays it out
// with POSIX robust mutexes (glibc, x86-64): the last committed transaction,
// the lock word of the reader-table and writer mutexes (the owner's thread
// id; bit 31: waiters are asleep; bit 30: the owner died) and the occupied
// reader slots. A lock word of 0 with a writer asleep on it is a lost wakeup.
std::string LockTableSummary(const std::string& dir) {
  const std::string t = testing::ReadFile(dir + "/lock.mdb");
  if (t.size() < 128) return "lock.mdb: " + std::to_string(t.size()) + " bytes";
  auto u32 = [&](std::size_t off) {
    std::uint32_t v;
    std::memcpy(&v, t.data() + off, sizeof(v));
    return v;
  };
  auto u64 = [&](std::size_t off) {
    std::uint64_t v;
    std::memcpy(&v, t.data() + off, sizeof(v));
    return v;
  };
  std::ostringstream out;
  out << std::hex << "lock.mdb: txn " << std::dec << u64(48) << ", reader mutex word 0x" << std::hex << u32(8)
      << ", writer mutex word 0x" << u32(64) << std::dec << ", reader slots:";
  const std::uint32_t n = u32(56);
  for (std::uint32_t i = 0; i < n && 128 + 64 * (i + 1) <= t.size(); ++i) {
    const std::uint32_t pid = u32(128 + 64 * i + 8);
    if (pid != 0) out << " pid " << pid << " at txn " << u64(128 + 64 * i);
  }
  return out.str();
}

// Every acknowledged record is present and identical, and no seq was
// acknowledged twice.
void RequireAllAcknowledged(Ledger& l, const std::vector<WriterLog>& logs) {
  std::set<std::uint64_t> seqs;
  std::size_t total = 0;
  for (const auto& log : logs) {
    for (const auto& ack : log.acks) {
      INFO("acknowledged " << ack.event_id << " at " << ack.seq);
      REQUIRE(seqs.insert(ack.seq).second);
      auto rec = l.ReadRecord(ack.seq);
      REQUIRE(rec.ok());
      REQUIRE(HashToHex(rec->hash) == ack.hash_hex);
      REQUIRE(EventIdOf(*rec) == ack.event_id);
      ++total;
    }
  }
  auto audit = l.Audit();
  REQUIRE(audit.ok());
  REQUIRE(audit->valid);
}

std::unique_ptr<Signer> LoadKey(const WriterLedger& fx, const std::string& actor) {
  auto k = Signer::LoadPrivateKeyFile(fx.dir().Sub(actor + ".key"));
  REQUIRE(k.ok());
  return std::move(k).value();
}

TEST_CASE("Writer threads sharing a Ledger keep the chain linear while readers verify",
          "[concurrency]") {
  const int kWriters = 4;
  const long kEvents = testing::IntFromEnv("RETRACE_CONCURRENCY_EVENTS", 100);
  WriterLedger fx(kWriters);
  // Durable commits (the default) keep each writer inside its commit long
  // enough for the readers to overlap many of them.
  auto l = Ledger::Open(Options(), fx.path());
  REQUIRE(l.ok());
  const std::uint64_t initial = (*l)->Info()->size;
  std::vector<WriterLog> logs(kWriters);
  std::vector<Status> results(kWriters);
  std::vector<std::unique_ptr<Signer>> keys;
  for (int i = 0; i < kWriters; ++i) {
    keys.push_back(LoadKey(fx, "mine-" + std::to_string(i)));
    keys.push_back(LoadKey(fx, "sep-" + std::to_string(i)));
  }
  Readers readers(**l, 2);
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] {
      testing::WriterConfig cfg;
      cfg.mine = "mine-" + std::to_string(i);
      cfg.sep = "sep-" + std::to_string(i);
      cfg.run = "T" + std::to_string(i);
      cfg.seed = 100 + i;
      cfg.events = kEvents;
      testing::EventWriter w(cfg, **l, *keys[2 * i], *keys[2 * i + 1],
                             [&logs, i](const std::string& line) { logs[i].Take(line); });
      results[i] = w.Run();
    });
  }
  for (auto& t : writers) t.join();
  readers.Stop();
  for (const auto& st : results) {
    INFO(st.ToString());
    REQUIRE(st.ok());
  }
  for (const auto& p : readers.problems()) UNSCOPED_INFO(p);
  REQUIRE(readers.problems().empty());
  std::size_t acked = 0;
  for (const auto& log : logs) acked += log.acks.size();
  RequireAllAcknowledged(**l, logs);
  CHECK((*l)->Info()->size == initial + acked);
  WARN("threads: " << kWriters << " writers appended " << acked << " events while 2 readers ran "
                   << readers.audits() << " audits, " << readers.verifies()
                   << " lineage verifications and " << readers.reads() << " head reads");
}

TEST_CASE("SignAndAppend calls from two threads that link inside each call all land, linearly",
          "[concurrency][sign-append]") {
  Options o;
  o.append_threads = 2;
  testing::TestChain c(o);
  c.Register("mine-1", Role::kMine);
  c.Register("sep-1", Role::kSeparator);
  std::vector<std::vector<Event>> work(2);
  for (int t = 0; t < 2; ++t) {
    for (int k = 0; k < 60; ++k) {
      const std::string lot = "T" + std::to_string(t) + "-" + std::to_string(k);
      work[t].push_back(c.MakeEvent(
          "mine-1", Extracted{testing::MakeLot(lot, MaterialClass::kOreConcentrate, 1000,
                                               {{Element::kNd, 50}}),
                             "pit 3"}));
      // Linked to the extraction of the same call: a call whose head moved
      // under it links and signs again.
      work[t].push_back(c.MakeEvent("mine-1", Shipped{lot, std::nullopt, "sep-1", 1000}));
    }
  }
  const std::uint64_t before = c.ledger().Info()->size;
  std::vector<Status> status(2);
  std::vector<std::thread> threads;
  std::atomic<int> ready{0};
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&c, &work, &status, &ready, t] {
      ++ready;
      while (ready.load() < 2) std::this_thread::yield();  // start together
      for (std::size_t k = 0; k < work[t].size(); k += 2) {
        auto r = c.ledger().SignAndAppend({work[t][k], work[t][k + 1]}, c.key("mine-1"));
        if (!r.ok()) status[t] = r.status();
      }
    });
  }
  for (auto& th : threads) th.join();
  // A call whose head moved under it twice links and signs under the
  // write lock: none fails.
  for (const Status& s : status) CHECK(s.ok());
  CHECK(c.ledger().Info()->size == before + 240);
  auto audit = c.ledger().Audit();
  REQUIRE(audit.ok());
  CHECK(audit->valid);
  CHECK(audit->findings.empty());
}

TEST_CASE("Writer processes append to one ledger, one is killed, nothing acknowledged is lost",
          "[concurrency]") {
  const int kWriters = 4;  // the last one is SIGKILLed mid-run
  const long kEvents = testing::IntFromEnv("RETRACE_CONCURRENCY_EVENTS", 60);
  WriterLedger fx(kWriters);
  Options o;
  auto l = Ledger::Open(o, fx.path());
  REQUIRE(l.ok());
  Readers readers(**l, 2);
  std::vector<std::unique_ptr<ChildProcess>> procs;
  for (int i = 0; i < kWriters; ++i) {
    auto args = fx.WriterArgs(i, "P" + std::to_string(i), 200 + i);
    if (i < kWriters - 1) args.insert(args.end(), {"--events", std::to_string(kEvents)});
    procs.push_back(std::make_unique<ChildProcess>(args, fx.dir().Sub("writer" + std::to_string(i) + ".err")));
  }
  std::vector<WriterLog> logs(kWriters);
  std::vector<bool> finished(kWriters, false);
  // Healthy runs take about a second; RETRACE_WRITER_DEADLINE_SECONDS
  // shortens the wait for stress loops (scripts/stress-writers.sh).
  const double limit = static_cast<double>(
      testing::IntFromEnv("RETRACE_WRITER_DEADLINE_SECONDS", static_cast<long>(testing::kChildDeadlineSeconds)));
  const double start = testing::MonotonicSeconds();
  std::vector<double> last_line_at(kWriters, 0);
  double killed_at = 0;
  bool killed = false, all = false;
  while (!all && testing::MonotonicSeconds() < start + limit) {
    all = true;
    for (int i = 0; i < kWriters; ++i) {
      if (finished[i]) continue;
      while (auto line = procs[i]->ReadLine(5)) {
        logs[i].Take(*line);
        last_line_at[i] = testing::MonotonicSeconds() - start;
      }
      if (procs[i]->eof()) {
        finished[i] = true;
      } else {
        all = false;
      }
    }
    const int victim = kWriters - 1;
    if (!killed && logs[victim].acks.size() >= static_cast<std::size_t>(kEvents / 2)) {
      procs[victim]->Kill(SIGKILL);  // mid-run, possibly inside a commit
      killed = true;
      killed_at = testing::MonotonicSeconds() - start;
    }
  }
  if (!all) {
    // A stall: say what every writer still running was doing, and what
    // LMDB's lock table holds, before killing them.
    std::ostringstream report;
    report << "writers still running after " << limit << " s (the victim was "
           << (killed ? "killed at " + std::to_string(killed_at) + " s" : std::string("not killed")) << "):";
    for (int i = 0; i < kWriters; ++i) {
      report << "\n  writer " << i << (i == kWriters - 1 ? " (the victim)" : "") << ": "
             << (finished[i] ? "finished; " : "RUNNING; ") << "last line at " << last_line_at[i] << " s, "
             << logs[i].acks.size() << " appends acknowledged, "
             << (logs[i].pending.empty() ? std::string("no call pending")
                                         : "a call of " + std::to_string(logs[i].pending.size()) +
                                               " events pending")
             << (finished[i] ? "" : "; " + testing::DescribeProcess(procs[i]->pid()));
    }
    report << "\n  " << LockTableSummary(fx.path());
    readers.Stop();
    FAIL(report.str());
  }
  readers.Stop();
  REQUIRE(killed);
  for (int i = 0; i < kWriters; ++i) {
    const int status = procs[i]->Wait();
    INFO("writer " << i << ": " << testing::ReadFile(fx.dir().Sub("writer" + std::to_string(i) + ".err")));
    if (i < kWriters - 1) {
      REQUIRE(WIFEXITED(status));
      REQUIRE(WEXITSTATUS(status) == 0);
      REQUIRE(logs[i].done);
      REQUIRE(logs[i].acks.size() >= static_cast<std::size_t>(kEvents));
    } else {
      REQUIRE(WIFSIGNALED(status));
    }
  }
  for (const auto& p : readers.problems()) UNSCOPED_INFO(p);
  REQUIRE(readers.problems().empty());
  RequireAllAcknowledged(**l, logs);
  // The killed writer's interrupted call is in the ledger completely or not
  // at all.
  const WriterLog& victim = logs[kWriters - 1];
  std::set<std::string> ids;
  const std::uint64_t size = (*l)->Info()->size;
  for (std::uint64_t s = 0; s < size; ++s) ids.insert(EventIdOf(*(*l)->ReadRecord(s)));
  std::size_t present = 0;
  for (std::size_t i = victim.pending_acked; i < victim.pending.size(); ++i) present += ids.count(victim.pending[i]);
  const std::size_t remaining = victim.pending.size() - victim.pending_acked;
  CHECK((present == 0 || present == remaining));
  std::size_t acked = 0;
  for (const auto& log : logs) acked += log.acks.size();
  WARN("processes: " << kWriters << " writers (one SIGKILLed after " << victim.acks.size()
                     << " acknowledged) appended " << acked << " acknowledged events; readers ran "
                     << readers.audits() << " audits and " << readers.verifies()
                     << " lineage verifications, all clean");
}

// Another process that opens the ledger with raw LMDB, begins a read
// transaction (taking a reader slot) and waits to be killed.
std::unique_ptr<ChildProcess> StartReader(const testing::WriterLedger& fx, const std::string& name) {
  auto reader = std::make_unique<ChildProcess>(std::vector<std::string>{RETRACE_LMDB_PEER_PATH, "read", fx.path()},
                                               fx.dir().Sub(name + ".err"));
  const std::optional<std::string> line = reader->ReadLine(static_cast<int>(testing::kChildDeadlineSeconds * 1000));
  if (line != "R") {
    const std::string said = line.value_or(reader->eof() ? "nothing (it closed its output)" : "nothing in time");
    reader->Kill(SIGKILL);
    const int status = reader->Wait();
    FAIL("the reader process did not begin its read transaction: it said "
         << said << "; wait status " << status << "; its stderr: "
         << testing::ReadFile(fx.dir().Sub(name + ".err")));
  }
  return reader;
}

// Kills a StartReader child and reaps it.
void KillReader(ChildProcess& reader) {
  reader.Kill(SIGKILL);
  REQUIRE(WIFSIGNALED(reader.Wait()));
}

// The pids holding reader slots, as another process sees the lock table
// (this one has the ledger open, and LMDB allows one environment per file
// and process).
std::vector<pid_t> ReaderPids(const std::string& dir) {
  const std::string text = testing::RunForOutput({RETRACE_LMDB_PEER_PATH, "readers", dir});
  INFO(text);
  REQUIRE(text.find("failed:") == std::string::npos);
  REQUIRE(text.rfind("the child ", 0) != 0);
  // What mdb_reader_list prints: a header naming the pid column, or this.
  REQUIRE((text.find("pid") != std::string::npos || text.find("(no active readers)") != std::string::npos));
  std::vector<pid_t> pids;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto w = testing::SplitWords(line);
    if (!w.empty() && std::isdigit(static_cast<unsigned char>(w[0][0]))) pids.push_back(std::stoi(w[0]));
  }
  return pids;
}

bool Holds(const std::vector<pid_t>& pids, pid_t pid) {
  return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

TEST_CASE("Reader slots of killed processes are cleared by the next open and by a live writer",
          "[concurrency]") {
  WriterLedger fx(1);
  // A killed reader leaves its slot; this process keeps the ledger open
  // throughout, so LMDB never re-initialises the lock table behind our back.
  auto first_reader = StartReader(fx, "reader1");
  const pid_t first = first_reader->pid();
  auto l = Ledger::Open(Options(), fx.path());
  REQUIRE(l.ok());
  KillReader(*first_reader);
  REQUIRE(Holds(ReaderPids(fx.path()), first));  // stale

  // Another process opening the ledger clears it.
  {
    auto args = fx.WriterArgs(0, "open-only", 1);
    args.insert(args.end(), {"--events", "0"});
    ChildProcess opener(args, fx.dir().Sub("opener.err"));
    const double deadline = testing::MonotonicSeconds() + testing::kChildDeadlineSeconds;
    while (!opener.eof() && testing::MonotonicSeconds() < deadline) opener.ReadLine(1000);
    REQUIRE(WIFEXITED(opener.Wait()));
  }
  CHECK_FALSE(Holds(ReaderPids(fx.path()), first));

  // A long-lived writer clears a slot left after it opened.
  auto second_reader = StartReader(fx, "reader2");
  const pid_t second = second_reader->pid();
  KillReader(*second_reader);
  REQUIRE(Holds(ReaderPids(fx.path()), second));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // it checks at most once a second
  auto key = LoadKey(fx, "mine-0");
  testing::WriterConfig cfg;
  cfg.mine = "mine-0";
  cfg.sep = "sep-0";
  cfg.run = "W";
  cfg.events = 1;
  auto sep = LoadKey(fx, "sep-0");
  testing::EventWriter w(cfg, **l, *key, *sep, [](const std::string&) {});
  REQUIRE(w.Run().ok());
  CHECK_FALSE(Holds(ReaderPids(fx.path()), second));
}

}  // namespace
}  // namespace retrace
