// Device memory the scheduler holds between parts: buffers it allocates to stage part inputs (kept
// in a per-device pool and reused once their value is dead, best fit first) and buffers plugins
// allocate for part outputs. Every live byte is counted per device, with the peak.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "hetrun/core/dtype.h"
#include "hetrun/runtime/device.h"

namespace hetrun::runtime {

class DeviceMemory;

// One tensor in device memory; releasing the last reference returns the buffer to its pool (or to
// the plugin, for plugin-allocated buffers).
struct HeldBuffer {
  DeviceMemory* memory = nullptr;
  hetrun_buffer_t buffer = nullptr;
  uint64_t offset = 0;
  uint64_t capacity = 0;  // bytes counted against the device
  bool pooled = false;
  core::DType dtype = core::DType::kUndefined;
  std::vector<int64_t> dims;
  uint64_t bytes = 0;  // of the tensor
  ~HeldBuffer();
};
using BufferRef = std::shared_ptr<HeldBuffer>;

class DeviceMemory {
 public:
  explicit DeviceMemory(const Device& device) : device_(device) {}
  ~DeviceMemory();  // frees the pool; every BufferRef must be gone
  DeviceMemory(const DeviceMemory&) = delete;
  DeviceMemory& operator=(const DeviceMemory&) = delete;

  const Device& device() const { return device_; }
  // A buffer of at least `bytes` for a tensor, from the pool when a free one fits (best fit, no
  // more than twice the size), else newly allocated.
  Result<BufferRef> Acquire(core::DType dtype, std::vector<int64_t> dims, uint64_t bytes);
  // Takes ownership of a buffer the plugin allocated for an output.
  BufferRef Adopt(hetrun_buffer_t buffer, uint64_t offset, core::DType dtype,
                  std::vector<int64_t> dims, uint64_t bytes);

  uint64_t live_bytes() const { return live_.load(); }
  uint64_t peak_bytes() const { return peak_.load(); }

 private:
  friend struct HeldBuffer;
  void Release(HeldBuffer& held);
  void Count(uint64_t bytes);

  const Device& device_;
  std::mutex mutex_;
  std::multimap<uint64_t, hetrun_buffer_t> free_;  // capacity -> buffer
  std::atomic<uint64_t> live_{0}, peak_{0};
};

}  // namespace hetrun::runtime
