// CPU kernels for the network-level ops: pooling, normalisation, Softmax/LogSoftmax and the
// reductions. Expected values are from numpy (pasted) or naive loops written here.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernel_harness.h"

namespace hetrun::test {
namespace {

std::vector<float> Iota(size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i);
  return v;
}

TEST(PoolKernels, MatchNumpy) {
  const HostTensor x = Floats({1, 1, 4, 4}, Iota(16));
  const HostTensor mp = NodeTest("MaxPool")
                            .Attr("kernel_shape", std::vector<int64_t>{2, 2})
                            .Attr("strides", std::vector<int64_t>{2, 2})
                            .Input(x)
                            .Run1();
  EXPECT_EQ(mp.dims, (std::vector<int64_t>{1, 1, 2, 2}));
  ExpectClose(mp.values<float>(), {5, 7, 13, 15});
  for (int64_t include : {0, 1}) {
    const HostTensor ap = NodeTest("AveragePool")
                              .Attr("kernel_shape", std::vector<int64_t>{3, 3})
                              .Attr("pads", std::vector<int64_t>{1, 1, 1, 1})
                              .Attr("count_include_pad", include)
                              .Input(x)
                              .Run1();
    if (include)
      ExpectClose(ap.values<float>(),
                  {1.1111111640930176f, 2.0f, 2.6666667461395264f, 2.0f, 3.0f, 5.0f, 6.0f,
                   4.333333492279053f, 5.666666507720947f, 9.0f, 10.0f, 7.0f, 4.666666507720947f,
                   7.333333492279053f, 8.0f, 5.55555534362793f});
    else
      ExpectClose(ap.values<float>(), {2.5f, 3.0f, 4.0f, 4.5f, 4.5f, 5.0f, 6.0f, 6.5f, 8.5f, 9.0f,
                                       10.0f, 10.5f, 10.5f, 11.0f, 12.0f, 12.5f});
  }
  const HostTensor g = NodeTest("GlobalAveragePool").Input(Floats({1, 2, 2, 2}, Iota(8))).Run1();
  EXPECT_EQ(g.dims, (std::vector<int64_t>{1, 2, 1, 1}));
  ExpectClose(g.values<float>(), {1.5f, 5.5f});
  const HostTensor gm = NodeTest("GlobalMaxPool").Input(Floats({1, 2, 3}, Iota(6))).Run1();
  EXPECT_EQ(gm.dims, (std::vector<int64_t>{1, 2, 1}));
  ExpectClose(gm.values<float>(), {2, 5});
}

struct PoolCase {
  std::vector<int64_t> x, kernel, strides, dilations, pads;
  bool ceil = false, include_pad = false;
};

// The spec's pooling by brute force over padded window positions.
std::vector<float> NaivePool(const PoolCase& c, const std::vector<float>& x, bool max,
                             std::vector<int64_t>* dims) {
  const int64_t H = c.x[2], W = c.x[3];
  int64_t out[2];
  for (int i = 0; i < 2; ++i) {
    const int64_t in = c.x[2 + i], dk = (c.kernel[i] - 1) * c.dilations[i] + 1;
    const int64_t span = in + c.pads[i] + c.pads[i + 2] - dk;
    out[i] = (c.ceil ? (span + c.strides[i] - 1) / c.strides[i] : span / c.strides[i]) + 1;
    if (c.ceil && (out[i] - 1) * c.strides[i] >= in + c.pads[i]) --out[i];
  }
  *dims = {c.x[0], c.x[1], out[0], out[1]};
  std::vector<float> y;
  for (int64_t p = 0; p < c.x[0] * c.x[1]; ++p)
    for (int64_t oh = 0; oh < out[0]; ++oh)
      for (int64_t ow = 0; ow < out[1]; ++ow) {
        double acc = max ? -1e30 : 0;
        int64_t valid = 0, padded = 0;
        for (int64_t kh = 0; kh < c.kernel[0]; ++kh)
          for (int64_t kw = 0; kw < c.kernel[1]; ++kw) {
            const int64_t ih = oh * c.strides[0] - c.pads[0] + kh * c.dilations[0];
            const int64_t iw = ow * c.strides[1] - c.pads[1] + kw * c.dilations[1];
            if (ih < H + c.pads[2] && iw < W + c.pads[3]) ++padded;
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
            const float v = x[static_cast<size_t>((p * H + ih) * W + iw)];
            acc = max ? std::max<double>(acc, v) : acc + v;
            ++valid;
          }
        y.push_back(static_cast<float>(max ? acc : acc / (c.include_pad ? padded : valid)));
      }
  return y;
}

TEST(PoolKernels, MatchBruteForce) {
  const PoolCase cases[] = {
      {{2, 3, 7, 9}, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}},
      {{1, 2, 8, 8}, {3, 2}, {2, 3}, {1, 1}, {0, 1, 1, 0}, true},
      {{1, 2, 9, 10}, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, true, true},
      {{1, 1, 10, 10}, {2, 3}, {1, 2}, {2, 2}, {1, 0, 0, 2}, true},
      {{1, 4, 112 / 4, 112 / 4}, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}},
  };
  uint32_t seed = 40;
  for (const PoolCase& c : cases) {
    const std::vector<float> x =
        RandomFloats(static_cast<size_t>(c.x[0] * c.x[1] * c.x[2] * c.x[3]), seed++);
    for (bool max : {true, false}) {
      if (!max && c.dilations[0] != 1) continue;
      std::vector<int64_t> dims;
      const std::vector<float> want = NaivePool(c, x, max, &dims);
      NodeTest t(max ? "MaxPool" : "AveragePool");
      t.Attr("kernel_shape", c.kernel).Attr("strides", c.strides).Attr("pads", c.pads);
      t.Attr("ceil_mode", int64_t{c.ceil});
      if (max)
        t.Attr("dilations", c.dilations);
      else
        t.Attr("count_include_pad", int64_t{c.include_pad});
      const HostTensor y = t.Input(Floats(c.x, x)).Run1();
      EXPECT_EQ(y.dims, dims);
      ExpectClose(y.values<float>(), want, 1e-5f, 1e-6f);
    }
  }
}

