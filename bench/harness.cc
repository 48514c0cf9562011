// The harness of retrace-bench (harness.h).
#include "harness.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace retrace::bench {
namespace {

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

void Usage() {
  std::cerr << "usage: retrace-bench [--workloads=LIST] [--records=N] [--threads=N]\n"
               "                     [--algorithms=LIST] [--dir=DIR] [--seconds=S] [--reps=R]\n"
               "                     [--json] [--keep] [--chain=sim|batch-signed]\n"
               "workloads: append append-batch append-parallel verify-lineage lineage-walk\n"
               "           audit prove verify-bundle algorithms verify-batch-signed (default: all)\n"
               "           sign-append (the sign-and-append rows of append-batch alone)\n"
               "           audit-integrity (the integrity-only rows of audit alone)\n"
               "--chain: how the bulk of the ledger the lineage, audit and prove rows read is\n"
               "         built: the demo's supply chain, one signed event per commit (sim,\n"
               "         the default), or batch-signed custody rounds of 256 (batch-signed)\n";
  std::exit(2);
}

}  // namespace

double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  std::size_t i = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "retrace-bench: %s\n", what.c_str());
  std::exit(2);
}

void Must(const Status& s, const std::string& what) {
  if (!s.ok()) Die(what + ": " + s.ToString());
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    std::string value;
    auto eq = a.find('=');
    if (eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
    } else if (a != "--json" && a != "--keep" && a != "--help" && a != "--no-signatures" &&
               a != "--integrity" &&
               i + 1 < argc) {
      value = argv[++i];
    }
    if (a == "--workloads") {
      f.workloads = Split(value);
    } else if (a == "--records") {
      f.records = std::stoull(value);
    } else if (a == "--threads") {
      f.threads = static_cast<unsigned>(std::stoul(value));
    } else if (a == "--algorithms") {
      f.algorithms.clear();
      for (const auto& n : Split(value)) {
        auto alg = ParseAlgorithm(n);
        if (!alg.ok()) Die(alg.status().ToString());
        f.algorithms.push_back(*alg);
      }
    } else if (a == "--dir") {
      f.dir = value;
    } else if (a == "--seconds") {
      f.seconds = std::stod(value);
    } else if (a == "--reps") {
      f.reps = std::stoi(value);
    } else if (a == "--json") {
      f.json = true;
    } else if (a == "--keep") {
      f.keep = true;
    } else if (a == "--chain") {
      if (value != "sim" && value != "batch-signed") Die("--chain is sim or batch-signed, not " + value);
      f.batch_signed_chain = value == "batch-signed";
    } else if (a == "--no-signatures") {
      f.child_signatures = false;
    } else if (a == "--integrity") {
      f.child_integrity = true;
    } else if (a == "--verify-child") {
      f.verify_child = value;
    } else if (a == "--lot") {
      f.lot = value;
    } else if (a == "--repeat") {
      f.repeat = std::stoi(value);
    } else if (a == "--audit-rss-child") {
      f.audit_rss_child = value;
    } else {
      Usage();
    }
  }
  if (f.threads == 0) f.threads = std::max(1u, std::thread::hardware_concurrency());
  if (f.records < 1000) f.records = 1000;
  return f;
}

bool Wants(const Flags& f, const std::string& w) {
  return std::find(f.workloads.begin(), f.workloads.end(), w) != f.workloads.end();
}

// ---------------------------------------------------------------------------
// Machine and process facts.

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto c = line.find(':');
      if (c != std::string::npos) return line.substr(c + 2);
    }
  }
  return "unknown";
}

std::string LoadAverage() {
  double l[3] = {0, 0, 0};
  if (getloadavg(l, 3) != 3) return "unknown";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.2f %.2f %.2f", l[0], l[1], l[2]);
  return buf;
}

// A field of /proc/self/status in kB (VmHWM, RssAnon, ...).
long StatusKb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::size_t n = std::strlen(field);
  while (std::getline(in, line)) {
    if (line.compare(0, n, field) == 0 && line.size() > n && line[n] == ':') {
      return std::atol(line.c_str() + n + 1);
    }
  }
  return -1;
}

std::string SelfExe() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "retrace-bench";
  buf[n] = '\0';
  return buf;
}

std::uint64_t FileBytes(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return 0;
  return static_cast<std::uint64_t>(st.st_size);
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

Row Judge(Row r, const std::vector<Sample>& samples, const std::string& limit, double target) {
  std::vector<double> values, limits, ratios;
  json reps = json::array();
  for (const Sample& s : samples) {
    values.push_back(s.value);
    limits.push_back(s.limit);
    ratios.push_back(s.limit > 0 ? s.value / s.limit : 0);
    json j = {{"value", s.value}, {"limit", s.limit}, {"ratio", ratios.back()}};
    if (!s.parts.empty()) j["raw"] = s.parts;
    reps.push_back(std::move(j));
  }
  r.value = Median(values);
  r.raw = Median(limits);
  r.ratio = Median(ratios);
  r.ratio_min = *std::min_element(ratios.begin(), ratios.end());
  r.ratio_max = *std::max_element(ratios.begin(), ratios.end());
  r.ratio_to = limit;
  r.extra["reps"] = std::move(reps);
  if (target > 0) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), ">= %.2f", target);
    r.target = buf;
    r.met = r.ratio >= target ? 1 : 0;
  }
  return r;
}

double Serial(std::initializer_list<double> rates) {
  double t = 0;
  for (double r : rates) {
    if (r > 0) t += 1.0 / r;
  }
  return t > 0 ? 1.0 / t : 0;
}

double Raw::LmdbCommitNow(std::size_t bytes, std::size_t per_commit, std::size_t commits,
                          bool sync, LmdbAppendResult* detail) {
  const std::string dir = f_.dir + "/retrace-bench-raw-lmdb-limit";
  auto r = RawLmdbAppend(dir, bytes, per_commit * commits, per_commit, sync);
  std::filesystem::remove_all(dir);
  if (detail != nullptr) *detail = r;
  return r.values_per_second;
}

Row Ratio(Row r, double raw, const std::string& to, double target) {
  r.raw = raw;
  r.ratio = raw > 0 ? r.value / raw : 0;
  r.ratio_to = to;
  if (target > 0) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), ">= %.2f", target);
    r.target = buf;
    r.met = r.ratio >= target ? 1 : 0;
  }
  return r;
}

}  // namespace retrace::bench
