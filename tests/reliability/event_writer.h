// EventWriter: appends a stream of custody events to a ledger and reports
// every call and every acknowledgement as a protocol line (see
// ledger_writer.cc). Used by the ledger_writer process and, in-process, by
// the concurrency tests' writer threads.
//
// The events: mine ID extracts ore lots (1 t, 50 kg Nd) under its licence
// "LIC-<mine>" and a 2026 rock quota, ships them to sep ID, which receives
// them and separates each into two oxide lots. Event and lot ids carry the
// run id, so runs never collide. Extractions, shipments and receipts come
// single or in batches of up to batch_max. Deterministic for a seed.
#ifndef RETRACE_TESTS_RELIABILITY_EVENT_WRITER_H_
#define RETRACE_TESTS_RELIABILITY_EVENT_WRITER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "retrace/event.h"
#include "retrace/ledger.h"
#include "retrace/signer.h"

namespace retrace::testing {

struct WriterConfig {
  std::string mine, sep;
  std::string run = "0";
  std::uint64_t seed = 1;
  long events = -1;  // forever
  int batch_max = 6;
};

struct LotRef {
  std::string id;
  std::uint64_t mass_g;
  std::uint64_t nd_g;
};

class EventWriter {
 public:
  using Sink = std::function<void(const std::string&)>;
  EventWriter(const WriterConfig& a, Ledger& ledger, const Signer& mine, const Signer& sep, Sink say)
      : a_(a), ledger_(ledger), mine_(mine), sep_(sep), rng_(a.seed), say_(std::move(say)) {}

  // Appends until `events` were acknowledged (forever if negative); the
  // first refusal ends the run with that status.
  Status Run() {
    while (a_.events < 0 || appended_ < a_.events) {
      int op = static_cast<int>(rng_() % 100);
      Status st;
      if (op < 30 || (at_mine_.empty() && in_transit_.empty() && at_sep_.empty())) {
        st = Extract();
      } else if (op < 55 && !at_mine_.empty()) {
        st = Ship();
      } else if (op < 80 && !in_transit_.empty()) {
        st = Receive();
      } else if (!at_sep_.empty()) {
        st = Split();
      } else {
        st = Extract();
      }
      if (!st.ok()) return st;
    }
    Say("DONE");
    return Status::Ok();
  }

  long appended() const { return appended_; }

 private:
  int BatchSize(std::size_t available) {
    std::size_t cap = std::min<std::size_t>(available, static_cast<std::size_t>(a_.batch_max));
    if (cap <= 1 || rng_() % 3 == 0) return 1;  // a third of the appends are single
    return 1 + static_cast<int>(rng_() % cap);
  }

  Event NewEvent(const std::string& actor, EventBody body) {
    Event ev;
    ev.event_id = "R" + a_.run + "-E" + std::to_string(++counter_);
    ev.actor_id = actor;
    ev.time = {1790000000 + static_cast<std::int64_t>(counter_), 0};
    ev.body = std::move(body);
    return ev;
  }

  std::string NewLotId(const char* kind) {
    return "R" + a_.run + "-" + kind + std::to_string(++lots_);
  }

  void Say(const std::string& line) { say_(line); }

  // Signs the events, announces them, appends them in one call and reports
  // what was acknowledged.
  Status Commit(std::vector<Event> events, const Signer& signer) {
    std::vector<SignedEvent> batch;
    std::string intent = "P " + std::to_string(events.size());
    for (Event& ev : events) {
      Status st = ledger_.LinkParents(&ev);
      if (!st.ok()) return st.Annotate("LinkParents " + ev.event_id);
      auto se = SignEvent(ev, signer);
      if (!se.ok()) return se.status().Annotate("SignEvent " + ev.event_id);
      batch.push_back(std::move(*se));
      intent += " " + ev.event_id;
    }
    Say(intent);
    std::vector<AppendResult> results;
    if (batch.size() == 1) {
      auto r = ledger_.Append(batch[0]);
      if (!r.ok()) return r.status().Annotate("Append " + events[0].event_id);
      results.push_back(*r);
    } else {
      auto r = ledger_.AppendBatch(batch);
      if (!r.ok()) return r.status().Annotate("AppendBatch");
      results = std::move(*r);
    }
    for (std::size_t i = 0; i < results.size(); ++i) {
      Say("A " + std::to_string(results[i].seq) + " " + HashToHex(results[i].hash) + " " +
          events[i].event_id);
    }
    appended_ += static_cast<long>(results.size());
    return Status::Ok();
  }

