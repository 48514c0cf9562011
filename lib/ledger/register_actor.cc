// RegisterActor (retrace/ledger.h): built on the public API only, like
// EventBatch, so the CLI and the C API register actors the same way.
#include <string>
#include <utility>
#include <vector>

#include "retrace/ledger.h"

namespace retrace {

Result<AppendResult> RegisterActor(Ledger& ledger, const Signer& signer,
                                   ActorRegistered registration, std::string_view by_actor_id) {
  Event ev;
  if (by_actor_id.empty()) {
    Result<LedgerInfo> info = ledger.Info();
    if (!info.ok()) return info.status();
    ev.actor_id = info->root_actor_id;
  } else {
    ev.actor_id = std::string(by_actor_id);
  }
  ev.body = std::move(registration);
  FillEventDefaults(&ev);
  Result<std::vector<AppendResult>> at = ledger.SignAndAppend({std::move(ev)}, signer);
  if (!at.ok()) return at.status();
  if (at->size() != 1) return InternalError("SignAndAppend returned no record for one event");
  return std::move(at->front());
}

}  // namespace retrace
