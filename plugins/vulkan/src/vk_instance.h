// The Vulkan instance of the plugin and the physical devices it offers, in the order `vulkan:N`
// indexes them: discrete GPUs, then integrated, virtual and CPU implementations (lavapipe). A
// machine without a usable driver yields zero devices and a reason, never a failed init.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hetrun/plugin.h"

namespace hetrun::vulkan {

// What the plugin needs to know about one physical device.
struct PhysicalDevice {
  VkPhysicalDevice handle = VK_NULL_HANDLE;
  VkPhysicalDeviceProperties properties{};
  VkPhysicalDeviceMemoryProperties memory{};
  uint32_t queue_family = 0;  // one with compute
  std::string name;           // "llvmpipe (...) [Vulkan CPU implementation]"
  hetrun_device_info info{};  // struct_size unset; info.name points into `name`
};

class Instance {
 public:
  // Never throws for a missing driver: the result then has no devices and a reason.
  static std::unique_ptr<Instance> Create();
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  VkInstance handle() const { return instance_; }
  const std::vector<PhysicalDevice>& devices() const { return devices_; }
  // Why there are no devices ("vkCreateInstance failed: VK_ERROR_INCOMPATIBLE_DRIVER"), or "".
  const std::string& unavailable_reason() const { return reason_; }

 private:
  Instance() = default;
  void Enumerate();

  VkInstance instance_ = VK_NULL_HANDLE;
  std::vector<PhysicalDevice> devices_;
  std::string reason_;
};

}  // namespace hetrun::vulkan
