// Placement strategies, pins, replay and plan verification on hand-built graphs (no plugins).
#include <gtest/gtest.h>

#include <random>

#include "hetrun/partitioner/partitioner.h"
#include "hetrun/partitioner/plan_format.h"

namespace hetrun::partitioner {
namespace {

using core::Graph;

// A chain x -> n0 -> n1 -> ... -> output, plus optional side edges, all "Relu".
Graph Chain(int n, int64_t elements = 4) {
  Graph g;
  core::ValueId prev =
      g.AddValue({"x", core::DType::kFloat32, core::Shape::Of({elements}), nullptr, -1});
  g.inputs.push_back(prev);
  for (int i = 0; i < n; ++i) {
    core::ValueId out = g.AddValue(
        {"v" + std::to_string(i), core::DType::kFloat32, core::Shape::Of({elements}), nullptr, -1});
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

// A request over `graph` for devices named `names`; every device is host memory unless listed in
// `remote` (then it has an 8 GB/s, 10 us link).
PartitionRequest Request(const Graph& graph, const std::vector<std::string>& names,
                         CapabilityTable answers, Strategy strategy = Strategy::kPriority,
                         const std::vector<std::string>& remote = {}) {
  PartitionRequest r;
  r.graph = &graph;
  for (const std::string& name : names) {
    DeviceCost d;
    d.name = name;
    d.host_memory = std::find(remote.begin(), remote.end(), name) == remote.end();
    d.link_gbps = 8;
    d.link_latency_us = 10;
    r.devices.push_back(d);
  }
  r.answers = std::move(answers);
  r.strategy = strategy;
  return r;
}

Result<Plan> PartitionByPriority(const Graph& g, const std::vector<std::string>& names,
                                 const CapabilityTable& answers) {
  return Partition(Request(g, names, answers));
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

// Costs per device: costs[d] is every node's estimate on device d.
CapabilityTable Costed(const std::vector<std::string>& pattern, const std::vector<double>& costs) {
  CapabilityTable t = Answers(pattern);
  for (size_t d = 0; d < t.size(); ++d)
    for (NodeAnswer& a : t[d]) a.cost_us = costs[d];
  return t;
}

TEST(CostPartitioner, PutsEverythingOnAMuchFasterDevice) {
  Graph g = Chain(6);
  Result<Plan> plan = Partition(Request(g, {"cpu", "fast"}, Costed({"111111", "111111"}, {100, 1}),
                                        Strategy::kCost, {"fast"}));
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(plan->strategy, "cost");
  ASSERT_EQ(plan->parts.size(), 1u);
  EXPECT_EQ(plan->devices[plan->parts[0].device], "fast");
}

TEST(CostPartitioner, KeepsAnUnsupportedIslandFromSplittingWhenTransfersCostMore) {
  // fast saves 1 us per node but cannot run n2; every value is 4 MB over an 8 GB/s link, so
  // visiting fast costs far more in transfers than it saves: one part on cpu.
  Graph g = Chain(5, 1 << 20);
  CapabilityTable answers = Costed({"11111", "11011"}, {2, 1});
  Result<Plan> cost = Partition(Request(g, {"cpu", "fast"}, answers, Strategy::kCost, {"fast"}));
  ASSERT_TRUE(cost.ok()) << cost.status().message();
  ASSERT_EQ(cost->parts.size(), 1u);
  EXPECT_EQ(cost->devices[cost->parts[0].device], "cpu");
  // Priority with fast first splits it in three, and its estimate is worse.
  Result<Plan> priority = Partition(Request(g, {"fast", "cpu"}, Costed({"11011", "11111"}, {1, 2}),
                                            Strategy::kPriority, {"fast"}));
  ASSERT_TRUE(priority.ok());
  EXPECT_EQ(priority->parts.size(), 3u);
  EXPECT_GT(priority->estimated_ms, cost->estimated_ms);
}

TEST(CostPartitioner, MovesWorkWhereComputeSavingsBeatTransfers) {
  // Small values, big compute gap: fast runs what it can, cpu only n2.
  Graph g = Chain(5);
  Result<Plan> plan = Partition(
      Request(g, {"cpu", "fast"}, Costed({"11111", "11011"}, {500, 5}), Strategy::kCost, {"fast"}));
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(plan->node_device, (std::vector<int>{1, 1, 0, 1, 1}));
  EXPECT_EQ(plan->parts.size(), 3u);
}

TEST(CostPartitioner, IndependentBranchesOfOneDeviceShareAPart) {
  // x -> a, x -> b, x -> c; a and c on dev0, b on dev1: a and c need not be split by b.
  Graph g;
  core::ValueId x = g.AddValue({"x", core::DType::kFloat32, core::Shape::Of({4}), nullptr, -1});
  g.inputs.push_back(x);
  for (const char* name : {"a", "b", "c"}) {
    core::ValueId out = g.AddValue(
        {std::string(name) + "_out", core::DType::kFloat32, core::Shape::Of({4}), nullptr, -1});
    core::Node node;
    node.name = name;
    node.op_type = "Relu";
    node.inputs = {x};
    node.outputs = {out};
    g.nodes.push_back(node);
    g.outputs.push_back(out);
  }
  ASSERT_TRUE(g.TopologicalSort().ok());
  Result<Plan> plan = PartitionByPriority(g, {"dev0", "dev1"}, Answers({"101", "111"}));
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->parts.size(), 2u);
  EXPECT_EQ(plan->parts[0].nodes, (std::vector<core::NodeId>{0, 2}));
}

TEST(Pins, OverrideThePlacementByNameOrOpType) {
  Graph g = Chain(4);
  PartitionRequest r = Request(g, {"fast", "cpu"}, Answers({"1111", "1111"}));
  r.pins = {{"n1", "cpu"}, {"Relu", "fast"}};  // the first matching pin wins for n1
  Result<Plan> plan = Partition(r);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(plan->node_device, (std::vector<int>{0, 1, 0, 0}));
  r.pins = {{"n?", "cpu"}};
  plan = Partition(r);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->node_device, (std::vector<int>{1, 1, 1, 1}));
}

TEST(Pins, ErrorsNameThePinAndTheProblem) {
  Graph g = Chain(3);
  PartitionRequest r = Request(g, {"fast", "cpu"}, Answers({"101", "111"}));
  r.pins = {{"Relu", "vulkan"}};
  Result<Plan> plan = Partition(r);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("'vulkan' is not among the selected devices (fast, cpu)"),
            std::string::npos)
      << plan.status().message();
  r.pins = {{"n*", "fast"}};
  plan = Partition(r);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("node 'n1' (Relu) is not supported by fast: no"),
            std::string::npos)
      << plan.status().message();
  r.pins = {{"Conv*", "cpu"}};
  plan = Partition(r);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("matches no node"), std::string::npos);
}

