// Ledger: a signed, hash-linked, append-only custody log stored in LMDB.
//
//   auto root = Signer::Generate(Algorithm::kEd25519);
//   auto ledger = Ledger::Create(Options(), "/var/lib/retrace/cn-2026", "cn-2026",
//                                **root, "regulator");
//   Event ev = ...;                          // e.g. an Extracted event
//   (*ledger)->LinkParents(&ev);             // ledger id, parent hashes
//   auto signed_ev = SignEvent(ev, mine_signer);
//   auto at = (*ledger)->Append(*signed_ev); // checked, then durable
//   auto report = (*ledger)->VerifyLot("MAG-0001");
//
// Every append runs in one LMDB write transaction that reads the head,
// checks the signature and every custody rule against the current state,
// writes the record, its indexes, the derived lot/actor state and the Merkle
// tree nodes, and commits -- or changes nothing at all. A rejected append
// returns an error naming the reason and leaves the ledger byte-for-byte as
// it was (same size, same head hash).
//
// On-disk format: docs/storage-format.md.
//
// Thread safety: a Ledger is safe for concurrent use by many threads.
// Appends are serialised by LMDB's writer lock (across processes too: several
// processes may open and append to one ledger; the chain stays linear).
// Readers never block writers. Do not open the same directory twice in one
// process: Open refuses with kFailedPrecondition (LMDB's locks are
// per-process); share the one Ledger instead.
#ifndef RETRACE_LEDGER_H_
#define RETRACE_LEDGER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "retrace/event.h"
#include "retrace/export.h"
#include "retrace/hash.h"
#include "retrace/merkle.h"
#include "retrace/note.h"
#include "retrace/signer.h"
#include "retrace/status.h"
#include "retrace/verifier.h"

namespace retrace {

// What an append that breaks a regulatory rule (a production quota, a
// mining licence) does. Custody and mass rules always refuse.
enum class RegulatoryMode {
  // Refuse the append (an ERP's choice: nothing illegal enters the books).
  kReject = 0,
  // Append it and flag it: the record is kept, AppendResult::flagged names
  // the violation, and verification reports it as a finding on every
  // lineage it reaches (a regulator's choice: a violation stays visible).
  kRecordAndFlag = 1,
};

struct Options {
  // Durable commits: every successful append is flushed to stable storage
  // (fdatasync of the data, then the meta page) before Append returns. With
  // false (LMDB's MDB_NOSYNC), a crash of the process still loses nothing,
  // but a power loss or kernel crash may lose the most recent appends and,
  // unless the file system preserves write order, damage the file (Open and
  // Audit then report it). docs/reliability.md has the details and figures.
  // Default: true.
  bool sync = true;

  // Initial size of the memory map. The map grows on demand (doubling, up to
  // max_map_size), so this only tunes how often it grows.
  // Default: 64 MiB.
  std::uint64_t initial_map_size = std::uint64_t{64} << 20;

  // Upper bound for map growth. An append that would need more fails with
  // kResourceExhausted and changes nothing.
  // Default: 1 TiB.
  std::uint64_t max_map_size = std::uint64_t{1} << 40;

  // Largest accepted event, in bytes. Larger events are refused with
  // kInvalidArgument before anything is written.
  // Default: 1 MiB.
  std::size_t max_event_bytes = std::size_t{1} << 20;

  // Threads that check the signatures of an AppendBatch (and make those of
  // a SignAndAppend) before it takes the write lock: 0 means one per
  // hardware thread, 1 the calling thread only. With more than one, the
  // Ledger keeps that many - 1 idle threads while open. Batches of fewer
  // than 8 events always use the caller only.
  // Default: 0.
  unsigned append_threads = 0;

  // Most inputs or outputs in one transformation (kInvalidArgument beyond).
  // Default: 10000.
  std::size_t max_lots_per_event = 10000;

  // How far in the future of this host's clock an event may be dated, in
  // seconds: a later event is refused (finding code time_in_future) before
  // anything is written. Quota years follow event times, so this is also
  // what stops a mine from extracting under next year's quota today.
  // Independently of it, a lot's record dated more than an hour before an
  // earlier record of the same lot is refused (time_reversed), by every
  // ledger and verifier alike (docs/verification.md, "Time").
  // Default: 300 (five minutes).
  std::int64_t max_clock_skew_seconds = 300;

