#include "raw.h"

#include <lmdb.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace retrace::bench {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "retrace-bench: raw primitive failed: %s\n", what);
  std::exit(2);
}

EVP_PKEY* NewKey(Algorithm alg) {
  EVP_PKEY* pkey = nullptr;
  switch (alg) {
    case Algorithm::kEd25519:
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
    case Algorithm::kEcdsaP256Sha256:
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case Algorithm::kSm2Sm3: {
      EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "SM2", nullptr);
      if (ctx && EVP_PKEY_keygen_init(ctx) == 1) EVP_PKEY_generate(ctx, &pkey);
      EVP_PKEY_CTX_free(ctx);
      break;
    }
  }
  if (pkey == nullptr) Die("key generation");
  return pkey;
}

const EVP_MD* DigestFor(Algorithm alg) {
  static const EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  static const EVP_MD* sm3 = EVP_MD_fetch(nullptr, "SM3", nullptr);
  switch (alg) {
    case Algorithm::kEd25519: return nullptr;
    case Algorithm::kEcdsaP256Sha256: return sha256;
    case Algorithm::kSm2Sm3: return sm3;
  }
  return nullptr;
}

bool SetSm2Id(EVP_PKEY_CTX* pctx) {
  static const char kId[] = "1234567812345678";
  return EVP_PKEY_CTX_set1_id(pctx, kId, 16) == 1;
}

