#include "erp_adapter.h"

#include "retrace/event_batch.h"

namespace erp {

using retrace::Event;
using retrace::InvalidArgumentError;
using retrace::Result;
using retrace::Status;
using retrace::StatusCode;

Result<std::uint64_t> ToGrams(const Quantity& q) {
  int decimals;  // digits after the point that make a gram
  if (q.uom == "G") {
    decimals = 0;
  } else if (q.uom == "KG") {
    decimals = 3;
  } else if (q.uom == "T") {
    decimals = 6;
  } else {
    return InvalidArgumentError("unit \"" + q.uom + "\" is not a mass unit (G, KG or T)");
  }
  std::uint64_t whole = 0, frac = 0;
  int frac_digits = 0;
  bool point = false, digits = false;
  for (char c : q.amount) {
    if (c == '.' && !point) {
      point = true;
    } else if (c >= '0' && c <= '9') {
      digits = true;
      int d = c - '0';
      if (!point) {
        if (whole > (UINT64_MAX - 9) / 10) return InvalidArgumentError("quantity too large");
        whole = whole * 10 + static_cast<std::uint64_t>(d);
      } else if (frac_digits < decimals) {
        frac = frac * 10 + static_cast<std::uint64_t>(d);
        ++frac_digits;
      } else if (d != 0) {
        return InvalidArgumentError("quantity " + q.amount + " " + q.uom +
                                    " has a fraction of a gram; the ledger keeps whole grams");
      }
    } else {
      return InvalidArgumentError("quantity \"" + q.amount + "\" is not a decimal number");
    }
  }
  if (!digits) return InvalidArgumentError("empty quantity");
  for (; frac_digits < decimals; ++frac_digits) frac *= 10;
  std::uint64_t scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10;
  if (whole > UINT64_MAX / scale) return InvalidArgumentError("quantity too large");
  return whole * scale + frac;
}

Adapter::Adapter(retrace::Ledger& ledger, std::map<std::string, const retrace::Signer*> keys)
    : ledger_(ledger), keys_(std::move(keys)) {}

Result<Event> Adapter::Make(const std::string& id, const std::string& actor,
                            std::vector<retrace::Reference> refs, retrace::EventBody body) const {
  if (keys_.find(actor) == keys_.end()) {
    return retrace::NotFoundError("no signing key configured for " + actor);
  }
  Event ev;
  ev.event_id = id;
  ev.actor_id = actor;
  ev.time = retrace::Now();
  ev.references = std::move(refs);
  ev.body = std::move(body);
  return ev;
}

Result<Outcome> Adapter::Append(std::vector<Event> events) {
  retrace::EventBatch batch(ledger_);
  for (Event& ev : events) {
    const retrace::Signer* key = keys_.at(ev.actor_id);
    if (Status st = batch.Add(std::move(ev), *key); !st.ok()) return st;
  }
  auto r = batch.Commit();
  if (r.ok()) return Outcome::kPosted;
  // A re-sent posting: the document number is already an event id. The
  // batch is all or nothing, so "already exists" means none of it went in
  // now -- check the first event to tell a full repost from a clash.
  if (r.status().code() == StatusCode::kAlreadyExists &&
      r.status().message().find("is already used by record") != std::string::npos) {
    return Outcome::kAlreadyPosted;
  }
  return r.status();
}

Result<Outcome> Adapter::Post(const MineProduction& p) {
  auto g = ToGrams(p.batch.quantity);
  if (!g.ok()) return g.status().Annotate("mine production " + p.document);
  retrace::Lot lot{p.batch.batch, p.batch.material, *g, p.batch.content, p.batch.description};
  auto ev = Make(p.document, p.mine, {{"material_document", p.document}},
                 retrace::Extracted{lot, p.site, p.licence, p.quota});
  if (!ev.ok()) return ev.status();
  return Append({std::move(*ev)});
}

Result<Outcome> Adapter::Post(const GoodsReceipt& gr) {
  auto g = ToGrams(gr.quantity);
  if (!g.ok()) return g.status().Annotate("goods receipt " + gr.document);
  auto ev = Make(gr.document, gr.plant, {{"po", gr.purchase_order}, {"material_document", gr.document}},
                 retrace::Received{gr.batch, std::nullopt, gr.supplier, *g});
  if (!ev.ok()) return ev.status();
  return Append({std::move(*ev)});
}

Result<Outcome> Adapter::Post(const OutboundDelivery& d) {
  auto g = ToGrams(d.quantity);
  if (!g.ok()) return g.status().Annotate("delivery " + d.delivery);
  auto ev = Make(d.delivery, d.plant, {{"desadv", d.delivery}, {"sales_order", d.sales_order}},
                 retrace::Shipped{d.batch, std::nullopt, d.ship_to, *g});
  if (!ev.ok()) return ev.status();
  return Append({std::move(*ev)});
}

namespace {

Result<retrace::Transformed> Transformation(const ProductionConfirmation& c) {
  retrace::Transformed t;
  t.process = c.routing;
  for (const ComponentIssue& i : c.components) {
    auto g = ToGrams(i.quantity);
    if (!g.ok()) return g.status().Annotate("component " + i.batch);
    t.inputs.push_back({i.batch, *g, std::nullopt});
  }
  for (const BatchReceipt& o : c.outputs) {
    auto g = ToGrams(o.quantity);
    if (!g.ok()) return g.status().Annotate("output " + o.batch);
    t.outputs.push_back({o.batch, o.material, *g, o.content, o.description});
  }
  for (const auto& [material, q] : c.additives) {
    auto g = ToGrams(q);
    if (!g.ok()) return g.status().Annotate("additive " + material);
    t.additives.push_back({material, *g});
  }
  auto loss = ToGrams(c.scrap);
  if (!loss.ok()) return loss.status().Annotate("scrap");
  t.declared_loss_g = *loss;
  return t;
}

}  // namespace

Result<Outcome> Adapter::Post(const ProductionConfirmation& c) {
  auto t = Transformation(c);
  if (!t.ok()) return t.status().Annotate("confirmation " + c.confirmation);
  auto ev = Make(c.confirmation, c.plant, {{"prodorder", c.order}}, std::move(*t));
  if (!ev.ok()) return ev.status();
  return Append({std::move(*ev)});
}

Result<Outcome> Adapter::PostAndShip(const ProductionConfirmation& c, const OutboundDelivery& d) {
  auto t = Transformation(c);
  if (!t.ok()) return t.status().Annotate("confirmation " + c.confirmation);
  auto g = ToGrams(d.quantity);
  if (!g.ok()) return g.status().Annotate("delivery " + d.delivery);
  auto make = Make(c.confirmation, c.plant, {{"prodorder", c.order}}, std::move(*t));
  if (!make.ok()) return make.status();
  auto ship = Make(d.delivery, d.plant, {{"desadv", d.delivery}, {"sales_order", d.sales_order}},
                   retrace::Shipped{d.batch, std::nullopt, d.ship_to, *g});
  if (!ship.ok()) return ship.status();
  return Append({std::move(*make), std::move(*ship)});
}

}  // namespace erp
