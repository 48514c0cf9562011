// retrace consistency: prove that the log extends an old checkpoint, in the
// form a C2SP witness reads (the tlog-witness add-checkpoint request body).
#include <iostream>

#include "common.h"
#include "retrace/checkpoint.h"
#include "retrace/witness.h"

namespace retrace::cli {
namespace {

struct ConsistencyOptions {
  std::string db;
  std::string from;
  std::int64_t from_size = -1;
  std::string log_key;
  std::string out = "-";
  std::string format = "request";
};

std::string B64(const Hash& h) { return Base64Encode(HashBytes(h)); }

int Inconsistent(const ConsistencyOptions& o, const std::string& why) {
  if (o.format == "json") {
    std::cout << nlohmann::ordered_json{{"schema", "retrace.consistency/v1"},
                                        {"consistent", false},
                                        {"finding", why}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << "INCONSISTENT: " << internal::SanitizeMessage(why) << "\n";
  }
  return kExitFindings;
}

int RunConsistency(const ConsistencyOptions& o) {
  const char* cmd = "consistency";
  if (o.from.empty() == (o.from_size < 0)) {
    return Fail(cmd, "give exactly one of --from OLD_CHECKPOINT or --from-size N");
  }
  Result<std::unique_ptr<Ledger>> ledger = OpenLedger(o.db, true);
  if (!ledger.ok()) return Fail(cmd, ledger.status().ToString());
  Result<LedgerInfo> info = (*ledger)->Info();
  if (!info.ok()) return Fail(cmd, info.status().ToString());
  Result<std::string> latest_note = (*ledger)->LatestCheckpoint();
  if (!latest_note.ok()) {
    return Fail(cmd, latest_note.status().ToString() + " (sign one with `retrace checkpoint`)");
  }
  Result<Checkpoint> latest = ParseSignedCheckpoint(*latest_note);
  if (!latest.ok()) return Fail(cmd, "the stored checkpoint is damaged: " + latest.status().ToString());
  // The log must still be the one its latest checkpoint describes.
  Result<Hash> now = (*ledger)->RootAt(latest->size);
  if (!now.ok()) {
    return Inconsistent(o, "the log cannot reproduce its latest checkpoint (size " +
                               std::to_string(latest->size) + "): " + now.status().ToString());
  }
  if (*now != latest->root_hash) {
    return Inconsistent(o, "the log no longer matches its own latest checkpoint (size " +
                               std::to_string(latest->size) + "): it was rewritten");
  }

  Checkpoint old;
  if (!o.from.empty()) {
    Result<std::string> text = ReadInput(o.from);
    if (!text.ok()) return Fail(cmd, text.status().ToString());
    if (!o.log_key.empty()) {
      Result<NoteVerifier> key = ReadNoteVerifier(o.log_key, NoteKeyType::kEd25519);
      if (!key.ok()) return Fail(cmd, "--log-key: " + key.status().ToString());
      Result<VerifiedCheckpoint> v = OpenCheckpoint(*text, {*key});
      if (!v.ok() && v.status().code() == StatusCode::kVerificationFailed) {
        // Checked, and the old checkpoint is not the log's: a finding.
        return Inconsistent(o, Shown(o.from) + " is not a checkpoint signed by the log key: " +
                                   v.status().message());
      }
      if (!v.ok()) {
        return Fail(cmd, Shown(o.from) + " is not a checkpoint: " + v.status().ToString());
      }
      old = v->checkpoint;
    } else {
      Result<Checkpoint> c = ParseSignedCheckpoint(*text);
      if (!c.ok()) return Fail(cmd, Shown(o.from) + ": " + c.status().ToString());
      old = *c;
    }
    if (old.origin != info->name) {
      return Fail(cmd, Shown(o.from) + " is a checkpoint of \"" + Shown(old.origin) +
                           "\", not of this log (\"" + Shown(info->name) + "\")");
    }
  } else {
    old.origin = info->name;
    old.size = static_cast<std::uint64_t>(o.from_size);
    if (old.size > latest->size) {
      return Fail(cmd, "--from-size " + std::to_string(old.size) +
                           " exceeds the latest checkpoint's size " + std::to_string(latest->size));
    }
    Result<Hash> r = (*ledger)->RootAt(old.size);
    if (!r.ok()) return Fail(cmd, r.status().ToString());
    old.root_hash = *r;
  }
  if (old.size > latest->size) {
    if (old.size > info->size) {
      return Inconsistent(o, "the old checkpoint covers " + std::to_string(old.size) +
                                 " records but the log holds " + std::to_string(info->size) +
                                 ": it was truncated");
    }
    return Fail(cmd, "the old checkpoint (size " + std::to_string(old.size) +
                         ") is newer than the latest stored one (size " +
                         std::to_string(latest->size) + "); sign a new checkpoint first");
  }
  Result<merkle::ConsistencyProof> proof = (*ledger)->ProveConsistency(old.size, latest->size);
  if (!proof.ok()) return Fail(cmd, proof.status().ToString());
  Status st = merkle::VerifyConsistency(old.root_hash, latest->root_hash, *proof);
  if (!st.ok()) {
    return Inconsistent(o, "the log does not extend the old checkpoint (size " +
                               std::to_string(old.size) + "): its history was rewritten (" +
                               st.message() + ")");
  }
  AddCheckpointRequest req{old.size, proof->hashes, *latest_note};
  std::string out;
  if (o.format == "json") {
    nlohmann::json hashes = nlohmann::json::array();
    for (const Hash& h : proof->hashes) hashes.push_back(B64(h));
    out = nlohmann::ordered_json{{"schema", "retrace.consistency/v1"},
                         {"consistent", true},
                         {"old_size", old.size},
                         {"old_root_hash", B64(old.root_hash)},
                         {"new_size", latest->size},
                         {"new_root_hash", B64(latest->root_hash)},
                         {"proof", hashes},
                         {"checkpoint", *latest_note}}
              .dump(2) +
          "\n";
  } else {
    out = FormatAddCheckpointRequest(req);
  }
  if (Status w = WriteOutput(o.out, out); !w.ok()) return Fail(cmd, w.ToString());
  return kExitOk;
}

}  // namespace

Command AddConsistencyCommand(CLI::App& app) {
  auto o = std::make_shared<ConsistencyOptions>();
  CLI::App* sub = app.add_subcommand(
      "consistency",
      "Prove the log extends an old checkpoint: prints the C2SP tlog-witness add-checkpoint "
      "request (old size, consistency proof, latest signed checkpoint) a witness cosigns");
  AddDbOption(sub, o->db);
  sub->add_option("--from", o->from, "The old signed checkpoint (file, or - for stdin)");
  sub->add_option("--from-size", o->from_size,
                  "Or: the tree size a witness last cosigned (0 for a new witness)")
      ->check(StrictUnsigned<std::int64_t>());
  sub->add_option("--log-key", o->log_key,
                  "Also check the old checkpoint's signature with this log verifier key (or file)");
  sub->add_option("-o,--out", o->out, "Write the request here instead of standard output");
  sub->add_option("--format", o->format,
                  "request (tlog-witness body) or json (schema retrace.consistency/v1)")
      ->check(CLI::IsMember({"request", "json"}))
      ->capture_default_str();
  SetHelpFooter(sub, {"consistent: the request is printed",
                      "INCONSISTENT: the log does not extend the old checkpoint, no longer "
                      "matches its own latest one, or the old checkpoint's signature does not "
                      "verify under --log-key",
                      "usage error, unreadable or malformed checkpoint, a checkpoint of another "
                      "log, no checkpoint stored yet, or an I/O error"});
  return {sub, [o] { return RunConsistency(*o); }};
}

}  // namespace retrace::cli
