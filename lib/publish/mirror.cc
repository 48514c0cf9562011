// Mirror: fetch, verify and keep a published log (retrace/mirror.h).
//
// Trust flows from the checkpoint down: the log key signs (size, root); the
// tiles are trusted only once the root computed from them is that root
// (every partial tile enters that computation whole), and a full tile only
// once its Merkle hash is the hash the tile above holds for it; an entry
// only once its leaf hash is its level-0 tile's. Nothing is appended to the
// mirror before the records to append are verified so, and AppendStored
// then checks every signature and rule as an append would.
#include "retrace/mirror.h"

#include <ctime>
#include <map>
#include <set>
#include <memory>
#include <sys/stat.h>

#include "publish/fetch.h"
#include "publish/files.h"
#include "publish/tiles.h"
#include "publish/tile_tree.h"
#include "retrace/checkpoint.h"
#include "retrace/merkle.h"
#include "transparency/text.h"
#include "util/status_macros.h"

namespace retrace {
namespace {

using internal::kTileWidth;
using internal::SourceFinding;
using internal::TileTree;

bool AsFinding(const Status& s, MirrorFinding* f) {
  return internal::AsSourceFinding(s, &f->code, &f->message);
}

std::string EvidenceText(const MirrorFinding& f) {
  return "retrace mirror evidence: " + f.code + "\n" + f.message +
         "\n\n--- checkpoint held by the mirror ---\n" + f.held_checkpoint +
         "\n--- checkpoint served by the source ---\n" + f.source_checkpoint;
}

// Writes the evidence of a split view or rollback beside the mirror.
void KeepEvidence(const std::string& mirror_dir, MirrorFinding* f, std::uint64_t size) {
  internal::AtomicWriter w(mirror_dir, true);
  const std::string rel = "evidence/" + f->code + "-" + std::to_string(size) + "-" +
                          std::to_string(std::time(nullptr)) + ".txt";
  if (w.Write(rel, EvidenceText(*f)).ok() && w.SyncDirs().ok()) {
    f->evidence_path = mirror_dir + "/" + rel;
  }
}

bool LedgerExists(const std::string& dir) {
  struct stat st;
  return ::stat((dir + "/data.mdb").c_str(), &st) == 0;
}

}  // namespace

Result<std::string> FetchPublished(const std::string& source, const std::string& path,
                                   const FetchOptions& options, std::size_t max_bytes) {
  internal::Fetcher f(source, options);
  return f.Get(path, max_bytes);
}

Result<MirrorResult> Mirror(const std::string& source, const std::string& mirror_dir,
                            const MirrorOptions& options) {
  if (options.log_keys.empty()) return InvalidArgumentError("no log key to check the checkpoint with");
  internal::Fetcher fetcher(source, options.fetch);
  MirrorResult r;
  auto finish = [&]() {
    r.bytes_fetched = fetcher.bytes();
    return r;
  };

  // 1. The checkpoint.
  Result<std::string> note = fetcher.Get("checkpoint", kMaxNoteBytes);
  if (!note.ok()) return note.status().Annotate("fetching the checkpoint of " + source);
  Result<VerifiedCheckpoint> vc = OpenCheckpoint(*note, options.log_keys, options.witnesses.witnesses);
  if (!vc.ok()) return vc.status().Annotate("the checkpoint of " + source);
  RETURN_IF_ERROR(options.witnesses.Check(*vc).Annotate("the checkpoint of " + source));
  const Checkpoint& cp = vc->checkpoint;
  const NoteVerifier* log_key = nullptr;
  for (const NoteVerifier& k : options.log_keys) {
    for (const VerifiedNoteSignature& s : vc->log_signatures) {
      if (k.name() == s.name && k.key_id() == s.key_id) log_key = &k;
    }
  }
  if (log_key == nullptr) return InternalError("no log signature among the verified ones");
  r.origin = cp.origin;
  r.checkpoint = *note;
  r.checkpoint_size = cp.size;

  // 2. The mirror as it is.
  std::unique_ptr<Ledger> mirror;
  Options lopts = options.ledger;
  lopts.regulatory_violations = RegulatoryMode::kRecordAndFlag;
  std::optional<Checkpoint> held;
  std::string held_note;
  if (LedgerExists(mirror_dir)) {
    ASSIGN_OR_RETURN(mirror, Ledger::Open(lopts, mirror_dir));
    ASSIGN_OR_RETURN(LedgerInfo info, mirror->Info());
    if (!info.mirror) {
      return FailedPreconditionError(mirror_dir + " holds a ledger that is not a mirror");
    }
    if (info.name != cp.origin) {
      return VerificationFailedError("the checkpoint of " + source + " is for the log " +
                                     cp.origin + ", but " + mirror_dir + " mirrors " + info.name +
                                     "; nothing was changed");
    }
    r.old_size = info.size;
    Result<std::string> h = mirror->LatestCheckpoint();
    if (h.ok()) {
      held_note = *h;
      ASSIGN_OR_RETURN(held, ParseSignedCheckpoint(held_note));
    } else if (h.status().code() != StatusCode::kNotFound) {
      return h.status();
    }
  }
  r.new_size = r.old_size;
  auto split = [&](const std::string& code, const std::string& message) {
    MirrorFinding f;
    f.code = code;
    f.message = message;
    f.held_checkpoint = held_note;
    f.source_checkpoint = *note;
    KeepEvidence(mirror_dir, &f, cp.size);
    r.findings.push_back(std::move(f));
    return finish();
  };
  if (held && cp.size < held->size) {
    return split("checkpoint_rolled_back",
                 source + " serves a checkpoint of size " + std::to_string(cp.size) +
                     ", smaller than the one the mirror holds (" + std::to_string(held->size) +
                     "): the log was rolled back or forked");
  }
  if (held && cp.size == held->size && cp.root_hash != held->root_hash) {
    return split("split_view", source + " serves a checkpoint of size " +
                                   std::to_string(cp.size) +
                                   " with another root than the one the mirror holds");
  }
  if (cp.size == 0 || (held && held_note == *note && r.old_size == cp.size)) return finish();

  // 3. The tree, from the tiles.
  TileTree tree(&fetcher, cp.size);
  auto fail = [&](const Status& s) -> Result<MirrorResult> {
    MirrorFinding f;
    if (!AsFinding(s, &f)) return s;
    r.findings.push_back(std::move(f));
    r.tiles_fetched = tree.fetched();
    return finish();
  };
  Result<Hash> root = merkle::RootAt(tree, cp.size);
  if (!root.ok()) return fail(root.status());
  if (*root != cp.root_hash) {
    return fail(SourceFinding("tile_mismatch", "the tiles of " + source +
                                             " do not hash to the root of its checkpoint: the "
                                             "server altered a tile"));
  }
  const std::uint64_t m = r.old_size;
  if (m > 0) {
    const std::uint64_t common = std::min(m, cp.size);
    ASSIGN_OR_RETURN(Hash mine, mirror->RootAt(common));
    Status consistent;
    if (common == cp.size) {
      consistent = mine == cp.root_hash ? Status::Ok() : VerificationFailedError("root differs");
    } else {
      Result<merkle::ConsistencyProof> proof = merkle::MakeConsistencyProof(tree, common, cp.size);
      if (!proof.ok()) return fail(proof.status());
      // The proof's nodes come from tiles: authenticate every full tile
      // fetched so far first, so an altered tile is not taken for a fork.
      if (Status s = tree.CheckFullTiles(); !s.ok()) return fail(s);
      consistent = merkle::VerifyConsistency(mine, cp.root_hash, *proof);
    }
    if (!consistent.ok()) {
      return split("split_view",
                   "the checkpoint of " + source + " (size " + std::to_string(cp.size) +
                       ") does not extend the tree the mirror holds (size " + std::to_string(m) +
                       "): the log shows another history");
    }
  }

  // 4 and 5. Entries, verified against the level-0 tiles, then appended.
  std::vector<std::string> batch;
  std::uint64_t batch_bytes = 0;
  auto flush = [&]() -> Status {
    if (batch.empty()) return Status::Ok();
    RETURN_IF_ERROR(tree.CheckFullTiles());
    std::size_t from = 0;
    if (!mirror) {
      Result<std::unique_ptr<Ledger>> created = Ledger::CreateMirror(lopts, mirror_dir, batch[0]);
      if (!created.ok()) {
        if (created.status().code() == StatusCode::kInvalidArgument) {
          return SourceFinding("record_refused", "record 0 of " + source +
                                               " is not a genesis record: " +
                                               created.status().message());
        }
        return created.status();
      }
      mirror = std::move(created).value();
      r.created = true;
      from = 1;
      ++r.records_appended;
    }
    constexpr std::size_t kChunk = 4096;
    for (; from < batch.size(); from += kChunk) {
      std::vector<std::string> chunk(
          std::make_move_iterator(batch.begin() + from),
          std::make_move_iterator(batch.begin() + std::min(batch.size(), from + kChunk)));
      const std::size_t n = chunk.size();
      Result<std::vector<AppendResult>> a = mirror->AppendStored(chunk);
      if (!a.ok()) {
        const StatusCode c = a.status().code();
        if (c == StatusCode::kIoError || c == StatusCode::kResourceExhausted ||
            c == StatusCode::kCorruption || c == StatusCode::kInternal) {
          return a.status();
        }
        return SourceFinding("record_refused", "a record of " + source +
                                             " breaks the ledger's rules (the log signed a "
                                             "record no ledger would accept): " +
                                             a.status().message());
      }
      r.records_appended += n;
    }
    batch.clear();
    batch_bytes = 0;
    return Status::Ok();
  };
  for (std::uint64_t n = m / kTileWidth;; ++n) {
    const std::uint64_t width = internal::TileWidth(cp.size, 0, n);
    if (width == 0 || n * kTileWidth >= cp.size || m >= cp.size) break;
    // No record is larger than an event the ledger accepts plus its
    // signature and batch path: the most a bundle can honestly hold.
    const std::size_t max =
        static_cast<std::size_t>(width) * (4 + options.ledger.max_event_bytes + (64 << 10));
    bool u32 = false;
    std::string path = internal::EntryBundlePath(n, width);
    Result<std::string> bundle = fetcher.Get(path, max);
    if (!bundle.ok() && bundle.status().code() == StatusCode::kNotFound) {
      u32 = true;
      path = internal::EntryBundlePath(n, width, true);
      bundle = fetcher.Get(path, max);
    }
    if (!bundle.ok()) return fail(bundle.status().Annotate("entry bundle " + std::to_string(n)));
    ++r.bundles_fetched;
    Result<std::vector<std::string_view>> entries = internal::DecodeEntryBundle(*bundle, u32, width);
    if (!entries.ok()) {
      return fail(SourceFinding("entry_mismatch", path + ": " + entries.status().message()));
    }
    Result<const std::vector<Hash>*> tile0 = tree.Tile(0, n);
    if (!tile0.ok()) return fail(tile0.status());
    for (std::uint64_t i = 0; i < width; ++i) {
      const std::uint64_t seq = n * kTileWidth + i;
      if (seq < m) continue;
      if (merkle::LeafHash((*entries)[i]) != (**tile0)[i]) {
        return fail(SourceFinding("entry_mismatch", path + ": entry " + std::to_string(seq) +
                                                  " does not hash to its leaf in the tree: "
                                                  "the server altered it"));
      }
      batch_bytes += (*entries)[i].size();
      batch.emplace_back((*entries)[i]);
    }
    if (batch_bytes >= options.max_batch_bytes) {
      if (Status s = flush(); !s.ok()) return fail(s);
    }
  }
  if (Status s = flush(); !s.ok()) return fail(s);
  r.tiles_fetched = tree.fetched();
  if (!mirror) return finish();
  Result<std::string> stored = mirror->StoreCheckpoint(*note, *log_key);
  if (!stored.ok()) return stored.status().Annotate("storing the checkpoint");
  ASSIGN_OR_RETURN(LedgerInfo after, mirror->Info());
  r.new_size = after.size;
  return finish();
}

}  // namespace retrace
