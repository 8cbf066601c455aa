// The depthwise convolution (kernels/depthwise_conv.cpp) against a naive direct loop: random
// geometries covering odd sizes, strides 1 to 3, dilations, asymmetric padding (including planes
// smaller than the kernel, where whole kernel rows read only padding), channel multipliers,
// batches, with and without bias and a fused activation, wide planes (computed row by row) and
// narrow ones (one run per plane), on 1 and 2 threads. The suite's name starts with Conv so that
// kernels.cmake runs it again with HETRUN_CPU_GEMM_ISA=avx2 and =generic, covering every path.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "fusion/activation.h"
#include "kernels/depthwise_conv.h"
#include "thread_pool.h"

namespace hetrun::test {
namespace {

using cpu::Activation;
using cpu::ActivationKind;
using cpu::DepthwiseGeometry;

struct Case {
  DepthwiseGeometry g;
  int64_t batch, channels, multiplier, pad_end_h, pad_end_w;
  bool bias;
  Activation act;
};

std::string Describe(const Case& c) {
  const DepthwiseGeometry& g = c.g;
  return "N" + std::to_string(c.batch) + " C" + std::to_string(c.channels) + " x" +
         std::to_string(c.multiplier) + " in " + std::to_string(g.H) + "x" + std::to_string(g.W) +
         " k " + std::to_string(g.KH) + "x" + std::to_string(g.KW) + " s " + std::to_string(g.SH) +
         "," + std::to_string(g.SW) + " d " + std::to_string(g.DH) + "," + std::to_string(g.DW) +
         " pad " + std::to_string(g.PH) + "," + std::to_string(g.PW) + " out " +
         std::to_string(g.OH) + "x" + std::to_string(g.OW) + (c.bias ? " bias" : "") + " act " +
         cpu::ActivationName(c.act.kind);
}

// Direct definition: every tap, bounds tested per element, the same activation afterwards.
std::vector<float> Reference(const Case& c, const std::vector<float>& x,
                             const std::vector<float>& w, const std::vector<float>& b) {
  const DepthwiseGeometry& g = c.g;
  const int64_t M = c.channels * c.multiplier;
  std::vector<float> y(static_cast<size_t>(c.batch * M * g.OH * g.OW));
  for (int64_t n = 0; n < c.batch; ++n)
    for (int64_t m = 0; m < M; ++m) {
      const int64_t ch = m / c.multiplier;
      float* ym = y.data() + (n * M + m) * g.OH * g.OW;
      for (int64_t oh = 0; oh < g.OH; ++oh)
        for (int64_t ow = 0; ow < g.OW; ++ow) {
          double acc = c.bias ? b[static_cast<size_t>(m)] : 0.0;
          for (int64_t kh = 0; kh < g.KH; ++kh)
            for (int64_t kw = 0; kw < g.KW; ++kw) {
              const int64_t ih = oh * g.SH - g.PH + kh * g.DH;
              const int64_t iw = ow * g.SW - g.PW + kw * g.DW;
              if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
              acc += static_cast<double>(w[static_cast<size_t>((m * g.KH + kh) * g.KW + kw)]) *
                     x[static_cast<size_t>(((n * c.channels + ch) * g.H + ih) * g.W + iw)];
            }
          ym[oh * g.OW + ow] = static_cast<float>(acc);
        }
      cpu::ApplyActivation(c.act, ym, g.OH * g.OW);
    }
  return y;
}

void Check(const Case& c, int threads, uint32_t seed) {
  const DepthwiseGeometry& g = c.g;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  auto random = [&](int64_t n) {
    std::vector<float> v(static_cast<size_t>(n));
    for (float& f : v) f = dist(rng);
    return v;
  };
  const int64_t M = c.channels * c.multiplier;
  const std::vector<float> x = random(c.batch * c.channels * g.H * g.W);
  const std::vector<float> w = random(M * g.KH * g.KW);
  const std::vector<float> b = random(M);
  const std::vector<float> want = Reference(c, x, w, b);
  // Poisoned output: every element must be written.
  std::vector<float> got(want.size(), std::nanf(""));
  cpu::ThreadPool pool(threads);
  cpu::DepthwiseConv(x.data(), w.data(), c.bias ? b.data() : nullptr, c.act, got.data(), c.batch,
                     c.channels, c.multiplier, g, pool);
  for (size_t i = 0; i < want.size(); ++i)
    ASSERT_NEAR(got[i], want[i], 1e-4f * (1.0f + std::fabs(want[i])))
        << "element " << i << " of " << Describe(c) << " on " << threads << " threads";
}

Case Make(int64_t H, int64_t W, int64_t K, int64_t S, int64_t D, int64_t P, int64_t PE) {
  Case c{};
  c.g = {H, W, 0, 0, K, K, S, S, D, D, P, P};
  c.g.OH = (H + P + PE - D * (K - 1) - 1) / S + 1;
  c.g.OW = (W + P + PE - D * (K - 1) - 1) / S + 1;
  c.batch = 1;
  c.channels = 3;
  c.multiplier = 1;
  c.pad_end_h = c.pad_end_w = PE;
  c.bias = true;
  return c;
}

TEST(ConvDepthwise, SpecialisedShapesMatchReference) {
  // 3x3 and 5x5 at strides 1 and 2 with "same" padding: the MobileNet cases, narrow and wide.
  for (int64_t K : {3, 5})
    for (int64_t S : {1, 2})
      for (int64_t W : {7, 13, 40, 97}) {
        Case c = Make(W == 97 ? 3 : 9, W, K, S, 1, K / 2, K / 2);
        for (int threads : {1, 2}) Check(c, threads, static_cast<uint32_t>(K * 100 + S * 10 + W));
      }
}

TEST(ConvDepthwise, KernelTallerThanThePlane) {
  // ppocr's late layers: a 5x5 kernel, pad 2, over planes 1 to 3 rows high and 96 wide; most kernel
  // rows read only padding. Mixed strides (2 down, 1 across) as in the model.
  for (int64_t H : {1, 2, 3}) {
    Case c = Make(H, 96, 5, 1, 1, 2, 2);
    c.channels = 5;
    for (int64_t SH : {1, 2}) {
      c.g.SH = SH;
      c.g.OH = (H + 4 - 4 - 1) / SH + 1;
      for (int threads : {1, 2}) Check(c, threads, static_cast<uint32_t>(H * 10 + SH));
    }
  }
}

TEST(ConvDepthwise, RandomGeometriesMatchReference) {
  std::mt19937 rng(1234);
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  const ActivationKind kinds[] = {ActivationKind::kNone, ActivationKind::kRelu,
                                  ActivationKind::kHardSwish, ActivationKind::kClip};
  int checked = 0;
  while (checked < 300) {
    Case c{};
    DepthwiseGeometry& g = c.g;
    g.KH = pick(1, 6);
    g.KW = pick(1, 6);
    g.SH = pick(1, 3);
    g.SW = pick(1, 3);
    g.DH = pick(1, 2);
    g.DW = pick(1, 2);
    g.PH = pick(0, 3);
    g.PW = pick(0, 3);
    g.H = pick(1, 12);
    g.W = pick(1, 3) == 1 ? pick(30, 80) : pick(1, 15);
    const int64_t peh = pick(0, 3), pew = pick(0, 3);
    const int64_t span_h = g.H + g.PH + peh - g.DH * (g.KH - 1);
    const int64_t span_w = g.W + g.PW + pew - g.DW * (g.KW - 1);
    if (span_h < 1 || span_w < 1) continue;  // the window does not fit
    g.OH = (span_h - 1) / g.SH + 1;
    g.OW = (span_w - 1) / g.SW + 1;
    c.batch = pick(1, 2);
    c.channels = pick(1, 5);
    c.multiplier = pick(1, 2);
    c.bias = pick(0, 1) == 1;
    c.act.kind = kinds[pick(0, 3)];
    c.act.a = -0.5f;
    c.act.b = 0.5f;
    Check(c, checked % 2 + 1, static_cast<uint32_t>(checked));
    if (HasFatalFailure()) return;
    ++checked;
  }
}

}  // namespace
}  // namespace hetrun::test
