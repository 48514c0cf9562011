// The retrace CLI end to end (the built binary, run as a user would), and the
// demo supply-chain generator through the public API.
//
// The scenario test appends exactly the JSON examples of docs/cli.md (the
// blocks between the walkthrough markers), each signed with the key of its
// actorId, so the documented examples cannot rot.
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "retrace/ledger.h"
#include "retrace/signer.h"
#include "retrace/verifier.h"
#include "retrace/sim.h"
#include "testing/cli_run.h"

#ifndef RETRACE_SOURCE_DIR
#error "RETRACE_SOURCE_DIR must name the source tree"
#endif

namespace {

namespace fs = std::filesystem;

using retrace::testing::cli::Quote;
using retrace::testing::cli::ReadFile;
using retrace::testing::cli::Retrace;
using retrace::testing::cli::RetraceEnv;
using retrace::testing::cli::Run;
using retrace::testing::cli::WriteFile;
using TempDir = retrace::testing::cli::WorkDir;

// The last line of `text` (without its newline).
std::string LastLine(const std::string& text) {
  std::string s = text;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  const std::size_t nl = s.rfind('\n');
  return nl == std::string::npos ? s : s.substr(nl + 1);
}

// The cast of docs/cli.md: actor id, role, algorithm.
const std::vector<std::vector<std::string>> kCast = {
    {"mine-1", "mine", "ed25519"},
    {"sep-1", "separator", "ecdsa-p256"},
    {"smelter-1", "smelter", "sm2"},
    {"magnet-1", "magnet_maker", "ed25519"},
    {"exporter-1", "exporter", "ecdsa-p256"},
};

// The mining licence docs/cli.md registers mine-1 with.
const char kLicence[] = "C1500002011034120110001";

// A 2026 mining quota for mine-1 and an extraction of `lot` under it.
const char kGrant[] =
    R"({"actorId":"regulator","quotaGranted":{"actorId":"mine-1","year":2026,"kind":"QUOTA_MINING_ROCK","reoG":"1000000000"}})";
std::string ExtractionJson(const std::string& lot) {
  return R"({"actorId":"mine-1","time":"2026-04-01T08:00:00Z","extracted":{"lot":{"lotId":")" + lot +
         R"(","material":"MATERIAL_ORE_CONCENTRATE","massG":"1000","content":[{"element":"ELEMENT_ND","grams":"10"}]},"site":"s","licence":")" +
         kLicence + R"(","quotaKind":"QUOTA_MINING_ROCK"}})";
}

// keygen + init + register of the documented cast; returns the ledger dir.
std::string SetUpLedger(const TempDir& tmp) {
  const std::string db = tmp / "ledger";
  REQUIRE_RC(Retrace(tmp, {"keygen", "--alg", "ed25519", "--out", tmp / "regulator"}), 0);
  struct stat st {};
  REQUIRE(stat((tmp / "regulator.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE_RC(Retrace(tmp, {"init", "--db", db, "--name", "cn-test", "--root-key",
                           tmp / "regulator.key"}),
             0);
  for (const auto& actor : kCast) {
    REQUIRE_RC(Retrace(tmp, {"keygen", "--alg", actor[2], "--out", tmp / actor[0]}), 0);
    std::vector<std::string> args = {"register", "--db", db, "--root-key", tmp / "regulator.key",
                                     "--actor", actor[0], "--role", actor[1], "--name",
                                     "Test " + actor[0] + " Co., Ltd.", "--pubkey",
                                     tmp / (actor[0] + ".pub")};
    if (actor[1] == "mine") args.insert(args.end(), {"--licence", kLicence});
    REQUIRE_RC(Retrace(tmp, args), 0);
  }
  return db;
}

struct Example {
  std::string json;
  bool jsonl = false;
};

// The ```json / ```jsonl blocks between the walkthrough markers of docs/cli.md.
std::vector<Example> DocumentedExamples() {
  std::string doc = ReadFile(std::string(RETRACE_SOURCE_DIR) + "/docs/cli.md");
  auto begin = doc.find("<!-- walkthrough:begin -->");
  auto end = doc.find("<!-- walkthrough:end -->");
  REQUIRE(begin != std::string::npos);
  REQUIRE(end != std::string::npos);
  std::string section = doc.substr(begin, end - begin);
  std::vector<Example> out;
  std::regex block("```(jsonl?)\\n([\\s\\S]*?)```");
  for (std::sregex_iterator it(section.begin(), section.end(), block), e; it != e; ++it) {
    out.push_back({(*it)[2].str(), (*it)[1].str() == "jsonl"});
  }
  return out;
}

std::string ActorOf(const std::string& json) {
  std::smatch m;
  REQUIRE(std::regex_search(json, m, std::regex("\"actorId\"\\s*:\\s*\"([^\"]+)\"")));
  return m[1].str();
}

// The `info --format json` output: size and head identify the ledger state.
std::string State(const TempDir& tmp, const std::string& db) {
  Run r = Retrace(tmp, {"info", "--db", db, "--format", "json"});
  REQUIRE(r.rc == 0);
  return r.out;
}

