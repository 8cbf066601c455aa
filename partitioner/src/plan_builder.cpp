#include "plan_builder.h"

#include <algorithm>
#include <functional>
#include <queue>
#include <unordered_map>

namespace hetrun::partitioner {

std::vector<Part> FormParts(const core::Graph& graph, const GraphEdges& edges,
                            const std::vector<int>& node_device, size_t num_devices) {
  const size_t n = graph.nodes.size();
  std::vector<int> waiting(n, 0);  // producer edges not yet placed
  for (size_t i = 0; i < n; ++i)
    for (core::ValueId v : edges.reads[i])
      if (graph.values[v].producer >= 0) ++waiting[i];

  using MinHeap = std::priority_queue<core::NodeId, std::vector<core::NodeId>, std::greater<>>;
  std::vector<MinHeap> ready(num_devices);
  for (size_t i = 0; i < n; ++i)
    if (waiting[i] == 0) ready[node_device[i]].push(static_cast<core::NodeId>(i));

  std::vector<Part> parts;
  int current = -1;
  for (size_t placed = 0; placed < n; ++placed) {
    if (current < 0 || ready[current].empty()) {
      // Switch to the device whose earliest ready node comes first in the original order.
      current = -1;
      for (size_t d = 0; d < num_devices; ++d)
        if (!ready[d].empty() && (current < 0 || ready[d].top() < ready[current].top()))
          current = static_cast<int>(d);
      if (current < 0) break;  // a cycle: VerifyPlan reports the missing nodes
      parts.push_back(Part{current, {}, 0});
    }
    const core::NodeId node = ready[current].top();
    ready[current].pop();
    parts.back().nodes.push_back(node);
    for (core::ValueId out : graph.nodes[node].outputs) {
      if (out == core::kNoValue) continue;
      for (core::NodeId consumer : edges.consumers[out])
        if (--waiting[consumer] == 0) ready[node_device[consumer]].push(consumer);
    }
  }
  for (Part& part : parts) std::sort(part.nodes.begin(), part.nodes.end());
  return parts;
}

void AnnotatePlan(const PartitionRequest& request, const GraphEdges& edges,
                  const std::vector<std::vector<double>>& costs, Plan& plan) {
  const core::Graph& graph = *request.graph;
  std::vector<int> part_of(graph.nodes.size(), kHost);
  for (size_t p = 0; p < plan.parts.size(); ++p)
    for (core::NodeId node : plan.parts[p].nodes) part_of[node] = static_cast<int>(p);
  auto device_cost = [&](int part) -> const DeviceCost* {
    return part == kHost ? nullptr : &request.devices[plan.parts[part].device];
  };

  // List schedule: where each value is, and when it gets there, per device.
  std::vector<double> device_free(request.devices.size(), 0);
  std::vector<double> finish(plan.parts.size(), 0);
  std::unordered_map<int64_t, double> arrival;  // value * devices + device -> time
  const auto key = [&](core::ValueId v, int device) {
    return static_cast<int64_t>(v) * static_cast<int64_t>(request.devices.size() + 1) + device;
  };
  plan.transfers.clear();
  double end = 0;
  for (size_t p = 0; p < plan.parts.size(); ++p) {
    Part& part = plan.parts[p];
    part.estimated_us = 0;
    std::vector<core::ValueId> reads;
    for (core::NodeId node : part.nodes) {
      part.estimated_us += costs[part.device][node];
      for (core::ValueId v : edges.reads[node]) {
        const core::NodeId producer = graph.values[v].producer;
        if (producer < 0 || part_of[producer] != static_cast<int>(p)) reads.push_back(v);
      }
    }
    std::sort(reads.begin(), reads.end());
    reads.erase(std::unique(reads.begin(), reads.end()), reads.end());
    double start = device_free[part.device];
    for (core::ValueId v : reads) {
      const core::NodeId producer = graph.values[v].producer;
      const int from = producer < 0 ? kHost : part_of[producer];
      if (from != kHost && plan.parts[from].device == part.device) {
        start = std::max(start, finish[from]);
        continue;
      }
      auto [it, inserted] = arrival.try_emplace(key(v, part.device), 0.0);
      if (inserted) {
        Transfer t;
        t.value = v;
        t.from_part = from;
        t.to_part = static_cast<int>(p);
        t.bytes = EstimatedBytes(graph.values[v]);
        t.estimated_us = TransferUs(device_cost(from), device_cost(static_cast<int>(p)), t.bytes);
        it->second = (from == kHost ? 0 : finish[from]) + t.estimated_us;
        plan.transfers.push_back(t);
      }
      start = std::max(start, it->second);
    }
    finish[p] = start + part.estimated_us + PartOverheadUs(request.devices[part.device]);
    device_free[part.device] = finish[p];
    end = std::max(end, finish[p]);
  }
  for (core::ValueId v : graph.outputs) {
    const core::NodeId producer = graph.values[v].producer;
    if (producer < 0) continue;
    Transfer t;
    t.value = v;
    t.from_part = part_of[producer];
    t.to_part = kHost;
    t.bytes = EstimatedBytes(graph.values[v]);
    t.estimated_us = TransferUs(device_cost(t.from_part), nullptr, t.bytes);
    end = std::max(end, finish[t.from_part] + t.estimated_us);
    plan.transfers.push_back(t);
  }
  plan.estimated_ms = end / 1e3;
}

}  // namespace hetrun::partitioner
