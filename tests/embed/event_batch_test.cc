// EventBatch: events that depend on earlier events of the same batch.
#include "retrace/event_batch.h"

#include <catch2/catch.hpp>

#include "testing/test_chain.h"

namespace retrace::testing {
namespace {

Lot Ore(const std::string& id) {
  return MakeLot(id, MaterialClass::kOreConcentrate, 1000000, {{Element::kNd, 50000}});
}

TEST_CASE("EventBatch links a shipment to an extraction queued in the same batch") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("sep-1", Role::kSeparator);
  EventBatch batch(c.ledger());
  REQUIRE(batch.Add(c.MakeEvent("mine-1", Extracted{Ore("ORE-1"), "pit", ""}), c.key("mine-1")).ok());
  REQUIRE(batch.Add(c.MakeEvent("mine-1", Shipped{"ORE-1", std::nullopt, "sep-1", 1000000}),
                    c.key("mine-1"))
              .ok());
  REQUIRE(batch.Add(c.MakeEvent("sep-1", Received{"ORE-1", std::nullopt, "mine-1", 1000000}),
                    c.key("sep-1"))
              .ok());
  REQUIRE(batch.size() == 3);
  auto before = c.ledger().Info();
  auto r = batch.Commit();
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  REQUIRE(r->size() == 3);
  CHECK((*r)[0].seq == before->size);
  CHECK(batch.empty());
  auto lot = c.ledger().GetLot("ORE-1");
  REQUIRE(lot.ok());
  CHECK(lot->custodian == "sep-1");
  CHECK(lot->head_hash == (*r)[2].hash);  // the prediction was the stored hash
  auto v = c.ledger().VerifyLot("ORE-1");
  REQUIRE(v.ok());
  CHECK(v->valid);
}

TEST_CASE("EventBatch refuses a lot unknown to both batch and ledger, leaving the batch as it was") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  EventBatch batch(c.ledger());
  REQUIRE(batch.Add(c.MakeEvent("mine-1", Extracted{Ore("ORE-1"), "", ""}), c.key("mine-1")).ok());
  Status st = batch.Add(c.MakeEvent("mine-1", Shipped{"NOPE", std::nullopt, "x", 1}), c.key("mine-1"));
  CHECK(st.code() == StatusCode::kNotFound);
  CHECK(batch.size() == 1);
}

TEST_CASE("EventBatch commit is all or nothing and fails cleanly when the head moved") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("sep-1", Role::kSeparator);
  EventBatch batch(c.ledger());
  REQUIRE(batch.Add(c.MakeEvent("mine-1", Extracted{Ore("ORE-1"), "", ""}), c.key("mine-1")).ok());
  REQUIRE(batch.Add(c.MakeEvent("mine-1", Shipped{"ORE-1", std::nullopt, "sep-1", 1000000}),
                    c.key("mine-1"))
              .ok());
  // Someone else appends in between: the predicted parent of the shipment is stale.
  REQUIRE(c.Do("mine-1", Extracted{Ore("ORE-2"), "", ""}).ok());
  auto size = c.ledger().Info()->size;
  auto r = batch.Commit();
  REQUIRE_FALSE(r.ok());
  CHECK(c.ledger().Info()->size == size);
  CHECK_FALSE(c.ledger().GetLot("ORE-1").ok());
  CHECK(batch.empty());
  // Rebuilt, it goes in.
  REQUIRE(batch.Add(c.MakeEvent("mine-1", Extracted{Ore("ORE-1"), "", ""}), c.key("mine-1")).ok());
  REQUIRE(batch.Commit().ok());
}

TEST_CASE("EventBatch Truncate drops later events and keeps earlier predictions") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("sep-1", Role::kSeparator);
  EventBatch batch(c.ledger());
  REQUIRE(batch.Add(c.MakeEvent("mine-1", Extracted{Ore("ORE-1"), "", ""}), c.key("mine-1")).ok());
  REQUIRE(batch.Add(c.MakeEvent("mine-1", Extracted{Ore("ORE-2"), "", ""}), c.key("mine-1")).ok());
  batch.Truncate(1);
  REQUIRE(batch.size() == 1);
  REQUIRE(batch.Add(c.MakeEvent("mine-1", Shipped{"ORE-1", std::nullopt, "sep-1", 1000000}),
                    c.key("mine-1"))
              .ok());
  CHECK(batch.Add(c.MakeEvent("mine-1", Shipped{"ORE-2", std::nullopt, "sep-1", 1000000}),
                  c.key("mine-1"))
            .code() == StatusCode::kNotFound);
  REQUIRE(batch.Commit().ok());
  CHECK(c.ledger().GetLot("ORE-1")->status == "in_transit");
}

TEST_CASE("EventBatch accepts events signed elsewhere") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  EventBatch batch(c.ledger());
  Event ev = c.MakeEvent("mine-1", Extracted{Ore("ORE-1"), "", ""});
  REQUIRE(c.ledger().LinkParents(&ev).ok());
  auto se = SignEvent(ev, c.key("mine-1"));
  REQUIRE(se.ok());
  REQUIRE(batch.AddSigned(*se).ok());
  CHECK(batch.AddSigned(SignedEvent{"not an event", "k", "s"}).code() ==
        StatusCode::kInvalidArgument);
  CHECK(batch.size() == 1);
  REQUIRE(batch.Commit().ok());
  CHECK(batch.Commit().status().code() == StatusCode::kInvalidArgument);  // empty
}

}  // namespace
}  // namespace retrace::testing
