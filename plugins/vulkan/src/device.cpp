#include "device.h"

#include <cstdlib>
#include <cstring>
#include <vector>

#include "errors.h"
#include "pipeline_cache.h"

namespace hetrun::vulkan {

std::shared_ptr<Device> Device::Open(const PhysicalDevice& physical) {
  std::shared_ptr<Device> device(new Device(physical));
  device->Create();
  return device;
}

void Device::Create() {
  const float priority = 1.0f;
  VkDeviceQueueCreateInfo queue{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  queue.queueFamilyIndex = physical_.queue_family;
  queue.queueCount = 1;
  queue.pQueuePriorities = &priority;
  VkPhysicalDeviceFeatures supported{};
  vkGetPhysicalDeviceFeatures(physical_.handle, &supported);
  VkPhysicalDeviceFeatures enabled{};
  enabled.shaderInt64 = supported.shaderInt64;
  shader_int64_ = supported.shaderInt64 == VK_TRUE;
  VkDeviceCreateInfo create{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  create.queueCreateInfoCount = 1;
  create.pQueueCreateInfos = &queue;
  create.pEnabledFeatures = &enabled;
  VkCheck(vkCreateDevice(physical_.handle, &create, nullptr, &device_), "vkCreateDevice");
  uint32_t families = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(physical_.handle, &families, nullptr);
  std::vector<VkQueueFamilyProperties> family(families);
  vkGetPhysicalDeviceQueueFamilyProperties(physical_.handle, &families, family.data());
  // A period of 0 would make every time 0: treat it as no timestamps.
  if (physical_.queue_family < families && physical_.properties.limits.timestampPeriod > 0) {
    timestamp_bits_ = family[physical_.queue_family].timestampValidBits;
  }
  vkGetDeviceQueue(device_, physical_.queue_family, 0, &queue_handle_);
  VkCommandPoolCreateInfo pool{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pool.flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT;
  pool.queueFamilyIndex = physical_.queue_family;
  VkCheck(vkCreateCommandPool(device_, &pool, nullptr, &pool_), "vkCreateCommandPool");

  // Unified memory: every device-local type is also host visible and coherent (lavapipe, most
  // integrated GPUs), so buffers are mapped and need no staging. HETRUN_VULKAN_FORCE_STAGING=1
  // takes the discrete-GPU path anyway, which is how the tests cover it on lavapipe.
  unified_memory_ = true;
  for (uint32_t t = 0; t < physical_.memory.memoryTypeCount; ++t) {
    const VkMemoryPropertyFlags flags = physical_.memory.memoryTypes[t].propertyFlags;
    const VkMemoryPropertyFlags host =
        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    if ((flags & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) && (flags & host) != host) {
      unified_memory_ = false;
    }
  }
  const char* force = std::getenv("HETRUN_VULKAN_FORCE_STAGING");
  if (force && std::strcmp(force, "1") == 0) unified_memory_ = false;
  cache_ = std::make_unique<PipelineCache>(device_, physical_);
}

Device::~Device() {
  Close();
  cache_.reset();
  if (pool_) vkDestroyCommandPool(device_, pool_, nullptr);
  if (device_) vkDestroyDevice(device_, nullptr);
}

void Device::Close() {
  queue_.Close();
  if (cache_) cache_->Save();
}

VkPipelineCache Device::pipeline_cache() const {
  return cache_ ? cache_->handle() : VK_NULL_HANDLE;
}

uint32_t Device::FindMemoryType(uint32_t type_bits, VkMemoryPropertyFlags required,
                                VkMemoryPropertyFlags preferred) const {
  int32_t fallback = -1;
  for (uint32_t t = 0; t < physical_.memory.memoryTypeCount; ++t) {
    if (!(type_bits & (1u << t))) continue;
    const VkMemoryPropertyFlags flags = physical_.memory.memoryTypes[t].propertyFlags;
    if ((flags & required) != required) continue;
    if ((flags & preferred) == preferred) return t;
    if (fallback < 0) fallback = static_cast<int32_t>(t);
  }
  if (fallback < 0) {
    throw plugin::Error(HETRUN_STATUS_OUT_OF_MEMORY, "the device has no suitable memory type");
  }
  return static_cast<uint32_t>(fallback);
}

void Device::CheckNotLost() const {
  if (lost_.load()) {
    throw plugin::Error(HETRUN_STATUS_DEVICE_LOST,
                        "the Vulkan device was lost (VK_ERROR_DEVICE_LOST); reopen it");
  }
}

void Device::RunCommands(const std::function<void(VkCommandBuffer)>& record) {
  CheckNotLost();
  VkCommandBuffer commands = VK_NULL_HANDLE;
  VkFence fence = VK_NULL_HANDLE;
  auto cleanup = [&] {
    std::lock_guard lock(pool_mutex_);
    if (commands) vkFreeCommandBuffers(device_, pool_, 1, &commands);
    if (fence) vkDestroyFence(device_, fence, nullptr);
  };
  try {
    VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkCheck(vkCreateFence(device_, &fence_info, nullptr, &fence), "vkCreateFence");
    {
      std::lock_guard lock(pool_mutex_);
      VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
      alloc.commandPool = pool_;
      alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
      alloc.commandBufferCount = 1;
      VkCheck(vkAllocateCommandBuffers(device_, &alloc, &commands), "vkAllocateCommandBuffers");
      VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
      begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
      VkCheck(vkBeginCommandBuffer(commands, &begin), "vkBeginCommandBuffer");
      record(commands);
      // Device writes become visible to host reads of mapped memory after the fence.
      VkMemoryBarrier to_host{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
      to_host.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
      to_host.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
      vkCmdPipelineBarrier(commands,
                           VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                           VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &to_host, 0, nullptr, 0, nullptr);
      VkCheck(vkEndCommandBuffer(commands), "vkEndCommandBuffer");
      VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
      submit.commandBufferCount = 1;
      submit.pCommandBuffers = &commands;
      VkCheck(vkQueueSubmit(queue_handle_, 1, &submit, fence), "vkQueueSubmit");
    }
    // Outside the lock: other threads may submit (staging copies) while this one waits.
    VkCheck(vkWaitForFences(device_, 1, &fence, VK_TRUE, UINT64_MAX), "vkWaitForFences");
  } catch (const plugin::Error& e) {
    if (e.code() == HETRUN_STATUS_DEVICE_LOST) lost_ = true;
    cleanup();
    throw;
  } catch (...) {
    cleanup();
    throw;
  }
  cleanup();
}

}  // namespace hetrun::vulkan
