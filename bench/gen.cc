#include "gen.h"

#include <algorithm>


namespace retrace::bench {
namespace {

constexpr std::uint64_t kLeafMass = 1000000;

Lot LeafLot(const std::string& id) {
  Lot l;
  l.lot_id = id;
  l.material = MaterialClass::kOreConcentrate;
  l.mass_g = kLeafMass;
  l.content = {{Element::kNd, 50000}, {Element::kPr, 15000}, {Element::kDy, 1000}};
  l.description = "bastnaesite concentrate, benchmark lot";
  return l;
}

struct Held {
  std::string lot_id;
  Hash head;
  std::uint64_t mass = 0;
  std::vector<ElementMass> content;
};

class Builder {
 public:
  Builder(Loader& loader, const LineageActors& a, const std::string& prefix)
      : loader_(loader), a_(a), prefix_(prefix) {}

  Event Make(const std::string& actor, EventBody body) {
    Event ev;
    ev.event_id = prefix_ + "ev-" + std::to_string(++counter_);
    ev.actor_id = actor;
    ev.time = {1772438400 + static_cast<std::int64_t>(counter_), 0};
    ev.references.push_back({"batch_record", "BR-" + std::to_string(counter_)});
    ev.body = std::move(body);
    return ev;
  }

  // Extracts a lot, ships it to the smelter, which receives it.
  Result<Held> Leaf() {
    const std::string id = prefix_ + "ORE-" + std::to_string(++lots_);
    Lot lot = LeafLot(id);
    auto h1 = loader_.Add(Make(a_.mine_id, Extracted{lot, "Bench pit 1", a_.mine_licence,
                                                     QuotaKind::kMiningRock}),
                          *a_.mine);
    if (!h1.ok()) return h1.status();
    auto h2 = loader_.Add(Make(a_.mine_id, Shipped{id, *h1, a_.smelter_id, kLeafMass}), *a_.mine);
    if (!h2.ok()) return h2.status();
    auto h3 =
        loader_.Add(Make(a_.smelter_id, Received{id, *h2, a_.mine_id, kLeafMass}), *a_.smelter);
    if (!h3.ok()) return h3.status();
    return Held{id, *h3, kLeafMass, lot.content};
  }

  // Consumes every input whole into one new lot.
  Result<Held> Merge(const std::vector<Held>& inputs) {
    Transformed t;
    Lot out;
    out.lot_id = prefix_ + "MIX-" + std::to_string(++lots_);
    out.material = MaterialClass::kMixedCompound;
    out.description = "reprocessed mixed rare-earth compound, benchmark lot";
    std::vector<ElementMass> content;
    for (const Held& in : inputs) {
      t.inputs.push_back({in.lot_id, in.mass, in.head});
      out.mass_g += in.mass;
      for (const ElementMass& em : in.content) {
        auto it = std::find_if(content.begin(), content.end(),
                               [&](const ElementMass& c) { return c.element == em.element; });
        if (it == content.end()) {
          content.push_back(em);
        } else {
          it->grams += em.grams;
        }
      }
    }
    out.content = content;
    t.outputs.push_back(out);
    t.process = "leaching and reprecipitation";
    auto h = loader_.Add(Make(a_.smelter_id, std::move(t)), *a_.smelter);
    if (!h.ok()) return h.status();
    return Held{out.lot_id, *h, out.mass_g, content};
  }

  std::uint64_t counter() const { return counter_; }