TEST_CASE("the documented walkthrough runs through the CLI and the exported lot verifies",
          "[cli]") {
  TempDir tmp;
  const std::string db = SetUpLedger(tmp);
  std::vector<Example> examples = DocumentedExamples();
  REQUIRE(examples.size() >= 10);
  int n = 0;
  bool used_stdin = false;
  for (const Example& ex : examples) {
    const std::string key = tmp / (ActorOf(ex.json) + ".key");
    INFO("example " << n << ":\n" << ex.json);
    std::vector<std::string> args = {"append", "--db", db, "--key", key};
    if (ex.jsonl) args.push_back("--jsonl");
    Run r;
    if (!used_stdin) {  // one example through standard input, the rest from files
      args.push_back("-");
      r = Retrace(tmp, args, ex.json);
      used_stdin = true;
    } else {
      const std::string file = tmp / ("example-" + std::to_string(n) + ".json");
      WriteFile(file, ex.json);
      args.insert(args.end(), {"--file", file});
      r = Retrace(tmp, args);
    }
    REQUIRE_RC(r, 0);
    CHECK(r.out.find("appended seq") != std::string::npos);
    ++n;
  }

  Run verify = Retrace(tmp, {"verify", "--db", db, "MAG-1"});
  REQUIRE_RC(verify, 0);
  CHECK(verify.out.find("VALID") != std::string::npos);
  CHECK(verify.out.find("INVALID") == std::string::npos);
  CHECK(verify.out.find("mine-1") != std::string::npos);
  CHECK(verify.out.find("ORE-1") != std::string::npos);

  Run json = Retrace(tmp, {"verify", "--db", db, "MAG-1", "--format", "json"});
  REQUIRE_RC(json, 0);
  CHECK((json.out.find("\"valid\": true") != std::string::npos ||
         json.out.find("\"valid\":true") != std::string::npos));

  Run tree = Retrace(tmp, {"lineage", "--db", db, "MAG-1"});
  REQUIRE_RC(tree, 0);
  CHECK(tree.out.find("MET-NDPR-1") != std::string::npos);
  CHECK(tree.out.find("ORE-1") != std::string::npos);
  Run dot = Retrace(tmp, {"lineage", "--db", db, "MAG-1", "--format", "dot"});
  REQUIRE_RC(dot, 0);
  CHECK(dot.out.find("\"ORE-1\" -> \"OX-NDPR-1\"") != std::string::npos);
  REQUIRE_RC(Retrace(tmp, {"lineage", "--db", db, "MAG-1", "--format", "json"}), 0);

  REQUIRE_RC(Retrace(tmp, {"audit", "--db", db}), 0);
  REQUIRE_RC(Retrace(tmp, {"audit", "--db", db, "--format", "json"}), 0);
  Run lots = Retrace(tmp, {"lots", "--db", db});
  REQUIRE_RC(lots, 0);
  CHECK(lots.out.find("exported") != std::string::npos);
  Run show = Retrace(tmp, {"show", "--db", db, "--lot", "MAG-1"});
  REQUIRE_RC(show, 0);
  CHECK(show.out.find("\"exported\"") != std::string::npos);
  REQUIRE_RC(Retrace(tmp, {"show", "--db", db, "--seq", "0"}), 0);

  // The documented "Then:" commands, as a shell runs them in that directory.
  const std::string doc = ReadFile(std::string(RETRACE_SOURCE_DIR) + "/docs/cli.md");
  const auto after = doc.find("```sh\n", doc.find("<!-- walkthrough:end -->"));
  REQUIRE(after != std::string::npos);
  const auto body = after + 6;
  WriteFile(tmp / "then.sh", doc.substr(body, doc.find("```", body) - body));
  fs::create_directories(tmp / "bin");
  fs::create_symlink(RETRACE_CLI_PATH, tmp / "bin/retrace");
  const std::string then = "cd " + Quote(tmp.path()) + " && PATH=" + Quote(tmp / "bin") +
                           ":\"$PATH\" bash -e then.sh >then.out 2>&1";
  INFO(ReadFile(tmp / "then.sh"));
  CHECK(std::system(then.c_str()) == 0);
  CHECK(ReadFile(tmp / "then.out").find("MET-NDPR-1") != std::string::npos);
}

TEST_CASE("bad JSON is refused with exit 2 and the ledger unchanged", "[cli]") {
  TempDir tmp;
  const std::string db = SetUpLedger(tmp);
  const std::string before = State(tmp, db);

  Run r = Retrace(tmp, {"append", "--db", db, "--key", tmp / "mine-1.key", "-"}, "{not json");
  REQUIRE_RC(r, 2);
  CHECK(r.err.find("unchanged") != std::string::npos);

  r = Retrace(tmp, {"append", "--db", db, "--key", tmp / "mine-1.key", "-"},
              R"({"actorId": "mine-1", "noSuchField": 1})");
  REQUIRE_RC(r, 2);

  // JSON Lines: a good line, then a bad one: nothing is appended and the
  // error names the line.
  std::string lines = ExtractionJson("ORE-X") + "\n{\"actorId\": \"mine-1\", \"extracted\": 7}\n";
  r = Retrace(tmp, {"append", "--db", db, "--key", tmp / "mine-1.key", "--jsonl", "-"}, lines);
  REQUIRE_RC(r, 2);
  CHECK(r.err.find("line 2") != std::string::npos);

  r = Retrace(tmp, {"append", "--db", db, "--key", tmp / "mine-1.key", "-"}, "");
  REQUIRE_RC(r, 2);
  CHECK(State(tmp, db) == before);
  REQUIRE_RC(Retrace(tmp, {"show", "--db", db, "--lot", "ORE-X"}), 2);
}

TEST_CASE("events on an unknown lot are refused with exit 2 and the ledger unchanged", "[cli]") {
  TempDir tmp;
  const std::string db = SetUpLedger(tmp);
  const std::string before = State(tmp, db);
  Run r = Retrace(tmp, {"append", "--db", db, "--key", tmp / "mine-1.key", "-"},
                  R"({"actorId":"mine-1","shipped":{"lotId":"NO-SUCH-LOT","toActorId":"sep-1","massG":"5"}})");
  REQUIRE_RC(r, 2);
  CHECK(r.err.find("NO-SUCH-LOT") != std::string::npos);
  CHECK(r.err.find("unchanged") != std::string::npos);
  CHECK(State(tmp, db) == before);
  REQUIRE_RC(Retrace(tmp, {"verify", "--db", db, "NO-SUCH-LOT"}), 2);
  REQUIRE_RC(Retrace(tmp, {"lineage", "--db", db, "NO-SUCH-LOT"}), 2);
  REQUIRE_RC(Retrace(tmp, {"show", "--db", db, "--lot", "NO-SUCH-LOT"}), 2);
  REQUIRE_RC(Retrace(tmp, {"show", "--db", db, "--seq", "999"}), 2);
}

