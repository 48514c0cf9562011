// Security properties of keys and signatures (docs/threat-model.md):
// private key files are refused unless only their owner may read them;
// private keys do not outlive their Signer in memory; event signatures are
// domain-separated; an event replayed from another ledger or at another
// position is refused.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "reliability/reliability_util.h"
#include "retrace/note.h"
#include "testing/test_chain.h"

namespace retrace {
namespace {

using testing::MakeLot;
using testing::TestChain;

TEST_CASE("A private key file is used only if no group or other permission bit is set",
          "[security][keys]") {
  testing::TempDir tmp;
  auto key = Signer::Generate(Algorithm::kEd25519);
  REQUIRE(key.ok());
  const std::string path = tmp.Sub("k.key");
  REQUIRE((*key)->WritePrivateKeyFile(path).ok());
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  int refused = 0, accepted = 0;
  for (mode_t mode = 0; mode < 01000; ++mode) {
    if ((mode & 0400) == 0) continue;  // the owner must read it (root would anyway)
    REQUIRE(::chmod(path.c_str(), mode) == 0);
    auto s = Signer::LoadPrivateKeyFile(path);
    INFO("mode " << std::oct << mode);
    if (mode & 077) {
      REQUIRE_FALSE(s.ok());
      CHECK(s.status().code() == StatusCode::kFailedPrecondition);
      CHECK_THAT(s.status().message(), Catch::Contains("chmod 600"));
      ++refused;
    } else {
      REQUIRE(s.ok());
      CHECK((*s)->public_key() == (*key)->public_key());
      ++accepted;
    }
  }
  CHECK(refused == 252);  // of the 256 modes the owner can read
  CHECK(accepted == 4);   // 0400, 0500, 0600, 0700
}

// Occurrences of `needle` in this process's writable memory. The needle is
// passed masked (each byte XOR 0x5a) so that the search itself never holds
// it in clear.
int CountInMemory(const std::string& masked) {
  std::ifstream maps("/proc/self/maps");
  int mem = ::open("/proc/self/mem", O_RDONLY);
  REQUIRE(mem >= 0);
  int found = 0;
  std::string line;
  std::vector<unsigned char> buf;
  while (std::getline(maps, line)) {
    std::istringstream in(line);
    std::string range, perms;
    in >> range >> perms;
    if (perms.size() < 2 || perms[0] != 'r' || perms[1] != 'w') continue;
    if (line.find("[vvar]") != std::string::npos || line.find("[vsyscall]") != std::string::npos) continue;
    const auto dash = range.find('-');
    const std::uint64_t lo = std::stoull(range.substr(0, dash), nullptr, 16);
    const std::uint64_t hi = std::stoull(range.substr(dash + 1), nullptr, 16);
    // Sanitizer shadow and reserved ranges are terabytes of nothing.
    if (hi - lo > (std::uint64_t{1} << 30)) continue;
    const unsigned char first = static_cast<unsigned char>(masked[0] ^ 0x5a);
    const std::size_t kChunk = std::size_t{16} << 20, overlap = masked.size() - 1;
    for (std::uint64_t at = lo; at < hi; at += kChunk) {
      const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk + overlap, hi - at));
      buf.resize(want);
      ssize_t n = ::pread(mem, buf.data(), want, static_cast<off_t>(at));
      if (n <= 0) break;
      for (std::size_t i = 0; i + masked.size() <= static_cast<std::size_t>(n) && i < kChunk; ++i) {
        if (buf[i] != first) continue;
        std::size_t k = 1;
        while (k < masked.size() && (buf[i + k] ^ 0x5a) == static_cast<unsigned char>(masked[k])) ++k;
        if (k == masked.size()) ++found;
      }
    }
  }
  ::close(mem);
  std::fill(buf.begin(), buf.end(), 0);
  return found;
}

