// The arena's chunk outlives the arena on its thread: the next run's arena of a similar size takes
// it instead of allocating (no system allocation or page faults per run).
#include <gtest/gtest.h>

#include <new>
#include <thread>

#include "arena.h"

namespace hetrun::cpu {
namespace {

TEST(ArenaReuse, TheNextArenaOnTheThreadGetsTheSameChunk) {
  void* first = nullptr;
  {
    Arena arena(4096);
    first = arena.Allocate(100);
  }
  // Had the chunk gone back to malloc, this same-sized request would most likely take it.
  void* grab = ::operator new[](4096, std::align_val_t{kTensorAlignment});
  void* second = nullptr;
  {
    Arena arena(4096);
    second = arena.Allocate(100);
  }
  ::operator delete[](grab, std::align_val_t{kTensorAlignment});
  EXPECT_EQ(second, first);
}

TEST(ArenaReuse, AChunkFarLargerThanNeededOrOnAnotherThreadIsNotTaken) {
  void* big = nullptr;
  {
    Arena arena(1 << 20);
    big = arena.Allocate(100);
  }
  void* small = nullptr;
  {
    Arena arena(4096);  // the 1 MiB spare would waste more than half of itself
    small = arena.Allocate(100);
  }
  EXPECT_NE(small, big);

  void* elsewhere = nullptr;
  std::thread([&] {
    Arena arena(4096);
    elsewhere = arena.Allocate(100);
  }).join();
  EXPECT_NE(elsewhere, small);  // the spare is this thread's
}

TEST(ArenaReuse, ReusedMemoryStartsAsAFreshArena) {
  {
    Arena arena(4096);
    arena.Allocate(1000);
    arena.Allocate(1000);
  }
  Arena arena(4096);
  EXPECT_EQ(arena.in_use_bytes(), 0u);
  void* a = arena.Allocate(2000);
  void* b = arena.Allocate(2000);
  EXPECT_NE(a, b);
  EXPECT_EQ(arena.reserved_bytes(), 4096u);
}

}  // namespace
}  // namespace hetrun::cpu
