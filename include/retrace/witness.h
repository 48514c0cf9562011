// Witnesses: third parties (a regulator, an industry body) that remember the
// latest checkpoint of each log they follow, check that every new checkpoint
// extends it (a consistency proof), and then cosign it
// (https://c2sp.org/tlog-cosignature, type cosignature/v1). A log that shows
// two different histories to two parties cannot get both cosigned by an
// honest witness; verifiers that require k of n witnesses' cosignatures
// (WitnessPolicy) are protected unless k witnesses collude with the log.
//
// The request a witness checks is the body of the c2sp.org/tlog-witness
// add-checkpoint call, which `retrace consistency` prints:
//
//   old 12                     tree size the witness last cosigned (0: none)
//   <base64 hash>              consistency proof from the old size, one hash
//   ...                        per line (none for old size 0)
//   <blank line>
//   <signed checkpoint>
//
// and the answer is one cosignature line "— <witness> <base64>\n".
//
// docs/transparency.md describes the state file and the checks.
//
// Thread safety: values and functions; WitnessState is not synchronised.
// UpdateWitnessStateFile serialises updates of one state file across
// threads and processes with an exclusive lock.
#ifndef RETRACE_WITNESS_H_
#define RETRACE_WITNESS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "retrace/checkpoint.h"
#include "retrace/export.h"
#include "retrace/hash.h"
#include "retrace/merkle.h"
#include "retrace/note.h"
#include "retrace/status.h"

namespace retrace {

// "At least `quorum` of these witnesses cosigned."
struct WitnessPolicy {
  std::vector<NoteVerifier> witnesses;  // cosignature/v1 keys (see NoteVerifier::WithType)
  std::size_t quorum = 0;               // 0: no cosignature required

  // OK if at least `quorum` distinct keys of `witnesses` have a verified
  // cosignature in `checkpoint` (OpenCheckpoint with these witness keys).
  // kInvalidArgument if quorum exceeds the number of witnesses;
  // kVerificationFailed, naming who cosigned, if the quorum is not met.
  RETRACE_EXPORT Status Check(const VerifiedCheckpoint& checkpoint) const;
};

// The tlog-witness add-checkpoint request body.
struct AddCheckpointRequest {
  std::uint64_t old_size = 0;
  std::vector<Hash> consistency_proof;  // from old_size to the checkpoint's size
  std::string checkpoint;               // the signed checkpoint note
};

// Strict parse ("old N" without leading zeros, at most 63 proof lines of
// canonical base64 hashes, a blank line, a signed note). kInvalidArgument.
RETRACE_EXPORT Result<AddCheckpointRequest> ParseAddCheckpointRequest(std::string_view body);
RETRACE_EXPORT std::string FormatAddCheckpointRequest(const AddCheckpointRequest& request);

// What a witness remembers of one log.
struct WitnessedLog {
  std::string origin;
  std::vector<NoteVerifier> log_keys;  // ed25519 keys the log signs with
  std::uint64_t size = 0;              // latest cosigned tree size; 0: none yet
  Hash root_hash{};                    // its root (EmptyRoot() while size is 0)
  std::string checkpoint;              // the latest cosigned checkpoint (empty: none)
  std::uint64_t cosigned_at = 0;       // timestamp of our cosignature of it
};

// The witness's state: the logs it follows. Serialised as JSON (schema
// "retrace.witness-state/v1", docs/transparency.md).
struct WitnessState {
  std::vector<WitnessedLog> logs;

  // The log with this origin, or nullptr.
  RETRACE_EXPORT WitnessedLog* Find(std::string_view origin);
  RETRACE_EXPORT const WitnessedLog* Find(std::string_view origin) const;

  // Follows the log `origin`, trusting `log_key` for its checkpoints. Adds
  // the key if the log is followed already. kInvalidArgument for an empty
  // origin or a key that is not kEd25519; kAlreadyExists if the key is
  // already trusted for that origin.
  RETRACE_EXPORT Status AddLog(std::string_view origin, const NoteVerifier& log_key);

  RETRACE_EXPORT std::string Serialize() const;
  // kInvalidArgument if `json` is not a valid state.
  RETRACE_EXPORT static Result<WitnessState> Parse(std::string_view json);
};

// The add-checkpoint checks of c2sp.org/tlog-witness, then the cosignature.
// On success returns the cosignature line(s) to append to the checkpoint and
// records the checkpoint as the log's latest in `state`; on any error
// `state` is unchanged. `cosigner` must be a kCosignatureV1 signer;
// `timestamp` is the cosignature's time (POSIX seconds).
// Errors, in the order checked (tlog-witness HTTP status in brackets):
//   kInvalidArgument     malformed checkpoint [400], old_size above the
//                        checkpoint's size [400], a non-cosigner key
//   kNotFound            the witness does not follow the origin [404]
//   kVerificationFailed  no valid signature by a trusted log key [403]
//   kFailedPrecondition  old_size is not the size last cosigned; the message
//                        names that size [409]
//   kVerificationFailed  the consistency proof does not verify from the
//                        root last cosigned [422], or the same size arrives
//                        with another root: a split view [409]
// A witness asked to cosign the checkpoint it cosigned last cosigns it again.
RETRACE_EXPORT Result<std::string> WitnessAddCheckpoint(WitnessState* state,
                                                        const NoteSigner& cosigner,
                                                        const AddCheckpointRequest& request,
                                                        std::uint64_t timestamp);

// Locks `path` (a companion "<path>.lock" file, flock), reads the state (an
// empty state if the file does not exist), runs `fn` on it and, if fn
// returns OK, replaces the file atomically (write, fsync, rename). If fn
// fails the file is untouched and fn's status is returned. kIoError if the
// file cannot be read or written; kInvalidArgument if it does not parse.
RETRACE_EXPORT Status UpdateWitnessStateFile(const std::string& path,
                                             const std::function<Status(WitnessState*)>& fn);

// Reads a state file without locking. kNotFound if it does not exist.
RETRACE_EXPORT Result<WitnessState> ReadWitnessStateFile(const std::string& path);

}  // namespace retrace

#endif  // RETRACE_WITNESS_H_
