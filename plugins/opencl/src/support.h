// What a device accepts and at what cost: the code generator's own limits, narrowed by the NPU
// profile when there is one. query_support answers from here; compile() re-checks with it.
#pragma once

#include <cstdint>
#include <string>

#include "codegen.h"
#include "graph_info.h"
#include "hetrun/plugin.h"
#include "profile.h"

namespace hetrun::opencl {

// "" when node `k` can run exactly as ONNX specifies (within `profile` if not NULL), else why not.
// `max_alloc` is the largest single buffer the device allows.
std::string CheckNode(const GraphInfo& graph, uint32_t k, const Profile* profile,
                      uint64_t max_alloc);

// The kernel for a node CheckNode accepted.
Kernel GenerateNode(const GraphInfo& graph, uint32_t k);

// Estimated microseconds on a device with `info`'s figures: the slower of arithmetic and memory
// traffic, plus `launch_us` for the kernel launch.
double EstimateCostUs(const GraphInfo& graph, uint32_t k, const hetrun_device_info& info,
                      double launch_us);

}  // namespace hetrun::opencl
