// Hostile input through the API, table-driven: malformed JSON, wrong types,
// negative and overflowing quantities, absurd sizes, unknown and duplicate
// ids, invalid UTF-8, keys of the wrong type, unwritable, missing and full
// storage. Every case must be refused with the right code and a message
// naming the field, and leave the ledger byte-for-byte as it was: same size
// and head after each case, and the same data.mdb bytes after all of them.
// tests/reliability/cli_bad_input_test.cc does the same through the CLI.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
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
      {"an array where a message belongs", [&] {
         return JsonStatus(head + R"("references":[[]],)" + ore + R"("massG":"1"},"site":"s"}})");
       }, StatusCode::kInvalidArgument, "references[0] must be an object"},
      {"arrays nested 20000 deep", [&] {
         return JsonStatus(head + R"("references":)" + deep + "," + ore + R"("massG":"1"},"site":"s"}})");
       }, StatusCode::kInvalidArgument, "nested more than 32 levels"},
      {"an unknown field nested 20000 deep", [&] {
         return JsonStatus(head + R"("x":)" + deep + "," + ore + R"("massG":"1"},"site":"s"}})");
       }, StatusCode::kInvalidArgument, "nested more than 32 levels"},
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


TEST_CASE("Malformed events are refused by EncodeEvent naming the field", "[bad-input]") {
  auto encode = [](std::function<void(Event&)> edit) {
    return [edit] {
      Event ev;
      ev.ledger_id = "00112233445566778899aabbccddeeff";
      ev.event_id = "e-1";
      ev.actor_id = "mine-1";
      ev.time = {1780000000, 0};
      ev.body = Extracted{Ore("ORE-1"), "pit", "LIC", QuotaKind::kMiningRock};
      edit(ev);
      return EncodeEvent(ev).status();
    };
  };
  auto lot = [](Event& ev) -> Lot& { return std::get<Extracted>(ev.body).lot; };
  auto transform = [](Event& ev) -> Transformed& {
    Transformed t;
    t.inputs = {{"ORE-1", 1000, Hash{}}};
    t.outputs = {Ore("OX-1", 500)};
    t.declared_loss_g = 500;
    ev.body = t;
    return std::get<Transformed>(ev.body);
  };
  const std::uint64_t kOver53 = (std::uint64_t{1} << 53) + 1;
  const std::vector<BadCase> cases = {
      {"empty event id", encode([](Event& e) { e.event_id.clear(); }), StatusCode::kInvalidArgument, "event_id is empty"},
      {"257-byte event id", encode([](Event& e) { e.event_id = std::string(257, 'e'); }),
       StatusCode::kInvalidArgument, "event_id is 257 bytes; the limit is 256"},
      {"invalid UTF-8 in the event id", encode([](Event& e) { e.event_id = "e\xff\xfe"; }),
       StatusCode::kInvalidArgument, "event_id is not valid UTF-8"},
      {"overlong UTF-8 encoding in the actor id", encode([](Event& e) { e.actor_id = "m\xc0\xaf"; }),
       StatusCode::kInvalidArgument, "actor_id is not valid UTF-8"},
      {"UTF-16 surrogate encoded in UTF-8", encode([&](Event& e) { lot(e).lot_id = "L\xed\xa0\x80"; }),
       StatusCode::kInvalidArgument, "lot_id is not valid UTF-8"},
      {"control character in a lot id", encode([&](Event& e) { lot(e).lot_id = "ORE\n1"; }),
       StatusCode::kInvalidArgument, "lot_id is not valid UTF-8 or contains control characters"},
      {"ledger id not hex", encode([](Event& e) { e.ledger_id = "not-a-ledger-id"; }),
       StatusCode::kInvalidArgument, "ledger_id"},
      {"zero mass", encode([&](Event& e) { lot(e).mass_g = 0; }), StatusCode::kInvalidArgument,
       "extracted.lot.mass_g must be greater than zero"},
      {"mass over 2^53 g", encode([&](Event& e) { lot(e).mass_g = kOver53; }),
       StatusCode::kInvalidArgument, "extracted.lot.mass_g"},
      {"mass 2^64-1 g", encode([&](Event& e) { lot(e).mass_g = ~std::uint64_t{0}; }),
       StatusCode::kInvalidArgument, "extracted.lot.mass_g"},
      {"content over the mass", encode([&](Event& e) { lot(e).content = {{Element::kNd, 100001}}; }),
       StatusCode::kInvalidArgument, "extracted.lot.content[0].grams"},
      {"content summing over the mass",
       encode([&](Event& e) { lot(e).content = {{Element::kNd, 60000}, {Element::kPr, 60000}}; }),
       StatusCode::kInvalidArgument, "exceeds the lot mass"},
      {"an element listed twice",
       encode([&](Event& e) { lot(e).content = {{Element::kNd, 10}, {Element::kNd, 10}}; }),
       StatusCode::kInvalidArgument, "twice"},
      {"unknown material class", encode([&](Event& e) { lot(e).material = static_cast<MaterialClass>(99); }),
       StatusCode::kInvalidArgument, "extracted.lot.material"},
      {"unknown element", encode([&](Event& e) { lot(e).content = {{static_cast<Element>(999), 1}}; }),
       StatusCode::kInvalidArgument, "extracted.lot.content[0].element"},
      {"a transformation without inputs", encode([&](Event& e) { transform(e).inputs.clear(); }),
       StatusCode::kInvalidArgument, "no inputs"},
      {"consumed mass over 2^53 g", encode([&](Event& e) { transform(e).inputs[0].consumed_g = kOver53; }),
       StatusCode::kInvalidArgument, "transformed.inputs[0].consumed_g"},
      {"additive mass over 2^53 g",
       encode([&](Event& e) { transform(e).additives = {{"iron", kOver53}}; }),
       StatusCode::kInvalidArgument, "transformed.additives[0].mass_g"},
      {"declared loss over 2^53 g", encode([&](Event& e) { transform(e).declared_loss_g = kOver53; }),
       StatusCode::kInvalidArgument, "declared_loss_g"},
      {"65 references",
       encode([](Event& e) { e.references.assign(65, Reference{"po", "1"}); }),
       StatusCode::kInvalidArgument, "references"},
      {"a 4097-byte site", encode([](Event& e) { std::get<Extracted>(e.body).site = std::string(4097, 's'); }),
       StatusCode::kInvalidArgument, "extracted.site is 4097 bytes; the limit is 4096"},
      {"nanoseconds out of range", encode([](Event& e) { e.time.nanos = 1000000000; }),
       StatusCode::kInvalidArgument, "time.nanos"},
      // Found by event_bytes_fuzz: stored, such an event had no JSON form.
      {"a time after 9999-12-31", encode([](Event& e) { e.time.seconds = 253402300800; }),
       StatusCode::kInvalidArgument, "time.seconds"},
      {"a time before 0001-01-01", encode([](Event& e) { e.time.seconds = -62135596801; }),
       StatusCode::kInvalidArgument, "time.seconds"},
      {"unknown role in a registration", encode([](Event& e) {
         auto key = Signer::Generate(Algorithm::kEd25519);
         e.body = ActorRegistered{"a", "A", static_cast<Role>(42), (*key)->public_key(), "", ""};
       }), StatusCode::kInvalidArgument, "actor_registered.role"},
      {"a registration without a key", encode([](Event& e) {
         e.body = ActorRegistered{"a", "A", Role::kMine, std::nullopt, "", ""};
       }), StatusCode::kInvalidArgument, "actor_registered.key"},
  };
  Tally t;
  for (const auto& c : cases) t.Run(c, nullptr);
  WARN("malformed events refused by EncodeEvent: " << t.tried);
}

