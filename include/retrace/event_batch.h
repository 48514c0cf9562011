// EventBatch: custody events that depend on each other, linked, signed and
// appended in one transaction.
//
// Ledger::LinkParents fills a parent hash from the ledger's current state, so
// an event cannot link to a record that is not appended yet. An ERP posting a
// production order (consume two lots, create one) followed by the shipment
// of the new lot needs exactly that. EventBatch predicts the record each
// queued event will become -- its sequence number, previous hash and record
// hash are fixed by the bytes -- and links later events of the batch to it:
//
//   EventBatch batch(*ledger);
//   if (Status st = batch.Add(transform_event, smelter_signer); !st.ok()) return st;
//   if (Status st = batch.Add(ship_new_lot_event, smelter_signer); !st.ok()) return st;
//   Result<std::vector<AppendResult>> results = batch.Commit();  // both records, or neither
//
// The prediction assumes nobody else appends between the first Add and
// Commit. If someone does, Commit fails with kFailedPrecondition (a parent
// hash is stale), nothing is appended, and the batch is emptied: build it
// again (Add re-reads the head).
//
// Thread safety: an EventBatch is used by one thread at a time. Several
// batches (and other writers) may target one Ledger; LMDB serialises commits.
#ifndef RETRACE_EVENT_BATCH_H_
#define RETRACE_EVENT_BATCH_H_

#include <cstddef>
#include <memory>
#include <vector>

#include "retrace/event.h"
#include "retrace/export.h"
#include "retrace/ledger.h"
#include "retrace/signer.h"
#include "retrace/status.h"

namespace retrace {

class RETRACE_EXPORT EventBatch {
 public:
  // `ledger` must outlive the batch. Reads nothing yet.
  explicit EventBatch(Ledger& ledger);
  ~EventBatch();
  EventBatch(EventBatch&&) noexcept;
  EventBatch& operator=(EventBatch&&) noexcept;
  EventBatch(const EventBatch&) = delete;
  EventBatch& operator=(const EventBatch&) = delete;

  // Fills the ledger id (if empty) and every unset parent hash -- from the
  // latest event of this batch that moves the lot, else from the ledger --
  // signs the event with `signer` and queues it. Nothing is checked against
  // custody rules yet (Commit does that).
  // Errors (the batch is unchanged): kNotFound if a lot is in neither the
  // batch nor the ledger; kInvalidArgument if the event does not encode
  // (EncodeEvent names the field); kIoError / kCorruption reading the ledger.
  Status Add(Event event, const Signer& signer);

  // Queues an event signed elsewhere (an HSM, another process). Its parent
  // hashes are used as they are. kInvalidArgument if `event.event_bytes`
  // does not decode; the batch is then unchanged.
  Status AddSigned(SignedEvent event);

  // Number of queued events.
  std::size_t size() const noexcept;
  bool empty() const noexcept { return size() == 0; }

  // The queued events, in order, exactly as they will be appended.
  const std::vector<SignedEvent>& events() const noexcept;

  // Appends every queued event in one LMDB transaction (Ledger::AppendBatch)
  // and empties the batch, whether it succeeds or not. On success the
  // results are in queue order; on error nothing was appended and the error
  // is AppendBatch's, naming the index of the first event refused.
  // kInvalidArgument if the batch is empty.
  Result<std::vector<AppendResult>> Commit();

  // What Commit would do, without doing it (Ledger::CheckAppendBatch): every
  // queued event checked by every rule in one write transaction that is
  // then aborted. The batch keeps its events (a Commit may follow).
  // kInvalidArgument if the batch is empty; otherwise Commit's result.
  Result<std::vector<AppendResult>> Check() const;

  // Drops every queued event.
  void Clear() noexcept;

  // Drops the events queued after the first `n` (no-op if n >= size()), so
  // that a caller adding several events can undo a partial addition.
  void Truncate(std::size_t n);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace retrace

#endif  // RETRACE_EVENT_BATCH_H_
