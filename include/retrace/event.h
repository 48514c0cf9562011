// The custody data model: lots, events and records, as plain C++ values.
//
// These structs mirror proto/retrace/v1/retrace.proto field for field; the
// proto is the storage and wire form, these are what C++ callers build and
// read. docs/data-model.md defines every term.
//
// Units: every mass is a whole number of grams (no floating point anywhere
// in a rule). A lot's rare-earth content is given per element in grams of
// the element itself (Nd, not Nd2O3).
//
// Thread safety: plain values.
#ifndef RETRACE_EVENT_H_
#define RETRACE_EVENT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "retrace/export.h"
#include "retrace/hash.h"
#include "retrace/signer.h"
#include "retrace/status.h"

namespace retrace {

// Limits of an event (docs/data-model.md, "Limits"). EncodeEvent and the
// ledger's append refuse an event past any of them with kInvalidArgument;
// the verifier reports a stored one as malformed. They are part of the
// format: changing one changes which records are valid.
//
// An id (event, actor, lot, key, ledger name): 1..kMaxIdBytes bytes of UTF-8.
inline constexpr std::size_t kMaxIdBytes = 256;
// Free text (descriptions, reference values, licence, site).
inline constexpr std::size_t kMaxTextBytes = 4096;
// References of one event.
inline constexpr int kMaxReferences = 64;
// Rules of one policy set, and the widest element tolerance of a rule
// (100,000 ppm = 10 %).
inline constexpr int kMaxPolicyRules = 64;
inline constexpr std::uint32_t kMaxElementTolerancePpm = 100000;
// Any single mass, content or quota figure: 2^53 g.
inline constexpr std::uint64_t kMaxGrams = std::uint64_t{1} << 53;
// Lots one reversal names.
inline constexpr int kMaxReversedLots = 10000;
// SignedEvent::key_id and SignedEvent::signature as an append takes them
// (each algorithm then checks its own exact signature length).
inline constexpr std::size_t kMaxKeyIdBytes = 64;
inline constexpr std::size_t kMaxSignatureBytes = 256;
// The largest batch SignEventBatch makes and a ledger accepts
// (BatchInclusion below).
inline constexpr std::uint64_t kMaxEventBatchSize = 65536;

// Values equal the proto enum numbers.
enum class Role : int {
  kUnspecified = 0,
  kRegulator = 1,
  kMine = 2,
  kSeparator = 3,
  kSmelter = 4,
  kMagnetMaker = 5,
  kExporter = 6,
  kRecycler = 7,
  kImporter = 8,
};

enum class MaterialClass : int {
  kUnspecified = 0,
  kOreConcentrate = 1,
  kMixedCompound = 2,
  kSeparatedOxide = 3,
  kMetalAlloy = 4,
  kMagnet = 5,
  kOther = 6,
};

// Rare-earth elements by atomic number.
enum class Element : int {
  kUnspecified = 0,
  kSc = 21, kY = 39,
  kLa = 57, kCe = 58, kPr = 59, kNd = 60, kPm = 61, kSm = 62, kEu = 63,
  kGd = 64, kTb = 65, kDy = 66, kHo = 67, kEr = 68, kTm = 69, kYb = 70, kLu = 71,
};

// Which production quota a record counts against.
enum class QuotaKind : int {
  kUnspecified = 0,
  kMiningRock = 1,           // rock-type deposits, mainly light rare earths
  kMiningIonic = 2,          // ionic-clay deposits, mainly medium/heavy
  kSmeltingSeparation = 3,   // separation output
};

// "mining_rock", "mining_ionic", "smelting_separation".
RETRACE_EXPORT const char* QuotaKindName(QuotaKind k) noexcept;
// Inverse of QuotaKindName. kInvalidArgument otherwise.
RETRACE_EXPORT Result<QuotaKind> ParseQuotaKind(std::string_view name);
// Inverse of RoleName, the one parser of role names (the CLI's --role, the
// C API's retrace_ledger_register_actor): accepts RoleName's spelling in any
// case, with '-' for '_' ("magnet-maker") and with the proto enum's "ROLE_"
// prefix ("ROLE_MAGNET_MAKER"). kInvalidArgument, listing the names,
// otherwise.
RETRACE_EXPORT Result<Role> ParseRole(std::string_view name);

// "mine", "separator", ... (the proto name without prefix, lower case).
RETRACE_EXPORT const char* RoleName(Role r) noexcept;
// "ore_concentrate", "separated_oxide", ...
RETRACE_EXPORT const char* MaterialClassName(MaterialClass m) noexcept;
// Chemical symbol: "Nd", "Dy", ... ; "?" for kUnspecified.
RETRACE_EXPORT const char* ElementSymbol(Element e) noexcept;

struct ElementMass {
  Element element = Element::kUnspecified;
  std::uint64_t grams = 0;
};

struct Lot {
  std::string lot_id;
  MaterialClass material = MaterialClass::kUnspecified;
  std::uint64_t mass_g = 0;
  std::vector<ElementMass> content;
  std::string description;
};

// The ELEMENTAL rare-earth mass of `lot`: the plain sum of its content, in
// grams of the elements themselves (Nd, not Nd2O3), the figure a lineage
// shows as LineageLot::rare_earth_g. Not the oxide figure quotas count
// (ReoEquivalentGrams). kInvalidArgument on overflow.
RETRACE_EXPORT Result<std::uint64_t> RareEarthMass(const Lot& lot);

// The OXIDE (REO) equivalent of `content`, in grams, the figure quotas are
// granted and counted in (RareEarthMass is the elemental sum): each
// element's mass times its stoichiometric oxide factor (Nd2O3, Pr6O11,
// CeO2, Tb4O7, La2O3, Dy2O3, Sm2O3, ...; IUPAC atomic weights to 0.001),
// computed in exact integer arithmetic: each element rounded down to the
// milligram, the sum rounded down to the gram (docs/verification.md lists
// the factors). A result beyond 2^64 - 1 g (only content summed over many
// lots can reach it) is 2^64 - 1: it saturates, never wraps. Quota checks
// use the exact sum.
RETRACE_EXPORT std::uint64_t ReoEquivalentGrams(const std::vector<ElementMass>& content);

struct Reference {
  std::string kind;
  std::string value;
};

// The registry ledger an enterprise ledger is bound to (docs/federation.md,
// "The registry"): the ledger imports the registry's authority records
// with proofs against checkpoints of this log.
struct RegistryBinding {
  std::string log_key;                 // the registry's checkpoint key (C2SP verifier key)
  std::vector<std::string> witnesses;  // witness verifier keys
  std::uint32_t quorum = 0;            // cosignatures a registry checkpoint needs
  std::string ledger_id;               // the registry's ledger id, 32 hex digits
};

struct Genesis {
  std::string name;
  std::string root_actor_id;
  std::optional<PublicKey> root_key;
  std::optional<RegistryBinding> registry;  // unset: bound to no registry
};

struct ActorRegistered {  // recorded by a regulator
  std::string actor_id;
  std::string legal_name;
  Role role = Role::kUnspecified;
  std::optional<PublicKey> key;
  std::string licence;
  std::string jurisdiction;
};

struct Extracted {
  Lot lot;
  std::string site;
  std::string licence;  // must match the mine's registered licence
  QuotaKind quota_kind = QuotaKind::kUnspecified;  // kMiningRock or kMiningIonic
};

// A parent hash left empty (std::nullopt) is filled in by
// Ledger::LinkParents with the lot's current head before signing.
struct Shipped {
  std::string lot_id;
  std::optional<Hash> parent_hash;
  std::string to_actor_id;
  std::uint64_t mass_g = 0;
  // A shipment to another ledger: the consignee ledger's name (its
  // checkpoint origin). Empty: the consignee is in this ledger.
  std::string consignee_log;
};

// A receipt from another ledger (docs/federation.md): the sender's log, its
// shipment record, the SHA-256 of the sender's lineage bundle of the lot
// (which the receiving ledger stores with the receipt:
// AppendCrossLedgerReceipt, retrace/federation.h) and the lot as that
// bundle proves it arrives.
struct CrossLedgerOrigin {
  std::string log_origin;
  std::uint64_t shipped_seq = 0;
  Hash shipped_record_hash{};
  Hash bundle_sha256{};
  Lot lot;
};

struct Received {
  std::string lot_id;
  std::optional<Hash> parent_hash;  // unset for a cross-ledger receipt
  std::string from_actor_id;
  std::uint64_t mass_g = 0;
  // Set: the lot comes from another ledger, and this receipt creates it.
  std::optional<CrossLedgerOrigin> origin;
};

struct TransformInput {
  std::string lot_id;
  std::uint64_t consumed_g = 0;
  std::optional<Hash> parent_hash;
};

struct Additive {
  std::string material;
  std::uint64_t mass_g = 0;
};

struct Transformed {
  std::vector<TransformInput> inputs;
  std::vector<Lot> outputs;
  std::vector<Additive> additives;
  std::uint64_t declared_loss_g = 0;
  std::string process;
};

struct Exported {
  std::string lot_id;
  std::optional<Hash> parent_hash;
  std::uint64_t mass_g = 0;
  std::string customs_declaration;
  std::string destination_country;
};

// Sets an enterprise's quota for a year and kind: `reo_g` is the quota after
// this grant in grams of rare-earth oxide (REO) equivalent; a later grant for
// the same enterprise, year and kind raises or cuts it.
struct QuotaGranted {
  std::string actor_id;
  std::uint32_t year = 0;
  QuotaKind kind = QuotaKind::kUnspecified;
  std::uint64_t reo_g = 0;
  std::string document;
};

// What one role may do under a stage policy (docs/verification.md).
struct StageRule {
  Role role = Role::kUnspecified;
  std::vector<std::string> events;         // "extracted", "transformed", ...
  std::vector<MaterialClass> inputs;       // may consume / export
  std::vector<MaterialClass> outputs;      // may create
  std::uint32_t element_tolerance_ppm = 0; // assay tolerance per element
};

// A foreign ledger whose lineage bundles this ledger accepts with a
// cross-ledger receipt: its checkpoint origin and key, and the witnesses
// (C2SP vkeys) of which `quorum` must cosign its checkpoint.
struct TrustedLog {
  std::string origin;
  std::string log_key;
  std::vector<std::string> witnesses;
  std::uint32_t quorum = 0;
};

// The stage policy in force from this record on; `trusted_logs` is the
// federation policy (docs/federation.md).
struct PolicySet {
  std::string name;
  std::vector<StageRule> rules;
  std::vector<TrustedLog> trusted_logs;
};

// The built-in five-stage policy (mine -> separator -> smelter -> magnet
// maker -> exporter, plus recyclers and importers as the other origins),
// in force until a regulator records another.
RETRACE_EXPORT PolicySet DefaultPolicy();

struct Recycled {
  Lot lot;
  std::vector<Additive> scrap;
  std::string source;
};

struct Imported {
  Lot lot;
  std::string customs_declaration;
  std::string origin_country;
};

struct KeyRotated {
  std::string actor_id;
  std::optional<PublicKey> new_key;
  std::string retired_key_id;  // empty: no key retired
};

struct KeyRevoked {
  std::string key_id;
  std::uint64_t effective_seq = 0;
  std::string reason;
};

// Reverses the custody record `seq` from this record on (retrace.proto,
// Reversed; docs/data-model.md, "Reversals"). Ledger::LinkParents fills an
// unset record_hash and empty lot_ids from the ledger.
struct Reversed {
  std::uint64_t seq = 0;
  std::optional<Hash> record_hash;
  std::vector<std::string> lot_ids;
  std::string reason;
  // The reversed record named by its event id instead of `seq` (an EPCIS
  // error declaration names the event it retracts): Ledger::LinkParents and
  // EventBatch::Add resolve it to `seq`. Not part of the stored event;
  // EncodeEvent refuses a reversal whose event id is still unresolved.
  std::string reversed_event_id;
};

// Wall-clock time as in google.protobuf.Timestamp.
struct Timestamp {
  std::int64_t seconds = 0;  // since the Unix epoch, UTC
  std::int32_t nanos = 0;    // [0, 999999999]
};

// The current system time.
RETRACE_EXPORT Timestamp Now() noexcept;

// The UTC calendar year of `t`: the year whose production quota an event
// stated at `t` counts against (docs/verification.md, "Quotas").
RETRACE_EXPORT std::uint32_t QuotaYear(const Timestamp& t) noexcept;

using EventBody = std::variant<Genesis, ActorRegistered, Extracted, Shipped, Received,
                               Transformed, Exported, QuotaGranted, PolicySet, Recycled,
                               Imported, KeyRotated, KeyRevoked, Reversed>;

// "genesis", "actor_registered", "extracted", "shipped", "received",
// "transformed", "exported", "quota_granted", "policy_set", "recycled",
// "imported", "key_rotated", "key_revoked", "reversed".
RETRACE_EXPORT const char* EventKindName(const EventBody& body) noexcept;

struct Event {
  std::string ledger_id;  // 32 hex digits; Ledger::LinkParents fills it if empty
  std::string event_id;
  std::string actor_id;
  Timestamp time;
  std::vector<Reference> references;
  EventBody body;
};

// A fresh event id: "ev-" followed by 32 lower-case hex digits (128 bits
// from the system's random source). The id FillEventDefaults gives an event
// that has none.
RETRACE_EXPORT std::string NewEventId();

// Fills what an ERP posting or a hand-written event does not track: an empty
// event_id gets NewEventId() and an unset time (0 s, 0 ns) gets Now().
// Everything else is left as it is (Ledger::LinkParents fills the ledger id
// and the parent hashes). The CLI's `append` and the C API's append paths
// call this, so an event gets the same defaults whichever way it comes in.
// A random id makes a retried append a new event: give your own document
// number as event_id to make retries idempotent.
RETRACE_EXPORT void FillEventDefaults(Event* event);

// Encodes `event` to its canonical protobuf bytes: the bytes that are signed
// and stored. kInvalidArgument names the first field that is malformed
// (empty ids, ids over 256 bytes or not valid UTF-8, a bad ledger id, an
// unset enum, a zero mass where one is required).
RETRACE_EXPORT Result<std::string> EncodeEvent(const Event& event);

// Parses event bytes. kInvalidArgument if they are not a valid Event.
RETRACE_EXPORT Result<Event> DecodeEvent(std::string_view bytes);

// The protobuf JSON mapping of retrace.v1.Event (docs/cli.md shows
// examples). Unknown fields are rejected; errors name the field.
RETRACE_EXPORT Result<Event> EventFromJson(std::string_view json);
RETRACE_EXPORT Result<std::string> EventToJson(const Event& event);

// Where a batch-signed event sits in its batch (docs/data-model.md, "Batch
// signatures"). An actor may sign the RFC 6962 Merkle root of a batch of its
// events once instead of every event: the leaves are the event bytes exactly
// as signed and stored, in batch order; the signature covers
// EventBatchSigningInput(size, root); every event of the batch carries that
// signature, its leaf index and its audit path.
struct BatchInclusion {
  std::uint64_t size = 0;   // events in the batch; 0: a single signature
  std::uint64_t index = 0;  // this event's leaf index, < size
  std::vector<Hash> path;   // RFC 6962 PATH(index, batch), leaf side first
};

// An event with its signature, ready to append.
struct SignedEvent {
  SignedEvent() = default;
  SignedEvent(std::string event_bytes_in, std::string key_id_in, std::string signature_in,
              BatchInclusion batch_in = {})
      : event_bytes(std::move(event_bytes_in)),
        key_id(std::move(key_id_in)),
        signature(std::move(signature_in)),
        batch(std::move(batch_in)) {}