// Replaces the first occurrence of `from` in the event bytes by `to` (same
// length) and re-signs: a client that writes the protobuf itself.
SignedEvent Patched(const SignedEvent& se, const std::string& from, const std::string& to,
                    const Signer& signer) {
  SignedEvent out = se;
  auto pos = out.event_bytes.find(from);
  REQUIRE(pos != std::string::npos);
  REQUIRE(from.size() == to.size());
  out.event_bytes.replace(pos, from.size(), to);
  auto sig = signer.Sign(EventSigningInput(out.event_bytes));
  REQUIRE(sig.ok());
  out.signature = *sig;
  return out;
}

TEST_CASE("Hostile signed events are refused at append, the ledger file unchanged", "[bad-input]") {
  Fixture f;
  Ledger& l = f.c.ledger();
  const Signer& mine = f.c.key("mine-1");
  auto sign = [&](const Event& ev, const Signer& s) {
    auto se = SignEvent(ev, s);
    REQUIRE(se.ok());
    return *se;
  };
  auto append = [&](SignedEvent se) { return [&l, se] { return l.Append(se).status(); }; };
  auto head_of = [&](const std::string& lot) { return l.GetLot(lot)->head_hash; };
  Event ship = f.Make("mine-1", Shipped{"ORE-1", head_of("ORE-1"), "sep-1", 100000});
  const SignedEvent good_ship = sign(ship, mine);
  Event extract = f.Make("mine-1", Extracted{Ore("ORE-7"), "pit", "", QuotaKind::kMiningRock});
  f.c.FillExtraction("mine-1", &extract.body);
  const SignedEvent good_extract = sign(extract, mine);

  std::vector<BadCase> cases = {
      {"a lot that does not exist",
       append(sign(f.Make("mine-1", Shipped{"GHOST", Hash{}, "sep-1", 5}), mine)),
       StatusCode::kNotFound, "GHOST"},
      {"a lot listed twice as input", [&] {
         Transformed t;
         t.inputs = {{"ORE-1", 100, head_of("ORE-1")}, {"ORE-1", 100, head_of("ORE-1")}};
         t.outputs = {Ore("OX-1", 200)};
         return l.Append(sign(f.Make("sep-1", t), f.c.key("sep-1"))).status();
       }, StatusCode::kInvalidArgument, "listed twice"},
      {"a lot id created twice", [&] {
         Event ev = f.Make("mine-1", Extracted{Ore("ORE-1"), "pit", "", QuotaKind::kMiningRock});
         f.c.FillExtraction("mine-1", &ev.body);
         return l.Append(sign(ev, mine)).status();
       }, StatusCode::kAlreadyExists, "ORE-1"},
      {"an event id used before", [&] {
         Event ev = extract;
         auto last = l.ReadRecord(l.Info()->size - 1);
         REQUIRE(last.ok());
         ev.event_id = DecodeEvent(last->event_bytes)->event_id;
         return l.Append(sign(ev, mine)).status();
       }, StatusCode::kAlreadyExists, "duplicate_event_id"},
      {"shipping 2^64-1 g", append(sign(f.Make("mine-1", Shipped{"ORE-1", head_of("ORE-1"), "sep-1",
                                                                  ~std::uint64_t{0}}), mine)),
       StatusCode::kFailedPrecondition, "ORE-1"},
      {"shipping to an actor nobody registered",
       append(sign(f.Make("mine-1", Shipped{"ORE-1", head_of("ORE-1"), "nobody", 100000}), mine)),
       StatusCode::kNotFound, "nobody"},
      {"a stale parent hash",
       append(sign(f.Make("mine-1", Shipped{"ORE-1", Hash{1}, "sep-1", 100000}), mine)),
       StatusCode::kFailedPrecondition, "parent_link_broken"},
      {"a 100 MB event", [&] {
         SignedEvent se = good_ship;
         se.event_bytes = std::string(100u << 20, '\x0a');
         return l.Append(se).status();
       }, StatusCode::kInvalidArgument, "max_event_bytes"},
      {"bytes that are not an event", [&] {
         SignedEvent se = good_ship;
         se.event_bytes = "\xff\xff\xff\xff not protobuf";
         return l.Append(se).status();
       }, StatusCode::kInvalidArgument, "do not parse"},
      // protobuf refuses invalid UTF-8 in a string field while parsing, so
      // the message cannot name the field here (JSON and EncodeEvent do).
      {"invalid UTF-8 inside the signed bytes",
       append(Patched(good_ship, "ORE-1", std::string("ORE\xff\xfe", 5), mine)),
       StatusCode::kInvalidArgument, "do not parse"},
      {"an empty signature", [&] {
         SignedEvent se = good_ship;
         se.signature.clear();
         return l.Append(se).status();
       }, StatusCode::kInvalidArgument, "signature"},
      {"a 1000-byte signature", [&] {
         SignedEvent se = good_ship;
         se.signature.assign(1000, 's');
         return l.Append(se).status();
       }, StatusCode::kInvalidArgument, "signature"},
      {"a truncated signature", [&] {
         SignedEvent se = good_ship;
         se.signature.pop_back();
         return l.Append(se).status();
       }, StatusCode::kVerificationFailed, "signature"},
      {"a signature over other bytes", [&] {
         SignedEvent se = good_ship;
         se.signature = good_extract.signature;
         return l.Append(se).status();
       }, StatusCode::kVerificationFailed, "does not verify"},
      {"an empty key id", [&] {
         SignedEvent se = good_ship;
         se.key_id.clear();
         return l.Append(se).status();
       }, StatusCode::kInvalidArgument, "key id"},
      {"an unregistered key", [&] {
         auto k = Signer::Generate(Algorithm::kEcdsaP256Sha256);
         return l.Append(sign(ship, **k)).status();
       }, StatusCode::kNotFound, "not validly registered"},
      {"another actor's key", append(sign(ship, f.c.key("sep-1"))), StatusCode::kFailedPrecondition,
       "key_actor_mismatch"},
      {"an event made for another ledger", [&] {
         Event ev = ship;
         ev.ledger_id = "ffeeddccbbaa99887766554433221100";
         return l.Append(sign(ev, mine)).status();
       }, StatusCode::kInvalidArgument, "not this one"},
      {"a second genesis", [&] {
         Event ev = f.Make("regulator", Genesis{"again", "regulator", f.c.root().public_key()});
         return l.Append(sign(ev, f.c.root())).status();
       }, StatusCode::kInvalidArgument, "genesis"},
      {"an empty batch", [&] { return l.AppendBatch({}).status(); }, StatusCode::kInvalidArgument,
       "empty batch"},
      {"a batch whose third event is bad", [&] {
         SignedEvent bad = good_extract;
         bad.signature[3] ^= 1;
         return l.AppendBatch({good_extract, good_ship, bad}).status();
       }, StatusCode::kVerificationFailed, "event 2 of the batch"},
  };
  Tally t;
  for (const auto& c : cases) t.Run(c, &l);
  f.RequireFileUnchanged();
  // The good events were fine all along.
  CHECK(f.c.ledger().AppendBatch({good_extract, good_ship}).ok());
  WARN("hostile signed events refused at append: " << t.tried);
}

