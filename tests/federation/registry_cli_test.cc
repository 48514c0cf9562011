// The registry of stage 3 through the CLI, each step its own process, as
// the regulator and a mine would run it (docs/federation.md, "The
// registry"): the registry ledger is published as a tiled log, the mine
// mirrors it and imports from the mirror.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "testing/cli_run.h"

namespace {

using retrace::testing::cli::ReadFile;
using retrace::testing::cli::Retrace;
using retrace::testing::cli::Run;
using retrace::testing::cli::WriteFile;
using TempDir = retrace::testing::cli::WorkDir;

TEST_CASE("A mine's ledger imports the registry from a mirror of its published log",
          "[federation][registry][cli]") {
  TempDir t;
  // The regulator: its root key, the registry ledger, its log key and a
  // witness that follows it.
  REQUIRE_RC(Retrace(t, {"keygen", "--alg", "ed25519", "--out", "regulator"}), 0);
  REQUIRE_RC(Retrace(t, {"init", "--db", "registry", "--name", "registry", "--root-key",
                         "regulator.key"}), 0);
  REQUIRE_RC(Retrace(t, {"note-keygen", "--name", "registry", "--out", "reglog"}), 0);
  REQUIRE_RC(Retrace(t, {"note-keygen", "--name", "w1.example", "--type", "witness", "--out",
                         "w1"}), 0);
  REQUIRE_RC(Retrace(t, {"witness", "init", "--state", "w1.json", "--log-key", "reglog.vkey"}),
             0);
  Run info = Retrace(t, {"info", "--db", "registry", "--format", "json"});
  REQUIRE_RC(info, 0);
  const std::string registry_id = nlohmann::json::parse(info.out)["ledger_id"];

  // The mine's ledger, bound to the registry at creation.
  REQUIRE_RC(Retrace(t, {"init", "--db", "mine", "--name", "mine-ledger", "--root-key",
                         "regulator.key", "--registry-key", "reglog.vkey", "--registry-witness",
                         "w1.vkey", "--registry-ledger-id", registry_id}), 0);
  // Nothing to import from a registry that has published nothing.
  REQUIRE_RC(Retrace(t, {"registry-import", "--db", "mine", "--registry", "registry"}), 2);

  // The registry registers the mine and grants its quota.
  REQUIRE_RC(Retrace(t, {"keygen", "--alg", "ed25519", "--out", "mine-1"}), 0);
  REQUIRE_RC(Retrace(t, {"register", "--db", "registry", "--root-key", "regulator.key",
                         "--actor", "mine-1", "--role", "mine", "--name", "Mine One", "--pubkey",
                         "mine-1.pub", "--licence", "LIC-1"}), 0);
  WriteFile(t / "grant.json",
            R"({"actorId": "regulator", "quotaGranted": {"actorId": "mine-1", "year": 2026,
                "kind": "QUOTA_MINING_ROCK", "reoG": "1000000000", "document": "grant"}})");
  REQUIRE_RC(Retrace(t, {"append", "--db", "registry", "--key", "regulator.key", "grant.json"}),
             0);
  // Signed, cosigned, published.
  REQUIRE_RC(Retrace(t, {"checkpoint", "--db", "registry", "--key", "reglog.notekey"}), 0);
  Run req = Retrace(t, {"consistency", "--db", "registry", "--from-size", "0"});
  REQUIRE_RC(req, 0);
  WriteFile(t / "req.txt", req.out);
  Run cosig = Retrace(t, {"witness", "cosign", "--state", "w1.json", "--key", "w1.notekey",
                          "--request", "req.txt"});
  REQUIRE_RC(cosig, 0);
  WriteFile(t / "cosig.txt", cosig.out);
  REQUIRE_RC(Retrace(t, {"checkpoint", "--db", "registry", "--cosignatures", "cosig.txt",
                         "--witness", "w1.vkey"}), 0);
  REQUIRE_RC(Retrace(t, {"publish", "--db", "registry", "--out", "www"}), 0);

  // The mine mirrors the published registry and imports from the mirror.
  REQUIRE_RC(Retrace(t, {"mirror", "www", "--db", "regmirror", "--log-key", "reglog.vkey",
                         "--witness", "w1.vkey"}), 0);
  Run imported = Retrace(t, {"registry-import", "--db", "mine", "--registry", "regmirror"});
  REQUIRE_RC(imported, 0);
  CHECK(imported.out.find("imported 2 registry record(s)") != std::string::npos);
  Run again = Retrace(t, {"registry-import", "--db", "mine", "--registry", "regmirror"});
  REQUIRE_RC(again, 0);
  CHECK(again.out.find("nothing new to import") != std::string::npos);
  // An unbound ledger refuses to import.
  REQUIRE_RC(Retrace(t, {"registry-import", "--db", "registry", "--registry", "regmirror"}), 2);

  // The mine extracts in its own ledger under the registry's grant.
  WriteFile(t / "extracted.json",
            R"({"actorId": "mine-1", "time": "2026-03-02T08:00:00Z", "extracted": {"lot": {
                "lotId": "ORE-1", "material": "MATERIAL_ORE_CONCENTRATE", "massG": 1000000,
                "content": [{"element": "ELEMENT_ND", "grams": 50000}]},
                "site": "pit 3", "licence": "LIC-1", "quotaKind": "QUOTA_MINING_ROCK"}})");
  REQUIRE_RC(Retrace(t, {"append", "--db", "mine", "--key", "mine-1.key", "extracted.json"}), 0);
  Run v = Retrace(t, {"verify", "--db", "mine", "ORE-1", "--format", "json"});
  REQUIRE_RC(v, 0);
  auto j = nlohmann::json::parse(v.out);
  CHECK(j["valid"] == true);
  CHECK(j["registry"]["origin"] == "registry");
  CHECK(j["registry"]["checkpoint_size"] == 3);
  CHECK(j["registry"]["imported"] == 2);
  Run text = Retrace(t, {"verify", "--db", "mine", "ORE-1"});
  REQUIRE_RC(text, 0);
  CHECK(text.out.find("Registry checkpoint relied on: registry size 3") != std::string::npos);
  Run audit = Retrace(t, {"audit", "--db", "mine", "--format", "json"});
  REQUIRE_RC(audit, 0);
  CHECK(nlohmann::json::parse(audit.out)["registry"]["imported"] == 2);

  // `show` of an import record: the registry's record and its proof.
  Run shown = Retrace(t, {"show", "--db", "mine", "--seq", "1"});
  REQUIRE_RC(shown, 0);
  auto rec = nlohmann::json::parse(shown.out);
  CHECK(rec["kind"] == "registry_import");
  CHECK(rec["registry_import"]["index"] == 1);
  CHECK(rec["registry_import"]["checkpoint"].get<std::string>().rfind("registry\n3\n", 0) == 0);
  CHECK(rec["registry_import"]["inclusion"].size() == 2);
  CHECK(rec["registry_import"]["record"]["kind"] == "actor_registered");
  CHECK(rec["registry_import"]["record"]["event"]["actorRegistered"]["actorId"] == "mine-1");

  // Anyone mirrors the mine's published ledger, imports and all, and
  // audits the copy.
  REQUIRE_RC(Retrace(t, {"note-keygen", "--name", "mine-ledger", "--out", "minelog"}), 0);
  REQUIRE_RC(Retrace(t, {"checkpoint", "--db", "mine", "--key", "minelog.notekey"}), 0);
  REQUIRE_RC(Retrace(t, {"publish", "--db", "mine", "--out", "minewww"}), 0);
  REQUIRE_RC(Retrace(t, {"mirror", "minewww", "--db", "minemirror", "--log-key", "minelog.vkey"}),
             0);
  Run ma = Retrace(t, {"audit", "--db", "minemirror", "--format", "json"});
  REQUIRE_RC(ma, 0);
  CHECK(nlohmann::json::parse(ma.out)["registry"]["imported"] == 2);
  REQUIRE_RC(Retrace(t, {"verify", "--db", "minemirror", "ORE-1"}), 0);
}

}  // namespace
