// tlog-witness over HTTP (retrace/witness_http.h).
//
// The server side classifies WitnessAddCheckpoint's refusals into the
// spec's status codes from the state as read under the state file's lock,
// so the code always describes the state the check ran against.
#include "retrace/witness_http.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "net/http_client.h"
#include "retrace/checkpoint.h"
#include "util/status_macros.h"

namespace retrace {

WitnessHttpResponse HandleAddCheckpoint(const std::string& state_path, const NoteSigner& cosigner,
                                        std::string_view body, std::uint64_t timestamp) {
  WitnessHttpResponse resp;
  Result<AddCheckpointRequest> req = ParseAddCheckpointRequest(body);
  if (!req.ok()) {
    resp.status = 400;
    resp.body = req.status().message() + "\n";
    return resp;
  }
  std::string line;
  Status st = UpdateWitnessStateFile(state_path, [&](WitnessState* s) -> Status {
    Result<std::string> l = WitnessAddCheckpoint(s, cosigner, *req, timestamp);
    if (l.ok()) {
      line = *l;
      return Status::Ok();
    }
    const Status& e = l.status();
    Result<Checkpoint> cp = ParseSignedCheckpoint(req->checkpoint);
    const WitnessedLog* log = cp.ok() ? s->Find(cp->origin) : nullptr;
    switch (e.code()) {
      case StatusCode::kNotFound:
        resp.status = 404;
        break;
      case StatusCode::kFailedPrecondition:
        resp.status = 409;
        resp.content_type = "text/x.tlog.size";
        if (log != nullptr) {
          resp.body = std::to_string(log->size) + "\n";
          return e;
        }
        break;
      case StatusCode::kInvalidArgument:
        // A proof of the wrong length for the sizes is a proof that does
        // not verify; anything else malformed is a bad request.
        resp.status = (log != nullptr && cp.ok() && req->old_size <= cp->size &&
                       req->old_size == log->size)
                          ? 422
                          : 400;
        break;
      case StatusCode::kVerificationFailed:
        if (log == nullptr || !OpenCheckpoint(req->checkpoint, log->log_keys).ok()) {
          resp.status = 403;
        } else if (req->old_size == cp->size) {
          resp.status = 409;  // same size, another root: a split view
        } else {
          resp.status = 422;
        }
        break;
      default:
        resp.status = 500;
    }
    resp.body = e.message() + "\n";
    return e;
  });
  if (st.ok()) {
    resp.status = 200;
    resp.body = line;
    return resp;
  }
  if (resp.status == 500 || resp.body.empty()) {
    // The state file could not be read or written (fn never ran, or ran
    // and its result could not be made durable).
    resp.status = 500;
    resp.content_type = "text/plain; charset=utf-8";
    resp.body = "the witness state could not be updated; nothing was cosigned\n";
  }
  return resp;
}

// ---------------------------------------------------------------------------

namespace {

// One witness's exchange: add-checkpoint, then once more from the size it
// names if it answers 409 with one.
WitnessOutcome AskWitness(Ledger& ledger, const WitnessEndpoint& w, const std::string& note,
                          const Checkpoint& cp, const FetchOptions& fetch,
                          const std::atomic<bool>* cancel, std::string* lines) {
  WitnessOutcome out;
  out.url = w.url;
  out.name = w.key.name();
  std::string url = w.url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += "/add-checkpoint";
  internal::HttpRequestOptions o;
  o.connect_timeout_ms = fetch.connect_timeout_ms;
  o.timeout_ms = fetch.timeout_ms;
  o.max_bytes = 64 << 10;
  o.cancel = cancel;
  // First guess: the witness cosigned this checkpoint's size already if its
  // cosignature is on it, else assume it never saw the log.
  std::uint64_t old = 0;
  if (Result<OpenedNote> on = OpenNote(note, {w.key}); on.ok()) old = cp.size;
  for (int round = 0; round < 2; ++round) {
    AddCheckpointRequest req;
    req.old_size = old;
    req.checkpoint = note;
    if (old > 0 && old < cp.size) {
      Result<merkle::ConsistencyProof> p = ledger.ProveConsistency(old, cp.size);
      if (!p.ok()) {
        out.status = p.status();
        return out;
      }
      req.consistency_proof = p->hashes;
    }
    const std::string body = FormatAddCheckpointRequest(req);
    Result<internal::HttpResponse> r = internal::HttpPost(url, body, "text/plain; charset=utf-8", o);
    // A network failure or a 5xx is retried, a bounded number of times.
    for (unsigned a = 1; a < fetch.attempts && !cancel->load() &&
                         (!r.ok() ? r.status().code() == StatusCode::kIoError : r->status >= 500);
         ++a) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100u << (a - 1)));
      r = internal::HttpPost(url, body, "text/plain; charset=utf-8", o);
    }
    if (!r.ok()) {
      out.status = r.status();
      return out;
    }
    out.http_status = static_cast<int>(r->status);
    if (r->status == 200) {
      // Keep only the lines by this witness's key that verify.
      Result<OpenedNote> opened = OpenNote(note + r->body, {w.key});
      if (!opened.ok() || opened->verified.empty()) {
        out.status = VerificationFailedError(
            "the witness answered with no valid cosignature by " + w.key.name() +
            (opened.ok() ? std::string() : ": " + opened.status().message()));
        return out;
      }
      for (const VerifiedNoteSignature& s : opened->verified) *lines += s.line;
      out.cosigned = true;
      out.status = Status::Ok();
      return out;
    }
    std::string why = r->body.substr(0, 300);
    while (!why.empty() && why.back() == '\n') why.pop_back();
    if (r->status == 409 && r->content_type.rfind("text/x.tlog.size", 0) == 0 && round == 0) {
      std::optional<std::uint64_t> size;
      std::string digits = r->body;
      if (!digits.empty() && digits.back() == '\n') digits.pop_back();
      std::uint64_t v = 0;
      bool okd = !digits.empty() && digits.size() < 20;
      for (char c : digits) {
        if (c < '0' || c > '9') okd = false;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
      }
      if (okd) size = v;
      if (!size) {
        out.status = InvalidArgumentError("the witness answered 409 with a malformed size");
        return out;
      }
      if (*size > cp.size) {
        out.status = VerificationFailedError(
            "the witness has cosigned a larger tree of " + cp.origin + " (size " +
            std::to_string(*size) + ") than this checkpoint (" + std::to_string(cp.size) +
            "): the log was rolled back, or the witness lies");
        return out;
      }
      old = *size;
      continue;
    }
    out.status = VerificationFailedError("the witness refused (HTTP " +
                                         std::to_string(r->status) + "): " + why);
    return out;
  }
  out.status = FailedPreconditionError("the witness answered 409 twice");
  return out;
}

}  // namespace