// A transformation of `n` inputs of 1 g each into one lot.
Transformed ManyInputs(std::size_t n) {
  Transformed t;
  t.inputs.reserve(n);
  for (std::size_t i = 0; i < n; ++i) t.inputs.push_back({"L-" + std::to_string(i), 1, Hash{}});
  t.outputs = {Ore("OX-1", n)};
  return t;
}

TEST_CASE("A million inputs are refused by size, or by lot count when size allows them",
          "[bad-input]") {
  for (bool raise_size_limit : {false, true}) {
    Options o;
    if (raise_size_limit) o.max_event_bytes = std::size_t{256} << 20;
    TestChain c(o);
    c.Register("sep-1", Role::kSeparator);
    const LedgerInfo before = *c.ledger().Info();
    Event ev = c.MakeEvent("sep-1", ManyInputs(1000000));
    ev.ledger_id = before.ledger_id;
    auto se = SignEvent(ev, c.key("sep-1"));
    REQUIRE(se.ok());
    INFO("event of " << se->event_bytes.size() << " bytes, size limit raised: " << raise_size_limit);
    auto r = c.ledger().Append(*se);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(r.status().message(),
               Catch::Contains(raise_size_limit ? "max_lots_per_event" : "max_event_bytes"));
    CHECK(c.ledger().Info()->size == before.size);
    CHECK(c.ledger().Info()->head_hash == before.head_hash);
  }
}

