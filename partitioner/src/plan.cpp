#include "hetrun/partitioner/plan.h"

#include <vector>

namespace hetrun::partitioner {

const char* CostSourceName(CostSource source) {
  switch (source) {
    case CostSource::kPlugin: return "estimated by the plugin";
    case CostSource::kModel: return "estimated by the cost model";
    case CostSource::kMeasured: return "measured";
  }
  return "unknown";
}

uint64_t Plan::BytesIn(int part) const {
  uint64_t bytes = 0;
  for (const Transfer& t : transfers)
    if (t.to_part == part) bytes += t.bytes;
  return bytes;
}

uint64_t Plan::BytesOut(int part) const {
  uint64_t bytes = 0;
  for (const Transfer& t : transfers)
    if (t.from_part == part) bytes += t.bytes;
  return bytes;
}

Status VerifyPlan(const core::Graph& graph, const Plan& plan) {
  const size_t n = graph.nodes.size();
  std::vector<int> part_of(n, -1);
  for (size_t p = 0; p < plan.parts.size(); ++p) {
    const Part& part = plan.parts[p];
    if (part.nodes.empty()) return InternalError("plan: part " + std::to_string(p) + " is empty");
    if (part.device < 0 || part.device >= static_cast<int>(plan.devices.size()))
      return InternalError("plan: part " + std::to_string(p) + " has no valid device");
    for (core::NodeId node : part.nodes) {
      if (node < 0 || static_cast<size_t>(node) >= n)
        return InternalError("plan: part " + std::to_string(p) + " names a node out of range");
      if (part_of[node] != -1)
        return InternalError("plan: node '" + graph.nodes[node].name + "' is in two parts");
      part_of[node] = static_cast<int>(p);
    }
  }
  for (size_t i = 0; i < n; ++i)
    if (part_of[i] == -1)
      return InternalError("plan: node '" + graph.nodes[i].name + "' is in no part");

  // Every edge must go from a part to the same or a later part in the listed order. That makes the
  // listed order a topological order of the part graph, which proves it acyclic; and since a path
  // can only move forward through parts, no path leaves a part and comes back (convexity).
  // Outer-scope reads of subgraphs are edges too.
  for (size_t i = 0; i < n; ++i) {
    std::vector<core::ValueId> reads = graph.nodes[i].inputs;
    for (core::ValueId v : graph.ImplicitInputs(static_cast<core::NodeId>(i))) reads.push_back(v);
    for (core::ValueId v : reads) {
      if (v == core::kNoValue) continue;
      core::NodeId producer = graph.values[v].producer;
      if (producer < 0) continue;
      if (part_of[producer] > part_of[i])
        return InternalError("plan: node '" + graph.nodes[i].name + "' (part " +
                             std::to_string(part_of[i]) +
                             ") reads a value produced later, in part " +
                             std::to_string(part_of[producer]) + ": the part graph has a cycle");
    }
  }
  return Status::Ok();
}

}  // namespace hetrun::partitioner
