// A Plan: the graph's nodes split into parts, each run by one device, and the transfers between
// them. Parts are convex (no path leaves a part and re-enters it), so the graph of parts is acyclic
// and the listed order is a valid execution order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hetrun/core/graph.h"
#include "hetrun/status.h"

namespace hetrun::partitioner {

// Where a node's cost came from: the plugin's estimate, the partitioner's cost model (the plugin
// gave none), or a measurement by `hetrun tune`.
enum class CostSource : uint8_t { kPlugin = 0, kModel = 1, kMeasured = 2 };
const char* CostSourceName(CostSource source);  // "estimated by the plugin", ...

// One plugin's answer for one node.
struct NodeAnswer {
  bool supported = false;
  double cost_us = 0;  // <= 0: no estimate
  std::string reason;  // why not, when unsupported
  CostSource source = CostSource::kPlugin;
  // The code-generator values `hetrun tune` chose for this node on this device ("block_m=4"), which
  // the part is compiled with; "" when none were tuned.
  std::string tuning;
};

// answers[d][n]: device d's answer for node n (devices in the user's order).
using CapabilityTable = std::vector<std::vector<NodeAnswer>>;

// Where a transfer starts or ends when it is not a part: the caller's memory (graph inputs come
// from there, graph outputs go back there).
inline constexpr int kHost = -1;

struct Part {
  int device = 0;                   // index into Plan::devices
  std::vector<core::NodeId> nodes;  // in the graph's topological order
  double estimated_us = 0;          // compute estimate, without transfers
};

// One value copied between memories: from a producing part (or the host) to the device of a
// consuming part (or back to the host). A value read by several parts on one device moves once.
struct Transfer {
  core::ValueId value = core::kNoValue;
  int from_part = kHost;
  int to_part = kHost;  // the first part on the destination device that reads it
  uint64_t bytes = 0;
  double estimated_us = 0;
};

// What the plan keeps on one device (see PlanDeviceMemory): weights for the whole session plus the
// peak of live activations.
struct DeviceMemory {
  uint64_t weights_bytes = 0;
  uint64_t peak_bytes = 0;      // weights + peak activations
  uint64_t capacity_bytes = 0;  // what the device offers (or --device-memory); 0 = unknown
};

struct Plan {
  std::string strategy;              // "cost", "priority" or "replay"
  std::vector<std::string> devices;  // as named by the user: "cpu", "vulkan:1"
  std::vector<Part> parts;           // in an order where every part's producers come first
  std::vector<int> node_device;      // device index per node
  std::vector<Transfer> transfers;
  double estimated_ms = 0;  // end to end: per-device queues, parts overlapping where they can
  // Why nodes went where they did: every device's answer per node (answers[d][n], cost_us as the
  // cost model used it), and per node the --assign pin that placed it ("" when none).
  CapabilityTable answers;
  std::vector<std::string> pins;
  // Per device, in Plan::devices order.
  std::vector<DeviceMemory> memory;
  // Per node: why it was moved off a device whose capacity the plan would exceed ("" when not).
  std::vector<std::string> memory_notes;
  // What `hetrun tune`'s whole-model timing decided for this model and devices ("" when none).
  std::string measured_note;

  // Bytes of the transfers into / out of part `part` (host transfers included).
  uint64_t BytesIn(int part) const;
  uint64_t BytesOut(int part) const;
};

// Checks that every node is in exactly one part, parts are non-empty, and the part graph is acyclic
// with parts listed in a valid execution order. The partitioner calls it; so do tests.
Status VerifyPlan(const core::Graph& graph, const Plan& plan);

}  // namespace hetrun::partitioner
