// The row-wise kernels rewritten for speed (lane-parallel sums and maxima, the vectorisable float
// Erf) against double-precision references, on odd sizes that leave a remainder after the lanes,
// with 1 and 2 threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "kernel_harness.h"
#include "kernels/erf_float.h"
#include "kernels/exp_float.h"

namespace hetrun::test {
namespace {

std::vector<float> Scaled(std::vector<float> v, float s) {
  for (float& x : v) x *= s;
  return v;
}

TEST(RowwiseKernels, ErfIsWithinAFewUlpOfDoubleErf) {
  std::vector<float> x = Scaled(RandomFloats(40001, 5), 5.0f);  // [-5, 5), several grains
  for (float v : {0.0f, -0.0f, 1e-30f, -1e-20f, 0.5f, 3.9999f, 4.0f, 4.5f, -4.0f, 100.0f})
    x.push_back(v);
  x.push_back(std::numeric_limits<float>::infinity());
  x.push_back(-std::numeric_limits<float>::infinity());
  x.push_back(std::numeric_limits<float>::quiet_NaN());
  const int64_t n = static_cast<int64_t>(x.size());
  for (int threads : {1, 2}) {
    const std::vector<float> y =
        NodeTest("Erf", 13).Input(Floats({n}, x)).Run1(threads).values<float>();
    ASSERT_EQ(y.size(), x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      const double want = std::erf(static_cast<double>(x[i]));
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(y[i])) << "at " << i;
        continue;
      }
      // 6e-7 absolute is about 5 ulp near +-1; relative near 0, where erf(x) ~ 1.128 x.
      EXPECT_NEAR(y[i], want, 6e-7 + 6e-7 * std::fabs(want)) << "erf(" << x[i] << ")";
      if (x[i] != 0) {
        EXPECT_EQ(std::signbit(y[i]), std::signbit(x[i])) << "erf(" << x[i] << ")";
      }
    }
  }
}

TEST(RowwiseKernels, ErfRowsRoundLikeTheScalarErf) {
  // The four-lane row and the scalar remainder must agree bit for bit (a fused Gelu uses the
  // scalar form), at every offset of the remainder.
  for (int64_t n : {1, 3, 4, 5, 11, 16, 37}) {  // the 16-, 4- and 1-lane loops
    std::vector<float> x = Scaled(RandomFloats(static_cast<size_t>(n), 7), 4.5f);
    std::vector<float> y(x.size());
    cpu::ErfFloatRow(x.data(), y.data(), n);
    for (size_t i = 0; i < x.size(); ++i) {
      const float s = cpu::ErfFloat(x[i]);
      EXPECT_EQ(std::memcmp(&s, &y[i], sizeof s), 0) << "n " << n << " erf(" << x[i] << ")";
    }
  }
}

// The vectorised exp (Softmax's) against double-precision exp: within 2 ulp for normal results,
// subnormal ones within an ulp of FLT_MIN's order, exact 0, inf and NaN at the edges.
TEST(RowwiseKernels, ExpFloatRowIsWithinTwoUlp) {
  std::vector<float> x;
  for (float v = -110.0f; v < 90.0f; v += 0.0137f) x.push_back(v);
  const float inf = std::numeric_limits<float>::infinity();
  for (float v : {-inf, inf, std::nanf(""), 0.0f, -0.0f, -87.3365f, 88.7228f, 88.723f, -103.9f})
    x.push_back(v);
  std::vector<float> y(x.size());
  cpu::ExpFloatRow(x.data(), 0.0f, y.data(), static_cast<int64_t>(x.size()));
  for (size_t i = 0; i < x.size(); ++i) {
    const double want = std::exp(static_cast<double>(x[i]));
    if (std::isnan(x[i])) {
      EXPECT_TRUE(std::isnan(y[i]));
    } else if (want > std::numeric_limits<float>::max()) {
      EXPECT_EQ(y[i], inf) << "exp(" << x[i] << ")";
    } else if (want < std::numeric_limits<float>::min()) {
      EXPECT_NEAR(y[i], want, 2e-45) << "exp(" << x[i] << ")";
    } else {
      const double ulp = std::ldexp(1.0, std::ilogb(static_cast<float>(want)) - 23);
      EXPECT_LE(std::abs(y[i] - want), 2 * ulp) << "exp(" << x[i] << ")";
    }
  }
}

TEST(RowwiseKernels, ErfFloat64KeepsLibm) {
  const HostTensor x = Tensor<double>({3}, {-0.3, 0.7, 2.5});
  const HostTensor y = NodeTest("Erf", 13).Input(x).Run1();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(y.data<double>()[i], std::erf(x.data<double>()[i]));
}

// Softmax / LogSoftmax over the last axis of rows of odd length, wide value range.
void CheckSoftmaxRows(bool log, int64_t rows, int64_t n, int threads) {
  const std::vector<float> x = Scaled(RandomFloats(static_cast<size_t>(rows * n), 11), 30.0f);
  const std::vector<float> y = NodeTest(log ? "LogSoftmax" : "Softmax", 13)
                                   .Input(Floats({rows, n}, x))
                                   .Run1(threads)
                                   .values<float>();
  std::vector<float> want(x.size());
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x.data() + r * n;
    const double m = *std::max_element(xr, xr + n);
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) sum += std::exp(xr[i] - m);
    for (int64_t i = 0; i < n; ++i)
      want[static_cast<size_t>(r * n + i)] =
          static_cast<float>(log ? xr[i] - m - std::log(sum) : std::exp(xr[i] - m) / sum);
  }
  ExpectClose(y, want, 1e-5f, log ? 1e-5f : 1e-7f);
}

