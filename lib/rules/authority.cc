// The book of authority (authority.h): the decision, with its retroactive
// revocations, made once per log.
#include "rules/authority.h"

#include <algorithm>
#include <map>
#include <set>

#include "model/proto_convert.h"
#include "crypto/sha256.h"
#include "model/record.h"
#include "retrace/verifier.h"
#include "util/escape.h"

namespace retrace::internal {

bool IsAuthorityEvent(const v1::Event& ev) {
  switch (ev.body_case()) {
    case v1::Event::kGenesis:
    case v1::Event::kActorRegistered:
    case v1::Event::kKeyRotated:
    case v1::Event::kKeyRevoked:
    case v1::Event::kQuotaGranted:
    case v1::Event::kPolicySet:
      return true;
    default:
      return false;
  }
}

std::optional<AuthorityRecord> ReadAuthorityRecord(std::uint64_t seq, std::string_view stored) {
  RecordView view;
  if (!ParseRecordView(stored, &view).ok()) return std::nullopt;
  AuthorityRecord r;
  r.seq = seq;
  if (!view.registry_record.empty()) {
    // An import: the book judges it whatever it holds (docs/federation.md).
    AuthorityRecord::Import& im = r.import.emplace();
    im.registry_record = std::string(view.registry_record);
    if (!im.proof.ParseFromArray(view.registry_proof.data(),
                                 static_cast<int>(view.registry_proof.size()))) {
      im.error = "its registry proof does not parse";
    }
    Status resolved = ResolveRegistryRecord(&view);
    if (!resolved.ok()) {
      if (im.error.empty()) im.error = resolved.message();
      return r;
    }
    im.event_ok = ParseEventBytes(view.event_bytes, &r.event).ok() &&
                  ValidateEventProto(r.event).ok();
    if (!im.event_ok) r.event.Clear();
    r.key_id = std::string(view.key_id);
    r.signature = std::string(view.signature);
    Result<std::string> input = SignatureInputOf(view.event_bytes, BatchInclusionOf(view));
    if (input.ok()) r.signing_input = std::move(*input);
    return r;
  }
  if (!ParseEventBytes(view.event_bytes, &r.event).ok() || !ValidateEventProto(r.event).ok() ||
      !IsAuthorityEvent(r.event)) {
    return std::nullopt;
  }
  r.key_id = std::string(view.key_id);
  r.signature = std::string(view.signature);
  Result<std::string> input = SignatureInputOf(view.event_bytes, BatchInclusionOf(view));
  if (input.ok()) r.signing_input = std::move(*input);
  return r;
}

namespace {
Hash MemoKey(const PublicKey& key, std::string_view input, std::string_view signature) {
  const std::string len = std::to_string(input.size());
  return Sha256Concat({key.der(), std::string_view("\0", 1), len, std::string_view("\0", 1), input,
                       signature});
}
}  // namespace

std::optional<bool> SignatureMemo::Find(const PublicKey& key, std::string_view input,
                                        std::string_view signature) const {
  auto it = checked_.find(MemoKey(key, input, signature));
  if (it == checked_.end()) return std::nullopt;
  return it->second;
}

void SignatureMemo::Put(const PublicKey& key, std::string_view input, std::string_view signature,
                        bool ok) {
  checked_[MemoKey(key, input, signature)] = ok;
}

namespace {

std::string S(std::uint64_t v) { return std::to_string(v); }

// The key an authority record brings in (genesis, registration, rotation).
const v1::KeyInfo* IntroducedKey(const v1::Event& ev) {
  if (ev.has_genesis()) return &ev.genesis().root_key();
  if (ev.has_actor_registered()) return &ev.actor_registered().key();
  if (ev.has_key_rotated()) return &ev.key_rotated().new_key();
  return nullptr;
}

std::optional<PublicKey> ParseKey(const v1::KeyInfo& info, KeyCache* keys) {
  if (keys != nullptr) {
    const KeyCache::Entry* e = keys->Get(info.public_key());
    if (e == nullptr) return std::nullopt;
    return e->key;
  }
  auto pk = PublicKey::FromDer(info.public_key());
  if (!pk.ok()) return std::nullopt;
  return *pk;
}

}  // namespace

// The state of one round: what the valid records seen so far decided.
class Authority::Builder {
 public:
  Builder(const std::vector<AuthorityRecord>& records, KeyCache* keys, SignatureMemo* memo,
          bool check_signatures)
      : records_(records), keys_(keys), memo_(memo), check_signatures_(check_signatures) {}

