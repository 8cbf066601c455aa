// The driver table (cuda_driver.h) against the CUDA toolkit's stub libcuda.so, which exports every
// driver entry point but refuses to run: each name the table loads (cuda.h's _v2 spellings
// included) must exist there, and cuInit's refusal must become the reason for zero devices.
#include <gtest/gtest.h>

#include <string>

#include "cuda_driver.h"
#include "cuda_target.h"

namespace hetrun::cuda {
namespace {

TEST(CudaDriver, EveryTableEntryExistsInTheToolkitsDriverStub) {
  if (std::string(HETRUN_CUDA_STUB).empty())
    GTEST_SKIP() << "the CUDA toolkit has no stubs/libcuda.so";
  const Driver driver = LoadDriver(HETRUN_CUDA_STUB);
  EXPECT_EQ(driver.reason.find("lacks"), std::string::npos) << driver.reason;
  EXPECT_NE(driver.reason.find("cuInit failed"), std::string::npos) << driver.reason;
  EXPECT_EQ(driver.api, nullptr);
  EXPECT_TRUE(driver.gpus.empty());
}

TEST(CudaDriver, NoLibraryMeansDriverNotFound) {
  const Driver driver = LoadDriver("libhetrun-no-such-driver.so.1");
  EXPECT_NE(driver.reason.find("NVIDIA driver not found"), std::string::npos) << driver.reason;
  EXPECT_NE(driver.reason.find("libhetrun-no-such-driver.so.1"), std::string::npos)
      << driver.reason;
  EXPECT_EQ(driver.api, nullptr);
}

TEST(CudaDriver, ErrorsMapToStatusCodes) {
  EXPECT_EQ(StatusOf(CUDA_ERROR_OUT_OF_MEMORY), HETRUN_STATUS_OUT_OF_MEMORY);
  EXPECT_EQ(StatusOf(CUDA_ERROR_ILLEGAL_ADDRESS), HETRUN_STATUS_DEVICE_LOST);
  EXPECT_EQ(StatusOf(CUDA_ERROR_NO_DEVICE), HETRUN_STATUS_UNAVAILABLE);
  EXPECT_EQ(StatusOf(CUDA_ERROR_STUB_LIBRARY), HETRUN_STATUS_UNAVAILABLE);
  EXPECT_EQ(StatusOf(CUDA_ERROR_INVALID_VALUE), HETRUN_STATUS_INTERNAL);
}

TEST(CudaTarget, DeviceLimitsForTheGeneratorWithFallbacks) {
  const CudaTarget offline = OfflineTarget();
  EXPECT_EQ(offline.arch, 90);
  EXPECT_TRUE(offline.limits.int64);
  EXPECT_EQ(offline.max_bindings, 32u);
  EXPECT_EQ(offline.limits.max_groups[0], 2147483647u);

  const uint32_t grid[3] = {1000, 500, 0};  // z unknown (0): keep the default
  CudaTarget t = DeviceTarget(8, 6, uint64_t{1} << 28, grid);
  EXPECT_EQ(t.arch, 86);
  EXPECT_EQ(t.limits.max_buffer_bytes, uint64_t{1} << 28);  // a small device's memory
  EXPECT_EQ(t.limits.max_groups[0], 1000u);
  EXPECT_EQ(t.limits.max_groups[1], 500u);
  EXPECT_EQ(t.limits.max_groups[2], 65535u);
  t = DeviceTarget(9, 0, uint64_t{80} << 30, grid);
  EXPECT_EQ(t.limits.max_buffer_bytes, uint64_t{1} << 31);  // 32-bit indexing caps tensors
}

}  // namespace
}  // namespace hetrun::cuda
