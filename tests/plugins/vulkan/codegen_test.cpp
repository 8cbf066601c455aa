// The code generator seen directly (white box): every op it claims yields GLSL that glslang
// compiles and SPIR-V Tools validates for Vulkan 1.1, chains of elementwise ops fuse into one
// kernel, and broken input is reported as INTERNAL naming the kernel.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "graph.h"
#include "graph_info.h"
#include "hetrun/plugin.hpp"
#include "planner.h"
#include "shader_compiler.h"
#include "tuning.h"

namespace hetrun::vulkan {
namespace {

using test::Graph;

// Plans `graph` for lavapipe's limits and checks every kernel compiles and validates.
std::vector<Kernel> PlanAndValidate(Graph& graph) {
  const GraphInfo info(*graph.view());
  Plan plan = BuildPlan(info, Limits{}, 32);
  for (const Kernel& kernel : plan.kernels) {
    std::vector<uint32_t> spirv;
    EXPECT_NO_THROW(spirv = CompileComputeShader(kernel.glsl, kernel.what)) << kernel.glsl;
    EXPECT_EQ(ValidateSpirv(spirv), "") << kernel.what;
    EXPECT_GT(spirv.size(), 5u);
  }
  return plan.kernels;
}

TEST(VulkanCodegen, EveryElementwiseOpValidates) {
  const char* unary[] = {
      "Relu",   "Sigmoid", "Tanh",  "Exp",       "Log",         "Abs",
      "Neg",    "Sqrt",    "Erf",   "LeakyRelu", "HardSigmoid", "Reciprocal",
      "Floor",  "Ceil",    "Elu",   "Selu",      "Softsign",    "ThresholdedRelu",
      "Sinh",   "Cosh",    "Asinh", "Acosh",     "Atanh",       "Softplus",
      "Shrink", "Sign",    "Round", "HardSwish", "Celu"};
  for (const char* op : unary) {
    Graph g;
    g.Value("x", {3, 4}).Value("y", {3, 4}).Node(op, {"x"}, {"y"}).Inputs({"x"}).Outputs({"y"});
    SCOPED_TRACE(op);
    EXPECT_EQ(PlanAndValidate(g).size(), 1u);
  }
  const char* binary[] = {"Add", "Sub", "Mul", "Div", "Pow", "PRelu", "Max", "Min", "Sum", "Mean"};
  for (const char* op : binary) {
    Graph g;
    g.Value("a", {2, 3, 4}).Value("b", {3, 1}).Value("y", {2, 3, 4});
    if (std::string(op) == "PRelu") g.Value("b2", {4});
    g.Node(op, {"a", std::string(op) == "PRelu" ? "b2" : "b"}, {"y"})
        .Inputs({"a", "b"})
        .Outputs({"y"});
    SCOPED_TRACE(op);
    EXPECT_EQ(PlanAndValidate(g).size(), 1u);
  }
  Graph clip;
  clip.Value("x", {7}).Value("y", {7}).Constant("lo", {}, {0}).Value("hi", {});
  clip.Node("Clip", {"x", "lo", "hi"}, {"y"}, 13).Inputs({"x", "hi"}).Outputs({"y"});
  EXPECT_EQ(PlanAndValidate(clip).size(), 1u);
}

TEST(VulkanCodegen, MatMulGemmTransposeSoftmaxValidate) {
  Graph mm;
  mm.Value("a", {2, 1, 5, 7}).Value("b", {3, 7, 9}).Value("y", {2, 3, 5, 9});
  mm.Node("MatMul", {"a", "b"}, {"y"}).Inputs({"a", "b"}).Outputs({"y"});
  EXPECT_EQ(PlanAndValidate(mm).size(), 1u);
  Graph gemm;
  gemm.Value("a", {7, 5})
      .Value("b", {9, 7})
      .Constant("c", {9}, std::vector<float>(9, 1))
      .Value("y", {5, 9});
  gemm.Node("Gemm", {"a", "b", "c"}, {"y"}).Int("transA", 1).Int("transB", 1).Float("alpha", 0.5f);
  gemm.Inputs({"a", "b"}).Outputs({"y"});
  EXPECT_EQ(PlanAndValidate(gemm).size(), 1u);
  Graph transpose;
  transpose.Value("x", {2, 3, 4}).Value("y", {4, 2, 3}).Node("Transpose", {"x"}, {"y"});
  transpose.Ints("perm", {2, 0, 1}).Inputs({"x"}).Outputs({"y"});
  EXPECT_EQ(PlanAndValidate(transpose).size(), 1u);
  for (const char* op : {"Softmax", "LogSoftmax"}) {
    Graph sm;
    sm.Value("x", {2, 3, 4}).Value("y", {2, 3, 4}).Node(op, {"x"}, {"y"}).Int("axis", 1);
    sm.Inputs({"x"}).Outputs({"y"});
    EXPECT_EQ(PlanAndValidate(sm).size(), 1u);
  }
}

TEST(VulkanCodegen, ConvPoolNormReduceMovementValidate) {
  Graph conv;
  conv.Value("x", {1, 4, 9, 8})
      .Constant("w", {4, 2, 3, 3}, std::vector<float>(72, 0.5f))
      .Constant("b", {4}, {1, 2, 3, 4})
      .Value("y", {1, 4, 5, 3});
  conv.Node("Conv", {"x", "w", "b"}, {"y"}).Int("group", 2).Ints("strides", {2, 2});
  conv.Ints("pads", {1, 0, 1, 0}).Inputs({"x"}).Outputs({"y"});
  EXPECT_EQ(PlanAndValidate(conv).size(), 1u);
  for (const char* op : {"MaxPool", "AveragePool"}) {
    Graph pool;
    pool.Value("x", {2, 3, 7, 7}).Value("y", {2, 3, 4, 4}).Node(op, {"x"}, {"y"});
    pool.Ints("kernel_shape", {3, 3}).Ints("strides", {2, 2}).Ints("pads", {1, 1, 1, 1});
    pool.Int("count_include_pad", 1).Inputs({"x"}).Outputs({"y"});
    SCOPED_TRACE(op);
    EXPECT_EQ(PlanAndValidate(pool).size(), 1u);
  }
  for (const char* op : {"GlobalAveragePool", "GlobalMaxPool"}) {
    Graph pool;
    pool.Value("x", {2, 3, 5}).Value("y", {2, 3, 1}).Node(op, {"x"}, {"y"});
    pool.Inputs({"x"}).Outputs({"y"});
    EXPECT_EQ(PlanAndValidate(pool).size(), 1u);
  }
  Graph bn;
  bn.Value("x", {2, 3, 4}).Value("y", {2, 3, 4});
  for (const char* p : {"s", "b", "m", "v"}) bn.Constant(p, {3}, {1, 2, 3});
  bn.Node("BatchNormalization", {"x", "s", "b", "m", "v"}, {"y"}, 15);
  bn.Inputs({"x"}).Outputs({"y"});
  EXPECT_EQ(PlanAndValidate(bn).size(), 1u);
  Graph ln;
  ln.Value("x", {2, 3, 4}).Constant("s", {4}, {1, 2, 3, 4}).Value("y", {2, 3, 4});
  ln.Value("mean", {2, 3, 1}).Value("inv", {2, 3, 1});
  ln.Node("LayerNormalization", {"x", "s"}, {"y", "mean", "inv"});
  ln.Inputs({"x"}).Outputs({"y", "mean", "inv"});
  EXPECT_EQ(PlanAndValidate(ln).size(), 1u);
  for (const char* op :
       {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
        "ReduceLogSumExp", "ReduceSumSquare", "ReduceLogSum"}) {
    Graph r;
    r.Value("x", {2, 3, 4}).Int64Constant("axes", {0, -1}).Value("y", {1, 3, 1});
    r.Node(op, {"x", "axes"}, {"y"}, 18).Inputs({"x"}).Outputs({"y"});
    SCOPED_TRACE(op);
    EXPECT_EQ(PlanAndValidate(r).size(), 1u);
  }
  Graph movement;
  movement.Value("a", {2, 3}).Value("b", {2, 5}).Value("c", {2, 8}).Value("s", {2, 5});
  movement.Value("g", {2, 2}).Int64Constant("st", {1}).Int64Constant("en", {-2});
  movement.Int64Constant("ax", {1}).Int64Constant("i", {0, -1});
  movement.Node("Concat", {"a", "b"}, {"c"}).Int("axis", 1);
  movement.Node("Slice", {"c", "st", "en", "ax", "ax"}, {"s"});
  movement.Node("Gather", {"s", "i"}, {"g"}).Int("axis", 1);
  movement.Inputs({"a", "b"}).Outputs({"g"});
  EXPECT_EQ(PlanAndValidate(movement).size(), 3u);
  Graph split;
  split.Value("x", {2, 7}).Value("a", {2, 3}).Value("b", {2, 4}).Value("h", {2, 4});
  split.Node("Split", {"x"}, {"a", "b"}).Int("axis", -1).Node("Hardmax", {"b"}, {"h"});
  split.Inputs({"x"}).Outputs({"a", "h"});
  EXPECT_EQ(PlanAndValidate(split).size(), 2u);
  Graph more;
  more.Value("x", {2, 3, 4}).Value("n", {2, 3, 4}).Value("g", {2, 3, 2});
  more.Constant("s", {3}, {1, 2, 3}).Constant("b", {3}, {1, 2, 3});
  more.Int64Constant("i", std::vector<int64_t>(12, 1), {2, 3, 2});
  more.Node("InstanceNormalization", {"x", "s", "b"}, {"n"});
  more.Node("GatherElements", {"n", "i"}, {"g"}).Int("axis", 2);
  more.Inputs({"x"}).Outputs({"g"});
  EXPECT_EQ(PlanAndValidate(more).size(), 2u);
  Graph blocks;
  blocks.Value("x", {1, 8, 2, 3}).Value("d", {1, 2, 4, 6}).Value("s", {1, 8, 2, 3});
  blocks.Value("l", {1, 8, 2, 3});
  blocks.Node("DepthToSpace", {"x"}, {"d"}).Int("blocksize", 2);
  blocks.Node("SpaceToDepth", {"d"}, {"s"}).Int("blocksize", 2);
  blocks.Node("LRN", {"s"}, {"l"}).Int("size", 3);
  blocks.Inputs({"x"}).Outputs({"l"});
  EXPECT_EQ(PlanAndValidate(blocks).size(), 3u);
  Graph fed;  // Slice with starts/ends/axes/steps fed at run time
  fed.Value("x", {4, 6}).Value("y", {2, 3});
  for (const char* name : {"s", "e", "a", "t"}) fed.Value(name, {2}, HETRUN_DTYPE_INT64);
  fed.Node("Slice", {"x", "s", "e", "a", "t"}, {"y"}).Inputs({"x", "s", "e", "a", "t"});
  fed.Outputs({"y"});
  EXPECT_EQ(PlanAndValidate(fed).size(), 1u);
  for (const char* mode : {"constant", "edge", "reflect"}) {
    Graph pad;
    pad.Value("x", {3, 4}).Value("p", {4}, HETRUN_DTYPE_INT64).Value("y", {5, 7});
    pad.Node("Pad", {"x", "p"}, {"y"}).String("mode", mode).Inputs({"x", "p"}).Outputs({"y"});
    SCOPED_TRACE(mode);
    EXPECT_EQ(PlanAndValidate(pad).size(), 1u);
  }
}

TEST(VulkanCodegen, ElementwiseChainsFuse) {
  Graph g;
  g.Value("x", {4, 8}).Value("b", {8}).Value("t0", {4, 8}).Value("t1", {4, 8}).Value("t2", {4, 8});
  g.Value("t3", {4, 8}).Value("y", {4, 8}).Value("w", {8, 8}).Value("m", {4, 8}).Value("z", {4, 8});
  g.Node("Add", {"x", "b"}, {"t0"})
      .Node("Relu", {"t0"}, {"t1"})
      .Node("Erf", {"t1"}, {"t2"})
      .Node("Mul", {"t2", "x"}, {"t3"})
      .Node("Sigmoid", {"t3"}, {"y"})
      .Node("MatMul", {"y", "w"}, {"m"})  // ends the chain
      .Node("Tanh", {"m"}, {"z"});
  g.Inputs({"x", "b", "w"}).Outputs({"z", "t1"});
  const std::vector<Kernel> kernels = PlanAndValidate(g);
  ASSERT_EQ(kernels.size(), 3u);
  EXPECT_NE(kernels[0].what.find("fused chain"), std::string::npos) << kernels[0].what;
  // Reads x and b; writes y (read by the MatMul) and t1 (a part output), nothing else.
  EXPECT_EQ(kernels[0].num_inputs, 2u);
  EXPECT_EQ(kernels[0].bindings.size(), 4u);
}

TEST(VulkanCodegen, ViewsAreNotKernels) {
  Graph g;
  g.Value("x", {2, 6}).Value("r", {3, 4}).Value("y", {3, 4}).Int64Constant("s", {3, 4});
  g.Node("Reshape", {"x", "s"}, {"r"}).Node("Relu", {"r"}, {"y"}).Inputs({"x"}).Outputs({"y"});
  const GraphInfo info(*g.view());
  const Plan plan = BuildPlan(info, Limits{}, 32);
  EXPECT_EQ(plan.kernels.size(), 1u);
  EXPECT_EQ(plan.root[1], 0);  // r shares x's storage
}

TEST(VulkanCodegen, BrokenModulesAreInternalErrors) {
  EXPECT_NE(ValidateSpirv({0x07230203u, 0x00010300u, 0u, 1u, 0u}), "");
  try {
    CompileComputeShader("#version 450\nvoid main() { undefined_thing(); }\n", "node 'n' (Foo)");
    FAIL() << "expected an error";
  } catch (const plugin::Error& e) {
    EXPECT_EQ(e.code(), HETRUN_STATUS_INTERNAL);
    EXPECT_NE(std::string(e.what()).find("node 'n' (Foo)"), std::string::npos) << e.what();
  }
}

TEST(VulkanCodegen, UnsupportedNodesAreDeclinedWithAReason) {
  Graph g;
  g.Value("x", {2, 3}).Value("y", {2, 3}).Value("z", {2, 3});
  g.Node("Cos", {"x"}, {"z"}).Node("Relu", {"x"}, {"y"}).Inputs({"x"}).Outputs({"y", "z"});
  const GraphInfo info(*g.view());
  EXPECT_EQ(CheckNodeSupported(info, 0, Limits{}), "op Cos is not supported yet");
  EXPECT_EQ(CheckNodeSupported(info, 1, Limits{}), "");
  Limits tiny;
  tiny.max_buffer_bytes = 16;
  EXPECT_NE(CheckNodeSupported(info, 1, tiny).find("exceeds the device's storage buffer limit"),
            std::string::npos);
  try {
    BuildPlan(info, Limits{}, 32);
    FAIL() << "expected UNIMPLEMENTED";
  } catch (const plugin::Error& e) {
    EXPECT_EQ(e.code(), HETRUN_STATUS_UNIMPLEMENTED);
  }
}

// Tuning: naming every tunable at its default generates exactly the untuned kernels (the defaults
// are today's kernels), every other candidate changes the GLSL, and every candidate validates.
TEST(VulkanCodegen, TunedKernelsValidateAndDefaultsAreUntuned) {
  Graph matmul;
  matmul.Value("a", {2, 19, 23}).Value("b", {23, 37}).Value("y", {2, 19, 37});
  matmul.Node("MatMul", {"a", "b"}, {"y"}).Inputs({"a", "b"}).Outputs({"y"});
  Graph conv;
  conv.Value("x", {1, 3, 9, 10}).Constant("w", {8, 3, 3, 3}, std::vector<float>(216, 0.5f));
  conv.Value("y", {1, 8, 9, 10}).Node("Conv", {"x", "w"}, {"y"}).Ints("pads", {1, 1, 1, 1});
  conv.Inputs({"x"}).Outputs({"y"});
  for (Graph* g : {&matmul, &conv}) {
    const GraphInfo info(*g->view());
    const Limits limits;
    const std::vector<Tunable> list = ListTunables(info, 0, limits);
    ASSERT_FALSE(list.empty());
    const std::string untuned = BuildPlan(info, limits, 32).kernels.at(0).glsl;
    NodeTuning defaults;
    for (const Tunable& t : list) defaults[t.name] = t.default_value;
    EXPECT_EQ(BuildPlan(info, limits, 32, {defaults}).kernels.at(0).glsl, untuned);
    for (const Tunable& t : list) {
      for (int64_t value : t.values) {
        NodeTuning tuning = defaults;
        tuning[t.name] = value;
        if (t.name != "variant" && defaults.count("variant")) tuning["variant"] = 1;
        const std::string glsl = BuildPlan(info, limits, 32, {tuning}).kernels.at(0).glsl;
        SCOPED_TRACE(t.name + "=" + std::to_string(value));
        if (tuning != defaults) {
          EXPECT_NE(glsl, untuned);
        }
        std::vector<uint32_t> spirv;
        EXPECT_NO_THROW(spirv = CompileComputeShader(glsl, t.name)) << glsl;
        EXPECT_EQ(ValidateSpirv(spirv), "");
      }
    }
  }
}

}  // namespace
}  // namespace hetrun::vulkan
