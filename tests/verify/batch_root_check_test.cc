// The verifier's shared batch-root check (lib/verify/signature_job.h): the
// jobs of one batch's records, run concurrently on a pool, verify the root
// signature once, and a job whose event or path was altered fails.
#include <atomic>
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "retrace/event.h"
#include "util/thread_pool.h"
#include "verify/signature_job.h"

namespace retrace {
namespace {

// A real OpenSSL verifier that counts its calls (nothing is faked).
class CountingVerifier final : public Verifier {
 public:
  explicit CountingVerifier(std::unique_ptr<Verifier> inner) : inner_(std::move(inner)) {}
  Status Verify(std::string_view message, std::string_view signature) const override {
    ++calls_;
    return inner_->Verify(message, signature);
  }
  const PublicKey& public_key() const noexcept override { return inner_->public_key(); }
  int calls() const { return calls_.load(); }

 private:
  std::unique_ptr<Verifier> inner_;
  mutable std::atomic<int> calls_{0};
};

std::vector<SignedEvent> SignedBatch(const Signer& signer, std::size_t n, const std::string& tag) {
  std::vector<Event> events;
  for (std::size_t i = 0; i < n; ++i) {
    Event ev;
    ev.ledger_id = std::string(32, 'c');
    ev.event_id = tag + "-" + std::to_string(i);
    ev.actor_id = "mine-1";
    ev.time = {1790000000, 0};
    Lot lot;
    lot.lot_id = tag + "-ORE-" + std::to_string(i);
    lot.material = MaterialClass::kOreConcentrate;
    lot.mass_g = 1000;
    ev.body = Extracted{lot, "pit", "LIC", QuotaKind::kMiningRock};
    events.push_back(std::move(ev));
  }
  auto batch = SignEventBatch(events, signer);
  REQUIRE(batch.ok());
  return std::move(batch).value();
}

internal::SignatureJob Job(const SignedEvent& se, const Verifier* v,
                           std::shared_ptr<internal::BatchRootCheck> check) {
  internal::SignatureJob job;
  job.verifier = v;
  job.message = se.event_bytes;
  job.batch = se.batch;
  job.root_check = std::move(check);
  return job;
}

TEST_CASE("A batch's jobs on four threads verify its root signature once", "[batch][verify]") {
  auto signer = Signer::Generate(Algorithm::kEd25519);
  REQUIRE(signer.ok());
  auto inner = Verifier::New((*signer)->public_key());
  REQUIRE(inner.ok());
  CountingVerifier v(std::move(inner).value());
  const std::vector<SignedEvent> batch = SignedBatch(**signer, 256, "a");
  auto check = std::make_shared<internal::BatchRootCheck>(&v, batch.front().signature);
  std::vector<internal::SignatureJob> jobs;
  for (const SignedEvent& se : batch) jobs.push_back(Job(se, &v, check));
  // Three altered records: a path hash, the index, the event.
  jobs[10].batch.path[3][0] ^= 1;
  jobs[20].batch.index = 21;
  jobs[30].message = batch[31].event_bytes;
  internal::ThreadPool pool(3);
  pool.ParallelFor(jobs.size(), [&](std::size_t i) { jobs[i].Run(); });
  std::size_t good = 0;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (i == 10 || i == 20 || i == 30) {
      CHECK_FALSE(jobs[i].ok);
    } else {
      CHECK(jobs[i].ok);
      ++good;
    }
  }
  CHECK(good == 253);
  // One verification of the true root and one of each altered record's own
  // root: four, never one per record.
  CHECK(v.calls() == 4);
}

TEST_CASE("A batch root signed by key A never verifies under key B", "[batch][verify]") {
  auto a = Signer::Generate(Algorithm::kEd25519);
  auto b = Signer::Generate(Algorithm::kEd25519);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  auto va = Verifier::New((*a)->public_key());
  auto vb = Verifier::New((*b)->public_key());
  REQUIRE(va.ok());
  REQUIRE(vb.ok());
  const std::vector<SignedEvent> batch = SignedBatch(**a, 16, "k");
  auto under_a = std::make_shared<internal::BatchRootCheck>(va->get(), batch.front().signature);
  auto under_b = std::make_shared<internal::BatchRootCheck>(vb->get(), batch.front().signature);
  std::vector<internal::SignatureJob> jobs;
  for (const SignedEvent& se : batch) {
    jobs.push_back(Job(se, va->get(), under_a));
    jobs.push_back(Job(se, vb->get(), under_b));
  }
  internal::ThreadPool pool(3);
  pool.ParallelFor(jobs.size(), [&](std::size_t i) { jobs[i].Run(); });
  for (std::size_t i = 0; i < jobs.size(); ++i) CHECK(jobs[i].ok == (i % 2 == 0));
}

}  // namespace
}  // namespace retrace
