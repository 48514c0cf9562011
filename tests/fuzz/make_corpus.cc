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

#include "record_fixture.h"
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
    Write(root / "pem_key_fuzz", name + ".key.pem", *(*s)->ExportPrivateKeyPemSecret());
  }
  std::printf("wrote the seed corpus to %s\n", root.c_str());
  return 0;
}
