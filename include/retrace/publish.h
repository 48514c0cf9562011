// Publishing a ledger as a C2SP tiled transparency log
// (https://c2sp.org/tlog-tiles): static files any web server, object store
// or CDN can serve, which a mirror, monitor or witness reads without
// knowing anything about rare earths (docs/publishing.md).
//
//   <webroot>/checkpoint                      the latest signed checkpoint,
//                                             with its cosignatures
//   <webroot>/tile/<L>/<N>[.p/<W>]            hash tiles
//   <webroot>/tile/entries/<N>[.p/<W>]        entry bundles: the stored
//                                             record bytes, each prefixed
//                                             by its length (uint16 BE)
//   <webroot>/tile/entries-u32/<N>[.p/<W>]    the same with uint32 BE
//                                             lengths, only for a bundle
//                                             holding a record over 65535
//                                             bytes (see below)
//
// Tile hashes are the ledger's own RFC 6962 tree: the leaf of record i is
// SHA-256(0x00 || stored record bytes), so every entry hashes to its tile.
//
// Records larger than 65535 bytes. tlog-tiles prefixes each entry with a
// big-endian uint16, which cannot give such a length, and a ledger accepts
// events up to Options::max_event_bytes (1 MiB by default). A bundle whose
// records all fit is written where the spec says; a bundle holding a larger
// record is written only at tile/entries-u32/ (same layout, uint32 lengths),
// as tlog-tiles allows ("Logs MAY serve entries in different formats ... at
// a different URL"). Hash tiles and checkpoints are unaffected, so any
// tlog-tiles client still verifies the tree, consistency and inclusion; a
// generic client fetching that one standard bundle gets "not found", never
// wrong bytes. retrace's mirror reads either. A ledger whose events stay
// below ~65 KB (max_event_bytes <= 65000) never writes the second form.
//
// Thread safety: Publish may be called from many threads and processes on
// one webroot: publishers take an exclusive lock on <webroot>/.publish.lock.
#ifndef RETRACE_PUBLISH_H_
#define RETRACE_PUBLISH_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "retrace/export.h"
#include "retrace/ledger.h"
#include "retrace/note.h"
#include "retrace/status.h"

namespace retrace {

struct PublishOptions {
  // If set, sign a checkpoint of the whole current tree with this log key
  // first (Ledger::SignCheckpoint). If not, the latest stored checkpoint is
  // published, and records after it wait for the next signed checkpoint.
  // Not owned; must outlive the call (or the Publisher).
  // Default: nullptr.
  const NoteSigner* sign_with = nullptr;

  // fsync every file written and every directory changed before the
  // checkpoint is replaced, and the checkpoint after: a power loss then
  // leaves a directory a client reads consistently. false: only a crash of
  // the process is safe (the rename order still holds).
  // Default: true.
  bool sync = true;
};

struct PublishResult {
  std::uint64_t previous_size = 0;  // size of the checkpoint published before (0: none)
  std::uint64_t size = 0;           // size of the checkpoint published now
  std::uint64_t tiles_written = 0;  // hash tiles, full and partial
  std::uint64_t bundles_written = 0;
  std::uint64_t large_bundles = 0;  // of which written to tile/entries-u32/ only
  std::uint64_t bytes_written = 0;  // of tiles, bundles and the checkpoint
  std::string checkpoint;           // the signed note now at <webroot>/checkpoint
};

// Publishes `ledger` into `webroot` (created if missing): every tile and
// entry bundle the latest stored checkpoint needs that the checkpoint
// already there did not, then the checkpoint itself by an atomic rename.
// Each file is written to a temporary name and renamed into place, so a
// kill at any point leaves every published checkpoint's tiles readable and
// the checkpoint either the old one or the new. Partial tiles of earlier
// checkpoints are kept (a client that read the old checkpoint may still
// fetch them).
// Errors (the checkpoint in `webroot` is unchanged in every case):
//   kFailedPrecondition  no checkpoint was signed yet (give sign_with); the
//                        webroot holds a checkpoint of another log, or a
//                        larger one (publishing would roll it back)
//   kVerificationFailed  the webroot's checkpoint is not a prefix of this
//                        ledger's tree (another history)
//   kIoError, kCorruption; errors of Ledger::SignCheckpoint
RETRACE_EXPORT Result<PublishResult> Publish(Ledger& ledger, const std::string& webroot,
                                             const PublishOptions& options = {});

// The result as one line of JSON, schema "retrace.publish/v1".
RETRACE_EXPORT std::string PublishResultToJson(std::string_view webroot, const PublishResult& r);

// Republishes a ledger after its appends, for a long-running writer: a
// background thread wakes every `period` (or at Notify), and when the
// ledger has grown (or a new checkpoint was stored) publishes it as Publish
// does. The ledger and options.sign_with must outlive the Publisher.
//
// Thread safety: Notify, last_status and published_size may be called from
// any thread.
class RETRACE_EXPORT Publisher {
 public:
  // Publishes once at once (the result is last_status()), then starts the
  // thread. kInvalidArgument for a zero period.
  static Result<std::unique_ptr<Publisher>> Start(Ledger& ledger, std::string webroot,
                                                  const PublishOptions& options,
                                                  std::chrono::milliseconds period);
  // Stops the thread after a last publication of what was appended.
  virtual ~Publisher();
  // Publish now (returns at once; the thread does it).
  virtual void Notify() = 0;
  // The outcome of the latest publication.
  virtual Status last_status() const = 0;
  // The size of the checkpoint published last.
  virtual std::uint64_t published_size() const = 0;

 protected:
  Publisher() = default;
};

}  // namespace retrace

#endif  // RETRACE_PUBLISH_H_
