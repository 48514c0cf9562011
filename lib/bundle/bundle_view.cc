#include "bundle/bundle_view.h"

#include <algorithm>
#include <string>

#include "model/wire_reader.h"

namespace retrace::internal {
namespace {

Status Refuse(const std::string& why) {
  return InvalidArgumentError("not a retrace bundle: " + why +
                              " (it is not the canonical encoding of a retrace.v1.Bundle)");
}

// The wire reader, accepting only what protobuf's serialiser writes: minimal
// varints and length prefixes, and one-byte tags (every field of the
// bundle's messages is numbered below 16).
class CanonicalReader {
 public:
  explicit CanonicalReader(std::string_view b) : in_(b) {}
  bool done() const { return in_.done(); }
  const char* position() const { return in_.position(); }
  bool Tag(std::uint32_t* tag) {
    const char* p = in_.position();
    return in_.Tag(tag) && in_.position() - p == 1;
  }
  bool Varint(std::uint64_t* v) {
    const char* p = in_.position();
    return in_.Varint(v, 10) && Minimal(p, in_.position());
  }
  bool Bytes(std::string_view* s) {
    const char* p = in_.position();
    return in_.Bytes(s) && Minimal(p, s->data());
  }

 private:
  // The varint in [begin, end) is the shortest for its value: its last
  // byte is not zero, and a ten-byte one carries only bit 63 in its last.
  static bool Minimal(const char* begin, const char* end) {
    const std::ptrdiff_t n = end - begin;
    const auto last = static_cast<unsigned char>(end[-1]);
    return n == 1 || (last != 0 && (n < 10 || last == 1));
  }
  WireReader in_;
};

// Fields in number order, a singular one at most once.
class FieldOrder {
 public:
  bool Next(std::uint32_t field, bool repeated) {
    const bool ok = field > last_ || (field == last_ && repeated);
    last_ = field;
    return ok;
  }

 private:
  std::uint32_t last_ = 0;
};

// A proto3 string or bytes field that is singular: present only when not
// empty, a string valid UTF-8.
bool ReadSingular(CanonicalReader* in, bool utf8, std::string_view* out) {
  return in->Bytes(out) && !out->empty() && (!utf8 || ValidUtf8(*out));
}

Status ReadRecord(std::string_view bytes, BundleRecordView* r) {
  CanonicalReader in(bytes);
  FieldOrder order;
  const char* proof_begin = nullptr;
  while (!in.done()) {
    const char* field_begin = in.position();
    std::uint32_t tag = 0;
    std::string_view s;
    if (!in.Tag(&tag) || !order.Next(tag >> 3, tag == ((3 << 3) | 2))) {
      return Refuse("a record's fields are out of order, repeated or of an unknown kind");
    }
    switch (tag) {
      case (1 << 3) | 0:
        if (!in.Varint(&r->seq) || r->seq == 0) return Refuse("a record's seq is malformed");
        break;
      case (2 << 3) | 2:
        if (!ReadSingular(&in, false, &r->record)) return Refuse("a record's bytes are malformed");
        break;
      case (3 << 3) | 2:
        if (!in.Bytes(&s)) return Refuse("an inclusion proof hash is malformed");
        if (proof_begin == nullptr) proof_begin = field_begin;
        r->proof_wire = std::string_view(proof_begin, static_cast<std::size_t>(in.position() - proof_begin));
        ++r->proof_size;
        break;
      default:
        return Refuse("a record has an unknown field");
    }
  }
  return Status::Ok();
}

Status ReadAnswer(std::string_view bytes, IndexAnswerView* a) {
  CanonicalReader in(bytes);
  FieldOrder order;
  while (!in.done()) {
    std::uint32_t tag = 0;
    if (!in.Tag(&tag) || !order.Next(tag >> 3, false)) {
      return Refuse("an index answer's fields are out of order, repeated or of an unknown kind");
    }
    switch (tag) {
      case (1 << 3) | 2:
        if (!ReadSingular(&in, true, &a->index)) return Refuse("an index answer's index is malformed");
        break;
      case (2 << 3) | 2:
        if (!ReadSingular(&in, false, &a->key)) return Refuse("an index answer's key is malformed");
        break;
      case (3 << 3) | 2: {  // packed, as proto3 writes a repeated uint64
        std::string_view packed;
        if (!in.Bytes(&packed) || packed.empty()) return Refuse("an index answer's seqs are malformed");
        CanonicalReader seqs(packed);
        while (!seqs.done()) {
          std::uint64_t v = 0;
          if (!seqs.Varint(&v)) return Refuse("an index answer's seqs are malformed");
          a->seqs.push_back(v);
        }
        break;
      }
      default:
        return Refuse("an index answer has an unknown field or unpacked seqs");
    }
  }
  return Status::Ok();
}

}  // namespace

Status ReadBundleView(std::string_view bytes, BundleView* out) {
  *out = BundleView{};
  CanonicalReader in(bytes);
  FieldOrder order;
  while (!in.done()) {
    std::uint32_t tag = 0;
    if (!in.Tag(&tag) || !order.Next(tag >> 3, (tag >> 3) >= 4)) {
      return Refuse("its fields are out of order, repeated or of an unknown kind");
    }
    std::string_view s;
    switch (tag) {
      case (1 << 3) | 2:
        if (!ReadSingular(&in, true, &out->format)) return Refuse("its format is malformed");
        break;
      case (2 << 3) | 2:
        if (!ReadSingular(&in, true, &out->lot_id)) return Refuse("its lot id is malformed");
        break;
      case (3 << 3) | 2:
        if (!ReadSingular(&in, true, &out->checkpoint)) return Refuse("its checkpoint is malformed");
        break;
      case (4 << 3) | 2:
        if (!in.Bytes(&s)) return Refuse("a record is malformed");
        out->records.emplace_back();
        if (Status st = ReadRecord(s, &out->records.back()); !st.ok()) return st;
        break;
      case (5 << 3) | 2:
        if (!in.Bytes(&s)) return Refuse("an index answer is malformed");
        out->index.emplace_back();
        if (Status st = ReadAnswer(s, &out->index.back()); !st.ok()) return st;
        break;
      case (6 << 3) | 2:
        if (!in.Bytes(&s)) return Refuse("a foreign bundle is malformed");
        out->foreign_bundles.push_back(s);
        break;
      default:
        return Refuse("it has an unknown field");
    }
  }
  return Status::Ok();
}

bool ProofHashes(const BundleRecordView& r, std::vector<Hash>* hashes) {
  hashes->clear();
  // ReadBundleView accepted these fields, so each is a one-byte tag, a
  // length and the hash.
  WireReader in(r.proof_wire);
  while (!in.done()) {
    std::uint32_t tag = 0;
    std::string_view h;
    if (!in.Tag(&tag) || !in.Bytes(&h) || h.size() != 32) return false;
    Hash node;
    std::copy(h.begin(), h.end(), reinterpret_cast<char*>(node.data()));
    hashes->push_back(node);
  }
  return true;
}

}  // namespace retrace::internal
