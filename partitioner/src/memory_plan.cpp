#include "memory_plan.h"

#include <algorithm>
#include <set>

namespace hetrun::partitioner {
namespace {

constexpr int kNowhere = -1;

// Constant values a node reads, including those its subgraphs reference from the outer scope.
std::vector<core::ValueId> ConstantReads(const core::Graph& graph, core::NodeId node) {
  std::vector<core::ValueId> constants;
  for (core::ValueId v : graph.nodes[node].inputs)
    if (v != core::kNoValue && GraphEdges::IsConstant(graph.values[v])) constants.push_back(v);
  for (core::ValueId v : graph.ImplicitInputs(node))
    if (GraphEdges::IsConstant(graph.values[v])) constants.push_back(v);
  return constants;
}

}  // namespace

uint64_t NodeFootprint(const core::Graph& graph, core::NodeId node) {
  uint64_t bytes = 0;
  for (core::ValueId v : ConstantReads(graph, node)) bytes += EstimatedBytes(graph.values[v]);
  for (core::ValueId v : graph.nodes[node].outputs)
    if (v != core::kNoValue) bytes += EstimatedBytes(graph.values[v]);
  return bytes;
}

std::vector<DeviceMemory> PlanDeviceMemory(const PartitionRequest& request, const GraphEdges& edges,
                                           const Plan& plan) {
  const core::Graph& graph = *request.graph;
  const size_t num_devices = request.devices.size();
  std::vector<DeviceMemory> memory(num_devices);
  for (size_t d = 0; d < num_devices; ++d)
    memory[d].capacity_bytes = request.devices[d].memory_bytes;

  // Positions in execution order, and where each part starts and ends.
  const size_t n = graph.nodes.size();
  std::vector<size_t> position(n, 0), part_first(plan.parts.size(), 0),
      part_last(plan.parts.size(), 0);
  std::vector<int> part_of(n, kNowhere);
  size_t next = 0;
  for (size_t p = 0; p < plan.parts.size(); ++p) {
    part_first[p] = next;
    for (core::NodeId node : plan.parts[p].nodes) {
      position[node] = next++;
      part_of[node] = static_cast<int>(p);
    }
    part_last[p] = next == 0 ? 0 : next - 1;
  }

  // Weights: each constant once per device that reads it.
  std::vector<std::set<core::ValueId>> weights(num_devices);
  for (size_t node = 0; node < n; ++node)
    for (core::ValueId v : ConstantReads(graph, static_cast<core::NodeId>(node)))
      weights[plan.node_device[node]].insert(v);
  for (size_t d = 0; d < num_devices; ++d)
    for (core::ValueId v : weights[d]) memory[d].weights_bytes += EstimatedBytes(graph.values[v]);

  // Activations: a +bytes/-bytes sweep per device over execution positions.
  std::vector<std::vector<int64_t>> delta(num_devices, std::vector<int64_t>(n + 1, 0));
  std::vector<size_t> first(num_devices), last(num_devices);
  std::vector<bool> resident(num_devices);
  for (size_t v = 0; v < graph.values.size(); ++v) {
    const core::Value& value = graph.values[v];
    if (GraphEdges::IsConstant(value)) continue;
    const bool produced = value.producer >= 0;
    if (!produced && edges.consumers[v].empty()) continue;
    std::fill(resident.begin(), resident.end(), false);
    // Inside a part the plugin plans memory itself and may keep every value until the part ends
    // (the OpenCL plugin does), so a value lives to the end of the last part on the device that
    // produces or reads it: an upper bound whatever the plugin does, exact between parts.
    if (produced) {
      const int d = plan.node_device[value.producer];
      resident[d] = true;
      first[d] = position[value.producer];
      last[d] = part_last[part_of[value.producer]];
    }
    for (core::NodeId consumer : edges.consumers[v]) {
      const int d = plan.node_device[consumer];
      const size_t arrive = part_first[part_of[consumer]];
      const size_t until = part_last[part_of[consumer]];
      if (!resident[d]) {
        resident[d] = true;
        first[d] = arrive;
        last[d] = until;
        continue;
      }
      if (!produced || d != plan.node_device[value.producer]) first[d] = std::min(first[d], arrive);
      last[d] = std::max(last[d], until);
    }
    const auto bytes = static_cast<int64_t>(EstimatedBytes(value));
    for (size_t d = 0; d < num_devices; ++d) {
      if (!resident[d]) continue;
      delta[d][first[d]] += bytes;
      delta[d][last[d] + 1] -= bytes;
    }
  }
  for (size_t d = 0; d < num_devices; ++d) {
    int64_t live = 0, peak = 0;
    for (int64_t change : delta[d]) {
      live += change;
      peak = std::max(peak, live);
    }
    memory[d].peak_bytes = memory[d].weights_bytes + static_cast<uint64_t>(peak);
  }
  return memory;
}

}  // namespace hetrun::partitioner
