// The transparency subcommands end to end, running the built `retrace`
// binary on the demo chain: log and witness keys, checkpoints, witness
// cosigning, bundles, tlog proofs -- and the rewrite attack, which every
// later command must refuse.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

#include "retrace/ledger.h"
#include "testing/files.h"
#include "testing/test_chain.h"
#include "transparency/rewrite.h"

namespace retrace {
namespace {

struct Run {
  int code = -1;
  std::string out;
};

// Runs `args` with the retrace binary in `dir`; stdout captured, stderr
// appended to it when `with_stderr`.
Run Retrace(const std::string& dir, const std::string& args, bool with_stderr = false) {
  const std::string cmd = "cd '" + dir + "' && '" RETRACE_CLI_PATH "' " + args +
                          (with_stderr ? " 2>&1" : " 2>/dev/null");
  Run r;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

using testing::ReadFile;
using testing::WriteFile;

// The demo chain with a log key, two witness keys and witness states.
struct Deployment {
  Deployment() {
    REQUIRE(Retrace(dir.path(), "demo --db chain").code == 0);
    REQUIRE(Retrace(dir.path(), "note-keygen --name retrace-demo --out log").code == 0);
    REQUIRE(Retrace(dir.path(), "note-keygen --name w1.example --type witness --out w1").code == 0);
    REQUIRE(Retrace(dir.path(), "note-keygen --name w2.example --type witness --out w2").code == 0);
    REQUIRE(Retrace(dir.path(), "witness init --state w1.json --log-key log.vkey").code == 0);
    REQUIRE(Retrace(dir.path(), "witness init --state w2.json --log-key log.vkey").code == 0);
  }
  Run operator()(const std::string& args, bool with_stderr = false) const {
    return Retrace(dir.path(), args, with_stderr);
  }
  std::string Path(const std::string& name) const { return dir.Sub(name); }
  testing::TempDir dir;
};

TEST_CASE("CLI: checkpoint, witness cosign, prove and verify-bundle", "[cli][transparency]") {
  Deployment d;
  Run cp = d("checkpoint --db chain --key log.notekey -o cp1.txt");
  REQUIRE(cp.code == 0);
  const std::string cp1 = ReadFile(d.Path("cp1.txt"));
  CHECK(cp1.rfind("retrace-demo\n", 0) == 0);
  CHECK(cp1.find("\n\n\xE2\x80\x94 retrace-demo ") != std::string::npos);
  CHECK(d("checkpoint --db chain --latest").out == cp1);

  // Both witnesses cosign the first checkpoint (old size 0); the ledger stores both.
  REQUIRE(d("consistency --db chain --from-size 0 -o req.txt").code == 0);
  CHECK(ReadFile(d.Path("req.txt")) == "old 0\n\n" + cp1);
  Run c1 = d("witness cosign --state w1.json --key w1.notekey --request req.txt --time 1700000000");
  Run c2 = d("witness cosign --state w2.json --key w2.notekey --request req.txt --time 1700000001");
  REQUIRE((c1.code == 0 && c2.code == 0));
  CHECK(c1.out.rfind("\xE2\x80\x94 w1.example ", 0) == 0);
  WriteFile(d.Path("cosigs.txt"), c1.out + c2.out);
  Run added = d("checkpoint --db chain --cosignatures cosigs.txt --witness w1.vkey --witness w2.vkey");
  REQUIRE(added.code == 0);
  CHECK(added.out == cp1 + c1.out + c2.out);
  // Cosignatures that do not verify under the named witness are refused:
  // checked, and they do not verify (exit 1).
  Run wrong_witness =
      d("checkpoint --db chain --cosignatures cosigs.txt --witness log.vkey", true);
  CHECK(wrong_witness.code == 1);
  CHECK(wrong_witness.out.find("REFUSED:") != std::string::npos);

  Run proved = d("prove --db chain MAG-00004 -o mag.bundle");
  REQUIRE(proved.code == 0);
  CHECK(proved.out.find("bundle for lot MAG-00004") != std::string::npos);
  const std::string trust = "--root chain/keys/regulator.pub --log-key log.vkey";
  Run v = d("verify-bundle mag.bundle " + trust + " --witness w1.vkey --witness w2.vkey");
  CHECK(v.code == 0);
  CHECK(v.out.find("Bundle for lot MAG-00004: VALID") != std::string::npos);
  CHECK(v.out.find("2 of 2 cosigned") != std::string::npos);
  CHECK(v.out.find("history     closed") != std::string::npos);
  Run j = d("verify-bundle mag.bundle " + trust + " --format json");
  CHECK(j.code == 0);
  CHECK(j.out.find("\"schema\": \"retrace.bundle-report/v1\"") != std::string::npos);

  // Wrong trust anchors: findings (exit 1), not errors.
  Run other_root = d("verify-bundle mag.bundle --root chain/keys/sep-baotou.pub --log-key log.vkey");
  CHECK(other_root.code == 1);
  CHECK(other_root.out.find("root_key_mismatch") != std::string::npos);
  Run other_log = d("verify-bundle mag.bundle --root chain/keys/regulator.pub --log-key "
                    "\"$(cat w1.vkey)\"");
  CHECK(other_log.code == 2);  // a cosignature key cannot be the log key
  CHECK(d("verify-bundle mag.bundle " + trust + " --witness w1.vkey --quorum 2").code == 2);

  // A flipped byte in the bundle file: invalid (1) or unreadable (2), never 0.
  std::string bundle = ReadFile(d.Path("mag.bundle"));
  bundle[bundle.size() / 2] ^= 1;
  WriteFile(d.Path("bad.bundle"), bundle);
  Run bad = d("verify-bundle bad.bundle " + trust);
  CHECK((bad.code == 1 || bad.code == 2));

  // A single record as a C2SP tlog proof.
  REQUIRE(d("tlog-proof export --db chain 42 -o r42.tlog-proof").code == 0);
  CHECK(ReadFile(d.Path("r42.tlog-proof")).rfind("c2sp.org/tlog-proof@v1\nextra ", 0) == 0);
  Run tv = d("tlog-proof verify r42.tlog-proof --log-key log.vkey --witness w1.vkey");
  CHECK(tv.code == 0);
  CHECK(tv.out.find("VALID: leaf 42") != std::string::npos);
  std::string tp = ReadFile(d.Path("r42.tlog-proof"));
  tp.replace(tp.find("index 42"), 8, "index 41");
  WriteFile(d.Path("r41.tlog-proof"), tp);
  CHECK(d("tlog-proof verify r41.tlog-proof --log-key log.vkey").code == 1);
}

TEST_CASE("CLI: a rewritten history is refused by checkpoint, consistency and the witness",
          "[cli][transparency][tamper]") {
  Deployment d;
  REQUIRE(d("checkpoint --db chain --key log.notekey -o cp1.txt").code == 0);
  REQUIRE(d("consistency --db chain --from-size 0 -o req.txt").code == 0);
  REQUIRE(d("witness cosign --state w1.json --key w1.notekey --request req.txt").code == 0);
  // Still consistent with itself.
  CHECK(d("consistency --db chain --from cp1.txt --log-key log.vkey").code == 0);

  // The owner rewrites the last record (its actor's key is on disk in the
  // demo) with another time, re-links and rebuilds the tree.
  std::uint64_t seq = 0;
  SignedEvent forged;
  {
    Options ro;
    ro.read_only = true;
    auto ledger = Ledger::Open(ro, d.Path("chain"));
    REQUIRE(ledger.ok());
    seq = (*ledger)->Info()->size - 1;
    auto rec = (*ledger)->ReadRecord(seq);
    REQUIRE(rec.ok());
    auto ev = DecodeEvent(rec->event_bytes);
    REQUIRE(ev.ok());
    ev->time.seconds += 3600;
    auto key = Signer::LoadPrivateKeyFile(d.Path("chain/keys/" + ev->actor_id + ".key"));
    REQUIRE(key.ok());
    auto se = SignEvent(*ev, **key);
    REQUIRE(se.ok());
    forged = *se;
  }
  testing::RewriteHistory(d.Path("chain"), seq, forged);

  Run resign = d("checkpoint --db chain --key log.notekey", true);
  CHECK(resign.code == 1);  // checked: the log does not extend its checkpoint
  CHECK(resign.out.find("REFUSED:") != std::string::npos);
  CHECK(resign.out.find("rewritten") != std::string::npos);
  Run cons = d("consistency --db chain --from cp1.txt");
  CHECK(cons.code == 1);
  CHECK(cons.out.find("INCONSISTENT") != std::string::npos);
  CHECK(d("prove --db chain MAG-00004 -o x.bundle").code == 2);

  // Having forgotten its checkpoints, the forged log signs again -- and the
  // witness, which remembers, refuses to cosign.
  testing::DropCheckpoints(d.Path("chain"));
  REQUIRE(d("checkpoint --db chain --key log.notekey").code == 0);
  const std::string old_size = std::to_string(seq + 1);
  REQUIRE(d("consistency --db chain --from-size " + old_size + " -o req2.txt").code == 0);
  const std::string state = ReadFile(d.Path("w1.json"));
  Run refused = d("witness cosign --state w1.json --key w1.notekey --request req2.txt", true);
  CHECK(refused.code == 1);
  CHECK(refused.out.find("REFUSED") != std::string::npos);
  CHECK(ReadFile(d.Path("w1.json")) == state);
}

// The last line of standard output.
std::string LastLine(const std::string& out) {
  std::string s = out;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  const std::size_t nl = s.rfind('\n');
  return nl == std::string::npos ? s : s.substr(nl + 1);
}

TEST_CASE("CLI: what does not verify exits 1, what cannot be read exits 2",
          "[cli][transparency][exit]") {
  Deployment d;
  REQUIRE(d("checkpoint --db chain --key log.notekey -o cp1.txt").code == 0);
  // An old checkpoint whose signature does not verify under --log-key.
  REQUIRE(d("note-keygen --name retrace-demo --out other").code == 0);
  Run bad_sig = d("consistency --db chain --from cp1.txt --log-key other.vkey");
  CHECK(bad_sig.code == 1);
  CHECK(bad_sig.out.rfind("INCONSISTENT:", 0) == 0);
  Run bad_sig_json = d("consistency --db chain --from cp1.txt --log-key other.vkey --format json");
  CHECK(bad_sig_json.code == 1);
  CHECK(bad_sig_json.out.find("\"schema\": \"retrace.consistency/v1\"") != std::string::npos);
  Run ok_json = d("consistency --db chain --from cp1.txt --format json");
  CHECK(ok_json.code == 0);
  CHECK(ok_json.out.find("\"schema\": \"retrace.consistency/v1\"") != std::string::npos);
  // A file that is not a checkpoint at all: cannot check (2).
  WriteFile(d.Path("junk.txt"), "junk\n");
  CHECK(d("consistency --db chain --from junk.txt --log-key log.vkey").code == 2);

  // A stale request: the witness cosigned size N since; a request from 0
  // is refused (1, REFUSED:) and names the size to ask from.
  REQUIRE(d("consistency --db chain --from-size 0 -o req.txt").code == 0);
  REQUIRE(d("witness cosign --state w1.json --key w1.notekey --request req.txt --time 1700000000")
              .code == 0);
  const std::string state = ReadFile(d.Path("w1.json"));
  Run stale = d("witness cosign --state w1.json --key w1.notekey --request req.txt", true);
  CHECK(stale.code == 1);
  CHECK(stale.out.find("REFUSED:") != std::string::npos);
  CHECK(stale.out.find("ask again") != std::string::npos);
  CHECK(ReadFile(d.Path("w1.json")) == state);
  // witness show: ISO 8601 times.
  Run show = d("witness show --state w1.json");
  CHECK(show.code == 0);
  CHECK(show.out.find("at 2023-11-14T22:13:20Z") != std::string::npos);
  CHECK(d("witness show --state w1.json --format json").out.find("retrace.witness-state/v1") !=
        std::string::npos);
  // A verifier key file that does not exist says so.
  Run missing = d("witness init --state w3.json --log-key missing.vkey", true);
  CHECK(missing.code == 2);
  CHECK(missing.out.find("no such file") != std::string::npos);

  // checkpoint --latest --format json.
  Run latest = d("checkpoint --db chain --latest --format json");
  CHECK(latest.code == 0);
  CHECK(latest.out.find("\"schema\": \"retrace.checkpoint/v1\"") != std::string::npos);
  CHECK(latest.out.find("\"origin\": \"retrace-demo\"") != std::string::npos);

  // verify-bundle: the last line is the bundle's verdict, even when the
  // lineage inside is valid.
  REQUIRE(d("prove --db chain MAG-00004 -o mag.bundle").code == 0);
  Run good = d("verify-bundle mag.bundle --root chain/keys/regulator.pub --log-key log.vkey");
  CHECK(good.code == 0);
  CHECK(LastLine(good.out) == "VALID");
  Run wrong = d("verify-bundle mag.bundle --root chain/keys/sep-baotou.pub --log-key log.vkey");
  CHECK(wrong.code == 1);
  CHECK(LastLine(wrong.out) == "INVALID");
  Run quorum = d("verify-bundle mag.bundle --root chain/keys/regulator.pub --log-key log.vkey "
                 "--witness w1.vkey");
  CHECK(quorum.code == 1);  // w1 did not cosign the stored checkpoint
  CHECK(LastLine(quorum.out) == "INVALID");

  // tlog-proof verify: the verdict last; --format json.
  REQUIRE(d("tlog-proof export --db chain 42 -o r42.tlog-proof").code == 0);
  Run tv = d("tlog-proof verify r42.tlog-proof --log-key log.vkey");
  CHECK(tv.code == 0);
  CHECK(LastLine(tv.out).rfind("VALID: leaf 42", 0) == 0);
  Run tj = d("tlog-proof verify r42.tlog-proof --log-key log.vkey --format json");
  CHECK(tj.code == 0);
  CHECK(tj.out.find("\"schema\": \"retrace.tlog-proof/v1\"") != std::string::npos);
  Run tbad = d("tlog-proof verify r42.tlog-proof --log-key other.vkey --format json");
  CHECK(tbad.code == 1);
  CHECK(tbad.out.find("\"valid\": false") != std::string::npos);

  // report --checkpoint: a checkpoint of another ledger is a finding.
  REQUIRE(d("demo --db other --seed 7").code == 0);
  REQUIRE(d("checkpoint --db other --key log.notekey -o cp-other.txt").code == 0);
  Run mismatch = d("report --db chain MAG-00004 --checkpoint cp-other.txt -o r.html", true);
  CHECK(mismatch.code == 1);
  CHECK(mismatch.out.find("does not match") != std::string::npos);
  CHECK(LastLine(mismatch.out) == "INVALID");
  CHECK(d("report --db chain MAG-00004 --checkpoint cp1.txt --log-key log.vkey -o r.html").code ==
        0);
  CHECK(d("report --db chain MAG-00004 --checkpoint cp1.txt --log-key other.vkey -o r.html")
            .code == 1);
}

TEST_CASE("CLI: transparency commands refuse bad input and change nothing", "[cli][transparency]") {
  Deployment d;
  CHECK(d("prove --db chain MAG-00004 -o x.bundle").code == 2);  // no checkpoint yet
  CHECK(d("checkpoint --db chain --key w1.notekey").code == 2);  // a witness key
  CHECK(d("checkpoint --db chain --latest").code == 2);
  CHECK(d("note-keygen --name 'bad name' --out bad").code == 2);
  CHECK(d("note-keygen --name retrace-demo --out log").code == 2);  // never overwrites
  CHECK(d("witness init --state w1.json --log-key log.vkey").code == 2);  // already trusted
  REQUIRE(d("checkpoint --db chain --key log.notekey -o cp1.txt").code == 0);
  WriteFile(d.Path("garbage.txt"), "old 0\n\nnot a checkpoint\n");
  CHECK(d("witness cosign --state w1.json --key w1.notekey --request garbage.txt").code == 2);
  CHECK(d("consistency --db chain").code == 2);
  CHECK(d("tlog-proof export --db chain 5000").code == 2);
}

}  // namespace
}  // namespace retrace
