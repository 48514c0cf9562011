#include "ledger/audit.h"

#include <cstring>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "ledger/rules.h"
#include "ledger/state.h"
#include "ledger/txn_store.h"
#include "model/record.h"
#include "retrace/merkle.h"
#include "retrace/v1/state.pb.h"
#include "util/status_macros.h"
#include "verify/record_checker.h"

namespace retrace::internal {
namespace {

std::string_view HashKey(const Hash& h) {
  return std::string_view(reinterpret_cast<const char*>(h.data()), h.size());
}

// Running RFC 6962 root over leaves appended one by one: the perfect
// subtrees of the binary decomposition of the size, O(log n) memory.
class CompactRange {
 public:
  // Appends a leaf and calls completed(level, index, hash) for every
  // perfect subtree above it that the leaf completes: exactly the inner
  // nodes the ledger stores when it appends this leaf.
  template <typename Fn>
  void Append(Hash h, Fn&& completed) {
    std::uint64_t n = size_++;
    unsigned level = 0;
    while (n & 1) {
      h = merkle::NodeHash(stack_.back(), h);
      stack_.pop_back();
      n >>= 1;
      ++level;
      completed(level, n, h);
    }
    stack_.push_back(h);
  }
  Hash Root() const {
    if (stack_.empty()) return merkle::EmptyRoot();
    Hash acc = stack_.back();
    for (auto it = stack_.rbegin() + 1; it != stack_.rend(); ++it) acc = merkle::NodeHash(*it, acc);
    return acc;
  }

