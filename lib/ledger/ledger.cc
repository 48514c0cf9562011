// The LMDB-backed ledger.
//
// Append invariant: everything an append writes -- the record, the hash,
// event-id and lot indexes, the derived lot/actor/key state, the Merkle
// nodes and the head -- is written in the one LMDB write transaction that
// also read the head and checked the rules. Either all of it commits or
// none of it does, so indexes, tree and log can never disagree after a
// crash, and a refused append leaves the file exactly as it was.
#include "retrace/ledger.h"

#include <openssl/rand.h>
#include <unistd.h>

#include <cstring>
#include <mutex>
#include <set>
#include <unordered_map>

#include "bundle/bundle_builder.h"
#include "ledger/audit.h"
#include "ledger/checkpoint_log.h"
#include "ledger/rules.h"
#include "ledger/state.h"
#include "ledger/txn_store.h"
#include "model/proto_convert.h"
#include "model/record.h"
#include "retrace/v1/state.pb.h"
#include "storage/lmdb_env.h"
#include "util/hex.h"
#include "util/status_macros.h"
#include "util/thread_pool.h"
#include "verify/lineage.h"

namespace retrace {
namespace internal {
namespace {

// One event of an append, parsed and pre-checked outside the write lock.
struct Pending {
  const SignedEvent* signed_event = nullptr;
  v1::Event event;
  std::string message;  // what the signature must cover (SignatureInputOf)
  std::shared_ptr<const Verifier> verifier;  // set if the key was registered before the batch
  std::size_t check = 0;                     // index into the batch's signature checks
  bool signature_verified = false;
};

// One signature verification of an append. Events signed in one batch share
// one: their signature, key and signed root are the same.
struct SignatureCheck {
  const Verifier* verifier = nullptr;
  const std::string* message = nullptr;
  const std::string* signature = nullptr;
  bool ok = false;
};

std::string Idx(std::size_t i, std::size_t n) {
  return n > 1 ? "event " + std::to_string(i) + " of the batch: " : "";
}

class LedgerImpl final : public Ledger {
 public:
  LedgerImpl(std::unique_ptr<LmdbEnv> env, const Options& opts)
      : env_(std::move(env)),
        opts_(opts),
        append_pool_(std::make_unique<ThreadPool>(
            opts.read_only ? 0 : ResolveThreads(opts.append_threads) - 1)) {}

  Status Init();  // reads meta and genesis
  Status WriteGenesis(const Signer& root, std::string_view name, std::string_view root_actor);

  Result<LedgerInfo> Info() const override;
  Status LinkParents(Event* event) const override;
  Result<AppendResult> Append(const SignedEvent& event) override;
  Result<std::vector<AppendResult>> AppendBatch(const std::vector<SignedEvent>& events) override;
  Result<std::vector<AppendResult>> SignAndAppend(const std::vector<Event>& events,
                                                  const Signer& signer,
                                                  const SignAndAppendOptions& options) override;
  Result<Record> ReadRecord(std::uint64_t seq) const override;
  Result<std::vector<Record>> LotRecords(std::string_view lot_id) const override;
  Result<LotInfo> GetLot(std::string_view lot_id) const override;
  Result<ActorInfo> GetActor(std::string_view actor_id) const override;
  Result<std::vector<std::string>> ListLots() const override;
  Result<std::vector<QuotaUsage>> Quotas(std::uint32_t year,
                                         std::string_view actor_id) const override;
  Result<VerifyReport> VerifyLot(std::string_view lot_id,
                                 const VerifyOptions& options) const override;
  Result<AuditReport> Audit(const AuditOptions& options) const override;
  Result<Hash> RootAt(std::uint64_t tree_size) const override;
  Result<merkle::InclusionProof> ProveInclusion(std::uint64_t seq,
                                                std::uint64_t tree_size) const override;
  Result<merkle::ConsistencyProof> ProveConsistency(std::uint64_t old_size,
                                                    std::uint64_t new_size) const override;
  Result<std::string> SignCheckpoint(const NoteSigner& signer) override;
  Result<std::string> LatestCheckpoint() const override;
  Result<std::string> AddCosignatures(std::string_view cosignatures,
                                      const std::vector<NoteVerifier>& witnesses) override;
  Result<std::string> ProveLineage(std::string_view lot_id) const override;
  Result<std::string> ProveRecord(std::uint64_t seq) const override;

