// The ledger's reads: records, lots, actors, quotas, the Merkle tree and
// checkpoints, and the entry points of verification and audit (each in one
// read transaction: one consistent snapshot).
#include <limits>

#include "ledger/audit.h"
#include "ledger/checkpoint_log.h"
#include "ledger/foreign_store.h"
#include "ledger/ledger_impl.h"
#include "ledger/quota_state.h"
#include "model/proto_convert.h"
#include "model/record.h"
#include "rules/quota_book.h"
#include "util/escape.h"
#include "util/status_macros.h"
#include "verify/lineage.h"

namespace retrace::internal {

Result<LedgerInfo> LedgerImpl::Info() const {
  LedgerInfo info = static_info_;
  RETURN_IF_ERROR(env_->Read([&](const Txn& txn) -> Status {
    ASSIGN_OR_RETURN(Head h, ReadHead(txn));
    info.size = h.size;
    info.head_hash = h.hash;
    return Status::Ok();
  }));
  return info;
}

Result<Record> LedgerImpl::ReadRecord(std::uint64_t seq) const {
  std::optional<Record> out;
  RETURN_IF_ERROR(env_->Read([&](const Txn& txn) -> Status {
    ASSIGN_OR_RETURN(auto v, txn.Get(txn.tables().records, EncodeU64(seq)));
    if (!v) return NotFoundError("record " + std::to_string(seq) + " does not exist");
    ASSIGN_OR_RETURN(Record r, DecodeRecord(*v));
    out = std::move(r);
    return Status::Ok();
  }));
  return std::move(*out);
}

Result<std::vector<Record>> LedgerImpl::LotRecords(std::string_view lot_id) const {
  std::vector<Record> out;
  RETURN_IF_ERROR(env_->Read([&](const Txn& txn) -> Status {
    TxnRecordStore store(txn, 0);
    ASSIGN_OR_RETURN(auto seqs, store.LotSeqs(lot_id));
    if (seqs.empty()) return NotFoundError("lot " + std::string(lot_id) + " is not in the ledger");
    for (auto s : seqs) {
      ASSIGN_OR_RETURN(auto v, txn.Get(txn.tables().records, EncodeU64(s)));
      if (!v) return CorruptionError("the lot index names record " + std::to_string(s) + ", which is missing");
      ASSIGN_OR_RETURN(Record r, DecodeRecord(*v));
      out.push_back(std::move(r));
    }
    return Status::Ok();
  }));
  return out;
}

Result<LotInfo> LedgerImpl::GetLot(std::string_view lot_id) const {
  LotInfo info;
  RETURN_IF_ERROR(env_->Read([&](const Txn& txn) -> Status {
    if (lot_id.empty() || lot_id.size() > kMaxTableKey) return NotFoundError("no such lot");
    ASSIGN_OR_RETURN(auto v, txn.Get(txn.tables().lots, lot_id));
    if (!v) return NotFoundError("lot " + std::string(lot_id) + " is not in the ledger");
    ASSIGN_OR_RETURN(LotView view, DecodeLotState(*v, lot_id));
    // The lot as created: from its creation record.
    ASSIGN_OR_RETURN(auto rb, txn.Get(txn.tables().records, EncodeU64(view.created_seq)));
    if (!rb) return CorruptionError("the creation record of lot " + std::string(lot_id) + " is missing");
    ASSIGN_OR_RETURN(Record rec, DecodeRecord(*rb));
    v1::Event ev;
    RETURN_IF_ERROR(ParseEventBytes(rec.event_bytes, &ev));
    for (const auto* l : LotsCreated(ev)) {
      if (l->lot_id() == lot_id) info.lot = LotFromProto(*l);
    }
    info.remaining_g = view.remaining_g;
    info.custodian = view.custodian;
    info.in_transit_to = view.in_transit_to;
    info.status = LotStatusName(view.status);
    info.created_seq = view.created_seq;
    info.head_seq = view.head_seq;
    info.head_hash = view.head_hash;
    return Status::Ok();
  }));
  return info;
}

Result<ActorInfo> LedgerImpl::GetActor(std::string_view actor_id) const {
  ActorInfo info;
  RETURN_IF_ERROR(env_->Read([&](const Txn& txn) -> Status {
    ASSIGN_OR_RETURN(std::shared_ptr<const Authority> book, books_.Get(txn));
    const ActorEntry* a = book->Actor(actor_id);
    if (a == nullptr) {
      std::string why = "actor " + EscapeForDisplay(actor_id) + " is not registered";
      if (auto seq = book->ActorRecord(actor_id)) {
        why += " (the registration at record " + std::to_string(*seq) + " is void)";
      }
      return NotFoundError(why);
    }
    info.actor_id = a->actor_id;
    info.legal_name = a->legal_name;
    info.role = a->role;
    info.registered_seq = a->registered_seq;
    info.key_ids = a->key_ids;
    info.licence = a->licence;
    info.jurisdiction = a->jurisdiction;
    return Status::Ok();
  }));
  return info;
}

Result<std::vector<std::string>> LedgerImpl::ListLots() const {
  std::vector<std::string> out;
  RETURN_IF_ERROR(env_->Read([&](const Txn& txn) -> Status {
    return txn.ForEach(txn.tables().lots, [&](std::string_view k, std::string_view) {
      out.emplace_back(k);
      return true;
    });
  }));
  return out;
}

namespace {
std::uint64_t Saturated(unsigned __int128 g) {
  return g > std::numeric_limits<std::uint64_t>::max() ? std::numeric_limits<std::uint64_t>::max()
                                                       : static_cast<std::uint64_t>(g);
}
// granted - used, within [-(2^63 - 1), 2^63 - 1]: symmetric, so that a
// reader may negate it (an overrun shown as a positive figure) without
// overflow. `used` may be as large as 128 bits hold; a difference below
// -2^127 cannot be formed in __int128, so it is clamped before.
std::int64_t SaturatedDifference(std::uint64_t granted, unsigned __int128 used) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  if (used > static_cast<unsigned __int128>(granted) + static_cast<unsigned __int128>(kMax)) {
    return -kMax;
  }
  const __int128 d = static_cast<__int128>(granted) - static_cast<__int128>(used);
  if (d > kMax) return kMax;
  if (d < -kMax) return -kMax;
  return static_cast<std::int64_t>(d);
}
}  // namespace

