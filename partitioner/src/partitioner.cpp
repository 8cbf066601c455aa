#include "hetrun/partitioner/partitioner.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <map>
#include <optional>

#include "graph_edges.h"
#include "hetrun/partitioner/plan_format.h"
#include "memory_plan.h"
#include "plan_builder.h"

namespace hetrun::partitioner {
namespace {

using DeviceMask = uint64_t;  // bit d: device d may run the node
constexpr size_t kMaxDevices = 64;
constexpr int kMaxRefinementPasses = 8;
constexpr int kMaxMemoryRounds = 32;

bool GlobMatch(const std::string& pattern, const std::string& text) {
  // Iterative matcher with backtracking to the last '*'.
  size_t p = 0, t = 0, star = std::string::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string NodeLabel(const core::Node& node) {
  return "node '" + node.name + "' (" + (node.domain.empty() ? "" : node.domain + ".") +
         node.op_type + ")";
}

int DeviceIndex(const PartitionRequest& request, const std::string& name) {
  for (size_t d = 0; d < request.devices.size(); ++d)
    if (request.devices[d].name == name) return static_cast<int>(d);
  return -1;
}

std::string DeviceList(const PartitionRequest& request) {
  std::string list;
  for (const DeviceCost& d : request.devices) list += (list.empty() ? "" : ", ") + d.name;
  return list;
}

// Which devices may run each node: those that support it, narrowed by the user's pins.
Result<std::vector<DeviceMask>> AllowedDevices(const PartitionRequest& request,
                                               std::vector<std::string>& pin_notes) {
  const core::Graph& graph = *request.graph;
  std::vector<DeviceMask> allowed(graph.nodes.size(), 0);
  for (size_t n = 0; n < graph.nodes.size(); ++n)
    for (size_t d = 0; d < request.devices.size(); ++d)
      if (request.answers[d][n].supported) allowed[n] |= DeviceMask{1} << d;

  std::vector<bool> pinned(graph.nodes.size(), false);
  pin_notes.assign(graph.nodes.size(), "");
  for (const Pin& pin : request.pins) {
    const int d = DeviceIndex(request, pin.device);
    const std::string what = "--assign " + pin.pattern + "=" + pin.device;
    if (d < 0)
      return InvalidArgument(what + ": '" + pin.device + "' is not among the selected devices (" +
                             DeviceList(request) + ")");
    bool matched = false;
    for (size_t n = 0; n < graph.nodes.size(); ++n) {
      const core::Node& node = graph.nodes[n];
      if (!GlobMatch(pin.pattern, node.name) && !GlobMatch(pin.pattern, node.op_type)) continue;
      matched = true;
      if (pinned[n]) continue;  // the first matching pin wins
      pinned[n] = true;
      pin_notes[n] = what;
      if (!request.answers[d][n].supported)
        return InvalidArgument(what + ": " + NodeLabel(node) + " is not supported by " +
                               pin.device + ": " + request.answers[d][n].reason);
      allowed[n] = DeviceMask{1} << d;
    }
    if (!matched) return InvalidArgument(what + ": the pattern matches no node name or op type");
  }

  std::string unsupported;
  int count = 0;
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    if (allowed[n] != 0 || ++count > 5) continue;  // the first few are enough to act on
    unsupported += (unsupported.empty() ? "" : "; ") + NodeLabel(graph.nodes[n]);
    for (size_t d = 0; d < request.devices.size(); ++d)
      unsupported += " [" + request.devices[d].name + ": " + request.answers[d][n].reason + "]";
  }
  if (count > 0)
    return Unimplemented(std::to_string(count) + " node(s) not supported by any selected device: " +
                         unsupported + (count > 5 ? "; ..." : ""));
  return allowed;
}

Result<std::vector<int>> ReplayAssignment(const PartitionRequest& request,
                                          const std::vector<DeviceMask>& allowed) {
  const core::Graph& graph = *request.graph;
  std::map<std::string, std::string> saved(request.replay.begin(), request.replay.end());
  std::vector<int> node_device(graph.nodes.size(), -1);
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const core::Node& node = graph.nodes[n];
    auto it = saved.find(node.name);
    if (it == saved.end())
      return InvalidArgument("--plan-in: " + NodeLabel(node) +
                             " is not in the saved plan (was it made for another model?)");
    const int d = DeviceIndex(request, it->second);
    if (d < 0)
      return InvalidArgument("--plan-in: " + NodeLabel(node) + " is planned on '" + it->second +
                             "', which is not among the selected devices (" + DeviceList(request) +
                             ")");
    if ((allowed[n] & (DeviceMask{1} << d)) == 0)
      return InvalidArgument("--plan-in: " + NodeLabel(node) + " is planned on '" + it->second +
                             "', which " +
                             (request.answers[d][n].supported
                                  ? "an --assign pin overrides"
                                  : "does not support it: " + request.answers[d][n].reason));
    node_device[n] = d;
    saved.erase(it);
  }
  if (!saved.empty())
    return InvalidArgument("--plan-in: the saved plan names node '" + saved.begin()->first +
                           "', which the model does not have (was it made for another model?)");
  return node_device;
}

// Transfer cost between two device indices (kHost for the caller's memory).
double Move(const PartitionRequest& request, int from, int to, uint64_t bytes) {
  if (from == to) return 0;
  return TransferUs(from == kHost ? nullptr : &request.devices[from],
                    to == kHost ? nullptr : &request.devices[to], bytes);
}

// Greedy placement in topological order: each node where its compute plus the transfers of its
// inputs (and of its graph outputs back to the host) is cheapest. Ties go to the earlier device.
std::vector<int> GreedyAssignment(const PartitionRequest& request, const GraphEdges& edges,
                                  const std::vector<DeviceMask>& allowed,
                                  const std::vector<std::vector<double>>& costs) {
  const core::Graph& graph = *request.graph;
  std::vector<int> node_device(graph.nodes.size(), -1);
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    double best = 0;
    for (size_t d = 0; d < request.devices.size(); ++d) {
      if ((allowed[n] & (DeviceMask{1} << d)) == 0) continue;
      double total = costs[d][n];
      for (core::ValueId v : edges.reads[n]) {
        const core::NodeId producer = graph.values[v].producer;
        total += Move(request, producer < 0 ? kHost : node_device[producer], static_cast<int>(d),
                      EstimatedBytes(graph.values[v]));
      }
      for (core::ValueId v : graph.nodes[n].outputs)
        if (v != core::kNoValue && edges.is_graph_output[v])
          total += Move(request, static_cast<int>(d), kHost, EstimatedBytes(graph.values[v]));
      if (node_device[n] < 0 || total < best) {
        best = total;
        node_device[n] = static_cast<int>(d);
      }
    }
  }
  return node_device;
}

