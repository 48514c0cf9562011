// The book of authority: who may sign what, and which policy and quota
// grants are in force, at every position of a log (internal;
// docs/verification.md, "Authority and revocation").
//
// Six kinds of record decide it -- the genesis, actor registrations, key
// rotations and revocations, stage policies and quota grants ("authority
// records"). Whether each is in force depends on the whole log, later
// records included: a revocation voids, from its effective position on,
// everything the revoked key signed, earlier authority records too (a
// rotation that brought in another key, and then everything that key
// signed; a registration; a grant; a policy). Authority::Build computes
// that once, from every authority record of a log, and answers every
// question about it; append, verify, audit, bundle verification and the
// quota report all ask the same book, so they cannot disagree, and no
// answer depends on the order in which records are checked.
//
// The decision, record by record in log order (docs/verification.md has
// it in prose):
//   - a record is judged by the book as the valid records before it left
//     it: its key registered before it, of the stating actor, not retired
//     and not revoked at its position; its signature valid under that key;
//     the stating actor's role allowed to state it under the policy then in
//     force; and what it names consistent (a registration names a new actor
//     and a new key, a rotation a registered actor and one of its keys, a
//     revocation a registered key and a position not after its own, a grant
//     a registered actor);
//   - a valid revocation of key K from position e, recorded at position q,
//     also voids every authority record in [e, q) signed with K. The
//     decision is then made again from the start with those records void,
//     until no valid revocation voids anything more;
//   - a revocation that is itself void in that decision voids nothing: its
//     victims are restored and the decision is made again (a thief's
//     revocations, signed with a stolen regulator key, lose their effect
//     once that key is revoked from before them). Except when it fell by
//     its own hand -- it would be valid if what it voided were not void
//     (the rotation that brought in its own signing key, say): then it is
//     void and what it voided stays void, and so does the work of a
//     revocation restored once that falls again. Contradictory input is
//     resolved towards findings, never towards validity. Each round voids
//     more, or restores or settles a revocation (each at most twice), so R
//     revocations among n authority records take at most (2R + 1)(n + 1)
//     rounds -- one or two in practice.
//
// Thread safety: Build is a pure function of its input (plus the caches it
// is given, which must not be shared between concurrent Build calls); a
// built Authority is immutable and may be read from any number of threads.
#ifndef RETRACE_LIB_RULES_AUTHORITY_H_
#define RETRACE_LIB_RULES_AUTHORITY_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "crypto/key_cache.h"
#include "retrace/event.h"
#include "retrace/signer.h"
#include "retrace/v1/retrace.pb.h"
#include "rules/registry.h"
#include "rules/rules.h"

namespace retrace::internal {

// Whether `ev` is an authority event (genesis, actor registration, key
// rotation or revocation, quota grant, policy).
bool IsAuthorityEvent(const v1::Event& ev);

// One authority record of a log, as the book reads it.
// An import record (docs/federation.md, "The registry"), as the book reads
// it. At namespace scope, not nested in AuthorityRecord: a nested class
// with default member initializers is not default-constructible inside its
// enclosing class as Clang reads it (std::optional<Import>::emplace()).
struct AuthorityRecordImport {
  std::string registry_record;  // the registry's stored bytes
  v1::RegistryProof proof;
  std::string error;     // why the import record itself is malformed; empty if it is not
  bool event_ok = false;  // the registry record's event parsed and is well-formed
};

struct AuthorityRecord {
  std::uint64_t seq = 0;
  v1::Event event;          // parsed; ValidateEventProto accepted it
  std::string key_id;       // the record's signing key
  std::string signature;
  // What the signature covers: SignatureInputOf(event bytes, batch fields).
  // Unset if the record's batch fields are malformed (its signature is then
  // invalid whatever the key).
  std::optional<std::string> signing_input;
  // An import record (docs/federation.md, "The registry"): `event`,
  // `key_id`, `signature` and `signing_input` are the registry record's.
  using Import = AuthorityRecordImport;
  std::optional<Import> import;
};

// The authority record stored at `seq` as `stored` (the record bytes), or
// nullopt if the bytes or the event do not parse, the event is malformed, or
// it is not an authority event: such a record is in nobody's book (the
// record checker reports what is wrong with it). An import record is
// always read (with Import::error or event_ok saying what is wrong): the
// book judges it, and refuses it if it is not an authority record.
std::optional<AuthorityRecord> ReadAuthorityRecord(std::uint64_t seq, std::string_view stored);

// Signature checks already made, by what was checked (key, signed input,
// signature): the book asks each at most once, and a ledger that rebuilds
// its book after an append keeps the answers. Not thread-safe.
class SignatureMemo {
 public:
  // Registry checkpoints opened (rules/registry.h).
  CheckpointMemo checkpoints;