 private:
  Result<std::shared_ptr<const Verifier>> VerifierFor(const std::string& key_id,
                                                      const std::string& der) const;
  // Verifiers of the keys a batch names that are registered already.
  using BatchKeys = std::unordered_map<std::string, std::shared_ptr<const Verifier>>;
  Result<BatchKeys> ReadBatchKeys(const std::vector<SignedEvent>& events) const;
  // Parses and checks one event of an append without the write lock, and
  // computes what its signature must cover.
  // `signed_here`: the ledger made the signature (SignAndAppend), so what it
  // covers is not recomputed and it counts as verified.
  Status Precheck(std::size_t i, std::size_t n, const BatchKeys& keys, bool signed_here,
                  Pending* p) const;
  // Prechecks every event, in parallel for a large batch; returns the index
  // of the first refused event (events.size() if none) and fills *prechecks.
  std::size_t PrecheckAll(const std::vector<SignedEvent>& events, const BatchKeys& keys,
                          bool signed_here, std::vector<Pending>* pending,
                          std::vector<Status>* prechecks) const;
  // Applies `pending` in one write transaction, all or nothing. With
  // `expect_head` set, a head other than it writes nothing and sets *moved.
  Status WriteBatch(std::vector<Pending>* pending, const Head* expect_head, bool* moved,
                    std::vector<AppendResult>* results);
  // Applies `pending` in order in `txn`, from its head.
  Status ApplyAll(Txn& txn, std::vector<Pending>* pending, std::vector<AppendResult>* results);
  // What SignAndAppend signs: the events linked, encoded and signed against
  // the ledger as it was at `base`.
  struct SignedBatch {
    Head base;
    std::vector<SignedEvent> events;
    bool links_inside = false;  // an event links to an earlier event of the call
  };
  // `read` runs its argument in a transaction: a fresh read transaction, or
  // the write transaction of the caller.
  using TxnRunner = std::function<Status(const std::function<Status(const Txn&)>&)>;
  Status LinkAndSign(const std::vector<Event>& events, const Signer& signer,
                     const SignAndAppendOptions& options, const TxnRunner& read,
                     SignedBatch* out) const;
  // Signs bytes[start, end) into out[start, end): one signature each, on
  // append_pool_, or one batch signature over them.
  Status SignRange(std::vector<std::string>* bytes, std::size_t start, std::size_t end,
                   const Signer& signer, const std::string& key_id, bool batch,
                   std::vector<SignedEvent>* out) const;
  // Verifies the signatures of pending[0, count) whose key is registered, on
  // append_pool_, once per distinct batch signature; the first failure in
  // batch order is the error.
  Status VerifySignatures(std::vector<Pending>* pending, std::size_t count) const;
  Status ApplyOne(Txn& txn, std::size_t i, std::size_t n, Pending& p, Head* head,
                  AppendResult* out);
  Status WriteRecord(Txn& txn, const std::string& stored, const Hash& hash, std::uint64_t seq,
                     const v1::Event& ev, const std::vector<std::string>& lots, Head* head);

  Result<const Policy*> CurrentPolicy(const Txn& txn);

