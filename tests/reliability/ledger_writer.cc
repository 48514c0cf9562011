// ledger_writer: a test helper process that appends custody events to an
// existing ledger and reports, on standard output, every append the library
// acknowledged. The crash test SIGKILLs it at random moments; the
// concurrency test runs several at once against one ledger.
//
//   ledger_writer --db DIR --mine ID --mine-key FILE --sep ID --sep-key FILE
//                 --run N --seed S [--events N] [--batch-max K] [--no-sync]
//                 [--initial-map BYTES]
//
// Protocol (one line per write(2), so a line is never torn by a kill):
//   READY <size>                   the ledger is open; <size> records
//   P <n> <event id>...            about to append these n events in one
//                                  call (Append for n = 1, else AppendBatch)
//   A <seq> <hash hex> <event id>  the library acknowledged this event
//   DONE                           --events events were appended
// Anything unexpected is printed to standard error and the exit status is 3.
//
// The events: mine ID extracts ore lots (1 t, 50 kg Nd), ships them to sep
// ID, which receives them and splits them into oxide lots. Event and lot ids
// carry the run number, so runs never collide. Extractions, shipments and
// receipts come single or in batches of up to --batch-max.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "retrace/event.h"
#include "retrace/ledger.h"
#include "retrace/signer.h"

namespace {

using namespace retrace;

struct Args {
  std::string db, mine, mine_key, sep, sep_key;
  std::string run = "0";
  std::uint64_t seed = 1;
  long events = -1;  // forever
  int batch_max = 6;
  bool sync = true;
  std::uint64_t initial_map = 0;
};

[[noreturn]] void Die(const std::string& msg) {
  std::cerr << "ledger_writer: " << msg << std::endl;
  std::_Exit(3);
}

void Say(const std::string& line) {
  std::string l = line + "\n";
  const char* p = l.data();
  std::size_t left = l.size();
  while (left > 0) {
    ssize_t n = ::write(STDOUT_FILENO, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::_Exit(4);  // the reader went away
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value for " + k);
      return argv[++i];
    };
    if (k == "--db") a.db = next();
    else if (k == "--mine") a.mine = next();
    else if (k == "--mine-key") a.mine_key = next();
    else if (k == "--sep") a.sep = next();
    else if (k == "--sep-key") a.sep_key = next();
    else if (k == "--run") a.run = next();
    else if (k == "--seed") a.seed = std::strtoull(next().c_str(), nullptr, 0);
    else if (k == "--events") a.events = std::strtol(next().c_str(), nullptr, 0);
    else if (k == "--batch-max") a.batch_max = std::atoi(next().c_str());
    else if (k == "--no-sync") a.sync = false;
    else if (k == "--initial-map") a.initial_map = std::strtoull(next().c_str(), nullptr, 0);
    else Die("unknown argument " + k);
  }
  if (a.db.empty() || a.mine.empty() || a.sep.empty() || a.mine_key.empty() || a.sep_key.empty()) {
    Die("--db, --mine, --mine-key, --sep and --sep-key are required");
  }
  if (a.batch_max < 1) a.batch_max = 1;
  return a;
}

struct LotRef {
  std::string id;
  std::uint64_t mass_g;
  std::uint64_t nd_g;
};

class Writer {
 public:
  Writer(const Args& a, Ledger& ledger, const Signer& mine, const Signer& sep)
      : a_(a), ledger_(ledger), mine_(mine), sep_(sep), rng_(a.seed) {}

  void Run() {
    while (a_.events < 0 || appended_ < a_.events) {
      int op = static_cast<int>(rng_() % 100);
      if (op < 30 || (at_mine_.empty() && in_transit_.empty() && at_sep_.empty())) {
        Extract();
      } else if (op < 55 && !at_mine_.empty()) {
        Ship();
      } else if (op < 80 && !in_transit_.empty()) {
        Receive();
      } else if (!at_sep_.empty()) {
        Split();
      } else {
        Extract();
      }
    }
    Say("DONE");
  }

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

