// A small fixed-size thread pool for data-parallel loops (internal).
//
// Verification spends nearly all of its time in signature checks, which are
// independent of each other; the pool runs them on several cores while the
// calling thread keeps doing the sequential work (reading, hashing, rule
// replay). Work is submitted as index ranges: Start(n, fn) runs fn(0..n-1)
// in any order on any thread; Wait() returns once every index has run. The
// thread that waits works on the range itself, so a pool with no workers
// (threads <= 1) runs everything inline on the caller, in index order.
//
// Thread safety: Start and Wait may be called from several threads at once
// (ranges run first come, first served). fn must be safe to call
// concurrently for distinct indices and must not throw.
#ifndef RETRACE_LIB_UTIL_THREAD_POOL_H_
#define RETRACE_LIB_UTIL_THREAD_POOL_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace retrace::internal {

// The number of threads to use for `requested` (0 = one per hardware thread).
unsigned ResolveThreads(unsigned requested);

class ThreadPool {
 public:
  // A range of work submitted with Start.
  class Range {
   public:
    std::size_t size() const { return n_; }
    // True once every index has run (what Wait waits for).
    bool finished() const { return done_.load(std::memory_order_acquire) == n_; }

   private:
    friend class ThreadPool;
    Range(std::size_t n, std::function<void(std::size_t)> fn) : n_(n), fn_(std::move(fn)) {}
    // Runs indices until none is left to claim. Returns true if it ran any.
    bool Drain();
    const std::size_t n_;
    const std::function<void(std::size_t)> fn_;
    std::atomic<std::size_t> next_{0};
    std::atomic<std::size_t> done_{0};
  };

  // `workers` background threads (0: everything runs in Wait, inline).
  explicit ThreadPool(unsigned workers);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  unsigned workers() const { return static_cast<unsigned>(threads_.size()); }

  // Queues fn(i) for every i in [0, n). Returns at once; the caller keeps
  // the handle and must Wait on it before fn's captures go away.
  std::shared_ptr<Range> Start(std::size_t n, std::function<void(std::size_t)> fn);

  // Helps run `range`, then blocks until all of its indices have finished.
  void Wait(Range& range);

  // Start + Wait.
  void ParallelFor(std::size_t n, std::function<void(std::size_t)> fn) {
    auto r = Start(n, std::move(fn));
    Wait(*r);
  }

 private:
  void WorkerLoop();

  std::mutex mu_;
  std::condition_variable work_cv_;  // workers: a range was queued / stop
  std::condition_variable done_cv_;  // waiters: a range finished
  std::deque<std::shared_ptr<Range>> queue_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace retrace::internal

#endif  // RETRACE_LIB_UTIL_THREAD_POOL_H_
