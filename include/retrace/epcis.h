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
// Identifiers: an id that is already an absolute URI (an EPC URN, a GS1
// Digital Link, an ni: hash) is written as it stands; retrace's own plain ids
// become urn:retrace:lot:ID, urn:retrace:actor:ID, urn:retrace:event:ID
// (percent-encoded). What EPCIS has no field for
// (signer, process, declared loss, customs declaration, exact grams) travels
// in `retrace:` extension members, defined in the document's @context under
// the namespace urn:retrace:epcis:v1: so that they survive JSON-LD expansion;
// a document this library wrote imports back to identical events. Genesis and actor registrations are not custody
// events, nor are quota grants, stage policies and key rotations or
// revocations: none of them is exported as an EPCIS event; the actors named
// appear in the header's master data.
//
// Thread safety: pure functions, except that the exporters read the ledger
// (safe concurrently, like every Ledger read).
#ifndef RETRACE_EPCIS_H_
#define RETRACE_EPCIS_H_

#include <cstddef>
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
  // represent -- every EpcisSkipReason -- instead of refusing the whole
  // document. Malformed input is refused either way. Default: false.
  bool skip_unsupported = false;
};

// Why an EPCIS event cannot become a custody record. These are the events
// `skip_unsupported` skips; anything else wrong with a document (invalid
// JSON, a member of the wrong type, a date that is not an xsd:dateTime, a
// negative quantity, a retrace: extension member that contradicts the event)
// is malformed and always refused.
enum class EpcisSkipReason {
  kEventType,          // AggregationEvent, AssociationEvent, TransactionEvent
  kInstanceLevel,      // epcList / inputEPCList / outputEPCList: objects, not lots by mass
  kNoQuantityList,     // an ObjectEvent or TransformationEvent without quantity lists
  kNotAMass,           // uom other than KGM, GRM, TNE; no uom (a count); no quantity
  kFractionalGrams,    // a quantity that is not a whole number of grams
  kNoCustodyStep,      // action / bizStep with no custody meaning (inspecting, DELETE, ...)
  kUnknownSigner,      // the actor stating the event cannot be determined
  kNoCounterparty,     // a shipment without consignee, a receipt without sender
  kNoMaterial,         // a lot the event creates has no material class in ilmd
  kErrorDeclaration,   // retired: error declarations import as reversals (docs/epcis.md)
};

// The reason's name in reports: "event_type", "instance_level",
// "no_quantity_list", "not_a_mass", "fractional_grams", "no_custody_step",
// "unknown_signer", "no_counterparty", "no_material", "error_declaration".
RETRACE_EXPORT const char* EpcisSkipReasonName(EpcisSkipReason reason);

struct EpcisSkipped {
  std::size_t index = 0;     // position in the document's eventList
  std::string event_id;      // the EPCIS eventID as written (may be empty)
  EpcisSkipReason reason = EpcisSkipReason::kEventType;
  std::string message;       // "event 3 (ni:///...): ...", input text escaped
};

struct EpcisImport {
  // The custody events, in document order, unsigned: ledger id and parent
  // hashes are unset (EventBatch::Add fills them), event_id, actor_id and
  // time are set. One EPCIS event listing k lots becomes k events.
  std::vector<Event> events;
  // With skip_unsupported: every skipped EPCIS event, in document order.
  std::vector<EpcisSkipped> skipped;
};

// Parses an EPCIS 2.0 JSON-LD document (an EPCISDocument, or an
// EPCISQueryDocument's resultsBody) into custody events.
//
// Identifiers: a urn:retrace:lot: / urn:retrace:actor: / urn:retrace:event:
// URI gives back the retrace id it encodes; any other absolute URI (an EPC
// URN such as urn:epc:class:lgtin:..., a GS1 Digital Link, an ni: hash) is
// the id itself, unchanged, so exporting the records again writes the same
// URIs (docs/epcis.md, "Identifiers").
//
// kInvalidArgument naming the event (its index and eventID) and the reason
// for malformed input (always) and for an event with an EpcisSkipReason
// (unless skip_unsupported, and then it is listed in `skipped`).
RETRACE_EXPORT Result<EpcisImport> ImportEpcis(std::string_view document,
                                               const EpcisImportOptions& options = {});

}  // namespace retrace

#endif  // RETRACE_EPCIS_H_
