// Tuning through the C ABI (minor 2): list_tunables' capacity protocol, compile_tuned's checks,
// every candidate of every tunable computing what compile() computes (and what a plain double
// loop computes) on Conv, MatMul and Gemm nodes of assorted shapes, and event_elapsed_us. Only
// behaviour is asserted, never timing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "fusion_fixture.h"
#include "graph_builder.h"
#include "plugin_fixture.h"

namespace hetrun::test {
namespace {

class CpuTuning : public FusionTest {
 protected:
  std::vector<hetrun_tunable> List(const hetrun_graph_view* view, uint32_t node) {
    uint32_t count = 0;
    Status first(p_->list_tunables(dev_, view, node, nullptr, 0, &count));
    EXPECT_TRUE(first.ok()) << first.message();
    std::vector<hetrun_tunable> out(count);
    for (hetrun_tunable& t : out) {
      std::memset(&t, 0, sizeof t);
      t.struct_size = sizeof t;
    }
    uint32_t again = 0;
    Status second(p_->list_tunables(dev_, view, node, out.data(), count, &again));
    EXPECT_TRUE(second.ok()) << second.message();
    EXPECT_EQ(again, count);
    return out;
  }

  Status CompileTuned(const hetrun_graph_view* view, const std::vector<hetrun_tuning_value>& values,
                      hetrun_executable_t* exe) {
    *exe = nullptr;
    Status status(
        p_->compile_tuned(dev_, view, values.data(), static_cast<uint32_t>(values.size()), exe));
    if (status.ok()) compiled_.push_back(*exe);
    return status;
  }

  void TearDown() override {
    for (hetrun_executable_t exe : compiled_) p_->executable_release(exe);
    FusionTest::TearDown();
  }

  // For each tunable of node 0 and each of its candidates: compile_tuned with that value alone,
  // run, and compare with compile()'s output (tightly) and with `reference` (computed in double).
  void CheckEveryCandidate(GraphBuilder& g, const std::vector<Tensor>& in,
                           const std::vector<int64_t>& out_dims,
                           const std::vector<double>& reference, const std::string& what) {
    const hetrun_graph_view* view = g.view();
    const std::vector<hetrun_tunable> tunables = List(view, 0);
    const std::vector<float> base = Execute(CompileOk(view), in, {out_dims})[0];
    ASSERT_EQ(base.size(), reference.size()) << what;
    for (size_t i = 0; i < base.size(); ++i)
      ASSERT_NEAR(base[i], reference[i], 1e-3 * (1.0 + std::abs(reference[i])))
          << what << ": default, element " << i;
    for (const hetrun_tunable& t : tunables) {
      ASSERT_GE(t.num_values, 1u) << what;
      ASSERT_LE(t.num_values, HETRUN_MAX_TUNABLE_VALUES) << what;
      bool has_default = false;
      for (uint32_t v = 0; v < t.num_values; ++v) {
        has_default = has_default || t.values[v] == t.default_value;
        for (uint32_t u = 0; u < v; ++u)
          EXPECT_NE(t.values[u], t.values[v]) << what << ": " << t.name << " repeats a value";
      }
      EXPECT_TRUE(has_default) << what << ": " << t.name << "'s default is not a candidate";
      for (uint32_t v = 0; v < t.num_values; ++v) {
        const std::string label = what + ", " + t.name + " = " + std::to_string(t.values[v]);
        hetrun_executable_t exe = nullptr;
        Status status = CompileTuned(view, {{0, 0, t.name, t.values[v]}}, &exe);
        ASSERT_TRUE(status.ok()) << label << ": " << status.message();
        const std::vector<float> got = Execute(exe, in, {out_dims})[0];
        ASSERT_EQ(got.size(), base.size()) << label;
        // The default named explicitly is compile() exactly: the same code, bit for bit.
        if (t.values[v] == t.default_value) {
          EXPECT_EQ(got, base) << label;
        }
        for (size_t i = 0; i < got.size(); ++i) {
          ASSERT_NEAR(got[i], base[i], 2e-4 * (1.0f + std::abs(base[i])))
              << label << ": element " << i << " differs from compile()'s";
          ASSERT_NEAR(got[i], reference[i], 1e-3 * (1.0 + std::abs(reference[i])))
              << label << ": element " << i;
        }
      }
    }
  }

