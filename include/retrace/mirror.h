// Mirroring a published ledger (docs/publishing.md): fetch its C2SP
// checkpoint and tiles (publish.h) from a directory or an http(s) URL,
// verify them, and keep a read-only ledger holding the same records byte
// for byte (Ledger::CreateMirror), on which audit, verify, lineage and
// prove work as on the original.
//
// One run (Mirror) does, in order:
//   1. fetch <source>/checkpoint; check its signature by a log key and the
//      witness quorum, and that its origin is the mirror's;
//   2. refuse a checkpoint smaller than the mirror's last stored one
//      (rolled back) or of the same size with another root (split view);
//   3. fetch the hash tiles it lacks and compute the checkpoint's root from
//      them; check every full tile against the tile above it, and the tree
//      against the mirror's own (an RFC 6962 consistency proof from the
//      mirror's size, computed from the tiles): a tree that does not extend
//      the mirror's is a split view;
//   4. fetch the entry bundles of the new records and check each entry's
//      leaf hash against its level-0 tile;
//   5. append the records (Ledger::AppendStored: every signature and rule,
//      as an append) and store the checkpoint.
// A server that lies about a tile or an entry is caught in 3 or 4 and
// nothing is appended; a source whose signed checkpoint does not extend
// what the mirror holds is a split_view finding, with both signed
// checkpoints kept as evidence in <mirror>/evidence/.
//
// Thread safety: Mirror may run for different mirrors in parallel; one
// mirror directory is not to be mirrored into by two processes at once
// (the second fails to open it).
#ifndef RETRACE_MIRROR_H_
#define RETRACE_MIRROR_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "retrace/checkpoint.h"
#include "retrace/export.h"
#include "retrace/ledger.h"
#include "retrace/note.h"
#include "retrace/status.h"
#include "retrace/witness.h"

namespace retrace {

// How a mirror, monitor or witness client talks to servers.
struct FetchOptions {
  // Per request: time to connect, and for the whole transfer.
  // Default: 5000 and 30000 ms.
  std::uint32_t connect_timeout_ms = 5000;
  std::uint32_t timeout_ms = 30000;
  // Attempts per resource on a network error or a 5xx status (with 100,
  // 200, 400 ... ms between them); a 404 or another 4xx is not retried.
  // Default: 3.
  unsigned attempts = 3;
};

struct MirrorOptions {
  // Keys the checkpoint must be signed by (one suffices). Required.
  std::vector<NoteVerifier> log_keys;
  // Cosignatures the checkpoint must carry. Default: none required.
  WitnessPolicy witnesses;
  FetchOptions fetch;
  // Options of the mirror ledger (sync, map size, ...). Its
  // regulatory_violations is ignored: a mirror records what its source did.
  Options ledger;
  // Most record bytes held in memory for one run; a catch-up over more is
  // done in several steps, each verified against the tiles before it is
  // appended (a failure in a later step leaves the earlier steps, all
  // verified, in the mirror). Default: 256 MiB.
  std::uint64_t max_batch_bytes = std::uint64_t{256} << 20;
};

// Something found wrong with the source (not an error of the mirror).
struct MirrorFinding {
  // "split_view", "checkpoint_rolled_back", "tile_mismatch",
  // "entry_mismatch", "record_refused" (docs/publishing.md).
  std::string code;
  std::string message;
  // For split_view and checkpoint_rolled_back: the mirror's stored
  // checkpoint and the source's, both signed notes, verbatim; also written
  // to evidence_path.
  std::string held_checkpoint;
  std::string source_checkpoint;
  std::string evidence_path;
};

struct MirrorResult {
  std::string origin;
  std::uint64_t old_size = 0;        // mirror size before
  std::uint64_t new_size = 0;        // mirror size after
  std::uint64_t checkpoint_size = 0; // size of the source's checkpoint
  bool created = false;              // the mirror was created by this run
  std::uint64_t records_appended = 0;
  std::uint64_t tiles_fetched = 0;
  std::uint64_t bundles_fetched = 0;
  std::uint64_t bytes_fetched = 0;
  std::string checkpoint;            // the source's checkpoint (stored if no finding)
  std::vector<MirrorFinding> findings;  // empty: the mirror is up to date and verified
};

// Mirrors `source` -- a directory or an http:// or https:// URL prefix
// holding a published log -- into the ledger directory `mirror_dir`
// (created at the first run). Returns the result, with findings when the
// source misbehaves; the mirror then holds only what verified.
// Errors (the mirror is unchanged): kInvalidArgument (no log key, a
// malformed checkpoint or tile), kVerificationFailed (the checkpoint's
// signature, the witness quorum, or another origin), kNotFound (no
// checkpoint or a missing tile), kIoError (the source cannot be read after
// the retries), kFailedPrecondition (mirror_dir holds a ledger that is not
// a mirror), and the errors of Ledger::Open.
RETRACE_EXPORT Result<MirrorResult> Mirror(const std::string& source,
                                           const std::string& mirror_dir,
                                           const MirrorOptions& options);

// The result as JSON, schema "retrace.mirror/v1" (docs/publishing.md),
// one line: source, origin, sizes, counts and findings (with both
// checkpoints of a split view).
RETRACE_EXPORT std::string MirrorResultToJson(std::string_view source, const MirrorResult& r);

// What the tiles a log publishes prove about an earlier size of its tree.
struct PublishedPrefix {
  std::uint64_t size = 0;  // the earlier size asked for
  Hash root{};             // the root of the tree's first `size` leaves
  // RFC 6962 PROOF(size, D[checkpoint size]): what a cross-ledger receipt
  // (CrossLedgerReceipt::consistency_proof) or a witness needs.
  std::vector<Hash> consistency_proof;
};

// Reads, from the tiles `source` publishes (a directory or an http(s) URL,
// as for Mirror), the tree of `checkpoint` -- a checkpoint of that log
// whose signature the caller has verified -- and returns the root of its
// first `size` leaves and the consistency proof from there to the
// checkpoint. Every tile used is authenticated against the checkpoint's
// root first, so a server cannot make two consistent checkpoints look
// inconsistent or the reverse: if the root returned differs from a signed
// checkpoint of that size, the log signed two histories (a split view, with
// the two notes as evidence). kVerificationFailed if the tiles do not hash
// to the checkpoint's root (the server altered them or serves another log);
// kInvalidArgument if size > checkpoint.size; the fetch's error if a tile
// cannot be read.
RETRACE_EXPORT Result<PublishedPrefix> ReadPublishedPrefix(const std::string& source,
                                                          const Checkpoint& checkpoint,
                                                          std::uint64_t size,
                                                          const FetchOptions& options = {});

// Reads one published resource ("checkpoint", "tile/0/000", ...) of a
// directory or http(s) source, with the retries of `options`. kNotFound
// for a missing resource; errors as Mirror otherwise.
RETRACE_EXPORT Result<std::string> FetchPublished(const std::string& source,
                                                  const std::string& path,
                                                  const FetchOptions& options,
                                                  std::size_t max_bytes);

}  // namespace retrace

#endif  // RETRACE_MIRROR_H_