TEST_CASE("A map that may not grow refuses the append and changes nothing", "[bad-input]") {
  Options o;
  o.initial_map_size = 256 << 10;
  o.max_map_size = 512 << 10;
  TestChain c(o);
  c.Register("mine-1", Role::kMine);
  // Reopen with the same limits (TestChain::Reopen uses defaults).
  c.Close();
  Options lim = o;
  lim.sync = false;
  auto l = Ledger::Open(lim, c.path());
  REQUIRE(l.ok());
  Status last;
  LedgerInfo before;
  for (int i = 0; i < 100000 && last.ok(); ++i) {
    before = *(*l)->Info();
    std::vector<SignedEvent> batch;
    for (int k = 0; k < 20; ++k) {
      Event ev = c.MakeEvent("mine-1", Extracted{Ore("ORE-" + std::to_string(i) + "-" + std::to_string(k)),
                                                 "pit", "", QuotaKind::kMiningRock});
      ev.ledger_id = before.ledger_id;
      batch.push_back(*SignEvent(ev, c.key("mine-1")));
    }
    last = (*l)->AppendBatch(batch).status();
  }
  REQUIRE_FALSE(last.ok());
  CHECK(last.code() == StatusCode::kResourceExhausted);
  CHECK_THAT(last.message(), Catch::Contains("max_map_size"));
  CHECK((*l)->Info()->size == before.size);
  CHECK((*l)->Info()->head_hash == before.head_hash);
  auto audit = (*l)->Audit();
  REQUIRE(audit.ok());
  CHECK(audit->valid);
  WARN("the map filled at " << before.size << " records under max_map_size = 512 KiB");
}