  // The names list_tunables gives for node `node`.
  std::vector<std::string> Names(const hetrun_graph_view* view, uint32_t node) {
    std::vector<std::string> names;
    for (const hetrun_tunable& t : List(view, node)) names.emplace_back(t.name);
    return names;
  }

  bool Lists(const hetrun_graph_view* view, uint32_t node, const std::string& name) {
    const std::vector<std::string> names = Names(view, node);
    return std::find(names.begin(), names.end(), name) != names.end();
  }

  std::vector<hetrun_executable_t> compiled_;
};

struct ConvCase {
  int64_t n, c, h, w, m, k, stride, pad, group;
};

// Y = conv(X, W) + B in double, NCHW, square kernel, symmetric pads.
std::vector<double> ReferenceConv(const ConvCase& s, const std::vector<float>& x,
                                  const std::vector<float>& w, const std::vector<float>& b,
                                  int64_t oh, int64_t ow) {
  const int64_t cg = s.c / s.group, mg = s.m / s.group;
  std::vector<double> y(static_cast<size_t>(s.n * s.m * oh * ow));
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t m = 0; m < s.m; ++m)
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          double acc = b[static_cast<size_t>(m)];
          const int64_t g = m / mg;
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t u = 0; u < s.k; ++u)
              for (int64_t v = 0; v < s.k; ++v) {
                const int64_t ih = i * s.stride - s.pad + u, iw = j * s.stride - s.pad + v;
                if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w) continue;
                acc += static_cast<double>(
                           x[static_cast<size_t>(((n * s.c + g * cg + c) * s.h + ih) * s.w + iw)]) *
                       w[static_cast<size_t>(((m * cg + c) * s.k + u) * s.k + v)];
              }
          y[static_cast<size_t>(((n * s.m + m) * oh + i) * ow + j)] = acc;
        }
  return y;
}

// Winograd by default (3x3, stride 1, enough channels), the direct kernel by default (strided, on
// AVX-512: a batch of two, partial channel blocks, a 1x1), the transposed GEMM (few output
// pixels), im2col by default, a 1x1, a grouped one (im2col only: no algorithm to pick) and a
// batch of two.
TEST_F(CpuTuning, EveryConvCandidateComputesTheSame) {
  const std::vector<ConvCase> cases = {
      {1, 32, 10, 9, 32, 3, 1, 1, 1},  {1, 64, 13, 13, 40, 3, 2, 1, 1},
      {1, 8, 12, 12, 16, 3, 1, 1, 1},  {1, 32, 7, 7, 48, 1, 1, 0, 1},
      {1, 8, 9, 9, 12, 3, 1, 1, 2},    {2, 16, 8, 8, 32, 3, 1, 0, 1},
      {1, 3, 23, 23, 16, 7, 2, 3, 1},  {2, 16, 9, 9, 40, 3, 2, 1, 1},
      {1, 24, 10, 10, 70, 1, 2, 0, 1},
  };
  uint32_t seed = 1;
  for (const ConvCase& s : cases) {
    const int64_t oh = (s.h + 2 * s.pad - s.k) / s.stride + 1;
    const int64_t ow = (s.w + 2 * s.pad - s.k) / s.stride + 1;
    const std::vector<int64_t> xd{s.n, s.c, s.h, s.w}, wd{s.m, s.c / s.group, s.k, s.k};
    const std::vector<int64_t> yd{s.n, s.m, oh, ow};
    const std::vector<float> x = Random(Numel(xd), seed++), w = Random(Numel(wd), seed++);
    const std::vector<float> b = Random(s.m, seed++);
    GraphBuilder g;
    g.Value("x", kF32, xd).Constant("w", wd, w).Constant("b", {s.m}, b).Value("y", kF32, yd);
    g.Node("conv", "Conv", {"x", "w", "b"}, {"y"})
        .IntsAttr("kernel_shape", {s.k, s.k})
        .IntsAttr("strides", {s.stride, s.stride})
        .IntsAttr("pads", {s.pad, s.pad, s.pad, s.pad})
        .IntAttr("group", s.group);
    g.Inputs({"x"}).Outputs({"y"});
    const std::string what = "Conv C" + std::to_string(s.c) + " M" + std::to_string(s.m) + " " +
                             std::to_string(s.k) + "x" + std::to_string(s.k) + " s" +
                             std::to_string(s.stride) + " g" + std::to_string(s.group);
    // Ungrouped: im2col and the transposed GEMM (static output) at least; grouped: im2col only.
    EXPECT_EQ(Lists(g.view(), 0, "algorithm"), s.group == 1) << what;
    CheckEveryCandidate(g, {{x, xd}}, yd, ReferenceConv(s, x, w, b, oh, ow), what);
  }
}

