// Control flow (If, Loop, Scan): graphs with subgraphs compiled by the executor, so the nested
// executables, outer-scope reads and shapes known only by running are all exercised.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "device.h"
#include "executable.h"
#include "graph_builder.h"
#include "handles.h"
#include "kernel_harness.h"

namespace hetrun::test {
namespace {

constexpr hetrun_dtype_t kF32 = HETRUN_DTYPE_FLOAT32;
constexpr hetrun_dtype_t kI64 = HETRUN_DTYPE_INT64;
constexpr hetrun_dtype_t kBool = HETRUN_DTYPE_BOOL;

// Compiles the graph on a CPU device and runs it; returns every output.
std::vector<HostTensor> RunGraph(GraphBuilder& graph, const std::vector<HostTensor>& inputs) {
  static const auto device = std::make_shared<cpu::Device>(2, 10.0);
  const hetrun_graph_view* view = graph.view();
  const auto exe = cpu::Executable::Compile(device, *view);
  cpu::Executable::RunArgs args;
  for (const HostTensor& t : inputs) {
    auto buffer = cpu::Buffer::Allocate(t.bytes.size());
    if (!t.bytes.empty()) std::memcpy(buffer->data(), t.bytes.data(), t.bytes.size());
    args.inputs.push_back(cpu::Executable::BoundInput{buffer, 0, t.dtype, t.dims});
  }
  std::vector<hetrun_tensor_arg> outs(view->num_outputs, hetrun_tensor_arg{});
  args.outputs.resize(outs.size());
  for (size_t j = 0; j < outs.size(); ++j) args.outputs[j].arg = &outs[j];
  exe->Run(args);
  std::vector<HostTensor> results;
  for (const hetrun_tensor_arg& out : outs) {
    const std::unique_ptr<hetrun_buffer_s> handle(out.buffer);
    HostTensor& t = results.emplace_back();
    t.dtype = out.dtype;
    t.dims.assign(out.dims, out.dims + out.rank);
    t.bytes.resize(static_cast<size_t>(t.numel()) * plugin::DTypeSize(t.dtype));
    if (!t.bytes.empty()) std::memcpy(t.bytes.data(), handle->buffer->data(), t.bytes.size());
  }
  return results;
}

// The reason CreateKernel gives for the graph's first node, or "" when it is supported.
std::string DeclineReason(GraphBuilder& graph) {
  const hetrun_graph_view* view = graph.view();
  try {
    cpu::CreateKernel(cpu::KernelBuildContext{view->nodes[0], *view, nullptr});
  } catch (const plugin::Error& e) {
    return e.what();
  }
  return "";
}

HostTensor Int64Scalar(int64_t v) {
  return Int64s({}, {v});
}
HostTensor BoolScalar(bool v) {
  return Bools({}, {static_cast<uint8_t>(v)});
}

// Loop body: s += x (x read from the enclosing graph), acc grows by s every iteration, and s is
// also a scan output.
struct RunningSum : ::testing::Test {
  RunningSum() {
    body.Value("i", kI64, {}).Value("c", kBool, {}).Value("s_in", kF32, {-1});
    body.Value("acc_in", kF32, {-1}).Value("x", kF32, {-1});
    body.Value("s_out", kF32, {-1}).Value("acc_out", kF32, {-1}).Value("c_out", kBool, {});
    body.Value("s_scan", kF32, {2});
    body.Node("add", "Add", {"s_in", "x"}, {"s_out"});
    body.Node("grow", "Concat", {"acc_in", "s_out"}, {"acc_out"}).IntAttr("axis", 0);
    body.Node("keep", "Identity", {"c"}, {"c_out"});
    body.Node("scan", "Identity", {"s_out"}, {"s_scan"});
    body.Inputs({"i", "c", "s_in", "acc_in"}).Outputs({"c_out", "s_out", "acc_out", "s_scan"});

    top.Value("M", kI64, {}).Value("cond", kBool, {}).Value("x", kF32, {-1});
    top.Value("s0", kF32, {-1}).Value("acc0", kF32, {-1});
    top.Value("s", kF32, {-1}).Value("acc", kF32, {-1}).Value("sums", kF32, {-1, 2});
    top.Node("loop", "Loop", {"M", "cond", "s0", "acc0"}, {"s", "acc", "sums"});
    top.GraphAttr("body", body);
    top.Inputs({"M", "cond", "x", "s0", "acc0"}).Outputs({"s", "acc", "sums"});
  }
  std::vector<HostTensor> Run(int64_t trips) {
    return RunGraph(top, {Int64Scalar(trips), BoolScalar(true), Floats({2}, {1, 2}),
                          Floats({2}, {0, 0}), Floats({1}, {9})});
  }
  GraphBuilder body, top;
};

TEST_F(RunningSum, CarriedValuesChangeShapeAndScanOutputsStack) {
  const std::vector<HostTensor> out = Run(3);
  EXPECT_EQ(out[0].values<float>(), (std::vector<float>{3, 6}));
  EXPECT_EQ(out[1].dims, (std::vector<int64_t>{7}));
  EXPECT_EQ(out[1].values<float>(), (std::vector<float>{9, 1, 2, 2, 4, 3, 6}));
  EXPECT_EQ(out[2].dims, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(out[2].values<float>(), (std::vector<float>{1, 2, 2, 4, 3, 6}));
}

TEST_F(RunningSum, ZeroTripsGiveTheInitialValuesAndEmptyScans) {
  const std::vector<HostTensor> out = Run(0);
  EXPECT_EQ(out[0].values<float>(), (std::vector<float>{0, 0}));
  EXPECT_EQ(out[1].values<float>(), (std::vector<float>{9}));
  EXPECT_EQ(out[2].dims, (std::vector<int64_t>{0, 2}));  // from the body's declared [2]
}

TEST(Loop, StopsWhenTheBodyConditionTurnsFalse) {
  GraphBuilder body;
  body.Value("i", kI64, {}).Value("c", kBool, {}).Value("s_in", kF32, {1});
  body.Value("limit", kI64, {}).Constant("one", {1}, {1.0f});
  body.Value("s_out", kF32, {1}).Value("c_out", kBool, {}).Value("i_scan", kI64, {});
  body.Node("inc", "Add", {"s_in", "one"}, {"s_out"});
  body.Node("less", "Less", {"i", "limit"}, {"c_out"});
  body.Node("scan", "Identity", {"i"}, {"i_scan"});
  body.Inputs({"i", "c", "s_in"}).Outputs({"c_out", "s_out", "i_scan"});

  GraphBuilder top;
  top.Value("cond", kBool, {}).Value("limit", kI64, {}).Value("s0", kF32, {1});
  top.Value("s", kF32, {1}).Value("iters", kI64, {-1});
  top.Node("loop", "Loop", {"", "cond", "s0"}, {"s", "iters"}).GraphAttr("body", body);
  top.Inputs({"cond", "limit", "s0"}).Outputs({"s", "iters"});

  // No trip count: a while loop. Iterations 0, 1 and 2 run; the third sets cond to false.
  std::vector<HostTensor> out = RunGraph(top, {BoolScalar(true), Int64Scalar(2), Floats({1}, {0})});
  EXPECT_EQ(out[0].values<float>(), (std::vector<float>{3}));
  EXPECT_EQ(out[1].values<int64_t>(), (std::vector<int64_t>{0, 1, 2}));
  // A false cond runs no iteration.
  out = RunGraph(top, {BoolScalar(false), Int64Scalar(2), Floats({1}, {5})});
  EXPECT_EQ(out[0].values<float>(), (std::vector<float>{5}));
  EXPECT_EQ(out[1].dims, (std::vector<int64_t>{0}));
}

TEST(Loop, NestedIfReadsValuesOfBothEnclosingGraphs) {
  // then: s_in + x, else: s_in * x; x comes from the top graph, s_in from the loop body.
  GraphBuilder then_branch, else_branch, body, top;
  then_branch.Value("s_in", kF32, {1}).Value("x", kF32, {1}).Value("t", kF32, {1});
  then_branch.Node("add", "Add", {"s_in", "x"}, {"t"}).Outputs({"t"});
  else_branch.Value("s_in", kF32, {1}).Value("x", kF32, {1}).Value("e", kF32, {1});
  else_branch.Node("mul", "Mul", {"s_in", "x"}, {"e"}).Outputs({"e"});

  body.Value("i", kI64, {}).Value("c", kBool, {}).Value("s_in", kF32, {1});
  body.Value("x", kF32, {1}).IntConstant("one", kI64, {}, {1});
  body.Value("first", kBool, {}).Value("s_out", kF32, {1});
  body.Node("less", "Less", {"i", "one"}, {"first"});
  body.Node("if", "If", {"first"}, {"s_out"});
  body.GraphAttr("then_branch", then_branch).GraphAttr("else_branch", else_branch);
  body.Inputs({"i", "c", "s_in"}).Outputs({"c", "s_out"});

  top.Value("M", kI64, {}).Value("x", kF32, {1}).Value("s0", kF32, {1}).Value("s", kF32, {1});
  top.Node("loop", "Loop", {"M", "", "s0"}, {"s"}).GraphAttr("body", body);
  top.Inputs({"M", "x", "s0"}).Outputs({"s"});

  const std::vector<HostTensor> out =
      RunGraph(top, {Int64Scalar(3), Floats({1}, {2}), Floats({1}, {1})});
  EXPECT_EQ(out[0].values<float>(), (std::vector<float>{12}));  // (1 + 2) * 2 * 2
}

TEST(If, BranchesMayGiveDifferentShapes) {
  GraphBuilder then_branch, else_branch, top;
  then_branch.Value("a", kF32, {2}).Value("t", kF32, {2});
  then_branch.Node("id", "Identity", {"a"}, {"t"}).Outputs({"t"});
  else_branch.Value("a", kF32, {2}).Value("e", kF32, {4});
  else_branch.Node("cat", "Concat", {"a", "a"}, {"e"}).IntAttr("axis", 0).Outputs({"e"});
  top.Value("cond", kBool, {}).Value("a", kF32, {2}).UnrankedValue("out", kF32);
  top.Node("if", "If", {"cond"}, {"out"});
  top.GraphAttr("then_branch", then_branch).GraphAttr("else_branch", else_branch);
  top.Inputs({"cond", "a"}).Outputs({"out"});

  std::vector<HostTensor> out = RunGraph(top, {BoolScalar(true), Floats({2}, {1, 2})});
  EXPECT_EQ(out[0].values<float>(), (std::vector<float>{1, 2}));
  out = RunGraph(top, {BoolScalar(false), Floats({2}, {1, 2})});
  EXPECT_EQ(out[0].values<float>(), (std::vector<float>{1, 2, 1, 2}));
}

TEST(Scan, ReverseInputOuterScopeReadAndOutputAxis) {
  GraphBuilder body, top;
  body.Value("s_in", kF32, {2}).Value("xt", kF32, {2}).Value("w", kF32, {2});
  body.Value("s_out", kF32, {2}).Value("y", kF32, {2});
  body.Node("add", "Add", {"s_in", "xt"}, {"s_out"});
  body.Node("mul", "Mul", {"s_out", "w"}, {"y"});
  body.Inputs({"s_in", "xt"}).Outputs({"s_out", "y"});

  top.Value("s0", kF32, {2}).Value("x", kF32, {3, 2}).Value("w", kF32, {2});
  top.Value("s", kF32, {2}).Value("ys", kF32, {2, 3});
  top.Node("scan", "Scan", {"s0", "x"}, {"s", "ys"}).GraphAttr("body", body);
  top.IntAttr("num_scan_inputs", 1).IntsAttr("scan_input_directions", {1});
  top.IntsAttr("scan_output_axes", {-1});
  top.Inputs({"s0", "x", "w"}).Outputs({"s", "ys"});

  const std::vector<HostTensor> out = RunGraph(
      top, {Floats({2}, {0, 0}), Floats({3, 2}, {1, 2, 3, 4, 5, 6}), Floats({2}, {1, 10})});
  // Rows visited last to first: s = [5,6], [8,10], [9,12]; y = s * w, iteration t in column t.
  EXPECT_EQ(out[0].values<float>(), (std::vector<float>{9, 12}));
  EXPECT_EQ(out[1].dims, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(out[1].values<float>(), (std::vector<float>{5, 8, 9, 60, 100, 120}));
}

TEST(ControlFlow, UnsupportedSubgraphsAreDeclinedWithTheirReason) {
  GraphBuilder body, top;
  body.Value("i", kI64, {}).Value("c", kBool, {}).Value("s", kF32, {1});
  body.Node("strings", "StringNormalizer", {}, {"s"}).Inputs({"i", "c"}).Outputs({"c", "s"});
  top.Value("M", kI64, {}).Value("out", kF32, {-1});
  top.Node("loop", "Loop", {"M", ""}, {"out"}).GraphAttr("body", body);
  top.Inputs({"M"}).Outputs({"out"});
  const std::string reason = DeclineReason(top);
  EXPECT_NE(reason.find("Loop's body"), std::string::npos) << reason;
  EXPECT_NE(reason.find("StringNormalizer"), std::string::npos) << reason;

  GraphBuilder endless;
  endless.Value("s0", kF32, {1}).Value("out", kF32, {1});
  endless.Node("loop", "Loop", {"", "", "s0"}, {"out"}).GraphAttr("body", body);
  endless.Inputs({"s0"}).Outputs({"out"});
  EXPECT_NE(DeclineReason(endless).find("never ends"), std::string::npos);
}

}  // namespace
}  // namespace hetrun::test
