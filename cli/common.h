// Shared plumbing of the retrace subcommands: exit codes, ledger opening,
// error reporting, formatting. Each subcommand lives in its own file and
// exposes one Add<Name>Command function (declared here).
#ifndef RETRACE_CLI_COMMON_H_
#define RETRACE_CLI_COMMON_H_

#include <cstdint>
#include <limits>
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
#include "util/escape.h"

namespace retrace::cli {

// Input shown on the terminal (an id, a file name, a legal name): control
// bytes and invalid UTF-8 escaped, at most ~200 bytes
// (internal::EscapeForDisplay). Every text output passes echoed input
// through this; Fail() sanitises whole messages.
inline std::string Shown(std::string_view text) { return internal::EscapeForDisplay(text); }

// Exit status of every subcommand (docs/cli.md, "Exit status"). The same
// three meanings everywhere; what each means for one command is its
// ExitCodes, printed by its --help.
inline constexpr int kExitOk = 0;        // success; for a check: valid
inline constexpr int kExitFindings = 1;  // checked, and it does not verify
inline constexpr int kExitError = 2;     // usage or I/O error, malformed input, a refused
                                         // change, or the check could not be carried out

// What exit status 0, 1 and 2 mean for one command. An empty `findings`
// means the command never exits 1.
struct ExitCodes {
  std::string ok;
  std::string findings;
  std::string error;
};

// Sets `sub`'s --help footer: `intro` (if any), then the command's exit
// codes as "Exit status:" and one line per code. docs/cli.md's table is
// checked against these lines (tests/cli/cli_test.cc).
void SetHelpFooter(CLI::App* sub, const ExitCodes& codes, const std::string& intro = "");

// The --db option of every command that opens a ledger: required unless the
// RETRACE_DB environment variable names the directory.
CLI::Option* AddDbOption(CLI::App* sub, std::string& db, const std::string& what = "Ledger directory");

// --regulatory flag|reject of every command that appends (docs/cli.md).
CLI::Option* AddRegulatoryOption(CLI::App* sub, std::string& mode);
// "reject" -> kReject, "flag" -> kRecordAndFlag (the option checks the name).
RegulatoryMode ParseRegulatoryMode(const std::string& mode);
// --max-clock-skew SECONDS of every command that appends
// (Options::max_clock_skew_seconds; `skew` holds the default on entry).
CLI::Option* AddClockSkewOption(CLI::App* sub, std::int64_t& skew);

// A CLI11 check that accepts only a plain decimal number (digits only, no
// sign, no blanks, not empty) that fits in T, so that `--seq ''` or a
// number past the type's range is a usage error (exit 2) and never becomes
// 0 or a clamped value.
template <typename T>
CLI::Validator StrictUnsigned(T max = std::numeric_limits<T>::max()) {
  return CLI::Validator(
      [max](std::string& v) -> std::string {
        const std::uint64_t limit = static_cast<std::uint64_t>(max);
        if (v.empty()) return "a number is required, not an empty string";
        std::uint64_t n = 0;
        for (char c : v) {
          if (c < '0' || c > '9') return "not a whole number of 0 or more: " + Shown(v);
          const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
          if (n > (limit - d) / 10) return Shown(v) + " is out of range (at most " + std::to_string(limit) + ")";
          n = n * 10 + d;
        }
        return std::string();
      },
      "UINT");
}

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
// Federation (docs/federation.md).
Command AddReceiveCommand(CLI::App& app);
Command AddForeignCheckpointsCommand(CLI::App& app);
Command AddCompareCommand(CLI::App& app);
Command AddRegistryImportCommand(CLI::App& app);
// `retrace demo --federated`: the demo chain, one ledger per enterprise under
// `dir` (an empty directory). Returns the exit code.
int RunFederatedDemo(const std::string& dir);

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
// Publishing, mirroring, monitoring (docs/publishing.md).
Command AddPublishCommand(CLI::App& app);
Command AddMirrorCommand(CLI::App& app);
Command AddMonitorCommand(CLI::App& app);
Command AddFlowReportCommand(CLI::App& app);
Command AddUpgradeCommand(CLI::App& app);

// Prints "retrace <command>: <message>" to stderr, the message on one line
// with control bytes escaped and echoed values capped
// (internal::SanitizeMessage); returns kExitError.
int Fail(std::string_view command, const std::string& message);

// As Fail, for a check that ran and did not verify: "retrace <command>:
// REFUSED: <message>"; returns kExitFindings.
int Refused(std::string_view command, const std::string& message);

// Opens the ledger in `dir`. Refuses a directory that does not exist before
// LMDB gets a chance to create anything. Readers pass read_only = true.
Result<std::unique_ptr<Ledger>> OpenLedger(
    const std::string& dir, bool read_only, RegulatoryMode mode = RegulatoryMode::kReject,
    std::int64_t max_clock_skew_seconds = Options().max_clock_skew_seconds);

// "[ledger unchanged: size 57, head 3f2a9c01d4e5b6a7]": the state a refused
// change left the ledger in, from the ledger itself.
std::string UnchangedNote(const Ledger& ledger);

// The message of a change the ledger (or the CLI before it) refused:
// "refused: <what> [ledger unchanged: size N, head H]".
std::string Refusal(const std::string& what, const Ledger& ledger);

// Reads a whole file, or standard input for "-".
Result<std::string> ReadInput(const std::string& path);

std::string HexEncode(std::string_view bytes);
// "35.124 t", "812.345 kg", "57 g" (rounded to the nearest shown unit,
// halves up; display only).
std::string FormatMass(std::uint64_t grams);
// "Nd 540.120 kg, Pr 150 kg, ..." in the lot's order.
std::string FormatContent(const std::vector<ElementMass>& content);
// share_ppm as "42.13 %".
std::string FormatPpm(std::uint32_t ppm);
std::string ShortHash(const Hash& h);


// Prints a verification report as text (verify, demo, verify-bundle;
// verify_report_text.cc). The last line is the verdict, VALID or INVALID,
// unless `verdict_line` is false (verify-bundle prints the overall verdict
// itself).
void PrintVerifyReport(const VerifyReport& report, std::ostream& out, bool verdict_line = true);

// POSIX seconds as "2026-03-02T08:00:00Z".
std::string IsoTime(std::int64_t seconds);

// Renders DOT text to SVG with Graphviz's `dot`, run directly (no shell).
// kFailedPrecondition naming the Debian package if `dot` is not on PATH.
Result<std::string> DotToSvg(const std::string& dot);

// The loop of a long-running command (publish --watch, monitor --interval)
// ends cleanly on SIGINT or SIGTERM: StopOnSignals() installs the handlers,
// SleepUnlessStopped() waits in 50 ms steps and returns false as soon as a
// signal has arrived (at once if one already has).
void StopOnSignals();
bool StopRequested();
bool SleepUnlessStopped(double seconds);

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
