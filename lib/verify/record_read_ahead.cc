// RecordChecker's read-ahead on a thread pool (SetPrefetchPool, Prefetch, PrefetchLent):
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
  if (prefetch_pool_ == nullptr || !store_.LendsRecords()) return Status::Ok();
  std::vector<std::pair<std::uint64_t, std::string_view>> records;
  records.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t seq = seqs[i];
    if (seq >= store_.Size() || cache_.Find(seq) != nullptr || prepared_.Find(seq) != nullptr) {
      continue;
    }
    ASSIGN_OR_RETURN(auto bytes, store_.RecordBytesView(seq));
    if (!bytes) continue;  // Check reports it missing
    records.emplace_back(seq, *bytes);
  }
  PrefetchLent(records);
  return Status::Ok();
}

void RecordChecker::PrefetchLent(
    const std::vector<std::pair<std::uint64_t, std::string_view>>& records) {
  const std::size_t n = records.size();
  if (prefetch_pool_ == nullptr || n == 0) return;
  // The arenas of the batches done with go to the pool with the new batch:
  // freeing an arena's strings costs about as much as parsing them.
  using Arenas = std::vector<std::unique_ptr<google::protobuf::Arena>>;
  Arenas reaped;
  ReapBatches(&reaped);
  std::shared_ptr<Arenas> retired;
  if (!reaped.empty()) retired = std::make_shared<Arenas>(std::move(reaped));
  PrepareBatch b;
  b.entries.reset(new Prepared[n]);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t seq = records[i].first;
    if (cache_.Find(seq) != nullptr || prepared_.Find(seq) != nullptr) continue;
    Prepared& e = b.entries[b.size++];
    e.r.seq = seq;
    e.r.bytes = records[i].second;
    prepared_.Insert(seq, &e);
  }
  if (b.size == 0) return;
  b.left = b.size;
  Prepared* entries = b.entries.get();
  PrepareBatch& queued_batch = batches_.emplace_back(std::move(b));
  google::protobuf::Arena* arena = PrepareArena(queued_batch);
  for (std::size_t i = 0; i < queued_batch.size; ++i) entries[i].batch = &queued_batch;
  auto prepare = [entries, arena, retired](std::size_t i) {
    if (i == 0 && retired != nullptr) retired->clear();
    Prepared& e = entries[i];
    int queued = 0;
    if (!e.state.compare_exchange_strong(queued, 1, std::memory_order_acq_rel)) return;
    e.r.Run(arena);
    e.state.store(2, std::memory_order_release);
  };
  queued_batch.range = prefetch_pool_->Start(queued_batch.size, prepare);
}

google::protobuf::Arena* RecordChecker::PrepareArena(PrepareBatch& b) {
  if (mode_ == Mode::kRetain) return WorkingArena();
  if (b.arena == nullptr) {
    google::protobuf::ArenaOptions o;
    o.start_block_size = 64 << 10;
    o.max_block_size = 256 << 10;
    b.arena = std::make_unique<google::protobuf::Arena>(o);
  }
  return b.arena.get();
}

void RecordChecker::Unpin(std::uint64_t seq) {
  PrepareBatch** b = on_batch_.Find(seq);
  if (b == nullptr) return;
  --(*b)->live;
  on_batch_.Erase(seq);
}

const RecordChecker::PreparedRecord* RecordChecker::WaitPrepared(std::uint64_t seq) {
  Prepared** found = prepared_.Find(seq);
  if (found == nullptr) return nullptr;
  Prepared* e = *found;
  int queued = 0;
  if (e->state.compare_exchange_strong(queued, 1, std::memory_order_acq_rel)) {
    e->r.Run(PrepareArena(*e->batch));  // no worker got to it: do not wait for one
    e->state.store(2, std::memory_order_release);
  } else {
    while (e->state.load(std::memory_order_acquire) != 2) std::this_thread::yield();
  }
  return &e->r;
}

bool RecordChecker::TakePrepared(std::uint64_t seq, PreparedRecord* out, PrepareBatch** batch) {
  const PreparedRecord* r = WaitPrepared(seq);
  if (r == nullptr) return false;
  *out = *r;
  *batch = (*prepared_.Find(seq))->batch;
  --(*batch)->left;
  prepared_.Erase(seq);
  return true;
}

void RecordChecker::ReapBatches(std::vector<std::unique_ptr<google::protobuf::Arena>>* retired) {
  // A batch goes once its work is done and its records are all taken --
  // or, if some were read ahead in vain, once a few newer batches exist --
  // and (kStream) none of its events is in use any more.
  constexpr std::size_t kKeep = 8;
  std::size_t newer = batches_.size();
  for (auto it = batches_.begin(); it != batches_.end();) {
    PrepareBatch& b = *it;
    --newer;
    auto* range = static_cast<ThreadPool::Range*>(b.range.get());
    if (!range->finished() || (b.left > 0 && newer < kKeep) || b.live > 0) {
      ++it;
      continue;
    }
    for (std::size_t i = 0; i < b.size; ++i) {
      Prepared** p = prepared_.Find(b.entries[i].r.seq);
      if (p != nullptr && *p == &b.entries[i]) prepared_.Erase(b.entries[i].r.seq);
    }
    if (b.arena != nullptr) retired->push_back(std::move(b.arena));
    it = batches_.erase(it);
  }
}

void RecordChecker::SetPrefetchPool(ThreadPool* pool) {
  if (prefetch_pool_ != nullptr && pool != prefetch_pool_) WaitBatches();
  prefetch_pool_ = pool;
}

void RecordChecker::WaitBatches() {
  for (auto it = batches_.begin(); it != batches_.end();) {
    auto* range = static_cast<ThreadPool::Range*>(it->range.get());
    if (!range->finished()) prefetch_pool_->Wait(*range);
    // kStream: events of records still cached stay with their arena.
    it = it->live > 0 ? std::next(it) : batches_.erase(it);
  }
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
