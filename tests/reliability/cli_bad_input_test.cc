// Hostile input through the retrace CLI (the built binary), table-driven:
// every case exits 2 with a message naming the field, key or path, and
// leaves the ledger byte-for-byte as it was -- the same data.mdb bytes and
// the same `info` (size and head hash). Also the key-file rules a user
// meets: keygen writes 0600, and a private key group or others may read is
// refused, naming the chmod that fixes it.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "reliability/reliability_util.h"
#include "testing/test_chain.h"

#ifndef RETRACE_CLI_PATH
#error "RETRACE_CLI_PATH must name the built retrace binary"
#endif

namespace retrace {
namespace {

namespace fs = std::filesystem;

struct Run {
  int rc = -1;
  std::string out, err;
};

// Runs `retrace args...` with `input` on standard input.
Run Retrace(const testing::TempDir& tmp, const std::vector<std::string>& args,
            const std::string& input = "") {
  const std::string in = tmp.Sub(".stdin"), out = tmp.Sub(".stdout"), err = tmp.Sub(".stderr");
  testing::WriteFile(in, input);
  std::vector<std::string> argv{RETRACE_CLI_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  const pid_t pid = testing::Spawn(argv, {in, out, err});
  std::string hung;
  const std::optional<int> waited = testing::WaitWithDeadline(pid, testing::kChildDeadlineSeconds, &hung);
  INFO("retrace " << (args.empty() ? "" : args[0]) << " " << hung);
  REQUIRE(waited.has_value());
  const int status = *waited;
  Run r;
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = testing::ReadFile(out);
  r.err = testing::ReadFile(err);
  return r;
}

#define REQUIRE_RUN(run, code)                                  \
  do {                                                          \
    const Run& _r = (run);                                      \
    INFO("stdout: " << _r.out << "\nstderr: " << _r.err);       \
    REQUIRE(_r.rc == (code));                                   \
  } while (0)

// A private key of a type retrace does not sign with, as PKCS#8 PEM.
std::string ForeignKeyPem(const char* type, const char* param) {
  EVP_PKEY* k = param ? EVP_PKEY_Q_keygen(nullptr, nullptr, type, param)
                      : EVP_PKEY_Q_keygen(nullptr, nullptr, type, static_cast<size_t>(2048));
  REQUIRE(k != nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  REQUIRE(PEM_write_bio_PrivateKey(bio, k, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);  // NOLINT(runtime/int)
  std::string pem(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  EVP_PKEY_free(k);
  return pem;
}

void WriteKey(const std::string& path, const std::string& pem, mode_t mode) {
  testing::WriteFile(path, pem);
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

// keygen, init, register a mine and a separator, grant the mine a quota and
// extract ORE-1 -- all through the CLI.
struct CliLedger {
  testing::TempDir tmp;
  std::string db = tmp.Sub("ledger");
  std::string K(const std::string& who) const { return tmp.Sub(who + ".key"); }
  std::string P(const std::string& who) const { return tmp.Sub(who + ".pub"); }

  CliLedger() {
    for (const char* who : {"root", "mine", "sep"}) {
      REQUIRE_RUN(Retrace(tmp, {"keygen", "--alg", "ed25519", "--out", tmp.Sub(who)}), 0);
    }
    REQUIRE_RUN(Retrace(tmp, {"init", "--db", db, "--name", "cli-bad", "--root-key", K("root")}), 0);
    REQUIRE_RUN(Retrace(tmp, {"register", "--db", db, "--root-key", K("root"), "--actor", "mine-1",
                              "--role", "mine", "--name", "Mine", "--pubkey", P("mine"),
                              "--licence", "C-001"}),
                0);
    REQUIRE_RUN(Retrace(tmp, {"register", "--db", db, "--root-key", K("root"), "--actor", "sep-1",
                              "--role", "separator", "--name", "Sep", "--pubkey", P("sep")}),
                0);
    REQUIRE_RUN(Retrace(tmp, {"append", "--db", db, "--key", K("root")},
                        R"({"actorId":"regulator","quotaGranted":{"actorId":"mine-1","year":2026,)"
                        R"("kind":"QUOTA_MINING_ROCK","reoG":"100000000"}})"),
                0);
    REQUIRE_RUN(Retrace(tmp, {"append", "--db", db, "--key", K("mine")}, Extraction("ORE-1", "ev-ore-1")), 0);
  }

  static std::string Extraction(const std::string& lot, const std::string& id,
                                const std::string& mass = "\"1000000\"") {
    return R"({"eventId":")" + id + R"(","actorId":"mine-1","time":"2026-06-01T08:00:00Z",)"
           R"("extracted":{"lot":{"lotId":")" + lot + R"(","material":"MATERIAL_ORE_CONCENTRATE",)"
           R"("massG":)" + mass + R"(,"content":[{"element":"ELEMENT_ND","grams":"500"}]},)"
           R"("site":"Pit 3","licence":"C-001","quotaKind":"QUOTA_MINING_ROCK"}})";
  }

  std::string State() const {
    Run r = Retrace(tmp, {"info", "--db", db, "--format", "json"});
    REQUIRE(r.rc == 0);
    return r.out;
  }
};

struct CliCase {
  std::string name;
  std::vector<std::string> args;
  std::string input;
  std::string must_mention;
};

TEST_CASE("Hostile input to the CLI exits 2 naming the problem, the ledger unchanged",
          "[bad-input][cli]") {
  CliLedger l;
  const auto& tmp = l.tmp;
  WriteKey(tmp.Sub("rsa.key"), ForeignKeyPem("RSA", nullptr), 0600);
  WriteKey(tmp.Sub("p384.key"), ForeignKeyPem("EC", "P-384"), 0600);
  WriteKey(tmp.Sub("garbage.key"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", 0600);
  WriteKey(tmp.Sub("open.key"), testing::ReadFile(l.K("mine")), 0644);
  WriteKey(tmp.Sub("group.key"), testing::ReadFile(l.K("mine")), 0640);
  WriteKey(tmp.Sub("public-0600.key"), testing::ReadFile(l.P("mine")), 0600);
  testing::WriteFile(tmp.Sub("plain-file"), "not a ledger");
  // A transformation with a million inputs, parents given so nothing is
  // looked up: refused by the event size limit.
  std::string million = R"({"actorId":"sep-1","transformed":{"inputs":[)";
  for (int i = 0; i < 1000000; ++i) {
    if (i) million += ',';
    million += R"({"lotId":"L-)" + std::to_string(i) +
               R"(","consumedG":"1","parentHash":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="})";
  }
  million += R"(],"outputs":[{"lotId":"OX-M","material":"MATERIAL_SEPARATED_OXIDE","massG":"1000000"}]}})";
  const std::string huge_description = R"({"actorId":"mine-1","extracted":{"lot":{"lotId":"BIG","material":"MATERIAL_ORE_CONCENTRATE","massG":"1","description":")" +
                                       std::string(100u << 20, 'd') + R"("},"site":"s"}})";
  const std::vector<std::string> append_mine = {"append", "--db", l.db, "--key", l.K("mine")};
  const std::vector<CliCase> cases = {
      {"not JSON", append_mine, "{not json", "does not parse"},
      {"an empty input", append_mine, "", "no event"},
      {"a number where an id belongs", append_mine, R"({"actorId":5})", "actor_id"},
      {"a negative mass", append_mine, CliLedger::Extraction("ORE-2", "e-2", "\"-5\""), "mass_g"},
      {"a mass over 2^64", append_mine, CliLedger::Extraction("ORE-2", "e-2", "\"18446744073709551616\""),
       "mass_g"},
      {"a mass of zero", append_mine, CliLedger::Extraction("ORE-2", "e-2", "\"0\""), "mass_g"},
      {"a key given twice", append_mine,
       R"({"actorId":"mine-1","actorId":"sep-1","extracted":{}})", "\"actorId\" twice"},
      {"an unknown field", append_mine, R"({"actorId":"mine-1","colour":"red"})", "colour"},
      {"invalid UTF-8 in a lot id", append_mine, CliLedger::Extraction("ORE\xff\xfe", "e-3"), "UTF-8"},
      {"a control character in a lot id", append_mine, CliLedger::Extraction("ORE\\u0007", "e-3"),
       "lot_id"},
      {"a lot that does not exist", append_mine,
       R"({"actorId":"mine-1","shipped":{"lotId":"NO-SUCH-LOT","toActorId":"sep-1","massG":"5"}})",
       "NO-SUCH-LOT"},
      {"a lot id that exists", append_mine, CliLedger::Extraction("ORE-1", "e-4"), "ORE-1"},
      {"an event id used before", append_mine, CliLedger::Extraction("ORE-5", "ev-ore-1"),
       "duplicate_event_id"},
      {"a 100 MB description", append_mine, huge_description, "description"},
      {"a million inputs", {"append", "--db", l.db, "--key", l.K("sep")}, million, "max_event_bytes"},
      {"JSON Lines with a bad third line", {"append", "--db", l.db, "--key", l.K("mine"), "--jsonl"},
       CliLedger::Extraction("ORE-6", "e-6") + "\n" + CliLedger::Extraction("ORE-7", "e-7") + "\n{bad\n",
       "line 3"},
      {"an RSA key", {"append", "--db", l.db, "--key", tmp.Sub("rsa.key")},
       CliLedger::Extraction("ORE-8", "e-8"), "rsa.key"},
      {"a P-384 key", {"append", "--db", l.db, "--key", tmp.Sub("p384.key")},
       CliLedger::Extraction("ORE-8", "e-8"), "p384.key"},
      {"a public key where the private key belongs",
       {"append", "--db", l.db, "--key", tmp.Sub("public-0600.key")},
       CliLedger::Extraction("ORE-8", "e-8"), "PRIVATE KEY"},
      {"a damaged private key", {"append", "--db", l.db, "--key", tmp.Sub("garbage.key")},
       CliLedger::Extraction("ORE-8", "e-8"), "garbage.key"},
      {"a private key others may read", {"append", "--db", l.db, "--key", tmp.Sub("open.key")},
       CliLedger::Extraction("ORE-8", "e-8"), "chmod 600"},
      {"a private key the group may read", {"append", "--db", l.db, "--key", tmp.Sub("group.key")},
       CliLedger::Extraction("ORE-8", "e-8"), "0640"},
      {"a key file that does not exist", {"append", "--db", l.db, "--key", tmp.Sub("nope.key")},
       CliLedger::Extraction("ORE-8", "e-8"), "nope.key"},
      {"another actor's key", {"append", "--db", l.db, "--key", l.K("sep")},
       CliLedger::Extraction("ORE-8", "e-8"), "key_actor_mismatch"},
      {"a private key where the public key belongs",
       {"register", "--db", l.db, "--root-key", l.K("root"), "--actor", "x-1", "--role", "mine",
        "--name", "X", "--pubkey", l.K("sep")},
       "", "PUBLIC KEY"},
      {"an unknown role",
       {"register", "--db", l.db, "--root-key", l.K("root"), "--actor", "x-1", "--role", "wizard",
        "--name", "X", "--pubkey", l.P("sep")},
       "", "wizard"},
      {"registering an actor id twice",
       {"register", "--db", l.db, "--root-key", l.K("root"), "--actor", "mine-1", "--role", "mine",
        "--name", "X", "--pubkey", l.P("sep")},
       "", "mine-1"},
      {"registering with a key that is not the root's",
       {"register", "--db", l.db, "--root-key", l.K("mine"), "--actor", "x-2", "--role", "mine",
        "--name", "X", "--pubkey", l.P("sep")},
       "", "regulator"},
      {"init over an existing ledger", {"init", "--db", l.db, "--name", "again", "--root-key", l.K("root")},
       "", "not empty"},
      {"a ledger directory that does not exist",
       {"append", "--db", tmp.Sub("no-such-dir"), "--key", l.K("mine")},
       CliLedger::Extraction("ORE-8", "e-8"), "no-such-dir"},
      {"a file where the ledger directory belongs",
       {"append", "--db", tmp.Sub("plain-file"), "--key", l.K("mine")},
       CliLedger::Extraction("ORE-8", "e-8"), "plain-file"},
  };
  l.State();
  const std::string state = l.State();
  const std::string sha = testing::FileSha256(l.db + "/data.mdb");
  int tried = 0;
  for (const auto& c : cases) {
    INFO(c.name);
    Run r = Retrace(tmp, c.args, c.input);
    ++tried;
    INFO("stderr: " << r.err.substr(0, 2000));
    CHECK(r.rc == 2);
    CHECK_THAT(r.err, Catch::Contains(c.must_mention));
    CHECK(l.State() == state);
    CHECK(testing::FileSha256(l.db + "/data.mdb") == sha);
  }
  CHECK_FALSE(fs::exists(tmp.Sub("no-such-dir")));
  // And the ledger still takes a good event.
  REQUIRE_RUN(Retrace(tmp, {"append", "--db", l.db, "--key", l.K("mine")}, CliLedger::Extraction("ORE-9", "e-9")), 0);
  WARN("hostile CLI inputs refused: " << tried);
}

TEST_CASE("keygen writes the private key 0600 and never over an existing file", "[cli][security]") {
  testing::TempDir tmp;
  ::umask(0);  // even a permissive umask yields 0600
  Run r = Retrace(tmp, {"keygen", "--alg", "sm2", "--out", tmp.Sub("k")});
  ::umask(022);
  REQUIRE_RUN(r, 0);
  struct stat st {};
  REQUIRE(::stat(tmp.Sub("k.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  const std::string key = testing::ReadFile(tmp.Sub("k.key"));
  REQUIRE_RUN(Retrace(tmp, {"keygen", "--alg", "ed25519", "--out", tmp.Sub("k")}), 2);
  CHECK(testing::ReadFile(tmp.Sub("k.key")) == key);
}

}  // namespace
}  // namespace retrace
