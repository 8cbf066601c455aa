// Dead-code elimination: a backward sweep over the topological order marks what graph outputs
// need (subgraph outer-scope reads included), then unreferenced values are dropped and ids
// compacted.
#include <utility>

#include "graph_rewrite.h"
#include "hetrun/core/passes.h"

namespace hetrun::core {
namespace {

// Removes values nothing refers to (no node, no graph input/output/outer-scope list, no
// subgraph) and renumbers the rest; returns how many constants went.
int CompactValues(Graph& graph) {
  const detail::ValueUses uses = detail::ValueUses::Of(graph);
  std::vector<bool> referenced(graph.values.size(), false);
  auto mark = [&](ValueId v) {
    if (v != kNoValue) referenced[static_cast<size_t>(v)] = true;
  };
  for (const std::vector<ValueId>* list : {&graph.inputs, &graph.outputs, &graph.outer_scope}) {
    for (ValueId v : *list) mark(v);
  }
  for (const Node& node : graph.nodes) {
    for (ValueId v : node.inputs) mark(v);
    for (ValueId v : node.outputs) mark(v);
  }
  for (size_t v = 0; v < graph.values.size(); ++v) {
    if (uses.read_by_subgraph[v]) referenced[v] = true;
  }

  int removed_constants = 0;
  std::vector<ValueId> new_id(graph.values.size(), kNoValue);
  std::vector<Value> kept;
  kept.reserve(graph.values.size());
  for (size_t v = 0; v < graph.values.size(); ++v) {
    if (!referenced[v]) {
      if (graph.values[v].constant) ++removed_constants;
      continue;
    }
    new_id[v] = static_cast<ValueId>(kept.size());
    kept.push_back(std::move(graph.values[v]));
  }
  graph.values = std::move(kept);
  auto remap = [&](ValueId& v) {
    if (v != kNoValue) v = new_id[static_cast<size_t>(v)];
  };
  for (std::vector<ValueId>* list : {&graph.inputs, &graph.outputs, &graph.outer_scope}) {
    for (ValueId& v : *list) remap(v);
  }
  for (Node& node : graph.nodes) {
    for (ValueId& v : node.inputs) remap(v);
    for (ValueId& v : node.outputs) remap(v);
  }
  return removed_constants;
}

}  // namespace

Result<int> EliminateDeadCode(Graph& graph) {
  std::vector<bool> live(graph.values.size(), false);
  for (ValueId v : graph.outputs) live[static_cast<size_t>(v)] = true;
  std::vector<bool> dead_node(graph.nodes.size(), false);
  int removed = 0;
  for (size_t i = graph.nodes.size(); i-- > 0;) {
    const Node& node = graph.nodes[i];
    // Operators of other domains may have effects we do not know of: always keep them.
    bool needed = !node.domain.empty();
    for (ValueId v : node.outputs)
      needed = needed || (v != kNoValue && live[static_cast<size_t>(v)]);
    if (!needed) {
      dead_node[i] = true;
      ++removed;
      continue;
    }
    for (ValueId v : node.inputs) {
      if (v != kNoValue) live[static_cast<size_t>(v)] = true;
    }
    for (ValueId v : graph.ImplicitInputs(static_cast<NodeId>(i)))
      live[static_cast<size_t>(v)] = true;
  }
  if (removed > 0) HETRUN_RETURN_IF_ERROR(detail::RemoveNodes(graph, dead_node));
  removed += CompactValues(graph);
  // Ids changed: producers must follow.
  HETRUN_RETURN_IF_ERROR(graph.TopologicalSort());
  return removed;
}

}  // namespace hetrun::core
