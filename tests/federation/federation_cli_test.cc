// Two enterprises, each with its own ledger, each command its own process:
// the hand-over through the CLI only (docs/federation.md), as separate
// enterprises would run it.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "testing/cli_run.h"

namespace {

namespace fs = std::filesystem;
using retrace::testing::cli::ReadFile;
using retrace::testing::cli::Retrace;
using retrace::testing::cli::Run;
using retrace::testing::cli::WriteFile;
using TempDir = retrace::testing::cli::WorkDir;

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// mine-1 of the "mine" ledger extracts `lot` at `time` and ships it to
// sep-1 of sep-ledger.
void ExtractAndShip(const TempDir& t, const std::string& lot, const std::string& time) {
  nlohmann::json extracted = {
      {"actorId", "mine-1"},
      {"time", time},
      {"extracted",
       {{"lot",
         {{"lotId", lot},
          {"material", "MATERIAL_ORE_CONCENTRATE"},
          {"massG", 1000000},
          {"content", {{{"element", "ELEMENT_ND"}, {"grams", 50000}}}}}},
        {"site", "pit 3"},
        {"licence", "LIC-1"},
        {"quotaKind", "QUOTA_MINING_ROCK"}}}};
  nlohmann::json shipped = {{"actorId", "mine-1"},
                            {"shipped",
                             {{"lotId", lot},
                              {"toActorId", "sep-1"},
                              {"massG", 1000000},
                              {"consigneeLog", "sep-ledger"}}}};
  WriteFile(t / (lot + "-extracted.json"), extracted.dump());
  REQUIRE_RC(Retrace(t, {"append", "--db", "mine", "--key", "mine-1.key", lot + "-extracted.json"}),
             0);
  WriteFile(t / (lot + "-shipped.json"), shipped.dump());
  REQUIRE_RC(Retrace(t, {"append", "--db", "mine", "--key", "mine-1.key", lot + "-shipped.json"}),
             0);
}

TEST_CASE("Two enterprises hand a lot over through the CLI, one process per step",
          "[federation][cli]") {
  TempDir t;
  // The regulator provisions both ledgers with its root key.
  REQUIRE_RC(Retrace(t, {"keygen", "--alg", "ed25519", "--out", "regulator"}), 0);
  REQUIRE_RC(Retrace(t, {"init", "--db", "mine", "--name", "mine-ledger", "--root-key",
                         "regulator.key"}), 0);
  REQUIRE_RC(Retrace(t, {"init", "--db", "sep", "--name", "sep-ledger", "--root-key",
                         "regulator.key"}), 0);
  for (const char* a : {"mine-1", "sep-1"}) {
    REQUIRE_RC(Retrace(t, {"keygen", "--alg", "ed25519", "--out", a}), 0);
  }
  REQUIRE_RC(Retrace(t, {"register", "--db", "mine", "--root-key", "regulator.key", "--actor",
                         "mine-1", "--role", "mine", "--name", "Mine One", "--pubkey", "mine-1.pub",
                         "--licence", "LIC-1"}), 0);
  REQUIRE_RC(Retrace(t, {"register", "--db", "sep", "--root-key", "regulator.key", "--actor",
                         "sep-1", "--role", "separator", "--name", "Sep One", "--pubkey",
                         "sep-1.pub"}), 0);
  // The mine ledger's checkpoint key and a witness that follows it.
  REQUIRE_RC(Retrace(t, {"note-keygen", "--name", "mine-ledger", "--out", "minelog"}), 0);
  REQUIRE_RC(Retrace(t, {"note-keygen", "--name", "w1.example", "--type", "witness", "--out",
                         "w1"}), 0);
  REQUIRE_RC(Retrace(t, {"witness", "init", "--state", "w1.json", "--log-key", "minelog.vkey"}),
             0);
  // The separator's ledger trusts the mine's log, cosigned by w1.
  nlohmann::json policy = {
      {"actorId", "regulator"},
      {"policySet",
       {{"name", "federated"},
        {"rules",
         {{{"role", "ROLE_SEPARATOR"},
           {"events", {"transformed", "shipped", "received"}},
           {"inputs", {"MATERIAL_ORE_CONCENTRATE"}},
           {"outputs", {"MATERIAL_SEPARATED_OXIDE"}}}}},
        {"trustedLogs",
         {{{"origin", "mine-ledger"},
           {"logKey", Trimmed(ReadFile(t / "minelog.vkey"))},
           {"witnesses", {Trimmed(ReadFile(t / "w1.vkey"))}},
           {"quorum", 1}}}}}}};
  WriteFile(t / "policy.json", policy.dump());
  REQUIRE_RC(Retrace(t, {"append", "--db", "sep", "--key", "regulator.key", "policy.json"}), 0);
  // The mine extracts under its quota and ships to sep-1 of sep-ledger.
  WriteFile(t / "grant.json",
            R"({"actorId": "regulator", "quotaGranted": {"actorId": "mine-1", "year": 2026,
                "kind": "QUOTA_MINING_ROCK", "reoG": "1000000000", "document": "grant"}})");
  REQUIRE_RC(Retrace(t, {"append", "--db", "mine", "--key", "regulator.key", "grant.json"}), 0);
  ExtractAndShip(t, "ORE-1", "2026-03-02T08:00:00Z");
  // Signed and cosigned checkpoint, then the bundle.
  REQUIRE_RC(Retrace(t, {"checkpoint", "--db", "mine", "--key", "minelog.notekey"}), 0);
  Run req = Retrace(t, {"consistency", "--db", "mine", "--from-size", "0"});
  REQUIRE_RC(req, 0);
  WriteFile(t / "req.txt", req.out);
  Run cosig = Retrace(t, {"witness", "cosign", "--state", "w1.json", "--key", "w1.notekey",
                          "--request", "req.txt"});
  REQUIRE_RC(cosig, 0);
  WriteFile(t / "cosig.txt", cosig.out);
  REQUIRE_RC(Retrace(t, {"checkpoint", "--db", "mine", "--cosignatures", "cosig.txt",
                         "--witness", "w1.vkey"}), 0);
  REQUIRE_RC(Retrace(t, {"prove", "--db", "mine", "ORE-1", "-o", "ore.bundle"}), 0);

  // The wrong key (the mine's) cannot receive it; sep-1's can, once.
  REQUIRE_RC(Retrace(t, {"receive", "--db", "sep", "--key", "mine-1.key", "--bundle",
                         "ore.bundle"}), 2);
  Run got = Retrace(t, {"receive", "--db", "sep", "--key", "sep-1.key", "--bundle", "ore.bundle"});
  REQUIRE_RC(got, 0);
  CHECK(got.out.find("received ORE-1") != std::string::npos);
  Run again = Retrace(t, {"receive", "--db", "sep", "--key", "sep-1.key", "--bundle",
                          "ore.bundle"});
  REQUIRE_RC(again, 2);
  CHECK(again.err.find("already exists") != std::string::npos);

  // Verified across both ledgers from the separator's.
  Run v = Retrace(t, {"verify", "--db", "sep", "ORE-1", "--format", "json"});
  REQUIRE_RC(v, 0);
  auto j = nlohmann::json::parse(v.out);
  CHECK(j["valid"] == true);
  REQUIRE(j["ledgers_crossed"].size() == 1);
  CHECK(j["ledgers_crossed"][0]["origin"] == "mine-ledger");
  CHECK(j["origins"][0]["ledger"] == "mine-ledger");
  CHECK(j["origins"][0]["kind"] == "mine");
  Run text = Retrace(t, {"verify", "--db", "sep", "ORE-1"});
  REQUIRE_RC(text, 0);
  CHECK(text.out.find("Ledgers crossed") != std::string::npos);
  // The full audit judges the stored bundle again, as the receipt's append did.
  Run audit = Retrace(t, {"audit", "--db", "sep", "--format", "json"});
  REQUIRE_RC(audit, 0);
  auto aj = nlohmann::json::parse(audit.out);
  CHECK(aj["cross_ledger_receipts"] == 1);
  CHECK(aj["bundles_verified"] == 1);
  Run audit_text = Retrace(t, {"audit", "--db", "sep"});
  REQUIRE_RC(audit_text, 0);
  CHECK(audit_text.out.find("1 cross-ledger receipt(s) judged again: 1 bundle(s) verified") !=
        std::string::npos);

  // The sender checkpoints the separator holds, exported and compared: a
  // party's own view agrees with itself; a document that is not one is
  // refused.
  REQUIRE_RC(Retrace(t, {"foreign-checkpoints", "--db", "sep", "--origin", "mine-ledger", "-o",
                         "held.json"}), 0);
  auto held = nlohmann::json::parse(ReadFile(t / "held.json"));
  CHECK(held["checkpoints"].size() == 1);
  Run cmp = Retrace(t, {"compare", "--db", "sep", "--with", "held.json"});
  REQUIRE_RC(cmp, 0);
  CHECK(cmp.out.find("CONSISTENT") != std::string::npos);
  REQUIRE_RC(Retrace(t, {"compare", "--db", "sep", "--with", "policy.json"}), 2);

  // A second lot, in a later checkpoint of the mine's log: the separator
  // holds the earlier one, so the receipt needs the consistency proof
  // between them -- read here from the tiles the mine publishes.
  Run info = Retrace(t, {"info", "--db", "mine", "--format", "json"});
  REQUIRE_RC(info, 0);
  const std::string first_size =
      std::to_string(nlohmann::json::parse(info.out)["size"].get<std::uint64_t>());
  ExtractAndShip(t, "ORE-2", "2026-03-03T08:00:00Z");
  REQUIRE_RC(Retrace(t, {"checkpoint", "--db", "mine", "--key", "minelog.notekey"}), 0);
  Run req2 = Retrace(t, {"consistency", "--db", "mine", "--from-size", first_size});
  REQUIRE_RC(req2, 0);
  WriteFile(t / "req2.txt", req2.out);
  Run cosig2 = Retrace(t, {"witness", "cosign", "--state", "w1.json", "--key", "w1.notekey",
                           "--request", "req2.txt"});
  REQUIRE_RC(cosig2, 0);
  WriteFile(t / "cosig2.txt", cosig2.out);
  REQUIRE_RC(Retrace(t, {"checkpoint", "--db", "mine", "--cosignatures", "cosig2.txt",
                         "--witness", "w1.vkey"}), 0);
  REQUIRE_RC(Retrace(t, {"publish", "--db", "mine", "--out", "www"}), 0);
  REQUIRE_RC(Retrace(t, {"prove", "--db", "mine", "ORE-2", "-o", "ore2.bundle"}), 0);
  Run unproven = Retrace(t, {"receive", "--db", "sep", "--key", "sep-1.key", "--bundle",
                             "ore2.bundle"});
  REQUIRE_RC(unproven, 2);
  CHECK(unproven.err.find("consisten") != std::string::npos);
  Run got2 = Retrace(t, {"receive", "--db", "sep", "--key", "sep-1.key", "--bundle",
                         "ore2.bundle", "--sender-log", "www"});
  REQUIRE_RC(got2, 0);
  CHECK(got2.out.find("received ORE-2") != std::string::npos);
  // The two sender checkpoints the separator now holds, compared with a
  // party that holds only the first: equal sizes alone, then every pair
  // through the published tiles.
  Run cmp1 = Retrace(t, {"compare", "--db", "sep", "--with", "held.json"});
  REQUIRE_RC(cmp1, 0);
  REQUIRE_RC(Retrace(t, {"foreign-checkpoints", "--db", "sep", "--origin", "mine-ledger", "-o",
                         "held2.json"}), 0);
  Run blind = Retrace(t, {"compare", "--db", "sep", "--with", "held2.json", "--format", "json"});
  REQUIRE_RC(blind, 0);
  Run tiles = Retrace(t, {"compare", "--db", "sep", "--with", "held2.json", "--sender-log", "www",
                          "--format", "json"});
  REQUIRE_RC(tiles, 0);
  auto tj = nlohmann::json::parse(tiles.out);
  CHECK(tj["compared"] == 2);
  CHECK(tj["unproven"] == 0);
  CHECK(tj["consistent"] == true);
}

}  // namespace