  std::optional<bool> Find(const PublicKey& key, std::string_view input,
                           std::string_view signature) const;
  void Put(const PublicKey& key, std::string_view input, std::string_view signature, bool ok);

 private:
  std::map<Hash, bool> checked_;
};

// A validly registered key, as the book decided its history.
struct KeyEntry {
  std::string key_id;
  std::optional<PublicKey> key;
  std::string actor_id;
  std::uint64_t registered_seq = 0;
  std::optional<std::uint64_t> retired_after;  // the last position it may sign
  std::optional<std::uint64_t> revoked_from;   // the first position it may not sign
};

// A validly registered actor.
struct ActorEntry {
  std::string actor_id;
  Role role = Role::kUnspecified;
  std::string legal_name;
  std::string licence;
  std::string jurisdiction;
  std::uint64_t registered_seq = 0;
  std::vector<std::string> key_ids;  // its validly registered keys, in log order
};

// A valid quota grant: the quota of its key from `seq` on (until the next).
struct GrantEntry {
  std::uint64_t seq = 0;
  std::uint64_t reo_g = 0;
};

// What the book decided about one authority record.
struct AuthorityVerdict {
  bool valid = false;
  // Set if a later revocation voided it (the revocation's position).
  std::optional<std::uint64_t> voided_by;
  Violations violations;  // why it is not valid; empty if it is
};

class Authority {
 public:
  // Builds the book from every authority record of a log (in any order;
  // records that are not authority events are ignored, and a seq given twice
  // keeps its first record). `keys` (may be nullptr) caches parsed keys;
  // `memo` (may be nullptr) remembers signature checks across builds. With
  // `check_signatures` false every signature is taken as valid (an
  // integrity-only verification; VerifyOptions::check_signatures).
  static std::shared_ptr<const Authority> Build(std::vector<AuthorityRecord> records,
                                                KeyCache* keys = nullptr,
                                                SignatureMemo* memo = nullptr,
                                                bool check_signatures = true);

  // --- The signer of a record.

  // The key `key_id` as a signer of a record at `seq` stated by
  // `actor_id`: the key, if it was validly registered before `seq`, belongs
  // to `actor_id`, and was neither retired nor revoked at `seq`; nullptr
  // otherwise, with the reason (unknown_key, key_actor_mismatch,
  // key_revoked or key_retired) appended to `out` if given.
  const KeyEntry* SignerAt(std::string_view key_id, std::string_view actor_id, std::uint64_t seq,
                           Violations* out = nullptr) const;
  // The validly registered key `key_id` (any position), or nullptr.
  const KeyEntry* Key(std::string_view key_id) const;

  // --- Actors, policies and grants in force.

  // The actor, if validly registered before `seq`.
  const ActorEntry* ActorAt(std::string_view actor_id, std::uint64_t seq) const;
  // The actor, if validly registered anywhere in the log.
  const ActorEntry* Actor(std::string_view actor_id) const;
  // The policy in force at `seq`: the last valid policy record before it,
  // else the built-in default. The reference lives as long as the book.
  const Policy& PolicyAt(std::uint64_t seq) const;
  // The valid grant of `quota_key` (QuotaKey) in force at `seq`, if any.
  std::optional<GrantEntry> GrantAt(std::string_view quota_key, std::uint64_t seq) const;

  // --- The authority records themselves.