TEST_CASE("A missing ledger directory or a file in its place is refused", "[bad-input]") {
  testing::TempDir tmp;
  auto open = [](const std::string& p) { return Ledger::Open(Options(), p).status(); };
  testing::WriteFile(tmp.Sub("plain-file"), "x");
  fs::create_directory(tmp.Sub("empty-dir"));
  auto root = Signer::Generate(Algorithm::kEd25519);
  const std::vector<BadCase> cases = {
      {"a directory that does not exist", [&] { return open(tmp.Sub("nothing-here")); },
       StatusCode::kNotFound, "does not exist"},
      {"a regular file", [&] { return open(tmp.Sub("plain-file")); }, StatusCode::kInvalidArgument,
       "not a directory"},
      {"a directory without a ledger", [&] { return open(tmp.Sub("empty-dir")); },
       StatusCode::kNotFound, "no data.mdb"},
      {"creating below a regular file",
       [&] { return Ledger::Create(Options(), tmp.Sub("plain-file/ledger"), "x", **root).status(); },
       StatusCode::kIoError, "Not a directory"},
      {"a data.mdb that is not LMDB", [&] {
         fs::create_directory(tmp.Sub("junk"));
         testing::WriteFile(tmp.Sub("junk/data.mdb"), std::string(8192, 'j'));
         return open(tmp.Sub("junk"));
       }, StatusCode::kCorruption, "not a valid LMDB file"},
  };
  Tally t;
  for (const auto& c : cases) t.Run(c, nullptr);
  CHECK_FALSE(fs::exists(tmp.Sub("nothing-here")));  // Open never creates
}

// Runs `fn` in a forked child with its own mount namespace, so that tmpfs
// mounts are private to it and vanish with it. Returns what fn returned
// ("" for success), "skip: ..." if the namespace or a mount is not allowed
// here, or how the child died. No Catch2 macro may run in the child.
// Runs fn(mnt) in a child process with its own mount namespace, where
// `mnt` is an empty directory to mount a tmpfs on. The test fails with the
// message fn returns, if any; it warns and passes where the machine allows
// no mount namespace or tmpfs (fn returns "skip: ...").
void OnOwnMounts(const std::function<std::string(const std::string& mnt)>& fn) {
  testing::TempDir tmp;
  const std::string mnt = tmp.Sub("mnt");
  fs::create_directory(mnt);
  const std::string result = testing::InChild([&]() -> std::string {
    if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      return "skip: no mount namespace here (" + std::string(std::strerror(errno)) + ")";
    }
    return fn(mnt);
  });
  if (result.rfind("skip:", 0) == 0) {
    WARN(result);
    return;
  }
  INFO(result);
  CHECK(result.empty());
}