TEST_CASE("a shipment by an actor who does not hold the lot is refused", "[cli]") {
  TempDir tmp;
  const std::string db = SetUpLedger(tmp);
  REQUIRE_RC(Retrace(tmp, {"append", "--db", db, "--key", tmp / "regulator.key", "-"}, kGrant), 0);
  REQUIRE_RC(Retrace(tmp, {"append", "--db", db, "--key", tmp / "mine-1.key", "-"},
                     ExtractionJson("ORE-9")),
             0);
  const std::string before = State(tmp, db);
  Run r = Retrace(tmp, {"append", "--db", db, "--key", tmp / "sep-1.key", "-"},
                  R"({"actorId":"sep-1","shipped":{"lotId":"ORE-9","toActorId":"smelter-1","massG":"1000"}})");
  REQUIRE_RC(r, 2);
  CHECK(r.err.find("unchanged") != std::string::npos);
  // A JSON Lines batch whose second event the ledger refuses (a duplicate
  // lot id) appends nothing, and the error names line 2.
  r = Retrace(tmp, {"append", "--db", db, "--key", tmp / "mine-1.key", "--jsonl", "-"},
              ExtractionJson("ORE-10") + "\n" + ExtractionJson("ORE-10") + "\n");
  REQUIRE_RC(r, 2);
  CHECK(r.err.find("line 2") != std::string::npos);
  CHECK(State(tmp, db) == before);
  // Signing as mine-1 with sep-1's key is refused too.
  r = Retrace(tmp, {"append", "--db", db, "--key", tmp / "sep-1.key", "-"},
              R"({"actorId":"mine-1","shipped":{"lotId":"ORE-9","toActorId":"sep-1","massG":"1000"}})");
  REQUIRE_RC(r, 2);
  CHECK(State(tmp, db) == before);
}

TEST_CASE("append --jsonl --batch-sign signs the batch root once and the records verify",
          "[cli][batch]") {
  TempDir tmp;
  const std::string db = SetUpLedger(tmp);
  REQUIRE_RC(Retrace(tmp, {"append", "--db", db, "--key", tmp / "regulator.key", "-"}, kGrant), 0);
  std::string lines;
  for (int i = 0; i < 5; ++i) lines += ExtractionJson("ORE-B" + std::to_string(i)) + "\n";
  // Another actor's event in the batch: refused, nothing appended.
  const std::string before = State(tmp, db);
  Run r = Retrace(tmp, {"append", "--db", db, "--key", tmp / "mine-1.key", "--jsonl",
                        "--batch-sign", "-"},
                  lines + R"({"actorId":"sep-1","extracted":{"lot":{"lotId":"X","material":"MATERIAL_ORE_CONCENTRATE","massG":"1"}}})" "\n");
  REQUIRE_RC(r, 2);
  CHECK(State(tmp, db) == before);
  r = Retrace(tmp, {"append", "--db", db, "--key", tmp / "mine-1.key", "--jsonl", "--batch-sign",
                    "-"},
              lines);
  REQUIRE_RC(r, 0);
  r = Retrace(tmp, {"show", "--db", db, "--lot", "ORE-B3"});
  REQUIRE_RC(r, 0);
  CHECK(r.out.find("batch") != std::string::npos);
  REQUIRE_RC(Retrace(tmp, {"verify", "--db", db, "ORE-B3"}), 0);
  REQUIRE_RC(Retrace(tmp, {"audit", "--db", db}), 0);
}

TEST_CASE("append --jsonl links a line to an earlier line that moves the same lot",
          "[cli][batch]") {
  for (const char* sign : {"", "--batch-sign"}) {
    DYNAMIC_SECTION("flags: " << sign) {
      TempDir tmp;
      const std::string db = SetUpLedger(tmp);
      REQUIRE_RC(Retrace(tmp, {"append", "--db", db, "--key", tmp / "regulator.key", "-"}, kGrant),
                 0);
      const std::string lines =
          ExtractionJson("ORE-L1") + "\n" + ExtractionJson("ORE-L2") + "\n" +
          R"({"actorId":"mine-1","shipped":{"lotId":"ORE-L1","toActorId":"sep-1","massG":"1000"}})"
          "\n";
      std::vector<std::string> args = {"append", "--db", db, "--key", tmp / "mine-1.key", "--jsonl"};
      if (*sign != '\0') args.push_back(sign);
      args.push_back("-");
      // Shipping more than the lot holds, on the last line: nothing appended.
      const std::string before = State(tmp, db);
      Run r = Retrace(tmp, args,
                      lines + R"({"actorId":"mine-1","shipped":{"lotId":"ORE-L2","toActorId":"sep-1","massG":"5000"}})"
                              "\n");
      REQUIRE_RC(r, 2);
      CHECK(r.err.find("line 4") != std::string::npos);
      CHECK(State(tmp, db) == before);
      r = Retrace(tmp, args, lines);
      REQUIRE_RC(r, 0);
      CHECK(r.out.find("shipped") != std::string::npos);
      REQUIRE_RC(Retrace(tmp, {"verify", "--db", db, "ORE-L1"}), 0);
      REQUIRE_RC(Retrace(tmp, {"audit", "--db", db}), 0);
    }
  }
}

TEST_CASE("usage errors exit 2 and --help documents the exit status", "[cli]") {
  TempDir tmp;
  REQUIRE_RC(Retrace(tmp, {}), 2);
  REQUIRE_RC(Retrace(tmp, {"no-such-command"}), 2);
  REQUIRE_RC(Retrace(tmp, {"verify", "LOT"}), 2);  // --db missing
  REQUIRE_RC(Retrace(tmp, {"info", "--db", tmp / "nothing-here"}), 2);
  REQUIRE_RC(Retrace(tmp, {"keygen", "--alg", "rsa", "--out", tmp / "k"}), 2);
  CHECK_FALSE(fs::exists(tmp / "k.key"));
  for (const char* cmd : {"keygen", "init", "register", "append", "show", "info", "lots",
                          "lineage", "verify", "audit", "demo", "quota", "report",
                          "export-epcis", "import-epcis", "prove", "checkpoint"}) {
    Run r = Retrace(tmp, {cmd, "--help"});
    INFO(cmd);
    REQUIRE_RC(r, 0);
    CHECK(r.out.find("Exit status") != std::string::npos);
  }
}

