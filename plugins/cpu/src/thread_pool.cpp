// Persistent workers sleep on a condition variable; ParallelFor publishes one job (a chunk counter
// over [0, n)) and every thread, the caller included, claims chunks until none are left. Claiming
// through an atomic counter balances uneven chunks without a per-chunk queue.
#include "thread_pool.h"

#include "hetrun/plugin.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace hetrun::cpu {
namespace {

// Set while this thread runs a chunk of any pool's job: a ParallelFor issued from inside a chunk
// runs inline instead of waiting for workers that may all be busy in the outer job.
thread_local bool t_in_parallel_region = false;

// Enough chunks per thread to even out uneven work, few enough to keep the claiming cheap.
constexpr int64_t kChunksPerThread = 4;

}  // namespace

struct ThreadPool::Impl {
  struct Job {
    const std::function<void(int64_t, int64_t)>* fn = nullptr;  // lives on the caller's stack
    int64_t n = 0;
    int64_t chunk = 1;
    int64_t num_chunks = 0;
    std::atomic<int64_t> next{0};      // next chunk to claim
    std::atomic<int64_t> finished{0};  // chunks completed (run, skipped or failed)
    std::atomic<bool> failed{false};
    std::mutex error_mutex;
    std::exception_ptr error;  // the first exception thrown by a chunk
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
        const int64_t begin = c * job.chunk;
        const int64_t end = std::min(job.n, begin + job.chunk);
        try {
          (*job.fn)(begin, end);
        } catch (...) {
          std::lock_guard lock(job.error_mutex);
          if (!job.error) job.error = std::current_exception();
          job.failed.store(true, std::memory_order_relaxed);
        }
      }
      if (job.finished.fetch_add(1, std::memory_order_acq_rel) + 1 == job.num_chunks) {
        std::lock_guard lock(mutex);  // pairs with the caller's predicate check
        all_finished.notify_all();
      }
    }
    t_in_parallel_region = was_inside;
  }

  void WorkerLoop() {
    uint64_t seen_generation = 0;
    for (;;) {
      std::shared_ptr<Job> job;
      {
        std::unique_lock lock(mutex);
        wake.wait(lock, [&] { return stopping || generation != seen_generation; });
        if (stopping) return;
        seen_generation = generation;
        job = current;  // may be null if the job already finished
      }
      if (job) RunChunks(*job);
    }
  }

  std::mutex mutex;
  std::condition_variable wake;
  std::condition_variable all_finished;
  std::shared_ptr<Job> current;
  uint64_t generation = 0;
  bool stopping = false;
  // One job at a time: a second outside caller waits for the first job to finish.
  std::mutex submit_mutex;
  std::vector<std::thread> workers;
};

ThreadPool::ThreadPool(int threads) : threads_(std::max(threads, 1)), impl_(new Impl) {
  impl_->workers.reserve(static_cast<size_t>(threads_ - 1));
  for (int i = 1; i < threads_; ++i) impl_->workers.emplace_back([this] { impl_->WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  for (std::thread& t : impl_->workers) t.join();
  delete impl_;
}

void ThreadPool::ParallelFor(int64_t n, int64_t grain,
                             const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  const int64_t chunks_by_grain = n / grain + (n % grain != 0);
  if (threads_ == 1 || chunks_by_grain <= 1 || t_in_parallel_region) {
    fn(0, n);
    return;
  }
  auto job = std::make_shared<Impl::Job>();
  job->fn = &fn;
  job->n = n;
  const int64_t wanted = std::min(chunks_by_grain, int64_t{threads_} * kChunksPerThread);
  job->chunk = n / wanted + (n % wanted != 0);
  job->num_chunks = n / job->chunk + (n % job->chunk != 0);

  std::lock_guard submit_lock(impl_->submit_mutex);
  {
    std::lock_guard lock(impl_->mutex);
    impl_->current = job;
    ++impl_->generation;
  }
  impl_->wake.notify_all();
  impl_->RunChunks(*job);
  {
    std::unique_lock lock(impl_->mutex);
    impl_->all_finished.wait(
        lock, [&] { return job->finished.load(std::memory_order_acquire) == job->num_chunks; });
    impl_->current.reset();
  }
  if (job->error) std::rethrow_exception(job->error);
}

void ThreadPool::ThrowIfCancelled() const {
  if (cancelled())
    throw plugin::Error(HETRUN_STATUS_CANCELLED,
                        "cpu: the device is closing; the work was stopped");
}

}  // namespace hetrun::cpu
