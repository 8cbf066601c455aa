// A machine without a Vulkan driver: init succeeds with zero devices and says why. The test's
// environment points VK_DRIVER_FILES at a file that does not exist (see CMakeLists.txt).
#include <gtest/gtest.h>

#include <string>

#include "plugin_session.h"

namespace hetrun::test {
namespace {

TEST(VulkanNoDevice, ZeroDevicesWithAReason) {
  const hetrun_plugin_v1* p = LoadPlugin("vulkan");
  ASSERT_NE(p, nullptr);
  void* self = nullptr;
  VK_ASSERT_OK(p->init(TestHost(), &self));
  uint32_t count = 7;
  VK_ASSERT_OK(p->device_count(self, &count));
  EXPECT_EQ(count, 0u);
  const char* reason = p->unavailable_reason(self);
  ASSERT_NE(reason, nullptr);
  EXPECT_NE(std::string(reason).find("vkCreateInstance failed: VK_ERROR_INCOMPATIBLE_DRIVER"),
            std::string::npos)
      << reason;
  hetrun_device_t dev = nullptr;
  Status open(p->device_open(self, 0, nullptr, &dev));
  EXPECT_EQ(open.code(), HETRUN_STATUS_NOT_FOUND);
  EXPECT_NE(open.message().find("VK_ERROR_INCOMPATIBLE_DRIVER"), std::string::npos);
  p->shutdown(self);
}

}  // namespace
}  // namespace hetrun::test
