// The raw primitives every retrace workload is compared with, measured in
// the same run: a tight OpenSSL EVP sign or verify loop on the same key type
// and message size, SHA-256 over the same bytes, and raw LMDB appends and
// scans of same-size values. Nothing of retrace runs in these loops.
#ifndef RETRACE_BENCH_RAW_H_
#define RETRACE_BENCH_RAW_H_

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <string>

#include "retrace/signer.h"

namespace retrace::bench {

struct Rate {
  double per_second = 0;  // median of the repetitions
  double min = 0, max = 0;
  int repetitions = 0;
};

// Signatures per second over `message_bytes`-byte messages on `threads`
// threads, each with its own EVP_MD_CTX per operation (fresh
// EVP_DigestSignInit / EVP_DigestVerifyInit on a pre-parsed key, digests
// fetched once), for about `seconds` per repetition.
Rate RawSign(Algorithm alg, std::size_t message_bytes, unsigned threads, double seconds, int reps);
Rate RawVerify(Algorithm alg, std::size_t message_bytes, unsigned threads, double seconds, int reps);

// SHA-256 digests per second of `bytes`-byte inputs on `threads` threads
// (EVP_MD fetched once, one context per thread).
Rate RawSha256(std::size_t bytes, unsigned threads, double seconds, int reps);

// Bytes this process has passed to write system calls so far
// (/proc/self/io wchar): LMDB writes each dirty page of a commit with
// pwrite or writev, so the difference over a commit is the pages it wrote.
// (write_bytes, the page-cache figure, is no page count here: with large
// folios a 4 KiB write into a cached folio counts the whole folio -- 200
// scattered 4 KiB pwrites counted 34,000 to 38,000 pages on this machine.)
std::uint64_t ProcWriteBytes();

// CPU time of `clock` (CLOCK_PROCESS_CPUTIME_ID: every thread of the
// process; CLOCK_THREAD_CPUTIME_ID: the calling thread) in milliseconds, and
// this process's (user + system) in seconds: what a workload costs whatever
// share of the cores the machine's load leaves it.
double CpuMs(clockid_t clock);
double ProcessCpuSeconds();

// Raw LMDB in a fresh environment under `dir`: `count` values of
// `value_bytes` appended under 8-byte big-endian keys (MDB_APPEND),
// `per_commit` values per transaction, with (sync) or without fsync.
// Returns values per second, commit latencies, and the pages and process
// CPU of each commit.
struct LmdbAppendResult {
  double values_per_second = 0;
  double commit_p50_us = 0, commit_p99_us = 0;
  double pages_per_commit = 0;  // 4 KiB pages written (wchar), meta page included
  double cpu_us_per_commit = 0;  // process CPU (user + system) per commit
};
LmdbAppendResult RawLmdbAppend(const std::string& dir, std::size_t value_bytes, std::size_t count,
                               std::size_t per_commit, bool sync);
// Values per second of a cursor scan of what RawLmdbAppend wrote
// (`count` values of `value_bytes`), touching every byte.
double RawLmdbScan(const std::string& dir, std::size_t value_bytes, std::size_t count);

}  // namespace retrace::bench

#endif  // RETRACE_BENCH_RAW_H_
