// Writes the seed corpus of every fuzz target into DIR/<target>/:
//
//   build/tests/fuzz/make_corpus tests/fuzz/corpus
//
// Seeds are small and valid (or nearly so), so that the fuzzer starts from
// the shapes the parsers accept: the records and events of the honest
// ledger of record_fixture.h, their JSON forms, and public and private keys
// of every algorithm in PEM and DER. Keys are fresh on every run; the
// committed corpus was made by one run of this program.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "bundle_fixture.h"
#include "record_fixture.h"
#include "retrace/checkpoint.h"
#include "retrace/note.h"
#include "retrace/tlog_proof.h"
#include "retrace/witness.h"
#include "retrace/event.h"
#include "retrace/signer.h"

namespace {

namespace fs = std::filesystem;

void Write(const fs::path& dir, const std::string& name, const std::string& data) {
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

}  // namespace

int main(int argc, char** argv) {
  using namespace retrace;
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_corpus DIR\n");
    return 2;
  }
  const fs::path root(argv[1]);
  auto store = fuzzing::BuildHonestStore();
  if (!store) return 1;
  for (std::size_t i = 0; i < store->records.size(); ++i) {
    const std::string& rec = store->records[i];
    Write(root / "record_fuzz", "record-" + std::to_string(i), std::string(1, static_cast<char>(i)) + rec);
    auto r = DecodeRecord(rec);
    if (!r.ok()) return 1;
    Write(root / "event_bytes_fuzz", "event-" + std::to_string(i), r->event_bytes);
    auto ev = DecodeEvent(r->event_bytes);
    if (!ev.ok()) return 1;
    auto json = EventToJson(*ev);
    if (!json.ok()) return 1;
    Write(root / "event_json_fuzz", "event-" + std::to_string(i) + ".json", *json);
    ev->ledger_id.clear();  // as a user writes it: the CLI fills the ledger id
    Write(root / "event_json_fuzz", "event-" + std::to_string(i) + "-bare.json", *EventToJson(*ev));
  }
  Write(root / "event_json_fuzz", "malformed.json", "{\"actorId\": \"mine-1\", \"extracted\": 7}");
  for (Algorithm alg : {Algorithm::kEd25519, Algorithm::kEcdsaP256Sha256, Algorithm::kSm2Sm3}) {
    auto s = Signer::Generate(alg);
    if (!s.ok()) return 1;
    const std::string name = AlgorithmName(alg);
    Write(root / "pem_key_fuzz", name + ".pub.pem", (*s)->public_key().ToPem());
    Write(root / "pem_key_fuzz", name + ".der", (*s)->public_key().der());
    Write(root / "pem_key_fuzz", name + ".key.pem", std::string(SecretView(*(*s)->ExportPrivateKeyPemSecret())));
  }
  // Transparency texts and a bundle, from a small real ledger.
  const auto& b = fuzzing::HonestBundle();
  Write(root / "bundle_fuzz", "bundle", b.bundle);
  auto log = NoteSigner::Generate("fuzz-log", NoteKeyType::kEd25519);
  auto witness = NoteSigner::Generate("fuzz-witness", NoteKeyType::kCosignatureV1);
  if (!log.ok() || !witness.ok()) return 1;
  Checkpoint cp{"fuzz-log", 7, Sha256("root"), {}};
  const std::string text = FormatCheckpoint(cp);
  auto note = SignNote(text, {log->get(), witness->get()}, 1780000000);
  if (!note.ok()) return 1;
  Write(root / "transparency_text_fuzz", "checkpoint.txt", text);
  Write(root / "transparency_text_fuzz", "signed-checkpoint.txt", *note);
  TlogProof proof;
  proof.extra = "record bytes";
  proof.index = 3;
  proof.inclusion_proof = {Sha256("a"), Sha256("b"), Sha256("c")};
  proof.checkpoint = *note;
  Write(root / "transparency_text_fuzz", "tlog-proof.txt", FormatTlogProof(proof));
  AddCheckpointRequest req;
  req.old_size = 4;
  req.consistency_proof = {Sha256("x"), Sha256("y")};
  req.checkpoint = *note;
  Write(root / "transparency_text_fuzz", "add-checkpoint.txt", FormatAddCheckpointRequest(req));
  Write(root / "transparency_text_fuzz", "verifier-key.txt", (*log)->verifier().ToString());
  std::printf("wrote the seed corpus to %s\n", root.c_str());
  return 0;
}
