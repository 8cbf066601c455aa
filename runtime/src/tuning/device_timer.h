// Timing on one opened device through the plugin ABI, as the scheduler drives it: compile a part,
// feed it device buffers, execute, wait for the event. What `hetrun tune` measures.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hetrun/core/graph.h"
#include "hetrun/core/graph_view.h"
#include "hetrun/core/tensor.h"
#include "hetrun/runtime/device.h"
#include "hetrun/status.h"
#include "tuning/tuning_store.h"

namespace hetrun::runtime::tuning {

struct TimerLimits {
  int repetitions = 5;          // timed executions (after one untimed warm-up)
  double max_ms = 200;          // stop repeating once this much was spent (at least one timed run)
  uint64_t timeout_ms = 60000;  // per execution: a device that hangs fails the measurement
};

struct Timing {
  double median_us = 0;         // execute to event signalled, by the host's clock
  double device_median_us = 0;  // by the device's own timer (event_elapsed_us); 0: none
  int runs = 0;
  // What a parameter search compares: the device's time when it has one (no host noise).
  double search_us() const { return device_median_us > 0 ? device_median_us : median_us; }
};

// One node alone on one device, ready to be compiled and timed again and again (a parameter
// search): its inputs, taken by name from `values` (the node's non-constant inputs and outer-scope
// reads), are uploaded once.
class NodeTimer {
 public:
  static Result<std::unique_ptr<NodeTimer>> Create(
      const Device& device, const core::Graph& graph, core::NodeId node,
      const std::map<std::string, core::Tensor>& values);
  // The one-node part the plugin compiles (its node is node 0).
  const hetrun_graph_view& view() const { return *view_->view(); }
  // Compiles with `tuning` (none: compile()) and times the execution. Fails naming the node and
  // device when it cannot compile or run.
  Result<Timing> Time(const NodeTuning& tuning, const TimerLimits& limits) const;

 private:
  NodeTimer(const Device& device) : device_(device) {}
  const Device& device_;
  std::string what_;
  std::unique_ptr<core::GraphView> view_;
  std::vector<DeviceBuffer> buffers_;
  std::vector<hetrun_tensor_arg> inputs_;
};

// NodeTimer::Create + Time with the defaults.
Result<Timing> TimeNode(const Device& device, const core::Graph& graph, core::NodeId node,
                        const std::map<std::string, core::Tensor>& values,
                        const TimerLimits& limits);

// The device's cost of one part besides its work: a one-element Relu (or Identity) timed as above.
// 0 when the device runs neither.
Result<double> TimePartOverhead(const Device& device, const TimerLimits& limits);

// Host <-> device copies (buffer_write and buffer_read) of 4 KiB and 8 MiB: latency and bandwidth.
Result<LinkTiming> TimeLink(const Device& device);

}  // namespace hetrun::runtime::tuning
