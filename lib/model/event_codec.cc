// Event encoding, decoding, JSON mapping and signing.
//
// Invariant: the bytes returned by EncodeEvent are the bytes that are signed
// and stored; nothing downstream re-encodes an Event to check anything.
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include <chrono>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "model/proto_convert.h"
#include "util/escape.h"
#include "util/hex.h"
#include "util/status_macros.h"

namespace retrace {
namespace internal {
namespace {

bool ValidUtf8NoControl(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) return false;
      ++i;
      continue;
    }
    int len;
    std::uint32_t cp;
    if ((c & 0xe0) == 0xc0) { len = 2; cp = c & 0x1f; }
    else if ((c & 0xf0) == 0xe0) { len = 3; cp = c & 0x0f; }
    else if ((c & 0xf8) == 0xf0) { len = 4; cp = c & 0x07; }
    else return false;
    if (i + len > s.size()) return false;
    for (int k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong encodings, surrogates and out-of-range code points.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += len;
  }
  return true;
}

// A field's name for an error message, put together only when a message
// needs it: "head", "head[index]", "head[index]tail" or "headtail". A valid
// event (nearly every one a verifier or an append sees) then costs no
// string at all.
class Field {
 public:
  Field(const char* head) : head_(head) {}  // NOLINT: implicit, for literals
  explicit Field(std::string_view head) : head_(head) {}
  Field(std::string_view head, int index) : head_(head), index_(index) {}
  // This field's subfield `tail` (".lot_id"); this field has no tail.
  Field Sub(std::string_view tail) const {
    Field f = *this;
    f.tail_ = tail;
    return f;
  }
  std::string str() const {
    std::string out(head_);
    if (index_ >= 0) out += "[" + std::to_string(index_) + "]";
    out += tail_;
    return out;
  }

 private:
  std::string_view head_;
  int index_ = -1;
  std::string_view tail_;
};

Status CheckIdAt(const Field& field, std::string_view id) {
  if (id.empty()) return InvalidArgumentError(field.str() + " is empty");
  if (id.size() > kMaxIdBytes) {
    return InvalidArgumentError(field.str() + " is " + std::to_string(id.size()) +
                                " bytes; the limit is " + std::to_string(kMaxIdBytes));
  }
  if (!ValidUtf8NoControl(id)) {
    return InvalidArgumentError(field.str() +
                                " is not valid UTF-8 or contains control characters");
  }
  return Status::Ok();
}

Status CheckText(const Field& field, std::string_view s) {
  if (s.size() > kMaxTextBytes) {
    return InvalidArgumentError(field.str() + " is " + std::to_string(s.size()) +
                                " bytes; the limit is " + std::to_string(kMaxTextBytes));
  }
  return Status::Ok();
}

Status CheckHash(const Field& field, const std::string& bytes, bool required) {
  if (bytes.empty() && !required) return Status::Ok();
  if (bytes.size() != 32) {
    return InvalidArgumentError(field.str() + " must be a 32-byte SHA-256 hash, got " +
                                std::to_string(bytes.size()) + " bytes");
  }
  return Status::Ok();
}

Status CheckKey(std::string_view field, const v1::KeyInfo& key) {
  auto alg = ParseAlgorithm(key.algorithm());
  if (!alg.ok()) return alg.status().Annotate(std::string(field) + ".algorithm");
  auto pk = PublicKey::FromDer(key.public_key());
  if (!pk.ok()) return pk.status().Annotate(std::string(field) + ".public_key");
  if (pk->algorithm() != *alg) {
    return InvalidArgumentError(std::string(field) + ": algorithm says " + key.algorithm() +
                                " but the public key is " + AlgorithmName(pk->algorithm()));
  }
  return Status::Ok();
}

Status CheckLotMessage(const std::string& f, const v1::Lot& lot);

Status CheckLot(const Field& field, const v1::Lot& lot) {
  RETURN_IF_ERROR(CheckIdAt(field.Sub(".lot_id"), lot.lot_id()));
  if (lot.material() == v1::MATERIAL_UNSPECIFIED || !v1::MaterialClass_IsValid(lot.material()) ||
      lot.mass_g() == 0 || lot.mass_g() > (std::uint64_t{1} << 53)) {
    return CheckLotMessage(field.str(), lot);
  }
  std::uint64_t total = 0;
  bool present[128] = {};
  for (int i = 0; i < lot.content_size(); ++i) {
    const auto& em = lot.content(i);
    if (em.element() <= v1::ELEMENT_UNSPECIFIED || em.element() >= 128 ||
        !v1::Element_IsValid(em.element()) || present[em.element()] || em.grams() > lot.mass_g()) {
      return CheckLotMessage(field.str(), lot);
    }
    present[em.element()] = true;
    total += em.grams();
  }
  if (total > lot.mass_g()) return CheckLotMessage(field.str(), lot);
  return CheckText(field.Sub(".description"), lot.description());
}

// CheckLot's findings after its lot id, with their messages: run only for a
// lot that has one of them, so the messages are built only then.
Status CheckLotMessage(const std::string& f, const v1::Lot& lot) {
  if (lot.material() == v1::MATERIAL_UNSPECIFIED || !v1::MaterialClass_IsValid(lot.material())) {
    return InvalidArgumentError(f + ".material is unset or unknown");
  }
  if (lot.mass_g() == 0) return InvalidArgumentError(f + ".mass_g must be greater than zero");
  if (lot.mass_g() > (std::uint64_t{1} << 53)) {
    return InvalidArgumentError(f + ".mass_g is absurdly large (over 2^53 grams)");
  }
  std::uint64_t total = 0;
  std::vector<bool> present(128, false);
  for (int i = 0; i < lot.content_size(); ++i) {
    const auto& em = lot.content(i);
    if (em.element() == v1::ELEMENT_UNSPECIFIED || !v1::Element_IsValid(em.element())) {
      return InvalidArgumentError(f + ".content[" + std::to_string(i) + "].element is unset or unknown");
    }
    if (present[em.element()]) {
      return InvalidArgumentError(f + ".content lists " +
                                  ElementSymbol(static_cast<Element>(em.element())) + " twice");
    }
    present[em.element()] = true;
    if (em.grams() > lot.mass_g()) {
      return InvalidArgumentError(f + ".content[" + std::to_string(i) + "].grams exceeds the lot mass");
    }
    total += em.grams();  // each <= mass_g <= 2^53 and at most 18 elements: no overflow
  }
  if (total > lot.mass_g()) {
    return InvalidArgumentError(f + ": rare-earth content (" + std::to_string(total) +
                                " g) exceeds the lot mass (" + std::to_string(lot.mass_g()) + " g)");
  }
  return CheckText(Field(std::string_view(f)).Sub(".description"), lot.description());
}

}  // namespace

