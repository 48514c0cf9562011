// A small honest ledger held in memory as a RecordStore: genesis, two
// registrations, quota grants, an extraction, a shipment, its receipt and a
// separation, signed with fixed Ed25519 seeds. It is built through the
// public API in a temporary directory and then snapshotted -- record bytes,
// Merkle leaves and every index answer -- through the ledger's own
// TxnRecordStore, so it follows the rules the ledger enforces without
// re-implementing them. The record fuzzer swaps one stored record for fuzz
// input and runs the record checker and the lineage verifier over it;
// make_corpus writes its records as seeds. (The ledger id is random per
// build, so seeds from one build differ from another's in that, in the
// parent hashes and in the signatures: they remain near-valid records.)
#ifndef RETRACE_TESTS_FUZZ_RECORD_FIXTURE_H_
#define RETRACE_TESTS_FUZZ_RECORD_FIXTURE_H_

#include <stdlib.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "crypto/keys_internal.h"
#include "rules/rules.h"
#include "ledger/txn_store.h"
#include "model/proto_convert.h"
#include "retrace/event.h"
#include "retrace/ledger.h"
#include "storage/lmdb_env.h"
#include "verify/record_store.h"

namespace retrace::fuzzing {

// Answers every RecordStore question from maps filled once.
class MemoryStore : public internal::RecordStore {
 public:
  std::vector<std::string> records;
  std::vector<std::optional<Hash>> leaves;
  std::vector<std::uint64_t> authority;
  std::map<std::string, std::vector<std::uint64_t>> lot_seqs, quota_log;

  std::uint64_t Size() const override { return records.size(); }
  Result<std::optional<std::string>> RecordBytes(std::uint64_t seq) const override {
    if (seq >= records.size()) return std::optional<std::string>();
    return std::optional<std::string>(records[seq]);
  }
  Result<std::vector<std::uint64_t>> LotSeqs(std::string_view lot) const override {
    return Find(lot_seqs, lot);
  }
  Result<std::optional<Hash>> CommittedLeaf(std::uint64_t seq) const override {
    if (seq >= leaves.size()) return std::optional<Hash>();
    return leaves[seq];
  }
  Result<std::vector<std::uint64_t>> QuotaLog(std::string_view quota_key) const override {
    return Find(quota_log, quota_key);
  }
  Result<std::vector<std::uint64_t>> AuthoritySeqs() const override { return authority; }

