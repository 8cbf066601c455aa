// Builds the plugin ABI's read-only C view (hetrun_graph_view) of a whole graph or of a subset of
// its nodes (a part). The view owns the C arrays it points into; constant data points straight into
// the graph's tensors, so the Graph must outlive any executable compiled from the view.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "hetrun/core/graph.h"
#include "hetrun/plugin.h"

namespace hetrun::core {

class GraphView {
 public:
  // The whole graph.
  static std::unique_ptr<GraphView> Build(const Graph& graph);
  // Only `nodes` (in the graph's topological order). Part inputs are the non-constant values the
  // part reads but does not produce; part outputs are the values it produces that are graph
  // outputs or are read by nodes outside the part. `extra_outputs` forces more values out (those
  // the part does not produce are ignored). Reads through subgraphs' outer-scope references count;
  // constants the part reads are included in its values (flagged CONSTANT), never as inputs.
  // Subgraph views show outer-scope references as values with no flags, resolved by name.
  static std::unique_ptr<GraphView> BuildPart(const Graph& graph, const std::vector<NodeId>& nodes,
                                              const std::vector<ValueId>& extra_outputs = {});

  const hetrun_graph_view* view() const { return &view_; }
  // The graph's ValueId for each entry of view()->values.
  const std::vector<ValueId>& value_ids() const { return value_ids_; }
  // Graph ValueIds of the view's inputs / outputs, in the view's order.
  const std::vector<ValueId>& input_ids() const { return input_ids_; }
  const std::vector<ValueId>& output_ids() const { return output_ids_; }

 private:
  struct Storage;
  GraphView();
  hetrun_graph_view view_{};
  std::vector<ValueId> value_ids_, input_ids_, output_ids_;
  std::shared_ptr<Storage> storage_;
  friend struct GraphViewBuilderImpl;
};

}  // namespace hetrun::core