  std::shared_ptr<const Authority> Run() {
    JudgeImports();
    // Each voided record with the revocation that voids it. A revocation
    // that ends up void itself voids nothing -- a stolen regulator key's
    // revocations lose their effect when that key is revoked from before
    // them -- unless it fell by its own hand: void only because of what it
    // voided (what its own validity rested on, such as the rotation that
    // brought in its signing key). Then what it voided stays void
    // (contradictory input resolves towards findings).
    Voided voided;
    std::set<std::uint64_t> released;  // revocations whose victims were released once
    std::set<std::uint64_t> standing;  // void revocations whose victims stay void
    int rounds = 0;
    for (;;) {
      ++rounds;
      book_.reset(new Authority());
      if (!Round(&voided, kWholeLog).empty()) continue;
      // The decision stands unless a void revocation voids something.
      std::optional<std::uint64_t> fallen;
      for (const auto& [victim, by] : voided) {
        const AuthorityVerdict* v = book_->Verdict(by);
        if (standing.count(by) == 0 && (v == nullptr || !v->valid) && (!fallen || by < *fallen)) {
          fallen = by;
        }
      }
      if (!fallen) break;
      // A revocation released once and void again keeps its victims void:
      // at most two changes per revocation, so the loop ends.
      if (released.count(*fallen) != 0 || FellByOwnHand(*fallen, voided)) {
        standing.insert(*fallen);
        continue;
      }
      released.insert(*fallen);
      for (auto it = voided.begin(); it != voided.end();) {
        it = it->second == *fallen ? voided.erase(it) : std::next(it);
      }
    }
    book_->rounds_ = rounds;
    book_->registry_ = registry_;
    book_->registry_imports_ = imports_;
    return std::shared_ptr<const Authority>(book_.release());
  }

 private:
  // The imports' proofs, judged once: they depend on the binding and on
  // the imports before them, not on any revocation. A valid import takes
  // the next registry index; one that is not is void and takes none.
  void JudgeImports() {
    if (!records_.empty() && records_.front().seq == 0 && records_.front().event.has_genesis() &&
        records_.front().event.genesis().has_registry()) {
      Result<RegistryAnchors> a = ParseRegistryBinding(records_.front().event.genesis().registry());
      if (a.ok()) {
        registry_ = std::move(*a);
      } else {
        binding_error_ = a.status().message();
      }
    }
    for (const AuthorityRecord& r : records_) {
      if (!r.import) continue;
      Violations& vs = import_violations_[r.seq];
      if (!r.import->error.empty()) {
        vs.push_back({finding::kRegistryImportInvalid, "",
                      "record " + S(r.seq) + " is an import record, but " + r.import->error});
        continue;
      }
      RegistryImport done;
      JudgeRegistryImport(registry_ ? &*registry_ : nullptr, r.seq, r.import->registry_record,
                          r.import->proof, r.import->event_ok ? &r.event : nullptr,
                          imports_.empty() ? nullptr : &imports_.back(), check_signatures_,
                          memo_ != nullptr ? &memo_->checkpoints : nullptr, &vs, &done);
      if (vs.empty()) {
        positions_[done.index] = r.seq;
        imports_.push_back(std::move(done));
      }
    }
  }