  // What an append that exceeds a quota or lacks a licence does.
  // Default: kReject.
  RegulatoryMode regulatory_violations = RegulatoryMode::kReject;

  // Open only for reading: appends fail with kFailedPrecondition. Needed for
  // a ledger directory the process may not write (LMDB still needs the lock
  // file to be writable unless the directory is on read-only media).
  // Default: false.
  bool read_only = false;

  // Ledger::Create only (ignored elsewhere): binds the new ledger to the
  // regulator's registry ledger (docs/federation.md, "The registry"). Its
  // genesis names the binding, the regulator signs it with the genesis, and
  // the ledger is written in storage format 4 (docs/storage-format.md), so
  // that a reader that predates the registry refuses it instead of
  // skipping the checks of its imports. Default: unset (an ordinary ledger).
  std::optional<RegistryBinding> registry;
};

// How Ledger::VerifyLot checks a lineage.
struct VerifyOptions {
  // Verify the signature of every record reached. With false the verifier
  // still checks everything else -- record hashes, the chain link of every
  // record, the Merkle leaf, key registration, roles, custody and mass
  // balance -- and reports signatures_checked = 0 ("integrity only"). Only
  // meaningful for a ledger whose signatures were verified before (e.g. a
  // full audit of the same head): without signatures anyone who can write
  // the ledger file can forge consistent records.
  // Default: true.
  bool check_signatures = true;

  // Threads of the verification: the calling thread walks the lineage and
  // replays its rules, in order; the others check signatures and, for a
  // lineage of more than a few dozen records, read ahead of the walk
  // (parse, hash and validate the records it is about to reach). 0 means
  // one per hardware thread; 1 means the calling thread only. The report is
  // the same for every value.
  // Default: 0.
  unsigned threads = 0;

  // A record of the lineage dated more than this many seconds after the
  // verifying host's clock is a finding (time_in_future): no honest append
  // accepted it (Options::max_clock_skew_seconds).
  // Default: 300.
  std::int64_t max_clock_skew_seconds = 300;
};

// What Ledger::Audit checks.
enum class AuditScope {
  // Every record, signature (unless AuditOptions::check_signatures is
  // false), custody, mass, quota and stage rule, and every derived table.
  kFull,
  // Storage integrity only: the records' hashes, sequence and chain links,
  // every stored Merkle tree node, the head, and the hash, event-id, lot,
  // quota-log, key-event and policy indexes. No signatures, no rule replay,
  // no lot, actor, key or quota state. Sequential scans only, several
  // times faster than kFull; a damaged index is named, not the entry that
  // differs (docs/verification.md, "Integrity-only audit").
  kIntegrity,
};

// How Ledger::Audit checks the whole ledger.
struct AuditOptions {
  // Default: kFull.
  AuditScope scope = AuditScope::kFull;

  // As VerifyOptions::check_signatures: false skips signature checks only.
  // Default: true.
  bool check_signatures = true;

  // Threads that check signatures while the calling thread streams the log,
  // and (the full scope) parse and hash the records ahead of its replay
  // (0: one per hardware thread; 1: the calling thread only). The report is
  // the same for every value.
  // Default: 0.
  unsigned threads = 0;

  // As VerifyOptions::max_clock_skew_seconds (kFull only).
  // Default: 300.
  std::int64_t max_clock_skew_seconds = 300;

