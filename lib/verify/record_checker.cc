#include "verify/record_checker.h"

#include "model/proto_convert.h"
#include "model/record.h"
#include "ledger/rules.h"
#include "util/status_macros.h"

namespace retrace::internal {

std::optional<RegisteredKey> KeyFromRegistration(const v1::Event& ev) {
  const v1::KeyInfo* info = nullptr;
  RegisteredKey out;
  if (ev.has_genesis()) {
    info = &ev.genesis().root_key();
    out.actor_id = ev.genesis().root_actor_id();
    out.role = Role::kRegulator;
  } else if (ev.has_actor_registered()) {
    info = &ev.actor_registered().key();
    out.actor_id = ev.actor_registered().actor_id();
    out.role = static_cast<Role>(ev.actor_registered().role());
  } else {
    return std::nullopt;
  }
  auto pk = PublicKey::FromDer(info->public_key());
  if (pk.ok()) out.key = *pk;
  return out;
}

void RecordChecker::Add(const char* code, std::uint64_t seq, std::string lot, std::string message) {
  findings_->push_back(Finding{code, seq, std::move(lot), std::move(message)});
}

void RecordChecker::Release(std::uint64_t seq) {
  auto it = cache_.find(seq);
  if (it == cache_.end()) return;
  const auto& ev = it->second->event;
  if (it->second->parsed && (ev.has_genesis() || ev.has_actor_registered())) return;
  last_hash_ = std::make_pair(seq, it->second->record.hash);
  cache_.erase(it);
}

const Verifier* RecordChecker::VerifierFor(const PublicKey& key) {
  std::string id = key.KeyId();
  auto it = verifiers_.find(id);
  if (it != verifiers_.end()) return it->second.get();
  auto v = Verifier::New(key);
  if (!v.ok()) return nullptr;
  const Verifier* raw = v->get();
  verifiers_.emplace(id, std::move(v).value());
  return raw;
}

Status RecordChecker::LoadGenesis() {
  if (genesis_loaded_) return Status::Ok();
  genesis_loaded_ = true;
  ASSIGN_OR_RETURN(auto bytes, store_.RecordBytes(0));
  if (!bytes) return Status::Ok();  // reported when record 0 is checked
  auto rec = DecodeRecord(*bytes);
  if (!rec.ok()) return Status::Ok();
  v1::Event ev;
  if (!ParseEventBytes(rec->event_bytes, &ev).ok() || !ev.has_genesis()) return Status::Ok();
  ledger_id_ = ev.ledger_id();
  return Status::Ok();
}

Result<const CheckedRecord*> RecordChecker::Check(std::uint64_t seq) {
  auto it = cache_.find(seq);
  if (it != cache_.end()) return static_cast<const CheckedRecord*>(it->second.get());
  return CheckUncached(seq);
}

Result<const CheckedRecord*> RecordChecker::CheckUncached(std::uint64_t seq) {
  RETURN_IF_ERROR(LoadGenesis());
  auto owned = std::make_unique<CheckedRecord>();
  CheckedRecord* c = owned.get();
  c->seq = seq;
  cache_.emplace(seq, std::move(owned));
  ++records_checked_;
  const std::string s = std::to_string(seq);

  ASSIGN_OR_RETURN(auto bytes, store_.RecordBytes(seq));
  if (!bytes) {
    Add(finding::kRecordUnreadable, seq, "", "record " + s + " is missing from the log");
    return static_cast<const CheckedRecord*>(c);
  }
  auto rec = DecodeRecord(*bytes);
  if (!rec.ok()) {
    Add(finding::kRecordUnreadable, seq, "", "record " + s + " is damaged: " + rec.status().message());
    return static_cast<const CheckedRecord*>(c);
  }
  c->record = std::move(rec).value();
  if (c->record.seq != seq) {
    Add(finding::kSequenceMismatch, seq, "",
        "the record stored at position " + s + " says it is record " + std::to_string(c->record.seq) +
            ": records were moved or replayed");
  }
  // The tree committed to this record's hash when it was appended.
  ASSIGN_OR_RETURN(auto leaf, store_.CommittedLeaf(seq));
  if (!leaf) {
    Add(finding::kIndexInconsistent, seq, "", "the Merkle tree holds no leaf for record " + s);
  } else if (*leaf != c->record.hash) {
    Add(finding::kIndexInconsistent, seq, "",
        "record " + s + " differs from the record the Merkle tree committed to: it was rewritten");
  }
  // Chain link: this record must name the hash of the stored record before it.
  Hash expected_prev{};
  bool have_prev = true;
  if (seq > 0) {
    auto pit = cache_.find(seq - 1);
    if (pit != cache_.end() && !pit->second->record.stored.empty()) {
      expected_prev = pit->second->record.hash;
    } else if (last_hash_ && last_hash_->first == seq - 1) {
      expected_prev = last_hash_->second;
    } else {
      ASSIGN_OR_RETURN(auto prev, store_.RecordBytes(seq - 1));
      if (prev) {
        expected_prev = RecordHash(*prev);
      } else {
        have_prev = false;
      }
    }
  }
  if (have_prev && c->record.prev_hash != expected_prev) {
    Add(finding::kChainLinkBroken, seq, "",
        "record " + s + " does not link to the record before it: the log was rewritten, "
        "reordered or truncated here");
  }

  if (!ParseEventBytes(c->record.event_bytes, &c->event).ok()) {
    Add(finding::kEventMalformed, seq, "", "the event in record " + s + " does not parse");
    return static_cast<const CheckedRecord*>(c);
  }
  Status valid = ValidateEventProto(c->event);
  if (!valid.ok()) {
    // Structurally broken events are reported, not replayed: the custody
    // rules assume the shape ValidateEventProto guarantees.
    Add(finding::kEventMalformed, seq, "", "the event in record " + s + " is malformed: " + valid.message());
    return static_cast<const CheckedRecord*>(c);
  }
  c->parsed = true;
  const auto& ev = c->event;

  if (seq == 0 && !ev.has_genesis()) {
    Add(finding::kGenesisInvalid, seq, "", "record 0 is not a genesis record");
  } else if (seq != 0 && ev.has_genesis()) {
    Add(finding::kGenesisInvalid, seq, "", "record " + s + " claims to be a second genesis");
  }
  if (!ledger_id_.empty() && ev.ledger_id() != ledger_id_) {
    Add(finding::kLedgerMismatch, seq, "",
        "record " + s + " was signed for another ledger and replayed into this one");
  }

  // The signing key: registered before this record, to this record's actor.
  std::optional<RegisteredKey> reg;
  if (ev.has_genesis()) {
    reg = KeyFromRegistration(ev);
  } else {
    ASSIGN_OR_RETURN(auto reg_seq, store_.KeyRegistration(c->record.key_id));
    if (!reg_seq || *reg_seq >= seq) {
      Add(finding::kUnknownKey, seq, "",
          "record " + s + " is signed with key " + c->record.key_id +
              ", which was not registered before it");
    } else {
      ASSIGN_OR_RETURN(const CheckedRecord* r, Check(*reg_seq));
      if (r->parsed) reg = KeyFromRegistration(r->event);
      if (!reg) {
        Add(finding::kIndexInconsistent, seq, "",
            "the key index points record " + s + "'s key at record " + std::to_string(*reg_seq) +
                ", which registers no key");
      }
    }
  }
  if (reg) {
    if (!reg->key || reg->key->KeyId() != c->record.key_id) {
      Add(finding::kUnknownKey, seq, "",
          "record " + s + " names key " + c->record.key_id + ", which its registration does not hold");
      reg.reset();
    } else if (reg->actor_id != ev.actor_id()) {
      Add(finding::kKeyActorMismatch, seq, "",
          "record " + s + " is stated by " + ev.actor_id() + " but signed with the key of " +
              reg->actor_id);
    }
  }
  if (reg && reg->key) {
    const Verifier* v = VerifierFor(*reg->key);
    ++signatures_checked_;
    if (v == nullptr ||
        !v->Verify(EventSigningInput(c->record.event_bytes), c->record.signature).ok()) {
      Add(finding::kSignatureInvalid, seq, "",
          "the signature on record " + s + " by " + ev.actor_id() +
              " does not verify: the event was altered or not signed by its actor");
    } else {
      c->signature_ok = true;
    }
    c->signer_role = reg->role;
    Violations vs;
    CheckRole(ev, reg->role, &vs);
    for (auto& v2 : vs) Add(v2.code, seq, v2.lot_id, v2.message);
  }
  return static_cast<const CheckedRecord*>(c);
}

}  // namespace retrace::internal
