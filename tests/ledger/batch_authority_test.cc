// A batch of authority records is judged by one build of the book
// (LedgerImpl::PrepareAuthorityRun): the verdicts must be the ones the
// records get appended one at a time. Differential, over seeded random
// sequences of registrations (some duplicate, some signed by a non-
// regulator), grants, policies, rotations, revocations (which end a run)
// and extractions (custody records between runs): the same signed events
// checked as one batch (CheckAppendBatch) and then appended one by one
// must agree -- all accepted with the same records, or refused at the same
// event for the same reason.
#include <catch2/catch.hpp>

#include <random>
#include <regex>
#include <string>
#include <vector>

#include "testing/test_chain.h"

namespace retrace {
namespace {

using testing::TestChain;

// What a refusal says, without what only the batch adds (the event's
// index, that the whole batch was refused) or the ledger's size.
std::string Reason(const std::string& message) {
  static const std::regex kPrefix("^event [0-9]+ of the batch: ");
  static const std::regex kWhole(" \\(the whole batch was refused\\)$");
  static const std::regex kSize("\\(size [0-9]+\\)");
  std::string m = std::regex_replace(message, kPrefix, "");
  m = std::regex_replace(m, kWhole, "");
  return std::regex_replace(m, kSize, "(size N)");
}

TEST_CASE("A batch of authority records gets the verdicts they get appended one by one",
          "[ledger][authority][batch]") {
  int refused = 0, accepted = 0;
  for (std::uint32_t seed = 1; seed <= 60; ++seed) {
    INFO("seed " << seed);
    std::mt19937 rng(seed);
    TestChain c;
    c.Register("mine-0", Role::kMine);
    c.Register("reg-2", Role::kRegulator);  // a second regulator, whose key may be revoked
    // Grants and policies by either regulator.
    auto regulator = [&]() -> std::pair<std::string, const Signer*> {
      if (rng() % 2 == 0) return {"reg-2", &c.key("reg-2")};
      return {"regulator", &c.root()};
    };
    std::vector<std::string> mines = {"mine-0"};
    std::map<std::string, std::unique_ptr<Signer>> keys;  // current key of each new mine
    std::vector<SignedEvent> batch;
    auto sign_with = [&](const std::string& actor, const Signer& s, EventBody body) {
      Event ev = c.MakeEvent(actor, std::move(body));
      REQUIRE(c.ledger().LinkParents(&ev).ok());
      auto se = SignEvent(ev, s);
      REQUIRE(se.ok());
      batch.push_back(*se);
    };
    const int n = 4 + static_cast<int>(rng() % 9);
    for (int k = 0; k < n; ++k) {
      switch (rng() % 8) {
        case 0:
        case 1: {  // a new mine and its grant (or, one time in eight, a mine
                   // already registered)
          const bool dup = rng() % 8 == 0;
          const std::string id = dup ? mines[rng() % mines.size()]
                                     : "mine-" + std::to_string(mines.size());
          auto s = Signer::Generate(Algorithm::kEd25519);
          REQUIRE(s.ok());
          ActorRegistered reg;
          reg.actor_id = id;
          reg.legal_name = id + " Co., Ltd.";
          reg.role = Role::kMine;
          reg.key = (*s)->public_key();
          reg.licence = "LIC-" + id;
          reg.jurisdiction = "CN";
          sign_with("regulator", c.root(), reg);
          if (!dup) {
            mines.push_back(id);
            keys[id] = std::move(*s);
            sign_with("regulator", c.root(),
                      QuotaGranted{id, 2026, QuotaKind::kMiningRock, 1000000000, "grant"});
          }
          break;
        }
        case 2: {  // a grant, to a mine or to nobody registered
          auto [who, key] = regulator();
          sign_with(who, *key,
                    QuotaGranted{rng() % 10 == 0 ? "nobody" : mines[rng() % mines.size()], 2026,
                                 QuotaKind::kMiningRock, 1000000000, "grant"});
          break;
        }
        case 3: {  // a policy
          PolicySet p = DefaultPolicy();
          p.name = "policy-" + std::to_string(k);
          auto [who, key] = regulator();
          sign_with(who, *key, p);
          break;
        }
        case 4: {  // now and then, a registration signed by a mine, not the regulator
          if (rng() % 3 != 0) break;
          ActorRegistered reg;
          reg.actor_id = "rogue-" + std::to_string(k);
          reg.legal_name = "Rogue";
          reg.role = Role::kMine;
          reg.key = c.key("mine-0").public_key();
          reg.licence = "LIC-rogue";
          reg.jurisdiction = "CN";
          sign_with("mine-0", c.key("mine-0"), reg);
          break;
        }
        case 5: {  // a rotation of a new mine's key, the old one retired
          if (keys.empty()) break;
          auto it = keys.begin();
          std::advance(it, static_cast<long>(rng() % keys.size()));
          auto s = Signer::Generate(Algorithm::kEd25519);
          REQUIRE(s.ok());
          sign_with("regulator", c.root(),
                    KeyRotated{it->first, (*s)->public_key(), it->second->public_key().KeyId()});
          if (rng() % 4 != 0) it->second = std::move(*s);  // else later records use the retired key
          break;
        }
        case 6: {  // a revocation of a new mine's key, from now on or from the
                   // batch's start (voiding what the key signed in it)
          // Or reg-2's key, from the batch's start: what reg-2 signed
          // earlier in the batch becomes void.
          auto info = c.ledger().Info();
          REQUIRE(info.ok());
          if (keys.empty() || rng() % 2 == 0) {
            sign_with("regulator", c.root(),
                      KeyRevoked{c.key("reg-2").public_key().KeyId(), info->size, "stolen"});
            break;
          }
          auto it = keys.begin();
          std::advance(it, static_cast<long>(rng() % keys.size()));
          const std::uint64_t from = info->size + (rng() % 2 == 0 ? batch.size() : 0);
          sign_with("regulator", c.root(),
                    KeyRevoked{it->second->public_key().KeyId(), from, "lost"});
          break;
        }
        default: {  // an extraction by a mine with the key it is thought to hold
          const std::string& m = mines[rng() % mines.size()];
          const Signer& s = m == "mine-0" ? c.key("mine-0") : *keys.at(m);
          sign_with(m, s, Extracted{testing::OreLot("ORE-" + std::to_string(seed) + "-" +
                                                    std::to_string(k)),
                                    "pit 3", "LIC-" + m, QuotaKind::kMiningRock});
        }
      }
    }
    if (batch.size() < 2) continue;

    auto checked = c.ledger().CheckAppendBatch(batch);
    std::vector<AppendResult> one_by_one;
    std::size_t first_refused = batch.size();
    std::string reason;
    for (std::size_t k = 0; k < batch.size(); ++k) {
      auto r = c.ledger().Append(batch[k]);
      if (!r.ok()) {
        first_refused = k;
        reason = r.status().message();
        break;
      }
      one_by_one.push_back(*r);
    }
    if (first_refused == batch.size()) {
      ++accepted;
      INFO((checked.ok() ? std::string() : checked.status().message()));
      REQUIRE(checked.ok());
      REQUIRE(checked->size() == one_by_one.size());
      for (std::size_t k = 0; k < one_by_one.size(); ++k) {
        CHECK((*checked)[k].seq == one_by_one[k].seq);
        CHECK((*checked)[k].hash == one_by_one[k].hash);
      }
    } else {
      ++refused;
      INFO("one by one, event " << first_refused << " was refused: " << reason);
      REQUIRE_FALSE(checked.ok());
      INFO("as a batch: " << checked.status().message());
      CHECK(checked.status().message().find("event " + std::to_string(first_refused) +
                                            " of the batch") != std::string::npos);
      CHECK(Reason(checked.status().message()) == Reason(reason));
    }
  }
  // Both outcomes are exercised.
  CHECK(refused > 5);
  CHECK(accepted > 5);
}

}  // namespace
}  // namespace retrace