Status CheckId(std::string_view field, std::string_view id) { return CheckIdAt(Field(field), id); }

std::string SerializeDeterministic(const google::protobuf::MessageLite& m) {
  std::string out;
  out.reserve(m.ByteSizeLong());  // also fills the cached sizes used below
  {
    google::protobuf::io::StringOutputStream sos(&out);
    google::protobuf::io::CodedOutputStream cos(&sos);
    cos.SetSerializationDeterministic(true);
    m.SerializeWithCachedSizes(&cos);
  }
  return out;
}

Status ParseEventBytes(std::string_view bytes, v1::Event* out) {
  if (!out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return InvalidArgumentError("event bytes do not parse as retrace.v1.Event");
  }
  return Status::Ok();
}

Status ValidateEventProto(const v1::Event& ev) {
  if (ev.ledger_id().size() != kLedgerIdBytes) {
    return InvalidArgumentError("ledger_id must be 16 bytes, got " +
                                std::to_string(ev.ledger_id().size()));
  }
  RETURN_IF_ERROR(CheckId("event_id", ev.event_id()));
  RETURN_IF_ERROR(CheckId("actor_id", ev.actor_id()));
  if (ev.time().nanos() < 0 || ev.time().nanos() > 999999999) {
    return InvalidArgumentError("time.nanos out of range");
  }
  // google.protobuf.Timestamp's range, 0001-01-01T00:00:00Z to
  // 9999-12-31T23:59:59Z: a time outside it has no JSON (RFC 3339) form, so
  // such an event could be stored but never shown or exported (found by
  // event_bytes_fuzz).
  constexpr std::int64_t kMinSeconds = -62135596800;
  constexpr std::int64_t kMaxSeconds = 253402300799;
  if (ev.time().seconds() < kMinSeconds || ev.time().seconds() > kMaxSeconds) {
    return InvalidArgumentError("time.seconds " + std::to_string(ev.time().seconds()) +
                                " is outside 0001-01-01..9999-12-31");
  }
  if (ev.references_size() > 64) return InvalidArgumentError("more than 64 references");
  for (const auto& r : ev.references()) {
    RETURN_IF_ERROR(CheckText("references.kind", r.kind()));
    RETURN_IF_ERROR(CheckText("references.value", r.value()));
  }
  switch (ev.body_case()) {
    case v1::Event::kGenesis: {
      const auto& g = ev.genesis();
      RETURN_IF_ERROR(CheckId("genesis.name", g.name()));
      RETURN_IF_ERROR(CheckId("genesis.root_actor_id", g.root_actor_id()));
      return CheckKey("genesis.root_key", g.root_key());
    }
    case v1::Event::kActorRegistered: {
      const auto& a = ev.actor_registered();
      RETURN_IF_ERROR(CheckId("actor_registered.actor_id", a.actor_id()));
      RETURN_IF_ERROR(CheckText("actor_registered.legal_name", a.legal_name()));
      if (a.role() == v1::ROLE_UNSPECIFIED || !v1::Role_IsValid(a.role())) {
        return InvalidArgumentError("actor_registered.role is unset or unknown");
      }
      RETURN_IF_ERROR(CheckText("actor_registered.licence", a.licence()));
      RETURN_IF_ERROR(CheckText("actor_registered.jurisdiction", a.jurisdiction()));
      return CheckKey("actor_registered.key", a.key());
    }
    case v1::Event::kExtracted: {
      const auto& x = ev.extracted();
      RETURN_IF_ERROR(CheckLot("extracted.lot", x.lot()));
      RETURN_IF_ERROR(CheckText("extracted.site", x.site()));
      if (x.quota_kind() != v1::QUOTA_MINING_ROCK && x.quota_kind() != v1::QUOTA_MINING_IONIC) {
        return InvalidArgumentError(
            "extracted.quota_kind must be QUOTA_MINING_ROCK or QUOTA_MINING_IONIC");
      }
      return CheckText("extracted.licence", x.licence());
    }
    case v1::Event::kQuotaGranted: {
      const auto& q = ev.quota_granted();
      RETURN_IF_ERROR(CheckId("quota_granted.actor_id", q.actor_id()));
      if (q.year() < 1900 || q.year() > 9999) {
        return InvalidArgumentError("quota_granted.year must be a four-digit year");
      }
      if (q.kind() == v1::QUOTA_KIND_UNSPECIFIED || !v1::QuotaKind_IsValid(q.kind())) {
        return InvalidArgumentError("quota_granted.kind is unset or unknown");
      }
      if (q.reo_g() > (std::uint64_t{1} << 53)) {
        return InvalidArgumentError("quota_granted.reo_g is absurdly large (over 2^53 grams)");
      }
      return CheckText("quota_granted.document", q.document());
    }
    case v1::Event::kPolicySet: {
      const auto& p = ev.policy_set();
      RETURN_IF_ERROR(CheckId("policy_set.name", p.name()));
      if (p.rules_size() == 0) return InvalidArgumentError("policy_set has no rules");
      if (p.rules_size() > 64) return InvalidArgumentError("policy_set has more than 64 rules");
      std::vector<bool> seen_role(16, false);
      for (int i = 0; i < p.rules_size(); ++i) {
        const auto& r = p.rules(i);
        std::string f = "policy_set.rules[" + std::to_string(i) + "]";
        if (r.role() == v1::ROLE_UNSPECIFIED || r.role() == v1::ROLE_REGULATOR ||
            !v1::Role_IsValid(r.role())) {
          return InvalidArgumentError(f + ".role must be a non-regulator role");
        }
        if (seen_role[r.role()]) return InvalidArgumentError(f + ".role appears in two rules");
        seen_role[r.role()] = true;
        for (const auto& e : r.events()) {
          if (e != "extracted" && e != "shipped" && e != "received" && e != "transformed" &&
              e != "exported" && e != "recycled" && e != "imported") {
            return InvalidArgumentError(f + ".events names unknown event kind \"" + e + "\"");
          }
        }
        for (int m : r.inputs()) {
          if (m == 0 || !v1::MaterialClass_IsValid(m)) return InvalidArgumentError(f + ".inputs has an unknown class");
        }
        for (int m : r.outputs()) {
          if (m == 0 || !v1::MaterialClass_IsValid(m)) return InvalidArgumentError(f + ".outputs has an unknown class");
        }
        if (r.element_tolerance_ppm() > 100000) {
          return InvalidArgumentError(f + ".element_tolerance_ppm is over 10 %");
        }
      }
      if (p.trusted_logs_size() > 1024) {
        return InvalidArgumentError("policy_set trusts more than 1024 logs");
      }
      for (int i = 0; i < p.trusted_logs_size(); ++i) {
        const auto& t = p.trusted_logs(i);
        const std::string f = "policy_set.trusted_logs[" + std::to_string(i) + "]";
        RETURN_IF_ERROR(CheckId(f + ".origin", t.origin()));
        RETURN_IF_ERROR(CheckId(f + ".log_key", t.log_key()));
        if (t.witnesses_size() > 64) return InvalidArgumentError(f + " names more than 64 witnesses");
        for (int w = 0; w < t.witnesses_size(); ++w) {
          RETURN_IF_ERROR(CheckId(f + ".witnesses[" + std::to_string(w) + "]", t.witnesses(w)));
        }
        if (t.quorum() > static_cast<std::uint32_t>(t.witnesses_size())) {
          return InvalidArgumentError(f + ".quorum exceeds its witnesses");
        }
        for (int j = 0; j < i; ++j) {
          if (p.trusted_logs(j).origin() == t.origin()) {
            return InvalidArgumentError(f + ".origin is trusted twice");
          }
        }
      }
      return Status::Ok();
    }
    case v1::Event::kRecycled: {
      const auto& r = ev.recycled();
      RETURN_IF_ERROR(CheckLot("recycled.lot", r.lot()));
      if (r.scrap_size() == 0) return InvalidArgumentError("recycled declares no scrap");
      // Each entry is at most 2^53 g, but there may be more than 2^11 of
      // them: the sum is kept in 128 bits, never wrapped below the lot.
      unsigned __int128 scrap = 0;
      for (int i = 0; i < r.scrap_size(); ++i) {
        RETURN_IF_ERROR(CheckId("recycled.scrap[" + std::to_string(i) + "].material", r.scrap(i).material()));
        if (r.scrap(i).mass_g() > (std::uint64_t{1} << 53)) {
          return InvalidArgumentError("recycled.scrap[" + std::to_string(i) + "].mass_g is absurdly large");
        }
        scrap += r.scrap(i).mass_g();
      }
      if (scrap < r.lot().mass_g()) {
        return InvalidArgumentError("recycled.lot weighs more than the declared scrap");
      }
      return CheckText("recycled.source", r.source());
    }
    case v1::Event::kImported: {
      const auto& m = ev.imported();
      RETURN_IF_ERROR(CheckLot("imported.lot", m.lot()));
      RETURN_IF_ERROR(CheckId("imported.customs_declaration", m.customs_declaration()));
      return CheckText("imported.origin_country", m.origin_country());
    }
    case v1::Event::kKeyRotated: {
      const auto& k = ev.key_rotated();
      RETURN_IF_ERROR(CheckId("key_rotated.actor_id", k.actor_id()));
      RETURN_IF_ERROR(CheckText("key_rotated.retired_key_id", k.retired_key_id()));
      return CheckKey("key_rotated.new_key", k.new_key());
    }
    case v1::Event::kKeyRevoked: {
      const auto& k = ev.key_revoked();
      RETURN_IF_ERROR(CheckId("key_revoked.key_id", k.key_id()));
      return CheckText("key_revoked.reason", k.reason());
    }
    case v1::Event::kReversed: {
      const auto& r = ev.reversed();
      RETURN_IF_ERROR(CheckHash("reversed.record_hash", r.record_hash(), true));
      if (r.lot_ids_size() == 0) return InvalidArgumentError("reversed names no lot");
      if (r.lot_ids_size() > 10000) return InvalidArgumentError("reversed names more than 10000 lots");
      for (int i = 0; i < r.lot_ids_size(); ++i) {
        RETURN_IF_ERROR(CheckIdAt(Field("reversed.lot_ids", i), r.lot_ids(i)));
      }
      return CheckText("reversed.reason", r.reason());
    }
    case v1::Event::kShipped: {
      const auto& s = ev.shipped();
      RETURN_IF_ERROR(CheckId("shipped.lot_id", s.lot_id()));
      RETURN_IF_ERROR(CheckHash("shipped.parent_hash", s.parent_hash(), true));
      RETURN_IF_ERROR(CheckId("shipped.to_actor_id", s.to_actor_id()));
      if (s.mass_g() == 0) return InvalidArgumentError("shipped.mass_g must be greater than zero");
      if (!s.consignee_log().empty()) RETURN_IF_ERROR(CheckId("shipped.consignee_log", s.consignee_log()));
      return Status::Ok();
    }
    case v1::Event::kReceived: {
      const auto& r = ev.received();
      RETURN_IF_ERROR(CheckId("received.lot_id", r.lot_id()));
      // A cross-ledger receipt has no parent in this ledger: its origin
      // names the shipment (docs/federation.md).
      RETURN_IF_ERROR(CheckHash("received.parent_hash", r.parent_hash(), !r.has_origin()));
      RETURN_IF_ERROR(CheckId("received.from_actor_id", r.from_actor_id()));
      if (r.mass_g() == 0) return InvalidArgumentError("received.mass_g must be greater than zero");
      if (r.has_origin()) {
        const auto& o = r.origin();
        if (!r.parent_hash().empty()) {
          return InvalidArgumentError("received.parent_hash must be empty in a cross-ledger receipt");
        }
        RETURN_IF_ERROR(CheckId("received.origin.log_origin", o.log_origin()));
        RETURN_IF_ERROR(CheckHash("received.origin.shipped_record_hash", o.shipped_record_hash(), true));
        RETURN_IF_ERROR(CheckHash("received.origin.bundle_sha256", o.bundle_sha256(), true));
        RETURN_IF_ERROR(CheckLot("received.origin.lot", o.lot()));
        if (o.lot().lot_id() != r.lot_id()) {
          return InvalidArgumentError("received.origin.lot is not lot received.lot_id");
        }
        if (o.lot().mass_g() != r.mass_g()) {
          return InvalidArgumentError("received.origin.lot.mass_g differs from received.mass_g");
        }
      }
      return Status::Ok();
    }
    case v1::Event::kTransformed: {
      const auto& t = ev.transformed();
      if (t.inputs_size() == 0) return InvalidArgumentError("transformed has no inputs");
      if (t.outputs_size() == 0) return InvalidArgumentError("transformed has no outputs");
      for (int i = 0; i < t.inputs_size(); ++i) {
        const Field f("transformed.inputs", i);
        const auto& in = t.inputs(i);
        RETURN_IF_ERROR(CheckIdAt(f.Sub(".lot_id"), in.lot_id()));
        RETURN_IF_ERROR(CheckHash(f.Sub(".parent_hash"), in.parent_hash(), true));
        if (in.consumed_g() == 0) {
          return InvalidArgumentError(f.str() + ".consumed_g must be greater than zero");
        }
        if (in.consumed_g() > (std::uint64_t{1} << 53)) {
          return InvalidArgumentError(f.str() + ".consumed_g is absurdly large (over 2^53 grams)");
        }
      }
      for (int i = 0; i < t.outputs_size(); ++i) {
        RETURN_IF_ERROR(CheckLot(Field("transformed.outputs", i), t.outputs(i)));
      }
      for (int i = 0; i < t.additives_size(); ++i) {
        std::string f = "transformed.additives[" + std::to_string(i) + "]";
        RETURN_IF_ERROR(CheckId(f + ".material", t.additives(i).material()));
        if (t.additives(i).mass_g() > (std::uint64_t{1} << 53)) {
          return InvalidArgumentError(f + ".mass_g is absurdly large (over 2^53 grams)");
        }
      }
      if (t.declared_loss_g() > (std::uint64_t{1} << 53)) {
        return InvalidArgumentError("transformed.declared_loss_g is absurdly large");
      }
      return CheckText("transformed.process", t.process());
    }
    case v1::Event::kExported: {
      const auto& x = ev.exported();
      RETURN_IF_ERROR(CheckId("exported.lot_id", x.lot_id()));
      RETURN_IF_ERROR(CheckHash("exported.parent_hash", x.parent_hash(), true));
      if (x.mass_g() == 0) return InvalidArgumentError("exported.mass_g must be greater than zero");
      RETURN_IF_ERROR(CheckText("exported.customs_declaration", x.customs_declaration()));
      return CheckText("exported.destination_country", x.destination_country());
    }
    case v1::Event::BODY_NOT_SET:
      return InvalidArgumentError("event has no body (extracted, shipped, received, ...)");
  }
  return InvalidArgumentError("event body of unknown kind " + std::to_string(ev.body_case()));
}

