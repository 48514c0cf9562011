// retrace lineage: the DAG of lots a lot was made from, back to extraction.
//
// The lineage is a DAG (splits and merges), printed as a tree: a lot reached
// a second time is printed once more as "(see above)" instead of repeating
// its whole subtree, so the output stays linear in the DAG's size.
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "retrace/render.h"

#include "common.h"

namespace retrace::cli {
namespace {

struct LineageOptions {
  std::string db;
  std::string lot;
  std::string format = "text";
  std::string output = "-";
};

std::string Describe(const LineageLot& l) {
  std::string s = Shown(l.lot_id) + "  " + MaterialClassName(l.material) + ", " + FormatMass(l.mass_g) +
                  " (rare earths " + FormatMass(l.rare_earth_g) + "), ";
  if (!l.is_origin) {
    s += "made by ";
  } else if (l.origin_kind == "recycled") {
    s += "recycled by ";
  } else if (l.origin_kind == "imported") {
    s += "imported by ";
  } else {
    s += "extracted by ";
  }
  s += Shown(l.created_by) + " (record " + std::to_string(l.created_seq) + "), ";
  if (l.status == "held") {
    s += "held by " + Shown(l.custodian);
  } else if (l.status == "in_transit") {
    s += "in transit from " + Shown(l.custodian);
  } else if (l.status == "exported" || l.status == "consumed") {
    s += l.status + " by " + Shown(l.custodian);
  } else {
    s += l.status;
  }
  return s;
}

class TreePrinter {
 public:
  explicit TreePrinter(const VerifyReport& r) {
    for (const LineageLot& l : r.lots) lots_[l.lot_id] = &l;
    for (const LineageEdge& e : r.edges) inputs_[e.output_lot].push_back(&e);
  }

  void Print(const std::string& root, std::ostream& out) {
    out << Line(root) << "\n";
    seen_.insert(root);
    Children(root, "", out);
  }

 private:
  std::string Line(const std::string& id) const {
    auto it = lots_.find(id);
    return it == lots_.end() ? Shown(id) + "  (not in the report)" : Describe(*it->second);
  }

  void Children(const std::string& id, const std::string& prefix, std::ostream& out) {
    auto it = inputs_.find(id);
    if (it == inputs_.end()) return;
    const auto& edges = it->second;
    for (std::size_t i = 0; i < edges.size(); ++i) {
      const LineageEdge& e = *edges[i];
      bool last = i + 1 == edges.size();
      // One transformation record may consume an input for several outputs;
      // the edge carries what that record consumed, so name the record.
      out << prefix << (last ? "└── " : "├── ") << "record " << e.seq << " used "
          << FormatMass(e.consumed_g) << " of ";
      if (!seen_.insert(e.input_lot).second) {
        out << Shown(e.input_lot) << " (see above)\n";
        continue;
      }
      out << Line(e.input_lot) << "\n";
      Children(e.input_lot, prefix + (last ? "    " : "│   "), out);
    }
  }

  std::map<std::string, const LineageLot*> lots_;
  std::map<std::string, std::vector<const LineageEdge*>> inputs_;
  std::set<std::string> seen_;
};

int RunLineage(const LineageOptions& o) {
  Result<std::unique_ptr<Ledger>> ledger = OpenLedger(o.db, true);
  if (!ledger.ok()) return Fail("lineage", ledger.status().ToString());
  Result<VerifyReport> report = (*ledger)->VerifyLot(o.lot);
  if (!report.ok()) {
    return Fail("lineage", "cannot trace lot " + Shown(o.lot) + ": " + report.status().ToString());
  }
  std::string text;
  if (o.format == "json") {
    text = LineageToJson(*report) + "\n";
  } else if (o.format == "dot") {
    text = LineageToDot(*report);
  } else if (o.format == "svg") {
    Result<std::string> svg = DotToSvg(LineageToDot(*report));
    if (!svg.ok()) {
      return Fail("lineage", svg.status().message() +
                                 "; or use --format dot and render the graph elsewhere");
    }
    text = std::move(*svg);
  } else {
    std::ostringstream out;
    TreePrinter(*report).Print(o.lot, out);
    text = out.str();
  }
  if (Status st = WriteOutput(o.output, text); !st.ok()) return Fail("lineage", st.message());
  if (!report->valid) {
    std::cerr << "retrace lineage: note: the lineage has " << report->findings.size()
              << " finding(s); run `retrace verify` for the report\n";
  }
  return kExitOk;
}

}  // namespace

Command AddLineageCommand(CLI::App& app) {
  auto o = std::make_shared<LineageOptions>();
  CLI::App* sub = app.add_subcommand(
      "lineage",
      "Print the lots a lot was made from, back to the mines (text tree, json, dot, svg)");
  AddDbOption(sub, o->db);
  sub->add_option("lot", o->lot, "Lot id")->required();
  sub->add_option("--format", o->format,
                  "text, json (schema retrace.lineage/v1), dot (Graphviz source) or svg (drawn by "
                  "Graphviz's dot, which must be installed)")
      ->check(CLI::IsMember({"text", "json", "dot", "svg"}))
      ->capture_default_str();
  sub->add_option("--output,-o", o->output, "Write to this file instead of standard output");
  SetHelpFooter(sub, {"printed (a lineage with findings too: a note on standard error says so; "
                      "run verify for the verdict)", "",
                      "usage error, unknown lot, unreadable ledger, Graphviz missing (svg), or "
                      "an output file that cannot be written"});
  return {sub, [o] { return RunLineage(*o); }};
}

}  // namespace retrace::cli