TEST(PoolKernels, OneDimensionalAndAutoPad) {
  const HostTensor y = NodeTest("MaxPool")
                           .Attr("kernel_shape", std::vector<int64_t>{3})
                           .Attr("auto_pad", std::string("SAME_UPPER"))
                           .Input(Floats({1, 1, 5}, {1, 5, 2, 0, 3}))
                           .Run1();
  EXPECT_EQ(y.dims, (std::vector<int64_t>{1, 1, 5}));
  ExpectClose(y.values<float>(), {5, 5, 5, 3, 3});
}

TEST(NormalizationKernels, BatchNormMatchesNumpy) {
  const std::vector<float> want = {5.960464477539062e-07f, 0.5f,
                                   0.9999994039535522f,    1.4999988079071045f,
                                   2.999919891357422f,     6.999839782714844f,
                                   10.999759674072266f,    14.999679565429688f};
  for (bool constant : {true, false}) {
    NodeTest t("BatchNormalization", 15);
    t.Input(Floats({1, 2, 2, 2}, Iota(8)));
    const std::vector<HostTensor> params = {Floats({2}, {1, 2}), Floats({2}, {0.5f, -1}),
                                            Floats({2}, {1, 3}), Floats({2}, {4, 0.25f})};
    for (const HostTensor& p : params) {
      if (constant)
        t.Const(p);
      else
        t.Input(p);
    }
    ExpectClose(t.Run1().values<float>(), want, 1e-5f, 1e-5f);
  }
}

TEST(NormalizationKernels, BatchNormTrainingUsesBatchStatistics) {
  // X [N=2, C=2]: channel 0 {1, 3} has mean 2 and population variance 1, channel 1 {2, 6} has 4
  // and 4. running = input * 0.9 + batch * 0.1.
  const std::vector<HostTensor> r = NodeTest("BatchNormalization", 15)
                                        .Attr("training_mode", int64_t{1})
                                        .Attr("epsilon", 0.0f)
                                        .Input(Floats({2, 2}, {1, 2, 3, 6}))
                                        .Input(Floats({2}, {1, 2}))
                                        .Input(Floats({2}, {0, 1}))
                                        .Input(Floats({2}, {0, 10}))
                                        .Input(Floats({2}, {1, 1}))
                                        .Outputs({true, true, true})
                                        .Run();
  ExpectClose(r[0].values<float>(), {-1, -1, 1, 3});
  ExpectClose(r[1].values<float>(), {0.2f, 9.4f});
  ExpectClose(r[2].values<float>(), {1.0f, 1.3f});
  const std::string err = NodeTest("BatchNormalization", 9)
                              .Attr("training_mode", int64_t{1})
                              .Input(Floats({1, 1}, {1}))
                              .Input(Floats({1}, {1}))
                              .Input(Floats({1}, {1}))
                              .Input(Floats({1}, {1}))
                              .Input(Floats({1}, {1}))
                              .Error();
  EXPECT_NE(err.find("opset 14"), std::string::npos) << err;
}

