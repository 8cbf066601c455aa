#include "subgraph.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace hetrun::runtime {
namespace {

bool IsConstant(const core::Value& value) {
  return value.constant != nullptr && value.producer < 0;
}

}  // namespace

std::vector<core::ValueId> BoundaryInputs(const core::Graph& graph,
                                          const std::vector<core::NodeId>& nodes) {
  std::unordered_set<core::NodeId> inside(nodes.begin(), nodes.end());
  std::vector<core::ValueId> inputs;
  std::unordered_set<core::ValueId> seen;
  auto consider = [&](core::ValueId v) {
    if (v == core::kNoValue || IsConstant(graph.values[v])) return;
    const core::NodeId producer = graph.values[v].producer;
    if (producer >= 0 && inside.count(producer)) return;
    if (seen.insert(v).second) inputs.push_back(v);
  };
  for (core::NodeId n : nodes) {
    for (core::ValueId v : graph.nodes[n].inputs) consider(v);
    for (core::ValueId v : graph.ImplicitInputs(n)) consider(v);
  }
  return inputs;
}

std::vector<core::ValueId> BoundaryOutputs(const core::Graph& graph,
                                           const std::vector<core::NodeId>& nodes) {
  std::unordered_set<core::NodeId> inside(nodes.begin(), nodes.end());
  const std::vector<std::vector<core::NodeId>> consumers = graph.Consumers();
  std::vector<bool> is_output(graph.values.size(), false);
  for (core::ValueId v : graph.outputs) is_output[v] = true;
  std::vector<core::ValueId> outputs;
  for (core::NodeId n : nodes)
    for (core::ValueId v : graph.nodes[n].outputs) {
      if (v == core::kNoValue) continue;
      const bool read_outside = std::any_of(consumers[v].begin(), consumers[v].end(),
                                            [&](core::NodeId c) { return !inside.count(c); });
      if (read_outside || is_output[v]) outputs.push_back(v);
    }
  return outputs;
}

Result<core::Graph> ExtractSubgraph(const core::Graph& graph,
                                    const std::vector<core::NodeId>& nodes,
                                    const std::vector<core::ValueId>& outputs) {
  core::Graph sub;
  sub.name = graph.name;
  sub.opsets = graph.opsets;
  std::unordered_map<core::ValueId, core::ValueId> mapped;
  auto map = [&](core::ValueId v) {
    if (v == core::kNoValue) return core::kNoValue;
    auto [it, inserted] = mapped.try_emplace(v, 0);
    if (inserted) {
      core::Value copy = graph.values[v];
      copy.producer = -1;  // TopologicalSort re-establishes producers
      it->second = sub.AddValue(std::move(copy));
    }
    return it->second;
  };
  for (core::ValueId v : BoundaryInputs(graph, nodes)) sub.inputs.push_back(map(v));
  for (core::NodeId n : nodes) {
    core::Node node = graph.nodes[n];
    for (core::ValueId& v : node.inputs) v = map(v);
    for (core::ValueId& v : node.outputs) v = map(v);
    sub.nodes.push_back(std::move(node));
  }
  for (core::ValueId v : outputs) {
    if (!mapped.count(v))
      return InternalError("subgraph output '" + graph.values[v].name + "' is not produced by it");
    sub.outputs.push_back(mapped[v]);
  }
  HETRUN_RETURN_IF_ERROR(sub.TopologicalSort());
  HETRUN_RETURN_IF_ERROR(sub.Verify());
  return sub;
}

}  // namespace hetrun::runtime
