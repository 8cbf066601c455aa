// The thread pool's scheduling decisions: which loops run inline, how odd sizes are chunked, that
// spinning and sleeping workers both pick up work, and that nesting, exceptions and cancellation
// keep working with them.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "hetrun/plugin.hpp"
#include "thread_pool.h"

namespace hetrun::cpu {
namespace {

// Every chunk's [begin, end), recorded from any thread.
struct ChunkLog {
  std::mutex mutex;
  std::vector<std::pair<int64_t, int64_t>> chunks;
  std::set<std::thread::id> threads;
  void Add(int64_t begin, int64_t end) {
    std::lock_guard lock(mutex);
    chunks.emplace_back(begin, end);
    threads.insert(std::this_thread::get_id());
  }
};

// Waits (up to 10 s) until every worker has blocked on its condition variable: a loop now finds the
// pool asleep. Each worker polls for well under a millisecond before it sleeps.
void LetWorkersFallAsleep(const ThreadPool& pool) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (pool.sleeping_workers() < pool.threads() - 1 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_EQ(pool.sleeping_workers(), pool.threads() - 1);
}

TEST(ThreadPool, UnderTwoGrainsRunInlineOnTheCaller) {
  ThreadPool pool(4);
  ChunkLog log;
  pool.ParallelFor(100, 100, [&](int64_t b, int64_t e) { log.Add(b, e); });
  pool.ParallelFor(100, 1000, [&](int64_t b, int64_t e) { log.Add(b, e); });
  pool.ParallelFor(199, 100, [&](int64_t b, int64_t e) { log.Add(b, e); });  // under two grains
  ASSERT_EQ(log.chunks.size(), 3u);
  EXPECT_EQ(log.chunks[2], (std::pair<int64_t, int64_t>{0, 199}));
  EXPECT_EQ(log.chunks[0], (std::pair<int64_t, int64_t>{0, 100}));
  EXPECT_EQ(log.chunks[1], (std::pair<int64_t, int64_t>{0, 100}));
  EXPECT_EQ(log.threads, std::set<std::thread::id>{std::this_thread::get_id()});
}

TEST(ThreadPool, AFewGrainsRunInlineWhileTheWorkersSleep) {
  ThreadPool pool(3);
  LetWorkersFallAsleep(pool);
  ChunkLog log;
  // Two grains and a bit: waking a sleeping worker costs more than the second grain takes.
  pool.ParallelFor(25, 10, [&](int64_t b, int64_t e) { log.Add(b, e); });
  ASSERT_EQ(log.chunks.size(), 1u);
  EXPECT_EQ(log.chunks[0], (std::pair<int64_t, int64_t>{0, 25}));
  EXPECT_EQ(log.threads, std::set<std::thread::id>{std::this_thread::get_id()});
}

TEST(ThreadPool, SleepingWorkersWakeForALargeLoop) {
  ThreadPool pool(2);
  LetWorkersFallAsleep(pool);
  ChunkLog log;
  std::atomic<bool> second_thread_seen{false};
  // Every chunk waits (up to 10 s) for a second thread so the caller cannot finish alone.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  pool.ParallelFor(64, 1, [&](int64_t b, int64_t e) {
    log.Add(b, e);
    {
      std::lock_guard lock(log.mutex);
      if (log.threads.size() > 1) second_thread_seen = true;
    }
    while (!second_thread_seen && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::microseconds(100));
  });
  EXPECT_EQ(log.threads.size(), 2u);
}

TEST(ThreadPool, BackToBackLoopsReachTheSpinningWorkers) {
  ThreadPool pool(2);
  std::atomic<int64_t> total{0};
  std::set<std::thread::id> ids;
  std::mutex mutex;
  for (int round = 0; round < 2000; ++round) {
    pool.ParallelFor(64, 8, [&](int64_t b, int64_t e) {
      total += e - b;
      std::lock_guard lock(mutex);
      ids.insert(std::this_thread::get_id());
    });
  }
  EXPECT_EQ(total.load(), 2000 * 64);
  // Not asserted: that the worker took part (a loaded machine may not schedule it at all).
  EXPECT_GE(ids.size(), 1u);
}

// A node tuned to fewer threads than the device has runs on the device pool's own workers: its
// loops have at most that many chunks, so no more threads work on them at once.
TEST(ThreadPool, ASharedPoolCapsTheThreadsAtWorkOnItsOwnersWorkers) {
  ThreadPool pool(4);
  const std::shared_ptr<ThreadPool> two = ThreadPool::Share(pool, 2);
  EXPECT_EQ(two->threads(), 2);
  EXPECT_EQ(ThreadPool::Share(*two, 9)->threads(), 4);  // shares the owner, at most its threads
  ChunkLog log;
  std::atomic<int> active{0}, most{0};
  two->ParallelFor(1000, 1, [&](int64_t b, int64_t e) {
    const int now = ++active;
    for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    log.Add(b, e);
    --active;
  });
  ASSERT_EQ(log.chunks.size(), 2u);
  std::sort(log.chunks.begin(), log.chunks.end());
  EXPECT_EQ(log.chunks[0], (std::pair<int64_t, int64_t>{0, 500}));
  EXPECT_EQ(log.chunks[1], (std::pair<int64_t, int64_t>{500, 1000}));
  EXPECT_LE(most.load(), 2);
  pool.Cancel();
  EXPECT_TRUE(two->cancelled());
}

