// A fixed pool of worker threads shared by the kernels of one device (intra-op parallelism).
// ParallelFor splits [0, n) into chunks of at least `grain` items (a loop shorter than a grain is
// one chunk); the calling thread takes part, so a pool of 1 runs everything inline. Nested
// ParallelFor calls run inline (no deadlock). A loop too small to be worth a thread runs inline on
// the caller: one of under two grains, or one of a few grains while every worker is asleep (waking
// one costs more than such a loop takes).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <type_traits>

namespace hetrun::cpu {

// Estimated time of one loop item, for ParallelFor's cost-based form: the pool turns it into a
// grain of about kMinChunkNs of work, the least worth handing to another thread.
struct WorkCost {
  double ns_per_item;
};

class ThreadPool {
 public:
  // Work below this per chunk costs more to hand over (cache lines moving between cores, the
  // claim) than it saves.
  static constexpr double kMinChunkNs = 8000;

  explicit ThreadPool(int threads);  // threads >= 1, including the caller
  // A pool of `threads` (fewer than `pool`'s) that runs on `pool`'s workers: each of its loops is
  // cut into at most `threads` chunks, so at most that many threads work on it while the others
  // keep polling. A pool of its own would add workers polling beside the device's, on its cores.
  static std::shared_ptr<ThreadPool> Share(ThreadPool& pool, int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return threads_; }
  // Set when the device closes: long-running work (executables between nodes, Loop between
  // iterations) stops with CANCELLED instead of keeping the closing device's queue busy forever
  // (a part the host timed out on may still be running).
  void Cancel() { Owner().cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return Owner().cancelled_.load(std::memory_order_relaxed); }
  // Throws plugin::Error(CANCELLED) once cancelled.
  void ThrowIfCancelled() const;

  // Calls fn(begin, end) on disjoint chunks covering [0, n); returns when all are done. fn is
  // called by reference (no std::function, so no allocation per call).
  template <typename F>
  void ParallelFor(int64_t n, int64_t grain, F&& fn) {
    using Fn = std::remove_reference_t<F>;
    Run(n, grain, const_cast<void*>(static_cast<const void*>(&fn)),
        [](void* f, int64_t begin, int64_t end) { (*static_cast<Fn*>(f))(begin, end); });
  }
  // The same with the grain derived from an estimated cost per item.
  template <typename F>
  void ParallelFor(int64_t n, WorkCost cost, F&& fn) {
    ParallelFor(n, GrainFor(cost), static_cast<F&&>(fn));
  }
  // Items per chunk for work of `cost`: about kMinChunkNs worth, at least 1.
  static int64_t GrainFor(WorkCost cost);
  // Workers blocked until the next loop (the rest are running or polling for one); for tests.
  int sleeping_workers() const;

 private:
  using ChunkFn = void (*)(void*, int64_t, int64_t);
  ThreadPool(ThreadPool& owner, int threads) : threads_(threads), owner_(&owner), impl_(nullptr) {}
  const ThreadPool& Owner() const { return owner_ ? *owner_ : *this; }
  ThreadPool& Owner() { return owner_ ? *owner_ : *this; }
  void Run(int64_t n, int64_t grain, void* fn, ChunkFn call);
  void Run(int64_t n, int64_t grain, void* fn, ChunkFn call, int64_t max_chunks);

  struct Impl;
  int threads_;
  std::atomic<bool> cancelled_{false};
  ThreadPool* owner_ = nullptr;  // Share(): the pool whose workers run this one's loops
  Impl* impl_;                   // null for a shared pool
};

}  // namespace hetrun::cpu
