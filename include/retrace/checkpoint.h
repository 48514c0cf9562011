// C2SP transparency-log checkpoints (https://c2sp.org/tlog-checkpoint): the
// signed statement "the log <origin> has <size> records and this RFC 6962
// root hash". A checkpoint is the text of a signed note (note.h):
//
//   cn-2026                                         origin
//   57                                              tree size, decimal
//   3NzY5...base64 of the 32-byte root hash...=     root hash
//   <optional extension lines>
//
// A retrace ledger's origin is its name (LedgerInfo::name). Ledger's
// SignCheckpoint signs and stores checkpoints; it never signs one that is
// inconsistent with the last one it stored (docs/transparency.md).
//
// Thread safety: plain values and pure functions.
#ifndef RETRACE_CHECKPOINT_H_
#define RETRACE_CHECKPOINT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "retrace/export.h"
#include "retrace/hash.h"
#include "retrace/note.h"
#include "retrace/status.h"

namespace retrace {

struct Checkpoint {
  // The log origin (the C2SP term): the log's identity; for a retrace
  // ledger, its name. Not to be confused with a lineage's origins.
  std::string origin;
  std::uint64_t size = 0;  // tree size: number of records
  Hash root_hash{};        // RFC 6962 root of the first `size` records
  // Opaque, non-empty lines after the root hash (NOT RECOMMENDED by the
  // spec; retrace writes none but accepts them).
  std::vector<std::string> extensions;

  friend bool operator==(const Checkpoint& a, const Checkpoint& b) {
    return a.origin == b.origin && a.size == b.size && a.root_hash == b.root_hash &&
           a.extensions == b.extensions;
  }
};

// The note text of `checkpoint`: origin, size, base64 root, extensions, each
// ending in a newline. The caller keeps the fields valid (see Parse).
RETRACE_EXPORT std::string FormatCheckpoint(const Checkpoint& checkpoint);

// Parses checkpoint note text (the text of a note, not the signed note).
// Strict: the origin is non-empty, the size is decimal without leading zeros
// and below 2^63, the root is the canonical 44-character base64 of 32 bytes,
// extension lines are non-empty, every line ends in a newline and the text is
// valid note text. So FormatCheckpoint(Parse(t)) == t for every accepted t.
// kInvalidArgument naming the line otherwise.
RETRACE_EXPORT Result<Checkpoint> ParseCheckpoint(std::string_view text);

// Signs `checkpoint` with the log's key: a signed note whose text is
// FormatCheckpoint(checkpoint). The spec recommends a key name equal to the
// origin; this is not enforced. kInvalidArgument for a malformed checkpoint.
RETRACE_EXPORT Result<std::string> SignCheckpoint(const Checkpoint& checkpoint,
                                                  const NoteSigner& log_key);

// A signed checkpoint that passed OpenCheckpoint.
struct VerifiedCheckpoint {
  Checkpoint checkpoint;
  std::string note;  // the signed note, exactly as given
  std::vector<VerifiedNoteSignature> log_signatures;  // by the log's keys
  std::vector<VerifiedNoteSignature> cosignatures;    // by witnesses' keys
};

// Opens a signed checkpoint: the note must carry a valid signature by one of
// `log_keys` (type kEd25519), and every signature by a key in `log_keys` or
// `witness_keys` must verify; the verified witness cosignatures are returned
// (a quorum is checked by WitnessPolicy, witness.h). Signatures by other keys
// are ignored, as the spec requires.
// Errors: kInvalidArgument for a malformed note or checkpoint text;
// kVerificationFailed if no log key signed it or any known signature fails.
RETRACE_EXPORT Result<VerifiedCheckpoint> OpenCheckpoint(
    std::string_view note, const std::vector<NoteVerifier>& log_keys,
    const std::vector<NoteVerifier>& witness_keys = {});

// Parses a signed checkpoint without verifying any signature (to read the
// size of a checkpoint before deciding how to check it). kInvalidArgument if
// malformed.
RETRACE_EXPORT Result<Checkpoint> ParseSignedCheckpoint(std::string_view note);

}  // namespace retrace

#endif  // RETRACE_CHECKPOINT_H_
