// Witness checks and state (docs/transparency.md, "Witnesses").
//
// Invariant: a state file only ever moves a log forward along one history.
// WitnessAddCheckpoint changes the state only after the new checkpoint's
// signature and its consistency with the remembered root both verified, and
// UpdateWitnessStateFile holds an exclusive lock from reading the file to
// renaming the new one into place, so two concurrent requests cannot roll the
// state back (the race tlog-witness describes).
#include "retrace/witness.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "crypto/keys_internal.h"
#include "transparency/text.h"
#include "util/posix_file.h"
#include "util/status_macros.h"

namespace retrace {
namespace {

using internal::ErrnoMessage;
using internal::ScopedFd;
using internal::WriteAll;

constexpr std::size_t kMaxProofLines = 63;
constexpr std::size_t kMaxStateBytes = std::size_t{64} << 20;
constexpr char kStateSchema[] = "retrace.witness-state/v1";

// Writes `data` to `path` through a temporary file and a rename, so a crash
// leaves either the old or the new file, never a torn one.
Status ReplaceFile(const std::string& path, std::string_view data) {
  const std::string tmp = path + ".tmp";
  ScopedFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) return IoError("cannot create " + tmp + ": " + ErrnoMessage(errno));
  Status st = WriteAll(fd.get(), data);
  if (st.ok() && ::fsync(fd.get()) != 0) st = IoError(ErrnoMessage(errno));
  if (fd.Close() != 0 && st.ok()) st = IoError(ErrnoMessage(errno));
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return IoError("writing " + tmp + " failed: " + st.message() + "; " + path + " is unchanged");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return IoError("renaming " + tmp + " to " + path + " failed: " + ErrnoMessage(err) + "; " + path +
                   " is unchanged");
  }
  // Make the rename durable.
  const std::size_t slash = path.find_last_of('/');
  const std::string dir =
      slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  ScopedFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() >= 0) ::fsync(dfd.get());
  return Status::Ok();
}

}  // namespace