  // Hears (records done, total) on the calling thread every 256 records and
  // once at the end (done == total); must not call back into the Ledger.
  // Default: empty (no reports).
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
};

// How Ledger::SignAndAppend signs the events it is given.
struct SignAndAppendOptions {
  // false: one signature per event, exactly as SignEvent makes it. true:
  // one signature over the Merkle root of each run of events, exactly as
  // SignEventBatch makes it (docs/data-model.md, "Batch signatures"). A
  // record's hash covers its batch signature, which covers every event of
  // the batch, so an event that moves a lot an earlier event of the same run
  // moves starts a new signed batch (and so does the 65537th event); events
  // that do not depend on each other share one signature.
  // Default: false.
  bool batch_signature = false;
};

struct LedgerInfo {
  std::string ledger_id;      // 32 hex digits, chosen at Create
  std::string name;           // genesis name; the checkpoint origin
  std::string root_actor_id;
  std::string root_key_id;
  std::uint64_t size = 0;     // number of records (tree size)
  Hash head_hash{};           // hash of record size-1
  // A mirror (Ledger::CreateMirror) takes its records from the ledger it
  // mirrors, with AppendStored only.
  bool mirror = false;
};

struct AppendResult {
  std::uint64_t seq = 0;
  Hash hash{};
  // Regulatory violations recorded under RegulatoryMode::kRecordAndFlag
  // (empty otherwise, and for compliant events).
  std::vector<Finding> flagged;
};

// One production quota: an enterprise's grant for a year and kind, and
// what has counted against it, as verification judges it: the same book of
// authority and the same balance arithmetic (docs/verification.md,
// "Quotas"). Grams beyond the range of the fields saturate.
struct QuotaUsage {
  std::string actor_id;
  std::uint32_t year = 0;
  QuotaKind kind = QuotaKind::kUnspecified;
  std::uint64_t granted_reo_g = 0;   // the grant in force now (0 if no valid grant)
  std::uint64_t granted_seq = 0;     // the record of that grant (0 if none)
  std::uint64_t used_reo_g = 0;      // uses that count
  // granted - used; negative when the uses exceed the grant in force now:
  // a use over the quota in force at its own position (flag mode, or a
  // grant voided later by a revocation) -- each such use has exceeded set
  // and is a quota_exceeded finding -- or a later grant cut below what was
  // used before it, which is no finding.
  std::int64_t remaining_reo_g = 0;
  struct Entry {
    std::uint64_t seq = 0;
    bool grant = false;              // a grant (else a use)
    std::uint64_t reo_g = 0;         // the grant's new total, or the use
    std::string lot_id;              // for uses: the lot extracted / first output
    std::vector<std::string> lot_ids;  // for uses: every lot it created
    // A grant the book of authority holds void (its signer's key revoked,
    // say): it never was the quota. A use that does not count (its signer
    // not valid at its position). Each is reported by verification.
    bool void_entry = false;
    bool exceeded = false;           // a counting use over the quota then in force
    // A reversal of use `releases`: reo_g is what that use had counted (0 if
    // it did not count), free again from this entry on.
    bool release = false;
    std::uint64_t releases = 0;
  };
  std::vector<Entry> entries;        // in log order
};

// The current derived state of a lot.
struct LotInfo {
  Lot lot;                    // as created
  std::uint64_t remaining_g = 0;
  std::string custodian;      // holder; the sender while in transit
  std::string in_transit_to;
  std::string status;         // "held", "in_transit", "exported", "consumed"
  std::uint64_t created_seq = 0;
  std::uint64_t head_seq = 0;
  Hash head_hash{};           // what the next record of this lot links to
};

// A validly registered actor (the book of authority's: a registration a
// revocation voided does not count).
struct ActorInfo {
  std::string actor_id;
  std::string legal_name;
  Role role = Role::kUnspecified;
  std::uint64_t registered_seq = 0;
  std::vector<std::string> key_ids;  // validly registered keys, oldest first
  std::string licence;
  std::string jurisdiction;
};

class RETRACE_EXPORT Ledger {
 public:
  virtual ~Ledger() = default;
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // Creates a new ledger in `dir` (created if missing; must be empty of
  // ledger files) and appends its genesis record, signed by `root`, which
  // registers `root_actor_id` as the regulator.
  // kAlreadyExists if `dir` already holds a ledger; kInvalidArgument for an
  // empty or over-long name or actor id; kIoError if `dir` is not writable.
  static Result<std::unique_ptr<Ledger>> Create(const Options& options, const std::string& dir,
                                                std::string_view name, const Signer& root,
                                                std::string_view root_actor_id = "regulator");

  // Opens an existing ledger. kNotFound if `dir` holds no ledger;
  // kCorruption if it is not a retrace ledger of a known format version or
  // its genesis record is damaged; kFailedPrecondition if this process has
  // it open already, or if it is a ledger of an older storage format that
  // Upgrade converts (the message says so; nothing is changed).
  static Result<std::unique_ptr<Ledger>> Open(const Options& options, const std::string& dir);

