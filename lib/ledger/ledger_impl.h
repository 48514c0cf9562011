// The LMDB-backed ledger (internal): the class behind retrace::Ledger, its
// implementation spread by concept over
//   ledger_open.cc      Create, Open, Upgrade, the genesis
//   append.cc           AppendBatch: prechecks, signatures, the rules, writes
//   sign_and_append.cc  SignAndAppend and LinkParents: linking and signing
//   queries.cc          reads: records, lots, actors, quotas, proofs,
//                       verification and audit entry points, checkpoints
//
// Append invariant: everything an append writes -- the record, the event-id,
// lot, quota-log and authority indexes, the derived lot and quota state, the
// Merkle nodes and the head -- is written in the one LMDB write transaction
// that also read the head and checked the rules. Either all of it commits or
// none of it does, so indexes, tree and log can never disagree after a
// crash, and a refused append leaves the file exactly as it was.
//
// One verdict: every rule the append path applies comes from rules/ -- the
// custody rules, the book of authority (who may sign, the policy and grants
// in force: rules/authority.h) and quota balances (rules/quota_book.h) --
// the same code the verifier, the audit and bundle verification run.
#ifndef RETRACE_LIB_LEDGER_LEDGER_IMPL_H_
#define RETRACE_LIB_LEDGER_LEDGER_IMPL_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "crypto/key_cache.h"
#include "ledger/book_cache.h"
#include "ledger/ledger_internal.h"
#include "ledger/state.h"
#include "ledger/txn_store.h"
#include "retrace/ledger.h"
#include "retrace/v1/retrace.pb.h"
#include "rules/authority.h"
#include "rules/rules.h"
#include "storage/lmdb_env.h"
#include "util/thread_pool.h"

namespace retrace::internal {

// One event of an append, parsed and pre-checked outside the write lock.
struct Pending {
  const SignedEvent* signed_event = nullptr;
  // AppendStored: the record bytes as the source stored them, which the
  // record this ledger makes must equal.
  const std::string* stored = nullptr;
  v1::Event event;
  std::string message;  // what the signature must cover (SignatureInputOf)
  // The signing key, if the book of the snapshot read before the write
  // knew it: its signature is then verified outside the write lock.
  const Verifier* verifier = nullptr;
  std::size_t check = 0;  // index into the batch's signature checks
  bool signature_verified = false;
  // A cross-ledger receipt's proof (AppendAttached); null otherwise.
  const CrossLedgerAttachment* attachment = nullptr;
  // An import record's registry record and proof (AppendRegistryImports);
  // null otherwise. signed_event is then the registry record's.
  const RegistryImportInput* import = nullptr;
};

// "event i of the batch: " for a batch of more than one event.
std::string BatchPrefix(std::size_t i, std::size_t n);

class LedgerImpl final : public Ledger {
 public:
  LedgerImpl(std::unique_ptr<LmdbEnv> env, const Options& opts);

  Status Init();  // reads meta and genesis
  Status WriteGenesis(const Signer& root, std::string_view name, std::string_view root_actor);
  // A mirror's genesis: the source's record 0, stored as it is.
  Status WriteMirrorGenesis(std::string_view genesis_record);

  Result<LedgerInfo> Info() const override;
  Status LinkParents(Event* event) const override;
  Result<AppendResult> Append(const SignedEvent& event) override;
  Result<std::vector<AppendResult>> AppendBatch(const std::vector<SignedEvent>& events) override;
  Result<std::vector<AppendResult>> CheckAppendBatch(const std::vector<SignedEvent>& events) override;
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
  Result<std::vector<AppendResult>> AppendStored(const std::vector<std::string>& records) override;
  Result<std::string> StoreCheckpoint(std::string_view note, const NoteVerifier& log_key) override;

  // AppendAttached (ledger_internal.h).
  Result<AppendResult> AppendWithAttachment(const SignedEvent& event,
                                            const CrossLedgerAttachment& attachment);
  // LedgerBook (ledger_internal.h).
  Result<std::shared_ptr<const Authority>> CurrentBook() const;
  // AppendRegistryImports (ledger_internal.h).
  Result<std::vector<AppendResult>> AppendImports(const std::vector<RegistryImportInput>& imports);

  // ReadLedger (ledger_internal.h).
  Status ReadWithName(const std::function<Status(const Txn&, std::string_view)>& fn) const {
    return env_->Read([&](const Txn& txn) { return fn(txn, static_info_.name); });
  }