  // The first local position a revocation `r` voids from: its
  // effective_seq, which for an imported revocation is a registry
  // position, mapped to the local position of the import of that registry
  // record -- the first position at which this ledger provably knew the
  // registry had reached it (docs/federation.md). Never after `r` itself.
  std::uint64_t RevokedFrom(const AuthorityRecord& r) const {
    const std::uint64_t e = r.event.key_revoked().effective_seq();
    if (!r.import) return std::min<std::uint64_t>(e, r.seq);
    auto it = positions_.lower_bound(std::max<std::uint64_t>(e, 1));
    if (it == positions_.end()) return r.seq;
    return std::min<std::uint64_t>(it->second, r.seq);
  }

  // victim -> the revocation that voids it.
  using Voided = std::map<std::uint64_t, std::uint64_t>;
  static constexpr std::uint64_t kWholeLog = ~std::uint64_t{0};

  // Whether revocation `q`, void as `voided` stands, would be valid if what
  // it voids itself were not void: the decision made again on the records up
  // to `q`, with q's victims restored and q voiding nothing.
  bool FellByOwnHand(std::uint64_t q, const Voided& voided) {
    Voided without;
    for (const auto& [victim, by] : voided) {
      if (by != q) without.emplace(victim, by);
    }
    std::unique_ptr<Authority> kept = std::move(book_);
    bool valid = false;
    for (;;) {
      book_.reset(new Authority());
      if (Round(&without, q).empty()) break;
    }
    const AuthorityVerdict* v = book_->Verdict(q);
    valid = v != nullptr && v->valid;
    book_ = std::move(kept);
    return valid;
  }

  // One decision from the start, of the records up to `last` (the record at
  // `last` itself voids nothing); returns the records a valid revocation
  // voided that this round had judged valid, which it adds to *voided
  // (empty: the decision stands).
  std::vector<std::uint64_t> Round(Voided* voided, std::uint64_t last) {
    Authority& b = *book_;
    // Who signed each record this round judged valid, for the revocations.
    std::vector<std::pair<std::uint64_t, const std::string*>> valid_signed;
    for (const AuthorityRecord& r : records_) {
      if (r.seq > last) break;
      b.seqs_.push_back(r.seq);
      Note(r);
      AuthorityVerdict& v = b.verdicts_[r.seq];
      auto void_it = voided->find(r.seq);
      if (void_it != voided->end()) {
        const std::uint64_t by = void_it->second;
        v.voided_by = by;
        v.violations.push_back({finding::kKeyRevoked, "",
                                "record " + S(r.seq) + " is signed with key " + r.key_id +
                                    ", which the revocation at record " + S(by) +
                                    " voids from before this record on"});
        continue;
      }
      if (r.import) {
        auto bad = import_violations_.find(r.seq);
        if (bad != import_violations_.end() && !bad->second.empty()) {
          v.violations = bad->second;
          continue;
        }
      }
      Judge(r, &v.violations);
      v.valid = v.violations.empty();
      if (!v.valid) continue;
      Apply(r);
      valid_signed.emplace_back(r.seq, &r.key_id);
      if (r.event.has_key_revoked() && r.seq != last) {
        const auto& rv = r.event.key_revoked();
        const std::uint64_t from = RevokedFrom(r);
        std::vector<std::uint64_t> victims;
        for (const auto& [seq, key] : valid_signed) {
          if (seq >= from && seq < r.seq && *key == rv.key_id()) victims.push_back(seq);
        }
        if (!victims.empty()) {
          for (std::uint64_t v2 : victims) voided->emplace(v2, r.seq);
          return victims;
        }
      }
    }
    return {};
  }

