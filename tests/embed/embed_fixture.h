// A generated supply chain (lib/sim) in a temp ledger, plus a second,
// empty ledger that knows the same actors and keys: the two sides of an
// interchange.
#ifndef RETRACE_TESTS_EMBED_EMBED_FIXTURE_H_
#define RETRACE_TESTS_EMBED_EMBED_FIXTURE_H_

#include <catch2/catch.hpp>

#include "retrace/ledger.h"
#include "retrace/sim.h"
#include "testing/test_chain.h"

namespace retrace::testing {

struct SimChain {
  SimChain() {
    auto r = Signer::Generate(Algorithm::kEd25519);
    REQUIRE(r.ok());
    root = std::move(*r);
    Options o;
    o.sync = false;
    auto l = Ledger::Create(o, dir.Sub("a"), "sim-a", *root, "regulator");
    REQUIRE(l.ok());
    a = std::move(*l);
    sim::Config config;
    config.mix_algorithms = true;
    auto s = sim::Build(*a, *root, config, &keys);
    REQUIRE(s.ok());
    summary = std::move(*s);
  }

  // A fresh ledger with the same root key and every regulator record of `a`
  // (actor registrations with the same keys, quota grants) again, in order.
  std::unique_ptr<Ledger> Twin(const std::string& name) {
    Options o;
    o.sync = false;
    auto l = Ledger::Create(o, dir.Sub(name), name, *root, "regulator");
    REQUIRE(l.ok());
    auto info = (*l)->Info();
    REQUIRE(info.ok());
    auto size = a->Info();
    REQUIRE(size.ok());
    for (std::uint64_t seq = 1; seq < size->size; ++seq) {
      auto rec = a->ReadRecord(seq);
      REQUIRE(rec.ok());
      auto ev = DecodeEvent(rec->event_bytes);
      REQUIRE(ev.ok());
      // The regulator's records (registrations, quota grants, policies);
      // custody records are what the tests carry across.
      if (ev->actor_id != "regulator" || std::holds_alternative<Genesis>(ev->body)) continue;
      ev->ledger_id = info->ledger_id;
      auto se = SignEvent(*ev, *root);
      REQUIRE(se.ok());
      REQUIRE((*l)->Append(*se).ok());
    }
    return std::move(*l);
  }

  TempDir dir;
  std::unique_ptr<Signer> root;
  std::unique_ptr<Ledger> a;
  sim::KeyStore keys;
  sim::Summary summary;
};

}  // namespace retrace::testing

#endif  // RETRACE_TESTS_EMBED_EMBED_FIXTURE_H_
