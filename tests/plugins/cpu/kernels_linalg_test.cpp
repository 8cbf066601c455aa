// CPU kernels on the packed GEMM: Gemm, MatMul and Conv, checked against numpy values and against
// naive reference loops written here (triple-loop GEMM, direct convolution) over awkward sizes.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernel_harness.h"

namespace hetrun::test {
namespace {

// C[MxN] = op(A) op(B) in double, A/B row-major as stored.
std::vector<float> NaiveGemm(const std::vector<float>& A, const std::vector<float>& B, int64_t M,
                             int64_t N, int64_t K, bool ta, bool tb) {
  std::vector<float> C(static_cast<size_t>(M * N));
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double s = 0;
      for (int64_t k = 0; k < K; ++k)
        s += static_cast<double>(ta ? A[k * M + i] : A[i * K + k]) *
             (tb ? B[j * K + k] : B[k * N + j]);
      C[i * N + j] = static_cast<float>(s);
    }
  return C;
}

TEST(GemmKernel, MatchesNumpyWithTransposesAlphaBeta) {
  const HostTensor y = NodeTest("Gemm")
                           .Attr("transA", int64_t{1})
                           .Attr("transB", int64_t{1})
                           .Attr("alpha", 0.5f)
                           .Attr("beta", 2.0f)
                           .Input(Floats({3, 2}, {1, 2, 3, 4, 5, 6}))
                           .Const(Floats({4, 3}, {1.0f, 0.5f, 2.0f, 0.0f, 1.0f, -2.0f, 2.0f, -1.0f,
                                                  0.0f, -1.0f, 2.0f, 1.0f}))
                           .Input(Floats({4}, {1, 2, 3, 4}))
                           .Run1();
  EXPECT_EQ(y.dims, (std::vector<int64_t>{2, 4}));
  ExpectClose(y.values<float>(), {8.25f, 0.5f, 5.5f, 13.0f, 10.0f, 0.0f, 6.0f, 14.0f});
}

TEST(GemmKernel, AwkwardSizesMatchNaive) {
  uint32_t seed = 100;
  for (int64_t M : {1, 3, 17, 64, 129})
    for (int64_t N : {1, 17, 64, 129})
      for (int64_t K : {1, 3, 64, 300}) {
        const bool ta = (M + K) % 2 == 1, tb = (N + K) % 3 == 0;
        const bool const_b = (M * N) % 2 == 0;
        SCOPED_TRACE("M=" + std::to_string(M) + " N=" + std::to_string(N) + " K=" +
                     std::to_string(K) + " ta=" + std::to_string(ta) + " tb=" + std::to_string(tb));
        const std::vector<float> A = RandomFloats(static_cast<size_t>(M * K), seed++);
        const std::vector<float> B = RandomFloats(static_cast<size_t>(K * N), seed++);
        const std::vector<float> C = RandomFloats(static_cast<size_t>(M * N), seed++);
        NodeTest t("Gemm");
        t.Attr("transA", int64_t{ta}).Attr("transB", int64_t{tb}).Attr("beta", 0.5f);
        t.Input(Floats(ta ? std::vector<int64_t>{K, M} : std::vector<int64_t>{M, K}, A));
        HostTensor b = Floats(tb ? std::vector<int64_t>{N, K} : std::vector<int64_t>{K, N}, B);
        if (const_b)
          t.Const(b);
        else
          t.Input(b);
        t.Input(Floats({M, N}, C));
        std::vector<float> want = NaiveGemm(A, B, M, N, K, ta, tb);
        for (size_t i = 0; i < want.size(); ++i) want[i] += 0.5f * C[i];
        for (int threads : {1, 2}) ExpectClose(t.Run1(threads).values<float>(), want, 1e-4f, 1e-5f);
      }
}

// One row against constant (pre-packed) weights: the GEMV path on AVX-512 hosts, four panels at a
// time with partial groups and a partial last panel; alpha, a bias vector and both layouts of B.
TEST(GemmKernel, OneRowAgainstConstantWeightsMatchesNaive) {
  uint32_t seed = 300;
  for (int64_t N : {1, 31, 32, 100, 129, 1000})
    for (int64_t K : {1, 7, 512})
      for (bool tb : {false, true}) {
        SCOPED_TRACE("N=" + std::to_string(N) + " K=" + std::to_string(K) +
                     " tb=" + std::to_string(tb));
        const std::vector<float> A = RandomFloats(static_cast<size_t>(K), seed++);
        const std::vector<float> B = RandomFloats(static_cast<size_t>(K * N), seed++);
        const std::vector<float> bias = RandomFloats(static_cast<size_t>(N), seed++);
        NodeTest t("Gemm");
        t.Attr("transB", int64_t{tb}).Attr("alpha", 0.5f);
        t.Input(Floats({1, K}, A));
        t.Const(Floats(tb ? std::vector<int64_t>{N, K} : std::vector<int64_t>{K, N}, B));
        t.Const(Floats({N}, bias));
        std::vector<float> want = NaiveGemm(A, B, 1, N, K, false, tb);
        for (int64_t j = 0; j < N; ++j) want[j] = 0.5f * want[j] + bias[j];
        for (int threads : {1, 2}) ExpectClose(t.Run1(threads).values<float>(), want, 1e-4f, 1e-5f);
      }
}

TEST(GemmKernel, BiasShapesBroadcast) {
  const std::vector<float> A = {1, 2, 3, 4, 5, 6};  // 2x3
  const std::vector<float> B = {1, 0, 0, 1, 1, 1};  // 3x2
  // A*B = [[4,5],[10,11]]
  auto run = [&](HostTensor c) {
    return NodeTest("Gemm").Input(Floats({2, 3}, A)).Input(Floats({3, 2}, B)).Input(c).Run1();
  };
  ExpectClose(run(Floats({}, {1})).values<float>(), {5, 6, 11, 12});
  ExpectClose(run(Floats({2, 1}, {1, 2})).values<float>(), {5, 6, 12, 13});
  ExpectClose(run(Floats({1, 2}, {1, 2})).values<float>(), {5, 7, 11, 13});
  ExpectClose(
      NodeTest("Gemm").Input(Floats({2, 3}, A)).Input(Floats({3, 2}, B)).Run1().values<float>(),
      {4, 5, 10, 11});
  const std::string err =
      NodeTest("Gemm").Input(Floats({2, 3}, A)).Input(Floats({2, 3}, A)).Error();
  EXPECT_NE(err.find("Gemm: inner dimensions differ (3 vs 2)"), std::string::npos) << err;
}

TEST(GemmKernel, OnlyFloat32) {
  const std::string err = NodeTest("Gemm")
                              .Input(Tensor<int32_t>({1, 1}, {1}))
                              .Input(Tensor<int32_t>({1, 1}, {1}))
                              .Error();
  EXPECT_EQ(err, "Gemm: dtype int32 not supported (float32 only)");
}

// Batched matmul reference with numpy broadcasting of the batch dims (rank-3 padded).
TEST(MatMulKernel, BatchBroadcastMatchesNaive) {
  struct Case {
    std::vector<int64_t> a, b, out;
  };
  const Case cases[] = {
      {{2, 1, 3, 4}, {3, 4, 5}, {2, 3, 3, 5}},
      {{5, 7, 16}, {16, 9}, {5, 7, 9}},
      {{1, 33, 20}, {4, 20, 65}, {4, 33, 65}},
      {{8, 64, 64}, {8, 64, 64}, {8, 64, 64}},
  };
  uint32_t seed = 500;
  for (const Case& c : cases) {
    const int64_t M = c.a[c.a.size() - 2], K = c.a.back(), N = c.b.back();
    const HostTensor a =
        Floats(c.a, RandomFloats(static_cast<size_t>(HostTensor{0, c.a, {}}.numel()), seed++));
    const HostTensor b =
        Floats(c.b, RandomFloats(static_cast<size_t>(HostTensor{0, c.b, {}}.numel()), seed++));
    for (bool const_b : {false, true}) {
      NodeTest t("MatMul");
      t.Input(a);
      if (const_b)
        t.Const(b);
      else
        t.Input(b);
      const HostTensor y = t.Run1();
      ASSERT_EQ(y.dims, c.out);
      // Batch index math: out batch dims are c.out minus the last two.
      const std::vector<int64_t> ob(c.out.begin(), c.out.end() - 2);
      int64_t batches = 1;
      for (int64_t d : ob) batches *= d;
      for (int64_t bi = 0; bi < batches; ++bi) {
        auto offset = [&](const std::vector<int64_t>& dims) {
          const std::vector<int64_t> bd(dims.begin(), dims.end() - 2);
          int64_t rem = bi, off = 0, stride = 1;
          for (size_t d = ob.size(); d-- > 0;) {
            const int64_t idx = rem % ob[d];
            rem /= ob[d];
            const ptrdiff_t k =
                static_cast<ptrdiff_t>(d) - static_cast<ptrdiff_t>(ob.size() - bd.size());
            if (k < 0) continue;
            if (bd[static_cast<size_t>(k)] != 1) off += idx * stride;
            stride *= bd[static_cast<size_t>(k)];
          }
          return off;
        };
        const std::vector<float> A(a.data<float>() + offset(c.a) * M * K,
                                   a.data<float>() + (offset(c.a) + 1) * M * K);
        const std::vector<float> B(b.data<float>() + offset(c.b) * K * N,
                                   b.data<float>() + (offset(c.b) + 1) * K * N);
        const std::vector<float> got(y.data<float>() + bi * M * N,
                                     y.data<float>() + (bi + 1) * M * N);
        ExpectClose(got, NaiveGemm(A, B, M, N, K, false, false), 1e-4f, 1e-5f);
      }
    }
  }
}

TEST(MatMulKernel, OneDimensionalOperands) {
  const HostTensor v = Floats({3}, {1, 2, 3});
  const HostTensor m = Floats({3, 2}, {1, 0, 0, 1, 1, 1});
  const HostTensor vm = NodeTest("MatMul").Input(v).Input(m).Run1();
  EXPECT_EQ(vm.dims, (std::vector<int64_t>{2}));
  ExpectClose(vm.values<float>(), {4, 5});
  const HostTensor mv =
      NodeTest("MatMul").Input(Floats({2, 3}, {1, 2, 3, 4, 5, 6})).Input(v).Run1();
  EXPECT_EQ(mv.dims, (std::vector<int64_t>{2}));
  ExpectClose(mv.values<float>(), {14, 32});
  const HostTensor vv = NodeTest("MatMul").Input(v).Input(v).Run1();
  EXPECT_TRUE(vv.dims.empty());
  ExpectClose(vv.values<float>(), {14});
  const HostTensor bv =
      NodeTest("MatMul").Input(Floats({2, 1, 3}, {1, 2, 3, 4, 5, 6})).Input(v).Run1();
  EXPECT_EQ(bv.dims, (std::vector<int64_t>{2, 1}));
  ExpectClose(bv.values<float>(), {14, 32});
  const HostTensor ints = NodeTest("MatMul")
                              .Input(Int64s({2, 2}, {1, 2, 3, 4}))
                              .Input(Int64s({2, 2}, {5, 6, 7, 8}))
                              .Run1();
  EXPECT_EQ(ints.values<int64_t>(), (std::vector<int64_t>{19, 22, 43, 50}));
  const std::string err = NodeTest("MatMul")
                              .Input(Floats({2, 3}, std::vector<float>(6)))
                              .Input(Floats({4, 2}, std::vector<float>(8)))
                              .Error();
  EXPECT_NE(err.find("MatMul: inner dimensions differ (3 vs 4)"), std::string::npos) << err;
}

//===-- Conv ----------------------------------------------------------------------------------===//

struct ConvCase {
  std::vector<int64_t> x;  // N, C, spatial...
  int64_t M, group;
  std::vector<int64_t> kernel, strides, dilations, pads;  // pads: begin..., end...
  std::string auto_pad = "NOTSET";
  bool bias = true, const_w = true, dynamic = false;
};

// Direct convolution with explicit pads (auto_pad resolved by the caller's expectations).
std::vector<float> NaiveConv(const ConvCase& c, const std::vector<float>& x,
                             const std::vector<float>& w, const std::vector<float>& b,
                             const std::vector<int64_t>& pads, std::vector<int64_t>* out_dims) {
  const size_t r = c.kernel.size();
  const int64_t N = c.x[0], C = c.x[1], Cg = C / c.group, Mg = c.M / c.group;
  std::vector<int64_t> in(c.x.begin() + 2, c.x.end()), out(r);
  for (size_t i = 0; i < r; ++i) {
    const int64_t dk = (c.kernel[i] - 1) * c.dilations[i] + 1;
    out[i] = (in[i] + pads[i] + pads[i + r] - dk) / c.strides[i] + 1;
  }
  // Treat 1-D as 2-D with height 1.
  const int64_t H = r == 2 ? in[0] : 1, W = in.back(), OH = r == 2 ? out[0] : 1, OW = out.back();
  const int64_t KH = r == 2 ? c.kernel[0] : 1, KW = c.kernel.back();
  const int64_t SH = r == 2 ? c.strides[0] : 1, SW = c.strides.back();
  const int64_t DH = r == 2 ? c.dilations[0] : 1, DW = c.dilations.back();
  const int64_t PH = r == 2 ? pads[0] : 0, PW = pads[r - 1];
  std::vector<float> y(static_cast<size_t>(N * c.M * OH * OW));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t m = 0; m < c.M; ++m) {
      const int64_t g = m / Mg;
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          double s = c.bias ? b[static_cast<size_t>(m)] : 0.0;
          for (int64_t ci = 0; ci < Cg; ++ci)
            for (int64_t kh = 0; kh < KH; ++kh)
              for (int64_t kw = 0; kw < KW; ++kw) {
                const int64_t ih = oh * SH - PH + kh * DH, iw = ow * SW - PW + kw * DW;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                s += static_cast<double>(
                         x[static_cast<size_t>(((n * C + g * Cg + ci) * H + ih) * W + iw)]) *
                     w[static_cast<size_t>(((m * Cg + ci) * KH + kh) * KW + kw)];
              }
          y[static_cast<size_t>(((n * c.M + m) * OH + oh) * OW + ow)] = static_cast<float>(s);
        }
    }
  *out_dims = {N, c.M};
  out_dims->insert(out_dims->end(), out.begin(), out.end());
  return y;
}

