// The C API's transparency: note signers and verifiers, checkpoints,
// cosignatures, tlog proofs and bundles (retrace/c.h).
// Conventions: c_api.cc and capi/c_api_internal.h.
#include "retrace/c.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "retrace/bundle.h"
#include "retrace/checkpoint.h"
#include "retrace/epcis.h"
#include "retrace/event.h"
#include "retrace/event_batch.h"
#include "retrace/json.h"
#include "retrace/ledger.h"
#include "retrace/note.h"
#include "retrace/render.h"
#include "retrace/signer.h"
#include "retrace/verifier.h"
#include "retrace/witness.h"
#include "capi/c_api_internal.h"
#include "util/status_macros.h"

using namespace retrace::internal::capi;  // NOLINT(build/namespaces): the shared conventions

extern "C" {

// --- Transparency ----------------------------------------------------------------

}  // extern "C": the helpers below return C++ types, so they get C++ linkage

namespace {

Result<retrace::NoteKeyType> ParseNoteKeyType(const char* type) {
  const std::string_view t(type);
  if (t == "ed25519") return retrace::NoteKeyType::kEd25519;
  if (t == "cosignature/v1") return retrace::NoteKeyType::kCosignatureV1;
  return retrace::InvalidArgumentError("unknown note key type \"" + std::string(t) +
                                       "\"; expected \"ed25519\" or \"cosignature/v1\"");
}

// The verifiers behind an array of handles; a NULL entry is refused.
Result<std::vector<retrace::NoteVerifier>> Verifiers(const retrace_note_verifier* const* keys,
                                                     size_t n, const char* what) {
  std::vector<retrace::NoteVerifier> out;
  if (n == 0) return out;
  if (keys == nullptr) return NullArg(what);
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (keys[i] == nullptr) {
      return retrace::InvalidArgumentError(std::string(what) + "[" + std::to_string(i) +
                                           "] is NULL");
    }
    out.push_back(keys[i]->impl);
  }
  return out;
}

}  // namespace

extern "C" {

int retrace_note_signer_generate(const char* name, const char* type,
                                 retrace_note_signer** out_signer) {
  if (out_signer != nullptr) *out_signer = nullptr;
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(name);
    RETRACE_REQUIRE(type);
    RETRACE_REQUIRE(out_signer);
    ASSIGN_OR_RETURN(retrace::NoteKeyType t, ParseNoteKeyType(type));
    ASSIGN_OR_RETURN(std::unique_ptr<retrace::NoteSigner> s, retrace::NoteSigner::Generate(name, t));
    *out_signer = new retrace_note_signer{std::move(s)};
    return Status::Ok();
  });
}

int retrace_note_signer_load(const char* path, retrace_note_signer** out_signer) {
  if (out_signer != nullptr) *out_signer = nullptr;
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(path);
    RETRACE_REQUIRE(out_signer);
    ASSIGN_OR_RETURN(std::unique_ptr<retrace::NoteSigner> s,
                     retrace::NoteSigner::LoadSignerKeyFile(path));
    *out_signer = new retrace_note_signer{std::move(s)};
    return Status::Ok();
  });
}

int retrace_note_signer_save(const retrace_note_signer* signer, const char* path) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(signer);
    RETRACE_REQUIRE(path);
    return signer->impl->WriteSignerKeyFile(path);
  });
}

int retrace_note_signer_verifier_key(const retrace_note_signer* signer, char** out_key,
                                     size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(signer);
    RETRACE_REQUIRE(out_key);
    return Give(signer->impl->verifier().ToString(), out_key, out_len);
  });
}

void retrace_note_signer_free(retrace_note_signer* signer) { delete signer; }

int retrace_note_verifier_parse(const char* key, retrace_note_verifier** out_verifier) {
  if (out_verifier != nullptr) *out_verifier = nullptr;
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(key);
    RETRACE_REQUIRE(out_verifier);
    ASSIGN_OR_RETURN(retrace::NoteVerifier v, retrace::NoteVerifier::Parse(key));
    *out_verifier = new retrace_note_verifier{std::move(v)};
    return Status::Ok();
  });
}

void retrace_note_verifier_free(retrace_note_verifier* verifier) { delete verifier; }

int retrace_ledger_checkpoint_sign(retrace_ledger* ledger, const retrace_note_signer* log_key,
                                   char** out_note, size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(ledger);
    RETRACE_REQUIRE(log_key);
    RETRACE_REQUIRE(out_note);
    ASSIGN_OR_RETURN(std::string note, ledger->impl->SignCheckpoint(*log_key->impl));
    return Give(note, out_note, out_len);
  });
}