TEST_CASE("keygen never overwrites a key", "[cli]") {
  TempDir tmp;
  REQUIRE_RC(Retrace(tmp, {"keygen", "--alg", "sm2", "--out", tmp / "k"}), 0);
  const std::string key = ReadFile(tmp / "k.key");
  REQUIRE_RC(Retrace(tmp, {"keygen", "--out", tmp / "k"}), 2);
  CHECK(ReadFile(tmp / "k.key") == key);
}

TEST_CASE("demo builds the chain, verifies an exported lot and exits 0", "[cli][demo]") {
  TempDir tmp;
  const std::string db = tmp / "demo";
  Run r = Retrace(tmp, {"demo", "--db", db});
  REQUIRE_RC(r, 0);
  CHECK(r.out.find("VALID") != std::string::npos);
  CHECK(r.out.find("INVALID") == std::string::npos);
  CHECK(r.out.find("mine-bayan-obo") != std::string::npos);
  CHECK(LastLine(r.out) == "VALID: 7 of 7 exported lots verify as valid");
  CHECK(r.out.find("the regulator (root key") != std::string::npos);

  // A second run refuses the non-empty directory unless --force.
  const std::string before = State(tmp, db);
  REQUIRE_RC(Retrace(tmp, {"demo", "--db", db}), 2);
  CHECK(State(tmp, db) == before);
  r = Retrace(tmp, {"demo", "--db", db, "--force", "--seed", "7"});
  REQUIRE_RC(r, 0);
  CHECK(r.out.find("Removed") != std::string::npos);
  REQUIRE_RC(Retrace(tmp, {"audit", "--db", db}), 0);
}

