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

#ifndef RETRACE_CLI_PATH
#error "RETRACE_CLI_PATH must name the built retrace binary"
#endif
#ifndef RETRACE_SOURCE_DIR
#error "RETRACE_SOURCE_DIR must name the source tree"
#endif

namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "retrace-cli-XXXXXX").string();
    char* p = mkdtemp(tmpl.data());
    REQUIRE(p != nullptr);
    path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string operator/(const std::string& name) const { return (fs::path(path_) / name).string(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  REQUIRE(out.good());
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

struct Run {
  int rc = -1;
  std::string out;
  std::string err;
};

// Runs `retrace ARGS` with `stdin_text` on standard input.
Run Retrace(const TempDir& tmp, const std::vector<std::string>& args,
            const std::string& stdin_text = "") {
  const std::string in = tmp / ".stdin", out = tmp / ".stdout", err = tmp / ".stderr";
  WriteFile(in, stdin_text);
  std::string cmd = Quote(RETRACE_CLI_PATH);
  for (const std::string& a : args) cmd += " " + Quote(a);
  cmd += " <" + Quote(in) + " >" + Quote(out) + " 2>" + Quote(err);
  int status = std::system(cmd.c_str());
  Run r;
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = ReadFile(out);
  r.err = ReadFile(err);
  return r;
}

#define REQUIRE_RC(run, code)                                              \
  do {                                                                     \
    const Run& _r = (run);                                                 \
    INFO("stdout: " << _r.out << "\nstderr: " << _r.err);                  \
    REQUIRE(_r.rc == (code));                                              \
  } while (0)

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
                          "lineage", "verify", "audit", "demo"}) {
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
  CHECK(r.out.find("7 of 7 exported lots verify as valid") != std::string::npos);

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

}  // namespace