// Moves whole parts to another device when compute + transfers + part overhead go down; then
// re-forms parts (moved parts merge with their neighbours) and repeats until nothing moves.
void RefineByMovingParts(const PartitionRequest& request, const GraphEdges& edges,
                         const std::vector<DeviceMask>& allowed,
                         const std::vector<std::vector<double>>& costs,
                         std::vector<int>& node_device) {
  const core::Graph& graph = *request.graph;
  const int num_devices = static_cast<int>(request.devices.size());
  std::vector<int> part_of(graph.nodes.size(), -1);
  for (int pass = 0; pass < kMaxRefinementPasses; ++pass) {
    const std::vector<Part> parts = FormParts(graph, edges, node_device, request.devices.size());
    for (size_t p = 0; p < parts.size(); ++p)
      for (core::NodeId node : parts[p].nodes) part_of[node] = static_cast<int>(p);
    bool moved = false;
    for (size_t p = 0; p < parts.size(); ++p) {
      const int current = node_device[parts[p].nodes.front()];
      DeviceMask candidates = ~DeviceMask{0};
      for (core::NodeId node : parts[p].nodes) candidates &= allowed[node];
      if (std::has_single_bit(candidates)) continue;
      // The part's boundary: values it reads from elsewhere, and where its outputs go.
      std::vector<std::pair<core::ValueId, int>> inflow;   // value, source device
      std::vector<std::pair<core::ValueId, int>> outflow;  // value, destination device
      for (core::NodeId node : parts[p].nodes) {
        for (core::ValueId v : edges.reads[node]) {
          const core::NodeId producer = graph.values[v].producer;
          if (producer < 0)
            inflow.emplace_back(v, kHost);
          else if (part_of[producer] != static_cast<int>(p))
            inflow.emplace_back(v, node_device[producer]);
        }
        for (core::ValueId v : graph.nodes[node].outputs) {
          if (v == core::kNoValue) continue;
          if (edges.is_graph_output[v]) outflow.emplace_back(v, kHost);
          for (core::NodeId consumer : edges.consumers[v])
            if (part_of[consumer] != static_cast<int>(p))
              outflow.emplace_back(v, node_device[consumer]);
        }
      }
      for (auto* flow : {&inflow, &outflow}) {
        std::sort(flow->begin(), flow->end());
        flow->erase(std::unique(flow->begin(), flow->end()), flow->end());
      }
      auto boundary_cost = [&](int d) {
        double us = 0;
        bool neighbour_on_d = false;
        for (auto [v, from] : inflow) {
          us += Move(request, from, d, EstimatedBytes(graph.values[v]));
          neighbour_on_d = neighbour_on_d || from == d;
        }
        for (auto [v, to] : outflow) {
          us += Move(request, d, to, EstimatedBytes(graph.values[v]));
          neighbour_on_d = neighbour_on_d || to == d;
        }
        // Joining a neighbour's device merges the part away, saving its overhead.
        return us + (neighbour_on_d ? 0 : PartOverheadUs(request.devices[d]));
      };
      const double stay = boundary_cost(current);
      double best_delta = -1e-9;
      int best = current;
      for (int d = 0; d < num_devices; ++d) {
        if (d == current || (candidates & (DeviceMask{1} << d)) == 0) continue;
        double delta = boundary_cost(d) - stay;
        for (core::NodeId node : parts[p].nodes) delta += costs[d][node] - costs[current][node];
        if (delta < best_delta) {
          best_delta = delta;
          best = d;
        }
      }
      if (best == current) continue;
      for (core::NodeId node : parts[p].nodes) node_device[node] = best;
      moved = true;
    }
    if (!moved) return;
  }
}

}  // namespace

