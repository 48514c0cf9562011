// The registry of stage 3 (retrace/federation.h, docs/federation.md, "The
// registry"): an enterprise ledger bound to the regulator's registry ledger
// imports its authority records, each proven against a witnessed registry
// checkpoint consistent with the last one it holds; the book, append,
// verify, audit, bundles and quotas take them as the ledger's own
// authority records from the position of their import.
#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "federation/federation_fixture.h"
#include "ledger/ledger_internal.h"
#include "reliability/reliability_util.h"
#include "retrace/bundle.h"
#include "retrace/federation.h"
#include "retrace/mirror.h"
#include "retrace/publish.h"
#include "model/record.h"
#include "testing/lmdb_poke.h"

namespace retrace {
namespace {

using testing::Federation;
using testing::HasCode;
using testing::Size;
using testing::ThreeLedgers;

bool HasCodeAt(const std::vector<Finding>& fs, const std::string& code, std::uint64_t seq) {
  for (const auto& f : fs) {
    if (f.code == code && f.seq == seq) return true;
  }
  return false;
}

bool Mentions(const Status& s, const std::string& what) {
  return s.message().find(what) != std::string::npos;
}

WitnessPolicy Witnesses(const Federation& f, std::size_t quorum = Federation::kWitnesses) {
  WitnessPolicy p;
  for (int i = 0; i < Federation::kWitnesses; ++i) p.witnesses.push_back(f.witness(i).verifier());
  p.quorum = quorum;
  return p;
}

// The regulator's registry ("registry") and a mine's ledger ("mine-ledger")
// bound to it: the registry's log key, both witnesses, a quorum of
// `quorum`, and the registry's ledger id.
struct Bound {
  Federation f;
  RegistryBinding binding;

  explicit Bound(std::uint32_t quorum = Federation::kWitnesses,
                 const NoteVerifier* log_key = nullptr) {
    Ledger& reg = f.AddLedger("registry");
    auto info = reg.Info();
    REQUIRE(info.ok());
    binding.log_key = (log_key != nullptr ? *log_key : f.log("registry").verifier()).ToString();
    for (int i = 0; i < Federation::kWitnesses; ++i) {
      binding.witnesses.push_back(f.witness(i).verifier().ToString());
    }
    binding.quorum = quorum;
    binding.ledger_id = info->ledger_id;
    Options o;
    o.registry = binding;
    f.AddLedger("mine-ledger", o);
  }

  Ledger& reg() { return f.ledger("registry"); }
  // The registry registers mine-1 (registry records 1 and 2), publishes a
  // checkpoint cosigned by both witnesses, and the mine's ledger imports
  // both (local records 1 and 2).
  void ImportedMine() {
    f.Register("registry", "mine-1", Role::kMine);
    f.Publish("registry");
    REQUIRE(Import().ok());
  }
  Ledger& ent() { return f.ledger("mine-ledger"); }
  Result<RegistryImportResult> Import() { return ImportRegistry(ent(), reg()); }

