// Cutting a graph down to some of its nodes, as a graph of its own: what the part checker runs on
// the CPU and on a device to compare them.
#pragma once

#include <vector>

#include "hetrun/core/graph.h"
#include "hetrun/status.h"

namespace hetrun::runtime {

// The values `nodes` read from outside themselves (graph inputs and values produced by other nodes,
// outer-scope reads of subgraphs included; constants excluded), in first-use order.
std::vector<core::ValueId> BoundaryInputs(const core::Graph& graph,
                                          const std::vector<core::NodeId>& nodes);

// Values produced by `nodes` that other nodes read or that are graph outputs, in production order.
std::vector<core::ValueId> BoundaryOutputs(const core::Graph& graph,
                                           const std::vector<core::NodeId>& nodes);

// A graph of `nodes` (kept in the given order, which must be topological) whose inputs are their
// boundary inputs and whose outputs are `outputs`; names, attributes and constants are kept.
Result<core::Graph> ExtractSubgraph(const core::Graph& graph,
                                    const std::vector<core::NodeId>& nodes,
                                    const std::vector<core::ValueId>& outputs);

}  // namespace hetrun::runtime
