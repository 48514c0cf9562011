// The structural checks of an event (ValidateEventProto, CheckId): ids,
// text, hashes, enums, masses and the limits of retrace/event.h, with
// messages that name the field.
#include <limits>
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
      lot.mass_g() == 0 || lot.mass_g() > kMaxGrams) {
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
  if (lot.mass_g() > kMaxGrams) {
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
  if (ev.references_size() > kMaxReferences) {
    return InvalidArgumentError("more than " + std::to_string(kMaxReferences) + " references");
  }
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
      if (q.reo_g() > kMaxGrams) {
        return InvalidArgumentError("quota_granted.reo_g is absurdly large (over 2^53 grams)");
      }
      return CheckText("quota_granted.document", q.document());
    }
    case v1::Event::kPolicySet: {
      const auto& p = ev.policy_set();
      RETURN_IF_ERROR(CheckId("policy_set.name", p.name()));
      if (p.rules_size() == 0) return InvalidArgumentError("policy_set has no rules");
      if (p.rules_size() > kMaxPolicyRules) {
        return InvalidArgumentError("policy_set has more than " + std::to_string(kMaxPolicyRules) +
                                    " rules");
      }
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
        if (r.element_tolerance_ppm() > kMaxElementTolerancePpm) {
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
        if (r.scrap(i).mass_g() > kMaxGrams) {
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
      if (r.lot_ids_size() > kMaxReversedLots) {
        return InvalidArgumentError("reversed names more than " + std::to_string(kMaxReversedLots) +
                                    " lots");
      }
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
        if (in.consumed_g() > kMaxGrams) {
          return InvalidArgumentError(f.str() + ".consumed_g is absurdly large (over 2^53 grams)");
        }
      }
      for (int i = 0; i < t.outputs_size(); ++i) {
        RETURN_IF_ERROR(CheckLot(Field("transformed.outputs", i), t.outputs(i)));
      }
      for (int i = 0; i < t.additives_size(); ++i) {
        std::string f = "transformed.additives[" + std::to_string(i) + "]";
        RETURN_IF_ERROR(CheckId(f + ".material", t.additives(i).material()));
        if (t.additives(i).mass_g() > kMaxGrams) {
          return InvalidArgumentError(f + ".mass_g is absurdly large (over 2^53 grams)");
        }
      }
      if (t.declared_loss_g() > kMaxGrams) {
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

}  // namespace internal
}  // namespace retrace
