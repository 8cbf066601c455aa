// Property test: random graphs x random capability tables x strategies and pins. Every plan must
// verify, and is also checked here without the partitioner's own code: convex parts (the part
// graph has no cycle, found by a DFS of our own), every node on a device that supports it, pins
// honoured, priority placement where asked, and one transfer per value and destination device.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "hetrun/partitioner/partitioner.h"
#include "hetrun/partitioner/plan_format.h"
#include "support/random_graph.h"

namespace hetrun::partitioner {
namespace {

constexpr uint32_t kCases = 1000;

// Glob match with '*' and '?', written independently of the partitioner's matcher.
bool Glob(const char* pattern, const char* text) {
  if (*pattern == '\0') return *text == '\0';
  if (*pattern == '*') return Glob(pattern + 1, text) || (*text != '\0' && Glob(pattern, text + 1));
  return *text != '\0' && (*pattern == '?' || *pattern == *text) && Glob(pattern + 1, text + 1);
}

bool PinMatches(const Pin& pin, const core::Node& node) {
  return Glob(pin.pattern.c_str(), node.name.c_str()) ||
         Glob(pin.pattern.c_str(), node.op_type.c_str());
}

// One random case: a graph, devices with random support and costs, a strategy and pins.
struct Case {
  core::Graph graph;
  PartitionRequest request;
  std::vector<int> pinned;  // per node: the device its first matching pin names, or -1
};

// Fills `c` in place: the request points at c.graph.
void MakeCase(uint32_t seed, Case& c) {
  std::mt19937 rng(seed ^ 0x9e3779b9u);
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };

  testing::RandomGraphOptions options;
  options.max_nodes = chance(0.2) ? 80 : 24;
  options.constant_probability = chance(0.2) ? 0.0 : 0.25;
  options.unread_output_probability = chance(0.3) ? 0.7 : 1.0;  // dead nodes too
  options.input_output_probability = 0.1;
  c.graph = testing::RandomGraph(seed, options);
  const core::Graph& g = c.graph;
  const size_t nodes = g.nodes.size();

  PartitionRequest& r = c.request;
  r.graph = &c.graph;
  const int devices = uniform(2, 4);
  const int cpu = uniform(0, devices - 1);  // supports everything, listed anywhere
  const std::vector<std::string>& ops = testing::RandomGraphOpTypes();
  r.answers.resize(devices);
  for (int d = 0; d < devices; ++d) {
    DeviceCost cost;
    cost.name = d == cpu ? "cpu" : "dev" + std::to_string(d);
    cost.host_memory = d == cpu || chance(0.3);
    cost.link_gbps = chance(0.2) ? 0 : uniform(1, 32);
    cost.link_latency_us = uniform(0, 20);
    cost.peak_gflops = chance(0.3) ? 0 : uniform(10, 1000);
    cost.memory_gbps = chance(0.3) ? 0 : uniform(10, 500);
    r.devices.push_back(cost);
    // Support by op type (like a real plugin) or node by node (stress); costs per node, or none
    // (the cost model's estimate).
    std::set<std::string> op_set;
    for (const std::string& op : ops)
      if (chance(0.5)) op_set.insert(op);
    const bool by_node = chance(0.3);
    const double node_p = std::uniform_real_distribution<double>(0.1, 0.9)(rng);
    const double scale = chance(0.3) ? 0 : std::uniform_real_distribution<double>(0.1, 10)(rng);
    for (size_t n = 0; n < nodes; ++n) {
      NodeAnswer a;
      a.supported = d == cpu || (by_node ? chance(node_p) : op_set.count(g.nodes[n].op_type) > 0);
      if (a.supported)
        a.cost_us = scale * std::uniform_real_distribution<double>(0.5, 50)(rng);
      else
        a.reason = cost.name + ": no";
      r.answers[d].push_back(a);
    }
  }
  r.strategy = chance(0.5) ? Strategy::kCost : Strategy::kPriority;

