#include "tuning.h"

#include <algorithm>
#include <set>
#include <utility>

#include "gen_errors.h"

namespace hetrun::vulkan {

std::vector<Tunable> ListTunables(const GraphInfo& graph, uint32_t k, const Limits& limits) {
  const hetrun_node& node = graph.node(k);
  const std::string op = node.op_type;
  if (!CheckNodeSupported(graph, k, limits).empty()) return {};
  if (op == "MatMul" || op == "Gemm") return MatMulTunables(graph, node, limits);
  if (op == "Conv") return ConvTunables(graph, node, limits);
  return {};
}

PartTuning ResolveTuning(const GraphInfo& graph, const Limits& limits,
                         const hetrun_tuning_value* values, uint32_t num_values) {
  const uint32_t num_nodes = graph.view().num_nodes;
  PartTuning tuning;
  if (num_values == 0) return tuning;
  if (!values) throw plugin::Error(HETRUN_STATUS_INVALID_ARGUMENT, "values is NULL");
  tuning.resize(num_nodes);
  std::vector<std::vector<Tunable>> lists(num_nodes);
  std::vector<bool> listed(num_nodes, false);
  for (uint32_t i = 0; i < num_values; ++i) {
    const hetrun_tuning_value& v = values[i];
    const std::string at = "tuning value " + std::to_string(i) + ": ";
    if (v.node >= num_nodes) {
      throw plugin::Error(HETRUN_STATUS_INVALID_ARGUMENT, at + "node " + std::to_string(v.node) +
                                                              " is outside the part of " +
                                                              std::to_string(num_nodes) + " nodes");
    }
    if (!v.name) throw plugin::Error(HETRUN_STATUS_INVALID_ARGUMENT, at + "the name is NULL");
    if (!listed[v.node]) {
      lists[v.node] = ListTunables(graph, v.node, limits);
      listed[v.node] = true;
    }
    const std::string name = v.name;
    const std::vector<Tunable>& list = lists[v.node];
    const auto it =
        std::find_if(list.begin(), list.end(), [&](const Tunable& t) { return t.name == name; });
    if (it == list.end()) {
      std::string known;
      for (const Tunable& t : list) known += (known.empty() ? "" : ", ") + t.name;
      throw plugin::Error(HETRUN_STATUS_INVALID_ARGUMENT,
                          at + graph.Describe(v.node) + " has no tunable '" + name + "' (it has " +
                              (known.empty() ? std::string("none") : known) + ")");
    }
    if (std::find(it->values.begin(), it->values.end(), v.value) == it->values.end()) {
      std::string known;
      for (int64_t c : it->values) known += (known.empty() ? "" : ", ") + std::to_string(c);
      throw plugin::Error(HETRUN_STATUS_INVALID_ARGUMENT,
                          at + "value " + std::to_string(v.value) + " is not a candidate of '" +
                              name + "' for " + graph.Describe(v.node) + " (" + known + ")");
    }
    if (!tuning[v.node].emplace(name, v.value).second) {
      throw plugin::Error(HETRUN_STATUS_INVALID_ARGUMENT,
                          at + "'" + name + "' of " + graph.Describe(v.node) + " is named twice");
    }
  }
  return tuning;
}

int64_t TunedValue(const NodeTuning& tuning, const std::string& name, int64_t fallback) {
  const auto it = tuning.find(name);
  return it == tuning.end() ? fallback : it->second;
}

}  // namespace hetrun::vulkan