  // What the record names, valid or not: the indexes a verifier reads.
  void Note(const AuthorityRecord& r) {
    Authority& b = *book_;
    const v1::Event& ev = r.event;
    if (const v1::KeyInfo* info = IntroducedKey(ev)) {
      if (auto pk = ParseKey(*info, keys_)) b.key_records_[pk->KeyId()].push_back(r.seq);
    }
    if (ev.has_key_rotated() && !ev.key_rotated().retired_key_id().empty()) {
      b.key_records_[ev.key_rotated().retired_key_id()].push_back(r.seq);
    }
    if (ev.has_key_revoked()) b.key_records_[ev.key_revoked().key_id()].push_back(r.seq);
    if (ev.has_policy_set()) b.policy_records_.push_back(r.seq);
    if (ev.has_actor_registered()) {
      const auto& a = ev.actor_registered();
      b.actor_records_.emplace(a.actor_id(), r.seq);
      b.registrations_[a.actor_id()].emplace_back(r.seq, static_cast<Role>(a.role()));
    }
    if (ev.has_genesis()) {
      b.actor_records_.emplace(ev.genesis().root_actor_id(), r.seq);
      b.registrations_[ev.genesis().root_actor_id()].emplace_back(r.seq, Role::kRegulator);
    }
  }

  bool SignatureValid(const AuthorityRecord& r, const PublicKey& key) {
    if (!r.signing_input) return false;
    if (!check_signatures_) return true;
    if (memo_ != nullptr) {
      if (auto known = memo_->Find(key, *r.signing_input, r.signature)) return *known;
    }
    bool ok = false;
    if (keys_ != nullptr) {
      const KeyCache::Entry* e = keys_->Get(key.der());
      ok = e != nullptr && e->verifier != nullptr &&
           e->verifier->Verify(*r.signing_input, r.signature).ok();
    } else {
      auto v = Verifier::New(key);
      ok = v.ok() && (*v)->Verify(*r.signing_input, r.signature).ok();
    }
    if (memo_ != nullptr) memo_->Put(key, *r.signing_input, r.signature, ok);
    return ok;
  }

