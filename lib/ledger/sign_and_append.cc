// SignAndAppend and LinkParents: linking events to the records they follow
// -- records already in the ledger, or records of the same call not yet
// written, whose hashes are predicted exactly (retrace::EncodeRecord) --
// and signing the exact bytes that will be stored.
#include <set>
#include <unordered_map>

#include "ledger/ledger_impl.h"
#include "model/proto_convert.h"
#include "model/record.h"
#include "util/escape.h"
#include "util/status_macros.h"

namespace retrace::internal {
namespace {

// The lots record `seq` of the ledger created or moved: what a reversal of
// it names. kNotFound if there is no such record.
Result<std::vector<std::string>> LotsOfStoredRecord(const Txn& txn, std::uint64_t seq) {
  ASSIGN_OR_RETURN(auto bytes, txn.Get(txn.tables().records, EncodeU64(seq)));
  if (!bytes) return NotFoundError("record " + std::to_string(seq) + " is not in the ledger");
  RecordView view;
  v1::Event ev;
  if (!ParseRecordView(*bytes, &view).ok() || !ParseEventBytes(view.event_bytes, &ev).ok()) {
    return CorruptionError("record " + std::to_string(seq) + " is damaged; run `retrace audit`");
  }
  return LotsOfRecord(ev);
}

}  // namespace

Status LedgerImpl::SignRange(std::vector<std::string>* bytes, std::size_t start, std::size_t end,
                             const Signer& signer, const std::string& key_id, bool batch,
                             std::vector<SignedEvent>* out) const {
  if (start == end) return Status::Ok();
  if (batch) {
    std::vector<std::string> run(std::make_move_iterator(bytes->begin() + start),
                                 std::make_move_iterator(bytes->begin() + end));
    ASSIGN_OR_RETURN(std::vector<SignedEvent> signed_run,
                     SignEncodedEventBatch(std::move(run), signer));
    std::move(signed_run.begin(), signed_run.end(), out->begin() + start);
    return Status::Ok();
  }
  std::vector<Status> signed_ok(end - start);
  auto sign = [&](std::size_t k) {
    const std::size_t j = start + k;
    Result<std::string> sig = signer.Sign(EventSigningInput((*bytes)[j]));
    if (!sig.ok()) {
      signed_ok[k] = sig.status();
      return;
    }
    (*out)[j] = SignedEvent(std::move((*bytes)[j]), key_id, std::move(*sig));
  };
  constexpr std::size_t kParallelSign = 8;
  if (end - start < kParallelSign || append_pool_->workers() == 0) {
    for (std::size_t k = 0; k < end - start; ++k) sign(k);
  } else {
    append_pool_->ParallelFor(end - start, sign);
  }
  for (std::size_t k = 0; k < end - start; ++k) {
    if (!signed_ok[k].ok()) {
      return Status(signed_ok[k].code(),
                    BatchPrefix(start + k, out->size()) + signed_ok[k].message() + "; nothing was appended");
    }
  }
  return Status::Ok();
}

Status LedgerImpl::LinkAndSign(const std::vector<Event>& input, const Signer& signer,
                               const SignAndAppendOptions& options, const TxnRunner& read,
                               SignedBatch* out) const {
  const std::size_t n = input.size();
  const std::string key_id = signer.public_key().KeyId();
  std::vector<Event> events = input;
  std::vector<std::string> bytes(n);
  out->events.assign(n, SignedEvent());
  out->links_inside = false;
  // Events are linked and encoded in runs that end where an event names a
  // lot moved by an earlier event of the same run: that event's parent is
  // the earlier one's record hash, known only once it is signed. Each run is
  // signed outside any transaction; its record hashes are then predicted
  // from the head read first (the bytes fix them: lib/ledger/event_batch.cc).
  std::unordered_map<std::string, Hash> heads;  // lot -> predicted head, from signed runs
  std::set<std::string> open;                   // lots moved by the run being linked
  std::uint64_t seq = 0;
  Hash prev{};
  std::string actor;
  std::size_t start = 0;
  bool first_read = true;
  while (start < n) {
    std::size_t end = start;
    RETURN_IF_ERROR(read([&](const Txn& txn) -> Status {
      if (first_read) {
        ASSIGN_OR_RETURN(out->base, ReadHead(txn));
        seq = out->base.size;
        prev = out->base.hash;
        // The signer's key, checked now so that a refusal costs no signing.
        // ApplyOne checks it again, at each record's position, under the
        // write lock.
        ASSIGN_OR_RETURN(std::shared_ptr<const Authority> book, books_.Get(txn));
        const KeyEntry* k = book->Key(key_id);
        if (k == nullptr) {
          return Refusal({finding::kUnknownKey, "", "the signer's key " + key_id + " is not registered"},
                         out->base.size);
        }
        actor = k->actor_id;
        first_read = false;
      }
      for (; end < n; ++end) {
        Event& ev = events[end];
        const std::string where = BatchPrefix(end, n);
        if (ev.actor_id != actor) {
          Status s = Refusal({finding::kKeyActorMismatch, "",
                              "the event is stated by " + ev.actor_id + " but the signer's key " +
                                  key_id + " belongs to " + actor},
                             out->base.size);
          return Status(s.code(), where + s.message());
        }
        if (auto* rv = std::get_if<Reversed>(&ev.body); rv != nullptr && rv->lot_ids.empty()) {
          // The lots of the reversed record: an earlier event of the call's,
          // or the ledger's.
          if (rv->seq >= out->base.size && rv->seq - out->base.size < end) {
            rv->lot_ids = LotsMoved(events[rv->seq - out->base.size]);
          } else {
            Result<std::vector<std::string>> lots = LotsOfStoredRecord(txn, rv->seq);
            if (!lots.ok()) {
              return Status(lots.status().code(),
                            where + "the reversal: " + lots.status().message() +
                                "; nothing was appended");
            }
            rv->lot_ids = std::move(*lots);
          }
        }
        bool depends = false;
        ForEachParent(&ev, [&](const std::string& lot, std::optional<Hash>* parent) {
          if (!parent->has_value() && open.count(lot) != 0) depends = true;
        });
        if (end > start && (depends || (options.batch_signature &&
                                        end - start == kMaxEventBatchSize))) {
          return Status::Ok();  // the run ends before this event
        }
        if (ev.ledger_id.empty()) ev.ledger_id = static_info_.ledger_id;
        Status linked;
        ForEachParent(&ev, [&](const std::string& lot, std::optional<Hash>* parent) {
          if (parent->has_value() || !linked.ok()) return;
          auto it = heads.find(lot);
          if (it != heads.end()) {
            *parent = it->second;
            out->links_inside = true;
            return;
          }
          Result<std::optional<std::string_view>> v = txn.Get(txn.tables().lots, lot);
          if (!v.ok()) {
            linked = v.status();
          } else if (!v->has_value()) {
            linked = NotFoundError(where + "lot " + EscapeForDisplay(lot) +
                                   " is neither in the ledger nor moved by " +
                                   "an earlier event of the batch; nothing was appended");
          } else {
            Result<LotView> view = DecodeLotState(**v, lot);
            if (view.ok()) {
              *parent = view->head_hash;
            } else {
              linked = view.status();
            }
          }
        });
        RETURN_IF_ERROR(linked);
        Result<std::string> encoded = EncodeEvent(ev);
        if (!encoded.ok()) {
          return InvalidArgumentError(where + encoded.status().message() + "; nothing was appended");
        }
        bytes[end] = std::move(*encoded);
        for (std::string& lot : LotsMoved(ev)) open.insert(std::move(lot));
      }
      return Status::Ok();
    }));
    RETURN_IF_ERROR(SignRange(&bytes, start, end, signer, key_id, options.batch_signature,
                              &out->events));
    if (end < n) {
      // Later events link to this run's records: predict their hashes.
      for (std::size_t j = start; j < end; ++j) {
        const Hash h = RecordHash(EncodeRecord(seq, prev, out->events[j]));
        for (std::string& lot : LotsMoved(events[j])) heads[std::move(lot)] = h;
        prev = h;
        ++seq;
      }
    }
    open.clear();
    start = end;
  }
  return Status::Ok();
}

Result<std::vector<AppendResult>> LedgerImpl::SignAndAppend(const std::vector<Event>& events,
                                                            const Signer& signer,
                                                            const SignAndAppendOptions& options) {
  RETURN_IF_ERROR(CheckWritable(false));
  if (events.empty()) return InvalidArgumentError("empty batch; nothing was appended");
  // Optimistic: link and sign against a read snapshot, outside the write
  // lock. Only links inside the call depend on the head staying where it
  // was (a parent read from the ledger that went stale is refused by the
  // rules, as for Append); if another writer moved it, try again, and the
  // last time link and sign under the write lock, which always gets through.
  constexpr int kOptimisticAttempts = 2;
  const TxnRunner read_snapshot = [&](const std::function<Status(const Txn&)>& fn) {
    return env_->Read(fn);
  };
  // Links and signs the events reading through `read`, then prechecks them:
  // the first refusal, or OK with *pending ready to apply.
  auto sign_and_precheck = [&](const TxnRunner& read, SignedBatch* batch,
                               std::vector<Pending>* pending) -> Status {
    RETURN_IF_ERROR(LinkAndSign(events, signer, options, read, batch));
    std::vector<Status> prechecks;
    const std::size_t first_bad = PrecheckAll(batch->events, nullptr, true, pending, &prechecks);
    return first_bad < events.size() ? prechecks[first_bad] : Status::Ok();
  };
  for (int attempt = 0; attempt < kOptimisticAttempts; ++attempt) {
    SignedBatch batch;
    std::vector<Pending> pending;
    RETURN_IF_ERROR(sign_and_precheck(read_snapshot, &batch, &pending));
    bool moved = false;
    std::vector<AppendResult> results;
    Status st = WriteBatch(&pending, batch.links_inside ? &batch.base : nullptr, &moved, &results);
    if (moved) continue;
    if (!st.ok()) return st;
    return results;
  }
  std::vector<AppendResult> results;
  WriteContext ctx;
  RETURN_IF_ERROR(env_->Write([&](Txn& txn) -> Status {
    const TxnRunner in_txn = [&](const std::function<Status(const Txn&)>& fn) { return fn(txn); };
    SignedBatch batch;
    std::vector<Pending> pending;
    RETURN_IF_ERROR(sign_and_precheck(in_txn, &batch, &pending));
    return ApplyAll(txn, &pending, &results, &ctx);
  }));
  Committed(ctx);
  return results;
}

Status LedgerImpl::LinkParents(Event* event) const {
  if (event->ledger_id.empty()) event->ledger_id = static_info_.ledger_id;
  return env_->Read([&](const Txn& txn) -> Status {
    auto fill = [&](const std::string& lot_id, std::optional<Hash>* parent) -> Status {
      if (parent->has_value()) return Status::Ok();
      ASSIGN_OR_RETURN(auto v, txn.Get(txn.tables().lots, lot_id));
      if (!v) return NotFoundError("lot " + EscapeForDisplay(lot_id) + " is not in the ledger");
      ASSIGN_OR_RETURN(LotView view, DecodeLotState(*v, lot_id));
      *parent = view.head_hash;
      return Status::Ok();
    };
    if (auto* s = std::get_if<Shipped>(&event->body)) return fill(s->lot_id, &s->parent_hash);
    if (auto* r = std::get_if<Received>(&event->body)) {
      if (r->origin) return Status::Ok();  // cross-ledger: no parent here
      return fill(r->lot_id, &r->parent_hash);
    }
    if (auto* x = std::get_if<Exported>(&event->body)) return fill(x->lot_id, &x->parent_hash);
    if (auto* tr = std::get_if<Transformed>(&event->body)) {
      for (auto& in : tr->inputs) RETURN_IF_ERROR(fill(in.lot_id, &in.parent_hash));
    }
    if (auto* rv = std::get_if<Reversed>(&event->body)) {
      if (rv->seq == 0 && !rv->reversed_event_id.empty()) {
        ASSIGN_OR_RETURN(auto at, txn.Get(txn.tables().event_ids, rv->reversed_event_id));
        if (!at) {
          return NotFoundError("the reversal names event " + EscapeForDisplay(rv->reversed_event_id) +
                               ", which is not in the ledger");
        }
        ASSIGN_OR_RETURN(rv->seq, DecodeStoredU64(*at, "event_ids", rv->reversed_event_id));
        rv->reversed_event_id.clear();
      }
      if (rv->lot_ids.empty()) {
        ASSIGN_OR_RETURN(rv->lot_ids, LotsOfStoredRecord(txn, rv->seq));
      }
      if (!rv->record_hash) {
        ASSIGN_OR_RETURN(auto bytes, txn.Get(txn.tables().records, EncodeU64(rv->seq)));
        if (!bytes) return NotFoundError("record " + std::to_string(rv->seq) + " is not in the ledger");
        rv->record_hash = RecordHash(*bytes);
      }
    }
    return Status::Ok();
  });
}

}  // namespace retrace::internal
