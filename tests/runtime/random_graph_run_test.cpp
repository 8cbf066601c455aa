// Differential test: random graphs run split between the testdev plugin (random op sets, its own
// device memory) and the CPU plugin must give the outputs of a CPU-only run. It exercises the
// partitioner's plans for real: parts compiled by two plugins, transfers between memories, values
// read by several parts, graph outputs made on either device.
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "hetrun/core/tensor_compare.h"
#include "hetrun/runtime/session.h"
#include "support/random_graph.h"

namespace hetrun::runtime {
namespace {

constexpr uint32_t kCases = 1000;

class RandomGraphRun : public ::testing::Test {
 protected:
  void SetUp() override {
    // The LLVM JIT would compile kernels for every session; the interpreted kernels compute the
    // same values (both sides of each comparison use them) in a fraction of the time.
    setenv("HETRUN_CPU_JIT", "0", 1);
    unsetenv("HETRUN_TESTDEV_COST_SCALE");
    unsetenv("HETRUN_TESTDEV_FAIL_EXECUTABLE");
  }
  void TearDown() override {
    for (const char* name : {"HETRUN_CPU_JIT", "HETRUN_TESTDEV_OPS", "HETRUN_TESTDEV_DEVICES"})
      unsetenv(name);
  }
};

// A random op set for testdev: each op type with probability 1/2 (possibly none).
std::set<std::string> RandomOps(std::mt19937& rng) {
  std::set<std::string> ops;
  for (const std::string& op : testing::RandomGraphOpTypes())
    if (rng() % 2) ops.insert(op);
  return ops;
}

std::string Joined(const std::set<std::string>& ops) {
  std::string text;
  for (const std::string& op : ops) text += (text.empty() ? "" : ",") + op;
  return text.empty() ? "," : text;  // "," lists no op (an empty value means the default set)
}

TEST_F(RandomGraphRun, SplitRunsMatchTheCpuOnlyRun) {
  int split = 0, three_parts = 0, three_devices = 0;
  for (uint32_t seed = 0; seed < kCases; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    testing::RandomGraphOptions graph_options;
    graph_options.max_nodes = rng() % 5 == 0 ? 60 : 24;
    graph_options.constant_probability = rng() % 5 == 0 ? 0.0 : 0.25;
    graph_options.unread_output_probability = rng() % 3 == 0 ? 0.7 : 1.0;  // dead nodes too
    graph_options.input_output_probability = 0.1;
    const core::Graph graph = testing::RandomGraph(seed, graph_options);
    const std::map<std::string, core::Tensor> inputs = testing::RandomInputs(graph, rng);

    SessionOptions reference_options;
    reference_options.devices = {"cpu"};
    Result<std::unique_ptr<Session>> reference = Session::Create(graph, reference_options);
    ASSERT_TRUE(reference.ok()) << reference.status().message();
    Result<std::vector<core::Tensor>> expected = (*reference)->Run(inputs);
    ASSERT_TRUE(expected.ok()) << expected.status().message();

    // testdev's controls are read when the session queries and compiles, so they are set first.
    const std::set<std::string> ops = RandomOps(rng);
    setenv("HETRUN_TESTDEV_OPS", Joined(ops).c_str(), 1);
    std::set<std::string> graph_ops, shared_ops;
    for (const core::Node& node : graph.nodes) {
      graph_ops.insert(node.op_type);
      if (ops.count(node.op_type)) shared_ops.insert(node.op_type);
    }
    SessionOptions options;
    options.plugin_paths = {HETRUN_TEST_PLUGIN_DIR};
    options.partition =
        rng() % 10 < 7 ? partitioner::Strategy::kPriority : partitioner::Strategy::kCost;
    // Sometimes a second testdev device, given an op type of its own by a pin, so values also
    // move between two device memories; sometimes an op type pinned back to the CPU.
    const bool two_testdevs = rng() % 4 == 0 && !shared_ops.empty();
    setenv("HETRUN_TESTDEV_DEVICES", two_testdevs ? "2" : "1", 1);
    if (two_testdevs) {
      options.devices = {"testdev", "testdev:1", "cpu"};
      auto it = shared_ops.begin();
      std::advance(it, rng() % shared_ops.size());
      options.pins.push_back({*it, "testdev:1"});
      ++three_devices;
    } else {
      options.devices = {"testdev", "cpu"};
    }
    if (rng() % 5 == 0) {
      auto it = graph_ops.begin();
      std::advance(it, rng() % graph_ops.size());
      options.pins.push_back({*it, "cpu"});
    }
    std::string pins;
    for (const partitioner::Pin& pin : options.pins) pins += " " + pin.pattern + "=" + pin.device;
    SCOPED_TRACE("testdev ops " + Joined(ops) + ", " +
                 partitioner::StrategyName(options.partition) + pins);

    Result<std::unique_ptr<Session>> session = Session::Create(graph, options);
    ASSERT_TRUE(session.ok()) << session.status().message();
    const partitioner::Plan& plan = (*session)->plan();
    const Status verified = partitioner::VerifyPlan((*session)->graph(), plan);
    ASSERT_TRUE(verified.ok()) << verified.message();
    for (size_t n = 0; n < graph.nodes.size(); ++n) {
      const std::string& device = plan.devices[plan.node_device[n]];
      if (device != "cpu") {
        ASSERT_TRUE(ops.count(graph.nodes[n].op_type))
            << graph.nodes[n].name << " is on " << device;
      }
    }
    split += plan.parts.size() >= 2;
    three_parts += plan.parts.size() >= 3;

    // Run() may be called concurrently: every eighth session runs twice at once.
    std::vector<std::optional<Result<std::vector<core::Tensor>>>> runs(seed % 8 == 0 ? 2 : 1);
    std::vector<std::thread> threads;
    for (size_t r = 1; r < runs.size(); ++r)
      threads.emplace_back([&, r] { runs[r] = (*session)->Run(inputs); });
    runs[0] = (*session)->Run(inputs);
    for (std::thread& t : threads) t.join();
    for (const auto& actual : runs) {
      ASSERT_TRUE(actual->ok()) << actual->status().message();
      ASSERT_EQ((*actual)->size(), expected->size());
      for (size_t i = 0; i < expected->size(); ++i) {
        const core::TensorComparison cmp =
            core::CompareTensors((**actual)[i], (*expected)[i], /*rtol=*/1e-5, /*atol=*/1e-6);
        ASSERT_TRUE(cmp.ok) << "output '" << (*session)->outputs()[i].name << "': " << cmp.message;
      }
    }
  }
  RecordProperty("cases_split", split);
  RecordProperty("cases_three_parts", three_parts);
  std::printf(
      "random graph runs: %u cases, %d with >= 2 parts, %d with >= 3 parts, %d on three "
      "devices\n",
      kCases, split, three_parts, three_devices);
  EXPECT_GE(split, static_cast<int>(kCases) / 2) << "too few cases exercise a real split";
}

}  // namespace
}  // namespace hetrun::runtime
