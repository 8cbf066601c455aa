// A fixed pool of worker threads shared by the kernels of one device (intra-op parallelism).
// ParallelFor splits [0, n) into chunks of at least `grain` items; the calling thread takes part,
// so a pool of 1 runs everything inline. Nested ParallelFor calls run inline (no deadlock).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>

namespace hetrun::cpu {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);  // threads >= 1, including the caller
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return threads_; }
  // Set when the device closes: long-running work (executables between nodes, Loop between
  // iterations) stops with CANCELLED instead of keeping the closing device's queue busy forever
  // (a part the host timed out on may still be running).
  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }
  // Throws plugin::Error(CANCELLED) once cancelled.
  void ThrowIfCancelled() const;
  // Calls fn(begin, end) on disjoint chunks covering [0, n); returns when all are done.
  void ParallelFor(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

 private:
  struct Impl;
  int threads_;
  std::atomic<bool> cancelled_{false};
  Impl* impl_;
};

}  // namespace hetrun::cpu
