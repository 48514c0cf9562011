// retrace tlog-proof: export one record as a C2SP tlog-proof@v1, or verify
// one offline.
#include <algorithm>
#include <iostream>

#include "common.h"
#include "retrace/bundle.h"
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
  std::string leaf;       // --leaf FILE: the leaf entry's bytes
  std::string leaf_hash;  // --leaf-hash: its RFC 6962 leaf hash
  std::string format = "text";
  CLI::App* export_cmd = nullptr;
};

int RunExport(const TlogProofOptions& o) {
  const char* cmd = "tlog-proof export";
  Result<std::unique_ptr<Ledger>> ledger = OpenLedger(o.db, true);
  if (!ledger.ok()) return Fail(cmd, ledger.status().ToString());
  Result<std::string> proof = ProveRecord(**ledger, o.seq);
  if (!proof.ok()) return Fail(cmd, proof.status().ToString() + "; nothing was written");
  if (Status st = WriteOutput(o.out, *proof); !st.ok()) return Fail(cmd, st.ToString());
  return kExitOk;
}

// 32 bytes from 64 hex digits or 44 characters of padded standard base64
// (as C2SP text writes hashes).
Result<Hash> ParseLeafHash(const std::string& s) {
  if (s.size() == 64) return HashFromHex(s);
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (s.size() != 44 || s[43] != '=' || s[42] == '=') {
    return InvalidArgumentError("a leaf hash is 64 hex digits or 44 characters of base64");
  }
  std::string bytes;
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < 43; ++i) {
    std::size_t v = kAlphabet.find(s[i]);
    if (v == std::string::npos) return InvalidArgumentError("the leaf hash is not base64");
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if ((acc & ((1u << bits) - 1)) != 0) return InvalidArgumentError("the leaf hash is not canonical base64");
  Hash h;
  std::copy(bytes.begin(), bytes.end(), h.begin());
  return h;
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
  if (!o.leaf.empty() && !o.leaf_hash.empty()) {
    return Fail(cmd, "give the leaf by --leaf or by --leaf-hash, not both");
  }
  Result<VerifiedTlogProof> v = InternalError("unset");
  if (!o.leaf_hash.empty()) {
    Result<Hash> h = ParseLeafHash(o.leaf_hash);
    if (!h.ok()) return Fail(cmd, "--leaf-hash: " + h.status().message());
    v = VerifyTlogProofLeafHash(*text, *log, policy, *h);
  } else if (!o.leaf.empty()) {
    Result<std::string> leaf = ReadInput(o.leaf);
    if (!leaf.ok()) return Fail(cmd, "--leaf: " + leaf.status().ToString());
    v = VerifyTlogProof(*text, *log, policy, *leaf);
  } else {
    v = VerifyTlogProof(*text, *log, policy);
  }
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
  // A leaf given by its hash has no bytes to show.
  Result<Record> rec = DecodeRecord(v->leaf_bytes);
  const bool is_record = o.leaf_hash.empty() && rec.ok() && rec->seq == v->index;
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
  if (!o.leaf_hash.empty()) {
    std::cout << "(the leaf was given by its hash; the proof's extra data, if any, was not "
                 "checked)\n";
  } else if (is_record) {
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
  verify->add_option("--leaf", o->leaf,
                     "File with the leaf entry's bytes, for a proof from another log whose extra "
                     "line is absent or application data (default: the extra data)");
  verify->add_option("--leaf-hash", o->leaf_hash,
                     "The leaf's RFC 6962 hash, SHA-256(0x00 || entry), as 64 hex digits or "
                     "base64");
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