  void Judge(const AuthorityRecord& r, Violations* out) {
    Authority& b = *book_;
    const v1::Event& ev = r.event;
    const std::string s = S(r.seq);
    if (ev.has_genesis()) {
      const auto& g = ev.genesis();
      std::optional<PublicKey> key = ParseKey(g.root_key(), keys_);
      if (r.seq != 0) {
        out->push_back({finding::kGenesisInvalid, "", "record " + s + " claims to be a second genesis"});
      } else if (!binding_error_.empty()) {
        out->push_back({finding::kGenesisInvalid, "",
                        "the genesis record's registry binding is malformed: " + binding_error_});
      } else if (!key || key->KeyId() != r.key_id || ev.actor_id() != g.root_actor_id() ||
                 !SignatureValid(r, *key)) {
        out->push_back({finding::kGenesisInvalid, "",
                        "the genesis record is not signed by the root key it names"});
      }
      return;
    }
    const KeyEntry* key = b.SignerAt(r.key_id, ev.actor_id(), r.seq, out);
    if (key == nullptr) return;
    if (!key->key || !SignatureValid(r, *key->key)) {
      out->push_back({finding::kSignatureInvalid, "",
                      "the signature on record " + s + " by " + ev.actor_id() +
                          " does not verify: the event was altered or not signed by its actor"});
      return;
    }
    const ActorEntry* signer = b.ActorAt(ev.actor_id(), r.seq);
    const Role role = signer != nullptr ? signer->role : Role::kUnspecified;
    CheckRole(ev, role, b.PolicyAt(r.seq), out);
    if (!out->empty()) return;
    // What the record names must be consistent with the book so far.
    auto key_taken = [&](const v1::KeyInfo& info) {
      std::optional<PublicKey> pk = ParseKey(info, keys_);
      if (!pk) {
        out->push_back({finding::kEventMalformed, "", "record " + s + " names a key that does not parse"});
        return true;
      }
      if (b.keys_.count(pk->KeyId()) != 0) {
        out->push_back({finding::kKeyExists, "",
                        "record " + s + " registers key " + pk->KeyId() + ", which is already registered"});
        return true;
      }
      return false;
    };
    switch (ev.body_case()) {
      case v1::Event::kActorRegistered: {
        const auto& a = ev.actor_registered();
        if (b.actors_.count(a.actor_id()) != 0) {
          out->push_back({finding::kActorExists, "",
                          "record " + s + " registers actor " + a.actor_id() + ", which is already registered"});
          return;
        }
        key_taken(a.key());
        return;
      }
      case v1::Event::kKeyRotated: {
        const auto& k = ev.key_rotated();
        if (b.ActorAt(k.actor_id(), r.seq) == nullptr) {
          out->push_back({finding::kUnknownActor, "",
                          "record " + s + " rotates a key of " + k.actor_id() + ", who is not registered"});
          return;
        }
        if (key_taken(k.new_key())) return;
        if (!k.retired_key_id().empty()) {
          auto it = b.keys_.find(k.retired_key_id());
          if (it == b.keys_.end() || it->second.actor_id != k.actor_id()) {
            out->push_back({finding::kUnknownKey, "",
                            "record " + s + " retires key " + k.retired_key_id() + ", which is not a key of " +
                                k.actor_id()});
          }
        }
        return;
      }
      case v1::Event::kKeyRevoked: {
        const auto& k = ev.key_revoked();
        if (b.keys_.count(k.key_id()) == 0) {
          out->push_back({finding::kUnknownKey, "",
                          "record " + s + " revokes key " + k.key_id() + ", which is not registered"});
        } else if (r.import && k.effective_seq() > r.import->proof.index()) {
          out->push_back({finding::kEventMalformed, "",
                          "record " + s + " imports a revocation of key " + k.key_id() +
                              " from registry record " + S(k.effective_seq()) +
                              ", which lies after the revocation itself"});
        } else if (!r.import && k.effective_seq() > r.seq) {
          out->push_back({finding::kEventMalformed, "",
                          "record " + s + " revokes key " + k.key_id() + " from record " +
                              S(k.effective_seq()) + ", which lies after the revocation itself"});
        }
        return;
      }
      case v1::Event::kQuotaGranted: {
        const auto& g = ev.quota_granted();
        if (b.ActorAt(g.actor_id(), r.seq) == nullptr) {
          out->push_back({finding::kUnknownActor, "",
                          "record " + s + " grants a quota to " + g.actor_id() + ", who is not registered"});
        }
        return;
      }
      default:
        return;
    }
  }

  void Apply(const AuthorityRecord& r) {
    Authority& b = *book_;
    const v1::Event& ev = r.event;
    auto add_key = [&](const v1::KeyInfo& info, const std::string& actor) {
      std::optional<PublicKey> pk = ParseKey(info, keys_);
      if (!pk) return;
      KeyEntry& k = b.keys_[pk->KeyId()];
      k.key_id = pk->KeyId();
      k.key = std::move(pk);
      k.actor_id = actor;
      k.registered_seq = r.seq;
      auto a = b.actors_.find(actor);
      if (a != b.actors_.end()) a->second.key_ids.push_back(k.key_id);
    };
    switch (ev.body_case()) {
      case v1::Event::kGenesis: {
        const auto& g = ev.genesis();
        b.root_actor_ = g.root_actor_id();
        b.ledger_id_ = ev.ledger_id();
        ActorEntry& a = b.actors_[g.root_actor_id()];
        a.actor_id = g.root_actor_id();
        a.role = Role::kRegulator;
        a.legal_name = g.name() + " root";
        a.registered_seq = r.seq;
        add_key(g.root_key(), g.root_actor_id());
        return;
      }
      case v1::Event::kActorRegistered: {
        const auto& reg = ev.actor_registered();
        ActorEntry& a = b.actors_[reg.actor_id()];
        a.actor_id = reg.actor_id();
        a.role = static_cast<Role>(reg.role());
        a.legal_name = reg.legal_name();
        a.licence = reg.licence();
        a.jurisdiction = reg.jurisdiction();
        a.registered_seq = r.seq;
        add_key(reg.key(), reg.actor_id());
        return;
      }
      case v1::Event::kKeyRotated: {
        const auto& k = ev.key_rotated();
        add_key(k.new_key(), k.actor_id());
        if (!k.retired_key_id().empty()) {
          KeyEntry& old = b.keys_[k.retired_key_id()];
          if (!old.retired_after || r.seq < *old.retired_after) old.retired_after = r.seq;
        }
        return;
      }
      case v1::Event::kKeyRevoked: {
        const auto& k = ev.key_revoked();
        KeyEntry& old = b.keys_[k.key_id()];
        const std::uint64_t from = RevokedFrom(r);
        if (!old.revoked_from || from < *old.revoked_from) old.revoked_from = from;
        return;
      }
      case v1::Event::kQuotaGranted: {
        const auto& g = ev.quota_granted();
        b.grants_[QuotaKey(g.actor_id(), g.year(), static_cast<QuotaKind>(g.kind()))].push_back(
            {r.seq, g.reo_g()});
        return;
      }
      case v1::Event::kPolicySet:
        b.policies_.emplace_back(r.seq, std::make_unique<Policy>(ev.policy_set()));
        return;
      default:
        return;
    }
  }

