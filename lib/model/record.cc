#include "model/record.h"

#include <algorithm>
#include <optional>

#include "model/proto_convert.h"
#include "model/wire_reader.h"
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

std::string EncodeSignedRecord(std::uint64_t seq, const Hash& prev_hash, const SignedEvent& event) {
  v1::Record r;
  r.set_seq(seq);
  r.set_prev_hash(prev_hash.data(), prev_hash.size());
  r.set_event(event.event_bytes);
  r.set_key_id(event.key_id);
  r.set_signature(event.signature);
  if (event.batch.size != 0) {
    r.set_batch_size(event.batch.size);
    r.set_batch_index(event.batch.index);
    for (const Hash& h : event.batch.path) {
      r.add_batch_path(reinterpret_cast<const char*>(h.data()), h.size());
    }
  }
  return SerializeDeterministic(r);
}


namespace {

constexpr std::uint32_t kBatchPathTag = (8 << 3) | 2;

}  // namespace

Status ParseRecordView(std::string_view stored, RecordView* out) {
  const Status bad = CorruptionError("stored record bytes do not parse as retrace.v1.Record");
  RecordView r;
  std::string_view prev;
  // The first batch_path hash that is not 32 bytes (DecodeRecord reports it
  // after the prev_hash, so it is only remembered here).
  std::optional<std::size_t> bad_path_hash;
  const char* path_begin = nullptr;
  const char* path_end = nullptr;
  WireReader in(stored);
  while (!in.done()) {
    const char* field_begin = in.position();
    std::uint32_t tag = 0;
    if (!in.Tag(&tag) || tag == 0 || (tag & 7) == 4) return bad;
    std::string_view* field = nullptr;
    std::string_view path_hash;
    switch (tag) {
      case (1 << 3) | 0:
        if (!in.Varint(&r.seq, 10)) return bad;
        continue;
      case (2 << 3) | 2: field = &prev; break;
      case (3 << 3) | 2: field = &r.event_bytes; break;
      case (4 << 3) | 2: field = &r.key_id; break;
      case (5 << 3) | 2: field = &r.signature; break;
      case (6 << 3) | 0:
        if (!in.Varint(&r.batch_size, 10)) return bad;
        continue;
      case (7 << 3) | 0:
        if (!in.Varint(&r.batch_index, 10)) return bad;
        continue;
      case (10 << 3) | 2: field = &r.registry_record; break;
      case (11 << 3) | 2: {
        // A message field: DecodeRecord (protobuf) refuses a record whose
        // RegistryProof does not parse, so this parser does too.
        if (!in.Bytes(&r.registry_proof)) return bad;
        v1::RegistryProof proof;
        if (!proof.ParseFromArray(r.registry_proof.data(), static_cast<int>(r.registry_proof.size()))) {
          return bad;
        }
        continue;
      }
      case kBatchPathTag:
        if (!in.Bytes(&path_hash)) return bad;
        if (path_hash.size() != 32 && !bad_path_hash) bad_path_hash = path_hash.size();
        if (path_begin == nullptr) path_begin = field_begin;
        path_end = in.position();
        ++r.batch_path_size;
        continue;
      default:
        if (!in.SkipField(tag, 100)) return bad;
        continue;
    }
    if (!in.Bytes(field)) return bad;
    if (field == &r.key_id && !ValidUtf8(r.key_id)) return bad;
  }
  if (prev.size() != 32) {
    return CorruptionError("stored record has a " + std::to_string(prev.size()) +
                           "-byte previous hash; 32 expected");
  }
  if (bad_path_hash) {
    return CorruptionError("stored record has a " + std::to_string(*bad_path_hash) +
                           "-byte hash in its batch path; 32 expected");
  }
  if (path_begin != nullptr) {
    r.batch_path_wire = std::string_view(path_begin, static_cast<std::size_t>(path_end - path_begin));
  }
  std::copy(prev.begin(), prev.end(), r.prev_hash.begin());
  r.stored = stored;
  *out = r;
  return Status::Ok();
}

