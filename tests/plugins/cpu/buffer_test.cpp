// Buffers: allocation, synchronous reads and writes with bounds checks, mapping, and allocation
// failure as a status.
#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "plugin_fixture.h"

namespace hetrun::test {
namespace {

using CpuBuffer = CpuPluginTest;

TEST_F(CpuBuffer, WriteThenReadRoundTrips) {
  std::vector<float> values(257);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i) * 0.5f - 3;
  hetrun_buffer_t buffer = Upload(values);
  EXPECT_EQ(Download(buffer, values.size()), values);

  // A partial write at an offset changes only those bytes.
  const float patch[2] = {100, 200};
  HT_ASSERT_OK(p_->buffer_write(dev_, buffer, 10 * sizeof(float), patch, sizeof patch));
  values[10] = 100;
  values[11] = 200;
  EXPECT_EQ(Download(buffer, values.size()), values);
  EXPECT_EQ(Download(buffer, 2, 10 * sizeof(float)), (std::vector<float>{100, 200}));
}

TEST_F(CpuBuffer, MapGivesTheBytesAlignedFor64) {
  hetrun_buffer_t buffer = Upload({1, 2, 3, 4});
  void* ptr = nullptr;
  HT_ASSERT_OK(p_->buffer_map(dev_, buffer, &ptr));
  ASSERT_NE(ptr, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(ptr) % 64, 0u);
  EXPECT_EQ(static_cast<float*>(ptr)[2], 3.0f);
  static_cast<float*>(ptr)[2] = 7;  // zero-copy: visible to buffer_read
  EXPECT_EQ(Download(buffer, 4), (std::vector<float>{1, 2, 7, 4}));
  EXPECT_EQ(Status(p_->buffer_map(dev_, buffer, nullptr)).code(), HETRUN_STATUS_INVALID_ARGUMENT);
}

TEST_F(CpuBuffer, ZeroBytesIsAValidBuffer) {
  hetrun_buffer_t buffer = Allocate(0);
  ASSERT_NE(buffer, nullptr);
  HT_EXPECT_OK(p_->buffer_write(dev_, buffer, 0, nullptr, 0));
  HT_EXPECT_OK(p_->buffer_read(dev_, buffer, 0, nullptr, 0));
  float x = 0;
  EXPECT_EQ(Status(p_->buffer_write(dev_, buffer, 0, &x, 1)).code(),
            HETRUN_STATUS_INVALID_ARGUMENT);
}

TEST_F(CpuBuffer, OutOfBoundsAccessIsAnInvalidArgument) {
  hetrun_buffer_t buffer = Allocate(64);
  std::vector<uint8_t> bytes(65, 0x5A);
  // Past the end, straddling the end, and offsets that overflow when added to the size.
  struct Case {
    uint64_t offset, size;
  };
  for (Case c : {Case{0, 65}, Case{60, 8}, Case{65, 0}, Case{UINT64_MAX, 2},
                 Case{8, UINT64_MAX - 4}, Case{UINT64_MAX, 0}}) {
    Status write(p_->buffer_write(dev_, buffer, c.offset, bytes.data(), c.size));
    EXPECT_EQ(write.code(), HETRUN_STATUS_INVALID_ARGUMENT) << c.offset << "+" << c.size;
    EXPECT_FALSE(write.message().empty());
    Status read(p_->buffer_read(dev_, buffer, c.offset, bytes.data(), c.size));
    EXPECT_EQ(read.code(), HETRUN_STATUS_INVALID_ARGUMENT) << c.offset << "+" << c.size;
  }
  // Exactly up to the end is fine.
  HT_EXPECT_OK(p_->buffer_write(dev_, buffer, 60, bytes.data(), 4));
  HT_EXPECT_OK(p_->buffer_read(dev_, buffer, 64, bytes.data(), 0));
  // A NULL source or destination with bytes to copy.
  EXPECT_EQ(Status(p_->buffer_write(dev_, buffer, 0, nullptr, 4)).code(),
            HETRUN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(Status(p_->buffer_read(dev_, buffer, 0, nullptr, 4)).code(),
            HETRUN_STATUS_INVALID_ARGUMENT);
}

TEST_F(CpuBuffer, HugeAllocationIsOutOfMemoryNotACrash) {
  for (uint64_t bytes : {uint64_t{1} << 62, UINT64_MAX, UINT64_MAX - 63}) {
    hetrun_buffer_t buffer = reinterpret_cast<hetrun_buffer_t>(0x1);
    Status status(p_->buffer_alloc(dev_, bytes, &buffer));
    EXPECT_EQ(status.code(), HETRUN_STATUS_OUT_OF_MEMORY) << bytes;
    EXPECT_NE(status.message().find(std::to_string(bytes)), std::string::npos) << status.message();
    EXPECT_EQ(buffer, reinterpret_cast<hetrun_buffer_t>(0x1)) << "out-parameter touched";
  }
  // The device still works afterwards.
  EXPECT_EQ(Download(Upload({42}), 1), std::vector<float>{42});
}

TEST_F(CpuBuffer, ManyThreadsAllocateAndCopyAtOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        hetrun_buffer_t buffer = nullptr;
        Status alloc(p_->buffer_alloc(dev_, 1024, &buffer));
        std::vector<int32_t> in(256, t * 1000 + i), out(256);
        Status write(p_->buffer_write(dev_, buffer, 0, in.data(), 1024));
        Status read(p_->buffer_read(dev_, buffer, 0, out.data(), 1024));
        if (!alloc.ok() || !write.ok() || !read.ok() || in != out) ++failures;
        p_->buffer_release(dev_, buffer);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace hetrun::test
