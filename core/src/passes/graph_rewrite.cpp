#include "graph_rewrite.h"

#include <unordered_set>
#include <utility>

namespace hetrun::core::detail {

ValueUses ValueUses::Of(const Graph& graph) {
  ValueUses uses;
  uses.consumers = graph.Consumers();
  uses.graph_output.assign(graph.values.size(), false);
  uses.read_by_subgraph.assign(graph.values.size(), false);
  for (ValueId v : graph.outputs) uses.graph_output[static_cast<size_t>(v)] = true;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    if (!HasSubgraph(graph.nodes[i])) continue;
    for (ValueId v : graph.ImplicitInputs(static_cast<NodeId>(i)))
      uses.read_by_subgraph[static_cast<size_t>(v)] = true;
  }
  return uses;
}

void RedirectUses(Graph& graph, ValueId from, ValueId to) {
  for (Node& node : graph.nodes) {
    for (ValueId& in : node.inputs) {
      if (in == from) in = to;
    }
  }
}

Status RemoveNodes(Graph& graph, const std::vector<bool>& remove) {
  std::vector<Node> kept;
  kept.reserve(graph.nodes.size());
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    if (!remove[i]) kept.push_back(std::move(graph.nodes[i]));
  }
  graph.nodes = std::move(kept);
  // Producers of removed nodes' outputs (now constants or unread) must be cleared before sorting.
  for (Value& v : graph.values) v.producer = -1;
  return graph.TopologicalSort();
}

std::string UniqueValueName(const Graph& graph, const std::string& base) {
  std::unordered_set<std::string> names;
  names.reserve(graph.values.size());
  for (const Value& v : graph.values) names.insert(v.name);
  if (names.count(base) == 0) return base;
  for (int n = 1;; ++n) {
    std::string candidate = base + "_" + std::to_string(n);
    if (names.count(candidate) == 0) return candidate;
  }
}

ValueId AddConstant(Graph& graph, const std::string& base, Tensor tensor) {
  Value v;
  v.name = UniqueValueName(graph, base);
  v.dtype = tensor.dtype();
  v.shape = Shape::Of(tensor.dims());
  v.constant = std::make_shared<const Tensor>(std::move(tensor));
  return graph.AddValue(std::move(v));
}

std::optional<std::vector<int64_t>> ConstantInts(const Graph& graph, ValueId v) {
  if (v == kNoValue) return std::nullopt;
  const Tensor* t = ValueOf(graph, v).constant.get();
  if (t == nullptr) return std::nullopt;
  const auto n = static_cast<size_t>(t->element_count());
  if (t->dtype() == DType::kInt64)
    return std::vector<int64_t>(t->data_as<int64_t>(), t->data_as<int64_t>() + n);
  if (t->dtype() == DType::kInt32)
    return std::vector<int64_t>(t->data_as<int32_t>(), t->data_as<int32_t>() + n);
  return std::nullopt;
}

bool HasSubgraph(const Node& node) {
  for (const Attribute& a : node.attributes) {
    if (a.type == Attribute::Type::kGraph) return true;
  }
  return false;
}

int64_t IntAttribute(const Node& node, const std::string& name, int64_t fallback) {
  const Attribute* a = node.FindAttribute(name);
  return a != nullptr && a->type == Attribute::Type::kInt ? a->i : fallback;
}

}  // namespace hetrun::core::detail