int retrace_ledger_checkpoint_latest(const retrace_ledger* ledger, char** out_note,
                                     size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(ledger);
    RETRACE_REQUIRE(out_note);
    ASSIGN_OR_RETURN(std::string note, ledger->impl->LatestCheckpoint());
    return Give(note, out_note, out_len);
  });
}

int retrace_ledger_checkpoint_add_cosignatures(retrace_ledger* ledger, const char* cosignatures,
                                               const retrace_note_verifier* const* witnesses,
                                               size_t n_witnesses, char** out_note,
                                               size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(ledger);
    RETRACE_REQUIRE(cosignatures);
    RETRACE_REQUIRE(out_note);
    ASSIGN_OR_RETURN(std::vector<retrace::NoteVerifier> w,
                     Verifiers(witnesses, n_witnesses, "witnesses"));
    ASSIGN_OR_RETURN(std::string note, ledger->impl->AddCosignatures(cosignatures, w));
    return Give(note, out_note, out_len);
  });
}

int retrace_checkpoint_verify(const char* note, const retrace_note_verifier* const* log_keys,
                              size_t n_log_keys, const retrace_note_verifier* const* witnesses,
                              size_t n_witnesses, size_t quorum, uint64_t* out_tree_size,
                              uint8_t out_root_hash[32], size_t* out_cosignatures) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(note);
    ASSIGN_OR_RETURN(std::vector<retrace::NoteVerifier> logs,
                     Verifiers(log_keys, n_log_keys, "log_keys"));
    if (logs.empty()) return retrace::InvalidArgumentError("no log key given");
    retrace::WitnessPolicy policy;
    ASSIGN_OR_RETURN(policy.witnesses, Verifiers(witnesses, n_witnesses, "witnesses"));
    policy.quorum = quorum;
    ASSIGN_OR_RETURN(retrace::VerifiedCheckpoint cp,
                     retrace::OpenCheckpoint(note, logs, policy.witnesses));
    RETURN_IF_ERROR(policy.Check(cp));
    if (out_tree_size != nullptr) *out_tree_size = cp.checkpoint.size;
    CopyHash(cp.checkpoint.root_hash, out_root_hash);
    if (out_cosignatures != nullptr) *out_cosignatures = cp.cosignatures.size();
    return Status::Ok();
  });
}

int retrace_ledger_prove_lot(const retrace_ledger* ledger, const char* lot_id,
                             uint8_t** out_bundle, size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(ledger);
    RETRACE_REQUIRE(lot_id);
    RETRACE_REQUIRE(out_bundle);
    ASSIGN_OR_RETURN(std::string bundle, retrace::ProveLineage(*ledger->impl, lot_id));
    return GiveBytes(bundle, out_bundle, out_len);
  });
}

int retrace_ledger_prove_record(const retrace_ledger* ledger, uint64_t seq, char** out_proof,
                                size_t* out_len) {
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(ledger);
    RETRACE_REQUIRE(out_proof);
    ASSIGN_OR_RETURN(std::string proof, retrace::ProveRecord(*ledger->impl, seq));
    return Give(proof, out_proof, out_len);
  });
}

int retrace_bundle_verify(const uint8_t* bundle, size_t bundle_len,
                          const retrace_public_key* root_key, const retrace_note_verifier* log_key,
                          const retrace_note_verifier* const* witnesses, size_t n_witnesses,
                          size_t quorum, retrace_report** out_report) {
  if (out_report != nullptr) *out_report = nullptr;
  return Guard([&]() -> Status {
    RETRACE_REQUIRE(bundle);
    RETRACE_REQUIRE(root_key);
    RETRACE_REQUIRE(out_report);
    retrace::WitnessPolicy policy;
    ASSIGN_OR_RETURN(policy.witnesses, Verifiers(witnesses, n_witnesses, "witnesses"));
    policy.quorum = quorum;
    const std::string_view bytes(reinterpret_cast<const char*>(bundle), bundle_len);
    // NULL log key: the one the bundle's own policy names (and its
    // witnesses, when none are given).
    ASSIGN_OR_RETURN(retrace::BundleReport r,
                     log_key != nullptr
                         ? retrace::VerifyBundle(bytes, root_key->key, log_key->impl, policy)
                         : retrace::VerifyBundle(bytes, root_key->key, policy));
    auto rep = std::make_unique<retrace_report>();
    rep->bundle = true;
    rep->verify = std::move(r.lineage);
    r.lineage = retrace::VerifyReport{};
    rep->bundle_report = std::move(r);
    *out_report = rep.release();
    return Status::Ok();
  });
}

}  // extern "C"
