// Conversions between the public value types (retrace/event.h) and the
// generated protobuf messages. Internal.
#ifndef RETRACE_LIB_MODEL_PROTO_CONVERT_H_
#define RETRACE_LIB_MODEL_PROTO_CONVERT_H_

#include <string>
#include <string_view>

#include "retrace/event.h"
#include "retrace/v1/retrace.pb.h"

namespace retrace::internal {

// Every other limit of an event is public (retrace/event.h, kMaxIdBytes ...).
inline constexpr std::size_t kLedgerIdBytes = 16;
inline constexpr char kEventSigningContext[] = "retrace/v1/event";

// Fails with kInvalidArgument naming `field` unless `id` is 1..kMaxIdBytes bytes of
// valid UTF-8 without control characters.
Status CheckId(std::string_view field, std::string_view id);

Status ToProto(const Event& in, v1::Event* out);
Result<Event> FromProto(const v1::Event& in);
void LotToProto(const Lot& in, v1::Lot* out);
Lot LotFromProto(const v1::Lot& in);

// Structural checks of a decoded event that need no ledger state: ids,
// enums, non-zero masses, content within mass, overflow. Used at encode time,
// at append time and by the verifier.
Status ValidateEventProto(const v1::Event& ev);

// Parses event bytes (exact stored bytes) into `out`; kInvalidArgument if
// they do not parse.
Status ParseEventBytes(std::string_view bytes, v1::Event* out);

// Serialises deterministically.
std::string SerializeDeterministic(const google::protobuf::MessageLite& m);
// The same into *out, replacing its contents and keeping its capacity.
void SerializeDeterministicTo(const google::protobuf::MessageLite& m, std::string* out);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_MODEL_PROTO_CONVERT_H_
