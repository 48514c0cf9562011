// Lineage pictures (DOT and built-in SVG) and the custody timeline.
//
// The built-in SVG layout is a layered drawing whose layers are fixed by
// the material class (the compliance officer's mental model: mine ->
// separator -> smelter -> magnet maker), so no rank assignment is needed;
// within a column lots are ordered by the barycentre of the lots they were
// made from (one left-to-right sweep), which removes most crossings in the
// tree-like DAGs a lineage forms.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include "render/render_util.h"
#include "retrace/render.h"
#include "util/status_macros.h"

namespace retrace {
namespace internal {

int StageColumn(MaterialClass m) {
  switch (m) {
    case MaterialClass::kOreConcentrate: return 0;
    case MaterialClass::kMixedCompound: return 1;
    case MaterialClass::kSeparatedOxide: return 2;
    case MaterialClass::kMetalAlloy: return 3;
    case MaterialClass::kMagnet: return 4;
    case MaterialClass::kOther: return 5;
    case MaterialClass::kUnspecified: return 6;
  }
  return 6;
}

const char* LotFill(const LineageLot& l) {
  if (l.is_origin) {
    if (l.origin_kind == "recycled") return "#b9dfb0";
    if (l.origin_kind == "imported") return "#b3cde8";
    return "#ecd9a8";  // mine
  }
  switch (l.material) {
    case MaterialClass::kSeparatedOxide: return "#f4f1ea";
    case MaterialClass::kMetalAlloy: return "#e9ecef";
    case MaterialClass::kMagnet: return "#e6e1f0";
    default: return "#ffffff";
  }
}

const char* OriginKind(const LineageLot& l) {
  if (l.origin_kind == "recycled") return "recycled";
  if (l.origin_kind == "imported") return "imported";
  return "mine";
}

FindingIndex::FindingIndex(const VerifyReport& r) {
  for (const Finding& f : r.findings) {
    if (!f.lot_id.empty()) lots.insert(f.lot_id);
    seqs.insert(f.seq);
  }
}

bool FindingIndex::LotFlagged(const LineageLot& l) const {
  if (lots.count(l.lot_id)) return true;
  for (std::uint64_t s : l.record_seqs) {
    if (seqs.count(s)) return true;
  }
  return false;
}

}  // namespace internal

using internal::XmlEscape;

std::string FormatGrams(std::uint64_t grams) {
  auto frac = [](std::uint64_t v) {
    std::string s = std::to_string(v);
    return std::string(3 - std::min<std::size_t>(3, s.size()), '0') + s;
  };
  if (grams >= 1000000) {
    return std::to_string(grams / 1000000) + "." + frac(grams % 1000000 / 1000) + " t";
  }
  if (grams >= 1000) return std::to_string(grams / 1000) + "." + frac(grams % 1000) + " kg";
  return std::to_string(grams) + " g";
}

namespace {

std::string DotQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out + "\"";
}

// Box height grows with log10(mass): 1 g -> 0, 1000 t -> 1.
double MassScale(std::uint64_t grams) {
  double s = std::log10(static_cast<double>(grams) + 1.0) / 9.0;
  return std::clamp(s, 0.0, 1.0);
}

std::string Summary(const Event& ev) {
  std::ostringstream s;
  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, Extracted>) {
          s << "extracted " << b.lot.lot_id << " (" << FormatGrams(b.lot.mass_g) << ")";
          if (!b.site.empty()) s << " at " << b.site;
          if (!b.licence.empty()) s << " under licence " << b.licence;
        } else if constexpr (std::is_same_v<T, Shipped>) {
          s << "shipped " << b.lot_id << " (" << FormatGrams(b.mass_g) << ") to "
            << b.to_actor_id;
        } else if constexpr (std::is_same_v<T, Received>) {
          s << "received " << b.lot_id << " (" << FormatGrams(b.mass_g) << ") from "
            << b.from_actor_id;
        } else if constexpr (std::is_same_v<T, Transformed>) {
          s << (b.process.empty() ? std::string("transformed") : b.process) << ": ";
          for (std::size_t i = 0; i < b.inputs.size(); ++i) {
            s << (i ? ", " : "") << FormatGrams(b.inputs[i].consumed_g) << " of "
              << b.inputs[i].lot_id;
          }
          for (const Additive& a : b.additives) s << " + " << FormatGrams(a.mass_g) << " " << a.material;
          s << " -> ";
          for (std::size_t i = 0; i < b.outputs.size(); ++i) {
            s << (i ? ", " : "") << b.outputs[i].lot_id << " (" << FormatGrams(b.outputs[i].mass_g)
              << ")";
          }
          if (b.declared_loss_g) s << "; loss " << FormatGrams(b.declared_loss_g);
        } else if constexpr (std::is_same_v<T, Exported>) {
          s << "exported " << b.lot_id << " (" << FormatGrams(b.mass_g) << ")";
          if (!b.destination_country.empty()) s << " to " << b.destination_country;
          if (!b.customs_declaration.empty()) s << ", customs declaration " << b.customs_declaration;
        } else if constexpr (std::is_same_v<T, Recycled>) {
          s << "recycled " << b.lot.lot_id << " (" << FormatGrams(b.lot.mass_g) << ")";
          if (!b.source.empty()) s << " from " << b.source;
          for (const Additive& a : b.scrap) s << "; scrap " << FormatGrams(a.mass_g) << " " << a.material;
        } else if constexpr (std::is_same_v<T, Imported>) {
          s << "imported " << b.lot.lot_id << " (" << FormatGrams(b.lot.mass_g) << ")";
          if (!b.origin_country.empty()) s << " from " << b.origin_country;
          if (!b.customs_declaration.empty()) s << " under customs declaration " << b.customs_declaration;
        } else if constexpr (std::is_same_v<T, ActorRegistered>) {
          s << "registered " << b.actor_id << " as " << RoleName(b.role);
        } else if constexpr (std::is_same_v<T, QuotaGranted>) {
          s << "granted " << b.actor_id << " a " << QuotaKindName(b.kind) << " quota of "
            << FormatGrams(b.reo_g) << " REO for " << b.year;
        } else if constexpr (std::is_same_v<T, PolicySet>) {
          s << "set the stage policy " << b.name;
        } else if constexpr (std::is_same_v<T, KeyRotated>) {
          s << "rotated the key of " << b.actor_id;
        } else if constexpr (std::is_same_v<T, KeyRevoked>) {
          s << "revoked key " << b.key_id << " from record " << b.effective_seq;
          if (!b.reason.empty()) s << ": " << b.reason;
        } else if constexpr (std::is_same_v<T, Reversed>) {
          s << "reversed record " << b.seq;
          if (!b.lot_ids.empty()) {
            s << " (lot" << (b.lot_ids.size() > 1 ? "s " : " ");
            for (std::size_t i = 0; i < b.lot_ids.size(); ++i) s << (i ? ", " : "") << b.lot_ids[i];
            s << ")";
          }
          if (!b.reason.empty()) s << ": " << b.reason;
        } else {
          s << "genesis of ledger " << b.name;
        }
      },
      ev.body);
  return s.str();
}

}  // namespace

