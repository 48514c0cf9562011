// RecordChecker's signature step: a record's signature checked at once
// (authority records) or queued as a SignatureJob (custody records), and
// the queued jobs taken, run and reported.
#include "model/record.h"
#include "util/thread_pool.h"
#include "verify/record_checker.h"

namespace retrace::internal {

const Verifier* RecordChecker::VerifierFor(const PublicKey& key) {
  const KeyCache::Entry* e = keys_->Get(key.der());
  return e == nullptr ? nullptr : e->verifier.get();
}

std::vector<SignatureJob> RecordChecker::TakeSignatureJobs() {
  std::vector<SignatureJob> out;
  out.swap(jobs_);
  return out;
}

void RecordChecker::FinishSignatureJobs(const std::vector<SignatureJob>& jobs) {
  for (const SignatureJob& j : jobs) {
    ++signatures_checked_;
    if (j.ok) continue;
    failed_signatures_.insert(j.seq);
    Add(finding::kSignatureInvalid, j.seq, "",
        "the signature on record " + std::to_string(j.seq) + " by " + j.actor_id +
            " does not verify: the event was altered or not signed by its actor");
    if (CheckedRecord** c = cache_.Find(j.seq)) {
      (*c)->signature_ok = false;
      (*c)->authorized = false;
    }
  }
}

void RecordChecker::VerifySignatures(ThreadPool& pool) {
  std::vector<SignatureJob> jobs = TakeSignatureJobs();
  pool.ParallelFor(jobs.size(), [&jobs](std::size_t i) { jobs[i].Run(); });
  FinishSignatureJobs(jobs);
}

bool RecordChecker::PrepareSignatureCheck(const CheckedRecord& c, const Verifier* v,
                                          SignatureJob* job) {
  const RecordView& r = c.record;
  job->seq = c.seq;
  job->verifier = v;
  job->actor_id = c.event().actor_id();
  if (r.batch_size == 0) {
    // The ledger refuses to append such a record (SignatureInputOf); one in
    // the file was put there below the API. The extra fields are outside
    // the signature, so they would let record bytes change without it.
    if (r.batch_index != 0 || r.batch_path_size != 0) {
      Add(finding::kSignatureInvalid, c.seq, "",
          "record " + std::to_string(c.seq) +
              " has a single signature but carries a batch index or path");
      return false;
    }
    job->message = EventSigningInput(r.event_bytes);
    job->signature = std::string(r.signature);
    return true;
  }
  if (r.batch_size > kMaxEventBatchSize || r.batch_index >= r.batch_size) {
    Add(finding::kSignatureInvalid, c.seq, "",
        "record " + std::to_string(c.seq) + " carries a malformed batch signature (leaf " +
            std::to_string(r.batch_index) + " of a batch of " + std::to_string(r.batch_size) + ")");
    return false;
  }
  // A checker meets a few thousand batches in a large audit; past the bound
  // it starts afresh rather than grow with the ledger.
  constexpr std::size_t kMaxBatchChecks = 16384;
  if (batch_checks_.size() >= kMaxBatchChecks) batch_checks_.clear();
  std::string id(r.key_id);
  id.push_back('\0');
  id.append(std::to_string(r.batch_size));
  id.push_back('\0');
  id.append(r.signature);
  std::shared_ptr<BatchRootCheck>& shared = batch_checks_[std::move(id)];
  if (shared == nullptr) shared = std::make_shared<BatchRootCheck>(v, std::string(r.signature));
  job->root_check = shared;
  job->message = std::string(r.event_bytes);
  job->batch = BatchInclusionOf(r);
  return true;
}

namespace {
// Records whose validity no other record's check depends on: their
// signatures can be checked later, in parallel.
bool CustodyEvent(const v1::Event& ev) {
  return ev.has_extracted() || ev.has_shipped() || ev.has_received() || ev.has_transformed() ||
         ev.has_exported() || ev.has_recycled() || ev.has_imported();
}
}  // namespace

void RecordChecker::CheckSignature(CheckedRecord* c, const PublicKey& key) {
  const v1::Event& ev = c->event();
  const Verifier* v = check_signatures_ ? VerifierFor(key) : nullptr;
  SignatureJob job;
  if (!check_signatures_) {
    c->signature_ok = true;  // integrity only: taken as signed, not counted
  } else if (v != nullptr && !PrepareSignatureCheck(*c, v, &job)) {
    ++signatures_checked_;  // malformed batch fields: reported
  } else if (v != nullptr && CustodyEvent(ev)) {
    jobs_.push_back(std::move(job));
    c->signature_ok = true;  // until its job says otherwise
  } else if (++signatures_checked_, v == nullptr || (job.Run(), !job.ok)) {
    Add(finding::kSignatureInvalid, c->seq, "",
        "the signature on record " + std::to_string(c->seq) + " by " + ev.actor_id() +
            " does not verify: the event was altered or not signed by its actor");
  } else {
    c->signature_ok = true;
  }
}

}  // namespace retrace::internal
