// retrace tlog-proof: export one record as a C2SP tlog-proof@v1, or verify
// one offline.
#include <iostream>

#include "common.h"
#include "retrace/tlog_proof.h"

namespace retrace::cli {
namespace {

struct TlogProofOptions {
  // export
  std::string db;
  std::uint64_t seq = 0;
  std::string out = "-";
  // verify
  std::string file;
  std::string log_key;
  std::vector<std::string> witnesses;
  int quorum = -1;
  std::string format = "text";
  CLI::App* export_cmd = nullptr;
};

int RunExport(const TlogProofOptions& o) {
  const char* cmd = "tlog-proof export";
  Result<std::unique_ptr<Ledger>> ledger = OpenLedger(o.db, true);
  if (!ledger.ok()) return Fail(cmd, ledger.status().ToString());
  Result<std::string> proof = (*ledger)->ProveRecord(o.seq);
  if (!proof.ok()) return Fail(cmd, proof.status().ToString() + "; nothing was written");
  if (Status st = WriteOutput(o.out, *proof); !st.ok()) return Fail(cmd, st.ToString());
  return kExitOk;
}

int RunVerify(const TlogProofOptions& o) {
  const char* cmd = "tlog-proof verify";
  Result<NoteVerifier> log = ReadNoteVerifier(o.log_key, NoteKeyType::kEd25519);
  if (!log.ok()) return Fail(cmd, "--log-key: " + log.status().ToString());
  WitnessPolicy policy;
  for (const std::string& w : o.witnesses) {
    Result<NoteVerifier> v = ReadNoteVerifier(w, NoteKeyType::kCosignatureV1);
    if (!v.ok()) return Fail(cmd, "--witness: " + v.status().ToString());
    policy.witnesses.push_back(*v);
  }
  policy.quorum = o.quorum >= 0 ? static_cast<std::size_t>(o.quorum) : policy.witnesses.size();
  Result<std::string> text = ReadInput(o.file);
  if (!text.ok()) return Fail(cmd, text.status().ToString());
  Result<VerifiedTlogProof> v = VerifyTlogProof(*text, *log, policy);
  if (!v.ok()) {
    if (v.status().code() == StatusCode::kVerificationFailed) {
      if (o.format == "json") {
        std::cout << nlohmann::ordered_json{{"schema", "retrace.tlog-proof/v1"},
                                            {"valid", false},
                                            {"finding", v.status().message()}}
                         .dump(2)
                  << "\n";
      } else {
        std::cout << "INVALID: " << internal::SanitizeMessage(v.status().message()) << "\n";
      }
      return kExitFindings;
    }
    return Fail(cmd, "could not check " + o.file + ": " + v.status().ToString());
  }
  // The record first, the verdict last (the last line of every verdict).
  Result<Record> rec = DecodeRecord(v->leaf_bytes);
  const bool is_record = rec.ok() && rec->seq == v->index;
  if (o.format == "json") {
    nlohmann::ordered_json j = {{"schema", "retrace.tlog-proof/v1"},
                                {"valid", true},
                                {"index", v->index},
                                {"leaf_hash", HashToHex(v->leaf_hash)},
                                {"origin", v->checkpoint.checkpoint.origin},
                                {"tree_size", v->checkpoint.checkpoint.size},
                                {"cosignatures", v->checkpoint.cosignatures.size()}};
    j["record"] = is_record ? nlohmann::ordered_json::parse(RecordToJson(*rec))
                            : nlohmann::ordered_json(nullptr);
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  if (is_record) {
    std::cout << RecordToJson(*rec) << "\n";
  } else {
    std::cout << "(the leaf is not a retrace record of that sequence number)\n";
  }
  std::cout << "VALID: leaf " << v->index << " (hash " << HashToHex(v->leaf_hash) << ") is in "
            << Shown(v->checkpoint.checkpoint.origin) << " at tree size "
            << v->checkpoint.checkpoint.size << ", " << v->checkpoint.cosignatures.size()
            << " witness cosignature(s)\n";
  return kExitOk;
}

}  // namespace

Command AddTlogProofCommand(CLI::App& app) {
  auto o = std::make_shared<TlogProofOptions>();
  CLI::App* sub = app.add_subcommand(
      "tlog-proof", "Export or verify one record as a C2SP tlog-proof@v1 (record bytes as extra)");
  sub->require_subcommand(1);
  o->export_cmd = sub->add_subcommand("export", "Prove record SEQ in the latest checkpoint");
  AddDbOption(o->export_cmd, o->db);
  o->export_cmd->add_option("seq", o->seq, "Record sequence number")
      ->required()
      ->check(StrictUnsigned<std::uint64_t>());
  o->export_cmd->add_option("-o,--out", o->out, "Output file (default: standard output)");
  CLI::App* verify = sub->add_subcommand("verify", "Verify a tlog proof offline");
  verify->add_option("file", o->file, "Proof file, or - for stdin")->required();
  verify->add_option("--log-key", o->log_key, "The log's verifier key (or a file)")->required();
  verify->add_option("--witness", o->witnesses, "A trusted witness's verifier key; repeatable");
  verify->add_option("--quorum", o->quorum, "Witnesses required (default: all given)")
      ->check(StrictUnsigned<int>());
  verify->add_option("--format", o->format, "text or json (schema retrace.tlog-proof/v1)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  SetHelpFooter(o->export_cmd, {"the proof was written", "",
                                "usage error, no such record, no checkpoint covers it yet, or "
                                "an output file that cannot be written"});
  SetHelpFooter(verify, {"VALID: the proof verifies (the last line)",
                         "INVALID: the proof does not verify (log signature, witness quorum or "
                         "inclusion)",
                         "usage error, unreadable key, or a malformed proof"});
  SetHelpFooter(sub, {"exported, or the proof verifies", "the proof does not verify (INVALID)",
                      "usage error, I/O error, or a malformed proof"});
  return {sub, [o] { return o->export_cmd->parsed() ? RunExport(*o) : RunVerify(*o); }};
}

}  // namespace retrace::cli
