// The generator's clock against the ledger's time rules: a chain built up
// to now is never dated after it (retrace/sim.h, Config::latest_time).
#include <catch2/catch.hpp>

#include "retrace/ledger.h"
#include "retrace/sim.h"
#include "testing/test_chain.h"

namespace retrace {
namespace {

struct Empty {
  Empty() {
    auto r = Signer::Generate(Algorithm::kEd25519);
    REQUIRE(r.ok());
    root = std::move(*r);
    Options o;
    o.sync = false;
    auto l = Ledger::Create(o, dir.Sub("sim"), "sim", *root, "regulator");
    REQUIRE(l.ok());
    ledger = std::move(*l);
  }
  testing::TempDir dir;
  std::unique_ptr<Signer> root;
  std::unique_ptr<Ledger> ledger;
};

TEST_CASE("A generated chain that would run past now stops its clock at latest_time",
          "[sim][time]") {
  const Timestamp now = Now();
  sim::Config config;
  config.scale = 2;  // about 16 days of events
  config.start_time = {now.seconds - 2 * 86400, 0};
  {
    // Without the bound the clock runs into the future and the ledger
    // refuses it: what `retrace demo --scale 300` did.
    Empty e;
    auto refused = sim::Build(*e.ledger, *e.root, config);
    REQUIRE_FALSE(refused.ok());
    CHECK_THAT(refused.status().message(), Catch::Contains("time_in_future"));
  }
  Empty e;
  config.latest_time = now;
  auto built = sim::Build(*e.ledger, *e.root, config);
  REQUIRE(built.ok());
  auto info = e.ledger->Info();
  REQUIRE(info.ok());
  std::int64_t last = 0;
  for (std::uint64_t seq = 1; seq < info->size; ++seq) {
    auto rec = e.ledger->ReadRecord(seq);
    REQUIRE(rec.ok());
    auto ev = DecodeEvent(rec->event_bytes);
    REQUIRE(ev.ok());
    CHECK(ev->time.seconds <= now.seconds);
    last = std::max(last, ev->time.seconds);
  }
  CHECK(last == now.seconds);  // the clock reached the bound and stayed
  auto audit = e.ledger->Audit();
  REQUIRE(audit.ok());
  CHECK(audit->valid);
}

TEST_CASE("StartTimeEndingBy leaves room for the chain before its end", "[sim][time]") {
  const Timestamp fallback = sim::Config().start_time;
  const Timestamp late{fallback.seconds + 400 * 86400, 0};
  // One campaign fits after the default start.
  CHECK(sim::StartTimeEndingBy(1, late).seconds == fallback.seconds);
  // Three hundred do not: they start 300 x 8.5 days before the end.
  CHECK(sim::StartTimeEndingBy(300, late).seconds == late.seconds - 300 * (8 * 86400 + 43200));
  CHECK(sim::StartTimeEndingBy(0, late).seconds == fallback.seconds);
}

}  // namespace
}  // namespace retrace