TEST_CASE("the generator's chain verifies: every exported lot is valid", "[sim]") {
  TempDir tmp;
  auto root = retrace::Signer::Generate(retrace::Algorithm::kEd25519);
  REQUIRE(root.ok());
  retrace::Options options;
  options.sync = false;
  auto ledger = retrace::Ledger::Create(options, tmp / "ledger", "sim", **root, "regulator");
  REQUIRE(ledger.ok());
  retrace::sim::Config config;
  config.scale = 2;
  config.mix_algorithms = true;
  config.keys_dir = tmp / "keys";
  retrace::sim::KeyStore keys;
  auto summary = retrace::sim::Build(**ledger, **root, config, &keys);
  INFO(summary.status().ToString());
  REQUIRE(summary.ok());
  CHECK(summary->actors.size() == 9);
  CHECK(summary->lots >= 60);
  CHECK(summary->exported_lot_ids.size() == 14);
  CHECK(summary->lots_by_material[retrace::MaterialClass::kMagnet] == 20);
  CHECK(keys.Find("mine-bayan-obo") != nullptr);
  struct stat st {};
  REQUIRE(stat((tmp / "keys/sep-baotou.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  auto info = (*ledger)->Info();
  REQUIRE(info.ok());
  CHECK(info->size == summary->records);
  CHECK(summary->records == summary->events_appended + 1);  // + genesis

  std::size_t mines_seen = 0;
  for (const std::string& id : summary->exported_lot_ids) {
    auto report = (*ledger)->VerifyLot(id);
    REQUIRE(report.ok());
    INFO(id << ": " << retrace::VerifyReportToJson(*report));
    CHECK(report->valid);
    CHECK(report->findings.empty());
    CHECK_FALSE(report->origins.empty());
    mines_seen = std::max(mines_seen, report->origins.size());
    auto lot = (*ledger)->GetLot(id);
    REQUIRE(lot.ok());
    CHECK(lot->status == "exported");
  }
  CHECK(mines_seen >= 3);  // merges reach several mines
  auto audit = (*ledger)->Audit();
  REQUIRE(audit.ok());
  CHECK(audit->valid);
}

TEST_CASE("the generator is deterministic for a seed", "[sim]") {
  auto build = [](std::uint64_t seed) {
    TempDir tmp;
    auto root = retrace::Signer::Generate(retrace::Algorithm::kEd25519);
    REQUIRE(root.ok());
    retrace::Options options;
    options.sync = false;
    auto ledger = retrace::Ledger::Create(options, tmp / "l", "sim", **root, "regulator");
    REQUIRE(ledger.ok());
    retrace::sim::Config config;
    config.seed = seed;
    auto summary = retrace::sim::Build(**ledger, **root, config);
    REQUIRE(summary.ok());
    std::vector<std::string> facts = summary->exported_lot_ids;
    for (const std::string& id : summary->exported_lot_ids) {
      auto lot = (*ledger)->GetLot(id);
      REQUIRE(lot.ok());
      facts.push_back(std::to_string(lot->lot.mass_g));
    }
    facts.push_back(std::to_string(summary->records));
    return facts;
  };
  CHECK(build(11) == build(11));
  CHECK(build(11) != build(12));
}


// --- Issue 16 / 19 / 13 / 12 / 17: the CLI as a newcomer meets it -----------

// The rows of docs/cli.md's exit-code table: command -> {0, 1, 2} texts
// ("" where the command never exits 1).
std::map<std::string, std::vector<std::string>> DocumentedExitCodes() {
  const std::string doc = ReadFile(std::string(RETRACE_SOURCE_DIR) + "/docs/cli.md");
  const auto begin = doc.find("<!-- exit-codes:begin -->");
  const auto end = doc.find("<!-- exit-codes:end -->");
  REQUIRE(begin != std::string::npos);
  REQUIRE(end != std::string::npos);
  std::istringstream rows(doc.substr(begin, end - begin));
  std::map<std::string, std::vector<std::string>> out;
  static const std::regex kRow(R"(^\| `([a-z -]+)` \| (.*) \| (.*) \| (.*) \|$)");
  std::string line;
  while (std::getline(rows, line)) {
    std::smatch m;
    if (!std::regex_match(line, m, kRow)) continue;
    out[m[1].str()] = {m[2].str(), m[3].str() == "—" ? "" : m[3].str(), m[4].str()};
  }
  return out;
}

// The "Exit status:" lines of `retrace CMD --help`, as {0, 1, 2} texts.
std::vector<std::string> HelpExitCodes(const TempDir& tmp, const std::string& command) {
  std::vector<std::string> args;
  std::istringstream words(command);
  for (std::string w; words >> w;) args.push_back(w);
  args.push_back("--help");
  Run r = Retrace(tmp, args);
  REQUIRE(r.rc == 0);
  const auto at = r.out.find("Exit status:\n");
  REQUIRE(at != std::string::npos);
  std::vector<std::string> codes(3);
  std::istringstream lines(r.out.substr(at));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > 5 && line.compare(0, 2, "  ") == 0 && line[2] >= '0' && line[2] <= '2') {
      codes[static_cast<std::size_t>(line[2] - '0')] = line.substr(5);
    }
  }
  return codes;
}

TEST_CASE("every command's --help says what exit 0, 1 and 2 mean, as docs/cli.md's table does",
          "[cli][exit]") {
  TempDir tmp;
  const auto documented = DocumentedExitCodes();
  const std::vector<std::string> commands = {
      "keygen", "init", "register", "append", "show", "info", "lots", "lineage", "verify",
      "audit", "demo", "quota", "note-keygen", "checkpoint", "consistency", "witness init",
      "witness cosign", "witness show", "prove", "verify-bundle", "tlog-proof export",
      "tlog-proof verify", "report", "export-epcis", "import-epcis", "completion", "upgrade",
      // Publishing (docs/publishing.md).
      "witness serve", "publish", "mirror", "monitor", "flow-report",
      // Federation (docs/federation.md).
      "receive", "foreign-checkpoints", "compare"};
  CHECK(documented.size() == commands.size());
  for (const std::string& c : commands) {
    INFO(c);
    const std::vector<std::string> help = HelpExitCodes(tmp, c);
    CHECK_FALSE(help[0].empty());
    CHECK_FALSE(help[2].empty());
    auto it = documented.find(c);
    REQUIRE(it != documented.end());
    CHECK(it->second == help);
  }
  // The generic footer is gone from commands that never report findings.
  for (const char* c : {"keygen", "prove", "note-keygen"}) {
    Run r = Retrace(tmp, {c, "--help"});
    CHECK(r.out.find("verify/audit found problems") == std::string::npos);
    CHECK(r.out.find("\n  1  ") == std::string::npos);
  }
  Run top = Retrace(tmp, {"--help"});
  CHECK(top.out.find("RETRACE_DB") != std::string::npos);
}

TEST_CASE("retrace --version prints the library's version", "[cli]") {
  TempDir tmp;
  Run r = Retrace(tmp, {"--version"});
  REQUIRE_RC(r, 0);
  CHECK(std::regex_match(r.out, std::regex("retrace [0-9]+\\.[0-9]+\\.[0-9]+\n")));
}

TEST_CASE("numeric arguments are parsed strictly: empty, signed, overflowing or junk is exit 2",
          "[cli]") {
  TempDir tmp;
  const std::string db = SetUpLedger(tmp);
  for (const char* bad : {"", "-1", "+1", " 1", "1x", "0x10", "18446744073709551616",
                          "99999999999999999999999"}) {
    INFO("--seq '" << bad << "'");
    Run r = Retrace(tmp, {"show", "--db", db, "--seq", bad});
    CHECK(r.rc == 2);
    CHECK(r.out.empty());
  }
  REQUIRE_RC(Retrace(tmp, {"show", "--db", db, "--seq", "0"}), 0);
  CHECK(Retrace(tmp, {"show", "--db", db, "--seq", "18446744073709551615"}).rc == 2);  // no record
  CHECK(Retrace(tmp, {"verify", "--db", db, "X", "--threads", "two"}).rc == 2);
  CHECK(Retrace(tmp, {"quota", "--db", db, "--year", "4294967296"}).rc == 2);
  CHECK(Retrace(tmp, {"tlog-proof", "export", "--db", db, "1e3"}).rc == 2);
  CHECK(Retrace(tmp, {"consistency", "--db", db, "--from-size", "-5"}).rc == 2);
}

TEST_CASE("input echoed in messages and text output is escaped and capped", "[cli][escape]") {
  TempDir tmp;
  const std::string db = SetUpLedger(tmp);
  // A lot id with ESC and BEL (valid JSON escapes): refused, and the
  // message shows the bytes escaped.
  Run r = Retrace(tmp, {"append", "--db", db, "--key", tmp / "mine-1.key", "-"},
                  R"({"actorId":"mine-1","shipped":{"lotId":"L\u001b]0;pwned\u0007","toActorId":"sep-1","massG":"5"}})");
  REQUIRE_RC(r, 2);
  CHECK(r.err.find('\x1b') == std::string::npos);
  CHECK(r.err.find('\x07') == std::string::npos);
  // Every byte of stderr is printable or a newline.
  for (char c : r.err) CHECK((c == '\n' || static_cast<unsigned char>(c) >= 0x20));
  // A lot id on the command line with a terminal escape sequence.
  r = Retrace(tmp, {"verify", "--db", db, "X\x1b[2JY"});
  REQUIRE_RC(r, 2);
  CHECK(r.err.find('\x1b') == std::string::npos);
  CHECK(r.err.find("X\\x1b[2JY") != std::string::npos);
  // A 100,000-character id: the message stays short, its start and end kept.
  const std::string huge = "H" + std::string(100000, 'x') + "T";
  r = Retrace(tmp, {"show", "--db", db, "--lot", huge});
  REQUIRE_RC(r, 2);
  CHECK(r.err.size() < 2000);
  CHECK(r.err.find("bytes elided") != std::string::npos);
  // The JSON parser's excerpt of invalid input.
  r = Retrace(tmp, {"append", "--db", db, "--key", tmp / "mine-1.key", "-"},
              std::string("{\"actorId\": \"mine-1\x1b[31m\", \x01\x02") + std::string(50000, 'z'));
  REQUIRE_RC(r, 2);
  CHECK(r.err.find('\x1b') == std::string::npos);
  CHECK(r.err.find('\x01') == std::string::npos);
  CHECK(r.err.size() < 5000);
}