  // Converts a ledger of storage format 2 to format 3 in place
  // (docs/storage-format.md, "Versioning"): builds the authority index from
  // the records, recomputes the lot and quota state, and drops format 2's
  // derived tables -- all in one LMDB write transaction, so a crash leaves
  // the ledger as it was before or as it is after, never in between. The
  // records, the Merkle tree and the checkpoints are not touched: every
  // record hash, root and signed checkpoint stays valid. Returns the
  // format the ledger had ("retrace-ledger/2"), or kFailedPrecondition if it
  // is at format 3 already (nothing to do); errors as Open otherwise.
  static Result<std::string> Upgrade(const Options& options, const std::string& dir);

  // Creates a mirror of another ledger in `dir`: a ledger whose records are
  // the source's, byte for byte, starting with its genesis record
  // `genesis_record` (the stored bytes of the source's record 0, which must
  // be a genesis record signed by the root key it names). A mirror refuses
  // Append, AppendBatch and SignAndAppend (kFailedPrecondition); it grows
  // only by AppendStored, and otherwise reads, verifies, audits and proves
  // as any ledger (docs/publishing.md). Errors as Create, and
  // kInvalidArgument if `genesis_record` is not a genesis record.
  static Result<std::unique_ptr<Ledger>> CreateMirror(const Options& options,
                                                      const std::string& dir,
                                                      std::string_view genesis_record);

  virtual Result<LedgerInfo> Info() const = 0;

  // Fills in, from the current state, the parts of `event` a signer commits
  // to but an ERP does not track: the ledger id (if empty) and every parent
  // hash left unset (the named lot's current head). Parent hashes already
  // set are left alone. kNotFound if a referenced lot does not exist.
  // Appending can still fail if another append moves the lot first: that is
  // kFailedPrecondition ("parent hash is stale"), and the caller re-links.
  virtual Status LinkParents(Event* event) const = 0;

  // Checks `event` against the ledger (signature, signer's registration and
  // role, ids, custody, mass) and appends it as the next record.
  // Errors (the ledger is unchanged in every case):
  //   kInvalidArgument     malformed or oversized event, bad signature encoding
  //   kVerificationFailed  the signature does not verify
  //   kNotFound            unknown key, lot or actor
  //   kAlreadyExists       duplicate event id, lot id or actor id
  //   kFailedPrecondition  a custody or mass rule would be broken
  //   kResourceExhausted   the map cannot grow / disk full
  //   kIoError, kCorruption
  virtual Result<AppendResult> Append(const SignedEvent& event) = 0;

  // Appends `events` in order in one transaction (one fsync): all of them,
  // or none. An event may depend on an earlier one of the same batch. The
  // error names the index of the first event refused. Signatures are
  // checked before the write lock is taken, on Options::append_threads
  // threads, so concurrent AppendBatch calls overlap their signature checks
  // and only serialise for the write itself.
  virtual Result<std::vector<AppendResult>> AppendBatch(
      const std::vector<SignedEvent>& events) = 0;

  // AppendBatch without appending: every event is checked exactly as
  // AppendBatch checks it -- signatures, every rule, each event seeing the
  // earlier ones of the batch, inside a write transaction -- and the
  // transaction is then aborted. Returns what AppendBatch would return (the
  // seqs and hashes the records would get, what would be flagged) or the
  // error it would give; the ledger is unchanged either way. It takes the
  // writer lock for the time of the check, so it needs a ledger opened for
  // writing (kFailedPrecondition for a read-only one or a mirror).
  virtual Result<std::vector<AppendResult>> CheckAppendBatch(
      const std::vector<SignedEvent>& events) = 0;

  // Ledger::SignAndAppend (below) links, signs and appends unsigned events
  // for a host that holds its actor's key in-process.

  // The record at `seq`. kNotFound if seq >= size; kCorruption if the stored
  // bytes do not parse.
  virtual Result<Record> ReadRecord(std::uint64_t seq) const = 0;

  // Every record of the lot (creation, shipments, receipts, consumptions,
  // export) in log order, as the lot index lists them. kNotFound if unknown.
  virtual Result<std::vector<Record>> LotRecords(std::string_view lot_id) const = 0;

  virtual Result<LotInfo> GetLot(std::string_view lot_id) const = 0;
  virtual Result<ActorInfo> GetActor(std::string_view actor_id) const = 0;
  // All lot ids, sorted. Meant for tools and tests, not for huge ledgers.
  virtual Result<std::vector<std::string>> ListLots() const = 0;

