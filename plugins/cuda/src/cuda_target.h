// What the shared generator must respect on a CUDA device, and the capability answer built on it:
// the generator's own support check plus the device's limits, with a cost from FLOPs and bytes.
// OfflineTarget() is a fixed sm_90-like profile for compiling and testing without a GPU.
#pragma once

#include <cstdint>
#include <string>

#include "graph_info.h"
#include "hetrun/plugin.h"

namespace hetrun::cuda {

struct CudaTarget {
  int arch = 90;  // compute capability major * 10 + minor
  vulkan::Limits limits;
  uint32_t max_bindings = 32;  // tensors per kernel (kernel parameters: 8 + 4 bytes each)
};

CudaTarget OfflineTarget();
// A device's target from its attributes.
CudaTarget DeviceTarget(int major, int minor, uint64_t memory_bytes, const uint32_t max_grid[3]);

// "" when node `k` runs on `target` exactly as ONNX specifies, else why not.
std::string CheckNode(const vulkan::GraphInfo& graph, uint32_t k, const CudaTarget& target);
// Estimated microseconds of a supported node on a device with `info`'s figures.
double CostUs(const vulkan::GraphInfo& graph, uint32_t k, const hetrun_device_info& info);

}  // namespace hetrun::cuda
