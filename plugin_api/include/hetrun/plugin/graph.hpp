// Checked reads of the graph view given to query_support and compile: a value index out of range is
// an Error(INVALID_ARGUMENT) naming the node, not a read past the host's arrays.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hetrun/plugin.h"
#include "hetrun/plugin.hpp"
#include "hetrun/plugin/errors.hpp"

namespace hetrun::plugin {

// values[index], checked.
inline const hetrun_value& ValueAt(const hetrun_graph_view& graph, int32_t index) {
  if (index < 0 || static_cast<uint32_t>(index) >= graph.num_values || !graph.values) {
    ThrowInvalid("value index " + std::to_string(index) + " is outside the graph's " +
                 std::to_string(graph.num_values) + " values");
  }
  return graph.values[index];
}

// The value feeding input `i` of `node`, or nullptr when that optional input is omitted or absent
// (i >= num_inputs).
inline const hetrun_value* NodeInput(const hetrun_graph_view& graph, const hetrun_node& node,
                                     uint32_t i) {
  if (i >= node.num_inputs || node.inputs[i] < 0) return nullptr;
  return &ValueAt(graph, node.inputs[i]);
}

// The value output `i` of `node` produces, or nullptr when omitted or absent.
inline const hetrun_value* NodeOutput(const hetrun_graph_view& graph, const hetrun_node& node,
                                      uint32_t i) {
  if (i >= node.num_outputs || node.outputs[i] < 0) return nullptr;
  return &ValueAt(graph, node.outputs[i]);
}

// The value's dims when its rank and every dim are known before run time; std::nullopt otherwise.
inline std::optional<std::vector<int64_t>> StaticDims(const hetrun_value& value) {
  if (value.rank < 0 || (value.rank > 0 && !value.dims)) return std::nullopt;
  std::vector<int64_t> dims(value.dims, value.dims + value.rank);
  for (int64_t d : dims) {
    if (d < 0) return std::nullopt;
  }
  return dims;
}

// Element count of StaticDims(value), or std::nullopt.
inline std::optional<uint64_t> StaticElementCount(const hetrun_value& value) {
  std::optional<std::vector<int64_t>> dims = StaticDims(value);
  if (!dims) return std::nullopt;
  uint64_t count = 1;
  for (int64_t d : *dims) count *= static_cast<uint64_t>(d);
  return count;
}

// Checks what plugin code indexes without looking: struct_size, every array against its count,
// every value index in range (or -1 for an omitted optional node input/output), op_type and domain
// set, dims present for a known rank. The framework runs it on every view before QuerySupport and
// Compile, so those may index the view freely. Error(INVALID_ARGUMENT) naming the node otherwise.
inline void CheckGraphView(const hetrun_graph_view& graph) {
  if (graph.struct_size < sizeof(hetrun_graph_view)) {
    ThrowInvalid("graph view struct_size " + std::to_string(graph.struct_size) + " is too small");
  }
  if ((graph.num_values && !graph.values) || (graph.num_nodes && !graph.nodes) ||
      (graph.num_inputs && !graph.inputs) || (graph.num_outputs && !graph.outputs)) {
    ThrowInvalid("graph view has a NULL array with a non-zero count");
  }
  for (uint32_t v = 0; v < graph.num_values; ++v) {
    const hetrun_value& value = graph.values[v];
    if (value.rank < -1 || (value.rank > 0 && !value.dims)) {
      ThrowInvalid("graph value " + std::to_string(v) + " has rank " + std::to_string(value.rank) +
                   (value.rank > 0 ? " but no dims" : ""));
    }
  }
  auto check_index = [&](int32_t index, bool may_be_omitted, const std::string& what) {
    if ((index == -1 && may_be_omitted) ||
        (index >= 0 && static_cast<uint32_t>(index) < graph.num_values)) {
      return;
    }
    ThrowInvalid(what + " names value " + std::to_string(index) + " of a graph with " +
                 std::to_string(graph.num_values));
  };
  for (uint32_t i = 0; i < graph.num_inputs; ++i) {
    check_index(graph.inputs[i], false, "graph input " + std::to_string(i));
  }
  for (uint32_t o = 0; o < graph.num_outputs; ++o) {
    check_index(graph.outputs[o], false, "graph output " + std::to_string(o));
  }
  for (uint32_t k = 0; k < graph.num_nodes; ++k) {
    const hetrun_node& node = graph.nodes[k];
    if (!node.op_type || !node.domain) {
      ThrowInvalid("node #" + std::to_string(k) + " has no op_type or domain");
    }
    const std::string where = DescribeNode(node, k);
    if ((node.num_inputs && !node.inputs) || (node.num_outputs && !node.outputs) ||
        (node.num_attributes && !node.attributes)) {
      ThrowInvalid(where + " has a NULL array with a non-zero count");
    }
    for (uint32_t i = 0; i < node.num_inputs; ++i) {
      check_index(node.inputs[i], true, where + " input " + std::to_string(i));
    }
    for (uint32_t o = 0; o < node.num_outputs; ++o) {
      check_index(node.outputs[o], true, where + " output " + std::to_string(o));
    }
  }
}

}  // namespace hetrun::plugin