  const std::vector<AuthorityRecord>& records_;
  std::optional<RegistryAnchors> registry_;
  std::string binding_error_;
  std::map<std::uint64_t, Violations> import_violations_;
  std::vector<RegistryImport> imports_;               // the valid ones, in log order
  std::map<std::uint64_t, std::uint64_t> positions_;  // registry index -> local seq
  KeyCache* const keys_;
  SignatureMemo* const memo_;
  const bool check_signatures_;
  std::unique_ptr<Authority> book_;
};

std::shared_ptr<const Authority> Authority::Build(std::vector<AuthorityRecord> records,
                                                  KeyCache* keys, SignatureMemo* memo,
                                                  bool check_signatures) {
  std::stable_sort(records.begin(), records.end(),
                   [](const AuthorityRecord& a, const AuthorityRecord& b) { return a.seq < b.seq; });
  records.erase(std::unique(records.begin(), records.end(),
                            [](const AuthorityRecord& a, const AuthorityRecord& b) {
                              return a.seq == b.seq;
                            }),
                records.end());
  records.erase(std::remove_if(records.begin(), records.end(),
                               [](const AuthorityRecord& r) {
                                 return !r.import && !IsAuthorityEvent(r.event);
                               }),
                records.end());
  // Records are judged again in every round: their signatures once.
  SignatureMemo local;
  Builder builder(records, keys, memo != nullptr ? memo : &local, check_signatures);
  return builder.Run();
}

const KeyEntry* Authority::SignerAt(std::string_view key_id, std::string_view actor_id,
                                    std::uint64_t seq, Violations* out) const {
  const std::string s = S(seq);
  auto it = keys_.find(key_id);
  if (it == keys_.end() || it->second.registered_seq >= seq) {
    if (out != nullptr) {
      out->push_back({finding::kUnknownKey, "",
                      "record " + s + " is signed with key " + std::string(key_id) +
                          ", which was not validly registered before it"});
    }
    return nullptr;
  }
  const KeyEntry& k = it->second;
  if (k.revoked_from && seq >= *k.revoked_from) {
    if (out != nullptr) {
      out->push_back({finding::kKeyRevoked, "",
                      "record " + s + " is signed with key " + k.key_id + " of " + k.actor_id +
                          ", which a regulator revoked from record " + S(*k.revoked_from) + " on"});
    }
    return nullptr;
  }
  if (k.retired_after && seq > *k.retired_after) {
    if (out != nullptr) {
      out->push_back({finding::kKeyRetired, "",
                      "record " + s + " is signed with key " + k.key_id + " of " + k.actor_id +
                          ", which was rotated out at record " + S(*k.retired_after)});
    }
    return nullptr;
  }
  if (k.actor_id != actor_id) {
    if (out != nullptr) {
      out->push_back({finding::kKeyActorMismatch, "",
                      "record " + s + " is stated by " + std::string(actor_id) +
                          " but signed with the key of " + k.actor_id});
    }
    return nullptr;
  }
  return &k;
}

const RegistryImport* Authority::RegistryImportAt(std::uint64_t seq) const {
  auto it = std::upper_bound(registry_imports_.begin(), registry_imports_.end(), seq,
                             [](std::uint64_t s, const RegistryImport& i) { return s < i.seq; });
  if (it == registry_imports_.begin()) return nullptr;
  return &*std::prev(it);
}

const KeyEntry* Authority::Key(std::string_view key_id) const {
  auto it = keys_.find(key_id);
  return it == keys_.end() ? nullptr : &it->second;
}

const ActorEntry* Authority::ActorAt(std::string_view actor_id, std::uint64_t seq) const {
  auto it = actors_.find(actor_id);
  if (it == actors_.end() || it->second.registered_seq >= seq) return nullptr;
  return &it->second;
}

const ActorEntry* Authority::Actor(std::string_view actor_id) const {
  auto it = actors_.find(actor_id);
  return it == actors_.end() ? nullptr : &it->second;
}

const Policy& Authority::PolicyAt(std::uint64_t seq) const {
  auto it = std::lower_bound(policies_.begin(), policies_.end(), seq,
                             [](const auto& p, std::uint64_t s) { return p.first < s; });
  if (it == policies_.begin()) return Policy::Default();
  return *std::prev(it)->second;
}

std::optional<GrantEntry> Authority::GrantAt(std::string_view quota_key, std::uint64_t seq) const {
  auto it = grants_.find(quota_key);
  if (it == grants_.end()) return std::nullopt;
  const auto& g = it->second;
  auto at = std::lower_bound(g.begin(), g.end(), seq,
                             [](const GrantEntry& e, std::uint64_t s) { return e.seq < s; });
  if (at == g.begin()) return std::nullopt;
  return *std::prev(at);
}

const AuthorityVerdict* Authority::Verdict(std::uint64_t seq) const {
  auto it = verdicts_.find(seq);
  return it == verdicts_.end() ? nullptr : &it->second;
}

const std::vector<std::uint64_t>& Authority::KeyRecords(std::string_view key_id) const {
  static const std::vector<std::uint64_t> kNone;
  auto it = key_records_.find(key_id);
  return it == key_records_.end() ? kNone : it->second;
}

std::optional<std::uint64_t> Authority::PolicyRecordBefore(std::uint64_t seq) const {
  auto it = std::lower_bound(policy_records_.begin(), policy_records_.end(), seq);
  if (it == policy_records_.begin()) return std::nullopt;
  return *std::prev(it);
}

bool Authority::RegisteredAs(std::string_view actor_id, Role role, std::uint64_t seq) const {
  auto it = registrations_.find(actor_id);
  if (it == registrations_.end()) return false;
  for (const auto& [at, r] : it->second) {
    if (at < seq && r == role) return true;
  }
  return false;
}

void CheckConsignee(const Authority& book, const v1::Event& ev, std::uint64_t seq,
                    Violations* out) {
  if (!ev.has_shipped() || book.ActorAt(ev.shipped().to_actor_id(), seq) != nullptr) return;
  // A consignee in another ledger is registered there (docs/federation.md).
  if (!ev.shipped().consignee_log().empty()) return;
  out->push_back({finding::kUnknownActor, ev.shipped().lot_id(),
                  "the consignee " + EscapeForDisplay(ev.shipped().to_actor_id()) +
                      " is not a registered actor"});
}

std::optional<std::uint64_t> Authority::ActorRecord(std::string_view actor_id) const {
  auto a = actors_.find(actor_id);
  if (a != actors_.end()) return a->second.registered_seq;
  auto it = actor_records_.find(actor_id);
  if (it == actor_records_.end()) return std::nullopt;
  return it->second;
}

}  // namespace retrace::internal