TEST(ConvKernel, HandComputed) {
  // 3x3 input 1..9, 2x2 kernel of ones, stride 1, no pads: window sums.
  const HostTensor y = NodeTest("Conv")
                           .Input(Floats({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}))
                           .Const(Floats({1, 1, 2, 2}, {1, 1, 1, 1}))
                           .Const(Floats({1}, {0.5f}))
                           .Run1();
  EXPECT_EQ(y.dims, (std::vector<int64_t>{1, 1, 2, 2}));
  ExpectClose(y.values<float>(), {12.5f, 16.5f, 24.5f, 28.5f});
}

TEST(ConvKernel, MatchesDirectConvolution) {
  std::vector<ConvCase> cases = {
      {{1, 3, 9, 11}, 8, 1, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}},
      {{2, 4, 10, 10}, 6, 2, {3, 3}, {2, 2}, {1, 1}, {1, 0, 0, 1}},
      {{1, 3, 15, 13}, 5, 1, {3, 5}, {1, 2}, {2, 1}, {2, 1, 3, 2}},
      {{1, 16, 8, 8}, 32, 1, {1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}},             // pointwise
      {{2, 8, 7, 7}, 8, 1, {1, 1}, {2, 2}, {1, 1}, {0, 0, 0, 0}},               // strided 1x1
      {{1, 8, 12, 12}, 8, 8, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}},             // depthwise
      {{2, 4, 11, 9}, 8, 4, {3, 3}, {2, 2}, {2, 1}, {1, 2, 2, 1}},              // depthwise x2
      {{1, 6, 20}, 4, 2, {5}, {2}, {2}, {3, 1}},                                // 1-D grouped
      {{1, 3, 224 / 4, 224 / 4}, 16, 1, {7, 7}, {2, 2}, {1, 1}, {3, 3, 3, 3}},  // ResNet stem
      {{1, 70, 5, 5}, 40, 1, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}},  // K and M off the tile sizes
      // Winograd F(2x2, 3x3) (C >= 128, M >= 64): odd sizes (partial tiles), uneven and zero
      // pads, batch 2.
      {{2, 128, 13, 10}, 64, 1, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}},
      {{1, 130, 9, 9}, 70, 1, {3, 3}, {1, 1}, {1, 1}, {0, 0, 0, 0}},
      {{1, 128, 8, 11}, 96, 1, {3, 3}, {1, 1}, {1, 1}, {2, 1, 0, 2}},
      {{1, 256, 7, 7}, 256, 1, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}},
      // The direct kernel (strided, undilated, ungrouped; AVX-512 hosts): unequal strides and
      // pads, a 1-D convolution, a stride past the kernel's size, partial pixel and channel tiles.
      {{1, 5, 11, 14}, 12, 1, {3, 3}, {1, 2}, {1, 1}, {1, 0, 2, 1}},
      {{2, 6, 23}, 9, 1, {4}, {3}, {1}, {2, 1}},
      {{1, 4, 9, 9}, 37, 1, {2, 2}, {3, 3}, {1, 1}, {0, 0, 0, 0}},
  };
  ConvCase direct_dynamic = cases[cases.size() - 3];  // run-time shapes, the same kernel
  direct_dynamic.dynamic = true;
  cases.push_back(direct_dynamic);
  ConvCase no_bias = cases[0];
  no_bias.bias = false;
  no_bias.const_w = false;
  cases.push_back(no_bias);
  ConvCase dynamic = cases[1];
  dynamic.dynamic = true;
  dynamic.const_w = false;
  cases.push_back(dynamic);
  uint32_t seed = 900;
  for (const ConvCase& c : cases) {
    SCOPED_TRACE("x=" + std::to_string(c.x[1]) + "ch M=" + std::to_string(c.M) +
                 " group=" + std::to_string(c.group) + " k=" + std::to_string(c.kernel[0]));
    const int64_t Cg = c.x[1] / c.group;
    int64_t ksize = 1;
    for (int64_t k : c.kernel) ksize *= k;
    std::vector<int64_t> wdims{c.M, Cg};
    wdims.insert(wdims.end(), c.kernel.begin(), c.kernel.end());
    int64_t xn = 1;
    for (int64_t d : c.x) xn *= d;
    const std::vector<float> x = RandomFloats(static_cast<size_t>(xn), seed++);
    const std::vector<float> w = RandomFloats(static_cast<size_t>(c.M * Cg * ksize), seed++);
    const std::vector<float> b = RandomFloats(static_cast<size_t>(c.M), seed++);
    std::vector<int64_t> want_dims;
    const std::vector<float> want = NaiveConv(c, x, w, b, c.pads, &want_dims);
    NodeTest t("Conv");
    t.Attr("group", c.group).Attr("strides", c.strides).Attr("dilations", c.dilations);
    t.Attr("pads", c.pads).Attr("kernel_shape", c.kernel);
    t.DynamicDims(c.dynamic).Input(Floats(c.x, x));
    if (c.const_w)
      t.Const(Floats(wdims, w));
    else
      t.Input(Floats(wdims, w));
    if (c.bias) t.Const(Floats({c.M}, b));
    // Absolute tolerance relative to the outputs' scale: long sums (and Winograd's transforms)
    // carry rounding error proportional to it, not to each output's own size.
    double sq = 0;
    for (float v : want) sq += static_cast<double>(v) * v;
    const float atol = 1e-5f * std::max(1.0f, static_cast<float>(std::sqrt(sq / want.size())));
    for (int threads : {1, 2}) {
      const HostTensor y = t.Run1(threads);
      EXPECT_EQ(y.dims, want_dims);
      ExpectClose(y.values<float>(), want, 1e-4f, atol);
    }
  }
}

