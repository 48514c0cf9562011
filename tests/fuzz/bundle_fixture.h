// The lineage bundle of a small real ledger -- mine, separator, a
// separation -- built once through the public API, with the trust anchors
// that verify it: the ledger's root key and its log (checkpoint) key.
// Keys are fresh per process, so seeds from make_corpus carry signatures by
// other keys: near-valid bundles for the fuzzer to start from.
#ifndef RETRACE_TESTS_FUZZ_BUNDLE_FIXTURE_H_
#define RETRACE_TESTS_FUZZ_BUNDLE_FIXTURE_H_

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "retrace/bundle.h"
#include "retrace/event.h"
#include "retrace/ledger.h"
#include "retrace/note.h"

namespace retrace::fuzzing {

struct BundleFixture {
  std::string bundle;
  PublicKey root_key;
  NoteVerifier log_key;
};

namespace detail {

inline bool Append(Ledger& l, const Signer& s, const std::string& id, const std::string& actor,
                   EventBody body) {
  Event ev;
  ev.event_id = id;
  ev.actor_id = actor;
  ev.time = {1772438400 + static_cast<std::int64_t>(id.size()) * 60, 0};
  ev.body = std::move(body);
  if (!l.LinkParents(&ev).ok()) return false;
  auto se = SignEvent(ev, s);
  return se.ok() && l.Append(*se).ok();
}

inline std::unique_ptr<BundleFixture> Build(const std::string& dir) {
  auto root = Signer::Generate(Algorithm::kEd25519);
  auto mine = Signer::Generate(Algorithm::kEd25519);
  auto sep = Signer::Generate(Algorithm::kEcdsaP256Sha256);
  auto log = NoteSigner::Generate("fuzz-ledger", NoteKeyType::kEd25519);
  if (!root.ok() || !mine.ok() || !sep.ok() || !log.ok()) return nullptr;
  Options o;
  o.sync = false;
  auto l = Ledger::Create(o, dir, "fuzz-ledger", **root, "regulator");
  if (!l.ok()) return nullptr;
  Lot ore;
  ore.lot_id = "ORE-1";
  ore.material = MaterialClass::kOreConcentrate;
  ore.mass_g = 1000000;
  ore.content = {{Element::kNd, 50000}};
  Lot ox = ore;
  ox.lot_id = "OX-1";
  ox.material = MaterialClass::kSeparatedOxide;
  ox.mass_g = 60000;
  ox.content = {{Element::kNd, 45000}};
  Transformed t;
  t.inputs = {{"ORE-1", 1000000, std::nullopt}};
  t.outputs = {ox};
  t.declared_loss_g = 940000;
  const std::uint64_t q = std::uint64_t{1} << 36;
  bool ok =
      Append(**l, **root, "r-m", "regulator",
             ActorRegistered{"mine-1", "M", Role::kMine, (*mine)->public_key(), "L-1", "CN"}) &&
      Append(**l, **root, "r-s", "regulator",
             ActorRegistered{"sep-1", "S", Role::kSeparator, (*sep)->public_key(), "L-2", "CN"}) &&
      Append(**l, **root, "g-m", "regulator", QuotaGranted{"mine-1", 2026, QuotaKind::kMiningRock, q, "d"}) &&
      Append(**l, **root, "g-s", "regulator",
             QuotaGranted{"sep-1", 2026, QuotaKind::kSmeltingSeparation, q, "d"}) &&
      Append(**l, **mine, "e-1", "mine-1", Extracted{ore, "pit", "L-1", QuotaKind::kMiningRock}) &&
      Append(**l, **mine, "e-02", "mine-1", Shipped{"ORE-1", std::nullopt, "sep-1", 1000000}) &&
      Append(**l, **sep, "e-003", "sep-1", Received{"ORE-1", std::nullopt, "mine-1", 1000000}) &&
      Append(**l, **sep, "e-0004", "sep-1", t);
  if (!ok || !(*l)->SignCheckpoint(**log).ok()) return nullptr;
  auto bundle = ProveLineage(**l, "OX-1");
  if (!bundle.ok()) return nullptr;
  return std::unique_ptr<BundleFixture>(
      new BundleFixture{*bundle, (*root)->public_key(), (*log)->verifier()});
}

}  // namespace detail

inline const BundleFixture& HonestBundle() {
  static const BundleFixture* fixture = [] {
    namespace fs = std::filesystem;
    std::string tmpl = (fs::temp_directory_path() / "retrace-fuzz-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    auto f = detail::Build(tmpl + "/ledger");
    std::error_code ec;
    fs::remove_all(tmpl, ec);
    if (!f) std::abort();
    return f.release();
  }();
  return *fixture;
}

}  // namespace retrace::fuzzing

#endif  // RETRACE_TESTS_FUZZ_BUNDLE_FIXTURE_H_
