// Pictures and reports of a verified lineage, for people: a Graphviz DOT
// graph, a self-contained SVG drawing, the custody timeline, and a
// self-contained HTML report a compliance officer can open or attach to a
// shipment.
//
// Every function renders a VerifyReport it is given (Ledger::VerifyLot); none
// re-verifies, so a picture never claims more than its report. The drawings
// share one visual language:
//   - stages as columns, one column per material class, left to right from
//     ore concentrate to magnet;
//   - lots as boxes whose height grows with the lot's mass (logarithmically);
//   - consumption edges labelled with the mass consumed;
//   - origins filled by their kind: mined (extracted), recycled, imported;
//   - lots and edges named by a finding outlined in red.
//
// Output is deterministic for a given input (no clock is read unless a
// field below says so), so it can be diffed and tested.
//
// Thread safety: pure functions of their arguments, except CustodyTimeline,
// which reads the ledger (safe concurrently, like every Ledger read).
#ifndef RETRACE_RENDER_H_
#define RETRACE_RENDER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "retrace/event.h"
#include "retrace/export.h"
#include "retrace/ledger.h"
#include "retrace/status.h"
#include "retrace/verifier.h"

namespace retrace {

// One record in the custody of a lineage's lots.
struct CustodyStep {
  std::uint64_t seq = 0;
  Timestamp time;                    // the actor's clock, as signed
  std::string kind;                  // EventKindName: "extracted", "shipped", ...
  std::string actor_id;              // who signed it
  std::string event_id;
  std::string summary;               // one sentence: "shipped MAG-1 (85.000 kg) to exp-1"
  std::vector<std::string> lots;     // the lineage lots the record concerns
  std::vector<Reference> references; // ERP documents named by the event
  bool readable = true;              // false: the record or its event did not decode
};

// Every record of every lot in `report`, each once, in log order. A record
// that does not decode becomes a step with readable = false (the report has
// a finding for it) rather than an error.
// Errors: kNotFound / kIoError / kCorruption if the ledger cannot be read.
RETRACE_EXPORT Result<std::vector<CustodyStep>> CustodyTimeline(const Ledger& ledger,
                                                               const VerifyReport& report);

// The lineage as a Graphviz digraph: rankdir=LR, one `rank=same` group per
// material class, nodes sized by mass, edges labelled with grams consumed.
// Feed it to `dot -Tsvg`.
RETRACE_EXPORT std::string LineageToDot(const VerifyReport& report);

// The lineage as a standalone SVG document drawn by retrace itself (no
// Graphviz): same conventions as LineageToDot, with a legend. Suitable for
// inlining into HTML.
RETRACE_EXPORT std::string LineageToSvg(const VerifyReport& report);

// "12.345 kg", "35.124 t", "57 g" (truncated; display only).
RETRACE_EXPORT std::string FormatGrams(std::uint64_t grams);

struct HtmlReportOptions {
  // Page title and heading. Default (empty): "Custody report: <lot id>".
  std::string title;

  // When the report was produced, shown as is (e.g. "2026-03-02T08:00:00Z").
  // Default (empty): the current UTC time -- the one place a clock is read.
  std::string generated_at;

  // An SVG document to show as the lineage picture instead of the built-in
  // LineageToSvg drawing (e.g. Graphviz output of LineageToDot). It is
  // embedded verbatim: pass only SVG you produced.
  // Default: empty (built-in drawing).
  std::string lineage_svg;

  // The signed checkpoint the report was verified against, in its text
  // form; shown verbatim in the "Verified against" section. Default: empty
  // (the section shows the tree size and head hash only).
  std::string checkpoint_text;

  // One sentence on how checkpoint_text relates to this report (e.g. "log
  // signature verified; root matches the ledger; covers every record of the
  // lineage"); shown with it. A status containing "NOT" is shown in red.
  // Default: empty.
  std::string checkpoint_status;

  // Production quotas of the enterprises that created the origins
  // (Ledger::Quotas), shown as the origins' quota usage. Default: empty (the
  // section says no quota records were given). CustodyQuotas() gathers them.
  std::vector<QuotaUsage> quotas;
};

// The quota records (Ledger::Quotas, every year) of each distinct actor that
// created an origin of `report`. Errors as Ledger::Quotas.
RETRACE_EXPORT Result<std::vector<QuotaUsage>> CustodyQuotas(const Ledger& ledger,
                                                             const VerifyReport& report);

// A self-contained HTML5 page (inline CSS and SVG; no script, no external
// asset, no network access when opened): the verdict, the lot, the share of
// each origin with its kind and compliance (an SVG bar chart and a table),
// the origins' quota usage, the lineage picture, the custody timeline, every
// finding, and the tree size, head hash (and checkpoint) the verification
// ran against. All text is HTML-escaped.
RETRACE_EXPORT std::string RenderHtmlReport(const VerifyReport& report,
                                            const std::vector<CustodyStep>& timeline,
                                            const LedgerInfo& ledger,
                                            const HtmlReportOptions& options);

}  // namespace retrace

#endif  // RETRACE_RENDER_H_
