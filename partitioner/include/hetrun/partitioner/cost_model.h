// The partitioner's cost model: what a node costs on a device (the plugin's estimate, or one made
// here from FLOPs and bytes when the plugin gives none) and what moving a value between memories
// costs (bytes over each side's host link, plus latency, plus a fixed hand-off between queues).
#pragma once

#include <cstdint>
#include <string>

#include "hetrun/core/graph.h"

namespace hetrun::partitioner {

// What the cost model knows about one device (from its plugin's hetrun_device_info).
struct DeviceCost {
  std::string name;
  bool host_memory = true;      // buffers live in host memory: a host copy is a memcpy
  double link_gbps = 0;         // host <-> device bandwidth; <= 0: unknown (a default is used)
  double link_latency_us = 0;   // per copy
  double peak_gflops = 0;       // <= 0: unknown
  double memory_gbps = 0;       // <= 0: unknown
  uint64_t memory_bytes = 0;    // capacity the plan must fit in; 0: unknown (no limit)
  double part_overhead_us = 0;  // submitting one part and waiting for it; <= 0: kPartOverheadUs
  bool measured = false;        // link and part overhead measured by `hetrun tune`
};

// Fixed costs that make many small parts look as expensive as they are.
inline constexpr double kPartOverheadUs = 5;      // submit, wait, argument set-up per part
inline constexpr double kTransferOverheadUs = 2;  // one queue hands a value to another
inline constexpr double kHostCopyGbps = 10;       // memcpy between host-memory devices

// The per-part overhead of a device: measured when known, else kPartOverheadUs.
inline double PartOverheadUs(const DeviceCost& device) {
  return device.part_overhead_us > 0 ? device.part_overhead_us : kPartOverheadUs;
}

// Bytes a value occupies; unknown dims count as 1 (dynamic dims are usually batch-like).
uint64_t EstimatedBytes(const core::Value& value);

// Cost of copying `bytes` from one memory to another. nullptr stands for the host (the caller).
double TransferUs(const DeviceCost* from, const DeviceCost* to, uint64_t bytes);

// The cost model's own estimate of a node on a device: max(FLOPs / peak, bytes / bandwidth) plus
// a kernel launch; used when the plugin answers "supported" without an estimate.
double EstimateNodeUs(const core::Graph& graph, core::NodeId node, const DeviceCost& device);

}  // namespace hetrun::partitioner
