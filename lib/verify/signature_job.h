// Signature checks taken out of a sequential walk so that many can run in
// parallel (internal): RecordChecker queues them (record_signatures.cc),
// a thread pool runs them.
#ifndef RETRACE_LIB_VERIFY_SIGNATURE_JOB_H_
#define RETRACE_LIB_VERIFY_SIGNATURE_JOB_H_

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "retrace/event.h"
#include "retrace/signer.h"

namespace retrace::internal {

// One signature check of a custody record, taken out of the sequential walk
// so that many can run in parallel. Owns copies of what it needs: the record
// it came from may be released before the check runs.
//
// A batch-signed record's job hashes its event up its batch path when it
// runs (on the pool, not on the walking thread) and asks the BatchRootCheck
// it shares with the other records of its batch whether the root signature
// covers that root.
class BatchRootCheck {
 public:
  BatchRootCheck(const Verifier* verifier, std::string signature)
      : verifier_(verifier), signature_(std::move(signature)) {}
  // True if the signature verifies over `message` (an EventBatchSigningInput).
  // Verifies each distinct message once; concurrent callers with the same
  // message wait for the one verifying it. Thread-safe.
  bool Covers(const std::string& message);

 private:
  enum class State { kVerifying, kValid, kInvalid };
  const Verifier* const verifier_;  // owned by a KeyCache
  const std::string signature_;
  std::mutex mu_;
  std::condition_variable done_;
  std::map<std::string, State> messages_;
};

struct SignatureJob {
  std::uint64_t seq = 0;
  const Verifier* verifier = nullptr;  // owned by a KeyCache
  // Single signature: EventSigningInput(event bytes). Batch signature: the
  // event bytes, hashed up `batch` to the root when the job runs.
  std::string message;
  std::string signature;               // single signature only
  BatchInclusion batch;                // batch.size != 0: a batch signature
  std::shared_ptr<BatchRootCheck> root_check;  // set for a batch signature
  std::string actor_id;
  bool ok = false;                     // set by Run
  void Run();
};

}  // namespace retrace::internal

#endif  // RETRACE_LIB_VERIFY_SIGNATURE_JOB_H_
