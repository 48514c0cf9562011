// EventBatch: links events to records that are not appended yet by
// predicting those records exactly. A record's bytes are a deterministic
// function of (seq, prev_hash, event bytes, key id, signature) -- the same
// EncodeRecord the ledger uses when it appends -- so the hash computed here
// is the hash the ledger will store, provided the head has not moved.
#include "retrace/event_batch.h"

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "rules/rules.h"
#include "model/record.h"
#include "util/status_macros.h"

namespace retrace {

struct EventBatch::Impl {
  explicit Impl(Ledger& l) : ledger(l) {}
  Ledger& ledger;
  bool started = false;
  std::uint64_t base_seq = 0;   // the ledger head when the batch started
  Hash base_hash{};
  std::uint64_t next_seq = 0;
  Hash prev_hash{};
  std::map<std::string, Hash, std::less<>> heads;  // lot -> predicted head hash
  // Queued events by event id: what a reversal naming one of them by its
  // event id (an EPCIS error declaration) resolves to.
  struct Queued {
    std::uint64_t seq = 0;
    Hash hash{};
    std::vector<std::string> lots;
  };
  std::map<std::string, Queued, std::less<>> by_event_id;
  std::vector<SignedEvent> events;

  Status Start() {
    if (started) return Status::Ok();
    ASSIGN_OR_RETURN(LedgerInfo info, ledger.Info());
    base_seq = next_seq = info.size;
    base_hash = prev_hash = info.head_hash;
    started = true;
    return Status::Ok();
  }

  void Reset() {
    started = false;
    heads.clear();
    by_event_id.clear();
    events.clear();
  }

  void Queue(const Event& ev, SignedEvent se) {
    std::string stored = internal::EncodeRecord(next_seq, prev_hash, se);
    Hash h = internal::RecordHash(stored);
    std::vector<std::string> lots = internal::LotsMoved(ev);
    for (const std::string& lot : lots) heads[lot] = h;
    by_event_id[ev.event_id] = Queued{next_seq, h, std::move(lots)};
    prev_hash = h;
    ++next_seq;
    events.push_back(std::move(se));
  }
};

EventBatch::EventBatch(Ledger& ledger) : impl_(std::make_unique<Impl>(ledger)) {}
EventBatch::~EventBatch() = default;
EventBatch::EventBatch(EventBatch&&) noexcept = default;
EventBatch& EventBatch::operator=(EventBatch&&) noexcept = default;

Status EventBatch::Add(Event event, const Signer& signer) {
  RETURN_IF_ERROR(impl_->Start());
  if (auto* rv = std::get_if<Reversed>(&event.body);
      rv != nullptr && rv->seq == 0 && !rv->reversed_event_id.empty()) {
    // A reversal of an event queued here: its record is predicted.
    auto it = impl_->by_event_id.find(rv->reversed_event_id);
    if (it != impl_->by_event_id.end()) {
      rv->seq = it->second.seq;
      rv->record_hash = it->second.hash;
      if (rv->lot_ids.empty()) rv->lot_ids = it->second.lots;
      rv->reversed_event_id.clear();
    }
  }
  auto fill = [&](const std::string& lot, std::optional<Hash>* parent) {
    if (parent->has_value()) return;
    auto it = impl_->heads.find(lot);
    if (it != impl_->heads.end()) *parent = it->second;
  };
  internal::ForEachParent(&event, fill);
  RETURN_IF_ERROR(impl_->ledger.LinkParents(&event));
  ASSIGN_OR_RETURN(SignedEvent se, SignEvent(event, signer));
  impl_->Queue(event, std::move(se));
  return Status::Ok();
}

Status EventBatch::AddSigned(SignedEvent event) {
  ASSIGN_OR_RETURN(Event ev, DecodeEvent(event.event_bytes));
  RETURN_IF_ERROR(impl_->Start());
  impl_->Queue(ev, std::move(event));
  return Status::Ok();
}

std::size_t EventBatch::size() const noexcept { return impl_->events.size(); }

const std::vector<SignedEvent>& EventBatch::events() const noexcept { return impl_->events; }

Result<std::vector<AppendResult>> EventBatch::Check() const {
  if (impl_->events.empty()) return InvalidArgumentError("the batch holds no event");
  return impl_->ledger.CheckAppendBatch(impl_->events);
}

Result<std::vector<AppendResult>> EventBatch::Commit() {
  if (impl_->events.empty()) return InvalidArgumentError("the batch holds no event");
  std::vector<SignedEvent> events = std::move(impl_->events);
  impl_->Reset();
  return impl_->ledger.AppendBatch(events);
}

void EventBatch::Clear() noexcept { impl_->Reset(); }

void EventBatch::Truncate(std::size_t n) {
  if (n >= impl_->events.size()) return;
  if (n == 0) {
    impl_->Reset();
    return;
  }
  // Replay the kept events' predictions from the batch's base.
  std::vector<SignedEvent> keep(std::make_move_iterator(impl_->events.begin()),
                                std::make_move_iterator(impl_->events.begin() + n));
  impl_->events.clear();
  impl_->heads.clear();
  impl_->next_seq = impl_->base_seq;
  impl_->prev_hash = impl_->base_hash;
  for (SignedEvent& se : keep) {
    Result<Event> ev = DecodeEvent(se.event_bytes);  // decoded once already
    impl_->Queue(ev.ok() ? *ev : Event{}, std::move(se));
  }
}

}  // namespace retrace
