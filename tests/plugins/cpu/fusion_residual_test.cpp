// Compile-time fusion of a residual Add (a tensor of the Conv output's own shape, as ResNet's
// shortcut) into the Conv before it, with the activation after it: where it must fuse (every Conv
// path, either Add operand order, the ResNet downsample pattern) and where it must not (a
// broadcast addend, an addend computed after the Conv, a grouped Conv), each time against the same
// graph compiled with HETRUN_CPU_FUSION=0.
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "fusion_fixture.h"

namespace hetrun::test {
namespace {

class CpuResidualFusion : public FusionTest {
 protected:
  void CheckAgainstUnfused(GraphBuilder& g, const std::vector<Tensor>& in,
                           const std::vector<int64_t>& out_dims, int want_nodes,
                           const std::vector<std::string>& want_fused, const std::string& what) {
    FusionTest::CheckAgainstUnfused(g, in, {out_dims}, want_nodes, want_fused, what, 1e-4f);
  }
};

struct ConvCase {
  const char* path;
  int64_t C, M, H, K, pad, stride;
};

// Conv -> Add(residual input) -> Relu on every Conv path, the addend on either side of the Add,
// with and without the Relu: one node, and the same numbers as the three nodes run one by one.
TEST_F(CpuResidualFusion, ConvAbsorbsResidualAddAndReluOnEveryPath) {
  const ConvCase cases[] = {{"gemm", 4, 8, 9, 3, 1, 1},
                            {"gemm, two depth passes", 32, 16, 9, 3, 1, 1},
                            {"strided", 3, 5, 11, 3, 1, 2},
                            {"pointwise", 16, 24, 7, 1, 0, 1},
                            {"pointwise strided", 16, 24, 8, 1, 0, 2},
                            {"winograd, odd size", 32, 64, 7, 3, 1, 1},
                            {"winograd", 128, 64, 6, 3, 1, 1}};
  for (const ConvCase& c : cases) {
    const int64_t OH = (c.H + 2 * c.pad - c.K) / c.stride + 1;
    const std::vector<int64_t> xd{1, c.C, c.H, c.H}, wd{c.M, c.C, c.K, c.K}, yd{1, c.M, OH, OH};
    for (const bool addend_first : {false, true}) {
      for (const bool relu : {true, false}) {
        GraphBuilder g;
        g.Value("x", kF32, xd)
            .Value("r", kF32, yd)
            .Constant("w", wd, Random(Numel(wd), 2, 0.3f))
            .Constant("b", {c.M}, Random(c.M, 3))
            .Value("y", kF32, yd)
            .Value("sum", kF32, yd)
            .Value("out", kF32, yd)
            .Node("conv", "Conv", {"x", "w", "b"}, {"y"})
            .IntsAttr("pads", {c.pad, c.pad, c.pad, c.pad})
            .IntsAttr("strides", {c.stride, c.stride})
            .Node("add", "Add",
                  addend_first ? std::vector<std::string>{"r", "y"}
                               : std::vector<std::string>{"y", "r"},
                  {relu ? "sum" : "out"});
        if (relu) g.Node("relu", "Relu", {"sum"}, {"out"});
        g.Inputs({"x", "r"}).Outputs({"out"});
        const std::string what = std::string(c.path) + (addend_first ? ", Add(r, y)" : "") +
                                 (relu ? " + Relu" : ", no Relu");
        CheckAgainstUnfused(
            g, {{Random(Numel(xd), 1, 2.0f), xd}, {Random(Numel(yd), 4, 2.0f), yd}}, yd, 1,
            {relu ? "node 'conv+add+relu' (Conv+Add+Relu)" : "node 'conv+add' (Conv+Add)"}, what);
        if (HasFatalFailure()) return;
      }
    }
  }
}

// ResNet's downsample block: main = Conv3x3(x), shortcut = Conv1x1(x) (after it in node order),
// Relu(main + shortcut). The group runs where its Conv stood, so only the later Conv can take the
// Add: its addend (the earlier Conv's output) exists by then.
TEST_F(CpuResidualFusion, TheLaterConvOfADownsampleBlockTakesTheAdd) {
  const std::vector<int64_t> xd{1, 8, 10, 10}, yd{1, 16, 5, 5};
  GraphBuilder g;
  g.Value("x", kF32, xd)
      .Constant("w3", {16, 8, 3, 3}, Random(16 * 8 * 9, 2, 0.3f))
      .Constant("w1", {16, 8, 1, 1}, Random(16 * 8, 3, 0.3f))
      .Value("main", kF32, yd)
      .Value("shortcut", kF32, yd)
      .Value("sum", kF32, yd)
      .Value("out", kF32, yd)
      .Node("conv3", "Conv", {"x", "w3"}, {"main"})
      .IntsAttr("pads", {1, 1, 1, 1})
      .IntsAttr("strides", {2, 2})
      .Node("conv1", "Conv", {"x", "w1"}, {"shortcut"})
      .IntsAttr("strides", {2, 2})
      .Node("add", "Add", {"main", "shortcut"}, {"sum"})
      .Node("relu", "Relu", {"sum"}, {"out"})
      .Inputs({"x"})
      .Outputs({"out"});
  CheckAgainstUnfused(g, {{Random(Numel(xd), 1, 2.0f), xd}}, yd, 2,
                      {"node 'conv1+add+relu' (Conv+Add+Relu)"}, "downsample block");
}

// An addend of shape [1, M, 1, 1] broadcasts: not a residual of the output's shape.
TEST_F(CpuResidualFusion, NotWhenTheAddendBroadcasts) {
  const std::vector<int64_t> xd{1, 3, 6, 6}, yd{1, 4, 6, 6}, rd{1, 4, 1, 1};
  GraphBuilder g;
  g.Value("x", kF32, xd)
      .Value("r", kF32, rd)
      .Constant("w", {4, 3, 3, 3}, Random(108, 2))
      .Value("y", kF32, yd)
      .Value("sum", kF32, yd)
      .Value("out", kF32, yd)
      .Node("conv", "Conv", {"x", "w"}, {"y"})
      .IntsAttr("pads", {1, 1, 1, 1})
      .Node("add", "Add", {"y", "r"}, {"sum"})
      .Node("relu", "Relu", {"sum"}, {"out"})
      .Inputs({"x", "r"})
      .Outputs({"out"});
  CheckAgainstUnfused(g, {{Random(Numel(xd), 1), xd}, {Random(4, 4), rd}}, yd, 3, {},
                      "broadcast addend");
}

// The addend is computed after the Conv in node order: the fused group would run before it.
TEST_F(CpuResidualFusion, NotWhenTheAddendIsComputedAfterTheConv) {
  const std::vector<int64_t> xd{1, 3, 6, 6}, yd{1, 4, 6, 6};
  GraphBuilder g;
  g.Value("x", kF32, xd)
      .Value("r", kF32, yd)
      .Constant("w", {4, 3, 3, 3}, Random(108, 2))
      .Value("y", kF32, yd)
      .Value("s", kF32, yd)
      .Value("sum", kF32, yd)
      .Value("out", kF32, yd)
      .Node("conv", "Conv", {"x", "w"}, {"y"})
      .IntsAttr("pads", {1, 1, 1, 1})
      .Node("sigmoid", "Sigmoid", {"r"}, {"s"})
      .Node("add", "Add", {"y", "s"}, {"sum"})
      .Node("relu", "Relu", {"sum"}, {"out"})
      .Inputs({"x", "r"})
      .Outputs({"out"});
  CheckAgainstUnfused(g, {{Random(Numel(xd), 1), xd}, {Random(Numel(yd), 4), yd}}, yd, 4, {},
                      "addend after the conv");
}

// A grouped Conv keeps its Add and Relu as separate nodes (its kernel turns the residual down).
TEST_F(CpuResidualFusion, NotOnAGroupedConv) {
  const std::vector<int64_t> xd{1, 8, 6, 6}, yd{1, 8, 6, 6};
  GraphBuilder g;
  g.Value("x", kF32, xd)
      .Value("r", kF32, yd)
      .Constant("w", {8, 1, 3, 3}, Random(72, 2))
      .Value("y", kF32, yd)
      .Value("sum", kF32, yd)
      .Value("out", kF32, yd)
      .Node("conv", "Conv", {"x", "w"}, {"y"})
      .IntsAttr("pads", {1, 1, 1, 1})
      .IntAttr("group", 8)
      .Node("add", "Add", {"y", "r"}, {"sum"})
      .Node("relu", "Relu", {"sum"}, {"out"})
      .Inputs({"x", "r"})
      .Outputs({"out"});
  CheckAgainstUnfused(g, {{Random(Numel(xd), 1), xd}, {Random(Numel(yd), 4), yd}}, yd, 3, {},
                      "grouped conv");
}

}  // namespace
}  // namespace hetrun::test