Result<std::vector<CustodyStep>> CustodyTimeline(const Ledger& ledger,
                                                 const VerifyReport& report) {
  std::map<std::uint64_t, std::set<std::string>> seqs;  // seq -> lineage lots
  for (const LineageLot& l : report.lots) {
    for (std::uint64_t s : l.record_seqs) seqs[s].insert(l.lot_id);
  }
  std::vector<CustodyStep> out;
  out.reserve(seqs.size());
  for (const auto& [seq, lots] : seqs) {
    CustodyStep step;
    step.seq = seq;
    step.lots.assign(lots.begin(), lots.end());
    Result<Record> rec = ledger.ReadRecord(seq);
    if (!rec.ok()) {
      if (rec.status().code() != StatusCode::kCorruption) return rec.status();
      step.readable = false;
      step.summary = "record " + std::to_string(seq) + " cannot be read: " + rec.status().message();
      out.push_back(std::move(step));
      continue;
    }
    Result<Event> ev = DecodeEvent(rec->event_bytes);
    if (!ev.ok()) {
      step.readable = false;
      step.summary = "the event of record " + std::to_string(seq) +
                     " does not decode: " + ev.status().message();
      out.push_back(std::move(step));
      continue;
    }
    step.time = ev->time;
    step.kind = EventKindName(ev->body);
    step.actor_id = ev->actor_id;
    step.event_id = ev->event_id;
    step.summary = Summary(*ev);
    step.references = ev->references;
    out.push_back(std::move(step));
  }
  return out;
}

