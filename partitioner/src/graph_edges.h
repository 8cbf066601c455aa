// The data edges the partitioner reasons about, computed once per graph: what each node reads
// (inputs and subgraph outer-scope references, omitted inputs and constants dropped) and who reads
// each value.
#pragma once

#include <vector>

#include "hetrun/core/graph.h"

namespace hetrun::partitioner {

struct GraphEdges {
  std::vector<std::vector<core::ValueId>> reads;     // per node, each value once
  std::vector<std::vector<core::NodeId>> consumers;  // per value
  std::vector<bool> is_graph_output;                 // per value

  explicit GraphEdges(const core::Graph& graph);
  // A value that lives in no memory yet when the run starts: a constant (weights travel with the
  // compiled part) is not; a graph input or a produced value is.
  static bool IsConstant(const core::Value& value) {
    return value.constant != nullptr && value.producer < 0;
  }
};

}  // namespace hetrun::partitioner
