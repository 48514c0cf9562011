// retrace report: a self-contained HTML custody report of a lot (or its
// data as JSON), for a compliance officer to open or attach to a shipment.
#include <algorithm>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "common.h"
#include "retrace/checkpoint.h"
#include "retrace/render.h"

namespace retrace::cli {
namespace {

struct ReportOptions {
  std::string db;
  std::string lot;
  std::string output = "-";
  std::string format = "html";
  bool graphviz = false;
  std::string checkpoint;  // a signed checkpoint file; "latest": the stored one
  std::string log_key;
};

// How a signed checkpoint relates to the report: is it the log's, does its
// root match this ledger, and does it cover every record the lineage read?
struct CheckpointCheck {
  std::string note;    // the checkpoint text
  std::string status;  // what was checked, "; "-separated
  // A finding: the root does not match this ledger, the checkpoint is
  // newer than the ledger, or its signature does not verify under --log-key.
  // (Not covering the lineage's latest records is stated, not a finding.)
  std::string mismatch;
};

Result<CheckpointCheck> CheckpointFor(const ReportOptions& o,
                                                          const Ledger& ledger,
                                                          const VerifyReport& report) {
  std::string note;
  if (o.checkpoint == "latest") {
    Result<std::string> latest = ledger.LatestCheckpoint();
    if (!latest.ok()) return latest.status().Annotate("no stored checkpoint");
    note = *latest;
  } else {
    Result<std::string> text = ReadInput(o.checkpoint);
    if (!text.ok()) return text.status();
    note = *text;
  }
  std::vector<std::string> status;
  std::string mismatch;
  Result<Checkpoint> cp = ParseSignedCheckpoint(note);
  if (!cp.ok()) return cp.status().Annotate("the checkpoint does not parse");
  if (!o.log_key.empty()) {
    Result<NoteVerifier> key = ReadNoteVerifier(o.log_key, NoteKeyType::kEd25519);
    if (!key.ok()) return key.status().Annotate("--log-key");
    Result<VerifiedCheckpoint> opened = OpenCheckpoint(note, {*key});
    status.push_back(opened.ok() ? "log signature verified (" + key->name() + ")"
                                 : "log signature NOT verified: " + opened.status().message());
    if (!opened.ok()) mismatch = "the checkpoint's signature does not verify under --log-key";
  } else {
    status.push_back("log signature not checked here (give --log-key)");
  }
  std::uint64_t last = 0;
  for (const LineageLot& l : report.lots) {
    for (std::uint64_t s : l.record_seqs) last = std::max(last, s);
  }
  if (cp->size > report.tree_size) {
    status.push_back("the checkpoint (size " + std::to_string(cp->size) +
                     ") is newer than the ledger the report read (" +
                     std::to_string(report.tree_size) + "): NOT comparable");
    mismatch = "the checkpoint (size " + std::to_string(cp->size) +
               ") is newer than this ledger (size " + std::to_string(report.tree_size) + ")";
  } else {
    Result<Hash> root = ledger.RootAt(cp->size);
    if (!root.ok()) return root.status();
    if (*root != cp->root_hash) {
      mismatch = "the checkpoint's root does not match this ledger at size " +
                 std::to_string(cp->size);
    }
    status.push_back(*root == cp->root_hash ? "its root matches this ledger at size " +
                                                  std::to_string(cp->size)
                                            : "its root does NOT match this ledger at size " +
                                                  std::to_string(cp->size));
    status.push_back(cp->size > last ? "it covers every record of the lineage"
                                     : "it does NOT cover the lineage's records after " +
                                           std::to_string(cp->size - 1));
  }
  std::string joined;
  for (const std::string& s : status) joined += (joined.empty() ? "" : "; ") + s;
  return CheckpointCheck{note, joined, mismatch};
}

int RunReport(const ReportOptions& o) {
  const char* cmd = "report";
  Result<std::unique_ptr<Ledger>> ledger = OpenLedger(o.db, true);
  if (!ledger.ok()) return Fail(cmd, ledger.status().ToString());
  Result<VerifyReport> report = (*ledger)->VerifyLot(o.lot);
  if (!report.ok()) {
    return Fail(cmd, "could not verify lot " + Shown(o.lot) + ": " + report.status().ToString());
  }
  Result<std::vector<CustodyStep>> timeline = CustodyTimeline(**ledger, *report);
  if (!timeline.ok()) return Fail(cmd, "cannot read the custody records: " + timeline.status().ToString());
  Result<LedgerInfo> info = (*ledger)->Info();
  if (!info.ok()) return Fail(cmd, info.status().ToString());

  std::optional<CheckpointCheck> checkpoint;
  if (!o.checkpoint.empty()) {
    Result<CheckpointCheck> cp = CheckpointFor(o, **ledger, *report);
    if (!cp.ok()) return Fail(cmd, cp.status().ToString() + "; no report was written");
    checkpoint = std::move(*cp);
  }
  std::string text;
  if (o.format == "json") {
    nlohmann::ordered_json steps = nlohmann::ordered_json::array();
    for (const CustodyStep& s : *timeline) {
      nlohmann::ordered_json refs = nlohmann::ordered_json::array();
      for (const Reference& r : s.references) refs.push_back({{"kind", r.kind}, {"value", r.value}});
      steps.push_back({{"seq", s.seq},
                       {"time", {{"seconds", s.time.seconds}, {"nanos", s.time.nanos}}},
                       {"kind", s.kind},
                       {"actor_id", s.actor_id},
                       {"event_id", s.event_id},
                       {"summary", s.summary},
                       {"lots", s.lots},
                       {"references", refs},
                       {"readable", s.readable}});
    }
    nlohmann::ordered_json j = {
        {"schema", "retrace.report/v1"},
        {"ledger", nlohmann::ordered_json::parse(LedgerInfoToJson(*info, std::nullopt))},
        {"verify", nlohmann::ordered_json::parse(VerifyReportToJson(*report))},
        {"timeline", steps}};
    Result<std::vector<QuotaUsage>> quotas = CustodyQuotas(**ledger, *report);
    if (!quotas.ok()) return Fail(cmd, "cannot read quotas: " + quotas.status().ToString());
    j["quotas"] = nlohmann::ordered_json::parse(QuotasToJson(*quotas))["quotas"];
    if (checkpoint) {
      j["checkpoint"] = {{"note", checkpoint->note},
                         {"checked", checkpoint->status},
                         {"matches", checkpoint->mismatch.empty()},
                         {"finding", checkpoint->mismatch}};
    }
    text = j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  } else {
    HtmlReportOptions options;
    if (checkpoint) {
      options.checkpoint_text = checkpoint->note;
      options.checkpoint_status = checkpoint->status;
    }
    Result<std::vector<QuotaUsage>> quotas = CustodyQuotas(**ledger, *report);
    if (!quotas.ok()) return Fail(cmd, "cannot read quotas: " + quotas.status().ToString());
    options.quotas = std::move(*quotas);
    if (o.graphviz) {
      Result<std::string> svg = DotToSvg(LineageToDot(*report));
      if (!svg.ok()) {
        return Fail(cmd, svg.status().message() +
                             "; or leave out --graphviz: the report draws the lineage itself. "
                             "No report was written");
      }
      // Graphviz starts with an XML prolog and DOCTYPE; inline SVG wants the element only.
      std::size_t at = svg->find("<svg");
      options.lineage_svg = at == std::string::npos ? *svg : svg->substr(at);
    }
    text = RenderHtmlReport(*report, *timeline, *info, options);
  }
  if (Status st = WriteOutput(o.output, text); !st.ok()) return Fail(cmd, st.message());
  const bool valid = report->valid && (!checkpoint || checkpoint->mismatch.empty());
  if (o.output != "-") {
    std::cerr << "retrace report: wrote " << Shown(o.output) << " (lot " << Shown(o.lot) << ", "
              << report->findings.size() << " finding(s))\n";
  }
  if (checkpoint && !checkpoint->mismatch.empty()) {
    std::cerr << "retrace report: checkpoint finding: " << checkpoint->mismatch << "\n";
  }
  if (o.output != "-") std::cerr << (valid ? "VALID" : "INVALID") << "\n";
  return valid ? kExitOk : kExitFindings;
}

}  // namespace

Command AddReportCommand(CLI::App& app) {
  auto o = std::make_shared<ReportOptions>();
  CLI::App* sub = app.add_subcommand(
      "report", "Write a self-contained HTML custody report of a lot: verdict, origins, lineage "
                "picture, timeline, findings");
  AddDbOption(sub, o->db);
  sub->add_option("lot", o->lot, "Lot id")->required();
  sub->add_option("--output,-o", o->output, "Write to this file (default: standard output)");
  sub->add_option("--format", o->format, "html, or json (schema retrace.report/v1: the data "
                                         "behind the page)")
      ->check(CLI::IsMember({"html", "json"}))
      ->capture_default_str();
  sub->add_flag("--graphviz", o->graphviz,
                "Draw the lineage with Graphviz's dot instead of retrace's built-in layout");
  sub->add_option("--checkpoint", o->checkpoint,
                  "Show this signed checkpoint file (or `latest`: the ledger's stored one) as "
                  "what the report was verified against, checked against the ledger");
  sub->add_option("--log-key", o->log_key,
                  "The log's note verifier key (or a file holding it), to verify the "
                  "checkpoint's signature");
  SetHelpFooter(sub, {"written; the lot is VALID (and a --checkpoint matches this ledger)",
                      "written; the lot has findings, or the --checkpoint does not match this "
                      "ledger (its root, size or signature)",
                      "usage error, unknown lot, unreadable ledger or checkpoint, Graphviz "
                      "missing (--graphviz), or an output file that cannot be written"});
  return {sub, [o] { return RunReport(*o); }};
}

}  // namespace retrace::cli
