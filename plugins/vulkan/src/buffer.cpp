#include "buffer.h"

#include "device.h"
#include "errors.h"

namespace hetrun::vulkan {

std::shared_ptr<Buffer> Buffer::Create(std::shared_ptr<Device> device, uint64_t bytes,
                                       bool host_visible) {
  const uint64_t limit = device->limits().maxStorageBufferRange;
  if (!host_visible && bytes > limit) {
    // Bigger tensors need splitting across bindings, which this plugin does not do yet.
    ThrowInvalid("a buffer of " + std::to_string(bytes) +
                 " bytes exceeds the device's largest "
                 "storage buffer binding (maxStorageBufferRange = " +
                 std::to_string(limit) + " bytes)");
  }
  device->CheckNotLost();
  std::shared_ptr<Buffer> buffer(new Buffer(device, bytes));
  VkDevice vk = device->handle();
  VkBufferCreateInfo create{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  create.size = bytes == 0 ? 4 : (bytes + 3) / 4 * 4;  // Vulkan forbids empty buffers
  create.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                 VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  create.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  VkCheck(vkCreateBuffer(vk, &create, nullptr, &buffer->buffer_), "vkCreateBuffer");
  VkMemoryRequirements needs;
  vkGetBufferMemoryRequirements(vk, buffer->buffer_, &needs);
  const VkMemoryPropertyFlags host =
      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  const bool mapped = host_visible || device->unified_memory();
  VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  alloc.allocationSize = needs.size;
  alloc.memoryTypeIndex =
      mapped ? device->FindMemoryType(needs.memoryTypeBits, host,
                                      host_visible ? 0 : VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT)
             : device->FindMemoryType(needs.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0);
  VkCheck(vkAllocateMemory(vk, &alloc, nullptr, &buffer->memory_), "vkAllocateMemory");
  VkCheck(vkBindBufferMemory(vk, buffer->buffer_, buffer->memory_, 0), "vkBindBufferMemory");
  if (mapped) {
    void* pointer = nullptr;
    VkCheck(vkMapMemory(vk, buffer->memory_, 0, VK_WHOLE_SIZE, 0, &pointer), "vkMapMemory");
    buffer->mapped_ = static_cast<std::byte*>(pointer);
  }
  return buffer;
}

Buffer::~Buffer() {
  VkDevice vk = device_->handle();
  if (buffer_) vkDestroyBuffer(vk, buffer_, nullptr);
  if (memory_) vkFreeMemory(vk, memory_, nullptr);  // unmaps implicitly
}

}  // namespace hetrun::vulkan
