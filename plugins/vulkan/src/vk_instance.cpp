#include "vk_instance.h"

#include <algorithm>
#include <thread>

#include "errors.h"

namespace hetrun::vulkan {

const char* VkResultName(VkResult result) {
  switch (result) {
#define HETRUN_VK_CASE(x) \
  case x: return #x;
    HETRUN_VK_CASE(VK_SUCCESS)
    HETRUN_VK_CASE(VK_NOT_READY)
    HETRUN_VK_CASE(VK_TIMEOUT)
    HETRUN_VK_CASE(VK_INCOMPLETE)
    HETRUN_VK_CASE(VK_ERROR_OUT_OF_HOST_MEMORY)
    HETRUN_VK_CASE(VK_ERROR_OUT_OF_DEVICE_MEMORY)
    HETRUN_VK_CASE(VK_ERROR_INITIALIZATION_FAILED)
    HETRUN_VK_CASE(VK_ERROR_DEVICE_LOST)
    HETRUN_VK_CASE(VK_ERROR_MEMORY_MAP_FAILED)
    HETRUN_VK_CASE(VK_ERROR_LAYER_NOT_PRESENT)
    HETRUN_VK_CASE(VK_ERROR_EXTENSION_NOT_PRESENT)
    HETRUN_VK_CASE(VK_ERROR_FEATURE_NOT_PRESENT)
    HETRUN_VK_CASE(VK_ERROR_INCOMPATIBLE_DRIVER)
    HETRUN_VK_CASE(VK_ERROR_TOO_MANY_OBJECTS)
    HETRUN_VK_CASE(VK_ERROR_FORMAT_NOT_SUPPORTED)
    HETRUN_VK_CASE(VK_ERROR_FRAGMENTED_POOL)
    HETRUN_VK_CASE(VK_ERROR_OUT_OF_POOL_MEMORY)
    HETRUN_VK_CASE(VK_ERROR_UNKNOWN)
#undef HETRUN_VK_CASE
    default: return "VkResult (unknown)";
  }
}

namespace {

// discrete GPU > integrated > virtual > CPU > other.
int TypeRank(VkPhysicalDeviceType type) {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 0;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 1;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return 3;
    default: return 4;
  }
}

// Rough speeds for the partitioner's cost model; Vulkan reports none. A CPU implementation runs
// shaders on the host's threads, far below the silicon's peak.
void FillInfo(PhysicalDevice& device) {
  hetrun_device_info& info = device.info;
  info.name = device.name.c_str();
  info.kind = HETRUN_DEVICE_GPU;
  info.flags = 0;
  uint64_t device_local = 0;
  for (uint32_t h = 0; h < device.memory.memoryHeapCount; ++h) {
    const VkMemoryHeap& heap = device.memory.memoryHeaps[h];
    if (heap.flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) device_local += heap.size;
  }
  info.memory_bytes = device_local;
  const uint32_t threads = std::max(1u, std::thread::hardware_concurrency());
  switch (device.properties.deviceType) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
      info.compute_units = 32, info.peak_gflops = 10000, info.memory_gbps = 400;
      info.host_link_gbps = 12, info.host_link_latency_us = 10;
      break;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
      info.compute_units = 8, info.peak_gflops = 1000, info.memory_gbps = 50;
      info.host_link_gbps = 10, info.host_link_latency_us = 10;
      break;
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
      info.compute_units = threads, info.peak_gflops = 4.0 * threads, info.memory_gbps = 8;
      info.host_link_gbps = 8, info.host_link_latency_us = 30;
      break;
    default:
      info.compute_units = 4, info.peak_gflops = 200, info.memory_gbps = 20;
      info.host_link_gbps = 4, info.host_link_latency_us = 30;
      break;
  }
}

}  // namespace

std::unique_ptr<Instance> Instance::Create() {
  std::unique_ptr<Instance> instance(new Instance());
  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "hetrun";
  app.pEngineName = "hetrun";
  app.apiVersion = VK_API_VERSION_1_1;
  VkInstanceCreateInfo create{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  create.pApplicationInfo = &app;  // no layers: VK_INSTANCE_LAYERS still adds them for debugging
  const VkResult result = vkCreateInstance(&create, nullptr, &instance->instance_);
  if (result != VK_SUCCESS) {
    instance->instance_ = VK_NULL_HANDLE;
    instance->reason_ = std::string("vkCreateInstance failed: ") + VkResultName(result) +
                        " (no Vulkan driver; install mesa-vulkan-drivers for lavapipe)";
    return instance;
  }
  instance->Enumerate();
  return instance;
}

Instance::~Instance() {
  if (instance_) vkDestroyInstance(instance_, nullptr);
}

void Instance::Enumerate() {
  uint32_t count = 0;
  VkResult result = vkEnumeratePhysicalDevices(instance_, &count, nullptr);
  std::vector<VkPhysicalDevice> handles(count);
  if (result == VK_SUCCESS && count > 0) {
    result = vkEnumeratePhysicalDevices(instance_, &count, handles.data());
  }
  if (result != VK_SUCCESS && result != VK_INCOMPLETE) {
    reason_ = std::string("vkEnumeratePhysicalDevices failed: ") + VkResultName(result);
    return;
  }
  handles.resize(count);
  std::string skipped;
  for (VkPhysicalDevice handle : handles) {
    PhysicalDevice device;
    device.handle = handle;
    vkGetPhysicalDeviceProperties(handle, &device.properties);
    vkGetPhysicalDeviceMemoryProperties(handle, &device.memory);
    device.name = device.properties.deviceName;
    if (device.properties.apiVersion < VK_API_VERSION_1_1) {
      skipped += " '" + device.name + "' (Vulkan < 1.1)";
      continue;
    }
    uint32_t families = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(handle, &families, nullptr);
    std::vector<VkQueueFamilyProperties> props(families);
    vkGetPhysicalDeviceQueueFamilyProperties(handle, &families, props.data());
    bool found = false;
    for (uint32_t f = 0; f < families && !found; ++f) {
      if (props[f].queueFlags & VK_QUEUE_COMPUTE_BIT) device.queue_family = f, found = true;
    }
    if (!found) {
      skipped += " '" + device.name + "' (no compute queue)";
      continue;
    }
    if (device.properties.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU) {
      device.name += " [Vulkan CPU implementation]";
    }
    devices_.push_back(std::move(device));
  }
  std::stable_sort(devices_.begin(), devices_.end(), [](const auto& a, const auto& b) {
    return TypeRank(a.properties.deviceType) < TypeRank(b.properties.deviceType);
  });
  for (PhysicalDevice& device : devices_) FillInfo(device);  // after the sort: name pointers
  if (devices_.empty()) {
    reason_ = count == 0 ? "the Vulkan loader found no physical device"
                         : "no usable Vulkan device:" + skipped;
  }
}

}  // namespace hetrun::vulkan
