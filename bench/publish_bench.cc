// retrace-publish-bench: publishing and mirroring many ledgers
// (docs/performance.md, "Publishing and mirroring"). Figures are printed,
// never asserted.
//
//   retrace-publish-bench [--ledgers=N] [--records=N] [--big=N] [--dir=DIR]
//                         [--sync]
//
// For --ledgers ledgers of --records records (and, if --big > 0, one ledger
// of --big records) it measures, in one run on the same records:
//   append        records/s of SignAndAppend (1,000 extractions a call)
//   publish       records/s of Publish into a fresh webroot, and its cost
//                 per record as a share of the append's
//   bytes/record  bytes served (checkpoint, tiles, bundles) per record
//   audit         records/s of the full Audit (every signature and rule)
//   mirror        records/s of Mirror from the directory (every tile, entry,
//                 signature and rule) and its ratio to the audit, by wall
//                 time and by the CPU time the process spent (which other
//                 work on the machine changes much less); for many ledgers
//                 each ledger's audit and mirror run one after the other, so
//                 both see the same load
//   monitor RSS   resident memory after mirroring 1, 10, ... ledgers one
//                 after another (the monitor's pattern), and after a
//                 second, up-to-date round
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>
#include <string>
#include <vector>

#include "retrace/ledger.h"
#include "retrace/mirror.h"
#include "retrace/publish.h"

namespace {

using namespace retrace;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a) {
  return std::chrono::duration<double>(Clock::now() - a).count();
}

// CPU seconds (user + system, all threads) the process has used so far.
double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Wall and CPU time of a phase, summed over its runs.
struct Phase {
  double wall = 0, cpu = 0;
  template <typename F>
  auto Time(F&& f) {
    const auto t = Clock::now();
    const double c = CpuSeconds();
    auto r = f();
    wall += Seconds(t);
    cpu += CpuSeconds() - c;
    return r;
  }
};

double LoadAverage() {
  double l[1] = {0};
  return getloadavg(l, 1) == 1 ? l[0] : -1;
}

long RssKb() {
  std::ifstream f("/proc/self/statm");
  long pages = 0, resident = 0;
  f >> pages >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

std::uint64_t DirBytes(const std::string& dir) {
  std::uint64_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) n += e.file_size();
  }
  return n;
}

void Check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

struct Built {
  std::string dir;
  std::uint64_t records = 0;
  double append_s = 0;
};

