// Mirrors: a ledger grown only from another ledger's stored records
// (Ledger::CreateMirror, AppendStored, StoreCheckpoint).
#include <catch2/catch.hpp>

#include "retrace/bundle.h"
#include "retrace/ledger.h"
#include "retrace/note.h"
#include "testing/test_chain.h"

namespace retrace {
namespace {

using testing::FiveStage;
using testing::TempDir;
using testing::TestChain;

std::vector<std::string> StoredRecords(Ledger& l, std::uint64_t from, std::uint64_t to) {
  std::vector<std::string> out;
  for (std::uint64_t s = from; s < to; ++s) {
    auto r = l.ReadRecord(s);
    REQUIRE(r.ok());
    out.push_back(r->stored);
  }
  return out;
}

Options Fast() {
  Options o;
  o.sync = false;
  return o;
}

TEST_CASE("A mirror holds its source's records byte for byte and verifies as the source does",
          "[mirror]") {
  TestChain c;
  FiveStage::Build(c);
  const std::uint64_t size = c.ledger().Info()->size;
  TempDir dir;
  auto genesis = c.ledger().ReadRecord(0);
  REQUIRE(genesis.ok());
  auto m = Ledger::CreateMirror(Fast(), dir.path() + "/m", genesis->stored);
  REQUIRE(m.ok());
  CHECK((*m)->Info()->mirror);
  // In two pieces: a mirror catches up incrementally.
  REQUIRE((*m)->AppendStored(StoredRecords(c.ledger(), 1, size / 2)).ok());
  REQUIRE((*m)->AppendStored(StoredRecords(c.ledger(), size / 2, size)).ok());
  CHECK((*m)->Info()->head_hash == c.ledger().Info()->head_hash);
  CHECK(*(*m)->RootAt(size) == *c.ledger().RootAt(size));
  auto audit = (*m)->Audit();
  REQUIRE(audit.ok());
  CHECK(audit->valid);
  auto want = c.ledger().VerifyLot("MAG-1");
  auto got = (*m)->VerifyLot("MAG-1");
  REQUIRE(want.ok());
  REQUIRE(got.ok());
  CHECK(VerifyReportToJson(*got) == VerifyReportToJson(*want));
  // The source's checkpoint, stored; then a bundle from the mirror.
  auto log = NoteSigner::Generate("example.org/source", NoteKeyType::kEd25519);
  REQUIRE(log.ok());
  auto note = c.ledger().SignCheckpoint(**log);
  REQUIRE(note.ok());
  auto stored = (*m)->StoreCheckpoint(*note, (*log)->verifier());
  REQUIRE(stored.ok());
  auto bundle = ProveLineage(**m, "MAG-1");
  REQUIRE(bundle.ok());
  auto br = VerifyBundle(*bundle, c.root().public_key(), (*log)->verifier());
  REQUIRE(br.ok());
  CHECK(br->valid);
}

TEST_CASE("A mirror refuses every other write and every record that is not the next one",
          "[mirror]") {
  TestChain c;
  FiveStage::Build(c);
  const std::uint64_t size = c.ledger().Info()->size;
  TempDir dir;
  auto m = Ledger::CreateMirror(Fast(), dir.path() + "/m", c.ledger().ReadRecord(0)->stored);
  REQUIRE(m.ok());
  // Appends of its own.
  Event ev = c.MakeEvent("regulator", QuotaGranted{"mine-1", 2027, QuotaKind::kMiningRock, 1, ""});
  ev.ledger_id = (*m)->Info()->ledger_id;
  auto se = SignEvent(ev, c.root());
  REQUIRE(se.ok());
  CHECK((*m)->Append(*se).status().code() == StatusCode::kFailedPrecondition);
  auto log = NoteSigner::Generate("example.org/m", NoteKeyType::kEd25519);
  REQUIRE(log.ok());
  CHECK((*m)->SignCheckpoint(**log).status().code() == StatusCode::kFailedPrecondition);
  // A record out of order, one from another position, a damaged one.
  auto records = StoredRecords(c.ledger(), 1, size);
  CHECK((*m)->AppendStored({records[1]}).status().code() == StatusCode::kInvalidArgument);
  std::string damaged = records[0];
  damaged[damaged.size() / 2] ^= 0x20;
  auto d = (*m)->AppendStored({damaged});
  CHECK_FALSE(d.ok());
  CHECK((*m)->Info()->size == 1);
  // The whole batch or nothing.
  std::vector<std::string> with_bad = {records[0], records[1], records[3]};
  CHECK_FALSE((*m)->AppendStored(with_bad).ok());
  CHECK((*m)->Info()->size == 1);
}

TEST_CASE("A checkpoint whose root differs from the mirror's records is a split view", "[mirror]") {
  TestChain c;
  FiveStage::Build(c);
  TempDir dir;
  auto m = Ledger::CreateMirror(Fast(), dir.path() + "/m", c.ledger().ReadRecord(0)->stored);
  REQUIRE(m.ok());
  const std::uint64_t size = c.ledger().Info()->size;
  REQUIRE((*m)->AppendStored(StoredRecords(c.ledger(), 1, size)).ok());
  auto log = NoteSigner::Generate("example.org/source", NoteKeyType::kEd25519);
  REQUIRE(log.ok());
  // A checkpoint of another tree, signed by the right key and origin.
  Checkpoint forged{c.ledger().Info()->name, size, Hash{}, {}};
  forged.root_hash[0] = 1;
  auto note = SignCheckpoint(forged, **log);
  REQUIRE(note.ok());
  auto r = (*m)->StoreCheckpoint(*note, (*log)->verifier());
  CHECK(r.status().code() == StatusCode::kVerificationFailed);
  CHECK_THAT(r.status().message(), Catch::Contains("split view"));
}

}  // namespace
}  // namespace retrace