Result<CosigningResult> GatherCosignatures(Ledger& ledger,
                                           const std::vector<WitnessEndpoint>& witnesses,
                                           std::size_t quorum, const FetchOptions& fetch) {
  if (quorum > witnesses.size()) {
    return InvalidArgumentError("the quorum " + std::to_string(quorum) + " exceeds the " +
                                std::to_string(witnesses.size()) + " witnesses given");
  }
  ASSIGN_OR_RETURN(std::string note, ledger.LatestCheckpoint());
  ASSIGN_OR_RETURN(Checkpoint cp, ParseSignedCheckpoint(note));
  CosigningResult result;
  result.witnesses.resize(witnesses.size());
  std::vector<std::string> lines(witnesses.size());
  std::atomic<bool> cancel{false};
  std::mutex mu;
  std::condition_variable cv;
  std::size_t done = 0, cosigned = 0;
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < witnesses.size(); ++i) {
    threads.emplace_back([&, i] {
      WitnessOutcome o = AskWitness(ledger, witnesses[i], note, cp, fetch, &cancel, &lines[i]);
      std::lock_guard<std::mutex> l(mu);
      if (o.cosigned) ++cosigned;
      ++done;
      result.witnesses[i] = std::move(o);
      cv.notify_all();
    });
  }
  {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return done == witnesses.size() || (quorum > 0 && cosigned >= quorum); });
    cancel = true;  // the quorum is there: stop waiting for the others
  }
  for (std::thread& t : threads) t.join();
  std::string all;
  std::vector<NoteVerifier> keys;
  for (std::size_t i = 0; i < witnesses.size(); ++i) {
    WitnessOutcome& o = result.witnesses[i];
    if (!o.cosigned && o.status.ok()) o.status = IoError("cancelled once the quorum was met");
    if (o.cosigned) {
      all += lines[i];
      keys.push_back(witnesses[i].key);
    }
  }
  result.cosigned = keys.size();
  result.quorum_met = result.cosigned >= quorum;
  if (keys.empty()) {
    result.checkpoint = note;
    return result;
  }
  ASSIGN_OR_RETURN(result.checkpoint, ledger.AddCosignatures(all, keys));
  return result;
}

}  // namespace retrace
