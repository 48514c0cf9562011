// retrace append: sign and append events given as JSON (the protobuf JSON
// mapping of retrace.v1.Event), one document or JSON Lines.
//
// What the CLI fills in, so that a hand-written or ERP-exported event needs
// only its business content: event_id (random when empty), time (now when
// unset), actor_id (from --actor when empty), ledger id and unset parent
// hashes (to the ledger, or to an earlier line that moves the lot). The
// events go to Ledger::SignAndAppend, which signs them with the key and
// appends them in one transaction, so a file is appended completely or not
// at all. With --batch-sign the key signs the Merkle root of each run of
// lines that do not move each other's lots once (docs/data-model.md, "Batch
// signatures").
#include <iostream>
#include <regex>
#include <sstream>

#include "common.h"
#include "retrace/signer.h"

namespace retrace::cli {
namespace {

struct AppendOptions {
  std::string db;
  std::string key;
  std::string file;
  std::string input;
  std::string actor;
  std::string regulatory = "reject";
  std::int64_t max_clock_skew = Options().max_clock_skew_seconds;
  bool jsonl = false;
  bool batch_sign = false;
};

struct Item {
  std::string label;  // "line 3" or the input name
  std::string json;
  Event event;
};

// AppendBatch names the index of the refused event in its message; turn it
// into the line number the user knows.
std::string NameLine(const std::string& message, const std::vector<Item>& items) {
  static const std::regex kIndex(R"((?:index|event|#)\s*(\d+))");
  std::smatch m;
  if (std::regex_search(message, m, kIndex)) {
    std::size_t i = std::stoul(m[1].str());
    if (i < items.size()) return items[i].label + ": " + message;
  }
  return message;
}

int RunAppend(const AppendOptions& o) {
  const char* cmd = "append";
  std::string source = "-";
  if (!o.file.empty() && !o.input.empty() && o.file != o.input) {
    return Fail(cmd, "give the input either as --file or as an argument, not both; nothing was "
                     "appended");
  }
  if (!o.file.empty()) source = o.file;
  if (!o.input.empty()) source = o.input;

  Result<std::unique_ptr<Signer>> signer = Signer::LoadPrivateKeyFile(o.key);
  if (!signer.ok()) {
    return Fail(cmd, "cannot load the key " + Shown(o.key) + ": " + signer.status().ToString() +
                         "; nothing was appended");
  }
  Result<std::string> text = ReadInput(source);
  if (!text.ok()) return Fail(cmd, text.status().ToString() + "; nothing was appended");

  std::vector<Item> items;
  const std::string name = source == "-" ? "standard input" : Shown(source);
  if (o.jsonl) {
    std::istringstream lines(*text);
    std::string line;
    for (int n = 1; std::getline(lines, line); ++n) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      items.push_back({name + " line " + std::to_string(n), line, {}});
    }
  } else if (text->find_first_not_of(" \t\r\n") != std::string::npos) {
    items.push_back({name, *text, {}});
  }
  if (items.empty()) return Fail(cmd, "no event in " + name + "; nothing was appended");

  Result<std::unique_ptr<Ledger>> ledger =
      OpenLedger(o.db, false, ParseRegulatoryMode(o.regulatory), o.max_clock_skew);
  if (!ledger.ok()) return Fail(cmd, ledger.status().ToString() + "; nothing was changed");
  Ledger& l = **ledger;
  auto refuse = [&](const std::string& what) { return Fail(cmd, Refusal(what, l)); };

  std::vector<Event> events;
  for (Item& item : items) {
    Result<Event> ev = EventFromJson(item.json);
    if (!ev.ok()) return refuse(item.label + ": " + ev.status().ToString());
    if (ev->actor_id.empty()) ev->actor_id = o.actor;
    if (ev->actor_id.empty()) {
      return refuse(item.label + ": the event has no actorId; set it or pass --actor");
    }
    if (!o.actor.empty() && ev->actor_id != o.actor) {
      return refuse(item.label + ": the event's actorId is " + Shown(ev->actor_id) +
                    " but --actor is " + Shown(o.actor));
    }
    FillEventDefaults(&*ev);
    item.event = *ev;
    events.push_back(std::move(*ev));
  }
  // The ledger links, signs and appends (Ledger::SignAndAppend): a line may
  // move a lot an earlier line creates or moves.
  SignAndAppendOptions options;
  options.batch_signature = o.batch_sign;
  Result<std::vector<AppendResult>> at = l.SignAndAppend(events, **signer, options);
  if (!at.ok()) {
    if (items.size() == 1) return refuse(items[0].label + ": " + at.status().ToString());
    return refuse(NameLine(at.status().ToString(), items));
  }
  const std::vector<AppendResult>& results = *at;
  for (std::size_t i = 0; i < results.size() && i < items.size(); ++i) {
    std::cout << "appended seq " << results[i].seq << " hash " << HashToHex(results[i].hash)
              << " (" << EventKindName(items[i].event.body) << " "
              << Shown(items[i].event.event_id) << " by " << Shown(items[i].event.actor_id)
              << ")\n";
    // --regulatory flag: the record is kept and every lineage it reaches
    // reports the violation; say so where the operator looks.
    for (const Finding& f : results[i].flagged) {
      std::cout << "  FLAGGED [" << f.code << "] " << internal::SanitizeMessage(f.message)
                << "\n";
    }
  }
  return kExitOk;
}

}  // namespace

Command AddAppendCommand(CLI::App& app) {
  auto o = std::make_shared<AppendOptions>();
  CLI::App* sub = app.add_subcommand(
      "append", "Sign and append events given as JSON (protobuf JSON mapping of retrace.v1.Event)");
  AddDbOption(sub, o->db);
  sub->add_option("--key", o->key, "The signing actor's private key (PEM, mode 0600)")
      ->required();
  sub->add_option("--file,-f", o->file, "Read the event(s) from this file; - for standard input");
  sub->add_option("input", o->input, "Same as --file (- for standard input, the default)");
  sub->add_option("--actor", o->actor, "Actor id for events without actorId");
  sub->add_flag("--jsonl", o->jsonl,
                "JSON Lines: one event per line, appended all or nothing in one batch");
  sub->add_flag("--batch-sign", o->batch_sign,
                "Sign the Merkle root of the events once (a batch signature; a new one where a "
                "line moves a lot an earlier line moves) instead of each event; all must be "
                "the key's actor's");
  AddRegulatoryOption(sub, o->regulatory);
  AddClockSkewOption(sub, o->max_clock_skew);
  SetHelpFooter(sub,
                {"every event was appended (with --regulatory flag, a violation is FLAGGED "
                 "and kept)",
                 "",
                 "usage error, unreadable key or input, malformed event, or the ledger refused "
                 "an event (nothing was appended)"},
                "The CLI fills eventId (random) and time (now) when absent, the ledger id and "
                "unset parent hashes (from the ledger, or from an earlier line that moves the "
                "lot). Examples: docs/cli.md.");
  return {sub, [o] { return RunAppend(*o); }};
}

}  // namespace retrace::cli