TEST(Replay, ASavedPlanReproducesItsAssignment) {
  Graph g = Chain(5);
  Result<Plan> plan = PartitionByPriority(g, {"fast", "cpu"}, Answers({"10110", "11111"}));
  ASSERT_TRUE(plan.ok());
  Result<std::vector<std::pair<std::string, std::string>>> saved = ReadPlanJson(PlanJson(g, *plan));
  ASSERT_TRUE(saved.ok()) << saved.status().message();
  PartitionRequest r = Request(g, {"fast", "cpu"}, Answers({"10110", "11111"}), Strategy::kCost);
  r.replay = *saved;
  Result<Plan> replayed = Partition(r);
  ASSERT_TRUE(replayed.ok()) << replayed.status().message();
  EXPECT_EQ(replayed->strategy, "replay");
  EXPECT_EQ(replayed->node_device, plan->node_device);
}

TEST(Replay, APlanForAnotherModelOrDeviceSetIsRefused) {
  Graph g = Chain(3);
  PartitionRequest r = Request(g, {"cpu"}, Answers({"111"}));
  r.replay = {{"n0", "cpu"}, {"n1", "cpu"}};
  EXPECT_NE(Partition(r).status().message().find("node 'n2' (Relu) is not in the saved plan"),
            std::string::npos);
  r.replay = {{"n0", "cpu"}, {"n1", "gpu"}, {"n2", "cpu"}};
  EXPECT_NE(Partition(r).status().message().find("planned on 'gpu'"), std::string::npos);
  r.replay = {{"n0", "cpu"}, {"n1", "cpu"}, {"n2", "cpu"}, {"n9", "cpu"}};
  EXPECT_NE(Partition(r).status().message().find("names node 'n9'"), std::string::npos);
  EXPECT_FALSE(ReadPlanJson("{\"parts\": 3}").ok());
  EXPECT_FALSE(ReadPlanJson("not json").ok());
}

