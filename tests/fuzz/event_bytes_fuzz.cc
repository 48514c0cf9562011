// Fuzz target: DecodeEvent, which parses the signed event bytes of every
// record and of every event handed to Append.
// Oracle: an event that decodes and re-encodes is a fixed point of
// encode(decode(.)), and its JSON form round-trips to the same bytes.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz_quiet.h"

#include "retrace/event.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  retrace::fuzzing::QuietProtobuf();
  using namespace retrace;
  auto ev = DecodeEvent(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!ev.ok()) return 0;
  (void)EventKindName(ev->body);
  auto bytes = EncodeEvent(*ev);
  if (!bytes.ok()) return 0;
  auto back = DecodeEvent(*bytes);
  if (!back.ok()) std::abort();
  auto again = EncodeEvent(*back);
  if (!again.ok() || *again != *bytes) std::abort();
  auto json = EventToJson(*back);
  if (!json.ok()) std::abort();
  auto from_json = EventFromJson(*json);
  if (!from_json.ok()) std::abort();
  auto third = EncodeEvent(*from_json);
  if (!third.ok() || *third != *bytes) std::abort();
  return 0;
}