  // Production quotas and their use, filtered by year and actor when given
  // (0 / empty = all), sorted by actor, year, kind.
  virtual Result<std::vector<QuotaUsage>> Quotas(std::uint32_t year = 0,
                                                 std::string_view actor_id = {}) const = 0;

  // Verifies the lineage of `lot_id` back to its origins (docs/verification.md).
  // Every record of the lineage is checked once, however many paths of the
  // DAG reach it. kNotFound for an unknown lot; findings for everything
  // wrong. Reads one snapshot: appends made meanwhile are not seen.
  virtual Result<VerifyReport> VerifyLot(std::string_view lot_id,
                                         const VerifyOptions& options) const = 0;
  // VerifyLot with default VerifyOptions (signatures checked, all cores).
  Result<VerifyReport> VerifyLot(std::string_view lot_id) const {
    return VerifyLot(lot_id, VerifyOptions());
  }

  // Reports the progress of a long call: `done` of `total` records so far.
  // Called on the calling thread, at most every few hundred records and once
  // at the end (done == total); it must not call back into the Ledger.
  using ProgressCallback = std::function<void(std::uint64_t done, std::uint64_t total)>;

  // Checks every record of the ledger and every derived index, streaming:
  // memory does not grow with the number of records or lots (only with
  // actors, keys, policies and quota keys; lot states are kept in a bounded
  // cache). Reads one snapshot, held for the whole audit: LMDB cannot reuse
  // pages freed meanwhile, so a ledger appended to during a long audit grows.
  virtual Result<AuditReport> Audit(const AuditOptions& options) const = 0;
  // Audit with default AuditOptions (signatures checked, all cores).
  Result<AuditReport> Audit() const { return Audit(AuditOptions()); }
  // Audit with default AuditOptions and `progress` (may be empty).
  Result<AuditReport> Audit(const ProgressCallback& progress) const {
    AuditOptions options;
    options.progress = progress;
    return Audit(options);
  }

  // RFC 6962 tree over the records.
  virtual Result<Hash> RootAt(std::uint64_t tree_size) const = 0;
  virtual Result<merkle::InclusionProof> ProveInclusion(std::uint64_t seq,
                                                        std::uint64_t tree_size) const = 0;
  virtual Result<merkle::ConsistencyProof> ProveConsistency(std::uint64_t old_size,
                                                            std::uint64_t new_size) const = 0;

  // --- Transparency: checkpoints and offline proofs (docs/transparency.md).

  // Signs a C2SP checkpoint of the whole current tree with the log key
  // `signer` (a kEd25519 note key; the origin is the ledger name) and stores
  // it; appends no record. Returns the signed checkpoint note. Before signing
  // it proves, inside the same transaction, that the current tree extends the
  // last stored checkpoint (an RFC 6962 consistency proof from its size) and
  // that every record since it hashes to its tree leaf: the ledger never signs
  // two inconsistent checkpoints. At an unchanged size it adds `signer`'s
  // signature to the stored checkpoint (returning it unchanged if present).
  // Errors (nothing is signed or stored in any case):
  //   kInvalidArgument     `signer` is a cosignature key
  //   kFailedPrecondition  the ledger was opened read-only
  //   kCorruption          the log no longer extends the last stored
  //                        checkpoint, or a record differs from its leaf: the
  //                        log was rewritten
  virtual Result<std::string> SignCheckpoint(const NoteSigner& signer) = 0;

  // The latest stored signed checkpoint note, with any cosignatures.
  // kNotFound if none was signed yet.
  virtual Result<std::string> LatestCheckpoint() const = 0;

  // Adds witness cosignatures to a stored checkpoint. `cosignatures` is either
  // the signature lines a witness returned (as `retrace witness cosign`
  // prints them) or a whole cosigned checkpoint note; the lines are matched
  // to the latest stored checkpoint they verify against (a whole note: to
  // the stored checkpoint with its text). Only lines by `witnesses` keys are
  // kept, each replacing an earlier cosignature by the same key. Returns the
  // stored note. Errors (nothing is stored): kInvalidArgument for malformed
  // input; kNotFound if no stored checkpoint matches; kVerificationFailed if
  // a line by a given witness does not verify or none is by one.
  virtual Result<std::string> AddCosignatures(std::string_view cosignatures,
                                              const std::vector<NoteVerifier>& witnesses) = 0;