TEST_CASE("A private key read from its file leaves no copy in memory once its Signer is gone",
          "[security][keys]") {
  testing::TempDir tmp;
  const std::string path = tmp.Sub("k.key");
  std::string masked_body;  // the secret-bearing base64 of the PKCS#8 PEM
  {
    auto key = Signer::Generate(Algorithm::kEd25519);
    REQUIRE(key.ok());
    REQUIRE((*key)->WritePrivateKeyFile(path).ok());
    // Read with read(2) into a buffer wiped below (no stream buffers).
    std::vector<char> pem(4096);
    int fd = ::open(path.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    const ssize_t n = ::read(fd, pem.data(), pem.size());
    ::close(fd);
    REQUIRE(n > 0);
    // "-----BEGIN PRIVATE KEY-----\n<64 base64 chars>\n-----END ...": the
    // last 40 characters of the body encode 30 bytes of the seed.
    const std::string_view text(pem.data(), static_cast<std::size_t>(n));
    const auto nl = text.find('\n');
    REQUIRE(nl != std::string::npos);
    for (std::size_t i = 0; i < 40; ++i) masked_body.push_back(static_cast<char>(text[nl + 1 + 24 + i] ^ 0x5a));
    volatile char* wipe = pem.data();
    for (std::size_t i = 0; i < pem.size(); ++i) wipe[i] = 0;
  }
  {
    // The search finds a copy that is there.
    std::vector<char> plain(masked_body.begin(), masked_body.end());
    for (char& ch : plain) ch = static_cast<char>(ch ^ 0x5a);
    CHECK(CountInMemory(masked_body) >= 1);
    volatile char* wipe = plain.data();
    for (std::size_t i = 0; i < plain.size(); ++i) wipe[i] = 0;
  }
  // Key generation and export may leave traces of their own (OpenSSL's
  // secure heap is not in use); what is under test is loading from a file.
  const int before = CountInMemory(masked_body);
  {
    auto signer = Signer::LoadPrivateKeyFile(path);
    REQUIRE(signer.ok());
    auto sig = (*signer)->Sign("retrace");
    REQUIRE(sig.ok());
  }
  const int after = CountInMemory(masked_body);
  INFO("copies of the key's PEM body in memory: before loading " << before << ", after " << after);
  CHECK(after <= before);
  WARN("copies of a private key's PEM body in memory: " << before << " before loading it from its file, "
       << after << " after its Signer was destroyed");
}

TEST_CASE("A note signer key read from its file leaves no copy in memory once its signer is gone",
          "[security][keys]") {
  testing::TempDir tmp;
  const std::string path = tmp.Sub("log.key");
  std::string masked_seed64;  // base64 of type || seed, after the last '+'
  {
    auto key = NoteSigner::Generate("log.example", NoteKeyType::kEd25519);
    REQUIRE(key.ok());
    REQUIRE((*key)->WriteSignerKeyFile(path).ok());
    std::vector<char> line(4096);
    int fd = ::open(path.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    const ssize_t n = ::read(fd, line.data(), line.size());
    ::close(fd);
    REQUIRE(n > 45);
    const std::string_view text(line.data(), static_cast<std::size_t>(n));
    const auto plus = text.rfind('+');
    REQUIRE(plus != std::string::npos);
    for (std::size_t i = 0; i < 40; ++i) masked_seed64.push_back(static_cast<char>(text[plus + 2 + i] ^ 0x5a));
    volatile char* wipe = line.data();
    for (std::size_t i = 0; i < line.size(); ++i) wipe[i] = 0;
  }
  const int before = CountInMemory(masked_seed64);
  {
    auto signer = NoteSigner::LoadSignerKeyFile(path);
    REQUIRE(signer.ok());
    REQUIRE((*signer)->Sign("a note\n").ok());
  }
  const int after = CountInMemory(masked_seed64);
  INFO("copies of the signer key in memory: before loading " << before << ", after " << after);
  CHECK(after <= before);
}

TEST_CASE("Event signatures are domain-separated from any other use of the key",
          "[security][signatures]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  Event ev = c.MakeEvent("mine-1", Extracted{MakeLot("ORE-1", MaterialClass::kOreConcentrate, 1000,
                                                     {{Element::kNd, 10}}),
                                             "pit", ""});
  REQUIRE(c.ledger().LinkParents(&ev).ok());
  auto se = SignEvent(ev, c.key("mine-1"));
  REQUIRE(se.ok());
  // What is signed: "retrace/v1/event" || 0x00 || event bytes.
  const std::string input = EventSigningInput(se->event_bytes);
  CHECK(input.compare(0, 17, std::string("retrace/v1/event\0", 17)) == 0);
  CHECK(input.substr(17) == se->event_bytes);
  // A signature by the same key over the bare bytes -- e.g. made for some
  // other protocol -- is not an event signature.
  SignedEvent bare = *se;
  bare.signature = *c.key("mine-1").Sign(se->event_bytes);
  auto r = c.ledger().Append(bare);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kVerificationFailed);
  // Nor is one over the input under another context string.
  bare.signature = *c.key("mine-1").Sign("retrace/v1/checkpoint" + std::string(1, '\0') + se->event_bytes);
  CHECK_FALSE(c.ledger().Append(bare).ok());
  CHECK(c.ledger().Append(*se).ok());
}

