// retrace witness: act as a C2SP witness for one or more logs -- remember
// each log's latest checkpoint, check that every new one extends it, and
// cosign it (tlog-cosignature, cosignature/v1).
#include <ctime>
#include <iostream>

#include "common.h"
#include "retrace/witness.h"
#include "witness_serve.h"

namespace retrace::cli {
namespace {

struct WitnessOptions {
  std::string state;
  // init
  std::string log_key;
  std::string origin;
  // cosign
  std::string key;
  std::string request = "-";
  std::int64_t time = -1;
  // show
  std::string format = "text";
  CLI::App* init = nullptr;
  CLI::App* cosign = nullptr;
  CLI::App* show = nullptr;
  WitnessServeOptions serve;  // witness_serve.cc
};

int RunInit(const WitnessOptions& o) {
  const char* cmd = "witness init";
  Result<NoteVerifier> key = ReadNoteVerifier(o.log_key, NoteKeyType::kEd25519);
  if (!key.ok()) return Fail(cmd, "--log-key: " + key.status().ToString() + "; the state is unchanged");
  const std::string origin = o.origin.empty() ? key->name() : o.origin;
  Status st = UpdateWitnessStateFile(o.state, [&](WitnessState* s) { return s->AddLog(origin, *key); });
  if (!st.ok()) return Fail(cmd, st.ToString() + "; " + Shown(o.state) + " is unchanged");
  std::cout << "witness state " << Shown(o.state) << " follows " << Shown(origin) << " (log key "
            << key->ToString() << ")\n";
  return kExitOk;
}

int RunCosign(const WitnessOptions& o) {
  const char* cmd = "witness cosign";
  Result<std::unique_ptr<NoteSigner>> key =
      NoteSigner::LoadSignerKeyFile(o.key, NoteKeyType::kCosignatureV1);
  if (!key.ok()) return Fail(cmd, "cannot load the witness key: " + key.status().ToString());
  Result<std::string> body = ReadInput(o.request);
  if (!body.ok()) return Fail(cmd, body.status().ToString());
  Result<AddCheckpointRequest> req = ParseAddCheckpointRequest(*body);
  if (!req.ok()) return Fail(cmd, req.status().ToString() + "; nothing was cosigned");
  const std::uint64_t t = o.time >= 0 ? static_cast<std::uint64_t>(o.time)
                                      : static_cast<std::uint64_t>(std::time(nullptr));
  std::string line;
  Status st = UpdateWitnessStateFile(o.state, [&](WitnessState* s) {
    Result<std::string> l = WitnessAddCheckpoint(s, **key, *req, t);
    if (!l.ok()) return l.status();
    line = *l;
    return Status::Ok();
  });
  // The witness checked the request and will not cosign it: the checkpoint
  // does not verify or does not extend what it cosigned, the request's old
  // size is stale (ask again from the size it names), or the log is not one
  // it follows. Exit 1, as every "does not verify".
  if (st.code() == StatusCode::kVerificationFailed ||
      st.code() == StatusCode::kFailedPrecondition || st.code() == StatusCode::kNotFound) {
    return Refused(cmd, st.message() + "; " + Shown(o.state) + " is unchanged");
  }
  if (!st.ok()) return Fail(cmd, st.ToString() + "; " + Shown(o.state) + " is unchanged");
  std::cout << line;
  return kExitOk;
}

int RunShow(const WitnessOptions& o) {
  Result<WitnessState> s = ReadWitnessStateFile(o.state);
  if (!s.ok()) return Fail("witness show", s.status().ToString());
  if (o.format == "json") {
    std::cout << s->Serialize();
    return kExitOk;
  }
  for (const WitnessedLog& l : s->logs) {
    std::cout << Shown(l.origin) << "\n";
    for (const NoteVerifier& k : l.log_keys) std::cout << "  log key    " << k.ToString() << "\n";
    if (l.checkpoint.empty()) {
      std::cout << "  cosigned   nothing yet\n";
    } else {
      std::cout << "  cosigned   size " << l.size << " at "
                << IsoTime(static_cast<std::int64_t>(l.cosigned_at)) << "\n";
    }
  }
  return kExitOk;
}

}  // namespace

Command AddWitnessCommand(CLI::App& app) {
  auto o = std::make_shared<WitnessOptions>();
  CLI::App* sub = app.add_subcommand(
      "witness", "Act as a C2SP witness: follow logs, check consistency, cosign checkpoints");
  sub->require_subcommand(1);
  o->init = sub->add_subcommand("init", "Follow a log: trust its key for its checkpoints");
  o->init->add_option("--state", o->state, "Witness state file (created if missing)")->required();
  o->init->add_option("--log-key", o->log_key, "The log's verifier key (or a file holding it)")
      ->required();
  o->init->add_option("--origin", o->origin, "The log's origin (default: the key's name)");
  o->cosign = sub->add_subcommand(
      "cosign",
      "Check an add-checkpoint request (from `retrace consistency`) against the state and print "
      "the cosignature line; the state then remembers the checkpoint");
  o->cosign->add_option("--state", o->state, "Witness state file")->required();
  o->cosign->add_option("--key", o->key,
                        "Witness signer key file (note-keygen --type witness)")
      ->required();
  o->cosign->add_option("--request", o->request, "Request body file, or - for stdin")
      ->capture_default_str();
  o->cosign->add_option("--time", o->time, "Cosignature time, POSIX seconds (default: now)")
      ->check(StrictUnsigned<std::int64_t>());
  o->show = sub->add_subcommand("show", "Print the logs followed and what was last cosigned");
  o->show->add_option("--state", o->state, "Witness state file")->required();
  o->show->add_option("--format", o->format, "text or json (schema retrace.witness-state/v1)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  const std::string usage = "usage error, unreadable or malformed key, state file or request, or "
                            "an I/O error (the state is unchanged)";
  SetHelpFooter(o->init, {"the state follows the log", "", usage});
  SetHelpFooter(o->cosign,
                {"cosigned: the cosignature line is printed and the state remembers the "
                 "checkpoint",
                 "REFUSED: the checkpoint does not verify or does not extend the one last "
                 "cosigned, the request's old size is not the size last cosigned (stale: ask "
                 "again), or the log is not followed (the state is unchanged)",
                 usage});
  SetHelpFooter(o->show, {"printed", "", usage});
  AddWitnessServeSubcommand(sub, &o->serve);
  SetHelpFooter(sub, {"done", "witness cosign refused the checkpoint (REFUSED:)", usage});
  return {sub, [o] {
            if (o->init->parsed()) return RunInit(*o);
            if (o->cosign->parsed()) return RunCosign(*o);
            if (o->serve.app->parsed()) return RunWitnessServe(o->serve);
            return RunShow(*o);
          }};
}

}  // namespace retrace::cli
