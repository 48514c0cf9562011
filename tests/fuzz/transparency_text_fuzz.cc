// Fuzz target: the transparency text formats a log, a witness or a buyer
// receives from outside (docs/transparency.md) -- signed notes, checkpoints,
// tlog proofs and witness add-checkpoint requests -- and the checks over
// them with a fixed log key.
//
// Oracle beyond "no crash": the parsers are documented as strict, so
// whatever parses formats back to exactly the input.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "fuzz_quiet.h"
#include "retrace/checkpoint.h"
#include "retrace/note.h"
#include "retrace/tlog_proof.h"
#include "retrace/witness.h"

namespace {

const retrace::NoteVerifier& LogKey() {
  static const auto* key = [] {
    auto s = retrace::NoteSigner::Generate("fuzz-log", retrace::NoteKeyType::kEd25519);
    if (!s.ok()) std::abort();
    return new retrace::NoteVerifier((*s)->verifier());
  }();
  return *key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace retrace;
  retrace::fuzzing::QuietProtobuf();
  const std::string in(reinterpret_cast<const char*>(data), size);
  if (auto note = ParseNote(in); note.ok()) {
    if (FormatNote(*note) != in) std::abort();
    (void)OpenNote(in, {LogKey()});
  }
  if (auto cp = ParseCheckpoint(in); cp.ok()) {
    if (FormatCheckpoint(*cp) != in) std::abort();
  }
  (void)ParseSignedCheckpoint(in);
  (void)OpenCheckpoint(in, {LogKey()});
  if (auto proof = ParseTlogProof(in); proof.ok()) {
    if (FormatTlogProof(*proof) != in) std::abort();
    (void)VerifyTlogProof(in, LogKey());
    (void)VerifyTlogProofLeafHash(in, LogKey(), {}, Hash{});
  }
  if (auto req = ParseAddCheckpointRequest(in); req.ok()) {
    if (FormatAddCheckpointRequest(*req) != in) std::abort();
  }
  (void)NoteVerifier::Parse(in);
  return 0;
}
