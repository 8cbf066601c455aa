// The opaque ABI handles (hetrun_device_t, ...) as the CPU plugin defines them: each holds a shared
// reference to the C++ object, so work in flight keeps what it uses alive even if the host releases
// a handle early. A tag per type turns a NULL, mixed-up or already released handle into an
// INVALID_ARGUMENT status where it can be detected, rather than a crash.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "buffer.h"
#include "device.h"
#include "event.h"
#include "hetrun/plugin.h"
#include "hetrun/plugin.hpp"

namespace hetrun::cpu {
class Executable;

// "HRDV", "HRBF", ...: distinct per handle type, zeroed on release.
enum class HandleTag : uint32_t {
  kReleased = 0,
  kDevice = 0x56445248,
  kBuffer = 0x46425248,
  kExecutable = 0x58455248,
  kEvent = 0x56455248,
};
}  // namespace hetrun::cpu

struct hetrun_device_s {
  hetrun::cpu::HandleTag tag = hetrun::cpu::HandleTag::kDevice;
  std::shared_ptr<hetrun::cpu::Device> device;
  std::string cache_dir;  // hetrun_device_options.cache_dir ("" = none), for CompileCache::Scope
};

struct hetrun_buffer_s {
  hetrun::cpu::HandleTag tag = hetrun::cpu::HandleTag::kBuffer;
  std::shared_ptr<hetrun::cpu::Buffer> buffer;
};

struct hetrun_executable_s {
  hetrun::cpu::HandleTag tag = hetrun::cpu::HandleTag::kExecutable;
  std::shared_ptr<hetrun::cpu::Executable> executable;
};

struct hetrun_event_s {
  hetrun::cpu::HandleTag tag = hetrun::cpu::HandleTag::kEvent;
  std::shared_ptr<hetrun::cpu::Event> event;
};

namespace hetrun::cpu {

// The object behind a handle; throws plugin::Error(INVALID_ARGUMENT) naming `what` when the handle
// is NULL or not a live handle of that type.
template <typename Handle>
auto& Unwrap(Handle* handle, HandleTag expected, const char* what) {
  if (!handle) {
    throw plugin::Error(HETRUN_STATUS_INVALID_ARGUMENT, std::string(what) + " is NULL");
  }
  if (handle->tag != expected) {
    throw plugin::Error(HETRUN_STATUS_INVALID_ARGUMENT,
                        std::string(what) + " is not a live handle of the cpu plugin");
  }
  return *handle;
}

inline Device& UnwrapDevice(hetrun_device_t h) {
  return *Unwrap(h, HandleTag::kDevice, "device").device;
}
inline const std::shared_ptr<Buffer>& UnwrapBuffer(hetrun_buffer_t h, const char* what = "buffer") {
  return Unwrap(h, HandleTag::kBuffer, what).buffer;
}
inline const std::shared_ptr<Executable>& UnwrapExecutable(hetrun_executable_t h) {
  return Unwrap(h, HandleTag::kExecutable, "executable").executable;
}
inline const std::shared_ptr<Event>& UnwrapEvent(hetrun_event_t h, const char* what = "event") {
  return Unwrap(h, HandleTag::kEvent, what).event;
}

// Deletes a handle after marking it released (so a use-after-release that still finds the
// memory reads a dead tag). Accepts NULL and handles of the wrong type (ignored).
template <typename Handle>
void ReleaseHandle(Handle* handle, HandleTag expected) {
  if (!handle || handle->tag != expected) return;
  handle->tag = HandleTag::kReleased;
  delete handle;
}

}  // namespace hetrun::cpu