  Status Extract() {
    int n = BatchSize(static_cast<std::size_t>(a_.batch_max));
    std::vector<Event> evs;
    std::vector<LotRef> made;
    for (int i = 0; i < n; ++i) {
      Lot lot;
      lot.lot_id = NewLotId("ORE");
      lot.material = MaterialClass::kOreConcentrate;
      lot.mass_g = 1000000;
      lot.content = {{Element::kNd, 50000}, {Element::kPr, 15000}};
      evs.push_back(NewEvent(a_.mine, Extracted{lot, "Pit " + a_.run, "LIC-" + a_.mine,
                                                QuotaKind::kMiningRock}));
      made.push_back({lot.lot_id, lot.mass_g, 50000});
    }
    if (Status st = Commit(std::move(evs), mine_); !st.ok()) return st;
    for (auto& m : made) at_mine_.push_back(m);
    return Status::Ok();
  }

  Status Ship() {
    int n = BatchSize(at_mine_.size());
    std::vector<Event> evs;
    std::vector<LotRef> moved;
    for (int i = 0; i < n; ++i) {
      LotRef l = at_mine_.front();
      at_mine_.pop_front();
      evs.push_back(NewEvent(a_.mine, Shipped{l.id, std::nullopt, a_.sep, l.mass_g}));
      moved.push_back(l);
    }
    if (Status st = Commit(std::move(evs), mine_); !st.ok()) return st;
    for (auto& m : moved) in_transit_.push_back(m);
    return Status::Ok();
  }

  Status Receive() {
    int n = BatchSize(in_transit_.size());
    std::vector<Event> evs;
    std::vector<LotRef> moved;
    for (int i = 0; i < n; ++i) {
      LotRef l = in_transit_.front();
      in_transit_.pop_front();
      evs.push_back(NewEvent(a_.sep, Received{l.id, std::nullopt, a_.mine, l.mass_g}));
      moved.push_back(l);
    }
    if (Status st = Commit(std::move(evs), sep_); !st.ok()) return st;
    for (auto& m : moved) at_sep_.push_back(m);
    return Status::Ok();
  }

  // Separates a received ore lot into two oxide lots and a declared loss.
  Status Split() {
    LotRef in = at_sep_.front();
    at_sep_.pop_front();
    Transformed t;
    t.inputs = {{in.id, in.mass_g, std::nullopt}};
    LotRef a{NewLotId("OX"), in.mass_g / 2, in.nd_g / 4};
    LotRef b{NewLotId("OX"), in.mass_g / 4, in.nd_g / 8};
    for (const LotRef* o : {&a, &b}) {
      Lot lot;
      lot.lot_id = o->id;
      lot.material = MaterialClass::kSeparatedOxide;
      lot.mass_g = o->mass_g;
      lot.content = {{Element::kNd, o->nd_g}};
      t.outputs.push_back(lot);
    }
    t.declared_loss_g = in.mass_g - a.mass_g - b.mass_g;
    t.process = "solvent extraction";
    std::vector<Event> evs;
    evs.push_back(NewEvent(a_.sep, t));
    // The oxides stay with the separator: the default stage policy lets a
    // separator consume only ore.
    return Commit(std::move(evs), sep_);
  }

  const WriterConfig a_;
  Ledger& ledger_;
  const Signer& mine_;
  const Signer& sep_;
  std::mt19937_64 rng_;
  std::deque<LotRef> at_mine_, in_transit_, at_sep_;
  long appended_ = 0;
  std::uint64_t counter_ = 0;
  std::uint64_t lots_ = 0;
  Sink say_;
};

}  // namespace retrace::testing

#endif  // RETRACE_TESTS_RELIABILITY_EVENT_WRITER_H_
