// Checks individual records: parse, sequence, committed leaf, chain link,
// event structure, ledger binding, the signer's key as it stood at the
// record's position (registered, not retired, not revoked), signature, and
// the signer's role under the policy in force (internal). Shared by lineage
// verification, the audit and bundle verification. Everything about keys,
// actors, policies and grants comes from one book of authority
// (rules/authority.h), built from every authority record of the store
// before any record is checked: no verdict depends on the order in which
// records are checked.
#ifndef RETRACE_LIB_VERIFY_RECORD_CHECKER_H_
#define RETRACE_LIB_VERIFY_RECORD_CHECKER_H_

#include <atomic>
#include <condition_variable>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <google/protobuf/arena.h>

#include "rules/authority.h"
#include "rules/rules.h"
#include "model/record.h"
#include "util/flat_map.h"
#include "retrace/event.h"
#include "retrace/signer.h"
#include "retrace/verifier.h"
#include "retrace/v1/retrace.pb.h"
#include "crypto/key_cache.h"
#include "verify/record_store.h"
#include "verify/signature_job.h"

namespace retrace::internal {

class ThreadPool;

struct CheckedRecord {
  std::uint64_t seq = 0;
  bool parsed = false;      // record and event parse and the event is well-formed
  // Views into the store's bytes (or `owned_bytes`): valid while the checker
  // and its store are. record.stored is empty if the record did not parse.
  RecordView record;
  // The parsed event (empty unless the record parsed), owned by the checker.
  const v1::Event& event() const { return *event_; }
  Role signer_role = Role::kUnspecified;
  bool signature_ok = false;  // valid signature by a key valid at this position
  bool authorized = false;    // signature_ok, and the signer's role may state it
  const Policy* policy = nullptr;  // in force at this record (never null if parsed); the book's

  const v1::Event* event_ = &v1::Event::default_instance();
  std::string owned_bytes;  // the stored bytes, if the store does not lend them
  std::unique_ptr<v1::Event> heap_event;  // RecordChecker::Mode::kStream: reused
};

class RecordChecker {
 public:
  // How the caller uses records: kRetain keeps every checked record to the
  // end (a lineage walk), kStream releases each one when done (the audit).
  // Only memory and speed differ: kRetain parses onto an arena freed at
  // once at the end; kStream reuses each released record's heap-allocated
  // event, whose strings and repeated fields keep their capacity (a record
  // read ahead keeps its event on its batch's arena until released).
  enum class Mode { kRetain, kStream };

  // `book` is the book of authority of `store` (LoadAuthority). `findings`
  // receives every problem found; it must outlive the checker. With
  // `check_signatures` false no signature is checked (integrity only:
  // signatures are taken as valid). `keys` (may be nullptr: the checker
  // keeps its own) caches parsed keys across checkers and must outlive it.
  RecordChecker(const RecordStore& store, std::shared_ptr<const Authority> book,
                std::vector<Finding>* findings, bool check_signatures = true,
                KeyCache* keys = nullptr, Mode mode = Mode::kRetain)
      : store_(store),
        book_(std::move(book)),
        findings_(findings),
        mode_(mode),
        check_signatures_(check_signatures),
        own_keys_(keys == nullptr ? std::make_unique<KeyCache>() : nullptr),
        keys_(keys == nullptr ? own_keys_.get() : keys) {}

  // Checks record `seq` once; later calls return the cached result. Errors
  // are only for "could not check" (I/O); problems become findings.
  //
  // Signatures of custody records (extraction, shipment, receipt,
  // transformation, export, recycling, import) are not checked here: each
  // queues a SignatureJob, and the record counts as signed until the job
  // says otherwise (FinishSignatureJobs then clears signature_ok and
  // authorized of a record still cached, and adds signature_invalid).
  // Authority records (genesis, registrations, key rotations and
  // revocations, policies, quota grants) carry the book's verdict: the book
  // verified their signatures when it was built.
  Result<const CheckedRecord*> Check(std::uint64_t seq);
  // The same, with the record's stored bytes as the store holds them (a
  // scan already has them; saves a lookup). `bytes` need only live during
  // the call.
  Result<const CheckedRecord*> Check(std::uint64_t seq, std::string_view bytes);

  // The signature checks queued since the last call, in the order queued.
  std::vector<SignatureJob> TakeSignatureJobs();
  // Counts the jobs (after Run) and reports every failed one, in job order.
  void FinishSignatureJobs(const std::vector<SignatureJob>& jobs);
  // Whether a finished job of record `seq` failed (for a caller that has
  // released the record since).
  bool SignatureFailed(std::uint64_t seq) const { return failed_signatures_.count(seq) != 0; }
  // Signature checks queued and not yet taken.
  std::size_t pending_signatures() const { return jobs_.size(); }
  // Take + run on `pool` (its workers and the caller) + Finish.
  void VerifySignatures(ThreadPool& pool);