TEST(RowwiseKernels, SoftmaxMatchesADoubleReferenceOnOddRows) {
  for (int threads : {1, 2})
    for (int64_t n : {1, 3, 7, 8, 9, 17, 1031}) {
      CheckSoftmaxRows(false, 13, n, threads);
      CheckSoftmaxRows(true, 13, n, threads);
    }
}

TEST(RowwiseKernels, SoftmaxMaximumIsFoundInTheRemainderToo) {
  // The largest element last, after the lanes: exp(x - max) must not overflow.
  std::vector<float> x(19, 0.0f);
  x.back() = 100.0f;
  const std::vector<float> y =
      NodeTest("Softmax", 13).Input(Floats({19}, x)).Run1().values<float>();
  EXPECT_NEAR(y.back(), 1.0f, 1e-6f);
  EXPECT_NEAR(y[0], std::exp(-100.0), 1e-30);
}

TEST(RowwiseKernels, LayerNormMatchesADoubleReferenceOnOddRows) {
  for (int threads : {1, 2})
    for (int64_t inner : {1, 5, 8, 37, 1029}) {
      const int64_t rows = 7;
      // An offset far from zero: the variance must come from the deviations, not E[x^2] - mean^2.
      std::vector<float> x = RandomFloats(static_cast<size_t>(rows * inner), 21);
      for (float& v : x) v = 1000.0f + 3.0f * v;
      const std::vector<float> scale = RandomFloats(static_cast<size_t>(inner), 22);
      const std::vector<float> bias = RandomFloats(static_cast<size_t>(inner), 23);
      const std::vector<HostTensor> out = NodeTest("LayerNormalization", 17)
                                              .Input(Floats({rows, inner}, x))
                                              .Const(Floats({inner}, scale))
                                              .Const(Floats({inner}, bias))
                                              .Outputs({true, true, true})
                                              .Run(threads);
      std::vector<float> want(x.size()), mean(rows), inv(rows);
      for (int64_t r = 0; r < rows; ++r) {
        double s = 0, sq = 0;
        for (int64_t i = 0; i < inner; ++i) s += x[static_cast<size_t>(r * inner + i)];
        const double m = s / static_cast<double>(inner);
        for (int64_t i = 0; i < inner; ++i) {
          const double c = x[static_cast<size_t>(r * inner + i)] - m;
          sq += c * c;
        }
        const double is = 1.0 / std::sqrt(sq / static_cast<double>(inner) + 1e-5);
        mean[static_cast<size_t>(r)] = static_cast<float>(m);
        inv[static_cast<size_t>(r)] = static_cast<float>(is);
        for (int64_t i = 0; i < inner; ++i) {
          const size_t k = static_cast<size_t>(r * inner + i);
          want[k] = static_cast<float>((x[k] - m) * is * scale[static_cast<size_t>(i)] +
                                       bias[static_cast<size_t>(i)]);
        }
      }
      ExpectClose(out[0].values<float>(), want, 1e-4f, 1e-4f);
      ExpectClose(out[1].values<float>(), mean, 1e-6f, 0);
      ExpectClose(out[2].values<float>(), inv, 1e-5f, 0);
    }
}

TEST(RowwiseKernels, GlobalPoolsMatchAReferenceOnOddPlanes) {
  for (int threads : {1, 2})
    for (int64_t hw : {1, 7, 8, 63, 1001}) {
      const int64_t planes = 2 * 5;
      std::vector<float> x = RandomFloats(static_cast<size_t>(planes * hw), 31);
      x[static_cast<size_t>(hw - 1)] = 5.0f;  // plane 0's maximum in its last element
      const std::vector<float> avg = NodeTest("GlobalAveragePool")
                                         .Input(Floats({2, 5, hw, 1}, x))
                                         .Run1(threads)
                                         .values<float>();
      const HostTensor mx = NodeTest("GlobalMaxPool").Input(Floats({2, 5, hw, 1}, x)).Run1(threads);
      EXPECT_EQ(mx.dims, (std::vector<int64_t>{2, 5, 1, 1}));
      std::vector<float> want_avg(planes), want_max(planes);
      for (int64_t p = 0; p < planes; ++p) {
        const float* xp = x.data() + p * hw;
        double s = 0;
        for (int64_t i = 0; i < hw; ++i) s += xp[i];
        want_avg[static_cast<size_t>(p)] = static_cast<float>(s / static_cast<double>(hw));
        want_max[static_cast<size_t>(p)] = *std::max_element(xp, xp + hw);
      }
      ExpectClose(avg, want_avg, 1e-6f, 1e-7f);
      EXPECT_EQ(mx.values<float>(), want_max);
      EXPECT_EQ(want_max[0], 5.0f);
    }
}

TEST(RowwiseKernels, GlobalAveragePoolFloat64) {
  std::vector<double> x(2 * 3 * 11);
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.1 * static_cast<double>(i) - 2.0;
  const HostTensor y = NodeTest("GlobalAveragePool").Input(Tensor<double>({2, 3, 11}, x)).Run1();
  for (int p = 0; p < 6; ++p) {
    double s = 0;
    for (int i = 0; i < 11; ++i) s += x[static_cast<size_t>(p * 11 + i)];
    EXPECT_NEAR(y.data<double>()[p], s / 11, 1e-12);
  }
}

}  // namespace
}  // namespace hetrun::test
