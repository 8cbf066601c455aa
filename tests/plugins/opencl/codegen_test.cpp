// White-box tests of the code generator, the window geometry and the profile parser: what they
// produce and the reasons they give, without running anything.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "codegen.h"
#include "graph.h"
#include "hetrun/plugin/framework.hpp"
#include "profile.h"
#include "support.h"
#include "window_geometry.h"

namespace hetrun::opencl {
namespace {

using test::Graph;

TEST(OpenclProfile, ParsesEveryKey) {
  const Profile p = Profile::Parse(
      "# comment\nops = Conv, Relu  # trailing\ndtypes=float16\nstatic_shapes = 1\nmemory_mib = "
      "64\n",
      "t");
  EXPECT_EQ(p.ops, (std::set<std::string>{"Conv", "Relu"}));
  EXPECT_EQ(p.dtypes, (std::set<hetrun_dtype_t>{HETRUN_DTYPE_FLOAT16}));
  EXPECT_TRUE(p.static_shapes);
  EXPECT_EQ(p.memory_bytes, uint64_t{64} << 20);
}

TEST(OpenclProfile, RejectsMalformedLinesWithTheirNumber) {
  auto error_of = [](const std::string& text) {
    try {
      Profile::Parse(text, "f");
    } catch (const plugin::Error& e) {
      EXPECT_EQ(e.code(), HETRUN_STATUS_INVALID_ARGUMENT);
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of("ops = Conv\nbogus\n"), "f:2: expected `key = value`, got 'bogus'");
  EXPECT_EQ(error_of("ops = Conv\ndtypes = float33\n"), "f:2: unknown dtype 'float33'");
  EXPECT_EQ(error_of("ops = Conv,,Relu\ndtypes = float32\n"),
            "f:1: empty item in the list for 'ops'");
  EXPECT_EQ(error_of("ops = Conv\ndtypes = float32\nmemory_mib = -1\n"),
            "f:3: memory_mib must be a positive whole number, got '-1'");
  EXPECT_EQ(error_of("ops = Conv\n"), "f: needs both an `ops` and a `dtypes` line");
  EXPECT_NE(error_of("colour = red\n").find("unknown key 'colour'"), std::string::npos);
}

TEST(OpenclProfile, ShippedNpuProfileLoads) {
  const Profile p = Profile::Load(HETRUN_PLUGIN_DIR "/npu.profile");
  EXPECT_TRUE(p.ops.count("Conv") && p.ops.count("HardSwish") && p.ops.count("Unsqueeze"));
  EXPECT_FALSE(p.ops.count("Softmax"));
  EXPECT_EQ(p.memory_bytes, uint64_t{256} << 20);
}

TEST(OpenclCodegen, FloatLiteralsAreExact) {
  EXPECT_EQ(cl::Float(0.5f), "0x1p-1f");
  EXPECT_EQ(cl::Float(-0.1f), "(-0x1.99999ap-4f)");
  EXPECT_EQ(cl::Float(-INFINITY), "(-INFINITY)");
}

TEST(OpenclCodegen, BroadcastIndexSkipsSizeOneDims) {
  EXPECT_EQ(cl::BroadcastIndex({3, 1}, {2, 3, 4}, "c"), "(c1 * 1L)");
  EXPECT_EQ(cl::BroadcastIndex({1}, {2, 3}, "c"), "0");
  EXPECT_EQ(cl::BroadcastIndex({2, 3}, {2, 3}, "c"), "(c1 * 1L + c0 * 3L)");
}

TEST(OpenclCodegen, Float16UsesVloadHalfWithoutTheExtension) {
  Graph g;
  g.Value("x", {4}, HETRUN_DTYPE_FLOAT16).Value("y", {4}, HETRUN_DTYPE_FLOAT16);
  g.Node("Relu", {"x"}, {"y"}).Inputs({"x"}).Outputs({"y"});
  const GraphInfo graph(*g.view());
  const Kernel k = GenerateNode(graph, 0);
  EXPECT_NE(k.source.find("vload_half"), std::string::npos) << k.source;
  EXPECT_NE(k.source.find("vstore_half_rte"), std::string::npos) << k.source;
  EXPECT_EQ(k.source.find("cl_khr_fp16"), std::string::npos);
  EXPECT_EQ(k.work_items, 4u);
  EXPECT_EQ(k.args, (std::vector<int32_t>{0, 1}));
}

TEST(OpenclCodegen, ClipBakesConstantBoundsAndBindsRunTimeOnes) {
  Graph g;
  g.Value("x", {4}).Constant("lo", {}, {-1.0f}).Value("hi", {}).Value("y", {4});
  g.Node("Clip", {"x", "lo", "hi"}, {"y"}, 13).Inputs({"x", "hi"}).Outputs({"y"});
  const GraphInfo graph(*g.view());
  const Kernel k = GenerateNode(graph, 0);
  EXPECT_EQ(k.args, (std::vector<int32_t>{0, 2, 3}));  // x, hi, y: lo is baked in
  EXPECT_NE(k.source.find("(-0x1p+0f)"), std::string::npos) << k.source;
}

TEST(OpenclCodegen, ElementwiseChainsFuseThroughRegisters) {
  Graph g;
  g.Value("x", {2, 3}).Value("bias", {3}).Value("s", {2, 3}).Value("r", {2, 3}).Value("y", {2, 3});
  g.Node("Add", {"x", "bias"}, {"s"});
  g.Node("Relu", {"s"}, {"r"});
  g.Node("Mul", {"r", "r"}, {"y"});
  g.Inputs({"x", "bias"}).Outputs({"y"});
  const GraphInfo graph(*g.view());
  EXPECT_TRUE(CanFuse(graph, 0, 1));
  EXPECT_TRUE(CanFuse(graph, 1, 2));  // both reads of r are the Mul's
  const Kernel k = GenerateElementwise(graph, {0, 1, 2});
  EXPECT_EQ(k.args, (std::vector<int32_t>{0, 1, 4}));  // x, bias -> y; s and r stay in registers
  EXPECT_EQ(k.num_inputs, 2u);
  EXPECT_NE(k.source.find("t2 = a * b"), std::string::npos) << k.source;
}

TEST(OpenclCodegen, ValuesOthersNeedAreNotFused) {
  Graph g;
  g.Value("x", {4}).Value("s", {4}).Value("y", {4}).Value("z", {4});
  g.Node("Relu", {"x"}, {"s"});
  g.Node("Neg", {"s"}, {"y"});
  g.Node("Abs", {"s"}, {"z"});
  g.Inputs({"x"}).Outputs({"y", "z"});
  const GraphInfo graph(*g.view());
  EXPECT_FALSE(CanFuse(graph, 0, 1));  // the Abs reads s too
  Graph h;
  h.Value("x", {4}).Value("s", {4}).Value("y", {4});
  h.Node("Relu", {"x"}, {"s"});
  h.Node("Neg", {"s"}, {"y"});
  h.Inputs({"x"}).Outputs({"y", "s"});
  const GraphInfo part(*h.view());
  EXPECT_FALSE(CanFuse(part, 0, 1));  // s is a part output
}

TEST(OpenclCodegen, ViewsAreCopies) {
  Graph g;
  g.Value("x", {2, 3}).Int64Constant("s", {6}).Value("y", {6});
  g.Node("Reshape", {"x", "s"}, {"y"}).Inputs({"x"}).Outputs({"y"});
  const GraphInfo graph(*g.view());
  EXPECT_EQ(CheckNode(graph, 0, nullptr, UINT64_MAX), "");
  const Kernel k = GenerateNode(graph, 0);
  EXPECT_TRUE(k.copy);
  EXPECT_TRUE(k.source.empty());
}

TEST(OpenclSupport, DeclinesWithPreciseReasons) {
  auto reason = [](Graph& g) {
    const GraphInfo graph(*g.view());
    return CheckNode(graph, 0, nullptr, UINT64_MAX);
  };
  {
    Graph g;
    g.Value("x", {1, 1, 4, 4}).Value("y", {1, 1, 2, 2}, HETRUN_DTYPE_INT64);
    g.Node("MaxPool", {"x"}, {"y"}).Ints("kernel_shape", {2, 2}).Ints("strides", {2, 2});
    g.Inputs({"x"}).Outputs({"y"});
    EXPECT_EQ(reason(g), "MaxPool: int64 tensor 'y' is not supported (float32 and float16 only)");
  }
  {
    Graph g;
    g.Value("x", {1, 1, 4, 4})
        .Value("y", {1, 1, 2, 2})
        .Value("i", {1, 1, 2, 2}, HETRUN_DTYPE_INT64);
    g.Node("MaxPool", {"x"}, {"y", "i"}).Ints("kernel_shape", {2, 2}).Ints("strides", {2, 2});
    g.Inputs({"x"}).Outputs({"y", "i"});
    EXPECT_EQ(reason(g), "MaxPool: the Indices output is not supported");
  }
  {
    Graph g;
    g.Value("x", {1, 2, 5, 5}).Constant("w", {2, 2, 3, 3}, std::vector<float>(36, 1.0f));
    g.Value("y", {1, 2, 4, 4});  // wrong: 3x3 without padding gives 3x3
    g.Node("Conv", {"x", "w"}, {"y"}).Inputs({"x"}).Outputs({"y"});
    EXPECT_EQ(reason(g),
              "Conv: output size 4 in spatial dim 0 does not follow from the attributes "
              "(expected 3)");
  }
  {
    Graph g;
    g.Value("x", {2, 3}).Value("y", {2, 3});
    g.Node("Acos", {"x"}, {"y"}).Inputs({"x"}).Outputs({"y"});
    EXPECT_EQ(reason(g), "op Acos is not supported by the OpenCL code generator");
  }
}

TEST(OpenclWindow, ConvTransposeOutputShapeGivesPads) {
  auto resolve = [](const std::vector<int64_t>& output_shape, const char* auto_pad,
                    WindowGeometry* geometry) {
    Graph g;
    g.Value("x", {1, 1, 3, 3}).Constant("w", {1, 1, 3, 3}, std::vector<float>(9, 1.0f));
    g.Value("y", {1, 1, output_shape[0], output_shape[1]});
    g.Node("ConvTranspose", {"x", "w"}, {"y"}).Ints("strides", {3, 2}).String("auto_pad", auto_pad);
    g.Ints("output_shape", output_shape).Inputs({"x"}).Outputs({"y"});
    const GraphInfo graph(*g.view());
    return ResolveWindow(graph, 0, {3, 3}, true, geometry);
  };
  WindowGeometry geometry;
  // Natural size 9 x 7 (3 * 2 + 3, 2 * 2 + 3). Without auto_pad, output_shape only cuts the end.
  ASSERT_EQ(resolve({7, 7}, "NOTSET", &geometry), "");
  EXPECT_EQ(geometry.pad_begin, (std::vector<int64_t>{0, 0}));
  // SAME_UPPER splits the 2 rows too many, SAME_LOWER puts the odd one (here -1: one more row)
  // first.
  ASSERT_EQ(resolve({7, 7}, "SAME_UPPER", &geometry), "");
  EXPECT_EQ(geometry.pad_begin, (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(geometry.pad_end, (std::vector<int64_t>{1, 0}));
  ASSERT_EQ(resolve({10, 8}, "SAME_LOWER", &geometry), "");
  EXPECT_EQ(geometry.pad_begin, (std::vector<int64_t>{0, 0}));
  EXPECT_EQ(geometry.pad_end, (std::vector<int64_t>{-1, -1}));
}

}  // namespace
}  // namespace hetrun::opencl