  // Read-ahead on a thread pool, for a walk or a scan over a store that
  // lends its records. Once a pool is set, Prefetch reads the
  // stored bytes of each record of `seqs` not yet checked or queued -- here,
  // on the calling thread, because the store's read transaction is this
  // thread's -- and the pool's workers parse the record, hash it, and parse
  // and validate its event ahead of Check. Check takes that work over when
  // it reaches the record (or does it itself if no worker has started it)
  // and does everything else as without a pool, in the same order: the
  // findings and the report do not depend on it. Check also reads ahead by
  // itself when a walk goes through consecutive records (a deep chain names
  // its next lot only in the record being checked; kRetain only). `pool`
  // (workers() > 0) must outlive the checker, or be unset first:
  // SetPrefetchPool(nullptr) turns read-ahead off. Records queued and never
  // checked cost only their work on the pool.
  //
  // A scan that holds the bytes already (the audit's cursor) queues them
  // with PrefetchLent; they must stay valid as long as the store's. In
  // kStream the events prepared for one call live on an arena of their own,
  // freed once every record of the call is released (or kept, which copies
  // its event): memory stays bounded by the records read ahead.
  // Turning read-ahead off (or to another pool) first waits for the work
  // queued on the pool.
  void SetPrefetchPool(ThreadPool* pool);
  Status Prefetch(const std::vector<std::uint64_t>& seqs);
  void PrefetchLent(const std::vector<std::pair<std::uint64_t, std::string_view>>& records);

  ~RecordChecker();
  RecordChecker(const RecordChecker&) = delete;
  RecordChecker& operator=(const RecordChecker&) = delete;

  // Drops a cached record that is no longer needed (the audit streams), but
  // keeps registrations and policies, which later records refer to.
  void Release(std::uint64_t seq);

  const Authority& book() const { return *book_; }

  std::uint64_t signatures_checked() const { return signatures_checked_; }
  std::uint64_t records_checked() const { return records_checked_; }

  void Add(const char* code, std::uint64_t seq, std::string lot, std::string message);

 private:
  Result<const CheckedRecord*> CheckUncached(std::uint64_t seq);
  // A fresh record slot and an empty event for it (see the arenas below).
  CheckedRecord* NewRecord(std::uint64_t seq);
  v1::Event* NewEvent(CheckedRecord* c);
  // Moves a record whose event later checks read again (registrations,
  // rotations, revocations, policies, genesis) to the long-lived arena.
  void Keep(CheckedRecord* c);
  // The signature step of a record whose signing key is `key` (valid at the
  // record's position): sets c->signature_ok, or queues a SignatureJob for
  // a custody record, or reports signature_invalid; single and batch
  // signatures alike (PrepareSignatureCheck). Nothing else of the check
  // depends on how a signature is verified.
  void CheckSignature(CheckedRecord* c, const PublicKey& key);
  // The signature check of record `c` under `v`, single or batch. A batch
  // signature's job shares a BatchRootCheck with the records of the same
  // batch (same key, signature and size) seen before, so the root signature
  // is verified once per batch in this checker. False, with a
  // signature_invalid finding, if the batch index or size is out of range.
  bool PrepareSignatureCheck(const CheckedRecord& c, const Verifier* v, SignatureJob* job);
  // What the pool prepares of a record.
  struct PreparedRecord {
    std::uint64_t seq = 0;
    std::string_view bytes;     // lent by the store
    Status parsed;              // ParseRecordView
    RecordView view;            // view.hash: RecordHash(bytes), parsed or not
    v1::Event* event = nullptr; // if the record parsed: on PrepareArena(batch)
    bool event_parsed = false;
    Status valid;               // ValidateEventProto, if the event parsed
    void Run(google::protobuf::Arena* arena);
  };
  // A record queued for the pool: prepared by whichever thread claims it
  // (state 0 -> 1), read by Check once state is 2.
  struct PrepareBatch;
  struct Prepared {
    std::atomic<int> state{0};  // 0 queued, 1 being prepared, 2 done
    PreparedRecord r;
    PrepareBatch* batch = nullptr;  // batches_ is a list: it does not move
  };
  struct PrepareBatch {
    std::unique_ptr<Prepared[]> entries;
    std::size_t size = 0;
    std::size_t left = 0;  // entries still in prepared_
    std::shared_ptr<void> range;  // ThreadPool::Range, waited on before the entries go
    // kStream: the arena of this batch's events, and the records taken from
    // it whose event is still in use (cached, not kept).
    std::unique_ptr<google::protobuf::Arena> arena;
    std::size_t live = 0;
  };
  // Copies out the prepared record `seq`, done (claimed and run here if no
  // worker has started it), and unqueues it; false if it was not queued.
  // (A copy: its batch may be freed by the next Queue.) *batch is the batch
  // it came from.
  bool TakePrepared(std::uint64_t seq, PreparedRecord* out, PrepareBatch** batch);
  // The arena a prepared record of `b` is parsed onto.
  google::protobuf::Arena* PrepareArena(PrepareBatch& b);
  // kStream: the record `seq` no longer uses its batch's arena.
  void Unpin(std::uint64_t seq);
  // Waits for the prepared record `seq`, if queued, without taking it
  // (nullptr if not queued). Valid until the next Queue.
  const PreparedRecord* WaitPrepared(std::uint64_t seq);
  // Queues the records of seqs (in that order) that are neither checked
  // nor queued and are in the store.
  Status Queue(const std::uint64_t* seqs, std::size_t n);
  // Sequential read-ahead from an uncached `seq` (see SetPrefetchPool;
  // kRetain only: a scan reads ahead itself, PrefetchLent).
  Status ReadAhead(std::uint64_t seq);
  // Frees batches whose work is done, whose records were all taken (or
  // which a few newer batches follow) and (kStream) none of whose events a
  // cached record still uses; their arenas go to *retired.
  void ReapBatches(std::vector<std::unique_ptr<google::protobuf::Arena>>* retired);
  void WaitBatches();
  google::protobuf::Arena* WorkingArena();
  // Checks the authority records the verdict on record `seq`, signed with
  // `key_id` by `actor_id`, rests on (the key's records, the actor's
  // registration, the policy record before it), so that what is wrong with
  // them is reported too.
  Status CheckDependencies(std::uint64_t seq, std::string_view key_id, std::string_view actor_id);
  const Verifier* VerifierFor(const PublicKey& key);

