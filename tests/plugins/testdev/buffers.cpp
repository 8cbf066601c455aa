// The device's "own memory": buffers are CPU plugin buffers behind testdev handles that name their
// device, so only that device reads or writes them.
#include <memory>
#include <string>

#include "entry_points.h"
#include "handles.h"

namespace hetrun::testdev {

hetrun_status_t BufferAlloc(hetrun_device_t device, uint64_t bytes, hetrun_buffer_t* out_buffer) {
  return GuardForwarding([&]() -> hetrun_status_t {
    const DeviceState& dev = UnwrapDevice(device);
    CheckOut(out_buffer, "out_buffer");
    auto handle = std::make_unique<hetrun_buffer_s>();
    handle->device_index = dev.index;
    handle->device_serial = dev.serial;
    handle->cpu = dev.cpu;
    handle->bytes = bytes;
    if (hetrun_status_t status =
            dev.cpu->buffer_alloc(dev.cpu_device, bytes, &handle->cpu_buffer)) {
      return status;
    }
    *out_buffer = handle.release();
    return nullptr;
  });
}

void BufferRelease(hetrun_device_t device, hetrun_buffer_t buffer) {
  if (!buffer || buffer->tag != HandleTag::kBuffer) return;
  const bool owner = device && device->tag == HandleTag::kDevice &&
                     device->device->serial == buffer->device_serial;
  if (!owner) {
    // Released all the same (no leak), but a host that mixes up devices should hear about it.
    try {
      plugin::Log(HETRUN_LOG_ERROR,
                  "testdev: buffer_release got a testdev:" + std::to_string(buffer->device_index) +
                      " buffer with another device");
    } catch (...) {
    }
  }
  const bool live = owner && !device->device->closed;
  buffer->cpu->buffer_release(live ? device->device->cpu_device : nullptr, buffer->cpu_buffer);
  DeleteHandle(buffer);
}

hetrun_status_t BufferWrite(hetrun_device_t device, hetrun_buffer_t buffer, uint64_t offset,
                            const void* src, uint64_t bytes) {
  return GuardForwarding([&] {
    const DeviceState& dev = UnwrapDevice(device);
    const hetrun_buffer_t cpu_buffer = UnwrapBuffer(dev, buffer, "buffer_write's buffer");
    return dev.cpu->buffer_write(dev.cpu_device, cpu_buffer, offset, src, bytes);
  });
}

hetrun_status_t BufferRead(hetrun_device_t device, hetrun_buffer_t buffer, uint64_t offset,
                           void* dst, uint64_t bytes) {
  return GuardForwarding([&] {
    const DeviceState& dev = UnwrapDevice(device);
    const hetrun_buffer_t cpu_buffer = UnwrapBuffer(dev, buffer, "buffer_read's buffer");
    return dev.cpu->buffer_read(dev.cpu_device, cpu_buffer, offset, dst, bytes);
  });
}

}  // namespace hetrun::testdev
