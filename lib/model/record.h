// Stored record bytes (internal). See docs/storage-format.md.
#ifndef RETRACE_LIB_MODEL_RECORD_H_
#define RETRACE_LIB_MODEL_RECORD_H_

#include <string>
#include <string_view>

#include "retrace/status.h"

#include "retrace/event.h"
#include "retrace/hash.h"
#include "retrace/v1/retrace.pb.h"

namespace retrace::internal {

// Serialises a retrace.v1.Record deterministically. These bytes are stored
// and hashed; they are never re-created from a parsed record.
std::string EncodeRecord(std::uint64_t seq, const Hash& prev_hash, std::string_view event_bytes,
                         std::string_view key_id, std::string_view signature);
// The same with the batch fields of a batch-signed event (none if
// batch.size == 0, so a single-signature record's bytes are unchanged):
// retrace::EncodeRecord (event.h). The record hash, SHA-256(0x00 ||
// stored), the RFC 6962 leaf hash: retrace::RecordHash.
std::string EncodeSignedRecord(std::uint64_t seq, const Hash& prev_hash, const SignedEvent& event);
using ::retrace::EncodeRecord;
using ::retrace::RecordHash;

// A stored record parsed in place: the views point into the bytes it was
// parsed from and are valid exactly as long as those bytes are.
struct RecordView {
  std::uint64_t seq = 0;
  Hash prev_hash{};
  std::string_view event_bytes;
  std::string_view key_id;
  std::string_view signature;
  // The batch fields (docs/data-model.md, "Batch signatures"): batch_size
  // 0 for a single signature. The path's hashes are not copied out:
  // batch_path_wire spans the stored bytes from the first batch_path field
  // to the end of the last (other fields may lie between); BatchInclusionOf
  // reads them.
  std::uint64_t batch_size = 0;
  std::uint64_t batch_index = 0;
  std::size_t batch_path_size = 0;  // hashes in the path, 32 bytes each
  std::string_view batch_path_wire;
  // An imported registry record (docs/federation.md, "The registry"):
  // the registry's record bytes and the serialised RegistryProof, as
  // stored; empty otherwise. ResolveRegistryRecord reads them.
  std::string_view registry_record;
  std::string_view registry_proof;
  // Set by ResolveRegistryRecord: the event, key id, signature and batch
  // fields above are the registry record's (seq, prev_hash, stored and
  // hash stay this record's own).
  bool registry_import = false;
  std::string_view stored;  // all of it; empty until parsed
  Hash hash{};              // RecordHash(stored), filled by the caller
};

// Parses `stored` as a retrace.v1.Record without copying or allocating. It
// accepts exactly the bytes DecodeRecord accepts, with the same field values
// and the same error messages (tests/model/record_view_test.cc cross-checks
// the two on mutated records): protobuf's wire rules -- unknown fields and
// groups skipped, a known field with another wire type treated as unknown,
// the last occurrence of a field winning (every occurrence of the repeated
// batch_path kept, in order), key_id valid UTF-8 -- and then a 32-byte
// prev_hash and 32-byte batch_path hashes. kCorruption otherwise. Does not
// hash: out->hash is left for the caller, who may already know it.
Status ParseRecordView(std::string_view stored, RecordView* out);

// For an import record (registry_record set): checks that its own event,
// key id, signature and batch fields are empty and that the registry record
// parses as a record that is no import itself, then points the view's
// event, key id, signature and batch fields at the registry record's and
// sets registry_import. A no-op for any other record. kCorruption, naming
// what is wrong, otherwise (the view is then unchanged).
Status ResolveRegistryRecord(RecordView* view);

// The stored bytes of an import record at `seq` after `prev_hash`:
// deterministic, like EncodeRecord.
std::string EncodeImportRecord(std::uint64_t seq, const Hash& prev_hash,
                               std::string_view registry_record, const v1::RegistryProof& proof);

// The batch fields of a record ParseRecordView accepted, its path copied out
// in order: what DecodeRecord gives as Record::batch.
BatchInclusion BatchInclusionOf(const RecordView& r);

}  // namespace retrace::internal

#endif  // RETRACE_LIB_MODEL_RECORD_H_
