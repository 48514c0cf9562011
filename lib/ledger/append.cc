// AppendBatch: every event parsed, pre-checked and (where its key is known
// before the batch) signature-verified outside the write lock; then, in
// one write transaction, each judged by the rules -- the book of authority
// for who may state it, the custody, stage and regulatory rules for what it
// does -- and written, or the whole batch refused.
#include <set>
#include <unordered_map>

#include <deque>
#include <optional>

#include "ledger/foreign_store.h"
#include "ledger/ledger_impl.h"
#include "ledger/lot_history.h"
#include "ledger/quota_state.h"
#include "model/proto_convert.h"
#include "model/record.h"
#include "rules/quota_book.h"
#include "util/escape.h"
#include "util/hex.h"
#include "util/status_macros.h"

namespace retrace::internal {
namespace {

// The key a pending record's signature was verified under before the write,
// if it was and the book held that key then: the book need not verify it
// again (BookCache::With, WithAll).
const PublicKey* VerifiedUnder(const Authority& book, bool verified, std::string_view key_id) {
  const KeyEntry* signer = verified ? book.Key(key_id) : nullptr;
  return signer != nullptr && signer->key ? &*signer->key : nullptr;
}

// One signature verification of an append. Events signed in one batch share
// one: their signature, key and signed root are the same.
struct SignatureCheck {
  const Verifier* verifier = nullptr;
  const std::string* message = nullptr;
  const std::string* signature = nullptr;
  bool ok = false;
};

}  // namespace

const Verifier* LedgerImpl::VerifierOf(const KeyEntry& key) const {
  if (!key.key) return nullptr;
  const KeyCache::Entry* e = keys_.Get(key.key->der());
  return e == nullptr ? nullptr : e->verifier.get();
}

Status LedgerImpl::CheckWritable(bool stored) const {
  if (opts_.read_only) {
    return FailedPreconditionError("the ledger was opened read-only; nothing was appended");
  }
  if (static_info_.mirror && !stored) {
    return FailedPreconditionError("this ledger is a mirror of \"" + static_info_.name +
                                   "\": it takes records only from its source "
                                   "(Ledger::AppendStored, `retrace mirror`); nothing was appended");
  }
  return Status::Ok();
}

Status LedgerImpl::Precheck(std::size_t i, std::size_t n, const Authority* book, bool signed_here,
                            Pending* p) const {
  const SignedEvent& se = *p->signed_event;
  const std::string where = BatchPrefix(i, n);
  if (se.event_bytes.size() > opts_.max_event_bytes) {
    return InvalidArgumentError(where + "the event is " + std::to_string(se.event_bytes.size()) +
                                " bytes; the limit is " + std::to_string(opts_.max_event_bytes) +
                                " (Options::max_event_bytes); nothing was appended");
  }
  if (se.key_id.empty() || se.key_id.size() > kMaxKeyIdBytes) {
    return InvalidArgumentError(where + "the key id is empty or too long; nothing was appended");
  }
  if (se.signature.empty() || se.signature.size() > kMaxSignatureBytes) {
    return InvalidArgumentError(where + "the signature is empty or too long; nothing was appended");
  }
  Status st = ParseEventBytes(se.event_bytes, &p->event);
  if (st.ok()) st = ValidateEventProto(p->event);
  if (!st.ok()) return InvalidArgumentError(where + st.message() + "; nothing was appended");
  const auto& ev = p->event;
  if (ev.ledger_id() != ledger_id_raw_) {
    return InvalidArgumentError(where + "the event was made for ledger " + HexEncode(ev.ledger_id()) +
                                ", not this one (" + static_info_.ledger_id + "); nothing was appended");
  }
  if (ev.has_genesis()) {
    return InvalidArgumentError(where + "a genesis event can only be written by Ledger::Create");
  }
  Violations future;
  CheckEventTime(ev, Now().seconds, opts_.max_clock_skew_seconds, &future);
  if (!future.empty()) {
    return Status(RefusalCode(future[0].code),
                  where + "append refused (" + future[0].code + "): " + future[0].message +
                      " (Options::max_clock_skew_seconds); nothing was appended");
  }
  std::size_t lots = ExistingLotsTouched(ev).size() + LotsCreated(ev).size();
  if (lots > opts_.max_lots_per_event) {
    return InvalidArgumentError(where + "the event names " + std::to_string(lots) +
                                " lots; the limit is " + std::to_string(opts_.max_lots_per_event) +
                                " (Options::max_lots_per_event); nothing was appended");
  }
  if (signed_here) {
    p->signature_verified = true;
    return Status::Ok();
  }
  Result<std::string> message = SignatureInputOf(se.event_bytes, se.batch);
  if (!message.ok()) {
    return InvalidArgumentError(where + message.status().message() + "; nothing was appended");
  }
  p->message = std::move(*message);
  // The key, if the book of the snapshot knows it (a key's public key never
  // changes once registered): its signature is then verified outside the
  // writer lock. A key registered earlier in the same batch is verified
  // inside the write.
  if (book != nullptr) {
    if (const KeyEntry* k = book->Key(se.key_id)) p->verifier = VerifierOf(*k);
  }
  return Status::Ok();
}

std::size_t LedgerImpl::PrecheckAll(
    const std::vector<SignedEvent>& events, const Authority* book, bool signed_here,
    std::vector<Pending>* pending, std::vector<Status>* prechecks,
    const std::vector<std::optional<RegistryImportInput>>* imports) const {
  constexpr std::size_t kParallelPrecheck = 8;
  const std::size_t n = events.size();
  pending->assign(n, Pending());
  prechecks->assign(n, Status::Ok());
  for (std::size_t i = 0; i < n; ++i) (*pending)[i].signed_event = &events[i];
  auto check = [&](std::size_t i) {
    const bool import = imports != nullptr && (*imports)[i].has_value();
    (*prechecks)[i] = import ? PrecheckImport(i, n, *(*imports)[i], &(*pending)[i])
                             : Precheck(i, n, book, signed_here, &(*pending)[i]);
  };
  if (n < kParallelPrecheck || append_pool_->workers() == 0) {
    for (std::size_t i = 0; i < n; ++i) {
      check(i);
      if (!(*prechecks)[i].ok()) break;
    }
  } else {
    append_pool_->ParallelFor(n, check);
  }
  std::size_t first_bad = 0;
  while (first_bad < n && (*prechecks)[first_bad].ok()) ++first_bad;
  return first_bad;
}

Status LedgerImpl::VerifySignatures(std::vector<Pending>* pending, std::size_t count) const {
  std::vector<SignatureCheck> checks;
  checks.reserve(count);
  // Batch-signed events: one check per distinct (key, signed message,
  // signature). The signed message holds the batch root the event's path
  // leads to, so an event with a damaged path or index gets a check of its
  // own, which fails.
  std::unordered_map<std::string, std::size_t> batch_checks;
  for (std::size_t i = 0; i < count; ++i) {
    Pending& p = (*pending)[i];
    if (p.verifier == nullptr) continue;
    const SignedEvent& se = *p.signed_event;
    if (se.batch.size != 0) {
      std::string id = se.key_id;
      id.push_back('\0');
      id.append(p.message);
      id.append(se.signature);
      auto [it, fresh] = batch_checks.emplace(std::move(id), checks.size());
      p.check = it->second;
      if (!fresh) continue;
    } else {
      p.check = checks.size();
    }
    checks.push_back({p.verifier, &p.message, &se.signature, false});
  }
  auto run = [&](std::size_t c) {
    checks[c].ok = checks[c].verifier->Verify(*checks[c].message, *checks[c].signature).ok();
  };
  if (checks.size() < 2 || append_pool_->workers() == 0) {
    for (std::size_t c = 0; c < checks.size(); ++c) run(c);
  } else {
    append_pool_->ParallelFor(checks.size(), run);
  }
  for (std::size_t i = 0; i < count; ++i) {
    Pending& p = (*pending)[i];
    if (p.verifier == nullptr) continue;
    if (!checks[p.check].ok) {
      const SignedEvent& se = *p.signed_event;
      return VerificationFailedError(
          BatchPrefix(i, pending->size()) +
          (se.batch.size != 0 ? "the batch signature does not verify under key " + se.key_id +
                                    " for this event's batch path"
                              : "the signature does not verify under key " + se.key_id) +
          "; nothing was appended");
    }
    p.signature_verified = true;
  }
  return Status::Ok();
}

Status LedgerImpl::ApplyAuthority(Txn& txn, const std::string& where, Pending& p,
                                  const std::string& stored, const Hash& hash, WriteContext* ctx) {
  const Tables& t = txn.tables();
  const v1::Event& ev = p.event;
  const SignedEvent& se = *p.signed_event;
  const std::uint64_t seq = ctx->head.size;
  auto refuse = [&](const Violation& v) {
    Status s = Refusal(v, ctx->base_size);
    return Status(s.code(), where + s.message());
  };
  std::optional<AuthorityRecord> candidate = ReadAuthorityRecord(seq, stored);
  if (!candidate) return InternalError(where + "an authority record the ledger made does not read back");
  // The book the log would hold with this record: the record is judged by
  // it, including what the record itself voids (a revocation that would
  // void the registration of its own signing key is void, so refused).
  const PublicKey* verified_under = VerifiedUnder(*ctx->book, p.signature_verified, se.key_id);
  std::shared_ptr<const Authority> book;
  if (ctx->run_book != nullptr && seq < ctx->run_end) {
    book = ctx->run_book;  // judged with the rest of its run (PrepareAuthorityRun)
  } else {
    ASSIGN_OR_RETURN(book, books_.With(txn, std::move(*candidate), verified_under));
  }
  const AuthorityVerdict* verdict = book->Verdict(seq);
  if (verdict == nullptr) return InternalError(where + "the book lost the record it was given");
  if (!verdict->valid) {
    if (!verdict->violations.empty() &&
        verdict->violations.front().code == std::string_view(finding::kSignatureInvalid)) {
      return VerificationFailedError(where + "the signature does not verify under key " +
                                     se.key_id + "; nothing was appended");
    }
    return refuse(verdict->violations.empty()
                      ? Violation{finding::kEventMalformed, "", "the record is not valid"}
                      : verdict->violations.front());
  }
  ASSIGN_OR_RETURN(auto dup, txn.Get(t.event_ids, ev.event_id()));
  if (dup) {
    ASSIGN_OR_RETURN(const std::uint64_t owner, DecodeStoredU64(*dup, "event_ids", ev.event_id()));
    return refuse({finding::kDuplicateEventId, "",
                   "event id " + EscapeForDisplay(ev.event_id()) + " is already used by record " +
                       std::to_string(owner)});
  }
  const std::string seq_key = EncodeU64(seq);
  if (ev.has_quota_granted()) {
    const auto& g = ev.quota_granted();
    const std::string qk = QuotaKey(g.actor_id(), g.year(), static_cast<QuotaKind>(g.kind()));
    ASSIGN_OR_RETURN(QuotaTally q, ReadQuotaTally(txn, qk));
    ++q.entries;
    q.last_seq = seq;
    RETURN_IF_ERROR(txn.Put(t.quota_log, qk, seq_key));
    RETURN_IF_ERROR(txn.Put(t.quotas, qk, EncodeQuotaTally(q)));
  }
  RETURN_IF_ERROR(txn.Put(t.authority, seq_key, "", MDB_APPEND));
  RETURN_IF_ERROR(WriteRecord(txn, stored, hash, seq, ev, {}, &ctx->head));
  if (ev.has_key_revoked()) {
    // What counts against every quota may have changed: a use signed with
    // the key, or under a grant or policy the key signed, from its
    // effective position on.
    RETURN_IF_ERROR(RecomputeQuotaTallies(txn, *book));
  }
  ctx->book = std::move(book);
  ctx->authority_written = true;
  return Status::Ok();
}

Status LedgerImpl::ApplyCustody(Txn& txn, const std::string& where, Pending& p,
                                const std::string& stored, const Hash& hash, WriteContext* ctx,
                                AppendResult* out) {
  const Tables& t = txn.tables();
  const v1::Event& ev = p.event;
  const SignedEvent& se = *p.signed_event;
  const Authority& book = *ctx->book;
  const std::uint64_t seq = ctx->head.size;
  auto refuse = [&](const Violation& v) {
    Status s = Refusal(v, ctx->base_size);
    return Status(s.code(), where + s.message());
  };

  // The signer, as the book has it at this position.
  Violations vs;
  const KeyEntry* key = book.SignerAt(se.key_id, ev.actor_id(), seq, &vs);
  if (key == nullptr) return refuse(vs.front());
  if (!p.signature_verified) {
    const Verifier* v = VerifierOf(*key);
    if (v == nullptr || !v->Verify(p.message, se.signature).ok()) {
      return VerificationFailedError(where + "the signature does not verify under key " + se.key_id +
                                     "; nothing was appended");
    }
  }
  const ActorEntry* signer = book.ActorAt(ev.actor_id(), seq);
  if (signer == nullptr) {
    return refuse({finding::kUnknownActor, "", "actor " + EscapeForDisplay(ev.actor_id()) +
                                                   " is not registered"});
  }
  const Role role = signer->role;
  const Policy& policy = book.PolicyAt(seq);
  CheckRole(ev, role, policy, &vs);
  if (!vs.empty()) return refuse(vs.front());
  // A cross-ledger receipt: proven by the sender's bundle, judged and
  // stored here (docs/federation.md). A mirror copies its source's records,
  // which its source judged, and holds no bundles.
  if (ev.has_received() && ev.received().has_origin() && p.stored == nullptr) {
    RETURN_IF_ERROR(ApplyCrossLedgerProof(txn, where, p, book, seq));
  }

  ASSIGN_OR_RETURN(auto dup, txn.Get(t.event_ids, ev.event_id()));
  if (dup) {
    ASSIGN_OR_RETURN(const std::uint64_t owner, DecodeStoredU64(*dup, "event_ids", ev.event_id()));
    return refuse({finding::kDuplicateEventId, "",
                   "event id " + EscapeForDisplay(ev.event_id()) + " is already used by record " +
                       std::to_string(owner)});
  }

  // A reversal: the record it reverses, and its rules.
  std::optional<v1::Event> reversed;
  std::string reversed_key;  // its signing key (a copy: a write moves LMDB's pages)
  if (ev.has_reversed()) {
    const std::uint64_t r = ev.reversed().seq();
    Hash reversed_hash{};
    if (r < seq) {
      ASSIGN_OR_RETURN(auto rb, txn.Get(t.records, EncodeU64(r)));
      if (!rb) return CorruptionError(where + "record " + std::to_string(r) + " is missing");
      v1::Event rev;
      RecordView reversed_view;
      if (!ParseRecordView(*rb, &reversed_view).ok() ||
          !ParseEventBytes(reversed_view.event_bytes, &rev).ok()) {
        return CorruptionError(where + "record " + std::to_string(r) + " is damaged; run `retrace audit`");
      }
      reversed_hash = RecordHash(*rb);
      reversed_key = std::string(reversed_view.key_id);
      reversed = std::move(rev);
    }
    CheckReversal(ev, role, reversed ? &*reversed : nullptr, reversed_hash, &vs);
    if (!vs.empty()) return refuse(vs.front());
  }

  // Lots: existing ones advance, new ones are created.
  std::vector<std::string> touched = ExistingLotsTouched(ev);
  std::vector<const v1::Lot*> created = LotsCreated(ev);
  std::set<std::string> names;
  for (const auto& id : touched) {
    if (!names.insert(id).second) {
      return refuse({finding::kEventMalformed, id, "lot " + EscapeForDisplay(id) + " is listed twice"});
    }
  }
  for (const auto* l : created) {
    if (!names.insert(l->lot_id()).second) {
      return refuse({finding::kEventMalformed, l->lot_id(),
                     "lot " + EscapeForDisplay(l->lot_id()) +
                         " is listed twice (as input and output, or twice as output)"});
    }
    ASSIGN_OR_RETURN(auto exists, txn.Get(t.lots, l->lot_id()));
    if (exists) {
      return refuse({finding::kLotExists, l->lot_id(),
                     "lot " + EscapeForDisplay(l->lot_id()) + " already exists"});
    }
  }
  std::vector<LotView> before, after;
  std::deque<v1::Event> history;  // what a reversal's lots point into
  for (const auto& id : touched) {
    ASSIGN_OR_RETURN(auto lv, txn.Get(t.lots, id));
    if (!lv) return refuse({finding::kLotUnknown, id, "lot " + EscapeForDisplay(id) + " does not exist"});
    ASSIGN_OR_RETURN(LotView view, DecodeLotState(*lv, id));
    before.push_back(view);
    std::optional<Reversible> reversible;
    if (reversed) {
      ASSIGN_OR_RETURN(reversible, ReadReversible(txn, id, seq, &history));
    }
    ApplyToLot(ev, ev.actor_id(), seq, hash, &view, &vs, -1, reversible ? &*reversible : nullptr);
    after.push_back(std::move(view));
  }
  {
    std::vector<const LotView*> ins;
    for (const auto& b : before) ins.push_back(&b);
    if (ev.has_transformed()) {
      CheckTransformBalance(ev.transformed(), ins, seq, policy.TolerancePpm(role), &vs);
    }
    CheckStage(ev, role, policy, ins, &vs);
  }
  CheckConsignee(book, ev, seq, &vs);
  // Regulatory rules: licence and quota.
  CheckLicence(ev, signer->licence, &vs);
  if (auto use = QuotaUseAt(book, ev, seq)) {
    const std::string qk = QuotaKey(use->actor_id, use->year, use->kind);
    ASSIGN_OR_RETURN(QuotaTally q, ReadQuotaTally(txn, qk));
    // Its signer and role were checked above: the use counts unless its
    // actor is in the log only by a registration as a separator that is void.
    if (UseRoleCounts(book, ev, seq)) {
      CheckQuotaUse(*use, book.GrantAt(qk, seq), q.used,
                    created.empty() ? "" : created[0]->lot_id(), &vs);
      q.used += use->reo_g;
    }
    ++q.entries;
    q.last_seq = seq;
    RETURN_IF_ERROR(txn.Put(t.quotas, qk, EncodeQuotaTally(q)));
    RETURN_IF_ERROR(txn.Put(t.quota_log, qk, EncodeU64(seq)));
  }
  if (reversed) {
    // The reversed record's quota use, freed from here on: the reversal is
    // listed in that quota's log, and what counted no longer does.
    const std::uint64_t r = ev.reversed().seq();
    if (auto use = QuotaUseAt(book, *reversed, r)) {
      const std::string qk = QuotaKey(use->actor_id, use->year, use->kind);
      ASSIGN_OR_RETURN(QuotaTally q, ReadQuotaTally(txn, qk));
      if (UseCounts(book, *reversed, reversed_key, r)) {
        if (q.used < use->reo_g) {
          return CorruptionError(where + "the quota balance of " + EscapeForDisplay(use->actor_id) +
                                 " is below the use it would release; run `retrace audit`");
        }
        q.used -= use->reo_g;
      }
      ++q.entries;
      q.last_seq = seq;
      RETURN_IF_ERROR(txn.Put(t.quotas, qk, EncodeQuotaTally(q)));
      RETURN_IF_ERROR(txn.Put(t.quota_log, qk, EncodeU64(seq)));
    }
  }

  // Custody and mass violations always refuse; regulatory ones (quota,
  // licence) refuse unless the ledger records and flags them -- or the
  // record was stored by a source that did (a mirror).
  const bool flag = opts_.regulatory_violations == RegulatoryMode::kRecordAndFlag ||
                    p.stored != nullptr;
  for (const auto& v : vs) {
    if (!IsRegulatory(v.code) || !flag) return refuse(v);
  }

  for (const auto& v : after) RETURN_IF_ERROR(txn.Put(t.lots, v.lot_id, EncodeLotState(v)));
  std::vector<std::string> lot_names = touched;
  for (const auto* l : created) {
    LotView v = NewLot(*l, ev.actor_id(), seq, hash, ev.time().seconds());
    RETURN_IF_ERROR(txn.Put(t.lots, v.lot_id, EncodeLotState(v)));
    lot_names.push_back(l->lot_id());
  }
  RETURN_IF_ERROR(WriteRecord(txn, stored, hash, seq, ev, lot_names, &ctx->head));
  out->flagged.clear();
  for (const auto& v : vs) out->flagged.push_back(Finding{v.code, seq, v.lot_id, v.message});
  return Status::Ok();
}

std::string LedgerImpl::StoredOf(const Pending& p, std::uint64_t seq, const Hash& prev) const {
  return p.import != nullptr
             ? EncodeImportRecord(seq, prev, p.import->registry_record, p.import->proof)
             : EncodeRecord(seq, prev, *p.signed_event);
}

namespace {
bool IsAuthorityPending(const Pending& p) {
  return IsAuthorityEvent(p.event) || p.import != nullptr;
}
}  // namespace

Status LedgerImpl::PrepareAuthorityRun(Txn& txn, std::vector<Pending>* pending, std::size_t i,
                                       WriteContext* ctx) {
  const std::uint64_t seq = ctx->head.size;
  if (ctx->run_book != nullptr && seq < ctx->run_end) return Status::Ok();
  // A revocation may void records before it: it ends a run, and is judged
  // alone, after them.
  auto in_run = [](const Pending& p) {
    return IsAuthorityPending(p) && !p.event.has_key_revoked();
  };
  std::size_t j = i;
  while (j < pending->size() && in_run((*pending)[j])) ++j;
  if (j - i < 2) return Status::Ok();
  std::vector<AuthorityRecord> candidates;
  std::vector<const PublicKey*> verified_under;
  candidates.reserve(j - i);
  Hash prev = ctx->head.hash;
  for (std::size_t k = i; k < j; ++k) {
    const Pending& p = (*pending)[k];
    const std::uint64_t at = seq + (k - i);
    const std::string stored = StoredOf(p, at, prev);
    prev = RecordHash(stored);
    std::optional<AuthorityRecord> r = ReadAuthorityRecord(at, stored);
    if (!r) return Status::Ok();  // ApplyAuthority reports it, alone
    candidates.push_back(std::move(*r));
    verified_under.push_back(VerifiedUnder(*ctx->book, p.signature_verified, p.signed_event->key_id));
  }
  ASSIGN_OR_RETURN(ctx->run_book,
                   books_.WithAll(txn, std::move(candidates), verified_under));
  ctx->run_end = seq + (j - i);
  return Status::Ok();
}

Status LedgerImpl::ApplyOne(Txn& txn, std::size_t i, std::size_t n, Pending& p, WriteContext* ctx,
                            AppendResult* out) {
  const std::string where = BatchPrefix(i, n);
  const std::uint64_t seq = ctx->head.size;
  std::string stored = StoredOf(p, seq, ctx->head.hash);
  if (p.stored != nullptr && *p.stored != stored) {
    // The bytes given are not the record this ledger would store here:
    // another position, another predecessor, or not the canonical encoding.
    Result<Record> given = DecodeRecord(*p.stored);
    std::string why = "not in canonical form";
    if (given.ok() && given->seq != seq) {
      why = "it is record " + std::to_string(given->seq) + ", not the next record (" +
            std::to_string(seq) + ")";
    } else if (given.ok() && given->prev_hash != ctx->head.hash) {
      why = "it does not link to this ledger's record " + std::to_string(seq - 1) +
            " (the source's history differs: split view)";
    }
    return InvalidArgumentError(where + "the stored record is not the record this ledger would "
                                "store at " + std::to_string(seq) + ": " + why +
                                "; nothing was appended");
  }
  const Hash hash = RecordHash(stored);
  if (IsAuthorityPending(p)) {
    // An import is judged by the book whatever it carries (it refuses one
    // that is not an authority record).
    RETURN_IF_ERROR(ApplyAuthority(txn, where, p, stored, hash, ctx));
    out->flagged.clear();
  } else {
    RETURN_IF_ERROR(ApplyCustody(txn, where, p, stored, hash, ctx, out));
  }
  out->seq = seq;
  out->hash = hash;
  return Status::Ok();
}

Status LedgerImpl::ApplyCrossLedgerProof(Txn& txn, const std::string& where, const Pending& p,
                                         const Authority& book, std::uint64_t seq) {
  const auto& origin = p.event.received().origin();
  if (p.attachment == nullptr) {
    return FailedPreconditionError(
        where + "a cross-ledger receipt is appended only with the sender's lineage bundle "
                "(AppendCrossLedgerReceipt, `retrace receive --bundle`); nothing was appended");
  }
  const Hash sha = Sha256(p.attachment->bundle);
  if (HashBytes(sha) != origin.bundle_sha256()) {
    return VerificationFailedError(where + "the bundle given is not the one the receipt commits "
                                   "to (its SHA-256 is " + HexEncode(HashBytes(sha)) +
                                   "); nothing was appended");
  }
  Status judged = p.attachment->judge(txn, static_info_.name, p.event, book, seq);
  if (!judged.ok()) {
    return Status(judged.code(), where + "cross-ledger receipt refused: " + judged.message() +
                                     "; nothing was appended");
  }
  return PutForeignBundle(txn, sha, p.attachment->bundle);
}

Result<AppendResult> LedgerImpl::AppendWithAttachment(const SignedEvent& event,
                                                      const CrossLedgerAttachment& attachment) {
  RETURN_IF_ERROR(CheckWritable(false));
  std::shared_ptr<const Authority> book;
  RETURN_IF_ERROR(env_->Read([&](const Txn& txn) -> Status {
    ASSIGN_OR_RETURN(book, books_.Get(txn));
    return Status::Ok();
  }));
  const std::vector<SignedEvent> events{event};
  std::vector<Pending> pending;
  std::vector<Status> prechecks;
  const std::size_t first_bad = PrecheckAll(events, book.get(), false, &pending, &prechecks);
  RETURN_IF_ERROR(VerifySignatures(&pending, first_bad));
  if (first_bad < events.size()) return prechecks[first_bad];
  if (!pending[0].event.has_received() || !pending[0].event.received().has_origin()) {
    return InvalidArgumentError("not a cross-ledger receipt (a received event with an origin); "
                                "nothing was appended");
  }
  pending[0].attachment = &attachment;
  std::vector<AppendResult> results;
  RETURN_IF_ERROR(WriteBatch(&pending, nullptr, nullptr, &results));
  return results.front();
}

Result<SignedEvent> LedgerImpl::ImportedEvent(std::size_t i, std::size_t n,
                                              const RegistryImportInput& in) {
  const std::string where = BatchPrefix(i, n) + "registry record " +
                            std::to_string(in.proof.index());
  RecordView inner;
  Status st = ParseRecordView(in.registry_record, &inner);
  if (!st.ok()) return InvalidArgumentError(where + ": " + st.message() + "; nothing was appended");
  if (!inner.registry_record.empty()) {
    return InvalidArgumentError(where + " is itself an import record; nothing was appended");
  }
  return SignedEvent(std::string(inner.event_bytes), std::string(inner.key_id),
                     std::string(inner.signature), BatchInclusionOf(inner));
}

Status LedgerImpl::PrecheckImport(std::size_t i, std::size_t n, const RegistryImportInput& in,
                                  Pending* p) const {
  Status st = ParseEventBytes(p->signed_event->event_bytes, &p->event);
  if (st.ok()) st = ValidateEventProto(p->event);
  if (!st.ok()) {
    return InvalidArgumentError(BatchPrefix(i, n) + "the event of registry record " +
                                std::to_string(in.proof.index()) + ": " + st.message() +
                                "; nothing was appended");
  }
  // Who may state it is the book's judgment of the import as a whole.
  p->import = &in;
  return Status::Ok();
}

Result<std::vector<AppendResult>> LedgerImpl::AppendImports(
    const std::vector<RegistryImportInput>& in) {
  RETURN_IF_ERROR(CheckWritable(false));
  if (in.empty()) return InvalidArgumentError("no registry records; nothing was appended");
  const std::size_t n = in.size();
  std::vector<SignedEvent> events;
  events.reserve(n);
  std::vector<std::optional<RegistryImportInput>> imports(in.begin(), in.end());
  for (std::size_t i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN(SignedEvent inner, ImportedEvent(i, n, in[i]));
    events.push_back(std::move(inner));
  }
  std::vector<Pending> pending;
  std::vector<Status> prechecks;
  const std::size_t first_bad = PrecheckAll(events, nullptr, false, &pending, &prechecks, &imports);
  if (first_bad < n) return prechecks[first_bad];
  std::vector<AppendResult> results;
  RETURN_IF_ERROR(WriteBatch(&pending, nullptr, nullptr, &results));
  return results;
}

Result<std::shared_ptr<const Authority>> LedgerImpl::CurrentBook() const {
  std::shared_ptr<const Authority> book;
  RETURN_IF_ERROR(env_->Read([&](const Txn& txn) -> Status {
    ASSIGN_OR_RETURN(book, books_.Get(txn));
    return Status::Ok();
  }));
  return book;
}

Result<std::shared_ptr<const Authority>> LedgerBook(const Ledger& ledger) {
  const auto* impl = dynamic_cast<const LedgerImpl*>(&ledger);
  if (impl == nullptr) {
    return InvalidArgumentError("this Ledger was not opened by Ledger::Open or Ledger::Create");
  }
  return impl->CurrentBook();
}

Result<std::vector<AppendResult>> AppendRegistryImports(
    Ledger& ledger, const std::vector<RegistryImportInput>& imports) {
  auto* impl = dynamic_cast<LedgerImpl*>(&ledger);
  if (impl == nullptr) {
    return InvalidArgumentError("this Ledger was not opened by Ledger::Open or Ledger::Create");
  }
  return impl->AppendImports(imports);
}

Result<AppendResult> LedgerImpl::Append(const SignedEvent& event) {
  ASSIGN_OR_RETURN(auto results, AppendBatch({event}));
  return results.front();
}

Result<std::vector<AppendResult>> LedgerImpl::AppendBatch(const std::vector<SignedEvent>& events) {
  return AppendOrCheck(events, true);
}

Result<std::vector<AppendResult>> LedgerImpl::CheckAppendBatch(
    const std::vector<SignedEvent>& events) {
  return AppendOrCheck(events, false);
}

Result<std::vector<AppendResult>> LedgerImpl::AppendOrCheck(const std::vector<SignedEvent>& events,
                                                     bool commit) {
  RETURN_IF_ERROR(CheckWritable(false));
  if (events.empty()) return InvalidArgumentError("empty batch; nothing was appended");
  // Parse and verify every event before taking the write lock; in parallel
  // for a large batch. The first refusal in batch order is reported.
  std::shared_ptr<const Authority> book;
  RETURN_IF_ERROR(env_->Read([&](const Txn& txn) -> Status {
    ASSIGN_OR_RETURN(book, books_.Get(txn));
    return Status::Ok();
  }));
  std::vector<Pending> pending;
  std::vector<Status> prechecks;
  const std::size_t first_bad = PrecheckAll(events, book.get(), false, &pending, &prechecks);
  // A signature failure before the first malformed event is the first refusal.
  RETURN_IF_ERROR(VerifySignatures(&pending, first_bad));
  if (first_bad < events.size()) return prechecks[first_bad];
  std::vector<AppendResult> results;
  RETURN_IF_ERROR(WriteBatch(&pending, nullptr, nullptr, &results, commit));
  return results;
}

Result<std::vector<AppendResult>> LedgerImpl::AppendStored(const std::vector<std::string>& records) {
  RETURN_IF_ERROR(CheckWritable(true));
  if (records.empty()) return InvalidArgumentError("no records; nothing was appended");
  const std::size_t n = records.size();
  // A signed record gives its signed event; an import record (its source
  // is bound to a registry) gives the registry record it carries, which the
  // book judges with its proof as it judged it in the source.
  std::vector<SignedEvent> events;
  events.reserve(n);
  std::vector<std::optional<RegistryImportInput>> imports(n);
  for (std::size_t i = 0; i < n; ++i) {
    RecordView view;
    Status st = ParseRecordView(records[i], &view);
    if (!st.ok()) {
      return InvalidArgumentError(BatchPrefix(i, n) + st.message() + "; nothing was appended");
    }
    if (view.registry_record.empty()) {
      events.emplace_back(std::string(view.event_bytes), std::string(view.key_id),
                          std::string(view.signature), BatchInclusionOf(view));
      continue;
    }
    RegistryImportInput& in = imports[i].emplace();
    in.registry_record = std::string(view.registry_record);
    if (!in.proof.ParseFromArray(view.registry_proof.data(),
                                 static_cast<int>(view.registry_proof.size()))) {
      return InvalidArgumentError(BatchPrefix(i, n) + "the registry proof does not parse; "
                                  "nothing was appended");
    }
    ASSIGN_OR_RETURN(SignedEvent inner, ImportedEvent(i, n, in));
    events.push_back(std::move(inner));
  }
  std::shared_ptr<const Authority> book;
  RETURN_IF_ERROR(env_->Read([&](const Txn& txn) -> Status {
    ASSIGN_OR_RETURN(book, books_.Get(txn));
    return Status::Ok();
  }));
  std::vector<Pending> pending;
  std::vector<Status> prechecks;
  const std::size_t first_bad =
      PrecheckAll(events, book.get(), false, &pending, &prechecks, &imports);
  RETURN_IF_ERROR(VerifySignatures(&pending, first_bad));
  if (first_bad < n) return prechecks[first_bad];
  for (std::size_t i = 0; i < n; ++i) pending[i].stored = &records[i];
  std::vector<AppendResult> results;
  RETURN_IF_ERROR(WriteBatch(&pending, nullptr, nullptr, &results));
  return results;
}

Status LedgerImpl::WriteBatch(std::vector<Pending>* pending, const Head* expect_head, bool* moved,
                              std::vector<AppendResult>* results, bool commit) {
  WriteContext ctx;
  RETURN_IF_ERROR(env_->Write([&](Txn& txn) -> Status {
    ASSIGN_OR_RETURN(Head head, ReadHead(txn));
    if (expect_head != nullptr &&
        (head.size != expect_head->size || head.hash != expect_head->hash)) {
      *moved = true;
      return FailedPreconditionError("another writer appended while the batch was signed; "
                                     "nothing was appended");
    }
    return ApplyAll(txn, pending, results, &ctx);
  }, commit));
  if (commit) Committed(ctx);
  return Status::Ok();
}

void LedgerImpl::Committed(const WriteContext& ctx) {
  if (!ctx.authority_written) return;
  const std::vector<std::uint64_t>& seqs = ctx.book->seqs();
  books_.Publish(ctx.book, seqs.size(), seqs.empty() ? 0 : seqs.back());
}

Status LedgerImpl::ApplyAll(Txn& txn, std::vector<Pending>* pending,
                            std::vector<AppendResult>* results, WriteContext* ctx) {
  // Write may run this again (a full map grows and retries): start afresh.
  *ctx = WriteContext();
  results->assign(pending->size(), AppendResult{});
  ASSIGN_OR_RETURN(ctx->head, ReadHead(txn));
  ctx->base_size = ctx->head.size;
  ASSIGN_OR_RETURN(ctx->book, books_.Get(txn));
  for (std::size_t i = 0; i < pending->size(); ++i) {
    Status s = PrepareAuthorityRun(txn, pending, i, ctx);
    if (s.ok()) s = ApplyOne(txn, i, pending->size(), (*pending)[i], ctx, &(*results)[i]);
    if (!s.ok()) {
      if (i > 0 && s.code() != StatusCode::kResourceExhausted) {
        return Status(s.code(), s.message() + " (the whole batch was refused)");
      }
      return s;
    }
  }
  return Status::Ok();
}

}  // namespace retrace::internal
