// retrace note-keygen: a signed-note key pair for a log (checkpoints) or a
// witness (cosignatures).
#include <filesystem>
#include <iostream>

#include "common.h"

namespace retrace::cli {
namespace {

struct NoteKeygenOptions {
  std::string name;
  std::string out;
  std::string type = "log";
};

int RunNoteKeygen(const NoteKeygenOptions& o) {
  const char* cmd = "note-keygen";
  const NoteKeyType type = o.type == "witness" ? NoteKeyType::kCosignatureV1 : NoteKeyType::kEd25519;
  const std::string key_path = o.out + ".notekey";
  const std::string vkey_path = o.out + ".vkey";
  std::error_code ec;
  for (const std::string& p : {key_path, vkey_path}) {
    if (std::filesystem::exists(p, ec)) {
      return Fail(cmd, Shown(p) + " already exists; no key files were written (keys are never "
                           "overwritten)");
    }
  }
  Result<std::unique_ptr<NoteSigner>> signer = NoteSigner::Generate(o.name, type);
  if (!signer.ok()) return Fail(cmd, signer.status().ToString() + "; no key files were written");
  if (Status st = (*signer)->WriteSignerKeyFile(key_path); !st.ok()) {
    return Fail(cmd, "cannot write " + Shown(key_path) + ": " + st.ToString() +
                         "; no key files were written");
  }
  const std::string vkey = (*signer)->verifier().ToString();
  if (Status st = WriteOutput(vkey_path, vkey + "\n"); !st.ok()) {
    std::filesystem::remove(key_path, ec);
    return Fail(cmd, st.ToString() + "; removed " + Shown(key_path) + ", no key files were left");
  }
  std::cout << "verifier key " << vkey << " (" << NoteKeyTypeName(type) << ")\n"
            << "signer key   " << Shown(key_path) << " (mode 0600)\n"
            << "verifier key " << Shown(vkey_path) << "\n";
  return kExitOk;
}

}  // namespace

Command AddNoteKeygenCommand(CLI::App& app) {
  auto o = std::make_shared<NoteKeygenOptions>();
  CLI::App* sub = app.add_subcommand(
      "note-keygen",
      "Generate a C2SP signed-note Ed25519 key: PREFIX.notekey (0600) and PREFIX.vkey");
  sub->add_option("--name", o->name,
                  "Key name: for a log, its origin (the ledger name); for a witness, e.g. "
                  "witness.example.org/w1")
      ->required();
  sub->add_option("--out", o->out, "Path prefix of the two files")->required();
  sub->add_option("--type", o->type,
                  "log (signs checkpoints, type 0x01) or witness (cosignature/v1, type 0x04)")
      ->check(CLI::IsMember({"log", "witness"}))
      ->capture_default_str();
  SetHelpFooter(sub, {"the key pair was written", "",
                      "usage error, a key file that exists already, or a file that cannot be "
                      "written (no key file is left)"});
  return {sub, [o] { return RunNoteKeygen(*o); }};
}

}  // namespace retrace::cli