std::string LineageToDot(const VerifyReport& r) {
  internal::FindingIndex flagged(r);
  std::ostringstream out;
  out << "digraph lineage {\n"
      << "  rankdir=LR; nodesep=0.25; ranksep=1.1;\n"
      << "  label=" << DotQuote("Lineage of " + r.lot_id + (r.valid ? " (valid)" : " (INVALID)"))
      << "; labelloc=t; fontname=\"Helvetica\";\n"
      << "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10, "
         "fillcolor=\"#ffffff\"];\n"
      << "  edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\"];\n";
  std::map<int, std::vector<const LineageLot*>> columns;
  for (const LineageLot& l : r.lots) columns[internal::StageColumn(l.material)].push_back(&l);
  for (const auto& [col, lots] : columns) {
    out << "  { rank=same; // " << MaterialClassName(lots.front()->material) << "\n";
    for (const LineageLot* l : lots) {
      std::string label = l->lot_id + "\n" + MaterialClassName(l->material) + ", " +
                          FormatGrams(l->mass_g) + "\nRE " + FormatGrams(l->rare_earth_g) + "\n" +
                          (l->is_origin ? std::string(internal::OriginKind(*l)) + " " : "") +
                          l->created_by;
      double scale = MassScale(l->mass_g);
      out << "    " << DotQuote(l->lot_id) << " [label=" << DotQuote(label)
          << ", height=" << std::to_string(0.5 + 0.9 * scale).substr(0, 4)
          << ", width=" << std::to_string(1.6 + 0.8 * scale).substr(0, 4) << ", fillcolor=\""
          << internal::LotFill(*l) << "\"";
      if (flagged.LotFlagged(*l)) {
        out << ", color=\"" << internal::kFindingRed << "\", penwidth=2.5";
      } else if (l->lot_id == r.lot_id) {
        out << ", penwidth=2.5";
      }
      out << ", tooltip=" << DotQuote(l->status + (l->custodian.empty() ? "" : " at " + l->custodian))
          << "];\n";
    }
    out << "  }\n";
  }
  for (const LineageEdge& e : r.edges) {
    out << "  " << DotQuote(e.input_lot) << " -> " << DotQuote(e.output_lot)
        << " [label=" << DotQuote(FormatGrams(e.consumed_g));
    if (flagged.seqs.count(e.seq)) out << ", color=\"" << internal::kFindingRed << "\", penwidth=2";
    out << "];\n";
  }
  out << "}\n";
  return out.str();
}