TEST_CASE("An event replayed from another ledger is refused, though its key is registered there",
          "[security][replay]") {
  TestChain a, b;
  a.Register("mine-1", Role::kMine);
  // The same enterprise, with the same key and licence, in a second ledger.
  REQUIRE(b.AppendAs("regulator", b.root(),
                     ActorRegistered{"mine-1", "Mine", Role::kMine, a.key("mine-1").public_key(),
                                     "LIC-mine-1", "CN"})
              .ok());
  b.Grant("mine-1", QuotaKind::kMiningRock, TestChain::kAmpleQuota);
  Event ev = a.MakeEvent("mine-1", Extracted{MakeLot("ORE-1", MaterialClass::kOreConcentrate, 1000,
                                                     {{Element::kNd, 10}}),
                                             "pit", ""});
  REQUIRE(a.ledger().LinkParents(&ev).ok());
  auto se = SignEvent(ev, a.key("mine-1"));
  REQUIRE(se.ok());
  REQUIRE(a.ledger().Append(*se).ok());
  const LedgerInfo before = *b.ledger().Info();
  auto r = b.ledger().Append(*se);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(r.status().message(), Catch::Contains("not this one"));
  CHECK(b.ledger().Info()->size == before.size);
  CHECK(b.ledger().Info()->head_hash == before.head_hash);
}

TEST_CASE("An event replayed at another position of its own ledger is refused", "[security][replay]") {
  TestChain c;
  c.Register("mine-1", Role::kMine);
  c.Register("sep-1", Role::kSeparator);
  REQUIRE(c.Do("mine-1", Extracted{MakeLot("ORE-1", MaterialClass::kOreConcentrate, 1000,
                                           {{Element::kNd, 10}}),
                                   "pit", ""})
              .ok());
  auto ship = c.Sign("mine-1", Shipped{"ORE-1", std::nullopt, "sep-1", 1000});
  REQUIRE(ship.ok());
  REQUIRE(c.ledger().Append(*ship).ok());
  REQUIRE(c.Do("sep-1", Received{"ORE-1", std::nullopt, "mine-1", 1000}).ok());
  REQUIRE(c.Do("sep-1", Shipped{"ORE-1", std::nullopt, "mine-1", 1000}).ok());
  REQUIRE(c.Do("mine-1", Received{"ORE-1", std::nullopt, "sep-1", 1000}).ok());
  // ORE-1 is back with mine-1: the first shipment, replayed now, would move
  // it again, but its event id is spent (and its parent hash is stale).
  const LedgerInfo before = *c.ledger().Info();
  auto r = c.ledger().Append(*ship);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kAlreadyExists);
  CHECK_THAT(r.status().message(), Catch::Contains("duplicate_event_id"));
  CHECK(c.ledger().Info()->size == before.size);
  CHECK(c.ledger().Info()->head_hash == before.head_hash);
}

}  // namespace
}  // namespace retrace
