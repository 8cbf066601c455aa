// Runs a compiled plan: one DeviceQueue per device, parts submitted as soon as their producer parts
// finish, part inputs staged into each device's memory (zero-copy reads from host-memory devices,
// host staging otherwise), values freed after their last reader, and the fallback policy applied
// when a device fails.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "device_memory.h"
#include "device_queue.h"
#include "hetrun/runtime/session.h"

namespace hetrun::runtime {

class Session::Scheduler {
 public:
  Scheduler(const Session& session, FallbackPolicy fallback);
  ~Scheduler();

  // Compiles every part on its device, several at once.
  Status Compile();
  // `inputs`: a host tensor for every graph input. Returns the graph outputs that parts produce,
  // by value id.
  Result<std::map<core::ValueId, core::Tensor>> Run(std::map<core::ValueId, core::Tensor> inputs,
                                                    RunStats* stats) const;
  std::vector<uint64_t> PeakBytes() const;

 private:
  struct Part;
  struct Slot;
  struct Execution;

  void Submit(const std::shared_ptr<Execution>& run, size_t part) const;
  void Execute(const std::shared_ptr<Execution>& run, size_t part) const;
  // --profile: the part's nodes as the device timed them, as spans inside the part's.
  void RecordNodes(Execution& run, const Part& part, int device_index, hetrun_event_t event,
                   double start, double end) const;
  Status RunOn(Execution& run, const Part& part, int device, hetrun_executable_t executable) const;
  Result<BufferRef> Stage(Execution& run, core::ValueId value, int device) const;
  Status Fallback(Execution& run, const Part& part, Status error) const;
  // An error when a float32 output of the part holds NaN or Inf while all its inputs are finite.
  Status CheckFinite(const Device& device, const Part& part, const std::vector<BufferRef>& inputs,
                     const std::vector<BufferRef>& outputs) const;
  Result<hetrun_executable_t> FallbackExecutable(const Part& part) const;
  // Per node of the part, the values `hetrun tune` chose on its device (plan answers' `tuning`).
  std::vector<NodeTuning> TunedValues(const Part& part) const;
  void Record(Execution& run, TraceSpan span) const;
  double NowUs() const;

  const Session& session_;
  const FallbackPolicy fallback_;
  std::vector<std::unique_ptr<Part>> parts_;
  std::vector<int> readers_;           // per value: parts reading it, +1 for graph outputs
  std::vector<bool> is_graph_output_;  // per value
  std::vector<std::unique_ptr<DeviceMemory>> memory_;  // per device
  mutable std::vector<std::atomic<bool>> lost_;        // per device: reported DEVICE_LOST
  mutable std::mutex fallback_mutex_;
  mutable std::vector<BufferRef> abandoned_;  // buffers of parts that timed out (never reused)
  std::chrono::steady_clock::time_point epoch_;
  std::vector<std::unique_ptr<DeviceQueue>> queues_;  // declared last: joined first
};

}  // namespace hetrun::runtime
