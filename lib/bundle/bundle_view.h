// A lineage bundle read in place (internal).
//
// A bundle carries its upstream bundles whole (foreign_bundles), so the
// bundle a customs officer verifies may be megabytes of nested bundles, and
// each level used to be parsed by protobuf (copying every record, proof hash
// and nested bundle), re-serialised to check its encoding, and parsed again
// to read the shipment. ReadBundleView reads the wire format once, without
// copying, and accepts exactly the bytes protobuf's deterministic
// serialisation of the message they parse to reproduces: the one encoding a
// bundle has (bundle_view_test checks the two against each other, and the
// bundle fuzzer on every input it tries).
#ifndef RETRACE_LIB_BUNDLE_BUNDLE_VIEW_H_
#define RETRACE_LIB_BUNDLE_BUNDLE_VIEW_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "retrace/hash.h"
#include "retrace/status.h"

namespace retrace::internal {

// retrace.v1.BundleRecord (proto/retrace/v1/bundle.proto).
struct BundleRecordView {
  std::uint64_t seq = 0;
  std::string_view record;
  std::string_view proof_wire;  // the inclusion_proof fields as encoded
  std::size_t proof_size = 0;   // how many
};

// retrace.v1.IndexAnswer.
struct IndexAnswerView {
  std::string_view index;
  std::string_view key;
  std::vector<std::uint64_t> seqs;
};

// retrace.v1.Bundle. Every view points into the bytes read.
struct BundleView {
  std::string_view format;
  std::string_view lot_id;
  std::string_view checkpoint;
  std::vector<BundleRecordView> records;
  std::vector<IndexAnswerView> index;
  std::vector<std::string_view> foreign_bundles;
};

// Reads `bytes` as a retrace.v1.Bundle in its canonical encoding: fields in
// number order, each singular field at most once and never at its default
// value, minimal varints and lengths, the seqs of an answer packed into one
// non-empty field, proto3 strings valid UTF-8, no unknown field. Anything
// else is InvalidArgument, saying why; *out is then unspecified.
Status ReadBundleView(std::string_view bytes, BundleView* out);

// The inclusion proof of `r`, in order, into *hashes (cleared first); false
// when one of its hashes is not 32 bytes.
bool ProofHashes(const BundleRecordView& r, std::vector<Hash>* hashes);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_BUNDLE_BUNDLE_VIEW_H_
