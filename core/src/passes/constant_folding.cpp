// Constant folding over the topological order, so one sweep folds whole chains (the
// Shape -> Gather -> Unsqueeze -> Concat -> Reshape subgraphs exported models are full of).
#include "constant_evaluator.h"
#include "graph_rewrite.h"
#include "hetrun/core/passes.h"

namespace hetrun::core {

Result<int> FoldConstants(Graph& graph, int64_t max_folded_elements) {
  const detail::ValueUses uses = detail::ValueUses::Of(graph);
  std::vector<bool> folded(graph.nodes.size(), false);
  int count = 0;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& node = graph.nodes[i];
    if (!node.domain.empty() || node.outputs.size() != 1 || node.outputs[0] == kNoValue) continue;
    const ValueId out = node.outputs[0];
    // Graph outputs stay node outputs (the runtime returns what nodes compute).
    if (!uses.Redirectable(out)) continue;
    std::optional<Tensor> result = detail::EvaluateConstantNode(graph, node, max_folded_elements);
    if (!result) continue;
    Value& value = graph.values[static_cast<size_t>(out)];
    if (value.dtype != DType::kUndefined && value.dtype != result->dtype()) continue;
    value.dtype = result->dtype();
    value.shape = Shape::Of(result->dims());
    value.constant = std::make_shared<const Tensor>(std::move(*result));
    folded[i] = true;
    ++count;
  }
  if (count > 0) HETRUN_RETURN_IF_ERROR(detail::RemoveNodes(graph, folded));
  return count;
}

}  // namespace hetrun::core
