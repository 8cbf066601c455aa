// An opened Vulkan device: the logical device and its compute queue, memory type choice, one-shot
// command submission with a fence, the on-disk pipeline cache and the submission thread that runs
// execute() work in order (so execute() returns at once).
#pragma once

#include <vulkan/vulkan.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "pipeline_cache.h"
#include "submission_queue.h"
#include "vk_instance.h"

namespace hetrun::vulkan {

class Device : public std::enable_shared_from_this<Device> {
 public:
  // Throws plugin::Error (UNAVAILABLE, OUT_OF_MEMORY) when the logical device cannot be created.
  static std::shared_ptr<Device> Open(const PhysicalDevice& physical);
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  VkDevice handle() const { return device_; }
  const PhysicalDevice& physical() const { return physical_; }
  const VkPhysicalDeviceLimits& limits() const { return physical_.properties.limits; }
  // shaderInt64, enabled when the device has it: int64 tensors need it.
  bool shader_int64() const { return shader_int64_; }
  // Valid bits of the compute queue's timestamps; 0 when it has none (execute is then timed by the
  // submission thread's clock).
  uint32_t timestamp_bits() const { return timestamp_bits_; }
  // device_options.profile_nodes: runs write a timestamp after each kernel (event_node_times).
  void set_profile_nodes(bool on) { profile_nodes_ = on; }
  bool profile_nodes() const { return profile_nodes_; }
  VkPipelineCache pipeline_cache() const;

  // Memory type index with `required` flags (preferring `preferred` too) among `type_bits`;
  // throws OUT_OF_MEMORY naming `what` when there is none.
  uint32_t FindMemoryType(uint32_t type_bits, VkMemoryPropertyFlags required,
                          VkMemoryPropertyFlags preferred) const;
  // True when buffers are host-visible device memory (no staging copies needed).
  bool unified_memory() const { return unified_memory_; }

  // Records commands with `record` into a one-shot command buffer, submits it and waits for its
  // fence. Thread-safe. Throws plugin::Error; VK_ERROR_DEVICE_LOST marks the device lost for good.
  void RunCommands(const std::function<void(VkCommandBuffer)>& record);
  // Throws DEVICE_LOST once the device has been lost.
  void CheckNotLost() const;

  // Queues work for the submission thread; throws UNAVAILABLE after Close().
  void Submit(std::function<void()> work) { queue_.Submit(std::move(work)); }
  // Finishes queued work and saves the pipeline cache. Idempotent.
  void Close();

 private:
  explicit Device(const PhysicalDevice& physical) : physical_(physical) {}
  void Create();

  PhysicalDevice physical_;
  VkDevice device_ = VK_NULL_HANDLE;
  VkQueue queue_handle_ = VK_NULL_HANDLE;
  std::mutex pool_mutex_;  // guards the command pool and the queue (externally synchronised)
  VkCommandPool pool_ = VK_NULL_HANDLE;
  bool unified_memory_ = false;
  bool shader_int64_ = false;
  uint32_t timestamp_bits_ = 0;
  bool profile_nodes_ = false;  // set once, at open
  std::atomic<bool> lost_{false};
  std::unique_ptr<PipelineCache> cache_;
  SubmissionQueue queue_;  // last: its thread stops (Close) before the rest goes
};

}  // namespace hetrun::vulkan
