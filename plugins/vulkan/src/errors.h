// Error helpers of the Vulkan plugin: VkResult to ABI status codes (device loss and out-of-memory
// are typed, never an abort). The device-independent helpers are in gen_errors.h.
#pragma once

#include <vulkan/vulkan.h>

#include <string>

#include "gen_errors.h"
#include "hetrun/plugin.h"
#include "hetrun/plugin.hpp"

namespace hetrun::vulkan {

const char* VkResultName(VkResult result);

// The ABI code a failed VkResult stands for.
inline hetrun_status_code_t StatusCodeOf(VkResult result) {
  switch (result) {
    case VK_ERROR_DEVICE_LOST: return HETRUN_STATUS_DEVICE_LOST;
    case VK_ERROR_OUT_OF_HOST_MEMORY:
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
    case VK_ERROR_FRAGMENTED_POOL:
    case VK_ERROR_OUT_OF_POOL_MEMORY: return HETRUN_STATUS_OUT_OF_MEMORY;
    case VK_TIMEOUT: return HETRUN_STATUS_TIMEOUT;
    case VK_ERROR_INCOMPATIBLE_DRIVER:
    case VK_ERROR_INITIALIZATION_FAILED: return HETRUN_STATUS_UNAVAILABLE;
    default: return HETRUN_STATUS_INTERNAL;
  }
}

// Throws plugin::Error("<what> failed: VK_ERROR_...") with the mapped code unless `result` is
// VK_SUCCESS.
inline void VkCheck(VkResult result, const char* what) {
  if (result == VK_SUCCESS) return;
  throw plugin::Error(StatusCodeOf(result), std::string(what) + " failed: " + VkResultName(result));
}

}  // namespace hetrun::vulkan
