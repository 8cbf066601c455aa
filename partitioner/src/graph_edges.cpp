#include "graph_edges.h"

#include <algorithm>

namespace hetrun::partitioner {

GraphEdges::GraphEdges(const core::Graph& graph)
    : reads(graph.nodes.size()),
      consumers(graph.values.size()),
      is_graph_output(graph.values.size(), false) {
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    std::vector<core::ValueId>& r = reads[n];
    for (core::ValueId v : graph.nodes[n].inputs)
      if (v != core::kNoValue && !IsConstant(graph.values[v])) r.push_back(v);
    for (core::ValueId v : graph.ImplicitInputs(static_cast<core::NodeId>(n)))
      if (!IsConstant(graph.values[v])) r.push_back(v);
    std::sort(r.begin(), r.end());
    r.erase(std::unique(r.begin(), r.end()), r.end());
    for (core::ValueId v : r) consumers[v].push_back(static_cast<core::NodeId>(n));
  }
  for (core::ValueId v : graph.outputs) is_graph_output[v] = true;
}

}  // namespace hetrun::partitioner