TEST(NormalizationKernels, LayerNormMatchesNumpy) {
  const std::vector<HostTensor> y = NodeTest("LayerNormalization", 17)
                                        .Input(Floats({2, 4}, {1, 2, 3, 4, 2, -2, 0, 8}))
                                        .Const(Floats({4}, {1, 0.5f, 2, -1}))
                                        .Const(Floats({4}, {0, 1, 0, -1}))
                                        .Outputs({true, true, true})
                                        .Run();
  ExpectClose(y[0].values<float>(),
              {-1.3416354656219482f, 0.7763940691947937f, 0.8944236636161804f, -2.3416354656219482f,
               0.0f, 0.46547770500183105f, -1.069044589996338f, -2.603566884994507f},
              1e-5f, 1e-5f);
  EXPECT_EQ(y[1].dims, (std::vector<int64_t>{2, 1}));
  ExpectClose(y[1].values<float>(), {2.5f, 2.0f});
  ExpectClose(y[2].values<float>(), {0.8944236636161804f, 0.2672611474990845f});
  // No bias, axis 0 over the whole [2,2] tensor.
  const HostTensor nb = NodeTest("LayerNormalization", 17)
                            .Attr("axis", int64_t{0})
                            .Input(Floats({2, 2}, {1, 2, 3, 4}))
                            .Const(Floats({2, 2}, {1, 1, 1, 1}))
                            .Run1();
  const float inv = 1.0f / std::sqrt(1.25f + 1e-5f);
  ExpectClose(nb.values<float>(), {-1.5f * inv, -0.5f * inv, 0.5f * inv, 1.5f * inv});
}

TEST(SoftmaxKernels, OpsetDependentAxis) {
  const HostTensor a = Floats({2, 3}, {1, 2, 3, -1, 0, 5});
  const std::vector<float> sm = {0.09003057330846786f,  0.2447284758090973f,   0.6652409434318542f,
                                 0.002456114860251546f, 0.006676412653177977f, 0.9908674955368042f};
  ExpectClose(NodeTest("Softmax", 13).Input(a).Run1().values<float>(), sm);
  ExpectClose(NodeTest("Softmax", 11).Input(a).Run1().values<float>(), sm);
  ExpectClose(NodeTest("LogSoftmax", 13).Input(a).Run1().values<float>(),
              {-2.4076058864593506f, -1.4076060056686401f, -0.40760597586631775f,
               -6.009174346923828f, -5.009174346923828f, -0.009174484759569168f});
  const HostTensor b = Floats({1, 3, 2}, {1, 2, 3, 4, 5, 0});
  // Opset 13, axis 1: along the middle axis only.
  ExpectClose(NodeTest("Softmax", 13).Attr("axis", int64_t{1}).Input(b).Run1().values<float>(),
              {0.01587623916566372f, 0.11731042712926865f, 0.11731042712926865f,
               0.8668133616447449f, 0.8668133616447449f, 0.01587623916566372f});
  // Opset 11, axis 1 (the default): over the flattened [3, 2] block.
  ExpectClose(NodeTest("Softmax", 11).Input(b).Run1().values<float>(),
              {0.011606461368501186f, 0.03154963254928589f, 0.08576079457998276f,
               0.23312200605869293f, 0.6336913108825684f, 0.004269778728485107f});
}

TEST(SoftmaxKernels, RowsSumToOne) {
  for (int64_t axis : {0, 1, 2, -1}) {
    const HostTensor x = Floats({3, 50, 7}, RandomFloats(1050, 77));
    const HostTensor y = NodeTest("Softmax", 13).Attr("axis", axis).Input(x).Run1();
    const int64_t a = axis < 0 ? 2 : axis;
    const int64_t dims[3] = {3, 50, 7};
    const int64_t n = dims[a], stride = a == 2 ? 1 : (a == 1 ? 7 : 350);
    for (int64_t start = 0; start < 1050; ++start) {
      if ((start / stride) % n != 0) continue;  // first element of each normalised line
      double s = 0;
      for (int64_t k = 0; k < n; ++k) s += y.data<float>()[start + k * stride];
      EXPECT_NEAR(s, 1.0, 1e-5) << "axis " << axis << " start " << start;
    }
  }
}

