// The C API's lineage, verification and audit, and the retrace_report
// handle that holds their reports (retrace/c.h).
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
#include "retrace/federation.h"
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

namespace {

Result<retrace::VerifyReport> Verify(const retrace_ledger* ledger, const char* lot_id) {
  if (ledger == nullptr) return NullArg("ledger");
  if (lot_id == nullptr) return NullArg("lot_id");
  // Across ledgers, as `retrace verify` (docs/federation.md).
  return retrace::VerifyLotAcrossLedgers(*ledger->impl, lot_id);
}

}  // namespace

extern "C" {

// --- lineage, verification, audit --------------------------------------------

int retrace_ledger_lineage_json(const retrace_ledger* ledger, const char* lot_id, char** out_json,
                                size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(out_json);
    Result<retrace::VerifyReport> r = Verify(ledger, lot_id);
    if (!r.ok()) return r.status();
    return Give(retrace::LineageToJson(*r), out_json, out_len);
  });
}

int retrace_ledger_lineage_dot(const retrace_ledger* ledger, const char* lot_id, char** out_dot,
                               size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(out_dot);
    Result<retrace::VerifyReport> r = Verify(ledger, lot_id);
    if (!r.ok()) return r.status();
    return Give(retrace::LineageToDot(*r), out_dot, out_len);
  });
}

int retrace_ledger_lineage_svg(const retrace_ledger* ledger, const char* lot_id, char** out_svg,
                               size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(out_svg);
    Result<retrace::VerifyReport> r = Verify(ledger, lot_id);
    if (!r.ok()) return r.status();
    return Give(retrace::LineageToSvg(*r), out_svg, out_len);
  });
}

int retrace_ledger_report_html(const retrace_ledger* ledger, const char* lot_id, char** out_html,
                               size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(out_html);
    Result<retrace::VerifyReport> r = Verify(ledger, lot_id);
    if (!r.ok()) return r.status();
    Result<std::vector<retrace::CustodyStep>> timeline = retrace::CustodyTimeline(*ledger->impl, *r);
    if (!timeline.ok()) return timeline.status();
    Result<retrace::LedgerInfo> info = ledger->impl->Info();
    if (!info.ok()) return info.status();
    retrace::HtmlReportOptions options;
    Result<std::vector<retrace::QuotaUsage>> quotas = retrace::CustodyQuotas(*ledger->impl, *r);
    if (!quotas.ok()) return quotas.status();
    options.quotas = std::move(*quotas);
    return Give(retrace::RenderHtmlReport(*r, *timeline, *info, options), out_html, out_len);
  });
}

int retrace_ledger_verify(const retrace_ledger* ledger, const char* lot_id,
                          retrace_report** out_report) {
  if (out_report != nullptr) *out_report = nullptr;
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(out_report);
    Result<retrace::VerifyReport> r = Verify(ledger, lot_id);
    if (!r.ok()) return r.status();
    auto* rep = new retrace_report();
    rep->verify = std::move(*r);
    *out_report = rep;
    return Status::Ok();
  });
}

namespace {
int AuditWith(const retrace_ledger* ledger, retrace::AuditScope scope, retrace_progress_fn progress,
              void* progress_ctx, retrace_report** out_report) {
  if (out_report != nullptr) *out_report = nullptr;
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(ledger);
    RETRACE_REQUIRE(out_report);
    retrace::AuditOptions options;
    options.scope = scope;
    if (progress != nullptr) {
      options.progress = [progress, progress_ctx](uint64_t done, uint64_t total) {
        progress(progress_ctx, done, total);
      };
    }
    Result<retrace::AuditReport> a = retrace::AuditAcrossLedgers(*ledger->impl, options);
    if (!a.ok()) return a.status();
    auto* rep = new retrace_report();
    rep->audit = true;
    rep->audit_report = std::move(*a);
    *out_report = rep;
    return Status::Ok();
  });
}
}  // namespace

int retrace_ledger_audit(const retrace_ledger* ledger, retrace_progress_fn progress,
                         void* progress_ctx, retrace_report** out_report) {
  return AuditWith(ledger, retrace::AuditScope::kFull, progress, progress_ctx, out_report);
}

int retrace_ledger_audit_integrity(const retrace_ledger* ledger, retrace_progress_fn progress,
                                   void* progress_ctx, retrace_report** out_report) {
  return AuditWith(ledger, retrace::AuditScope::kIntegrity, progress, progress_ctx, out_report);
}

int retrace_report_json(const retrace_report* report, char** out_json, size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(report);
    RETRACE_REQUIRE(out_json);
    if (report->bundle) {
      retrace::BundleReport whole = report->bundle_report;
      whole.lineage = report->verify;
      return Give(retrace::BundleReportToJson(whole), out_json, out_len);
    }
    return Give(report->audit ? retrace::AuditReportToJson(report->audit_report)
                              : retrace::VerifyReportToJson(report->verify),
                out_json, out_len);
  });
}

const char* retrace_report_schema(const retrace_report* report) {
  if (report == nullptr) return nullptr;
  if (report->bundle) return "retrace.bundle-report/v1";
  return report->audit ? "retrace.audit/v1" : "retrace.verify/v1";
}