// Few output pixels and a static output shape: the kernel computes Y^T = col^T * W^T (the
// GEMM's 8-row tile fits 49 or 9 pixels better than its 32-wide one), bias included.
TEST(ConvKernel, FewOutputPixelsMatchDirectConvolution) {
  const std::vector<ConvCase> cases = {
      {{1, 64, 14, 14}, 48, 1, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}},  // 7x7 out, as ResNet's
      {{2, 40, 6, 6}, 24, 1, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}},    // 3x3 out, batch 2
      {{1, 96, 5, 5}, 20, 1, {3, 3}, {1, 1}, {1, 1}, {0, 0, 0, 0}},    // stride 1, M off 8
  };
  auto numel = [](const std::vector<int64_t>& d) {
    int64_t n = 1;
    for (int64_t e : d) n *= e;
    return static_cast<size_t>(n);
  };
  uint32_t seed = 950;
  for (const ConvCase& c : cases) {
    SCOPED_TRACE("x=" + std::to_string(c.x[1]) + "ch M=" + std::to_string(c.M));
    const std::vector<int64_t> wdims{c.M, c.x[1], c.kernel[0], c.kernel[1]};
    const std::vector<float> x = RandomFloats(numel(c.x), seed++);
    const std::vector<float> w = RandomFloats(numel(wdims), seed++);
    const std::vector<float> b = RandomFloats(static_cast<size_t>(c.M), seed++);
    std::vector<int64_t> want_dims;
    const std::vector<float> want = NaiveConv(c, x, w, b, c.pads, &want_dims);
    NodeTest t("Conv");
    t.Attr("strides", c.strides).Attr("pads", c.pads).Attr("kernel_shape", c.kernel);
    t.Input(Floats(c.x, x)).Const(Floats(wdims, w)).Const(Floats({c.M}, b));
    t.OutputDims(want_dims);
    for (int threads : {1, 2}) {
      const HostTensor y = t.Run1(threads);
      EXPECT_EQ(y.dims, want_dims);
      ExpectClose(y.values<float>(), want, 1e-4f, 1e-4f);
    }
  }
}

