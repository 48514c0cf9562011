// RecordChecker's read-ahead on a thread pool (SetPrefetchPool, Prefetch):
// the queue of prepared records, the workers' share of a check, and the
// sequential read-ahead of a walk through consecutive records.
#include <algorithm>
#include <thread>

#include "model/proto_convert.h"
#include "model/record.h"
#include "util/status_macros.h"
#include "util/thread_pool.h"
#include "verify/record_checker.h"

namespace retrace::internal {

void RecordChecker::PreparedRecord::Run(google::protobuf::Arena* arena) {
  view.hash = RecordHash(bytes);  // the link check of seq + 1 wants it parsed or not
  const Hash hash = view.hash;
  parsed = ParseRecordView(bytes, &view);
  if (parsed.ok()) parsed = ResolveRegistryRecord(&view);
  view.hash = hash;
  if (!parsed.ok()) return;
  // Protobuf arenas allocate safely from several threads at once.
  event = google::protobuf::Arena::CreateMessage<v1::Event>(arena);
  event_parsed = ParseEventBytes(view.event_bytes, event).ok();
  if (event_parsed) valid = ValidateEventProto(*event);
}

Status RecordChecker::Prefetch(const std::vector<std::uint64_t>& seqs) {
  return Queue(seqs.data(), seqs.size());
}

Status RecordChecker::Queue(const std::uint64_t* seqs, std::size_t n) {
  if (prefetch_pool_ == nullptr || mode_ != Mode::kRetain || !store_.LendsRecords()) {
    return Status::Ok();
  }
  ReapBatches();
  PrepareBatch b;
  b.entries.reset(new Prepared[n]);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t seq = seqs[i];
    if (seq >= store_.Size() || cache_.Find(seq) != nullptr || prepared_.Find(seq) != nullptr) {
      continue;
    }
    ASSIGN_OR_RETURN(auto bytes, store_.RecordBytesView(seq));
    if (!bytes) continue;  // Check reports it missing
    Prepared& e = b.entries[b.size++];
    e.r.seq = seq;
    e.r.bytes = *bytes;
    prepared_.Insert(seq, &e);
  }
  if (b.size == 0) return Status::Ok();
  b.left = b.size;
  Prepared* entries = b.entries.get();
  google::protobuf::Arena* arena = WorkingArena();
  PrepareBatch& queued_batch = batches_.emplace_back(std::move(b));
  for (std::size_t i = 0; i < queued_batch.size; ++i) entries[i].batch = &queued_batch;
  queued_batch.range = prefetch_pool_->Start(queued_batch.size, [entries, arena](std::size_t i) {
    Prepared& e = entries[i];
    int queued = 0;
    if (!e.state.compare_exchange_strong(queued, 1, std::memory_order_acq_rel)) return;
    e.r.Run(arena);
    e.state.store(2, std::memory_order_release);
  });
  return Status::Ok();
}

const RecordChecker::PreparedRecord* RecordChecker::WaitPrepared(std::uint64_t seq) {
  Prepared** found = prepared_.Find(seq);
  if (found == nullptr) return nullptr;
  Prepared* e = *found;
  int queued = 0;
  if (e->state.compare_exchange_strong(queued, 1, std::memory_order_acq_rel)) {
    e->r.Run(WorkingArena());  // no worker got to it: do not wait for one
    e->state.store(2, std::memory_order_release);
  } else {
    while (e->state.load(std::memory_order_acquire) != 2) std::this_thread::yield();
  }
  return &e->r;
}

bool RecordChecker::TakePrepared(std::uint64_t seq, PreparedRecord* out) {
  const PreparedRecord* r = WaitPrepared(seq);
  if (r == nullptr) return false;
  *out = *r;
  --(*prepared_.Find(seq))->batch->left;
  prepared_.Erase(seq);
  return true;
}

void RecordChecker::ReapBatches() {
  // Batches that keep records nobody took (read ahead in vain) go once a
  // few newer ones exist; their events stay on the arena until it goes.
  constexpr std::size_t kKeep = 8;
  while (!batches_.empty()) {
    PrepareBatch& b = batches_.front();
    auto* range = static_cast<ThreadPool::Range*>(b.range.get());
    if (!range->finished()) return;
    if (b.left > 0 && batches_.size() <= kKeep) return;
    for (std::size_t i = 0; i < b.size; ++i) {
      Prepared** p = prepared_.Find(b.entries[i].r.seq);
      if (p != nullptr && *p == &b.entries[i]) prepared_.Erase(b.entries[i].r.seq);
    }
    batches_.pop_front();
  }
}

void RecordChecker::WaitBatches() {
  for (PrepareBatch& b : batches_) {
    prefetch_pool_->Wait(*static_cast<ThreadPool::Range*>(b.range.get()));
  }
  batches_.clear();
  prepared_ = FlatU64Map<Prepared*>();
}

Status RecordChecker::ReadAhead(std::uint64_t seq) {
  if (prefetch_pool_ == nullptr) return Status::Ok();
  // A run of consecutive uncached records, either way, is read ahead in
  // its direction: kWindow records at a time, topped up once half of them
  // are used.
  constexpr std::uint64_t kWindow = 64;
  if (last_miss_ != ~std::uint64_t{0} && seq + 1 == last_miss_) {
    run_ = run_ < 0 ? run_ - 1 : -1;
  } else if (last_miss_ != ~std::uint64_t{0} && seq == last_miss_ + 1) {
    run_ = run_ > 0 ? run_ + 1 : 1;
  } else {
    run_ = 0;
  }
  last_miss_ = seq;
  if (run_ > -2 && run_ < 2) return Status::Ok();
  if (run_ == -2) ahead_ = seq;      // a backward run starts: nothing below seq queued
  if (run_ == 2) ahead_ = seq + 1;   // a forward run starts
  std::uint64_t buf[kWindow];
  std::size_t n = 0;
  if (run_ < 0) {
    if (ahead_ > seq || ahead_ == 0 || ahead_ + kWindow / 2 < seq) return Status::Ok();
    const std::uint64_t from = ahead_ > kWindow ? ahead_ - kWindow : 0;
    for (std::uint64_t s = ahead_; s-- > from;) buf[n++] = s;  // in the order needed
    ahead_ = from;
  } else {
    if (ahead_ > seq + kWindow / 2) return Status::Ok();
    const std::uint64_t to = std::min(store_.Size(), ahead_ + kWindow);
    for (std::uint64_t s = ahead_; s < to; ++s) buf[n++] = s;
    ahead_ = std::max(ahead_, to);
  }
  return Queue(buf, n);
}

}  // namespace retrace::internal
