// Timing on one opened device through the plugin ABI, as the scheduler drives it: compile a part,
// feed it device buffers, execute, wait for the event. What `hetrun tune` measures.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "hetrun/core/graph.h"
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
  double median_us = 0;
  int runs = 0;
};

// Compiles `node` of `graph` alone for `device` and times its execution (execute to event
// signalled), inputs taken by name from `values` (the node's non-constant inputs and outer-scope
// reads). Fails naming the node and device when it cannot compile or run.
Result<Timing> TimeNode(const Device& device, const core::Graph& graph, core::NodeId node,
                        const std::map<std::string, core::Tensor>& values,
                        const TimerLimits& limits);

// The device's cost of one part besides its work: a one-element Relu (or Identity) timed as above.
// 0 when the device runs neither.
Result<double> TimePartOverhead(const Device& device, const TimerLimits& limits);

// Host <-> device copies (buffer_write and buffer_read) of 4 KiB and 8 MiB: latency and bandwidth.
Result<LinkTiming> TimeLink(const Device& device);

}  // namespace hetrun::runtime::tuning