  // Signs the events, announces them, appends them in one call and reports
  // what was acknowledged.
  void Commit(std::vector<Event> events, const Signer& signer) {
    std::vector<SignedEvent> batch;
    std::string intent = "P " + std::to_string(events.size());
    for (Event& ev : events) {
      Status st = ledger_.LinkParents(&ev);
      if (!st.ok()) Die("LinkParents: " + st.ToString());
      auto se = SignEvent(ev, signer);
      if (!se.ok()) Die("SignEvent: " + se.status().ToString());
      batch.push_back(std::move(*se));
      intent += " " + ev.event_id;
    }
    Say(intent);
    std::vector<AppendResult> results;
    if (batch.size() == 1) {
      auto r = ledger_.Append(batch[0]);
      if (!r.ok()) Die("Append " + events[0].event_id + ": " + r.status().ToString());
      results.push_back(*r);
    } else {
      auto r = ledger_.AppendBatch(batch);
      if (!r.ok()) Die("AppendBatch: " + r.status().ToString());
      results = std::move(*r);
    }
    for (std::size_t i = 0; i < results.size(); ++i) {
      Say("A " + std::to_string(results[i].seq) + " " + HashToHex(results[i].hash) + " " +
          events[i].event_id);
    }
    appended_ += static_cast<long>(results.size());
  }

  void Extract() {
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
    Commit(std::move(evs), mine_);
    for (auto& m : made) at_mine_.push_back(m);
  }

  void Ship() {
    int n = BatchSize(at_mine_.size());
    std::vector<Event> evs;
    std::vector<LotRef> moved;
    for (int i = 0; i < n; ++i) {
      LotRef l = at_mine_.front();
      at_mine_.pop_front();
      evs.push_back(NewEvent(a_.mine, Shipped{l.id, std::nullopt, a_.sep, l.mass_g}));
      moved.push_back(l);
    }
    Commit(std::move(evs), mine_);
    for (auto& m : moved) in_transit_.push_back(m);
  }

  void Receive() {
    int n = BatchSize(in_transit_.size());
    std::vector<Event> evs;
    std::vector<LotRef> moved;
    for (int i = 0; i < n; ++i) {
      LotRef l = in_transit_.front();
      in_transit_.pop_front();
      evs.push_back(NewEvent(a_.sep, Received{l.id, std::nullopt, a_.mine, l.mass_g}));
      moved.push_back(l);
    }
    Commit(std::move(evs), sep_);
    for (auto& m : moved) at_sep_.push_back(m);
  }

  // Separates a received ore lot into two oxide lots and a declared loss.
  void Split() {
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
    Commit(std::move(evs), sep_);
    // The oxides stay with the separator: the default stage policy lets a
    // separator consume only ore.
  }

  const Args& a_;
  Ledger& ledger_;
  const Signer& mine_;
  const Signer& sep_;
  std::mt19937_64 rng_;
  std::deque<LotRef> at_mine_, in_transit_, at_sep_;
  long appended_ = 0;
  std::uint64_t counter_ = 0;
  std::uint64_t lots_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  Args a = Parse(argc, argv);
  auto mine = Signer::LoadPrivateKeyFile(a.mine_key);
  if (!mine.ok()) Die(mine.status().ToString());
  auto sep = Signer::LoadPrivateKeyFile(a.sep_key);
  if (!sep.ok()) Die(sep.status().ToString());
  Options o;
  o.sync = a.sync;
  if (a.initial_map != 0) o.initial_map_size = a.initial_map;
  auto ledger = Ledger::Open(o, a.db);
  if (!ledger.ok()) Die("Open: " + ledger.status().ToString());
  auto info = (*ledger)->Info();
  if (!info.ok()) Die("Info: " + info.status().ToString());
  Say("READY " + std::to_string(info->size));
  Writer w(a, **ledger, **mine, **sep);
  w.Run();
  return 0;
}
