// Hostile input through the API, table-driven: malformed JSON, wrong types,
// negative and overflowing quantities, absurd sizes, unknown and duplicate
// ids, invalid UTF-8, keys of the wrong type, unwritable, missing and full
// storage. Every case must be refused with the right code and a message
// naming the field, and leave the ledger byte-for-byte as it was: same size
// and head after each case, and the same data.mdb bytes after all of them.
// tests/reliability/cli_bad_input_test.cc does the same through the CLI.
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "reliability/reliability_util.h"
#include "retrace/ledger.h"
#include "testing/test_chain.h"

namespace retrace {
namespace {

using testing::MakeLot;
using testing::TestChain;

namespace fs = std::filesystem;

Lot Ore(const std::string& id, std::uint64_t mass = 100000) {
  return MakeLot(id, MaterialClass::kOreConcentrate, mass, {{Element::kNd, mass / 20}});
}

struct BadCase {
  std::string name;
  std::function<Status()> attempt;
  StatusCode code;
  std::string must_mention;  // the field, limit or id the message names
};

struct Tally {
  int tried = 0;
  void Run(const BadCase& c, Ledger* ledger) {
    INFO(c.name);
    LedgerInfo before;
    if (ledger) before = *ledger->Info();
    Status st = c.attempt();
    ++tried;
    REQUIRE_FALSE(st.ok());
    INFO("got: " << st.ToString());
    CHECK(st.code() == c.code);
    CHECK_THAT(st.message(), Catch::Contains(c.must_mention));
    if (ledger) {
      auto after = ledger->Info();
      REQUIRE(after.ok());
      CHECK(after->size == before.size);
      CHECK(after->head_hash == before.head_hash);
    }
  }
};

Status JsonStatus(const std::string& json) {
  auto ev = EventFromJson(json);
  if (!ev.ok()) return ev.status();
  return EncodeEvent(*ev).status();
}

// A ledger with a mine holding ORE-1 and a separator; the data.mdb bytes
// and table contents are recorded after setup.
struct Fixture {
  TestChain c;
  std::string sha;
  testing::TableDump dump;
  std::string ledger_id;
  Fixture() {
    c.Register("mine-1", Role::kMine);
    c.Register("sep-1", Role::kSeparator);
    REQUIRE(c.Do("mine-1", Extracted{Ore("ORE-1"), "s", ""}).ok());
    ledger_id = c.ledger().Info()->ledger_id;
    c.Close();
    sha = testing::FileSha256(c.path() + "/data.mdb");
    dump = *testing::DumpLedgerTables(c.path());
    c.Reopen();
  }
  void RequireFileUnchanged() {
    c.Close();
    CHECK(testing::FileSha256(c.path() + "/data.mdb") == sha);
    auto now = testing::DumpLedgerTables(c.path());
    REQUIRE(now);
    CHECK(*now == dump);
    c.Reopen();
  }
  Event Make(const std::string& actor, EventBody body) {
    Event ev = c.MakeEvent(actor, std::move(body));
    ev.ledger_id = ledger_id;
    return ev;
  }
  // Signs and appends, whatever the event says.
  Status Append(const Event& ev, const std::string& actor) {
    auto se = SignEvent(ev, c.key(actor));
    if (!se.ok()) return se.status();
    return c.ledger().Append(*se).status();
  }
};

TEST_CASE("Malformed and mistyped JSON events are refused naming the field", "[bad-input]") {
  // ledgerId is a bytes field: base64 in the protobuf JSON mapping.
  const std::string head = R"({"ledgerId":"ABEiM0RVZneImaq7zN3u/w==","eventId":"e-1",)";
  const std::string ore =
      R"("actorId":"mine-1","extracted":{"lot":{"lotId":"ORE-2","material":"MATERIAL_ORE_CONCENTRATE",)";
  auto lot_with = [&](const std::string& fields) {
    return head + ore + fields + R"(},"site":"s"}})";
  };
  const std::string deep = std::string(20000, '[') + std::string(20000, ']');
  std::vector<BadCase> cases = {
      {"not JSON", [] { return JsonStatus("{not json"); }, StatusCode::kInvalidArgument,
       "does not parse"},
      {"empty document", [] { return JsonStatus(""); }, StatusCode::kInvalidArgument,
       "does not parse"},
      {"an array, not an object", [] { return JsonStatus("[]"); }, StatusCode::kInvalidArgument,
       "the event must be an object"},
      {"truncated", [&] { return JsonStatus(lot_with(R"("massG":"1000")").substr(0, 60)); },
       StatusCode::kInvalidArgument, "does not parse"},
      {"unknown field", [] { return JsonStatus(R"({"actorId":"a","noSuchField":1})"); },
       StatusCode::kInvalidArgument, "noSuchField"},
      {"number where a string belongs", [] { return JsonStatus(R"({"actorId":5})"); },
       StatusCode::kInvalidArgument, "actor_id"},
      {"object where a list belongs",
       [&] { return JsonStatus(lot_with(R"("massG":"1000","content":{})")); },
       StatusCode::kInvalidArgument, "extracted.lot.content must be a list"},
      {"string where a message belongs",
       [&] { return JsonStatus(head + R"("actorId":"m","extracted":{"lot":"ORE-1"}})"); },
       StatusCode::kInvalidArgument, "extracted.lot must be an object"},
      {"negative mass", [&] { return JsonStatus(lot_with(R"("massG":"-5")")); },
       StatusCode::kInvalidArgument, "mass_g"},
      {"negative mass as a number", [&] { return JsonStatus(lot_with(R"("massG":-5)")); },
       StatusCode::kInvalidArgument, "mass_g"},
      {"mass over 2^64", [&] { return JsonStatus(lot_with(R"("massG":"18446744073709551616")")); },
       StatusCode::kInvalidArgument, "mass_g"},
      {"mass as a float", [&] { return JsonStatus(lot_with(R"("massG":1.5)")); },
       StatusCode::kInvalidArgument, "mass_g"},
      {"mass 1e30", [&] { return JsonStatus(lot_with(R"("massG":1e30)")); },
       StatusCode::kInvalidArgument, "mass_g"},
      {"mass as text", [&] { return JsonStatus(lot_with(R"("massG":"a ton")")); },
       StatusCode::kInvalidArgument, "mass_g"},
      {"mass over 2^53 g", [&] { return JsonStatus(lot_with(R"("massG":"9007199254740993")")); },
       StatusCode::kInvalidArgument, "mass_g"},
      {"zero mass", [&] { return JsonStatus(lot_with(R"("massG":"0")")); },
       StatusCode::kInvalidArgument, "mass_g"},
      {"unknown enum value", [] {
         return JsonStatus(R"({"actorId":"m","extracted":{"lot":{"lotId":"X","material":"MATERIAL_GOLD","massG":"1"}}})");
       }, StatusCode::kInvalidArgument, "material"},
      {"enum as an out-of-range number", [&] {
         return JsonStatus(head + R"("actorId":"m","extracted":{"lot":{"lotId":"X","material":99,"massG":"1"}}})");
       }, StatusCode::kInvalidArgument, "material"},
      {"content over the lot mass", [&] {
         return JsonStatus(head + ore +
                           R"("massG":"10","content":[{"element":"ELEMENT_ND","grams":"11"}]},"site":"s"}})");
       }, StatusCode::kInvalidArgument, "content"},
      {"content overflowing 2^64 in sum", [&] {
         return JsonStatus(head + ore +
                           R"("massG":"9007199254740992","content":[{"element":"ELEMENT_ND","grams":"18446744073709551615"},{"element":"ELEMENT_PR","grams":"18446744073709551615"}]},"site":"s"}})");
       }, StatusCode::kInvalidArgument, "content"},
      {"arrays nested 20000 deep where a list of messages belongs", [&] {
         return JsonStatus(head + R"("references":)" + deep + "," + ore + R"("massG":"1"},"site":"s"}})");
       }, StatusCode::kInvalidArgument, "references[0]"},
      {"an unknown field nested 20000 deep", [&] {
         return JsonStatus(head + R"("x":)" + deep + "," + ore + R"("massG":"1"},"site":"s"}})");
       }, StatusCode::kInvalidArgument, "x"},
      {"trailing garbage", [&] { return JsonStatus(lot_with(R"("massG":"1")") + " {}"); },
       StatusCode::kInvalidArgument, "does not parse"},
      {"invalid UTF-8 bytes in an id", [] { return JsonStatus("{\"actorId\":\"m\xff\xfe\"}"); },
       StatusCode::kInvalidArgument, "UTF-8"},
      {"lone surrogate escape in an id", [] { return JsonStatus(R"({"actorId":"m\ud800"})"); },
       StatusCode::kInvalidArgument, "JSON"},
      {"control character in a lot id", [&] {
         return JsonStatus(head + R"("actorId":"m","extracted":{"lot":{"lotId":"ORE\u0001","material":"MATERIAL_ORE_CONCENTRATE","massG":"1"}}})");
       }, StatusCode::kInvalidArgument, "lot_id"},
      {"ledger id not base64", [] { return JsonStatus(R"({"ledgerId":"z!","eventId":"e"})"); },
       StatusCode::kInvalidArgument, "ledger_id"},
      {"ledger id of the wrong length", [&] { return JsonStatus(R"({"ledgerId":"AAEC",)" + ore + R"("massG":"1"},"site":"s"}})"); },
       StatusCode::kInvalidArgument, "ledger_id"},
      {"duplicate key", [&] { return JsonStatus(head + R"("actorId":"sep-1",)" + ore + R"("massG":"1"},"site":"s"}})"); },
       StatusCode::kInvalidArgument, "\"actorId\" twice"},
      {"duplicate key inside a lot", [&] { return JsonStatus(lot_with(R"("massG":"1","massG":"1000000")")); },
       StatusCode::kInvalidArgument, "\"massG\" twice"},
  };
  Tally t;
  for (const auto& c : cases) t.Run(c, nullptr);
  WARN("bad JSON inputs refused: " << t.tried);
}

}  // namespace
}  // namespace retrace
