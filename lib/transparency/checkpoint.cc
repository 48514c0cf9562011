// C2SP tlog-checkpoint text (docs/transparency.md, "Checkpoints").
#include "retrace/checkpoint.h"

#include <utility>

#include "transparency/text.h"
#include "util/status_macros.h"

namespace retrace {

std::string FormatCheckpoint(const Checkpoint& c) {
  std::string out = c.origin;
  out += '\n';
  out += std::to_string(c.size);
  out += '\n';
  out += internal::HashToBase64(c.root_hash);
  out += '\n';
  for (const std::string& e : c.extensions) {
    out += e;
    out += '\n';
  }
  return out;
}

Result<Checkpoint> ParseCheckpoint(std::string_view text) {
  RETURN_IF_ERROR(internal::CheckNoteCharacters(text, "checkpoint"));
  std::optional<std::vector<std::string_view>> lines = internal::SplitLines(text);
  if (!lines) return InvalidArgumentError("malformed checkpoint: it does not end in a newline");
  if (lines->size() < 3) {
    return InvalidArgumentError("malformed checkpoint: " + std::to_string(lines->size()) +
                                " lines; origin, tree size and root hash are required");
  }
  Checkpoint c;
  if ((*lines)[0].empty()) return InvalidArgumentError("malformed checkpoint: the origin is empty");
  c.origin = std::string((*lines)[0]);
  std::optional<std::uint64_t> size = internal::ParseDecimal((*lines)[1]);
  if (!size) {
    return InvalidArgumentError("malformed checkpoint: the tree size \"" + std::string((*lines)[1]) +
                                "\" is not a decimal number below 2^63 without leading zeros");
  }
  c.size = *size;
  Result<Hash> root = internal::HashFromBase64((*lines)[2]);
  if (!root.ok()) {
    return InvalidArgumentError("malformed checkpoint: root hash: " + root.status().message());
  }
  c.root_hash = *root;
  for (std::size_t i = 3; i < lines->size(); ++i) {
    if ((*lines)[i].empty()) {
      return InvalidArgumentError("malformed checkpoint: extension line " + std::to_string(i - 2) +
                                  " is empty");
    }
    c.extensions.emplace_back((*lines)[i]);
  }
  return c;
}

Result<std::string> SignCheckpoint(const Checkpoint& checkpoint, const NoteSigner& log_key) {
  const std::string text = FormatCheckpoint(checkpoint);
  // Refuse to sign what we would refuse to read.
  ASSIGN_OR_RETURN(Checkpoint reparsed, ParseCheckpoint(text));
  if (!(reparsed == checkpoint)) {
    return InvalidArgumentError("the checkpoint cannot be written: an origin or extension line "
                                "holds a newline");
  }
  return SignNote(text, {&log_key});
}

Result<Checkpoint> ParseSignedCheckpoint(std::string_view note) {
  ASSIGN_OR_RETURN(Note parsed, ParseNote(note));
  return ParseCheckpoint(parsed.text);
}

Result<VerifiedCheckpoint> OpenCheckpoint(std::string_view note,
                                          const std::vector<NoteVerifier>& log_keys,
                                          const std::vector<NoteVerifier>& witness_keys) {
  if (log_keys.empty()) return InvalidArgumentError("no log key given to verify the checkpoint");
  for (const NoteVerifier& k : log_keys) {
    if (k.type() != NoteKeyType::kEd25519) {
      return InvalidArgumentError("log key " + k.ToString() +
                                  " is a cosignature key; a log signs with an ed25519 key");
    }
  }
  for (const NoteVerifier& k : witness_keys) {
    if (k.type() != NoteKeyType::kCosignatureV1) {
      return InvalidArgumentError("witness key " + k.ToString() +
                                  " is not a cosignature/v1 key");
    }
  }
  // Syntax first, so a malformed checkpoint is reported as such even when
  // its signatures would also fail.
  ASSIGN_OR_RETURN(Note parsed, ParseNote(note));
  ASSIGN_OR_RETURN(Checkpoint cp, ParseCheckpoint(parsed.text));
  std::vector<NoteVerifier> known = log_keys;
  known.insert(known.end(), witness_keys.begin(), witness_keys.end());
  ASSIGN_OR_RETURN(OpenedNote opened, OpenNote(note, known));
  VerifiedCheckpoint out;
  out.checkpoint = std::move(cp);
  out.note = std::string(note);
  for (VerifiedNoteSignature& s : opened.verified) {
    if (s.type == NoteKeyType::kEd25519) {
      out.log_signatures.push_back(std::move(s));
    } else {
      out.cosignatures.push_back(std::move(s));
    }
  }
  if (out.log_signatures.empty()) {
    return VerificationFailedError("the checkpoint of " + out.checkpoint.origin +
                                   " is not signed by the log's key (only by witnesses)");
  }
  return out;
}

}  // namespace retrace
