// JSON forms of publish and mirror results (docs/publishing.md).
#include <nlohmann/json.hpp>

#include "retrace/mirror.h"
#include "retrace/publish.h"

namespace retrace {

using json = nlohmann::ordered_json;

std::string PublishResultToJson(std::string_view webroot, const PublishResult& r) {
  json j = {{"schema", "retrace.publish/v1"},
            {"webroot", std::string(webroot)},
            {"previous_size", r.previous_size},
            {"size", r.size},
            {"tiles_written", r.tiles_written},
            {"bundles_written", r.bundles_written},
            {"large_bundles", r.large_bundles},
            {"bytes_written", r.bytes_written}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string MirrorResultToJson(std::string_view source, const MirrorResult& r) {
  json findings = json::array();
  for (const MirrorFinding& f : r.findings) {
    findings.push_back({{"code", f.code},
                        {"message", f.message},
                        {"evidence", f.evidence_path},
                        {"held_checkpoint", f.held_checkpoint},
                        {"source_checkpoint", f.source_checkpoint}});
  }
  json j = {{"schema", "retrace.mirror/v1"},
            {"source", std::string(source)},
            {"origin", r.origin},
            {"old_size", r.old_size},
            {"new_size", r.new_size},
            {"checkpoint_size", r.checkpoint_size},
            {"created", r.created},
            {"records_appended", r.records_appended},
            {"tiles_fetched", r.tiles_fetched},
            {"bundles_fetched", r.bundles_fetched},
            {"bytes_fetched", r.bytes_fetched},
            {"findings", findings}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace retrace
