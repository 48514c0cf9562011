// page_check_bench: what the page check (lib/storage/lmdb_format.h) costs on
// a given ledger, beside what it guards (docs/reliability.md, "Damaged
// pages"). It times, each --reps times, and prints the median and the range:
//
//   check       LmdbEnv::CheckPages: a read transaction, a private mapping
//               of the file and the walk of every page (what Open and every
//               Audit now do once);
//   walk        lmdb_format::CheckSnapshotPages alone, over the file already
//               in memory (the walk's CPU cost without mapping it);
//   open        Ledger::Open, read-only (the check included);
//   integrity   Ledger::Audit with AuditScope::kIntegrity (the check included);
//
// with the file's size, pages and records, so that the check is quoted per
// MB, per record and as a share of the audit. Figures are printed, never
// asserted.
//
//   page_check_bench --db DIR [--reps N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "retrace/ledger.h"
#include "storage/lmdb_env.h"
#include "storage/lmdb_format.h"

namespace {

using namespace retrace;
namespace fmt = internal::lmdb_format;

double Seconds(const std::function<void()>& fn) {
  const auto t0 = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct Times {
  std::vector<double> s;
  double Median() {
    std::sort(s.begin(), s.end());
    return s[s.size() / 2];
  }
};

[[noreturn]] void Die(const std::string& msg) {
  std::cerr << "page_check_bench: " << msg << "\n";
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::string db;
  int reps = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--db=", 0) == 0) db = a.substr(5);
    else if (a == "--db" && i + 1 < argc) db = argv[++i];
    else if (a.rfind("--reps=", 0) == 0) reps = std::atoi(a.c_str() + 7);
    else if (a == "--reps" && i + 1 < argc) reps = std::atoi(argv[++i]);
    else Die("usage: page_check_bench --db DIR [--reps N]");
  }
  if (db.empty() || reps < 1) Die("usage: page_check_bench --db DIR [--reps N]");

  Options ro;
  ro.read_only = true;
  std::uint64_t records = 0;
  Times open, integrity;
  for (int r = 0; r < reps; ++r) {
    std::unique_ptr<Ledger> l;
    open.s.push_back(Seconds([&] {
      auto opened = Ledger::Open(ro, db);
      if (!opened.ok()) Die(opened.status().ToString());
      l = std::move(opened).value();
    }));
    records = l->Info()->size;
    AuditOptions ao;
    ao.scope = AuditScope::kIntegrity;
    ao.threads = 1;
    integrity.s.push_back(Seconds([&] {
      auto a = l->Audit(ao);
      if (!a.ok() || !a->valid) Die("the integrity audit did not pass");
    }));
  }

  internal::EnvOptions eo;
  eo.read_only = true;
  auto env = internal::LmdbEnv::Open(db, eo, false);
  if (!env.ok()) Die(env.status().ToString());
  Times check;
  fmt::PageCheckStats stats;
  for (int r = 0; r < reps; ++r) {
    check.s.push_back(Seconds([&] {
      auto st = (*env)->CheckPages();
      if (!st.ok()) Die(st.status().ToString());
      stats = *st;
    }));
  }
  env->reset();

  std::ifstream in(db + "/data.mdb", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string file = ss.str();
  auto m0 = fmt::ParseMeta(std::string_view(file).substr(0, fmt::kMetaBytes), 0);
  if (!m0.ok()) Die(m0.status().ToString());
  auto m1 = fmt::ParseMeta(std::string_view(file).substr(m0->page_size, fmt::kMetaBytes), 1);
  if (!m1.ok()) Die(m1.status().ToString());
  const fmt::Meta meta = m1->txn_id > m0->txn_id ? *m1 : *m0;
  Times walk;
  for (int r = 0; r < reps; ++r) {
    walk.s.push_back(Seconds([&] {
      fmt::PageCheckStats s;
      if (!fmt::CheckSnapshotPages(file, meta, &s).ok()) Die("the walk failed");
    }));
  }

  const double mb = static_cast<double>(stats.file_pages) * meta.page_size / 1e6;
  auto row = [&](const char* what, Times& t) {
    const double med = t.Median();
    std::printf("%-10s median %9.2f ms  (min %.2f, max %.2f)  %8.1f MB/s  %7.1f ns/record\n", what,
                med * 1e3, t.s.front() * 1e3, t.s.back() * 1e3, mb / med, med * 1e9 / records);
  };
  std::printf("ledger %s: %llu records, %.1f MB in %llu pages (%llu tree, %llu overflow, %llu free, "
              "%llu unaccounted), %llu trees, %llu entries; %d reps\n",
              db.c_str(), static_cast<unsigned long long>(records), mb,
              static_cast<unsigned long long>(stats.file_pages),
              static_cast<unsigned long long>(stats.tree_pages),
              static_cast<unsigned long long>(stats.overflow_pages),
              static_cast<unsigned long long>(stats.free_pages),
              static_cast<unsigned long long>(stats.unaccounted_pages),
              static_cast<unsigned long long>(stats.trees), static_cast<unsigned long long>(stats.entries),
              reps);
  row("check", check);
  row("walk", walk);
  row("open", open);
  row("integrity", integrity);
  std::printf("the check is %.1f%% of an integrity audit with it (1 thread)\n",
              100.0 * check.Median() / integrity.Median());
  return 0;
}
