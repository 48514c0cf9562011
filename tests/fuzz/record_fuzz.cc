// Fuzz target: stored record bytes, as an attacker who controls the ledger
// file can write them. Input: one selector byte (which record of a small
// honest ledger to replace) and the replacement bytes. Runs DecodeRecord,
// the record checker over every record and the lineage verifier of the
// chain's end lot.
//
// Oracle beyond "no crash, no sanitizer report": a replaced record whose
// bytes differ from the honest ones always yields a finding (the Merkle
// tree committed to the honest record), and the honest bytes yield none.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz_quiet.h"

#include "record_fixture.h"
#include "verify/lineage.h"
#include "verify/load_authority.h"
#include "verify/record_checker.h"

namespace {

const retrace::fuzzing::MemoryStore& Honest() {
  static const auto* store = retrace::fuzzing::BuildHonestStore().release();
  if (store == nullptr) std::abort();
  return *store;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  retrace::fuzzing::QuietProtobuf();
  using namespace retrace;
  if (size == 0) return 0;
  const auto& honest = Honest();
  const std::size_t pos = data[0] % honest.records.size();
  const std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  (void)DecodeRecord(bytes);

  fuzzing::MemoryStore store = honest;
  store.records[pos] = bytes;
  std::vector<Finding> findings;
  auto book = internal::LoadAuthority(store, nullptr);
  if (!book.ok()) std::abort();  // an in-memory store cannot fail to read
  internal::RecordChecker checker(store, *book, &findings);
  for (std::uint64_t seq = 0; seq < store.Size(); ++seq) {
    auto c = checker.Check(seq);
    if (!c.ok()) std::abort();  // an in-memory store cannot fail to read
  }
  const bool changed = bytes != honest.records[pos];
  if (changed == findings.empty()) std::abort();
  // Every record of this ledger is in OX-1's lineage (its lots' records,
  // the signers' registrations, the genesis that registers the root key).
  auto report = internal::VerifyLineage(store, "OX-1");
  if (report.ok() && changed && report->valid) std::abort();
  if (!changed && !(report.ok() && report->valid)) std::abort();
  return 0;
}