  // The verdict on authority record `seq`; nullptr if the book was given no
  // authority record at `seq`.
  const AuthorityVerdict* Verdict(std::uint64_t seq) const;
  // Every authority record given, in log order.
  const std::vector<std::uint64_t>& seqs() const { return seqs_; }
  // The authority records that name key `key_id` -- registering it (valid
  // or not), retiring it or revoking it -- in log order: what a verifier
  // reads to know the key's history. Empty if none.
  const std::vector<std::uint64_t>& KeyRecords(std::string_view key_id) const;
  // The last policy record (valid or not) before `seq`, if any: what a
  // verifier reads to know the policy in force there.
  std::optional<std::uint64_t> PolicyRecordBefore(std::uint64_t seq) const;
  // The authority record that registered `actor_id` (the valid one, else
  // the first attempt), if any.
  std::optional<std::uint64_t> ActorRecord(std::string_view actor_id) const;
  // Whether a registration record before `seq` -- valid or not -- names
  // `actor_id` with `role`. A question about the records alone, which no
  // later revocation changes: what the quota logs list rests on it
  // (quota_book.h, QuotaUseAt).
  bool RegisteredAs(std::string_view actor_id, Role role, std::uint64_t seq) const;

  // --- The registry (docs/federation.md, "The registry").

  // The registry this ledger is bound to, or nullptr (unbound, or the
  // binding does not parse: the genesis is then invalid).
  const RegistryAnchors* registry() const { return registry_ ? &*registry_ : nullptr; }
  // The valid imports, in log order.
  const std::vector<RegistryImport>& registry_imports() const { return registry_imports_; }
  // The last valid import at or before local position `seq`, or nullptr:
  // the registry checkpoint a judgment at `seq` relied on.
  const RegistryImport* RegistryImportAt(std::uint64_t seq) const;

  // The genesis: the root actor and the ledger id (16 raw bytes) it names.
  // Empty if the book was given no valid genesis.
  const std::string& root_actor() const { return root_actor_; }
  const std::string& ledger_id() const { return ledger_id_; }

  const std::map<std::string, ActorEntry, std::less<>>& actors() const { return actors_; }
  const std::map<std::string, KeyEntry, std::less<>>& keys() const { return keys_; }
  const std::map<std::string, std::vector<GrantEntry>, std::less<>>& grants() const {
    return grants_;
  }
  // How many times the decision was made from the start (1 if no
  // revocation voided an earlier authority record; the trials of
  // revocations that fell are not counted).
  int rounds() const { return rounds_; }

  Authority(const Authority&) = delete;
  Authority& operator=(const Authority&) = delete;

 private:
  Authority() = default;
  class Builder;

  std::vector<std::uint64_t> seqs_;
  std::unordered_map<std::uint64_t, AuthorityVerdict> verdicts_;
  std::map<std::string, ActorEntry, std::less<>> actors_;
  std::map<std::string, KeyEntry, std::less<>> keys_;
  std::map<std::string, std::vector<GrantEntry>, std::less<>> grants_;
  std::vector<std::pair<std::uint64_t, std::unique_ptr<Policy>>> policies_;  // valid, by seq
  std::vector<std::uint64_t> policy_records_;                               // all, by seq
  std::map<std::string, std::vector<std::uint64_t>, std::less<>> key_records_;
  std::map<std::string, std::uint64_t, std::less<>> actor_records_;
  // Every registration record of each actor id, valid or not: (seq, role).
  std::map<std::string, std::vector<std::pair<std::uint64_t, Role>>, std::less<>> registrations_;
  std::string root_actor_;
  std::string ledger_id_;
  std::optional<RegistryAnchors> registry_;
  std::vector<RegistryImport> registry_imports_;
  int rounds_ = 0;
};

// The consignee rule: a shipment at `seq` must name an actor `book` holds
// validly registered before it; appends unknown_actor (naming the shipped
// lot) otherwise. Append, the audit and the lineage verifier all apply it.
// A shipment to another ledger (consignee_log set) names an actor of that
// ledger, which judges it when the receipt comes (docs/federation.md).
void CheckConsignee(const Authority& book, const v1::Event& ev, std::uint64_t seq,
                    Violations* out);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_RULES_AUTHORITY_H_