Result<Strategy> ParseStrategy(const std::string& text) {
  if (text == "cost") return Strategy::kCost;
  if (text == "priority") return Strategy::kPriority;
  return InvalidArgument("--partition '" + text + "': expected cost or priority");
}

const char* StrategyName(Strategy strategy) {
  return strategy == Strategy::kCost ? "cost" : "priority";
}

Result<Pin> Pin::Parse(const std::string& text) {
  const size_t eq = text.rfind('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    return InvalidArgument("--assign '" + text + "': expected PATTERN=DEVICE (e.g. Conv*=vulkan)");
  return Pin{text.substr(0, eq), text.substr(eq + 1)};
}

std::vector<std::vector<double>> NodeCosts(const PartitionRequest& request) {
  const core::Graph& graph = *request.graph;
  std::vector<std::vector<double>> costs(request.devices.size(),
                                         std::vector<double>(graph.nodes.size(), 0));
  for (size_t d = 0; d < request.devices.size(); ++d)
    for (size_t n = 0; n < graph.nodes.size(); ++n) {
      const NodeAnswer& answer = request.answers[d][n];
      costs[d][n] = answer.cost_us > 0
                        ? answer.cost_us
                        : EstimateNodeUs(graph, static_cast<core::NodeId>(n), request.devices[d]);
    }
  return costs;
}

namespace {

Result<Plan> BuildPlan(const PartitionRequest& request, const GraphEdges& edges,
                       const std::vector<std::vector<double>>& costs,
                       const std::vector<int>& node_device, const std::string& strategy) {
  Plan plan;
  plan.strategy = strategy;
  for (const DeviceCost& d : request.devices) plan.devices.push_back(d.name);
  plan.node_device = node_device;
  plan.parts = FormParts(*request.graph, edges, node_device, request.devices.size());
  HETRUN_RETURN_IF_ERROR(VerifyPlan(*request.graph, plan));
  AnnotatePlan(request, edges, costs, plan);
  plan.memory = PlanDeviceMemory(request, edges, plan);
  return plan;
}

// The request's strategy on the devices `allowed` leaves each node.
Result<Plan> PlanWithStrategy(const PartitionRequest& request, const GraphEdges& edges,
                              const std::vector<DeviceMask>& allowed,
                              const std::vector<std::vector<double>>& costs) {
  const core::Graph& graph = *request.graph;
  std::vector<int> priority(graph.nodes.size());
  for (size_t n = 0; n < graph.nodes.size(); ++n) priority[n] = std::countr_zero(allowed[n]);
  if (request.strategy == Strategy::kPriority)
    return BuildPlan(request, edges, costs, priority, "priority");

  // Cost: the refined greedy assignment, checked against simple alternatives (the priority plan,
  // everything on one device) by the end-to-end estimate, which also sees parts overlapping.
  std::vector<int> refined = GreedyAssignment(request, edges, allowed, costs);
  RefineByMovingParts(request, edges, allowed, costs, refined);
  std::vector<std::vector<int>> candidates{std::move(refined), std::move(priority)};
  for (size_t d = 0; d < request.devices.size(); ++d) {
    const DeviceMask bit = DeviceMask{1} << d;
    if (std::all_of(allowed.begin(), allowed.end(), [&](DeviceMask m) { return (m & bit) != 0; }))
      candidates.emplace_back(graph.nodes.size(), static_cast<int>(d));
  }
  std::optional<Plan> best;
  for (const std::vector<int>& candidate : candidates) {
    HETRUN_ASSIGN_OR_RETURN(Plan plan, BuildPlan(request, edges, costs, candidate, "cost"));
    if (!best || plan.estimated_ms < best->estimated_ms) best = std::move(plan);
  }
  return std::move(*best);
}

// Memory-aware placement: while a device's planned peak exceeds its capacity, the nodes on it with
// the largest footprint (weights + outputs) that another allowed device can run leave it, until
// what leaves covers the excess; then the strategy plans again (so refinement can regroup parts).
// Fails, naming the device and what it would need, when nothing more can move.
Result<Plan> FitMemory(const PartitionRequest& request, const GraphEdges& edges,
                       std::vector<DeviceMask> allowed,
                       const std::vector<std::vector<double>>& costs, Plan plan) {
  const core::Graph& graph = *request.graph;
  std::vector<std::string> notes(graph.nodes.size());
  std::vector<uint64_t> footprint(graph.nodes.size());
  for (size_t n = 0; n < graph.nodes.size(); ++n)
    footprint[n] = NodeFootprint(graph, static_cast<core::NodeId>(n));
  for (int round = 0;; ++round) {
    bool over = false;
    for (size_t d = 0; d < plan.memory.size(); ++d) {
      const DeviceMemory& m = plan.memory[d];
      if (m.capacity_bytes == 0 || m.peak_bytes <= m.capacity_bytes) continue;
      over = true;
      const DeviceMask bit = DeviceMask{1} << d;
      const std::string need = "the plan needs " + HumanBytes(m.peak_bytes) + " on " +
                               plan.devices[d] + " (weights " + HumanBytes(m.weights_bytes) +
                               "), over its capacity of " + HumanBytes(m.capacity_bytes);
      std::vector<core::NodeId> movable;
      for (size_t n = 0; n < graph.nodes.size(); ++n)
        if (plan.node_device[n] == static_cast<int>(d) && (allowed[n] & ~bit) != 0)
          movable.push_back(static_cast<core::NodeId>(n));
      if (movable.empty() || round == kMaxMemoryRounds)
        return Unavailable(need + ", and no node left on it can run on another selected device; " +
                           "select another device (e.g. add cpu to --devices) or raise " +
                           "--device-memory " + plan.devices[d] + "=SIZE");
      std::stable_sort(movable.begin(), movable.end(),
                       [&](core::NodeId a, core::NodeId b) { return footprint[a] > footprint[b]; });
      uint64_t freed = 0;
      for (core::NodeId n : movable) {
        if (freed >= m.peak_bytes - m.capacity_bytes) break;
        allowed[n] &= ~bit;
        freed += footprint[n];
        notes[n] = "moved off " + plan.devices[d] + ": " + need;
      }
    }
    if (!over) break;
    HETRUN_ASSIGN_OR_RETURN(plan, PlanWithStrategy(request, edges, allowed, costs));
  }
  plan.memory_notes = std::move(notes);
  return plan;
}

// Keeps what --explain shows: every answer with the cost used, and the pins.
Plan Explained(Plan plan, const PartitionRequest& request,
               const std::vector<std::vector<double>>& costs, std::vector<std::string> pins) {
  plan.answers = request.answers;
  for (size_t d = 0; d < plan.answers.size(); ++d)
    for (size_t n = 0; n < plan.answers[d].size(); ++n) {
      NodeAnswer& answer = plan.answers[d][n];
      if (answer.cost_us <= 0) answer.source = CostSource::kModel;
      answer.cost_us = costs[d][n];
    }
  pins.resize(request.graph->nodes.size());
  plan.pins = std::move(pins);
  plan.memory_notes.resize(request.graph->nodes.size());
  return plan;
}

}  // namespace

Result<Plan> FormPlan(const PartitionRequest& request, const std::vector<int>& node_device,
                      const std::string& strategy) {
  const std::vector<std::vector<double>> costs = NodeCosts(request);
  HETRUN_ASSIGN_OR_RETURN(
      Plan plan, BuildPlan(request, GraphEdges(*request.graph), costs, node_device, strategy));
  return Explained(std::move(plan), request, costs, {});
}

Result<Plan> Partition(const PartitionRequest& request) {
  if (request.graph == nullptr) return InternalError("partition: no graph");
  const core::Graph& graph = *request.graph;
  if (request.devices.empty()) return InvalidArgument("no devices selected");
  if (request.devices.size() > kMaxDevices)
    return InvalidArgument("at most " + std::to_string(kMaxDevices) + " devices can be selected");
  if (request.answers.size() != request.devices.size())
    return InternalError("capability table size mismatch");
  for (const auto& column : request.answers)
    if (column.size() != graph.nodes.size()) return InternalError("capability table size mismatch");

  std::vector<std::string> pins;
  HETRUN_ASSIGN_OR_RETURN(std::vector<DeviceMask> allowed, AllowedDevices(request, pins));
  const GraphEdges edges(graph);
  const std::vector<std::vector<double>> costs = NodeCosts(request);
  if (!request.replay.empty()) {
    HETRUN_ASSIGN_OR_RETURN(std::vector<int> replayed, ReplayAssignment(request, allowed));
    HETRUN_ASSIGN_OR_RETURN(Plan plan, BuildPlan(request, edges, costs, replayed, "replay"));
    return Explained(std::move(plan), request, costs, std::move(pins));
  }
  HETRUN_ASSIGN_OR_RETURN(Plan plan, PlanWithStrategy(request, edges, allowed, costs));
  HETRUN_ASSIGN_OR_RETURN(plan, FitMemory(request, edges, allowed, costs, std::move(plan)));
  return Explained(std::move(plan), request, costs, std::move(pins));
}

}  // namespace hetrun::partitioner
