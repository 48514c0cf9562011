// retrace compare: compare another party's checkpoints of a sender ledger
// (its `retrace foreign-checkpoints` export) with those this ledger holds. Two
// checkpoints of equal size and different roots, both signed by the sender's
// log key, are a split view; both signed notes are printed as the evidence
// (docs/federation.md, "Split views"). With --sender-log, checkpoints of
// different sizes are compared too, through the tiles the sender publishes.
#include <iostream>
#include <nlohmann/json.hpp>

#include "common.h"
#include "retrace/federation.h"
#include "retrace/mirror.h"

namespace retrace::cli {
namespace {

struct CompareOptions {
  std::string db;
  std::string with;
  std::string sender_log;
  std::string format = "text";
};

int RunCompare(const CompareOptions& o) {
  const char* cmd = "compare";
  Result<std::string> text = ReadInput(o.with);
  if (!text.ok()) return Fail(cmd, text.status().ToString());
  nlohmann::json in = nlohmann::json::parse(*text, nullptr, false);
  if (in.is_discarded() || !in.is_object() || in.value("schema", "") != "retrace.foreign-checkpoints/v1" ||
      !in.contains("origin") || !in["origin"].is_string() || !in.contains("checkpoints") ||
      !in["checkpoints"].is_array()) {
    return Fail(cmd, "--with: not a retrace.foreign-checkpoints/v1 document");
  }
  std::vector<std::string> theirs;
  for (const auto& n : in["checkpoints"]) {
    if (!n.is_string()) return Fail(cmd, "--with: a checkpoint is not a string");
    theirs.push_back(n.get<std::string>());
  }
  const std::string origin = in["origin"].get<std::string>();
  Result<std::unique_ptr<Ledger>> ledger = OpenLedger(o.db, true);
  if (!ledger.ok()) return Fail(cmd, ledger.status().ToString());
  PrefixRootReader reader;
  if (!o.sender_log.empty()) {
    reader = [&o](const Checkpoint& larger, std::uint64_t size) -> Result<Hash> {
      Result<PublishedPrefix> p = ReadPublishedPrefix(o.sender_log, larger, size);
      if (!p.ok()) return p.status();
      return p->root;
    };
  }
  Result<CheckpointComparison> r = CompareForeignCheckpoints(**ledger, origin, theirs, reader);
  if (!r.ok()) return Fail(cmd, r.status().ToString());
  if (o.format == "json") {
    std::cout << CheckpointComparisonToJson(*r) << "\n";
  } else {
    // The notes whole (the evidence), each line escaped, none elided.
    auto print_note = [](const std::string& note) {
      std::size_t at = 0;
      while (at < note.size()) {
        std::size_t nl = note.find('\n', at);
        if (nl == std::string::npos) nl = note.size();
        std::cout << "  " << internal::EscapeForDisplay(std::string_view(note).substr(at, nl - at), 0)
                  << "\n";
        at = nl + 1;
      }
    };
    for (const SplitView& v : r->split_views) {
      if (v.size == v.their_size) {
        std::cout << "[split_view] " << Shown(v.origin) << " signed two checkpoints of size "
                  << v.size << " with different roots.\n--- ours\n";
      } else {
        std::cout << "[split_view] " << Shown(v.origin) << " signed checkpoints of sizes "
                  << v.size << " (ours) and " << v.their_size
                  << " (theirs) whose trees disagree: the smaller is not a prefix of the larger, "
                  << "as the larger's published tiles show.\n--- ours\n";
      }
      print_note(v.ours);
      std::cout << "--- theirs\n";
      print_note(v.theirs);
    }
    if (r->unverified > 0) {
      std::cout << r->unverified << " of their checkpoint(s) are not signed by the log key this "
                << "ledger trusts for " << Shown(origin) << ": ignored\n";
    }
    if (r->unproven > 0) {
      std::cout << r->unproven << " of their checkpoint(s) are of sizes this ledger does not hold "
                << (o.sender_log.empty() ? std::string("(give --sender-log to compare them)")
                                         : "and could not be compared through " +
                                               Shown(o.sender_log))
                << "\n";
    }
    std::cout << "compared " << r->compared << " checkpoint(s) of " << Shown(origin) << "\n";
    std::cout << (r->split_views.empty() ? "CONSISTENT" : "SPLIT_VIEW") << "\n";
  }
  return r->split_views.empty() ? kExitOk : kExitFindings;
}

}  // namespace

Command AddCompareCommand(CLI::App& app) {
  auto o = std::make_shared<CompareOptions>();
  CLI::App* sub = app.add_subcommand(
      "compare",
      "Compare another party's checkpoints of a sender ledger with those this ledger holds: "
      "a split view is proven by two signed checkpoints of one size and different roots");
  AddDbOption(sub, o->db);
  sub->add_option("--with", o->with,
                  "The other party's `retrace foreign-checkpoints` output (- for stdin)")
      ->required();
  sub->add_option("--sender-log", o->sender_log,
                  "The tiles the sender publishes (a directory or an http(s) URL): compare "
                  "checkpoints of different sizes too");
  sub->add_option("--format", o->format, "text or json (schema retrace.compare/v1)")
      ->check(CLI::IsMember({"text", "json"}));
  SetHelpFooter(sub,
                {"CONSISTENT: no two checkpoints compared disagree (the last line)",
                 "SPLIT_VIEW: the sender signed two histories; both notes are printed",
                 "usage error, an unreadable ledger or document, or a sender this ledger's "
                 "policy does not trust"},
                "Without --sender-log, checkpoints of different sizes are not compared: "
                "docs/federation.md.");
  return {sub, [o] { return RunCompare(*o); }};
}

}  // namespace retrace::cli
