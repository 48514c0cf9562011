// C2SP tlog-proof@v1 text (docs/transparency.md, "Single-record proofs").
#include "retrace/tlog_proof.h"

#include <utility>

#include "retrace/merkle.h"
#include "transparency/text.h"
#include "util/hex.h"
#include "util/status_macros.h"

namespace retrace {
namespace {

constexpr char kHeader[] = "c2sp.org/tlog-proof@v1";
constexpr std::size_t kMaxProofLines = 63;

Status Malformed(const std::string& why) {
  return InvalidArgumentError("malformed tlog proof: " + why);
}

}  // namespace

std::string FormatTlogProof(const TlogProof& p) {
  std::string out = kHeader;
  out += '\n';
  if (p.extra) out += "extra " + internal::Base64Encode(*p.extra) + "\n";
  out += "index " + std::to_string(p.index) + "\n";
  for (const Hash& h : p.inclusion_proof) out += internal::HashToBase64(h) + "\n";
  out += '\n';
  out += p.checkpoint;
  return out;
}

Result<TlogProof> ParseTlogProof(std::string_view text) {
  const std::size_t blank = text.find("\n\n");
  if (blank == std::string_view::npos) return Malformed("no blank line before the checkpoint");
  std::vector<std::string_view> lines = *internal::SplitLines(text.substr(0, blank + 1));
  std::size_t i = 0;
  if (lines[i++] != kHeader) return Malformed(std::string("the first line is not ") + kHeader);
  TlogProof p;
  if (i < lines.size() && lines[i].substr(0, 6) == "extra ") {
    std::string_view b64 = lines[i++].substr(6);
    if (b64.empty()) return Malformed("empty extra data");
    Result<std::string> extra = internal::Base64Decode(b64);
    if (!extra.ok()) return Malformed("extra data: " + extra.status().message());
    p.extra = std::move(extra).value();
  }
  if (i >= lines.size() || lines[i].substr(0, 6) != "index ") {
    return Malformed("no \"index N\" line");
  }
  std::optional<std::uint64_t> index = internal::ParseDecimal(lines[i++].substr(6));
  if (!index) return Malformed("the index is not a decimal number without leading zeros");
  p.index = *index;
  if (lines.size() - i > kMaxProofLines) return Malformed("more than 63 inclusion proof lines");
  for (; i < lines.size(); ++i) {
    Result<Hash> h = internal::HashFromBase64(lines[i]);
    if (!h.ok()) return Malformed("inclusion proof line: " + h.status().message());
    p.inclusion_proof.push_back(*h);
  }
  p.checkpoint = std::string(text.substr(blank + 2));
  Status cp = ParseSignedCheckpoint(p.checkpoint).status();
  if (!cp.ok()) return Malformed(cp.message());
  return p;
}

namespace {

// Checks the checkpoint, the witness policy and the inclusion of
// `out->leaf_hash` at the proof's index; fills the rest of `out`.
Status VerifyParsed(const TlogProof& p, const NoteVerifier& log_key,
                    const WitnessPolicy& witnesses, VerifiedTlogProof* out) {
  ASSIGN_OR_RETURN(VerifiedCheckpoint cp,
                   OpenCheckpoint(p.checkpoint, {log_key}, witnesses.witnesses));
  RETURN_IF_ERROR(witnesses.Check(cp));
  out->index = p.index;
  out->extra = p.extra;
  merkle::InclusionProof proof{p.index, cp.checkpoint.size, p.inclusion_proof};
  Status st = merkle::VerifyInclusion(out->leaf_hash, proof, cp.checkpoint.root_hash);
  if (!st.ok()) {
    return Status(st.code(), "the inclusion proof of leaf " + std::to_string(p.index) +
                                 " in the checkpoint of " + cp.checkpoint.origin + " at size " +
                                 std::to_string(cp.checkpoint.size) + ": " + st.message());
  }
  out->checkpoint = std::move(cp);
  return Status::Ok();
}

}  // namespace

Result<VerifiedTlogProof> VerifyTlogProof(std::string_view text, const NoteVerifier& log_key,
                                          const WitnessPolicy& witnesses,
                                          std::optional<std::string_view> leaf_bytes) {
  ASSIGN_OR_RETURN(TlogProof p, ParseTlogProof(text));
  VerifiedTlogProof out;
  if (leaf_bytes) {
    out.leaf_bytes = std::string(*leaf_bytes);
  } else if (p.extra) {
    out.leaf_bytes = *p.extra;
  } else {
    return InvalidArgumentError("the tlog proof carries no extra data and no leaf was given");
  }
  out.leaf_hash = merkle::LeafHash(out.leaf_bytes);
  RETURN_IF_ERROR(VerifyParsed(p, log_key, witnesses, &out));
  return out;
}

Result<VerifiedTlogProof> VerifyTlogProofLeafHash(std::string_view text,
                                                  const NoteVerifier& log_key,
                                                  const WitnessPolicy& witnesses,
                                                  const Hash& leaf_hash) {
  ASSIGN_OR_RETURN(TlogProof p, ParseTlogProof(text));
  VerifiedTlogProof out;
  out.leaf_hash = leaf_hash;
  RETURN_IF_ERROR(VerifyParsed(p, log_key, witnesses, &out));
  return out;
}

}  // namespace retrace
