// retrace export-epcis / import-epcis: GS1 EPCIS 2.0 (JSON-LD) interchange
// (docs/epcis.md).
//
// import-epcis signs each event with its actor's key from --keys DIR
// (<actor>.key, as `retrace demo` and `keygen` write them) and appends the
// whole document in one batch: all of it or nothing. Events of the document
// may depend on each other (a shipment of a lot the same document creates):
// EventBatch links them.
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "common.h"
#include "retrace/epcis.h"
#include "retrace/event_batch.h"

namespace retrace::cli {
namespace {

struct ExportOptions {
  std::string db;
  std::string lot;
  std::int64_t from = -1;
  std::int64_t to = -1;
  std::string output = "-";
  bool compact = false;
};

int RunExport(const ExportOptions& o) {
  const char* cmd = "export-epcis";
  const bool range = o.from >= 0 || o.to >= 0;
  if (range == !o.lot.empty()) {
    return Fail(cmd, "give either a LOT or --from SEQ [--to SEQ]");
  }
  Result<std::unique_ptr<Ledger>> ledger = OpenLedger(o.db, true);
  if (!ledger.ok()) return Fail(cmd, ledger.status().ToString());
  EpcisExportOptions options;
  options.indent = o.compact ? -1 : 2;
  Result<std::string> doc = InternalError("unset");
  if (range) {
    Result<LedgerInfo> info = (*ledger)->Info();
    if (!info.ok()) return Fail(cmd, info.status().ToString());
    std::uint64_t from = o.from < 0 ? 0 : static_cast<std::uint64_t>(o.from);
    std::uint64_t to = o.to < 0 ? (info->size ? info->size - 1 : 0) : static_cast<std::uint64_t>(o.to);
    doc = ExportEpcisRange(**ledger, from, to, options);
  } else {
    doc = ExportEpcisLot(**ledger, o.lot, options);
  }
  if (!doc.ok()) return Fail(cmd, doc.status().ToString());
  if (Status st = WriteOutput(o.output, *doc + "\n"); !st.ok()) return Fail(cmd, st.message());
  return kExitOk;
}

struct ImportOptions {
  std::string db;
  std::string keys;
  std::string input;
  bool dry_run = false;
  bool skip_unsupported = false;
  std::string format = "text";
  std::string regulatory = "reject";
  std::int64_t max_clock_skew = Options().max_clock_skew_seconds;
};

// Input text for the terminal: control characters and DEL as \xNN.
std::string Esc(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

// The key file of `actor` in --keys DIR: <actor>.key, or, for an actor id
// that cannot be a file name (a GS1 Digital Link URI has slashes), the id
// percent-encoded like a URI path segment (every byte outside A-Z a-z 0-9
// - . _ ~ as %XX) + ".key".
std::string KeyFileName(const std::string& actor) {
  if (actor.find('/') == std::string::npos && actor != "." && actor != "..") return actor + ".key";
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : actor) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out + ".key";
}

int RunImport(const ImportOptions& o) {
  const char* cmd = "import-epcis";
  Result<std::string> text = ReadInput(o.input);
  if (!text.ok()) return Fail(cmd, text.status().ToString() + "; nothing was appended");
  EpcisImportOptions io;
  io.skip_unsupported = o.skip_unsupported;
  Result<EpcisImport> imported = ImportEpcis(*text, io);
  if (!imported.ok()) {
    return Fail(cmd, "cannot import " + Shown(o.input) + ": " + imported.status().message() +
                         "; nothing was appended");
  }
  for (const EpcisSkipped& s : imported->skipped) {
    std::cerr << "retrace import-epcis: skipped " << internal::SanitizeMessage(s.message) << "\n";
  }
  if (imported->events.empty()) return Fail(cmd, "the document holds no custody event; nothing was appended");

  // A dry run checks every rule inside a write transaction it then aborts
  // (Ledger::CheckAppendBatch), so it opens the ledger for writing too.
  Result<std::unique_ptr<Ledger>> ledger =
      OpenLedger(o.db, false, ParseRegulatoryMode(o.regulatory), o.max_clock_skew);
  if (!ledger.ok()) return Fail(cmd, ledger.status().ToString() + "; nothing was appended");
  Ledger& l = **ledger;
  auto refuse = [&](const std::string& what) {
    return Fail(cmd, Refusal("import: " + what, l));
  };

  std::map<std::string, std::unique_ptr<Signer>> keys;
  EventBatch batch(l);
  {
    Progress progress("import-epcis: signing");
    std::uint64_t done = 0;
    for (Event& ev : imported->events) {
      progress.Update(done++, imported->events.size());
      auto it = keys.find(ev.actor_id);
      if (it == keys.end()) {
        const std::string path = o.keys + "/" + KeyFileName(ev.actor_id);
        Result<std::unique_ptr<Signer>> s = Signer::LoadPrivateKeyFile(path);
        if (!s.ok()) {
          return refuse("event " + Esc(ev.event_id) + " is stated by " + Esc(ev.actor_id) +
                        ", whose key cannot be loaded: " + s.status().ToString());
        }
        it = keys.emplace(ev.actor_id, std::move(*s)).first;
      }
      const std::string id = ev.event_id;
      if (Status st = batch.Add(std::move(ev), *it->second); !st.ok()) {
        return refuse("event " + Esc(id) + ": " + Esc(st.ToString()));
      }
    }
    progress.Update(done, imported->events.size());
  }
  std::vector<SignedEvent> events = batch.events();
  std::vector<AppendResult> results;
  {
    Result<std::vector<AppendResult>> at = o.dry_run ? batch.Check() : batch.Commit();
    if (!at.ok()) return refuse(at.status().ToString());
    results = std::move(*at);
  }
  if (o.format == "json") {
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < events.size(); ++i) {
      Result<Event> ev = DecodeEvent(events[i].event_bytes);
      nlohmann::ordered_json e = {{"event_id", ev.ok() ? ev->event_id : ""},
                                  {"kind", ev.ok() ? EventKindName(ev->body) : "?"},
                                  {"actor_id", ev.ok() ? ev->actor_id : ""}};
      if (i < results.size()) {
        e["seq"] = results[i].seq;
        e["hash"] = HashToHex(results[i].hash);
      }
      arr.push_back(e);
    }
    nlohmann::ordered_json skipped = nlohmann::ordered_json::array();
    nlohmann::ordered_json skipped_events = nlohmann::ordered_json::array();
    for (const EpcisSkipped& s : imported->skipped) {
      skipped.push_back(s.message);
      skipped_events.push_back({{"index", s.index},
                                {"event_id", s.event_id},
                                {"reason", EpcisSkipReasonName(s.reason)},
                                {"message", s.message}});
    }
    nlohmann::ordered_json j = {{"schema", "retrace.import/v1"},
                                {"dry_run", o.dry_run},
                                {"events", arr},
                                {"skipped", skipped},
                                {"skipped_events", skipped_events}};
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  if (o.dry_run) {
    std::cout << "dry run: " << events.size()
              << " event(s) converted, linked, signed and checked by every rule: the import "
                 "would append records "
              << results.front().seq << ".." << results.back().seq
              << "; nothing was appended\n";
    return kExitOk;
  }
  std::cout << "imported " << results.size() << " event(s) from " << Shown(o.input) << " as records "
            << results.front().seq << ".." << results.back().seq << " (head "
            << ShortHash(results.back().hash) << ")\n";
  return kExitOk;
}

}  // namespace

Command AddExportEpcisCommand(CLI::App& app) {
  auto o = std::make_shared<ExportOptions>();
  CLI::App* sub = app.add_subcommand(
      "export-epcis",
      "Write a lot's custody history, or a range of records, as a GS1 EPCIS 2.0 JSON-LD document");
  AddDbOption(sub, o->db);
  sub->add_option("lot", o->lot, "Lot id: every record the lot's state depends on");
  sub->add_option("--from", o->from,
                  "Instead of a lot: the first record of a range (0 for the whole ledger)")
      ->check(StrictUnsigned<std::int64_t>());
  sub->add_option("--to", o->to,
                  "Last record of a range, inclusive (default: the last; needs --from)")
      ->check(StrictUnsigned<std::int64_t>());
  sub->add_option("--output,-o", o->output, "Write to this file (default: standard output)");
  sub->add_flag("--compact", o->compact, "One line of JSON instead of indented");
  SetHelpFooter(sub, {"the document was written", "",
                      "usage error (give a LOT or --from), unknown lot or record, unreadable "
                      "ledger, or an output file that cannot be written"},
                "Mapping: docs/epcis.md.");
  return {sub, [o] { return RunExport(*o); }};
}

Command AddImportEpcisCommand(CLI::App& app) {
  auto o = std::make_shared<ImportOptions>();
  CLI::App* sub = app.add_subcommand(
      "import-epcis",
      "Turn an EPCIS 2.0 JSON-LD document into signed custody records, all or nothing");
  AddDbOption(sub, o->db);
  sub->add_option("--keys", o->keys,
                  "Directory with each actor's private key as <actor>.key (an actor id with a "
                  "slash: percent-encoded, docs/epcis.md)")
      ->required();
  sub->add_option("input", o->input, "The EPCIS document (- for standard input)")->required();
  sub->add_flag("--dry-run", o->dry_run,
                "Convert, link, sign and check every rule the import applies, in a write "
                "transaction that is then aborted: append nothing");
  sub->add_flag("--skip-unsupported", o->skip_unsupported,
                "Skip (and list, with a reason) EPCIS events the ledger cannot represent instead "
                "of refusing; malformed input is refused either way");
  sub->add_option("--format", o->format, "text or json (schema retrace.import/v1)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  AddRegulatoryOption(sub, o->regulatory);
  AddClockSkewOption(sub, o->max_clock_skew);
  SetHelpFooter(sub, {"imported (or, with --dry-run, the import would succeed)", "",
                      "usage error, unreadable or malformed document, a missing key, or the "
                      "ledger refused an event (nothing was appended)"},
                "Mapping and what cannot be imported: docs/epcis.md.");
  return {sub, [o] { return RunImport(*o); }};
}

}  // namespace retrace::cli
