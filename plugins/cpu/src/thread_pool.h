// A fixed pool of worker threads shared by the kernels of one device (intra-op parallelism).
// ParallelFor splits [0, n) into chunks of at least `grain` items; the calling thread takes part,
// so a pool of 1 runs everything inline. Nested ParallelFor calls run inline (no deadlock).
#pragma once

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
  // Calls fn(begin, end) on disjoint chunks covering [0, n); returns when all are done.
  void ParallelFor(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

 private:
  struct Impl;
  int threads_;
  Impl* impl_;
};

}  // namespace hetrun::cpu
