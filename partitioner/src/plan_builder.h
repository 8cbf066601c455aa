// Turns a node -> device assignment into a Plan: convex parts, transfers, estimates.
#pragma once

#include <string>
#include <vector>

#include "graph_edges.h"
#include "hetrun/partitioner/partitioner.h"

namespace hetrun::partitioner {

// Parts are formed by a topological sort that keeps taking ready nodes of the current device and
// switches device only when none is ready (ties broken by original order). Every part is then a
// contiguous slice of one topological order, hence convex, and the part graph is acyclic.
std::vector<Part> FormParts(const core::Graph& graph, const GraphEdges& edges,
                            const std::vector<int>& node_device, size_t num_devices);

// Fills transfers, per-part compute estimates and the end-to-end estimate (a list schedule with one
// queue per device: a part starts when its device is free and its inputs have arrived).
void AnnotatePlan(const PartitionRequest& request, const GraphEdges& edges,
                  const std::vector<std::vector<double>>& costs, Plan& plan);

}  // namespace hetrun::partitioner