 private:
  static std::vector<std::uint64_t> Find(const std::map<std::string, std::vector<std::uint64_t>>& m,
                                         std::string_view k) {
    auto it = m.find(std::string(k));
    return it == m.end() ? std::vector<std::uint64_t>() : it->second;
  }
};

inline std::unique_ptr<Signer> SeededSigner(char fill) {
  auto s = internal::Ed25519SignerFromSeedForTest(std::string(32, fill));
  return s.ok() ? std::move(s).value() : nullptr;
}

namespace detail {

inline bool AppendAs(Ledger& l, const Signer& signer, const std::string& id,
                     const std::string& actor, EventBody body) {
  Event ev;
  ev.event_id = id;
  ev.actor_id = actor;
  ev.time = {1772438400 + static_cast<std::int64_t>(id.size()) * 60, 0};  // March 2026
  ev.body = std::move(body);
  if (!l.LinkParents(&ev).ok()) return false;
  auto se = SignEvent(ev, signer);
  return se.ok() && l.Append(*se).ok();
}

inline bool BuildLedger(const std::string& dir) {
  auto root = SeededSigner('r'), mine = SeededSigner('m'), sep = SeededSigner('s');
  if (!root || !mine || !sep) return false;
  Options o;
  o.sync = false;
  auto created = Ledger::Create(o, dir, "fuzz", *root, "regulator");
  if (!created.ok()) return false;
  Ledger& l = **created;
  const std::uint64_t kQuota = std::uint64_t{1} << 36;
  Lot ore;
  ore.lot_id = "ORE-1";
  ore.material = MaterialClass::kOreConcentrate;
  ore.mass_g = 1000000;
  ore.content = {{Element::kNd, 50000}, {Element::kDy, 1000}};
  Lot ox;
  ox.lot_id = "OX-1";
  ox.material = MaterialClass::kSeparatedOxide;
  ox.mass_g = 60000;
  ox.content = {{Element::kNd, 45000}};
  Transformed t;
  t.inputs = {{"ORE-1", 1000000, std::nullopt}};
  t.outputs = {ox};
  t.declared_loss_g = 940000;
  t.process = "solvent extraction";
  return AppendAs(l, *root, "reg-m", "regulator",
                  ActorRegistered{"mine-1", "Mine", Role::kMine, mine->public_key(), "LIC-M1", "CN"}) &&
         AppendAs(l, *root, "reg-s", "regulator",
                  ActorRegistered{"sep-1", "Sep", Role::kSeparator, sep->public_key(), "LIC-S1", "CN"}) &&
         AppendAs(l, *root, "grant-m", "regulator",
                  QuotaGranted{"mine-1", 2026, QuotaKind::kMiningRock, kQuota, "doc"}) &&
         AppendAs(l, *root, "grant-s", "regulator",
                  QuotaGranted{"sep-1", 2026, QuotaKind::kSmeltingSeparation, kQuota, "doc"}) &&
         AppendAs(l, *mine, "ev-1", "mine-1", Extracted{ore, "pit", "LIC-M1", QuotaKind::kMiningRock}) &&
         AppendAs(l, *mine, "ev-02", "mine-1", Shipped{"ORE-1", std::nullopt, "sep-1", 1000000}) &&
         AppendAs(l, *sep, "ev-003", "sep-1", Received{"ORE-1", std::nullopt, "mine-1", 1000000}) &&
         AppendAs(l, *sep, "ev-0004", "sep-1", t);
}

}  // namespace detail

// Builds the honest store. Returns nullptr only if the library is broken.
inline std::unique_ptr<MemoryStore> BuildHonestStore() {
  namespace fs = std::filesystem;
  std::string tmpl = (fs::temp_directory_path() / "retrace-fuzz-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) return nullptr;
  const std::string dir = tmpl + "/ledger";
  std::unique_ptr<MemoryStore> store;
  if (detail::BuildLedger(dir)) {
    internal::EnvOptions eo;
    eo.sync = false;
    eo.read_only = true;
    auto env = internal::LmdbEnv::Open(dir, eo, /*create=*/false);
    if (env.ok()) {
      auto out = std::make_unique<MemoryStore>();
      Status st = (*env)->Read([&](const internal::Txn& txn) -> Status {
        auto head = internal::ReadHead(txn);
        if (!head.ok()) return head.status();
        internal::TxnRecordStore s(txn, head->size);
        std::set<std::string> lots, keys, actors;
        for (std::uint64_t seq = 0; seq < head->size; ++seq) {
          auto bytes = s.RecordBytes(seq);
          if (!bytes.ok() || !*bytes) return InternalError("record missing");
          out->records.push_back(**bytes);
          out->leaves.push_back(*s.CommittedLeaf(seq));
          auto rec = DecodeRecord(**bytes);
          v1::Event ev;
          if (!rec.ok() || !internal::ParseEventBytes(rec->event_bytes, &ev).ok()) {
            return InternalError("honest record does not parse");
          }
          keys.insert(rec->key_id);
          actors.insert(ev.actor_id());
          for (const auto& id : internal::ExistingLotsTouched(ev)) lots.insert(id);
          for (const auto* lot : internal::LotsCreated(ev)) lots.insert(lot->lot_id());
          if (ev.has_actor_registered()) {
            actors.insert(ev.actor_registered().actor_id());
            if (auto pk = PublicKey::FromDer(ev.actor_registered().key().public_key()); pk.ok()) {
              keys.insert(pk->KeyId());
            }
          }
        }
        for (const auto& id : lots) out->lot_seqs[id] = *s.LotSeqs(id);
        out->authority = *s.AuthoritySeqs();
        for (const auto& id : actors) {
          for (QuotaKind k : {QuotaKind::kMiningRock, QuotaKind::kMiningIonic,
                              QuotaKind::kSmeltingSeparation}) {
            const std::string qk = internal::QuotaKey(id, 2026, k);
            out->quota_log[qk] = *s.QuotaLog(qk);
          }
        }
        return Status::Ok();
      });
      if (st.ok()) store = std::move(out);
    }
  }
  std::error_code ec;
  fs::remove_all(tmpl, ec);
  return store;
}

}  // namespace retrace::fuzzing

#endif  // RETRACE_TESTS_FUZZ_RECORD_FIXTURE_H_
