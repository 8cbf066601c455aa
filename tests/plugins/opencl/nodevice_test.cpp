// A machine without an OpenCL platform: both plugins initialise with zero devices and say why.
// The test's environment points OCL_ICD_VENDORS at an empty directory (see CMakeLists.txt).
#include <gtest/gtest.h>

#include <string>

#include "plugin_session.h"

namespace hetrun::test {
namespace {

class NoDevice : public ::testing::TestWithParam<const char*> {};

TEST_P(NoDevice, ZeroDevicesWithAReason) {
  const hetrun_plugin_v1* p = LoadPlugin(GetParam());
  ASSERT_NE(p, nullptr);
  void* self = nullptr;
  CL_ASSERT_OK(p->init(TestHost(), &self));
  uint32_t count = 7;
  CL_ASSERT_OK(p->device_count(self, &count));
  EXPECT_EQ(count, 0u);
  const char* reason = p->unavailable_reason(self);
  ASSERT_NE(reason, nullptr);
  EXPECT_NE(std::string(reason).find("no OpenCL platform found"), std::string::npos) << reason;
  hetrun_device_t dev = nullptr;
  Status open(p->device_open(self, 0, nullptr, &dev));
  EXPECT_EQ(open.code(), HETRUN_STATUS_NOT_FOUND);
  EXPECT_NE(open.message().find("no OpenCL platform found"), std::string::npos) << open.message();
  p->shutdown(self);
}

INSTANTIATE_TEST_SUITE_P(Plugins, NoDevice, ::testing::Values("opencl", "npu"));

}  // namespace
}  // namespace hetrun::test
