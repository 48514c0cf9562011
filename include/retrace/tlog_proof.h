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
// proof is self-contained: the leaf hash is SHA-256(0x00 || extra). The
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
  std::string leaf_bytes;  // what was proven (the extra data, or as given)
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

}  // namespace retrace

#endif  // RETRACE_TLOG_PROOF_H_
