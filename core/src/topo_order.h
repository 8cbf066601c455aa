// Stable topological ordering shared by the graph IR and the ONNX importer (which sorts the
// protobuf before libonnx's checker, since the checker refuses unsorted graphs that ONNX Runtime
// accepts).
#pragma once

#include <cstdint>
#include <vector>

namespace hetrun::core::detail {

struct TopoOrder {
  std::vector<int32_t> order;  // complete when cycle_node < 0
  int32_t cycle_node = -1;     // a node that lies on a cycle
};

// Nodes are 0..deps.size()-1; deps[i] lists the nodes that must precede node i (duplicates are
// fine). Kahn's algorithm, always taking the lowest-numbered ready node, so an already sorted graph
// keeps its order and ties keep their original order.
TopoOrder StableTopologicalOrder(const std::vector<std::vector<int32_t>>& deps);

}  // namespace hetrun::core::detail
