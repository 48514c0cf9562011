#include "common.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <ctime>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <thread>

namespace retrace::cli {

int Fail(std::string_view command, const std::string& message) {
  std::cerr << "retrace " << command << ": " << internal::SanitizeMessage(message) << "\n";
  return kExitError;
}

int Refused(std::string_view command, const std::string& message) {
  std::cerr << "retrace " << command << ": REFUSED: " << internal::SanitizeMessage(message)
            << "\n";
  return kExitFindings;
}

void SetHelpFooter(CLI::App* sub, const ExitCodes& codes, const std::string& intro) {
  std::string footer = intro.empty() ? "" : intro + "\n";
  footer += "Exit status:\n  0  " + codes.ok + "\n";
  if (!codes.findings.empty()) footer += "  1  " + codes.findings + "\n";
  footer += "  2  " + codes.error;
  sub->footer(footer);
}

CLI::Option* AddDbOption(CLI::App* sub, std::string& db, const std::string& what) {
  return sub->add_option("--db", db, what + " (default: $RETRACE_DB)")
      ->envname("RETRACE_DB")
      ->required();
}

CLI::Option* AddRegulatoryOption(CLI::App* sub, std::string& mode) {
  return sub
      ->add_option("--regulatory", mode,
                   "What an event that breaks a quota or licence rule does: reject (refused, "
                   "the ledger unchanged) or flag (appended and reported as a finding by "
                   "verify and audit); custody and mass rules always refuse")
      ->check(CLI::IsMember({"reject", "flag"}))
      ->capture_default_str();
}

CLI::Option* AddClockSkewOption(CLI::App* sub, std::int64_t& skew) {
  return sub
      ->add_option("--max-clock-skew", skew,
                   "Seconds an event may be dated after this host's clock; a later event is "
                   "refused (time_in_future)")
      ->check(StrictUnsigned<std::int64_t>())
      ->capture_default_str();
}

RegulatoryMode ParseRegulatoryMode(const std::string& mode) {
  return mode == "flag" ? RegulatoryMode::kRecordAndFlag : RegulatoryMode::kReject;
}

Result<std::unique_ptr<Ledger>> OpenLedger(const std::string& dir, bool read_only,
                                           RegulatoryMode mode,
                                           std::int64_t max_clock_skew_seconds) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return NotFoundError("no ledger at " + Shown(dir) + " (no such directory)");
  }
  Options options;
  options.read_only = read_only;
  options.regulatory_violations = mode;
  options.max_clock_skew_seconds = max_clock_skew_seconds;
  Result<std::unique_ptr<Ledger>> ledger = Ledger::Open(options, dir);
  if (!ledger.ok()) return ledger.status().Annotate("cannot open the ledger at " + Shown(dir));
  return ledger;
}

std::string UnchangedNote(const Ledger& ledger) {
  Result<LedgerInfo> info = ledger.Info();
  if (!info.ok()) return "[ledger unchanged]";
  return "[ledger unchanged: size " + std::to_string(info->size) + ", head " +
         ShortHash(info->head_hash) + "]";
}

std::string Refusal(const std::string& what, const Ledger& ledger) {
  return "refused: " + internal::SanitizeMessage(what) + " " + UnchangedNote(ledger);
}

Result<std::string> ReadInput(const std::string& path) {
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    if (std::cin.bad()) return IoError("cannot read standard input");
    return ss.str();
  }
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return NotFoundError("no such file: " + path);
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot open " + path + " for reading");
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return IoError("cannot read " + path);
  return data;
}

