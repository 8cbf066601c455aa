// The test device's ABI handles. Each wraps a handle of the CPU plugin and carries a tag, so that a
// handle from another plugin (or a released one) is refused instead of used, and buffers and events
// name the device that made them, so that one device never touches another's memory: a transfer
// the host's scheduler forgot shows up as INVALID_ARGUMENT, not as silently shared bytes.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "controls.h"
#include "hetrun/plugin.h"
#include "hetrun/plugin.hpp"

namespace hetrun::testdev {

class EventState;

// "TDDV", "TDBF", ... (little-endian); distinct from the CPU plugin's tags, zeroed on release.
enum class HandleTag : uint32_t {
  kReleased = 0,
  kDevice = 0x56444454,
  kBuffer = 0x46424454,
  kExecutable = 0x58454454,
  kEvent = 0x56454454,
};

// One open testdev device. Shared with its executables and events, which may outlive the handle.
struct DeviceState {
  uint32_t index = 0;
  uint64_t serial = 0;  // unique per device_open, so a closed device's buffers never match
  std::string label;    // "testdev:<index>", the prefix of this device's messages
  const hetrun_plugin_v1* cpu = nullptr;
  hetrun_device_t cpu_device = nullptr;  // the CPU device doing the work; dead once closed
  std::atomic<bool> closed{false};
  std::atomic<uint64_t> executables_compiled{0};
};

}  // namespace hetrun::testdev

struct hetrun_device_s {
  hetrun::testdev::HandleTag tag = hetrun::testdev::HandleTag::kDevice;
  std::shared_ptr<hetrun::testdev::DeviceState> device;
};

// The tag comes first in every handle (as in the CPU plugin's), so reading it from a foreign
// handle stays within that handle's memory.
struct hetrun_buffer_s {
  hetrun::testdev::HandleTag tag = hetrun::testdev::HandleTag::kBuffer;
  uint32_t device_index = 0;
  uint64_t device_serial = 0;
  const hetrun_plugin_v1* cpu = nullptr;
  hetrun_buffer_t cpu_buffer = nullptr;
  uint64_t bytes = 0;  // as allocated; 0 for outputs the CPU plugin allocated
};

struct hetrun_executable_s {
  hetrun::testdev::HandleTag tag = hetrun::testdev::HandleTag::kExecutable;
  std::shared_ptr<hetrun::testdev::DeviceState> device;
  hetrun_executable_t cpu_executable = nullptr;
  uint64_t index = 0;  // among the executables compiled on the device
  bool fails = false;  // HETRUN_TESTDEV_FAIL_EXECUTABLE picked it
  hetrun::testdev::Fault fault = hetrun::testdev::Fault::kDeviceLost;  // what it does then
  uint64_t delay_us = 0;  // HETRUN_TESTDEV_TUNABLE_DELAY_US: slept per execution
  // HETRUN_TESTDEV_WRONG_OP's altered weights: the CPU executable uses them in place.
  std::vector<std::vector<float>> wrong_weights;
};

struct hetrun_event_s {
  hetrun::testdev::HandleTag tag = hetrun::testdev::HandleTag::kEvent;
  std::shared_ptr<hetrun::testdev::EventState> event;
};

namespace hetrun::testdev {

[[noreturn]] inline void ThrowInvalid(const std::string& message) {
  throw plugin::Error(HETRUN_STATUS_INVALID_ARGUMENT, message);
}

template <typename T>
void CheckOut(T* out, const char* name) {
  if (!out) ThrowInvalid(std::string("testdev: ") + name + " is NULL");
}

inline DeviceState& UnwrapDevice(hetrun_device_t handle) {
  if (!handle) ThrowInvalid("testdev: device is NULL");
  if (handle->tag != HandleTag::kDevice) ThrowInvalid("testdev: device is not a testdev device");
  return *handle->device;
}

// The CPU buffer inside a buffer of `device`; anything else is refused, naming `what`.
inline hetrun_buffer_t UnwrapBuffer(const DeviceState& device, hetrun_buffer_t handle,
                                    const std::string& what) {
  if (!handle) ThrowInvalid(device.label + ": " + what + " is NULL");
  if (handle->tag != HandleTag::kBuffer) {
    ThrowInvalid(device.label + ": " + what + " is not a " + device.label +
                 " buffer (another plugin's buffer, or a released one): the host must copy it "
                 "into this device's memory first");
  }
  if (handle->device_serial != device.serial) {
    const std::string owner = "testdev:" + std::to_string(handle->device_index);
    ThrowInvalid(device.label + ": " + what + " is not a " + device.label +
                 " buffer (it belongs to " +
                 (owner == device.label ? "an earlier opening of " + owner : owner) +
                 "): the host must copy it into this device's memory first");
  }
  return handle->cpu_buffer;
}

inline hetrun_executable_s& UnwrapExecutable(hetrun_executable_t handle) {
  if (!handle) ThrowInvalid("testdev: executable is NULL");
  if (handle->tag != HandleTag::kExecutable) {
    ThrowInvalid("testdev: executable is not a live testdev executable");
  }
  return *handle;
}

// Any testdev device's event (execute() may wait on another testdev device's work).
inline const std::shared_ptr<EventState>& UnwrapEvent(hetrun_event_t handle,
                                                      const std::string& what) {
  if (!handle) ThrowInvalid("testdev: " + what + " is NULL");
  if (handle->tag != HandleTag::kEvent) {
    ThrowInvalid("testdev: " + what + " is not a live testdev event");
  }
  return handle->event;
}

// Deletes a live handle after marking it released (so a use after release that still finds the
// memory reads a dead tag).
template <typename Handle>
void DeleteHandle(Handle* handle) {
  handle->tag = HandleTag::kReleased;
  delete handle;
}

}  // namespace hetrun::testdev