void LotToProto(const Lot& in, v1::Lot* out) {
  out->set_lot_id(in.lot_id);
  out->set_material(static_cast<v1::MaterialClass>(in.material));
  out->set_mass_g(in.mass_g);
  for (const auto& em : in.content) {
    auto* c = out->add_content();
    c->set_element(static_cast<v1::Element>(em.element));
    c->set_grams(em.grams);
  }
  out->set_description(in.description);
}

Lot LotFromProto(const v1::Lot& in) {
  Lot out;
  out.lot_id = in.lot_id();
  out.material = static_cast<MaterialClass>(in.material());
  out.mass_g = in.mass_g();
  for (const auto& c : in.content()) {
    out.content.push_back({static_cast<Element>(c.element()), c.grams()});
  }
  out.description = in.description();
  return out;
}

namespace {

void KeyToProto(const std::optional<PublicKey>& key, v1::KeyInfo* out) {
  if (!key) return;
  out->set_algorithm(AlgorithmName(key->algorithm()));
  out->set_public_key(key->der());
}

std::optional<PublicKey> KeyFromProto(const v1::KeyInfo& k) {
  if (k.public_key().empty()) return std::nullopt;
  auto pk = PublicKey::FromDer(k.public_key());
  if (!pk.ok()) return std::nullopt;
  return *pk;
}

void SetHash(const std::optional<Hash>& h, std::string* out) {
  if (h) *out = HashBytes(*h);
}

std::optional<Hash> GetHash(const std::string& bytes) {
  if (bytes.size() != 32) return std::nullopt;
  return *HashFromBytes(bytes);
}

struct BodyToProto {
  v1::Event* out;
  void operator()(const Genesis& g) const {
    auto* p = out->mutable_genesis();
    p->set_name(g.name);
    p->set_root_actor_id(g.root_actor_id);
    KeyToProto(g.root_key, p->mutable_root_key());
  }
  void operator()(const ActorRegistered& a) const {
    auto* p = out->mutable_actor_registered();
    p->set_actor_id(a.actor_id);
    p->set_legal_name(a.legal_name);
    p->set_role(static_cast<v1::Role>(a.role));
    KeyToProto(a.key, p->mutable_key());
    p->set_licence(a.licence);
    p->set_jurisdiction(a.jurisdiction);
  }
  void operator()(const Extracted& x) const {
    auto* p = out->mutable_extracted();
    LotToProto(x.lot, p->mutable_lot());
    p->set_site(x.site);
    p->set_licence(x.licence);
    p->set_quota_kind(static_cast<v1::QuotaKind>(x.quota_kind));
  }
  void operator()(const QuotaGranted& q) const {
    auto* p = out->mutable_quota_granted();
    p->set_actor_id(q.actor_id);
    p->set_year(q.year);
    p->set_kind(static_cast<v1::QuotaKind>(q.kind));
    p->set_reo_g(q.reo_g);
    p->set_document(q.document);
  }
  void operator()(const PolicySet& ps) const {
    auto* p = out->mutable_policy_set();
    p->set_name(ps.name);
    for (const auto& r : ps.rules) {
      auto* pr = p->add_rules();
      pr->set_role(static_cast<v1::Role>(r.role));
      for (const auto& e : r.events) pr->add_events(e);
      for (auto m : r.inputs) pr->add_inputs(static_cast<v1::MaterialClass>(m));
      for (auto m : r.outputs) pr->add_outputs(static_cast<v1::MaterialClass>(m));
      pr->set_element_tolerance_ppm(r.element_tolerance_ppm);
    }
    for (const auto& t : ps.trusted_logs) {
      auto* pt = p->add_trusted_logs();
      pt->set_origin(t.origin);
      pt->set_log_key(t.log_key);
      for (const auto& w : t.witnesses) pt->add_witnesses(w);
      pt->set_quorum(t.quorum);
    }
  }
  void operator()(const Recycled& r) const {
    auto* p = out->mutable_recycled();
    LotToProto(r.lot, p->mutable_lot());
    for (const auto& a : r.scrap) {
      auto* s = p->add_scrap();
      s->set_material(a.material);
      s->set_mass_g(a.mass_g);
    }
    p->set_source(r.source);
  }
  void operator()(const Imported& m) const {
    auto* p = out->mutable_imported();
    LotToProto(m.lot, p->mutable_lot());
    p->set_customs_declaration(m.customs_declaration);
    p->set_origin_country(m.origin_country);
  }
  void operator()(const KeyRotated& k) const {
    auto* p = out->mutable_key_rotated();
    p->set_actor_id(k.actor_id);
    KeyToProto(k.new_key, p->mutable_new_key());
    p->set_retired_key_id(k.retired_key_id);
  }
  void operator()(const KeyRevoked& k) const {
    auto* p = out->mutable_key_revoked();
    p->set_key_id(k.key_id);
    p->set_effective_seq(k.effective_seq);
    p->set_reason(k.reason);
  }
  void operator()(const Reversed& r) const {
    // (An unresolved reversed_event_id is refused by ToProto.)
    auto* p = out->mutable_reversed();
    p->set_seq(r.seq);
    SetHash(r.record_hash, p->mutable_record_hash());
    for (const auto& id : r.lot_ids) p->add_lot_ids(id);
    p->set_reason(r.reason);
  }
  void operator()(const Shipped& s) const {
    auto* p = out->mutable_shipped();
    p->set_lot_id(s.lot_id);
    SetHash(s.parent_hash, p->mutable_parent_hash());
    p->set_to_actor_id(s.to_actor_id);
    p->set_mass_g(s.mass_g);
    p->set_consignee_log(s.consignee_log);
  }
  void operator()(const Received& r) const {
    auto* p = out->mutable_received();
    p->set_lot_id(r.lot_id);
    SetHash(r.parent_hash, p->mutable_parent_hash());
    p->set_from_actor_id(r.from_actor_id);
    p->set_mass_g(r.mass_g);
    if (r.origin) {
      auto* o = p->mutable_origin();
      o->set_log_origin(r.origin->log_origin);
      o->set_shipped_seq(r.origin->shipped_seq);
      o->set_shipped_record_hash(HashBytes(r.origin->shipped_record_hash));
      o->set_bundle_sha256(HashBytes(r.origin->bundle_sha256));
      LotToProto(r.origin->lot, o->mutable_lot());
    }
  }
  void operator()(const Transformed& t) const {
    auto* p = out->mutable_transformed();
    for (const auto& in : t.inputs) {
      auto* i = p->add_inputs();
      i->set_lot_id(in.lot_id);
      i->set_consumed_g(in.consumed_g);
      SetHash(in.parent_hash, i->mutable_parent_hash());
    }
    for (const auto& o : t.outputs) LotToProto(o, p->add_outputs());
    for (const auto& a : t.additives) {
      auto* ad = p->add_additives();
      ad->set_material(a.material);
      ad->set_mass_g(a.mass_g);
    }
    p->set_declared_loss_g(t.declared_loss_g);
    p->set_process(t.process);
  }
  void operator()(const Exported& x) const {
    auto* p = out->mutable_exported();
    p->set_lot_id(x.lot_id);
    SetHash(x.parent_hash, p->mutable_parent_hash());
    p->set_mass_g(x.mass_g);
    p->set_customs_declaration(x.customs_declaration);
    p->set_destination_country(x.destination_country);
  }
};

}  // namespace

