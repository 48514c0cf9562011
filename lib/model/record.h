// Stored record bytes (internal). See docs/storage-format.md.
#ifndef RETRACE_LIB_MODEL_RECORD_H_
#define RETRACE_LIB_MODEL_RECORD_H_

#include <string>
#include <string_view>

#include "retrace/event.h"
#include "retrace/hash.h"

namespace retrace::internal {

// Serialises a retrace.v1.Record deterministically. These bytes are stored
// and hashed; they are never re-created from a parsed record.
std::string EncodeRecord(std::uint64_t seq, const Hash& prev_hash, std::string_view event_bytes,
                         std::string_view key_id, std::string_view signature);

// The record hash: SHA-256(0x00 || stored), the RFC 6962 leaf hash.
Hash RecordHash(std::string_view stored);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_MODEL_RECORD_H_