TEST_CASE("a refusal ends with the ledger's size and head, as docs/cli.md shows", "[cli]") {
  TempDir tmp;
  const std::string db = SetUpLedger(tmp);
  REQUIRE_RC(Retrace(tmp, {"append", "--db", db, "--key", tmp / "regulator.key", "-"}, kGrant), 0);
  REQUIRE_RC(Retrace(tmp, {"append", "--db", db, "--key", tmp / "mine-1.key", "-"},
                     ExtractionJson("ORE-9")),
             0);
  // sep-1 ships a lot mine-1 holds: the custody rule refuses it.
  Run r = Retrace(tmp, {"append", "--db", db, "--key", tmp / "sep-1.key", "-"},
                  R"({"actorId":"sep-1","shipped":{"lotId":"ORE-9","toActorId":"smelter-1","massG":"1000"}})");
  REQUIRE_RC(r, 2);
  // The documented sample, its "..." standing for the rule's sentence and
  // its size and head for any.
  const std::string doc = ReadFile(std::string(RETRACE_SOURCE_DIR) + "/docs/cli.md");
  std::smatch m;
  REQUIRE(std::regex_search(doc, m, std::regex("\n(retrace append: refused: [^\n]*)\n")));
  std::string pattern;
  for (char c : m[1].str()) {
    if (std::string("\\^$.|?*+()[]{}").find(c) != std::string::npos) pattern += '\\';
    pattern += c;
  }
  pattern = std::regex_replace(pattern, std::regex(R"(\\\.\\\.\\\.)"), ".*");
  pattern = std::regex_replace(pattern, std::regex("[0-9a-f]{16}"), "[0-9a-f]{16}");
  pattern = std::regex_replace(pattern, std::regex("size [0-9]+"), "size [0-9]+");
  const std::string line = r.err.substr(0, r.err.find('\n'));
  INFO("documented: " << m[1].str() << "\npattern: " << pattern << "\nactual: " << line);
  CHECK(std::regex_match(line, std::regex(pattern)));
  CHECK(line.find("[ledger unchanged: size 8, head ") != std::string::npos);
}

TEST_CASE("RETRACE_DB stands in for --db", "[cli]") {
  TempDir tmp;
  const std::string db = SetUpLedger(tmp);
  Run r = RetraceEnv(tmp, "RETRACE_DB=" + Quote(db), {"info"});
  REQUIRE_RC(r, 0);
  CHECK(r.out.find("cn-test") != std::string::npos);
  // --db still wins, and without either the command says what is missing.
  CHECK(RetraceEnv(tmp, "RETRACE_DB=" + Quote(tmp / "nowhere"), {"info", "--db", db}).rc == 0);
  r = Retrace(tmp, {"info"});
  CHECK(r.rc == 2);
  CHECK(r.err.find("--db") != std::string::npos);
}

TEST_CASE("flag mode: --regulatory flag appends and flags what reject refuses", "[cli][regulatory]") {
  TempDir tmp;
  const std::string db = SetUpLedger(tmp);
  // No quota granted: an extraction breaks the quota rule.
  const std::string before = State(tmp, db);
  Run r = Retrace(tmp, {"append", "--db", db, "--key", tmp / "mine-1.key", "-"},
                  ExtractionJson("ORE-F"));
  REQUIRE_RC(r, 2);
  CHECK(State(tmp, db) == before);
  CHECK(Retrace(tmp, {"append", "--db", db, "--key", tmp / "mine-1.key", "--regulatory", "maybe",
                      "-"},
                ExtractionJson("ORE-F"))
            .rc == 2);
  r = Retrace(tmp, {"append", "--db", db, "--key", tmp / "mine-1.key", "--regulatory", "flag",
                    "-"},
              ExtractionJson("ORE-F"));
  REQUIRE_RC(r, 0);
  CHECK(r.out.find("FLAGGED [") != std::string::npos);
  Run v = Retrace(tmp, {"verify", "--db", db, "ORE-F"});
  CHECK(v.rc == 1);
  CHECK(LastLine(v.out) == "INVALID");
  Run a = Retrace(tmp, {"audit", "--db", db});
  CHECK(a.rc == 1);
  CHECK(LastLine(a.out) == "INVALID");
  for (const char* cmd : {"append", "register", "import-epcis"}) {
    CHECK(Retrace(tmp, {cmd, "--help"}).out.find("--regulatory") != std::string::npos);
  }
}

TEST_CASE("register takes the role spellings of the library's one parser", "[cli]") {
  TempDir tmp;
  const std::string db = SetUpLedger(tmp);
  int n = 0;
  for (const char* role : {"magnet-maker", "MAGNET_MAKER", "ROLE_MAGNET_MAKER", "Recycler"}) {
    const std::string id = "extra-" + std::to_string(n++);
    REQUIRE_RC(Retrace(tmp, {"keygen", "--out", tmp / id}), 0);
    Run r = Retrace(tmp, {"register", "--db", db, "--root-key", tmp / "regulator.key", "--actor",
                          id, "--role", role, "--name", "X", "--pubkey", tmp / (id + ".pub")});
    INFO(role);
    CHECK(r.rc == 0);
  }
  Run bad = Retrace(tmp, {"register", "--db", db, "--root-key", tmp / "regulator.key", "--actor",
                          "x", "--role", "wizard", "--name", "X", "--pubkey", tmp / "mine-1.pub"});
  CHECK(bad.rc == 2);
  CHECK(bad.err.find("magnet_maker") != std::string::npos);
}

