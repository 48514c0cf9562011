// A ledger prepared for ledger_writer processes (tests/reliability/
// ledger_writer.cc): created with a root key, with pairs of actors (a mine
// and a separator) registered and their private keys written to files, and
// the bookkeeping of what the writers reported.
#ifndef RETRACE_TESTS_RELIABILITY_WRITER_FIXTURE_H_
#define RETRACE_TESTS_RELIABILITY_WRITER_FIXTURE_H_

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "reliability/reliability_util.h"
#include "retrace/ledger.h"
#include "testing/test_chain.h"

#ifndef RETRACE_LEDGER_WRITER_PATH
#error "RETRACE_LEDGER_WRITER_PATH must name the built ledger_writer helper"
#endif

namespace retrace::testing {

class WriterLedger {
 public:
  // Creates the ledger and registers `pairs` mine/separator pairs
  // (mine-<i>, sep-<i>).
  explicit WriterLedger(int pairs) {
    auto root = Signer::Generate(Algorithm::kEd25519);
    REQUIRE(root.ok());
    auto l = Ledger::Create(Options(), path(), "reliability", **root, "regulator");
    REQUIRE(l.ok());
    for (int i = 0; i < pairs; ++i) {
      Register(**l, **root, "mine-" + std::to_string(i), Role::kMine);
      Register(**l, **root, "sep-" + std::to_string(i), Role::kSeparator);
    }
  }

  std::string path() const { return dir_.Sub("ledger"); }
  const TempDir& dir() const { return dir_; }

  // The command line of a writer for pair `pair`.
  std::vector<std::string> WriterArgs(int pair, const std::string& run, std::uint64_t seed) const {
    const std::string m = "mine-" + std::to_string(pair), s = "sep-" + std::to_string(pair);
    return {RETRACE_LEDGER_WRITER_PATH, "--db", path(), "--mine", m, "--mine-key",
            dir_.Sub(m + ".key"), "--sep", s, "--sep-key", dir_.Sub(s + ".key"), "--run", run,
            "--seed", std::to_string(seed)};
  }

 private:
  void Register(Ledger& l, const Signer& root, const std::string& actor, Role role) {
    auto key = Signer::Generate(Algorithm::kEd25519);
    REQUIRE(key.ok());
    REQUIRE((*key)->WritePrivateKeyFile(dir_.Sub(actor + ".key")).ok());
    Event ev;
    ev.event_id = "register-" + actor;
    ev.actor_id = "regulator";
    ev.time = {1780000000, 0};
    ev.body = ActorRegistered{actor, actor + " Co.", role, (*key)->public_key(), "LIC-" + actor, "CN"};
    Append(l, root, ev);
    // Ample 2026 quotas: the writers' events are dated in 2026.
    const QuotaKind kind = role == Role::kMine ? QuotaKind::kMiningRock : QuotaKind::kSmeltingSeparation;
    ev.event_id = "grant-" + actor;
    ev.body = QuotaGranted{actor, 2026, kind, std::uint64_t{1} << 50, "test grant"};
    Append(l, root, ev);
  }

  static void Append(Ledger& l, const Signer& signer, Event ev) {
    REQUIRE(l.LinkParents(&ev).ok());
    auto se = SignEvent(ev, signer);
    REQUIRE(se.ok());
    auto r = l.Append(*se);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
  }

  TempDir dir_;
};

// What one writer reported: acknowledged appends and the last announced
// call that was not (or not completely) acknowledged.
struct WriterLog {
  struct Ack {
    std::uint64_t seq;
    std::string hash_hex;
    std::string event_id;
  };
  bool ready = false;
  std::vector<Ack> acks;
  std::vector<std::string> pending;  // event ids of the announced call
  std::size_t pending_acked = 0;     // how many of them were acknowledged
  bool done = false;
  std::vector<std::string> junk;     // lines that follow no protocol

  void Take(const std::string& line) {
    auto w = SplitWords(line);
    if (w.empty()) return;
    if (w[0] == "READY") {
      ready = true;
    } else if (w[0] == "P" && w.size() >= 2) {
      pending.assign(w.begin() + 2, w.end());
      pending_acked = 0;
    } else if (w[0] == "A" && w.size() == 4) {
      acks.push_back({std::stoull(w[1]), w[2], w[3]});
      ++pending_acked;
      if (pending_acked == pending.size()) pending.clear(), pending_acked = 0;
    } else if (w[0] == "DONE") {
      done = true;
    } else {
      junk.push_back(line);
    }
  }
};

}  // namespace retrace::testing

#endif  // RETRACE_TESTS_RELIABILITY_WRITER_FIXTURE_H_
