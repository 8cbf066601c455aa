// Planned memory per device: the weights each device holds for its parts, plus the peak of the
// activations alive on it when the plan's parts run in their listed order. The partitioner keeps
// every device with a known capacity within it (see FitMemory in partitioner.cpp).
#pragma once

#include <vector>

#include "graph_edges.h"
#include "hetrun/partitioner/partitioner.h"

namespace hetrun::partitioner {

// A value is resident on a device from the moment it is produced there (or the start of the first
// part there that reads it) until the end of the last part there that produces or reads it: the
// runtime frees values between parts, while inside a part the plugin may hold every value until
// the part ends. Dims
// not known before run time count as 1, as in the cost model.
std::vector<DeviceMemory> PlanDeviceMemory(const PartitionRequest& request, const GraphEdges& edges,
                                           const Plan& plan);

// Bytes a node keeps on its device: its constant inputs and its outputs. Used to pick what to move
// off a device that does not fit.
uint64_t NodeFootprint(const core::Graph& graph, core::NodeId node);

}  // namespace hetrun::partitioner