  // --- Records stored elsewhere (a mirror).

  // Appends `records` -- stored record bytes exactly as another ledger
  // stored them, in log order, starting at this ledger's size -- in one
  // transaction, all or none. Each must be the record this ledger would
  // store at its position (its seq, the hash of the record before it, the
  // canonical encoding) and passes every check Append applies, signatures
  // included; the bytes stored are the bytes given. A regulatory finding
  // (quota, licence) is recorded and returned in `flagged` whatever
  // Options::regulatory_violations says: the source recorded it. Errors as
  // AppendBatch; kInvalidArgument also if a record's bytes are not the
  // record this ledger would store at its position.
  virtual Result<std::vector<AppendResult>> AppendStored(const std::vector<std::string>& records) = 0;

  // Stores a checkpoint another ledger (the source of a mirror) signed: a
  // signed note with any cosignatures, whose signature by `log_key` must
  // verify, whose origin must be this ledger's name, and whose size and root
  // hash must be this ledger's tree at that size. Returns the stored note.
  // kVerificationFailed if the signature does not verify or the root
  // differs (the source forked: split view); kFailedPrecondition if the
  // checkpoint is larger than this ledger or older than one stored (not an
  // error to store twice: an equal note returns as is).
  virtual Result<std::string> StoreCheckpoint(std::string_view note,
                                              const NoteVerifier& log_key) = 0;

  // --- Sign-and-append.

  // Sign-and-append, for a host that holds its actor's key in-process (an
  // ERP linking retrace): links, signs and appends `events` in order in one
  // transaction (one fsync), all of them or none. For each event it fills
  // the ledger id (if empty) and every unset parent hash -- from the latest
  // earlier event of the call that moves the lot, else from the ledger (as
  // LinkParents) -- so an event may move a lot an earlier event of the same
  // call creates or moves. It encodes each event once and signs those exact
  // bytes with `signer`, outside the write lock, on Options::append_threads
  // threads, and stores them as they are: the records are identical in form
  // to those of SignEvent / SignEventBatch + AppendBatch. The ledger does
  // not verify the signatures it has just made; every other check of
  // AppendBatch runs: `signer`'s key must be registered, be a key of each
  // event's actor and be neither revoked nor retired at the record's
  // position; ids, roles, custody, mass, stage, licence and quota rules.
  // Record hashes are predicted from the head read before signing; if
  // another writer appends meanwhile and an event links to an earlier event
  // of the call, the call links and signs again, and after a second such
  // collision links and signs under the write lock (holding other writers
  // back for the signing time, but always getting through).
  // Errors (the ledger is unchanged in every case): as AppendBatch, the
  // message naming the index of the first event refused; kInvalidArgument
  // also for an empty `events` or an event that does not encode;
  // kFailedPrecondition also when an event's actor is not the actor of
  // `signer`'s key.
  virtual Result<std::vector<AppendResult>> SignAndAppend(
      const std::vector<Event>& events, const Signer& signer,
      const SignAndAppendOptions& options) = 0;
  // SignAndAppend with default options (one signature per event).
  Result<std::vector<AppendResult>> SignAndAppend(const std::vector<Event>& events,
                                                  const Signer& signer) {
    return SignAndAppend(events, signer, SignAndAppendOptions());
  }

 protected:
  Ledger() = default;
};

// Registers an actor: appends an actorRegistered event carrying
// `registration` (the new actor's id, legal name, role, key, licence,
// jurisdiction), stated by `by_actor_id` -- empty: the ledger's root actor
// (LedgerInfo::root_actor_id) -- and signed by `signer`, which must be that
// actor's registered, current key (normally the ledger's root key). The
// event gets a fresh id and the current time (FillEventDefaults) and is
// appended through Ledger::SignAndAppend, so every append rule applies (only
// a regulator may register actors). The one registration path of the CLI's
// `register` and the C API's retrace_ledger_register_actor.
// Errors (the ledger is unchanged in every case): as SignAndAppend;
// kAlreadyExists for an actor id already registered.
RETRACE_EXPORT Result<AppendResult> RegisterActor(Ledger& ledger, const Signer& signer,
                                                  ActorRegistered registration,
                                                  std::string_view by_actor_id = {});

}  // namespace retrace

#endif  // RETRACE_LEDGER_H_