TEST_CASE("output files that cannot be written say why, and missing Graphviz suggests what exists",
          "[cli]") {
  TempDir tmp;
  const std::string db = SetUpLedger(tmp);
  REQUIRE_RC(Retrace(tmp, {"append", "--db", db, "--key", tmp / "regulator.key", "-"}, kGrant), 0);
  REQUIRE_RC(Retrace(tmp, {"append", "--db", db, "--key", tmp / "mine-1.key", "-"},
                     ExtractionJson("ORE-1")),
             0);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"lineage", "--db", db, "ORE-1", "-o", tmp / "no/dir/x.txt"},
        std::vector<std::string>{"report", "--db", db, "ORE-1", "-o", tmp / "no/dir/x.html"},
        std::vector<std::string>{"export-epcis", "--db", db, "ORE-1", "-o",
                                 tmp / "no/dir/x.jsonld"}}) {
    Run r = Retrace(tmp, args);
    INFO(args[0] << ": " << r.err);
    CHECK(r.rc == 2);
    CHECK(r.err.find("No such file or directory") != std::string::npos);
  }
  // Without `dot` on PATH.
  Run r = RetraceEnv(tmp, "PATH=/nonexistent", {"report", "--db", db, "ORE-1", "--graphviz"});
  CHECK(r.rc == 2);
  CHECK(r.err.find("leave out --graphviz") != std::string::npos);
  CHECK(r.err.find("--format dot") == std::string::npos);
  r = RetraceEnv(tmp, "PATH=/nonexistent", {"lineage", "--db", db, "ORE-1", "--format", "svg"});
  CHECK(r.rc == 2);
  CHECK(r.err.find("--format dot") != std::string::npos);
  // export-epcis names what it needs and shows no misleading default.
  CHECK(Retrace(tmp, {"export-epcis", "--help"}).out.find("(default 0)") == std::string::npos);
  CHECK(Retrace(tmp, {"export-epcis", "--db", db}).rc == 2);
}

TEST_CASE("quota: every row adds up, separations name every output, unknown actors are errors",
          "[cli][demo]") {
  TempDir tmp;
  const std::string db = tmp / "demo";
  REQUIRE_RC(Retrace(tmp, {"demo", "--db", db}), 0);
  Run q = Retrace(tmp, {"quota", "--db", db, "--records"});
  REQUIRE_RC(q, 0);
  static const std::regex kRow(R"(^\S+\s+\d{4}\s+\S+\s+(-?\d+)\.(\d{3}) t\s+(-?\d+)\.(\d{3}) t\s+(-?\d+)\.(\d{3}) t.*$)");
  int rows = 0;
  std::istringstream lines(q.out);
  std::string line;
  bool many_outputs = false;
  while (std::getline(lines, line)) {
    if (line.find("(lots ") != std::string::npos) many_outputs = true;
    std::smatch m;
    if (!std::regex_match(line, m, kRow)) continue;
    auto kg = [&](int i) { return std::stoll(m[i].str()) * 1000 + std::stoll(m[i + 1].str()); };
    INFO(line);
    CHECK(kg(1) - kg(3) == kg(5));
    ++rows;
  }
  CHECK(rows >= 5);
  CHECK(many_outputs);
  Run nobody = Retrace(tmp, {"quota", "--db", db, "--actor", "nobody"});
  CHECK(nobody.rc == 2);
  CHECK(nobody.err.find("unknown actor") != std::string::npos);
  Run none = Retrace(tmp, {"quota", "--db", db, "--actor", "exporter-shanghai"});
  CHECK(none.rc == 0);
  CHECK(none.out.find("No quotas") != std::string::npos);
}

TEST_CASE("quota: a use past 2^63 g is shown at the limit, not wrapped to a negative figure",
          "[cli][regulatory]") {
  // 900 flagged extractions of 2^53 g of Nd under no quota: about 9.5e18 g
  // REO used, more than an int64 holds; the text table rounds the saturated
  // figure to kilograms without overflow (issue 17 item 4).
  TempDir tmp;
  const std::string db = SetUpLedger(tmp);
  std::string jsonl;
  for (int i = 0; i < 900; ++i) {
    jsonl += R"({"actorId":"mine-1","time":"2026-04-01T08:00:00Z","extracted":{"lot":{"lotId":"BIG-)" +
             std::to_string(i) +
             R"(","material":"MATERIAL_ORE_CONCENTRATE","massG":"9007199254740992","content":[{"element":"ELEMENT_ND","grams":"9007199254740992"}]},"site":"s","licence":")" +
             kLicence + R"(","quotaKind":"QUOTA_MINING_ROCK"}})" + "\n";
  }
  REQUIRE_RC(Retrace(tmp, {"append", "--db", db, "--key", tmp / "mine-1.key", "--jsonl",
                           "--regulatory", "flag", "-"},
                     jsonl),
             0);
  Run q = Retrace(tmp, {"quota", "--db", db});
  REQUIRE_RC(q, 0);
  static const std::regex kRow(R"(^mine-1\s+2026\s+\S+\s+(-?\d+)\.(\d{3}) t\s+(-?\d+)\.(\d{3}) t\s+(-?\d+)\.(\d{3}) t\s+OVERRUN$)");
  std::istringstream lines(q.out);
  std::string line;
  int rows = 0;
  while (std::getline(lines, line)) {
    std::smatch m;
    if (!std::regex_match(line, m, kRow)) continue;
    INFO(line);
    auto kg = [&](int i) {
      const long long whole = std::stoll(m[i].str()), frac = std::stoll(m[i + 1].str());
      return m[i].str()[0] == '-' ? whole * 1000 - frac : whole * 1000 + frac;
    };
    CHECK(kg(1) == 0);
    CHECK(kg(3) == 9223372036854776);  // INT64_MAX g, rounded to the kilogram
    CHECK(kg(5) == -9223372036854776);
    ++rows;
  }
  INFO(q.out);
  CHECK(rows == 1);
}