  const RecordStore& store_;
  const std::shared_ptr<const Authority> book_;
  std::vector<Finding>* findings_;
  const Mode mode_;
  // Memory: every check allocates a record slot and a parsed event, and a
  // lineage walk keeps all of them to the end; a heap object per message
  // and string cost more than the parse. Slots come from a deque (reused
  // once released). kRetain parses events on an arena (records whose events
  // later checks read again are copied to a second one; should a kRetain
  // caller release records, the working arena is dropped whenever nothing
  // on it is live, so memory stays bounded). kStream parses into the slot's
  // own heap event, reused with the slot: for a scan that frees each record
  // at once, recycled heap memory is warmer than fresh arena blocks. A
  // kStream record read ahead keeps its event on its batch's arena
  // (PrepareBatch::arena), which goes when no cached record uses it.
  std::deque<CheckedRecord> slots_;
  std::vector<CheckedRecord*> free_slots_;
  std::unique_ptr<google::protobuf::Arena> arena_;
  google::protobuf::Arena keep_arena_;
  std::size_t live_on_arena_ = 0;  // cached records whose event is on arena_
  FlatU64Map<CheckedRecord*> cache_;
  // Hashes of records read only to check the next record's link: a walk
  // that goes backwards reads seq - 1 first, and seq itself later.
  FlatU64Map<Hash> link_hashes_;
  std::optional<std::pair<std::uint64_t, Hash>> last_hash_;  // hint for streaming
  std::uint64_t signatures_checked_ = 0;
  std::uint64_t records_checked_ = 0;
  std::vector<SignatureJob> jobs_;
  std::set<std::uint64_t> failed_signatures_;
  // Batch root checks by key id, signature and batch size; bounded (a batch
  // met again after a reset is verified once more).
  std::unordered_map<std::string, std::shared_ptr<BatchRootCheck>> batch_checks_;
  std::optional<std::pair<std::uint64_t, std::string_view>> provided_;  // for one Check
  ThreadPool* prefetch_pool_ = nullptr;
  FlatU64Map<Prepared*> prepared_;
  std::list<PrepareBatch> batches_;
  FlatU64Map<PrepareBatch*> on_batch_;  // kStream: records whose event is on a batch's arena
  // Read-ahead: the last uncached seq checked, the current run of
  // consecutive ones (+n forward, -n backward), and how far records are
  // queued in the run's direction.
  std::uint64_t last_miss_ = ~std::uint64_t{0};
  int run_ = 0;
  std::uint64_t ahead_ = 0;
  const bool check_signatures_ = true;
  std::unique_ptr<KeyCache> own_keys_;
  KeyCache* const keys_;
};

}  // namespace retrace::internal

#endif  // RETRACE_LIB_VERIFY_RECORD_CHECKER_H_
