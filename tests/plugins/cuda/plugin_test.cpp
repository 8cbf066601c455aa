// The CUDA plugin as the host sees it. On a machine without the NVIDIA driver: it loads, reports
// zero devices and why, refuses to open one; `hetrun devices` lists it and `--devices cuda` fails
// naming it. With a GPU, the tiny CNN runs on it and matches the CPU (--check); without, that test
// skips with the reason.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <string>

#include "cli_support.h"
#include "hetrun/plugin_api/host_services.h"
#include "hetrun/plugin_api/plugin_library.h"

namespace hetrun::test {
namespace {

const std::string kPlugin = std::string(HETRUN_PLUGIN_DIR) + "/libhetrun_plugin_cuda.so";

bool DriverInstalled() {
  void* driver = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (driver) dlclose(driver);
  return driver != nullptr;
}

TEST(CudaPlugin, LoadsWithZeroDevicesAndTheReasonWithoutADriver) {
  if (DriverInstalled()) GTEST_SKIP() << "libcuda.so.1 is installed here: not a driverless machine";
  auto loaded = plugin_api::PluginLibrary::Load(kPlugin);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  plugin_api::PluginLibrary& library = **loaded;
  EXPECT_EQ(library.name(), "cuda");
  const hetrun_plugin_v1& api = library.table();
  uint32_t count = 7;
  hetrun_status_t status = api.device_count(library.self(), &count);
  ASSERT_TRUE(plugin_api::TakeStatus(status, "device_count").ok());
  EXPECT_EQ(count, 0u);
  const char* reason = api.unavailable_reason(library.self());
  ASSERT_NE(reason, nullptr);
  EXPECT_NE(std::string(reason).find("driver not found"), std::string::npos) << reason;
  EXPECT_NE(std::string(reason).find("libcuda.so.1"), std::string::npos) << reason;

  hetrun_device_t device = nullptr;
  status = api.device_open(library.self(), 0, nullptr, &device);
  const Status open = plugin_api::TakeStatus(status, "device_open");
  EXPECT_EQ(open.code(), StatusCode::kNotFound);
  EXPECT_NE(open.message().find("driver not found"), std::string::npos) << open.message();
  EXPECT_EQ(device, nullptr);
}

TEST(CudaPlugin, DevicesCommandListsItWithItsReason) {
  if (DriverInstalled()) GTEST_SKIP() << "libcuda.so.1 is installed here: not a driverless machine";
  const Command c = RunHetrun("devices", "", "cuda_devices");
  EXPECT_EQ(c.exit_code, 0) << c.err;
  const size_t at = c.out.find("cuda 0.1.0");
  ASSERT_NE(at, std::string::npos) << c.out;
  const std::string line = c.out.substr(at, c.out.find('\n', at) - at);
  EXPECT_NE(line.find("0 device"), std::string::npos) << line;
  EXPECT_NE(c.out.find("driver not found"), std::string::npos) << c.out;
}

TEST(CudaPlugin, DevicesCudaIsAClearError) {
  if (DriverInstalled()) GTEST_SKIP() << "libcuda.so.1 is installed here: not a driverless machine";
  const Command c = RunHetrun("--devices cuda " + std::string(HETRUN_MODELS_DIR) + "/tiny_cnn.onnx",
                              "", "cuda_run");
  EXPECT_NE(c.exit_code, 0);
  EXPECT_NE(c.err.find("cuda"), std::string::npos) << c.err;
  EXPECT_NE(c.err.find("driver not found"), std::string::npos) << c.err;
}

TEST(CudaPlugin, TinyCnnOnTheGpuMatchesTheCpu) {
  if (!DriverInstalled()) GTEST_SKIP() << "no NVIDIA driver (libcuda.so.1) on this machine";
  auto loaded = plugin_api::PluginLibrary::Load(kPlugin);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  uint32_t count = 0;
  (*loaded)->table().device_count((*loaded)->self(), &count);
  if (count == 0)
    GTEST_SKIP() << "no CUDA device: " << (*loaded)->table().unavailable_reason((*loaded)->self());
  const Command c =
      RunHetrun("--devices cuda --check " + std::string(HETRUN_MODELS_DIR) + "/tiny_cnn.onnx", "",
                "cuda_gpu");
  EXPECT_EQ(c.exit_code, 0) << c.out << c.err;
}

}  // namespace
}  // namespace hetrun::test
