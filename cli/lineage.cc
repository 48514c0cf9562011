// retrace lineage: the DAG of lots a lot was made from, back to extraction.
//
// The lineage is a DAG (splits and merges), printed as a tree: a lot reached
// a second time is printed once more as "(see above)" instead of repeating
// its whole subtree, so the output stays linear in the DAG's size.
#include <iostream>
#include <map>
#include <set>

#include "common.h"

namespace retrace::cli {
namespace {

struct LineageOptions {
  std::string db;
  std::string lot;
  std::string format = "text";
};

std::string Describe(const LineageLot& l) {
  std::string s = l.lot_id + "  " + MaterialClassName(l.material) + ", " + FormatMass(l.mass_g) +
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
  s += l.created_by + " (record " + std::to_string(l.created_seq) + "), ";
  if (l.status == "held") {
    s += "held by " + l.custodian;
  } else if (l.status == "in_transit") {
    s += "in transit from " + l.custodian;
  } else if (l.status == "exported" || l.status == "consumed") {
    s += l.status + " by " + l.custodian;
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
    return it == lots_.end() ? id + "  (not in the report)" : Describe(*it->second);
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
        out << e.input_lot << " (see above)\n";
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

std::string DotQuote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

void PrintDot(const VerifyReport& r, std::ostream& out) {
  out << "digraph lineage {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n";
  for (const LineageLot& l : r.lots) {
    std::string label = l.lot_id + "\\n" + MaterialClassName(l.material) + ", " +
                        FormatMass(l.mass_g) + "\\n" +
                        (l.is_origin ? (l.origin_kind.empty() ? "mine" : l.origin_kind) + " " : "") +
                        l.created_by;
    out << "  " << DotQuote(l.lot_id) << " [label=\"" << label << "\"";
    if (l.is_origin) out << ", style=filled, fillcolor=\"#e8d8b0\"";
    if (l.lot_id == r.lot_id) out << ", penwidth=2";
    out << "];\n";
  }
  for (const LineageEdge& e : r.edges) {
    out << "  " << DotQuote(e.input_lot) << " -> " << DotQuote(e.output_lot) << " [label=\""
        << FormatMass(e.consumed_g) << "\"];\n";
  }
  out << "}\n";
}

nlohmann::json LineageJson(const VerifyReport& r) {
  nlohmann::json lots = nlohmann::json::array();
  for (const LineageLot& l : r.lots) {
    nlohmann::json content = nlohmann::json::array();
    for (const ElementMass& em : l.content) {
      content.push_back({{"element", ElementSymbol(em.element)}, {"grams", em.grams}});
    }
    lots.push_back({{"lot_id", l.lot_id},
                    {"material", MaterialClassName(l.material)},
                    {"mass_g", l.mass_g},
                    {"rare_earth_g", l.rare_earth_g},
                    {"content", content},
                    {"created_seq", l.created_seq},
                    {"created_by", l.created_by},
                    {"creator_role", RoleName(l.creator_role)},
                    {"custodian", l.custodian},
                    {"status", l.status},
                    {"remaining_g", l.remaining_g},
                    {"is_origin", l.is_origin},
                    {"origin_kind", l.origin_kind},
                    {"record_seqs", l.record_seqs}});
  }
  nlohmann::json edges = nlohmann::json::array();
  for (const LineageEdge& e : r.edges) {
    edges.push_back({{"input_lot", e.input_lot},
                     {"output_lot", e.output_lot},
                     {"consumed_g", e.consumed_g},
                     {"seq", e.seq}});
  }
  return {{"schema", "retrace.lineage/v1"}, {"lot_id", r.lot_id}, {"lots", lots},
          {"edges", edges}, {"valid", r.valid}, {"findings", r.findings.size()}};
}

int RunLineage(const LineageOptions& o) {
  Result<std::unique_ptr<Ledger>> ledger = OpenLedger(o.db, true);
  if (!ledger.ok()) return Fail("lineage", ledger.status().ToString());
  Result<VerifyReport> report = (*ledger)->VerifyLot(o.lot);
  if (!report.ok()) {
    return Fail("lineage", "cannot trace lot " + o.lot + ": " + report.status().ToString());
  }
  if (o.format == "json") {
    std::cout << LineageJson(*report).dump(2) << "\n";
  } else if (o.format == "dot") {
    PrintDot(*report, std::cout);
  } else {
    TreePrinter(*report).Print(o.lot, std::cout);
  }
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
      "lineage", "Print the lots a lot was made from, back to the mines (text tree, json, dot)");
  sub->add_option("--db", o->db, "Ledger directory")->required();
  sub->add_option("lot", o->lot, "Lot id")->required();
  sub->add_option("--format", o->format, "text, json or dot (Graphviz)")
      ->check(CLI::IsMember({"text", "json", "dot"}))
      ->capture_default_str();
  sub->footer(kExitFooter);
  return {sub, [o] { return RunLineage(*o); }};
}

}  // namespace retrace::cli
