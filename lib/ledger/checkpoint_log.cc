#include "ledger/checkpoint_log.h"

#include <cstring>
#include <deque>
#include <set>

#include "ledger/state.h"
#include "ledger/txn_store.h"
#include "model/record.h"
#include "retrace/merkle.h"
#include "transparency/text.h"
#include "util/escape.h"
#include "util/status_macros.h"

namespace retrace::internal {
namespace {

// How many of the latest stored checkpoints bare cosignature lines are tried
// against (a witness answers about the checkpoint it was shown, normally
// the latest).
constexpr std::size_t kCosignatureSearchDepth = 64;

std::string B64(const Hash& h) { return HashToBase64(h); }

Result<StoredCheckpoint> ParseStored(std::string_view key, std::string_view note,
                                     std::string_view origin) {
  ASSIGN_OR_RETURN(const std::uint64_t size, DecodeU64Key("checkpoints", key));
  Result<Checkpoint> cp = ParseSignedCheckpoint(note);
  if (!cp.ok()) {
    return CorruptionError("the checkpoint stored under size " + std::to_string(size) +
                           " is damaged: " + cp.status().message());
  }
  if (cp->size != size) {
    return CorruptionError("the checkpoint stored under size " + std::to_string(size) +
                           " is of size " + std::to_string(cp->size));
  }
  if (cp->origin != origin) {
    return CorruptionError("a stored checkpoint names the origin \"" +
                           EscapeForDisplay(cp->origin) +
                           "\", not this ledger's \"" + std::string(origin) + "\"");
  }
  return StoredCheckpoint{std::move(cp).value(), std::string(note)};
}

bool HasSignatureBy(std::string_view note, const NoteSigner& signer) {
  Result<Note> parsed = ParseNote(note);
  if (!parsed.ok()) return false;
  for (const NoteSignature& s : parsed->signatures) {
    if (s.name == signer.name() && s.key_id == signer.key_id()) return true;
  }
  return false;
}

}  // namespace

Result<std::optional<StoredCheckpoint>> LatestStoredCheckpoint(const Txn& txn,
                                                               std::string_view origin) {
  if (!txn.tables().checkpoints_present) return std::optional<StoredCheckpoint>();
  ASSIGN_OR_RETURN(auto last, txn.Last(txn.tables().checkpoints));
  if (!last) return std::optional<StoredCheckpoint>();
  ASSIGN_OR_RETURN(StoredCheckpoint s, ParseStored(last->first, last->second, origin));
  return std::optional<StoredCheckpoint>(std::move(s));
}

Result<std::string> SignAndStoreCheckpoint(Txn& txn, std::string_view origin,
                                           const NoteSigner& signer) {
  if (signer.type() != NoteKeyType::kEd25519) {
    return InvalidArgumentError("the log key " + signer.name() +
                                " is a cosignature key; a log signs checkpoints with an ed25519 "
                                "note key; nothing was signed");
  }
  const Tables& t = txn.tables();
  ASSIGN_OR_RETURN(Head head, ReadHead(txn));
  const std::uint64_t n = head.size;
  TxnNodeSource nodes(txn);
  ASSIGN_OR_RETURN(Hash root, merkle::RootAt(nodes, n));
  ASSIGN_OR_RETURN(std::optional<StoredCheckpoint> last, LatestStoredCheckpoint(txn, origin));

  std::uint64_t m = 0;
  if (last) {
    const Checkpoint& old = last->checkpoint;
    m = old.size;
    if (m > n) {
      return CorruptionError("a checkpoint of size " + std::to_string(m) +
                             " was signed, but the log holds " + std::to_string(n) +
                             " records: it was truncated; nothing was signed");
    }
    ASSIGN_OR_RETURN(merkle::ConsistencyProof proof, merkle::MakeConsistencyProof(nodes, m, n));
    Status consistent = merkle::VerifyConsistency(old.root_hash, root, proof);
    if (!consistent.ok()) {
      return CorruptionError("the log does not extend the checkpoint it signed at size " +
                             std::to_string(m) + " (root " + B64(old.root_hash) +
                             "): it was rewritten (" + consistent.message() +
                             "); nothing was signed");
    }
  }
  // The records appended since the last checkpoint are the leaves the tree
  // says they are: a checkpoint commits to records, not just to tree nodes.
  for (std::uint64_t seq = m; seq < n; ++seq) {
    ASSIGN_OR_RETURN(auto rec, txn.Get(t.records, EncodeU64(seq)));
    ASSIGN_OR_RETURN(Hash leaf, nodes.PerfectNode(0, seq));
    if (!rec || RecordHash(*rec) != leaf) {
      return CorruptionError("record " + std::to_string(seq) +
                             (rec ? " differs from the leaf the tree holds for it"
                                  : " is missing") +
                             ": the log was rewritten; nothing was signed");
    }
  }
  std::string note;
  if (last && m == n) {
    if (HasSignatureBy(last->note, signer)) return last->note;
    ASSIGN_OR_RETURN(note, AddNoteSignatures(last->note, {&signer}));
  } else {
    ASSIGN_OR_RETURN(note, SignCheckpoint(Checkpoint{std::string(origin), n, root, {}}, signer));
  }
  RETURN_IF_ERROR(txn.Put(t.checkpoints, EncodeU64(n), note));
  return note;
}

Result<std::string> StoreForeignCheckpoint(Txn& txn, std::string_view origin, std::string_view note,
                                           const NoteVerifier& log_key) {
  ASSIGN_OR_RETURN(VerifiedCheckpoint v, OpenCheckpoint(note, {log_key}));
  const Checkpoint& cp = v.checkpoint;
  if (cp.origin != origin) {
    return InvalidArgumentError("the checkpoint is of \"" + EscapeForDisplay(cp.origin) +
                                "\", not of this ledger (\"" + std::string(origin) + "\")");
  }
  ASSIGN_OR_RETURN(Head head, ReadHead(txn));
  if (cp.size > head.size) {
    return FailedPreconditionError("the checkpoint is of size " + std::to_string(cp.size) +
                                   ", beyond this ledger's " + std::to_string(head.size) +
                                   " records; append them first; nothing was stored");
  }
  ASSIGN_OR_RETURN(Hash root, merkle::RootAt(TxnNodeSource(txn), cp.size));
  if (root != cp.root_hash) {
    return VerificationFailedError(
        "split view: the checkpoint of size " + std::to_string(cp.size) + " signed by " +
        log_key.name() + " has root " + B64(cp.root_hash) + ", but the records this ledger holds "
        "have root " + B64(root) + " at that size; nothing was stored");
  }
  ASSIGN_OR_RETURN(std::optional<StoredCheckpoint> last, LatestStoredCheckpoint(txn, origin));
  if (last && last->checkpoint.size > cp.size) {
    return FailedPreconditionError("a checkpoint of size " + std::to_string(last->checkpoint.size) +
                                   " is stored already; this one (size " + std::to_string(cp.size) +
                                   ") is older; nothing was stored");
  }
  if (last && last->checkpoint.size == cp.size && last->note == note) return last->note;
  RETURN_IF_ERROR(txn.Put(txn.tables().checkpoints, EncodeU64(cp.size), note));
  return std::string(note);
}

Result<std::string> StoreCosignatures(Txn& txn, std::string_view origin, std::string_view input,
                                      const std::vector<NoteVerifier>& witnesses) {
  if (witnesses.empty()) {
    return InvalidArgumentError("no witness key given: cosignatures are only stored once they "
                                "verify; nothing was stored");
  }
  std::set<std::pair<std::string, std::uint32_t>> trusted;
  for (const NoteVerifier& w : witnesses) {
    if (w.type() != NoteKeyType::kCosignatureV1) {
      return InvalidArgumentError("witness key " + w.ToString() +
                                  " is not a cosignature/v1 key; nothing was stored");
    }
    trusted.insert({w.name(), w.key_id()});
  }
  // A whole note, or bare signature lines (parsed as the signatures of a
  // placeholder note).
  const bool whole = input.find("\n\n") != std::string_view::npos;
  ASSIGN_OR_RETURN(Note given, ParseNote(whole ? std::string(input) : "-\n\n" + std::string(input)));
  std::vector<NoteSignature> fresh;
  for (NoteSignature& s : given.signatures) {
    if (trusted.count({s.name, s.key_id})) fresh.push_back(std::move(s));
  }
  if (fresh.empty()) {
    return VerificationFailedError("none of the signatures is by a given witness key; nothing "
                                   "was stored");
  }
  if (!txn.tables().checkpoints_present) return NotFoundError("no checkpoint has been signed yet");

  // Candidates, latest first.
  std::deque<std::pair<std::string, std::string>> candidates;
  RETURN_IF_ERROR(txn.ForEach(txn.tables().checkpoints, [&](std::string_view k, std::string_view v) {
    candidates.emplace_front(std::string(k), std::string(v));
    if (candidates.size() > kCosignatureSearchDepth) candidates.pop_back();
    return true;
  }));
  if (candidates.empty()) return NotFoundError("no checkpoint has been signed yet");
  Status last_failure = NotFoundError("no stored checkpoint has the text of the given note");
  for (const auto& [key, stored_note] : candidates) {
    ASSIGN_OR_RETURN(StoredCheckpoint stored, ParseStored(key, stored_note, origin));
    const std::string text = FormatCheckpoint(stored.checkpoint);
    if (whole && given.text != text) continue;
    Result<OpenedNote> opened = OpenNote(FormatNote(Note{text, fresh}), witnesses);
    if (!opened.ok()) {
      last_failure = opened.status();
      if (whole) break;
      continue;
    }
    ASSIGN_OR_RETURN(Note merged, ParseNote(stored.note));
    std::set<std::pair<std::string, std::uint32_t>> replaced;
    for (const NoteSignature& s : fresh) replaced.insert({s.name, s.key_id});
    std::vector<NoteSignature> sigs;
    for (NoteSignature& s : merged.signatures) {
      if (!replaced.count({s.name, s.key_id})) sigs.push_back(std::move(s));
    }
    sigs.insert(sigs.end(), fresh.begin(), fresh.end());
    merged.signatures = std::move(sigs);
    std::string out = FormatNote(merged);
    RETURN_IF_ERROR(txn.Put(txn.tables().checkpoints, key, out));
    return out;
  }
  if (whole) {
    return Status(last_failure.code(), last_failure.message() + "; nothing was stored");
  }
  return VerificationFailedError(
      "the cosignatures verify against none of the latest " + std::to_string(candidates.size()) +
      " stored checkpoints (" + last_failure.message() + "); nothing was stored");
}

Status CheckStoredCheckpoints(const Txn& txn, std::string_view origin, std::uint64_t tree_size,
                              std::vector<Finding>* findings) {
  if (!txn.tables().checkpoints_present) return Status::Ok();
  std::vector<std::pair<std::string, std::string>> stored;
  RETURN_IF_ERROR(txn.ForEach(txn.tables().checkpoints, [&](std::string_view k, std::string_view v) {
    stored.emplace_back(std::string(k), std::string(v));
    return true;
  }));
  const std::uint64_t last_seq = tree_size > 0 ? tree_size - 1 : 0;
  for (const auto& [k, note] : stored) {
    Result<StoredCheckpoint> cp = ParseStored(k, note, origin);
    if (!cp.ok()) {
      findings->push_back({finding::kIndexInconsistent, last_seq, "",
                           "the checkpoint table: " + cp.status().message()});
      continue;
    }
    const std::uint64_t size = cp->checkpoint.size;
    if (size > tree_size) {
      findings->push_back({finding::kIndexInconsistent, last_seq, "",
                           "the checkpoint table holds a checkpoint of size " + std::to_string(size) +
                               ", beyond the log's " + std::to_string(tree_size) + " records"});
      continue;
    }
    Result<Hash> root = merkle::RootAt(TxnNodeSource(txn), size);
    if (!root.ok() || *root != cp->checkpoint.root_hash) {
      findings->push_back({finding::kIndexInconsistent, size > 0 ? size - 1 : 0, "",
                           "the checkpoint table's checkpoint of size " + std::to_string(size) +
                               " does not match the log: its root is not the tree's root at "
                               "that size"});
    }
  }
  return Status::Ok();
}

Result<StoredCheckpoint> CurrentCheckpoint(const Txn& txn, std::string_view origin) {
  ASSIGN_OR_RETURN(std::optional<StoredCheckpoint> latest, LatestStoredCheckpoint(txn, origin));
  if (!latest) {
    return FailedPreconditionError(
        "no checkpoint has been signed yet (sign one with `retrace checkpoint`)");
  }
  ASSIGN_OR_RETURN(Head head, ReadHead(txn));
  if (latest->checkpoint.size > head.size) {
    return CorruptionError("the latest checkpoint is of size " +
                           std::to_string(latest->checkpoint.size) + " but the log holds " +
                           std::to_string(head.size) + " records: it was truncated");
  }
  ASSIGN_OR_RETURN(Hash root, merkle::RootAt(TxnNodeSource(txn), latest->checkpoint.size));
  if (root != latest->checkpoint.root_hash) {
    return CorruptionError("the log no longer matches its latest checkpoint (size " +
                           std::to_string(latest->checkpoint.size) + ", root " +
                           B64(latest->checkpoint.root_hash) + "): it was rewritten");
  }
  return std::move(latest).value();
}

}  // namespace retrace::internal