// A ledger of `records` records: genesis, a mine, its quota, extractions.
Built Build(const std::string& dir, std::uint64_t records, const Signer& root,
            const Signer& mine, const Options& o) {
  Built b{dir, 0, 0};
  auto l = Ledger::Create(o, dir, "bench-ledger", root, "regulator");
  Check(l.status(), "create");
  ActorRegistered reg;
  reg.actor_id = "mine-1";
  reg.legal_name = "Bench Mine";
  reg.role = Role::kMine;
  reg.key = mine.public_key();
  reg.licence = "LIC-1";
  reg.jurisdiction = "CN";
  Check(RegisterActor(**l, root, reg).status(), "register");
  Event grant;
  grant.actor_id = "regulator";
  grant.time = {1790000000, 0};
  grant.body = QuotaGranted{"mine-1", 2026, QuotaKind::kMiningRock, std::uint64_t{1} << 50, "q"};
  FillEventDefaults(&grant);
  Check((*l)->SignAndAppend({grant}, root).status(), "grant");
  const std::uint64_t n = records > 3 ? records - 3 : 0;
  const auto t = Clock::now();
  for (std::uint64_t done = 0; done < n;) {
    std::vector<Event> evs;
    for (std::uint64_t i = 0; i < 1000 && done < n; ++i, ++done) {
      Event ev;
      ev.actor_id = "mine-1";
      ev.time = {1790000000 + static_cast<std::int64_t>(done), 0};
      Lot lot;
      lot.lot_id = "ORE-" + std::to_string(done);
      lot.material = MaterialClass::kOreConcentrate;
      lot.mass_g = 1000000;
      lot.content = {{Element::kNd, 50000}, {Element::kPr, 15000}};
      ev.body = Extracted{lot, "pit 3", "LIC-1", QuotaKind::kMiningRock};
      FillEventDefaults(&ev);
      evs.push_back(std::move(ev));
    }
    Check((*l)->SignAndAppend(evs, mine).status(), "append");
  }
  b.append_s = Seconds(t);
  b.records = (*l)->Info()->size;
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t ledgers = 100, records = 1000, big = 0;
  std::string dir = "/tmp/retrace-publish-bench";
  bool sync = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&](const char* name) -> const char* {
      const std::string p = std::string(name) + "=";
      return a.rfind(p, 0) == 0 ? argv[i] + p.size() : nullptr;
    };
    if (const char* v = val("--ledgers")) ledgers = std::stoull(v);
    else if (const char* v2 = val("--records")) records = std::stoull(v2);
    else if (const char* v3 = val("--big")) big = std::stoull(v3);
    else if (const char* v4 = val("--dir")) dir = v4;
    else if (a == "--sync") sync = true;
    else {
      std::fprintf(stderr,
                   "usage: retrace-publish-bench [--ledgers=N] [--records=N] [--big=N] "
                   "[--dir=DIR] [--sync]\n");
      return 2;
    }
  }
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  Options o;
  o.sync = sync;
  auto root = Signer::Generate(Algorithm::kEd25519);
  auto mine = Signer::Generate(Algorithm::kEd25519);
  auto log = NoteSigner::Generate("bench-ledger", NoteKeyType::kEd25519);
  Check(root.status(), "key");
  Check(mine.status(), "key");
  Check(log.status(), "key");

  struct Set {
    const char* name;
    std::uint64_t count, records;
  };
  std::vector<Set> sets;
  if (ledgers > 0) sets.push_back({"many", ledgers, records});
  if (big > 0) sets.push_back({"big", 1, big});
  std::printf("retrace-publish-bench: %s, sync %s, %u hardware threads\n",
#ifdef NDEBUG
              "release",
#else
              "debug",
#endif
              sync ? "on" : "off", std::thread::hardware_concurrency());
  for (const Set& set : sets) {
    std::vector<Built> built;
    double append_s = 0, publish_s = 0;
    Phase audit_t, mirror_t;
    std::uint64_t total = 0, served = 0;
    for (std::uint64_t i = 0; i < set.count; ++i) {
      built.push_back(Build(dir + "/" + set.name + "-src-" + std::to_string(i), set.records,
                            **root, **mine, o));
      append_s += built.back().append_s;
      total += built.back().records;
    }
    // Per ledger: publish (signing the checkpoint included), the full audit,
    // and the mirror -- one ledger after another, as `retrace monitor` does.
    std::vector<std::pair<std::uint64_t, long>> rss;
    MirrorOptions mo;
    mo.log_keys = {(*log)->verifier()};
    mo.ledger.sync = sync;
    const long rss0 = RssKb();
    for (std::uint64_t i = 0; i < built.size(); ++i) {
      const Built& b = built[i];
      {
        auto l = Ledger::Open(o, b.dir);
        Check(l.status(), "open");
        PublishOptions po;
        po.sign_with = log->get();
        po.sync = sync;
        const std::string www = b.dir + ".www";
        const auto t = Clock::now();
        Check(Publish(**l, www, po).status(), "publish");
        publish_s += Seconds(t);
        served += DirBytes(www);
        auto audit = audit_t.Time([&] { return (*l)->Audit(); });
        Check(audit.status(), "audit");
        if (!audit->valid) {
          std::fprintf(stderr, "audit found problems\n");
          return 1;
        }
      }
      auto m = mirror_t.Time([&] { return Mirror(b.dir + ".www", b.dir + ".mirror", mo); });
      Check(m.status(), "mirror");
      if (!m->findings.empty()) {
        std::fprintf(stderr, "mirror finding: %s\n", m->findings[0].message.c_str());
        return 1;
      }
      const std::uint64_t k = i + 1;
      if (k == 1 || k == 10 || k == 100 || k == 1000 || k == 10000 || k == built.size()) {
        rss.push_back({k, RssKb()});
      }
    }
    const auto t2 = Clock::now();
    for (const Built& b : built) Check(Mirror(b.dir + ".www", b.dir + ".mirror", mo).status(), "mirror");
    const double round2_s = Seconds(t2);
    const long rss2 = RssKb();
    std::printf("\n[%s] %llu ledger(s) x %llu records = %llu records\n", set.name,
                static_cast<unsigned long long>(set.count),
                static_cast<unsigned long long>(set.records),
                static_cast<unsigned long long>(total));
    std::printf("  append         %10.0f records/s\n", total / append_s);
    std::printf("  publish        %10.0f records/s   (%.1f %% of the append's cost per record)\n",
                total / publish_s, 100.0 * publish_s / append_s);
    std::printf("  served         %10.1f bytes/record (checkpoint, tiles, bundles)\n",
                static_cast<double>(served) / total);
    std::printf("  audit (full)   %10.0f records/s   (%.0f records per CPU second)\n",
                total / audit_t.wall, total / audit_t.cpu);
    std::printf("  mirror+verify  %10.0f records/s   (%.0f records per CPU second)\n",
                total / mirror_t.wall, total / mirror_t.cpu);
    std::printf("  mirror / audit     %.2f by wall time, %.2f by CPU time\n",
                audit_t.wall / mirror_t.wall, audit_t.cpu / mirror_t.cpu);
    std::printf("  up-to-date round over all ledgers: %.3f s\n", round2_s);
    std::printf("  monitor RSS (KiB): start %ld", rss0);
    for (const auto& [k, kb] : rss) std::printf(", after %llu: %ld", static_cast<unsigned long long>(k), kb);
    std::printf(", after a second round: %ld\n", rss2);
    std::printf("  load average at the end: %.2f\n", LoadAverage());
  }
  std::filesystem::remove_all(dir);
  return 0;
}
