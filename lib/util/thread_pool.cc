#include "util/thread_pool.h"

namespace retrace::internal {

unsigned ResolveThreads(unsigned requested) {
  if (requested != 0) return requested;
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : hw;
}

bool ThreadPool::Range::Drain() {
  bool ran = false;
  for (;;) {
    std::size_t i = next_.fetch_add(1, std::memory_order_relaxed);
    if (i >= n_) return ran;
    fn_(i);
    ran = true;
    done_.fetch_add(1, std::memory_order_acq_rel);
  }
}

ThreadPool::ThreadPool(unsigned workers) {
  threads_.reserve(workers);
  for (unsigned i = 0; i < workers; ++i) threads_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

std::shared_ptr<ThreadPool::Range> ThreadPool::Start(std::size_t n,
                                                     std::function<void(std::size_t)> fn) {
  std::shared_ptr<Range> r(new Range(n, std::move(fn)));
  if (n == 0 || threads_.empty()) return r;  // Wait runs it inline.
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(r);
  }
  work_cv_.notify_all();
  return r;
}

void ThreadPool::Wait(Range& range) {
  range.Drain();
  if (range.done_.load(std::memory_order_acquire) == range.n_) return;
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [&] { return range.done_.load(std::memory_order_acquire) == range.n_; });
}

void ThreadPool::WorkerLoop() {
  for (;;) {
    std::shared_ptr<Range> r;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_ && queue_.empty()) return;
      r = queue_.front();
      // Every index of the front range is claimed (or being claimed): the
      // range leaves the queue, the threads running its last indices finish
      // them.
      if (r->next_.load(std::memory_order_relaxed) >= r->n_) {
        queue_.pop_front();
        continue;
      }
    }
    r->Drain();
    if (r->done_.load(std::memory_order_acquire) == r->n_) {
      // Take the lock so a waiter cannot miss the notification between its
      // check and its sleep.
      std::lock_guard<std::mutex> lock(mu_);
      done_cv_.notify_all();
    }
  }
}

}  // namespace retrace::internal