TEST(ThreadPool, OddSizesAndGrainsGiveDisjointChunksOfAtLeastAGrain) {
  for (int threads : {2, 3, 5}) {
    ThreadPool pool(threads);
    for (int64_t n : {1, 2, 3, 13, 97, 1000, 4099}) {
      for (int64_t grain : {1, 2, 7, 33, 1000}) {
        ChunkLog log;
        pool.ParallelFor(n, grain, [&](int64_t b, int64_t e) { log.Add(b, e); });
        std::vector<int> hits(static_cast<size_t>(n), 0);
        for (const auto& [b, e] : log.chunks) {
          ASSERT_LT(b, e);
          // Only a loop shorter than a grain has a chunk shorter than a grain.
          if (n >= grain) {
            EXPECT_GE(e - b, grain) << "n " << n << " grain " << grain;
          }
          for (int64_t i = b; i < e; ++i) ++hits[static_cast<size_t>(i)];
        }
        for (int64_t i = 0; i < n; ++i)
          ASSERT_EQ(hits[static_cast<size_t>(i)], 1)
              << "n " << n << " grain " << grain << " i " << i;
        // At most kChunksPerThread (4) chunks per thread.
        EXPECT_LE(log.chunks.size(), static_cast<size_t>(4 * threads));
      }
    }
  }
}

TEST(ThreadPool, TheCostFormTurnsCostIntoAGrain) {
  EXPECT_EQ(ThreadPool::GrainFor(WorkCost{ThreadPool::kMinChunkNs}), 1);
  EXPECT_EQ(ThreadPool::GrainFor(WorkCost{ThreadPool::kMinChunkNs * 10}), 1);
  EXPECT_EQ(ThreadPool::GrainFor(WorkCost{ThreadPool::kMinChunkNs / 4}), 4);
  EXPECT_EQ(ThreadPool::GrainFor(WorkCost{ThreadPool::kMinChunkNs / 4.5}), 5);  // rounds up
  EXPECT_GT(ThreadPool::GrainFor(WorkCost{0}), int64_t{1} << 30);               // free: never split
  ThreadPool pool(2);
  ChunkLog log;
  // 1 ns per item: 100 items are far below one chunk's worth.
  pool.ParallelFor(100, WorkCost{1.0}, [&](int64_t b, int64_t e) { log.Add(b, e); });
  ASSERT_EQ(log.chunks.size(), 1u);
  EXPECT_EQ(log.chunks[0], (std::pair<int64_t, int64_t>{0, 100}));
  // Expensive items: each is worth a chunk of its own.
  ChunkLog big;
  pool.ParallelFor(8, WorkCost{ThreadPool::kMinChunkNs},
                   [&](int64_t b, int64_t e) { big.Add(b, e); });
  EXPECT_EQ(big.chunks.size(), 8u);
}

TEST(ThreadPool, AcceptsStdFunctionAndMutableCallables) {
  ThreadPool pool(3);
  std::atomic<int64_t> sum{0};
  const std::function<void(int64_t, int64_t)> fn = [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) sum += i;
  };
  pool.ParallelFor(1000, 10, fn);
  EXPECT_EQ(sum.load(), 999 * 1000 / 2);
  std::atomic<int> calls{0};
  auto counting = [&calls](int64_t, int64_t) mutable { ++calls; };
  pool.ParallelFor(1000, 10, counting);
  EXPECT_GE(calls.load(), 1);
}

TEST(ThreadPool, NestedLoopsInsideWorkersRunInlineAndCoverEverything) {
  ThreadPool pool(3);
  std::vector<std::atomic<int>> hits(64 * 50);
  pool.ParallelFor(64, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const std::thread::id outer = std::this_thread::get_id();
      pool.ParallelFor(50, 1, [&](int64_t ib, int64_t ie) {
        EXPECT_EQ(std::this_thread::get_id(), outer);  // inline on the same thread
        for (int64_t j = ib; j < ie; ++j) ++hits[static_cast<size_t>(i * 50 + j)];
      });
    }
  });
  for (auto& h : hits) ASSERT_EQ(h.load(), 1);
}

TEST(ThreadPool, AnExceptionFromAWorkerSkipsTheRestAndReachesTheCaller) {
  ThreadPool pool(2);
  for (int round = 0; round < 50; ++round) {
    std::atomic<int64_t> ran{0};
    EXPECT_THROW(pool.ParallelFor(400, 1,
                                  [&](int64_t b, int64_t e) {
                                    ran += e - b;
                                    if (b == 0) throw std::runtime_error("first chunk");
                                  }),
                 std::runtime_error);
    EXPECT_LE(ran.load(), 400);
  }
  std::atomic<int64_t> total{0};
  pool.ParallelFor(400, 1, [&](int64_t b, int64_t e) { total += e - b; });
  EXPECT_EQ(total.load(), 400);
}

TEST(ThreadPool, CancellationIsSeenByChunksOnEveryThread) {
  ThreadPool pool(2);
  EXPECT_NO_THROW(pool.ThrowIfCancelled());
  std::atomic<int> cancelled_chunks{0};
  pool.ParallelFor(64, 1, [&](int64_t b, int64_t) {
    if (b == 0) pool.Cancel();
    // Chunks claimed after the cancel see it; the loop still finishes and returns.
    try {
      pool.ThrowIfCancelled();
    } catch (const plugin::Error&) {
      ++cancelled_chunks;
    }
  });
  EXPECT_TRUE(pool.cancelled());
  EXPECT_THROW(pool.ThrowIfCancelled(), plugin::Error);
  EXPECT_GE(cancelled_chunks.load(), 1);
}

TEST(ThreadPool, DestroysPromptlyWhetherWorkersSpinOrSleep) {
  for (bool sleep_first : {false, true}) {
    const auto start = std::chrono::steady_clock::now();
    {
      ThreadPool pool(4);
      pool.ParallelFor(1000, 1, [](int64_t, int64_t) {});
      if (sleep_first) LetWorkersFallAsleep(pool);
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  }
}

}  // namespace
}  // namespace hetrun::cpu
