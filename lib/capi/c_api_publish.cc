// The C API of publishing, mirroring, witnesses over HTTP and the flow
// report (retrace/c.h), over the public C++ API; the conventions of
// c_api.cc (capi/c_api_internal.h).
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "capi/c_api_internal.h"
#include "retrace/c.h"
#include "retrace/flow_report.h"
#include "retrace/mirror.h"
#include "retrace/publish.h"
#include "retrace/witness_http.h"

struct retrace_publisher {
  std::unique_ptr<retrace::Publisher> impl;
};

namespace {

using retrace::Result;
using retrace::Status;
using retrace::internal::CapiGive;
using retrace::internal::CapiGuard;

Status Null(const char* name) { return retrace::InvalidArgumentError(std::string(name) + " is NULL"); }

}  // namespace

extern "C" {

int retrace_ledger_publish(retrace_ledger* ledger, const char* webroot,
                           const retrace_note_signer* log_key, int sync, char** out_json,
                           size_t* out_len) {
  return CapiGuard([&]() -> Status {
    if (ledger == nullptr) return Null("ledger");
    if (webroot == nullptr) return Null("webroot");
    retrace::PublishOptions o;
    o.sign_with = log_key != nullptr ? log_key->impl.get() : nullptr;
    o.sync = sync != 0;
    Result<retrace::PublishResult> r = retrace::Publish(*ledger->impl, webroot, o);
    if (!r.ok()) return r.status();
    if (out_json != nullptr) return CapiGive(retrace::PublishResultToJson(webroot, *r), out_json, out_len);
    return Status::Ok();
  });
}

int retrace_publisher_start(retrace_ledger* ledger, const char* webroot,
                            const retrace_note_signer* log_key, unsigned period_ms,
                            retrace_publisher** out_publisher) {
  if (out_publisher != nullptr) *out_publisher = nullptr;
  return CapiGuard([&]() -> Status {
    if (ledger == nullptr) return Null("ledger");
    if (webroot == nullptr) return Null("webroot");
    if (out_publisher == nullptr) return Null("out_publisher");
    retrace::PublishOptions o;
    o.sign_with = log_key != nullptr ? log_key->impl.get() : nullptr;
    auto p = retrace::Publisher::Start(*ledger->impl, webroot, o,
                                       std::chrono::milliseconds(period_ms));
    if (!p.ok()) return p.status();
    auto* h = new retrace_publisher{std::move(p).value()};
    *out_publisher = h;
    return Status::Ok();
  });
}

void retrace_publisher_notify(retrace_publisher* publisher) {
  if (publisher != nullptr) publisher->impl->Notify();
}

int retrace_publisher_status(const retrace_publisher* publisher, uint64_t* out_published_size) {
  return CapiGuard([&]() -> Status {
    if (publisher == nullptr) return Null("publisher");
    if (out_published_size != nullptr) *out_published_size = publisher->impl->published_size();
    return publisher->impl->last_status();
  });
}

void retrace_publisher_free(retrace_publisher* publisher) {
  try {
    delete publisher;
  } catch (...) {
  }
}

int retrace_mirror(const char* source, const char* mirror_dir,
                   const retrace_note_verifier* log_key,
                   const retrace_note_verifier* const* witnesses, size_t n_witnesses,
                   size_t quorum, size_t* out_findings, char** out_json, size_t* out_len) {
  return CapiGuard([&]() -> Status {
    if (source == nullptr) return Null("source");
    if (mirror_dir == nullptr) return Null("mirror_dir");
    if (log_key == nullptr) return Null("log_key");
    if (n_witnesses > 0 && witnesses == nullptr) return Null("witnesses");
    retrace::MirrorOptions o;
    o.log_keys = {log_key->impl};
    for (size_t i = 0; i < n_witnesses; ++i) {
      if (witnesses[i] == nullptr) return Null("witnesses[i]");
      o.witnesses.witnesses.push_back(witnesses[i]->impl);
    }
    o.witnesses.quorum = quorum;
    Result<retrace::MirrorResult> r = retrace::Mirror(source, mirror_dir, o);
    if (!r.ok()) return r.status();
    if (out_json != nullptr) {
      Status st = CapiGive(retrace::MirrorResultToJson(source, *r), out_json, out_len);
      if (!st.ok()) return st;
    }
    if (out_findings != nullptr) *out_findings = r->findings.size();
    return Status::Ok();
  });
}

int retrace_ledger_checkpoint_gather(retrace_ledger* ledger, const char* const* urls,
                                     const retrace_note_verifier* const* witness_keys, size_t n,
                                     size_t quorum, unsigned timeout_ms, size_t* out_cosigned,
                                     char** out_note, size_t* out_len) {
  return CapiGuard([&]() -> Status {
    if (ledger == nullptr) return Null("ledger");
    if (n > 0 && (urls == nullptr || witness_keys == nullptr)) return Null("urls or witness_keys");
    std::vector<retrace::WitnessEndpoint> endpoints;
    for (size_t i = 0; i < n; ++i) {
      if (urls[i] == nullptr || witness_keys[i] == nullptr) return Null("urls[i] or witness_keys[i]");
      endpoints.push_back({urls[i], witness_keys[i]->impl});
    }
    retrace::FetchOptions f;
    if (timeout_ms > 0) f.timeout_ms = timeout_ms;
    Result<retrace::CosigningResult> r = retrace::GatherCosignatures(*ledger->impl, endpoints, quorum, f);
    if (!r.ok()) return r.status();
    if (out_note != nullptr) {
      Status st = CapiGive(r->checkpoint, out_note, out_len);
      if (!st.ok()) return st;
    }
    if (out_cosigned != nullptr) *out_cosigned = r->cosigned;
    if (!r->quorum_met) {
      std::string why = "witness quorum not met: " + std::to_string(r->cosigned) + " of " +
                        std::to_string(n) + " cosigned, " + std::to_string(quorum) + " required";
      for (const retrace::WitnessOutcome& w : r->witnesses) {
        if (!w.cosigned) why += "; " + w.name + ": " + w.status.message();
      }
      return retrace::VerificationFailedError(why);
    }
    return Status::Ok();
  });
}

int retrace_flow_report(const retrace_ledger* const* ledgers, size_t n, const char* month,
                        const char* format, const retrace_note_signer* monitor_key,
                        size_t* out_findings, char** out_report, char** out_signature) {
  return CapiGuard([&]() -> Status {
    if (n > 0 && ledgers == nullptr) return Null("ledgers");
    if (month == nullptr) return Null("month");
    if (format == nullptr) return Null("format");
    if (out_report == nullptr) return Null("out_report");
    if (monitor_key != nullptr && out_signature == nullptr) return Null("out_signature");
    std::vector<const retrace::Ledger*> ls;
    for (size_t i = 0; i < n; ++i) {
      if (ledgers[i] == nullptr) return Null("ledgers[i]");
      ls.push_back(ledgers[i]->impl.get());
    }
    Result<retrace::FlowReport> r = retrace::ComputeFlowReport(ls, month);
    if (!r.ok()) return r.status();
    const std::string f = format;
    std::string text;
    if (f == "json") {
      text = retrace::FlowReportToJson(*r);
    } else if (f == "text") {
      text = retrace::FlowReportToText(*r);
    } else if (f == "csv") {
      text = retrace::FlowReportToCsv(*r);
    } else if (f == "html") {
      text = retrace::FlowReportToHtml(*r);
    } else {
      return retrace::InvalidArgumentError("format must be json, text, csv or html");
    }
    std::string note;
    if (monitor_key != nullptr) {
      Result<std::string> s = retrace::SignFlowReport(*r, *monitor_key->impl);
      if (!s.ok()) return s.status();
      note = *s;
    }
    char* report = nullptr;
    Status st = CapiGive(text, &report, nullptr);
    if (!st.ok()) return st;
    if (monitor_key != nullptr) {
      st = CapiGive(note, out_signature, nullptr);
      if (!st.ok()) {
        retrace_free(report);
        return st;
      }
    }
    *out_report = report;
    if (out_findings != nullptr) *out_findings = r->findings.size();
    return Status::Ok();
  });
}

}  // extern "C"
