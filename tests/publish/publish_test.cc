// Publishing as C2SP tlog-tiles and mirroring from a directory: the tile
// layout of the spec, incremental publishing, and every way a source can
// lie or fork (docs/publishing.md).
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "publish/tiles.h"
#include "retrace/checkpoint.h"
#include "retrace/merkle.h"
#include "retrace/mirror.h"
#include "retrace/publish.h"
#include "testing/files.h"
#include "testing/test_chain.h"

namespace retrace {
namespace {

using testing::FiveStage;
using testing::TempDir;
using testing::TestChain;
namespace fs = std::filesystem;

using testing::ReadFile;
using testing::WriteFile;

struct Published {
  TestChain chain;
  std::unique_ptr<NoteSigner> log;
  TempDir dir;
  std::string www() const { return dir.Sub("www"); }
  std::string mirror() const { return dir.Sub("mirror"); }

  Published() {
    FiveStage::Build(chain);
    auto k = NoteSigner::Generate("test-ledger", NoteKeyType::kEd25519);
    REQUIRE(k.ok());
    log = std::move(k).value();
  }
  PublishResult Publish() {
    PublishOptions o;
    o.sign_with = log.get();
    o.sync = false;
    auto r = retrace::Publish(chain.ledger(), www(), o);
    REQUIRE(r.ok());
    return *r;
  }
  MirrorOptions Options() const {
    MirrorOptions o;
    o.log_keys = {log->verifier()};
    o.ledger.sync = false;
    return o;
  }
  Result<MirrorResult> MirrorIt() { return Mirror(www(), mirror(), Options()); }
  // More records: `n` extractions by mine-1.
  void Grow(std::size_t n, const std::string& prefix) {
    for (const Event& e : chain.Extractions("mine-1", prefix, n)) {
      Event ev = e;
      REQUIRE(chain.ledger().LinkParents(&ev).ok());
      auto se = SignEvent(ev, chain.key("mine-1"));
      REQUIRE(se.ok());
      REQUIRE(chain.ledger().Append(*se).ok());
    }
  }
};

// The mirror's state, to show a refused run changed nothing.
std::pair<std::uint64_t, std::string> MirrorState(const std::string& dir) {
  Options o;
  o.read_only = true;
  auto l = Ledger::Open(o, dir);
  if (!l.ok()) return {0, ""};
  auto cp = (*l)->LatestCheckpoint();
  return {(*l)->Info()->size, cp.ok() ? *cp : ""};
}

TEST_CASE("Tile paths and widths follow c2sp.org/tlog-tiles", "[publish]") {
  CHECK(internal::TileIndexPath(0) == "000");
  CHECK(internal::TileIndexPath(67) == "067");
  CHECK(internal::TileIndexPath(1234067) == "x001/x234/067");
  CHECK(internal::TileIndexPath(1000) == "x001/000");
  CHECK(internal::HashTilePath(0, 1234067, 256) == "tile/0/x001/x234/067");
  CHECK(internal::HashTilePath(2, 5, 17) == "tile/2/005.p/17");
  CHECK(internal::EntryBundlePath(3, 256) == "tile/entries/003");
  CHECK(internal::EntryBundlePath(3, 9) == "tile/entries/003.p/9");
  // The spec's example: a tree of 70,000 leaves has 273 full level-0
  // tiles, a partial one of width 112, one full level-1 tile, a partial
  // level-1 tile of width 17 and a partial level-2 tile of width 1.
  const std::uint64_t s = 70000;
  for (std::uint64_t n = 0; n < 273; ++n) CHECK(internal::TileWidth(s, 0, n) == 256);
  CHECK(internal::TileWidth(s, 0, 273) == 112);
  CHECK(internal::TileWidth(s, 0, 274) == 0);
  CHECK(internal::TileWidth(s, 1, 0) == 256);
  CHECK(internal::TileWidth(s, 1, 1) == 17);
  CHECK(internal::TileWidth(s, 2, 0) == 1);
  CHECK(internal::TileWidth(s, 3, 0) == 0);
  // "a tree of size 256 will be represented by a full level 0 tile and a
  // partial level 1 tile of width 1".
  CHECK(internal::TileWidth(256, 0, 0) == 256);
  CHECK(internal::TileWidth(256, 1, 0) == 1);
}

TEST_CASE("Entry bundles are uint16 length-prefixed and decoded strictly", "[publish]") {
  auto b = internal::EncodeEntryBundle({"ab", "", std::string(300, 'x')}, false);
  REQUIRE(b.ok());
  CHECK(b->substr(0, 4) == std::string("\x00\x02" "ab", 4));
  CHECK(b->size() == 2 + 2 + 2 + 0 + 2 + 300);
  auto d = internal::DecodeEntryBundle(*b, false, 3);
  REQUIRE(d.ok());
  CHECK((*d)[2].size() == 300);
  CHECK_FALSE(internal::DecodeEntryBundle(*b, false, 2).ok());  // more entries than the tile
  CHECK_FALSE(internal::DecodeEntryBundle(*b, false, 4).ok());  // fewer
  CHECK_FALSE(internal::DecodeEntryBundle(b->substr(0, b->size() - 1), false, 3).ok());
  CHECK_FALSE(internal::EncodeEntryBundle({std::string(70000, 'y')}, false).ok());
  auto big = internal::EncodeEntryBundle({std::string(70000, 'y')}, true);
  REQUIRE(big.ok());
  CHECK(big->substr(0, 4) == std::string("\x00\x01\x11\x70", 4));
}

TEST_CASE("A published ledger's tiles are its tree and its bundles its stored records",
          "[publish]") {
  Published p;
  const PublishResult r = p.Publish();
  const std::uint64_t size = p.chain.ledger().Info()->size;
  CHECK(r.size == size);
  CHECK(r.previous_size == 0);
  CHECK(ReadFile(p.www() + "/checkpoint") == r.checkpoint);
  // Level-0 tile: the leaf hashes, i.e. the record hashes.
  const std::string tile = ReadFile(p.www() + "/" + internal::HashTilePath(0, 0, size));
  REQUIRE(tile.size() == size * 32);
  const std::string bundle = ReadFile(p.www() + "/" + internal::EntryBundlePath(0, size));
  auto entries = internal::DecodeEntryBundle(bundle, false, size);
  REQUIRE(entries.ok());
  std::vector<Hash> leaves;
  for (std::uint64_t i = 0; i < size; ++i) {
    auto rec = p.chain.ledger().ReadRecord(i);
    REQUIRE(rec.ok());
    CHECK((*entries)[i] == rec->stored);  // the exact stored bytes
    CHECK(tile.substr(i * 32, 32) == HashBytes(rec->hash));
    leaves.push_back(merkle::LeafHash((*entries)[i]));
  }
  auto cp = ParseSignedCheckpoint(r.checkpoint);
  REQUIRE(cp.ok());
  CHECK(merkle::RootFromLeafHashes(leaves) == cp->root_hash);
  // Publishing again changes nothing.
  const PublishResult again = p.Publish();
  CHECK(again.tiles_written == 0);
  CHECK(again.bundles_written == 0);
}

TEST_CASE("A mirror from a directory holds the same records and verifies as the source",
          "[publish][mirror]") {
  Published p;
  p.Publish();
  auto m = p.MirrorIt();
  REQUIRE(m.ok());
  CHECK(m->findings.empty());
  CHECK(m->created);
  const std::uint64_t size = p.chain.ledger().Info()->size;
  CHECK(m->new_size == size);
  Options ro;
  ro.read_only = true;
  {
    auto l = Ledger::Open(ro, p.mirror());
    REQUIRE(l.ok());
    CHECK((*l)->Info()->head_hash == p.chain.ledger().Info()->head_hash);
    auto audit = (*l)->Audit();
    REQUIRE(audit.ok());
    CHECK(audit->valid);
    auto v = (*l)->VerifyLot("MAG-1");
    REQUIRE(v.ok());
    CHECK(v->valid);
    CHECK(*(*l)->LatestCheckpoint() == *p.chain.ledger().LatestCheckpoint());
  }
  // Incremental: 600 more records cross two tile boundaries; only the new
  // tiles are written and fetched.
  p.Grow(600, "ORE-X");
  const PublishResult r2 = p.Publish();
  CHECK(r2.previous_size == size);
  CHECK(r2.tiles_written <= 6);
  auto m2 = p.MirrorIt();
  REQUIRE(m2.ok());
  CHECK(m2->findings.empty());
  CHECK(m2->old_size == size);
  CHECK(m2->new_size == size + 600);
  CHECK(m2->records_appended == 600);
  CHECK(m2->tiles_fetched <= 6);
  CHECK(m2->bundles_fetched == 3);
  // Up to date: only the checkpoint is read.
  auto m3 = p.MirrorIt();
  REQUIRE(m3.ok());
  CHECK(m3->records_appended == 0);
  CHECK(m3->tiles_fetched == 0);
}

TEST_CASE("A damaged tile, an altered or truncated entry bundle are caught, the mirror unchanged",
          "[publish][mirror]") {
  Published p;
  p.Publish();
  REQUIRE(p.MirrorIt().ok());
  const auto before = MirrorState(p.mirror());
  p.Grow(300, "ORE-D");
  p.Publish();
  const std::uint64_t size = p.chain.ledger().Info()->size;
  const std::string tile1 = p.www() + "/" + internal::HashTilePath(0, 1, size - 256);
  const std::string bundle1 = p.www() + "/" + internal::EntryBundlePath(1, size - 256);
  const std::string tile0 = p.www() + "/tile/0/000";
  const std::string good_tile1 = ReadFile(tile1), good_bundle1 = ReadFile(bundle1),
                    good_tile0 = ReadFile(tile0);
  struct Case {
    const char* what;
    std::string path;
    std::string data;
    const char* code;
  };
  std::string flipped_tile = good_tile1;
  flipped_tile[5] ^= 1;
  std::string flipped_full = good_tile0;
  flipped_full[8000] ^= 0x80;
  std::string flipped_entry = good_bundle1;
  flipped_entry[good_bundle1.size() / 2] ^= 4;
  const std::vector<Case> cases = {
      {"a bit of the partial level-0 tile", tile1, flipped_tile, "tile_mismatch"},
      {"a bit of a full level-0 tile", tile0, flipped_full, "tile_mismatch"},
      {"a short tile", tile1, good_tile1.substr(0, 64), "tile_mismatch"},
      {"a bit of an entry", bundle1, flipped_entry, "entry_mismatch"},
      {"a truncated bundle", bundle1, good_bundle1.substr(0, good_bundle1.size() - 7),
       "entry_mismatch"},
      {"a bundle with a byte more", bundle1, good_bundle1 + "x", "entry_mismatch"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    WriteFile(c.path, c.data);
    auto m = p.MirrorIt();
    REQUIRE(m.ok());
    REQUIRE(m->findings.size() == 1);
    CHECK(m->findings[0].code == c.code);
    CHECK(m->records_appended == 0);
    CHECK(MirrorState(p.mirror()) == before);
    WriteFile(tile1, good_tile1);
    WriteFile(bundle1, good_bundle1);
    WriteFile(tile0, good_tile0);
  }
  // A missing bundle is an error, not a finding; nothing changes either.
  fs::remove(bundle1);
  auto gone = p.MirrorIt();
  CHECK(gone.status().code() == StatusCode::kNotFound);
  CHECK(MirrorState(p.mirror()) == before);
  WriteFile(bundle1, good_bundle1);
  auto ok = p.MirrorIt();
  REQUIRE(ok.ok());
  CHECK(ok->findings.empty());
  CHECK(ok->new_size == size);
}

TEST_CASE("A checkpoint of another origin, by another key, or short of its quorum is refused",
          "[publish][mirror]") {
  Published p;
  p.Publish();
  REQUIRE(p.MirrorIt().ok());
  const auto before = MirrorState(p.mirror());
  // Another log's publication, signed by the same key name but another origin.
  auto other_key = NoteSigner::Generate("test-ledger", NoteKeyType::kEd25519);
  REQUIRE(other_key.ok());
  // (TestChain names every ledger "test-ledger": rename through a fresh one.)
  auto root = Signer::Generate(Algorithm::kEd25519);
  REQUIRE(root.ok());
  TempDir d;
  auto named = Ledger::Create(Options(), d.Sub("l"), "another-log", **root, "regulator");
  REQUIRE(named.ok());
  PublishOptions po;
  po.sign_with = p.log.get();
  po.sync = false;
  REQUIRE(Publish(**named, d.Sub("www"), po).ok());
  auto r = Mirror(d.Sub("www"), p.mirror(), p.Options());
  CHECK(r.status().code() == StatusCode::kVerificationFailed);
  CHECK(r.status().message().find("another-log") != std::string::npos);
  CHECK(MirrorState(p.mirror()) == before);
  // A checkpoint signed by a key the mirror does not trust.
  MirrorOptions wrong = p.Options();
  wrong.log_keys = {(*other_key)->verifier()};
  CHECK(Mirror(p.www(), p.mirror(), wrong).status().code() == StatusCode::kVerificationFailed);
  // A witness quorum the checkpoint does not meet.
  auto w = NoteSigner::Generate("w1", NoteKeyType::kCosignatureV1);
  REQUIRE(w.ok());
  MirrorOptions quorum = p.Options();
  quorum.witnesses.witnesses = {(*w)->verifier()};
  quorum.witnesses.quorum = 1;
  CHECK(Mirror(p.www(), p.mirror(), quorum).status().code() == StatusCode::kVerificationFailed);
  CHECK(MirrorState(p.mirror()) == before);
}

TEST_CASE("A rolled-back checkpoint and a forked log are findings with both checkpoints kept",
          "[publish][mirror]") {
  Published p;
  p.Publish();
  const std::string old_checkpoint = ReadFile(p.www() + "/checkpoint");
  p.Grow(10, "ORE-R");
  p.Publish();
  REQUIRE(p.MirrorIt().ok());
  const auto before = MirrorState(p.mirror());
  // Rolled back: the server puts the older checkpoint back.
  WriteFile(p.www() + "/checkpoint", old_checkpoint);
  auto rb = p.MirrorIt();
  REQUIRE(rb.ok());
  REQUIRE(rb->findings.size() == 1);
  CHECK(rb->findings[0].code == "checkpoint_rolled_back");
  CHECK(rb->findings[0].source_checkpoint == old_checkpoint);
  CHECK(rb->findings[0].held_checkpoint == before.second);
  CHECK(ReadFile(rb->findings[0].evidence_path).find(old_checkpoint) != std::string::npos);
  CHECK(MirrorState(p.mirror()) == before);
  // Forked: the same origin and log key, another history.
  TempDir d;
  auto root = Signer::Generate(Algorithm::kEd25519);
  REQUIRE(root.ok());
  auto fork = Ledger::Create(Options(), d.Sub("fork"), "test-ledger", **root, "regulator");
  REQUIRE(fork.ok());
  for (int i = 0; i < 40; ++i) {
    auto key = Signer::Generate(Algorithm::kEd25519);
    REQUIRE(key.ok());
    ActorRegistered reg;
    reg.actor_id = "actor-" + std::to_string(i);
    reg.legal_name = "Fork " + std::to_string(i);
    reg.role = Role::kSmelter;
    reg.key = (*key)->public_key();
    reg.jurisdiction = "CN";
    auto r = RegisterActor(**fork, **root, reg);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
  }
  PublishOptions po;
  po.sign_with = p.log.get();
  po.sync = false;
  REQUIRE(Publish(**fork, d.Sub("www"), po).ok());
  auto fv = Mirror(d.Sub("www"), p.mirror(), p.Options());
  REQUIRE(fv.ok());
  REQUIRE(fv->findings.size() == 1);
  CHECK(fv->findings[0].code == "split_view");
  CHECK(fv->findings[0].held_checkpoint == before.second);
  CHECK(fv->findings[0].source_checkpoint == ReadFile(d.Sub("www") + "/checkpoint"));
  const std::string evidence = ReadFile(fv->findings[0].evidence_path);
  CHECK(evidence.find(before.second) != std::string::npos);
  CHECK(evidence.find(fv->findings[0].source_checkpoint) != std::string::npos);
  CHECK(MirrorState(p.mirror()) == before);
}

TEST_CASE("Publishing refuses another log's webroot and a roll-back of its own", "[publish]") {
  Published p;
  p.Publish();
  TempDir d;
  auto root = Signer::Generate(Algorithm::kEd25519);
  REQUIRE(root.ok());
  auto other = Ledger::Create(Options(), d.Sub("o"), "other-log", **root, "regulator");
  REQUIRE(other.ok());
  PublishOptions po;
  po.sign_with = p.log.get();
  po.sync = false;
  const std::string cp = ReadFile(p.www() + "/checkpoint");
  auto r = Publish(**other, p.www(), po);
  CHECK(r.status().code() == StatusCode::kFailedPrecondition);
  CHECK(ReadFile(p.www() + "/checkpoint") == cp);
  // A fork of the same origin publishing over it: another history.
  auto fork = Ledger::Create(Options(), d.Sub("f"), "test-ledger", **root, "regulator");
  REQUIRE(fork.ok());
  auto f = Publish(**fork, p.www(), po);
  CHECK_FALSE(f.ok());
  CHECK(ReadFile(p.www() + "/checkpoint") == cp);
  // Without a key and without a stored checkpoint there is nothing to publish.
  auto bare = Ledger::Create(Options(), d.Sub("bare"), "bare-log", **root, "regulator");
  REQUIRE(bare.ok());
  auto none = Publish(**bare, d.Sub("www2"), PublishOptions{nullptr, false});
  CHECK(none.status().code() == StatusCode::kFailedPrecondition);
}

TEST_CASE("A record over 65535 bytes goes to tile/entries-u32 and still mirrors",
          "[publish][mirror]") {
  Options big;
  TestChain c(big);
  c.Register("mine-1", Role::kMine);
  // Texts are capped at 4 KiB each; 20 references of 3.9 KB make a record
  // of about 78 KB.
  Event ev = c.MakeEvent("mine-1", Extracted{testing::OreLot("BIG-1"), "pit 1"});
  for (int i = 0; i < 20; ++i) {
    ev.references.push_back({"weighbridge_ticket", std::string(3900, static_cast<char>('a' + i))});
  }
  REQUIRE(c.ledger().LinkParents(&ev).ok());
  auto se = SignEvent(ev, c.key("mine-1"));
  REQUIRE(se.ok());
  auto appended = c.ledger().Append(*se);
  REQUIRE(appended.ok());
  REQUIRE(c.ledger().ReadRecord(appended->seq)->stored.size() > 65535);
  auto log = NoteSigner::Generate("test-ledger", NoteKeyType::kEd25519);
  REQUIRE(log.ok());
  TempDir d;
  PublishOptions po;
  po.sign_with = log->get();
  po.sync = false;
  auto r = Publish(c.ledger(), d.Sub("www"), po);
  REQUIRE(r.ok());
  CHECK(r->large_bundles == 1);
  const std::uint64_t size = c.ledger().Info()->size;
  CHECK_FALSE(fs::exists(d.Sub("www") + "/" + internal::EntryBundlePath(0, size)));
  CHECK(fs::exists(d.Sub("www") + "/" + internal::EntryBundlePath(0, size, true)));
  MirrorOptions mo;
  mo.log_keys = {(*log)->verifier()};
  mo.ledger.sync = false;
  auto m = Mirror(d.Sub("www"), d.Sub("m"), mo);
  REQUIRE(m.ok());
  CHECK(m->findings.empty());
  CHECK(m->new_size == size);
}

TEST_CASE("A Publisher republishes a long-running writer's appends", "[publish]") {
  Published p;
  PublishOptions o;
  o.sign_with = p.log.get();
  o.sync = false;
  auto pub = Publisher::Start(p.chain.ledger(), p.www(), o, std::chrono::milliseconds(20));
  REQUIRE(pub.ok());
  REQUIRE((*pub)->last_status().ok());
  const std::uint64_t first = (*pub)->published_size();
  CHECK(first == p.chain.ledger().Info()->size);
  p.Grow(5, "ORE-P");
  (*pub)->Notify();
  for (int i = 0; i < 500 && (*pub)->published_size() != first + 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK((*pub)->published_size() == first + 5);
  pub->reset();
  auto cp = ParseSignedCheckpoint(ReadFile(p.www() + "/checkpoint"));
  REQUIRE(cp.ok());
  CHECK(cp->size == first + 5);
}

}  // namespace
}  // namespace retrace
