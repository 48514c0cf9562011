// Shared plumbing of the retrace subcommands: exit codes, ledger opening,
// error reporting, formatting. Each subcommand lives in its own file and
// exposes one Add<Name>Command function (declared here).
#ifndef RETRACE_CLI_COMMON_H_
#define RETRACE_CLI_COMMON_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "retrace/event.h"
#include "retrace/json.h"
#include "retrace/ledger.h"
#include "retrace/note.h"
#include "retrace/status.h"
#include "retrace/verifier.h"

namespace retrace::cli {

// Exit status of every subcommand (docs/cli.md).
inline constexpr int kExitOk = 0;        // success; for verify/audit: valid
inline constexpr int kExitFindings = 1;  // verify/audit checked and found problems
inline constexpr int kExitError = 2;     // usage error, I/O error, refused or could not check

inline constexpr char kExitFooter[] =
    "Exit status: 0 success, 1 findings (verify/audit found problems), "
    "2 usage or I/O error (nothing is changed).";
inline constexpr char kVerifyExitFooter[] =
    "Exit status: 0 valid, 1 findings (the report lists them), "
    "2 usage or I/O error, or the ledger could not be checked.";

// A registered subcommand and what runs it once the command line parsed.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Command AddKeygenCommand(CLI::App& app);
Command AddInitCommand(CLI::App& app);
Command AddRegisterCommand(CLI::App& app);
Command AddAppendCommand(CLI::App& app);
Command AddShowCommand(CLI::App& app);
Command AddInfoCommand(CLI::App& app);
Command AddLotsCommand(CLI::App& app);
Command AddLineageCommand(CLI::App& app);
Command AddVerifyCommand(CLI::App& app);
Command AddAuditCommand(CLI::App& app);
Command AddDemoCommand(CLI::App& app);
Command AddQuotaCommand(CLI::App& app);
// Transparency (docs/transparency.md); helpers in transparency_util.cc.
Command AddNoteKeygenCommand(CLI::App& app);
Command AddCheckpointCommand(CLI::App& app);
Command AddConsistencyCommand(CLI::App& app);
Command AddWitnessCommand(CLI::App& app);
Command AddProveCommand(CLI::App& app);
Command AddVerifyBundleCommand(CLI::App& app);
Command AddTlogProofCommand(CLI::App& app);

// A signed-note verifier key given on the command line: the key itself
// ("name+id+base64") or a file holding it on one line. `as` converts an
// ed25519 key to a cosignature key for witnesses (and refuses the reverse).
Result<NoteVerifier> ReadNoteVerifier(const std::string& arg, NoteKeyType as);
// Standard base64 with padding (RFC 4648), as C2SP formats use it.
std::string Base64Encode(std::string_view bytes);
// Writes `data` to `path` through a temporary file and a rename ("-":
// standard output). On failure `path` is untouched.
Status WriteOutput(const std::string& path, std::string_view data);
Command AddReportCommand(CLI::App& app);
Command AddExportEpcisCommand(CLI::App& app);
Command AddImportEpcisCommand(CLI::App& app);

// Prints "retrace <command>: <message>" to stderr; returns kExitError.
int Fail(std::string_view command, const std::string& message);

// Opens the ledger in `dir`. Refuses a directory that does not exist before
// LMDB gets a chance to create anything. Readers pass read_only = true.
Result<std::unique_ptr<Ledger>> OpenLedger(const std::string& dir, bool read_only);

// "the ledger is unchanged (size 57, head 3f2a9c01...)"; used in every
// refusal of a mutating command.
std::string UnchangedNote(const Ledger& ledger);

// `what` (a refusal from the library) on one line, followed by
// UnchangedNote unless the library's message already says so.
std::string Refusal(const std::string& what, const Ledger& ledger);

// Reads a whole file, or standard input for "-".
Result<std::string> ReadInput(const std::string& path);

// Parses "mine", "separator", "smelter", "magnet_maker" (or magnet-maker),
// "exporter", "recycler", "importer", "regulator".
Result<Role> ParseRole(std::string_view name);

std::string HexEncode(std::string_view bytes);
// "35.124 t", "812.345 kg", "57 g" (truncated; display only).
std::string FormatMass(std::uint64_t grams);
// "Nd 540.120 kg, Pr 150 kg, ..." in the lot's order.
std::string FormatContent(const std::vector<ElementMass>& content);
// share_ppm as "42.13 %".
std::string FormatPpm(std::uint32_t ppm);
std::string ShortHash(const Hash& h);


// Event ids the CLI makes up when the event has none: "ev-" + 32 random hex.
std::string RandomEventId();

// Prints a verification report as text (verify and demo).
void PrintVerifyReport(const VerifyReport& report, std::ostream& out);

// Renders DOT text to SVG with Graphviz's `dot`, run directly (no shell).
// kFailedPrecondition naming the Debian package if `dot` is not on PATH.
Result<std::string> DotToSvg(const std::string& dot);

// A progress line on standard error for long commands, shown only when
// standard error is a terminal (quiet when piped or redirected):
//   "audit: 12288 of 40120 records (30 %)". Updates at most 10 times a second.
class Progress {
 public:
  explicit Progress(std::string label);
  ~Progress();  // clears the line
  void Update(std::uint64_t done, std::uint64_t total);
  bool active() const { return active_; }

 private:
  std::string label_;
  bool active_ = false;
  bool drawn_ = false;
  std::int64_t last_ms_ = 0;
};

}  // namespace retrace::cli

#endif  // RETRACE_CLI_COMMON_H_
