// White-box tests of the CPU plugin's runtime pieces: thread pool, arena, host memory helpers.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "arena.h"
#include "hetrun/plugin.hpp"
#include "host_memory.h"
#include "thread_pool.h"

namespace hetrun::cpu {
namespace {

TEST(ThreadPool, CoversEveryIndexExactlyOnce) {
  for (int threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.threads(), threads);
    for (int64_t n : {0, 1, 2, 7, 100, 1001, 100000}) {
      for (int64_t grain : {1, 3, 64, 1 << 20}) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        pool.ParallelFor(n, grain, [&](int64_t begin, int64_t end) {
          ASSERT_LE(0, begin);
          ASSERT_LT(begin, end);
          ASSERT_LE(end, n);
          for (int64_t i = begin; i < end; ++i) ++hits[i];
        });
        for (int64_t i = 0; i < n; ++i) {
          ASSERT_EQ(hits[i].load(), 1) << "threads " << threads << " n " << n << " grain " << grain;
        }
      }
    }
  }
}

TEST(ThreadPool, RespectsTheGrainAndUsesSeveralThreads) {
  ThreadPool pool(4);
  std::mutex mutex;
  std::set<std::thread::id> ids;
  std::atomic<int> small_chunks{0};
  // Each chunk waits (up to 10 s) until a second thread has shown up: on a loaded machine the
  // caller could otherwise finish every chunk before a worker wakes, and a timing-based test would
  // flake.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  pool.ParallelFor(1 << 16, 1024, [&](int64_t begin, int64_t end) {
    if (end - begin < 1024 && end != (1 << 16)) ++small_chunks;
    {
      std::lock_guard lock(mutex);
      ids.insert(std::this_thread::get_id());
    }
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard lock(mutex);
        if (ids.size() > 1) break;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  });
  EXPECT_EQ(small_chunks.load(), 0);
  EXPECT_GT(ids.size(), 1u);
}

TEST(ThreadPool, OneThreadRunsOnTheCaller) {
  ThreadPool pool(1);
  std::thread::id seen;
  int calls = 0;
  pool.ParallelFor(1000, 1, [&](int64_t begin, int64_t end) {
    seen = std::this_thread::get_id();
    ++calls;
    EXPECT_EQ(begin, 0);
    EXPECT_EQ(end, 1000);
  });
  EXPECT_EQ(seen, std::this_thread::get_id());
  EXPECT_EQ(calls, 1);
}

TEST(ThreadPool, NestedCallsRunInlineWithoutDeadlock) {
  ThreadPool pool(3);
  std::atomic<int64_t> total{0};
  pool.ParallelFor(8, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      pool.ParallelFor(100, 1, [&](int64_t b, int64_t e) { total += e - b; });
    }
  });
  EXPECT_EQ(total.load(), 800);
}

TEST(ThreadPool, AnExceptionReachesTheCallerAndThePoolStaysUsable) {
  ThreadPool pool(4);
  EXPECT_THROW(pool.ParallelFor(1000, 1,
                                [&](int64_t begin, int64_t end) {
                                  if (begin <= 500 && 500 < end) throw std::runtime_error("boom");
                                }),
               std::runtime_error);
  std::atomic<int64_t> sum{0};
  pool.ParallelFor(1000, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) sum += i;
  });
  EXPECT_EQ(sum.load(), 999 * 1000 / 2);
}

TEST(ThreadPool, CallersOnSeveralThreadsShareThePool) {
  ThreadPool pool(3);
  std::atomic<int64_t> total{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        pool.ParallelFor(1000, 10, [&](int64_t b, int64_t e) { total += e - b; });
      }
    });
  }
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(total.load(), 4 * 50 * 1000);
}

TEST(Arena, BlocksAreAlignedAndDistinct) {
  Arena arena;
  std::set<void*> blocks;
  for (uint64_t bytes : {0, 1, 63, 64, 65, 1000, 4096}) {
    void* block = arena.Allocate(bytes);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(block) % kTensorAlignment, 0u);
    EXPECT_GE(arena.BlockBytes(block), std::max<uint64_t>(bytes, 1));
    EXPECT_TRUE(blocks.insert(block).second);
  }
}

