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
  // kStream: the slot's own event stays with it; one read ahead is copied
  // off its batch's arena.
  if (mode_ == Mode::kStream && on_batch_.Find(c->seq) == nullptr) return;
  v1::Event* kept = google::protobuf::Arena::CreateMessage<v1::Event>(&keep_arena_);
  kept->CopyFrom(*c->event_);
  c->event_ = kept;
  if (mode_ == Mode::kRetain) {
    --live_on_arena_;
  } else {
    Unpin(c->seq);
  }
}

void RecordChecker::Release(std::uint64_t seq) {
  CheckedRecord** found = cache_.Find(seq);
  if (found == nullptr) return;
  CheckedRecord* c = *found;
  if (c->parsed && KeptEvent(c->event())) return;
  last_hash_ = std::make_pair(seq, c->record.hash);
  if (mode_ == Mode::kRetain && c->event_ != &v1::Event::default_instance()) --live_on_arena_;
  if (mode_ == Mode::kStream) Unpin(seq);
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

Status RecordChecker::CheckDependencies(std::uint64_t seq, std::string_view key_id,
                                        std::string_view actor_id) {
  for (std::uint64_t k : book_->KeyRecords(key_id)) {
    if (k != seq) RETURN_IF_ERROR(Check(k).status());
  }
  if (auto a = book_->ActorRecord(actor_id); a && *a != seq) RETURN_IF_ERROR(Check(*a).status());
  if (auto p = book_->PolicyRecordBefore(seq)) RETURN_IF_ERROR(Check(*p).status());
  return Status::Ok();
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
  PrepareBatch* batch = nullptr;
  if (prefetch_pool_ != nullptr) {
    // A scan reads ahead itself (PrefetchLent): in kStream, the records a
    // check looks up besides (an authority record, a lot's earlier record)
    // are read as with one thread, and no more.
    if (mode_ == Mode::kRetain) RETURN_IF_ERROR(ReadAhead(seq));
    if (TakePrepared(seq, &taken, &batch)) prepared = &taken;
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
    // An import record is checked as the registry record it carries
    // (docs/federation.md, "The registry"); its position, link and leaf
    // are its own.
    if (parsed.ok()) parsed = ResolveRegistryRecord(&view);
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
    event = prepared->event;  // on arena_ as NewEvent would have put it, or on the batch's
    if (mode_ == Mode::kRetain) {
      ++live_on_arena_;
    } else if (event != nullptr) {
      ++batch->live;
      on_batch_.Insert(seq, batch);
    }
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
  // An import's event is the registry's: the book checks its ledger id
  // against the binding.
  if (!ledger_id.empty() && !c->record.registry_import && ev.ledger_id() != ledger_id) {
    Add(finding::kLedgerMismatch, seq, "",
        "record " + s + " was signed for another ledger and replayed into this one");
  }
  c->policy = &book_->PolicyAt(seq);
  if (const ActorEntry* a = book_->ActorAt(ev.actor_id(), seq)) c->signer_role = a->role;

  if (IsAuthorityEvent(ev) || c->record.registry_import) {
    // The book judged it, signature included, from these very bytes (an
    // import: its proof too, and refused it unless it is an authority
    // record).
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