namespace {

TEST_CASE("retrace demo --federated builds the chain in separate ledgers and verifies it",
          "[federation][cli][demo]") {
  TempDir t;
  Run demo = Retrace(t, {"demo", "--federated", "--dir", "fed"});
  REQUIRE_RC(demo, 0);
  CHECK(demo.out.find("Ledgers crossed") != std::string::npos);
  // Every ledger is bound to the registry and imported it from the mirror
  // of its published tiles; the report names the registry checkpoint.
  CHECK(demo.out.find("Registry checkpoint relied on: registry size 16") != std::string::npos);
  CHECK(demo.out.find("imported 15 registry records") != std::string::npos);
  CHECK(fs::exists(t / "fed/www/registry/checkpoint"));
  CHECK(demo.out.substr(demo.out.size() - 6) == "VALID\n");
  for (const char* ledger : {"registry", "registry-mirror", "mine-a", "mine-b", "mine-c", "sep-1", "sep-2", "smelter",
                             "magnets-1", "magnets-2", "exporter"}) {
    CHECK(fs::exists(t / (std::string("fed/") + ledger + "/data.mdb")));
  }
  // The customs bundle, offline, from the files the demo wrote.
  Run offline = Retrace(t, {"verify-bundle", "fed/customs-MAG-1.bundle", "--root",
                            "fed/regulator.pub", "--log-key", "fed/exporter.vkey", "--witness",
                            "fed/w1.vkey", "--witness", "fed/w2.vkey"});
  REQUIRE_RC(offline, 0);
  // With only the regulator's key: the registry's policy names the
  // exporter's log key and the witnesses.
  Run anchored = Retrace(t, {"verify-bundle", "fed/customs-MAG-1.bundle", "--root",
                             "fed/regulator.pub"});
  REQUIRE_RC(anchored, 0);
  CHECK(anchored.out.find("as the bundle's regulator-signed policy names them") !=
        std::string::npos);
  // Every ledger verifies across the ones upstream of it; a second run
  // refuses the directory it filled.
  REQUIRE_RC(Retrace(t, {"verify", "--db", "fed/exporter", "MAG-1"}), 0);
  REQUIRE_RC(Retrace(t, {"verify", "--db", "fed/magnets-2", "MAG-2"}), 0);
  REQUIRE_RC(Retrace(t, {"audit", "--db", "fed/smelter"}), 0);
  REQUIRE_RC(Retrace(t, {"audit", "--db", "fed/registry-mirror"}), 0);
  REQUIRE_RC(Retrace(t, {"demo", "--federated", "--dir", "fed"}), 2);
}

}  // namespace
