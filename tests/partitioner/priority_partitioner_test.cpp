// Priority placement and plan verification on hand-built graphs (no plugins needed).
#include <gtest/gtest.h>

#include <random>

#include "hetrun/partitioner/priority_partitioner.h"

namespace hetrun::partitioner {
namespace {

using core::Graph;

// A chain x -> n0 -> n1 -> ... -> output, plus optional side edges, all "Relu".
Graph Chain(int n) {
  Graph g;
  core::ValueId prev = g.AddValue({"x", core::DType::kFloat32, core::Shape::Of({4}), nullptr, -1});
  g.inputs.push_back(prev);
  for (int i = 0; i < n; ++i) {
    core::ValueId out = g.AddValue(
        {"v" + std::to_string(i), core::DType::kFloat32, core::Shape::Of({4}), nullptr, -1});
    core::Node node;
    node.name = "n" + std::to_string(i);
    node.op_type = "Relu";
    node.inputs = {prev};
    node.outputs = {out};
    g.nodes.push_back(node);
    prev = out;
  }
  g.outputs.push_back(prev);
  EXPECT_TRUE(g.TopologicalSort().ok());
  return g;
}

CapabilityTable Answers(const std::vector<std::string>& pattern) {
  // pattern[d][n] == '1' means device d supports node n.
  CapabilityTable t(pattern.size());
  for (size_t d = 0; d < pattern.size(); ++d)
    for (char c : pattern[d]) t[d].push_back({c == '1', 1.0, c == '1' ? "" : "no"});
  return t;
}

TEST(PriorityPartitioner, FirstListedDeviceWins) {
  Graph g = Chain(5);
  Result<Plan> plan = PartitionByPriority(g, {"gpu", "cpu"}, Answers({"11011", "11111"}));
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(plan->node_device, (std::vector<int>{0, 0, 1, 0, 0}));
  ASSERT_EQ(plan->parts.size(), 3u);
  EXPECT_EQ(plan->parts[0].nodes, (std::vector<core::NodeId>{0, 1}));
  EXPECT_EQ(plan->parts[1].device, 1);
  EXPECT_EQ(plan->parts[2].nodes, (std::vector<core::NodeId>{3, 4}));
}

TEST(PriorityPartitioner, UnsupportedNodesAreNamedWithEachDevicesReason) {
  Graph g = Chain(3);
  Result<Plan> plan = PartitionByPriority(g, {"a", "b"}, Answers({"101", "100"}));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(plan.status().message().find("node 'n1' (Relu)"), std::string::npos)
      << plan.status().message();
  EXPECT_NE(plan.status().message().find("[a: no]"), std::string::npos);
}

TEST(VerifyPlan, RejectsAPartOrderThatGoesBackwards) {
  Graph g = Chain(3);
  Plan plan;
  plan.devices = {"a", "b"};
  plan.parts = {Part{0, {0, 2}}, Part{1, {1}}};  // n2 reads n1, which runs later: not convex
  plan.node_device = {0, 1, 0};
  Status s = VerifyPlan(g, plan);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cycle"), std::string::npos) << s.message();
}

TEST(VerifyPlan, RejectsMissingAndDuplicatedNodes) {
  Graph g = Chain(2);
  Plan plan;
  plan.devices = {"a"};
  plan.parts = {Part{0, {0}}};
  EXPECT_NE(VerifyPlan(g, plan).message().find("in no part"), std::string::npos);
  plan.parts = {Part{0, {0, 1}}, Part{0, {1}}};
  EXPECT_NE(VerifyPlan(g, plan).message().find("two parts"), std::string::npos);
}

// Property: on random DAGs with random support patterns, every plan the partitioner returns
// verifies.
TEST(PriorityPartitioner, RandomGraphsGiveValidPlans) {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 200; ++trial) {
    Graph g;
    const int n = 1 + static_cast<int>(rng() % 30);
    std::vector<core::ValueId> values{
        g.AddValue({"x", core::DType::kFloat32, core::Shape::Of({1}), nullptr, -1})};
    g.inputs.push_back(values[0]);
    for (int i = 0; i < n; ++i) {
      core::Node node;
      node.name = "n" + std::to_string(i);
      node.op_type = "Add";
      node.inputs = {values[rng() % values.size()], values[rng() % values.size()]};
      core::ValueId out = g.AddValue(
          {"v" + std::to_string(i), core::DType::kFloat32, core::Shape::Of({1}), nullptr, -1});
      node.outputs = {out};
      g.nodes.push_back(node);
      values.push_back(out);
    }
    g.outputs.push_back(values.back());
    ASSERT_TRUE(g.TopologicalSort().ok());
    CapabilityTable answers(3);
    for (int d = 0; d < 3; ++d)
      for (int i = 0; i < n; ++i) answers[d].push_back({d == 2 || rng() % 2 == 0, 1.0, "no"});
    Result<Plan> plan = PartitionByPriority(g, {"a", "b", "cpu"}, answers);
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    EXPECT_TRUE(VerifyPlan(g, *plan).ok());
  }
}

}  // namespace
}  // namespace hetrun::partitioner