std::string MountTmpfs(const std::string& dir, const std::string& opts, unsigned long flags = 0) {
  if (::mount("tmpfs", dir.c_str(), "tmpfs", flags, opts.c_str()) != 0) {
    return "skip: cannot mount tmpfs (" + std::string(std::strerror(errno)) + ")";
  }
  return "";
}

// Appends new extractions by mine-1, one per call to Next or `n` in one
// AppendBatch.
struct Appender {
  Ledger* l;
  const Signer* key;
  std::string ledger_id;
  int n = 0;
  Result<SignedEvent> Make() {
    Event ev;
    ev.ledger_id = ledger_id;
    ev.event_id = "fill-" + std::to_string(++n);
    ev.actor_id = "mine-1";
    ev.time = {1780000000 + n, 0};
    Lot lot = Ore("FILL-" + std::to_string(n), 1000000);
    lot.description = std::string(3000, 'd');  // fill the disk sooner
    ev.body = Extracted{lot, "pit", "LIC-mine-1", QuotaKind::kMiningRock};
    return SignEvent(ev, *key);
  }
  Status Next() {
    auto se = Make();
    if (!se.ok()) return se.status();
    return l->Append(*se).status();
  }
  Result<std::vector<SignedEvent>> Batch(int count) {
    std::vector<SignedEvent> batch;
    for (int i = 0; i < count; ++i) {
      auto se = Make();
      if (!se.ok()) return se.status();
      batch.push_back(*std::move(se));
    }
    return batch;
  }
};

// Creates a ledger in `dir` where mine-1 (key `mine`) is registered and has
// a quota; an error message on failure.
std::string CreateWithMine(const Options& o, const std::string& dir, const Signer& mine,
                           std::unique_ptr<Ledger>* out) {
  auto root = Signer::Generate(Algorithm::kEd25519);
  auto l = Ledger::Create(o, dir, "disk", **root, "regulator");
  if (!l.ok()) return "create: " + l.status().ToString();
  Event reg;
  reg.ledger_id = (*l)->Info()->ledger_id;
  reg.event_id = "reg";
  reg.actor_id = "regulator";
  reg.time = {1780000000, 0};
  reg.body = ActorRegistered{"mine-1", "M", Role::kMine, mine.public_key(), "LIC-mine-1", "CN"};
  if (!(*l)->Append(*SignEvent(reg, **root)).ok()) return "register failed";
  reg.event_id = "grant";
  reg.body = QuotaGranted{"mine-1", 2026, QuotaKind::kMiningRock, std::uint64_t{1} << 50, "g"};
  if (!(*l)->Append(*SignEvent(reg, **root)).ok()) return "grant failed";
  *out = *std::move(l);
  return "";
}

// Signs a 64-event batch by mine-1 (dozens of pages), which `l` must refuse
// with kResourceExhausted and a message containing `why`, unchanged and
// still auditing clean; once `make_room` has run, the same batch must land.
// An error message, or "".
std::string RefusedUntilRoom(Ledger* l, const Signer& mine, const std::string& why,
                             const std::function<std::string()>& make_room) {
  Appender a{l, &mine, l->Info()->ledger_id};
  auto batch = a.Batch(64);
  if (!batch.ok()) return "sign: " + batch.status().ToString();
  const LedgerInfo before = *l->Info();
  auto app = l->AppendBatch(*batch);
  if (app.ok()) return "the batch fitted";
  if (app.status().code() != StatusCode::kResourceExhausted ||
      app.status().message().find(why) == std::string::npos) {
    return "expected resource exhausted (" + why + "), got " + app.status().ToString();
  }
  const LedgerInfo after = *l->Info();
  if (after.size != before.size || after.head_hash != before.head_hash) {
    return "the refused batch changed the ledger";
  }
  auto audit = l->Audit();
  if (!audit.ok() || !audit->valid) return "audit after the refused batch failed";
  std::string e = make_room();
  if (!e.empty()) return e;
  app = l->AppendBatch(*batch);
  if (!app.ok()) return "the batch once there is room: " + app.status().ToString();
  if (l->Info()->size != before.size + 64) return "the batch once there is room did not land";
  return "";
}