  std::unique_ptr<LmdbEnv> env_;
  Options opts_;
  std::mutex policy_mu_;
  std::shared_ptr<Policy> policy_;
  std::uint64_t policy_seq_ = 0;
  std::string ledger_id_raw_;
  LedgerInfo static_info_;
  mutable std::mutex verifiers_mu_;
  mutable std::unordered_map<std::string, std::shared_ptr<const Verifier>> verifiers_;
  std::unique_ptr<ThreadPool> append_pool_;  // prechecks of large batches
  mutable KeyCache keys_;                    // parsed keys, for verification
};

Result<std::shared_ptr<const Verifier>> LedgerImpl::VerifierFor(const std::string& key_id,
                                                                const std::string& der) const {
  {
    std::lock_guard<std::mutex> lock(verifiers_mu_);
    auto it = verifiers_.find(key_id);
    if (it != verifiers_.end()) return it->second;
  }
  ASSIGN_OR_RETURN(PublicKey pk, PublicKey::FromDer(der));
  if (pk.KeyId() != key_id) return CorruptionError("key index entry " + key_id + " holds another key");
  ASSIGN_OR_RETURN(std::unique_ptr<Verifier> v, Verifier::New(pk));
  std::shared_ptr<const Verifier> sv(std::move(v));
  std::lock_guard<std::mutex> lock(verifiers_mu_);
  verifiers_.emplace(key_id, sv);
  return sv;
}

Status LedgerImpl::Init() {
  return env_->Read([&](const Txn& txn) -> Status {
    ASSIGN_OR_RETURN(auto fmt, txn.Get(txn.tables().meta, kMetaFormat));
    if (!fmt) return CorruptionError(env_->dir() + " is not a retrace ledger (no format marker)");
    if (*fmt == "retrace-ledger/1") {
      return FailedPreconditionError(
          env_->dir() + " is a retrace-ledger/1 ledger, written before the Merkle tree table was "
          "re-keyed; this version reads retrace-ledger/2 only (docs/storage-format.md, "
          "Versioning): nothing was changed");
    }
    if (*fmt != kMetaFormatValue) {
      return CorruptionError(env_->dir() + " has unknown ledger format '" + std::string(*fmt) + "'");
    }
    ASSIGN_OR_RETURN(auto id, txn.Get(txn.tables().meta, kMetaLedgerId));
    if (!id || id->size() != kLedgerIdBytes) return CorruptionError("the ledger id is missing or damaged");
    ledger_id_raw_ = std::string(*id);
    ASSIGN_OR_RETURN(auto g, txn.Get(txn.tables().records, EncodeU64(0)));
    if (!g) return CorruptionError("the genesis record is missing");
    auto rec = DecodeRecord(*g);
    if (!rec.ok()) return CorruptionError("the genesis record is damaged: " + rec.status().message());
    v1::Event ev;
    if (!ParseEventBytes(rec->event_bytes, &ev).ok() || !ev.has_genesis()) {
      return CorruptionError("record 0 is not a valid genesis record");
    }
    if (ev.ledger_id() != ledger_id_raw_) {
      return CorruptionError("the genesis record belongs to another ledger");
    }
    static_info_.ledger_id = HexEncode(ledger_id_raw_);
    static_info_.name = ev.genesis().name();
    static_info_.root_actor_id = ev.genesis().root_actor_id();
    static_info_.root_key_id = rec->key_id;
    return Status::Ok();
  });
}

Status LedgerImpl::WriteGenesis(const Signer& root, std::string_view name,
                                std::string_view root_actor) {
  ledger_id_raw_.assign(kLedgerIdBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(ledger_id_raw_.data()),
                 static_cast<int>(kLedgerIdBytes)) != 1) {
    return InternalError("OpenSSL RAND_bytes failed to make a ledger id");
  }
  Event ev;
  ev.ledger_id = HexEncode(ledger_id_raw_);
  ev.event_id = "genesis";
  ev.actor_id = std::string(root_actor);
  ev.time = Now();
  ev.body = Genesis{std::string(name), std::string(root_actor), root.public_key()};
  ASSIGN_OR_RETURN(SignedEvent se, SignEvent(ev, root));
  v1::Event pb;
  RETURN_IF_ERROR(ParseEventBytes(se.event_bytes, &pb));
  return env_->Write([&](Txn& txn) -> Status {
    RETURN_IF_ERROR(txn.Put(txn.tables().meta, kMetaFormat, kMetaFormatValue));
    RETURN_IF_ERROR(txn.Put(txn.tables().meta, kMetaLedgerId, ledger_id_raw_));
    Head head;  // empty
    Hash zero{};
    std::string stored = EncodeRecord(0, zero, se.event_bytes, se.key_id, se.signature);
    Hash hash = RecordHash(stored);
    v1::state::ActorState as;
    as.set_actor_id(std::string(root_actor));
    as.set_role(static_cast<int>(Role::kRegulator));
    as.set_registered_seq(0);
    as.add_key_ids(se.key_id);
    as.set_legal_name(std::string(name) + " root");
    RETURN_IF_ERROR(txn.Put(txn.tables().actors, root_actor, SerializeDeterministic(as)));
    v1::state::KeyState ks;
    ks.set_key_id(se.key_id);
    ks.set_actor_id(std::string(root_actor));
    ks.set_algorithm(AlgorithmName(root.public_key().algorithm()));
    ks.set_public_key(root.public_key().der());
    ks.set_registered_seq(0);
    RETURN_IF_ERROR(txn.Put(txn.tables().keys, se.key_id, SerializeDeterministic(ks)));
    RETURN_IF_ERROR(txn.Put(txn.tables().key_events, se.key_id, EncodeU64(0)));
    return WriteRecord(txn, stored, hash, 0, pb, {}, &head);
  });
}

Status LedgerImpl::WriteRecord(Txn& txn, const std::string& stored, const Hash& hash,
                               std::uint64_t seq, const v1::Event& ev,
                               const std::vector<std::string>& lots, Head* head) {
  const auto& t = txn.tables();
  const std::string key = EncodeU64(seq);
  RETURN_IF_ERROR(txn.Put(t.records, key, stored, MDB_APPEND));
  RETURN_IF_ERROR(txn.Put(t.by_hash, std::string_view(reinterpret_cast<const char*>(hash.data()), 32),
                          key, MDB_NOOVERWRITE));
  RETURN_IF_ERROR(txn.Put(t.event_ids, ev.event_id(), key, MDB_NOOVERWRITE));
  for (const auto& lot : lots) RETURN_IF_ERROR(txn.Put(t.lot_index, lot, key));
  TxnNodeSource nodes(txn);
  ASSIGN_OR_RETURN(auto completed, merkle::NodesCompletedByAppend(nodes, seq, hash));
  for (const auto& n : completed) {
    RETURN_IF_ERROR(txn.Put(t.tree, TreeKey(n.level, n.index),
                            std::string_view(reinterpret_cast<const char*>(n.hash.data()), 32),
                            MDB_APPEND));
  }
  head->size = seq + 1;
  head->hash = hash;
  return txn.Put(t.meta, kMetaHead, EncodeHead(*head));
}

Status LedgerImpl::Precheck(std::size_t i, std::size_t n, const BatchKeys& keys,
                            bool signed_here, Pending* p) const {
  const SignedEvent& se = *p->signed_event;
  const std::string where = Idx(i, n);
  if (se.event_bytes.size() > opts_.max_event_bytes) {
    return InvalidArgumentError(where + "the event is " + std::to_string(se.event_bytes.size()) +
                                " bytes; the limit is " + std::to_string(opts_.max_event_bytes) +
                                " (Options::max_event_bytes); nothing was appended");
  }
  if (se.key_id.empty() || se.key_id.size() > 64) {
    return InvalidArgumentError(where + "the key id is empty or too long; nothing was appended");
  }
  if (se.signature.empty() || se.signature.size() > 256) {
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
  // The key, if it was registered before the batch (keys never change once
  // registered): AppendBatch then verifies the signature outside the writer
  // lock. A key registered earlier in the same batch is verified inside the
  // write.
  auto known = keys.find(se.key_id);
  if (known != keys.end()) p->verifier = known->second;
  return Status::Ok();
}

Result<LedgerImpl::BatchKeys> LedgerImpl::ReadBatchKeys(const std::vector<SignedEvent>& events) const {
  // One read transaction for the few distinct keys of a batch (a batch
  // signature's events share one), instead of one per event.
  std::unordered_map<std::string, std::string> ders;
  RETURN_IF_ERROR(env_->Read([&](const Txn& txn) -> Status {
    for (const SignedEvent& se : events) {
      if (se.key_id.empty() || se.key_id.size() > 64 || ders.count(se.key_id)) continue;
      std::string& der = ders[se.key_id];
      ASSIGN_OR_RETURN(auto v, txn.Get(txn.tables().keys, se.key_id));
      if (!v) continue;
      v1::state::KeyState ks;
      if (!ks.ParseFromArray(v->data(), static_cast<int>(v->size()))) {
        return CorruptionError("key index entry " + se.key_id + " is damaged");
      }
      der = ks.public_key();
    }
    return Status::Ok();
  }));
  BatchKeys keys;
  for (const auto& [key_id, der] : ders) {
    if (der.empty()) continue;
    ASSIGN_OR_RETURN(keys[key_id], VerifierFor(key_id, der));
  }
  return keys;
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
    if (!p.verifier) continue;
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
    checks.push_back({p.verifier.get(), &p.message, &se.signature, false});
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
    if (!p.verifier) continue;
    if (!checks[p.check].ok) {
      const SignedEvent& se = *p.signed_event;
      return VerificationFailedError(
          Idx(i, pending->size()) +
          (se.batch.size != 0 ? "the batch signature does not verify under key " + se.key_id +
                                    " for this event's batch path"
                              : "the signature does not verify under key " + se.key_id) +
          "; nothing was appended");
    }
    p.signature_verified = true;
  }
  return Status::Ok();
}

Result<const Policy*> LedgerImpl::CurrentPolicy(const Txn& txn) {
  ASSIGN_OR_RETURN(auto last, txn.Last(txn.tables().policies));
  if (!last) return &Policy::Default();
  auto seq = DecodeU64(last->first);
  if (!seq) return CorruptionError("the policy index is damaged");
  std::lock_guard<std::mutex> lock(policy_mu_);
  if (policy_ && policy_seq_ == *seq) return policy_.get();
  ASSIGN_OR_RETURN(auto rb, txn.Get(txn.tables().records, EncodeU64(*seq)));
  if (!rb) return CorruptionError("the policy record " + std::to_string(*seq) + " is missing");
  ASSIGN_OR_RETURN(Record rec, DecodeRecord(*rb));
  v1::Event ev;
  RETURN_IF_ERROR(ParseEventBytes(rec.event_bytes, &ev));
  if (!ev.has_policy_set()) return CorruptionError("record " + std::to_string(*seq) + " sets no policy");
  policy_ = std::make_shared<Policy>(ev.policy_set());
  policy_seq_ = *seq;
  return policy_.get();
}

Status LedgerImpl::ApplyOne(Txn& txn, std::size_t i, std::size_t n, Pending& p, Head* head,
                            AppendResult* out) {
  const auto& t = txn.tables();
  const v1::Event& ev = p.event;
  const SignedEvent& se = *p.signed_event;
  const std::string where = Idx(i, n);
  const std::uint64_t seq = head->size;
  auto refuse = [&](const Violation& v) {
    Status s = Refusal(v, head->size - i);
    return Status(s.code(), where + s.message());
  };
  auto read_key = [&](const std::string& id, v1::state::KeyState* ks) -> Result<bool> {
    ASSIGN_OR_RETURN(auto kv, txn.Get(t.keys, id));
    if (!kv) return false;
    if (!ks->ParseFromArray(kv->data(), static_cast<int>(kv->size()))) {
      return CorruptionError("key index entry " + id + " is damaged");
    }
    return true;
  };
  auto read_actor = [&](const std::string& id, v1::state::ActorState* as) -> Result<bool> {
    if (id.empty() || id.size() > 511) return false;
    ASSIGN_OR_RETURN(auto av, txn.Get(t.actors, id));
    if (!av) return false;
    if (!as->ParseFromArray(av->data(), static_cast<int>(av->size()))) {
      return CorruptionError("actor index entry " + id + " is damaged");
    }
    return true;
  };

  // Signer: a key of the stating actor, valid at this position.
  v1::state::KeyState ks;
  ASSIGN_OR_RETURN(bool key_known, read_key(se.key_id, &ks));
  if (!key_known) {
    return refuse({finding::kUnknownKey, "", "key " + se.key_id + " is not registered"});
  }
  if (ks.actor_id() != ev.actor_id()) {
    return refuse({finding::kKeyActorMismatch, "",
                   "the event is stated by " + ev.actor_id() + " but key " + se.key_id +
                       " belongs to " + ks.actor_id()});
  }
  if (ks.revoked() && seq >= ks.revoked_from_seq()) {
    return refuse({finding::kKeyRevoked, "",
                   "key " + se.key_id + " of " + ks.actor_id() + " was revoked from record " +
                       std::to_string(ks.revoked_from_seq()) + " on"});
  }
  if (ks.retired() && seq > ks.retired_seq()) {
    return refuse({finding::kKeyRetired, "",
                   "key " + se.key_id + " of " + ks.actor_id() + " was rotated out at record " +
                       std::to_string(ks.retired_seq())});
  }
  if (!p.signature_verified) {
    ASSIGN_OR_RETURN(auto verifier, VerifierFor(se.key_id, ks.public_key()));
    if (!verifier->Verify(p.message, se.signature).ok()) {
      return VerificationFailedError(where + "the signature does not verify under key " + se.key_id +
                                     "; nothing was appended");
    }
  }
  v1::state::ActorState signer;
  ASSIGN_OR_RETURN(bool actor_known, read_actor(ev.actor_id(), &signer));
  if (!actor_known) {
    return refuse({finding::kUnknownActor, "", "actor " + ev.actor_id() + " is not registered"});
  }
  const Role role = static_cast<Role>(signer.role());
  ASSIGN_OR_RETURN(const Policy* policy, CurrentPolicy(txn));
  Violations vs;
  CheckRole(ev, role, *policy, &vs);
  if (!vs.empty()) return refuse(vs[0]);

  ASSIGN_OR_RETURN(auto dup, txn.Get(t.event_ids, ev.event_id()));
  if (dup) {
    return refuse({finding::kDuplicateEventId, "",
                   "event id " + ev.event_id() + " is already used by record " +
                       std::to_string(*DecodeU64(*dup))});
  }

  std::string stored = EncodeRecord(seq, head->hash, se);
  const Hash hash = RecordHash(stored);
  const std::string seq_key = EncodeU64(seq);

  // Lots: existing ones advance, new ones are created.
  std::vector<std::string> touched = ExistingLotsTouched(ev);
  std::vector<const v1::Lot*> created = LotsCreated(ev);
  std::set<std::string> names;
  for (const auto& id : touched) {
    if (!names.insert(id).second) {
      return refuse({finding::kEventMalformed, id, "lot " + id + " is listed twice"});
    }
  }
  for (const auto* l : created) {
    if (!names.insert(l->lot_id()).second) {
      return refuse({finding::kEventMalformed, l->lot_id(),
                     "lot " + l->lot_id() + " is listed twice (as input and output, or twice as output)"});
    }
    ASSIGN_OR_RETURN(auto exists, txn.Get(t.lots, l->lot_id()));
    if (exists) {
      return refuse({finding::kLotExists, l->lot_id(), "lot " + l->lot_id() + " already exists"});
    }
  }
  std::vector<LotView> before, after;
  for (const auto& id : touched) {
    ASSIGN_OR_RETURN(auto lv, txn.Get(t.lots, id));
    if (!lv) return refuse({finding::kLotUnknown, id, "lot " + id + " does not exist"});
    ASSIGN_OR_RETURN(LotView view, DecodeLotState(*lv));
    before.push_back(view);
    ApplyToLot(ev, ev.actor_id(), seq, hash, &view, &vs);
    after.push_back(std::move(view));
  }
  {
    std::vector<const LotView*> ins;
    for (const auto& b : before) ins.push_back(&b);
    if (ev.has_transformed()) {
      CheckTransformBalance(ev.transformed(), ins, seq, policy->TolerancePpm(role), &vs);
    }
    CheckStage(ev, role, *policy, ins, &vs);
  }
  if (ev.has_shipped()) {
    v1::state::ActorState to;
    ASSIGN_OR_RETURN(bool to_known, read_actor(ev.shipped().to_actor_id(), &to));
    if (!to_known) {
      vs.push_back({finding::kUnknownActor, ev.shipped().lot_id(),
                    "the consignee " + ev.shipped().to_actor_id() + " is not a registered actor"});
    }
  }
  // Regulatory rules: licence and quota.
  CheckLicence(ev, signer.licence(), &vs);
  if (auto use = QuotaUseOf(ev, role)) {
    const std::string qk = QuotaKey(use->actor_id, use->year, use->kind);
    v1::state::QuotaState qs;
    ASSIGN_OR_RETURN(auto qv, txn.Get(t.quotas, qk));
    if (qv && !qs.ParseFromArray(qv->data(), static_cast<int>(qv->size()))) {
      return CorruptionError("quota balance of " + use->actor_id + " is damaged");
    }
    CheckQuota(*use, qs.granted_reo_g(), qs.used_reo_g(), created.empty() ? "" : created[0]->lot_id(), &vs);
    qs.set_used_reo_g(qs.used_reo_g() + use->reo_g);
    RETURN_IF_ERROR(txn.Put(t.quotas, qk, SerializeDeterministic(qs)));
    RETURN_IF_ERROR(txn.Put(t.quota_log, qk, seq_key));
  }

  // Regulator and key events.
  auto put_key = [&](const PublicKey& pk, const std::string& actor) -> Status {
    ASSIGN_OR_RETURN(auto kexists, txn.Get(t.keys, pk.KeyId()));
    if (kexists) {
      return Status(StatusCode::kAlreadyExists, where + "key " + pk.KeyId() +
                                                    " is already registered; the ledger is unchanged");
    }
    v1::state::KeyState nk;
    nk.set_key_id(pk.KeyId());
    nk.set_actor_id(actor);
    nk.set_algorithm(AlgorithmName(pk.algorithm()));
    nk.set_public_key(pk.der());
    nk.set_registered_seq(seq);
    RETURN_IF_ERROR(txn.Put(t.keys, pk.KeyId(), SerializeDeterministic(nk)));
    return txn.Put(t.key_events, pk.KeyId(), seq_key);
  };
  if (ev.has_actor_registered()) {
    const auto& a = ev.actor_registered();
    v1::state::ActorState existing;
    ASSIGN_OR_RETURN(bool exists, read_actor(a.actor_id(), &existing));
    if (exists) {
      return Status(StatusCode::kAlreadyExists, where + "actor " + a.actor_id() +
                                                    " is already registered; the ledger is unchanged");
    }
    ASSIGN_OR_RETURN(PublicKey pk, PublicKey::FromDer(a.key().public_key()));
    v1::state::ActorState as;
    as.set_actor_id(a.actor_id());
    as.set_role(a.role());
    as.set_registered_seq(seq);
    as.add_key_ids(pk.KeyId());
    as.set_legal_name(a.legal_name());
    as.set_licence(a.licence());
    RETURN_IF_ERROR(txn.Put(t.actors, a.actor_id(), SerializeDeterministic(as)));
    RETURN_IF_ERROR(put_key(pk, a.actor_id()));
  }
  if (ev.has_quota_granted()) {
    const auto& g = ev.quota_granted();
    v1::state::ActorState holder;
    ASSIGN_OR_RETURN(bool known, read_actor(g.actor_id(), &holder));
    if (!known) {
      return refuse({finding::kUnknownActor, "", "quota holder " + g.actor_id() + " is not registered"});
    }
    const std::string qk = QuotaKey(g.actor_id(), g.year(), static_cast<QuotaKind>(g.kind()));
    v1::state::QuotaState qs;
    ASSIGN_OR_RETURN(auto qv, txn.Get(t.quotas, qk));
    if (qv && !qs.ParseFromArray(qv->data(), static_cast<int>(qv->size()))) {
      return CorruptionError("quota balance of " + g.actor_id() + " is damaged");
    }
    qs.set_granted_reo_g(g.reo_g());
    RETURN_IF_ERROR(txn.Put(t.quotas, qk, SerializeDeterministic(qs)));
    RETURN_IF_ERROR(txn.Put(t.quota_log, qk, seq_key));
  }
  if (ev.has_policy_set()) RETURN_IF_ERROR(txn.Put(t.policies, seq_key, ""));
  if (ev.has_key_rotated()) {
    const auto& r = ev.key_rotated();
    v1::state::ActorState holder;
    ASSIGN_OR_RETURN(bool known, read_actor(r.actor_id(), &holder));
    if (!known) {
      return refuse({finding::kUnknownActor, "", "actor " + r.actor_id() + " is not registered"});
    }
    ASSIGN_OR_RETURN(PublicKey pk, PublicKey::FromDer(r.new_key().public_key()));
    RETURN_IF_ERROR(put_key(pk, r.actor_id()));
    holder.add_key_ids(pk.KeyId());
    if (!r.retired_key_id().empty()) {
      v1::state::KeyState old;
      ASSIGN_OR_RETURN(bool old_known, read_key(r.retired_key_id(), &old));
      if (!old_known || old.actor_id() != r.actor_id()) {
        return refuse({finding::kUnknownKey, "",
                       "key " + r.retired_key_id() + " to retire is not a key of " + r.actor_id()});
      }
      if (!old.retired()) {
        old.set_retired(true);
        old.set_retired_seq(seq);
      }
      RETURN_IF_ERROR(txn.Put(t.keys, r.retired_key_id(), SerializeDeterministic(old)));
      RETURN_IF_ERROR(txn.Put(t.key_events, r.retired_key_id(), seq_key));
    }
    RETURN_IF_ERROR(txn.Put(t.actors, r.actor_id(), SerializeDeterministic(holder)));
  }
  if (ev.has_key_revoked()) {
    const auto& r = ev.key_revoked();
    v1::state::KeyState old;
    ASSIGN_OR_RETURN(bool old_known, read_key(r.key_id(), &old));
    if (!old_known) return refuse({finding::kUnknownKey, "", "key " + r.key_id() + " is not registered"});
    if (r.effective_seq() > seq) {
      return InvalidArgumentError(where + "key_revoked.effective_seq " + std::to_string(r.effective_seq()) +
                                  " lies in the future (the next record is " + std::to_string(seq) +
                                  "); nothing was appended");
    }
    std::uint64_t from = r.effective_seq();
    if (!old.revoked() || from < old.revoked_from_seq()) {
      old.set_revoked(true);
      old.set_revoked_from_seq(from);
    }
    RETURN_IF_ERROR(txn.Put(t.keys, r.key_id(), SerializeDeterministic(old)));
    RETURN_IF_ERROR(txn.Put(t.key_events, r.key_id(), seq_key));
  }

  // Custody and mass violations always refuse; regulatory ones (quota,
  // licence) refuse unless the ledger records and flags them.
  for (const auto& v : vs) {
    if (!IsRegulatory(v.code) ||
        opts_.regulatory_violations == RegulatoryMode::kReject) {
      return refuse(v);
    }
  }

  for (const auto& v : after) RETURN_IF_ERROR(txn.Put(t.lots, v.lot_id, EncodeLotState(v)));
  std::vector<std::string> lot_names = touched;
  for (const auto* l : created) {
    LotView v = NewLot(*l, ev.actor_id(), seq, hash);
    RETURN_IF_ERROR(txn.Put(t.lots, v.lot_id, EncodeLotState(v)));
    lot_names.push_back(l->lot_id());
  }
  RETURN_IF_ERROR(WriteRecord(txn, stored, hash, seq, ev, lot_names, head));
  out->seq = seq;
  out->hash = hash;
  out->flagged.clear();
  for (const auto& v : vs) out->flagged.push_back(Finding{v.code, seq, v.lot_id, v.message});
  return Status::Ok();
}

Result<AppendResult> LedgerImpl::Append(const SignedEvent& event) {
  ASSIGN_OR_RETURN(auto results, AppendBatch({event}));
  return results.front();
}

Result<std::vector<AppendResult>> LedgerImpl::AppendBatch(const std::vector<SignedEvent>& events) {
  if (opts_.read_only) {
    return FailedPreconditionError("the ledger was opened read-only; nothing was appended");
  }
  if (events.empty()) return InvalidArgumentError("empty batch; nothing was appended");
  // Parse and verify every event before taking the write lock; in parallel
  // for a large batch. The first refusal in batch order is reported.
  ASSIGN_OR_RETURN(const BatchKeys keys, ReadBatchKeys(events));
  std::vector<Pending> pending;
  std::vector<Status> prechecks;
  const std::size_t first_bad = PrecheckAll(events, keys, false, &pending, &prechecks);
  // A signature failure before the first malformed event is the first refusal.
  RETURN_IF_ERROR(VerifySignatures(&pending, first_bad));
  if (first_bad < events.size()) return prechecks[first_bad];
  std::vector<AppendResult> results;
  RETURN_IF_ERROR(WriteBatch(&pending, nullptr, nullptr, &results));
  return results;
}

std::size_t LedgerImpl::PrecheckAll(const std::vector<SignedEvent>& events, const BatchKeys& keys,
                                    bool signed_here, std::vector<Pending>* pending,
                                    std::vector<Status>* prechecks) const {
  constexpr std::size_t kParallelPrecheck = 8;
  const std::size_t n = events.size();
  pending->assign(n, Pending());
  prechecks->assign(n, Status::Ok());
  for (std::size_t i = 0; i < n; ++i) (*pending)[i].signed_event = &events[i];
  if (n < kParallelPrecheck || append_pool_->workers() == 0) {
    for (std::size_t i = 0; i < n; ++i) {
      (*prechecks)[i] = Precheck(i, n, keys, signed_here, &(*pending)[i]);
      if (!(*prechecks)[i].ok()) break;
    }
  } else {
    append_pool_->ParallelFor(n, [&](std::size_t i) {
      (*prechecks)[i] = Precheck(i, n, keys, signed_here, &(*pending)[i]);
    });
  }
  std::size_t first_bad = 0;
  while (first_bad < n && (*prechecks)[first_bad].ok()) ++first_bad;
  return first_bad;
}

Status LedgerImpl::WriteBatch(std::vector<Pending>* pending, const Head* expect_head, bool* moved,
                              std::vector<AppendResult>* results) {
  return env_->Write([&](Txn& txn) -> Status {
    ASSIGN_OR_RETURN(Head head, ReadHead(txn));
    if (expect_head != nullptr &&
        (head.size != expect_head->size || head.hash != expect_head->hash)) {
      *moved = true;
      return FailedPreconditionError("another writer appended while the batch was signed; "
                                     "nothing was appended");
    }
    return ApplyAll(txn, pending, results);
  });
}

Status LedgerImpl::ApplyAll(Txn& txn, std::vector<Pending>* pending,
                            std::vector<AppendResult>* results) {
  results->assign(pending->size(), AppendResult{});
  ASSIGN_OR_RETURN(Head head, ReadHead(txn));
  for (std::size_t i = 0; i < pending->size(); ++i) {
    Status s = ApplyOne(txn, i, pending->size(), (*pending)[i], &head, &(*results)[i]);
    if (!s.ok()) {
      if (i > 0 && s.code() != StatusCode::kResourceExhausted) {
        return Status(s.code(), s.message() + " (the whole batch was refused)");
      }
      return s;
    }
  }
  return Status::Ok();
}

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
                    Idx(start + k, out->size()) + signed_ok[k].message() + "; nothing was appended");
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
        ASSIGN_OR_RETURN(auto kv, txn.Get(txn.tables().keys, key_id));
        if (!kv) {
          return Refusal({finding::kUnknownKey, "", "the signer's key " + key_id + " is not registered"},
                         out->base.size);
        }
        v1::state::KeyState ks;
        if (!ks.ParseFromArray(kv->data(), static_cast<int>(kv->size()))) {
          return CorruptionError("key index entry " + key_id + " is damaged");
        }
        actor = ks.actor_id();
        first_read = false;
      }
      for (; end < n; ++end) {
        Event& ev = events[end];
        const std::string where = Idx(end, n);
        if (ev.actor_id != actor) {
          Status s = Refusal({finding::kKeyActorMismatch, "",
                              "the event is stated by " + ev.actor_id + " but the signer's key " +
                                  key_id + " belongs to " + actor},
                             out->base.size);
          return Status(s.code(), where + s.message());
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
            linked = NotFoundError(where + "lot " + lot + " is neither in the ledger nor moved by " +
                                   "an earlier event of the batch; nothing was appended");
          } else {
            Result<LotView> view = DecodeLotState(**v);
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
  if (opts_.read_only) {
    return FailedPreconditionError("the ledger was opened read-only; nothing was appended");
  }
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
    const std::size_t first_bad = PrecheckAll(batch->events, BatchKeys(), true, pending, &prechecks);
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
  RETURN_IF_ERROR(env_->Write([&](Txn& txn) -> Status {
    const TxnRunner in_txn = [&](const std::function<Status(const Txn&)>& fn) { return fn(txn); };
    SignedBatch batch;
    std::vector<Pending> pending;
    RETURN_IF_ERROR(sign_and_precheck(in_txn, &batch, &pending));
    return ApplyAll(txn, &pending, &results);
  }));
  return results;
}

Status LedgerImpl::LinkParents(Event* event) const {
  if (event->ledger_id.empty()) event->ledger_id = static_info_.ledger_id;
  return env_->Read([&](const Txn& txn) -> Status {
    auto fill = [&](const std::string& lot_id, std::optional<Hash>* parent) -> Status {
      if (parent->has_value()) return Status::Ok();
      ASSIGN_OR_RETURN(auto v, txn.Get(txn.tables().lots, lot_id));
      if (!v) return NotFoundError("lot " + lot_id + " is not in the ledger");
      ASSIGN_OR_RETURN(LotView view, DecodeLotState(*v));
      *parent = view.head_hash;
      return Status::Ok();
    };
    if (auto* s = std::get_if<Shipped>(&event->body)) return fill(s->lot_id, &s->parent_hash);
    if (auto* r = std::get_if<Received>(&event->body)) return fill(r->lot_id, &r->parent_hash);
    if (auto* x = std::get_if<Exported>(&event->body)) return fill(x->lot_id, &x->parent_hash);
    if (auto* tr = std::get_if<Transformed>(&event->body)) {
      for (auto& in : tr->inputs) RETURN_IF_ERROR(fill(in.lot_id, &in.parent_hash));
    }
    return Status::Ok();
  });
}

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
    if (lot_id.empty() || lot_id.size() > 511) return NotFoundError("no such lot");
    ASSIGN_OR_RETURN(auto v, txn.Get(txn.tables().lots, lot_id));
    if (!v) return NotFoundError("lot " + std::string(lot_id) + " is not in the ledger");
    ASSIGN_OR_RETURN(LotView view, DecodeLotState(*v));
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
    if (actor_id.empty() || actor_id.size() > 511) return NotFoundError("no such actor");
    ASSIGN_OR_RETURN(auto v, txn.Get(txn.tables().actors, actor_id));
    if (!v) return NotFoundError("actor " + std::string(actor_id) + " is not registered");
    v1::state::ActorState as;
    if (!as.ParseFromArray(v->data(), static_cast<int>(v->size()))) {
      return CorruptionError("actor entry " + std::string(actor_id) + " is damaged");
    }
    info.actor_id = as.actor_id();
    info.legal_name = as.legal_name();
    info.role = static_cast<Role>(as.role());
    info.registered_seq = as.registered_seq();
    info.key_ids.assign(as.key_ids().begin(), as.key_ids().end());
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

Result<std::vector<QuotaUsage>> LedgerImpl::Quotas(std::uint32_t year,
                                                   std::string_view actor_id) const {
  std::vector<QuotaUsage> out;
  RETURN_IF_ERROR(env_->Read([&](const Txn& txn) -> Status {
    const auto& t = txn.tables();
    std::vector<std::pair<std::string, QuotaUsage>> found;
    Status bad;
    RETURN_IF_ERROR(txn.ForEach(t.quotas, [&](std::string_view k, std::string_view v) {
      auto nul = k.find('\0');
      v1::state::QuotaState qs;
      if (nul == std::string_view::npos || k.size() != nul + 6 ||
          !qs.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
        bad = CorruptionError("a quota balance entry is damaged");
        return false;
      }
      QuotaUsage q;
      q.actor_id = std::string(k.substr(0, nul));
      for (int i = 1; i <= 4; ++i) q.year = (q.year << 8) | static_cast<unsigned char>(k[nul + i]);
      q.kind = static_cast<QuotaKind>(static_cast<unsigned char>(k[nul + 5]));
      if ((year != 0 && q.year != year) || (!actor_id.empty() && q.actor_id != actor_id)) return true;
      q.granted_reo_g = qs.granted_reo_g();
      q.used_reo_g = qs.used_reo_g();
      q.remaining_reo_g = static_cast<std::int64_t>(q.granted_reo_g) - static_cast<std::int64_t>(q.used_reo_g);
      found.emplace_back(std::string(k), std::move(q));
      return true;
    }));
    RETURN_IF_ERROR(bad);
    TxnRecordStore store(txn, 0);
    for (auto& [key, q] : found) {
      ASSIGN_OR_RETURN(auto seqs, store.QuotaLog(key));
      for (std::uint64_t seq : seqs) {
        ASSIGN_OR_RETURN(auto rb, txn.Get(t.records, EncodeU64(seq)));
        if (!rb) return CorruptionError("the quota log names record " + std::to_string(seq) + ", which is missing");
        ASSIGN_OR_RETURN(Record rec, DecodeRecord(*rb));
        v1::Event ev;
        RETURN_IF_ERROR(ParseEventBytes(rec.event_bytes, &ev));
        QuotaUsage::Entry e;
        e.seq = seq;
        if (ev.has_quota_granted()) {
          e.grant = true;
          e.reo_g = ev.quota_granted().reo_g();
        } else if (ev.has_extracted()) {
          e.lot_id = ev.extracted().lot().lot_id();
          e.reo_g = QuotaUseOf(ev, Role::kMine)->reo_g;
        } else if (ev.has_transformed()) {
          e.lot_id = ev.transformed().outputs(0).lot_id();
          e.reo_g = QuotaUseOf(ev, Role::kSeparator)->reo_g;
        }
        q.entries.push_back(std::move(e));
      }
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
    ASSIGN_OR_RETURN(VerifyReport r, VerifyLineage(store, lot_id, options, &keys_));
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

Result<std::string> LedgerImpl::AddCosignatures(std::string_view cosignatures,
                                                const std::vector<NoteVerifier>& witnesses) {
  std::string out;
  RETURN_IF_ERROR(env_->Write([&](Txn& txn) -> Status {
    ASSIGN_OR_RETURN(out, StoreCosignatures(txn, static_info_.name, cosignatures, witnesses));
    return Status::Ok();
  }));
  return out;
}

Result<std::string> LedgerImpl::ProveLineage(std::string_view lot_id) const {
  std::string out;
  RETURN_IF_ERROR(env_->Read([&](const Txn& txn) -> Status {
    ASSIGN_OR_RETURN(out, BuildBundle(txn, static_info_.name, lot_id));
    return Status::Ok();
  }));
  return out;
}

Result<std::string> LedgerImpl::ProveRecord(std::uint64_t seq) const {
  std::string out;
  RETURN_IF_ERROR(env_->Read([&](const Txn& txn) -> Status {
    ASSIGN_OR_RETURN(out, BuildTlogProof(txn, static_info_.name, seq));
    return Status::Ok();
  }));
  return out;
}

}  // namespace
}  // namespace internal

Result<std::unique_ptr<Ledger>> Ledger::Create(const Options& options, const std::string& dir,
                                               std::string_view name, const Signer& root,
                                               std::string_view root_actor_id) {
  RETURN_IF_ERROR(internal::CheckId("ledger name", name));
  RETURN_IF_ERROR(internal::CheckId("root actor id", root_actor_id));
  if (options.read_only) return InvalidArgumentError("cannot create a ledger read-only");
  internal::EnvOptions eo{options.sync, false, options.initial_map_size, options.max_map_size};
  ASSIGN_OR_RETURN(auto env, internal::LmdbEnv::Open(dir, eo, /*create=*/true));
  auto impl = std::make_unique<internal::LedgerImpl>(std::move(env), options);
  Status st = impl->WriteGenesis(root, name, root_actor_id);
  if (st.ok()) st = impl->Init();
  if (!st.ok()) {
    impl.reset();  // closes the environment before its files go
    ::unlink((dir + "/data.mdb").c_str());
    ::unlink((dir + "/lock.mdb").c_str());
    return st.Annotate("creating ledger " + dir);
  }
  return std::unique_ptr<Ledger>(std::move(impl));
}

Result<std::unique_ptr<Ledger>> Ledger::Open(const Options& options, const std::string& dir) {
  internal::EnvOptions eo{options.sync, options.read_only, options.initial_map_size,
                          options.max_map_size};
  ASSIGN_OR_RETURN(auto env, internal::LmdbEnv::Open(dir, eo, /*create=*/false));
  auto impl = std::make_unique<internal::LedgerImpl>(std::move(env), options);
  RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<Ledger>(std::move(impl));
}

}  // namespace retrace
