// GS1 EPCIS 2.0 (JSON-LD) interchange: custody records out as EPCIS events,
// EPCIS events in as unsigned custody events.
//
// The mapping (docs/epcis.md has the full table and examples):
//   extracted    ObjectEvent ADD, bizStep commissioning, quantityList (KGM),
//                readPoint = the mine site, ilmd = the lot's material and
//                rare-earth content
//   recycled,    the same, with retrace:origin "recycled" / "imported"
//   imported     (an import's sourceList names its origin country)
//   shipped      ObjectEvent OBSERVE, bizStep shipping, disposition
//                in_transit, sourceList / destinationList owning_party
//   received     ObjectEvent OBSERVE, bizStep receiving, disposition
//                in_progress, sourceList / destinationList owning_party
//   transformed  TransformationEvent, inputQuantityList / outputQuantityList
//                (KGM; additives as urn:retrace:additive: classes), ilmd =
//                the output lots' material and content
//   exported     ObjectEvent OBSERVE, bizStep shipping, destinationList
//                location urn:retrace:country:CC
//   references   bizTransactionList
// Identifiers are URNs: urn:retrace:lot:ID, urn:retrace:actor:ID,
// urn:retrace:event:ID (IDs percent-encoded). What EPCIS has no field for
// (signer, process, declared loss, customs declaration, exact grams) travels
// in `retrace:` extension members, so a document this library wrote imports
// back to identical events. Genesis and actor registrations are not custody
// events, nor are quota grants, stage policies and key rotations or
// revocations: none of them is exported as an EPCIS event; the actors named
// appear in the header's master data.
//
// Thread safety: pure functions, except that the exporters read the ledger
// (safe concurrently, like every Ledger read).
#ifndef RETRACE_EPCIS_H_
#define RETRACE_EPCIS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "retrace/event.h"
#include "retrace/export.h"
#include "retrace/ledger.h"
#include "retrace/status.h"

namespace retrace {

struct EpcisExportOptions {
  // The document's creationDate, an xsd:dateTime such as
  // "2026-03-02T08:00:00Z". Default (empty): the current UTC time.
  std::string creation_date;

  // Add epcisHeader.epcisMasterData with the name and role of every actor
  // the events name. Default: true.
  bool master_data = true;

  // Indentation of the JSON text; -1 for one line. Default: 2.
  int indent = 2;
};

// Writes, as an EPCIS 2.0 document, every record the current state of
// `lot_id` depends on: its lineage back to the extractions, and for each
// record on the way the earlier records of every lot it touches (so the
// document can be imported into another ledger that knows the actors).
// Events are in log order. kNotFound for an unknown lot; kCorruption if a
// needed record does not decode; I/O errors of the ledger.
RETRACE_EXPORT Result<std::string> ExportEpcisLot(const Ledger& ledger, std::string_view lot_id,
                                                  const EpcisExportOptions& options = {});

// Writes the custody records first_seq..last_seq (inclusive) as an EPCIS 2.0
// document; genesis and actor registrations in the range are left out.
// kInvalidArgument if first_seq > last_seq or last_seq >= the ledger size.
RETRACE_EXPORT Result<std::string> ExportEpcisRange(const Ledger& ledger, std::uint64_t first_seq,
                                                    std::uint64_t last_seq,
                                                    const EpcisExportOptions& options = {});

struct EpcisImportOptions {
  // Skip (and list in EpcisImport::skipped) events the ledger cannot
  // represent instead of refusing the whole document. Default: false.
  bool skip_unsupported = false;
};

struct EpcisImport {
  // The custody events, in document order, unsigned: ledger id and parent
  // hashes are unset (EventBatch::Add fills them), event_id, actor_id and
  // time are set. One EPCIS event listing k lots becomes k events.
  std::vector<Event> events;
  // With skip_unsupported: one sentence per skipped EPCIS event.
  std::vector<std::string> skipped;
};

// Parses an EPCIS 2.0 JSON-LD document (an EPCISDocument, or an
// EPCISQueryDocument's resultsBody) into custody events.
// kInvalidArgument naming the event (its index and eventID) and the reason
// for: malformed JSON or dates; a quantity that is not a mass (uom other than
// KGM, GRM, TNE) or not a whole number of grams; an event the ledger cannot
// represent (AggregationEvent, AssociationEvent, TransactionEvent, instance-
// level epcList without quantities, a bizStep other than commissioning,
// shipping, receiving, or a transformation) unless skip_unsupported; an event
// whose signing actor cannot be determined; an output lot without material.
RETRACE_EXPORT Result<EpcisImport> ImportEpcis(std::string_view document,
                                               const EpcisImportOptions& options = {});

}  // namespace retrace

#endif  // RETRACE_EPCIS_H_