// Which algorithms apply does not depend on the micro-kernel, except the direct kernel's
// (AVX-512 only); without it the default for the strided case depends on the micro-kernel (the
// transposed GEMM pays only where the GEMM's tile is wider than its rows), so it is not checked.
TEST_F(CpuTuning, ConvListsOnlyTheAlgorithmsThatApply) {
  struct Want {
    ConvCase shape;
    std::vector<int64_t> algorithms;  // sorted
    int64_t default_algorithm;        // -1: depends on the GEMM micro-kernel
  };
  // The direct kernel (strided convolutions) needs AVX-512 and is then their default.
  const char* isa = std::getenv("HETRUN_CPU_GEMM_ISA");
  const bool direct = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                      !(isa && (std::string(isa) == "generic" || std::string(isa) == "avx2"));
  const std::vector<Want> wants = {
      {{1, 32, 10, 9, 32, 3, 1, 1, 1}, {0, 1, 2, 3}, 1},  // Winograd worthwhile (F(2x2))
      {{1, 8, 12, 12, 16, 3, 1, 1, 1}, {0, 1, 2, 3}, 0},  // too few channels for Winograd to pay
      // Strided: no Winograd; 7x7 outputs (transposed GEMM); direct where it runs.
      {{1, 64, 13, 13, 40, 3, 2, 1, 1},
       direct ? std::vector<int64_t>{0, 2, 4} : std::vector<int64_t>{0, 2},
       direct ? 4 : -1},
      {{1, 32, 7, 7, 48, 1, 1, 0, 1}, {0, 2}, 0},  // 1x1 over few channels: not transposed
  };
  for (const Want& want : wants) {
    const ConvCase& s = want.shape;
    const int64_t oh = (s.h + 2 * s.pad - s.k) / s.stride + 1;
    const int64_t ow = (s.w + 2 * s.pad - s.k) / s.stride + 1;
    GraphBuilder g;
    g.Value("x", kF32, {s.n, s.c, s.h, s.w})
        .Constant("w", {s.m, s.c, s.k, s.k}, Random(s.m * s.c * s.k * s.k, 3))
        .Value("y", kF32, {s.n, s.m, oh, ow});
    g.Node("conv", "Conv", {"x", "w"}, {"y"})
        .IntsAttr("strides", {s.stride, s.stride})
        .IntsAttr("pads", {s.pad, s.pad, s.pad, s.pad});
    g.Inputs({"x"}).Outputs({"y"});
    const std::vector<hetrun_tunable> tunables = List(g.view(), 0);
    ASSERT_FALSE(tunables.empty());
    ASSERT_STREQ(tunables[0].name, "algorithm");
    std::vector<int64_t> got(tunables[0].values, tunables[0].values + tunables[0].num_values);
    EXPECT_EQ(got.front(), tunables[0].default_value) << "the default comes first";
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, want.algorithms) << "C" << s.c << " M" << s.m << " k" << s.k;
    if (want.default_algorithm >= 0) {
      EXPECT_EQ(tunables[0].default_value, want.default_algorithm);
    }
  }
}

