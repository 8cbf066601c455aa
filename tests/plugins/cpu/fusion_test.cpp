// Compile-time fusion in the CPU plugin, through the C ABI: where a Conv / Gemm / MatMul must
// absorb the bias Add and activation after it (one executable node, seen in the compile log) and
// where it must not (the intermediate is a part output, has two readers, or the absorbed node
// reads a non-constant), each time against the same graph compiled with HETRUN_CPU_FUSION=0.
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "fusion_fixture.h"

namespace hetrun::test {
namespace {

class CpuFusion : public FusionTest {
 protected:
  void CheckAgainstUnfused(GraphBuilder& g, const std::vector<Tensor>& in,
                           const std::vector<std::vector<int64_t>>& out_dims, int want_nodes,
                           const std::vector<std::string>& want_fused, const std::string& what) {
    FusionTest::CheckAgainstUnfused(g, in, out_dims, want_nodes, want_fused, what, 1e-5f);
  }
};

// Appends node `name` = `op`(in) -> out, with constant bounds [-0.5, 0.75] for Clip.
void AddActivation(GraphBuilder& g, const std::string& op, const std::string& name,
                   const std::string& in, const std::string& out) {
  if (op == "Clip") {
    g.Constant(name + "_lo", {}, {-0.5f}).Constant(name + "_hi", {}, {0.75f});
    g.Node(name, op, {in, name + "_lo", name + "_hi"}, {out});
  } else {
    g.Node(name, op, {in}, {out});
  }
}

const char* const kActivations[] = {"Relu",        "LeakyRelu", "Clip", "Sigmoid",
                                    "HardSigmoid", "HardSwish", "Tanh"};

struct ConvCase {
  const char* path;
  int64_t C, M, H, K, pad, stride, group;
};

// Every Conv path (im2col GEMM, strided, 1x1, depthwise, Winograd) with every activation.
TEST_F(CpuFusion, ConvAbsorbsEachActivationOnEveryPath) {
  const ConvCase cases[] = {{"gemm", 4, 8, 9, 3, 1, 1, 1},
                            {"strided", 3, 5, 11, 3, 1, 2, 1},
                            {"pointwise", 16, 24, 7, 1, 0, 1, 1},
                            {"depthwise", 8, 8, 9, 3, 1, 1, 8},
                            {"winograd", 128, 64, 6, 3, 1, 1, 1}};
  for (const ConvCase& c : cases) {
    const int64_t OH = (c.H + 2 * c.pad - c.K) / c.stride + 1;
    const std::vector<int64_t> xd{1, c.C, c.H, c.H}, wd{c.M, c.C / c.group, c.K, c.K},
        yd{1, c.M, OH, OH};
    for (const char* act : kActivations) {
      GraphBuilder g;
      g.Value("x", kF32, xd)
          .Constant("w", wd, Random(Numel(wd), 2, 0.3f))
          .Constant("b", {c.M}, Random(c.M, 3))
          .Value("y", kF32, yd)
          .Value("out", kF32, yd)
          .Node("conv", "Conv", {"x", "w", "b"}, {"y"})
          .IntsAttr("pads", {c.pad, c.pad, c.pad, c.pad})
          .IntsAttr("strides", {c.stride, c.stride})
          .IntAttr("group", c.group);
      AddActivation(g, act, "act", "y", "out");
      g.Inputs({"x"}).Outputs({"out"});
      CheckAgainstUnfused(g, {{Random(Numel(xd), 1, 2.0f), xd}}, {yd}, 1,
                          {std::string("node 'conv+act' (Conv+") + act + ")"},
                          std::string(c.path) + " + " + act);
      if (HasFatalFailure()) return;
    }
  }
}

// MatMul with a batch of rows, + a bias vector (either operand order), then an activation.
TEST_F(CpuFusion, MatMulAbsorbsBiasAddAndActivation) {
  const std::vector<int64_t> ad{2, 5, 24}, yd{2, 5, 40};
  for (const char* act : kActivations) {
    GraphBuilder g;
    g.Value("a", kF32, ad)
        .Constant("w", {24, 40}, Random(24 * 40, 2))
        .Constant("bias", {40}, Random(40, 3))
        .Value("mm", kF32, yd)
        .Value("sum", kF32, yd)
        .Value("out", kF32, yd)
        .Node("matmul", "MatMul", {"a", "w"}, {"mm"})
        .Node("add", "Add", {"mm", "bias"}, {"sum"});
    AddActivation(g, act, "act", "sum", "out");
    g.Inputs({"a"}).Outputs({"out"});
    CheckAgainstUnfused(g, {{Random(Numel(ad), 1), ad}}, {yd}, 1,
                        {std::string("node 'matmul+add+act' (MatMul+Add+") + act + ")"}, act);
    if (HasFatalFailure()) return;
  }
  // Bias first, as [1, 40], and no activation after it.
  GraphBuilder g;
  g.Value("a", kF32, ad)
      .Constant("w", {24, 40}, Random(24 * 40, 2))
      .Constant("bias", {1, 40}, Random(40, 3))
      .Value("mm", kF32, yd)
      .Value("out", kF32, yd)
      .Node("matmul", "MatMul", {"a", "w"}, {"mm"})
      .Node("add", "Add", {"bias", "mm"}, {"out"})
      .Inputs({"a"})
      .Outputs({"out"});
  CheckAgainstUnfused(g, {{Random(Numel(ad), 1), ad}}, {yd}, 1, {"node 'matmul+add' (MatMul+Add)"},
                      "bias first");
}

// The exported Gelu after MatMul + bias: x * 0.5 first (the transformer bench model's order), and
// after a Gemm with the 0.5 last.
TEST_F(CpuFusion, GemmAndMatMulAbsorbGelu) {
  const std::vector<int64_t> ad{2, 5, 24}, yd{2, 5, 40};
  GraphBuilder g;
  g.Value("a", kF32, ad)
      .Constant("w", {24, 40}, Random(24 * 40, 2))
      .Constant("bias", {40}, Random(40, 3))
      .Constant("half", {}, {0.5f})
      .Constant("sqrt2", {}, {1.4142135f})
      .Constant("one", {}, {1.0f});
  for (const char* v : {"mm", "x", "h", "d", "e", "p", "out"}) g.Value(v, kF32, yd);
  g.Node("matmul", "MatMul", {"a", "w"}, {"mm"})
      .Node("add", "Add", {"mm", "bias"}, {"x"})
      .Node("mul_half", "Mul", {"x", "half"}, {"h"})
      .Node("div", "Div", {"x", "sqrt2"}, {"d"})
      .Node("erf", "Erf", {"d"}, {"e"})
      .Node("plus_one", "Add", {"e", "one"}, {"p"})
      .Node("mul", "Mul", {"h", "p"}, {"out"})
      .Inputs({"a"})
      .Outputs({"out"});
  CheckAgainstUnfused(g, {{Random(Numel(ad), 1, 3.0f), ad}}, {yd}, 1,
                      {"node 'matmul+add+mul_half+div+erf+plus_one+mul' "
                       "(MatMul+Add+Mul+Div+Erf+Add+Mul)"},
                      "matmul gelu");
  if (HasFatalFailure()) return;

  const std::vector<int64_t> gd{6, 20}, od{6, 30};
  GraphBuilder g2;
  g2.Value("a", kF32, gd)
      .Constant("w", {20, 30}, Random(600, 2))
      .Constant("c", {30}, Random(30, 3))
      .Constant("half", {}, {0.5f})
      .Constant("sqrt2", {}, {1.4142135f})
      .Constant("one", {}, {1.0f});
  for (const char* v : {"x", "d", "e", "p", "m", "out"}) g2.Value(v, kF32, od);
  g2.Node("gemm", "Gemm", {"a", "w", "c"}, {"x"})
      .Node("div", "Div", {"x", "sqrt2"}, {"d"})
      .Node("erf", "Erf", {"d"}, {"e"})
      .Node("plus_one", "Add", {"one", "e"}, {"p"})
      .Node("mul", "Mul", {"p", "x"}, {"m"})
      .Node("mul_half", "Mul", {"m", "half"}, {"out"})
      .Inputs({"a"})
      .Outputs({"out"});
  CheckAgainstUnfused(g2, {{Random(Numel(gd), 1, 3.0f), gd}}, {od}, 1,
                      {"node 'gemm+div+erf+plus_one+mul+mul_half' (Gemm+Div+Erf+Add+Mul+Mul)"},
                      "gemm gelu");
}

// A Gelu whose Erf output is also read elsewhere is left as separate nodes.
TEST_F(CpuFusion, NotGeluWhenAPieceHasAnotherReader) {
  const std::vector<int64_t> ad{6, 20}, od{6, 30};
  GraphBuilder g;
  g.Value("a", kF32, ad)
      .Constant("w", {20, 30}, Random(600, 2))
      .Constant("half", {}, {0.5f})
      .Constant("sqrt2", {}, {1.4142135f})
      .Constant("one", {}, {1.0f});
  for (const char* v : {"x", "h", "d", "e", "p", "out", "spy"}) g.Value(v, kF32, od);
  g.Node("matmul", "MatMul", {"a", "w"}, {"x"})
      .Node("mul_half", "Mul", {"x", "half"}, {"h"})
      .Node("div", "Div", {"x", "sqrt2"}, {"d"})
      .Node("erf", "Erf", {"d"}, {"e"})
      .Node("plus_one", "Add", {"e", "one"}, {"p"})
      .Node("mul", "Mul", {"h", "p"}, {"out"})
      .Node("spy", "Neg", {"e"}, {"spy"})
      .Inputs({"a"})
      .Outputs({"out", "spy"});
  CheckAgainstUnfused(g, {{Random(Numel(ad), 1, 3.0f), ad}}, {od, od}, 7, {}, "erf read twice");
}

// Gemm keeps its own C (bias) and takes an activation; a second bias Add fuses too.
TEST_F(CpuFusion, GemmAbsorbsActivationAndBiasAdd) {
  const std::vector<int64_t> ad{6, 20}, yd{6, 30};
  GraphBuilder g;
  g.Value("a", kF32, ad)
      .Constant("w", {30, 20}, Random(30 * 20, 2))
      .Constant("c", {30}, Random(30, 3))
      .Constant("bias", {30}, Random(30, 4))
      .Value("y", kF32, yd)
      .Value("sum", kF32, yd)
      .Value("out", kF32, yd)
      .Node("gemm", "Gemm", {"a", "w", "c"}, {"y"})
      .IntAttr("transB", 1)
      .Node("add", "Add", {"y", "bias"}, {"sum"})
      .Node("act", "Sigmoid", {"sum"}, {"out"})
      .Inputs({"a"})
      .Outputs({"out"});
  CheckAgainstUnfused(g, {{Random(Numel(ad), 1, 2.0f), ad}}, {yd}, 1,
                      {"node 'gemm+add+act' (Gemm+Add+Sigmoid)"}, "gemm");
}

// Conv -> Relu, where the Conv's output is also a part output: it must be written, so no fusion.
TEST_F(CpuFusion, NotWhenTheIntermediateIsAPartOutput) {
  const std::vector<int64_t> xd{1, 3, 6, 6}, yd{1, 4, 6, 6};
  GraphBuilder g;
  g.Value("x", kF32, xd)
      .Constant("w", {4, 3, 3, 3}, Random(108, 2))
      .Value("y", kF32, yd)
      .Value("out", kF32, yd)
      .Node("conv", "Conv", {"x", "w"}, {"y"})
      .IntsAttr("pads", {1, 1, 1, 1})
      .Node("relu", "Relu", {"y"}, {"out"})
      .Inputs({"x"})
      .Outputs({"y", "out"});
  CheckAgainstUnfused(g, {{Random(Numel(xd), 1), xd}}, {yd, yd}, 2, {}, "part output");
}

// Conv read by a Relu and a Sigmoid: neither can take the value over.
TEST_F(CpuFusion, NotWhenTheIntermediateHasTwoReaders) {
  const std::vector<int64_t> xd{1, 3, 6, 6}, yd{1, 4, 6, 6};
  GraphBuilder g;
  g.Value("x", kF32, xd)
      .Constant("w", {4, 3, 3, 3}, Random(108, 2))
      .Value("y", kF32, yd)
      .Value("r", kF32, yd)
      .Value("s", kF32, yd)
      .Node("conv", "Conv", {"x", "w"}, {"y"})
      .IntsAttr("pads", {1, 1, 1, 1})
      .Node("relu", "Relu", {"y"}, {"r"})
      .Node("sigmoid", "Sigmoid", {"y"}, {"s"})
      .Inputs({"x"})
      .Outputs({"r", "s"});
  CheckAgainstUnfused(g, {{Random(Numel(xd), 1), xd}}, {yd, yd}, 3, {}, "two readers");
}

// Clip whose bounds are inputs of the part: known only at run time, so not fused.
TEST_F(CpuFusion, NotWhenClipBoundsAreNotConstant) {
  const std::vector<int64_t> ad{4, 8}, yd{4, 16};
  GraphBuilder g;
  g.Value("a", kF32, ad)
      .Constant("w", {8, 16}, Random(128, 2))
      .Value("lo", kF32, {})
      .Value("hi", kF32, {})
      .Value("y", kF32, yd)
      .Value("out", kF32, yd)
      .Node("matmul", "MatMul", {"a", "w"}, {"y"})
      .Node("clip", "Clip", {"y", "lo", "hi"}, {"out"})
      .Inputs({"a", "lo", "hi"})
      .Outputs({"out"});
  CheckAgainstUnfused(g, {{Random(32, 1), ad}, {{-0.2f}, {}}, {{0.3f}, {}}}, {yd}, 2, {},
                      "clip bounds");
}

// An Add of a full [5, 40] constant is not a bias along the last dim: MatMul stays alone, but
// the Relu after the Add is not the MatMul's to take either.
TEST_F(CpuFusion, NotWhenTheAddIsNotAColumnBias) {
  const std::vector<int64_t> ad{5, 24}, yd{5, 40};
  GraphBuilder g;
  g.Value("a", kF32, ad)
      .Constant("w", {24, 40}, Random(24 * 40, 2))
      .Constant("full", yd, Random(200, 3))
      .Value("mm", kF32, yd)
      .Value("sum", kF32, yd)
      .Value("out", kF32, yd)
      .Node("matmul", "MatMul", {"a", "w"}, {"mm"})
      .Node("add", "Add", {"mm", "full"}, {"sum"})
      .Node("relu", "Relu", {"sum"}, {"out"})
      .Inputs({"a"})
      .Outputs({"out"});
  CheckAgainstUnfused(g, {{Random(Numel(ad), 1), ad}}, {yd}, 3, {}, "full add");
}

}  // namespace
}  // namespace hetrun::test
