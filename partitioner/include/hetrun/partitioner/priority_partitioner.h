// The classic placement (ONNX Runtime's and OpenVINO HETERO's): every node goes to the first listed
// device that supports it. Parts are maximal runs of consecutive nodes (in topological order) on
// the same device; a contiguous slice of a topological order is always convex.
#pragma once

#include "hetrun/partitioner/plan.h"

namespace hetrun::partitioner {

// Fails naming every node no selected device supports, with each device's reason.
Result<Plan> PartitionByPriority(const core::Graph& graph, const std::vector<std::string>& devices,
                                 const CapabilityTable& answers);

}  // namespace hetrun::partitioner
