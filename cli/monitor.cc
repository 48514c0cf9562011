// retrace monitor: mirror and check many published ledgers, once or every
// interval (docs/publishing.md). One ledger at a time, each mirror opened
// and closed in turn, so memory does not grow with the number of ledgers.
#include <filesystem>
#include <iostream>

#include "common.h"
#include "mirror_util.h"
#include "monitor_config.h"

namespace retrace::cli {
namespace {

struct MonitorOptions {
  std::string config;
  double interval = 0;
  std::uint64_t rounds = 1;
  std::string format = "text";
};

int RunMonitor(const MonitorOptions& o) {
  const char* cmd = "monitor";
  Result<std::vector<MonitoredLedger>> ledgers = ReadMonitorConfig(o.config);
  if (!ledgers.ok()) return Fail(cmd, ledgers.status().ToString());
  for (const MonitoredLedger& m : *ledgers) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(m.mirror_dir).parent_path(), ec);
    if (ec) return Fail(cmd, "cannot create the mirrors' directory for " + m.mirror_dir + ": " + ec.message());
  }
  StopOnSignals();
  bool findings = false, errors = false;
  for (std::uint64_t round = 0; (o.rounds == 0 || round < o.rounds) && !StopRequested(); ++round) {
    if (round > 0 && !SleepUnlessStopped(o.interval)) break;
    for (const MonitoredLedger& m : *ledgers) {
      Result<MirrorResult> r = Mirror(m.source, m.mirror_dir, m.options);
      if (!r.ok()) {
        // One ledger that cannot be read does not stop the others.
        const bool refused = r.status().code() == StatusCode::kVerificationFailed;
        (refused ? findings : errors) = true;
        if (o.format == "json") {
          nlohmann::ordered_json j = {{"schema", "retrace.mirror/v1"},
                                      {"name", m.name},
                                      {"source", m.source},
                                      {"error", r.status().ToString()},
                                      {"refused", refused}};
          std::cout << j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
                    << std::endl;
        } else {
          std::cout << Shown(m.name) << ": " << (refused ? "REFUSED: " : "ERROR: ")
                    << internal::SanitizeMessage(r.status().ToString()) << std::endl;
        }
        continue;
      }
      if (!r->findings.empty()) findings = true;
      if (o.format == "json") {
        nlohmann::ordered_json j = MirrorResultJson(m.source, *r);
        j["name"] = m.name;
        std::cout << j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
                  << std::endl;
      } else {
        std::cout << Shown(m.name) << ": ";
        PrintMirrorResult(m.source, *r, "text", std::cout);
        std::cout.flush();
      }
    }
  }
  if (findings) return kExitFindings;
  return errors ? kExitError : kExitOk;
}

}  // namespace

Command AddMonitorCommand(CLI::App& app) {
  auto o = std::make_shared<MonitorOptions>();
  CLI::App* sub = app.add_subcommand(
      "monitor",
      "Mirror and check every published ledger of a configuration (retrace.monitor/v1), once or "
      "every interval");
  sub->add_option("--config", o->config, "The monitor's configuration file")->required();
  sub->add_option("--interval", o->interval, "Seconds between rounds")->check(CLI::PositiveNumber);
  sub->add_option("--rounds", o->rounds, "Rounds to run (0: until interrupted)")
      ->check(StrictUnsigned<std::uint64_t>())
      ->capture_default_str();
  sub->add_option("--format", o->format, "text or json (one retrace.mirror/v1 line per ledger)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  SetHelpFooter(sub, {"every ledger mirrored and verified",
                      "a ledger forked, rolled back, served altered tiles or entries, or its "
                      "checkpoint did not verify (FINDING or REFUSED on its line)",
                      "usage error, a malformed configuration, or a ledger that could not be "
                      "read (the others are still checked)"});
  return {sub, [o] { return RunMonitor(*o); }};
}

}  // namespace retrace::cli