Result<std::vector<QuotaUsage>> LedgerImpl::Quotas(std::uint32_t year,
                                                   std::string_view actor_id) const {
  std::vector<QuotaUsage> out;
  RETURN_IF_ERROR(env_->Read([&](const Txn& txn) -> Status {
    ASSIGN_OR_RETURN(std::shared_ptr<const Authority> book, books_.Get(txn));
    // Every quota key with a log (grants, valid or not, and uses are in it).
    std::vector<std::string> keys;
    RETURN_IF_ERROR(txn.ForEach(txn.tables().quota_log, [&](std::string_view k, std::string_view) {
      if (keys.empty() || keys.back() != k) keys.emplace_back(k);
      return true;
    }));
    Cursor records(txn, txn.tables().records);
    for (const std::string& key : keys) {
      QuotaUsage q;
      std::optional<QuotaKeyParts> parts = ParseQuotaKey(key);
      if (!parts) {
        return CorruptionError("the quota_log table has a damaged key \"" + EscapeForDisplay(key) +
                               "\"; run `retrace audit`");
      }
      q.actor_id = parts->actor_id;
      q.year = parts->year;
      q.kind = parts->kind;
      if ((year != 0 && q.year != year) || (!actor_id.empty() && q.actor_id != actor_id)) continue;
      ASSIGN_OR_RETURN(std::vector<QuotaLogEntry> log, ReadQuotaLog(txn, *book, key));
      const std::vector<QuotaLogVerdict> verdicts = EvaluateQuotaLog(*book, key, log);
      for (std::size_t i = 0; i < log.size(); ++i) {
        QuotaUsage::Entry e;
        e.seq = log[i].seq;
        e.grant = log[i].kind == QuotaLogEntry::Kind::kGrant;
        const std::string seq_key = EncodeU64(e.seq);
        std::string_view k = seq_key, bytes;
        ASSIGN_OR_RETURN(bool found, records.Get(MDB_SET_KEY, &k, &bytes, "read a quota record"));
        v1::Event ev;
        RecordView view;
        if (!found || !ParseRecordView(bytes, &view).ok() || !ResolveRegistryRecord(&view).ok() ||
            !ParseEventBytes(view.event_bytes, &ev).ok()) {
          return CorruptionError("record " + std::to_string(e.seq) + " of a quota log is damaged");
        }
        if (e.grant) {
          e.reo_g = ev.quota_granted().reo_g();
          e.void_entry = verdicts[i].void_grant;
        } else if (log[i].kind == QuotaLogEntry::Kind::kRelease) {
          e.release = true;
          e.releases = log[i].releases;
          for (std::size_t k = 0; k < i; ++k) {
            if (log[k].seq == log[i].releases && log[k].kind == QuotaLogEntry::Kind::kUse &&
                log[k].counts) {
              e.reo_g = log[k].reo_g;
            }
          }
          e.lot_ids.assign(ev.reversed().lot_ids().begin(), ev.reversed().lot_ids().end());
          if (!e.lot_ids.empty()) e.lot_id = e.lot_ids.front();
        } else {
          e.reo_g = Saturated(log[i].reo_g);
          e.void_entry = !log[i].counts;
          e.exceeded = verdicts[i].exceeded;
          for (const v1::Lot* l : LotsCreated(ev)) e.lot_ids.push_back(l->lot_id());
          if (!e.lot_ids.empty()) e.lot_id = e.lot_ids.front();
        }
        q.entries.push_back(std::move(e));
      }
      const QuotaBalance b = QuotaBalanceAfter(*book, key, log);
      q.granted_reo_g = b.grant ? b.grant->reo_g : 0;
      q.granted_seq = b.grant ? b.grant->seq : 0;
      q.used_reo_g = Saturated(b.used);
      q.remaining_reo_g = SaturatedDifference(q.granted_reo_g, b.used);
      out.push_back(std::move(q));
    }
    return Status::Ok();
  }));
  return out;
}