// C = A * B (+ bias) in double; A is batch x M x K, B K x N (shared) or batch x K x N.
std::vector<double> ReferenceMatMul(const std::vector<float>& a, const std::vector<float>& b,
                                    int64_t batch, int64_t M, int64_t N, int64_t K, bool b_batched,
                                    const std::vector<float>* bias = nullptr) {
  std::vector<double> c(static_cast<size_t>(batch * M * N));
  for (int64_t t = 0; t < batch; ++t)
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        double acc = bias ? (*bias)[static_cast<size_t>(j)] : 0.0;
        for (int64_t k = 0; k < K; ++k)
          acc += static_cast<double>(a[static_cast<size_t>((t * M + i) * K + k)]) *
                 b[static_cast<size_t>((b_batched ? t * K * N : 0) + k * N + j)];
        c[static_cast<size_t>((t * M + i) * N + j)] = acc;
      }
  return c;
}

TEST_F(CpuTuning, EveryMatMulCandidateComputesTheSame) {
  struct Case {
    int64_t batch, M, N, K;
    bool constant_b;
  };
  const std::vector<Case> cases = {{1, 37, 70, 300, true},
                                   {3, 20, 33, 45, true},
                                   {4, 24, 40, 100, false},
                                   {1, 130, 9, 600, true}};
  uint32_t seed = 100;
  for (const Case& s : cases) {
    const std::vector<int64_t> ad{s.batch, s.M, s.K};
    const std::vector<int64_t> bd =
        s.constant_b ? std::vector<int64_t>{s.K, s.N} : std::vector<int64_t>{s.batch, s.K, s.N};
    const std::vector<int64_t> yd{s.batch, s.M, s.N};
    const std::vector<float> a = Random(Numel(ad), seed++), b = Random(Numel(bd), seed++);
    GraphBuilder g;
    g.Value("a", kF32, ad).Value("y", kF32, yd);
    if (s.constant_b)
      g.Constant("b", bd, b);
    else
      g.Value("b", kF32, bd);
    g.Node("mm", "MatMul", {"a", "b"}, {"y"});
    g.Inputs(s.constant_b ? std::vector<std::string>{"a"} : std::vector<std::string>{"a", "b"})
        .Outputs({"y"});
    std::vector<Tensor> in{{a, ad}};
    if (!s.constant_b) in.push_back({b, bd});
    const std::string what = "MatMul " + std::to_string(s.batch) + "x" + std::to_string(s.M) + "x" +
                             std::to_string(s.N) + "x" + std::to_string(s.K);
    EXPECT_EQ(Lists(g.view(), 0, "kc"), s.K > 64) << what;  // 64: the shallowest candidate
    CheckEveryCandidate(g, in, yd, ReferenceMatMul(a, b, s.batch, s.M, s.N, s.K, !s.constant_b),
                        what);
  }
}

TEST_F(CpuTuning, EveryGemmCandidateComputesTheSame) {
  const int64_t M = 21, N = 150, K = 260;
  const std::vector<float> a = Random(M * K, 7), w = Random(N * K, 8), bias = Random(N, 9);
  GraphBuilder g;
  g.Value("a", kF32, {M, K}).Constant("w", {N, K}, w).Constant("c", {N}, bias);
  g.Value("y", kF32, {M, N});
  g.Node("gemm", "Gemm", {"a", "w", "c"}, {"y"}).IntAttr("transB", 1);
  g.Inputs({"a"}).Outputs({"y"});
  std::vector<float> wt(static_cast<size_t>(K * N));  // the reference wants B as K x N
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k)
      wt[static_cast<size_t>(k * N + n)] = w[static_cast<size_t>(n * K + k)];
  EXPECT_TRUE(Lists(g.view(), 0, "kc"));
  CheckEveryCandidate(g, {{a, {M, K}}}, {M, N}, ReferenceMatMul(a, wt, 1, M, N, K, false, &bias),
                      "Gemm");
}

