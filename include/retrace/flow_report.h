// The regulator's monthly flow report (docs/publishing.md): per enterprise
// and per element, in grams of rare-earth oxide (REO) equivalent, what was
// extracted, separated, smelted, shipped, received, exported and held at
// the month's end, with the production quotas granted, used and remaining,
// computed from ledgers (normally mirrors of published ledgers) each up to
// its latest signed checkpoint; every figure names that checkpoint.
//
// Hand-overs are matched across the ledgers: a shipment in the month that
// its consignee did not receive by the month's end, or a receipt in the
// month without its shipment in any ledger, is a finding.
//
// Thread safety: plain values and functions; the ledgers are only read.
#ifndef RETRACE_FLOW_REPORT_H_
#define RETRACE_FLOW_REPORT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "retrace/event.h"
#include "retrace/export.h"
#include "retrace/hash.h"
#include "retrace/ledger.h"
#include "retrace/note.h"
#include "retrace/status.h"

namespace retrace {

// The checkpoint a figure was computed from.
struct FlowCheckpoint {
  std::string origin;
  std::uint64_t size = 0;
  Hash root_hash{};
  std::string note;  // the signed checkpoint, with its cosignatures
};

// REO grams of one element for one enterprise in one ledger.
struct FlowFigures {
  std::uint64_t extracted = 0;
  std::uint64_t separated = 0;  // separated oxide made
  std::uint64_t smelted = 0;    // metal and alloy made
  std::uint64_t shipped = 0;
  std::uint64_t received = 0;
  std::uint64_t exported = 0;
  std::uint64_t stock = 0;      // held (or shipped, not yet received) at month end
};

struct FlowRow {
  std::string origin;     // the ledger (its checkpoint: FlowReport::checkpoints)
  std::string actor_id;
  std::string legal_name;
  std::string role;       // RoleName
  Element element = Element::kUnspecified;
  FlowFigures figures;
};

// A production quota (Ledger::Quotas: the book of authority verification
// uses), as of the ledger's checkpoint.
struct FlowQuota {
  std::string origin;
  std::string actor_id;
  std::uint32_t year = 0;
  QuotaKind kind = QuotaKind::kUnspecified;
  std::uint64_t granted_reo_g = 0;
  std::uint64_t used_reo_g = 0;          // this year, to the checkpoint
  std::uint64_t used_in_month_reo_g = 0; // uses stated in the month
  std::int64_t remaining_reo_g = 0;
};

struct FlowFinding {
  // "shipment_not_received", "receipt_without_shipment",
  // "received_mass_differs", "quota_exceeded".
  std::string code;
  std::string origin;
  std::uint64_t seq = 0;
  std::string actor_id;
  std::string lot_id;
  std::string message;
};

struct FlowReport {
  std::string month;                 // "2026-11"
  std::int64_t start = 0, end = 0;   // [start, end), POSIX seconds, UTC
  std::vector<FlowCheckpoint> checkpoints;  // one per ledger, in the order given
  std::vector<FlowRow> rows;         // sorted by origin, actor, element
  std::vector<FlowQuota> quotas;     // the month's year
  std::vector<FlowFinding> findings;
};

// Computes the report for `month` ("YYYY-MM", UTC) over `ledgers` (each
// must hold a stored signed checkpoint; only records below its size are
// read, so every figure is one of the checkpoint named). Events count in
// the month by their stated time; stock is the state after every record
// stated before the month's end, in log order.
// Errors: kInvalidArgument for a malformed month or two ledgers of one
// origin; kNotFound if a ledger has no checkpoint; errors reading them.
RETRACE_EXPORT Result<FlowReport> ComputeFlowReport(const std::vector<const Ledger*>& ledgers,
                                                    std::string_view month);

// Renderings. JSON: schema "retrace.flow-report/v1" (docs/publishing.md).
RETRACE_EXPORT std::string FlowReportToJson(const FlowReport& report);
RETRACE_EXPORT std::string FlowReportToText(const FlowReport& report);
RETRACE_EXPORT std::string FlowReportToCsv(const FlowReport& report);
RETRACE_EXPORT std::string FlowReportToHtml(const FlowReport& report);

// The report signed by a monitor: a signed note whose text is
//   retrace.flow-report/v1
//   month 2026-11
//   sha256 <64 hex digits: SHA-256 of FlowReportToJson(report), exactly>
// so the signature covers the JSON form byte for byte (and every figure and
// checkpoint in it) while the note stays small. kInvalidArgument for a
// cosignature key.
RETRACE_EXPORT Result<std::string> SignFlowReport(const FlowReport& report,
                                                  const NoteSigner& monitor_key);
// Checks that `signed_note` is a report note signed by `monitor_key` for
// exactly `report_json` (the bytes FlowReportToJson wrote). Returns the
// month. kVerificationFailed if the signature does not verify or the JSON
// is not the one signed; kInvalidArgument if the note is not a report note.
RETRACE_EXPORT Result<std::string> VerifyFlowReport(std::string_view signed_note,
                                                    std::string_view report_json,
                                                    const NoteVerifier& monitor_key);

}  // namespace retrace

#endif  // RETRACE_FLOW_REPORT_H_
