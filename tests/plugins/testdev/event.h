// A testdev event: the CPU plugin's event for the same work, plus what testdev adds on top. When
// the CPU work has finished, the event "settles" exactly once: outputs the CPU plugin allocated are
// wrapped into testdev buffers and stored into the host's output entries, and the device's own
// verdict is fixed (an injected failure, or a failed testdev event it waited on). Settling happens
// in event_wait/event_query, and for an event waited on by a later one, when that one settles: the
// host has then seen this event signal too.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "handles.h"
#include "hetrun/plugin.h"

namespace hetrun::testdev {

class EventState {
 public:
  // `host_outputs` is execute()'s output array, which the ABI keeps valid until the event signals.
  EventState(std::shared_ptr<DeviceState> device, hetrun_tensor_arg* host_outputs,
             uint32_t num_outputs);
  ~EventState();
  EventState(const EventState&) = delete;
  EventState& operator=(const EventState&) = delete;

  const DeviceState& device() const { return *device_; }
  // The outputs as the CPU plugin sees them (its buffers; NULL where it allocates). Filled by
  // execute() before the CPU call, then written by the CPU plugin until its event signals.
  std::vector<hetrun_tensor_arg>& cpu_outputs() { return cpu_outputs_; }
  // Set once by execute(): the CPU event, the testdev events waited on, and the fault to inject
  // (HETRUN_TESTDEV_FAULT) when the executable (number `executable` on its device) was picked.
  void Start(hetrun_event_t cpu_event, std::vector<std::shared_ptr<EventState>> waits,
             std::optional<Fault> fault, uint64_t executable);
  // HETRUN_TESTDEV_CORRUPT_OUTPUT for this execution, and each host-given output buffer's size.
  void SetCorruption(Corruption corruption, std::vector<uint64_t> output_capacity);
  hetrun_event_t cpu_event() const { return cpu_event_; }

  // event_wait: the CPU plugin's error for the work, TIMEOUT, testdev's verdict, or NULL.
  hetrun_status_t Wait(uint64_t timeout_ms);
  // event_query.
  hetrun_status_t Query(uint8_t* out_done);
  // event_release: the host's output entries may be gone; outputs not yet handed over are freed.
  void ReleasedByHost();

 private:
  bool CpuDone() const;
  hetrun_device_t LiveCpuDevice() const;
  void Settle();  // requires CpuDone()
  std::pair<hetrun_status_code_t, std::string> Verdict();
  void FillFloatOutputsWithNan();  // Fault::kNan, while settling a successful run
  void CorruptOutputs();           // HETRUN_TESTDEV_CORRUPT_OUTPUT, likewise

  const std::shared_ptr<DeviceState> device_;
  const hetrun_plugin_v1* const cpu_;
  hetrun_tensor_arg* const host_outputs_;
  std::vector<hetrun_tensor_arg> cpu_outputs_;
  std::vector<bool> allocated_by_cpu_;  // outputs the host gave no buffer for
  hetrun_event_t cpu_event_ = nullptr;
  std::vector<std::shared_ptr<EventState>> waits_;
  std::optional<Fault> fault_;
  uint64_t executable_ = 0;
  Corruption corruption_ = Corruption::kNone;
  std::vector<uint64_t> output_capacity_;

  std::mutex mutex_;
  bool settled_ = false;
  bool host_released_ = false;
  hetrun_status_code_t code_ = HETRUN_STATUS_OK;  // the verdict, once settled
  std::string message_;
};

}  // namespace hetrun::testdev