 private:
  std::uint64_t size_ = 0;
  std::vector<Hash> stack_;
};

}  // namespace

Result<AuditReport> AuditLedger(const Txn& txn, const Ledger::ProgressCallback& progress) {
  AuditReport report;
  const auto& t = txn.tables();
  auto head_or = ReadHead(txn);
  std::uint64_t size = 0;
  Head head;
  if (head_or.ok()) {
    head = *head_or;
  } else {
    report.findings.push_back({finding::kIndexInconsistent, 0, "", "the ledger head entry is missing or damaged"});
  }
  // The log's true length is what the records table holds.
  ASSIGN_OR_RETURN(auto last, txn.Last(t.records));
  if (last) {
    auto s = DecodeU64(last->first);
    if (!s) return CorruptionError("a records key is damaged");
    size = *s + 1;
  }
  TxnRecordStore store(txn, size);
  RecordChecker checker(store, &report.findings);

  std::unordered_map<std::string, LotView> lots;
  std::unordered_map<std::string, std::vector<std::uint64_t>> lot_seqs;
  std::unordered_map<std::string, Role> actors;
  std::unordered_map<std::string, std::uint64_t> keys;  // key id -> registration seq
  std::unordered_set<std::string> event_ids;
  std::unordered_map<std::string, std::string> licences;
  std::map<std::string, std::vector<std::uint64_t>> key_events;
  std::map<std::string, std::vector<std::uint64_t>> quota_log;
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> quotas;  // granted, used
  std::vector<std::uint64_t> policy_seqs;
  CompactRange range;
  Hash last_hash{};
  std::uint64_t expected_key = 0;

  // Walk the records table in key order. A gap or an extra key shows as a
  // sequence finding; every record is checked once and then released.
  Status scan_status;
  std::vector<std::uint64_t> keys_seen;
  RETURN_IF_ERROR(txn.ForEach(t.records, [&](std::string_view k, std::string_view) {
    auto s = DecodeU64(k);
    if (!s) {
      report.findings.push_back({finding::kRecordUnreadable, expected_key, "", "a records key is damaged"});
      return true;
    }
    keys_seen.push_back(*s);
    return true;
  }));
  const std::uint64_t total = keys_seen.size();
  std::uint64_t done = 0;
  for (std::uint64_t seq : keys_seen) {
    if (progress && done % 256 == 0) progress(done, total);
    ++done;
    if (seq != expected_key) {
      report.findings.push_back(
          {finding::kSequenceMismatch, seq, "",
           "records " + std::to_string(expected_key) + " to " + std::to_string(seq - 1) +
               " are missing from the log"});
    }
    expected_key = seq + 1;
    ASSIGN_OR_RETURN(const CheckedRecord* c, checker.Check(seq));
    const Hash hash = c->record.hash;
    if (!c->record.stored.empty()) {
      last_hash = hash;
      // Every stored inner node must be the hash of the records below it:
      // RootAt reads only the few largest ones, proofs read the rest.
      Status node_status;
      range.Append(hash, [&](unsigned level, std::uint64_t index, const Hash& expected) {
        auto stored = txn.Get(t.tree, TreeKey(level, index));
        if (!stored.ok()) {
          node_status = stored.status();
          return;
        }
        if (!*stored || **stored != HashKey(expected)) {
          report.findings.push_back(
              {finding::kIndexInconsistent, seq, "",
               "the Merkle tree node (level " + std::to_string(level) + ", index " +
                   std::to_string(index) + ") is missing or is not the hash of the records "
                   "below it"});
        }
      });
      RETURN_IF_ERROR(node_status);
      // The hash index must agree with the record (the tree leaf is
      // checked by the record checker).
      ASSIGN_OR_RETURN(auto hv, txn.Get(t.by_hash, HashKey(hash)));
      if (!hv || DecodeU64(*hv) != seq) {
        report.findings.push_back({finding::kIndexInconsistent, seq, "",
                                   "the hash index does not map record " + std::to_string(seq) +
                                       "'s hash to it"});
      }
    }
    if (c->parsed) {
      const auto& ev = c->event;
      const std::string& actor = ev.actor_id();
      if (!event_ids.insert(ev.event_id()).second) {
        report.findings.push_back({finding::kDuplicateEventId, seq, "",
                                   "event id " + ev.event_id() + " is used twice: a replayed event"});
      } else {
        ASSIGN_OR_RETURN(auto ev_idx, txn.Get(t.event_ids, ev.event_id()));
        if (!ev_idx || DecodeU64(*ev_idx) != seq) {
          report.findings.push_back({finding::kIndexInconsistent, seq, "",
                                     "the event-id index does not map " + ev.event_id() + " to record " +
                                         std::to_string(seq)});
        }
      }
      if (auto reg = KeyFromRegistration(ev)) {
        if (!ev.has_key_rotated() && !actors.emplace(reg->actor_id, reg->role).second) {
          report.findings.push_back({finding::kIndexInconsistent, seq, "",
                                     "actor " + reg->actor_id + " is registered a second time"});
        }
        if (ev.has_actor_registered()) licences[reg->actor_id] = ev.actor_registered().licence();
        if (reg->key) {
          keys.emplace(reg->key->KeyId(), seq);
          key_events[reg->key->KeyId()].push_back(seq);
        }
      }
      if (ev.has_key_rotated() && !ev.key_rotated().retired_key_id().empty()) {
        key_events[ev.key_rotated().retired_key_id()].push_back(seq);
      }
      if (ev.has_key_revoked()) key_events[ev.key_revoked().key_id()].push_back(seq);
      if (ev.has_policy_set()) policy_seqs.push_back(seq);
      if (ev.has_quota_granted()) {
        const auto& g = ev.quota_granted();
        std::string qk = QuotaKey(g.actor_id(), g.year(), static_cast<QuotaKind>(g.kind()));
        quota_log[qk].push_back(seq);
        if (c->authorized) quotas[qk].first = g.reo_g();
      }
      Violations vs;
      if (auto use = QuotaUseOf(ev, c->signer_role)) {
        std::string qk = QuotaKey(use->actor_id, use->year, use->kind);
        quota_log[qk].push_back(seq);
        auto& q = quotas[qk];
        std::string lot = ev.has_extracted() ? ev.extracted().lot().lot_id()
                                             : ev.transformed().outputs(0).lot_id();
        CheckQuota(*use, q.first, q.second, lot, &vs);
        q.second += use->reo_g;
      }
      CheckLicence(ev, licences[actor], &vs);
      std::vector<LotView> before;
      std::vector<std::string> touched = ExistingLotsTouched(ev);
      std::set<std::string> names;
      for (const auto& id : touched) {
        if (!names.insert(id).second) {
          vs.push_back({finding::kEventMalformed, id, "lot " + id + " is listed twice"});
        }
        auto it = lots.find(id);
        if (it == lots.end()) {
          vs.push_back({finding::kLotUnknown, id, "record " + std::to_string(seq) +
                                                     " moves lot " + id + ", which was never created"});
          before.push_back(LotView{});
          continue;
        }
        before.push_back(it->second);
        ApplyToLot(ev, actor, seq, hash, &it->second, &vs);
        lot_seqs[id].push_back(seq);
      }
      if (ev.has_transformed()) {
        std::vector<const LotView*> ins;
        for (const auto& b : before) ins.push_back(b.lot_id.empty() ? nullptr : &b);
        CheckTransformBalance(ev.transformed(), ins, seq,
                              c->policy->TolerancePpm(c->signer_role), &vs);
      }
      {
        std::vector<const LotView*> ins;
        for (const auto& b : before) ins.push_back(b.lot_id.empty() ? nullptr : &b);
        CheckStage(ev, c->signer_role, *c->policy, ins, &vs);
      }
      if (ev.has_shipped() && !actors.count(ev.shipped().to_actor_id())) {
        vs.push_back({finding::kUnknownActor, ev.shipped().lot_id(),
                      "the consignee " + ev.shipped().to_actor_id() + " is not a registered actor"});
      }
      for (const auto* l : LotsCreated(ev)) {
        if (lots.count(l->lot_id()) || !names.insert(l->lot_id()).second) {
          vs.push_back({finding::kLotExists, l->lot_id(),
                        "record " + std::to_string(seq) + " creates lot " + l->lot_id() +
                            ", which already exists"});
          continue;
        }
        lots.emplace(l->lot_id(), NewLot(*l, actor, seq, hash));
        lot_seqs[l->lot_id()].push_back(seq);
      }
      for (auto& v : vs) report.findings.push_back({v.code, seq, v.lot_id, v.message});
    }
    checker.Release(seq);
  }

  if (progress) progress(total, total);

  // Derived tables against what the records imply.
  auto inconsistent = [&](std::string msg) {
    report.findings.push_back({finding::kIndexInconsistent, size ? size - 1 : 0, "", std::move(msg)});
  };
  if (head_or.ok() && (head.size != size || (size > 0 && head.hash != last_hash))) {
    inconsistent("the ledger head (size " + std::to_string(head.size) +
                 ") does not match the last record (size " + std::to_string(size) + ")");
  }
  std::uint64_t n_lots = 0;
  RETURN_IF_ERROR(txn.ForEach(t.lots, [&](std::string_view k, std::string_view v) {
    ++n_lots;
    auto it = lots.find(std::string(k));
    if (it == lots.end()) {
      inconsistent("the lot table holds " + std::string(k) + ", which no record creates");
      return true;
    }
    if (EncodeLotState(it->second) != v) {
      report.findings.push_back({finding::kIndexInconsistent, it->second.head_seq, std::string(k),
                                 "the stored state of lot " + std::string(k) +
                                     " differs from what its records imply"});
    }
    return true;
  }));
  if (n_lots != lots.size()) inconsistent("the lot table is missing lots that records create");
  for (const auto& [id, seqs] : lot_seqs) {
    ASSIGN_OR_RETURN(auto stored, store.LotSeqs(id));
    if (stored != seqs) {
      report.findings.push_back({finding::kIndexInconsistent, seqs.back(), id,
                                 "the lot index of " + id + " does not list exactly its records"});
    }
  }
  std::uint64_t n_index_keys = 0;
  std::string prev;
  RETURN_IF_ERROR(txn.ForEach(t.lot_index, [&](std::string_view k, std::string_view) {
    // ForEach visits duplicates too; count distinct keys.
    if (n_index_keys == 0 || prev != k) {
      ++n_index_keys;
      prev.assign(k);
    }
    return true;
  }));
  if (n_index_keys != lot_seqs.size()) inconsistent("the lot index names lots that no record concerns");
  std::uint64_t n_hashes = 0, n_events = 0, n_actors = 0, n_keys = 0, n_nodes = 0;
  RETURN_IF_ERROR(txn.ForEach(t.by_hash, [&](auto, auto) { return ++n_hashes, true; }));
  RETURN_IF_ERROR(txn.ForEach(t.event_ids, [&](auto, auto) { return ++n_events, true; }));
  RETURN_IF_ERROR(txn.ForEach(t.actors, [&](auto, auto) { return ++n_actors, true; }));
  RETURN_IF_ERROR(txn.ForEach(t.keys, [&](std::string_view k, std::string_view v) {
    ++n_keys;
    v1::state::KeyState ks;
    auto it = keys.find(std::string(k));
    if (it == keys.end() || !ks.ParseFromArray(v.data(), static_cast<int>(v.size())) ||
        ks.registered_seq() != it->second) {
      inconsistent("the key index entry " + std::string(k) + " does not match its registration");
    }
    return true;
  }));
  RETURN_IF_ERROR(txn.ForEach(t.tree, [&](auto, auto) { return ++n_nodes, true; }));
  if (n_hashes != size) inconsistent("the hash index has " + std::to_string(n_hashes) + " entries for " + std::to_string(size) + " records");
  if (n_events != event_ids.size()) inconsistent("the event-id index has extra entries");
  if (n_actors != actors.size()) inconsistent("the actor table has entries no registration made");
  if (n_keys != keys.size()) inconsistent("the key table has entries no registration made");
  // A tree of n leaves stores 2n - popcount(n) perfect-subtree nodes.
  std::uint64_t expected_nodes = 2 * size - static_cast<std::uint64_t>(__builtin_popcountll(size));
  if (n_nodes != expected_nodes) inconsistent("the Merkle tree has " + std::to_string(n_nodes) + " nodes; " + std::to_string(expected_nodes) + " expected");
  auto compare_dups = [&](MDB_dbi dbi, const std::map<std::string, std::vector<std::uint64_t>>& want,
                          const char* what) -> Status {
    std::map<std::string, std::vector<std::uint64_t>> have;
    RETURN_IF_ERROR(txn.ForEach(dbi, [&](std::string_view k, std::string_view v) {
      have[std::string(k)].push_back(DecodeU64(v).value_or(~std::uint64_t{0}));
      return true;
    }));
    if (have != want) inconsistent(std::string("the ") + what + " index does not match the records");
    return Status::Ok();
  };
  RETURN_IF_ERROR(compare_dups(t.key_events, key_events, "key event"));
  RETURN_IF_ERROR(compare_dups(t.quota_log, quota_log, "quota log"));
  {
    std::vector<std::uint64_t> have;
    RETURN_IF_ERROR(txn.ForEach(t.policies, [&](std::string_view k, std::string_view) {
      have.push_back(DecodeU64(k).value_or(~std::uint64_t{0}));
      return true;
    }));
    if (have != policy_seqs) inconsistent("the policy index does not match the policy records");
    std::uint64_t n_quotas = 0;
    RETURN_IF_ERROR(txn.ForEach(t.quotas, [&](std::string_view k, std::string_view v) {
      ++n_quotas;
      v1::state::QuotaState qs;
      auto it = quotas.find(std::string(k));
      if (it == quotas.end() || !qs.ParseFromArray(v.data(), static_cast<int>(v.size())) ||
          qs.granted_reo_g() != it->second.first || qs.used_reo_g() != it->second.second) {
        inconsistent("a stored quota balance differs from what the records imply");
      }
      return true;
    }));
    if (n_quotas != quotas.size()) inconsistent("the quota table is missing balances");
  }
  report.root_hash = range.Root();
  auto stored_root = merkle::RootAt(TxnNodeSource(txn), size);
  if (!stored_root.ok() || *stored_root != report.root_hash) {
    inconsistent("the stored Merkle tree does not hash to the root of the records");
  }

  report.records_checked = checker.records_checked();
  report.signatures_checked = checker.signatures_checked();
  report.lots = lots.size();
  report.actors = actors.size();
  report.tree_size = size;
  report.head_hash = last_hash;
  std::stable_sort(report.findings.begin(), report.findings.end(),
                   [](const Finding& a, const Finding& b) { return a.seq < b.seq; });
  report.valid = report.findings.empty();
  return report;
}

}  // namespace retrace::internal