std::string LineageToSvg(const VerifyReport& r) {
  internal::FindingIndex flagged(r);
  constexpr double kBoxW = 170, kColGap = 90, kRowGap = 18, kMargin = 20, kTop = 56;
  // Columns present, in stage order.
  std::map<int, std::vector<const LineageLot*>> columns;
  std::map<std::string, const LineageLot*> by_id;
  for (const LineageLot& l : r.lots) {
    columns[internal::StageColumn(l.material)].push_back(&l);
    by_id[l.lot_id] = &l;
  }
  std::map<std::string, std::vector<const LineageEdge*>> inputs_of;
  for (const LineageEdge& e : r.edges) inputs_of[e.output_lot].push_back(&e);

  struct Box {
    double x = 0, y = 0, h = 0;
  };
  std::map<std::string, Box> boxes;
  double height = 0;
  int ci = 0;
  for (auto& [col, lots] : columns) {
    // Order by barycentre of inputs already placed; ties by creation.
    std::map<const LineageLot*, double> key;
    for (const LineageLot* l : lots) {
      double sum = 0;
      int n = 0;
      for (const LineageEdge* e : inputs_of[l->lot_id]) {
        auto it = boxes.find(e->input_lot);
        if (it != boxes.end()) {
          sum += it->second.y + it->second.h / 2;
          ++n;
        }
      }
      key[l] = n ? sum / n : static_cast<double>(l->created_seq);
    }
    std::stable_sort(lots.begin(), lots.end(), [&](const LineageLot* a, const LineageLot* b) {
      if (key[a] != key[b]) return key[a] < key[b];
      return a->created_seq < b->created_seq;
    });
    double y = kTop;
    for (const LineageLot* l : lots) {
      Box b;
      b.x = kMargin + ci * (kBoxW + kColGap);
      b.h = 44 + 40 * MassScale(l->mass_g);
      b.y = y;
      y += b.h + kRowGap;
      boxes[l->lot_id] = b;
    }
    height = std::max(height, y);
    ++ci;
  }
  const double width =
      std::max(640.0, kMargin * 2 + std::max(1, ci) * (kBoxW + kColGap) - kColGap);
  height += 64;  // legend

  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"lineage\" width=\"" << width
    << "\" height=\"" << height << "\" viewBox=\"0 0 " << width << " " << height
    << "\" font-family=\"Helvetica, Arial, sans-serif\" role=\"img\" aria-label=\"Lineage of "
    << XmlEscape(r.lot_id) << "\">\n";
  s << "<title>Lineage of " << XmlEscape(r.lot_id) << "</title>\n";
  s << "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" "
       "markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" "
       "fill=\"#666\"/></marker><marker id=\"arrow-red\" viewBox=\"0 0 10 10\" refX=\"10\" "
       "refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path "
       "d=\"M0,0 L10,5 L0,10 z\" fill=\""
    << internal::kFindingRed << "\"/></marker></defs>\n";
  // Column headings.
  ci = 0;
  for (const auto& [col, lots] : columns) {
    double x = kMargin + ci * (kBoxW + kColGap) + kBoxW / 2;
    s << "<text x=\"" << x << "\" y=\"30\" text-anchor=\"middle\" font-size=\"13\" "
         "font-weight=\"bold\" fill=\"#333\">"
      << XmlEscape(MaterialClassName(lots.front()->material)) << "</text>\n";
    ++ci;
  }
  // Edges first, under the boxes.
  for (const LineageEdge& e : r.edges) {
    auto a = boxes.find(e.input_lot);
    auto b = boxes.find(e.output_lot);
    if (a == boxes.end() || b == boxes.end()) continue;
    bool red = flagged.seqs.count(e.seq) > 0;
    double x1 = a->second.x + kBoxW, y1 = a->second.y + a->second.h / 2;
    double x2 = b->second.x, y2 = b->second.y + b->second.h / 2;
    std::ostringstream path;
    double lx, ly;
    if (x2 > x1) {
      double mx = (x1 + x2) / 2;
      path << "M" << x1 << "," << y1 << " C" << mx << "," << y1 << " " << mx << "," << y2 << " "
           << x2 << "," << y2;
      lx = mx;
      ly = (y1 + y2) / 2 - 4;
    } else {  // same column or backwards: loop around the right side
      double rx = std::max(x1, b->second.x + kBoxW) + 40;
      double tx = b->second.x + kBoxW;
      path << "M" << x1 << "," << y1 << " C" << rx << "," << y1 << " " << rx << "," << y2 << " "
           << tx << "," << y2;
      lx = rx - 10;
      ly = (y1 + y2) / 2;
    }
    s << "<path class=\"edge" << (red ? " finding" : "") << "\" d=\"" << path.str()
      << "\" fill=\"none\" stroke=\"" << (red ? internal::kFindingRed : "#888")
      << "\" stroke-width=\"" << (red ? 2.5 : 1.4) << "\" marker-end=\"url(#"
      << (red ? "arrow-red" : "arrow") << ")\"/>\n";
    s << "<text class=\"edge-label\" x=\"" << lx << "\" y=\"" << ly
      << "\" text-anchor=\"middle\" font-size=\"10\" fill=\""
      << (red ? internal::kFindingRed : "#444") << "\" paint-order=\"stroke\" stroke=\"#fff\" "
      << "stroke-width=\"3\">" << XmlEscape(FormatGrams(e.consumed_g)) << "</text>\n";
  }
  for (const LineageLot& l : r.lots) {
    const Box& b = boxes[l.lot_id];
    bool red = flagged.LotFlagged(l);
    bool target = l.lot_id == r.lot_id;
    s << "<g class=\"lot" << (l.is_origin ? " origin" : "") << (red ? " finding" : "")
      << (target ? " target" : "") << "\" data-lot=\"" << XmlEscape(l.lot_id) << "\">\n";
    s << "<title>" << XmlEscape(l.lot_id + ": " + MaterialClassName(l.material) + ", " +
                                FormatGrams(l.mass_g) + ", " + l.status +
                                (l.custodian.empty() ? "" : " at " + l.custodian) + "; created by " +
                                l.created_by + " (record " + std::to_string(l.created_seq) + ")")
      << "</title>\n";
    s << "<rect x=\"" << b.x << "\" y=\"" << b.y << "\" width=\"" << kBoxW << "\" height=\""
      << b.h << "\" rx=\"6\" fill=\"" << internal::LotFill(l) << "\" stroke=\""
      << (red ? internal::kFindingRed : "#444") << "\" stroke-width=\""
      << (red || target ? 3 : 1.2) << "\"/>\n";
    double ty = b.y + 17;
    s << "<text x=\"" << b.x + 8 << "\" y=\"" << ty
      << "\" font-size=\"12\" font-weight=\"bold\" fill=\"#111\">" << XmlEscape(l.lot_id)
      << "</text>\n";
    s << "<text x=\"" << b.x + 8 << "\" y=\"" << ty + 15 << "\" font-size=\"10\" fill=\"#333\">"
      << XmlEscape(FormatGrams(l.mass_g) + " · RE " + FormatGrams(l.rare_earth_g)) << "</text>\n";
    if (b.h >= 56) {
      s << "<text x=\"" << b.x + 8 << "\" y=\"" << ty + 29 << "\" font-size=\"10\" fill=\"#555\">"
        << XmlEscape((l.is_origin ? std::string(internal::OriginKind(l)) + " " : std::string()) +
                     l.created_by)
        << "</text>\n";
    }
    s << "</g>\n";
  }
  // Legend.
  double ly = height - 40;
  struct Item {
    const char* fill;
    const char* stroke;
    const char* text;
  };
  const Item legend[] = {{"#ecd9a8", "#444", "origin: mine"},
                         {"#b9dfb0", "#444", "origin: recycled"},
                         {"#b3cde8", "#444", "origin: imported"},
                         {"#ffffff", internal::kFindingRed, "named by a finding"}};
  double lx = kMargin;
  for (const Item& it : legend) {
    s << "<rect x=\"" << lx << "\" y=\"" << ly << "\" width=\"14\" height=\"14\" rx=\"3\" fill=\""
      << it.fill << "\" stroke=\"" << it.stroke << "\" stroke-width=\"1.5\"/>"
      << "<text x=\"" << lx + 20 << "\" y=\"" << ly + 11 << "\" font-size=\"11\" fill=\"#333\">"
      << it.text << "</text>\n";
    lx += 150;
  }
  s << "<text x=\"" << kMargin << "\" y=\"" << ly + 32
    << "\" font-size=\"10\" fill=\"#666\">Box height grows with the lot's mass; arrows carry the "
       "mass consumed.</text>\n";
  s << "</svg>\n";
  return s.str();
}

}  // namespace retrace