// Writes `path` until the file system holding it is full.
std::string FillDisk(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return "cannot create " + path;
  const std::string block(4096, 'f');
  ssize_t n;
  while ((n = ::write(fd, block.data(), block.size())) == static_cast<ssize_t>(block.size())) {
  }
  const int err = errno;
  ::close(fd);
  if (n >= 0 || err != ENOSPC) return "filling the disk stopped with " + std::string(std::strerror(err));
  return "";
}

TEST_CASE("A full disk refuses the append, keeps the ledger, and it appends again with space",
          "[bad-input][disk]") {
  OnOwnMounts([](const std::string& mnt) -> std::string {
    std::string e = MountTmpfs(mnt, "size=1m");
    if (!e.empty()) return e;
    const std::string dir = mnt + "/ledger";
    auto mine = Signer::Generate(Algorithm::kEd25519);
    Options o;
    o.sync = false;
    {
      std::unique_ptr<Ledger> l;
      e = CreateWithMine(o, dir, **mine, &l);
      if (!e.empty()) return e;
      Appender a{l.get(), mine->get(), l->Info()->ledger_id};
      Status st;
      LedgerInfo before;
      for (int i = 0; i < 10000 && st.ok(); ++i) {
        before = *l->Info();
        st = a.Next();
      }
      if (st.ok()) return "the 1 MiB tmpfs never filled";
      if (st.code() != StatusCode::kResourceExhausted) return "expected resource exhausted, got " + st.ToString();
      if (st.message().find("No space left") == std::string::npos) return "message: " + st.ToString();
      auto after = l->Info();
      if (!after.ok() || after->size != before.size || after->head_hash != before.head_hash) {
        return "the refused append changed the ledger";
      }
      // The ledger stays usable for readers while the disk is full.
      auto audit = l->Audit();
      if (!audit.ok() || !audit->valid) return "audit on the full disk failed";
    }
    // Reopened on the still-full disk: same content; then with more space
    // the same ledger appends again.
    auto l = Ledger::Open(o, dir);
    if (!l.ok()) return "reopen on a full disk: " + l.status().ToString();
    auto audit = (*l)->Audit();
    if (!audit.ok() || !audit->valid) return "audit after reopening failed";
    const std::uint64_t size = (*l)->Info()->size;
    e = MountTmpfs(mnt, "size=8m", MS_REMOUNT);
    if (!e.empty()) return "remount: " + e;
    Appender a{l->get(), mine->get(), (*l)->Info()->ledger_id, 100000};
    Status st = a.Next();
    if (!st.ok()) return "append after freeing space: " + st.ToString();
    if ((*l)->Info()->size != size + 1) return "the append after freeing space did not land";
    audit = (*l)->Audit();
    if (!audit.ok() || !audit->valid) return "audit after freeing space failed";
    return "";
  });
}

// LMDB reports a commit whose page write the full disk cuts short as EIO;
// only a write that fails at its first byte is ENOSPC. Which one a full disk
// produces depends on where the commit's pages fall, so the test above saw
// "Input/output error" in about one run in thirty. Here the disk keeps two
// free pages and a 64-event batch needs dozens: the write is always cut short.
TEST_CASE("A commit cut short by a full disk is reported as a full disk, not an I/O error",
          "[bad-input][disk]") {
  OnOwnMounts([](const std::string& mnt) -> std::string {
    std::string e = MountTmpfs(mnt, "size=4m");
    if (!e.empty()) return e;
    auto mine = Signer::Generate(Algorithm::kEd25519);
    std::unique_ptr<Ledger> l;
    e = CreateWithMine(Options(), mnt + "/ledger", **mine, &l);
    if (!e.empty()) return e;
    const std::string filler = mnt + "/filler";
    e = FillDisk(filler);
    if (!e.empty()) return e;
    if (::truncate(filler.c_str(), static_cast<off_t>(fs::file_size(filler) - 2 * 4096)) != 0) {
      return "cannot shrink the filler";
    }
    return RefusedUntilRoom(l.get(), **mine, "No space left", [&]() -> std::string {
      return fs::remove(filler) ? "" : "cannot remove the filler";
    });
  });
}