  // Every table of the mine's ledger file, read with the ledger closed.
  testing::TableDump Dump() {
    f.Close("mine-ledger");
    std::string why;
    auto d = testing::DumpLedgerTables(f.path("mine-ledger"), &why);
    INFO(why);
    REQUIRE(d);
    f.Reopen("mine-ledger");
    return *d;
  }
};

// What ImportRegistry builds for registry positions [from, to), proven at
// the registry's latest checkpoint (no consistency proof: the ledger holds
// no registry checkpoint yet).
std::vector<internal::RegistryImportInput> Inputs(const Ledger& registry, std::uint64_t from,
                                                  std::uint64_t to) {
  auto note = registry.LatestCheckpoint();
  REQUIRE(note.ok());
  auto cp = ParseSignedCheckpoint(*note);
  REQUIRE(cp.ok());
  std::vector<internal::RegistryImportInput> out;
  for (std::uint64_t i = from; i < to; ++i) {
    internal::RegistryImportInput in;
    auto rec = registry.ReadRecord(i);
    REQUIRE(rec.ok());
    in.registry_record = rec->stored;
    auto inc = registry.ProveInclusion(i, cp->size);
    REQUIRE(inc.ok());
    in.proof.set_index(i);
    in.proof.set_checkpoint(*note);
    for (const Hash& h : inc->hashes) in.proof.add_inclusion(h.data(), h.size());
    out.push_back(std::move(in));
  }
  return out;
}

TEST_CASE("A mine registered in the registry extracts in its own ledger, valid, and the "
          "report names the registry checkpoint",
          "[federation][registry]") {
  Bound b;
  b.f.Register("registry", "mine-1", Role::kMine);  // registry records 1 and 2
  const std::string note = b.f.Publish("registry");
  // Nothing imported yet: mine-1 is unknown to the mine's ledger.
  CHECK(b.f.Do("mine-ledger", "mine-1", Extracted{ThreeLedgers::Ore("ORE-0"), "pit 3"})
            .status()
            .code() == StatusCode::kNotFound);

  auto imported = b.Import();
  REQUIRE(imported.ok());
  CHECK(imported->appended == 2);
  CHECK(imported->first_seq == 1);
  REQUIRE(imported->checkpoint);
  CHECK(imported->checkpoint->origin == "registry");
  CHECK(imported->checkpoint->size == 3);
  CHECK(imported->checkpoint->imported == 2);
  // Idempotent: nothing new, nothing appended.
  auto again = b.Import();
  REQUIRE(again.ok());
  CHECK(again->appended == 0);
  CHECK(Size(b.ent()) == 3);

  REQUIRE(b.f.Do("mine-ledger", "mine-1", Extracted{ThreeLedgers::Ore("ORE-1"), "pit 3"}).ok());
  auto actor = b.ent().GetActor("mine-1");
  REQUIRE(actor.ok());
  CHECK(actor->registered_seq == 1);

  auto report = VerifyLotAcrossLedgers(b.ent(), "ORE-1");
  REQUIRE(report.ok());
  INFO(VerifyReportToJson(*report));
  CHECK(report->valid);
  REQUIRE(report->registry);
  auto cp = ParseSignedCheckpoint(note);
  REQUIRE(cp.ok());
  CHECK(report->registry->origin == "registry");
  CHECK(report->registry->size == 3);
  CHECK(report->registry->root_hash == cp->root_hash);
  CHECK(report->registry->imported == 2);
  CHECK(report->registry->import_seq == 2);
  CHECK(VerifyReportToJson(*report).find("\"registry\"") != std::string::npos);

  auto audit = b.ent().Audit();
  REQUIRE(audit.ok());
  INFO(AuditReportToJson(*audit));
  CHECK(audit->valid);
  REQUIRE(audit->registry);
  CHECK(audit->registry->size == 3);
  AuditOptions integrity;
  integrity.scope = AuditScope::kIntegrity;
  auto ia = b.ent().Audit(integrity);
  REQUIRE(ia.ok());
  CHECK(ia->valid);

  // The offline bundle carries the imports with their proofs; a verifier
  // with the regulator's key re-judges them.
  b.f.Publish("mine-ledger");
  auto bundle = ProveLineage(b.ent(), "ORE-1");
  REQUIRE(bundle.ok());
  auto br = VerifyBundle(*bundle, b.f.root().public_key(), b.f.log("mine-ledger").verifier(),
                         Witnesses(b.f));
  REQUIRE(br.ok());
  INFO(BundleReportToJson(*br));
  CHECK(br->valid);
  REQUIRE(br->lineage.registry);
  CHECK(br->lineage.registry->size == 3);
  CHECK(br->lineage.registry->imported == 2);

  // Survives reopening.
  b.f.Close("mine-ledger");
  b.f.Reopen("mine-ledger");
  auto after = RegistryCheckpointOf(b.ent());
  REQUIRE(after.ok());
  REQUIRE(*after);
  CHECK((*after)->imported == 2);
}

TEST_CASE("A key revoked in the registry voids what it signed from the registry position the "
          "revocation names, mapped to the position of its import",
          "[federation][registry]") {
  Bound b;
  b.ImportedMine();  // registry 1, 2 -> local 1, 2
  REQUIRE(b.f.Do("mine-ledger", "mine-1", Extracted{ThreeLedgers::Ore("ORE-1"), "pit 3"}).ok());
  // local 3
  b.f.Register("registry", "mine-2", Role::kMine);   // registry 3, 4
  b.f.Publish("registry");
  REQUIRE(b.Import().ok());                          // local 4 (registry 3), 5 (registry 4)
  REQUIRE(b.f.Do("mine-ledger", "mine-1", Extracted{ThreeLedgers::Ore("ORE-2"), "pit 3"}).ok());
  REQUIRE(b.f.Do("mine-ledger", "mine-1", Extracted{ThreeLedgers::Ore("ORE-3"), "pit 3"}).ok());
  // local 6, 7. The regulator learns mine-1's key leaked when registry
  // record 3 was written, and revokes it from there (registry 5).
  const std::string key = b.f.key("mine-1").public_key().KeyId();
  REQUIRE(b.f.As("registry", "regulator", b.f.root(), KeyRevoked{key, 3, "key leaked"}).ok());
  b.f.Publish("registry");
  auto imported = b.Import();  // local 8
  REQUIRE(imported.ok());
  CHECK(imported->appended == 1);
  CHECK(imported->first_seq == 8);

  // Registry position 3 was imported at local 4: what the key signed at
  // local 4..7 is void, what it signed before (ORE-1 at 3) stands.
  auto ore1 = VerifyLotAcrossLedgers(b.ent(), "ORE-1");
  REQUIRE(ore1.ok());
  CHECK(ore1->valid);
  REQUIRE(ore1->registry);
  CHECK(ore1->registry->size == 6);
  CHECK(ore1->registry->imported == 5);
  CHECK(ore1->registry->import_seq == 8);
  for (const char* lot : {"ORE-2", "ORE-3"}) {
    auto r = VerifyLotAcrossLedgers(b.ent(), lot);
    REQUIRE(r.ok());
    INFO(lot << "\n" << VerifyReportToJson(*r));
    CHECK(!r->valid);
    CHECK(HasCode(r->findings, finding::kKeyRevoked));
  }
  auto audit = b.ent().Audit();
  REQUIRE(audit.ok());
  INFO(AuditReportToJson(*audit));
  CHECK(HasCodeAt(audit->findings, finding::kKeyRevoked, 6));
  CHECK(HasCodeAt(audit->findings, finding::kKeyRevoked, 7));
  CHECK(!HasCodeAt(audit->findings, finding::kKeyRevoked, 3));
  REQUIRE(audit->registry);
  CHECK(audit->registry->size == 6);

  // The next record signed with the key is refused, the ledger unchanged.
  const std::uint64_t before = Size(b.ent());
  auto next = b.f.Do("mine-ledger", "mine-1", Extracted{ThreeLedgers::Ore("ORE-4"), "pit 3"});
  REQUIRE(!next.ok());
  CHECK(Mentions(next.status(), finding::kKeyRevoked));
  CHECK(Size(b.ent()) == before);

  // Offline: ORE-1's bundle carries every import, the revocation too, and
  // verifies; no bundle proves ORE-2.
  b.f.Publish("mine-ledger");
  auto bundle = ProveLineage(b.ent(), "ORE-1");
  REQUIRE(bundle.ok());
  auto br = VerifyBundle(*bundle, b.f.root().public_key(), b.f.log("mine-ledger").verifier(),
                         Witnesses(b.f));
  REQUIRE(br.ok());
  INFO(BundleReportToJson(*br));
  CHECK(br->valid);
  REQUIRE(br->lineage.registry);
  CHECK(br->lineage.registry->imported == 5);
  auto ore2 = ProveLineage(b.ent(), "ORE-2");
  REQUIRE(!ore2.ok());
  CHECK(Mentions(ore2.status(), finding::kKeyRevoked));
}

TEST_CASE("A lot from a bound ledger crosses into another, and the crossing names the "
          "sender's registry checkpoint",
          "[federation][registry]") {
  Bound b;
  b.ImportedMine();
  b.f.AddLedger("sep-ledger");
  b.f.Register("sep-ledger", "sep-1", Role::kSeparator);
  b.f.Trust("sep-ledger", {b.f.TrustEntry("mine-ledger")});
  REQUIRE(b.f.Do("mine-ledger", "mine-1", Extracted{ThreeLedgers::Ore("ORE-1"), "pit 3"}).ok());
  REQUIRE(b.f.Do("mine-ledger", "mine-1",
                 Shipped{"ORE-1", std::nullopt, "sep-1", 1000000, "sep-ledger"}).ok());
  b.f.Publish("mine-ledger");
  REQUIRE(b.f.Hand("mine-ledger", "ORE-1", "sep-ledger").ok());
  auto r = VerifyLotAcrossLedgers(b.f.ledger("sep-ledger"), "ORE-1");
  REQUIRE(r.ok());
  INFO(VerifyReportToJson(*r));
  CHECK(r->valid);
  CHECK(!r->registry);  // sep-ledger is bound to no registry
  REQUIRE(r->ledgers_crossed.size() == 1);
  REQUIRE(r->ledgers_crossed[0].registry);
  CHECK(r->ledgers_crossed[0].registry->origin == "registry");
  CHECK(r->ledgers_crossed[0].registry->imported == 2);
}

TEST_CASE("Quota grants imported from the registry are enforced at extraction in the mine's "
          "ledger",
          "[federation][registry]") {
  Bound b;
  // One ore lot is 77,000-odd grams of oxide: room for one, not two.
  b.f.Register("registry", "mine-1", Role::kMine, 100000);
  b.f.Publish("registry");
  REQUIRE(b.Import().ok());
  REQUIRE(b.f.Do("mine-ledger", "mine-1", Extracted{ThreeLedgers::Ore("ORE-1"), "pit 3"}).ok());
  const std::uint64_t before = Size(b.ent());
  auto over = b.f.Do("mine-ledger", "mine-1", Extracted{ThreeLedgers::Ore("ORE-2"), "pit 3"});
  REQUIRE(!over.ok());
  CHECK(Mentions(over.status(), finding::kQuotaExceeded));
  CHECK(Size(b.ent()) == before);
  auto quotas = b.ent().Quotas(2026);
  REQUIRE(quotas.ok());
  REQUIRE(quotas->size() == 1);
  CHECK(quotas->front().granted_reo_g == 100000);
  CHECK(quotas->front().granted_seq == 2);  // the import of the registry's grant
}

TEST_CASE("A registry checkpoint inconsistent with the one the ledger holds is refused, the "
          "ledger unchanged",
          "[federation][registry]") {
  Bound b;
  b.f.Register("registry", "smelt-1", Role::kSmelter);  // registry 1
  // The registry is copied here: its fork starts after record 1.
  b.f.Close("registry");
  const std::string fork_dir = b.f.path("registry") + "-fork";
  std::filesystem::create_directory(fork_dir);
  std::filesystem::copy_file(b.f.path("registry") + "/data.mdb", fork_dir + "/data.mdb");
  b.f.Reopen("registry");
  b.f.Register("registry", "smelt-2", Role::kSmelter);  // registry 2
  b.f.Publish("registry");                              // size 3
  REQUIRE(b.Import().ok());
  CHECK(Size(b.ent()) == 3);

  // The fork: another record 2, and a record 3, signed by the registry's
  // log key and cosigned by both witnesses (colluding, or fed the fork
  // alone: they never saw the real log).
  Options o;
  o.sync = false;
  auto fork = Ledger::Open(o, fork_dir);
  REQUIRE(fork.ok());
  for (const char* actor : {"smelt-3", "smelt-4"}) {
    auto s = Signer::Generate(Algorithm::kEd25519);
    REQUIRE(s.ok());
    Event ev = b.f.MakeEvent("regulator", ActorRegistered{actor, "fork", Role::kSmelter,
                                                          (*s)->public_key(), "L", "CN"});
    REQUIRE((*fork)->LinkParents(&ev).ok());
    auto se = SignEvent(ev, b.f.root());
    REQUIRE(se.ok());
    REQUIRE((*fork)->Append(*se).ok());
  }
  auto note = (*fork)->SignCheckpoint(b.f.log("registry"));
  REQUIRE(note.ok());
  std::string lines;
  std::vector<NoteVerifier> keys;
  for (int i = 0; i < Federation::kWitnesses; ++i) {
    WitnessState fresh;
    REQUIRE(fresh.AddLog("registry", b.f.log("registry").verifier()).ok());
    auto line = WitnessAddCheckpoint(&fresh, b.f.witness(i), AddCheckpointRequest{0, {}, *note},
                                     1790000000);
    REQUIRE(line.ok());
    lines += *line;
    keys.push_back(b.f.witness(i).verifier());
  }
  REQUIRE((*fork)->AddCosignatures(lines, keys).ok());

  const testing::TableDump before = b.Dump();
  auto refused = ImportRegistry(b.ent(), **fork);
  REQUIRE(!refused.ok());
  INFO(refused.status().message());
  CHECK(refused.status().code() == StatusCode::kVerificationFailed);
  CHECK(Mentions(refused.status(), "split view"));
  CHECK(Mentions(refused.status(), "registry record 3"));
  CHECK(b.Dump() == before);

  // The real registry goes on, and the ledger with it.
  b.f.Register("registry", "smelt-5", Role::kSmelter);
  b.f.Publish("registry");
  auto next = b.Import();
  REQUIRE(next.ok());
  CHECK(next->appended == 1);
}

TEST_CASE("Imports that the binding does not prove are refused with a reason, the ledger "
          "unchanged",
          "[federation][registry]") {
  SECTION("a forged inclusion proof, or altered registry record bytes") {
    Bound b;
    b.f.Register("registry", "mine-1", Role::kMine);
    b.f.Publish("registry");
    const testing::TableDump before = b.Dump();
    auto forged = Inputs(b.reg(), 1, 3);
    forged[0].proof.mutable_inclusion(0)->at(0) ^= 1;
    auto r1 = internal::AppendRegistryImports(b.ent(), forged);
    REQUIRE(!r1.ok());
    CHECK(r1.status().code() == StatusCode::kVerificationFailed);
    CHECK(Mentions(r1.status(), "inclusion proof"));
    auto altered = Inputs(b.reg(), 1, 3);
    const std::size_t at = altered[0].registry_record.find("Co., Ltd.");
    REQUIRE(at != std::string::npos);
    altered[0].registry_record[at] = 'K';
    auto r2 = internal::AppendRegistryImports(b.ent(), altered);
    REQUIRE(!r2.ok());
    CHECK(Mentions(r2.status(), "inclusion proof"));
    CHECK(b.Dump() == before);
    REQUIRE(internal::AppendRegistryImports(b.ent(), Inputs(b.reg(), 1, 3)).ok());
  }
  SECTION("a checkpoint below the witness quorum") {
    Bound b;
    b.f.Register("registry", "mine-1", Role::kMine);
    b.f.Publish("registry", 1);  // one of the two witnesses the binding requires
    const testing::TableDump before = b.Dump();
    auto r = b.Import();
    REQUIRE(!r.ok());
    INFO(r.status().message());
    CHECK(r.status().code() == StatusCode::kVerificationFailed);
    CHECK(Mentions(r.status(), "not proven by the bound log key and witnesses"));
    CHECK(b.Dump() == before);
  }
  SECTION("a checkpoint not signed by the bound log key") {
    auto other = NoteSigner::Generate("registry", NoteKeyType::kEd25519);
    REQUIRE(other.ok());
    Bound b(Federation::kWitnesses, &(*other)->verifier());
    b.f.Register("registry", "mine-1", Role::kMine);
    b.f.Publish("registry");
    const testing::TableDump before = b.Dump();
    auto r = b.Import();
    REQUIRE(!r.ok());
    INFO(r.status().message());
    CHECK(Mentions(r.status(), "not proven by the bound log key"));
    CHECK(b.Dump() == before);
  }
  SECTION("a gap: a registry record skipped or withheld") {
    Bound b;
    b.f.Register("registry", "mine-1", Role::kMine);
    b.f.Publish("registry");
    const testing::TableDump before = b.Dump();
    auto r = internal::AppendRegistryImports(b.ent(), Inputs(b.reg(), 2, 3));
    REQUIRE(!r.ok());
    INFO(r.status().message());
    CHECK(Mentions(r.status(), "the next registry record to import is 1"));
    auto twice = Inputs(b.reg(), 1, 2);
    twice.push_back(twice.front());
    auto r2 = internal::AppendRegistryImports(b.ent(), twice);
    REQUIRE(!r2.ok());
    CHECK(Mentions(r2.status(), "the next registry record to import is 2"));
    CHECK(b.Dump() == before);
  }
  SECTION("a registry record that is not an authority record") {
    Bound b;
    b.f.Register("registry", "mine-9", Role::kMine);
    REQUIRE(b.f.Do("registry", "mine-9", Extracted{ThreeLedgers::Ore("ORE-9"), "pit 9"}).ok());
    b.f.Publish("registry");
    const testing::TableDump before = b.Dump();
    auto r = b.Import();
    REQUIRE(!r.ok());
    INFO(r.status().message());
    CHECK(Mentions(r.status(), "registry record 3"));
    CHECK(Mentions(r.status(), "not an authority record"));
    CHECK(b.Dump() == before);
  }
  SECTION("a record of another ledger, and another ledger as the registry") {
    Bound b;
    b.f.Register("registry", "mine-1", Role::kMine);
    b.f.Publish("registry");
    b.f.AddLedger("other");
    b.f.Register("other", "mine-2", Role::kMine);
    b.f.Publish("other");
    const testing::TableDump before = b.Dump();
    auto swapped = Inputs(b.reg(), 1, 2);
    auto rec = b.f.ledger("other").ReadRecord(1);
    REQUIRE(rec.ok());
    swapped[0].registry_record = rec->stored;
    auto r = internal::AppendRegistryImports(b.ent(), swapped);
    REQUIRE(!r.ok());
    INFO(r.status().message());
    CHECK(Mentions(r.status(), "not for the bound registry"));
    auto wrong = ImportRegistry(b.ent(), b.f.ledger("other"));
    REQUIRE(!wrong.ok());
    CHECK(wrong.status().code() == StatusCode::kInvalidArgument);
    CHECK(b.Dump() == before);
  }
  SECTION("an unbound ledger imports nothing") {
    Federation f;
    f.AddLedger("registry");
    f.AddLedger("plain");
    f.Publish("registry");
    auto r = ImportRegistry(f.ledger("plain"), f.ledger("registry"));
    REQUIRE(!r.ok());
    CHECK(r.status().code() == StatusCode::kFailedPrecondition);
    CHECK(Size(f.ledger("plain")) == 1);
  }
}

TEST_CASE("A malformed registry binding is refused at Create", "[federation][registry]") {
  Federation f;
  f.AddLedger("registry");
  auto info = f.ledger("registry").Info();
  REQUIRE(info.ok());
  Options o;
  o.sync = false;
  o.registry = RegistryBinding{f.log("registry").verifier().ToString(), {}, 1, info->ledger_id};
  testing::TempDir dir;
  auto l = Ledger::Create(o, dir.Sub("bound"), "bound", f.root(), "regulator");
  REQUIRE(!l.ok());
  CHECK(l.status().code() == StatusCode::kInvalidArgument);
  CHECK(Mentions(l.status(), "quorum"));
  o.registry->quorum = 0;
  o.registry->ledger_id = "00";
  CHECK(!Ledger::Create(o, dir.Sub("bound2"), "bound", f.root(), "regulator").ok());
}

TEST_CASE("An imported record altered on disk is an audit finding in both scopes",
          "[federation][registry]") {
  Bound b;
  b.ImportedMine();
  b.f.Close("mine-ledger");
  std::string stored = testing::GetRecord(b.f.path("mine-ledger"), 1);
  const std::size_t at = stored.find("Co., Ltd.");
  REQUIRE(at != std::string::npos);
  stored[at] = 'K';
  testing::PutRecord(b.f.path("mine-ledger"), 1, stored);
  b.f.Reopen("mine-ledger");
  auto full = b.ent().Audit();
  REQUIRE(full.ok());
  INFO(AuditReportToJson(*full));
  CHECK(!full->valid);
  CHECK(HasCodeAt(full->findings, finding::kRegistryImportInvalid, 1));
  CHECK(HasCodeAt(full->findings, finding::kIndexInconsistent, 1));
  AuditOptions integrity;
  integrity.scope = AuditScope::kIntegrity;
  auto ia = b.ent().Audit(integrity);
  REQUIRE(ia.ok());
  INFO(AuditReportToJson(*ia));
  CHECK(!ia->valid);
  CHECK(HasCodeAt(ia->findings, finding::kIndexInconsistent, 1));
}

TEST_CASE("A mirror of a bound ledger copies its import records, re-judges each, and refuses "
          "one whose proof does not hold, the mirror unchanged",
          "[federation][registry][mirror]") {
  Bound b;
  b.ImportedMine();
  REQUIRE(b.f.Do("mine-ledger", "mine-1", Extracted{ThreeLedgers::Ore("ORE-1"), "pit 3"}).ok());
  testing::TempDir d;
  PublishOptions po;
  po.sign_with = &b.f.log("mine-ledger");
  po.sync = false;
  REQUIRE(Publish(b.ent(), d.Sub("www"), po).ok());
  MirrorOptions mo;
  mo.log_keys = {b.f.log("mine-ledger").verifier()};
  mo.ledger.sync = false;
  auto m = Mirror(d.Sub("www"), d.Sub("mirror"), mo);
  REQUIRE(m.ok());
  INFO((m->findings.empty() ? std::string() : m->findings.front().message));
  CHECK(m->findings.empty());
  CHECK(m->records_appended == Size(b.ent()));

  Options ro;
  ro.read_only = true;
  auto copy = Ledger::Open(ro, d.Sub("mirror"));
  REQUIRE(copy.ok());
  for (std::uint64_t i = 0; i < Size(b.ent()); ++i) {
    auto a = b.ent().ReadRecord(i);
    auto c = (*copy)->ReadRecord(i);
    REQUIRE(a.ok());
    REQUIRE(c.ok());
    CHECK(a->stored == c->stored);
  }
  auto audit = (*copy)->Audit();
  REQUIRE(audit.ok());
  INFO(AuditReportToJson(*audit));
  CHECK(audit->valid);
  REQUIRE(audit->registry);
  CHECK(audit->registry->imported == 2);
  auto report = (*copy)->VerifyLot("ORE-1");
  REQUIRE(report.ok());
  CHECK(report->valid);
  REQUIRE(report->registry);
  CHECK(report->registry->size == 3);
  copy->reset();

  // A mirror given an import whose inclusion proof is altered: the book
  // re-judges it and refuses the batch; the mirror keeps what it had.
  testing::TempDir d2;
  auto genesis = b.ent().ReadRecord(0);
  REQUIRE(genesis.ok());
  Options lo;
  lo.sync = false;
  auto fresh = Ledger::CreateMirror(lo, d2.Sub("m"), genesis->stored);
  REQUIRE(fresh.ok());
  auto first = b.ent().ReadRecord(1);
  REQUIRE(first.ok());
  internal::RecordView view;
  REQUIRE(internal::ParseRecordView(first->stored, &view).ok());
  v1::RegistryProof proof;
  REQUIRE(proof.ParseFromArray(view.registry_proof.data(), static_cast<int>(view.registry_proof.size())));
  REQUIRE(proof.inclusion_size() > 0);
  proof.mutable_inclusion(0)->at(0) ^= 1;
  const std::string forged =
      internal::EncodeImportRecord(1, genesis->hash, std::string(view.registry_record), proof);
  auto refused = (*fresh)->AppendStored({forged});
  REQUIRE_FALSE(refused.ok());
  INFO(refused.status().message());
  CHECK(Mentions(refused.status(), "registry_import_invalid"));
  CHECK(Size(**fresh) == 1);
  // The same record as the source stored it is taken.
  auto taken = (*fresh)->AppendStored({first->stored});
  INFO((taken.ok() ? std::string() : taken.status().message()));
  CHECK(taken.ok());
  CHECK(Size(**fresh) == 2);
}

}  // namespace
}  // namespace retrace