Status ToProto(const Event& in, v1::Event* out) {
  if (!in.ledger_id.empty()) {
    auto raw = HexDecode(in.ledger_id);
    if (!raw.ok() || raw->size() != kLedgerIdBytes) {
      return InvalidArgumentError("ledger_id must be 32 hex digits, got \"" + in.ledger_id + "\"");
    }
    out->set_ledger_id(*raw);
  }
  out->set_event_id(in.event_id);
  out->set_actor_id(in.actor_id);
  if (in.time.seconds != 0 || in.time.nanos != 0) {
    out->mutable_time()->set_seconds(in.time.seconds);
    out->mutable_time()->set_nanos(in.time.nanos);
  }
  for (const auto& r : in.references) {
    auto* p = out->add_references();
    p->set_kind(r.kind);
    p->set_value(r.value);
  }
  if (const auto* r = std::get_if<Reversed>(&in.body);
      r != nullptr && r->seq == 0 && !r->reversed_event_id.empty()) {
    return InvalidArgumentError("the reversal names the record it reverses by event id (" +
                                r->reversed_event_id +
                                "), not yet by seq: link the event first (Ledger::LinkParents)");
  }
  std::visit(BodyToProto{out}, in.body);
  return Status::Ok();
}

Result<Event> FromProto(const v1::Event& in) {
  Event out;
  if (!in.ledger_id().empty()) out.ledger_id = HexEncode(in.ledger_id());
  out.event_id = in.event_id();
  out.actor_id = in.actor_id();
  out.time = {in.time().seconds(), in.time().nanos()};
  for (const auto& r : in.references()) out.references.push_back({r.kind(), r.value()});
  switch (in.body_case()) {
    case v1::Event::kGenesis: {
      const auto& p = in.genesis();
      out.body = Genesis{p.name(), p.root_actor_id(), KeyFromProto(p.root_key())};
      break;
    }
    case v1::Event::kActorRegistered: {
      const auto& p = in.actor_registered();
      out.body = ActorRegistered{p.actor_id(),     p.legal_name(), static_cast<Role>(p.role()),
                                 KeyFromProto(p.key()), p.licence(), p.jurisdiction()};
      break;
    }
    case v1::Event::kExtracted: {
      const auto& p = in.extracted();
      out.body = Extracted{LotFromProto(p.lot()), p.site(), p.licence(),
                           static_cast<QuotaKind>(p.quota_kind())};
      break;
    }
    case v1::Event::kQuotaGranted: {
      const auto& p = in.quota_granted();
      out.body = QuotaGranted{p.actor_id(), p.year(), static_cast<QuotaKind>(p.kind()), p.reo_g(),
                              p.document()};
      break;
    }
    case v1::Event::kPolicySet: {
      const auto& p = in.policy_set();
      PolicySet ps;
      ps.name = p.name();
      for (const auto& r : p.rules()) {
        StageRule sr;
        sr.role = static_cast<Role>(r.role());
        sr.events.assign(r.events().begin(), r.events().end());
        for (int m : r.inputs()) sr.inputs.push_back(static_cast<MaterialClass>(m));
        for (int m : r.outputs()) sr.outputs.push_back(static_cast<MaterialClass>(m));
        sr.element_tolerance_ppm = r.element_tolerance_ppm();
        ps.rules.push_back(std::move(sr));
      }
      for (const auto& t : p.trusted_logs()) {
        ps.trusted_logs.push_back(TrustedLog{t.origin(), t.log_key(),
                                             {t.witnesses().begin(), t.witnesses().end()},
                                             t.quorum()});
      }
      out.body = std::move(ps);
      break;
    }
    case v1::Event::kRecycled: {
      const auto& p = in.recycled();
      Recycled r;
      r.lot = LotFromProto(p.lot());
      for (const auto& a : p.scrap()) r.scrap.push_back({a.material(), a.mass_g()});
      r.source = p.source();
      out.body = std::move(r);
      break;
    }
    case v1::Event::kImported: {
      const auto& p = in.imported();
      out.body = Imported{LotFromProto(p.lot()), p.customs_declaration(), p.origin_country()};
      break;
    }
    case v1::Event::kKeyRotated: {
      const auto& p = in.key_rotated();
      out.body = KeyRotated{p.actor_id(), KeyFromProto(p.new_key()), p.retired_key_id()};
      break;
    }
    case v1::Event::kKeyRevoked: {
      const auto& p = in.key_revoked();
      out.body = KeyRevoked{p.key_id(), p.effective_seq(), p.reason()};
      break;
    }
    case v1::Event::kReversed: {
      const auto& p = in.reversed();
      out.body = Reversed{p.seq(), GetHash(p.record_hash()),
                          std::vector<std::string>(p.lot_ids().begin(), p.lot_ids().end()),
                          p.reason()};
      break;
    }
    case v1::Event::kShipped: {
      const auto& p = in.shipped();
      out.body = Shipped{p.lot_id(), GetHash(p.parent_hash()), p.to_actor_id(), p.mass_g(),
                         p.consignee_log()};
      break;
    }
    case v1::Event::kReceived: {
      const auto& p = in.received();
      Received r{p.lot_id(), GetHash(p.parent_hash()), p.from_actor_id(), p.mass_g()};
      if (p.has_origin()) {
        const auto& o = p.origin();
        CrossLedgerOrigin c;
        c.log_origin = o.log_origin();
        c.shipped_seq = o.shipped_seq();
        if (auto h = GetHash(o.shipped_record_hash())) c.shipped_record_hash = *h;
        if (auto h = GetHash(o.bundle_sha256())) c.bundle_sha256 = *h;
        c.lot = LotFromProto(o.lot());
        r.origin = std::move(c);
      }
      out.body = std::move(r);
      break;
    }
    case v1::Event::kTransformed: {
      const auto& p = in.transformed();
      Transformed t;
      for (const auto& i : p.inputs()) {
        t.inputs.push_back({i.lot_id(), i.consumed_g(), GetHash(i.parent_hash())});
      }
      for (const auto& o : p.outputs()) t.outputs.push_back(LotFromProto(o));
      for (const auto& a : p.additives()) t.additives.push_back({a.material(), a.mass_g()});
      t.declared_loss_g = p.declared_loss_g();
      t.process = p.process();
      out.body = std::move(t);
      break;
    }
    case v1::Event::kExported: {
      const auto& p = in.exported();
      out.body = Exported{p.lot_id(), GetHash(p.parent_hash()), p.mass_g(),
                          p.customs_declaration(), p.destination_country()};
      break;
    }
    default:
      return InvalidArgumentError("event has no body");
  }
  return out;
}

}  // namespace internal

