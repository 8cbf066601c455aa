// A device buffer: a VkBuffer with its own memory. Mapped persistently when the memory is host
// visible (lavapipe, integrated GPUs); otherwise buffer_write/read go through a staging copy. The
// buffer keeps its Device alive, so work in flight never outlives the VkDevice it runs on.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <memory>

namespace hetrun::vulkan {

class Device;

class Buffer {
 public:
  // Throws plugin::Error: OUT_OF_MEMORY when the device has no room, INVALID_ARGUMENT above the
  // device's largest storage-buffer binding. `host_visible` asks for mapped host memory (staging).
  static std::shared_ptr<Buffer> Create(std::shared_ptr<Device> device, uint64_t bytes,
                                        bool host_visible = false);
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  VkBuffer handle() const { return buffer_; }
  uint64_t bytes() const { return bytes_; }
  // The mapped bytes, or nullptr when the memory is not host visible.
  std::byte* mapped() const { return mapped_; }
  Device& device() const { return *device_; }

 private:
  Buffer(std::shared_ptr<Device> device, uint64_t bytes)
      : device_(std::move(device)), bytes_(bytes) {}

  std::shared_ptr<Device> device_;
  uint64_t bytes_;
  VkBuffer buffer_ = VK_NULL_HANDLE;
  VkDeviceMemory memory_ = VK_NULL_HANDLE;
  std::byte* mapped_ = nullptr;
};

}  // namespace hetrun::vulkan
