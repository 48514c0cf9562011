// Rare-earth oxide (REO) equivalent in exact arithmetic (internal).
#ifndef RETRACE_LIB_MODEL_REO_H_
#define RETRACE_LIB_MODEL_REO_H_

#include <vector>

#include "retrace/event.h"

namespace retrace::internal {

// The REO equivalent of `content` in grams, as retrace::ReoEquivalentGrams
// defines it (each element rounded down to the milligram, the sum to the
// gram), without its 64-bit limit: one lot holds at most 2^53 g, but one
// separation may create 10,000 lots, whose REO together can pass 2^64 g.
// Exact for any content of fewer than 2^50 entries.
unsigned __int128 ReoEquivalentGramsExact(const std::vector<ElementMass>& content);

// One element's term of that sum, in whole milligrams of oxide (rounded
// down; 0 for an element with no oxide factor). ReoEquivalentGramsExact is
// the sum of these over `content`, divided by 1,000 (rounded down): a
// caller may add them up itself instead of building the vector.
unsigned __int128 ReoMilligramsExact(Element element, std::uint64_t grams);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_MODEL_REO_H_
