// Memory-aware placement: planned per-device peaks (weights + live activations) and the
// partitioner keeping every device with a known capacity within it, saying why it moved work.
#include <gtest/gtest.h>

#include "hetrun/partitioner/partitioner.h"
#include "hetrun/partitioner/plan_format.h"

namespace hetrun::partitioner {
namespace {

using core::Graph;

constexpr int64_t kElements = 1000;  // 4000 bytes per activation
constexpr uint64_t kActivationBytes = kElements * 4;

// x -> Mul(w0) -> Mul(w1) -> ... -> output; each wI is a constant of `weight_elements` floats.
Graph MulChain(int n, int64_t weight_elements) {
  Graph g;
  core::ValueId prev =
      g.AddValue({"x", core::DType::kFloat32, core::Shape::Of({kElements}), nullptr, -1});
  g.inputs.push_back(prev);
  for (int i = 0; i < n; ++i) {
    auto weight = core::Tensor::Create(core::DType::kFloat32, {weight_elements});
    EXPECT_TRUE(weight.ok());
    core::ValueId w = g.AddValue({"w" + std::to_string(i), core::DType::kFloat32,
                                  core::Shape::Of({weight_elements}),
                                  std::make_shared<const core::Tensor>(std::move(*weight)), -1});
    core::ValueId out = g.AddValue({"v" + std::to_string(i), core::DType::kFloat32,
                                    core::Shape::Of({kElements}), nullptr, -1});
    core::Node node;
    node.name = "n" + std::to_string(i);
    node.op_type = "Mul";
    node.inputs = {prev, w};
    node.outputs = {out};
    g.nodes.push_back(node);
    prev = out;
  }
  g.outputs.push_back(prev);
  EXPECT_TRUE(g.TopologicalSort().ok());
  return g;
}

// Devices `names`, all supporting every node at `cost_us[d]`; capacity `capacity[d]` (0 = none).
PartitionRequest Request(const Graph& g, const std::vector<std::string>& names,
                         const std::vector<double>& cost_us, const std::vector<uint64_t>& capacity,
                         Strategy strategy = Strategy::kCost) {
  PartitionRequest r;
  r.graph = &g;
  r.strategy = strategy;
  for (size_t d = 0; d < names.size(); ++d) {
    DeviceCost device;
    device.name = names[d];
    device.memory_bytes = capacity[d];
    r.devices.push_back(device);
    r.answers.emplace_back(g.nodes.size(), NodeAnswer{true, cost_us[d], ""});
  }
  return r;
}

TEST(PlannedMemory, InsideAPartEveryValueCountsUntilThePartEnds) {
  Graph g = MulChain(4, 250);  // 1000-byte weights
  Result<Plan> plan = Partition(Request(g, {"cpu"}, {1}, {0}));
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(plan->memory.size(), 1u);
  EXPECT_EQ(plan->memory[0].weights_bytes, 4 * 1000u);
  // One part: the plugin may keep x and every intermediate until the part ends.
  EXPECT_EQ(plan->memory[0].peak_bytes, 4 * 1000u + 5 * kActivationBytes);
  EXPECT_EQ(plan->memory[0].capacity_bytes, 0u);
}

TEST(PlannedMemory, BetweenPartsValuesAreFreedAfterTheirLastReader) {
  Graph g = MulChain(4, 250);
  PartitionRequest r = Request(g, {"a", "b"}, {1, 1}, {0, 0});
  r.pins = {{"n0", "a"}, {"n1", "b"}, {"n2", "a"}, {"n3", "b"}};
  Result<Plan> plan = Partition(r);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(plan->parts.size(), 4u);
  // a runs n0 (x, v0) then n2 (v1 arriving, v2): x and v0 are gone by then.
  EXPECT_EQ(plan->memory[0].peak_bytes, 2 * 1000u + 2 * kActivationBytes);
  EXPECT_EQ(plan->memory[1].peak_bytes, 2 * 1000u + 2 * kActivationBytes);
}

TEST(MemoryAwarePlacement, MovesWorkOffADeviceThatWouldOverflowAndSaysWhy) {
  Graph g = MulChain(8, 25000);  // 100 KB of weights per node, 800 KB in all
  const uint64_t capacity = 450000;
  for (Strategy strategy : {Strategy::kCost, Strategy::kPriority}) {
    Result<Plan> plan = Partition(Request(g, {"npu", "cpu"}, {1, 50}, {capacity, 0}, strategy));
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    EXPECT_LE(plan->memory[0].peak_bytes, capacity);
    int on_npu = 0;
    for (int d : plan->node_device) on_npu += d == 0;
    EXPECT_GE(on_npu, 2) << "the npu should still take what fits";
    EXPECT_LT(on_npu, 8);
    const std::string text = PlanExplanation(g, *plan);
    EXPECT_NE(text.find("moved off npu: the plan needs"), std::string::npos) << text;
    EXPECT_NE(text.find("over its capacity of"), std::string::npos) << text;
    EXPECT_NE(PlanJson(g, *plan).find("\"capacity_bytes\": 450000"), std::string::npos);
    EXPECT_NE(PlanTable(g, *plan).find("planned memory: npu"), std::string::npos);
  }
}

TEST(MemoryAwarePlacement, WithoutCapacitiesNothingMoves) {
  Graph g = MulChain(8, 25000);
  Result<Plan> plan = Partition(Request(g, {"npu", "cpu"}, {1, 50}, {0, 0}));
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  for (int d : plan->node_device) EXPECT_EQ(d, 0);
  for (const std::string& note : plan->memory_notes) EXPECT_EQ(note, "");
}

TEST(MemoryAwarePlacement, AModelThatFitsNowhereIsAClearError) {
  Graph g = MulChain(4, 25000);
  Result<Plan> plan = Partition(Request(g, {"npu"}, {1}, {100000}));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(plan.status().message().find(
                "the plan needs 420.0 KB on npu (weights 400.0 KB), over its capacity of 100.0 KB"),
            std::string::npos)
      << plan.status().message();
  EXPECT_NE(plan.status().message().find("--device-memory npu=SIZE"), std::string::npos);
}

TEST(MemoryAwarePlacement, PinnedNodesAreNotMovedButReported) {
  Graph g = MulChain(4, 25000);
  PartitionRequest r = Request(g, {"npu", "cpu"}, {1, 50}, {150000, 0});
  r.pins = {{"Mul", "npu"}};
  Result<Plan> plan = Partition(r);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("no node left on it can run on another selected device"),
            std::string::npos)
      << plan.status().message();
}

}  // namespace
}  // namespace hetrun::partitioner