TEST(ReduceKernels, MatchNumpy) {
  const HostTensor r = Floats({2, 3, 4}, Iota(24));
  HostTensor y = NodeTest("ReduceMean", 13)
                     .Attr("axes", std::vector<int64_t>{1})
                     .Attr("keepdims", int64_t{0})
                     .Input(r)
                     .Run1();
  EXPECT_EQ(y.dims, (std::vector<int64_t>{2, 4}));
  ExpectClose(y.values<float>(), {4, 5, 6, 7, 16, 17, 18, 19});
  // ReduceSum: axes attribute before opset 13, input from 13.
  y = NodeTest("ReduceSum", 11).Attr("axes", std::vector<int64_t>{0, 2}).Input(r).Run1();
  EXPECT_EQ(y.dims, (std::vector<int64_t>{1, 3, 1}));
  ExpectClose(y.values<float>(), {60, 92, 124});
  y = NodeTest("ReduceSum", 13)
          .Attr("keepdims", int64_t{0})
          .Input(r)
          .Const(Int64s({2}, {0, -1}))
          .Run1();
  EXPECT_EQ(y.dims, (std::vector<int64_t>{3}));
  ExpectClose(y.values<float>(), {60, 92, 124});
  y = NodeTest("ReduceMax", 13).Attr("keepdims", int64_t{0}).Input(r).Run1();
  EXPECT_TRUE(y.dims.empty());
  ExpectClose(y.values<float>(), {23});
  y = NodeTest("ReduceMin", 13)
          .Attr("axes", std::vector<int64_t>{-1})
          .Attr("keepdims", int64_t{0})
          .Input(r)
          .Run1();
  ExpectClose(y.values<float>(), {0, 4, 8, 12, 16, 20});
  y = NodeTest("ReduceL2", 13).Attr("axes", std::vector<int64_t>{2}).Input(r).Run1();
  ExpectClose(y.values<float>(), {3.7416574954986572f, 11.224971771240234f, 19.131126403808594f,
                                  27.09243392944336f, 35.07135772705078f, 43.058101654052734f});
  y = NodeTest("ReduceLogSumExp", 13).Attr("axes", std::vector<int64_t>{1}).Input(r).Run1();
  ExpectClose(y.values<float>(),
              {8.018479347229004f, 9.018479347229004f, 10.018479347229004f, 11.018479347229004f,
               20.018478393554688f, 21.018478393554688f, 22.018478393554688f, 23.018478393554688f});
  // noop_with_empty_axes: no axes means identity.
  y = NodeTest("ReduceSum", 13).Attr("noop_with_empty_axes", int64_t{1}).Input(r).Run1();
  EXPECT_EQ(y.dims, r.dims);
  ExpectClose(y.values<float>(), Iota(24));
  // Opset 18: axes become an input for every reduction.
  y = NodeTest("ReduceMean", 18).Input(r).Input(Int64s({1}, {1})).Run1();
  EXPECT_EQ(y.dims, (std::vector<int64_t>{2, 1, 4}));
  ExpectClose(y.values<float>(), {4, 5, 6, 7, 16, 17, 18, 19});
  const HostTensor ints =
      NodeTest("ReduceSum", 13).Input(Int64s({2, 2}, {1, 2, 3, 4})).Const(Int64s({1}, {1})).Run1();
  EXPECT_EQ(ints.values<int64_t>(), (std::vector<int64_t>{3, 7}));
}

TEST(ReduceKernels, AnyAxisSetMatchesNaive) {
  const std::vector<int64_t> dims = {3, 4, 5, 6};
  const std::vector<float> x = RandomFloats(360, 9);
  for (int mask = 1; mask < 16; ++mask) {
    std::vector<int64_t> axes, out;
    for (int a = 0; a < 4; ++a) {
      if (mask & (1 << a)) axes.push_back(a);
      out.push_back(mask & (1 << a) ? 1 : dims[static_cast<size_t>(a)]);
    }
    std::vector<double> want(static_cast<size_t>(out[0] * out[1] * out[2] * out[3]), 0);
    for (int64_t i = 0; i < 360; ++i) {
      int64_t idx[4], rem = i, o = 0;
      for (int a = 3; a >= 0; --a) {
        idx[a] = rem % dims[static_cast<size_t>(a)];
        rem /= dims[static_cast<size_t>(a)];
      }
      for (int a = 0; a < 4; ++a)
        o = o * out[static_cast<size_t>(a)] + (mask & (1 << a) ? 0 : idx[a]);
      want[static_cast<size_t>(o)] += x[static_cast<size_t>(i)];
    }
    const HostTensor y = NodeTest("ReduceSum", 11).Attr("axes", axes).Input(Floats(dims, x)).Run1();
    EXPECT_EQ(y.dims, out);
    ExpectClose(y.values<float>(), std::vector<float>(want.begin(), want.end()), 1e-5f, 1e-5f);
  }
}