TEST(PlanContents, TransfersAreListedOncePerValueAndDevice) {
  Graph g = Chain(5);
  Result<Plan> plan = Partition(
      Request(g, {"gpu", "cpu"}, Answers({"11011", "11111"}), Strategy::kPriority, {"gpu"}));
  ASSERT_TRUE(plan.ok());
  // x in, v1 gpu->cpu, v2 cpu->gpu, v4 out.
  ASSERT_EQ(plan->transfers.size(), 4u);
  EXPECT_EQ(plan->transfers[0].from_part, kHost);
  EXPECT_EQ(g.values[plan->transfers[1].value].name, "v1");
  EXPECT_EQ(plan->transfers[1].from_part, 0);
  EXPECT_EQ(plan->transfers[1].to_part, 1);
  EXPECT_EQ(plan->transfers[1].bytes, 16u);
  EXPECT_GT(plan->transfers[1].estimated_us, 10.0);  // the gpu link's latency
  EXPECT_EQ(plan->transfers[3].to_part, kHost);
  EXPECT_EQ(plan->BytesIn(1), 16u);
  EXPECT_GT(plan->estimated_ms, 0.0);
}

TEST(PlanFormats, TableJsonAndDotShowPartsDevicesAndTransfers) {
  Graph g = Chain(5);
  Result<Plan> plan = PartitionByPriority(g, {"gpu", "cpu"}, Answers({"11011", "11111"}));
  ASSERT_TRUE(plan.ok());
  const std::string table = PlanTable(g, *plan);
  EXPECT_NE(table.find("part  device"), std::string::npos) << table;
  EXPECT_NE(table.find("3 part(s) on 2 device(s), 2 transfer(s) between devices"),
            std::string::npos)
      << table;
  const std::string dot = PlanDot(g, *plan);
  EXPECT_NE(dot.find("cluster_part2"), std::string::npos);
  EXPECT_NE(dot.find("n1 -> n2 [penwidth=3"), std::string::npos) << dot;
  EXPECT_EQ(dot.find("n0 -> n1 [penwidth"), std::string::npos);
  const std::string json = PlanJson(g, *plan);
  EXPECT_NE(json.find("\"format\": \"hetrun-plan\""), std::string::npos);
  EXPECT_EQ(HumanBytes(1500), "1.5 KB");
}

TEST(PlanFormats, ExplanationGivesEveryNodesReasonAndAlternatives) {
  Graph g = Chain(3);
  PartitionRequest r = Request(g, {"npu", "cpu"}, Costed({"101", "111"}, {2, 8}));
  r.answers[0][1].reason = "npu: op Relu with this shape is not supported";
  r.pins = {{"n2", "cpu"}};
  Result<Plan> plan = Partition(r);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  const std::string text = PlanExplanation(g, *plan);
  EXPECT_NE(text.find("n0 (Relu) -> npu, part 0, 0.002 ms estimated: the first listed device that "
                      "supports it"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("n1 (Relu) -> cpu, part 1, 0.008 ms estimated: the only selected device that "
                      "supports it\n"
                      "    npu: declined: npu: op Relu with this shape is not supported"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("n2 (Relu) -> cpu, part 1, 0.008 ms estimated: pinned by --assign n2=cpu\n"
                      "    npu: 0.002 ms estimated"),
            std::string::npos)
      << text;
  const std::string json = PlanJson(g, *plan, /*explain=*/true);
  EXPECT_NE(json.find("\"why\": \"pinned by --assign n2=cpu\""), std::string::npos) << json;
  EXPECT_EQ(PlanJson(g, *plan).find("\"why\""), std::string::npos);
}

}  // namespace
}  // namespace hetrun::partitioner
