// Checks individual records: parse, sequence, chain link, event structure,
// ledger binding, signer key registration, signature and role (internal).
// Shared by lineage verification, the audit and bundle verification.
#ifndef RETRACE_LIB_VERIFY_RECORD_CHECKER_H_
#define RETRACE_LIB_VERIFY_RECORD_CHECKER_H_

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

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
  bool signature_ok = false;
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
  // keeps registrations, which later records refer to.
  void Release(std::uint64_t seq);

  std::uint64_t signatures_checked() const { return signatures_checked_; }
  std::uint64_t records_checked() const { return records_checked_; }
  // The ledger id bound by the genesis record (empty if unreadable).
  const std::string& ledger_id() const { return ledger_id_; }

  void Add(const char* code, std::uint64_t seq, std::string lot, std::string message);

 private:
  Result<const CheckedRecord*> CheckUncached(std::uint64_t seq);
  Status LoadGenesis();
  const Verifier* VerifierFor(const PublicKey& key);

  const RecordStore& store_;
  std::vector<Finding>* findings_;
  std::unordered_map<std::uint64_t, std::unique_ptr<CheckedRecord>> cache_;
  std::unordered_map<std::string, std::unique_ptr<Verifier>> verifiers_;
  std::string ledger_id_;
  bool genesis_loaded_ = false;
  std::optional<std::pair<std::uint64_t, Hash>> last_hash_;  // hint for streaming
  std::uint64_t signatures_checked_ = 0;
  std::uint64_t records_checked_ = 0;
};

// The public key a registration record (genesis or actor registration)
// registers, and for whom.
struct RegisteredKey {
  std::optional<PublicKey> key;
  std::string actor_id;
  Role role = Role::kUnspecified;
};
std::optional<RegisteredKey> KeyFromRegistration(const v1::Event& ev);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_VERIFY_RECORD_CHECKER_H_