  std::string event_bytes;  // EncodeEvent output, exactly as signed
  std::string key_id;       // PublicKey::KeyId() of the signing key
  std::string signature;    // over EventSigningInput, or the batch root's signature
  BatchInclusion batch;     // batch.size == 0: `signature` is a single signature
};

// The exact byte string an event signature covers:
// "retrace/v1/event" || 0x00 || event_bytes.
RETRACE_EXPORT std::string EventSigningInput(std::string_view event_bytes);

// The exact byte string a batch signature covers:
// "retrace/v1/event-batch" || 0x00 || u64be(batch_size) || root (32 bytes).
// The context differs from EventSigningInput's at byte 16 ('-' against
// 0x00), so neither kind of signature can be taken for the other.
RETRACE_EXPORT std::string EventBatchSigningInput(std::uint64_t batch_size, const Hash& root);

// The byte string the signature of an event with `batch` must cover:
// EventSigningInput(event_bytes) if batch.size == 0; otherwise the batch
// root is computed from the leaf hash of `event_bytes` and batch.path
// (RFC 9162 section 2.1.3.2) and EventBatchSigningInput(batch.size, root)
// returned. kInvalidArgument (malformed, not "wrong") if batch.size exceeds
// kMaxEventBatchSize, batch.index >= batch.size, or the path does not have
// the length RFC 6962 gives for that index and size.
RETRACE_EXPORT Result<std::string> SignatureInputOf(std::string_view event_bytes,
                                                    const BatchInclusion& batch);

// Encodes and signs `event` with `signer`.
RETRACE_EXPORT Result<SignedEvent> SignEvent(const Event& event, const Signer& signer);

// Encodes `events` and signs them as one batch: one signature of `signer`
// over the batch root, each SignedEvent carrying it with its index and path,
// in the order given. All events must be stated by one actor (the key's; the
// ledger checks the key). Events of a batch cannot name each other as
// parents: a record's hash covers the batch signature, which covers every
// event. kInvalidArgument if `events` is empty or larger than
// kMaxEventBatchSize, an event does not encode (the message names its
// index), or two events name different actors; kInternal if OpenSSL fails.
RETRACE_EXPORT Result<std::vector<SignedEvent>> SignEventBatch(const std::vector<Event>& events,
                                                               const Signer& signer);

// The same for events already encoded (EncodeEvent output, used as they
// are). kInvalidArgument as above, or if an event does not decode.
RETRACE_EXPORT Result<std::vector<SignedEvent>> SignEncodedEventBatch(
    std::vector<std::string> event_bytes, const Signer& signer);

// A record as stored in the ledger (decoded view).
// What an import record carries (docs/federation.md, "The registry"): the
// registry's stored record at `index`, verbatim, and the proof the ledger
// judged it by.
struct RegistryImport {
  std::uint64_t index = 0;        // the record's position in the registry
  std::string record;             // the registry's stored record bytes
  std::string checkpoint;         // the registry checkpoint (signed note, cosignatures)
  // The proof's hashes as stored (32 bytes each in a valid import; the
  // judgment of the import refuses any other size):
  std::vector<std::string> inclusion;    // RFC 6962 PATH(index, checkpoint size)
  std::vector<std::string> consistency;  // from the previous import's checkpoint; empty if the same
};

struct Record {
  std::uint64_t seq = 0;
  Hash prev_hash{};
  std::string event_bytes;
  std::string key_id;
  std::string signature;
  BatchInclusion batch;  // batch.size == 0 for a single signature
  Hash hash{};          // SHA-256(0x00 || stored record bytes)
  std::string stored;   // the stored record bytes, exactly
  // Set for an import record, whose own event, key id and signature are
  // empty; DecodeRecord(registry_import->record) reads the registry's record.
  std::optional<RegistryImport> registry_import;
};

// Parses stored record bytes and computes their hash. kCorruption if they
// do not parse.
RETRACE_EXPORT Result<Record> DecodeRecord(std::string_view stored);

// The bytes a ledger stores for `event` appended as record `seq` after a
// record whose hash is `prev_hash` (zero for record 0): a deterministic
// function of its arguments (docs/storage-format.md), so a client that
// knows the head can predict the record, and its hash, before appending.
RETRACE_EXPORT std::string EncodeRecord(std::uint64_t seq, const Hash& prev_hash,
                                        const SignedEvent& event);

// The hash of stored record bytes: SHA-256(0x00 || stored), the RFC 6962
// leaf hash, which the next record and every child record link to.
RETRACE_EXPORT Hash RecordHash(std::string_view stored);

}  // namespace retrace

#endif  // RETRACE_EVENT_H_
