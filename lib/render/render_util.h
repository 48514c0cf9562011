// Helpers shared by the renderers (internal).
#ifndef RETRACE_LIB_RENDER_RENDER_UTIL_H_
#define RETRACE_LIB_RENDER_RENDER_UTIL_H_

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "retrace/event.h"
#include "retrace/verifier.h"
#include "util/escape.h"

namespace retrace::internal {

// XmlEscape, for HTML/SVG text and attribute values, is util's (escape.h).

// Column index of a material class, left to right through the chain.
int StageColumn(MaterialClass m);

// Fill colour of a lot box: origins by kind, others by stage.
const char* LotFill(const LineageLot& lot);
// The origin kind: "mine", "recycled" or "imported".
const char* OriginKind(const LineageLot& lot);

// Lots and records named by any finding of the report.
struct FindingIndex {
  explicit FindingIndex(const VerifyReport& r);
  std::set<std::string> lots;
  std::set<std::uint64_t> seqs;
  bool LotFlagged(const LineageLot& l) const;
};

inline constexpr char kFindingRed[] = "#c62828";

}  // namespace retrace::internal

#endif  // RETRACE_LIB_RENDER_RENDER_UTIL_H_