std::string HexEncode(std::string_view bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string FormatMass(std::uint64_t grams) {
  auto frac = [](std::uint64_t v) {
    std::string s = std::to_string(v);
    return std::string(3 - std::min<std::size_t>(3, s.size()), '0') + s;
  };
  if (grams >= 1000000) {  // tonnes, rounded to the kilogram (halves up)
    const std::uint64_t kg = grams / 1000 + (grams % 1000 >= 500 ? 1 : 0);
    return std::to_string(kg / 1000) + "." + frac(kg % 1000) + " t";
  }
  if (grams >= 1000) return std::to_string(grams / 1000) + "." + frac(grams % 1000) + " kg";
  return std::to_string(grams) + " g";
}

std::string IsoTime(std::int64_t seconds) {
  std::time_t tt = static_cast<std::time_t>(seconds);
  std::tm tm{};
  char buf[32];
  if (gmtime_r(&tt, &tm) == nullptr ||
      std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
    return std::to_string(seconds);
  }
  return buf;
}

std::string FormatContent(const std::vector<ElementMass>& content) {
  std::string out;
  for (const ElementMass& em : content) {
    if (!out.empty()) out += ", ";
    out += std::string(ElementSymbol(em.element)) + " " + FormatMass(em.grams);
  }
  return out.empty() ? "none declared" : out;
}

std::string FormatPpm(std::uint32_t ppm) {
  std::uint32_t hundredths = (ppm + 50) / 100;  // of a percent
  std::string frac = std::to_string(hundredths % 100);
  if (frac.size() < 2) frac.insert(0, "0");
  return std::to_string(hundredths / 100) + "." + frac + " %";
}

std::string ShortHash(const Hash& h) { return HashToHex(h).substr(0, 16); }

Result<std::string> DotToSvg(const std::string& dot) {
  std::string program;
  const char* path_env = std::getenv("PATH");
  std::string paths = path_env ? path_env : "/usr/bin:/bin";
  for (std::size_t start = 0; start <= paths.size();) {
    std::size_t end = paths.find(':', start);
    if (end == std::string::npos) end = paths.size();
    std::string candidate = paths.substr(start, end - start) + "/dot";
    if (end > start && ::access(candidate.c_str(), X_OK) == 0) {
      program = candidate;
      break;
    }
    start = end + 1;
  }
  if (program.empty()) {
    return FailedPreconditionError(
        "Graphviz is not installed (no `dot` on PATH): install it (Debian: apt-get install "
        "graphviz)");
  }
  // dot reads a temporary file and writes SVG to a pipe; no shell involved.
  char tmpl[] = "/tmp/retrace-lineage-XXXXXX";
  int fd = ::mkstemp(tmpl);
  if (fd < 0) return IoError("cannot create a temporary file for Graphviz");
  const std::string tmp = tmpl;
  bool wrote = ::write(fd, dot.data(), dot.size()) == static_cast<ssize_t>(dot.size());
  ::close(fd);
  if (!wrote) {
    ::unlink(tmp.c_str());
    return IoError("cannot write a temporary file for Graphviz");
  }
  int pipefd[2];
  if (::pipe(pipefd) != 0) {
    ::unlink(tmp.c_str());
    return IoError("cannot create a pipe to Graphviz");
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&fa, pipefd[0]);
  std::string arg0 = "dot", arg1 = "-Tsvg";
  char* argv[] = {arg0.data(), arg1.data(), const_cast<char*>(tmp.c_str()), nullptr};
  pid_t pid;
  int rc = posix_spawn(&pid, program.c_str(), &fa, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(pipefd[1]);
  std::string svg;
  if (rc == 0) {
    char buf[65536];
    ssize_t n;
    while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) svg.append(buf, static_cast<std::size_t>(n));
  }
  ::close(pipefd[0]);
  int status = 0;
  if (rc == 0) ::waitpid(pid, &status, 0);
  ::unlink(tmp.c_str());
  if (rc != 0) return IoError("cannot run " + program);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || svg.empty()) {
    return InternalError("Graphviz (" + program + ") failed to render the lineage");
  }
  return svg;
}

namespace {
std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

Progress::Progress(std::string label)
    : label_(std::move(label)), active_(::isatty(STDERR_FILENO) == 1) {}

Progress::~Progress() {
  if (drawn_) std::cerr << "\r\033[K" << std::flush;
}

void Progress::Update(std::uint64_t done, std::uint64_t total) {
  if (!active_) return;
  std::int64_t now = NowMs();
  if (drawn_ && done != total && now - last_ms_ < 100) return;
  last_ms_ = now;
  drawn_ = true;
  std::cerr << "\r\033[K" << label_ << ": " << done << " of " << total;
  if (total > 0) std::cerr << " (" << (done * 100 / total) << " %)";
  std::cerr << std::flush;
}

namespace {
volatile std::sig_atomic_t g_stop = 0;
void OnStopSignal(int) { g_stop = 1; }
}  // namespace

void StopOnSignals() {
  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);
}

bool StopRequested() { return g_stop != 0; }

bool SleepUnlessStopped(double seconds) {
  for (double waited = 0; waited < seconds && !g_stop; waited += 0.05) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return !g_stop;
}

}  // namespace retrace::cli
