// Persistent workers; ParallelFor publishes one job (a chunk counter over [0, n)) and every thread,
// the caller included, claims chunks until none are left. Claiming through an atomic counter
// balances uneven chunks without a per-chunk queue.
//
// Handing work over is the cost that decides whether small ops gain from a second thread, so an
// idle worker polls for the next job for a while (spin_time) before it blocks on the condition
// variable, and the caller polls for the last chunks the same way. Within a run the nodes follow
// each other within microseconds: the workers never sleep and a job reaches them without a futex
// wake (several µs for the caller, tens of µs before the woken thread runs).
#include "thread_pool.h"

#include "hetrun/plugin.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace hetrun::cpu {
namespace {

// Set while this thread runs a chunk of any pool's job: a ParallelFor issued from inside a chunk
// runs inline instead of waiting for workers that may all be busy in the outer job.
thread_local bool t_in_parallel_region = false;

// Enough chunks per thread to even out uneven work, few enough to keep the claiming cheap.
constexpr int64_t kChunksPerThread = 4;

// How long a thread polls before it blocks: longer than the gaps between the nodes of a run, short
// enough that an idle device soon gives its cores back. HETRUN_CPU_SPIN_US overrides it (0: never
// poll; for machines shared with other busy processes, where a polling thread loses its core).
constexpr int64_t kDefaultSpinUs = 300;

std::chrono::microseconds SpinTimeFromEnvironment() {
  const char* text = std::getenv("HETRUN_CPU_SPIN_US");
  if (!text || !*text) return std::chrono::microseconds(kDefaultSpinUs);
  char* end = nullptr;
  const long long us = std::strtoll(text, &end, 10);
  if (*end != '\0' || us < 0) return std::chrono::microseconds(kDefaultSpinUs);
  return std::chrono::microseconds(std::min<long long>(us, 1000000));
}

// While every worker sleeps, a loop of at most this many grains runs inline: the caller is done
// with it before a woken worker would start.
constexpr int64_t kGrainsWorthAWake = 2;

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

// Polls done() until it holds (true) or `spin` passes (false). Yields now and then so that on an
// oversubscribed machine the poller does not keep the thread it waits for off the core.
template <typename Done>
bool SpinUntil(std::chrono::microseconds spin, const Done& done) {
  if (spin.count() == 0) return done();
  const auto deadline = std::chrono::steady_clock::now() + spin;
  for (uint32_t i = 1;; ++i) {
    if (done()) return true;
    CpuRelax();
    if (i % 64 == 0) {
      if (std::chrono::steady_clock::now() >= deadline) return done();
      if (i % 256 == 0) std::this_thread::yield();
    }
  }
}

}  // namespace

struct ThreadPool::Impl {
  struct Job {
    void* fn = nullptr;  // the caller's callable, on its stack
    ChunkFn call = nullptr;
    int64_t n = 0;
    int64_t num_chunks = 0;
    std::atomic<int64_t> next{0};      // next chunk to claim
    std::atomic<int64_t> finished{0};  // chunks completed (run, skipped or failed)
    std::atomic<bool> failed{false};
    std::mutex error_mutex;
    std::exception_ptr error;  // the first exception thrown by a chunk
    // Acquire: the chunks' writes (and `error`) are visible to whoever sees the job done.
    bool done() const { return finished.load(std::memory_order_acquire) == num_chunks; }
  };

  // Claims and runs chunks until the job has none left. fn is only touched for a claimed chunk,
  // and the caller waits for every claimed chunk, so fn outlives each use.
  void RunChunks(Job& job) {
    const bool was_inside = t_in_parallel_region;
    t_in_parallel_region = true;
    for (;;) {
      const int64_t c = job.next.fetch_add(1, std::memory_order_relaxed);
      if (c >= job.num_chunks) break;
      if (!job.failed.load(std::memory_order_relaxed)) {
        // Balanced split: chunk sizes differ by at most one item.
        const int64_t begin = c * job.n / job.num_chunks;
        const int64_t end = (c + 1) * job.n / job.num_chunks;
        try {
          job.call(job.fn, begin, end);
        } catch (...) {
          std::lock_guard lock(job.error_mutex);
          if (!job.error) job.error = std::current_exception();
          job.failed.store(true, std::memory_order_relaxed);
        }
      }
      if (job.finished.fetch_add(1, std::memory_order_acq_rel) + 1 == job.num_chunks) {
        std::lock_guard lock(mutex);  // pairs with a blocked caller's predicate check
        all_finished.notify_all();
      }
    }
    t_in_parallel_region = was_inside;
  }

  bool HasNews(uint64_t seen) const {
    return stopping.load(std::memory_order_acquire) ||
           generation.load(std::memory_order_acquire) != seen;
  }

