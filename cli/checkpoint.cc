// retrace checkpoint: sign and store a C2SP checkpoint of the ledger's tree,
// print the latest one, or add witness cosignatures to it.
#include <iostream>

#include "common.h"
#include "retrace/checkpoint.h"
#include "retrace/witness_http.h"

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
  // --witness VKEY@URL: ask that witness over HTTP (witness_http.h).
  int quorum = -1;
  double timeout = 10;
};

// Splits "VKEY_OR_FILE@http(s)://..." into the key and the URL; false if
// `arg` names no URL.
bool SplitWitnessUrl(const std::string& arg, std::string* key, std::string* url) {
  for (const char* scheme : {"@http://", "@https://"}) {
    const std::size_t at = arg.find(scheme);
    if (at != std::string::npos) {
      *key = arg.substr(0, at);
      *url = arg.substr(at + 1);
      return true;
    }
  }
  return false;
}

// Asks the witnesses given with a URL to cosign the latest stored
// checkpoint, stores their cosignatures, prints what each answered.
int GatherFromWitnesses(const CheckpointOptions& o, Ledger& ledger,
                        const std::vector<WitnessEndpoint>& endpoints) {
  const char* cmd = "checkpoint";
  const std::size_t quorum = o.quorum < 0 ? endpoints.size() : static_cast<std::size_t>(o.quorum);
  if (quorum > endpoints.size()) {
    return Fail(cmd, "--quorum " + std::to_string(quorum) + " exceeds the " +
                         std::to_string(endpoints.size()) + " witnesses given");
  }
  FetchOptions fetch;
  fetch.timeout_ms = static_cast<std::uint32_t>(o.timeout * 1000);
  fetch.connect_timeout_ms = std::min<std::uint32_t>(fetch.timeout_ms, 5000);
  Result<CosigningResult> r = GatherCosignatures(ledger, endpoints, quorum, fetch);
  if (!r.ok()) return Fail(cmd, "asking the witnesses failed: " + r.status().ToString());
  for (const WitnessOutcome& w : r->witnesses) {
    std::cerr << "retrace checkpoint: witness " << Shown(w.name) << " at " << Shown(w.url) << ": "
              << (w.cosigned ? std::string("cosigned")
                             : "did not cosign: " + internal::SanitizeMessage(w.status.message()))
              << "\n";
  }
  if (Status st = WriteOutput(o.out, r->checkpoint); !st.ok()) return Fail(cmd, st.ToString());
  if (!r->quorum_met) {
    return Refused(cmd, "witness quorum not met: " + std::to_string(r->cosigned) + " of " +
                            std::to_string(endpoints.size()) + " cosigned, " +
                            std::to_string(quorum) + " required (the cosignatures gathered are "
                            "stored)");
  }
  return kExitOk;
}

int RunCheckpoint(const CheckpointOptions& o) {
  const char* cmd = "checkpoint";
  std::vector<WitnessEndpoint> endpoints;
  for (const std::string& w : o.witnesses) {
    std::string key, url;
    if (!SplitWitnessUrl(w, &key, &url)) continue;
    Result<NoteVerifier> v = ReadNoteVerifier(key, NoteKeyType::kCosignatureV1);
    if (!v.ok()) return Fail(cmd, "--witness: " + v.status().ToString() + "; nothing was changed");
    endpoints.push_back({url, *v});
  }
  if (!endpoints.empty() && endpoints.size() != o.witnesses.size()) {
    return Fail(cmd, "give every --witness as KEY@URL when asking witnesses over HTTP; nothing "
                     "was changed");
  }
  if (!endpoints.empty() && (o.latest || !o.cosignatures.empty() || o.format == "json")) {
    return Fail(cmd, "--witness KEY@URL goes with --key (sign, then ask) or alone (ask for the "
                     "latest stored checkpoint); nothing was changed");
  }
  const int modes = !o.key.empty() + o.latest + !o.cosignatures.empty();
  if (modes != 1 && !(modes == 0 && !endpoints.empty())) {
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
  if (modes == 0) return GatherFromWitnesses(o, **ledger, endpoints);
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
    if (!endpoints.empty()) return GatherFromWitnesses(o, **ledger, endpoints);
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
                  "Witness verifier key (or file) the cosignatures must verify under; repeatable. "
                  "As KEY@URL (http or https): ask that witness over HTTP (C2SP tlog-witness) to "
                  "cosign the checkpoint just signed (--key) or the latest stored one, and store "
                  "its cosignature");
  sub->add_option("--quorum", o->quorum,
                  "With KEY@URL witnesses: cosignatures required; the others are not waited for "
                  "once it is met (default: all)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--timeout", o->timeout, "With KEY@URL witnesses: seconds per witness request")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("-o,--out", o->out, "Write the checkpoint here instead of standard output");
  sub->add_option("--format", o->format,
                  "text (the signed note) or json (schema retrace.checkpoint/v1; with --latest)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  SetHelpFooter(sub, {"signed and stored, printed, or the cosignatures stored",
                      "REFUSED: a cosignature does not verify under the --witness keys, the "
                      "witness quorum asked over HTTP was not met (what was gathered is stored), "
                      "or the log no longer extends its last stored checkpoint (nothing is "
                      "stored)",
                      "usage error, unreadable key or file, malformed cosignature lines, no "
                      "checkpoint stored yet, or an I/O error"});
  return {sub, [o] { return RunCheckpoint(*o); }};
}

}  // namespace retrace::cli
