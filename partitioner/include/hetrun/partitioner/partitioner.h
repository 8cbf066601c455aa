// Assigns every node to one of the selected devices and forms convex parts.
//
// Strategies: "cost" (default) places each node where its compute plus the transfers of its inputs
// is cheapest, then repeatedly moves whole parts to a neighbouring device when that saves more
// (compute + transfers + per-part overhead) than it costs, so transfers that cost more than they
// save disappear; "priority" is the classic first-listed-device-that-supports-it placement (ONNX
// Runtime, OpenVINO HETERO). User pins (--assign) restrict nodes before either runs; a replayed
// plan
// (--plan-in) fixes every node. Parts are then formed by one shared routine that takes each
// device's ready nodes in turn, so every part is a contiguous slice of a topological order.
#pragma once

#include <string>
#include <vector>

#include "hetrun/partitioner/cost_model.h"
#include "hetrun/partitioner/plan.h"

namespace hetrun::partitioner {

enum class Strategy { kCost, kPriority };
Result<Strategy> ParseStrategy(const std::string& text);
const char* StrategyName(Strategy strategy);

// --assign PATTERN=DEVICE: nodes whose name or op type matches the glob (*, ?) go to DEVICE.
// The first matching pin wins.
struct Pin {
  std::string pattern;
  std::string device;
  static Result<Pin> Parse(const std::string& text);  // "Conv*=vulkan"
};

struct PartitionRequest {
  const core::Graph* graph = nullptr;
  std::vector<DeviceCost> devices;  // in the user's priority order
  CapabilityTable answers;          // answers[d][n]
  Strategy strategy = Strategy::kCost;
  std::vector<Pin> pins;
  // A saved plan to replay: device name per node name (from ReadPlanJson). Empty: none.
  std::vector<std::pair<std::string, std::string>> replay;
};

// Fails naming the nodes no selected device supports (with each device's reason), a pin naming an
// unselected device or a device that cannot run a pinned node, and a replayed plan that does not
// fit the model.
Result<Plan> Partition(const PartitionRequest& request);

// Forms convex parts from a node -> device assignment; fills transfers and estimates. Exposed for
// tests and for replaying assignments.
Result<Plan> FormPlan(const PartitionRequest& request, const std::vector<int>& node_device,
                      const std::string& strategy);

// Per-node costs the strategies and the estimates use: cost[d][n] (plugin estimate or the model's).
std::vector<std::vector<double>> NodeCosts(const PartitionRequest& request);

}  // namespace hetrun::partitioner