// A process whose RLIMIT_FSIZE the file reaches gets a write cut short
// (EIO from LMDB) or EFBIG, and SIGXFSZ, which kills it unless ignored: a
// host that ignores it gets kResourceExhausted and an unchanged ledger.
TEST_CASE("A file size limit refuses the append like a full disk, with SIGXFSZ ignored",
          "[bad-input][disk]") {
  testing::TempDir tmp;
  const std::string dir = tmp.Sub("ledger");
  const std::string result = testing::InChild([&]() -> std::string {
    ::signal(SIGXFSZ, SIG_IGN);
    auto mine = Signer::Generate(Algorithm::kEd25519);
    std::unique_ptr<Ledger> l;
    std::string e = CreateWithMine(Options(), dir, **mine, &l);
    if (!e.empty()) return e;
    struct rlimit unlimited;
    ::getrlimit(RLIMIT_FSIZE, &unlimited);
    struct rlimit lim = unlimited;
    lim.rlim_cur = static_cast<rlim_t>(fs::file_size(dir + "/data.mdb") + 2 * 4096);
    if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) return "setrlimit failed";
    return RefusedUntilRoom(l.get(), **mine, "too large", [&]() -> std::string {
      return ::setrlimit(RLIMIT_FSIZE, &unlimited) == 0 ? "" : "cannot lift the limit";
    });
  });
  INFO(result);
  CHECK(result.empty());
}

TEST_CASE("Creating a ledger on a full disk fails cleanly and leaves no files", "[bad-input][disk]") {
  OnOwnMounts([](const std::string& mnt) -> std::string {
    std::string e = MountTmpfs(mnt, "size=8k");
    if (!e.empty()) return e;
    auto root = Signer::Generate(Algorithm::kEd25519);
    auto l = Ledger::Create(Options(), mnt + "/ledger", "disk", **root, "regulator");
    if (l.ok()) return "Create succeeded on an 8 KiB disk";
    if (fs::exists(mnt + "/ledger")) return "files were left behind: " + l.status().ToString();
    if (l.status().code() != StatusCode::kResourceExhausted && l.status().code() != StatusCode::kIoError) {
      return "unexpected code: " + l.status().ToString();
    }
    return "";
  });
}

TEST_CASE("A read-only ledger directory opens read-only and refuses to open for writing",
          "[bad-input][disk]") {
  OnOwnMounts([](const std::string& mnt) -> std::string {
    std::string e = MountTmpfs(mnt, "size=4m");
    if (!e.empty()) return e;
    const std::string dir = mnt + "/ledger";
    auto root = Signer::Generate(Algorithm::kEd25519);
    {
      auto l = Ledger::Create(Options(), dir, "ro", **root, "regulator");
      if (!l.ok()) return "create: " + l.status().ToString();
    }
    // Read-only media: root ignores file modes, a read-only mount does not.
    e = MountTmpfs(mnt, "size=4m", MS_REMOUNT | MS_RDONLY);
    if (!e.empty()) return "remount read-only: " + e;
    auto rw = Ledger::Open(Options(), dir);
    if (rw.ok()) return "opened a ledger on read-only media for writing";
    if (rw.status().code() != StatusCode::kIoError ||
        rw.status().message().find("writable") == std::string::npos) {
      return "unclear error for read-only media: " + rw.status().ToString();
    }
    Options ro;
    ro.read_only = true;
    auto l = Ledger::Open(ro, dir);
    if (!l.ok()) return "read-only open failed: " + l.status().ToString();
    auto audit = (*l)->Audit();
    if (!audit.ok() || !audit->valid) return "audit of the read-only ledger failed";
    Event ev;
    auto app = (*l)->AppendBatch({SignedEvent{"x", "k", "s"}});
    if (app.ok() || app.status().code() != StatusCode::kFailedPrecondition) {
      return "append on a read-only ledger: " + app.status().ToString();
    }
    return "";
  });
}

}  // namespace
}  // namespace retrace
