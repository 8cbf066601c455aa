// Fusion of the hardswish that exporters write as four nodes, x * Clip(x + 3, 0, 6) / 6 (Add,
// Clip, Mul reading x again, Div: fusion/elementwise_chain.h), into the Conv / Gemm before it:
// where it must fuse (depthwise, pointwise and GEMM Conv paths, Gemm, either operand order of the
// Add and Mul) and where it must not (wrong constants,
// an intermediate read elsewhere or a part output, x read a third time), each time against the
// same graph compiled with HETRUN_CPU_FUSION=0.
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "fusion_fixture.h"

namespace hetrun::test {
namespace {

class CpuChainFusion : public FusionTest {
 protected:
  void CheckAgainstUnfused(GraphBuilder& g, const std::vector<Tensor>& in,
                           const std::vector<int64_t>& out_dims, int want_nodes,
                           const std::vector<std::string>& want_fused, const std::string& what) {
    FusionTest::CheckAgainstUnfused(g, in, {out_dims}, want_nodes, want_fused, what, 1e-4f);
  }
};

// The pattern's pieces, as options for the must / must-not cases.
struct HardSwishGraph {
  float three = 3.0f, six_clip = 6.0f, six_div = 6.0f;
  bool add_x_first = true, mul_x_first = true;
  const char* spy_on = nullptr;        // a value also read by an extra node (a Neg output "spy")
  const char* extra_output = nullptr;  // a value the caller sees as well
};

// Conv (group `group`) -> Add(3) -> Clip(0, 6) -> Mul(x) -> Div(6): the fused and unfused runs
// must agree, with `want_nodes` executable nodes and `want_fused` groups.
void BuildConvHardSwish(GraphBuilder& g, const HardSwishGraph& h, int64_t C, int64_t M, int64_t K,
                        int64_t group, int64_t H) {
  const std::vector<int64_t> xd{1, C, H, H}, wd{M, C / group, K, K}, yd{1, M, H, H};
  g.Value("in", kF32, xd)
      .Constant("w", wd, Random(Numel(wd), 2, 0.5f))
      .Constant("b", {M}, Random(M, 3))
      .Constant("three", {}, {h.three})
      .Constant("zero", {}, {0.0f})
      .Constant("six", {}, {h.six_clip})
      .Constant("six_d", {}, {h.six_div});
  for (const char* v : {"x", "a", "c", "m", "out", "spy"}) g.Value(v, kF32, yd);
  g.Node("conv", "Conv", {"in", "w", "b"}, {"x"})
      .IntsAttr("pads", {K / 2, K / 2, K / 2, K / 2})
      .IntAttr("group", group);
  g.Node("add", "Add",
         h.add_x_first ? std::vector<std::string>{"x", "three"}
                       : std::vector<std::string>{"three", "x"},
         {"a"});
  g.Node("clip", "Clip", {"a", "zero", "six"}, {"c"});
  g.Node("mul", "Mul",
         h.mul_x_first ? std::vector<std::string>{"x", "c"} : std::vector<std::string>{"c", "x"},
         {"m"});
  g.Node("div", "Div", {"m", "six_d"}, {"out"});
  std::vector<std::string> outputs{"out"};
  if (h.spy_on) {
    g.Node("spy", "Neg", {h.spy_on}, {"spy"});
    outputs.push_back("spy");
  }
  if (h.extra_output) outputs.push_back(h.extra_output);
  g.Inputs({"in"}).Outputs(outputs);
}

TEST_F(CpuChainFusion, ConvAbsorbsExportedHardSwish) {
  struct Path {
    const char* what;
    int64_t C, M, K, group;
  };
  const Path paths[] = {{"depthwise 3x3", 8, 8, 3, 8},
                        {"depthwise 5x5", 6, 6, 5, 6},
                        {"pointwise", 16, 24, 1, 1},
                        {"gemm 3x3", 3, 8, 3, 1}};
  for (const Path& p : paths)
    for (const bool add_x_first : {true, false})
      for (const bool mul_x_first : {true, false}) {
        HardSwishGraph h;
        h.add_x_first = add_x_first;
        h.mul_x_first = mul_x_first;
        GraphBuilder g;
        BuildConvHardSwish(g, h, p.C, p.M, p.K, p.group, 9);
        const std::vector<int64_t> xd{1, p.C, 9, 9}, yd{1, p.M, 9, 9};
        CheckAgainstUnfused(g, {{Random(Numel(xd), 1, 4.0f), xd}}, yd, 1,
                            {"node 'conv+add+clip+mul+div' (Conv+Add+Clip+Mul+Div)"},
                            std::string(p.what) + (add_x_first ? " x+3" : " 3+x") +
                                (mul_x_first ? " x*c" : " c*x"));
        if (HasFatalFailure()) return;
      }
}

TEST_F(CpuChainFusion, GemmAbsorbsExportedHardSwish) {
  const std::vector<int64_t> ad{5, 12}, yd{5, 20};
  GraphBuilder g;
  g.Value("in", kF32, ad)
      .Constant("w", {12, 20}, Random(240, 2))
      .Constant("three", {}, {3.0f})
      .Constant("zero", {}, {0.0f})
      .Constant("six", {}, {6.0f});
  for (const char* v : {"x", "a", "c", "m", "out"}) g.Value(v, kF32, yd);
  g.Node("gemm", "Gemm", {"in", "w"}, {"x"})
      .Node("add", "Add", {"x", "three"}, {"a"})
      .Node("clip", "Clip", {"a", "zero", "six"}, {"c"})
      .Node("mul", "Mul", {"x", "c"}, {"m"})
      .Node("div", "Div", {"m", "six"}, {"out"})
      .Inputs({"in"})
      .Outputs({"out"});
  CheckAgainstUnfused(g, {{Random(Numel(ad), 1, 3.0f), ad}}, yd, 1,
                      {"node 'gemm+add+clip+mul+div' (Gemm+Add+Clip+Mul+Div)"}, "gemm hardswish");
}

// Near misses stay five separate nodes (six with the spy) and still compute the same numbers.
TEST_F(CpuChainFusion, NotFusedWhenThePatternDiffers) {
  struct Miss {
    const char* what;
    HardSwishGraph h;
    int nodes;
  };
  std::vector<Miss> misses;
  auto miss = [&](const char* what, auto&& tweak, int nodes) {
    HardSwishGraph h;
    tweak(h);
    misses.push_back({what, h, nodes});
  };
  miss(
      "adds 2, not 3", [](HardSwishGraph& h) { h.three = 2.0f; }, 5);
  miss(
      "clips at 5", [](HardSwishGraph& h) { h.six_clip = 5.0f; }, 5);
  miss(
      "divides by 3", [](HardSwishGraph& h) { h.six_div = 3.0f; }, 5);
  miss(
      "clip output read elsewhere", [](HardSwishGraph& h) { h.spy_on = "c"; }, 6);
  miss(
      "product read elsewhere", [](HardSwishGraph& h) { h.spy_on = "m"; }, 6);
  miss(
      "x read a third time", [](HardSwishGraph& h) { h.spy_on = "x"; }, 6);
  miss(
      "sum is a part output", [](HardSwishGraph& h) { h.extra_output = "a"; }, 5);
  for (const Miss& m : misses) {
    GraphBuilder g;
    BuildConvHardSwish(g, m.h, 8, 8, 3, 8, 7);
    const std::vector<int64_t> xd{1, 8, 7, 7}, yd{1, 8, 7, 7};
    const Compiled fused = Compile(g, true);
    const Compiled plain = Compile(g, false);
    ASSERT_TRUE(fused.exe && plain.exe) << m.what;
    EXPECT_EQ(fused.nodes, m.nodes) << m.what;
    EXPECT_TRUE(fused.fused.empty()) << m.what << ": fused " << fused.fused.front();
    const size_t outputs = m.h.spy_on || m.h.extra_output ? 2 : 1;
    const std::vector<Tensor> in{{Random(Numel(xd), 1, 4.0f), xd}};
    const std::vector<std::vector<int64_t>> out_dims(outputs, yd);
    const std::vector<float> got = Execute(fused.exe, in, out_dims)[0];
    const std::vector<float> want = Execute(plain.exe, in, out_dims)[0];
    for (size_t i = 0; i < got.size(); ++i)
      ASSERT_EQ(got[i], want[i]) << m.what << ": element " << i;
  }
}

}  // namespace
}  // namespace hetrun::test