using internal::FromProto;
using internal::ToProto;

const char* RoleName(Role r) noexcept {
  switch (r) {
    case Role::kUnspecified: return "unspecified";
    case Role::kRegulator: return "regulator";
    case Role::kMine: return "mine";
    case Role::kSeparator: return "separator";
    case Role::kSmelter: return "smelter";
    case Role::kMagnetMaker: return "magnet_maker";
    case Role::kExporter: return "exporter";
    case Role::kRecycler: return "recycler";
    case Role::kImporter: return "importer";
  }
  return "unknown";
}

Result<Role> ParseRole(std::string_view name) {
  // One spelling per role, case and '-' / '_' aside; "ROLE_" as in the proto.
  std::string n(name);
  for (char& c : n) {
    if (c == '-') c = '_';
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (n.rfind("role_", 0) == 0) n.erase(0, 5);
  for (int r = 1; r <= 8; ++r) {
    if (n == RoleName(static_cast<Role>(r))) return static_cast<Role>(r);
  }
  return InvalidArgumentError("unknown role \"" + internal::EscapeForDisplay(name) +
                              "\" (expected regulator, mine, separator, smelter, magnet_maker, "
                              "exporter, recycler or importer)");
}

const char* QuotaKindName(QuotaKind k) noexcept {
  switch (k) {
    case QuotaKind::kUnspecified: return "unspecified";
    case QuotaKind::kMiningRock: return "mining_rock";
    case QuotaKind::kMiningIonic: return "mining_ionic";
    case QuotaKind::kSmeltingSeparation: return "smelting_separation";
  }
  return "unknown";
}

Result<QuotaKind> ParseQuotaKind(std::string_view name) {
  for (int k = 1; k <= 3; ++k) {
    if (name == QuotaKindName(static_cast<QuotaKind>(k))) return static_cast<QuotaKind>(k);
  }
  return InvalidArgumentError("unknown quota kind \"" + std::string(name) +
                              "\" (mining_rock, mining_ionic, smelting_separation)");
}

const char* MaterialClassName(MaterialClass m) noexcept {
  switch (m) {
    case MaterialClass::kUnspecified: return "unspecified";
    case MaterialClass::kOreConcentrate: return "ore_concentrate";
    case MaterialClass::kMixedCompound: return "mixed_compound";
    case MaterialClass::kSeparatedOxide: return "separated_oxide";
    case MaterialClass::kMetalAlloy: return "metal_alloy";
    case MaterialClass::kMagnet: return "magnet";
    case MaterialClass::kOther: return "other";
  }
  return "unknown";
}

const char* ElementSymbol(Element e) noexcept {
  switch (e) {
    case Element::kUnspecified: return "?";
    case Element::kSc: return "Sc";
    case Element::kY: return "Y";
    case Element::kLa: return "La";
    case Element::kCe: return "Ce";
    case Element::kPr: return "Pr";
    case Element::kNd: return "Nd";
    case Element::kPm: return "Pm";
    case Element::kSm: return "Sm";
    case Element::kEu: return "Eu";
    case Element::kGd: return "Gd";
    case Element::kTb: return "Tb";
    case Element::kDy: return "Dy";
    case Element::kHo: return "Ho";
    case Element::kEr: return "Er";
    case Element::kTm: return "Tm";
    case Element::kYb: return "Yb";
    case Element::kLu: return "Lu";
  }
  return "?";
}

Result<std::uint64_t> RareEarthMass(const Lot& lot) {
  std::uint64_t total = 0;
  for (const auto& em : lot.content) {
    if (em.grams > std::numeric_limits<std::uint64_t>::max() - total) {
      return InvalidArgumentError("rare-earth content of lot " + lot.lot_id + " overflows");
    }
    total += em.grams;
  }
  return total;
}

Timestamp Now() noexcept {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  return {static_cast<std::int64_t>(ns / 1000000000), static_cast<std::int32_t>(ns % 1000000000)};
}

const char* EventKindName(const EventBody& body) noexcept {
  switch (body.index()) {
    case 0: return "genesis";
    case 1: return "actor_registered";
    case 2: return "extracted";
    case 3: return "shipped";
    case 4: return "received";
    case 5: return "transformed";
    case 6: return "exported";
    case 7: return "quota_granted";
    case 8: return "policy_set";
    case 9: return "recycled";
    case 10: return "imported";
    case 11: return "key_rotated";
    case 12: return "key_revoked";
    case 13: return "reversed";
  }
  return "unknown";
}

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

namespace internal {
namespace {

// protobuf's JSON parser (3.21) is lenient where a signed event needs it to
// be strict: of duplicate keys it keeps the last, it takes {} for an empty
// list and skips arrays nested where messages belong. So that the event
// signed is unambiguously the document the user wrote, the document is
// first checked against the Event schema: no duplicate keys, lists are
// arrays, messages are objects, nesting is bounded. nlohmann's parser is
// iterative (no stack overflow on deep input) and rejects invalid UTF-8;
// its SAX interface finds duplicate keys in linear time (its DOM parser
// with a callback is quadratic in the length of an array).
constexpr int kMaxJsonDepth = 32;

Status CheckJsonShape(const nlohmann::json& j, const google::protobuf::Descriptor* d,
                      const std::string& path, int depth) {
  if (depth > kMaxJsonDepth) {
    return InvalidArgumentError("event JSON is nested more than " + std::to_string(kMaxJsonDepth) +
                                " levels deep at " + path);
  }
  if (!j.is_object()) {
    return InvalidArgumentError("event JSON: " + (path.empty() ? std::string("the event") : path) +
                                " must be an object, got " + j.type_name());
  }
  for (const auto& [key, value] : j.items()) {
    const google::protobuf::FieldDescriptor* f = nullptr;
    for (int i = 0; i < d->field_count() && f == nullptr; ++i) {
      if (d->field(i)->json_name() == key || d->field(i)->name() == key) f = d->field(i);
    }
    if (f == nullptr || value.is_null()) continue;  // protobuf names unknown fields
    const std::string where = path.empty() ? key : path + "." + key;
    const bool message = f->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE &&
                         f->message_type()->file()->package() != "google.protobuf";
    if (f->is_repeated()) {
      if (!value.is_array()) {
        return InvalidArgumentError("event JSON: " + where + " must be a list, got " +
                                    value.type_name());
      }
      for (std::size_t i = 0; i < value.size(); ++i) {
        const std::string item = where + "[" + std::to_string(i) + "]";
        if (message) {
          RETURN_IF_ERROR(CheckJsonShape(value[i], f->message_type(), item, depth + 1));
        } else if (value[i].is_structured()) {
          return InvalidArgumentError("event JSON: " + item + " must be a value, got " +
                                      value[i].type_name());
        }
      }
    } else if (message) {
      RETURN_IF_ERROR(CheckJsonShape(value, f->message_type(), where, depth + 1));
    }
  }
  return Status::Ok();
}

// First pass, streaming: syntax, UTF-8, nesting depth and duplicate keys
// (the DOM keeps only one of them, so they are caught here).
class JsonKeyCheck : public nlohmann::json_sax<nlohmann::json> {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    objects_.emplace_back();
    return Enter();
  }
  bool key(string_t& k) override {
    if (!objects_.back().insert(k).second) {
      error_ = "event JSON has the key \"" + k + "\" twice in one object; it must be given once";
      return false;
    }
    return true;
  }
  bool end_object() override {
    objects_.pop_back();
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override { return Enter(); }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    error_ = std::string("event JSON does not parse: ") + e.what();
    return false;
  }
  const std::string& error() const { return error_; }

 private:
  bool Enter() {
    if (++depth_ <= kMaxJsonDepth) return true;
    error_ = "event JSON is nested more than " + std::to_string(kMaxJsonDepth) + " levels deep";
    return false;
  }
  std::vector<std::set<std::string>> objects_;
  int depth_ = 0;
  std::string error_;
};

Status CheckJsonDocument(std::string_view json) {
  JsonKeyCheck keys;
  if (!nlohmann::json::sax_parse(json.begin(), json.end(), &keys)) {
    return InvalidArgumentError(keys.error().empty() ? "event JSON does not parse" : keys.error());
  }
  // Second pass: the shape against the Event schema, on the DOM.
  nlohmann::json doc = nlohmann::json::parse(json.begin(), json.end(), nullptr,
                                             /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InvalidArgumentError("event JSON does not parse");
  return CheckJsonShape(doc, v1::Event::descriptor(), "", 0);
}

}  // namespace
}  // namespace internal

Result<Event> EventFromJson(std::string_view json) {
  RETURN_IF_ERROR(internal::CheckJsonDocument(json));
  v1::Event pb;
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;
  auto st = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &pb, opts);
  if (!st.ok()) {
    return InvalidArgumentError("event JSON: " + std::string(st.message()));
  }
  return FromProto(pb);
}

Result<std::string> EventToJson(const Event& event) {
  v1::Event pb;
  RETURN_IF_ERROR(ToProto(event, &pb));
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = false;
  auto st = google::protobuf::util::MessageToJsonString(pb, &out, opts);
  if (!st.ok()) return InternalError("event to JSON: " + std::string(st.message()));
  return out;
}

std::string EventSigningInput(std::string_view event_bytes) {
  std::string msg(internal::kEventSigningContext);
  msg.push_back('\0');
  msg.append(event_bytes);
  return msg;
}

Result<SignedEvent> SignEvent(const Event& event, const Signer& signer) {
  ASSIGN_OR_RETURN(std::string bytes, EncodeEvent(event));
  ASSIGN_OR_RETURN(std::string sig, signer.Sign(EventSigningInput(bytes)));
  return SignedEvent{std::move(bytes), signer.public_key().KeyId(), std::move(sig)};
}

}  // namespace retrace
