// retrace checkpoint: sign and store a C2SP checkpoint of the ledger's tree,
// print the latest one, or add witness cosignatures to it.
#include <iostream>

#include "common.h"
#include "retrace/checkpoint.h"

namespace retrace::cli {
namespace {

struct CheckpointOptions {
  std::string db;
  std::string key;
  bool latest = false;
  std::string cosignatures;
  std::vector<std::string> witnesses;
  std::string out = "-";
  std::string format = "text";
};

int RunCheckpoint(const CheckpointOptions& o) {
  const char* cmd = "checkpoint";
  const int modes = !o.key.empty() + o.latest + !o.cosignatures.empty();
  if (modes != 1) {
    return Fail(cmd, "give exactly one of --key (sign), --latest (print) or --cosignatures (add "
                     "witness cosignatures); nothing was changed");
  }
  if (!o.cosignatures.empty() && o.witnesses.empty()) {
    return Fail(cmd, "--cosignatures needs the --witness key(s) to verify them with; nothing was "
                     "changed");
  }
  if (o.format == "json" && !o.latest) {
    return Fail(cmd, "--format json is for --latest (signing and adding cosignatures print the "
                     "signed note); nothing was changed");
  }
  Result<std::unique_ptr<Ledger>> ledger = OpenLedger(o.db, o.latest);
  if (!ledger.ok()) return Fail(cmd, ledger.status().ToString());
  Result<std::string> note = InternalError("unreachable");
  if (o.latest) {
    note = (*ledger)->LatestCheckpoint();
    if (!note.ok()) return Fail(cmd, note.status().ToString());
  } else if (!o.key.empty()) {
    Result<std::unique_ptr<NoteSigner>> key = NoteSigner::LoadSignerKeyFile(o.key);
    if (!key.ok()) {
      return Fail(cmd, "cannot load the log key: " + key.status().ToString() +
                           "; nothing was signed");
    }
    Result<LedgerInfo> info = (*ledger)->Info();
    if (info.ok() && (*key)->name() != info->name) {
      std::cerr << "retrace checkpoint: warning: the key is named " << Shown((*key)->name())
                << " but the log's origin is " << Shown(info->name)
                << " (C2SP recommends they match)\n";
    }
    note = (*ledger)->SignCheckpoint(**key);
    if (!note.ok() && (note.status().code() == StatusCode::kVerificationFailed ||
                       note.status().code() == StatusCode::kCorruption)) {
      // The log was rewritten or damaged since a stored checkpoint.
      return Refused(cmd, "not signed: " + note.status().ToString() + " " +
                              UnchangedNote(**ledger) + ", no checkpoint was stored");
    }
    if (!note.ok()) {
      return Fail(cmd, "refused to sign: " + note.status().ToString() + " " +
                           UnchangedNote(**ledger) + ", no checkpoint was stored");
    }
  } else {
    std::vector<NoteVerifier> witnesses;
    for (const std::string& w : o.witnesses) {
      Result<NoteVerifier> v = ReadNoteVerifier(w, NoteKeyType::kCosignatureV1);
      if (!v.ok()) return Fail(cmd, "--witness: " + v.status().ToString() + "; nothing was stored");
      witnesses.push_back(*v);
    }
    Result<std::string> lines = ReadInput(o.cosignatures);
    if (!lines.ok()) return Fail(cmd, lines.status().ToString() + "; nothing was stored");
    note = (*ledger)->AddCosignatures(*lines, witnesses);
    if (!note.ok() && note.status().code() == StatusCode::kVerificationFailed) {
      return Refused(cmd, "cosignatures not added: " + note.status().ToString() +
                              "; the stored checkpoints are unchanged");
    }
    if (!note.ok()) {
      return Fail(cmd, "cosignatures not added: " + note.status().ToString() +
                           "; the stored checkpoints are unchanged");
    }
  }
  if (o.format == "json") {
    Result<Checkpoint> cp = ParseSignedCheckpoint(*note);
    Result<Note> parsed = ParseNote(*note);
    if (!cp.ok() || !parsed.ok()) {
      return Fail(cmd, "the stored checkpoint is damaged: " +
                           (cp.ok() ? parsed.status() : cp.status()).ToString());
    }
    nlohmann::ordered_json sigs = nlohmann::ordered_json::array();
    for (const NoteSignature& sig : parsed->signatures) {
      sigs.push_back({{"name", sig.name}, {"key_id", sig.key_id}});
    }
    nlohmann::ordered_json j = {{"schema", "retrace.checkpoint/v1"},
                                {"origin", cp->origin},
                                {"size", cp->size},
                                {"root_hash", Base64Encode(HashBytes(cp->root_hash))},
                                {"signatures", sigs},
                                {"note", *note}};
    if (Status st = WriteOutput(o.out, j.dump(2) + "\n"); !st.ok()) return Fail(cmd, st.ToString());
    return kExitOk;
  }
  if (Status st = WriteOutput(o.out, *note); !st.ok()) return Fail(cmd, st.ToString());
  return kExitOk;
}

}  // namespace

Command AddCheckpointCommand(CLI::App& app) {
  auto o = std::make_shared<CheckpointOptions>();
  CLI::App* sub = app.add_subcommand(
      "checkpoint",
      "Sign and store a C2SP checkpoint of the ledger (appends no record), print the latest, or "
      "add witness cosignatures to it");
  AddDbOption(sub, o->db);
  sub->add_option("--key", o->key,
                  "Log signer key file (note-keygen --type log): sign a checkpoint of the whole "
                  "tree. Refused if the log does not extend the last stored checkpoint");
  sub->add_flag("--latest", o->latest, "Print the latest stored checkpoint");
  sub->add_option("--cosignatures", o->cosignatures,
                  "File (or - for stdin) of cosignature lines from `retrace witness cosign`, or a "
                  "cosigned checkpoint: verify and store them");
  sub->add_option("--witness", o->witnesses,
                  "Witness verifier key (or file) the cosignatures must verify under; repeatable");
  sub->add_option("-o,--out", o->out, "Write the checkpoint here instead of standard output");
  sub->add_option("--format", o->format,
                  "text (the signed note) or json (schema retrace.checkpoint/v1; with --latest)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  SetHelpFooter(sub, {"signed and stored, printed, or the cosignatures stored",
                      "REFUSED: a cosignature does not verify under the --witness keys, or the "
                      "log no longer extends its last stored checkpoint (nothing is stored)",
                      "usage error, unreadable key or file, malformed cosignature lines, no "
                      "checkpoint stored yet, or an I/O error"});
  return {sub, [o] { return RunCheckpoint(*o); }};
}

}  // namespace retrace::cli
