// A Plan: the graph's nodes split into parts, each run by one device. Parts are convex (no path
// leaves a part and re-enters it), so the graph of parts is acyclic and can be scheduled in order.
#pragma once

#include <string>
#include <vector>

#include "hetrun/core/graph.h"
#include "hetrun/status.h"

namespace hetrun::partitioner {

// One plugin's answer for one node.
struct NodeAnswer {
  bool supported = false;
  double cost_us = 0;  // <= 0: no estimate
  std::string reason;  // why not, when unsupported
};

// answers[d][n]: device d's answer for node n (devices in the user's order).
using CapabilityTable = std::vector<std::vector<NodeAnswer>>;

struct Part {
  int device = 0;                   // index into Plan::devices
  std::vector<core::NodeId> nodes;  // in the graph's topological order
};

struct Plan {
  std::vector<std::string> devices;  // as named by the user: "cpu", "vulkan:1"
  std::vector<Part> parts;           // in an order where every part's producers come first
  std::vector<int> node_device;      // device index per node
};

// Checks that every node is in exactly one part, parts are non-empty, and the part graph is acyclic
// with parts listed in a valid execution order. The partitioner calls it; so do tests.
Status VerifyPlan(const core::Graph& graph, const Plan& plan);

}  // namespace hetrun::partitioner
