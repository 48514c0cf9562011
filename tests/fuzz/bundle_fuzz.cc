// Fuzz target: VerifyBundle, which a buyer or customs officer runs on a
// lineage bundle received from anyone. The trust anchors (root key, log
// key) are those of a small real ledger built once; its honest bundle is
// the seed (make_corpus writes it).
//
// Oracle beyond "no crash": the honest bundle verifies; a report that says
// valid has a verified checkpoint and a valid lineage; and the verifier's
// in-place reader (ReadBundleView) accepts exactly the bytes protobuf
// parses and re-serialises to the same bytes.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "bundle/bundle_view.h"
#include "bundle_fixture.h"
#include "fuzz_quiet.h"
#include "model/proto_convert.h"
#include "retrace/bundle.h"
#include "retrace/v1/bundle.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace retrace;
  retrace::fuzzing::QuietProtobuf();
  const auto& honest = fuzzing::HonestBundle();
  const std::string in(reinterpret_cast<const char*>(data), size);
  auto report = VerifyBundle(in, honest.root_key, honest.log_key);
  if (in == honest.bundle && !(report.ok() && report->valid)) std::abort();
  if (report.ok() && report->valid && (!report->checkpoint_verified || !report->lineage.valid)) {
    std::abort();
  }
  v1::Bundle ref;
  bool canonical = ref.ParseFromString(in);
  if (canonical) {
    ref.DiscardUnknownFields();
    canonical = internal::SerializeDeterministic(ref) == in;
  }
  internal::BundleView view;
  if (internal::ReadBundleView(in, &view).ok() != canonical) std::abort();
  return 0;
}
