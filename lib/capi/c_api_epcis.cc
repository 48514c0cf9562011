// The C API's EPCIS 2.0 export and import (retrace/c.h).
// Conventions: c_api.cc and capi/c_api_internal.h.
#include "retrace/c.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "retrace/bundle.h"
#include "retrace/checkpoint.h"
#include "retrace/epcis.h"
#include "retrace/event.h"
#include "retrace/event_batch.h"
#include "retrace/json.h"
#include "retrace/ledger.h"
#include "retrace/note.h"
#include "retrace/render.h"
#include "retrace/signer.h"
#include "retrace/verifier.h"
#include "retrace/witness.h"
#include "capi/c_api_internal.h"
#include "util/status_macros.h"

using namespace retrace::internal::capi;  // NOLINT(build/namespaces): the shared conventions

extern "C" {

// --- EPCIS ----------------------------------------------------------------------

int retrace_ledger_export_epcis_lot(const retrace_ledger* ledger, const char* lot_id,
                                    char** out_json, size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(ledger);
    RETRACE_REQUIRE(lot_id);
    RETRACE_REQUIRE(out_json);
    Result<std::string> doc = retrace::ExportEpcisLot(*ledger->impl, lot_id);
    if (!doc.ok()) return doc.status();
    return Give(*doc, out_json, out_len);
  });
}

int retrace_ledger_export_epcis_range(const retrace_ledger* ledger, uint64_t first_seq,
                                      uint64_t last_seq, char** out_json, size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(ledger);
    RETRACE_REQUIRE(out_json);
    Result<std::string> doc = retrace::ExportEpcisRange(*ledger->impl, first_seq, last_seq);
    if (!doc.ok()) return doc.status();
    return Give(*doc, out_json, out_len);
  });
}

int retrace_batch_add_epcis(retrace_batch* batch, const char* document, size_t document_len,
                            retrace_signer_lookup_fn key_for_actor, void* ctx, size_t* out_added) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(batch);
    RETRACE_REQUIRE(document);
    RETRACE_REQUIRE(key_for_actor);
    Result<retrace::EpcisImport> imported = retrace::ImportEpcis(View(document, document_len));
    if (!imported.ok()) return imported.status();
    const size_t before = batch->batch.size();
    for (retrace::Event& ev : imported->events) {
      const retrace_signer* s = key_for_actor(ctx, ev.actor_id.c_str());
      if (s == nullptr) {
        batch->batch.Truncate(before);
        return retrace::NotFoundError("no key for actor " + ev.actor_id + " (event " +
                                      ev.event_id + "); nothing was queued");
      }
      std::string id = ev.event_id;
      if (Status st = batch->batch.Add(std::move(ev), *s->impl); !st.ok()) {
        batch->batch.Truncate(before);
        return st.Annotate("event " + id);
      }
    }
    if (out_added != nullptr) *out_added = imported->events.size();
    return Status::Ok();
  });
}

}  // extern "C"