Status WitnessPolicy::Check(const VerifiedCheckpoint& cp) const {
  if (quorum > witnesses.size()) {
    return InvalidArgumentError("the witness quorum " + std::to_string(quorum) +
                                " exceeds the number of witnesses (" +
                                std::to_string(witnesses.size()) + ")");
  }
  std::set<std::pair<std::string, std::uint32_t>> trusted;
  for (const NoteVerifier& w : witnesses) trusted.insert({w.name(), w.key_id()});
  std::set<std::pair<std::string, std::uint32_t>> cosigned;
  std::string names;
  for (const VerifiedNoteSignature& s : cp.cosignatures) {
    if (trusted.count({s.name, s.key_id}) && cosigned.insert({s.name, s.key_id}).second) {
      names += (names.empty() ? "" : ", ") + s.name;
    }
  }
  if (cosigned.size() < quorum) {
    return VerificationFailedError(
        "witness quorum not met: " + std::to_string(cosigned.size()) + " of the " +
        std::to_string(witnesses.size()) + " trusted witnesses cosigned (" +
        (names.empty() ? std::string("none") : names) + "), " + std::to_string(quorum) +
        " required");
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------

Result<AddCheckpointRequest> ParseAddCheckpointRequest(std::string_view body) {
  const std::size_t blank = body.find("\n\n");
  if (blank == std::string_view::npos) {
    return InvalidArgumentError(
        "malformed add-checkpoint request: no blank line before the checkpoint");
  }
  std::optional<std::vector<std::string_view>> head =
      internal::SplitLines(body.substr(0, blank + 1));
  AddCheckpointRequest req;
  const std::string_view first = (*head)[0];
  if (first.substr(0, 4) != "old ") {
    return InvalidArgumentError("malformed add-checkpoint request: the first line is not \"old N\"");
  }
  std::optional<std::uint64_t> old = internal::ParseDecimal(first.substr(4));
  if (!old) {
    return InvalidArgumentError("malformed add-checkpoint request: bad old size \"" +
                                std::string(first.substr(4)) + "\"");
  }
  req.old_size = *old;
  if (head->size() - 1 > kMaxProofLines) {
    return InvalidArgumentError("malformed add-checkpoint request: more than 63 proof lines");
  }
  for (std::size_t i = 1; i < head->size(); ++i) {
    Result<Hash> h = internal::HashFromBase64((*head)[i]);
    if (!h.ok()) {
      return InvalidArgumentError("malformed add-checkpoint request: proof line " +
                                  std::to_string(i) + ": " + h.status().message());
    }
    req.consistency_proof.push_back(*h);
  }
  req.checkpoint = std::string(body.substr(blank + 2));
  RETURN_IF_ERROR(ParseSignedCheckpoint(req.checkpoint).status());
  return req;
}

std::string FormatAddCheckpointRequest(const AddCheckpointRequest& r) {
  std::string out = "old " + std::to_string(r.old_size) + "\n";
  for (const Hash& h : r.consistency_proof) out += internal::HashToBase64(h) + "\n";
  out += "\n";
  out += r.checkpoint;
  return out;
}

// ---------------------------------------------------------------------------

WitnessedLog* WitnessState::Find(std::string_view origin) {
  for (WitnessedLog& l : logs) {
    if (l.origin == origin) return &l;
  }
  return nullptr;
}

const WitnessedLog* WitnessState::Find(std::string_view origin) const {
  for (const WitnessedLog& l : logs) {
    if (l.origin == origin) return &l;
  }
  return nullptr;
}

Status WitnessState::AddLog(std::string_view origin, const NoteVerifier& key) {
  if (origin.empty() || origin.find('\n') != std::string_view::npos) {
    return InvalidArgumentError("a log origin must be one non-empty line");
  }
  if (key.type() != NoteKeyType::kEd25519) {
    return InvalidArgumentError("log key " + key.ToString() +
                                " is not an ed25519 signed-note key");
  }
  WitnessedLog* log = Find(origin);
  if (log == nullptr) {
    WitnessedLog l;
    l.origin = std::string(origin);
    l.root_hash = merkle::EmptyRoot();
    logs.push_back(std::move(l));
    log = &logs.back();
  }
  for (const NoteVerifier& k : log->log_keys) {
    if (k.name() == key.name() && k.key_id() == key.key_id()) {
      return AlreadyExistsError("the witness already trusts " + key.ToString() + " for " +
                                std::string(origin));
    }
  }
  log->log_keys.push_back(key);
  return Status::Ok();
}

std::string WitnessState::Serialize() const {
  nlohmann::json j;
  j["schema"] = kStateSchema;
  j["logs"] = nlohmann::json::array();
  for (const WitnessedLog& l : logs) {
    nlohmann::json keys = nlohmann::json::array();
    for (const NoteVerifier& k : l.log_keys) keys.push_back(k.ToString());
    j["logs"].push_back({{"origin", l.origin},
                         {"log_keys", keys},
                         {"size", l.size},
                         {"root_hash", internal::HashToBase64(l.root_hash)},
                         {"checkpoint", l.checkpoint},
                         {"cosigned_at", l.cosigned_at}});
  }
  return j.dump(2) + "\n";
}

Result<WitnessState> WitnessState::Parse(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto bad = [](const std::string& why) {
    return InvalidArgumentError("malformed witness state: " + why);
  };
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  if (!j.contains("schema") || j["schema"] != kStateSchema) {
    return bad(std::string("schema is not \"") + kStateSchema + "\"");
  }
  if (!j.contains("logs") || !j["logs"].is_array()) return bad("\"logs\" is not an array");
  WitnessState state;
  for (const nlohmann::json& l : j["logs"]) {
    if (!l.is_object() || !l.contains("origin") || !l["origin"].is_string() ||
        !l.contains("log_keys") || !l["log_keys"].is_array() || !l.contains("size") ||
        !l["size"].is_number_unsigned() || !l.contains("root_hash") ||
        !l["root_hash"].is_string() || !l.contains("checkpoint") || !l["checkpoint"].is_string() ||
        !l.contains("cosigned_at") || !l["cosigned_at"].is_number_unsigned()) {
      return bad("a log entry lacks origin, log_keys, size, root_hash, checkpoint or cosigned_at");
    }
    WitnessedLog log;
    log.origin = l["origin"].get<std::string>();
    if (log.origin.empty() || state.Find(log.origin) != nullptr) {
      return bad("empty or repeated origin \"" + log.origin + "\"");
    }
    for (const nlohmann::json& k : l["log_keys"]) {
      if (!k.is_string()) return bad("a log key is not a string");
      Result<NoteVerifier> v = NoteVerifier::Parse(k.get<std::string>());
      if (!v.ok()) return bad(v.status().message());
      log.log_keys.push_back(*v);
    }
    log.size = l["size"].get<std::uint64_t>();
    Result<Hash> root = internal::HashFromBase64(l["root_hash"].get<std::string>());
    if (!root.ok()) return bad("root hash of " + log.origin + ": " + root.status().message());
    log.root_hash = *root;
    log.checkpoint = l["checkpoint"].get<std::string>();
    log.cosigned_at = l["cosigned_at"].get<std::uint64_t>();
    if (!log.checkpoint.empty()) {
      // The remembered size and root must be the remembered checkpoint's.
      Result<Checkpoint> cp = ParseSignedCheckpoint(log.checkpoint);
      if (!cp.ok()) return bad("checkpoint of " + log.origin + ": " + cp.status().message());
      if (cp->origin != log.origin || cp->size != log.size || cp->root_hash != log.root_hash) {
        return bad("the size or root hash of " + log.origin + " is not its checkpoint's");
      }
    } else if (log.size != 0 || log.root_hash != merkle::EmptyRoot()) {
      return bad(log.origin + " has a size or root but no checkpoint");
    }
    state.logs.push_back(std::move(log));
  }
  return state;
}

// ---------------------------------------------------------------------------

Result<std::string> WitnessAddCheckpoint(WitnessState* state, const NoteSigner& cosigner,
                                         const AddCheckpointRequest& req,
                                         std::uint64_t timestamp) {
  if (cosigner.type() != NoteKeyType::kCosignatureV1) {
    return InvalidArgumentError("the witness key " + cosigner.name() +
                                " is not a cosignature/v1 key");
  }
  ASSIGN_OR_RETURN(Checkpoint cp, ParseSignedCheckpoint(req.checkpoint));
  if (req.old_size > cp.size) {
    return InvalidArgumentError("the old size " + std::to_string(req.old_size) +
                                " exceeds the checkpoint's size " + std::to_string(cp.size));
  }
  WitnessedLog* log = state->Find(cp.origin);
  if (log == nullptr) {
    return NotFoundError("this witness does not follow the log " + cp.origin +
                         " (add it with `retrace witness init`); nothing was cosigned");
  }
  Result<VerifiedCheckpoint> opened = OpenCheckpoint(req.checkpoint, log->log_keys);
  if (!opened.ok()) {
    return Status(opened.status().code(),
                  opened.status().message() + "; nothing was cosigned, the state is unchanged");
  }
  if (req.old_size != log->size) {
    return FailedPreconditionError(
        "the request proves consistency from size " + std::to_string(req.old_size) +
        ", but this witness last cosigned " + cp.origin + " at size " + std::to_string(log->size) +
        "; ask again with old " + std::to_string(log->size) + " (nothing was cosigned)");
  }
  if (req.old_size == cp.size && cp.root_hash != log->root_hash) {
    return VerificationFailedError(
        "split view: " + cp.origin + " presents root " + internal::HashToBase64(cp.root_hash) +
        " for size " + std::to_string(cp.size) + ", but this witness cosigned root " +
        internal::HashToBase64(log->root_hash) + " for that size; nothing was cosigned");
  }
  merkle::ConsistencyProof proof{req.old_size, cp.size, req.consistency_proof};
  Status consistent = merkle::VerifyConsistency(log->root_hash, cp.root_hash, proof);
  if (!consistent.ok()) {
    return Status(consistent.code(),
                  "the checkpoint of " + cp.origin + " at size " + std::to_string(cp.size) +
                      " does not extend the one this witness cosigned at size " +
                      std::to_string(log->size) + ": " + consistent.message() +
                      "; nothing was cosigned");
  }
  ASSIGN_OR_RETURN(std::string sig, cosigner.Sign(FormatCheckpoint(cp), timestamp));
  const std::string line = NoteSignature{cosigner.name(), cosigner.key_id(), sig}.ToLine();
  // Remember the checkpoint with our cosignature on it.
  ASSIGN_OR_RETURN(Note note, ParseNote(req.checkpoint));
  std::vector<NoteSignature> kept;
  for (NoteSignature& s : note.signatures) {
    if (!(s.name == cosigner.name() && s.key_id == cosigner.key_id())) kept.push_back(std::move(s));
  }
  kept.push_back(NoteSignature{cosigner.name(), cosigner.key_id(), sig});
  note.signatures = std::move(kept);
  log->checkpoint = FormatNote(note);
  log->size = cp.size;
  log->root_hash = cp.root_hash;
  log->cosigned_at = timestamp;
  return line;
}

// ---------------------------------------------------------------------------

Result<WitnessState> ReadWitnessStateFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string data,
                   internal::ReadSmallFile(path, "witness state", kMaxStateBytes));
  Result<WitnessState> s = WitnessState::Parse(data);
  if (!s.ok()) return s.status().Annotate(path);
  return s;
}

Status UpdateWitnessStateFile(const std::string& path,
                              const std::function<Status(WitnessState*)>& fn) {
  const std::string lock_path = path + ".lock";
  ScopedFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (lock.get() < 0) return IoError("cannot open the lock file " + lock_path + ": " + ErrnoMessage(errno));
  while (::flock(lock.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return IoError("cannot lock " + lock_path + ": " + ErrnoMessage(errno));
  }
  WitnessState state;
  Result<WitnessState> read = ReadWitnessStateFile(path);
  if (read.ok()) {
    state = std::move(read).value();
  } else if (read.status().code() != StatusCode::kNotFound) {
    return read.status();
  }
  RETURN_IF_ERROR(fn(&state));
  return ReplaceFile(path, state.Serialize());
}

}  // namespace retrace