Status ResolveRegistryRecord(RecordView* view) {
  if (view->registry_record.empty()) return Status::Ok();
  if (!view->event_bytes.empty() || !view->key_id.empty() || !view->signature.empty() ||
      view->batch_size != 0 || view->batch_index != 0 || view->batch_path_size != 0) {
    return CorruptionError("an import record carries an event or signature of its own");
  }
  RecordView inner;
  Status st = ParseRecordView(view->registry_record, &inner);
  if (!st.ok()) return CorruptionError("its registry record does not parse: " + st.message());
  if (!inner.registry_record.empty()) {
    return CorruptionError("its registry record is itself an import record");
  }
  view->event_bytes = inner.event_bytes;
  view->key_id = inner.key_id;
  view->signature = inner.signature;
  view->batch_size = inner.batch_size;
  view->batch_index = inner.batch_index;
  view->batch_path_size = inner.batch_path_size;
  view->batch_path_wire = inner.batch_path_wire;
  view->registry_import = true;
  return Status::Ok();
}

std::string EncodeImportRecord(std::uint64_t seq, const Hash& prev_hash,
                               std::string_view registry_record, const v1::RegistryProof& proof) {
  v1::Record r;
  r.set_seq(seq);
  r.set_prev_hash(prev_hash.data(), prev_hash.size());
  r.set_registry_record(registry_record.data(), registry_record.size());
  *r.mutable_registry_proof() = proof;
  return SerializeDeterministic(r);
}

BatchInclusion BatchInclusionOf(const RecordView& r) {
  BatchInclusion out;
  out.size = r.batch_size;
  out.index = r.batch_index;
  out.path.reserve(r.batch_path_size);
  // ParseRecordView accepted these bytes and the span starts and ends at
  // field boundaries, so every read succeeds; the checks only stop a misuse
  // from reading past the span.
  WireReader in(r.batch_path_wire);
  while (!in.done()) {
    std::uint32_t tag = 0;
    if (!in.Tag(&tag)) break;
    if (tag != kBatchPathTag) {
      if (!in.SkipField(tag, 100)) break;
      continue;
    }
    std::string_view h;
    if (!in.Bytes(&h) || h.size() != 32) break;
    Hash node;
    std::copy(h.begin(), h.end(), node.begin());
    out.path.push_back(node);
  }
  return out;
}

}  // namespace internal

std::string EncodeRecord(std::uint64_t seq, const Hash& prev_hash, const SignedEvent& event) {
  return internal::EncodeSignedRecord(seq, prev_hash, event);
}

Hash RecordHash(std::string_view stored) { return merkle::LeafHash(stored); }

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
  out.batch.size = r.batch_size();
  out.batch.index = r.batch_index();
  out.batch.path.reserve(r.batch_path_size());
  for (const std::string& h : r.batch_path()) {
    if (h.size() != 32) {
      return CorruptionError("stored record has a " + std::to_string(h.size()) +
                             "-byte hash in its batch path; 32 expected");
    }
    Hash node;
    std::copy(h.begin(), h.end(), node.begin());
    out.batch.path.push_back(node);
  }
  if (r.has_registry_proof() || !r.registry_record().empty()) {
    RegistryImport& im = out.registry_import.emplace();
    im.index = r.registry_proof().index();
    im.record = std::move(*r.mutable_registry_record());
    im.checkpoint = std::move(*r.mutable_registry_proof()->mutable_checkpoint());
    const v1::RegistryProof& proof = r.registry_proof();
    im.inclusion.assign(proof.inclusion().begin(), proof.inclusion().end());
    im.consistency.assign(proof.consistency().begin(), proof.consistency().end());
  }
  out.hash = internal::RecordHash(stored);
  out.stored.assign(stored.data(), stored.size());
  return out;
}

}  // namespace retrace
