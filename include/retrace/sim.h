// The demo supply chain: a deterministic rare-earth supply-chain generator,
// used by `retrace demo`, the tests and the benchmarks, and available to
// hosts that want a realistic ledger to try their integration against.
//
// Build() registers a cast of actors under the ledger's root key and appends
// a realistic custody chain through the public API only (LinkParents,
// SignEvent, Append), exactly as an ERP would:
//
//   mines (rock-type light RE, Bayan Obo, Inner Mongolia; two ionic-clay
//   medium/heavy RE mines, Ganzhou, Jiangxi)
//     -> two separators (concentrate -> separated oxides; merges and splits)
//     -> a smelter (oxides -> NdPr / Dy / Tb metal)
//     -> two magnet makers (metal + iron + boron -> sintered NdFeB magnets)
//     -> an exporter (customs declaration, destination country).
//
// Before the first extraction or separation of a (simulated) year, the root
// key grants the enterprise a production quota far above what it will use.
//
// Every lot moves between stages by a shipment signed by the sender and a
// receipt signed by the receiver. Every transformation keeps, per element,
// its output content below the input content consumed (as the ledger rounds
// it: content * consumed_g / mass_g, rounded down) with a recovery margin,
// and declares additives and process loss so the gross mass balances.
//
// Determinism: the same Config (seed, scale, algorithms) against a fresh
// ledger produces the same events (ids, masses, times, references); only the
// keys, the ledger id and ECDSA/SM2 signatures differ between runs. No wall
// clock is read: event times advance from Config::start_time.
//
// Thread safety: Build appends from the calling thread only; do not append
// to the same ledger concurrently if you need the determinism above.
#ifndef RETRACE_SIM_H_
#define RETRACE_SIM_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "retrace/event.h"
#include "retrace/export.h"
#include "retrace/ledger.h"
#include "retrace/signer.h"
#include "retrace/status.h"

namespace retrace::sim {

struct Config {
  // Seeds the std::mt19937_64 that draws masses, grades, routing and times.
  // Default: 2026.
  std::uint64_t seed = 2026;

  // Number of production campaigns. One campaign is 37 lots and about 90
  // records (7 ore lots, 14 oxide or mixed lots, 6 metal lots, 10 magnet
  // lots; 11 transformations, 32 shipments with their receipts, 7 exports);
  // lots and records grow linearly with it. The regulator's quota grants
  // (one per enterprise, kind and year of the simulated clock) come on top.
  // Default: 1.
  int scale = 1;

  // Signature algorithm of every actor key (the root key is the caller's).
  // Default: Ed25519.
  Algorithm algorithm = Algorithm::kEd25519;

  // If true, actors get keys of all three algorithms in turn (Ed25519,
  // ECDSA P-256, SM2), ignoring `algorithm`.
  // Default: false.
  bool mix_algorithms = false;

  // If non-empty, each actor's key pair is written there as <actor>.key
  // (mode 0600) and <actor>.pub. The directory is created if missing;
  // existing key files are never overwritten (Build fails instead).
  // Default: empty (keys stay in memory).
  std::string keys_dir;

  // Prefixed to every event id and lot id, so that several generated chains
  // can share one ledger. Default: empty.
  std::string id_prefix;

  // Time of the first event; later events advance by a few minutes to hours
  // (about 2 hours a record on average: a campaign spans about 8 days).
  // Default: 2026-03-02T08:00:00Z.
  Timestamp start_time{1772438400, 0};

  // If set (seconds > 0), no event is dated after it: the clock stops there,
  // and later events share that time (their order is the log's). A ledger
  // refuses events dated after its host's clock (Options::
  // max_clock_skew_seconds), so a caller building a chain up to now sets
  // this to now and start_time with StartTimeEndingBy.
  // Default: unset.
  Timestamp latest_time{0, 0};
};

// A start time from which a chain of `scale` campaigns ends by `end` (so
// that its times are spread rather than stopped at Config::latest_time):
// the default start_time if that leaves room, else `end` minus a margin
// over the average span (8.5 days a campaign; 7.9 measured).
RETRACE_EXPORT Timestamp StartTimeEndingBy(int scale, Timestamp end);

struct ActorSummary {
  std::string actor_id;
  std::string legal_name;
  Role role = Role::kUnspecified;
  std::string jurisdiction;
  std::string key_id;
  Algorithm algorithm = Algorithm::kEd25519;
};

struct Summary {
  std::vector<ActorSummary> actors;  // in registration order
  // Lots created, by material class: ore_concentrate, separated_oxide, ...
  std::map<MaterialClass, std::uint64_t> lots_by_material;
  std::uint64_t lots = 0;
  std::uint64_t transformations = 0;
  std::uint64_t shipments = 0;       // each with its receipt
  std::vector<std::string> exported_lot_ids;  // in export order
  std::uint64_t events_appended = 0;  // by this Build, registrations included
  std::uint64_t records = 0;          // ledger size afterwards
};

// The actors' signers, by actor id. Build fills it so that a caller (tests,
// benchmarks) can append more events as those actors.
class RETRACE_EXPORT KeyStore {
 public:
  // nullptr if `actor_id` has no key here. The pointer stays valid as long
  // as the KeyStore lives and the entry is not replaced.
  const Signer* Find(const std::string& actor_id) const;
  void Put(const std::string& actor_id, std::unique_ptr<Signer> signer);

 private:
  std::map<std::string, std::unique_ptr<Signer>> signers_;
};

// Registers the actors (signed by `root`, which must be the ledger's root
// key; the events carry the ledger's root actor id) and appends the chain.
// `keys` may be nullptr.
//
// Errors: whatever the ledger returns for the first event it refuses, with
// the event id prefixed (records appended before it stay: Build is not
// atomic); kAlreadyExists / kIoError from writing key files.
RETRACE_EXPORT Result<Summary> Build(Ledger& ledger, const Signer& root, const Config& config,
                      KeyStore* keys = nullptr);

}  // namespace retrace::sim

#endif  // RETRACE_SIM_H_