// A fused Conv + Relu takes the Conv's values; the Relu's own (`threads`, every op's) are not used.
TEST_F(CpuTuning, FusedKernelTakesItsAnchorsValues) {
  GraphBuilder g;
  g.Value("x", kF32, {1, 16, 8, 8})
      .Constant("w", {32, 16, 3, 3}, Random(32 * 16 * 9, 11))
      .Value("t", kF32, {1, 32, 8, 8})
      .Value("y", kF32, {1, 32, 8, 8});
  g.Node("conv", "Conv", {"x", "w"}, {"t"}).IntsAttr("pads", {1, 1, 1, 1});
  g.Node("relu", "Relu", {"t"}, {"y"});
  g.Inputs({"x"}).Outputs({"y"});
  const hetrun_graph_view* view = g.view();
  for (const hetrun_tunable& t : List(view, 1)) EXPECT_STREQ(t.name, "threads");
  const std::vector<Tensor> in{{Random(16 * 64, 12), {1, 16, 8, 8}}};
  const std::vector<float> base = Execute(CompileOk(view), in, {{1, 32, 8, 8}})[0];
  for (int64_t algorithm : {0, 1, 2}) {
    std::vector<hetrun_tuning_value> values{{0, 0, "algorithm", algorithm}, {0, 0, "kc", 64}};
    if (Lists(view, 0, "threads")) values.push_back({0, 0, "threads", 1});
    if (Lists(view, 1, "threads")) values.push_back({1, 0, "threads", 1});
    hetrun_executable_t exe = nullptr;
    Status status = CompileTuned(view, values, &exe);
    ASSERT_TRUE(status.ok()) << status.message();
    const std::vector<float> got = Execute(exe, in, {{1, 32, 8, 8}})[0];
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_GE(got[i], 0.0f) << "algorithm " << algorithm << ": the Relu was lost";
      ASSERT_NEAR(got[i], base[i], 2e-4 * (1.0f + std::abs(base[i]))) << "algorithm " << algorithm;
    }
  }
}

// "threads" on a device of 4: every count from 1 to 4 (2 and 3 on that many of the device pool's
// threads), for a MatMul and for an elementwise op, each computing what compile() computes. Buffers
// of one device serve the other (host memory).
TEST_F(CpuTuning, ThreadsRunsOnFewerThreads) {
  hetrun_device_options options{};
  options.struct_size = sizeof options;
  options.threads = 4;
  hetrun_device_t dev4 = nullptr;
  HT_ASSERT_OK(p_->device_open(self_, 0, &options, &dev4));
  std::swap(dev_, dev4);  // the fixture's helpers use dev_
  const int64_t M = 48, N = 64, K = 96;
  GraphBuilder g;
  g.Value("a", kF32, {M, K}).Constant("b", {K, N}, Random(K * N, 5)).Value("y", kF32, {M, N});
  g.Node("mm", "MatMul", {"a", "b"}, {"y"});
  g.Inputs({"a"}).Outputs({"y"});
  const hetrun_graph_view* view = g.view();
  std::vector<int64_t> counts;
  for (const hetrun_tunable& t : List(view, 0))
    if (std::string(t.name) == "threads") counts.assign(t.values, t.values + t.num_values);
  std::sort(counts.begin(), counts.end());
  EXPECT_EQ(counts, (std::vector<int64_t>{1, 2, 3, 4}));
  const std::vector<Tensor> in{{Random(M * K, 6), {M, K}}};
  hetrun_executable_t plain = nullptr;
  Status compiled = CompileTuned(view, {}, &plain);  // compile(), released with the others
  ASSERT_TRUE(compiled.ok()) << compiled.message();
  const std::vector<float> base = Execute(plain, in, {{M, N}})[0];
  for (int64_t threads : counts) {
    hetrun_executable_t exe = nullptr;
    Status status = CompileTuned(view, {{0, 0, "threads", threads}}, &exe);
    ASSERT_TRUE(status.ok()) << status.message();
    EXPECT_EQ(Execute(exe, in, {{M, N}})[0], base) << threads << " threads";
  }
  GraphBuilder e;
  e.Value("x", kF32, {64, 1000}).Value("y", kF32, {64, 1000});
  e.Node("tanh", "Tanh", {"x"}, {"y"});
  e.Inputs({"x"}).Outputs({"y"});
  const std::vector<hetrun_tunable> tanh = List(e.view(), 0);
  ASSERT_EQ(tanh.size(), 1u);
  EXPECT_STREQ(tanh[0].name, "threads");
  EXPECT_EQ(tanh[0].default_value, 4);
  const std::vector<Tensor> x{{Random(64 * 1000, 7), {64, 1000}}};
  const std::vector<float> expected = Execute(CompileOk(e.view()), x, {{64, 1000}})[0];
  for (uint32_t i = 0; i < tanh[0].num_values; ++i) {
    hetrun_executable_t exe = nullptr;
    Status status = CompileTuned(e.view(), {{0, 0, "threads", tanh[0].values[i]}}, &exe);
    ASSERT_TRUE(status.ok()) << status.message();
    EXPECT_EQ(Execute(exe, x, {{64, 1000}})[0], expected) << tanh[0].values[i] << " threads";
  }
  // Executables go before their device: release them here, then put the fixture's device back.
  for (hetrun_executable_t exe : compiled_) p_->executable_release(exe);
  compiled_.clear();
  std::swap(dev_, dev4);
  p_->device_close(dev4);
}