TEST(Arena, ReusesFreedBlocksBestFitAndCoalesces) {
  Arena arena(1 << 16);  // one chunk holds everything below
  void* a = arena.Allocate(1024);
  void* b = arena.Allocate(256);
  void* c = arena.Allocate(2048);
  void* d = arena.Allocate(64);
  EXPECT_EQ(arena.reserved_bytes(), uint64_t{1} << 16);
  arena.Free(a);  // 1024-byte hole
  arena.Free(c);  // 2048-byte hole
  // Best fit: the 1024 hole, not the 2048 one.
  EXPECT_EQ(arena.Allocate(1000), a);
  arena.Free(a);
  arena.Free(b);  // a and b merge into one 1280-byte hole
  EXPECT_EQ(arena.Allocate(1280), a);
  EXPECT_EQ(arena.reserved_bytes(), uint64_t{1} << 16) << "no new chunk was needed";
  arena.Free(d);
}

TEST(Arena, CountsPeakBytes) {
  Arena arena;
  void* a = arena.Allocate(1000);  // rounds to 1024
  void* b = arena.Allocate(100);   // rounds to 128
  EXPECT_EQ(arena.in_use_bytes(), 1152u);
  arena.Free(a);
  void* c = arena.Allocate(64);
  EXPECT_EQ(arena.in_use_bytes(), 192u);
  EXPECT_EQ(arena.peak_bytes(), 1152u);
  arena.Free(b);
  arena.Free(c);
  EXPECT_EQ(arena.in_use_bytes(), 0u);
}

TEST(Arena, GrowsWithNewChunksWhenFull) {
  Arena arena(256);
  void* a = arena.Allocate(256);
  void* b = arena.Allocate(4096);
  EXPECT_NE(a, b);
  EXPECT_GT(arena.reserved_bytes(), 256u);
}

TEST(Arena, FreeingAForeignPointerIsAnError) {
  Arena arena;
  int x = 0;
  EXPECT_THROW(arena.Free(&x), plugin::Error);
}

TEST(Arena, AbsurdSizesAreOutOfMemory) {
  Arena arena;
  try {
    arena.Allocate(UINT64_MAX - 1);
    FAIL() << "expected an exception";
  } catch (const plugin::Error& e) {
    EXPECT_EQ(e.code(), HETRUN_STATUS_OUT_OF_MEMORY);
  }
  try {
    arena.Allocate(uint64_t{1} << 62);
    FAIL() << "expected an exception";
  } catch (const plugin::Error& e) {
    EXPECT_EQ(e.code(), HETRUN_STATUS_OUT_OF_MEMORY);
  }
}

TEST(HostMemory, TensorBytesChecksDimsAndOverflow) {
  EXPECT_EQ(TensorBytes(HETRUN_DTYPE_FLOAT32, {2, 3}), 24u);
  EXPECT_EQ(TensorBytes(HETRUN_DTYPE_INT64, {}), 8u);
  EXPECT_EQ(TensorBytes(HETRUN_DTYPE_FLOAT32, {0, 5}), 0u);
  // A zero dimension makes the tensor empty even after dimensions whose product overflows.
  EXPECT_EQ(TensorBytes(HETRUN_DTYPE_FLOAT32, {INT64_MAX, INT64_MAX, 0}), 0u);
  EXPECT_THROW(TensorBytes(HETRUN_DTYPE_FLOAT32, {INT64_MAX, 2}), plugin::Error);
  EXPECT_THROW(TensorBytes(HETRUN_DTYPE_FLOAT32, {-1, 2}), plugin::Error);
  EXPECT_THROW(TensorBytes(HETRUN_DTYPE_UNDEFINED, {2}), plugin::Error);
  EXPECT_EQ(TensorBytes(HETRUN_DTYPE_STRING, {300}), 300u);  // packed (plugin.h, minor 1): bytes
  EXPECT_TRUE(RangeFits(0, 8, 8));
  EXPECT_FALSE(RangeFits(1, 8, 8));
  EXPECT_FALSE(RangeFits(UINT64_MAX, 2, 8));
  EXPECT_FALSE(RangeFits(9, 0, 8));
}

}  // namespace
}  // namespace hetrun::cpu
