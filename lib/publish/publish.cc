// Publish: the ledger's tree and records as tlog-tiles (retrace/publish.h).
//
// Invariant: <webroot>/checkpoint only ever names a tree whose tiles and
// entry bundles are all in place. Everything the new checkpoint needs is
// written (each file by rename) and its directories synced before the
// checkpoint is renamed over the old one; a kill before that rename leaves
// the old checkpoint, whose files were never touched (a file is only
// rewritten with identical bytes: tiles complete at the old size are
// skipped, and a tile of the same path always has the same content for one
// history, which step "the webroot is a prefix of the ledger" guarantees).
#include "retrace/publish.h"

#include <condition_variable>
#include <mutex>
#include <thread>

#include "ledger/ledger_internal.h"
#include "ledger/state.h"
#include "publish/files.h"
#include "publish/tiles.h"
#include "retrace/checkpoint.h"
#include "storage/lmdb_env.h"
#include "transparency/text.h"
#include "util/status_macros.h"

namespace retrace {
namespace {

using internal::AtomicWriter;
using internal::kTileWidth;
using internal::TileWidth;

// Writes every tile and bundle of a tree of `size` that is not complete in
// a tree of `old_size`, from one read transaction of the ledger.
Status WriteTiles(const Ledger& ledger, std::uint64_t old_size, std::uint64_t size,
                  AtomicWriter* out, PublishResult* r) {
  return internal::ReadLedger(ledger, [&](const internal::Txn& txn, std::string_view) -> Status {
    const internal::Tables& t = txn.tables();
    // Hash tiles, level by level.
    for (unsigned level = 0; internal::HashesAtLevel(size, level) > 0; ++level) {
      const std::uint64_t first = internal::HashesAtLevel(old_size, level) / kTileWidth;
      for (std::uint64_t n = first;; ++n) {
        const std::uint64_t width = TileWidth(size, level, n);
        if (width == 0) break;
        std::string tile;
        tile.reserve(width * 32);
        for (std::uint64_t i = 0; i < width; ++i) {
          const std::uint64_t index = n * kTileWidth + i;
          ASSIGN_OR_RETURN(std::optional<std::string_view> h,
                           txn.Get(t.tree, internal::TreeKey(level * internal::kTileHeight, index)));
          if (!h || h->size() != 32) {
            return CorruptionError("the ledger's tree lacks node " + std::to_string(index) +
                                   " of level " + std::to_string(level * internal::kTileHeight));
          }
          tile.append(*h);
        }
        RETURN_IF_ERROR(out->Write(internal::HashTilePath(level, n, width), tile));
        ++r->tiles_written;
      }
    }
    // Entry bundles.
    for (std::uint64_t n = old_size / kTileWidth;; ++n) {
      const std::uint64_t width = TileWidth(size, 0, n);
      if (width == 0) break;
      std::vector<std::string_view> entries;
      bool large = false;
      for (std::uint64_t i = 0; i < width; ++i) {
        const std::uint64_t seq = n * kTileWidth + i;
        ASSIGN_OR_RETURN(std::optional<std::string_view> rec,
                         txn.Get(t.records, internal::EncodeU64(seq)));
        if (!rec) return CorruptionError("the ledger lacks record " + std::to_string(seq));
        large = large || rec->size() > internal::kMaxEntry16;
        entries.push_back(*rec);
      }
      ASSIGN_OR_RETURN(std::string bundle, internal::EncodeEntryBundle(entries, large));
      RETURN_IF_ERROR(out->Write(internal::EntryBundlePath(n, width, large), bundle));
      ++r->bundles_written;
      if (large) ++r->large_bundles;
    }
    return Status::Ok();
  });
}

}  // namespace

Result<PublishResult> Publish(Ledger& ledger, const std::string& webroot,
                              const PublishOptions& options) {
  if (webroot.empty()) return InvalidArgumentError("no webroot given");
  AtomicWriter out(webroot, options.sync);
  RETURN_IF_ERROR(out.MakeRoot());
  // Opened in place (never replaced by a rename), so every publisher locks
  // the same file.
  ASSIGN_OR_RETURN(internal::FileLock lock,
                   internal::FileLock::Acquire(webroot + "/.publish.lock"));
  if (options.sign_with != nullptr) {
    RETURN_IF_ERROR(ledger.SignCheckpoint(*options.sign_with).status());
  }
  Result<std::string> note = ledger.LatestCheckpoint();
  if (!note.ok() && note.status().code() == StatusCode::kNotFound) {
    return FailedPreconditionError(
        "the ledger has no signed checkpoint to publish (sign one with `retrace checkpoint "
        "--key`, or give a log key to publish)");
  }
  RETURN_IF_ERROR(note.status());
  ASSIGN_OR_RETURN(Checkpoint cp, ParseSignedCheckpoint(*note));
  PublishResult r;
  r.size = cp.size;
  r.checkpoint = *note;

  const std::string cp_path = webroot + "/checkpoint";
  Result<std::string> old_note = internal::ReadWholeFile(cp_path, kMaxNoteBytes);
  if (old_note.ok()) {
    Result<Checkpoint> old = ParseSignedCheckpoint(*old_note);
    if (!old.ok()) {
      return FailedPreconditionError(cp_path + " is not a checkpoint (" + old.status().message() +
                                     "); refusing to publish over it");
    }
    if (old->origin != cp.origin) {
      return FailedPreconditionError(cp_path + " is a checkpoint of the log " + old->origin +
                                     ", not of " + cp.origin + "; nothing was published");
    }
    if (old->size > cp.size) {
      return FailedPreconditionError(
          cp_path + " is at size " + std::to_string(old->size) + ", larger than the ledger's " +
          "latest checkpoint (" + std::to_string(cp.size) + "): publishing would roll it back");
    }
    ASSIGN_OR_RETURN(Hash root, ledger.RootAt(old->size));
    if (root != old->root_hash) {
      return VerificationFailedError(
          cp_path + " (size " + std::to_string(old->size) +
          ") is not a prefix of this ledger's tree: the webroot holds another history; nothing "
          "was published");
    }
    r.previous_size = old->size;
    if (*old_note == *note) return r;
  } else if (old_note.status().code() != StatusCode::kNotFound) {
    return old_note.status();
  }

  RETURN_IF_ERROR(WriteTiles(ledger, r.previous_size, cp.size, &out, &r));
  RETURN_IF_ERROR(out.SyncDirs());
  RETURN_IF_ERROR(out.Write("checkpoint", *note));
  RETURN_IF_ERROR(out.SyncDirs());
  r.bytes_written = out.bytes();
  return r;
}

// ---------------------------------------------------------------------------

namespace {

class PublisherImpl final : public Publisher {
 public:
  PublisherImpl(Ledger& ledger, std::string webroot, const PublishOptions& options,
                std::chrono::milliseconds period)
      : ledger_(ledger), webroot_(std::move(webroot)), options_(options), period_(period) {}

