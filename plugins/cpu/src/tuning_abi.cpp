#include "tuning_abi.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "errors.h"
#include "kernel.h"

namespace hetrun::cpu {
namespace {

// Checks what the listers read of node `index` (its arrays and value indices) before they read it.
const hetrun_node& CheckedNode(const hetrun_graph_view& graph, uint32_t index) {
  if (graph.struct_size < sizeof(hetrun_graph_view))
    ThrowInvalid("graph view struct_size " + std::to_string(graph.struct_size) + " is too small");
  if ((graph.num_values && !graph.values) || (graph.num_nodes && !graph.nodes))
    ThrowInvalid("graph view has a NULL array with a non-zero count");
  if (index >= graph.num_nodes)
    ThrowInvalid("node " + std::to_string(index) + " is outside the graph of " +
                 std::to_string(graph.num_nodes) + " nodes");
  const hetrun_node& node = graph.nodes[index];
  if (!node.op_type || (node.num_inputs && !node.inputs) || (node.num_outputs && !node.outputs) ||
      (node.num_attributes && !node.attributes))
    ThrowInvalid(DescribeNode(node.name, "?", index) +
                 ": a NULL array with a non-zero count, or no op_type");
  auto check = [&](const int32_t* v, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i)
      if (v[i] >= 0 && static_cast<uint32_t>(v[i]) >= graph.num_values)
        ThrowInvalid(DescribeNode(node.name, node.op_type, index) + ": value index " +
                     std::to_string(v[i]) + " is out of range");
  };
  check(node.inputs, node.num_inputs);
  check(node.outputs, node.num_outputs);
  return node;
}

std::vector<Tunable> TunablesOf(const hetrun_graph_view& graph, uint32_t index, int threads) {
  const hetrun_node& node = CheckedNode(graph, index);
  const KernelBuildContext ctx{node, graph};
  try {
    return ListTunables(ctx, threads);
  } catch (...) {
    RethrowWithContext(DescribeNode(node.name, node.op_type, index));
  }
}

std::string Candidates(const Tunable& t) {
  std::string s;
  for (int64_t v : t.values) s += (s.empty() ? "" : ", ") + std::to_string(v);
  return s;
}

}  // namespace

void ListNodeTunables(const hetrun_graph_view& graph, uint32_t node, int threads,
                      hetrun_tunable* out, uint32_t capacity, uint32_t* out_count) {
  if (!out_count) ThrowInvalid("out_count is NULL");
  if (capacity > 0 && !out) ThrowInvalid("out is NULL with capacity > 0");
  const std::vector<Tunable> tunables = TunablesOf(graph, node, threads);
  const size_t stride = capacity > 0 ? out[0].struct_size : 0;
  if (capacity > 0 && stride < sizeof(hetrun_tunable))
    ThrowInvalid("out[0].struct_size " + std::to_string(stride) + " is smaller than " +
                 std::to_string(sizeof(hetrun_tunable)) + " (hetrun_tunable of ABI minor 2)");
  const size_t n = std::min<size_t>(tunables.size(), capacity);
  for (size_t i = 0; i < n; ++i) {
    const Tunable& t = tunables[i];
    auto* entry = reinterpret_cast<hetrun_tunable*>(reinterpret_cast<char*>(out) + i * stride);
    if (t.values.empty() || t.values.size() > HETRUN_MAX_TUNABLE_VALUES ||
        t.name.size() >= sizeof entry->name)
      throw plugin::Error(HETRUN_STATUS_INTERNAL, "tunable '" + t.name + "' does not fit the ABI");
    entry->num_values = static_cast<uint32_t>(t.values.size());
    std::memset(entry->name, 0, sizeof entry->name);
    std::memcpy(entry->name, t.name.data(), t.name.size());
    std::memset(entry->description, 0, sizeof entry->description);
    std::memcpy(entry->description, t.description.data(),
                std::min(t.description.size(), sizeof entry->description - 1));
    std::copy(t.values.begin(), t.values.end(), entry->values);
    entry->default_value = t.default_value;
  }
  *out_count = static_cast<uint32_t>(tunables.size());
}

std::vector<NodeTuning> CheckTuningValues(const hetrun_graph_view& part,
                                          const hetrun_tuning_value* values, uint32_t num_values,
                                          int threads) {
  if (num_values == 0) return {};
  if (!values) ThrowInvalid("values is NULL with num_values > 0");
  if ((part.num_nodes && !part.nodes)) ThrowInvalid("graph view has a NULL nodes array");
  std::vector<NodeTuning> tuning(part.num_nodes);
  std::vector<std::vector<Tunable>> listed(part.num_nodes);
  std::vector<bool> listed_done(part.num_nodes, false);
  for (uint32_t i = 0; i < num_values; ++i) {
    const hetrun_tuning_value& v = values[i];
    const std::string where = "tuning value #" + std::to_string(i);
    if (v.node >= part.num_nodes)
      ThrowInvalid(where + ": node " + std::to_string(v.node) + " is outside the part of " +
                   std::to_string(part.num_nodes) + " nodes");
    if (!v.name) ThrowInvalid(where + ": name is NULL");
    const hetrun_node& node = part.nodes[v.node];
    const std::string described = DescribeNode(node.name, node.op_type, v.node);
    if (!listed_done[v.node]) {
      listed[v.node] = TunablesOf(part, v.node, threads);
      listed_done[v.node] = true;
    }
    const std::vector<Tunable>& tunables = listed[v.node];
    const auto t = std::find_if(tunables.begin(), tunables.end(),
                                [&](const Tunable& u) { return u.name == v.name; });
    if (t == tunables.end()) {
      std::string names;
      for (const Tunable& u : tunables) names += (names.empty() ? "" : ", ") + u.name;
      ThrowInvalid(where + ": " + described + " has no tunable '" + v.name + "' (it has " +
                   (names.empty() ? std::string("none") : names) + ")");
    }
    if (std::find(t->values.begin(), t->values.end(), v.value) == t->values.end())
      ThrowInvalid(where + ": " + std::to_string(v.value) + " is not a candidate of '" + v.name +
                   "' for " + described + " (" + Candidates(*t) + ")");
    if (tuning[v.node].Find(v.name))
      ThrowInvalid(where + ": '" + v.name + "' of " + described + " is named twice");
    tuning[v.node].Set(v.name, v.value);
  }
  return tuning;
}

}  // namespace hetrun::cpu
