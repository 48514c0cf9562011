#include "verify/record_checker.h"

#include <thread>

#include "model/proto_convert.h"
#include "model/record.h"
#include "util/status_macros.h"
#include "util/thread_pool.h"

namespace retrace::internal {

void RecordChecker::Add(const char* code, std::uint64_t seq, std::string lot, std::string message) {
  findings_->push_back(Finding{code, seq, std::move(lot), std::move(message)});
}

namespace {
// Records a walk checks again and again (the authority records every
// record rests on): kept until the checker goes.
bool KeptEvent(const v1::Event& ev) { return IsAuthorityEvent(ev); }
}  // namespace

CheckedRecord* RecordChecker::NewRecord(std::uint64_t seq) {
  CheckedRecord* c;
  if (free_slots_.empty()) {
    c = &slots_.emplace_back();
  } else {
    c = free_slots_.back();
    free_slots_.pop_back();
    std::string owned = std::move(c->owned_bytes);
    owned.clear();
    std::unique_ptr<v1::Event> event = std::move(c->heap_event);
    *c = CheckedRecord();
    c->owned_bytes = std::move(owned);  // keeps its capacity
    c->heap_event = std::move(event);   // parsing clears it, keeping capacity
  }
  c->seq = seq;
  return c;
}

v1::Event* RecordChecker::NewEvent(CheckedRecord* c) {
  if (mode_ == Mode::kStream) {
    if (c->heap_event == nullptr) c->heap_event = std::make_unique<v1::Event>();
    return c->heap_event.get();
  }
  ++live_on_arena_;
  return google::protobuf::Arena::CreateMessage<v1::Event>(WorkingArena());
}

void RecordChecker::Keep(CheckedRecord* c) {
  if (mode_ == Mode::kStream) return;  // the slot's own event stays with it
  v1::Event* kept = google::protobuf::Arena::CreateMessage<v1::Event>(&keep_arena_);
  kept->CopyFrom(*c->event_);
  c->event_ = kept;
  --live_on_arena_;
}

void RecordChecker::Release(std::uint64_t seq) {
  CheckedRecord** found = cache_.Find(seq);
  if (found == nullptr) return;
  CheckedRecord* c = *found;
  if (c->parsed && KeptEvent(c->event())) return;
  last_hash_ = std::make_pair(seq, c->record.hash);
  if (mode_ == Mode::kRetain && c->event_ != &v1::Event::default_instance()) --live_on_arena_;
  cache_.Erase(seq);
  free_slots_.push_back(c);
  // Nothing on the arena is referenced any more: start a new one rather
  // than let a streaming audit grow it with every record.
  constexpr std::size_t kArenaBytes = 4 << 20;
  if (live_on_arena_ == 0 && batches_.empty() && arena_ != nullptr &&
      arena_->SpaceAllocated() > kArenaBytes) {
    arena_.reset();
  }
}

google::protobuf::Arena* RecordChecker::WorkingArena() {
  if (arena_ == nullptr) {
    google::protobuf::ArenaOptions o;
    o.start_block_size = 64 << 10;
    o.max_block_size = 1 << 20;
    arena_ = std::make_unique<google::protobuf::Arena>(o);
  }
  return arena_.get();
}

RecordChecker::~RecordChecker() { WaitBatches(); }

void RecordChecker::PreparedRecord::Run(google::protobuf::Arena* arena) {
  view.hash = RecordHash(bytes);  // the link check of seq + 1 wants it parsed or not
  const Hash hash = view.hash;
  parsed = ParseRecordView(bytes, &view);
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

const Verifier* RecordChecker::VerifierFor(const PublicKey& key) {
  const KeyCache::Entry* e = keys_->Get(key.der());
  return e == nullptr ? nullptr : e->verifier.get();
}

std::vector<SignatureJob> RecordChecker::TakeSignatureJobs() {
  std::vector<SignatureJob> out;
  out.swap(jobs_);
  return out;
}

void RecordChecker::FinishSignatureJobs(const std::vector<SignatureJob>& jobs) {
  for (const SignatureJob& j : jobs) {
    ++signatures_checked_;
    if (j.ok) continue;
    failed_signatures_.insert(j.seq);
    Add(finding::kSignatureInvalid, j.seq, "",
        "the signature on record " + std::to_string(j.seq) + " by " + j.actor_id +
            " does not verify: the event was altered or not signed by its actor");
    if (CheckedRecord** c = cache_.Find(j.seq)) {
      (*c)->signature_ok = false;
      (*c)->authorized = false;
    }
  }
}

void RecordChecker::VerifySignatures(ThreadPool& pool) {
  std::vector<SignatureJob> jobs = TakeSignatureJobs();
  pool.ParallelFor(jobs.size(), [&jobs](std::size_t i) { jobs[i].Run(); });
  FinishSignatureJobs(jobs);
}

bool BatchRootCheck::Covers(const std::string& message) {
  std::unique_lock<std::mutex> lock(mu_);
  // An honest batch has one root. Records that claim one signature for many
  // roots (a forged ledger) are verified each, without growing the memo.
  constexpr std::size_t kMaxRoots = 64;
  if (messages_.size() >= kMaxRoots && messages_.count(message) == 0) {
    lock.unlock();
    return verifier_->Verify(message, signature_).ok();
  }
  // Not a structured binding: Clang 14 cannot capture one in the lambda.
  const auto inserted = messages_.emplace(message, State::kVerifying);
  const auto it = inserted.first;
  if (!inserted.second) {
    done_.wait(lock, [&] { return it->second != State::kVerifying; });
    return it->second == State::kValid;
  }
  lock.unlock();
  const bool ok = verifier_->Verify(message, signature_).ok();
  lock.lock();
  it->second = ok ? State::kValid : State::kInvalid;  // map nodes do not move
  done_.notify_all();
  return ok;
}

void SignatureJob::Run() {
  if (root_check == nullptr) {
    ok = verifier->Verify(message, signature).ok();
    return;
  }
  // A malformed path (wrong length for the index and size) cannot be
  // hashed up to any root: the check fails.
  Result<std::string> input = SignatureInputOf(message, batch);
  ok = input.ok() && root_check->Covers(*input);
}

bool RecordChecker::PrepareSignatureCheck(const CheckedRecord& c, const Verifier* v,
                                          SignatureJob* job) {
  const RecordView& r = c.record;
  job->seq = c.seq;
  job->verifier = v;
  job->actor_id = c.event().actor_id();
  if (r.batch_size == 0) {
    // The ledger refuses to append such a record (SignatureInputOf); one in
    // the file was put there below the API. The extra fields are outside
    // the signature, so they would let record bytes change without it.
    if (r.batch_index != 0 || r.batch_path_size != 0) {
      Add(finding::kSignatureInvalid, c.seq, "",
          "record " + std::to_string(c.seq) +
              " has a single signature but carries a batch index or path");
      return false;
    }
    job->message = EventSigningInput(r.event_bytes);
    job->signature = std::string(r.signature);
    return true;
  }
  if (r.batch_size > kMaxEventBatchSize || r.batch_index >= r.batch_size) {
    Add(finding::kSignatureInvalid, c.seq, "",
        "record " + std::to_string(c.seq) + " carries a malformed batch signature (leaf " +
            std::to_string(r.batch_index) + " of a batch of " + std::to_string(r.batch_size) + ")");
    return false;
  }
  // A checker meets a few thousand batches in a large audit; past the bound
  // it starts afresh rather than grow with the ledger.
  constexpr std::size_t kMaxBatchChecks = 16384;
  if (batch_checks_.size() >= kMaxBatchChecks) batch_checks_.clear();
  std::string id(r.key_id);
  id.push_back('\0');
  id.append(std::to_string(r.batch_size));
  id.push_back('\0');
  id.append(r.signature);
  std::shared_ptr<BatchRootCheck>& shared = batch_checks_[std::move(id)];
  if (shared == nullptr) shared = std::make_shared<BatchRootCheck>(v, std::string(r.signature));
  job->root_check = shared;
  job->message = std::string(r.event_bytes);
  job->batch = BatchInclusionOf(r);
  return true;
}

namespace {
// Records whose validity no other record's check depends on: their
// signatures can be checked later, in parallel.
bool CustodyEvent(const v1::Event& ev) {
  return ev.has_extracted() || ev.has_shipped() || ev.has_received() || ev.has_transformed() ||
         ev.has_exported() || ev.has_recycled() || ev.has_imported();
}
}  // namespace

Status RecordChecker::CheckDependencies(std::uint64_t seq, std::string_view key_id,
                                        std::string_view actor_id) {
  for (std::uint64_t k : book_->KeyRecords(key_id)) {
    if (k != seq) RETURN_IF_ERROR(Check(k).status());
  }
  if (auto a = book_->ActorRecord(actor_id); a && *a != seq) RETURN_IF_ERROR(Check(*a).status());
  if (auto p = book_->PolicyRecordBefore(seq)) RETURN_IF_ERROR(Check(*p).status());
  return Status::Ok();
}

void RecordChecker::CheckSignature(CheckedRecord* c, const PublicKey& key) {
  const v1::Event& ev = c->event();
  const Verifier* v = check_signatures_ ? VerifierFor(key) : nullptr;
  SignatureJob job;
  if (!check_signatures_) {
    c->signature_ok = true;  // integrity only: taken as signed, not counted
  } else if (v != nullptr && !PrepareSignatureCheck(*c, v, &job)) {
    ++signatures_checked_;  // malformed batch fields: reported
  } else if (v != nullptr && CustodyEvent(ev)) {
    jobs_.push_back(std::move(job));
    c->signature_ok = true;  // until its job says otherwise
  } else if (++signatures_checked_, v == nullptr || (job.Run(), !job.ok)) {
    Add(finding::kSignatureInvalid, c->seq, "",
        "the signature on record " + std::to_string(c->seq) + " by " + ev.actor_id() +
            " does not verify: the event was altered or not signed by its actor");
  } else {
    c->signature_ok = true;
  }
}

Result<const CheckedRecord*> RecordChecker::Check(std::uint64_t seq, std::string_view bytes) {
  provided_ = std::make_pair(seq, bytes);
  auto r = Check(seq);
  provided_.reset();  // unused if `seq` was cached
  return r;
}

Result<const CheckedRecord*> RecordChecker::Check(std::uint64_t seq) {
  if (CheckedRecord** c = cache_.Find(seq)) return static_cast<const CheckedRecord*>(*c);
  return CheckUncached(seq);
}

Result<const CheckedRecord*> RecordChecker::CheckUncached(std::uint64_t seq) {
  CheckedRecord* c = NewRecord(seq);
  cache_.Insert(seq, c);
  ++records_checked_;
  const std::string s = std::to_string(seq);

  std::optional<std::string_view> bytes;
  // Prepared on the pool: the same bytes, parsed and hashed already.
  PreparedRecord taken;
  const PreparedRecord* prepared = nullptr;
  if (prefetch_pool_ != nullptr && !(provided_ && provided_->first == seq)) {
    RETURN_IF_ERROR(ReadAhead(seq));
    if (TakePrepared(seq, &taken)) prepared = &taken;
  }
  if (prepared != nullptr) {
    bytes = prepared->bytes;
  } else if (provided_ && provided_->first == seq) {
    bytes = provided_->second;  // the caller's cursor already holds them
  } else if (store_.LendsRecords()) {
    ASSIGN_OR_RETURN(bytes, store_.RecordBytesView(seq));
  } else {
    ASSIGN_OR_RETURN(auto owned, store_.RecordBytes(seq));
    if (owned) {
      c->owned_bytes = std::move(*owned);
      bytes = c->owned_bytes;
    }
  }
  provided_.reset();
  if (!bytes) {
    Add(finding::kRecordUnreadable, seq, "", "record " + s + " is missing from the log");
    return static_cast<const CheckedRecord*>(c);
  }
  RecordView view;
  Status parsed = Status::Ok();
  if (prepared != nullptr) {
    view = prepared->view;
    parsed = prepared->parsed;
  } else {
    parsed = ParseRecordView(*bytes, &view);
  }
  if (!parsed.ok()) {
    Add(finding::kRecordUnreadable, seq, "", "record " + s + " is damaged: " + parsed.message());
    return static_cast<const CheckedRecord*>(c);
  }
  // Hashed once: a backward walk hashed it already to check seq + 1's link.
  if (const Hash* h = link_hashes_.Find(seq)) {
    view.hash = *h;
    link_hashes_.Erase(seq);
  } else if (prepared == nullptr) {
    view.hash = RecordHash(view.stored);
  }
  c->record = view;
  if (c->record.seq != seq) {
    Add(finding::kSequenceMismatch, seq, "",
        "the record stored at position " + s + " says it is record " + std::to_string(c->record.seq) +
            ": records were moved or replayed");
  }
  // The tree committed to this record's hash when it was appended.
  ASSIGN_OR_RETURN(auto leaf, store_.CommittedLeaf(seq));
  if (!leaf) {
    Add(finding::kIndexInconsistent, seq, "", "the Merkle tree holds no leaf for record " + s);
  } else if (*leaf != c->record.hash) {
    Add(finding::kIndexInconsistent, seq, "",
        "record " + s + " differs from the record the Merkle tree committed to: it was rewritten");
  }
  // Chain link: this record must name the hash of the stored record before it.
  Hash expected_prev{};
  bool have_prev = true;
  if (seq > 0) {
    CheckedRecord* const* before = cache_.Find(seq - 1);
    if (before != nullptr && !(*before)->record.stored.empty()) {
      expected_prev = (*before)->record.hash;
    } else if (last_hash_ && last_hash_->first == seq - 1) {
      expected_prev = last_hash_->second;
    } else if (const Hash* lh = link_hashes_.Find(seq - 1)) {
      expected_prev = *lh;
    } else if (const PreparedRecord* p = WaitPrepared(seq - 1)) {
      expected_prev = p->view.hash;  // hashed on the pool (a walk going backwards)
    } else {
      std::optional<std::string_view> prev;
      std::optional<std::string> prev_owned;
      if (store_.LendsRecords()) {
        ASSIGN_OR_RETURN(prev, store_.RecordBytesView(seq - 1));
      } else {
        ASSIGN_OR_RETURN(prev_owned, store_.RecordBytes(seq - 1));
        if (prev_owned) prev = *prev_owned;
      }
      if (prev) {
        expected_prev = RecordHash(*prev);
        link_hashes_.Insert(seq - 1, expected_prev);
      } else {
        have_prev = false;
      }
    }
  }
  if (have_prev && c->record.prev_hash != expected_prev) {
    Add(finding::kChainLinkBroken, seq, "",
        "record " + s + " does not link to the record before it: the log was rewritten, "
        "reordered or truncated here");
  }

  v1::Event* event = nullptr;
  bool event_parsed = false;
  if (prepared != nullptr) {
    event = prepared->event;  // on arena_, as NewEvent would have put it
    ++live_on_arena_;
    event_parsed = prepared->event_parsed;
  } else {
    event = NewEvent(c);
    event_parsed = ParseEventBytes(c->record.event_bytes, event).ok();
  }
  c->event_ = event;
  if (!event_parsed) {
    Add(finding::kEventMalformed, seq, "", "the event in record " + s + " does not parse");
    return static_cast<const CheckedRecord*>(c);
  }
  Status valid = prepared != nullptr ? prepared->valid : ValidateEventProto(*event);
  if (!valid.ok()) {
    // Structurally broken events are reported, not replayed: the custody
    // rules assume the shape ValidateEventProto guarantees.
    Add(finding::kEventMalformed, seq, "", "the event in record " + s + " is malformed: " + valid.message());
    return static_cast<const CheckedRecord*>(c);
  }
  if (KeptEvent(*event)) Keep(c);
  c->parsed = true;
  const auto& ev = c->event();
  c->policy = &Policy::Default();

  if (seq == 0 && !ev.has_genesis()) {
    Add(finding::kGenesisInvalid, seq, "", "record 0 is not a genesis record");
  }
  const std::string& ledger_id = book_->ledger_id();
  if (!ledger_id.empty() && ev.ledger_id() != ledger_id) {
    Add(finding::kLedgerMismatch, seq, "",
        "record " + s + " was signed for another ledger and replayed into this one");
  }
  c->policy = &book_->PolicyAt(seq);
  if (const ActorEntry* a = book_->ActorAt(ev.actor_id(), seq)) c->signer_role = a->role;

  if (IsAuthorityEvent(ev)) {
    // The book judged it, signature included, from these very bytes.
    const AuthorityVerdict* verdict = book_->Verdict(seq);
    if (verdict == nullptr) {
      Add(finding::kIndexInconsistent, seq, "",
          "record " + s + " is an authority record, but the authority index does not list it");
    } else {
      if (check_signatures_) ++signatures_checked_;
      for (const Violation& v : verdict->violations) Add(v.code, seq, v.lot_id, v.message);
      c->signature_ok = c->authorized = verdict->valid;
    }
    if (ev.has_genesis()) {
      c->signer_role = Role::kRegulator;
      return static_cast<const CheckedRecord*>(c);
    }
    RETURN_IF_ERROR(CheckDependencies(seq, c->record.key_id, ev.actor_id()));
    return static_cast<const CheckedRecord*>(c);
  }

  // A custody record: its signer as the book says it stood at this position.
  Violations vs;
  const KeyEntry* key = book_->SignerAt(c->record.key_id, ev.actor_id(), seq, &vs);
  for (auto& v : vs) Add(v.code, seq, v.lot_id, v.message);
  if (key != nullptr && key->key) {
    CheckSignature(c, *key->key);
    vs.clear();
    CheckRole(ev, c->signer_role, *c->policy, &vs);
    c->authorized = c->signature_ok && vs.empty();
    for (auto& v : vs) Add(v.code, seq, v.lot_id, v.message);
  }
  RETURN_IF_ERROR(CheckDependencies(seq, c->record.key_id, ev.actor_id()));
  return static_cast<const CheckedRecord*>(c);
}

}  // namespace retrace::internal
