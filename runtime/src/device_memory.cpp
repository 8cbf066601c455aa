#include "device_memory.h"

namespace hetrun::runtime {

HeldBuffer::~HeldBuffer() {
  if (memory != nullptr && buffer != nullptr) memory->Release(*this);
}

DeviceMemory::~DeviceMemory() {
  for (auto& [capacity, buffer] : free_) device_.api().buffer_release(device_.handle(), buffer);
}

void DeviceMemory::Count(uint64_t bytes) {
  const uint64_t now = live_.fetch_add(bytes) + bytes;
  uint64_t peak = peak_.load();
  while (now > peak && !peak_.compare_exchange_weak(peak, now)) {
  }
}

Result<BufferRef> DeviceMemory::Acquire(core::DType dtype, std::vector<int64_t> dims,
                                        uint64_t bytes) {
  const uint64_t wanted = bytes == 0 ? 1 : bytes;  // every argument needs a real buffer
  auto held = std::make_shared<HeldBuffer>();
  {
    std::lock_guard lock(mutex_);
    auto it = free_.lower_bound(wanted);
    if (it != free_.end() && it->first <= 2 * wanted) {
      held->capacity = it->first;
      held->buffer = it->second;
      free_.erase(it);
    }
  }
  if (held->buffer == nullptr) {
    hetrun_buffer_t buffer = nullptr;
    HETRUN_RETURN_IF_ERROR(
        device_.Check(device_.api().buffer_alloc(device_.handle(), wanted, &buffer),
                      "allocate " + std::to_string(wanted) + " bytes"));
    held->buffer = buffer;
    held->capacity = wanted;
  }
  held->memory = this;
  held->pooled = true;
  held->dtype = dtype;
  held->dims = std::move(dims);
  held->bytes = bytes;
  Count(held->capacity);
  return held;
}

BufferRef DeviceMemory::Adopt(hetrun_buffer_t buffer, uint64_t offset, core::DType dtype,
                              std::vector<int64_t> dims, uint64_t bytes) {
  auto held = std::make_shared<HeldBuffer>();
  held->memory = this;
  held->buffer = buffer;
  held->offset = offset;
  held->capacity = bytes;
  held->dtype = dtype;
  held->dims = std::move(dims);
  held->bytes = bytes;
  Count(bytes);
  return held;
}

void DeviceMemory::Release(HeldBuffer& held) {
  live_.fetch_sub(held.capacity);
  if (held.pooled) {
    std::lock_guard lock(mutex_);
    free_.emplace(held.capacity, held.buffer);
  } else {
    device_.api().buffer_release(device_.handle(), held.buffer);
  }
  held.buffer = nullptr;
}

}  // namespace hetrun::runtime
