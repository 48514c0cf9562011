// Conversions between the public value types (retrace/event.h) and the
// generated protobuf messages, and the deterministic serialisation that
// makes an event's canonical bytes (proto_convert.h).
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "model/proto_convert.h"
#include "util/hex.h"
#include "util/status_macros.h"

namespace retrace {
namespace internal {

std::string SerializeDeterministic(const google::protobuf::MessageLite& m) {
  std::string out;
  SerializeDeterministicTo(m, &out);
  return out;
}

void SerializeDeterministicTo(const google::protobuf::MessageLite& m, std::string* out) {
  out->clear();
  out->reserve(m.ByteSizeLong());  // also fills the cached sizes used below
  {
    google::protobuf::io::StringOutputStream sos(out);
    google::protobuf::io::CodedOutputStream cos(&sos);
    cos.SetSerializationDeterministic(true);
    m.SerializeWithCachedSizes(&cos);
  }
}

Status ParseEventBytes(std::string_view bytes, v1::Event* out) {
  if (!out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return InvalidArgumentError("event bytes do not parse as retrace.v1.Event");
  }
  return Status::Ok();
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
    if (g.registry) {
      auto* r = p->mutable_registry();
      r->set_log_key(g.registry->log_key);
      for (const auto& w : g.registry->witnesses) r->add_witnesses(w);
      r->set_quorum(g.registry->quorum);
      // Not hex: kept as given, and refused as a ledger id of the wrong size.
      auto raw = HexDecode(g.registry->ledger_id);
      r->set_ledger_id(raw.ok() ? *raw : g.registry->ledger_id);
    }
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
      Genesis g{p.name(), p.root_actor_id(), KeyFromProto(p.root_key()), std::nullopt};
      if (p.has_registry()) {
        const auto& r = p.registry();
        g.registry = RegistryBinding{r.log_key(), {r.witnesses().begin(), r.witnesses().end()},
                                     r.quorum(), HexEncode(r.ledger_id())};
      }
      out.body = std::move(g);
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
}  // namespace retrace
