// The C2SP tlog-witness HTTP protocol (https://c2sp.org/tlog-witness): the
// witness side of `POST <prefix>/add-checkpoint` (what `retrace witness
// serve` answers) and the log side (asking several witnesses to cosign a
// ledger's checkpoint, stopping at a quorum). The checks themselves are
// WitnessAddCheckpoint's (witness.h); this maps them to HTTP.
//
// Thread safety: HandleAddCheckpoint may run on many threads and in many
// processes for one state file (UpdateWitnessStateFile locks it).
// GatherCosignatures may run concurrently for different ledgers.
#ifndef RETRACE_WITNESS_HTTP_H_
#define RETRACE_WITNESS_HTTP_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "retrace/export.h"
#include "retrace/ledger.h"
#include "retrace/mirror.h"
#include "retrace/note.h"
#include "retrace/status.h"
#include "retrace/witness.h"

namespace retrace {

struct WitnessHttpResponse {
  int status = 500;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Answers one add-checkpoint request body as tlog-witness says:
//   200  the cosignature line(s), text/plain; charset=utf-8
//   400  a malformed body, or an old size above the checkpoint's
//   403  no signature by a log key the witness trusts for the origin
//   404  an origin the witness does not follow
//   409  an old size that is not the size last cosigned (body: that size
//        and a newline, Content-Type text/x.tlog.size), or the same size
//        with another root (a split view)
//   422  a consistency proof that does not verify (or has the wrong length)
//   500  the state file cannot be read or written (nothing cosigned)
// The state is updated and made durable (UpdateWitnessStateFile: write,
// fsync, rename) before a 200 is returned; on any other status it is
// unchanged. `timestamp` is the cosignature's time (POSIX seconds).
RETRACE_EXPORT WitnessHttpResponse HandleAddCheckpoint(const std::string& state_path,
                                                       const NoteSigner& cosigner,
                                                       std::string_view body,
                                                       std::uint64_t timestamp);

// A witness reachable over HTTP: its submission prefix (add-checkpoint is
// POSTed to <url>/add-checkpoint) and its cosignature key.
struct WitnessEndpoint {
  std::string url;
  NoteVerifier key;
};

// What one witness answered.
struct WitnessOutcome {
  std::string url;
  std::string name;      // the witness key's name
  bool cosigned = false;
  int http_status = 0;   // of the last request (0: no answer)
  Status status;         // why it did not cosign (OK if it did)
};

struct CosigningResult {
  std::string checkpoint;       // the stored note, with every cosignature gathered
  std::size_t cosigned = 0;     // witnesses whose cosignature verified
  bool quorum_met = false;
  std::vector<WitnessOutcome> witnesses;  // in the order given
};

// Asks `witnesses` in parallel to cosign the ledger's latest stored
// checkpoint (add-checkpoint; a witness that answers 409 with the size it
// last cosigned is asked again once with a consistency proof from that
// size), verifies each cosignature under the witness's key, and stores the
// verified ones (Ledger::AddCosignatures). Returns as soon as `quorum`
// witnesses cosigned: requests still running are cancelled, so a witness
// that is down, slow or refuses does not hold the others back. A witness
// whose answer does not verify counts as not cosigning. Returns the result
// also when the quorum is not met (quorum_met false; nothing is lost: what
// was gathered is stored).
// Errors: kNotFound (no stored checkpoint), kInvalidArgument (quorum above
// the number of witnesses), errors of AddCosignatures.
RETRACE_EXPORT Result<CosigningResult> GatherCosignatures(
    Ledger& ledger, const std::vector<WitnessEndpoint>& witnesses, std::size_t quorum,
    const FetchOptions& fetch = {});

}  // namespace retrace

#endif  // RETRACE_WITNESS_HTTP_H_
