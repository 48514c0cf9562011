// The registry of stage 3 (internal; docs/federation.md, "The registry"):
// what an enterprise ledger's binding names, and the judgment of one
// imported registry record -- complete, in order, signed, witnessed,
// consistent and included. The book of authority (authority.h) applies it
// to every import record of a log, so append, verification, audit and
// bundles judge an import through this one function.
#ifndef RETRACE_LIB_RULES_REGISTRY_H_
#define RETRACE_LIB_RULES_REGISTRY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "retrace/checkpoint.h"
#include "retrace/note.h"
#include "retrace/status.h"
#include "retrace/verifier.h"
#include "retrace/witness.h"
#include "retrace/v1/retrace.pb.h"
#include "rules/rules.h"

namespace retrace::internal {

// A ledger's RegistryBinding, parsed.
struct RegistryAnchors {
  std::string origin;     // the registry's checkpoint origin (the log key's name)
  NoteVerifier log_key;   // ed25519
  WitnessPolicy witnesses;
  std::string ledger_id;  // 16 raw bytes
};

// Parses and checks a binding: an ed25519 log key, witness keys, a quorum
// no larger than the witnesses, a 16-byte ledger id. kInvalidArgument
// naming what is wrong.
Result<RegistryAnchors> ParseRegistryBinding(const v1::RegistryBinding& binding);

// What one valid import proved: the registry record at `index`, imported
// at local position `seq`, in `checkpoint`.
struct RegistryImport {
  std::uint64_t seq = 0;
  std::uint64_t index = 0;
  Checkpoint checkpoint;
  std::string checkpoint_note;
};

// The public form of an import (RegistryCheckpointInfo, verifier.h).
RegistryCheckpointInfo InfoOf(const RegistryImport& at);

// Checkpoints already opened, by (binding, note): consecutive imports often
// carry the same checkpoint, and a book is rebuilt after every authority
// append. Not thread-safe.
class CheckpointMemo {
 public:
  // The error of opening `note` under `anchors` (OK: valid and the quorum
  // met), and the checkpoint if it parsed.
  Status Open(const RegistryAnchors& anchors, std::string_view note, Checkpoint* out);

 private:
  struct Entry {
    Status status;
    Checkpoint checkpoint;
  };
  std::map<std::string, Entry> opened_;
};

// Judges the import record at local position `seq` carrying `registry_record`
// (the registry's stored bytes, already checked to parse) and `proof`, whose
// event `event` (parsed; nullptr if it did not parse or is malformed) the
// registry's regulator signed: the bound registry's record, at the next
// registry index after `previous` (index 1 if none), in a checkpoint
// signed by the bound log key and cosigned by a quorum of the bound
// witnesses (not checked if `check_signatures` is false), larger than its
// index, consistent with the previous import's checkpoint, and including
// it. Appends one registry_import_invalid violation naming the reason;
// fills *out when it holds.
void JudgeRegistryImport(const RegistryAnchors* anchors, std::uint64_t seq,
                         std::string_view registry_record, const v1::RegistryProof& proof,
                         const v1::Event* event, const RegistryImport* previous,
                         bool check_signatures, CheckpointMemo* memo, Violations* out,
                         RegistryImport* imported);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_RULES_REGISTRY_H_
