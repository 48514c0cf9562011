// Machine-readable forms of the ledger's values: the JSON the `retrace`
// tool prints with --format json and the C API returns. Every document is a
// JSON object whose "schema" member names it and its version
// ("retrace.info/v1", ...); docs/cli.md#json-schemas lists every member. A
// version only ever gains members; a change that removes or redefines one
// gets a new version.
//
// The verification reports have their own functions in verifier.h
// (VerifyReportToJson: "retrace.verify/v1", AuditReportToJson:
// "retrace.audit/v1").
//
// Thread safety: pure functions.
#ifndef RETRACE_JSON_H_
#define RETRACE_JSON_H_

#include <optional>
#include <string>
#include <vector>

#include "retrace/event.h"
#include "retrace/export.h"
#include "retrace/hash.h"
#include "retrace/ledger.h"
#include "retrace/verifier.h"

namespace retrace {

// "retrace.info/v1": ledger_id, name, root_actor_id, root_key_id, size,
// head_hash, and root_hash when given.
RETRACE_EXPORT std::string LedgerInfoToJson(const LedgerInfo& info,
                                            const std::optional<Hash>& root_hash, int indent = 2);

// "retrace.lot/v1": a lot's current state.
RETRACE_EXPORT std::string LotInfoToJson(const LotInfo& lot, int indent = 2);

// "retrace.lots/v1": {"schema", "lots": [lot objects as in retrace.lot/v1,
// without their schema member]}.
RETRACE_EXPORT std::string LotListToJson(const std::vector<LotInfo>& lots, int indent = 2);

// "retrace.record/v1": a stored record, its hashes, signature (hex) and
// decoded event ("event", protobuf JSON mapping) -- or "event_error" and the
// raw "event_bytes" (hex) when the event does not decode.
RETRACE_EXPORT std::string RecordToJson(const Record& record, int indent = 2);

// "retrace.lot_records/v1": {"schema", "lot": <lot>, "records": [<record>...]}.
RETRACE_EXPORT std::string LotRecordsToJson(const LotInfo& lot, const std::vector<Record>& records,
                                            int indent = 2);

// "retrace.lineage/v1": lot_id, lots (the DAG's nodes), edges, valid and
// the number of findings.
RETRACE_EXPORT std::string LineageToJson(const VerifyReport& report, int indent = 2);

// "retrace.quota/v1": {"schema", "quotas": [{actor_id, year, kind,
// granted_reo_g, used_reo_g, remaining_reo_g, overrun, records: [{seq, type
// ("grant" or "use"), reo_g, lot_id}]}]} (Ledger::Quotas).
RETRACE_EXPORT std::string QuotasToJson(const std::vector<QuotaUsage>& quotas, int indent = 2);

}  // namespace retrace

#endif  // RETRACE_JSON_H_
