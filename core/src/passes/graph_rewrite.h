// Editing helpers shared by the graph passes: who reads a value, redirecting readers, removing
// nodes, adding constants with unique names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hetrun/core/graph.h"
#include "hetrun/status.h"

namespace hetrun::core::detail {

// Readers of every value of a graph, indexed by ValueId.
struct ValueUses {
  std::vector<std::vector<NodeId>> consumers;  // explicit and subgraph (implicit) readers
  std::vector<bool> graph_output;
  std::vector<bool> read_by_subgraph;

  static ValueUses Of(const Graph& graph);
  // A value whose readers can all be moved to another value by id: graph outputs keep their name
  // and subgraphs read by name, so neither may be redirected.
  bool Redirectable(ValueId v) const {
    return !graph_output[static_cast<size_t>(v)] && !read_by_subgraph[static_cast<size_t>(v)];
  }
  size_t ConsumerCount(ValueId v) const { return consumers[static_cast<size_t>(v)].size(); }
};

// Makes every explicit node input `from` read `to` instead.
void RedirectUses(Graph& graph, ValueId from, ValueId to);

// Erases the nodes marked in `remove` (indexed by NodeId), then re-establishes producers and order.
Status RemoveNodes(Graph& graph, const std::vector<bool>& remove);

// `base`, or `base_<n>` for the first n that no value of the graph is named yet.
std::string UniqueValueName(const Graph& graph, const std::string& base);

// A new constant value holding `tensor`, named after `base` (made unique).
ValueId AddConstant(Graph& graph, const std::string& base, Tensor tensor);

// The contents of an int32/int64 constant, or nullopt when `v` is absent or not such a constant.
std::optional<std::vector<int64_t>> ConstantInts(const Graph& graph, ValueId v);

bool HasSubgraph(const Node& node);

inline const Value& ValueOf(const Graph& graph, ValueId v) {
  return graph.values[static_cast<size_t>(v)];
}

// An int attribute, or `fallback` when the node does not set it.
int64_t IntAttribute(const Node& node, const std::string& name, int64_t fallback);

}  // namespace hetrun::core::detail