TEST_F(CpuTuning, CompileTunedRejectsBadValues) {
  GraphBuilder g;
  g.Value("a", kF32, {16, 300}).Constant("b", {300, 40}, Random(300 * 40, 1));
  g.Value("t", kF32, {16, 40}).Value("y", kF32, {16, 40});
  g.Node("mm", "MatMul", {"a", "b"}, {"t"});
  g.Node("relu", "Relu", {"t"}, {"y"});
  g.Inputs({"a"}).Outputs({"y"});
  const hetrun_graph_view* view = g.view();
  struct Bad {
    std::vector<hetrun_tuning_value> values;
    std::string says;
  };
  const std::vector<Bad> bad = {
      {{{2, 0, "kc", 64}}, "outside the part"},
      {{{0, 0, "tile", 64}}, "no tunable 'tile'"},
      {{{1, 0, "kc", 64}}, "no tunable 'kc'"},
      {{{0, 0, "kc", 65}}, "not a candidate"},
      {{{0, 0, "kc", 64}, {1, 0, "kc", 128}, {0, 0, "kc", 128}}, "no tunable 'kc'"},
      {{{0, 0, "kc", 64}, {0, 0, "kc", 128}}, "named twice"},
      {{{0, 0, nullptr, 64}}, "name is NULL"},
  };
  for (const Bad& b : bad) {
    hetrun_executable_t exe = reinterpret_cast<hetrun_executable_t>(&exe);  // must stay untouched
    Status status(p_->compile_tuned(dev_, view, b.values.data(),
                                    static_cast<uint32_t>(b.values.size()), &exe));
    EXPECT_EQ(status.code(), HETRUN_STATUS_INVALID_ARGUMENT) << b.says;
    EXPECT_NE(status.message().find(b.says), std::string::npos) << status.message();
    EXPECT_EQ(exe, reinterpret_cast<hetrun_executable_t>(&exe)) << b.says;
  }
  hetrun_executable_t exe = nullptr;
  Status null_values(p_->compile_tuned(dev_, view, nullptr, 1, &exe));
  EXPECT_EQ(null_values.code(), HETRUN_STATUS_INVALID_ARGUMENT);
  // No values: compile().
  Status none(p_->compile_tuned(dev_, view, nullptr, 0, &exe));
  ASSERT_TRUE(none.ok()) << none.message();
  compiled_.push_back(exe);
  const std::vector<Tensor> in{{Random(16 * 300, 2), {16, 300}}};
  EXPECT_EQ(Execute(exe, in, {{16, 40}})[0], Execute(CompileOk(view), in, {{16, 40}})[0]);
}