int retrace_report_valid(const retrace_report* report) {
  if (report == nullptr) return 0;
  if (report->bundle) return report->bundle_report.valid ? 1 : 0;
  return (report->audit ? report->audit_report.valid : report->verify.valid) ? 1 : 0;
}

const char* retrace_report_lot_id(const retrace_report* report) {
  if (report == nullptr) return nullptr;
  return report->audit ? "" : report->verify.lot_id.c_str();
}

uint64_t retrace_report_records_checked(const retrace_report* report) {
  if (report == nullptr) return 0;
  return report->audit ? report->audit_report.records_checked : report->verify.records_checked;
}

uint64_t retrace_report_signatures_checked(const retrace_report* report) {
  if (report == nullptr) return 0;
  return report->audit ? report->audit_report.signatures_checked
                       : report->verify.signatures_checked;
}

uint64_t retrace_report_tree_size(const retrace_report* report) {
  if (report == nullptr) return 0;
  return report->audit ? report->audit_report.tree_size : report->verify.tree_size;
}

int retrace_report_head_hash(const retrace_report* report, uint8_t out_hash[32]) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(report);
    RETRACE_REQUIRE(out_hash);
    CopyHash(report->audit ? report->audit_report.head_hash : report->verify.head_hash, out_hash);
    return Status::Ok();
  });
}

size_t retrace_report_finding_count(const retrace_report* report) {
  return report == nullptr ? 0 : report->findings().size();
}

static Status OutOfRange(const char* what, size_t i, size_t n) {
  return retrace::InvalidArgumentError(std::string(what) + " index " + std::to_string(i) +
                                       " is out of range (the report has " + std::to_string(n) +
                                       ")");
}

int retrace_report_finding(const retrace_report* report, size_t i, const char** out_code,
                           uint64_t* out_seq, const char** out_lot_id, const char** out_message) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(report);
    const auto& fs = report->findings();
    if (i >= fs.size()) return OutOfRange("finding", i, fs.size());
    const retrace::Finding& f = fs[i];
    if (out_code != nullptr) *out_code = f.code.c_str();
    if (out_seq != nullptr) *out_seq = f.seq;
    if (out_lot_id != nullptr) *out_lot_id = f.lot_id.c_str();
    if (out_message != nullptr) *out_message = f.message.c_str();
    return Status::Ok();
  });
}

size_t retrace_report_origin_count(const retrace_report* report) {
  return report == nullptr || report->audit ? 0 : report->verify.origins.size();
}

int retrace_report_origin(const retrace_report* report, size_t i, const char** out_origin_lot,
                          const char** out_actor_id, const char** out_site,
                          uint64_t* out_rare_earth_g, uint32_t* out_share_ppm) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(report);
    size_t n = retrace_report_origin_count(report);
    if (i >= n) return OutOfRange("origin", i, n);
    const retrace::OriginShare& o = report->verify.origins[i];
    if (out_origin_lot != nullptr) *out_origin_lot = o.origin_lot.c_str();
    if (out_actor_id != nullptr) *out_actor_id = o.actor_id.c_str();
    if (out_site != nullptr) *out_site = o.site.c_str();
    if (out_rare_earth_g != nullptr) *out_rare_earth_g = o.rare_earth_g;
    if (out_share_ppm != nullptr) *out_share_ppm = o.share_ppm;
    return Status::Ok();
  });
}

size_t retrace_report_lot_count(const retrace_report* report) {
  return report == nullptr || report->audit ? 0 : report->verify.lots.size();
}

int retrace_report_lot(const retrace_report* report, size_t i, const char** out_lot_id,
                       const char** out_material, uint64_t* out_mass_g,
                       uint64_t* out_rare_earth_g, int* out_is_origin) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(report);
    size_t n = retrace_report_lot_count(report);
    if (i >= n) return OutOfRange("lot", i, n);
    const retrace::LineageLot& l = report->verify.lots[i];
    if (out_lot_id != nullptr) *out_lot_id = l.lot_id.c_str();
    if (out_material != nullptr) *out_material = retrace::MaterialClassName(l.material);
    if (out_mass_g != nullptr) *out_mass_g = l.mass_g;
    if (out_rare_earth_g != nullptr) *out_rare_earth_g = l.rare_earth_g;
    if (out_is_origin != nullptr) *out_is_origin = l.is_origin ? 1 : 0;
    return Status::Ok();
  });
}

size_t retrace_report_edge_count(const retrace_report* report) {
  return report == nullptr || report->audit ? 0 : report->verify.edges.size();
}

int retrace_report_edge(const retrace_report* report, size_t i, const char** out_input_lot,
                        const char** out_output_lot, uint64_t* out_consumed_g,
                        uint64_t* out_seq) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(report);
    size_t n = retrace_report_edge_count(report);
    if (i >= n) return OutOfRange("edge", i, n);
    const retrace::LineageEdge& e = report->verify.edges[i];
    if (out_input_lot != nullptr) *out_input_lot = e.input_lot.c_str();
    if (out_output_lot != nullptr) *out_output_lot = e.output_lot.c_str();
    if (out_consumed_g != nullptr) *out_consumed_g = e.consumed_g;
    if (out_seq != nullptr) *out_seq = e.seq;
    return Status::Ok();
  });
}

void retrace_report_free(retrace_report* report) { delete report; }

}  // extern "C"
