// retrace publish: write the ledger as a C2SP tiled transparency log
// (checkpoint, hash tiles, entry bundles) into a directory a web server
// serves (docs/publishing.md).
#include <iostream>

#include "common.h"
#include "retrace/publish.h"

namespace retrace::cli {
namespace {

struct PublishCliOptions {
  std::string db;
  std::string out;
  std::string key;
  bool no_sync = false;
  double watch = 0;
  std::uint64_t rounds = 0;
  std::string format = "text";
};

void Print(const PublishResult& r, const std::string& webroot, const std::string& format) {
  if (format == "json") {
    std::cout << PublishResultToJson(webroot, r) << std::endl;
    return;
  }
  if (r.previous_size == r.size && r.tiles_written == 0) {
    std::cout << "published " << Shown(webroot) << ": up to date at size " << r.size << std::endl;
    return;
  }
  std::cout << "published " << Shown(webroot) << ": size " << r.previous_size << " -> " << r.size
            << ", " << r.tiles_written << " tiles and " << r.bundles_written
            << " entry bundles written (" << r.bytes_written << " bytes)";
  if (r.large_bundles > 0) {
    std::cout << "; " << r.large_bundles
              << " bundle(s) hold a record over 65535 bytes and were written to "
                 "tile/entries-u32/ only";
  }
  std::cout << std::endl;
}

int RunPublish(const PublishCliOptions& o) {
  const char* cmd = "publish";
  std::unique_ptr<NoteSigner> key;
  if (!o.key.empty()) {
    Result<std::unique_ptr<NoteSigner>> k = NoteSigner::LoadSignerKeyFile(o.key);
    if (!k.ok()) return Fail(cmd, "cannot load the log key: " + k.status().ToString());
    key = std::move(k).value();
  }
  // Signing stores a checkpoint in the ledger: it needs a writable open.
  Result<std::unique_ptr<Ledger>> ledger = OpenLedger(o.db, /*read_only=*/key == nullptr);
  if (!ledger.ok()) return Fail(cmd, ledger.status().ToString());
  PublishOptions po;
  po.sign_with = key.get();
  po.sync = !o.no_sync;
  std::uint64_t round = 0;
  StopOnSignals();
  for (;;) {
    Result<PublishResult> r = Publish(**ledger, o.out, po);
    if (!r.ok()) {
      if (r.status().code() == StatusCode::kVerificationFailed) {
        return Refused(cmd, r.status().message());
      }
      return Fail(cmd, r.status().ToString());
    }
    Print(*r, o.out, o.format);
    ++round;
    if (o.watch <= 0 || (o.rounds > 0 && round >= o.rounds)) break;
    if (!SleepUnlessStopped(o.watch)) break;
  }
  return kExitOk;
}

}  // namespace

Command AddPublishCommand(CLI::App& app) {
  auto o = std::make_shared<PublishCliOptions>();
  CLI::App* sub = app.add_subcommand(
      "publish",
      "Publish the ledger as a C2SP tiled transparency log (checkpoint, hash tiles, entry "
      "bundles) into a directory for a web server");
  AddDbOption(sub, o->db);
  sub->add_option("--out", o->out, "The webroot to write (created if missing)")->required();
  sub->add_option("--key", o->key,
                  "Log signer key file: sign a checkpoint of the whole tree first (without it the "
                  "latest stored checkpoint is published)");
  sub->add_flag("--no-sync", o->no_sync,
                "Do not fsync (a crash of the process is still safe; a power loss may not be)");
  sub->add_option("--watch", o->watch,
                  "Republish every SECONDS until interrupted (with --key: signs a new checkpoint "
                  "whenever the ledger grew)")
      ->check(CLI::PositiveNumber);
  sub->add_option("--rounds", o->rounds, "With --watch: stop after this many publications")
      ->check(StrictUnsigned<std::uint64_t>());
  sub->add_option("--format", o->format, "text or json (schema retrace.publish/v1, one line per publication)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  SetHelpFooter(sub, {"published (or already up to date)",
                      "REFUSED: the webroot holds a checkpoint that is not a prefix of this "
                      "ledger (another history); nothing was published",
                      "usage error, no signed checkpoint, a webroot of another log or a larger "
                      "checkpoint there, unreadable key, or an I/O error (the webroot's "
                      "checkpoint is unchanged)"});
  return {sub, [o] { return RunPublish(*o); }};
}

}  // namespace retrace::cli
