// Two independent branches on two devices run at the same time (issue 4): a model whose input feeds
// two equal chains of MatMul+Relu, branch A pinned to the test device and branch B to the CPU, one
// thread per device. Compared with each branch run alone on its device; the issue asks for
// both-together <= 0.65 x (A alone + B alone).
//
//   build/release/bin/concurrency_bench [--benchmark_min_time=2]
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <random>

#include "hetrun/runtime/session.h"

namespace {

using namespace hetrun;

constexpr int64_t kSize = 192;  // square matrices: ~14 MFLOP per MatMul
constexpr int kDepth = 16;      // MatMul+Relu pairs per branch

core::ValueId AddValue(core::Graph& g, const std::string& name,
                       std::shared_ptr<const core::Tensor> constant = nullptr) {
  return g.AddValue(
      {name, core::DType::kFloat32, core::Shape::Of({kSize, kSize}), std::move(constant), -1});
}

void AddNode(core::Graph& g, const std::string& name, const std::string& op,
             std::vector<core::ValueId> inputs, core::ValueId output) {
  core::Node node;
  node.name = name;
  node.op_type = op;
  node.inputs = std::move(inputs);
  node.outputs = {output};
  g.nodes.push_back(std::move(node));
}

// x -> [A: (MatMul, Relu) x depth] -> a_out and/or x -> [B: same] -> b_out.
core::Graph TwoBranches(bool with_a, bool with_b) {
  core::Graph g;
  g.name = "two_branches";
  g.opsets[""] = 17;
  const core::ValueId x = AddValue(g, "x");
  g.inputs.push_back(x);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> weight(-0.1f, 0.1f);
  for (const char* branch : {"a", "b"}) {
    if ((branch[0] == 'a' && !with_a) || (branch[0] == 'b' && !with_b)) continue;
    core::ValueId prev = x;
    for (int i = 0; i < kDepth; ++i) {
      const std::string id = std::string(branch) + "_" + std::to_string(i);
      core::Tensor w = core::Tensor::Create(core::DType::kFloat32, {kSize, kSize}).value();
      for (int64_t e = 0; e < w.element_count(); ++e) w.mutable_data_as<float>()[e] = weight(rng);
      const core::ValueId wv = AddValue(g, id + "_w", std::make_shared<const core::Tensor>(w));
      const core::ValueId mm = AddValue(g, id + "_mm");
      const core::ValueId relu = AddValue(g, id + "_relu");
      AddNode(g, id + "_matmul", "MatMul", {prev, wv}, mm);
      AddNode(g, id + "_relu_node", "Relu", {mm}, relu);
      prev = relu;
    }
    g.outputs.push_back(prev);
  }
  if (!g.TopologicalSort().ok()) std::abort();
  return g;
}

std::unique_ptr<runtime::Session> MakeSession(core::Graph graph, std::vector<std::string> devices,
                                              std::vector<partitioner::Pin> pins) {
  runtime::SessionOptions options;
  options.devices = std::move(devices);
  options.plugin_paths = {HETRUN_TEST_PLUGIN_DIR};
  options.threads = 1;
  options.partition = partitioner::Strategy::kPriority;
  options.pins = std::move(pins);
  auto session = runtime::Session::Create(std::move(graph), options);
  if (!session.ok()) {
    std::fprintf(stderr, "concurrency_bench: %s\n", session.status().message().c_str());
    std::exit(1);
  }
  return std::move(session).value();
}

void RunSession(benchmark::State& state, const runtime::Session& session) {
  std::map<std::string, core::Tensor> inputs;
  core::Tensor x = core::Tensor::Create(core::DType::kFloat32, {kSize, kSize}).value();
  for (int64_t e = 0; e < x.element_count(); ++e)
    x.mutable_data_as<float>()[e] = static_cast<float>(e % 17) / 17.0f;
  inputs["x"] = x;
  for (auto _ : state) {
    auto outputs = session.Run(inputs);
    if (!outputs.ok()) {
      state.SkipWithError(outputs.status().message().c_str());
      return;
    }
    benchmark::DoNotOptimize(outputs->data());
  }
}

void BranchAAloneOnTestdev(benchmark::State& state) {
  static auto session = MakeSession(TwoBranches(true, false), {"testdev"}, {});
  RunSession(state, *session);
}

void BranchBAloneOnCpu(benchmark::State& state) {
  static auto session = MakeSession(TwoBranches(false, true), {"cpu"}, {});
  RunSession(state, *session);
}

void BothBranchesOnTwoDevices(benchmark::State& state) {
  static auto session = MakeSession(TwoBranches(true, true), {"testdev", "cpu"},
                                    {{"a_*", "testdev"}, {"b_*", "cpu"}});
  RunSession(state, *session);
}

void BothBranchesOnCpuOnly(benchmark::State& state) {
  static auto session = MakeSession(TwoBranches(true, true), {"cpu"}, {});
  RunSession(state, *session);
}

BENCHMARK(BranchAAloneOnTestdev)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BranchBAloneOnCpu)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BothBranchesOnTwoDevices)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BothBranchesOnCpuOnly)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
