// Checks individual records: parse, sequence, committed leaf, chain link,
// event structure, ledger binding, the signer's key as it stood at the
// record's position (registered, not retired, not revoked), signature, and
// the signer's role under the policy in force (internal). Shared by lineage
// verification, the audit and bundle verification.
#ifndef RETRACE_LIB_VERIFY_RECORD_CHECKER_H_
#define RETRACE_LIB_VERIFY_RECORD_CHECKER_H_

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ledger/rules.h"
#include "retrace/event.h"
#include "retrace/signer.h"
#include "retrace/verifier.h"
#include "retrace/v1/retrace.pb.h"
#include "verify/record_store.h"

namespace retrace::internal {

struct CheckedRecord {
  std::uint64_t seq = 0;
  bool parsed = false;      // record and event parse and the event is well-formed
  Record record;
  v1::Event event;
  Role signer_role = Role::kUnspecified;
  bool signature_ok = false;  // valid signature by a key valid at this position
  bool authorized = false;    // signature_ok, and the signer's role may state it
  const Policy* policy = nullptr;  // in force at this record (never null if parsed)
};

// A key's history as the log records it.
struct KeyTimeline {
  bool known = false;
  std::optional<PublicKey> key;
  std::string actor_id;
  Role role = Role::kUnspecified;
  std::uint64_t registered_seq = 0;
  std::optional<std::uint64_t> retired_after;  // last seq it may sign
  std::optional<std::uint64_t> revoked_from;   // first seq it may not sign
};

class RecordChecker {
 public:
  // `findings` receives every problem found; it must outlive the checker.
  RecordChecker(const RecordStore& store, std::vector<Finding>* findings)
      : store_(store), findings_(findings) {}

  // Checks record `seq` once; later calls return the cached result. Errors
  // are only for "could not check" (I/O); problems become findings.
  Result<const CheckedRecord*> Check(std::uint64_t seq);

  // Drops a cached record that is no longer needed (the audit streams), but
  // keeps registrations and policies, which later records refer to.
  void Release(std::uint64_t seq);

  // The policy in force at `seq` (the default if none was recorded).
  Result<const Policy*> PolicyAt(std::uint64_t seq);
  // The registered licence of `actor_id` (empty if none or unknown).
  Result<std::string> LicenceOf(const std::string& actor_id);

  std::uint64_t signatures_checked() const { return signatures_checked_; }
  std::uint64_t records_checked() const { return records_checked_; }

  void Add(const char* code, std::uint64_t seq, std::string lot, std::string message);

 private:
  Result<const CheckedRecord*> CheckUncached(std::uint64_t seq);
  Status LoadGenesis();
  Result<const KeyTimeline*> Timeline(const std::string& key_id);
  const Verifier* VerifierFor(const PublicKey& key);

  const RecordStore& store_;
  std::vector<Finding>* findings_;
  std::unordered_map<std::uint64_t, std::unique_ptr<CheckedRecord>> cache_;
  std::unordered_map<std::string, std::unique_ptr<Verifier>> verifiers_;
  std::unordered_map<std::string, std::unique_ptr<KeyTimeline>> timelines_;
  std::unordered_map<std::uint64_t, std::unique_ptr<Policy>> policies_;
  std::string ledger_id_;
  std::string root_actor_;
  bool genesis_loaded_ = false;
  std::optional<std::pair<std::uint64_t, Hash>> last_hash_;  // hint for streaming
  std::uint64_t signatures_checked_ = 0;
  std::uint64_t records_checked_ = 0;
};

// The key a registration-type record (genesis, actor registration, key
// rotation) introduces, and for whom. For a rotation the role is unknown
// here (kUnspecified): it is the actor's registered role.
struct RegisteredKey {
  std::optional<PublicKey> key;
  std::string actor_id;
  Role role = Role::kUnspecified;
};
std::optional<RegisteredKey> KeyFromRegistration(const v1::Event& ev);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_VERIFY_RECORD_CHECKER_H_