TEST(ConvKernel, AutoPad) {
  // SAME_UPPER / SAME_LOWER put the odd padding at the end / the beginning; VALID pads nothing.
  ConvCase c{{1, 2, 6, 7}, 3, 1, {4, 3}, {2, 2}, {1, 1}, {}};
  const std::vector<float> x = RandomFloats(84, 1), w = RandomFloats(3 * 2 * 12, 2),
                           b = RandomFloats(3, 3);
  // out = ceil(in / stride) = 3, 4; total pad = (out-1)*s + k - in = 2, 2 (H), 2 (W).
  struct Mode {
    const char* name;
    std::vector<int64_t> pads;
  };
  for (const Mode& m : {Mode{"SAME_UPPER", {1, 1, 1, 1}}, Mode{"SAME_LOWER", {1, 1, 1, 1}},
                        Mode{"VALID", {0, 0, 0, 0}}}) {
    SCOPED_TRACE(m.name);
    std::vector<int64_t> want_dims;
    const std::vector<float> want = NaiveConv(c, x, w, b, m.pads, &want_dims);
    const HostTensor y = NodeTest("Conv")
                             .Attr("auto_pad", std::string(m.name))
                             .Attr("strides", c.strides)
                             .Input(Floats(c.x, x))
                             .Const(Floats({3, 2, 4, 3}, w))
                             .Const(Floats({3}, b))
                             .Run1();
    EXPECT_EQ(y.dims, want_dims);
    ExpectClose(y.values<float>(), want, 1e-4f, 1e-5f);
  }
  // Odd total padding: in 5, k 2, s 1 -> total 1: SAME_UPPER pads (0,1), SAME_LOWER (1,0).
  ConvCase odd{{1, 1, 1, 5}, 1, 1, {1, 2}, {1, 1}, {1, 1}, {}};
  odd.bias = false;
  const std::vector<float> ox = {1, 2, 3, 4, 5}, ow = {1, 10};
  for (auto [mode, pads] :
       {std::pair<const char*, std::vector<int64_t>>{"SAME_UPPER", {0, 0, 0, 1}},
        {"SAME_LOWER", {0, 1, 0, 0}}}) {
    std::vector<int64_t> dims;
    const std::vector<float> want = NaiveConv(odd, ox, ow, {}, pads, &dims);
    const HostTensor y = NodeTest("Conv")
                             .Attr("auto_pad", std::string(mode))
                             .Input(Floats({1, 1, 1, 5}, ox))
                             .Const(Floats({1, 1, 1, 2}, ow))
                             .Run1();
    ExpectClose(y.values<float>(), want);
  }
}

TEST(ConvKernel, DeclinesWhatItCannotRun) {
  EXPECT_EQ(NodeTest("Conv")
                .Input(Tensor<int8_t>({1, 1, 2, 2}, {1, 2, 3, 4}))
                .Const(Tensor<int8_t>({1, 1, 1, 1}, {1}))
                .Error(),
            "Conv: dtype int8 not supported (float32 only)");
  const std::string err = NodeTest("Conv")
                              .Input(Floats({1, 1, 2, 2, 2}, std::vector<float>(8)))
                              .Const(Floats({1, 1, 1, 1, 1}, {1}))
                              .Error();
  EXPECT_NE(err.find("only 1-D and 2-D"), std::string::npos) << err;
  const std::string bad = NodeTest("Conv")
                              .Input(Floats({1, 3, 4, 4}, std::vector<float>(48)))
                              .Input(Floats({2, 2, 1, 1}, std::vector<float>(4)))
                              .Error();
  EXPECT_NE(bad.find("Conv: X has 3 channels"), std::string::npos) << bad;
}

}  // namespace
}  // namespace hetrun::test
