// Tests for retrace/tlog_proof.h: the C2SP tlog-proof@v1 text, verification
// against the reference tree, and tampering with every byte of a proof.
#include "retrace/tlog_proof.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "merkle/reference_tree.h"
#include "retrace/merkle.h"

namespace retrace {
namespace {

namespace ref = merkle::reference;

struct ProofFixture {
  ProofFixture() {
    log = std::move(NoteSigner::Generate("example.com/log", NoteKeyType::kEd25519)).value();
    witness =
        std::move(NoteSigner::Generate("witness.example", NoteKeyType::kCosignatureV1)).value();
    for (int i = 0; i < 11; ++i) {
      records.push_back("record " + std::to_string(i));
      leaves.push_back(merkle::LeafHash(records.back()));
    }
    Checkpoint c{"example.com/log", leaves.size(), ref::Mth(leaves), {}};
    checkpoint = *AddNoteSignatures(*SignCheckpoint(c, *log), {witness.get()}, 99);
  }
  TlogProof Proof(std::size_t i) const {
    return TlogProof{records[i], i, ref::Path(i, leaves), checkpoint};
  }
  std::unique_ptr<NoteSigner> log, witness;
  std::vector<std::string> records;
  std::vector<Hash> leaves;
  std::string checkpoint;
};

TEST_CASE("A tlog proof is written in the C2SP tlog-proof@v1 layout", "[tlog-proof]") {
  ProofFixture f;
  const std::string text = FormatTlogProof(f.Proof(6));
  CHECK(text.rfind("c2sp.org/tlog-proof@v1\nextra cmVjb3JkIDY=\nindex 6\n", 0) == 0);
  CHECK(text.find("\n\n" + f.checkpoint) != std::string::npos);
  CHECK(text.size() == text.find("\n\n") + 2 + f.checkpoint.size());
  auto parsed = ParseTlogProof(text);
  REQUIRE(parsed.ok());
  CHECK(parsed->extra == std::optional<std::string>("record 6"));
  CHECK(parsed->index == 6);
  CHECK(parsed->inclusion_proof == ref::Path(6, f.leaves));
  CHECK(parsed->checkpoint == f.checkpoint);
  TlogProof no_extra = f.Proof(0);
  no_extra.extra.reset();
  CHECK(FormatTlogProof(no_extra).rfind("c2sp.org/tlog-proof@v1\nindex 0\n", 0) == 0);
}

TEST_CASE("Every leaf's tlog proof verifies, with and without a witness quorum", "[tlog-proof]") {
  ProofFixture f;
  WitnessPolicy one{{f.witness->verifier()}, 1};
  for (std::size_t i = 0; i < f.records.size(); ++i) {
    auto v = VerifyTlogProof(FormatTlogProof(f.Proof(i)), f.log->verifier(), one);
    REQUIRE(v.ok());
    CHECK(v->index == i);
    CHECK(v->leaf_bytes == f.records[i]);
    CHECK(v->checkpoint.cosignatures.size() == 1);
  }
  // The leaf can be supplied separately instead of as extra data.
  TlogProof bare = f.Proof(3);
  bare.extra.reset();
  CHECK(VerifyTlogProof(FormatTlogProof(bare), f.log->verifier(), {}, f.records[3]).ok());
  CHECK(VerifyTlogProof(FormatTlogProof(bare), f.log->verifier()).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(VerifyTlogProof(FormatTlogProof(bare), f.log->verifier(), {}, f.records[4])
            .status()
            .code() == StatusCode::kVerificationFailed);
  // A quorum of two cannot be met by one witness.
  auto other = NoteSigner::Generate("other.example", NoteKeyType::kCosignatureV1);
  WitnessPolicy two{{f.witness->verifier(), (*other)->verifier()}, 2};
  CHECK(VerifyTlogProof(FormatTlogProof(f.Proof(1)), f.log->verifier(), two).status().code() ==
        StatusCode::kVerificationFailed);
}

TEST_CASE("A proof from another log verifies against a leaf given as bytes or as its hash",
          "[tlog-proof]") {
  // Another log's proof: its extra line is application data (here a stand-in
  // for, say, a VRF proof), not the leaf.
  ProofFixture f;
  WitnessPolicy one{{f.witness->verifier()}, 1};
  for (std::size_t i : {std::size_t{0}, std::size_t{5}, std::size_t{10}}) {
    TlogProof p = f.Proof(i);
    p.extra = "application data " + std::to_string(i);
    const std::string text = FormatTlogProof(p);
    INFO("leaf " << i);
    // Taken as the leaf, the extra data does not verify...
    CHECK(VerifyTlogProof(text, f.log->verifier(), one).status().code() ==
          StatusCode::kVerificationFailed);
    // ...the leaf's bytes do, and so does its RFC 6962 leaf hash.
    auto by_bytes = VerifyTlogProof(text, f.log->verifier(), one, f.records[i]);
    REQUIRE(by_bytes.ok());
    CHECK(by_bytes->leaf_bytes == f.records[i]);
    CHECK(by_bytes->extra == p.extra);
    auto by_hash = VerifyTlogProofLeafHash(text, f.log->verifier(), one, f.leaves[i]);
    REQUIRE(by_hash.ok());
    CHECK(by_hash->leaf_hash == f.leaves[i]);
    CHECK(by_hash->leaf_bytes.empty());
    CHECK(by_hash->extra == p.extra);
    CHECK(by_hash->checkpoint.checkpoint.size == f.leaves.size());
    // Another leaf's hash, or the entry's plain SHA-256 (not the leaf hash),
    // leads to another root.
    CHECK(VerifyTlogProofLeafHash(text, f.log->verifier(), one, f.leaves[(i + 1) % 11])
              .status()
              .code() == StatusCode::kVerificationFailed);
    CHECK(VerifyTlogProofLeafHash(text, f.log->verifier(), one, Sha256(f.records[i]))
              .status()
              .code() == StatusCode::kVerificationFailed);
  }
  // No extra line at all: the leaf hash alone is enough.
  TlogProof bare = f.Proof(7);
  bare.extra.reset();
  auto v = VerifyTlogProofLeafHash(FormatTlogProof(bare), f.log->verifier(), one, f.leaves[7]);
  REQUIRE(v.ok());
  CHECK_FALSE(v->extra.has_value());
  // The checkpoint and the witness policy are checked as for any proof.
  auto other = NoteSigner::Generate("example.com/log", NoteKeyType::kEd25519);
  CHECK(VerifyTlogProofLeafHash(FormatTlogProof(bare), (*other)->verifier(), one, f.leaves[7])
            .status()
            .code() == StatusCode::kVerificationFailed);
  CHECK(VerifyTlogProofLeafHash("c2sp.org/tlog-proof@v1\nindex 0\n", f.log->verifier(), one,
                                f.leaves[0])
            .status()
            .code() == StatusCode::kInvalidArgument);
}

TEST_CASE("A proof for the wrong index or of the wrong length is malformed", "[tlog-proof]") {
  ProofFixture f;
  TlogProof p = f.Proof(5);
  p.index = 11;
  CHECK(VerifyTlogProof(FormatTlogProof(p), f.log->verifier()).status().code() ==
        StatusCode::kInvalidArgument);
  p = f.Proof(5);
  p.inclusion_proof.pop_back();
  CHECK(VerifyTlogProof(FormatTlogProof(p), f.log->verifier()).status().code() ==
        StatusCode::kInvalidArgument);
  p = f.Proof(5);
  p.index = 4;  // same path length, another leaf position
  CHECK(VerifyTlogProof(FormatTlogProof(p), f.log->verifier()).status().code() ==
        StatusCode::kVerificationFailed);
  for (const std::string& bad :
       {std::string("c2sp.org/tlog-proof@v2\nindex 0\n\n") + f.checkpoint,
        std::string("c2sp.org/tlog-proof@v1\nindex 01\n\n") + f.checkpoint,
        std::string("c2sp.org/tlog-proof@v1\nextra \nindex 0\n\n") + f.checkpoint,
        std::string("c2sp.org/tlog-proof@v1\n\n") + f.checkpoint,
        std::string("c2sp.org/tlog-proof@v1\nindex 0\n")}) {
    INFO(bad);
    CHECK(ParseTlogProof(bad).status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("Every byte of a tlog proof is protected", "[tlog-proof][tamper]") {
  ProofFixture f;
  WitnessPolicy one{{f.witness->verifier()}, 1};
  const std::string text = FormatTlogProof(f.Proof(7));
  REQUIRE(VerifyTlogProof(text, f.log->verifier(), one).ok());
  for (std::size_t i = 0; i < text.size(); ++i) {
    for (unsigned char flip : {0x01, 0x40}) {
      std::string bad = text;
      bad[i] = static_cast<char>(bad[i] ^ flip);
      INFO("byte " << i << " xor " << int(flip));
      CHECK_FALSE(VerifyTlogProof(bad, f.log->verifier(), one).ok());
    }
  }
}

}  // namespace
}  // namespace retrace
