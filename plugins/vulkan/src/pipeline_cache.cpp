#include "pipeline_cache.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <vector>

#include "errors.h"
#include "vk_instance.h"

namespace hetrun::vulkan {
namespace {

std::string CacheFileName(const VkPhysicalDeviceProperties& p) {
  char name[160];
  std::snprintf(name, sizeof name, "pipelines-%04x-%04x-%08x-", p.vendorID, p.deviceID,
                p.driverVersion);
  std::string text = name;
  for (uint8_t byte : p.pipelineCacheUUID) {
    std::snprintf(name, sizeof name, "%02x", byte);
    text += name;
  }
  return text + ".bin";
}

}  // namespace

std::string PipelineCache::Directory() {
  if (const char* dir = std::getenv("HETRUN_VULKAN_CACHE_DIR"); dir && *dir) return dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    return std::string(xdg) + "/hetrun/vulkan";
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return std::string(home) + "/.cache/hetrun/vulkan";
  }
  return "";
}

PipelineCache::PipelineCache(VkDevice device, const PhysicalDevice& physical) : device_(device) {
  const std::string dir = Directory();
  std::vector<char> data;
  if (!dir.empty()) {
    path_ = dir + "/" + CacheFileName(physical.properties);
    std::ifstream in(path_, std::ios::binary);
    if (in) data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  VkPipelineCacheCreateInfo create{VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO};
  create.initialDataSize = data.size();
  create.pInitialData = data.empty() ? nullptr : data.data();
  // The driver checks the header and ignores data of another device or version.
  if (vkCreatePipelineCache(device_, &create, nullptr, &cache_) != VK_SUCCESS) {
    create.initialDataSize = 0;
    create.pInitialData = nullptr;
    if (vkCreatePipelineCache(device_, &create, nullptr, &cache_) != VK_SUCCESS) {
      cache_ = VK_NULL_HANDLE;  // pipelines are then built without a cache
    }
  }
}

PipelineCache::~PipelineCache() {
  if (cache_) vkDestroyPipelineCache(device_, cache_, nullptr);
}

void PipelineCache::Save() const {
  if (!cache_ || path_.empty()) return;
  size_t size = 0;
  if (vkGetPipelineCacheData(device_, cache_, &size, nullptr) != VK_SUCCESS || size == 0) return;
  std::vector<char> data(size);
  if (vkGetPipelineCacheData(device_, cache_, &size, data.data()) != VK_SUCCESS) return;
  std::error_code error;
  const std::filesystem::path path(path_);
  std::filesystem::create_directories(path.parent_path(), error);
  // Written aside and renamed, so a concurrent reader never sees half a file.
  const std::string temp = path_ + ".tmp" + std::to_string(reinterpret_cast<uintptr_t>(this));
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(size));
    if (!out) {
      plugin::Log(HETRUN_LOG_DEBUG, "could not write the pipeline cache " + temp);
      std::filesystem::remove(temp, error);
      return;
    }
  }
  std::filesystem::rename(temp, path, error);
  if (error) {
    plugin::Log(HETRUN_LOG_DEBUG,
                "could not write the pipeline cache " + path_ + ": " + error.message());
    std::filesystem::remove(temp, error);
  }
}

}  // namespace hetrun::vulkan
