// Fuzz target: EventFromJson, the parser behind `retrace append`.
// Oracle: whatever parses and encodes must decode back to the same bytes,
// and its JSON form must parse back to the same bytes too.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz_quiet.h"

#include "retrace/event.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  retrace::fuzzing::QuietProtobuf();
  using namespace retrace;
  auto ev = EventFromJson(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!ev.ok()) return 0;
  auto bytes = EncodeEvent(*ev);
  auto json = EventToJson(*ev);
  if (!bytes.ok()) return 0;
  auto back = DecodeEvent(*bytes);
  if (!back.ok()) std::abort();
  auto again = EncodeEvent(*back);
  if (!again.ok() || *again != *bytes) std::abort();
  if (!json.ok()) std::abort();
  auto from_json = EventFromJson(*json);
  if (!from_json.ok()) std::abort();
  auto third = EncodeEvent(*from_json);
  if (!third.ok() || *third != *bytes) std::abort();
  return 0;
}
