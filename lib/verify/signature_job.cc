#include "verify/signature_job.h"

#include "model/record.h"

namespace retrace::internal {

bool BatchRootCheck::Covers(const std::string& message) {
  std::unique_lock<std::mutex> lock(mu_);
  // An honest batch has one root. Records that claim one signature for many
  // roots (a forged ledger) are verified each, without growing the memo.
  constexpr std::size_t kMaxRoots = 64;
  if (messages_.size() >= kMaxRoots && messages_.count(message) == 0) {
    lock.unlock();
    return verifier_->Verify(message, signature_).ok();
  }
  // Not a structured binding: Clang 14 cannot capture one in the lambda.
  const auto inserted = messages_.emplace(message, State::kVerifying);
  const auto it = inserted.first;
  if (!inserted.second) {
    done_.wait(lock, [&] { return it->second != State::kVerifying; });
    return it->second == State::kValid;
  }
  lock.unlock();
  const bool ok = verifier_->Verify(message, signature_).ok();
  lock.lock();
  it->second = ok ? State::kValid : State::kInvalid;  // map nodes do not move
  done_.notify_all();
  return ok;
}

void SignatureJob::Run() {
  if (root_check == nullptr) {
    ok = verifier->Verify(message, signature).ok();
    return;
  }
  // A malformed path (wrong length for the index and size) cannot be
  // hashed up to any root: the check fails.
  Result<std::string> input = SignatureInputOf(message, batch);
  ok = input.ok() && root_check->Covers(*input);
}

}  // namespace retrace::internal