Result<VerifyReport> LedgerImpl::VerifyLot(std::string_view lot_id,
                                           const VerifyOptions& options) const {
  std::optional<VerifyReport> report;
  RETURN_IF_ERROR(env_->Read([&](const Txn& txn) -> Status {
    ASSIGN_OR_RETURN(Head h, ReadHead(txn));
    TxnRecordStore store(txn, h.size);
    // The ledger's book is built with signatures verified; an
    // integrity-only verification has its own without, kept for the
    // snapshot (walking a lot again costs no rebuild).
    std::shared_ptr<const Authority> book;
    std::shared_ptr<const BookCache::Unsigned> unsigned_book;
    if (options.check_signatures) {
      ASSIGN_OR_RETURN(book, books_.Get(txn));
    } else {
      ASSIGN_OR_RETURN(unsigned_book, books_.GetUnsigned(txn, store));
      book = unsigned_book->book;
    }
    ASSIGN_OR_RETURN(VerifyReport r,
                     VerifyLineage(store, lot_id, options, &keys_, book,
                                   unsigned_book ? &unsigned_book->findings : nullptr));
    report = std::move(r);
    return Status::Ok();
  }));
  return std::move(*report);
}

Result<AuditReport> LedgerImpl::Audit(const AuditOptions& options) const {
  std::optional<AuditReport> report;
  // Both scopes read every page: check the pages first (storage/lmdb_format.h).
  RETURN_IF_ERROR(env_->ReadChecked([&](const Txn& txn) -> Status {
    ASSIGN_OR_RETURN(AuditReport r, options.scope == AuditScope::kIntegrity
                                         ? AuditLedgerIntegrity(txn, env_.get(), options, &keys_)
                                         : AuditLedger(txn, options, &keys_));
    if (options.scope == AuditScope::kIntegrity) {
      // The full audit checks the stored foreign bundles itself.
      RETURN_IF_ERROR(CheckForeignBundles(txn, {}, &r.findings));
      r.valid = r.findings.empty();
    }
    report = std::move(r);
    return Status::Ok();
  }));
  return std::move(*report);
}