  ~PublisherImpl() override {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  void Start() {
    PublishOnce();
    thread_ = std::thread([this] { Loop(); });
  }

  void Notify() override {
    {
      std::lock_guard<std::mutex> l(mu_);
      notified_ = true;
    }
    cv_.notify_all();
  }

  Status last_status() const override {
    std::lock_guard<std::mutex> l(mu_);
    return status_;
  }

  std::uint64_t published_size() const override {
    std::lock_guard<std::mutex> l(mu_);
    return size_;
  }

 private:
  void PublishOnce() {
    // Cheap when nothing changed: Publish returns once it sees the
    // webroot's checkpoint is the ledger's latest.
    Result<PublishResult> r = Publish(ledger_, webroot_, options_);
    std::lock_guard<std::mutex> l(mu_);
    status_ = r.status();
    if (r.ok()) size_ = r->size;
  }

  void Loop() {
    std::unique_lock<std::mutex> l(mu_);
    while (!stop_) {
      cv_.wait_for(l, period_, [this] { return stop_ || notified_; });
      notified_ = false;
      const bool stopping = stop_;
      l.unlock();
      PublishOnce();  // also once more when stopping: what was appended last
      l.lock();
      if (stopping) break;
    }
  }

  Ledger& ledger_;
  const std::string webroot_;
  const PublishOptions options_;
  const std::chrono::milliseconds period_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool notified_ = false;
  Status status_;
  std::uint64_t size_ = 0;
  std::thread thread_;
};

}  // namespace

Publisher::~Publisher() = default;

Result<std::unique_ptr<Publisher>> Publisher::Start(Ledger& ledger, std::string webroot,
                                                    const PublishOptions& options,
                                                    std::chrono::milliseconds period) {
  if (period.count() <= 0) return InvalidArgumentError("the publishing period must be positive");
  auto p = std::make_unique<PublisherImpl>(ledger, std::move(webroot), options, period);
  p->Start();
  return std::unique_ptr<Publisher>(std::move(p));
}

}  // namespace retrace
