// retrace flow-report: the regulator's monthly flow report over monitored
// mirrors (or any ledgers), signed by the monitor's key (docs/publishing.md).
#include <iostream>
#include <map>

#include "common.h"
#include "monitor_config.h"
#include "retrace/checkpoint.h"
#include "retrace/flow_report.h"

namespace retrace::cli {
namespace {

struct FlowReportOptions {
  std::string config;
  std::vector<std::string> dbs;
  std::string month;
  std::string key;
  std::string format = "text";
  std::string out = "-";
  std::string signature_out;
  // verification of a signed report
  std::string check;
  std::string report;
  std::string monitor_key;
};

int RunCheck(const FlowReportOptions& o) {
  const char* cmd = "flow-report";
  Result<NoteVerifier> key = ReadNoteVerifier(o.monitor_key, NoteKeyType::kEd25519);
  if (!key.ok()) return Fail(cmd, "--monitor-key: " + key.status().ToString());
  Result<std::string> note = ReadInput(o.check);
  if (!note.ok()) return Fail(cmd, note.status().ToString());
  Result<std::string> json = ReadInput(o.report);
  if (!json.ok()) return Fail(cmd, json.status().ToString());
  Result<std::string> month = VerifyFlowReport(*note, *json, *key);
  if (!month.ok()) {
    if (month.status().code() == StatusCode::kVerificationFailed) {
      return Refused(cmd, month.status().message());
    }
    return Fail(cmd, month.status().ToString());
  }
  std::cout << "the flow report for " << Shown(*month) << " is signed by " << Shown(key->name())
            << "\nVALID" << std::endl;
  return kExitOk;
}

int RunFlowReport(const FlowReportOptions& o) {
  const char* cmd = "flow-report";
  if (!o.check.empty()) {
    if (o.report.empty() || o.monitor_key.empty()) {
      return Fail(cmd, "--check needs --report (the JSON report) and --monitor-key");
    }
    return RunCheck(o);
  }
  if (o.month.empty()) return Fail(cmd, "--month YYYY-MM is required");
  if (o.config.empty() == o.dbs.empty()) {
    return Fail(cmd, "give --config (the monitor's mirrors) or --db (ledgers), not both");
  }
  std::vector<std::string> dirs = o.dbs;
  if (!o.config.empty()) {
    Result<std::vector<MonitoredLedger>> ledgers = ReadMonitorConfig(o.config);
    if (!ledgers.ok()) return Fail(cmd, ledgers.status().ToString());
    for (const MonitoredLedger& m : *ledgers) dirs.push_back(m.mirror_dir);
  }
  std::unique_ptr<NoteSigner> key;
  if (!o.key.empty()) {
    Result<std::unique_ptr<NoteSigner>> k = NoteSigner::LoadSignerKeyFile(o.key);
    if (!k.ok()) return Fail(cmd, "cannot load the monitor key: " + k.status().ToString());
    key = std::move(k).value();
  }
  std::vector<std::unique_ptr<Ledger>> open;
  std::vector<const Ledger*> ledgers;
  // The same log mirrored from two sources (a monitor's redundancy) counts
  // once: the mirror with the larger checkpoint.
  std::map<std::string, std::pair<std::size_t, std::uint64_t>> by_origin;  // -> index, size
  for (const std::string& d : dirs) {
    Result<std::unique_ptr<Ledger>> l = OpenLedger(d, /*read_only=*/true);
    if (!l.ok()) return Fail(cmd, l.status().ToString());
    Result<LedgerInfo> info = (*l)->Info();
    if (!info.ok()) return Fail(cmd, info.status().ToString());
    std::uint64_t size = 0;
    if (Result<std::string> cp = (*l)->LatestCheckpoint(); cp.ok()) {
      if (Result<Checkpoint> c = ParseSignedCheckpoint(*cp); c.ok()) size = c->size;
    }
    auto it = by_origin.find(info->name);
    if (it != by_origin.end()) {
      std::cerr << "retrace flow-report: " << Shown(d) << " holds the log " << Shown(info->name)
                << " too; the one with the larger checkpoint is used\n";
      if (size <= it->second.second) continue;
      open[it->second.first] = std::move(l).value();
      ledgers[it->second.first] = open[it->second.first].get();
      it->second.second = size;
      continue;
    }
    by_origin[info->name] = {open.size(), size};
    ledgers.push_back(l->get());
    open.push_back(std::move(l).value());
  }
  Result<FlowReport> r = ComputeFlowReport(ledgers, o.month);
  if (!r.ok()) return Fail(cmd, r.status().ToString());
  std::string text;
  if (o.format == "json") {
    text = FlowReportToJson(*r);
  } else if (o.format == "csv") {
    text = FlowReportToCsv(*r);
  } else if (o.format == "html") {
    text = FlowReportToHtml(*r);
  } else {
    text = FlowReportToText(*r);
  }
  if (Status st = WriteOutput(o.out, text); !st.ok()) return Fail(cmd, st.ToString());
  if (key) {
    Result<std::string> note = SignFlowReport(*r, *key);
    if (!note.ok()) return Fail(cmd, "signing the report failed: " + note.status().ToString());
    const std::string sig_path = !o.signature_out.empty() ? o.signature_out : "-";
    if (sig_path == "-" && o.out == "-") {
      std::cout << "\n";  // the note after the report, apart
    }
    if (Status st = WriteOutput(sig_path, *note); !st.ok()) return Fail(cmd, st.ToString());
  }
  return r->findings.empty() ? kExitOk : kExitFindings;
}

}  // namespace

Command AddFlowReportCommand(CLI::App& app) {
  auto o = std::make_shared<FlowReportOptions>();
  CLI::App* sub = app.add_subcommand(
      "flow-report",
      "The monthly flow report per enterprise and element (REO): extracted, separated, smelted, "
      "shipped, received, exported, stock, quotas and findings, each figure naming its "
      "checkpoint; signed by the monitor's key");
  sub->add_option("--config", o->config, "The monitor's configuration: report over its mirrors");
  sub->add_option("--db", o->dbs, "A ledger directory to report over (repeatable), instead of --config");
  sub->add_option("--month", o->month, "The month, YYYY-MM (UTC)");
  sub->add_option("--key", o->key,
                  "The monitor's signer key (note-keygen): sign the report (a signed note over "
                  "the SHA-256 of its JSON form)");
  sub->add_option("--format", o->format, "text, json (schema retrace.flow-report/v1), csv or html")
      ->check(CLI::IsMember({"text", "json", "csv", "html"}))
      ->capture_default_str();
  sub->add_option("-o,--out", o->out, "Write the report here instead of standard output");
  sub->add_option("--signature", o->signature_out,
                  "With --key: write the signed note here (default: standard output)");
  sub->add_option("--check", o->check,
                  "Verify a signed report note (with --report JSON_FILE and --monitor-key)");
  sub->add_option("--report", o->report, "With --check: the report's JSON form");
  sub->add_option("--monitor-key", o->monitor_key, "With --check: the monitor's verifier key");
  SetHelpFooter(sub, {"the report was written (no findings), or the signed report verified",
                      "the report has findings (a shipment not received, a receipt without its "
                      "shipment, a quota exceeded), or REFUSED: the signed report does not "
                      "verify",
                      "usage error, a ledger without a checkpoint, unreadable files"});
  return {sub, [o] { return RunFlowReport(*o); }};
}

}  // namespace retrace::cli
