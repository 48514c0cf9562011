// Printing a mirror run (retrace mirror, retrace monitor).
#ifndef RETRACE_CLI_MIRROR_UTIL_H_
#define RETRACE_CLI_MIRROR_UTIL_H_

#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "retrace/mirror.h"

namespace retrace::cli {

// schema retrace.mirror/v1
nlohmann::ordered_json MirrorResultJson(const std::string& source, const MirrorResult& r);
// "json": one line of MirrorResultJson; "text": a summary and each finding.
void PrintMirrorResult(const std::string& source, const MirrorResult& r, const std::string& format,
                       std::ostream& out);

}  // namespace retrace::cli

#endif  // RETRACE_CLI_MIRROR_UTIL_H_