TEST_CASE("lots filters by status, custodian and material and pads long ids", "[cli]") {
  TempDir tmp;
  const std::string db = SetUpLedger(tmp);
  REQUIRE_RC(Retrace(tmp, {"append", "--db", db, "--key", tmp / "regulator.key", "-"}, kGrant), 0);
  const std::string long_id = "ORE-" + std::string(40, 'L');
  REQUIRE_RC(Retrace(tmp, {"append", "--db", db, "--key", tmp / "mine-1.key", "-"},
                     ExtractionJson(long_id)),
             0);
  REQUIRE_RC(Retrace(tmp, {"append", "--db", db, "--key", tmp / "mine-1.key", "-"},
                     ExtractionJson("ORE-2")),
             0);
  REQUIRE_RC(Retrace(tmp, {"append", "--db", db, "--key", tmp / "mine-1.key", "-"},
                     R"({"actorId":"mine-1","shipped":{"lotId":"ORE-2","toActorId":"sep-1","massG":"1000"}})"),
             0);
  Run all = Retrace(tmp, {"lots", "--db", db});
  REQUIRE_RC(all, 0);
  // The MATERIAL column starts at the same offset on every row, after a gap.
  std::istringstream lines(all.out);
  std::string header, row;
  std::getline(lines, header);
  const std::size_t col = header.find("MATERIAL");
  REQUIRE(col != std::string::npos);
  while (std::getline(lines, row)) {
    if (row.find("ore_concentrate") == std::string::npos) continue;
    CHECK(row.find("ore_concentrate") == col);
    CHECK(row[col - 1] == ' ');
  }
  Run transit = Retrace(tmp, {"lots", "--db", db, "--status", "in_transit"});
  REQUIRE_RC(transit, 0);
  CHECK(transit.out.find("ORE-2") != std::string::npos);
  CHECK(transit.out.find(long_id) == std::string::npos);
  CHECK(LastLine(transit.out) == "1 lot");
  Run to_sep = Retrace(tmp, {"lots", "--db", db, "--custodian", "sep-1", "--format", "json"});
  REQUIRE_RC(to_sep, 0);
  CHECK(to_sep.out.find("ORE-2") != std::string::npos);
  CHECK(to_sep.out.find(long_id) == std::string::npos);
  Run magnets = Retrace(tmp, {"lots", "--db", db, "--material", "magnet"});
  REQUIRE_RC(magnets, 0);
  CHECK(LastLine(magnets.out) == "0 lots");
  CHECK(Retrace(tmp, {"lots", "--db", db, "--material", "gold"}).rc == 2);
  CHECK(Retrace(tmp, {"lots", "--db", db, "--status", "lost"}).rc == 2);
}

TEST_CASE("demo --format json is one document and the text ends with the verdict", "[cli][demo]") {
  TempDir tmp;
  Run r = Retrace(tmp, {"demo", "--db", tmp / "demo", "--format", "json"});
  REQUIRE_RC(r, 0);
  CHECK(r.out.rfind("{", 0) == 0);
  CHECK(r.out.find("\"schema\": \"retrace.demo/v1\"") != std::string::npos);
  CHECK(r.out.find("\"valid\": true") != std::string::npos);
  CHECK(r.out.find("Building") == std::string::npos);
  Run v = Retrace(tmp, {"verify", "--db", tmp / "demo", "MAG-00004"});
  REQUIRE_RC(v, 0);
  CHECK(LastLine(v.out) == "VALID");
  Run a = Retrace(tmp, {"audit", "--db", tmp / "demo"});
  REQUIRE_RC(a, 0);
  CHECK(LastLine(a.out) == "VALID");
}

TEST_CASE("the bash completion and the manual page come from the same help", "[cli]") {
  TempDir tmp;
  Run c = Retrace(tmp, {"completion", "bash"});
  REQUIRE_RC(c, 0);
  CHECK(c.out.find("complete -o default -F _retrace retrace") != std::string::npos);
  for (const char* word : {"verify-bundle", "--integrity-only", "--regulatory", "cosign"}) {
    CHECK(c.out.find(word) != std::string::npos);
  }
  WriteFile(tmp / "retrace.bash", c.out);
  CHECK(std::system(("bash -n " + Quote(tmp / "retrace.bash")).c_str()) == 0);
  // Completing `retrace ver` and `retrace lots --format `, as bash would.
  const std::string drive =
      "source " + Quote(tmp / "retrace.bash") +
      "; COMP_WORDS=(retrace ver); COMP_CWORD=1; _retrace; echo \"${COMPREPLY[*]}\""
      "; COMP_WORDS=(retrace lots --format ''); COMP_CWORD=3; _retrace; echo \"${COMPREPLY[*]}\"";
  WriteFile(tmp / "drive.sh", drive);
  const std::string out = tmp / "drive.out";
  REQUIRE(std::system(("bash " + Quote(tmp / "drive.sh") + " >" + Quote(out)).c_str()) == 0);
  CHECK(ReadFile(out) == "verify verify-bundle\ntext json\n");
  Run m = Retrace(tmp, {"man"});
  REQUIRE_RC(m, 0);
  CHECK(m.out.find(".TH RETRACE 1") != std::string::npos);
  CHECK(m.out.find(".SS retrace witness cosign") != std::string::npos);
  CHECK(m.out.find("RETRACE_DB") != std::string::npos);
  // The man page carries each command's help text, exit codes included.
  CHECK(m.out.find("INCONSISTENT: the log does not extend the old checkpoint") != std::string::npos);
}

}  // namespace
