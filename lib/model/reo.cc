// Rare-earth oxide (REO) equivalent, in exact integer arithmetic.
//
// Factor for an oxide E_a O_b: (a*M(E) + b*M(O)) / (a*M(E)), with IUPAC
// standard atomic weights in milli-units (g/kmol), so every factor is an
// exact rational. Each element is converted to whole milligrams of oxide
// (rounded down), the sum to whole grams (rounded down): conservative, so
// rounding never pushes a quota over.
//
// Every product and sum is kept in 128 bits: a term is below 2^64 * 1000 *
// 1.2 < 2^75, so even 2^50 terms (far more than an event can hold) sum to
// below 2^125: nothing wraps. The public function saturates the result
// at 2^64 - 1 g instead of narrowing it: a narrowed sum just past 2^64 g
// would read as a few grams, and a separation of ~1,800 lots of 2^53 g
// could then pass any quota.
#include "model/reo.h"

#include <limits>

namespace retrace {
namespace {

constexpr std::uint64_t kOxygenMilli = 15999;

struct OxideFactor {
  Element element;
  std::uint64_t atomic_milli;  // atomic weight x 1000
  std::uint64_t a, b;          // E_a O_b
};

constexpr OxideFactor kFactors[] = {
    {Element::kSc, 44956, 2, 3},  {Element::kY, 88906, 2, 3},   {Element::kLa, 138905, 2, 3},
    {Element::kCe, 140116, 1, 2}, {Element::kPr, 140908, 6, 11}, {Element::kNd, 144242, 2, 3},
    {Element::kPm, 145000, 2, 3}, {Element::kSm, 150360, 2, 3},  {Element::kEu, 151964, 2, 3},
    {Element::kGd, 157250, 2, 3}, {Element::kTb, 158925, 4, 7},  {Element::kDy, 162500, 2, 3},
    {Element::kHo, 164930, 2, 3}, {Element::kEr, 167259, 2, 3},  {Element::kTm, 168934, 2, 3},
    {Element::kYb, 173045, 2, 3}, {Element::kLu, 174967, 2, 3},
};

}  // namespace

namespace internal {

unsigned __int128 ReoMilligramsExact(Element element, std::uint64_t grams) {
  for (const auto& f : kFactors) {
    if (f.element != element) continue;
    const unsigned __int128 num = f.a * f.atomic_milli + f.b * kOxygenMilli;
    const unsigned __int128 den = f.a * f.atomic_milli;
    return static_cast<unsigned __int128>(grams) * 1000 * num / den;
  }
  return 0;
}

unsigned __int128 ReoEquivalentGramsExact(const std::vector<ElementMass>& content) {
  unsigned __int128 total_mg = 0;
  for (const auto& em : content) total_mg += ReoMilligramsExact(em.element, em.grams);
  return total_mg / 1000;
}

}  // namespace internal

std::uint64_t ReoEquivalentGrams(const std::vector<ElementMass>& content) {
  const unsigned __int128 g = internal::ReoEquivalentGramsExact(content);
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  return g > kMax ? kMax : static_cast<std::uint64_t>(g);
}

PolicySet DefaultPolicy() {
  using M = MaterialClass;
  const std::vector<std::string> custody = {"shipped", "received"};
  auto events = [&](std::initializer_list<const char*> own) {
    std::vector<std::string> e(own.begin(), own.end());
    e.insert(e.end(), custody.begin(), custody.end());
    return e;
  };
  PolicySet p;
  p.name = "default five-stage chain";
  p.rules = {
      {Role::kMine, events({"extracted"}), {}, {M::kOreConcentrate}, 0},
      {Role::kSeparator,
       events({"transformed"}),
       {M::kOreConcentrate, M::kMixedCompound},
       {M::kMixedCompound, M::kSeparatedOxide},
       0},
      {Role::kSmelter, events({"transformed"}), {M::kSeparatedOxide}, {M::kMetalAlloy}, 0},
      {Role::kMagnetMaker, events({"transformed"}), {M::kMetalAlloy}, {M::kMagnet}, 0},
      {Role::kExporter, events({"exported"}), {M::kMagnet}, {}, 0},
      {Role::kRecycler,
       events({"recycled", "transformed"}),
       {M::kMixedCompound, M::kOther},
       {M::kMixedCompound, M::kSeparatedOxide},
       0},
      {Role::kImporter,
       events({"imported"}),
       {},
       {M::kOreConcentrate, M::kMixedCompound, M::kSeparatedOxide, M::kMetalAlloy},
       0},
  };
  return p;
}

Result<std::uint64_t> RareEarthMass(const Lot& lot) {
  std::uint64_t total = 0;
  for (const auto& em : lot.content) {
    if (em.grams > std::numeric_limits<std::uint64_t>::max() - total) {
      return InvalidArgumentError("rare-earth content of lot " + lot.lot_id + " overflows");
    }
    total += em.grams;
  }
  return total;
}

}  // namespace retrace
