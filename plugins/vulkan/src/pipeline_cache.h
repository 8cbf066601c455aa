// A VkPipelineCache kept on disk, one file per device model and driver version, in
// $HETRUN_VULKAN_CACHE_DIR, else $XDG_CACHE_HOME/hetrun/vulkan, else ~/.cache/hetrun/vulkan.
// Reading or writing the file may fail (read-only home, full disk): that is only logged.
#pragma once

#include <vulkan/vulkan.h>

#include <string>

namespace hetrun::vulkan {

struct PhysicalDevice;

class PipelineCache {
 public:
  PipelineCache(VkDevice device, const PhysicalDevice& physical);
  ~PipelineCache();  // destroys the cache object (Save first to keep it)
  PipelineCache(const PipelineCache&) = delete;
  PipelineCache& operator=(const PipelineCache&) = delete;

  VkPipelineCache handle() const { return cache_; }
  void Save() const;
  // The directory chosen from the environment ("" when none can be had).
  static std::string Directory();

 private:
  VkDevice device_;
  VkPipelineCache cache_ = VK_NULL_HANDLE;
  std::string path_;
};

}  // namespace hetrun::vulkan
