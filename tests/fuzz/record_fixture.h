// A small, deterministic ledger held in memory as a RecordStore: genesis,
// two registrations, an extraction, a shipment, its receipt and a
// transformation, signed with fixed Ed25519 seeds. The record fuzzer swaps
// one stored record for fuzz input and runs the record checker and the
// lineage verifier over the store; make_corpus writes its records as seeds.
#ifndef RETRACE_TESTS_FUZZ_RECORD_FIXTURE_H_
#define RETRACE_TESTS_FUZZ_RECORD_FIXTURE_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/keys_internal.h"
#include "ledger/rules.h"
#include "model/proto_convert.h"
#include "model/record.h"
#include "retrace/event.h"
#include "verify/record_store.h"

namespace retrace::fuzzing {

// The store the verifier reads. Indexes are what the honest ledger wrote;
// the record bytes may be replaced.
class MemoryStore : public internal::RecordStore {
 public:
  std::vector<std::string> records;
  std::vector<Hash> leaves;  // committed leaf hashes (the Merkle tree's)
  std::map<std::string, std::vector<std::uint64_t>> lot_seqs;
  std::map<std::string, std::uint64_t> key_reg, actor_reg;

  std::uint64_t Size() const override { return records.size(); }
  Result<std::optional<std::string>> RecordBytes(std::uint64_t seq) const override {
    if (seq >= records.size()) return std::optional<std::string>();
    return std::optional<std::string>(records[seq]);
  }
  Result<std::vector<std::uint64_t>> LotSeqs(std::string_view lot) const override {
    auto it = lot_seqs.find(std::string(lot));
    if (it == lot_seqs.end()) return std::vector<std::uint64_t>();
    return it->second;
  }
  Result<std::optional<Hash>> CommittedLeaf(std::uint64_t seq) const override {
    if (seq >= leaves.size()) return std::optional<Hash>();
    return std::optional<Hash>(leaves[seq]);
  }
  Result<std::optional<std::uint64_t>> KeyRegistration(std::string_view id) const override {
    auto it = key_reg.find(std::string(id));
    if (it == key_reg.end()) return std::optional<std::uint64_t>();
    return std::optional<std::uint64_t>(it->second);
  }
  Result<std::optional<std::uint64_t>> ActorRegistration(std::string_view id) const override {
    auto it = actor_reg.find(std::string(id));
    if (it == actor_reg.end()) return std::optional<std::uint64_t>();
    return std::optional<std::uint64_t>(it->second);
  }
};

inline std::unique_ptr<Signer> SeededSigner(char fill) {
  auto s = internal::Ed25519SignerFromSeedForTest(std::string(32, fill));
  return s.ok() ? std::move(s).value() : nullptr;
}

// Builds the honest store. Returns nullptr only if the library is broken.
inline std::unique_ptr<MemoryStore> BuildHonestStore() {
  auto store = std::make_unique<MemoryStore>();
  auto root = SeededSigner('r'), mine = SeededSigner('m'), sep = SeededSigner('s');
  if (!root || !mine || !sep) return nullptr;
  const std::string ledger_id = "00112233445566778899aabbccddeeff";
  std::int64_t clock = 1790000000;
  Hash prev{};
  auto append = [&](const std::string& id, const std::string& actor, const Signer& signer,
                    EventBody body) -> std::optional<Hash> {
    Event ev;
    ev.ledger_id = ledger_id;
    ev.event_id = id;
    ev.actor_id = actor;
    ev.time = {clock++, 0};
    ev.body = std::move(body);
    auto se = SignEvent(ev, signer);
    if (!se.ok()) return std::nullopt;
    const std::uint64_t seq = store->records.size();
    std::string stored = internal::EncodeRecord(seq, prev, se->event_bytes, se->key_id, se->signature);
    Hash h = internal::RecordHash(stored);
    v1::Event pb;
    if (!internal::ParseEventBytes(se->event_bytes, &pb).ok()) return std::nullopt;
    for (const auto& lot : internal::ExistingLotsTouched(pb)) store->lot_seqs[lot].push_back(seq);
    for (const auto* lot : internal::LotsCreated(pb)) store->lot_seqs[lot->lot_id()].push_back(seq);
    store->records.push_back(std::move(stored));
    store->leaves.push_back(h);
    prev = h;
    return h;
  };
  auto reg = [&](const std::string& actor, Role role, const Signer& key) {
    store->key_reg[key.public_key().KeyId()] = store->records.size();
    store->actor_reg[actor] = store->records.size();
    return append("reg-" + actor, "regulator", *root,
                  ActorRegistered{actor, actor + " Co.", role, key.public_key(), "LIC", "CN"});
  };
  store->key_reg[root->public_key().KeyId()] = 0;
  store->actor_reg["regulator"] = 0;
  if (!append("genesis", "regulator", *root, Genesis{"fuzz", "regulator", root->public_key()})) {
    return nullptr;
  }
  if (!reg("mine-1", Role::kMine, *mine) || !reg("sep-1", Role::kSeparator, *sep)) return nullptr;
  Lot ore;
  ore.lot_id = "ORE-1";
  ore.material = MaterialClass::kOreConcentrate;
  ore.mass_g = 1000000;
  ore.content = {{Element::kNd, 50000}, {Element::kDy, 1000}};
  auto h_ore = append("ev-1", "mine-1", *mine, Extracted{ore, "pit", "LIC"});
  if (!h_ore) return nullptr;
  auto h_ship = append("ev-2", "mine-1", *mine, Shipped{"ORE-1", *h_ore, "sep-1", 1000000});
  if (!h_ship) return nullptr;
  auto h_recv = append("ev-3", "sep-1", *sep, Received{"ORE-1", *h_ship, "mine-1", 1000000});
  if (!h_recv) return nullptr;
  Transformed t;
  t.inputs = {{"ORE-1", 1000000, *h_recv}};
  Lot ox;
  ox.lot_id = "OX-1";
  ox.material = MaterialClass::kSeparatedOxide;
  ox.mass_g = 60000;
  ox.content = {{Element::kNd, 45000}};
  t.outputs = {ox};
  t.declared_loss_g = 940000;
  if (!append("ev-4", "sep-1", *sep, t)) return nullptr;
  return store;
}

}  // namespace retrace::fuzzing

#endif  // RETRACE_TESTS_FUZZ_RECORD_FIXTURE_H_
