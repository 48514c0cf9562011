#include "rules/registry.h"

#include "crypto/sha256.h"
#include "model/record.h"
#include "retrace/merkle.h"
#include "retrace/verifier.h"
#include "rules/authority.h"
#include "util/escape.h"
#include "util/hex.h"

namespace retrace::internal {

Result<RegistryAnchors> ParseRegistryBinding(const v1::RegistryBinding& binding) {
  Result<NoteVerifier> key = NoteVerifier::Parse(binding.log_key());
  if (!key.ok()) return InvalidArgumentError("the registry log key: " + key.status().message());
  if (key->type() != NoteKeyType::kEd25519) {
    return InvalidArgumentError("the registry log key is not an ed25519 note key");
  }
  RegistryAnchors a{key->name(), *key, {}, binding.ledger_id()};
  for (const std::string& w : binding.witnesses()) {
    Result<NoteVerifier> v = NoteVerifier::Parse(w);
    if (!v.ok()) return InvalidArgumentError("a registry witness key: " + v.status().message());
    a.witnesses.witnesses.push_back(
        v->type() == NoteKeyType::kCosignatureV1 ? *v : v->WithType(NoteKeyType::kCosignatureV1));
  }
  a.witnesses.quorum = binding.quorum();
  if (a.witnesses.quorum > a.witnesses.witnesses.size()) {
    return InvalidArgumentError("the registry quorum (" + std::to_string(binding.quorum()) +
                                ") exceeds its " + std::to_string(a.witnesses.witnesses.size()) +
                                " witness key(s)");
  }
  if (binding.ledger_id().size() != 16) {
    return InvalidArgumentError("the registry ledger id is " +
                                std::to_string(binding.ledger_id().size()) +
                                " bytes; 16 expected");
  }
  return a;
}

RegistryCheckpointInfo InfoOf(const RegistryImport& at) {
  RegistryCheckpointInfo out;
  out.origin = at.checkpoint.origin;
  out.size = at.checkpoint.size;
  out.root_hash = at.checkpoint.root_hash;
  out.imported = at.index;
  out.import_seq = at.seq;
  return out;
}

Status CheckpointMemo::Open(const RegistryAnchors& anchors, std::string_view note,
                            Checkpoint* out) {
  std::string key = anchors.log_key.ToString();
  for (const NoteVerifier& w : anchors.witnesses.witnesses) key += "\n" + w.ToString();
  key += "\n" + std::to_string(anchors.witnesses.quorum) + "\n";
  key.append(note);
  const Hash k = Sha256(key);
  const std::string ks(reinterpret_cast<const char*>(k.data()), k.size());
  auto it = opened_.find(ks);
  if (it == opened_.end()) {
    Entry e;
    Result<VerifiedCheckpoint> v = OpenCheckpoint(note, {anchors.log_key}, anchors.witnesses.witnesses);
    if (!v.ok()) {
      e.status = v.status();
    } else {
      e.checkpoint = v->checkpoint;
      e.status = anchors.witnesses.Check(*v);
    }
    it = opened_.emplace(ks, std::move(e)).first;
  }
  *out = it->second.checkpoint;
  return it->second.status;
}

namespace {

bool ToHashes(const google::protobuf::RepeatedPtrField<std::string>& in, std::vector<Hash>* out) {
  for (const std::string& h : in) {
    if (h.size() != 32) return false;
    Hash x;
    std::copy(h.begin(), h.end(), x.begin());
    out->push_back(x);
  }
  return true;
}

}  // namespace

void JudgeRegistryImport(const RegistryAnchors* anchors, std::uint64_t seq,
                         std::string_view registry_record, const v1::RegistryProof& proof,
                         const v1::Event* event, const RegistryImport* previous,
                         bool check_signatures, CheckpointMemo* memo, Violations* out,
                         RegistryImport* imported) {
  const std::string s = std::to_string(seq);
  const std::string idx = std::to_string(proof.index());
  auto refuse = [&](const std::string& why) {
    out->push_back({finding::kRegistryImportInvalid, "",
                    "record " + s + " imports registry record " + idx + ", but " + why});
  };
  if (anchors == nullptr) {
    refuse("this ledger is bound to no registry (its genesis names none)");
    return;
  }
  const std::uint64_t expected = previous == nullptr ? 1 : previous->index + 1;
  if (proof.index() != expected) {
    refuse("the next registry record to import is " + std::to_string(expected) +
           ": imports are complete and in registry order (a registry record was skipped, "
           "withheld or imported twice)");
    return;
  }
  RecordView inner;
  if (!ParseRecordView(registry_record, &inner).ok() || inner.seq != proof.index()) {
    refuse("the registry record bytes are not the registry's record " + idx);
    return;
  }
  if (event == nullptr) {
    refuse("its event is malformed");
    return;
  }
  if (!IsAuthorityEvent(*event) || event->has_genesis()) {
    refuse("it is not an authority record (registration, rotation, revocation, quota grant or "
           "policy): a registry holds only those, and only those are imported");
    return;
  }
  if (event->ledger_id() != anchors->ledger_id) {
    refuse("it was signed for ledger " + HexEncode(event->ledger_id()) +
           ", not for the bound registry " + HexEncode(anchors->ledger_id));
    return;
  }
  // The checkpoint: the bound registry's, signed and witnessed.
  Checkpoint cp;
  if (check_signatures) {
    CheckpointMemo local;
    Status opened = (memo != nullptr ? memo : &local)->Open(*anchors, proof.checkpoint(), &cp);
    if (!opened.ok()) {
      refuse("its registry checkpoint is not proven by the bound log key and witnesses: " +
             opened.message());
      return;
    }
  } else {
    Result<Checkpoint> parsed = ParseSignedCheckpoint(proof.checkpoint());
    if (!parsed.ok()) {
      refuse("its registry checkpoint does not parse: " + parsed.status().message());
      return;
    }
    cp = *parsed;
  }
  if (cp.origin != anchors->origin) {
    refuse("its checkpoint is of log " + EscapeForDisplay(cp.origin) + ", not of the registry " +
           EscapeForDisplay(anchors->origin));
    return;
  }
  if (cp.size <= proof.index()) {
    refuse("its registry checkpoint has " + std::to_string(cp.size) +
           " records, which does not include it");
    return;
  }
  // Consistent with the registry checkpoint this ledger held before.
  if (previous != nullptr) {
    const Checkpoint& was = previous->checkpoint;
    if (cp.size < was.size) {
      refuse("its registry checkpoint (size " + std::to_string(cp.size) +
             ") is older than the one this ledger holds (size " + std::to_string(was.size) + ")");
      return;
    }
    if (cp.size == was.size) {
      if (cp.root_hash != was.root_hash) {
        refuse("its registry checkpoint has the size of the one this ledger holds (" +
               std::to_string(cp.size) + ") and another root: the registry forked (split view)");
        return;
      }
    } else {
      merkle::ConsistencyProof cons{was.size, cp.size, {}};
      if (!ToHashes(proof.consistency(), &cons.hashes) ||
          !merkle::VerifyConsistency(was.root_hash, cp.root_hash, cons).ok()) {
        refuse("its registry checkpoint (size " + std::to_string(cp.size) +
               ") is not proven consistent with the one this ledger holds (size " +
               std::to_string(was.size) + "): the registry's history differs (split view)");
        return;
      }
    }
  }
  merkle::InclusionProof inc{proof.index(), cp.size, {}};
  if (!ToHashes(proof.inclusion(), &inc.hashes) ||
      !merkle::VerifyInclusion(RecordHash(registry_record), inc, cp.root_hash).ok()) {
    refuse("its inclusion proof does not lead from these bytes to the root of its registry "
           "checkpoint");
    return;
  }
  imported->seq = seq;
  imported->index = proof.index();
  imported->checkpoint = cp;
  imported->checkpoint_note = proof.checkpoint();
}

}  // namespace retrace::internal
