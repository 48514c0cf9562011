// An ERP adapter: turns the inventory postings an ERP already makes into
// signed custody records. The shapes below follow SAP's (goods receipt for
// a purchase order, production order confirmation with goods issue and
// receipt, outbound delivery with goods issue) but nothing is SAP-specific:
// any ERP that posts batches (lots) with quantities can feed it.
//
//   ERP transaction                          custody event
//   goods receipt (from supplier delivery)   received   (signed by the receiver)
//   production order confirmation            transformed: components consumed,
//                                            batches produced (signed by the plant)
//   outbound delivery, goods issue           shipped    (signed by the shipper)
//   export declaration released by customs   exported
//   mine production posting                  extracted
//
// Design points a real adapter needs and this one shows:
//   - Idempotency: the ERP document number is the event id, so a posting
//     re-sent after a timeout is recognised (the ledger refuses a duplicate
//     id with kAlreadyExists) and reported as already posted, not as an error.
//   - Quantities: ERPs post decimal kilograms ("1234.567 KG"); the ledger
//     keeps whole grams. Conversion is exact decimal arithmetic, never
//     floating point, and refuses sub-gram precision.
//   - Dependent postings: a production confirmation and the delivery of its
//     output made in one ERP transaction go into one batch (EventBatch),
//     appended together or not at all.
//   - Errors carry the ledger's reason so the ERP's error log can show it:
//     custody and mass mismatches, and the regulator's rules -- an
//     extraction or separation beyond the enterprise's production quota, or
//     under a licence it is not registered with, is refused.
#ifndef RETRACE_EXAMPLES_ERP_ADAPTER_ERP_ADAPTER_H_
#define RETRACE_EXAMPLES_ERP_ADAPTER_ERP_ADAPTER_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "retrace/event.h"
#include "retrace/ledger.h"
#include "retrace/signer.h"
#include "retrace/status.h"

namespace erp {

// A quantity as the ERP posts it: decimal text in a unit of measure.
struct Quantity {
  std::string amount;  // "1234.567"
  std::string uom;     // "KG", "G" or "T"
};

// Exact conversion to grams. kInvalidArgument for malformed text, an unknown
// unit or a fraction of a gram.
retrace::Result<std::uint64_t> ToGrams(const Quantity& q);

struct GoodsReceipt {
  std::string document;        // material document, e.g. "5000012345"
  std::string purchase_order;  // "4500001234"
  std::string plant;           // the receiving actor
  std::string supplier;        // the shipping actor
  std::string batch;           // the lot
  Quantity quantity;
};

struct ComponentIssue {
  std::string batch;
  Quantity quantity;
};

struct BatchReceipt {
  std::string batch;
  retrace::MaterialClass material = retrace::MaterialClass::kUnspecified;
  Quantity quantity;
  std::vector<retrace::ElementMass> content;  // from the batch's lab results
  std::string description;
};

struct ProductionConfirmation {
  std::string order;           // production order, e.g. "1000042"
  std::string confirmation;    // confirmation number (the event id)
  std::string plant;
  std::vector<ComponentIssue> components;
  std::vector<BatchReceipt> outputs;
  std::vector<std::pair<std::string, Quantity>> additives;  // non-RE materials
  Quantity scrap;              // posted process loss
  std::string routing;         // the process
};

struct OutboundDelivery {
  std::string delivery;        // "8000004711"
  std::string sales_order;
  std::string plant;           // shipper
  std::string ship_to;         // consignee actor
  std::string batch;
  Quantity quantity;
};

struct MineProduction {
  std::string document;
  std::string mine;
  BatchReceipt batch;
  std::string site;
  std::string licence;  // the mining licence the mine is registered with
  retrace::QuotaKind quota = retrace::QuotaKind::kMiningRock;  // or kMiningIonic
};

// What happened to a posting.
enum class Outcome { kPosted, kAlreadyPosted };

class Adapter {
 public:
  // `ledger` must outlive the adapter; `keys` maps actor ids (plants,
  // mines) to their signing keys.
  Adapter(retrace::Ledger& ledger, std::map<std::string, const retrace::Signer*> keys);

  retrace::Result<Outcome> Post(const MineProduction& p);
  retrace::Result<Outcome> Post(const GoodsReceipt& gr);
  retrace::Result<Outcome> Post(const OutboundDelivery& d);
  retrace::Result<Outcome> Post(const ProductionConfirmation& c);
  // A confirmation and the delivery of one of its outputs, atomically.
  retrace::Result<Outcome> PostAndShip(const ProductionConfirmation& c, const OutboundDelivery& d);

 private:
  retrace::Result<retrace::Event> Make(const std::string& id, const std::string& actor,
                                       std::vector<retrace::Reference> refs,
                                       retrace::EventBody body) const;
  retrace::Result<Outcome> Append(std::vector<retrace::Event> events);

  retrace::Ledger& ledger_;
  std::map<std::string, const retrace::Signer*> keys_;
};

}  // namespace erp

#endif  // RETRACE_EXAMPLES_ERP_ADAPTER_ERP_ADAPTER_H_