 private:
  // --- append.cc
  // What a write transaction carries from one event to the next.
  struct WriteContext {
    std::uint64_t base_size = 0;  // the ledger's size before the batch
    Head head;
    std::shared_ptr<const Authority> book;  // of the log as written so far
    bool authority_written = false;          // publish `book` after the commit
    // A run of authority records of the batch judged by one build
    // (PrepareAuthorityRun): the book with all of them, and the position
    // after the run's last record.
    std::shared_ptr<const Authority> run_book;
    std::uint64_t run_end = 0;
  };
  // Parses and checks one event of an append without the write lock, and
  // computes what its signature must cover. `signed_here`: the ledger made
  // the signature (SignAndAppend), so what it covers is not recomputed and
  // it counts as verified.
  Status Precheck(std::size_t i, std::size_t n, const Authority* book, bool signed_here,
                  Pending* p) const;
  // Prechecks every event, in parallel for a large batch; returns the index
  // of the first refused event (events.size() if none) and fills *prechecks.
  // An event i with (*imports)[i] set is the registry record of that
  // import, prechecked by PrecheckImport.
  std::size_t PrecheckAll(const std::vector<SignedEvent>& events, const Authority* book,
                          bool signed_here, std::vector<Pending>* pending,
                          std::vector<Status>* prechecks,
                          const std::vector<std::optional<RegistryImportInput>>* imports =
                              nullptr) const;
  // The signed event of the registry record `in` carries (event i of n).
  static Result<SignedEvent> ImportedEvent(std::size_t i, std::size_t n,
                                           const RegistryImportInput& in);
  // Parses the event of import `in`; the book judges the rest at the write.
  Status PrecheckImport(std::size_t i, std::size_t n, const RegistryImportInput& in,
                        Pending* p) const;
  // Verifies the signatures of pending[0, count) whose key the book knew, on
  // append_pool_, once per distinct batch signature; the first failure in
  // batch order is the error.
  Status VerifySignatures(std::vector<Pending>* pending, std::size_t count) const;
  // Applies `pending` in one write transaction, all or nothing. With
  // `expect_head` set, a head other than it writes nothing and sets *moved.
  Status WriteBatch(std::vector<Pending>* pending, const Head* expect_head, bool* moved,
                    std::vector<AppendResult>* results, bool commit = true);
  // AppendBatch and CheckAppendBatch: `commit` false checks and aborts.
  Result<std::vector<AppendResult>> AppendOrCheck(const std::vector<SignedEvent>& events, bool commit);
  // Applies `pending` in order in `txn`, from its head; fills *ctx.
  Status ApplyAll(Txn& txn, std::vector<Pending>* pending, std::vector<AppendResult>* results,
                  WriteContext* ctx);
  // After ApplyAll's transaction committed.
  void Committed(const WriteContext& ctx);
  // The stored bytes of pending record `p` at the head of *ctx.
  std::string StoredOf(const Pending& p, std::uint64_t seq, const Hash& prev) const;
  // If (*pending)[i] starts a run of two or more authority records (imports
  // included) with no revocation among them, judges the whole run with one
  // build of the book (BookCache::WithAll) into ctx->run_book: a batch of n
  // authority records then costs one build, not n.
  Status PrepareAuthorityRun(Txn& txn, std::vector<Pending>* pending, std::size_t i,
                             WriteContext* ctx);
  Status ApplyOne(Txn& txn, std::size_t i, std::size_t n, Pending& p, WriteContext* ctx,
                  AppendResult* out);
  // The parts of ApplyOne: an authority record (judged by the book it would
  // make), and a custody record (judged by the book as it is).
  Status ApplyAuthority(Txn& txn, const std::string& where, Pending& p, const std::string& stored,
                        const Hash& hash, WriteContext* ctx);
  Status ApplyCustody(Txn& txn, const std::string& where, Pending& p, const std::string& stored,
                      const Hash& hash, WriteContext* ctx, AppendResult* out);
  // A cross-ledger receipt's bundle: checked against the receipt, judged by
  // the attachment's judge, stored (foreign_store.h).
  Status ApplyCrossLedgerProof(Txn& txn, const std::string& where, const Pending& p,
                               const Authority& book, std::uint64_t seq);
  // Writes the record, its event-id entry, its lot index entries, the Merkle
  // nodes it completes and the head.
  Status WriteRecord(Txn& txn, const std::string& stored, const Hash& hash, std::uint64_t seq,
                     const v1::Event& ev, const std::vector<std::string>& lots, Head* head);

  // --- sign_and_append.cc
  struct SignedBatch {
    Head base;
    std::vector<SignedEvent> events;
    bool links_inside = false;  // an event links to an earlier event of the call
  };
  // `read` runs its argument in a transaction: a fresh read transaction, or
  // the write transaction of the caller.
  using TxnRunner = std::function<Status(const std::function<Status(const Txn&)>&)>;
  // The events linked, encoded and signed against the ledger as it was at
  // out->base.
  Status LinkAndSign(const std::vector<Event>& events, const Signer& signer,
                     const SignAndAppendOptions& options, const TxnRunner& read,
                     SignedBatch* out) const;
  // Signs bytes[start, end) into out[start, end): one signature each, on
  // append_pool_, or one batch signature over them.
  Status SignRange(std::vector<std::string>* bytes, std::size_t start, std::size_t end,
                   const Signer& signer, const std::string& key_id, bool batch,
                   std::vector<SignedEvent>* out) const;

  const Verifier* VerifierOf(const KeyEntry& key) const;
  // kFailedPrecondition for a write other than AppendStored to a mirror, or
  // any write to a read-only ledger; OK otherwise.
  Status CheckWritable(bool stored) const;

  std::unique_ptr<LmdbEnv> env_;
  Options opts_;
  std::string ledger_id_raw_;
  LedgerInfo static_info_;  // static_info_.mirror: a mirror (meta "mirror_of")
  std::unique_ptr<ThreadPool> append_pool_;  // prechecks and signatures of large batches
  mutable KeyCache keys_;                    // parsed keys, for every verification
  mutable BookCache books_{&keys_};
};

}  // namespace retrace::internal

#endif  // RETRACE_LIB_LEDGER_LEDGER_IMPL_H_
