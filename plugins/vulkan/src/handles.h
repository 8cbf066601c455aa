// The opaque ABI handles as the Vulkan plugin defines them: each holds a shared reference to the
// C++ object, so work in flight keeps what it uses alive even if the host releases a handle early.
// A tag per type turns a NULL, mixed-up or released handle into INVALID_ARGUMENT, not a crash.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "buffer.h"
#include "device.h"
#include "event.h"
#include "executable.h"
#include "hetrun/plugin.h"
#include "hetrun/plugin.hpp"

namespace hetrun::vulkan {
// "VKDV", "VKBF", ...: distinct per handle type, zeroed on release.
enum class HandleTag : uint32_t {
  kReleased = 0,
  kDevice = 0x56444b56,
  kBuffer = 0x46424b56,
  kExecutable = 0x58454b56,
  kEvent = 0x56454b56,
};
}  // namespace hetrun::vulkan

struct hetrun_device_s {
  hetrun::vulkan::HandleTag tag = hetrun::vulkan::HandleTag::kDevice;
  std::shared_ptr<hetrun::vulkan::Device> device;
};

struct hetrun_buffer_s {
  hetrun::vulkan::HandleTag tag = hetrun::vulkan::HandleTag::kBuffer;
  std::shared_ptr<hetrun::vulkan::Buffer> buffer;
};

struct hetrun_executable_s {
  hetrun::vulkan::HandleTag tag = hetrun::vulkan::HandleTag::kExecutable;
  std::shared_ptr<hetrun::vulkan::Executable> executable;
};

struct hetrun_event_s {
  hetrun::vulkan::HandleTag tag = hetrun::vulkan::HandleTag::kEvent;
  std::shared_ptr<hetrun::vulkan::Event> event;
};

namespace hetrun::vulkan {

template <typename Handle>
auto& Unwrap(Handle* handle, HandleTag expected, const std::string& what) {
  if (!handle) throw plugin::Error(HETRUN_STATUS_INVALID_ARGUMENT, what + " is NULL");
  if (handle->tag != expected) {
    throw plugin::Error(HETRUN_STATUS_INVALID_ARGUMENT,
                        what + " is not a live handle of the vulkan plugin");
  }
  return *handle;
}

inline Device& UnwrapDevice(hetrun_device_t h) {
  return *Unwrap(h, HandleTag::kDevice, "device").device;
}
inline const std::shared_ptr<Buffer>& UnwrapBuffer(hetrun_buffer_t h,
                                                   const std::string& what = "buffer") {
  return Unwrap(h, HandleTag::kBuffer, what).buffer;
}
inline const std::shared_ptr<Executable>& UnwrapExecutable(hetrun_executable_t h) {
  return Unwrap(h, HandleTag::kExecutable, "executable").executable;
}
inline const std::shared_ptr<Event>& UnwrapEvent(hetrun_event_t h,
                                                 const std::string& what = "event") {
  return Unwrap(h, HandleTag::kEvent, what).event;
}

template <typename Handle>
void ReleaseHandle(Handle* handle, HandleTag expected) {
  if (!handle || handle->tag != expected) return;
  handle->tag = HandleTag::kReleased;
  delete handle;
}

}  // namespace hetrun::vulkan
