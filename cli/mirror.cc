// retrace mirror: fetch a published ledger (a directory or an http(s) URL),
// verify its checkpoint, witnesses, tiles and every record, and keep a
// read-only copy on which audit, verify, lineage and prove work
// (docs/publishing.md).
#include <iostream>

#include "common.h"
#include "mirror_util.h"
#include "retrace/mirror.h"

namespace retrace::cli {
namespace {

struct MirrorCliOptions {
  std::string source;
  std::string db;
  std::vector<std::string> log_keys;
  std::vector<std::string> witnesses;
  int quorum = -1;
  double timeout = 30;
  unsigned attempts = 3;
  bool no_sync = false;
  std::string format = "text";
};

int RunMirror(const MirrorCliOptions& o) {
  const char* cmd = "mirror";
  MirrorOptions mo;
  for (const std::string& k : o.log_keys) {
    Result<NoteVerifier> v = ReadNoteVerifier(k, NoteKeyType::kEd25519);
    if (!v.ok()) return Fail(cmd, "--log-key: " + v.status().ToString());
    mo.log_keys.push_back(*v);
  }
  for (const std::string& w : o.witnesses) {
    Result<NoteVerifier> v = ReadNoteVerifier(w, NoteKeyType::kCosignatureV1);
    if (!v.ok()) return Fail(cmd, "--witness: " + v.status().ToString());
    mo.witnesses.witnesses.push_back(*v);
  }
  mo.witnesses.quorum = o.quorum < 0 ? mo.witnesses.witnesses.size() : static_cast<std::size_t>(o.quorum);
  if (mo.witnesses.quorum > mo.witnesses.witnesses.size()) {
    return Fail(cmd, "--quorum exceeds the number of --witness keys");
  }
  mo.fetch.timeout_ms = static_cast<std::uint32_t>(o.timeout * 1000);
  mo.fetch.attempts = o.attempts;
  mo.ledger.sync = !o.no_sync;
  Result<MirrorResult> r = Mirror(o.source, o.db, mo);
  if (!r.ok()) {
    if (r.status().code() == StatusCode::kVerificationFailed) {
      return Refused(cmd, r.status().message() + "; the mirror is unchanged");
    }
    return Fail(cmd, r.status().ToString() + "; the mirror is unchanged");
  }
  PrintMirrorResult(o.source, *r, o.format, std::cout);
  return r->findings.empty() ? kExitOk : kExitFindings;
}

}  // namespace

Command AddMirrorCommand(CLI::App& app) {
  auto o = std::make_shared<MirrorCliOptions>();
  CLI::App* sub = app.add_subcommand(
      "mirror",
      "Mirror a published ledger (directory or http(s) URL): verify its checkpoint, witnesses, "
      "tiles and every record, and keep a read-only copy");
  sub->add_option("source", o->source, "The published log: a directory or an http(s) URL prefix")
      ->required();
  AddDbOption(sub, o->db, "The mirror's ledger directory (created at the first run)");
  sub->add_option("--log-key", o->log_keys,
                  "The log's verifier key (or a file holding it); repeatable")
      ->required();
  sub->add_option("--witness", o->witnesses,
                  "A witness verifier key (or file) whose cosignature counts; repeatable");
  sub->add_option("--quorum", o->quorum, "Cosignatures required (default: every --witness)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--timeout", o->timeout, "Seconds per HTTP request")->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("--attempts", o->attempts, "Attempts per resource on a network error or 5xx")
      ->check(CLI::Range(1, 10))
      ->capture_default_str();
  sub->add_flag("--no-sync", o->no_sync, "Do not fsync the mirror's appends");
  sub->add_option("--format", o->format, "text or json (schema retrace.mirror/v1)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  SetHelpFooter(sub, {"the mirror is up to date with the source's verified checkpoint",
                      "FINDING: the source forked (split_view), rolled back, served a tile or "
                      "entry that does not verify, or a record the rules refuse; or REFUSED: "
                      "its checkpoint's signature, witness quorum or origin does not verify "
                      "(the mirror keeps only what verified)",
                      "usage error, unreachable source after the retries, a missing resource, "
                      "or an I/O error (the mirror is unchanged)"});
  return {sub, [o] { return RunMirror(*o); }};
}

}  // namespace retrace::cli
