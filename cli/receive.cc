// retrace receive: take in a lot shipped from another ledger, with the
// sender's lineage bundle (docs/federation.md). The bundle must verify
// against the trusted log this ledger's policy names for the sender, end in
// a shipment of the lot to this ledger and to the key's actor, and its
// checkpoint must be consistent with those of the sender this ledger holds
// (--consistency: the sender's `retrace consistency --from-size N`; or
// --sender-log: read from the tiles the sender publishes).
#include <iostream>

#include "common.h"
#include "retrace/federation.h"
#include "retrace/mirror.h"
#include "retrace/signer.h"
#include "retrace/witness.h"

namespace retrace::cli {
namespace {

struct ReceiveOptions {
  std::string db;
  std::string key;
  std::string bundle;
  std::string consistency;
  std::string sender_log;
  std::string event_id;
};

int RunReceive(const ReceiveOptions& o) {
  const char* cmd = "receive";
  Result<std::unique_ptr<Signer>> signer = Signer::LoadPrivateKeyFile(o.key);
  if (!signer.ok()) {
    return Fail(cmd, "cannot load the key " + Shown(o.key) + ": " + signer.status().ToString() +
                         "; nothing was appended");
  }
  Result<std::string> bundle = ReadInput(o.bundle);
  if (!bundle.ok()) return Fail(cmd, bundle.status().ToString() + "; nothing was appended");
  std::vector<Hash> proof;
  if (!o.consistency.empty()) {
    Result<std::string> text = ReadInput(o.consistency);
    if (!text.ok()) return Fail(cmd, text.status().ToString() + "; nothing was appended");
    Result<AddCheckpointRequest> req = ParseAddCheckpointRequest(*text);
    if (!req.ok()) {
      return Fail(cmd, "--consistency: " + req.status().ToString() + "; nothing was appended");
    }
    proof = req->consistency_proof;
  }
  Result<std::unique_ptr<Ledger>> ledger = OpenLedger(o.db, false);
  if (!ledger.ok()) return Fail(cmd, ledger.status().ToString() + "; nothing was changed");
  Ledger& l = **ledger;
  if (!o.sender_log.empty()) {
    // Read from the tiles the sender publishes, authenticated against the
    // larger checkpoint; the receipt verifies the proof against both roots.
    Result<std::vector<Hash>> read = ReceiptConsistencyProof(
        l, *bundle, [&o](const Checkpoint& larger, std::uint64_t size) -> Result<std::vector<Hash>> {
          Result<PublishedPrefix> p = ReadPublishedPrefix(o.sender_log, larger, size);
          if (!p.ok()) return p.status();
          return std::move(p->consistency_proof);
        });
    if (!read.ok()) {
      return Fail(cmd, "--sender-log " + Shown(o.sender_log) + ": " + read.status().ToString() +
                           "; nothing was appended");
    }
    proof = std::move(*read);
  }
  Result<Event> ev = PrepareCrossLedgerReceipt(l, *bundle);
  if (!ev.ok()) return Fail(cmd, Refusal(ev.status().ToString(), l));
  if (!o.event_id.empty()) ev->event_id = o.event_id;
  Result<SignedEvent> se = SignEvent(*ev, **signer);
  if (!se.ok()) return Fail(cmd, Refusal(se.status().ToString(), l));
  Result<AppendResult> at = AppendCrossLedgerReceipt(l, CrossLedgerReceipt{*se, *bundle, proof});
  if (!at.ok()) return Fail(cmd, Refusal(at.status().ToString(), l));
  const auto& r = std::get<Received>(ev->body);
  std::cout << "appended seq " << at->seq << " hash " << HashToHex(at->hash) << " (received "
            << Shown(r.lot_id) << ", " << FormatMass(r.mass_g) << ", from "
            << Shown(r.from_actor_id) << " of " << Shown(r.origin->log_origin) << " record "
            << r.origin->shipped_seq << "; bundle " << bundle->size() << " bytes, sha256 "
            << HashToHex(r.origin->bundle_sha256) << ")\n";
  return kExitOk;
}

}  // namespace

Command AddReceiveCommand(CLI::App& app) {
  auto o = std::make_shared<ReceiveOptions>();
  CLI::App* sub = app.add_subcommand(
      "receive",
      "Receive a lot shipped from another ledger, with the sender's lineage bundle (retrace prove "
      "in the sender's ledger); the bundle is verified and stored with the receipt");
  AddDbOption(sub, o->db);
  sub->add_option("--key", o->key, "The consignee's private key (PEM, mode 0600)")->required();
  sub->add_option("--bundle", o->bundle, "The sender's lineage bundle of the lot (- for stdin)")
      ->required();
  sub->add_option("--consistency", o->consistency,
                  "The sender's `retrace consistency --from-size N` output, N the size of the "
                  "sender checkpoint this ledger holds (needed once it holds one)");
  sub->add_option("--sender-log", o->sender_log,
                  "Read that consistency proof from the tiles the sender publishes (a directory "
                  "or an http(s) URL, as for `retrace mirror`) instead")
      ->excludes("--consistency");
  sub->add_option("--event-id", o->event_id, "The receipt's event id (default: random)");
  SetHelpFooter(sub,
                {"the lot was received and the bundle stored",
                 "",
                 "usage error, unreadable key, bundle or proof, or the ledger refused the "
                 "receipt: the bundle does not verify, the sender's log is not trusted, the lot "
                 "was not shipped to this ledger and key's actor, or its checkpoint is not "
                 "proven consistent (nothing was appended)"},
                "docs/federation.md describes the hand-over.");
  return {sub, [o] { return RunReceive(*o); }};
}

}  // namespace retrace::cli