TEST_F(CpuTuning, ListTunablesFollowsTheCapacityProtocol) {
  GraphBuilder g;  // a Conv with an algorithm and a kc to pick, whatever the thread count
  g.Value("x", kF32, {1, 8, 12, 12}).Constant("w", {16, 8, 3, 3}, Random(16 * 8 * 9, 1));
  g.Value("t", kF32, {1, 16, 12, 12}).Value("y", kF32, {1, 16, 12, 12});
  g.Node("conv", "Conv", {"x", "w"}, {"t"}).IntsAttr("pads", {1, 1, 1, 1});
  g.Node("relu", "Relu", {"t"}, {"y"});
  g.Inputs({"x"}).Outputs({"y"});
  const hetrun_graph_view* view = g.view();
  const std::vector<hetrun_tunable> all = List(view, 0);
  ASSERT_GE(all.size(), 2u);

  // Capacity 1, entries spaced wider than this header's struct (a newer host's): only the first
  // is written, the count is the full one, and the bytes past the known fields are left alone.
  const size_t stride = sizeof(hetrun_tunable) + 24;
  std::vector<unsigned char> raw(stride * 2, 0xAB);
  auto* first = reinterpret_cast<hetrun_tunable*>(raw.data());
  std::memset(first, 0, sizeof *first);
  first->struct_size = static_cast<uint32_t>(stride);
  uint32_t count = 0;
  HT_ASSERT_OK(p_->list_tunables(dev_, view, 0, first, 1, &count));
  EXPECT_EQ(count, all.size());
  EXPECT_STREQ(first->name, all[0].name);
  EXPECT_EQ(first->num_values, all[0].num_values);
  EXPECT_EQ(first->default_value, all[0].default_value);
  for (size_t i = sizeof(hetrun_tunable); i < raw.size(); ++i)
    ASSERT_EQ(raw[i], 0xAB) << "byte " << i << " past the first entry's fields was written";

  // No tunables: on a device of one thread the Relu has no `threads` to pick.
  hetrun_device_options one{};
  one.struct_size = sizeof one;
  one.threads = 1;
  hetrun_device_t dev1 = nullptr;
  HT_ASSERT_OK(p_->device_open(self_, 0, &one, &dev1));
  HT_EXPECT_OK(p_->list_tunables(dev1, view, 1, nullptr, 0, &count));
  EXPECT_EQ(count, 0u);
  p_->device_close(dev1);
  // Nodes the call cannot answer for.
  Status outside(p_->list_tunables(dev_, view, 2, nullptr, 0, &count));
  EXPECT_EQ(outside.code(), HETRUN_STATUS_INVALID_ARGUMENT);
  Status no_count(p_->list_tunables(dev_, view, 0, nullptr, 0, nullptr));
  EXPECT_EQ(no_count.code(), HETRUN_STATUS_INVALID_ARGUMENT);
  hetrun_tunable small{};
  small.struct_size = 8;
  Status too_small(p_->list_tunables(dev_, view, 0, &small, 1, &count));
  EXPECT_EQ(too_small.code(), HETRUN_STATUS_INVALID_ARGUMENT);

  GraphBuilder unknown;
  unknown.Value("x", kF32, {4}).Value("y", kF32, {4});
  unknown.Node("n", "NoSuchOp", {"x"}, {"y"});
  unknown.Inputs({"x"}).Outputs({"y"});
  Status unsupported(p_->list_tunables(dev_, unknown.view(), 0, nullptr, 0, &count));
  EXPECT_EQ(unsupported.code(), HETRUN_STATUS_UNIMPLEMENTED);
}

