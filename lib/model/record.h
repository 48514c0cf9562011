// Stored record bytes (internal). See docs/storage-format.md.
#ifndef RETRACE_LIB_MODEL_RECORD_H_
#define RETRACE_LIB_MODEL_RECORD_H_

#include <string>
#include <string_view>

#include "retrace/status.h"

#include "retrace/event.h"
#include "retrace/hash.h"

namespace retrace::internal {

// Serialises a retrace.v1.Record deterministically. These bytes are stored
// and hashed; they are never re-created from a parsed record.
std::string EncodeRecord(std::uint64_t seq, const Hash& prev_hash, std::string_view event_bytes,
                         std::string_view key_id, std::string_view signature);

// The record hash: SHA-256(0x00 || stored), the RFC 6962 leaf hash.
Hash RecordHash(std::string_view stored);

// A stored record parsed in place: the views point into the bytes it was
// parsed from and are valid exactly as long as those bytes are.
struct RecordView {
  std::uint64_t seq = 0;
  Hash prev_hash{};
  std::string_view event_bytes;
  std::string_view key_id;
  std::string_view signature;
  std::string_view stored;  // all of it; empty until parsed
  Hash hash{};              // RecordHash(stored), filled by the caller
};

// Parses `stored` as a retrace.v1.Record without copying or allocating. It
// accepts exactly the bytes DecodeRecord accepts, with the same field values
// and the same error messages (tests/model/record_view_test.cc cross-checks
// the two on mutated records): protobuf's wire rules -- unknown fields and
// groups skipped, a known field with another wire type treated as unknown,
// the last occurrence of a field winning, key_id valid UTF-8 -- and then a
// 32-byte prev_hash. kCorruption otherwise. Does not hash: out->hash is
// left for the caller, who may already know it.
Status ParseRecordView(std::string_view stored, RecordView* out);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_MODEL_RECORD_H_