  // Pins on node names, op types and globs; each names a device that supports every node it
  // newly pins (else the cpu), so the request is valid.
  c.pinned.assign(nodes, -1);
  const int pins = chance(0.4) ? uniform(1, 3) : 0;
  for (int i = 0; i < pins; ++i) {
    const core::Node& node = g.nodes[uniform(0, static_cast<int>(nodes) - 1)];
    Pin pin;
    switch (uniform(0, 3)) {
      case 0: pin.pattern = node.name; break;
      case 1: pin.pattern = node.op_type; break;
      case 2: pin.pattern = node.name.substr(0, 2) + "*"; break;  // "n1*": n1_, n10_..n19_, ...
      default:
        pin.pattern = node.name;
        pin.pattern[1] = '?';
        break;
    }
    int device = uniform(0, devices - 1);
    for (size_t n = 0; n < nodes; ++n)
      if (c.pinned[n] < 0 && PinMatches(pin, g.nodes[n]) && !r.answers[device][n].supported)
        device = cpu;
    pin.device = r.devices[device].name;
    for (size_t n = 0; n < nodes; ++n)
      if (c.pinned[n] < 0 && PinMatches(pin, g.nodes[n])) c.pinned[n] = device;
    r.pins.push_back(pin);
  }
}

// True when the graph of parts (an edge wherever a node reads a value made in another part) has a
// cycle: an iterative three-colour DFS.
bool PartGraphHasCycle(const std::vector<std::set<int>>& successors) {
  enum Colour { kWhite, kGrey, kBlack };
  std::vector<Colour> colour(successors.size(), kWhite);
  for (size_t root = 0; root < successors.size(); ++root) {
    if (colour[root] != kWhite) continue;
    std::vector<std::pair<int, std::set<int>::const_iterator>> stack;
    stack.emplace_back(static_cast<int>(root), successors[root].begin());
    colour[root] = kGrey;
    while (!stack.empty()) {
      auto& [part, next] = stack.back();
      if (next == successors[part].end()) {
        colour[part] = kBlack;
        stack.pop_back();
        continue;
      }
      const int succ = *next++;
      if (colour[succ] == kGrey) return true;
      if (colour[succ] == kWhite) {
        colour[succ] = kGrey;
        stack.emplace_back(succ, successors[succ].begin());
      }
    }
  }
  return false;
}

bool IsConstant(const core::Value& v) {
  return v.constant != nullptr && v.producer < 0;
}

// Everything a plan must satisfy, checked from the graph and the request alone.
void CheckPlan(const Case& c, const Plan& plan) {
  const core::Graph& g = c.graph;
  const PartitionRequest& r = c.request;
  const size_t nodes = g.nodes.size();
  ASSERT_TRUE(VerifyPlan(g, plan).ok()) << VerifyPlan(g, plan).message();
  ASSERT_EQ(plan.devices.size(), r.devices.size());
  ASSERT_EQ(plan.node_device.size(), nodes);
  ASSERT_TRUE(std::isfinite(plan.estimated_ms) && plan.estimated_ms >= 0) << plan.estimated_ms;

  // Every node in exactly one part, on its part's device, in topological order inside it.
  std::vector<int> part_of(nodes, -1);
  for (size_t p = 0; p < plan.parts.size(); ++p) {
    const Part& part = plan.parts[p];
    ASSERT_FALSE(part.nodes.empty()) << "part " << p;
    ASSERT_TRUE(std::is_sorted(part.nodes.begin(), part.nodes.end())) << "part " << p;
    for (core::NodeId n : part.nodes) {
      ASSERT_EQ(part_of[n], -1) << g.nodes[n].name << " is in two parts";
      part_of[n] = static_cast<int>(p);
      ASSERT_EQ(plan.node_device[n], part.device) << g.nodes[n].name;
    }
  }
  for (size_t n = 0; n < nodes; ++n) {
    const int d = plan.node_device[n];
    ASSERT_NE(part_of[n], -1) << g.nodes[n].name << " is in no part";
    ASSERT_TRUE(r.answers[d][n].supported)
        << g.nodes[n].name << " placed on " << plan.devices[d] << ", which does not support it";
    if (c.pinned[n] >= 0) {
      ASSERT_EQ(d, c.pinned[n]) << g.nodes[n].name << ": pin not honoured";
    }
    if (r.strategy == Strategy::kPriority && c.pinned[n] < 0) {
      int first = 0;
      while (!r.answers[first][n].supported) ++first;
      ASSERT_EQ(d, first) << g.nodes[n].name << ": priority placement skipped a device";
    }
  }

  // Convexity: the part graph is acyclic.
  std::vector<std::set<int>> successors(plan.parts.size());
  for (size_t n = 0; n < nodes; ++n)
    for (core::ValueId v : g.nodes[n].inputs) {
      if (v == core::kNoValue || g.values[v].producer < 0) continue;
      const int from = part_of[g.values[v].producer];
      if (from != part_of[n]) successors[from].insert(part_of[n]);
    }
  ASSERT_FALSE(PartGraphHasCycle(successors)) << "the part graph has a cycle";

  // Transfers: each value read on another device than where it lives (graph inputs live on the
  // host) moves once per destination device, to the first part there that reads it; every
  // produced graph output goes back to the host.
  std::map<std::pair<core::ValueId, int>, int> expected;  // (value, device) -> first part
  for (size_t p = 0; p < plan.parts.size(); ++p)
    for (core::NodeId n : plan.parts[p].nodes)
      for (core::ValueId v : g.nodes[n].inputs) {
        if (v == core::kNoValue || IsConstant(g.values[v])) continue;
        const core::NodeId producer = g.values[v].producer;
        if (producer >= 0 && plan.node_device[producer] == plan.parts[p].device) continue;
        expected.try_emplace({v, plan.parts[p].device}, static_cast<int>(p));
      }
  std::map<std::pair<core::ValueId, int>, int> actual;
  std::set<core::ValueId> to_host;
  for (const Transfer& t : plan.transfers) {
    const core::NodeId producer = g.values[t.value].producer;
    ASSERT_EQ(t.from_part, producer < 0 ? kHost : part_of[producer]) << g.values[t.value].name;
    if (t.to_part == kHost) {
      ASSERT_TRUE(to_host.insert(t.value).second) << g.values[t.value].name << " returned twice";
      continue;
    }
    const bool inserted =
        actual.emplace(std::make_pair(t.value, plan.parts[t.to_part].device), t.to_part).second;
    ASSERT_TRUE(inserted) << g.values[t.value].name << " moved twice to one device";
  }
  ASSERT_EQ(actual, expected);
  for (core::ValueId v : g.outputs)
    if (g.values[v].producer >= 0) {
      ASSERT_TRUE(to_host.count(v)) << g.values[v].name << " never returns to the host";
    }
}

// The checker itself must see a cycle: parts {a, c} and {b} of the chain a -> b -> c.
TEST(RandomPlans, OwnCycleCheckFindsANonConvexPart) {
  EXPECT_TRUE(PartGraphHasCycle({{1}, {0}}));
  EXPECT_TRUE(PartGraphHasCycle({{1}, {2}, {1}}));
  EXPECT_FALSE(PartGraphHasCycle({{1, 2}, {2}, {}}));
}

TEST(RandomPlans, EveryPlanIsConvexAndPlacesNodesWhereAllowed) {
  int split = 0, three_parts = 0;
  for (uint32_t seed = 0; seed < kCases; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Case c;
    MakeCase(seed, c);
    Result<Plan> plan = Partition(c.request);
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    CheckPlan(c, *plan);
    if (HasFatalFailure()) return;
    split += plan->parts.size() >= 2;
    three_parts += plan->parts.size() >= 3;

    // The same request gives the same plan.
    Result<Plan> again = Partition(c.request);
    ASSERT_TRUE(again.ok());
    ASSERT_EQ(again->node_device, plan->node_device);
    ASSERT_EQ(again->parts.size(), plan->parts.size());

    // The cost strategy weighs the priority plan too, so its estimate is never worse.
    if (c.request.strategy == Strategy::kCost) {
      PartitionRequest priority = c.request;
      priority.strategy = Strategy::kPriority;
      Result<Plan> by_priority = Partition(priority);
      ASSERT_TRUE(by_priority.ok()) << by_priority.status().message();
      EXPECT_LE(plan->estimated_ms, by_priority->estimated_ms + 1e-9);
    }
  }
  RecordProperty("cases_split", split);
  RecordProperty("cases_three_parts", three_parts);
  std::printf("random plans: %u cases, %d with >= 2 parts, %d with >= 3 parts\n", kCases, split,
              three_parts);
  EXPECT_GE(split, static_cast<int>(kCases) / 2) << "too few cases exercise a real split";
}

TEST(RandomPlans, ReplayedPlanKeepsEveryAssignment) {
  for (uint32_t seed = 0; seed < 10; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Case c;
    MakeCase(seed, c);
    Result<Plan> plan = Partition(c.request);
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    Result<std::vector<std::pair<std::string, std::string>>> saved =
        ReadPlanJson(PlanJson(c.graph, *plan));
    ASSERT_TRUE(saved.ok()) << saved.status().message();
    ASSERT_EQ(saved->size(), c.graph.nodes.size());
    PartitionRequest replay = c.request;
    replay.replay = *saved;
    Result<Plan> replayed = Partition(replay);
    ASSERT_TRUE(replayed.ok()) << replayed.status().message();
    EXPECT_EQ(replayed->strategy, "replay");
    EXPECT_EQ(replayed->node_device, plan->node_device);
    ASSERT_EQ(replayed->parts.size(), plan->parts.size());
    for (size_t p = 0; p < plan->parts.size(); ++p) {
      EXPECT_EQ(replayed->parts[p].device, plan->parts[p].device);
      EXPECT_EQ(replayed->parts[p].nodes, plan->parts[p].nodes);
    }
    CheckPlan(c, *replayed);
  }
}

}  // namespace
}  // namespace hetrun::partitioner