  void WorkerLoop() {
    uint64_t seen = 0;
    for (;;) {
      const bool news_while_spinning = SpinUntil(spin_time, [&] { return HasNews(seen); });
      std::shared_ptr<Job> job;
      {
        std::unique_lock lock(mutex);
        if (!news_while_spinning) {
          // Counted under the mutex, so a publisher either sees this sleeper and notifies, or
          // published before the predicate below is checked.
          sleeping.fetch_add(1, std::memory_order_relaxed);
          wake.wait(lock, [&] { return HasNews(seen); });
          sleeping.fetch_sub(1, std::memory_order_relaxed);
        }
        if (stopping.load(std::memory_order_relaxed)) return;
        seen = generation.load(std::memory_order_relaxed);
        job = current;  // may already be finished: then it has no chunk left to claim
      }
      if (job) RunChunks(*job);
    }
  }

  const std::chrono::microseconds spin_time = SpinTimeFromEnvironment();
  std::mutex mutex;
  std::condition_variable wake;
  std::condition_variable all_finished;
  std::shared_ptr<Job> current;         // under mutex
  std::atomic<uint64_t> generation{0};  // written under mutex, polled without it
  std::atomic<bool> stopping{false};    // written under mutex, polled without it
  std::atomic<int> sleeping{0};         // workers blocked on `wake`; written under mutex
  // One job at a time: a second outside caller waits for the first job to finish.
  std::mutex submit_mutex;
  std::vector<std::thread> workers;
};

ThreadPool::ThreadPool(int threads) : threads_(std::max(threads, 1)), impl_(new Impl) {
  impl_->workers.reserve(static_cast<size_t>(threads_ - 1));
  for (int i = 1; i < threads_; ++i) impl_->workers.emplace_back([this] { impl_->WorkerLoop(); });
}

std::shared_ptr<ThreadPool> ThreadPool::Share(ThreadPool& pool, int threads) {
  return std::shared_ptr<ThreadPool>(
      new ThreadPool(pool.Owner(), std::clamp(threads, 1, pool.Owner().threads())));
}

ThreadPool::~ThreadPool() {
  if (!impl_) return;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping.store(true, std::memory_order_release);
  }
  impl_->wake.notify_all();
  for (std::thread& t : impl_->workers) t.join();
  delete impl_;
}

int64_t ThreadPool::GrainFor(WorkCost cost) {
  constexpr double kMaxGrain = double(int64_t{1} << 40);
  if (!(cost.ns_per_item > 0)) return int64_t{1} << 40;  // free (or unknown): never worth a thread
  return static_cast<int64_t>(
      std::clamp(std::ceil(kMinChunkNs / cost.ns_per_item), 1.0, kMaxGrain));
}

int ThreadPool::sleeping_workers() const {
  return Owner().impl_->sleeping.load(std::memory_order_relaxed);
}

void ThreadPool::Run(int64_t n, int64_t grain, void* fn, ChunkFn call) {
  if (owner_) return owner_->Run(n, grain, fn, call, threads_);
  Run(n, grain, fn, call, int64_t{threads_} * kChunksPerThread);
}

void ThreadPool::Run(int64_t n, int64_t grain, void* fn, ChunkFn call, int64_t max_chunks) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  // Every chunk gets at least a grain (a remainder is spread over the chunks, not left as a
  // short one), so a loop of under two grains has only one chunk.
  const int64_t whole_grains = n / grain;
  // A racy read is fine: it only picks between two correct ways to run the loop.
  const bool all_asleep = impl_->sleeping.load(std::memory_order_relaxed) == threads_ - 1;
  if (threads_ == 1 || max_chunks <= 1 || whole_grains <= 1 || t_in_parallel_region ||
      (all_asleep && whole_grains <= kGrainsWorthAWake)) {
    call(fn, 0, n);
    return;
  }
  auto job = std::make_shared<Impl::Job>();
  job->fn = fn;
  job->call = call;
  job->n = n;
  // n / num_chunks >= grain, so even the shorter chunks of the balanced split hold a grain.
  job->num_chunks = std::min(whole_grains, max_chunks);

  std::lock_guard submit_lock(impl_->submit_mutex);
  bool wake_sleepers = false;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->current = job;
    impl_->generation.fetch_add(1, std::memory_order_release);
    wake_sleepers = impl_->sleeping.load(std::memory_order_relaxed) > 0;
  }
  if (wake_sleepers) impl_->wake.notify_all();
  impl_->RunChunks(*job);
  if (!SpinUntil(impl_->spin_time, [&] { return job->done(); })) {
    std::unique_lock lock(impl_->mutex);
    impl_->all_finished.wait(lock, [&] { return job->done(); });
  }
  // `current` keeps the finished job until the next one replaces it: no worker can claim a chunk
  // of it any more, so its dangling fn is never called.
  if (job->error) std::rethrow_exception(job->error);
}

void ThreadPool::ThrowIfCancelled() const {
  if (cancelled())
    throw plugin::Error(HETRUN_STATUS_CANCELLED,
                        "cpu: the device is closing; the work was stopped");
}

}  // namespace hetrun::cpu
