// The JSON pieces shared by every form of a lineage (retrace.verify/v1 from
// VerifyReportToJson, retrace.lineage/v1 from LineageToJson), so the forms
// cannot drift apart. Key names are part of the documented schemas
// (docs/cli.md): add, never rename.
#ifndef RETRACE_LIB_RENDER_REPORT_JSON_H_
#define RETRACE_LIB_RENDER_REPORT_JSON_H_

#include <nlohmann/json.hpp>

#include "retrace/verifier.h"

namespace retrace::internal {

// One lineage lot; its element content as `content_g` ({"Nd": grams, ...}).
nlohmann::ordered_json LineageLotJson(const LineageLot& lot);

// The consumption edges of a lineage.
nlohmann::ordered_json LineageEdgesJson(const std::vector<LineageEdge>& edges);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_RENDER_REPORT_JSON_H_