Result<Hash> LedgerImpl::RootAt(std::uint64_t tree_size) const {
  Hash out{};
  RETURN_IF_ERROR(env_->Read([&](const Txn& txn) -> Status {
    ASSIGN_OR_RETURN(Head h, ReadHead(txn));
    if (tree_size > h.size) {
      return InvalidArgumentError("tree size " + std::to_string(tree_size) +
                                  " exceeds the ledger size " + std::to_string(h.size));
    }
    ASSIGN_OR_RETURN(out, merkle::RootAt(TxnNodeSource(txn), tree_size));
    return Status::Ok();
  }));
  return out;
}

Result<merkle::InclusionProof> LedgerImpl::ProveInclusion(std::uint64_t seq,
                                                          std::uint64_t tree_size) const {
  std::optional<merkle::InclusionProof> out;
  RETURN_IF_ERROR(env_->Read([&](const Txn& txn) -> Status {
    ASSIGN_OR_RETURN(Head h, ReadHead(txn));
    if (tree_size > h.size) {
      return InvalidArgumentError("tree size " + std::to_string(tree_size) +
                                  " exceeds the ledger size " + std::to_string(h.size));
    }
    ASSIGN_OR_RETURN(auto p, merkle::MakeInclusionProof(TxnNodeSource(txn), seq, tree_size));
    out = std::move(p);
    return Status::Ok();
  }));
  return std::move(*out);
}

Result<merkle::ConsistencyProof> LedgerImpl::ProveConsistency(std::uint64_t old_size,
                                                              std::uint64_t new_size) const {
  std::optional<merkle::ConsistencyProof> out;
  RETURN_IF_ERROR(env_->Read([&](const Txn& txn) -> Status {
    ASSIGN_OR_RETURN(Head h, ReadHead(txn));
    if (new_size > h.size) {
      return InvalidArgumentError("tree size " + std::to_string(new_size) +
                                  " exceeds the ledger size " + std::to_string(h.size));
    }
    ASSIGN_OR_RETURN(auto p, merkle::MakeConsistencyProof(TxnNodeSource(txn), old_size, new_size));
    out = std::move(p);
    return Status::Ok();
  }));
  return std::move(*out);
}

// Transparency: the work is in ledger/checkpoint_log.cc and lib/bundle;
// these run it in one transaction each.
Result<std::string> LedgerImpl::SignCheckpoint(const NoteSigner& signer) {
  if (static_info_.mirror) {
    return FailedPreconditionError("this ledger is a mirror of \"" + static_info_.name +
                                   "\": it stores its source's checkpoints (StoreCheckpoint) and "
                                   "signs none; nothing was signed");
  }
  std::string out;
  RETURN_IF_ERROR(env_->Write([&](Txn& txn) -> Status {
    ASSIGN_OR_RETURN(out, SignAndStoreCheckpoint(txn, static_info_.name, signer));
    return Status::Ok();
  }));
  return out;
}

Result<std::string> LedgerImpl::LatestCheckpoint() const {
  std::string out;
  RETURN_IF_ERROR(env_->Read([&](const Txn& txn) -> Status {
    ASSIGN_OR_RETURN(auto latest, LatestStoredCheckpoint(txn, static_info_.name));
    if (!latest) return NotFoundError("no checkpoint has been signed yet");
    out = std::move(latest->note);
    return Status::Ok();
  }));
  return out;
}

Result<std::string> LedgerImpl::StoreCheckpoint(std::string_view note,
                                                const NoteVerifier& log_key) {
  if (opts_.read_only) return FailedPreconditionError("the ledger was opened read-only; nothing was stored");
  std::string out;
  RETURN_IF_ERROR(env_->Write([&](Txn& txn) -> Status {
    ASSIGN_OR_RETURN(out, StoreForeignCheckpoint(txn, static_info_.name, note, log_key));
    return Status::Ok();
  }));
  return out;
}

Result<std::string> LedgerImpl::AddCosignatures(std::string_view cosignatures,
                                                const std::vector<NoteVerifier>& witnesses) {
  std::string out;
  RETURN_IF_ERROR(env_->Write([&](Txn& txn) -> Status {
    ASSIGN_OR_RETURN(out, StoreCosignatures(txn, static_info_.name, cosignatures, witnesses));
    return Status::Ok();
  }));
  return out;
}

}  // namespace retrace::internal