TEST_F(CpuTuning, EventElapsedIsTheRunsTime) {
  GraphBuilder g;
  g.Value("a", kF32, {2, -1}).Value("b", kF32, {-1, 3}).Value("y", kF32, {2, 3});
  g.Node("mm", "MatMul", {"a", "b"}, {"y"});
  g.Inputs({"a", "b"}).Outputs({"y"});
  hetrun_executable_t exe = CompileOk(g.view());
  hetrun_buffer_t a = Upload(Random(8, 1)), b = Upload(Random(12, 2)), y = Allocate(24);
  std::vector<hetrun_tensor_arg> in{TensorArg(a, kF32, {2, 4}), TensorArg(b, kF32, {4, 3})};
  std::vector<hetrun_tensor_arg> out{TensorArg(y, kF32, {2, 3})};
  // The first run goes through the queue, later ones (quick) run inside execute(): both timed.
  for (int run = 0; run < 3; ++run) {
    hetrun_event_t event = nullptr;
    HT_ASSERT_OK(p_->execute(exe, in.data(), 2, out.data(), 1, nullptr, 0, &event));
    HT_ASSERT_OK(p_->event_wait(dev_, event, UINT64_MAX));
    double us = -1;
    HT_EXPECT_OK(p_->event_elapsed_us(dev_, event, &us));
    EXPECT_GT(us, 0.0) << "run " << run;
    p_->event_release(dev_, event);
  }
  // A run that failed (inner dims differ, found at run time) has no time.
  std::vector<hetrun_tensor_arg> mismatched{TensorArg(a, kF32, {2, 4}), TensorArg(b, kF32, {3, 3})};
  hetrun_event_t failed = nullptr;
  HT_ASSERT_OK(p_->execute(exe, mismatched.data(), 2, out.data(), 1, nullptr, 0, &failed));
  Status wait(p_->event_wait(dev_, failed, UINT64_MAX));
  EXPECT_FALSE(wait.ok());
  double us = -1;
  Status elapsed(p_->event_elapsed_us(dev_, failed, &us));
  EXPECT_FALSE(elapsed.ok());
  EXPECT_EQ(us, -1);
  p_->event_release(dev_, failed);
  Status null_event(p_->event_elapsed_us(dev_, nullptr, &us));
  EXPECT_EQ(null_event.code(), HETRUN_STATUS_INVALID_ARGUMENT);
}

// An event whose work has not finished has no time yet (checked only while it is still pending).
TEST_F(CpuTuning, EventElapsedOfAPendingEventIsAnError) {
  const int64_t n = 512;
  GraphBuilder g;
  g.Value("a", kF32, {n, n}).Value("b", kF32, {n, n}).Value("y", kF32, {n, n});
  g.Node("mm", "MatMul", {"a", "b"}, {"y"});
  g.Inputs({"a", "b"}).Outputs({"y"});
  hetrun_executable_t exe = CompileOk(g.view());
  hetrun_buffer_t a = Upload(Random(n * n, 1)), b = Upload(Random(n * n, 2));
  hetrun_buffer_t y1 = Allocate(n * n * 4), y2 = Allocate(n * n * 4);
  std::vector<hetrun_tensor_arg> in{TensorArg(a, kF32, {n, n}), TensorArg(b, kF32, {n, n})};
  std::vector<hetrun_tensor_arg> out1{TensorArg(y1, kF32, {n, n})};
  std::vector<hetrun_tensor_arg> out2{TensorArg(y2, kF32, {n, n})};
  hetrun_event_t first = nullptr, second = nullptr;
  HT_ASSERT_OK(p_->execute(exe, in.data(), 2, out1.data(), 1, nullptr, 0, &first));
  HT_ASSERT_OK(p_->execute(exe, in.data(), 2, out2.data(), 1, &first, 1, &second));
  uint8_t done = 1;
  HT_ASSERT_OK(p_->event_query(dev_, second, &done));
  if (!done) {
    double us = -1;
    Status pending(p_->event_elapsed_us(dev_, second, &us));
    EXPECT_FALSE(pending.ok());
    EXPECT_EQ(us, -1);
  }
  HT_ASSERT_OK(p_->event_wait(dev_, second, UINT64_MAX));
  double us = -1;
  HT_EXPECT_OK(p_->event_elapsed_us(dev_, second, &us));
  EXPECT_GT(us, 0.0);
  p_->event_release(dev_, first);
  p_->event_release(dev_, second);
}

}  // namespace
}  // namespace hetrun::test
