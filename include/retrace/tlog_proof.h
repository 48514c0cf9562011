// C2SP transparency-log proofs (https://c2sp.org/tlog-proof, version v1): an
// offline-verifiable proof that one record is in the log, for a single
// record what a lineage bundle (bundle.h) is for a lot.
//
//   c2sp.org/tlog-proof@v1
//   extra <base64 of the stored record bytes>
//   index 41
//   <base64 hash>            inclusion proof, leaf side first (RFC 6962 PATH)
//   ...
//   <blank line>
//   <signed checkpoint, verbatim, with any cosignatures>
//
// retrace puts the stored record bytes in the optional "extra" line, so the
// proof is self-contained: the leaf hash is SHA-256(0x00 || extra). A proof
// from another log (extra absent, or application data) is checked against
// a leaf given separately: its bytes (VerifyTlogProof's `leaf_bytes`) or
// its leaf hash (VerifyTlogProofLeafHash). The
// spec says extra data is not to be trusted implicitly; it is not: it only
// counts once its hash is proven to be the leaf at `index`. A tlog proof
// shows that these exact record bytes are record number `index` of the log
// the checkpoint names; it does not check the record's signature or custody
// rules (a bundle does).
//
// Thread safety: plain values and pure functions.
#ifndef RETRACE_TLOG_PROOF_H_
#define RETRACE_TLOG_PROOF_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "retrace/checkpoint.h"
#include "retrace/export.h"
#include "retrace/hash.h"
#include "retrace/status.h"
#include "retrace/witness.h"

namespace retrace {

struct TlogProof {
  std::optional<std::string> extra;  // raw bytes (retrace: the stored record)
  std::uint64_t index = 0;
  std::vector<Hash> inclusion_proof;
  std::string checkpoint;            // signed checkpoint note
};

RETRACE_EXPORT std::string FormatTlogProof(const TlogProof& proof);

// Strict parse: the header line, an optional non-empty "extra" line of
// canonical base64, "index N" without leading zeros, at most 63 proof lines,
// a blank line, a syntactically valid signed checkpoint. kInvalidArgument.
RETRACE_EXPORT Result<TlogProof> ParseTlogProof(std::string_view text);

struct VerifiedTlogProof {
  VerifiedCheckpoint checkpoint;
  std::uint64_t index = 0;
  Hash leaf_hash{};
  // What was proven: the extra data, or the leaf bytes given; empty when
  // the leaf was given by its hash (VerifyTlogProofLeafHash).
  std::string leaf_bytes;
  // The proof's extra data as carried, if any. Unauthenticated unless it
  // is what was proven (leaf_bytes): another log may put application data
  // there (https://c2sp.org/tlog-proof: "MUST NOT implicitly trust").
  std::optional<std::string> extra;
};

// Verifies a tlog proof: the checkpoint's signature by `log_key`, the
// witness policy, and the inclusion of `leaf_bytes` (nullopt: the proof's
// extra data) at the proof's index under the checkpoint's root.
// Errors: kInvalidArgument for malformed text, a missing leaf, or an index
// outside the tree or a proof of the wrong length ("malformed");
// kVerificationFailed for a bad signature, an unmet quorum or a proof that
// leads to another root ("mismatch").
RETRACE_EXPORT Result<VerifiedTlogProof> VerifyTlogProof(
    std::string_view text, const NoteVerifier& log_key, const WitnessPolicy& witnesses = {},
    std::optional<std::string_view> leaf_bytes = std::nullopt);

// As VerifyTlogProof, for a leaf given by its RFC 6962 leaf hash,
// SHA-256(0x00 || entry): any C2SP tlog proof, from any log, whose entry is
// not at hand as bytes (or whose leaf hash the log's application computes
// itself). The proof's extra data, if any, is returned in `extra` and
// plays no part in the check. Errors as VerifyTlogProof.
RETRACE_EXPORT Result<VerifiedTlogProof> VerifyTlogProofLeafHash(std::string_view text,
                                                                 const NoteVerifier& log_key,
                                                                 const WitnessPolicy& witnesses,
                                                                 const Hash& leaf_hash);

}  // namespace retrace

#endif  // RETRACE_TLOG_PROOF_H_
