#include "event.h"

#include "hetrun/plugin.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <thread>
#include <utility>

namespace hetrun::testdev {

EventState::EventState(std::shared_ptr<DeviceState> device, hetrun_tensor_arg* host_outputs,
                       uint32_t num_outputs)
    : device_(std::move(device)),
      cpu_(device_->cpu),
      host_outputs_(host_outputs),
      cpu_outputs_(host_outputs, host_outputs + num_outputs),
      allocated_by_cpu_(num_outputs) {
  for (uint32_t j = 0; j < num_outputs; ++j)
    allocated_by_cpu_[j] = host_outputs[j].buffer == nullptr;
}

EventState::~EventState() {
  if (!cpu_event_) return;  // execute() failed before the CPU took the work
  // The CPU plugin writes into cpu_outputs_ until its event signals (a host may release an event
  // it never waited for). Polling: a host status from event_wait could not be freed here.
  while (!settled_ && !CpuDone()) std::this_thread::sleep_for(std::chrono::microseconds(100));
  const hetrun_device_t cpu_device = LiveCpuDevice();
  for (size_t j = 0; j < cpu_outputs_.size(); ++j) {
    if (allocated_by_cpu_[j]) cpu_->buffer_release(cpu_device, cpu_outputs_[j].buffer);
  }
  cpu_->event_release(cpu_device, cpu_event_);
}

void EventState::Start(hetrun_event_t cpu_event, std::vector<std::shared_ptr<EventState>> waits,
                       std::optional<Fault> fault, uint64_t executable) {
  cpu_event_ = cpu_event;
  waits_ = std::move(waits);
  fault_ = fault;
  executable_ = executable;
}

void EventState::SetCorruption(Corruption corruption, std::vector<uint64_t> output_capacity) {
  corruption_ = corruption;
  output_capacity_ = std::move(output_capacity);
}

void EventState::CorruptOutputs() {
  const hetrun_device_t cpu_device = LiveCpuDevice();
  for (size_t j = 0; j < cpu_outputs_.size(); ++j) {
    const hetrun_tensor_arg& out = cpu_outputs_[j];
    const size_t width = plugin::DTypeSize(out.dtype);
    if (!out.buffer || width == 0) continue;
    uint64_t elements = 1;
    for (uint32_t d = 0; d < out.rank && d < HETRUN_MAX_RANK; ++d)
      elements *= static_cast<uint64_t>(out.dims[d]);
    if (corruption_ == Corruption::kValues && elements > 0) {
      // The last byte of the first element: a float's exponent, an integer's high byte.
      unsigned char byte = 0;
      const uint64_t at = out.offset + width - 1;
      if (cpu_->buffer_read(cpu_device, out.buffer, at, &byte, 1) == nullptr) {
        byte ^= 0x40;
        if (cpu_->buffer_write(cpu_device, out.buffer, at, &byte, 1) != nullptr)
          throw plugin::Error(HETRUN_STATUS_INTERNAL, "testdev: could not corrupt an output");
      }
    } else if (corruption_ == Corruption::kPastEnd) {
      const uint64_t end = out.offset + elements * width;
      const uint64_t capacity = j < output_capacity_.size() ? output_capacity_[j] : 0;
      const unsigned char junk[4] = {0xEE, 0xEE, 0xEE, 0xEE};
      if (end + sizeof junk <= capacity &&
          cpu_->buffer_write(cpu_device, out.buffer, end, junk, sizeof junk) != nullptr)
        throw plugin::Error(HETRUN_STATUS_INTERNAL, "testdev: could not write past an output");
    }
  }
}

void EventState::FillFloatOutputsWithNan() {
  const hetrun_device_t cpu_device = LiveCpuDevice();
  for (const hetrun_tensor_arg& out : cpu_outputs_) {
    if (!out.buffer || out.dtype != HETRUN_DTYPE_FLOAT32) continue;
    uint64_t elements = 1;
    for (uint32_t d = 0; d < out.rank && d < HETRUN_MAX_RANK; ++d)
      elements *= static_cast<uint64_t>(out.dims[d]);
    const std::vector<float> nan(elements, std::numeric_limits<float>::quiet_NaN());
    // Writing the CPU plugin's own live buffer cannot fail short of a bug.
    if (cpu_->buffer_write(cpu_device, out.buffer, out.offset, nan.data(),
                           elements * sizeof(float)) != nullptr)
      throw plugin::Error(HETRUN_STATUS_INTERNAL, "testdev: could not write the NaN fault");
  }
}

hetrun_device_t EventState::LiveCpuDevice() const {
  // Once closed, the CPU device has finished all its work and its handle is gone; the CPU
  // plugin's release functions do not need it.
  return device_->closed ? nullptr : device_->cpu_device;
}

bool EventState::CpuDone() const {
  if (device_->closed) return true;  // closing finished the queued work
  uint8_t done = 0;
  // Cannot fail: both handles are the CPU plugin's own and live.
  const hetrun_status_t status = cpu_->event_query(device_->cpu_device, cpu_event_, &done);
  return status == nullptr && done != 0;
}

std::pair<hetrun_status_code_t, std::string> EventState::Verdict() {
  std::lock_guard lock(mutex_);
  return {code_, message_};
}

void EventState::Settle() {
  std::vector<std::shared_ptr<EventState>> waits;  // released after the lock below
  {
    std::lock_guard lock(mutex_);
    if (settled_) return;
    waits = waits_;
  }
  hetrun_status_code_t code = HETRUN_STATUS_OK;
  std::string message;
  const std::string injected = device_->label + ": injected " +
                               (fault_ == Fault::kDeviceLost ? std::string("failure")
                                : fault_                     ? std::string(FaultName(*fault_))
                                                             : std::string()) +
                               " in executable " + std::to_string(executable_);
  if (fault_ == Fault::kDeviceLost || fault_ == Fault::kError || fault_ == Fault::kOutOfMemory) {
    code = fault_ == Fault::kDeviceLost ? HETRUN_STATUS_DEVICE_LOST
           : fault_ == Fault::kError    ? HETRUN_STATUS_INTERNAL
                                        : HETRUN_STATUS_OUT_OF_MEMORY;
    message = injected;
  } else {
    // The CPU plugin cannot know that a testdev event it waited on failed in testdev's eyes. A
    // wait still running means the CPU work failed early, and that error comes first anyway.
    for (const std::shared_ptr<EventState>& wait : waits) {
      if (!wait->CpuDone()) continue;
      wait->Settle();
      auto [wait_code, wait_message] = wait->Verdict();
      if (wait_code != HETRUN_STATUS_OK) {
        code = wait_code;
        message = device_->label + ": a waited-on event failed: " + wait_message;
        break;
      }
    }
  }

  std::vector<std::shared_ptr<EventState>> dropped;  // released after the lock below
  std::lock_guard lock(mutex_);
  if (settled_) return;  // another thread settled it meanwhile
  dropped.swap(waits_);  // so a long chain of events is not kept alive by the newest one
  const bool publish = code == HETRUN_STATUS_OK && !host_released_;
  // Every wrapper is made before any entry is written: an allocation failure leaves none written.
  std::vector<std::unique_ptr<hetrun_buffer_s>> wrappers(cpu_outputs_.size());
  for (size_t j = 0; publish && j < cpu_outputs_.size(); ++j) {
    if (allocated_by_cpu_[j] && cpu_outputs_[j].buffer) {
      wrappers[j] = std::make_unique<hetrun_buffer_s>();
    }
  }
  if (code == HETRUN_STATUS_OK && fault_ == Fault::kNan) FillFloatOutputsWithNan();
  if (code == HETRUN_STATUS_OK && corruption_ != Corruption::kNone) CorruptOutputs();
  settled_ = true;
  code_ = code;
  message_ = std::move(message);
  const hetrun_device_t cpu_device = LiveCpuDevice();
  for (size_t j = 0; j < cpu_outputs_.size(); ++j) {
    hetrun_tensor_arg& cpu_output = cpu_outputs_[j];
    if (!allocated_by_cpu_[j] || !cpu_output.buffer) continue;
    if (!publish) {  // a failed run hands out nothing
      cpu_->buffer_release(cpu_device, cpu_output.buffer);
    } else {
      hetrun_buffer_s& wrapper = *wrappers[j];
      wrapper.device_index = device_->index;
      wrapper.device_serial = device_->serial;
      wrapper.cpu = cpu_;
      wrapper.cpu_buffer = cpu_output.buffer;
      host_outputs_[j] = cpu_output;
      host_outputs_[j].buffer = wrappers[j].release();
    }
    cpu_output.buffer = nullptr;
  }
}

hetrun_status_t EventState::Wait(uint64_t timeout_ms) {
  if (device_->closed) ThrowInvalid(device_->label + ": the device is closed");
  if (fault_ == Fault::kHang) {  // a hung device: the event never signals
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(std::min<uint64_t>(timeout_ms, 1ull << 40));
    while (std::chrono::steady_clock::now() < deadline && !device_->closed)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    throw plugin::Error(HETRUN_STATUS_TIMEOUT,
                        device_->label + ": executable " + std::to_string(executable_) +
                            " did not finish within " + std::to_string(timeout_ms) + " ms");
  }
  // The CPU plugin's statuses come from the same host services: they pass through unchanged.
  const hetrun_status_t cpu_status = cpu_->event_wait(device_->cpu_device, cpu_event_, timeout_ms);
  if (cpu_status) {
    if (CpuDone()) {
      try {
        Settle();
      } catch (...) {
        // The CPU plugin's error is the one to report.
      }
    }
    return cpu_status;  // the work's error, or TIMEOUT
  }
  Settle();
  auto [code, message] = Verdict();
  if (code != HETRUN_STATUS_OK) throw plugin::Error(code, message);
  return nullptr;
}

hetrun_status_t EventState::Query(uint8_t* out_done) {
  if (device_->closed) ThrowInvalid(device_->label + ": the device is closed");
  uint8_t done = 0;
  if (hetrun_status_t status = cpu_->event_query(device_->cpu_device, cpu_event_, &done)) {
    return status;
  }
  if (fault_ == Fault::kHang) done = 0;
  if (done) Settle();  // the outputs are in place before the host hears "done"
  *out_done = done;
  return nullptr;
}

void EventState::ReleasedByHost() {
  std::lock_guard lock(mutex_);
  host_released_ = true;
}

}  // namespace hetrun::testdev