TEST(ReduceKernels, ArgMax) {
  const HostTensor y =
      NodeTest("ArgMax").Attr("axis", int64_t{1}).Input(Floats({2, 3}, {1, 5, 5, 7, 0, 2})).Run1();
  EXPECT_EQ(y.dims, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(y.values<int64_t>(), (std::vector<int64_t>{1, 0}));
  const HostTensor last = NodeTest("ArgMax")
                              .Attr("axis", int64_t{1})
                              .Attr("select_last_index", int64_t{1})
                              .Attr("keepdims", int64_t{0})
                              .Input(Floats({2, 3}, {1, 5, 5, 7, 0, 2}))
                              .Run1();
  EXPECT_EQ(last.values<int64_t>(), (std::vector<int64_t>{2, 0}));
}

// x is [N=2, C=3, d=2]; the last target is ignore_index (-1). numpy: loss = -x[n, t, d] * w[t],
// mean = sum(loss) / sum(w[t] over non-ignored elements).
const std::vector<float> kLossX = {0.1f, -0.4f, 1.2f, 0.3f,  -0.7f, 0.5f,
                                   2.0f, -1.1f, 0.6f, 0.25f, -0.3f, 0.9f};

NodeTest NllLoss(const std::string& reduction) {
  NodeTest t("NegativeLogLikelihoodLoss", 13);
  t.Attr("reduction", reduction)
      .Attr("ignore_index", int64_t{-1})
      .Input(Floats({2, 3, 2}, kLossX))
      .Input(Int64s({2, 2}, {0, 2, 1, -1}))
      .Input(Floats({3}, {0.2f, 0.5f, 0.4f}));
  return t;
}

TEST(LossKernels, NegativeLogLikelihoodReductionsAndIgnoreIndex) {
  const HostTensor none = NllLoss("none").Run1();
  EXPECT_EQ(none.dims, (std::vector<int64_t>{2, 2}));
  ExpectClose(none.values<float>(),
              {-0.020000001415610313f, -0.20000000298023224f, -0.30000001192092896f, 0.0f});
  const HostTensor sum = NllLoss("sum").Run1();
  EXPECT_TRUE(sum.dims.empty());
  ExpectClose(sum.values<float>(), {-0.5199999809265137f});
  ExpectClose(NllLoss("mean").Run1().values<float>(), {-0.4727272391319275f});
  // A target outside [0, C) that is not ignore_index is an error.
  EXPECT_NE(NodeTest("NegativeLogLikelihoodLoss", 13)
                .Input(Floats({1, 3}, {0.1f, 0.2f, 0.3f}))
                .Input(Int64s({1}, {3}))
                .Error(),
            "");
}

TEST(LossKernels, SoftmaxCrossEntropyWithLogProb) {
  // numpy: lp = s - logsumexp(s, axis=1); loss = -lp[n, label[n]].
  const std::vector<HostTensor> out =
      NodeTest("SoftmaxCrossEntropyLoss", 13)
          .Attr("reduction", std::string("none"))
          .Input(Tensor<double>({2, 3}, {1.0, 2.0, 0.5, -1.0, 0.0, 3.0}))
          .Input(Tensor<int32_t>({2}, {1, 2}))
          .Outputs({true, true})
          .Run();
  ASSERT_EQ(out.size(), 2u);
  const std::vector<double> loss = out[0].values<double>(), lp = out[1].values<double>();
  const std::vector<double> want_loss = {0.4643687841079447, 0.06588390375742925};
  const std::vector<double> want_lp = {-1.4643687841079447, -0.4643687841079447,
                                       -1.9643687841079447, -4.065883903757429,
                                       -3.0658839037574293, -0.06588390375742925};
  ASSERT_EQ(loss.size(), want_loss.size());
  for (size_t i = 0; i < loss.size(); ++i) EXPECT_NEAR(loss[i], want_loss[i], 1e-12);
  ASSERT_EQ(lp.size(), want_lp.size());
  for (size_t i = 0; i < lp.size(); ++i) EXPECT_NEAR(lp[i], want_lp[i], 1e-12);
}

}  // namespace
}  // namespace hetrun::test
