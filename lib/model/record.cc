#include "model/record.h"

#include "model/proto_convert.h"
#include "retrace/merkle.h"
#include "retrace/v1/retrace.pb.h"

namespace retrace {
namespace internal {

std::string EncodeRecord(std::uint64_t seq, const Hash& prev_hash, std::string_view event_bytes,
                         std::string_view key_id, std::string_view signature) {
  v1::Record r;
  r.set_seq(seq);
  r.set_prev_hash(prev_hash.data(), prev_hash.size());
  r.set_event(event_bytes.data(), event_bytes.size());
  r.set_key_id(key_id.data(), key_id.size());
  r.set_signature(signature.data(), signature.size());
  return SerializeDeterministic(r);
}

Hash RecordHash(std::string_view stored) { return merkle::LeafHash(stored); }

}  // namespace internal

Result<Record> DecodeRecord(std::string_view stored) {
  v1::Record r;
  if (!r.ParseFromArray(stored.data(), static_cast<int>(stored.size()))) {
    return CorruptionError("stored record bytes do not parse as retrace.v1.Record");
  }
  if (r.prev_hash().size() != 32) {
    return CorruptionError("stored record has a " + std::to_string(r.prev_hash().size()) +
                           "-byte previous hash; 32 expected");
  }
  Record out;
  out.seq = r.seq();
  std::copy(r.prev_hash().begin(), r.prev_hash().end(), out.prev_hash.begin());
  out.event_bytes = std::move(*r.mutable_event());
  out.key_id = std::move(*r.mutable_key_id());
  out.signature = std::move(*r.mutable_signature());
  out.hash = internal::RecordHash(stored);
  out.stored.assign(stored.data(), stored.size());
  return out;
}

}  // namespace retrace