 private:
  Loader& loader_;
  const LineageActors& a_;
  const std::string prefix_;
  std::uint64_t counter_ = 0;
  std::uint64_t lots_ = 0;
};

}  // namespace

Status Loader::Start() {
  auto info = ledger_.Info();
  if (!info.ok()) return info.status();
  ledger_id_ = info->ledger_id;
  size_ = info->size;
  head_ = info->head_hash;
  return Status::Ok();
}

Result<Hash> Loader::Add(Event ev, const Signer& signer) {
  ev.ledger_id = ledger_id_;
  auto se = SignEvent(ev, signer);
  if (!se.ok()) return se.status();
  const std::string stored =
      EncodeRecord(size_, head_, *se);
  head_ = RecordHash(stored);
  ++size_;
  stored_bytes_ += stored.size();
  event_bytes_ += se->event_bytes.size();
  ++events_;
  pending_.push_back(std::move(se).value());
  if (batch_ > 0 && pending_.size() >= batch_) {
    Status st = Flush();
    if (!st.ok()) return st;
  }
  return head_;
}

Status Loader::Flush() {
  if (batch_ == 0 || pending_.empty()) return Status::Ok();
  auto r = ledger_.AppendBatch(pending_);
  if (!r.ok()) return r.status();
  pending_.clear();
  if (r->back().hash != head_) {
    return InternalError("the ledger stored a record hash the loader did not predict");
  }
  return Status::Ok();
}

Result<LineageActors> RegisterLineageActors(Loader& loader, const Signer& root,
                                            const std::string& root_actor, Algorithm alg,
                                            const std::string& prefix) {
  LineageActors a;
  a.mine_id = prefix + "mine";
  a.smelter_id = prefix + "separator";
  a.mine_licence = "LIC-" + a.mine_id;
  auto m = Signer::Generate(alg);
  auto s = Signer::Generate(alg);
  if (!m.ok()) return m.status();
  if (!s.ok()) return s.status();
  a.mine = std::move(m).value();
  a.smelter = std::move(s).value();
  int n = 0;
  for (auto [id, role, signer] :
       {std::make_tuple(a.mine_id, Role::kMine, a.mine.get()),
        std::make_tuple(a.smelter_id, Role::kSeparator, a.smelter.get())}) {
    Event ev;
    ev.event_id = prefix + "reg-" + std::to_string(++n);
    ev.actor_id = root_actor;
    ev.time = {1772438400, 0};
    ActorRegistered reg;
    reg.actor_id = id;
    reg.legal_name = id + " Co., Ltd.";
    reg.role = role;
    reg.key = signer->public_key();
    reg.licence = "LIC-" + id;  // the mine's is a.mine_licence
    reg.jurisdiction = "CN";
    ev.body = std::move(reg);
    auto h = loader.Add(std::move(ev), root);
    if (!h.ok()) return h.status();
  }
  // Quotas far above anything a benchmark uses (grams REO).
  constexpr std::uint64_t kAmple = std::uint64_t{1} << 50;
  for (auto [id, kind] : {std::make_pair(a.mine_id, QuotaKind::kMiningRock),
                          std::make_pair(a.smelter_id, QuotaKind::kSmeltingSeparation)}) {
    Event ev;
    ev.event_id = prefix + "quota-" + std::to_string(++n);
    ev.actor_id = root_actor;
    ev.time = {1772438400, 0};
    ev.body = QuotaGranted{id, 2026, kind, kAmple, "benchmark quota"};
    auto h = loader.Add(std::move(ev), root);
    if (!h.ok()) return h.status();
  }
  return a;
}

Result<std::string> AppendLineage(Loader& loader, const LineageActors& actors, Shape shape,
                                  std::uint64_t records, const std::string& prefix) {
  Builder b(loader, actors, prefix);
  if (shape == Shape::kDeep) {
    auto cur = b.Leaf();
    if (!cur.ok()) return cur.status();
    Held held = *cur;
    for (std::uint64_t i = 3; i < std::max<std::uint64_t>(records, 4); ++i) {
      auto next = b.Merge({held});
      if (!next.ok()) return next.status();
      held = *next;
    }
    return held.lot_id;
  }
  constexpr std::size_t kFanIn = 5000;
  std::vector<Held> level;
  const std::uint64_t leaves = std::max<std::uint64_t>(records / 3, 2);
  for (std::uint64_t i = 0; i < leaves; ++i) {
    auto l = b.Leaf();
    if (!l.ok()) return l.status();
    level.push_back(*l);
  }
  while (level.size() > 1) {
    std::vector<Held> next;
    for (std::size_t i = 0; i < level.size(); i += kFanIn) {
      std::vector<Held> group(level.begin() + i,
                              level.begin() + std::min(level.size(), i + kFanIn));
      auto m = b.Merge(group);
      if (!m.ok()) return m.status();
      next.push_back(*m);
    }
    level = std::move(next);
  }
  return level.front().lot_id;
}

Status PlanCustodyEvents(Loader& loader, const LineageActors& a, std::uint64_t n,
                         const std::string& prefix) {
  Builder b(loader, a, prefix);
  std::uint64_t done = 0;
  while (done < n) {
    // Extraction, shipment, receipt: one leaf is three events.
    auto l = b.Leaf();
    if (!l.ok()) return l.status();
    done += 3;
  }
  return Status::Ok();
}

}  // namespace retrace::bench
