#include "mirror_util.h"

#include "common.h"

namespace retrace::cli {

nlohmann::ordered_json MirrorResultJson(const std::string& source, const MirrorResult& r) {
  return nlohmann::ordered_json::parse(MirrorResultToJson(source, r));
}

void PrintMirrorResult(const std::string& source, const MirrorResult& r, const std::string& format,
                       std::ostream& out) {
  if (format == "json") {
    out << MirrorResultToJson(source, r) << "\n";
    return;
  }
  out << "mirror of " << Shown(r.origin) << " from " << Shown(source) << ": size " << r.old_size
      << " -> " << r.new_size << " (checkpoint " << r.checkpoint_size << "), "
      << r.records_appended << " records appended, " << r.tiles_fetched << " tiles and "
      << r.bundles_fetched << " bundles fetched (" << r.bytes_fetched << " bytes)\n";
  for (const MirrorFinding& f : r.findings) {
    out << "FINDING " << f.code << ": " << internal::SanitizeMessage(f.message) << "\n";
    if (!f.evidence_path.empty()) out << "  evidence kept in " << Shown(f.evidence_path) << "\n";
  }
}

}  // namespace retrace::cli
