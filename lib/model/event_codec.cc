// EncodeEvent and DecodeEvent (retrace/event.h): an Event to its canonical
// bytes and back. The checks are event_validation.cc, the conversion
// proto_convert.cc.
//
// Invariant: the bytes returned by EncodeEvent are the bytes that are signed
// and stored; nothing downstream re-encodes an Event to check anything.
#include "model/proto_convert.h"
#include "util/status_macros.h"

namespace retrace {

using internal::FromProto;
using internal::ToProto;

Result<std::string> EncodeEvent(const Event& event) {
  v1::Event pb;
  RETURN_IF_ERROR(ToProto(event, &pb));
  RETURN_IF_ERROR(internal::ValidateEventProto(pb));
  return internal::SerializeDeterministic(pb);
}

Result<Event> DecodeEvent(std::string_view bytes) {
  v1::Event pb;
  RETURN_IF_ERROR(internal::ParseEventBytes(bytes, &pb));
  return FromProto(pb);
}

}  // namespace retrace
