// retrace verify-bundle: verify a lineage bundle offline, with no ledger:
// the checkpoint and witness signatures, every inclusion proof, and every
// rule the ledger's own verifier applies.
#include <ctime>
#include <iostream>
#include <optional>

#include "common.h"
#include "retrace/bundle.h"

namespace retrace::cli {
namespace {

struct VerifyBundleOptions {
  std::string file;
  std::string root;
  std::string log_key;
  std::vector<std::string> witnesses;
  int quorum = -1;
  std::string format = "text";
};

void PrintBundleReport(const BundleReport& r, std::size_t witnesses, std::size_t quorum,
                       std::ostream& out) {
  out << "Bundle for lot " << Shown(r.lot_id) << ": " << (r.valid ? "VALID" : "INVALID") << "\n";
  out << "  checkpoint  " << Shown(r.checkpoint.origin) << ", tree size " << r.checkpoint.size
      << ", root " << Base64Encode(HashBytes(r.checkpoint.root_hash)) << "\n"
      << "              " << (r.checkpoint_verified ? "signed by the log key" : "NOT signed by the log key") << "\n";
  out << "  witnesses   " << r.cosignatures.size() << " of " << witnesses
      << " cosigned, " << quorum << " required";
  for (std::size_t i = 0; i < r.cosignatures.size(); ++i) {
    const auto& c = r.cosignatures[i];
    out << (i == 0 ? ": " : ", ") << Shown(c.name) << " at " << IsoTime(static_cast<std::int64_t>(c.timestamp.value_or(0)));
  }
  out << "\n";
  out << "  records     " << r.records << " in " << r.bundle_bytes << " bytes, "
      << r.proofs_verified << " inclusion proofs verified\n";
  out << "  history     "
      << (r.history_closed
              ? "closed: the lot was exported or consumed, so no later record of it can exist"
              : "open: later records of the lot (after the bundle's last) would not be shown")
      << "\n";
  std::size_t bundle_level = r.findings.size() - r.lineage.findings.size();
  if (bundle_level > 0) {
    out << "Bundle findings (" << bundle_level << "):\n";
    for (std::size_t i = 0; i < bundle_level; ++i) {
      const Finding& f = r.findings[i];
      out << "  [" << f.code << "] " << (f.seq > 0 ? "record " + std::to_string(f.seq) + ": " : "")
          << internal::SanitizeMessage(f.message) << "\n";
    }
  }
  if (!r.lineage.lot_id.empty() && !r.lineage.lots.empty()) {
    PrintVerifyReport(r.lineage, out, /*verdict_line=*/false);
  }
  // The last line is the bundle's overall verdict, whatever the lineage's
  // own report said (a valid lineage in a bundle signed by the wrong log, or
  // short of its witness quorum, is an INVALID bundle).
  out << (r.valid ? "VALID" : "INVALID") << "\n";
}

int RunVerifyBundle(const VerifyBundleOptions& o) {
  const char* cmd = "verify-bundle";
  Result<PublicKey> root = PublicKey::ReadFile(o.root);
  if (!root.ok()) return Fail(cmd, "--root: " + root.status().ToString());
  std::optional<NoteVerifier> log;
  if (!o.log_key.empty()) {
    Result<NoteVerifier> read = ReadNoteVerifier(o.log_key, NoteKeyType::kEd25519);
    if (!read.ok()) return Fail(cmd, "--log-key: " + read.status().ToString());
    log = *read;
  }
  WitnessPolicy policy;
  for (const std::string& w : o.witnesses) {
    Result<NoteVerifier> v = ReadNoteVerifier(w, NoteKeyType::kCosignatureV1);
    if (!v.ok()) return Fail(cmd, "--witness: " + v.status().ToString());
    policy.witnesses.push_back(*v);
  }
  policy.quorum = o.quorum >= 0 ? static_cast<std::size_t>(o.quorum) : policy.witnesses.size();
  if (policy.quorum > policy.witnesses.size()) {
    return Fail(cmd, "--quorum " + std::to_string(policy.quorum) + " exceeds the " +
                         std::to_string(policy.witnesses.size()) + " --witness keys given");
  }
  Result<std::string> bytes = ReadInput(o.file);
  if (!bytes.ok()) return Fail(cmd, bytes.status().ToString());
  if (!log) {
    // No --log-key: the key (and, without --witness, the witnesses) the
    // bundle's own regulator-signed policy names for its log.
    Result<TrustedLogKeys> named = BundleLogKeyFromPolicy(*bytes, *root);
    if (!named.ok()) {
      return Fail(cmd, "could not check " + o.file + " without --log-key: " +
                           named.status().ToString());
    }
    log = named->log_key;
    if (policy.witnesses.empty()) policy = named->witnesses;
    if (o.format != "json") {
      std::cout << "Log key " << Shown(log->ToString()) << " and " << policy.witnesses.size()
                << " witness(es), quorum " << policy.quorum
                << ", as the bundle's regulator-signed policy names them\n";
    }
  }
  Result<BundleReport> report = VerifyBundle(*bytes, *root, *log, policy);
  if (!report.ok()) {
    return Fail(cmd, "could not check " + o.file + ": " + report.status().ToString());
  }
  if (o.format == "json") {
    std::cout << BundleReportToJson(*report) << "\n";
  } else {
    PrintBundleReport(*report, policy.witnesses.size(), policy.quorum, std::cout);
  }
  return report->valid ? kExitOk : kExitFindings;
}

}  // namespace

Command AddVerifyBundleCommand(CLI::App& app) {
  auto o = std::make_shared<VerifyBundleOptions>();
  CLI::App* sub = app.add_subcommand(
      "verify-bundle",
      "Verify a lineage bundle offline: checkpoint and witness signatures, inclusion proofs and "
      "every custody rule, back to the mines");
  sub->add_option("file", o->file, "Bundle file (from `retrace prove`), or - for stdin")->required();
  sub->add_option("--root", o->root, "The ledger's root (regulator) public key, PEM")->required();
  sub->add_option("--log-key", o->log_key,
                  "The log's checkpoint verifier key (or a file); default: the key the bundle's "
                  "own regulator-signed policy names for its log (with its witnesses, unless "
                  "--witness is given)");
  sub->add_option("--witness", o->witnesses,
                  "A trusted witness's verifier key (or file); repeatable");
  sub->add_option("--quorum", o->quorum,
                  "How many of the --witness keys must have cosigned (default: all of them)")
      ->check(StrictUnsigned<int>());
  sub->add_option("--format", o->format, "text or json (schema retrace.bundle-report/v1)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  SetHelpFooter(sub, {"VALID: the bundle and the lineage in it verify (the last line)",
                      "INVALID: a bundle or lineage finding (wrong root or log key, witness "
                      "quorum not met, a proof or rule that fails; the report lists them)",
                      "usage error, unreadable key, or a file that is not a bundle"});
  return {sub, [o] { return RunVerifyBundle(*o); }};
}

}  // namespace retrace::cli