// One signature operation; false on failure.
bool SignOnce(Algorithm alg, EVP_PKEY* pkey, const std::string& msg, unsigned char* sig,
              size_t* sig_len) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = ctx && EVP_DigestSignInit(ctx, &pctx, DigestFor(alg), nullptr, pkey) == 1 &&
            (alg != Algorithm::kSm2Sm3 || SetSm2Id(pctx)) &&
            EVP_DigestSign(ctx, sig, sig_len, reinterpret_cast<const unsigned char*>(msg.data()),
                           msg.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

bool VerifyOnce(Algorithm alg, EVP_PKEY* pkey, const std::string& msg, const unsigned char* sig,
                size_t sig_len) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = ctx && EVP_DigestVerifyInit(ctx, &pctx, DigestFor(alg), nullptr, pkey) == 1 &&
            (alg != Algorithm::kSm2Sm3 || SetSm2Id(pctx)) &&
            EVP_DigestVerify(ctx, sig, sig_len, reinterpret_cast<const unsigned char*>(msg.data()),
                             msg.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

// Runs `op` on `threads` threads for ~`seconds`; returns operations/s.
template <typename Op>
double Measure(unsigned threads, double seconds, Op op) {
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> total{0};
  std::vector<std::thread> ts;
  const auto start = Clock::now();
  for (unsigned t = 0; t < threads; ++t) {
    ts.emplace_back([&] {
      std::uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        for (int i = 0; i < 16; ++i) op();
        n += 16;
      }
      total += n;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : ts) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(total.load()) / elapsed;
}

template <typename Op>
Rate Repeat(int reps, unsigned threads, double seconds, Op op) {
  std::vector<double> r;
  for (int i = 0; i < std::max(reps, 1); ++i) r.push_back(Measure(threads, seconds, op));
  std::sort(r.begin(), r.end());
  Rate out;
  out.per_second = r[r.size() / 2];
  out.min = r.front();
  out.max = r.back();
  out.repetitions = static_cast<int>(r.size());
  return out;
}

std::string Message(std::size_t n) {
  std::string m = std::string("retrace/v1/event") + '\0';
  while (m.size() < n) m.push_back(static_cast<char>('a' + m.size() % 26));
  m.resize(n);
  return m;
}

}  // namespace

Rate RawSign(Algorithm alg, std::size_t message_bytes, unsigned threads, double seconds, int reps) {
  EVP_PKEY* pkey = NewKey(alg);
  const std::string msg = Message(message_bytes);
  Rate r = Repeat(reps, threads, seconds, [&] {
    unsigned char sig[160];
    size_t len = sizeof(sig);
    if (!SignOnce(alg, pkey, msg, sig, &len)) Die("sign");
  });
  EVP_PKEY_free(pkey);
  return r;
}

Rate RawVerify(Algorithm alg, std::size_t message_bytes, unsigned threads, double seconds,
               int reps) {
  EVP_PKEY* pkey = NewKey(alg);
  const std::string msg = Message(message_bytes);
  unsigned char sig[160];
  size_t len = sizeof(sig);
  if (!SignOnce(alg, pkey, msg, sig, &len)) Die("sign");
  Rate r = Repeat(reps, threads, seconds, [&] {
    if (!VerifyOnce(alg, pkey, msg, sig, len)) Die("verify");
  });
  EVP_PKEY_free(pkey);
  return r;
}

Rate RawSha256(std::size_t bytes, unsigned threads, double seconds, int reps) {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  const std::string data = Message(bytes);
  return Repeat(reps, threads, seconds, [&] {
    // One context per thread, freed when the thread ends (LeakSanitizer).
    thread_local std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                             &EVP_MD_CTX_free);
    unsigned char out[32];
    unsigned int len = 0;
    if (EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1 ||
        EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
        EVP_DigestFinal_ex(ctx.get(), out, &len) != 1) {
      Die("sha256");
    }
  });
}

namespace {

struct RawEnv {
  MDB_env* env = nullptr;
  MDB_dbi dbi = 0;
};

RawEnv OpenRaw(const std::string& dir, bool sync, bool create) {
  if (create) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  RawEnv e;
  if (mdb_env_create(&e.env) != 0) Die("mdb_env_create");
  mdb_env_set_mapsize(e.env, std::size_t{64} << 30);
  if (mdb_env_open(e.env, dir.c_str(), sync ? 0 : MDB_NOSYNC, 0640) != 0) Die("mdb_env_open");
  MDB_txn* txn;
  if (mdb_txn_begin(e.env, nullptr, 0, &txn) != 0) Die("begin");
  if (mdb_dbi_open(txn, nullptr, 0, &e.dbi) != 0) Die("dbi");
  if (mdb_txn_commit(txn) != 0) Die("commit");
  return e;
}

std::string Key(std::uint64_t v) {
  std::string k(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) k[i] = static_cast<char>(v & 0xff);
  return k;
}

}  // namespace

double CpuMs(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}
double ProcessCpuSeconds() { return CpuMs(CLOCK_PROCESS_CPUTIME_ID) / 1e3; }

std::uint64_t ProcWriteBytes() {
  std::ifstream in("/proc/self/io");
  std::string key;
  std::uint64_t value = 0;
  while (in >> key >> value) {
    if (key == "wchar:") return value;
  }
  return 0;
}

LmdbAppendResult RawLmdbAppend(const std::string& dir, std::size_t value_bytes, std::size_t count,
                               std::size_t per_commit, bool sync) {
  RawEnv e = OpenRaw(dir, sync, /*create=*/true);
  std::string value = Message(value_bytes);
  std::vector<double> commit_us;
  const std::uint64_t written = ProcWriteBytes();
  const double cpu0 = ProcessCpuSeconds();
  const auto start = Clock::now();
  std::uint64_t seq = 0;
  while (seq < count) {
    const auto t0 = Clock::now();
    MDB_txn* txn;
    if (mdb_txn_begin(e.env, nullptr, 0, &txn) != 0) Die("begin");
    for (std::size_t i = 0; i < per_commit && seq < count; ++i, ++seq) {
      std::string k = Key(seq);
      value[20] = static_cast<char>(seq);  // distinct values
      MDB_val key{k.size(), k.data()}, val{value.size(), value.data()};
      if (mdb_put(txn, e.dbi, &key, &val, MDB_APPEND) != 0) Die("put");
    }
    if (mdb_txn_commit(txn) != 0) Die("commit");
    commit_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const std::uint64_t wrote = ProcWriteBytes() - written;
  const double cpu = ProcessCpuSeconds() - cpu0;
  mdb_env_close(e.env);
  LmdbAppendResult r;
  r.values_per_second = static_cast<double>(count) / elapsed;
  std::sort(commit_us.begin(), commit_us.end());
  if (!commit_us.empty()) {
    r.pages_per_commit = static_cast<double>(wrote) / 4096 / commit_us.size();
    r.cpu_us_per_commit = cpu * 1e6 / commit_us.size();
    r.commit_p50_us = commit_us[commit_us.size() / 2];
    r.commit_p99_us = commit_us[std::min(commit_us.size() - 1, commit_us.size() * 99 / 100)];
  }
  return r;
}

double RawLmdbScan(const std::string& dir, std::size_t value_bytes, std::size_t count) {
  RawEnv e = OpenRaw(dir, false, /*create=*/false);
  MDB_txn* txn;
  if (mdb_txn_begin(e.env, nullptr, MDB_RDONLY, &txn) != 0) Die("begin");
  MDB_cursor* cur;
  if (mdb_cursor_open(txn, e.dbi, &cur) != 0) Die("cursor");
  const auto start = Clock::now();
  MDB_val k, v;
  std::uint64_t n = 0, sum = 0;
  for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    const unsigned char* p = static_cast<const unsigned char*>(v.mv_data);
    for (std::size_t i = 0; i < v.mv_size; i += 64) sum += p[i];
    ++n;
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  mdb_cursor_close(cur);
  mdb_txn_abort(txn);
  mdb_env_close(e.env);
  if (n != count || sum == 0) Die("scan count");
  return static_cast<double>(n) / elapsed;
}

}  // namespace retrace::bench
