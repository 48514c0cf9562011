// Table-driven boundary tests of the pure rule functions (issue 17 item 7):
// CheckTransformBalance, ContainedGrams, CheckStage, CheckQuotaUse,
// RoleMayEmit / CheckRole and ApplyToLot, over plain values, with no ledger.
// Every case has a name (printed when it fails) and every table counts the
// cases it ran, so a table that silently shrank would show.
//
// The expectations are written out by hand from docs/verification.md and
// docs/data-model.md -- the default policy's matrix included -- rather than
// read back from the code under test.
#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "retrace/verifier.h"
#include "rules/quota_book.h"
#include "rules/rules.h"

namespace retrace::internal {
namespace {

using u128 = unsigned __int128;
constexpr std::uint64_t k2p53 = std::uint64_t{1} << 53;

std::vector<std::string> Codes(const Violations& vs) {
  std::vector<std::string> out;
  for (const auto& v : vs) out.emplace_back(v.code);
  return out;
}

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s.empty() ? "(none)" : s;
}

Hash HashOf(char c) {
  Hash h{};
  h.fill(static_cast<std::uint8_t>(c));
  return h;
}
std::string HashBytes(const Hash& h) { return std::string(h.begin(), h.end()); }

LotView MakeView(const std::string& id, MaterialClass m, std::uint64_t mass,
                 std::vector<ElementMass> content, std::string custodian = "sep-1") {
  LotView v;
  v.lot_id = id;
  v.material = m;
  v.mass_g = mass;
  v.content = std::move(content);
  v.remaining_g = mass;
  v.custodian = std::move(custodian);
  v.creator = v.custodian;
  v.status = LotStatus::kHeld;
  v.head_hash = HashOf('h');
  v.head_seq = 7;
  v.created_seq = 7;
  return v;
}

void AddLot(v1::Lot* l, const std::string& id, MaterialClass m, std::uint64_t mass,
            const std::vector<ElementMass>& content) {
  l->set_lot_id(id);
  l->set_material(static_cast<v1::MaterialClass>(m));
  l->set_mass_g(mass);
  for (const auto& c : content) {
    auto* e = l->add_content();
    e->set_element(static_cast<v1::Element>(c.element));
    e->set_grams(c.grams);
  }
}

// ---------------------------------------------------------------------------
// CheckTransformBalance

struct OutputSpec {
  std::uint64_t mass;
  std::vector<ElementMass> content;
};

struct BalanceCase {
  const char* name;
  std::vector<LotView> inputs;       // states just before the transformation
  std::vector<std::uint64_t> consumed;  // per input line
  std::vector<OutputSpec> outputs;
  std::vector<std::uint64_t> additives;
  std::uint64_t loss = 0;
  std::uint32_t ppm = 0;
  std::vector<std::string> expect;  // violation codes, in order
};

v1::Transformed BuildTransform(const BalanceCase& c) {
  v1::Transformed t;
  for (std::size_t i = 0; i < c.consumed.size(); ++i) {
    auto* in = t.add_inputs();
    in->set_lot_id(i < c.inputs.size() ? c.inputs[i].lot_id : "IN-" + std::to_string(i));
    in->set_consumed_g(c.consumed[i]);
  }
  for (std::size_t i = 0; i < c.outputs.size(); ++i) {
    AddLot(t.add_outputs(), "OUT-" + std::to_string(i), MaterialClass::kSeparatedOxide,
           c.outputs[i].mass, c.outputs[i].content);
  }
  for (std::uint64_t a : c.additives) {
    auto* ad = t.add_additives();
    ad->set_material("reagent");
    ad->set_mass_g(a);
  }
  t.set_declared_loss_g(c.loss);
  return t;
}

Violations RunBalance(const BalanceCase& c, std::vector<const LotView*> ptrs = {}) {
  if (ptrs.empty()) {
    for (const auto& l : c.inputs) ptrs.push_back(&l);
  }
  Violations vs;
  CheckTransformBalance(BuildTransform(c), ptrs, 42, c.ppm, &vs);
  return vs;
}

LotView Nd(const std::string& id, std::uint64_t mass, std::uint64_t nd) {
  return MakeView(id, MaterialClass::kOreConcentrate, mass, {{Element::kNd, nd}});
}

TEST_CASE("CheckTransformBalance: per element, gross, tolerance at the boundary", "[rules][balance]") {
  constexpr auto kNd = Element::kNd;
  constexpr auto kDy = Element::kDy;
  const char* kEl = finding::kElementBalanceViolated;
  const char* kGross = finding::kGrossBalanceViolated;
  // 2^53 at 10 % tolerance: the most a policy allows (kMaxElementTolerancePpm).
  const std::uint64_t tenth = static_cast<std::uint64_t>(u128{k2p53} * 100000 / 1000000);
  const std::vector<BalanceCase> cases = {
      {"element exactly what the inputs held", {Nd("A", 1000000, 50000)}, {1000000},
       {{60000, {{kNd, 50000}}}}, {}, 940000, 0, {}},
      {"element 1 g over what the inputs held", {Nd("A", 1000000, 50000)}, {1000000},
       {{60000, {{kNd, 50001}}}}, {}, 940000, 0, {kEl}},
      {"element 1 g under what the inputs held", {Nd("A", 1000000, 50000)}, {1000000},
       {{60000, {{kNd, 49999}}}}, {}, 940000, 0, {}},
      {"an element the inputs never held", {Nd("A", 1000000, 50000)}, {1000000},
       {{60000, {{kNd, 50000}, {kDy, 1}}}}, {}, 940000, 0, {kEl}},
      {"partial consumption: contained grams round down (2 of 3 g at 1/3 Nd hold 0 g)",
       {Nd("A", 3, 1)}, {2}, {{1, {{kNd, 1}}}}, {}, 1, 0, {kEl}},
      {"partial consumption at an exact multiple (2 of 4 g at 1/2 Nd hold 1 g)",
       {Nd("A", 4, 2)}, {2}, {{1, {{kNd, 1}}}}, {}, 1, 0, {}},
      {"consumption beyond what remains contains only what remains",
       {[] {
          LotView l = Nd("A", 1000, 100);
          l.remaining_g = 500;
          return l;
        }()},
       {1000}, {{50, {{kNd, 50}}}}, {}, 950, 0, {}},
      {"consumption beyond what remains: 1 g over the remainder's content",
       {[] {
          LotView l = Nd("A", 1000, 100);
          l.remaining_g = 500;
          return l;
        }()},
       {1000}, {{51, {{kNd, 51}}}}, {}, 949, 0, {kEl}},
      {"two inputs pool their content", {Nd("A", 1000, 100), Nd("B", 1000, 100)}, {1000, 1000},
       {{200, {{kNd, 200}}}}, {}, 1800, 0, {}},
      {"two inputs pool their content: 1 g over", {Nd("A", 1000, 100), Nd("B", 1000, 100)},
       {1000, 1000}, {{201, {{kNd, 201}}}}, {}, 1799, 0, {kEl}},
      {"two outputs share the inputs' content", {Nd("A", 1000, 100)}, {1000},
       {{60, {{kNd, 60}}}, {40, {{kNd, 40}}}}, {}, 900, 0, {}},
      {"two outputs share the inputs' content: 1 g over", {Nd("A", 1000, 100)}, {1000},
       {{60, {{kNd, 60}}}, {41, {{kNd, 41}}}}, {}, 899, 0, {kEl}},
      {"tolerance 10000 ppm at the exact boundary", {Nd("A", 2000000, 1000000)}, {2000000},
       {{1010000, {{kNd, 1010000}}}}, {}, 990000, 10000, {}},
      {"tolerance 10000 ppm, 1 g beyond the boundary", {Nd("A", 2000000, 1000000)}, {2000000},
       {{1010001, {{kNd, 1010001}}}}, {}, 989999, 10000, {kEl}},
      {"tolerance 1 ppm of 1,000,000 g is 1 g", {Nd("A", 2000000, 1000000)}, {2000000},
       {{1000001, {{kNd, 1000001}}}}, {}, 999999, 1, {}},
      {"tolerance 1 ppm of 1,000,000 g, 1 g beyond", {Nd("A", 2000000, 1000000)}, {2000000},
       {{1000002, {{kNd, 1000002}}}}, {}, 999998, 1, {kEl}},
      {"tolerance rounds down (1 ppm of 999,999 g is 0 g)", {Nd("A", 2000000, 999999)}, {2000000},
       {{1000000, {{kNd, 1000000}}}}, {}, 1000000, 1, {kEl}},
      {"tolerance 100000 ppm of 2^53 g at the exact boundary", {Nd("A", k2p53, k2p53)}, {k2p53},
       {{k2p53, {{kNd, k2p53}}}, {tenth, {{kNd, tenth}}}}, {tenth}, 0, 100000, {}},
      {"tolerance 100000 ppm of 2^53 g, 1 g beyond", {Nd("A", k2p53, k2p53)}, {k2p53},
       {{k2p53, {{kNd, k2p53}}}, {tenth + 1, {{kNd, tenth + 1}}}}, {tenth + 1}, 0, 100000, {kEl}},
      {"gross: outputs + loss == consumed", {Nd("A", 1000, 100)}, {1000},
       {{100, {{kNd, 100}}}}, {}, 900, 0, {}},
      {"gross: 1 g of loss too many", {Nd("A", 1000, 100)}, {1000}, {{100, {{kNd, 100}}}}, {},
       901, 0, {kGross}},
      {"gross: 1 g of loss too few", {Nd("A", 1000, 100)}, {1000}, {{100, {{kNd, 100}}}}, {},
       899, 0, {kGross}},
      {"gross: additives count on the input side", {Nd("A", 1000, 100)}, {1000},
       {{1100, {{kNd, 100}}}}, {60, 40}, 0, 0, {}},
      {"gross: additives 1 g short", {Nd("A", 1000, 100)}, {1000}, {{1100, {{kNd, 100}}}},
       {60, 39}, 0, 0, {kGross}},
      {"gross: partial consumption counts what is declared consumed", {Nd("A", 1000, 100)}, {400},
       {{40, {{kNd, 40}}}}, {}, 360, 0, {}},
      {"both rules broken at once", {Nd("A", 1000, 100)}, {1000}, {{100, {{kNd, 101}}}}, {},
       901, 0, {kEl, kGross}},
  };
  int ran = 0;
  for (const auto& c : cases) {
    INFO("case: " << c.name);
    CHECK(Join(Codes(RunBalance(c))) == Join(c.expect));
    ++ran;
  }

  // Sums beyond 2^64 g: 2,047 inputs of 2^53 g (just under 2^64 g of Nd) and
  // 2,049 outputs of 2^53 g (2^64 + 2^53 g, which a 64-bit sum would wrap to
  // 2^53 g and pass). Gross balance holds through 2 * 2^53 g of additives.
  {
    BalanceCase c{"outputs beyond 2^64 g are over the inputs, not wrapped below them"};
    for (int i = 0; i < 2047; ++i) {
      c.inputs.push_back(Nd("I" + std::to_string(i), k2p53, k2p53));
      c.consumed.push_back(k2p53);
    }
    for (int i = 0; i < 2049; ++i) c.outputs.push_back({k2p53, {{kNd, k2p53}}});
    c.additives = {k2p53, k2p53};
    INFO("case: " << c.name);
    Violations vs = RunBalance(c);
    CHECK(Join(Codes(vs)) == kEl);
    REQUIRE(vs.size() == 1);
    // The message gives the exact sums, not their low 64 bits.
    CHECK_THAT(vs[0].message, Catch::Contains(GramsString(u128{k2p53} * 2049) + " g of Nd"));
    CHECK_THAT(vs[0].message, Catch::Contains(GramsString(u128{k2p53} * 2047) + " g"));
    ++ran;
  }
  {
    BalanceCase c{"2,049 inputs and outputs of 2^53 g balance exactly"};
    for (int i = 0; i < 2049; ++i) {
      c.inputs.push_back(Nd("I" + std::to_string(i), k2p53, k2p53));
      c.consumed.push_back(k2p53);
      c.outputs.push_back({k2p53, {{kNd, k2p53}}});
    }
    INFO("case: " << c.name);
    CHECK(RunBalance(c).empty());
    ++ran;
    c.name = "2,049 inputs and outputs of 2^53 g, 1 g of loss too many";
    c.loss = 1;
    INFO("case: " << c.name);
    Violations vs = RunBalance(c);
    CHECK(Join(Codes(vs)) == kGross);
    REQUIRE(vs.size() == 1);
    CHECK_THAT(vs[0].message, Catch::Contains("outputs " + GramsString(u128{k2p53} * 2049) + " g"));
    ++ran;
  }
  {
    // The verifier's case of an input it could not find: it contributes
    // neither content nor consumed mass.
    BalanceCase c{"an unknown input contributes nothing", {Nd("A", 1000, 100)}, {1000},
                  {{100, {{kNd, 100}}}}, {}, 900, 0, {kEl, kGross}};
    INFO("case: " << c.name);
    CHECK(Join(Codes(RunBalance(c, {nullptr}))) == Join(c.expect));
    ++ran;
  }
  WARN("CheckTransformBalance: " << ran << " cases");
  CHECK(ran == static_cast<int>(cases.size()) + 4);
}

// ---------------------------------------------------------------------------
// ContainedGrams

TEST_CASE("ContainedGrams: exact 128-bit products, rounded down", "[rules][balance]") {
  struct Case {
    const char* name;
    std::uint64_t mass, nd, consumed, expect;
  };
  const std::uint64_t m1 = k2p53 - 1;
  const std::vector<Case> cases = {
      {"the whole lot", 1000, 50, 1000, 50},
      {"half of it", 1000, 50, 500, 25},
      {"rounds down: 1 g of 3 holding 1 g", 3, 1, 1, 0},
      {"rounds down: 2 g of 3 holding 1 g", 3, 1, 2, 0},
      {"3 g of 3 holding 1 g", 3, 1, 3, 1},
      {"nothing consumed", 1000, 50, 0, 0},
      {"a lot of pure element", 1000, 1000, 999, 999},
      {"2^53 x 2^53 does not overflow", k2p53, k2p53, k2p53, k2p53},
      {"(2^53 - 1)^2 / 2^53 rounds down to 2^53 - 2", k2p53, m1, m1, k2p53 - 2},
      {"1 g of Nd in 2^53 g, all consumed", k2p53, 1, k2p53, 1},
      {"1 g of Nd in 2^53 g, 2^53 - 1 g consumed", k2p53, 1, m1, 0},
      {"over-consumption (2^53 g of a 100 g lot holding 10 g)", 100, 10, k2p53, k2p53 / 10},
  };
  int ran = 0;
  for (const auto& c : cases) {
    INFO("case: " << c.name);
    LotView lot = MakeView("A", MaterialClass::kOreConcentrate, c.mass, {{Element::kNd, c.nd}});
    CHECK(ContainedGrams(lot, Element::kNd, c.consumed) == c.expect);
    ++ran;
  }
  {
    INFO("case: an element the lot does not hold");
    LotView lot = MakeView("A", MaterialClass::kOreConcentrate, 1000, {{Element::kNd, 50}});
    CHECK(ContainedGrams(lot, Element::kDy, 1000) == 0);
    ++ran;
  }
  {
    INFO("case: a lot of zero mass (never valid; no division by zero)");
    LotView lot = MakeView("A", MaterialClass::kOreConcentrate, 0, {{Element::kNd, 50}});
    CHECK(ContainedGrams(lot, Element::kNd, 1000) == 0);
    ++ran;
  }
  {
    INFO("case: each element apart");
    LotView lot = MakeView("A", MaterialClass::kOreConcentrate, 1000,
                           {{Element::kNd, 300}, {Element::kPr, 90}, {Element::kDy, 7}});
    CHECK(ContainedGrams(lot, Element::kNd, 100) == 30);
    CHECK(ContainedGrams(lot, Element::kPr, 100) == 9);
    CHECK(ContainedGrams(lot, Element::kDy, 100) == 0);
    ++ran;
  }
  WARN("ContainedGrams: " << ran << " cases");
  CHECK(ran == static_cast<int>(cases.size()) + 3);
}

// ---------------------------------------------------------------------------
// CheckStage under the default policy: every role x material class, as
// docs/verification.md's table states it.

TEST_CASE("CheckStage: the default policy's matrix, cell by cell", "[rules][policy]") {
  using M = MaterialClass;
  const std::vector<M> materials = {M::kOreConcentrate, M::kMixedCompound, M::kSeparatedOxide,
                                    M::kMetalAlloy,     M::kMagnet,        M::kOther};
  struct Row {
    Role role;
    std::set<M> in, out;
  };
  const std::vector<Row> matrix = {
      {Role::kMine, {}, {M::kOreConcentrate}},
      {Role::kSeparator, {M::kOreConcentrate, M::kMixedCompound},
       {M::kMixedCompound, M::kSeparatedOxide}},
      {Role::kSmelter, {M::kSeparatedOxide}, {M::kMetalAlloy}},
      {Role::kMagnetMaker, {M::kMetalAlloy}, {M::kMagnet}},
      {Role::kExporter, {M::kMagnet}, {}},
      {Role::kRecycler, {M::kMixedCompound, M::kOther}, {M::kMixedCompound, M::kSeparatedOxide}},
      {Role::kImporter,
       {},
       {M::kOreConcentrate, M::kMixedCompound, M::kSeparatedOxide, M::kMetalAlloy}},
      // A role without a rule: CheckRole reports it, CheckStage says nothing.
      {Role::kRegulator, {}, {}},
  };
  const Policy& policy = Policy::Default();
  int ran = 0;
  for (const Row& row : matrix) {
    for (M m : materials) {
      const bool no_rule = row.role == Role::kRegulator;
      // Creating a lot of class m (the event kind does not matter to the
      // stage rule; CheckRole judges the kind).
      {
        v1::Event ev;
        ev.set_actor_id("x");
        AddLot(ev.mutable_imported()->mutable_lot(), "NEW", m, 100, {});
        Violations vs;
        CheckStage(ev, row.role, policy, {}, &vs);
        const bool ok = no_rule || row.out.count(m) != 0;
        INFO("case: " << RoleName(row.role) << " creates " << MaterialClassName(m));
        CHECK(Join(Codes(vs)) == (ok ? "(none)" : finding::kStageOrderViolated));
        if (!vs.empty()) CHECK(vs[0].lot_id == "NEW");
        ++ran;
      }
      // Consuming and exporting a lot of class m.
      const LotView in = MakeView("IN", m, 100, {});
      for (bool exporting : {false, true}) {
        v1::Event ev;
        ev.set_actor_id("x");
        if (exporting) {
          ev.mutable_exported()->set_lot_id("IN");
        } else {
          auto* t = ev.mutable_transformed();
          t->add_inputs()->set_lot_id("IN");
        }
        Violations vs;
        CheckStage(ev, row.role, policy, {&in}, &vs);
        const bool ok = no_rule || row.in.count(m) != 0;
        INFO("case: " << RoleName(row.role) << (exporting ? " exports " : " consumes ")
                      << MaterialClassName(m));
        CHECK(Join(Codes(vs)) == (ok ? "(none)" : finding::kStageOrderViolated));
        if (!vs.empty()) CHECK(vs[0].lot_id == "IN");
        ++ran;
      }
    }
  }
  {
    INFO("case: an unknown input (nullptr) is skipped");
    v1::Event ev;
    ev.set_actor_id("x");
    ev.mutable_transformed()->add_inputs()->set_lot_id("IN");
    Violations vs;
    CheckStage(ev, Role::kSmelter, policy, {nullptr}, &vs);
    CHECK(vs.empty());
    ++ran;
  }
  {
    INFO("case: a recorded policy replaces the default, role by role");
    v1::PolicySet set;
    set.set_name("lax");
    auto* r = set.add_rules();
    r->set_role(v1::ROLE_MAGNET_MAKER);
    r->add_events("transformed");
    r->add_inputs(v1::MATERIAL_ORE_CONCENTRATE);
    r->add_outputs(v1::MATERIAL_MAGNET);
    const Policy lax(set);
    const LotView ore = MakeView("ORE", M::kOreConcentrate, 100, {});
    v1::Event ev;
    ev.set_actor_id("x");
    ev.mutable_transformed()->add_inputs()->set_lot_id("ORE");
    AddLot(ev.mutable_transformed()->add_outputs(), "MAG", M::kMagnet, 10, {});
    Violations vs;
    CheckStage(ev, Role::kMagnetMaker, lax, {&ore}, &vs);
    CHECK(vs.empty());
    CheckStage(ev, Role::kMagnetMaker, policy, {&ore}, &vs);  // not under the default
    CHECK(Join(Codes(vs)) == finding::kStageOrderViolated);
    vs.clear();
    CheckStage(ev, Role::kSmelter, lax, {&ore}, &vs);  // no rule for smelters in "lax"
    CHECK(vs.empty());
    ++ran;
  }
  WARN("CheckStage: " << ran << " cases");
  CHECK(ran == static_cast<int>(matrix.size() * materials.size() * 3) + 2);
}

// ---------------------------------------------------------------------------
// CheckQuotaUse (rules/quota_book.h)

TEST_CASE("CheckQuotaUse: exactly at the grant, 1 g over, and sums past 2^64", "[rules][quota]") {
  struct Case {
    const char* name;
    std::optional<std::uint64_t> grant;  // nullopt: no valid grant
    u128 used_before;
    u128 use;
    bool exceeded;
  };
  const u128 k2p64 = u128{1} << 64;
  const std::vector<Case> cases = {
      {"no grant, a use of 0 g", std::nullopt, 0, 0, false},
      {"no grant, a use of 1 g", std::nullopt, 0, 1, true},
      {"nothing used, a use of exactly the grant", 1000, 0, 1000, false},
      {"nothing used, 1 g over the grant", 1000, 0, 1001, true},
      {"exactly at the grant", 1000, 600, 400, false},
      {"1 g over the grant", 1000, 600, 401, true},
      {"1 g under the grant", 1000, 600, 399, false},
      {"a grant cut to 0 g", 0, 0, 1, true},
      {"a grant cut below what was used: even 0 g is over", 1000, 1001, 0, true},
      {"2^53 g granted, 2^53 - 1 used, 1 g more", k2p53, k2p53 - 1, 1, false},
      {"2^53 g granted, 2^53 - 1 used, 2 g more", k2p53, k2p53 - 1, 2, true},
      {"a use of more than 2^64 g", k2p53, 0, k2p64 + 5, true},
      {"a use whose low 64 bits are small (2^64 + 1 g)", 1000, 0, k2p64 + 1, true},
      {"more than 2^64 g used before (flag mode), a use of 1 g", k2p53, k2p64, 1, true},
      {"2^64 - 1 g used before, 2^64 - 1 g more", k2p53, k2p64 - 1, k2p64 - 1, true},
  };
  int ran = 0;
  for (const auto& c : cases) {
    INFO("case: " << c.name);
    QuotaUse use{"mine-1", 2026, QuotaKind::kMiningRock, c.use};
    std::optional<GrantEntry> grant;
    if (c.grant) grant = GrantEntry{5, *c.grant};
    Violations vs;
    CheckQuotaUse(use, grant, c.used_before, "ORE-1", &vs);
    CHECK(Join(Codes(vs)) == (c.exceeded ? finding::kQuotaExceeded : "(none)"));
    if (!vs.empty()) {
      CHECK(vs[0].lot_id == "ORE-1");
      // The figures in the message are the exact ones.
      CHECK_THAT(vs[0].message, Catch::Contains(GramsString(c.used_before) + " g were used before"));
      CHECK_THAT(vs[0].message, Catch::Contains("adds " + GramsString(c.use) + " g"));
      CHECK_THAT(vs[0].message, Catch::Contains(c.grant ? "(granted at record 5)" : "(no valid grant)"));
    }
    ++ran;
  }
  WARN("CheckQuotaUse: " << ran << " cases");
  CHECK(ran == static_cast<int>(cases.size()));
}

TEST_CASE("GramsString writes 128-bit counts in full", "[rules][quota]") {
  CHECK(GramsString(0) == "0");
  CHECK(GramsString(7) == "7");
  CHECK(GramsString(18446744073709551615u) == "18446744073709551615");
  CHECK(GramsString(u128{1} << 64) == "18446744073709551616");
  CHECK(GramsString(~u128{0}) == "340282366920938463463374607431768211455");
}

// ---------------------------------------------------------------------------
// RoleMayEmit and CheckRole

TEST_CASE("RoleMayEmit / CheckRole: every role x every event kind", "[rules][policy]") {
  const std::vector<Role> roles = {Role::kRegulator, Role::kMine,     Role::kSeparator,
                                   Role::kSmelter,   Role::kMagnetMaker, Role::kExporter,
                                   Role::kRecycler,  Role::kImporter};
  // The default policy's events per role, as docs/verification.md lists them.
  const std::map<Role, std::set<std::string>> custody = {
      {Role::kRegulator, {}},
      {Role::kMine, {"extracted", "shipped", "received"}},
      {Role::kSeparator, {"transformed", "shipped", "received"}},
      {Role::kSmelter, {"transformed", "shipped", "received"}},
      {Role::kMagnetMaker, {"transformed", "shipped", "received"}},
      {Role::kExporter, {"exported", "shipped", "received"}},
      {Role::kRecycler, {"recycled", "transformed", "shipped", "received"}},
      {Role::kImporter, {"imported", "shipped", "received"}},
  };
  // One event of each kind, stated by actor "me".
  struct Kind {
    std::string name;
    v1::Event ev;
  };
  std::vector<Kind> kinds;
  auto add = [&](std::string name, auto&& fill) {
    Kind k{std::move(name), {}};
    k.ev.set_actor_id("me");
    fill(&k.ev);
    kinds.push_back(std::move(k));
  };
  add("extracted", [](v1::Event* e) { e->mutable_extracted(); });
  add("shipped", [](v1::Event* e) { e->mutable_shipped(); });
  add("received", [](v1::Event* e) { e->mutable_received(); });
  add("transformed", [](v1::Event* e) { e->mutable_transformed(); });
  add("exported", [](v1::Event* e) { e->mutable_exported(); });
  add("recycled", [](v1::Event* e) { e->mutable_recycled(); });
  add("imported", [](v1::Event* e) { e->mutable_imported(); });
  add("actor_registered", [](v1::Event* e) { e->mutable_actor_registered(); });
  add("quota_granted", [](v1::Event* e) { e->mutable_quota_granted(); });
  add("policy_set", [](v1::Event* e) { e->mutable_policy_set(); });
  add("key_revoked", [](v1::Event* e) { e->mutable_key_revoked(); });
  add("key_rotated of its own key", [](v1::Event* e) { e->mutable_key_rotated()->set_actor_id("me"); });
  add("key_rotated of another's key",
      [](v1::Event* e) { e->mutable_key_rotated()->set_actor_id("other"); });
  add("genesis", [](v1::Event* e) { e->mutable_genesis(); });
  add("no body", [](v1::Event*) {});

  const Policy& policy = Policy::Default();
  int ran = 0;
  for (Role role : roles) {
    for (const Kind& k : kinds) {
      bool expect;
      if (k.name == "actor_registered" || k.name == "quota_granted" || k.name == "policy_set" ||
          k.name == "key_revoked" || k.name == "key_rotated of another's key") {
        expect = role == Role::kRegulator;
      } else if (k.name == "key_rotated of its own key") {
        expect = true;  // any actor may rotate its own key
      } else if (k.name == "genesis" || k.name == "no body") {
        expect = false;  // only record 0 is a genesis, checked apart
      } else {
        expect = custody.at(role).count(k.name) != 0;
      }
      INFO("case: " << RoleName(role) << " states " << k.name);
      CHECK(RoleMayEmit(policy, role, k.ev) == expect);
      Violations vs;
      CheckRole(k.ev, role, policy, &vs);
      // CheckRole leaves the genesis to the genesis check.
      const bool finding = !expect && k.name != "genesis";
      CHECK(Join(Codes(vs)) == (finding ? finding::kRoleNotAllowed : "(none)"));
      ++ran;
    }
  }
  {
    INFO("case: a policy that drops a role's rule leaves it only regulator events");
    v1::PolicySet set;
    set.set_name("mines only");
    auto* r = set.add_rules();
    r->set_role(v1::ROLE_MINE);
    r->add_events("extracted");
    const Policy only(set);
    CHECK(RoleMayEmit(only, Role::kMine, kinds[0].ev));         // extracted
    CHECK_FALSE(RoleMayEmit(only, Role::kMine, kinds[1].ev));   // shipped: not listed any more
    CHECK_FALSE(RoleMayEmit(only, Role::kSeparator, kinds[3].ev));  // no rule
    CHECK(RoleMayEmit(only, Role::kRegulator, kinds[8].ev));    // quota grant
    ++ran;
  }
  WARN("RoleMayEmit / CheckRole: " << ran << " cases");
  CHECK(ran == static_cast<int>(roles.size() * kinds.size()) + 1);
}

// ---------------------------------------------------------------------------
// ApplyToLot, each event kind

struct ApplyCase {
  const char* name;
  LotView lot;                 // before
  v1::Event ev;
  std::string actor;
  std::vector<std::string> expect;
  // After:
  LotStatus status;
  std::uint64_t remaining;
  std::string custodian;
  std::string in_transit_to;
  std::uint64_t shipped_mass;
  int input_index = -1;
};

LotView Held(std::uint64_t mass = 1000, std::string custodian = "mine-1") {
  return MakeView("L", MaterialClass::kOreConcentrate, mass, {{Element::kNd, mass / 20}},
                  std::move(custodian));
}
LotView InTransit(std::string from = "mine-1", std::string to = "sep-1", std::uint64_t mass = 1000) {
  LotView l = Held(mass, std::move(from));
  l.status = LotStatus::kInTransit;
  l.in_transit_to = std::move(to);
  l.shipped_mass_g = mass;
  return l;
}
LotView WithStatus(LotStatus s, std::uint64_t remaining = 0) {
  LotView l = Held();
  l.status = s;
  l.remaining_g = remaining;
  return l;
}

v1::Event Ship(std::string to, std::uint64_t mass, char parent = 'h') {
  v1::Event ev;
  auto* s = ev.mutable_shipped();
  s->set_lot_id("L");
  s->set_parent_hash(HashBytes(HashOf(parent)));
  s->set_to_actor_id(std::move(to));
  s->set_mass_g(mass);
  return ev;
}
v1::Event Receive(std::string from, std::uint64_t mass, char parent = 'h') {
  v1::Event ev;
  auto* r = ev.mutable_received();
  r->set_lot_id("L");
  r->set_parent_hash(HashBytes(HashOf(parent)));
  r->set_from_actor_id(std::move(from));
  r->set_mass_g(mass);
  return ev;
}
v1::Event Consume(std::uint64_t consumed, char parent = 'h', bool other_first = false) {
  v1::Event ev;
  auto* t = ev.mutable_transformed();
  if (other_first) {
    auto* o = t->add_inputs();
    o->set_lot_id("OTHER");
    o->set_consumed_g(1);
    o->set_parent_hash(HashBytes(HashOf('o')));
  }
  auto* in = t->add_inputs();
  in->set_lot_id("L");
  in->set_consumed_g(consumed);
  in->set_parent_hash(HashBytes(HashOf(parent)));
  AddLot(t->add_outputs(), "OUT", MaterialClass::kSeparatedOxide, 1, {});
  return ev;
}
v1::Event Export(std::uint64_t mass, char parent = 'h') {
  v1::Event ev;
  auto* x = ev.mutable_exported();
  x->set_lot_id("L");
  x->set_parent_hash(HashBytes(HashOf(parent)));
  x->set_mass_g(mass);
  return ev;
}

TEST_CASE("ApplyToLot: each event kind, kept and broken", "[rules][custody]") {
  using S = LotStatus;
  const char* kParent = finding::kParentLinkBroken;
  const char* kNotCust = finding::kNotCustodian;
  const char* kTransit = finding::kLotInTransit;
  const char* kGone = finding::kLotNotAvailable;
  const char* kMass = finding::kMassMismatch;
  const char* kReceipt = finding::kReceiptMismatch;
  const char* kOver = finding::kOverConsumed;
  v1::Event extraction;
  AddLot(extraction.mutable_extracted()->mutable_lot(), "OTHER", MaterialClass::kOreConcentrate, 5, {});
  const std::vector<ApplyCase> cases = {
      // Shipments: a lot ships whole, by its custodian, linked to its head.
      {"ship a held lot whole", Held(), Ship("sep-1", 1000), "mine-1", {}, S::kInTransit, 1000,
       "mine-1", "sep-1", 1000},
      {"ship with a stale parent hash", Held(), Ship("sep-1", 1000, 'x'), "mine-1", {kParent},
       S::kInTransit, 1000, "mine-1", "sep-1", 1000},
      {"ship a lot one does not hold", Held(), Ship("sep-1", 1000), "mine-2", {kNotCust},
       S::kInTransit, 1000, "mine-1", "sep-1", 1000},
      {"ship part of a lot (1 g short)", Held(), Ship("sep-1", 999), "mine-1", {kMass},
       S::kInTransit, 1000, "mine-1", "sep-1", 999},
      {"ship 1 g more than the lot", Held(), Ship("sep-1", 1001), "mine-1", {kMass}, S::kInTransit,
       1000, "mine-1", "sep-1", 1001},
      {"ship what remains of a partly consumed lot",
       [] {
         LotView l = Held();
         l.remaining_g = 400;
         return l;
       }(),
       Ship("sep-1", 400), "mine-1", {}, S::kInTransit, 400, "mine-1", "sep-1", 400},
      {"ship a lot in transit", InTransit(), Ship("smelt-1", 1000), "mine-1", {kTransit},
       S::kInTransit, 1000, "mine-1", "smelt-1", 1000},
      {"ship a consumed lot", WithStatus(S::kConsumed), Ship("sep-1", 1000), "mine-1",
       {kGone, kMass}, S::kInTransit, 0, "mine-1", "sep-1", 1000},
      {"ship an exported lot", WithStatus(S::kExported), Ship("sep-1", 1000), "mine-1",
       {kGone, kMass}, S::kInTransit, 0, "mine-1", "sep-1", 1000},
      {"ship a void lot", WithStatus(S::kVoid, 1000), Ship("sep-1", 1000), "mine-1", {kGone},
       S::kInTransit, 1000, "mine-1", "sep-1", 1000},
      {"ship a lot to oneself", Held(), Ship("mine-1", 1000), "mine-1", {finding::kEventMalformed},
       S::kInTransit, 1000, "mine-1", "mine-1", 1000},
      // Receipts: of a lot in transit to the receiver, naming its sender and mass.
      {"receive what was shipped", InTransit(), Receive("mine-1", 1000), "sep-1", {}, S::kHeld,
       1000, "sep-1", "", 0},
      {"receive with a stale parent hash", InTransit(), Receive("mine-1", 1000, 'x'), "sep-1",
       {kParent}, S::kHeld, 1000, "sep-1", "", 0},
      {"receive a lot that is not in transit", Held(), Receive("mine-1", 1000), "sep-1", {kReceipt},
       S::kHeld, 1000, "sep-1", "", 0},
      {"receive a lot shipped to another", InTransit(), Receive("mine-1", 1000), "smelt-1",
       {kNotCust}, S::kHeld, 1000, "smelt-1", "", 0},
      {"receipt names the wrong sender", InTransit(), Receive("mine-2", 1000), "sep-1", {kReceipt},
       S::kHeld, 1000, "sep-1", "", 0},
      {"receipt of 1 g less than was shipped", InTransit(), Receive("mine-1", 999), "sep-1",
       {kReceipt}, S::kHeld, 1000, "sep-1", "", 0},
      {"receipt of 1 g more than was shipped", InTransit(), Receive("mine-1", 1001), "sep-1",
       {kReceipt}, S::kHeld, 1000, "sep-1", "", 0},
      // Transformation inputs: consumed by the custodian, never beyond what remains.
      {"consume part of a lot", Held(1000, "sep-1"), Consume(400), "sep-1", {}, S::kHeld, 600,
       "sep-1", "", 0},
      {"consume exactly what remains", Held(1000, "sep-1"), Consume(1000), "sep-1", {},
       S::kConsumed, 0, "sep-1", "", 0},
      {"consume 1 g more than remains", Held(1000, "sep-1"), Consume(1001), "sep-1", {kOver},
       S::kConsumed, 0, "sep-1", "", 0},
      {"consume 1 g less than remains", Held(1000, "sep-1"), Consume(999), "sep-1", {}, S::kHeld, 1,
       "sep-1", "", 0},
      {"consume with a stale parent hash", Held(1000, "sep-1"), Consume(10, 'x'), "sep-1",
       {kParent}, S::kHeld, 990, "sep-1", "", 0},
      {"consume a lot one does not hold", Held(1000, "mine-1"), Consume(10), "sep-1", {kNotCust},
       S::kHeld, 990, "mine-1", "", 0},
      {"consume a lot in transit (stays in transit)", InTransit(), Consume(1000), "sep-1",
       {kTransit}, S::kInTransit, 0, "mine-1", "sep-1", 1000},
      {"consume a consumed lot", WithStatus(S::kConsumed), Consume(1), "mine-1", {kGone, kOver},
       S::kConsumed, 0, "mine-1", "", 0},
      {"consume the lot's line after another lot's", Held(1000, "sep-1"), Consume(250, 'h', true),
       "sep-1", {}, S::kHeld, 750, "sep-1", "", 0},
      {"a hint at the lot's own line", Held(1000, "sep-1"), Consume(250, 'h', true), "sep-1", {},
       S::kHeld, 750, "sep-1", "", 0, 1},
      {"a hint at another lot's line is searched past", Held(1000, "sep-1"),
       Consume(250, 'h', true), "sep-1", {}, S::kHeld, 750, "sep-1", "", 0, 0},
      {"a hint out of range is searched past", Held(1000, "sep-1"), Consume(250, 'h', true),
       "sep-1", {}, S::kHeld, 750, "sep-1", "", 0, 99},
      // Exports: whole, by the custodian.
      {"export a held lot whole", Held(1000, "exp-1"), Export(1000), "exp-1", {}, S::kExported, 0,
       "exp-1", "", 0},
      {"export with a stale parent hash", Held(1000, "exp-1"), Export(1000, 'x'), "exp-1",
       {kParent}, S::kExported, 0, "exp-1", "", 0},
      {"export part of a lot", Held(1000, "exp-1"), Export(999), "exp-1", {kMass}, S::kExported, 0,
       "exp-1", "", 0},
      {"export a lot one does not hold", Held(1000, "exp-1"), Export(1000), "exp-2", {kNotCust},
       S::kExported, 0, "exp-1", "", 0},
      {"export a lot in transit", InTransit("exp-1", "exp-2"), Export(1000), "exp-1", {kTransit},
       S::kExported, 0, "exp-1", "exp-2", 1000},
      {"export an exported lot", WithStatus(S::kExported), Export(1000), "mine-1", {kGone, kMass},
       S::kExported, 0, "mine-1", "", 0},
      // Kinds that create lots do not move an existing one; only its head.
      {"an extraction leaves another lot's custody alone", Held(), extraction, "mine-1", {},
       S::kHeld, 1000, "mine-1", "", 0},
  };
  int ran = 0;
  for (const auto& c : cases) {
    INFO("case: " << c.name);
    LotView lot = c.lot;
    Violations vs;
    const Hash next = HashOf('n');
    ApplyToLot(c.ev, c.actor, 99, next, &lot, &vs, c.input_index);
    CHECK(Join(Codes(vs)) == Join(c.expect));
    for (const auto& v : vs) CHECK(v.lot_id == "L");
    CHECK(LotStatusName(lot.status) == std::string(LotStatusName(c.status)));
    CHECK(lot.remaining_g == c.remaining);
    CHECK(lot.custodian == c.custodian);
    CHECK(lot.in_transit_to == c.in_transit_to);
    CHECK(lot.shipped_mass_g == c.shipped_mass);
    // Whatever was broken, the lot's head is now this record: a replay goes on.
    CHECK(lot.head_seq == 99);
    CHECK(lot.head_hash == next);
    // What a lot is never changes.
    CHECK(lot.mass_g == c.lot.mass_g);
    CHECK(lot.created_seq == c.lot.created_seq);
    CHECK(lot.creator == c.lot.creator);
    ++ran;
  }
  WARN("ApplyToLot: " << ran << " cases");
  CHECK(ran == static_cast<int>(cases.size()));
}

}  // namespace
}  // namespace retrace::internal
